"""Read mission files: ``QGC WPL 110`` waypoints and QGroundControl ``.plan``.

The readers return the items exactly as they go to the vehicle (see
:mod:`safeconduct.mission.upload`), so that a ``.waypoints`` file and the ``.plan`` of the
same mission upload the same thing:

* ``.waypoints`` (``QGC WPL 110``, read with pymavlink's ``mavwp``): every line is an item,
  line 0 included; for ArduPilot that line is the home placeholder.
* ``.plan`` (QGroundControl JSON): the ``SimpleItem`` entries of ``mission.items``. A plan
  never lists the home position among its items; for ArduPilot (``firmwareType`` 3)
  QGroundControl sends ``plannedHomePosition`` as item 0, and so do we.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safeconduct.errors import BadFileError
from safeconduct.mission.items import Command, Frame, MissionItem

#: File name endings we read, and what they hold.
MISSION_FILE_KINDS = {".waypoints": "QGC WPL 110 waypoints", ".plan": "QGroundControl plan"}

#: ``firmwareType`` of a .plan (MAV_AUTOPILOT): ArduPilot keeps its home in item 0.
FIRMWARE_ARDUPILOT = 3


@dataclass(frozen=True)
class MissionFile:
    """A mission read from a file.

    Attributes
    ----------
    path
        The file read.
    kind
        ``"waypoints"`` or ``"plan"``.
    items
        The items to upload, in order (item ``i`` goes as sequence number ``i``).
    home_inserted
        True when item 0 is a ``.plan``'s planned home, added for ArduPilot.
    """

    path: Path
    kind: str
    items: tuple[MissionItem, ...]
    home_inserted: bool = False

    def describe(self) -> str:
        """One line: ``"12 items from m.plan (QGroundControl plan; item 0 = planned home)"``."""
        what = MISSION_FILE_KINDS[f".{self.kind}"]
        home = "; item 0 = planned home, for ArduPilot" if self.home_inserted else ""
        return f"{len(self.items)} items from {self.path.name} ({what}{home})"


def read_mission_file(path: str | Path) -> MissionFile:
    """Read a ``.waypoints`` or ``.plan`` file, chosen by its ending.

    Raises
    ------
    BadFileError
        If the ending is neither, or the file is missing, malformed or holds no item.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".waypoints":
        return MissionFile(p, "waypoints", tuple(read_waypoints(p)))
    if suffix == ".plan":
        items, home = _read_plan(p)
        return MissionFile(p, "plan", tuple(items), home_inserted=home)
    accepted = ", ".join(f"{k} ({v})" for k, v in MISSION_FILE_KINDS.items())
    raise BadFileError(
        f"{p}: unknown mission file type {suffix or '(no ending)'!r}; use {accepted}"
    )


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise BadFileError(f"{path}: no such file")


