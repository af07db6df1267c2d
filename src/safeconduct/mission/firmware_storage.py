"""What an autopilot keeps of a mission item: the rules its own source code applies.

An autopilot does not store the ``MISSION_ITEM_INT`` it is sent; it converts each item to
its own record and, when the mission is read back, converts that record back into a
message. Whatever the record has no room for is changed on the way. Comparing a read-back
with what was *sent* therefore reports differences that are only the firmware's storage;
:func:`safeconduct.mission.transfer.compare_missions` compares it with what the firmware
*keeps* of what was sent, as computed here, so that only a real change is reported.

Each rule below is written from the firmware function that applies it:

ArduPilot (``libraries/AP_Mission/AP_Mission.cpp``)
    ``AP_Mission::mavlink_int_to_mission_cmd`` stores an item as a ``Mission_Command``
    (a 16-bit ``p1`` and 12 bytes of ``content``); ``AP_Mission::mission_cmd_to_mavlink_int``
    builds the message sent back. See :func:`ardupilot_keeps`.
PX4 (``src/modules/mavlink/mavlink_mission.cpp``)
    ``MavlinkMissionManager::parse_mavlink_mission_item`` stores a ``mission_item_s``;
    ``MavlinkMissionManager::format_mavlink_mission_item`` builds the message sent back.
    See :func:`px4_keeps`.
Any other vehicle
    Assumed to echo the message: params and altitude as float32, latitude and longitude
    as degrees x 1e7 (MAVSDK's ``MissionRawServer`` does). See :func:`echo_keeps`.

Numbers are converted as the C++ code converts them: float32 arithmetic, and a float
assigned to an integer field truncated toward zero (``127.5`` s of loiter becomes
``127``). No I/O and no MAVLink library here: commands and frames are MAVLink numbers.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace

from safeconduct.mission.items import MissionItem

# MAV_CMD numbers (MAVLink common.xml) the rules name.
NAV_WAYPOINT = 16
NAV_LOITER_UNLIM = 17
NAV_LOITER_TURNS = 18
NAV_LOITER_TIME = 19
NAV_RETURN_TO_LAUNCH = 20
NAV_LAND = 21
NAV_TAKEOFF = 22
NAV_CONTINUE_AND_CHANGE_ALT = 30
NAV_LOITER_TO_ALT = 31
NAV_SPLINE_WAYPOINT = 82
NAV_GUIDED_ENABLE = 92
NAV_DELAY = 93
NAV_PAYLOAD_PLACE = 94
CONDITION_DELAY = 112
CONDITION_DISTANCE = 114
CONDITION_YAW = 115
DO_JUMP = 177
DO_CHANGE_SPEED = 178
DO_SET_HOME = 179
DO_SET_RELAY = 181
DO_SET_SERVO = 183
DO_LAND_START = 189
DO_GO_AROUND = 191
DO_SET_ROI_LOCATION = 195
DO_SET_ROI_NONE = 197
DO_SET_ROI = 201
DO_GRIPPER = 211
NAV_VTOL_TAKEOFF = 84
NAV_VTOL_LAND = 85

# MAV_FRAME numbers.
GLOBAL = 0
MISSION = 2
GLOBAL_RELATIVE_ALT = 3
GLOBAL_INT = 5
GLOBAL_RELATIVE_ALT_INT = 6
GLOBAL_TERRAIN_ALT = 10
GLOBAL_TERRAIN_ALT_INT = 11

#: The deprecated ``*_INT`` frames mean the same as the plain ones (PX4 answers with them,
#: ArduPilot with the plain ones).
FRAME_ALIASES = {
    GLOBAL_INT: GLOBAL,
    GLOBAL_RELATIVE_ALT_INT: GLOBAL_RELATIVE_ALT,
    GLOBAL_TERRAIN_ALT_INT: GLOBAL_TERRAIN_ALT,
}

# MAV_AUTOPILOT numbers of a HEARTBEAT.
AUTOPILOT_ARDUPILOT = 3
AUTOPILOT_PX4 = 12


def same_frame(a: int, b: int) -> bool:
    """Whether two MAV_FRAME numbers mean the same frame (``6`` and ``3`` do)."""
    return FRAME_ALIASES.get(int(a), int(a)) == FRAME_ALIASES.get(int(b), int(b))


# ----------------------------------------------------------------------------- C numbers


def float32(value: float) -> float:
    """``value`` as the float32 a MAVLink field holds (overflow gives infinity)."""
    if math.isnan(value) or math.isinf(value):
        return float(value)
    if abs(value) >= 3.4028235677973366e38:  # past FLT_MAX's rounding boundary
        return math.copysign(math.inf, value)
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def c_int(value: float, bits: int, *, signed: bool) -> int:
    """A float assigned to a C integer field of ``bits`` bits, as compiled for x86 and ARM.

    Truncates toward zero (C's conversion); values an ``int32`` cannot hold, NaN and
    infinities become ``INT32_MIN`` first (the x86 "indefinite integer"), then the value
    is narrowed to ``bits`` bits, two's complement.
    """
    if math.isnan(value) or math.isinf(value) or not -(2.0**31) < value < 2.0**31:
        whole = -(2**31)
    else:
        whole = math.trunc(value)
    whole &= (1 << bits) - 1
    if signed and whole >= 1 << (bits - 1):
        whole -= 1 << bits
    return whole


def _u8(v: float) -> float:
    return float(c_int(v, 8, signed=False))


def _i8(v: float) -> float:
    return float(c_int(v, 8, signed=True))


def _u16(v: float) -> float:
    return float(c_int(v, 16, signed=False))


# ----------------------------------------------------------------------------- ArduPilot

#: ``AP_Mission::stored_in_location``: the commands whose position ArduPilot keeps; every
#: other command is read back with latitude, longitude and altitude 0 and frame 0.
#: ``DO_SET_ROI_LOCATION`` is listed by the ArduPilot versions that accept it in missions
#: (ArduCopter's ``do_roi`` reads its ``content.location``); older ones refuse it.
ARDUPILOT_LOCATION_COMMANDS = frozenset(
    {
        NAV_WAYPOINT,
        NAV_LOITER_UNLIM,
        NAV_LOITER_TURNS,
        NAV_LOITER_TIME,
        NAV_LAND,
        NAV_TAKEOFF,
        NAV_CONTINUE_AND_CHANGE_ALT,
        NAV_LOITER_TO_ALT,
        NAV_SPLINE_WAYPOINT,
        NAV_GUIDED_ENABLE,
        DO_SET_HOME,
        DO_LAND_START,
        DO_GO_AROUND,
        DO_SET_ROI,
        DO_SET_ROI_LOCATION,
        NAV_VTOL_TAKEOFF,
        NAV_VTOL_LAND,
        NAV_PAYLOAD_PLACE,
    }
)


def _ardupilot_params(item: MissionItem) -> tuple[float, float, float, float] | None:
    """param1-4 as ``mission_cmd_to_mavlink_int`` sends back what
    ``mavlink_int_to_mission_cmd`` stored (ArduCopter's build), in the ``Mission_Command``
    content structs of ``AP_Mission.h``; None for a command not written down here."""
    p1, p2, p3, p4 = (float32(p) for p in item.params)
    cmd = int(item.command)
    if cmd in (
        NAV_WAYPOINT,
        NAV_TAKEOFF,
        NAV_SPLINE_WAYPOINT,
        NAV_GUIDED_ENABLE,
        NAV_CONTINUE_AND_CHANGE_ALT,
        DO_SET_HOME,
        DO_SET_ROI,
    ):
        # cmd.p1 = packet.param1 (uint16_t: hold seconds, minimum pitch, ...); the other
        # params have no room in the record and are sent back as 0.
        return (_u16(p1), 0.0, 0.0, 0.0)
    if cmd == NAV_LOITER_UNLIM:
        # cmd.p1 = fabsf(param3) (radius, uint16_t), loiter_ccw = param3 < 0;
        # sent back as param3 = p1, negated when counter-clockwise.
        radius = _u16(abs(p3))
        return (0.0, 0.0, -radius if p3 < 0 else radius, 0.0)
    if cmd == NAV_LOITER_TIME:
        # cmd.p1 = param1: whole seconds (uint16_t); loiter_ccw = param3 < 0;
        # loiter_xtrack = param4 > 0. Sent back: param3 = -1 or 1 (the turn direction,
        # never the radius), param4 = 0 or 1.
        return (_u16(p1), 0.0, -1.0 if p3 < 0 else 1.0, 1.0 if p4 > 0 else 0.0)
    if cmd == NAV_RETURN_TO_LAUNCH or cmd in (
        DO_SET_ROI_LOCATION,
        DO_LAND_START,
        DO_GO_AROUND,
        NAV_VTOL_TAKEOFF,
    ):
        return (0.0, 0.0, 0.0, 0.0)
    if cmd == NAV_LAND:
        # cmd.p1 = param1 (abort altitude, uint16_t); loiter_ccw = param4 < 0 unless NaN;
        # sent back: param4 = -1 when counter-clockwise, else 1.
        ccw = not math.isnan(p4) and p4 < 0
        return (_u16(p1), 0.0, 0.0, -1.0 if ccw else 1.0)
    if cmd == NAV_DELAY:
        # Navigation_Delay_Command: float seconds; int8_t hour, minute, second (UTC).
        return (p1, _i8(p2), _i8(p3), _i8(p4))
    if cmd in (CONDITION_DELAY, CONDITION_DISTANCE):
        return (p1, 0.0, 0.0, 0.0)  # float seconds / metres
    if cmd == CONDITION_YAW:
        # Yaw_Command: float angle_deg, float turn_rate_dps, int8_t direction,
        # uint8_t relative_angle.
        return (p1, p2, _i8(p3), _u8(p4))
    if cmd == DO_JUMP:
        # Jump_Command: uint16_t target, int16_t num_times.
        return (_u16(p1), float(c_int(p2, 16, signed=True)), 0.0, 0.0)
    if cmd == DO_CHANGE_SPEED:
        # Change_Speed_Command: uint8_t speed_type, float target_ms, float throttle_pct.
        return (_u8(p1), p2, p3, 0.0)
    if cmd in (DO_SET_SERVO, DO_SET_RELAY):
        # Set_Servo_Command: uint8_t channel, uint16_t pwm (relay: uint8_t num, state).
        return (_u8(p1), _u16(p2) if cmd == DO_SET_SERVO else _u8(p2), 0.0, 0.0)
    if cmd == DO_GRIPPER:
        # Gripper_Command: uint8_t num, uint8_t action (0 release, 1 grab).
        return (_u8(p1), _u8(p2), 0.0, 0.0)
    return None


def ardupilot_altitude(alt_m: float) -> float:
    """The altitude ArduPilot sends back, metres: whole centimetres, in float32.

    ``mavlink_int_to_mission_cmd``: ``location.alt = packet.z * 100.0f`` (an ``int32``
    bit field: truncated toward zero, so 19.21 m is kept as 1920 cm);
    ``mission_cmd_to_mavlink_int`` sends back ``location.alt`` times ``0.01f`` in float32:
    19.1999989 m, the value ArduCopter 4.6 sent back in the flight of issue 19 (76.52 m
    came back as 76.5099945). An older source divides by ``100.0f``, which would give
    19.2000008 and 76.5100021; both are within the comparison's half centimetre.
    """
    centimetres = c_int(float32(float32(alt_m) * 100.0), 32, signed=True)
    return float32(centimetres * float32(0.01))


def ardupilot_keeps(item: MissionItem) -> MissionItem:
    """The item as ArduPilot (ArduCopter) sends it back after storing it.

    * Commands with a position (:data:`ARDUPILOT_LOCATION_COMMANDS`) keep latitude and
      longitude to 1e-7 degree and the altitude in whole centimetres
      (:func:`ardupilot_altitude`); the frame comes back as 3 (relative: frames 3, 6),
      10 (terrain: 10, 11) or 0 (frames 0, 2, 5).
    * Every other command (``DO_*``, ``CONDITION_*``, ``NAV_DELAY``,
      ``NAV_RETURN_TO_LAUNCH``) comes back with frame 0 and position 0, 0, 0 m.
    * Params: see ``_ardupilot_params`` — whole seconds of loiter and hold, a loiter's
      param3 as the turn direction (0 becomes 1), integer fields truncated, params the
      record has no room for sent back as 0. Commands not written down here keep their
      params as float32.
    * ``autocontinue`` always comes back as 1 (ArduPilot ignores it).
    """
    cmd = int(item.command)
    params = _ardupilot_params(item)
    if params is None:
        params = tuple(float32(p) for p in item.params)  # type: ignore[assignment]
    if cmd in ARDUPILOT_LOCATION_COMMANDS:
        base = FRAME_ALIASES.get(int(item.frame), int(item.frame))
        frame = base if base in (GLOBAL_RELATIVE_ALT, GLOBAL_TERRAIN_ALT) else GLOBAL
        lat, lon = round(item.lat * 1e7) / 1e7, round(item.lon * 1e7) / 1e7
        alt = ardupilot_altitude(item.alt)
    else:
        frame, lat, lon, alt = GLOBAL, 0.0, 0.0, 0.0
    return MissionItem(cmd, frame, params, lat=lat, lon=lon, alt=alt, autocontinue=True)


# ----------------------------------------------------------------------------- PX4

#: Commands PX4 stores with a position (``parse_mavlink_mission_item``, frames 0, 3, 5, 6).
PX4_POSITION_COMMANDS = frozenset(
    {
        NAV_WAYPOINT,
        NAV_LOITER_UNLIM,
        NAV_LOITER_TIME,
        NAV_LAND,
        NAV_TAKEOFF,
        NAV_LOITER_TO_ALT,
        DO_SET_ROI_LOCATION,
        NAV_VTOL_TAKEOFF,
        NAV_VTOL_LAND,
    }
)


def _px4_yaw(deg: float) -> float:
    """``math::degrees(wrap_2pi(math::radians(param4)))``: 0 to 360 degrees; NaN stays."""
    if math.isnan(deg) or math.isinf(deg):
        return math.nan
    return float32(math.fmod(math.fmod(deg, 360.0) + 360.0, 360.0))


def px4_keeps(item: MissionItem) -> MissionItem:
    """The item as PX4 sends it back after storing it.

    * A command with a position, in frame 0, 3, 5 or 6: latitude and longitude kept as
      ``double`` degrees (``x * 1e-7``, sent back as ``round(lat * 1e7)``), altitude as
      float32, frame sent back as 5 or 6 (the ``*_INT`` forms of 0 and 3). Params:
      ``NAV_WAYPOINT`` keeps param1 (hold seconds, float), param2 (acceptance radius) and
      param4 (yaw, wrapped to 0-360 degrees); ``NAV_LOITER_UNLIM`` param3 and the yaw;
      ``NAV_LOITER_TIME`` param1 (float seconds), param2 and param4 as 0 or 1 and param3;
      ``NAV_TAKEOFF`` only the yaw; ``NAV_LAND`` param2 and the yaw; the rest come back 0.
    * Frame 2 (no position): params, x, y and z kept as float32, frame 2.
    * What PX4 refuses (frame 10, a ``NAV_RETURN_TO_LAUNCH`` or ``CONDITION_YAW`` outside
      frame 2, ...) is not written down: the upload fails before any read-back.
    """
    cmd, frame = int(item.command), int(item.frame)
    p1, p2, p3, p4 = (float32(p) for p in item.params)
    if frame in (GLOBAL, GLOBAL_RELATIVE_ALT, GLOBAL_INT, GLOBAL_RELATIVE_ALT_INT) and (
        cmd in PX4_POSITION_COMMANDS
    ):
        relative = frame in (GLOBAL_RELATIVE_ALT, GLOBAL_RELATIVE_ALT_INT)
        params: tuple[float, float, float, float]
        if cmd == NAV_WAYPOINT:
            params = (p1, p2, 0.0, _px4_yaw(p4))
        elif cmd == NAV_LOITER_UNLIM:
            params = (0.0, 0.0, p3, _px4_yaw(p4))
        elif cmd == NAV_LOITER_TIME:
            params = (p1, 1.0 if p2 > 0 else 0.0, p3, 1.0 if p4 > 0 else 0.0)
        elif cmd == NAV_LAND:
            params = (0.0, _u8(p2), 0.0, _px4_yaw(p4))
        elif cmd in (NAV_TAKEOFF, NAV_VTOL_TAKEOFF, NAV_VTOL_LAND):
            params = (0.0, 0.0, 0.0, _px4_yaw(p4))
        elif cmd == NAV_LOITER_TO_ALT:
            params = (1.0 if p1 > 0 else 0.0, p2, 0.0, 1.0 if p4 > 0 else 0.0)
        else:  # DO_SET_ROI_LOCATION: no params kept
            params = (0.0, 0.0, 0.0, 0.0)
        return MissionItem(
            cmd,
            GLOBAL_RELATIVE_ALT_INT if relative else GLOBAL_INT,
            params,
            lat=round(item.lat * 1e7) / 1e7,
            lon=round(item.lon * 1e7) / 1e7,
            alt=float32(item.alt),
            autocontinue=item.autocontinue,
        )
    if frame == MISSION:
        # params[4], params[5] are floats: x and y pass through float32, then round().
        x, y = round(float32(round(item.lat * 1e7))), round(float32(round(item.lon * 1e7)))
        # DO_JUMP is kept as uint16 index and repeat count.
        params = (_u16(p1), _u16(p2), p3, p4) if cmd == DO_JUMP else (p1, p2, p3, p4)
        return MissionItem(
            cmd,
            MISSION,
            params,
            lat=x / 1e7,
            lon=y / 1e7,
            alt=float32(item.alt),
            autocontinue=item.autocontinue,
        )
    return echo_keeps(item)


# ----------------------------------------------------------------------------- any vehicle


def echo_keeps(item: MissionItem) -> MissionItem:
    """The item as a vehicle that echoes the message sends it back: float32 params and
    altitude, degrees to 1e-7 (MAVSDK's ``MissionRawServer``)."""
    return replace(
        item,
        params=tuple(float32(p) for p in item.params),  # type: ignore[arg-type]
        lat=round(item.lat * 1e7) / 1e7,
        lon=round(item.lon * 1e7) / 1e7,
        alt=float32(item.alt),
    )


@dataclass(frozen=True)
class StorageRule:
    """How one kind of vehicle keeps a mission, and how closely a read-back must match.

    Attributes
    ----------
    name
        Who keeps it this way, for messages (``"ArduPilot"``).
    keeps
        The item as this vehicle sends it back.
    alt_tolerance_m
        Largest altitude difference, metres, that is no change: half of the firmware's
        quantum (ArduPilot keeps centimetres), or 1 cm for a vehicle we know nothing of.
    angle_params
        ``command -> param indexes (0-3)`` compared as angles, modulo 360 degrees, within
        ``angle_tolerance_deg`` (PX4 converts yaw to radians and back in float32).
    """

    name: str
    keeps: Callable[[MissionItem], MissionItem]
    alt_tolerance_m: float
    angle_params: dict[int, tuple[int, ...]]
    angle_tolerance_deg: float = 1e-3


#: Quantum of latitude and longitude in ``MISSION_ITEM_INT``: 1e-7 degree (about 1.1 cm).
LATLON_QUANTUM_DEG = 1e-7

ARDUPILOT = StorageRule("ArduPilot", ardupilot_keeps, 0.005, {})
PX4 = StorageRule(
    "PX4",
    px4_keeps,
    0.001,
    {
        c: (3,)
        for c in (
            NAV_WAYPOINT,
            NAV_LOITER_UNLIM,
            NAV_LAND,
            NAV_TAKEOFF,
            NAV_VTOL_TAKEOFF,
            NAV_VTOL_LAND,
        )
    },
)
ECHO = StorageRule("MAVLink", echo_keeps, 0.01, {})


def storage_for(autopilot: int) -> StorageRule:
    """The storage rule for a vehicle whose HEARTBEAT says ``MAV_AUTOPILOT`` ``autopilot``."""
    return {AUTOPILOT_ARDUPILOT: ARDUPILOT, AUTOPILOT_PX4: PX4}.get(int(autopilot), ECHO)


__all__ = [
    "ARDUPILOT",
    "ARDUPILOT_LOCATION_COMMANDS",
    "ECHO",
    "FRAME_ALIASES",
    "LATLON_QUANTUM_DEG",
    "PX4",
    "StorageRule",
    "ardupilot_altitude",
    "ardupilot_keeps",
    "c_int",
    "echo_keeps",
    "float32",
    "px4_keeps",
    "same_frame",
    "storage_for",
]
