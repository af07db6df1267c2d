"""Mission items: the MAVLink mission vocabulary as plain values.

A :class:`MissionItem` is one row of a mission, exactly what ``MISSION_ITEM_INT`` carries
and what a QGroundControl ``SimpleItem`` or a ``QGC WPL 110`` line holds. The planner
builds lists of them; the exporters and the uploader read them. No I/O here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import IntEnum

#: Decimal places kept in mission items: what ``QGC WPL 110`` holds (pymavlink writes
#: ``%f``); 1e-6 degree is at most 11 cm. Items are rounded once, by the planner, so that
#: every export and every read-back holds exactly the same numbers.
ITEM_DECIMALS = 6


class Command(IntEnum):
    """MAV_CMD values a leading mission uses (MAVLink common.xml)."""

    NAV_WAYPOINT = 16  # p1 = hold seconds, p4 = yaw (PX4)
    NAV_LOITER_UNLIM = 17  # loiter until the ground station sets the next item
    NAV_LOITER_TIME = 19  # p1 = seconds
    NAV_RETURN_TO_LAUNCH = 20
    NAV_TAKEOFF = 22
    NAV_DELAY = 93  # p1 = seconds
    CONDITION_YAW = 115  # p1 = heading deg, p2 = rate deg/s, p3 = dir, p4 = relative
    DO_CHANGE_SPEED = 178  # p1 = speed type (1 = ground), p2 = m/s, p3 = throttle (-1)
    DO_SET_SERVO = 183  # p1 = channel, p2 = PWM microseconds
    DO_SET_ROI_LOCATION = 195
    DO_GRIPPER = 211  # p1 = gripper number, p2 = 0 release / 1 grab


class Frame(IntEnum):
    """MAV_FRAME values used in missions."""

    GLOBAL = 0  # altitude above mean sea level
    MISSION = 2  # no position (DO_ and CONDITION_ commands)
    GLOBAL_RELATIVE_ALT = 3  # altitude above the home position
    GLOBAL_TERRAIN_ALT = 10  # altitude above terrain (needs terrain data on the vehicle)


#: Commands that carry a position (lat, lon, alt); the others use the MISSION frame.
NAV_COMMANDS = frozenset(
    {
        Command.NAV_WAYPOINT,
        Command.NAV_LOITER_UNLIM,
        Command.NAV_LOITER_TIME,
        Command.NAV_RETURN_TO_LAUNCH,
        Command.NAV_TAKEOFF,
        Command.DO_SET_ROI_LOCATION,
    }
)


@dataclass(frozen=True)
class MissionItem:
    """One mission item.

    Attributes
    ----------
    command
        The MAV_CMD number (see :class:`Command`).
    frame
        The MAV_FRAME number (see :class:`Frame`).
    params
        param1 to param4, as the command defines them.
    lat, lon
        WGS84 degrees (0 where the command has no position).
    alt
        Metres, relative to what ``frame`` says.
    autocontinue
        Go on to the next item when this one completes.
    """

    command: int
    frame: int = Frame.GLOBAL_RELATIVE_ALT
    params: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    lat: float = 0.0
    lon: float = 0.0
    alt: float = 0.0
    autocontinue: bool = True

    def __post_init__(self) -> None:
        if len(self.params) != 4:
            raise ValueError("a mission item has exactly four params (param1-param4)")


def whole_seconds(seconds: float) -> float:
    """``seconds`` rounded up to a whole second, as a float (``0.0`` for none).

    ArduPilot keeps loiter and hold times in whole seconds (``AP_Mission`` stores
    ``NAV_LOITER_TIME`` and waypoint holds as integers), so every file writes them whole;
    up, because a hold or a wait that lasts a little longer never leaves the person
    unguided sooner.
    """
    return float(math.ceil(round(max(seconds, 0.0), 6)))


def round_value(value: float) -> float:
    """``value`` rounded to :data:`ITEM_DECIMALS` places (never ``-0.0``)."""
    return round(float(value), ITEM_DECIMALS) + 0.0  # + 0.0: no "-0.0"


def round_item(item: MissionItem) -> MissionItem:
    """``item`` with its params, latitude, longitude and altitude rounded (see above)."""
    return replace(
        item,
        params=tuple(round_value(p) for p in item.params),  # type: ignore[arg-type]
        lat=round_value(item.lat),
        lon=round_value(item.lon),
        alt=round_value(item.alt),
    )
