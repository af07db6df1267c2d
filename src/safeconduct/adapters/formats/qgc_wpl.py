"""The plain-text ``QGC WPL 110`` mission format, written and read with pymavlink's ``mavwp``.

One header line, then one tab-separated line per item::

    index  current  frame  command  p1  p2  p3  p4  lat  lon  alt  autocontinue

Latitude and longitude are degrees, altitude metres relative to ``frame``. The lines are
exactly what the MAVLink mission protocol uploads, in order:

- ArduPilot keeps home as mission item 0, so its file starts with the home position
  (``NAV_WAYPOINT``, frame 0 = ``GLOBAL``, altitude above mean sea level, ``current`` 1);
  the vehicle overwrites it with its real home when it arms.
- PX4 keeps home apart, so its file starts with the first real item (take-off).

pymavlink writes numbers with ``%f`` (six decimals: 1e-6 degree is at most 11 cm), so
the planner rounds items to six decimals and a written file reads back identically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from safeconduct.adapters.files.atomic import atomic_path
from safeconduct.errors import BadFileError
from safeconduct.mission.items import MissionItem

HEADER = "QGC WPL 110"


def _loader() -> ModuleType:  # pymavlink takes a while to import; only the exporters need it
    from pymavlink import mavwp

    return mavwp


def write_wpl(
    path: str | os.PathLike[str],
    items: Sequence[MissionItem],
    *,
    home: MissionItem | None = None,
) -> Path:
    """Write a ``QGC WPL 110`` file atomically with ``mavwp.MAVWPLoader.save``.

    Parameters
    ----------
    path
        Output file (conventionally ``*.waypoints``).
    items
        The mission items, in order.
    home
        ArduPilot's item 0 (the home position), or None for PX4.

    Returns
    -------
    Path
        ``path``.
    """
    from pymavlink import mavutil

    mavwp = _loader()
    loader = mavwp.MAVWPLoader()
    rows = ([home] if home is not None else []) + list(items)
    for seq, it in enumerate(rows):
        loader.add(
            mavutil.mavlink.MAVLink_mission_item_message(
                0,
                0,
                seq,
                int(it.frame),
                int(it.command),
                1 if seq == 0 else 0,  # "current": the item the vehicle starts from
                int(bool(it.autocontinue)),
                *(float(p) for p in it.params),
                float(it.lat),
                float(it.lon),
                float(it.alt),
            )
        )
    with atomic_path(path) as tmp:
        loader.save(str(tmp))
    return Path(path)


def read_wpl(path: str | os.PathLike[str]) -> list[MissionItem]:
    """Read every line of a ``QGC WPL 110`` file with ``mavwp.MAVWPLoader.load``.

    Returns
    -------
    list of MissionItem
        In file order, home line included (item 0 of an ArduPilot file).

    Raises
    ------
    BadFileError
        The file is missing, not ``QGC WPL 110``, or has a malformed line.
    """
    mavwp = _loader()
    p = Path(path)
    try:
        first = p.read_text(encoding="utf-8").split("\n", 1)[0].strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadFileError(f"cannot read waypoints file {p}: {exc}") from exc
    if first != HEADER:
        raise BadFileError(f"{p}: first line is {first[:40]!r}, not {HEADER!r}")
    loader = mavwp.MAVWPLoader()
    try:
        loader.load(str(p))
    except (mavwp.MAVWPError, ValueError) as exc:
        raise BadFileError(f"{p}: malformed waypoints file: {exc}") from exc
    return [
        MissionItem(
            command=int(w.command),
            frame=int(w.frame),
            params=(float(w.param1), float(w.param2), float(w.param3), float(w.param4)),
            lat=float(w.x),
            lon=float(w.y),
            alt=float(w.z),
            autocontinue=bool(w.autocontinue),
        )
        for w in (loader.wp(i) for i in range(loader.count()))
    ]


__all__ = ["HEADER", "read_wpl", "write_wpl"]
