"""QGroundControl ``.plan`` files: JSON with the mission, an empty geofence and no rally points.

The layout follows QGroundControl's own writer (``MissionController``/``SimpleMissionItem``,
plan file version 1, mission version 2)::

    {"fileType": "Plan", "version": 1, "groundStation": "QGroundControl",
     "mission": {"version": 2, "firmwareType": 3 | 12, "vehicleType": 2,
                 "cruiseSpeed": m/s, "hoverSpeed": m/s, "globalPlanAltitudeMode": 1,
                 "plannedHomePosition": [lat, lon, alt AMSL],
                 "items": [{"type": "SimpleItem", "autoContinue": true, "command": 16,
                            "doJumpId": 1, "frame": 3,
                            "params": [p1, p2, p3, p4, lat, lon, alt],
                            "AltitudeMode": 1, "Altitude": alt,
                            "AMSLAltAboveTerrain": null}, ...]},
     "geoFence": {"version": 2, "circles": [], "polygons": []},
     "rallyPoints": {"version": 2, "points": []}}

``AltitudeMode``, ``Altitude`` and ``AMSLAltAboveTerrain`` are written only for the
commands that carry an altitude, as QGroundControl does. The home position is never an
item of a plan (QGroundControl sends ``plannedHomePosition`` as ArduPilot's item 0 when
it uploads).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safeconduct.adapters.files.atomic import write_text_atomic
from safeconduct.errors import BadFileError
from safeconduct.mission.items import Command, Frame, MissionItem

#: ``firmwareType`` (MAV_AUTOPILOT) by firmware name, and back.
FIRMWARE_TYPES = {"ardupilot": 3, "px4": 12}
_FIRMWARE_NAMES = {v: k for k, v in FIRMWARE_TYPES.items()}

#: MAV_TYPE_QUADROTOR.
VEHICLE_QUADROTOR = 2

#: Commands whose altitude QGroundControl edits (its "specifiesAltitude").
_ALTITUDE_COMMANDS = frozenset(
    {Command.NAV_WAYPOINT, Command.NAV_TAKEOFF, Command.NAV_LOITER_TIME, Command.NAV_LOITER_UNLIM}
)

#: QGroundControl's AltitudeMode for each frame: 1 relative, 2 absolute, 4 terrain frame.
_ALTITUDE_MODE = {Frame.GLOBAL_RELATIVE_ALT: 1, Frame.GLOBAL: 2, Frame.GLOBAL_TERRAIN_ALT: 4}


@dataclass(frozen=True)
class QgcPlan:
    """What a ``.plan`` holds that safeconduct uses.

    Attributes
    ----------
    firmware
        ``"ardupilot"`` or ``"px4"`` (from ``firmwareType``; another value is kept as
        ``"mav_autopilot_N"``).
    home
        ``plannedHomePosition``: ``(lat, lon, alt)`` degrees and metres above mean sea level.
    items
        The SimpleItems, in order.
    cruise_speed_ms, hover_speed_ms
        The plan's speeds, metres per second.
    """

    firmware: str
    home: tuple[float, float, float]
    items: tuple[MissionItem, ...]
    cruise_speed_ms: float
    hover_speed_ms: float


def plan_document(
    items: Sequence[MissionItem],
    *,
    home: tuple[float, float, float],
    firmware: str,
    cruise_speed_ms: float,
    hover_speed_ms: float,
) -> dict[str, Any]:
    """Build the ``.plan`` JSON object.

    Parameters
    ----------
    items
        The mission items (no home item).
    home
        Planned home ``(lat, lon, alt)``: degrees, metres above mean sea level.
    firmware
        ``"ardupilot"`` or ``"px4"``.
    cruise_speed_ms, hover_speed_ms
        Speeds QGroundControl uses for its time estimates, m/s (a multirotor uses the
        hover speed).
    """
    if firmware not in FIRMWARE_TYPES:
        raise ValueError(f"unknown firmware {firmware!r}")
    out_items = []
    for n, it in enumerate(items, start=1):
        entry: dict[str, Any] = {
            "autoContinue": bool(it.autocontinue),
            "command": int(it.command),
            "doJumpId": n,
            "frame": int(it.frame),
            "params": [*(_num(p) for p in it.params), _num(it.lat), _num(it.lon), _num(it.alt)],
            "type": "SimpleItem",
        }
        if it.command in _ALTITUDE_COMMANDS and it.frame in _ALTITUDE_MODE:
            entry["AltitudeMode"] = _ALTITUDE_MODE[Frame(it.frame)]
            entry["Altitude"] = _num(it.alt)
            entry["AMSLAltAboveTerrain"] = None
        out_items.append(entry)
    return {
        "fileType": "Plan",
        "geoFence": {"circles": [], "polygons": [], "version": 2},
        "groundStation": "QGroundControl",
        "mission": {
            "cruiseSpeed": cruise_speed_ms,
            "firmwareType": FIRMWARE_TYPES[firmware],
            "globalPlanAltitudeMode": 1,
            "hoverSpeed": hover_speed_ms,
            "items": out_items,
            "plannedHomePosition": [float(v) for v in home],
            "vehicleType": VEHICLE_QUADROTOR,
            "version": 2,
        },
        "rallyPoints": {"points": [], "version": 2},
        "version": 1,
    }


def _num(v: float) -> float | None:
    # QGroundControl writes NaN ("use the default") as null.
    return None if math.isnan(v) else float(v)


def write_qgc_plan(
    path: str | os.PathLike[str],
    items: Sequence[MissionItem],
    *,
    home: tuple[float, float, float],
    firmware: str,
    cruise_speed_ms: float,
    hover_speed_ms: float,
) -> Path:
    """Write a ``.plan`` file atomically; see :func:`plan_document` for the parameters."""
    doc = plan_document(
        items,
        home=home,
        firmware=firmware,
        cruise_speed_ms=cruise_speed_ms,
        hover_speed_ms=hover_speed_ms,
    )
    return write_text_atomic(path, json.dumps(doc, indent=4, allow_nan=False) + "\n")


def read_qgc_plan(path: str | os.PathLike[str]) -> QgcPlan:
    """Read a ``.plan`` file's mission.

    Raises
    ------
    BadFileError
        The file is missing, not JSON, not a plan, or its mission is malformed or holds
        a complex item (survey, scan).
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadFileError(f"cannot read plan {p}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise BadFileError(f"{p} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise BadFileError(f'{p} is not a QGroundControl plan (no "fileType": "Plan")')
    mission = doc.get("mission")
    if not isinstance(mission, dict) or not isinstance(mission.get("items"), list):
        raise BadFileError(f"{p}: the plan has no mission.items list")
    home = mission.get("plannedHomePosition")
    if not (isinstance(home, list) and len(home) == 3 and all(_is_number(v) for v in home)):
        raise BadFileError(
            f"{p}: the plan needs plannedHomePosition [lat, lon, alt] (ArduPilot takes item 0 "
            "as home)"
        )
    fw = mission.get("firmwareType")
    firmware = _FIRMWARE_NAMES.get(fw, f"mav_autopilot_{fw}")
    items = tuple(_read_item(p, i, raw) for i, raw in enumerate(mission["items"]))
    return QgcPlan(
        firmware=firmware,
        home=(float(home[0]), float(home[1]), float(home[2])),
        items=items,
        cruise_speed_ms=float(mission.get("cruiseSpeed", 0.0)),
        hover_speed_ms=float(mission.get("hoverSpeed", 0.0)),
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _read_item(p: Path, index: int, raw: Any) -> MissionItem:
    where = f"{p}: mission.items[{index}]"
    if not isinstance(raw, dict):
        raise BadFileError(f"{where} is not an object")
    if raw.get("type") != "SimpleItem":
        raise BadFileError(
            f"{where} is a {raw.get('type')!r}; only SimpleItem is read (convert surveys "
            "and scans to waypoints in QGroundControl first)"
        )
    command, frame, params = raw.get("command"), raw.get("frame"), raw.get("params")
    if not (_is_int(command) and _is_int(frame)):
        raise BadFileError(f"{where}: command and frame must be whole numbers")
    if not (
        isinstance(params, list)
        and len(params) == 7
        and all(v is None or _is_number(v) for v in params)
    ):
        raise BadFileError(f"{where}: params must be a list of 7 numbers or nulls")
    v = [math.nan if x is None else float(x) for x in params]
    return MissionItem(
        command=int(command),
        frame=int(frame),
        params=(v[0], v[1], v[2], v[3]),
        lat=v[4],
        lon=v[5],
        alt=v[6],
        autocontinue=bool(raw.get("autoContinue", True)),
    )


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


__all__ = ["FIRMWARE_TYPES", "QgcPlan", "plan_document", "read_qgc_plan", "write_qgc_plan"]
