"""Read mission files: ``QGC WPL 110`` waypoints and QGroundControl ``.plan``.

The readers return the items exactly as they go to the vehicle (see
:mod:`safeconduct.adapters.mavlink.upload`), so that a ``.waypoints`` file and the ``.plan`` of the
same mission upload the same thing:

* ``.waypoints`` (``QGC WPL 110``, read with pymavlink's ``mavwp``): every line is an item,
  line 0 included; for ArduPilot that line is the home placeholder.
* ``.plan`` (QGroundControl JSON): the ``SimpleItem`` entries of ``mission.items``. A plan
  never lists the home position among its items; for ArduPilot (``firmwareType`` 3)
  QGroundControl sends ``plannedHomePosition`` as item 0, and so do we.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from safeconduct.adapters.formats.qgc_plan import read_qgc_plan
from safeconduct.adapters.formats.qgc_wpl import read_wpl
from safeconduct.errors import BadFileError
from safeconduct.mission.items import Command, Frame, MissionItem
from safeconduct.mission.transfer import MISSION_FILE_KINDS, MissionFile


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
    """Read a ``QGC WPL 110`` file (every line, home line included) for upload.

    See :func:`safeconduct.adapters.formats.qgc_wpl.read_wpl`; this adds the checks an upload
    needs: the file exists and holds at least one item.

    Raises
    ------
    BadFileError
        If the file is missing, not ``QGC WPL 110``, has a malformed line, or no item.
    """
    p = Path(path)
    _check_readable(p)
    items = read_wpl(p)
    if not items:
        raise BadFileError(f"{p}: the waypoints file holds no mission item")
    return items


def read_plan(path: str | Path) -> list[MissionItem]:
    """Read the items of a QGroundControl ``.plan``, as they go to the vehicle.

    Parameters
    ----------
    path
        A ``.plan`` JSON file (``fileType`` ``"Plan"``), read by
        :func:`safeconduct.adapters.formats.qgc_plan.read_qgc_plan`. A ``null`` p1-p4
        (QGroundControl's NaN, "use the default") stays NaN; a ``null`` position becomes 0,
        which ``MISSION_ITEM_INT`` can carry.

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
    plan = read_qgc_plan(p)
    items = [_position_or_zero(it) for it in plan.items]
    if not items:
        raise BadFileError(f"{p}: the plan holds no mission item")
    if plan.firmware != "ardupilot":
        return items, False
    lat, lon, alt = plan.home
    home = MissionItem(Command.NAV_WAYPOINT, Frame.GLOBAL, lat=lat, lon=lon, alt=alt)
    return [home, *items], True


def _position_or_zero(item: MissionItem) -> MissionItem:
    lat, lon, alt = (0.0 if math.isnan(v) else v for v in (item.lat, item.lon, item.alt))
    return dataclasses.replace(item, lat=lat, lon=lon, alt=alt)


class MissionFileReader:
    """:class:`~safeconduct.services.ports.MissionFiles` on ``.waypoints`` and ``.plan`` files."""

    def read_mission_file(self, path: str | Path) -> MissionFile:
        return read_mission_file(path)


__all__ = [
    "MISSION_FILE_KINDS",
    "MissionFile",
    "MissionFileReader",
    "read_mission_file",
    "read_plan",
    "read_waypoints",
]
