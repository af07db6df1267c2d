"""An ArduCopter stand-in that speaks MAVLink 2 over UDP on 127.0.0.1, for tests and rehearsals.

:class:`SimulatedCopter` is a vehicle, not a flight model: a point mass that flies the way
ArduCopter's GUIDED mode and failsafes decide, so that a ground station (our
:mod:`safeconduct.adapters.mavlink.guided` adapter, ``safeconduct lead``) can be checked from
the vehicle's side. Every rule names the ArduPilot source it follows (ArduPilot/ardupilot,
master as of 2025; paths relative to the repository root):

* Heartbeat: ``ArduCopter/GCS_MAVLink_Copter.cpp`` ``GCS_MAVLINK_Copter::base_mode`` /
  ``GCS_Copter::custom_mode`` / ``vehicle_system_status``: ``MAV_TYPE_QUADROTOR``,
  ``MAV_AUTOPILOT_ARDUPILOTMEGA``, ``custom_mode`` = the copter mode number (GUIDED 4, LOITER 5,
  RTL 6, LAND 9, ... as pymavlink's ``mode_mapping_acm``), ``MAV_STATE_CRITICAL`` during a
  failsafe, ``MAV_STATE_STANDBY`` when landed.
* ``SET_POSITION_TARGET_GLOBAL_INT``:
  ``GCS_MAVLINK_Copter::handle_message_set_position_target_global_int``: ignored unless the
  mode is GUIDED; ``pos_ignore``/``vel_ignore``/``acc_ignore`` are true when *any* bit of
  their group is set; force with acceleration, an unknown frame, a bad lat/lon or a velocity
  that is NaN or over 1000 m/s "stops" the vehicle (``ModeGuided::init``: velocity control at
  zero); position + velocity -> ``ModeGuided::set_destination_posvel``; velocity only
  -> ``set_velaccel``; position only -> ``set_destination``; a terrain frame with velocity is
  refused. Accepted frames: ``mavlink_coordinate_frame_to_location_alt_frame``
  (GLOBAL/GLOBAL_INT absolute, GLOBAL_RELATIVE_ALT(_INT) above home; the terrain frames are
  refused here: the simulator has no terrain database).
* Fence: ``ModeGuided::set_destination_posvelaccel`` / ``set_destination`` reject a destination
  for which ``AC_Fence::check_destination_within_fence`` fails (``libraries/AC_Fence/AC_Fence.cpp``:
  above ``FENCE_ALT_MAX`` with the altitude fence, beyond ``FENCE_RADIUS`` from home with the
  circle fence, outside an inclusion / inside an exclusion zone with the polygon fence, all only
  while ``FENCE_ENABLE`` is set). The rejection is silent on the wire (the handler ignores the
  return value); the vehicle keeps its previous target. A vehicle already outside is breached
  (``AC_Fence::check``) and ``FENCE_ACTION`` is taken (``Copter::fence_check``, ``fence.cpp``).
  Fence zones arrive by the mission protocol with ``mission_type`` FENCE
  (``libraries/AC_Fence/AC_PolyFence_loader.cpp``): ``MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION``
  (5001, ``param1`` = vertex count), ``..._EXCLUSION`` (5002), circles 5003/5004 (``param1`` =
  radius, metres), return point 5000. Point-in-polygon as ``libraries/AP_Math/polygon.cpp``
  ``Polygon_outside``.
* GUIDED time-out: ``ArduCopter/mode_guided.cpp`` ``ModeGuided::posvelaccel_control_run`` /
  ``velaccel_control_run``: when no target came for ``GUID_TIMEOUT`` seconds
  (``ModeGuided::get_timeout_ms``, at least 0.1 s) the velocity target is zeroed, so the vehicle
  stops at the position target. Between targets the position target moves on with the velocity
  target (``AC_PosControl::input_pos_vel_accel_NE_cm`` advances the target it is given).
* Speed: ``ModeGuided::pva_control_start`` limits horizontal speed with ``WPNAV_SPEED`` and
  vertical with ``WPNAV_SPEED_UP`` / ``WPNAV_SPEED_DN`` (cm/s), acceleration with
  ``WPNAV_ACCEL`` (cm/s/s). Simplification: ArduCopter applies the speed limit to the
  correction towards the target (``set_correction_speed_accel_NE_cm``); the simulator applies it
  to the whole velocity (feed-forward + ``PSC_POSXY_P`` x position error), which is never faster.
* Echo: ``GCS_MAVLINK_Copter::send_position_target_local_ned`` sends
  ``POSITION_TARGET_LOCAL_NED`` in GUIDED (position and velocity in the position-velocity
  sub-mode, metres / m/s from the EKF origin, NED); ``send_position_target_global_int`` sends
  ``POSITION_TARGET_GLOBAL_INT`` (frame ``MAV_FRAME_GLOBAL``, AMSL, position only) only when
  ``ModeGuided::get_wp`` has a location, i.e. in the position-only sub-mode: a position +
  velocity target is echoed by ``POSITION_TARGET_LOCAL_NED`` alone. The EKF origin is home here
  (``GPS_GLOBAL_ORIGIN`` says so).
* GCS failsafe: ``ArduCopter/events.cpp`` ``Copter::failsafe_gcs_check``: only with
  ``FS_GCS_ENABLE`` != 0, only once a GCS was seen, and only ``HEARTBEAT`` from system
  ``SYSID_MYGCS`` (default 255) counts as seen (``GCS_MAVLINK::handle_heartbeat`` ->
  ``sysid_mygcs_seen``; RC overrides and ``MANUAL_CONTROL`` count too in ArduPilot, the
  simulator takes neither); after ``FS_GCS_TIMEOUT`` seconds ``failsafe_gcs_on_event`` takes
  the action of ``FS_GCS_ENABLE`` (1 RTL, 3/4 SmartRTL -> here RTL / LAND, 5 LAND, 6 RTL,
  7 brake -> here LAND), disarm if landed; the mode stays when contact returns.
  ``FS_OPTIONS`` is not simulated (its default, 0, changes nothing here). ArduPilot's
  default ``FS_GCS_ENABLE`` is 0 (off)!
* Battery: ``libraries/AP_BattMonitor/AP_BattMonitor_Backend.cpp`` ``update_failsafes``: low
  when the remaining capacity falls below ``BATT_LOW_MAH`` (critical ``BATT_CRT_MAH``), then
  ``Copter::handle_battery_failsafe`` (``events.cpp``) takes ``BATT_FS_LOW_ACT`` /
  ``BATT_FS_CRT_ACT`` (1 LAND, 2 RTL, 3 SmartRTL->RTL, 4 SmartRTL->LAND, 6 RTL, 7 LAND);
  the charge drains at a fixed rate while flying (``battery_drain_pct_per_s``).
* RTL: ``ArduCopter/mode_rtl.cpp``: climb to ``RTL_ALT`` (cm, or stay higher), return at
  ``RTL_SPEED`` (0 = ``WPNAV_SPEED``), loiter ``RTL_LOIT_TIME`` ms, land (``RTL_ALT_FINAL`` 0);
  LAND (``mode_land.cpp``) descends at ``LAND_SPEED`` below ``LAND_ALT_LOW`` and at
  ``LAND_SPEED_HIGH`` (0 = ``WPNAV_SPEED_DN``) above; touch-down disarms.
* Parameters: ``libraries/GCS_MAVLink/GCS_Param.cpp``: ``PARAM_REQUEST_READ`` by name or index
  answers ``PARAM_VALUE`` (an unknown name gets no answer), ``PARAM_REQUEST_LIST`` sends all,
  ``PARAM_SET`` stores and answers ``PARAM_VALUE``; values are floats, typed as ArduPilot declares.
* Modes: ``SET_MODE`` (``GCS_MAVLINK::handle_set_mode``) and ``COMMAND_LONG``
  ``MAV_CMD_DO_SET_MODE`` (``param2`` = custom mode), answered by ``COMMAND_ACK``;
  ``MAV_CMD_NAV_RETURN_TO_LAUNCH``, ``MAV_CMD_NAV_LAND``, ``MAV_CMD_NAV_LOITER_UNLIM``,
  ``MAV_CMD_COMPONENT_ARM_DISARM``, ``MAV_CMD_NAV_TAKEOFF`` (GUIDED, relative altitude),
  ``MAV_CMD_REQUEST_MESSAGE`` for ``HOME_POSITION``. Entering GUIDED stops the vehicle
  (``ModeGuided::init``: velocity control at zero).
* Telemetry (simulated seconds): ``HEARTBEAT`` and ``SYS_STATUS`` 1 Hz, ``GLOBAL_POSITION_INT``
  5 Hz, the target echo 4 Hz, ``HOME_POSITION`` / ``GPS_GLOBAL_ORIGIN`` every 2 s,
  ``MOUNT_STATUS`` and ``GIMBAL_DEVICE_ATTITUDE_STATUS`` (a fixed gimbal pitch) 1 Hz,
  ``STATUSTEXT`` on failsafes.

The link
--------
The simulator binds ``127.0.0.1:PORT`` (like ArduPilot SITL's ``udpin`` serial ports) and
answers whoever last sent it a packet. The ground side opens :attr:`SimulatedCopter.connection`,
``udpout:127.0.0.1:PORT``, and must send first (a heartbeat), as every GCS does.

Time
----
``time_scale`` > 1 runs the vehicle's clock (failsafe timers, physics, telemetry rates)
faster than the wall clock; every time this class takes or returns is simulated seconds since
:meth:`SimulatedCopter.start` (:meth:`SimulatedCopter.now`). Pair it with
:class:`safeconduct.adapters.clock.ScaledClock` of the same scale.
"""