def read_waypoints(path: str | Path) -> list[MissionItem]:
    """Read a ``QGC WPL 110`` file with pymavlink's ``MAVWPLoader``.

    Parameters
    ----------
    path
        The file: a ``QGC WPL 110`` header line, then ``index current frame command p1 p2
        p3 p4 lat lon alt autocontinue`` per item (degrees, metres).

    Returns
    -------
    list of MissionItem
        Every line, in file order (``mavwp`` renumbers them 0, 1, ...).

    Raises
    ------
    BadFileError
        If the file is missing, not ``QGC WPL 110``, has a malformed line, or no item.
    """
    from pymavlink import mavwp

    p = Path(path)
    _check_readable(p)
    try:
        header = p.read_text(encoding="utf-8").split("\n", 1)[0].strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadFileError(f"{p}: cannot read it as text ({exc})") from exc
    if header != "QGC WPL 110":
        raise BadFileError(
            f"{p}: first line is {header[:40]!r}, not 'QGC WPL 110'; not a waypoints file"
        )
    loader = mavwp.MAVWPLoader()
    try:
        loader.load(str(p))
    except (mavwp.MAVWPError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise BadFileError(f"{p}: malformed waypoints file: {exc}") from exc
    items = []
    for i in range(loader.count()):
        w = loader.wp(i)
        items.append(
            MissionItem(
                command=int(w.command),
                frame=int(w.frame),
                params=(float(w.param1), float(w.param2), float(w.param3), float(w.param4)),
                lat=float(w.x),
                lon=float(w.y),
                alt=float(w.z),
                autocontinue=bool(w.autocontinue),
            )
        )
    if not items:
        raise BadFileError(f"{p}: the waypoints file holds no mission item")
    return items


def read_plan(path: str | Path) -> list[MissionItem]:
    """Read the items of a QGroundControl ``.plan``, as they go to the vehicle.

    Parameters
    ----------
    path
        A ``.plan`` JSON file (``fileType`` ``"Plan"``). Each ``SimpleItem`` gives
        ``command``, ``frame``, ``autoContinue`` and seven ``params``: p1-p4, latitude,
        longitude (degrees) and altitude (metres, relative to ``frame``). A ``null`` p1-p4
        (QGroundControl's NaN, "use the default") becomes NaN; a ``null`` position is 0.

    Returns
    -------
    list of MissionItem
        For ArduPilot (``firmwareType`` 3), ``plannedHomePosition`` as item 0
        (NAV_WAYPOINT, frame GLOBAL, altitude above mean sea level), then the items.

    Raises
    ------
    BadFileError
        If the file is missing, not valid JSON, not a plan, holds a complex item
        (survey, corridor scan, structure scan) or no item at all.
    """
    return _read_plan(Path(path))[0]


def _read_plan(p: Path) -> tuple[list[MissionItem], bool]:
    _check_readable(p)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadFileError(f"{p}: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise BadFileError(f"{p}: not a QGroundControl plan (no \"fileType\": \"Plan\")")
    mission = doc.get("mission")
    raw_items = mission.get("items") if isinstance(mission, dict) else None
    if not isinstance(raw_items, list):
        raise BadFileError(f"{p}: the plan has no mission.items list")
    items = [_plan_item(p, i, raw) for i, raw in enumerate(raw_items)]
    if not items:
        raise BadFileError(f"{p}: the plan holds no mission item")
    home_inserted = False
    if mission.get("firmwareType") == FIRMWARE_ARDUPILOT:
        home = mission.get("plannedHomePosition")
        if not (isinstance(home, list) and len(home) == 3 and all(_is_number(v) for v in home)):
            raise BadFileError(
                f"{p}: an ArduPilot plan needs plannedHomePosition [lat, lon, alt]; "
                "ArduPilot takes item 0 as home"
            )
        lat, lon, alt = (float(v) for v in home)
        items.insert(
            0, MissionItem(Command.NAV_WAYPOINT, Frame.GLOBAL, lat=lat, lon=lon, alt=alt)
        )
        home_inserted = True
    return items, home_inserted


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plan_item(p: Path, index: int, raw: Any) -> MissionItem:
    where = f"{p}: mission item {index}"
    if not isinstance(raw, dict):
        raise BadFileError(f"{where} is not an object")
    kind = raw.get("type")
    if kind != "SimpleItem":
        raise BadFileError(
            f"{where} is a {kind!r}; only SimpleItem is read (turn surveys and scans into "
            "waypoints in QGroundControl first)"
        )
    params = raw.get("params")
    command, frame = raw.get("command"), raw.get("frame")
    if not (isinstance(command, int) and isinstance(frame, int)):
        raise BadFileError(f"{where}: command and frame must be integers")
    if not (
        isinstance(params, list)
        and len(params) == 7
        and all(v is None or _is_number(v) for v in params)
    ):
        raise BadFileError(f"{where}: params must be a list of 7 numbers or nulls")
    values = [math.nan if v is None else float(v) for v in params]
    lat, lon, alt = (0.0 if math.isnan(v) else v for v in values[4:])
    return MissionItem(
        command=command,
        frame=frame,
        params=(values[0], values[1], values[2], values[3]),
        lat=lat,
        lon=lon,
        alt=alt,
        autocontinue=bool(raw.get("autoContinue", True)),
    )