from __future__ import annotations

import contextlib
import math
import select
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

#: Metres per degree of latitude: ArduPilot's ``LOCATION_SCALING_FACTOR`` (m per 1e-7 deg) x 1e7
#: (``libraries/AP_Common/Location.cpp``).
METRES_PER_DEGREE = 0.011131884502145034 * 1e7

#: ``name -> number`` of ArduCopter's flight modes (pymavlink's table of ``Mode::Number``).
COPTER_MODES: dict[str, int] = {name: number for number, name in mavutil.mode_mapping_acm.items()}

_INT8 = mavlink2.MAV_PARAM_TYPE_INT8
_INT16 = mavlink2.MAV_PARAM_TYPE_INT16
_INT32 = mavlink2.MAV_PARAM_TYPE_INT32
_REAL32 = mavlink2.MAV_PARAM_TYPE_REAL32

#: The parameters the simulator knows, with ArduCopter's defaults and declared types.
DEFAULT_PARAMS: dict[str, tuple[float, int]] = {
    "SYSID_THISMAV": (1, _INT16),
    "SYSID_MYGCS": (255, _INT16),
    "FENCE_ENABLE": (0, _INT8),
    "FENCE_TYPE": (7, _INT8),  # AC_FENCE_TYPE_ALT_MAX | CIRCLE | POLYGON
    "FENCE_ACTION": (1, _INT8),  # RTL or LAND
    "FENCE_ALT_MAX": (100.0, _REAL32),  # metres above home
    "FENCE_RADIUS": (300.0, _REAL32),  # metres
    "FENCE_MARGIN": (2.0, _REAL32),
    "FS_GCS_ENABLE": (0, _INT8),  # off by default in ArduCopter
    "FS_GCS_TIMEOUT": (5.0, _REAL32),  # seconds
    "FS_OPTIONS": (0, _INT32),
    "GUID_TIMEOUT": (3.0, _REAL32),  # seconds
    "GUID_OPTIONS": (0, _INT32),
    "WPNAV_SPEED": (1000.0, _REAL32),  # cm/s
    "WPNAV_SPEED_UP": (250.0, _REAL32),
    "WPNAV_SPEED_DN": (150.0, _REAL32),
    "WPNAV_ACCEL": (250.0, _REAL32),  # cm/s/s
    "PSC_POSXY_P": (1.0, _REAL32),
    "PSC_POSZ_P": (1.0, _REAL32),
    "RTL_ALT": (1500, _INT32),  # cm
    "RTL_SPEED": (0, _INT16),  # cm/s, 0 = WPNAV_SPEED
    "RTL_ALT_FINAL": (0, _INT32),
    "RTL_LOIT_TIME": (5000, _INT32),  # ms
    "LAND_SPEED": (50, _INT16),  # cm/s
    "LAND_SPEED_HIGH": (0, _INT16),
    "LAND_ALT_LOW": (1000, _INT16),  # cm
    "BATT_MONITOR": (4, _INT8),
    "BATT_CAPACITY": (5000, _INT32),  # mAh
    "BATT_LOW_MAH": (0, _INT32),
    "BATT_CRT_MAH": (0, _INT32),
    "BATT_FS_LOW_ACT": (0, _INT8),
    "BATT_FS_CRT_ACT": (0, _INT8),
}

#: What leading demands of a vehicle (``safeconduct lead``'s preflight): polygon + altitude fence
#: with RTL on breach, GCS failsafe (RTL after 5 s), battery failsafe (RTL at 20 %, LAND at
#: 10 % of 5000 mAh), guided speed 3 m/s.
SAFE_LEADING_PARAMS: dict[str, float] = {
    "FENCE_ENABLE": 1,
    "FENCE_TYPE": 1 | 4,  # maximum altitude + polygon (no 300 m circle around home)
    "FENCE_ACTION": 1,
    "FENCE_ALT_MAX": 120.0,
    "FS_GCS_ENABLE": 1,
    "FS_GCS_TIMEOUT": 5.0,
    "BATT_CAPACITY": 5000,
    "BATT_LOW_MAH": 1000,
    "BATT_CRT_MAH": 500,
    "BATT_FS_LOW_ACT": 2,
    "BATT_FS_CRT_ACT": 1,
    "WPNAV_SPEED": 300.0,
    "GUID_TIMEOUT": 3.0,
}

_POS_IGNORE = 0b111
_VEL_IGNORE = 0b111 << 3
_ACC_IGNORE = 0b111 << 6
_FORCE_SET = 1 << 9
_YAW_IGNORE = 1 << 10
_YAW_RATE_IGNORE = 1 << 11

#: Copter modes that hold a position, for the simulator (all others just hold too).
_FAILSAFE_ACTIONS = {1: "RTL", 2: "RTL", 3: "RTL", 4: "LAND", 5: "LAND", 6: "RTL", 7: "LAND"}
_BATT_ACTIONS = {1: "LAND", 2: "RTL", 3: "RTL", 4: "LAND", 6: "RTL", 7: "LAND"}
_FENCE_ACTIONS = {1: "RTL", 2: "LAND", 3: "RTL", 4: "LAND", 5: "LAND"}


@dataclass(frozen=True)
class CopterState:
    """The simulated vehicle as it is (not as telemetry says).

    ``time_s`` simulated seconds; ``lat``/``lon`` degrees; ``alt_rel_m`` metres above home;
    ``velocity_ned_ms`` m/s; ``heading_deg`` clockwise from north; ``battery_pct`` percent;
    ``failsafes`` the active ones (``"gcs"``, ``"battery"``, ``"fence"``).
    """

    time_s: float
    lat: float
    lon: float
    alt_rel_m: float
    alt_amsl_m: float
    velocity_ned_ms: tuple[float, float, float]
    heading_deg: float
    mode: str
    armed: bool
    battery_pct: float
    failsafes: tuple[str, ...]


@dataclass(frozen=True)
class ReceivedTarget:
    """One ``SET_POSITION_TARGET_GLOBAL_INT`` as the vehicle got it and what it did with it.

    ``time_s`` simulated seconds; ``lat``/``lon`` degrees; ``alt_m`` metres in ``frame``;
    ``alt_rel_m`` metres above home (None for an ignored position); ``velocity_ned_ms`` m/s;
    ``yaw_deg`` degrees; ``mode`` the flight mode when it came; ``outcome`` one of
    ``"posvel"``, ``"velocity"``, ``"position"`` (accepted), ``"ignored: not GUIDED"``,
    ``"refused: outside fence"``, ``"stopped: <why>"`` (invalid input, ``ModeGuided::init``).
    """

    time_s: float
    lat: float
    lon: float
    alt_m: float
    alt_rel_m: float | None
    frame: int
    type_mask: int
    velocity_ned_ms: tuple[float, float, float]
    yaw_deg: float
    mode: str
    outcome: str

    @property
    def accepted(self) -> bool:
        """Whether the vehicle took it as its new target."""
        return self.outcome in ("posvel", "velocity", "position")


@dataclass(frozen=True)
class ModeChange:
    """A flight-mode change: ``time_s`` simulated seconds, ``mode``, ``reason`` (``"gcs"``,
    ``"pilot"``, ``"gcs_failsafe"``, ``"battery_failsafe"``, ``"fence_breach"``, ``"landed"``)."""

    time_s: float
    mode: str
    reason: str


def _outside_polygon(point: tuple[float, float], vertices: Sequence[tuple[float, float]]) -> bool:
    """``libraries/AP_Math/polygon.cpp`` ``Polygon_outside``: even-odd crossing test.

    Points and vertices are ``(north, east)`` metres; the polygon need not be closed.
    """
    x, y = point
    inside = False
    n = len(vertices)
    for i in range(n):
        x1, y1 = vertices[i]
        x2, y2 = vertices[i - 1]
        if (y1 > y) == (y2 > y):
            continue
        dx1, dx2, dy1, dy2 = x - x1, x2 - x1, y - y1, y2 - y1
        # the sign test of Polygon_outside, written without the division
        if (dx1 * dy2 - dx2 * dy1 > 0) == (dy2 > 0):
            inside = not inside
    return not inside


class SimulatedCopter:
    """An ArduCopter in GUIDED on 127.0.0.1, for tests and ``rehearse --live`` (see module doc).

    Parameters
    ----------
    home
        ``(lat, lon, alt_amsl_m)``: home and EKF origin, degrees and metres.
    port
        UDP port on 127.0.0.1 to listen on; 0 picks a free one.
    params
        Parameters to set over ArduCopter's defaults (:data:`DEFAULT_PARAMS`); e.g.
        :data:`SAFE_LEADING_PARAMS`. Unknown names are added as floats.
    time_scale
        Simulated seconds per wall second (> 0).
    battery_drain_pct_per_s
        Battery percent used per simulated second while flying (default: a full pack in 40
        minutes).
    start_mode
        Flight mode at start (a name of :data:`COPTER_MODES`).
    armed
        Whether it starts armed and hovering at ``start_alt_rel_m``; disarmed starts landed.
    start_alt_rel_m
        Hover height above home at start, metres.
    gimbal_pitch_deg
        The camera's fixed pitch, degrees (negative looks down).
    battery_pct
        Charge at start, percent.
    """

    def __init__(
        self,
        *,
        home: tuple[float, float, float],
        port: int = 0,
        params: Mapping[str, float] | None = None,
        time_scale: float = 1.0,
        battery_drain_pct_per_s: float = 100.0 / 2400.0,
        start_mode: str = "GUIDED",
        armed: bool = True,
        start_alt_rel_m: float = 20.0,
        gimbal_pitch_deg: float = -45.0,
        battery_pct: float = 100.0,
    ) -> None:
        if not time_scale > 0:
            raise ValueError("time_scale must be positive")
        if start_mode not in COPTER_MODES:
            raise ValueError(f"unknown copter mode {start_mode!r}")
        self.home = (float(home[0]), float(home[1]), float(home[2]))
        self.time_scale = float(time_scale)
        self.battery_drain_pct_per_s = float(battery_drain_pct_per_s)
        self.gimbal_pitch_deg = float(gimbal_pitch_deg)
        self._lock = threading.RLock()
        self._params: dict[str, float] = {k: float(v) for k, (v, _t) in DEFAULT_PARAMS.items()}
        self._param_types: dict[str, int] = {k: t for k, (_v, t) in DEFAULT_PARAMS.items()}
        for name, value in (params or {}).items():
            self._set_param(name, value)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", int(port)))
        self._sock.setblocking(False)
        self.port: int = int(self._sock.getsockname()[1])
        self._mav = mavlink2.MAVLink(None, srcSystem=1, srcComponent=1)
        self._mav.robust_parsing = True
        self._peer: tuple[str, int] | None = None
        # vehicle state, local frame: north, east metres from home; up metres above home
        self._pos = [0.0, 0.0, float(start_alt_rel_m) if armed else 0.0]
        self._vel = [0.0, 0.0, 0.0]  # north, east, up m/s
        self._heading = 0.0
        self._armed = bool(armed)
        self._landed = not armed
        self._mode = start_mode
        self._battery = float(battery_pct)
        # guided controller state (mode_guided.cpp statics)
        self._submode = "velaccel"  # "velaccel" | "posvel" | "pos" | "takeoff"
        self._target_pos = list(self._pos)
        self._target_vel = [0.0, 0.0, 0.0]
        self._target_yaw: float | None = None
        self._update_time = 0.0
        # RTL / LAND state
        self._rtl_stage = ""
        self._rtl_loiter_until = 0.0
        # failsafes
        self._gcs_last_seen = 0.0
        self._gcs_seen = False
        self._failsafes: set[str] = set()
        self._fence_items: list[tuple[int, float, float, float]] = []  # (cmd, p1, lat, lon)
        self._upload: dict[str, Any] | None = None
        # records
        self._targets: list[ReceivedTarget] = []
        self._modes: list[ModeChange] = [ModeChange(0.0, start_mode, "start")]
        self._statustexts: list[tuple[float, str]] = []
        self._received_types: dict[str, int] = {}
        self._paused_until = -1.0
        # clock
        self._wall0 = 0.0
        self._t = 0.0
        self._next_send: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    @property
    def connection(self) -> str:
        """The MAVLink URL the ground side opens: ``udpout:127.0.0.1:PORT``."""
        return f"udpout:127.0.0.1:{self.port}"

    def start(self) -> SimulatedCopter:
        """Start the vehicle's thread (its clock starts at 0 now)."""
        if self._thread is not None:
            return self
        self._wall0 = time.monotonic()
        self._running.set()
        self._thread = threading.Thread(
            target=self._run, name=f"sim-copter-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and close the socket (idempotent)."""
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> SimulatedCopter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ introspection

    def now(self) -> float:
        """Simulated seconds since :meth:`start`."""
        with self._lock:
            return self._t

    def state(self) -> CopterState:
        """The vehicle as it is now."""
        with self._lock:
            lat, lon = self._latlon(self._pos[0], self._pos[1])
            return CopterState(
                time_s=self._t,
                lat=lat,
                lon=lon,
                alt_rel_m=self._pos[2],
                alt_amsl_m=self.home[2] + self._pos[2],
                velocity_ned_ms=(self._vel[0], self._vel[1], -self._vel[2]),
                heading_deg=self._heading % 360.0,
                mode=self._mode,
                armed=self._armed,
                battery_pct=self._battery,
                failsafes=tuple(sorted(self._failsafes)),
            )

    def targets_received(self) -> list[ReceivedTarget]:
        """Every ``SET_POSITION_TARGET_GLOBAL_INT`` that arrived, oldest first."""
        with self._lock:
            return list(self._targets)

    def mode_changes(self) -> list[ModeChange]:
        """Every flight-mode change, the start mode first."""
        with self._lock:
            return list(self._modes)

    def statustexts(self) -> list[tuple[float, str]]:
        """``STATUSTEXT`` lines the vehicle sent: ``(time_s, text)``."""
        with self._lock:
            return list(self._statustexts)

    def received_counts(self) -> dict[str, int]:
        """How many messages of each type arrived (while the link was up)."""
        with self._lock:
            return dict(self._received_types)

    @property
    def params(self) -> dict[str, float]:
        """A copy of the vehicle's parameters."""
        with self._lock:
            return dict(self._params)

    def set_param(self, name: str, value: float) -> None:
        """Set a parameter as if from the vehicle's own configuration."""
        with self._lock:
            self._set_param(name, value)

    def fence_polygon(self) -> list[tuple[float, float]]:
        """The first inclusion polygon uploaded, ``[(lat, lon), ...]`` degrees; [] if none."""
        with self._lock:
            polygons = self._fence_zones()[0]
            return [self._latlon(n, e) for n, e in polygons[0]] if polygons else []

    def set_mode(self, name: str) -> None:
        """Change flight mode as the pilot's RC mode switch does."""
        with self._lock:
            self._change_mode(name, "pilot")

    def pause_link(self, seconds: float) -> None:
        """Drop all traffic, both ways, for ``seconds`` simulated seconds from now."""
        with self._lock:
            self._paused_until = self._t + float(seconds)

    def wait_until(
        self, predicate: Callable[[SimulatedCopter], bool], timeout_s: float, poll_s: float = 0.01
    ) -> bool:
        """Wait (at most ``timeout_s`` *simulated* seconds) until ``predicate(self)`` holds."""
        deadline = self.now() + timeout_s
        while True:
            if predicate(self):
                return True
            if self.now() >= deadline or not self._running.is_set():
                return bool(predicate(self))
            time.sleep(poll_s)

    # ------------------------------------------------------------------ helpers

    def _set_param(self, name: str, value: float) -> None:
        name = name.upper()
        self._params[name] = float(value)
        self._param_types.setdefault(name, _REAL32)

    def _p(self, name: str) -> float:
        return self._params[name]

    def _latlon(self, north: float, east: float) -> tuple[float, float]:
        lat = self.home[0] + north / METRES_PER_DEGREE
        scale = max(math.cos(math.radians((self.home[0] + lat) / 2.0)), 0.01)
        return lat, self.home[1] + east / (METRES_PER_DEGREE * scale)

    def _ne(self, lat: float, lon: float) -> tuple[float, float]:
        scale = max(math.cos(math.radians((self.home[0] + lat) / 2.0)), 0.01)
        return (lat - self.home[0]) * METRES_PER_DEGREE, (
            lon - self.home[1]
        ) * METRES_PER_DEGREE * scale

    def _status(self, text: str, severity: int = mavlink2.MAV_SEVERITY_WARNING) -> None:
        self._statustexts.append((self._t, text))
        self._send(self._mav.statustext_encode(severity, text.encode()[:50]))

    def _change_mode(self, name: str, reason: str) -> bool:
        name = name.upper()
        if name not in COPTER_MODES:
            return False
        self._mode = name
        self._modes.append(ModeChange(self._t, name, reason))
        hold = [self._pos[0] + self._vel[0] * 0.5, self._pos[1] + self._vel[1] * 0.5, self._pos[2]]
        if name == "GUIDED":
            # ModeGuided::init -> velaccel_control_start with zero velocity: stop and hold
            self._submode = "velaccel"
            self._target_pos = hold
            self._target_vel = [0.0, 0.0, 0.0]
            self._target_yaw = None
            self._update_time = self._t
        elif name == "RTL":
            self._rtl_stage = "climb"
        else:
            self._target_pos = hold
            self._target_vel = [0.0, 0.0, 0.0]
        return True

    # ------------------------------------------------------------------ the wire

    def _send(self, msg: Any) -> None:
        if self._peer is None or self._t < self._paused_until:
            return
        with contextlib.suppress(OSError):
            self._sock.sendto(msg.pack(self._mav), self._peer)

    def _receive(self) -> None:
        while True:
            try:
                data, addr = self._sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            with self._lock:
                if self._t < self._paused_until:
                    continue
                self._peer = addr
                try:
                    messages = self._mav.parse_buffer(data) or []
                except Exception:  # a garbled datagram is dropped, as a radio link drops it
                    continue
                for msg in messages:
                    self._handle(msg)

    def _handle(self, msg: Any) -> None:
        kind = msg.get_type()
        self._received_types[kind] = self._received_types.get(kind, 0) + 1
        handler = getattr(self, f"_on_{kind.lower()}", None)
        if handler is not None:
            handler(msg)

    def _on_heartbeat(self, msg: Any) -> None:
        # GCS_MAVLINK::handle_heartbeat: only our GCS's heartbeat resets the failsafe timer
        if msg.get_srcSystem() == int(self._p("SYSID_MYGCS")):
            self._gcs_last_seen = self._t
            self._gcs_seen = True

    def _on_set_position_target_global_int(self, msg: Any) -> None:
        """``GCS_MAVLINK_Copter::handle_message_set_position_target_global_int``."""
        mask = int(msg.type_mask)
        pos_ignore = bool(mask & _POS_IGNORE)
        vel_ignore = bool(mask & _VEL_IGNORE)
        acc_ignore = bool(mask & _ACC_IGNORE)
        lat, lon = msg.lat_int / 1e7, msg.lon_int / 1e7
        vel = (float(msg.vx), float(msg.vy), float(msg.vz))
        yaw_deg = math.degrees(msg.yaw) if math.isfinite(msg.yaw) else float("nan")
        alt_rel: float | None = None
        frame = int(msg.coordinate_frame)
        if frame in (mavlink2.MAV_FRAME_GLOBAL, mavlink2.MAV_FRAME_GLOBAL_INT):
            alt_rel = float(msg.alt) - self.home[2]
        elif frame in (
            mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT,
            mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
        ):
            alt_rel = float(msg.alt)

        def record(outcome: str) -> None:
            self._targets.append(
                ReceivedTarget(
                    time_s=self._t,
                    lat=lat,
                    lon=lon,
                    alt_m=float(msg.alt),
                    alt_rel_m=alt_rel if not pos_ignore else None,
                    frame=frame,
                    type_mask=mask,
                    velocity_ned_ms=vel,
                    yaw_deg=yaw_deg,
                    mode=self._mode,
                    outcome=outcome,
                )
            )

        if self._mode != "GUIDED":
            record("ignored: not GUIDED")
            return
        if mask & _FORCE_SET and not acc_ignore:
            self._guided_stop()
            record("stopped: force is not supported")
            return
        if not pos_ignore:
            if not (abs(msg.lat_int) <= 900_000_000 and abs(msg.lon_int) <= 1_800_000_000):
                self._guided_stop()
                record("stopped: bad latitude/longitude")
                return
            if alt_rel is None:
                self._guided_stop()
                record(f"stopped: frame {frame} not supported")
                return
        if not vel_ignore and not all(math.isfinite(v) and abs(v) <= 1000 for v in vel):
            self._guided_stop()
            record("stopped: velocity not a number or over 1000 m/s")
            return
        use_yaw = not (mask & _YAW_IGNORE) and math.isfinite(msg.yaw)
        if not pos_ignore:
            assert alt_rel is not None
            north, east = self._ne(lat, lon)
            destination = [north, east, alt_rel]
        if not pos_ignore and not vel_ignore:
            if not self._destination_within_fence(destination):
                record("refused: outside fence")
                return
            self._submode = "posvel"
            self._target_pos = destination
            self._target_vel = [vel[0], vel[1], -vel[2]]
            outcome = "posvel"
        elif pos_ignore and not vel_ignore:
            self._submode = "velaccel"
            self._target_pos = list(self._pos)
            self._target_vel = [vel[0], vel[1], -vel[2]]
            outcome = "velocity"
        elif not pos_ignore and vel_ignore and acc_ignore:
            if not self._destination_within_fence(destination):
                record("refused: outside fence")
                return
            self._submode = "pos"
            self._target_pos = destination
            self._target_vel = [0.0, 0.0, 0.0]
            outcome = "position"
        else:
            self._guided_stop()
            record("stopped: acceleration-only targets are not simulated")
            return
        self._target_yaw = math.degrees(msg.yaw) % 360.0 if use_yaw else None
        self._update_time = self._t
        record(outcome)

    def _guided_stop(self) -> None:
        """``ModeGuided::init(true)``: velocity control at zero velocity."""
        self._submode = "velaccel"
        self._target_pos = list(self._pos)
        self._target_vel = [0.0, 0.0, 0.0]
        self._update_time = self._t

    def _on_set_mode(self, msg: Any) -> None:
        if msg.base_mode & mavlink2.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            name = mavutil.mode_mapping_acm.get(int(msg.custom_mode))
            if name is not None:
                self._change_mode(name, "gcs")

    def _ack(self, command: int, result: int) -> None:
        self._send(self._mav.command_ack_encode(command, result))

    def _on_command_long(self, msg: Any) -> None:
        cmd = int(msg.command)
        ok, denied, failed = (
            mavlink2.MAV_RESULT_ACCEPTED,
            mavlink2.MAV_RESULT_DENIED,
            mavlink2.MAV_RESULT_FAILED,
        )
        if cmd == mavlink2.MAV_CMD_DO_SET_MODE:
            name = mavutil.mode_mapping_acm.get(int(msg.param2))
            self._ack(cmd, ok if name and self._change_mode(name, "gcs") else failed)
        elif cmd == mavlink2.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            self._ack(cmd, ok if self._change_mode("RTL", "gcs") else failed)
        elif cmd == mavlink2.MAV_CMD_NAV_LAND:
            self._ack(cmd, ok if self._change_mode("LAND", "gcs") else failed)
        elif cmd == mavlink2.MAV_CMD_NAV_LOITER_UNLIM:
            self._ack(cmd, ok if self._change_mode("LOITER", "gcs") else failed)
        elif cmd == mavlink2.MAV_CMD_COMPONENT_ARM_DISARM:
            if msg.param1 >= 0.5:
                self._armed = True
            elif self._landed or msg.param2 == 21196:
                self._armed = False
            else:
                self._ack(cmd, denied)
                return
            self._ack(cmd, ok)
        elif cmd == mavlink2.MAV_CMD_NAV_TAKEOFF:
            if self._mode != "GUIDED" or not self._armed or not self._landed:
                self._ack(cmd, failed)
                return
            self._landed = False
            self._submode = "pos"
            self._target_pos = [self._pos[0], self._pos[1], float(msg.param7)]
            self._target_vel = [0.0, 0.0, 0.0]
            self._update_time = self._t
            self._ack(cmd, ok)
        elif cmd in (mavlink2.MAV_CMD_REQUEST_MESSAGE, mavlink2.MAV_CMD_GET_HOME_POSITION):
            wanted = int(msg.param1) if cmd == mavlink2.MAV_CMD_REQUEST_MESSAGE else 242
            if wanted == mavlink2.MAVLINK_MSG_ID_HOME_POSITION:
                self._ack(cmd, ok)
                self._send_home()
            elif wanted == mavlink2.MAVLINK_MSG_ID_GPS_GLOBAL_ORIGIN:
                self._ack(cmd, ok)
                self._send_origin()
            else:
                self._ack(cmd, mavlink2.MAV_RESULT_UNSUPPORTED)
        elif cmd == mavlink2.MAV_CMD_SET_MESSAGE_INTERVAL:
            self._ack(cmd, ok)  # rates are fixed here; accepted as ArduPilot does
        else:
            self._ack(cmd, mavlink2.MAV_RESULT_UNSUPPORTED)

    # parameters: libraries/GCS_MAVLink/GCS_Param.cpp

    def _param_value(self, name: str) -> Any:
        names = list(self._params)
        return self._mav.param_value_encode(
            name.encode(),
            self._params[name],
            self._param_types[name],
            len(names),
            names.index(name),
        )

    def _on_param_request_read(self, msg: Any) -> None:
        names = list(self._params)
        if msg.param_index >= 0:
            if msg.param_index < len(names):
                self._send(self._param_value(names[msg.param_index]))
            return
        name = _param_name(msg.param_id)
        if name in self._params:
            self._send(self._param_value(name))

    def _on_param_request_list(self, msg: Any) -> None:
        for name in list(self._params):
            self._send(self._param_value(name))

    def _on_param_set(self, msg: Any) -> None:
        name = _param_name(msg.param_id)
        if name not in self._params or not math.isfinite(msg.param_value):
            return
        self._params[name] = float(msg.param_value)
        self._send(self._param_value(name))

    # fence upload: the mission protocol, libraries/GCS_MAVLink/MissionItemProtocol_Fence.cpp

    def _mission_ack(self, result: int, mission_type: int) -> None:
        self._send(self._mav.mission_ack_encode(0, 0, result, mission_type))

    def _on_mission_count(self, msg: Any) -> None:
        mission_type = int(getattr(msg, "mission_type", 0))
        if mission_type != mavlink2.MAV_MISSION_TYPE_FENCE:
            self._mission_ack(mavlink2.MAV_MISSION_UNSUPPORTED, mission_type)
            return
        count = int(msg.count)
        if count == 0:
            self._fence_items = []
            self._mission_ack(mavlink2.MAV_MISSION_ACCEPTED, mission_type)
            return
        self._upload = {"count": count, "items": [None] * count, "next": 0}
        self._send(self._mav.mission_request_int_encode(0, 0, 0, mission_type))

    def _on_mission_item_int(self, msg: Any) -> None:
        mission_type = int(getattr(msg, "mission_type", 0))
        up = self._upload
        if up is None or mission_type != mavlink2.MAV_MISSION_TYPE_FENCE:
            return
        seq = int(msg.seq)
        if seq != up["next"]:
            # ask again for the one we want (MissionItemProtocol::handle_mission_item)
            self._send(self._mav.mission_request_int_encode(0, 0, up["next"], mission_type))
            return
        cmd = int(msg.command)
        if cmd not in (5000, 5001, 5002, 5003, 5004):
            self._upload = None
            self._mission_ack(mavlink2.MAV_MISSION_UNSUPPORTED, mission_type)
            return
        up["items"][seq] = (cmd, float(msg.param1), msg.x / 1e7, msg.y / 1e7)
        up["next"] = seq + 1
        if up["next"] < up["count"]:
            self._send(self._mav.mission_request_int_encode(0, 0, up["next"], mission_type))
            return
        items = up["items"]
        self._upload = None
        if not _fence_items_valid(items):
            self._mission_ack(mavlink2.MAV_MISSION_INVALID, mission_type)
            return
        self._fence_items = items
        self._mission_ack(mavlink2.MAV_MISSION_ACCEPTED, mission_type)

    def _on_mission_request_list(self, msg: Any) -> None:
        mission_type = int(getattr(msg, "mission_type", 0))
        if mission_type != mavlink2.MAV_MISSION_TYPE_FENCE:
            self._mission_ack(mavlink2.MAV_MISSION_UNSUPPORTED, mission_type)
            return
        self._send(self._mav.mission_count_encode(0, 0, len(self._fence_items), mission_type))

    def _on_mission_request_int(self, msg: Any) -> None:
        mission_type = int(getattr(msg, "mission_type", 0))
        seq = int(msg.seq)
        if mission_type != mavlink2.MAV_MISSION_TYPE_FENCE or not 0 <= seq < len(self._fence_items):
            return
        cmd, p1, lat, lon = self._fence_items[seq]
        self._send(
            self._mav.mission_item_int_encode(
                0,
                0,
                seq,
                mavlink2.MAV_FRAME_GLOBAL,
                cmd,
                0,
                1,
                p1,
                0,
                0,
                0,
                round(lat * 1e7),
                round(lon * 1e7),
                0.0,
                mission_type,
            )
        )

    _on_mission_request = _on_mission_request_int

    # ------------------------------------------------------------------ fence: AC_Fence

    def _fence_zones(
        self,
    ) -> tuple[
        list[list[tuple[float, float]]],
        list[list[tuple[float, float]]],
        list[tuple[float, float, float]],
        list[tuple[float, float, float]],
    ]:
        """Inclusion and exclusion polygons (north, east metres), inclusion and exclusion
        circles ``(north, east, radius)``, from the uploaded items."""
        inc: list[list[tuple[float, float]]] = []
        exc: list[list[tuple[float, float]]] = []
        inc_c: list[tuple[float, float, float]] = []
        exc_c: list[tuple[float, float, float]] = []
        i = 0
        items = self._fence_items
        while i < len(items):
            cmd, p1, lat, lon = items[i]
            if cmd in (5001, 5002):
                n = int(p1)
                poly = [self._ne(la, lo) for _c, _p, la, lo in items[i : i + n]]
                (inc if cmd == 5001 else exc).append(poly)
                i += n
                continue
            if cmd in (5003, 5004):
                north, east = self._ne(lat, lon)
                (inc_c if cmd == 5003 else exc_c).append((north, east, p1))
            i += 1
        return inc, exc, inc_c, exc_c

    def _fence_breached(self, pos: Sequence[float]) -> str | None:
        """Which enabled fence ``pos`` (north, east, up metres) breaks, or None
        (``AC_Fence::check_destination_within_fence`` and ``AC_Fence::check``)."""
        if not self._p("FENCE_ENABLE"):
            return None
        kinds = int(self._p("FENCE_TYPE"))
        if kinds & 1 and pos[2] > self._p("FENCE_ALT_MAX"):
            return "altitude"
        if kinds & 2 and math.hypot(pos[0], pos[1]) > self._p("FENCE_RADIUS"):
            return "circle"
        if kinds & 4:
            inc, exc, inc_c, exc_c = self._fence_zones()
            point = (pos[0], pos[1])
            if any(_outside_polygon(point, poly) for poly in inc):
                return "polygon"
            if any(not _outside_polygon(point, poly) for poly in exc):
                return "polygon"
            if any(math.hypot(point[0] - n, point[1] - e) > r for n, e, r in inc_c):
                return "polygon"
            if any(math.hypot(point[0] - n, point[1] - e) < r for n, e, r in exc_c):
                return "polygon"
        return None

    def _destination_within_fence(self, destination: Sequence[float]) -> bool:
        return self._fence_breached(destination) is None

    # ------------------------------------------------------------------ the loop

    def _run(self) -> None:
        tick_wall = 0.01
        while self._running.is_set():
            try:
                select.select([self._sock], [], [], tick_wall)
            except (OSError, ValueError):
                break
            self._receive()
            with self._lock:
                t_new = (time.monotonic() - self._wall0) * self.time_scale
                dt = t_new - self._t
                # physics in small steps, so that large time scales stay stable
                steps = max(1, math.ceil(dt / 0.02))
                for _ in range(steps):
                    self._t += dt / steps
                    self._step(dt / steps)
                self._telemetry()

    def _step(self, dt: float) -> None:
        if dt <= 0:
            return
        self._failsafe_checks()
        if not self._armed or self._landed:
            self._vel = [0.0, 0.0, 0.0]
            return
        self._battery = max(0.0, self._battery - self.battery_drain_pct_per_s * dt)
        max_xy = self._p("WPNAV_SPEED") / 100.0
        mode = self._mode
        if mode == "GUIDED":
            if self._t - self._update_time > max(self._p("GUID_TIMEOUT"), 0.1):
                # mode_guided.cpp: zero the velocity target after GUID_TIMEOUT
                self._target_vel = [0.0, 0.0, 0.0]
            # AC_PosControl::input_pos_vel_accel_*: the target moves on with its velocity
            for i in range(3):
                self._target_pos[i] += self._target_vel[i] * dt
            self._fly_to(self._target_pos, self._target_vel, max_xy, dt)
        elif mode == "RTL":
            self._rtl(dt, max_xy)
        elif mode == "LAND":
            self._land(dt)
        else:
            # LOITER, BRAKE, POSHOLD, ALT_HOLD...: hold where the mode began
            self._fly_to(self._target_pos, [0.0, 0.0, 0.0], max_xy, dt)
        self._fence_check()

    def _fly_to(
        self,
        target: Sequence[float],
        ff: Sequence[float],
        max_xy: float,
        dt: float,
        max_up: float | None = None,
        max_down: float | None = None,
    ) -> None:
        """A kinematic position controller: feed-forward + P x error, speed and accel limits."""
        kp_xy, kp_z = self._p("PSC_POSXY_P"), self._p("PSC_POSZ_P")
        want = [
            ff[0] + kp_xy * (target[0] - self._pos[0]),
            ff[1] + kp_xy * (target[1] - self._pos[1]),
            ff[2] + kp_z * (target[2] - self._pos[2]),
        ]
        speed = math.hypot(want[0], want[1])
        if speed > max_xy > 0:
            want[0] *= max_xy / speed
            want[1] *= max_xy / speed
        up = self._p("WPNAV_SPEED_UP") / 100.0 if max_up is None else max_up
        down = self._p("WPNAV_SPEED_DN") / 100.0 if max_down is None else max_down
        want[2] = min(max(want[2], -down), up)
        accel = self._p("WPNAV_ACCEL") / 100.0
        dvx, dvy = want[0] - self._vel[0], want[1] - self._vel[1]
        dv = math.hypot(dvx, dvy)
        if dv > accel * dt > 0:
            dvx, dvy = dvx * accel * dt / dv, dvy * accel * dt / dv
        self._vel[0] += dvx
        self._vel[1] += dvy
        dvz = want[2] - self._vel[2]
        self._vel[2] += max(-accel * dt, min(accel * dt, dvz))
        for i in range(3):
            self._pos[i] += self._vel[i] * dt
        if self._target_yaw is not None and self._mode == "GUIDED":
            wanted = self._target_yaw
        elif math.hypot(self._vel[0], self._vel[1]) > 0.5:
            wanted = math.degrees(math.atan2(self._vel[1], self._vel[0])) % 360.0
        else:
            wanted = self._heading
        turn = (wanted - self._heading + 180.0) % 360.0 - 180.0
        self._heading = (self._heading + max(-90.0 * dt, min(90.0 * dt, turn))) % 360.0
        if self._pos[2] <= 0.0 and self._vel[2] <= 0.0:
            self._touch_down()

    def _touch_down(self) -> None:
        self._pos[2] = 0.0
        self._vel = [0.0, 0.0, 0.0]
        self._landed = True
        if self._mode in ("LAND", "RTL") or self._failsafes:
            self._armed = False  # disarm after landing (Copter::update_land_detector)

    def _rtl(self, dt: float, max_xy: float) -> None:
        """``mode_rtl.cpp``: climb, return, loiter, land."""
        rtl_alt = max(self._p("RTL_ALT") / 100.0, 0.0)
        if self._p("FENCE_ENABLE") and int(self._p("FENCE_TYPE")) & 1:
            rtl_alt = min(rtl_alt, self._p("FENCE_ALT_MAX") - 2.0)
        speed = self._p("RTL_SPEED") / 100.0 or max_xy
        stage = self._rtl_stage or "climb"
        if stage == "climb":
            target_alt = max(self._pos[2], rtl_alt)
            self._fly_to([self._pos[0], self._pos[1], target_alt], [0, 0, 0], speed, dt)
            if abs(self._pos[2] - target_alt) < 0.5:
                self._rtl_stage, self._rtl_alt = "return", target_alt
        elif stage == "return":
            alt = getattr(self, "_rtl_alt", self._pos[2])
            self._fly_to([0.0, 0.0, alt], [0, 0, 0], speed, dt)
            if math.hypot(self._pos[0], self._pos[1]) < 2.0:
                self._rtl_stage = "loiter"
                self._rtl_loiter_until = self._t + self._p("RTL_LOIT_TIME") / 1000.0
        elif stage == "loiter":
            self._fly_to([0.0, 0.0, self._pos[2]], [0, 0, 0], speed, dt)
            if self._t >= self._rtl_loiter_until:
                self._rtl_stage = "land"
        else:
            self._land(dt, home=True)

    def _land(self, dt: float, home: bool = False) -> None:
        """``mode_land.cpp``: descend at LAND_SPEED below LAND_ALT_LOW, faster above."""
        low = self._p("LAND_ALT_LOW") / 100.0
        fast = self._p("LAND_SPEED_HIGH") / 100.0 or self._p("WPNAV_SPEED_DN") / 100.0
        rate = self._p("LAND_SPEED") / 100.0 if self._pos[2] <= low else fast
        north, east = (0.0, 0.0) if home else (self._target_pos[0], self._target_pos[1])
        self._fly_to(
            [north, east, -1.0], [0, 0, -rate], self._p("WPNAV_SPEED") / 100.0, dt, max_down=rate
        )

    # ------------------------------------------------------------------ failsafes

    def _failsafe_action(self, mode: str, reason: str) -> None:
        if self._landed:
            self._armed = False  # should_disarm_on_failsafe: landed -> disarm
            return
        if self._mode in (mode, "LAND"):
            return
        self._change_mode(mode, reason)

    def _failsafe_checks(self) -> None:
        # events.cpp Copter::failsafe_gcs_check
        fs_gcs = int(self._p("FS_GCS_ENABLE"))
        if fs_gcs and self._gcs_seen:
            silent = self._t - self._gcs_last_seen
            timeout = max(self._p("FS_GCS_TIMEOUT"), 0.0)
            if silent > timeout and "gcs" not in self._failsafes:
                self._failsafes.add("gcs")
                self._status("GCS Failsafe")
                if self._armed:
                    self._failsafe_action(_FAILSAFE_ACTIONS.get(fs_gcs, "RTL"), "gcs_failsafe")
            elif silent < timeout and "gcs" in self._failsafes:
                self._failsafes.discard("gcs")
                self._status("GCS Failsafe Cleared", mavlink2.MAV_SEVERITY_INFO)
        # AP_BattMonitor_Backend::update_failsafes + Copter::handle_battery_failsafe
        capacity = self._p("BATT_CAPACITY")
        remaining_mah = capacity * self._battery / 100.0
        for level, limit, action in (
            ("battery_critical", "BATT_CRT_MAH", "BATT_FS_CRT_ACT"),
            ("battery", "BATT_LOW_MAH", "BATT_FS_LOW_ACT"),
        ):
            if (
                self._p(limit) > 0
                and remaining_mah < self._p(limit)
                and level not in self._failsafes
            ):
                self._failsafes.add(level)
                if level == "battery_critical":
                    self._failsafes.add("battery")
                self._status(f"Battery 1 is {'critical' if level != 'battery' else 'low'}")
                act = int(self._p(action))
                if act and self._armed and act in _BATT_ACTIONS:
                    self._failsafe_action(_BATT_ACTIONS[act], "battery_failsafe")
                break

    def _fence_check(self) -> None:
        """``Copter::fence_check`` (``fence.cpp``): a new breach takes ``FENCE_ACTION``."""
        breach = self._fence_breached(self._pos)
        if breach is None:
            self._failsafes.discard("fence")
            return
        if "fence" in self._failsafes:
            return
        self._failsafes.add("fence")
        self._status(f"Fence Breach: {breach}")
        action = int(self._p("FENCE_ACTION"))
        if action in _FENCE_ACTIONS and self._armed:
            self._failsafe_action(_FENCE_ACTIONS[action], "fence_breach")

    # ------------------------------------------------------------------ telemetry

    def _due(self, name: str, period: float) -> bool:
        nxt = self._next_send.get(name, 0.0)
        if self._t >= nxt:
            self._next_send[name] = max(nxt + period, self._t)
            return True
        return False

    def _telemetry(self) -> None:
        if self._due("heartbeat", 1.0):
            self._send_heartbeat()
        if self._due("sys_status", 1.0):
            self._send_sys_status()
        if self._due("position", 0.2):
            self._send_position()
        if self._due("target", 0.25):
            self._send_target_echo()
        if self._due("home", 2.0):
            self._send_home()
            self._send_origin()
        if self._due("gimbal", 1.0):
            self._send_gimbal()

    def _send_heartbeat(self) -> None:
        """``GCS_MAVLINK_Copter::base_mode``, ``custom_mode``, ``vehicle_system_status``."""
        base = (
            mavlink2.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
            | mavlink2.MAV_MODE_FLAG_STABILIZE_ENABLED
            | mavlink2.MAV_MODE_FLAG_MANUAL_INPUT_ENABLED
        )
        if self._mode in ("GUIDED", "LOITER", "RTL", "AUTO", "POSHOLD", "BRAKE", "SMART_RTL"):
            base |= mavlink2.MAV_MODE_FLAG_GUIDED_ENABLED
        if self._armed:
            base |= mavlink2.MAV_MODE_FLAG_SAFETY_ARMED
        if self._failsafes:
            status = mavlink2.MAV_STATE_CRITICAL
        elif self._landed:
            status = mavlink2.MAV_STATE_STANDBY
        else:
            status = mavlink2.MAV_STATE_ACTIVE
        self._send(
            self._mav.heartbeat_encode(
                mavlink2.MAV_TYPE_QUADROTOR,
                mavlink2.MAV_AUTOPILOT_ARDUPILOTMEGA,
                base,
                COPTER_MODES[self._mode],
                status,
            )
        )

    def _boot_ms(self) -> int:
        return int(self._t * 1000) & 0xFFFFFFFF

    def _send_sys_status(self) -> None:
        sensors = 0
        voltage_mv = int((13.2 + 3.6 * self._battery / 100.0) * 1000)  # a 4S pack
        self._send(
            self._mav.sys_status_encode(
                sensors,
                sensors,
                sensors,
                0,
                voltage_mv,
                1500 if not self._landed else 0,
                round(self._battery),
                0,
                0,
                0,
                0,
                0,
                0,
            )
        )

    def _send_position(self) -> None:
        lat, lon = self._latlon(self._pos[0], self._pos[1])
        self._send(
            self._mav.global_position_int_encode(
                self._boot_ms(),
                round(lat * 1e7),
                round(lon * 1e7),
                round((self.home[2] + self._pos[2]) * 1000),
                round(self._pos[2] * 1000),
                round(self._vel[0] * 100),
                round(self._vel[1] * 100),
                round(-self._vel[2] * 100),
                round(self._heading * 100) % 36000,
            )
        )

    def _send_target_echo(self) -> None:
        """``send_position_target_local_ned`` always in GUIDED; ``..._global_int`` only for a
        position-only target (``ModeGuided::get_wp``)."""
        if self._mode != "GUIDED":
            return
        ignore_yaw = _YAW_IGNORE | _YAW_RATE_IGNORE
        pos, vel = self._target_pos, self._target_vel
        if self._submode == "posvel":
            mask = ignore_yaw
        elif self._submode == "velaccel":
            mask = _POS_IGNORE | ignore_yaw
        else:
            mask = _VEL_IGNORE | _ACC_IGNORE | ignore_yaw
        self._send(
            self._mav.position_target_local_ned_encode(
                self._boot_ms(),
                mavlink2.MAV_FRAME_LOCAL_NED,
                mask,
                pos[0] if not mask & _POS_IGNORE else 0.0,
                pos[1] if not mask & _POS_IGNORE else 0.0,
                -pos[2] if not mask & _POS_IGNORE else 0.0,
                vel[0] if not mask & _VEL_IGNORE else 0.0,
                vel[1] if not mask & _VEL_IGNORE else 0.0,
                -vel[2] if not mask & _VEL_IGNORE else 0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
            )
        )
        if self._submode == "pos":
            lat, lon = self._latlon(pos[0], pos[1])
            self._send(
                self._mav.position_target_global_int_encode(
                    self._boot_ms(),
                    mavlink2.MAV_FRAME_GLOBAL,
                    _VEL_IGNORE | _ACC_IGNORE | ignore_yaw | 0xF000,
                    round(lat * 1e7),
                    round(lon * 1e7),
                    self.home[2] + pos[2],
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                )
            )

    def _send_home(self) -> None:
        self._send(
            self._mav.home_position_encode(
                round(self.home[0] * 1e7),
                round(self.home[1] * 1e7),
                round(self.home[2] * 1000),
                0.0,
                0.0,
                0.0,
                [1.0, 0.0, 0.0, 0.0],
                0.0,
                0.0,
                0.0,
            )
        )

    def _send_origin(self) -> None:
        self._send(
            self._mav.gps_global_origin_encode(
                round(self.home[0] * 1e7),
                round(self.home[1] * 1e7),
                round(self.home[2] * 1000),
            )
        )

    def _send_gimbal(self) -> None:
        pitch = self.gimbal_pitch_deg
        self._send(self._mav.mount_status_encode(0, 0, round(pitch * 100), 0, 0, 2))
        half = math.radians(pitch) / 2.0
        q = [math.cos(half), 0.0, math.sin(half), 0.0]  # roll 0, pitch, yaw 0 (vehicle frame)
        flags = (
            mavlink2.GIMBAL_DEVICE_FLAGS_ROLL_LOCK
            | mavlink2.GIMBAL_DEVICE_FLAGS_PITCH_LOCK
            | mavlink2.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME
        )
        self._send(
            self._mav.gimbal_device_attitude_status_encode(
                0,
                0,
                self._boot_ms(),
                flags,
                q,
                0.0,
                0.0,
                0.0,
                0,
            )
        )


def _param_name(raw: Any) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    return str(raw).split("\x00", 1)[0].strip().upper()


def _fence_items_valid(items: Sequence[tuple[int, float, float, float]]) -> bool:
    """``AC_PolyFence_loader::validate_fence``: a polygon's items all say its vertex count
    (at least 3) and are consecutive; circles have a positive radius."""
    i = 0
    while i < len(items):
        cmd, p1, _lat, _lon = items[i]
        if cmd in (5001, 5002):
            n = int(p1)
            if n < 3 or i + n > len(items):
                return False
            if any(c != cmd or int(p) != n for c, p, _a, _b in items[i : i + n]):
                return False
            i += n
            continue
        if cmd in (5003, 5004) and not p1 > 0:
            return False
        i += 1
    return True


__all__ = [
    "COPTER_MODES",
    "DEFAULT_PARAMS",
    "SAFE_LEADING_PARAMS",
    "CopterState",
    "ModeChange",
    "ReceivedTarget",
    "SimulatedCopter",
]
