"""Live leading: fly a vehicle in GUIDED mode ahead of the person, at his pace.

:func:`lead` is the use case behind ``safeconduct lead``. It reads the route and the DEM,
connects to the vehicle (and a relief vehicle) through :class:`LeadPorts`, checks the
vehicle's safety parameters and uploads the route corridor as its inclusion fence, asks
the crew to confirm, then runs the control loop until the person arrives, the pilot takes
the vehicle, or the crew stops it. :func:`rehearse_live` does the same against simulated
vehicles and a simulated walker, in accelerated time.

The control loop, every ``1 / rate_hz`` seconds of the :class:`~.ports.Clock`:

1. sends a GCS heartbeat to every open vehicle (the loop itself, never a thread: a hung
   loop stops the heartbeats and the vehicle's GCS failsafe takes over);
2. reads what the vehicles said (position, mode, battery, echoed target);
3. offers the person fixes that came in (recorded track, crew taps on the board, detector)
   to the :class:`~safeconduct.guidance.person_fixes.FixGate`; a single wild fix never
   moves the leader;
4. runs the :class:`~safeconduct.guidance.leader.LeadController` on the gated estimate;
5. builds the target (route point, DEM height under it plus the height above ground,
   relative to home; velocity along the route at the pace while leading, zero while
   waiting), clamps it with :class:`~safeconduct.guidance.target_limits.TargetLimits`
   and sends it only while the vehicle is in GUIDED and the crew has engaged.

Mode ownership: once the vehicle leaves GUIDED (the pilot's switch, a failsafe), no target
is sent to it again and the program never asks for GUIDED again. Heartbeats go on until
the program ends, so the pilot's own GCS failsafe behaves as he expects.

Nothing here names a command-line flag: errors carry the field they concern.
"""

from __future__ import annotations

import math
import os
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from safeconduct.errors import InvalidValueError, OutOfRangeError, SafeconductError
from safeconduct.guidance.ground_ray import (
    DEFAULT_CAMERA,
    CameraIntrinsics,
    ground_height,
    project_to_ground,
)
from safeconduct.guidance.handover import HandoverPlanner
from safeconduct.guidance.leader import LeadController, LeadMode, LeadSettings
from safeconduct.guidance.path import RoutePath
from safeconduct.guidance.person_fixes import FixGate, FixSource, PersonFix
from safeconduct.guidance.target_limits import TargetLimits, corridor_polygon
from safeconduct.limits import Range
from safeconduct.mission.clearance import DemTerrain
from safeconduct.mission.energy import EnergyModel
from safeconduct.mission.lead_route import LeadRoute
from safeconduct.mission.profiles import DroneProfile
from safeconduct.services.ports import (
    Clock,
    DemFiles,
    DroneProfiles,
    GuidedTarget,
    GuidedVehicle,
    GuidedVehicles,
    LeadRouteFiles,
    LiveBoard,
    LivePosition,
    PersonDetections,
    PersonTracks,
    SimulatedVehicles,
    VehicleState,
)
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem

PathLike = str | os.PathLike[str]

#: Hosts on which ``assume_yes`` may skip the crew's confirmation: a simulator on this machine.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

_NETWORK_URL = re.compile(r"^(?:udpin|udpout|udp|tcpin|tcp)(?::|://)([^\s:/]+):\d{1,5}$")
_SERIAL_URL = re.compile(r"^(?:/dev/[^\s,]+|COM\d+)(?:,\d{3,7})?$")

Report = Callable[[str], None]
Confirm = Callable[[str], bool]


class UnsafeVehicleError(SafeconductError):
    """The vehicle is not set up to be led safely (a parameter, no home, not flying)."""


# --------------------------------------------------------------------------- values in


@dataclass(frozen=True)
class LeadPorts:
    """The edges leading reaches.

    Attributes
    ----------
    vehicles
        Opens MAVLink links to the vehicles.
    routes, dems
        The route file ``safeconduct route`` wrote, and the DEM it was planned on.
    clock
        The loop's time (wall clock, or accelerated for rehearsals).
    tracks
        Reads ``--person-track`` files (None: no track may be given).
    board
        The operation's live map on the coordination service (None: no board).
    profiles
        Drone profiles, for the energy model that times the handover (None: the relief is
        called at ``handover_battery_pct``).
    detector
        The signal detector's people in the leading vehicle's camera (None: none); each is
        cast onto the DEM through its pixel with the gimbal attitude the vehicle reports.
    """

    vehicles: GuidedVehicles
    routes: LeadRouteFiles
    dems: DemFiles
    clock: Clock
    tracks: PersonTracks | None = None
    board: LiveBoard | None = None
    profiles: DroneProfiles | None = None
    detector: PersonDetections | None = None


@dataclass(frozen=True)
class LeadRequest:
    """What to lead and how.

    Attributes
    ----------
    connection
        The vehicle's MAVLink URL (``udpout:HOST:PORT``, ``tcp:HOST:PORT``, serial...).
    route_path, dem_path
        The route GeoJSON and the DEM GeoTIFF it was planned on.
    height_agl_m
        Height above the ground under the target, metres.
    min_agl_m, max_agl_m
        Limits on that height, metres.
    corridor_half_width_m
        Half-width of the corridor around the route: the fence and the target limit, metres.
    max_from_vehicle_m
        A target is never further than this from the vehicle, metres.
    speed_cap_ms
        The vehicle's guided speed limit (``WPNAV_SPEED``) must be at most this, m/s; the
        velocity sent never exceeds it.
    rate_hz
        Targets per second, 5 to 10.
    person_track_path
        A recorded walk (CSV ``time,lat,lon``), or None.
    detections_path
        Detector fixes already cast onto the ground, same CSV form (rehearsals and tests),
        or None.
    relief_connection
        The relief vehicle's MAVLink URL, or None.
    tlog_path, relief_tlog_path
        Telemetry logs of everything sent and received, or None.
    assume_yes
        Skip the crew's confirmation: only for a connection on 127.0.0.1 (a simulator).
    lead_m, max_gap_m
        The controller's lead distance and the gap beyond which the drone waits, metres.
    pace_factor
        The person's pace as a fraction of the route's planned walking speed.
    camera
        The leading vehicle's camera intrinsics, for the detector's pixels (None: a
        1920 x 1080, 82 degree camera typical of a 900 g camera drone).
    drone
        The airframe's profile name or file: its energy model says when to call the relief
        and when the leading vehicle must leave.
    handover_battery_pct
        Without profiles: call the relief when the leading vehicle's battery falls to this,
        percent.
    stale_link_s
        With no message from the vehicle for this long, no target is sent, seconds.
    echo_timeout_s
        A target the vehicle has not echoed within this long is reported, seconds.
    arrive_hold_s
        Hover over the reception point this long after the person arrives, seconds.
    linger_s
        After the pilot takes the vehicle (or the walk ends), keep sending heartbeats this
        long; None: until the vehicle disarms or the program is interrupted.
    finish_rtl
        Ask the leading vehicle to return (RTL) when the walk ends (rehearsals).
    max_duration_s
        Stop leading after this long, seconds; None: no limit.
    connect_timeout_s
        Seconds to wait for each vehicle's heartbeat.
    """

    connection: str
    route_path: PathLike
    dem_path: PathLike
    height_agl_m: float = 15.0
    min_agl_m: float = 8.0
    max_agl_m: float = 60.0
    corridor_half_width_m: float = 40.0
    max_from_vehicle_m: float = 30.0
    speed_cap_ms: float = 5.0
    rate_hz: float = 5.0
    person_track_path: PathLike | None = None
    detections_path: PathLike | None = None
    relief_connection: str | None = None
    tlog_path: PathLike | None = None
    relief_tlog_path: PathLike | None = None
    assume_yes: bool = False
    lead_m: float = 15.0
    max_gap_m: float = 30.0
    pace_factor: float = 1.0
    camera: CameraIntrinsics | None = None
    drone: str = "camera-900g"
    handover_battery_pct: float = 40.0
    stale_link_s: float = 2.0
    echo_timeout_s: float = 1.0
    arrive_hold_s: float = 10.0
    linger_s: float | None = None
    finish_rtl: bool = False
    max_duration_s: float | None = None
    connect_timeout_s: float = 10.0


# --------------------------------------------------------------------------- values out


@dataclass
class LeadSummary:
    """What happened, with the figures the closing note gives.

    Attributes
    ----------
    arrived
        The person reached the reception point.
    duration_s
        From the start of leading to the end, clock seconds.
    targets_sent, targets_unconfirmed
        Targets sent, and those no echo confirmed within ``echo_timeout_s``.
    target_rate_hz
        Targets sent per second while the loop was sending.
    gap_median_m, gap_p95_m
        Lead distance: vehicle ahead of the person along the route, metres, while leading.
    wait_s
        Seconds the vehicle hovered waiting for the person.
    mode_change
        The mode the pilot (or a failsafe) switched the vehicle to, or None.
    mode_reaction_s
        Clock seconds from the poll before the one that showed the mode change to the
        decision to stop sending: an upper bound on the loop's own reaction.
    handovers
        Relief takeovers.
    fixes
        Person fixes accepted and rejected, by reason.
    events
        ``(t_s, text)`` timeline (clock seconds from the start of leading).
    """

    arrived: bool = False
    duration_s: float = 0.0
    targets_sent: int = 0
    targets_unconfirmed: int = 0
    target_rate_hz: float = 0.0
    gap_median_m: float | None = None
    gap_p95_m: float | None = None
    wait_s: float = 0.0
    mode_change: str | None = None
    mode_reaction_s: float | None = None
    handovers: int = 0
    fixes: dict[str, int] = field(default_factory=dict)
    events: list[tuple[float, str]] = field(default_factory=list)

    def describe(self) -> str:
        """A few lines for the terminal."""

        def m(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.1f} m"

        lines = [
            f"{'arrived' if self.arrived else 'ended'} after {self.duration_s:.0f} s; "
            f"{self.targets_sent} targets at {self.target_rate_hz:.1f} Hz, "
            f"{self.targets_unconfirmed} unconfirmed",
            f"lead distance: median {m(self.gap_median_m)}, p95 {m(self.gap_p95_m)}; "
            f"waited {self.wait_s:.0f} s; handovers {self.handovers}",
        ]
        if self.mode_change:
            react = (
                ""
                if self.mode_reaction_s is None
                else (f"; targets stopped within {self.mode_reaction_s:.2f} s")
            )
            lines.append(f"the vehicle left GUIDED for {self.mode_change}{react}")
        rejected = {k: v for k, v in self.fixes.items() if k != "accepted"}
        lines.append(
            f"person fixes: {self.fixes.get('accepted', 0)} accepted, "
            + (", ".join(f"{v} {k}" for k, v in sorted(rejected.items())) or "none rejected")
        )
        return "\n".join(lines)


# --------------------------------------------------------------------------- checks


def connection_host(connection: str) -> str | None:
    """The host of a network MAVLink URL, or None (a serial device, or not a URL)."""
    m = _NETWORK_URL.match(connection.strip())
    return m.group(1) if m else None


def _looks_like_mavlink(connection: str) -> bool:
    text = connection.strip()
    return bool(_NETWORK_URL.match(text) or _SERIAL_URL.match(text))


#: What each leading setting may be (the shared rule of :mod:`safeconduct.limits`). Heights
#: stop at 120 m, the usual ceiling for small drones; the guided rate at 5-10 Hz, what
#: ArduCopter's GUIDED expects (targets time out after GUID_TIMEOUT, 3 s by default).
LEAD_RANGES: dict[str, Range] = {
    "height_agl_m": Range(2.0, 120.0, "m", "a leading height above the ground"),
    "min_agl_m": Range(2.0, 120.0, "m", "a lowest height above the ground"),
    "max_agl_m": Range(2.0, 120.0, "m", "a highest height above the ground"),
    "corridor_half_width_m": Range(5.0, 1000.0, "m", "a corridor half-width"),
    "max_from_vehicle_m": Range(1.0, 500.0, "m", "a farthest target from the vehicle"),
    "speed_cap_ms": Range(0.1, 20.0, "m/s", "a guided speed cap", lo_open=False),
    "rate_hz": Range(5.0, 10.0, "Hz", "a target rate"),
    "pace_factor": Range(0.05, 3.0, "", "a pace factor"),
    "connect_timeout_s": Range(0.1, 600.0, "s", "a connection timeout"),
    "lead_m": Range(1.0, 500.0, "m", "a lead distance"),
    "max_gap_m": Range(1.0, 1000.0, "m", "a largest gap"),
}


def check_request(request: LeadRequest) -> None:
    """Refuse a bad setting, a URL that is not MAVLink, or ``assume_yes`` off 127.0.0.1.

    Raises
    ------
    InvalidValueError
        One line, with the field concerned.
    """

    def bad(fld: str, msg: str) -> InvalidValueError:
        return InvalidValueError(msg, field=fld)

    for name, value in (
        ("height_agl_m", request.height_agl_m),
        ("min_agl_m", request.min_agl_m),
        ("max_agl_m", request.max_agl_m),
        ("corridor_half_width_m", request.corridor_half_width_m),
        ("max_from_vehicle_m", request.max_from_vehicle_m),
        ("speed_cap_ms", request.speed_cap_ms),
        ("rate_hz", request.rate_hz),
        ("pace_factor", request.pace_factor),
        ("connect_timeout_s", request.connect_timeout_s),
        ("lead_m", request.lead_m),
        ("max_gap_m", request.max_gap_m),
    ):
        LEAD_RANGES[name].check(value, field=name)
    if not request.min_agl_m <= request.height_agl_m <= request.max_agl_m:
        raise bad(
            "height_agl_m",
            f"{request.height_agl_m:g} m is outside the allowed {request.min_agl_m:g}-"
            f"{request.max_agl_m:g} m above ground",
        )
    if not 0 < request.lead_m < request.max_gap_m:
        raise bad("lead_m", "the lead distance must be positive and below the maximum gap")
    for fld, url in (("connection", request.connection), ("relief", request.relief_connection)):
        if url is None:
            continue
        if not _looks_like_mavlink(url):
            raise bad(
                fld,
                f"{url!r} is not a MAVLink URL; use udpin:HOST:PORT, udpout:HOST:PORT, "
                "tcp:HOST:PORT or a serial device such as /dev/ttyUSB0,57600",
            )
        if request.assume_yes and connection_host(url) not in LOCAL_HOSTS:
            raise InvalidValueError(
                f"skipping the crew's confirmation is allowed only for a simulator on "
                f"127.0.0.1, not for {url!r}; confirm at the terminal instead",
                field="assume_yes",
            )


#: ArduCopter parameters read before leading, and the rule each must meet.
ARDUPILOT_CHECKS = (
    "FENCE_ENABLE", "FENCE_TYPE", "FENCE_ACTION", "FS_GCS_ENABLE", "BATT_FS_LOW_ACT",
    "WPNAV_SPEED",
)  # fmt: skip
#: Read when present (ArduCopter 4.1+), checked when reported.
ARDUPILOT_OPTIONAL = ("GUID_TIMEOUT", "FENCE_ALT_MAX", "RTL_SPEED")
#: PX4 parameters with the same roles (untested: no PX4 SITL here).
PX4_CHECKS = ("GF_ACTION", "NAV_DLL_ACT", "COM_LOW_BAT_ACT", "MPC_XY_VEL_MAX")


def check_parameters(autopilot: str, params: dict[str, float], speed_cap_ms: float) -> list[str]:
    """What is unsafe about the vehicle's parameters, one line each (empty: safe).

    Parameters
    ----------
    autopilot
        ``"ardupilot"`` or ``"px4"``.
    params
        The values the vehicle reported (a name missing was not reported).
    speed_cap_ms
        The most the guided speed limit may be, m/s.
    """
    problems: list[str] = []

    def need(name: str) -> float | None:
        if name not in params:
            problems.append(f"{name} was not reported by the vehicle; check its firmware")
            return None
        return float(params[name])

    if autopilot == "px4":
        for name, why in (
            ("GF_ACTION", "a geofence breach must trigger an action"),
            ("NAV_DLL_ACT", "losing the ground link must trigger an action"),
            ("COM_LOW_BAT_ACT", "a low battery must trigger an action"),
        ):
            v = need(name)
            if v is not None and v == 0:
                problems.append(f"{name}={v:g}: {why}; set it non-zero")
        v = need("MPC_XY_VEL_MAX")
        if v is not None and v > speed_cap_ms + 1e-6:
            problems.append(
                f"MPC_XY_VEL_MAX={v:g} m/s is above the {speed_cap_ms:g} m/s cap; lower it"
            )
        return problems
    v = need("FENCE_ENABLE")
    if v is not None and v != 1:
        problems.append(f"FENCE_ENABLE={v:g}: the geofence must be on; set FENCE_ENABLE=1")
    v = need("FENCE_TYPE")
    if v is not None and not int(v) & 4:
        problems.append(
            f"FENCE_TYPE={v:g} lacks the polygon bit (4); add 4 so the corridor fence counts"
        )
    v = need("FENCE_ACTION")
    if v is not None and v == 0:
        problems.append("FENCE_ACTION=0 only reports a breach; set 1 (RTL or land)")
    v = need("FS_GCS_ENABLE")
    if v is not None and v == 0:
        problems.append(
            "FS_GCS_ENABLE=0: losing this program must trigger the GCS failsafe; set 1 (RTL)"
        )
    v = need("BATT_FS_LOW_ACT")
    if v is not None and v == 0:
        problems.append("BATT_FS_LOW_ACT=0: a low battery must trigger an action; set 2 (RTL)")
    v = need("WPNAV_SPEED")
    if v is not None and v > speed_cap_ms * 100 + 1e-6:
        problems.append(
            f"WPNAV_SPEED={v:g} cm/s is above the {speed_cap_ms:g} m/s cap; set at most "
            f"{speed_cap_ms * 100:g}"
        )
    if "GUID_TIMEOUT" in params and params["GUID_TIMEOUT"] > 5:
        problems.append(
            f"GUID_TIMEOUT={params['GUID_TIMEOUT']:g} s: a silent program must stop the "
            "vehicle within 5 s; set 3"
        )
    return problems


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Geometry:
    """The route on the DEM's grid, its corridor, and heights."""

    route: LeadRoute
    dem: Dem
    path: RoutePath
    corridor_xy: list[tuple[float, float]]
    limits: TargetLimits
    terrain: DemTerrain
    speeds: np.ndarray  # planned walking speed per route vertex leg, m/s
    stations: np.ndarray  # route stations in path metres

    def ground(self, x: float, y: float) -> float:
        lon, lat = self.dem.xy_to_lonlat(x, y)
        return self.terrain.ground(float(lon), float(lat))

    def latlon(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self.dem.xy_to_lonlat(x, y)
        return float(lat), float(lon)

    def xy(self, lat: float, lon: float) -> np.ndarray:
        x, y = self.dem.lonlat_to_xy(lon, lat)
        return np.array([float(x), float(y)])

    def max_ground(self) -> float:
        """The highest ground under the route (conservative envelope, every 5 m), metres."""
        heights = [
            self.ground(*self.path.point_at(s))
            for s in np.append(np.arange(0.0, self.path.length, 5.0), self.path.length)
        ]
        return float(max(heights))

    def pace_at(self, s: float) -> float:
        i = int(np.searchsorted(self.stations, s, side="right")) - 1
        return float(self.speeds[min(max(i, 0), len(self.speeds) - 1)])

    def velocity_ne(self, s: float, speed: float) -> tuple[float, float]:
        """North and east components of ``speed`` m/s along the route at ``s`` (true north)."""
        a = self.path.point_at(s)
        b = self.path.point_at(min(s + 1.0, self.path.length))
        if np.allclose(a, b):
            b = a + (a - self.path.point_at(max(s - 1.0, 0.0)))
        (la1, lo1), (la2, lo2) = self.latlon(*a), self.latlon(*b)
        north = (la2 - la1) * 111_320.0
        east = (lo2 - lo1) * 111_320.0 * math.cos(math.radians(la1))
        norm = math.hypot(north, east)
        if norm == 0:
            return 0.0, 0.0
        return speed * north / norm, speed * east / norm


def _geometry(ports: LeadPorts, request: LeadRequest) -> _Geometry:
    route = ports.routes.read_lead_route(request.route_path)
    dem = ports.dems.read_dem(request.dem_path)
    for i, (lon, lat, _z) in enumerate(route.waypoints):
        try:
            dem.cell_of_lonlat(lon, lat, what=f"route position {i}")
        except OutOfRangeError as exc:
            raise InvalidValueError(
                f"{exc.message} (give the DEM the route was planned on)", field="route_path"
            ) from None
    lon = np.array([w[0] for w in route.waypoints])
    lat = np.array([w[1] for w in route.waypoints])
    xs, ys = dem.lonlat_to_xy(lon, lat)
    xy = np.column_stack([np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)])
    keep = np.concatenate([[True], np.hypot(*np.diff(xy, axis=0).T) > 1e-6])
    path = RoutePath(xy[keep])
    corridor = corridor_polygon(path, request.corridor_half_width_m)
    terrain = DemTerrain(dem, GeoPoint(route.waypoints[0][1], route.waypoints[0][0]))
    speeds = np.array([leg.speed_ms or 1.0 for leg in route.legs]) * request.pace_factor
    seg = np.hypot(*np.diff(xy, axis=0).T)
    stations = np.concatenate([[0.0], np.cumsum(seg)])
    corridor_xy = [(float(p[0]), float(p[1])) for p in corridor]
    limits = TargetLimits(
        corridor_xy, request.max_from_vehicle_m, request.min_agl_m, request.max_agl_m
    )
    geo = _Geometry(route, dem, path, corridor_xy, limits, terrain, speeds, stations)
    # Build the lazy parts now (the terrain envelope, the projections), not in the loop's
    # first steps, where a pause of a second would cost the vehicle its heartbeats.
    start = path.point_at(0.0)
    geo.ground(*start)
    limits.clamp(start, request.height_agl_m, start)
    geo.velocity_ne(0.0, 1.0)
    return geo


# --------------------------------------------------------------------------- the vehicle link


@dataclass
class _Sent:
    t: float
    target: GuidedTarget
    confirmed: bool = False


@dataclass
class _Craft:
    """One open vehicle and what the loop knows about it."""

    label: str
    link: GuidedVehicle
    state: VehicleState | None = None
    last_poll_t: float = 0.0
    owned: bool = False  # the vehicle reached GUIDED while engaged
    released: bool = False  # left GUIDED after being owned: never sent to again
    guided_requested: bool = False
    pending: deque[_Sent] = field(default_factory=deque)
    last_echo_t: float = -math.inf
    echo_missing: bool = False
    stale: bool = False
    resume_at: float = -math.inf  # after a silence, wait for a fresh heartbeat (its mode)
    transit_ms: float = math.inf  # the guided speed limit the vehicle reported, m/s
    return_ms: float = math.inf  # the speed of its way home (RTL), m/s

    @property
    def guided_mode(self) -> str:
        return "OFFBOARD" if self.link.autopilot == "px4" else "GUIDED"


def _wait_state(craft: _Craft, clock: Clock, timeout_s: float, need_home: bool) -> VehicleState:
    """Poll until the vehicle has told its position (and home), heartbeating meanwhile."""
    start = clock.now()
    while True:
        craft.link.heartbeat()
        st = craft.link.poll()
        if st is not None:
            craft.state = st
        if craft.state is not None and (craft.state.home is not None or not need_home):
            return craft.state
        if clock.now() - start > timeout_s:
            if craft.state is None:
                raise UnsafeVehicleError(
                    f"the {craft.label} vehicle sent no position within {timeout_s:g} s; "
                    "check that it streams GLOBAL_POSITION_INT",
                    field="connection",
                )
            raise UnsafeVehicleError(
                f"the {craft.label} vehicle has no home position; wait for a GPS fix and "
                "arm it so home is set, then start again",
                field="connection",
            )
        clock.sleep(0.1)


def _preflight(
    craft: _Craft, geo: _Geometry, request: LeadRequest, clock: Clock, report: Report
) -> None:
    """Check the parameters, the state and the position (nothing is sent that changes the
    vehicle)."""
    link = craft.link
    if link.autopilot == "px4":
        names = list(PX4_CHECKS)
    else:
        names = list(ARDUPILOT_CHECKS) + list(ARDUPILOT_OPTIONAL)
    params = link.read_parameters(names)
    problems = check_parameters(link.autopilot, params, request.speed_cap_ms)
    if problems:
        extra = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsafeVehicleError(
            f"the {craft.label} vehicle is not safe to lead: {problems[0]}{extra}; "
            "nothing was changed on it",
            detail="\n".join(problems),
        )
    state = _wait_state(craft, clock, min(request.connect_timeout_s, 10.0), need_home=True)
    if not state.armed:
        raise UnsafeVehicleError(
            f"the {craft.label} vehicle is not armed; take off and hover at the meeting point "
            "first (leading never arms or takes off); nothing was changed on it"
        )
    if state.alt_rel_m < 2.0:
        raise UnsafeVehicleError(
            f"the {craft.label} vehicle is on the ground ({state.alt_rel_m:.1f} m above home); "
            "take off first; nothing was changed on it"
        )
    fence_type = int(params.get("FENCE_TYPE", 0))
    if link.autopilot != "px4" and fence_type & 1 and "FENCE_ALT_MAX" in params:
        assert state.home is not None
        need = geo.max_ground() + request.height_agl_m - state.home[2]
        if need > params["FENCE_ALT_MAX"] - 2.0:
            raise UnsafeVehicleError(
                f"the {craft.label} vehicle's FENCE_ALT_MAX={params['FENCE_ALT_MAX']:g} m is "
                f"below the {need:.0f} m above home the route needs at {request.height_agl_m:g}"
                " m above ground; raise it or launch from higher ground; nothing was changed "
                "on it"
            )
    xy = geo.xy(state.lat, state.lon)
    if not geo.limits.contains(xy):
        _s, off = geo.path.project(xy)
        raise UnsafeVehicleError(
            f"the {craft.label} vehicle is {off:.0f} m from the route, outside the "
            f"{request.corridor_half_width_m:g} m corridor the fence will hold; fly it over "
            "the route first; nothing was changed on it"
        )
    craft.transit_ms = (
        params.get("MPC_XY_VEL_MAX", math.inf)
        if link.autopilot == "px4"
        else params.get("WPNAV_SPEED", math.inf) / 100.0
    )
    # ArduCopter's RTL flies at RTL_SPEED, or WPNAV_SPEED when that is 0 (mode_rtl.cpp).
    rtl = params.get("RTL_SPEED", 0.0) / 100.0 if link.autopilot != "px4" else 0.0
    craft.return_ms = rtl if rtl > 0 else craft.transit_ms
    report(f"{craft.label}: parameters safe, armed, {state.alt_rel_m:.0f} m up, in the corridor")


def _upload_fence(craft: _Craft, geo: _Geometry, request: LeadRequest, report: Report) -> None:
    """Upload the route corridor as the vehicle's inclusion fence."""
    fence = [geo.latlon(x, y) for x, y in geo.corridor_xy]
    craft.link.upload_fence(fence)
    report(
        f"{craft.label}: corridor fence uploaded ({len(fence)} vertices, "
        f"{request.corridor_half_width_m:g} m each side of the route)"
    )


# --------------------------------------------------------------------------- the loop


class _Loop:
    """The control loop's state (see the module docstring)."""

    def __init__(
        self,
        ports: LeadPorts,
        request: LeadRequest,
        geo: _Geometry,
        crafts: list[_Craft],
        report: Report,
        track: Sequence[tuple[float, float, float]],
        detections: Sequence[tuple[float, float, float]],
        profile: DroneProfile | None = None,
    ) -> None:
        self.ports = ports
        self.req = request
        self.geo = geo
        self.clock = ports.clock
        self.lead = crafts[0]
        self.relief = crafts[1] if len(crafts) > 1 else None
        self.crafts = crafts
        self.report_fn = report
        self.summary = LeadSummary()
        self.track = list(track)
        self.detections = list(detections)
        self.ctl = LeadController(
            geo.path,
            LeadSettings(
                lead_m=request.lead_m,
                max_gap_m=request.max_gap_m,
                max_speed_ms=request.speed_cap_ms,
                pace_ms=max(float(np.median(geo.speeds)), 0.1),
            ),
        )
        self.limits = geo.limits
        self.gate = FixGate(path=geo.path, max_offset_m=request.corridor_half_width_m * 1.5)
        self.planner: HandoverPlanner | None = None
        if profile is not None:
            # The relief is connected, armed and flying before leading starts: no launch time;
            # in GUIDED it flies no faster than its guided speed limit.
            transit = min([profile.cruise_speed_ms] + [c.transit_ms for c in crafts])
            home = min([profile.cruise_speed_ms] + [c.return_ms for c in crafts])
            self.planner = HandoverPlanner(
                EnergyModel(profile),
                cruise_speed_ms=max(transit, 0.1),
                return_speed_ms=max(home, 0.1),
                relief_launch_s=0.0,
            )
        self.last_assess = -math.inf
        self.t0 = 0.0
        self.engaged = True
        self.board_seen_engaged = False
        self.phase = "lead"  # lead, relief, arrived, done
        self.commanded_s: float | None = None
        self.relay_s: float | None = None
        self.relief_s: float | None = None  # the relief's place along the route
        self.arrived_at: float | None = None
        self.gaps: list[float] = []
        self.send_times: list[float] = []  # clock time of each target sent
        self.last_board = -math.inf
        self.status = "leading"
        self._said: set[str] = set()
        self.last_mode: LeadMode | None = None

    # -- reporting ------------------------------------------------------------------------

    def say(self, text: str) -> None:
        t = self.clock.now() - self.t0
        self.summary.events.append((round(t, 2), text))
        self.report_fn(f"[{t:7.1f} s] {text}")

    def say_once(self, key: str, text: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self.say(text)

    # -- person fixes ---------------------------------------------------------------------

    def _offer(self, now: float, t: float, lat: float, lon: float, source: FixSource) -> None:
        x, y = self.geo.xy(lat, lon)
        verdict = self.gate.offer(PersonFix(t, float(x), float(y), source), now)
        if not verdict.accepted:
            self.say_once(
                f"reject-{source}-{verdict.reason}",
                f"{source} fix rejected: {verdict.detail or verdict.reason}",
            )
        elif verdict.reanchored:
            self.say(f"person estimate re-anchored ({verdict.detail})")

    def take_fixes(self, now: float) -> None:
        elapsed = now - self.t0
        for rows, source in ((self.track, FixSource.TRACK), (self.detections, FixSource.DETECTOR)):
            while rows and rows[0][0] <= elapsed:
                t, lat, lon = rows.pop(0)
                self._offer(now, self.t0 + t, lat, lon, source)
        detector = self.ports.detector
        if detector is not None:
            for t, u, v in detector.detections(now):
                self._offer_pixel(now, t, u, v)

    def _offer_pixel(self, now: float, t: float, u: float, v: float) -> None:
        """Cast a detection's pixel onto the DEM from the leading vehicle's camera."""
        st = self.lead.state
        if st is None or st.gimbal_pitch_deg is None:
            self.say_once("no-gimbal", "a detection came but the gimbal attitude is unknown")
            return
        x, y = self.geo.xy(st.lat, st.lon)
        try:
            hit = project_to_ground(
                self.req.camera or DEFAULT_CAMERA, (u, v), (float(x), float(y), st.alt_amsl_m),
                st.heading_deg, st.gimbal_pitch_deg, st.gimbal_yaw_deg or 0.0, self.geo.dem,
            )  # fmt: skip
        except InvalidValueError:
            hit = None
        if hit is None:
            self.say_once("ray-miss", "a detection's ray meets no ground (above the horizon)")
            return
        verdict = self.gate.offer(PersonFix(t, hit[0], hit[1], FixSource.DETECTOR), now)
        if not verdict.accepted:
            self.say_once(
                f"reject-detector-{verdict.reason}",
                f"detector fix rejected: {verdict.detail or verdict.reason}",
            )

    def board_io(self, now: float, person: PersonFix | None) -> None:
        board = self.ports.board
        if board is None or now - self.last_board < 1.0:
            return
        self.last_board = now
        at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        positions = []
        for craft in self.crafts:
            if craft.state is not None:
                positions.append(LivePosition(
                    "drone", craft.state.lat, craft.state.lon, at, "vehicle", craft.label
                ))  # fmt: skip
        if person is not None:
            lat, lon = self.geo.latlon(person.x, person.y)
            positions.append(LivePosition("person", lat, lon, at, str(person.source)))
        board.publish(positions, status=self.status)
        for tap in board.crew_taps():
            self._offer(now, now, tap.lat, tap.lon, FixSource.CREW_TAP)
        engaged = board.engaged()
        if engaged and not self.board_seen_engaged:
            self.board_seen_engaged = True
            if not self.engaged:
                self.engaged = True
                self.say("the crew pressed Start leading on the board: targets resume")
        elif not engaged and self.board_seen_engaged:
            self.board_seen_engaged = False
            if self.engaged:
                self.engaged = False
                self.say("the crew pressed Stop on the board: no more targets until Start")

    # -- vehicles -------------------------------------------------------------------------

    def poll(self, craft: _Craft, now: float) -> None:
        st = craft.link.poll()
        prev_poll = craft.last_poll_t
        craft.last_poll_t = now
        if st is not None:
            craft.state = st
        if craft.state is None:
            return
        stale = now - craft.state.time_s > self.req.stale_link_s
        if stale and not craft.stale:
            self.say(f"{craft.label}: no telemetry for {self.req.stale_link_s:g} s; targets held")
        elif craft.stale and not stale:
            # The mode comes with the 1 Hz heartbeat: position may arrive first, so no
            # target goes out until a heartbeat has surely told the mode after the silence.
            craft.resume_at = now + 1.5
            self.say(f"{craft.label}: telemetry back; targets resume only in GUIDED")
        craft.stale = stale
        mode = craft.state.mode
        if mode == craft.guided_mode and self.engaged and not craft.released:
            if not craft.owned:
                craft.owned = True
        elif craft.owned and not craft.released and mode != craft.guided_mode:
            craft.released = True
            reaction = now - prev_poll
            if craft is self.lead:
                self.summary.mode_change = mode
                self.summary.mode_reaction_s = round(reaction, 3)
            self.say(
                f"{craft.label}: the vehicle is in {mode} now (the pilot or a failsafe); "
                "no more targets to it, and it is never switched back"
            )
        self.check_echo(craft, now)

    def check_echo(self, craft: _Craft, now: float) -> None:
        if craft.released:  # no longer ours: what it echoes is not our business
            craft.pending.clear()
            return
        echo = craft.link.last_echo()
        if echo is not None and echo[0] > craft.last_echo_t:
            craft.last_echo_t = echo[0]
            got = echo[1]
            match = None
            for i, sent in enumerate(craft.pending):
                if sent.t <= echo[0] and _same_target(sent.target, got, echo[0] - sent.t):
                    match = i
            if match is not None:
                for _ in range(match + 1):
                    craft.pending.popleft()
                if craft.echo_missing:
                    craft.echo_missing = False
                    self.say(f"{craft.label}: targets confirmed again")
        lost = 0
        while craft.pending and now - craft.pending[0].t > self.req.echo_timeout_s:
            craft.pending.popleft()
            lost += 1
        if lost:
            self.summary.targets_unconfirmed += lost
            if not craft.echo_missing:
                craft.echo_missing = True
                self.say(
                    f"{craft.label}: a target was not echoed within "
                    f"{self.req.echo_timeout_s:g} s (refused by the fence, or lost)"
                )

    def may_send(self, craft: _Craft, now: float) -> bool:
        st = craft.state
        return (
            now >= craft.resume_at
            and self.engaged
            and craft.owned
            and not craft.released
            and not craft.stale
            and st is not None
            and st.mode == craft.guided_mode
            and st.home is not None
        )

    def send(self, craft: _Craft, now: float, xy: np.ndarray, speed: float, s: float,
             face: np.ndarray | None, agl: float | None = None) -> bool:  # fmt: skip
        """Clamp and send a target at map ``xy``; velocity ``speed`` m/s along the route."""
        st = craft.state
        if st is None or st.home is None or not self.may_send(craft, now):
            return False
        vehicle_xy = self.geo.xy(st.lat, st.lon)
        try:
            clamped = self.limits.clamp(
                xy, self.req.height_agl_m if agl is None else agl, vehicle_xy
            )
        except InvalidValueError as exc:
            self.say(f"{craft.label}: target dropped: {exc.message}")
            return False
        cx, cy = (float(v) for v in clamped.xy)
        if clamped.clamped:
            self.say_once(
                f"clamp-{craft.label}-{','.join(clamped.clamped)}",
                f"{craft.label}: a target was clamped ({', '.join(clamped.clamped)})",
            )
        if set(clamped.clamped) - {"min_agl", "max_agl"}:
            speed = 0.0  # a clamped position with a velocity along the route would overshoot
        try:
            ground = self.geo.ground(cx, cy)
        except OutOfRangeError:
            self.say_once(f"offdem-{craft.label}", f"{craft.label}: target off the DEM; held")
            return False
        lat, lon = self.geo.latlon(cx, cy)
        vn, ve = self.geo.velocity_ne(s, min(speed, self.req.speed_cap_ms))
        yaw = self.geo.path.heading_at(s)
        if face is not None:
            d = face - np.array([cx, cy])
            if math.hypot(*d) > 3.0:
                yaw = math.degrees(math.atan2(d[0], d[1])) % 360.0
        target = GuidedTarget(
            lat=lat,
            lon=lon,
            alt_rel_m=ground + clamped.agl_m - st.home[2],
            velocity_ned_ms=(vn, ve, 0.0),
            yaw_deg=yaw,
        )
        craft.link.send_target(target)
        if craft is self.lead:
            self.send_times.append(now)
        craft.pending.append(_Sent(now, target))
        self.summary.targets_sent += 1
        return True

    # -- one step -------------------------------------------------------------------------

    def step(self, now: float, dt: float) -> None:
        for craft in self.crafts:
            craft.link.heartbeat()
        for craft in self.crafts:
            self.poll(craft, now)
        self.take_fixes(now)
        person = self.gate.estimate(now)
        self.board_io(now, person)
        lead = self.lead
        if lead.state is None:
            return
        lead_xy = self.geo.xy(lead.state.lat, lead.state.lon)
        lead_s, _ = self.geo.path.project(
            lead_xy, near_s=self.commanded_s if self.commanded_s is not None else None
        )
        if self.commanded_s is None:
            self.commanded_s = lead_s
        if self.phase in ("lead", "arrived", "relief"):
            self.step_lead(now, dt, person, lead_s)
        if self.phase == "relief":
            self.step_relief(now, person)

    def step_lead(self, now: float, dt: float, person: PersonFix | None, lead_s: float) -> bool:
        lead = self.lead
        assert self.commanded_s is not None
        face = person.xy if person is not None else None
        if person is None:
            self.status = "waiting for a person fix"
            self.say_once("nofix", "no person fix yet (or none for a while): holding")
            hold = self.commanded_s
            self.summary.wait_s += dt
            return self.send(lead, now, self.geo.path.point_at(hold), 0.0, hold, face)
        self._said.discard("nofix")
        pace = self.geo.pace_at(self.commanded_s)
        cmd = self.ctl.update(person.xy, self.commanded_s, dt, pace_ms=pace)
        if cmd.mode != self.last_mode:
            self.last_mode = cmd.mode
            self.say(f"{cmd.mode}: gap {cmd.gap_m:.0f} m, {self.ctl.person_s:.0f} m along")
        new_s = min(cmd.target_s, lead_s + self.req.max_from_vehicle_m * 0.8)
        waiting_relief = False
        if self.phase == "relief" and self.relay_s is not None:
            # Lead on to the relay point, then hold there: the person waits for the relief.
            new_s = min(new_s, self.relay_s + self.req.lead_m)
            waiting_relief = self.ctl.person_s >= self.relay_s - 2.0
        new_s = max(new_s, self.commanded_s if cmd.mode is not LeadMode.WAIT else new_s)
        speed = max(new_s - self.commanded_s, 0.0) / dt if cmd.mode is LeadMode.LEAD else 0.0
        self.commanded_s = new_s
        if waiting_relief:
            self.summary.wait_s += dt
            self.status = "wait here: the relief drone is coming"
            self.say_once(
                "relay-wait", f"the person is at the relay point ({self.relay_s:.0f} m): wait"
            )
        elif cmd.mode is LeadMode.WAIT:
            self.summary.wait_s += dt
            self.status = "waiting for the person"
        elif cmd.mode is LeadMode.ARRIVED:
            self.status = "the person is at the reception point"
            if self.arrived_at is None:
                self.arrived_at = now
                self.summary.arrived = True
                self.say("the person reached the reception point")
        else:
            self.status = "leading"
            self.gaps.append(lead_s - self.ctl.person_s)
        sent = self.send(lead, now, self.geo.path.point_at(new_s), speed, new_s, face)
        self.maybe_call_relief(now, pace)
        return sent

    def maybe_call_relief(self, now: float, pace: float) -> None:
        relief, st = self.relief, self.lead.state
        if self.phase not in ("lead", "relief") or self.lead.released:
            return
        if st is None or st.battery_pct is None or st.home is None:
            return
        if self.phase == "relief" and self.planner is None:
            return
        relay_s = self.ctl.person_s  # without the energy model: wait where he is
        why = f"battery {st.battery_pct:.0f}%"
        if self.planner is not None:
            if now - self.last_assess < 1.0:
                return
            self.last_assess = now
            here = self.geo.xy(st.lat, st.lon)
            home = self.geo.xy(st.home[0], st.home[1])
            person = self.geo.path.point_at(self.ctl.person_s)
            relief_d = 0.0
            if relief is not None and relief.state is not None:
                relief_d = float(np.hypot(*(self.geo.xy(relief.state.lat, relief.state.lon)
                                            - person)))  # fmt: skip
            decision = self.planner.assess(
                battery_pct=min(max(st.battery_pct, 0.0), 100.0),
                distance_home_m=float(np.hypot(*(here - home))),
                path=self.geo.path,
                person_s=min(max(self.ctl.person_s, 0.0), self.geo.path.length),
                pace_ms=pace,
                relief_distance_m=relief_d,
            )
            if decision.must_leave and relief is None:
                self.say_once("must-leave", f"{self.lead.label}: {decision.reason}; no relief")
                self.lead.link.request_mode("RTL")
                self.lead.released = True
                return
            if self.phase == "relief":
                if decision.must_leave:
                    # The relief is late: the leading drone goes now; the person waits alone
                    # and the relief takes over wherever it has got to.
                    self.say(f"{self.lead.label}: {decision.reason}; it returns now")
                    self.take_over()
                return
            if not (decision.call_relief or decision.must_leave) or relief is None:
                return
            why = decision.reason
            if decision.relay_s is not None and not decision.must_leave:
                relay_s = max(float(decision.relay_s), self.ctl.person_s)
        elif relief is None or st.battery_pct > self.req.handover_battery_pct:
            return
        assert relief is not None
        self.phase = "relief"
        self.relay_s = relay_s
        self.status = f"relief drone coming: the person will wait at {relay_s:,.0f} m"
        self.say(f"{self.lead.label}: {why}; relief called to the relay point at {relay_s:.0f} m")
        if relief.state is not None and relief.state.mode != relief.guided_mode:
            relief.link.request_mode(relief.guided_mode)
            relief.guided_requested = True

    def step_relief(self, now: float, person: PersonFix | None) -> None:
        relief = self.relief
        assert relief is not None and self.relay_s is not None
        if relief.state is None or relief.released:
            return
        # Over the relay point, where the person waits, the leading drone being lead_m
        # ahead of it; 5 m higher than the leading height until it takes over.
        goal_s = min(self.relay_s, self.geo.path.length)
        goal = self.geo.path.point_at(goal_s)
        face = person.xy if person is not None else None
        here = self.geo.xy(relief.state.lat, relief.state.lon)
        # Along the route, not straight at the goal: the corridor may bend. Its place along
        # the route is searched near the last one, so a route that doubles back cannot
        # snap it to another stretch.
        here_s, _ = self.geo.path.project(here, near_s=self.relief_s)
        self.relief_s = here_s
        reach = 0.8 * self.req.max_from_vehicle_m
        step_s = float(np.clip(goal_s, here_s - reach, here_s + reach))
        self.send(
            relief, now, self.geo.path.point_at(step_s), 0.0, step_s, face,
            agl=self.req.height_agl_m + 5.0,
        )  # fmt: skip
        if math.hypot(*(here - goal)) <= 5.0 and self.ctl.person_s >= self.relay_s - 5.0:
            self.say(f"{relief.label} over the relay point: it takes over")
            self.take_over(goal_s)

    def take_over(self, at_s: float | None = None) -> None:
        """The relief leads from ``at_s`` (default: where it is); the first drone returns."""
        relief, old = self.relief, self.lead
        assert relief is not None
        self.say(f"{old.label} returns (RTL requested); {relief.label} leads")
        old.link.request_mode("RTL")
        old.released = True
        self.summary.handovers += 1
        self.lead, self.relief = relief, None
        self.commanded_s = at_s if at_s is not None else (self.relief_s or self.ctl.person_s)
        self.phase = "lead"
        self.status = "leading"


def _same_target(sent: GuidedTarget, echo: GuidedTarget, age_s: float) -> bool:
    """Whether an echo ``age_s`` seconds after sending is the target sent.

    ArduCopter moves a position + velocity target on with its velocity between targets
    (``AC_PosControl::input_pos_vel_accel_NE_cm``), so the echo may lie ahead of the sent
    position by the velocity times the time since; a metre is allowed on top for the
    integer and local-frame rounding.
    """
    north = (echo.lat - sent.lat) * 111_320.0
    east = (echo.lon - sent.lon) * 111_320.0 * math.cos(math.radians(sent.lat))
    speed = math.hypot(sent.velocity_ned_ms[0], sent.velocity_ned_ms[1])
    return (
        math.hypot(north, east) <= 1.0 + speed * max(age_s, 0.0)
        and abs(sent.alt_rel_m - echo.alt_rel_m) < 1.0
    )


# --------------------------------------------------------------------------- the use case


def lead(
    ports: LeadPorts,
    request: LeadRequest,
    *,
    confirm: Confirm | None,
    report: Report | None = None,
    track: Sequence[tuple[float, float, float]] | None = None,
) -> LeadSummary:
    """Lead the person along the route with the vehicle on ``request.connection``.

    Parameters
    ----------
    ports
        Vehicles, route and DEM files, the clock, the board.
    request
        What to lead and how (see :class:`LeadRequest`).
    confirm
        Asks the crew, with the given prompt, to confirm the start; True starts. None is
        allowed only with ``request.assume_yes`` on a local connection.
    report
        One line per state change.
    track
        The person's walk as ``(t_s, lat, lon)`` rows, instead of ``person_track_path``.

    Returns
    -------
    LeadSummary
        The figures and the timeline.

    Raises
    ------
    InvalidValueError
        A bad setting, a URL that is not MAVLink, ``assume_yes`` for a remote vehicle, a
        route off the DEM. Nothing was sent.
    UnsafeVehicleError
        A vehicle parameter or state unsafe for leading: nothing was changed on it.
    SafeconductError
        No vehicle answers (field ``connection``), or the crew did not confirm.
    """
    say = report or (lambda _line: None)
    check_request(request)
    if not request.assume_yes and confirm is None:
        raise InvalidValueError("leading needs the crew's confirmation", field="assume_yes")
    geo = _geometry(ports, request)
    rows = list(track) if track is not None else []
    if request.person_track_path is not None:
        if ports.tracks is None:
            raise InvalidValueError("no person-track reader is wired", field="person_track")
        rows = ports.tracks.read_person_track(request.person_track_path)
    detections: list[tuple[float, float, float]] = []
    if request.detections_path is not None and ports.tracks is not None:
        detections = ports.tracks.read_person_track(request.detections_path)
    profile = ports.profiles.load_profile(request.drone) if ports.profiles is not None else None
    clock = ports.clock
    crafts: list[_Craft] = []
    try:
        crafts.append(_Craft("lead", ports.vehicles.open(
            request.connection, clock=clock, tlog_path=request.tlog_path,
            timeout_s=request.connect_timeout_s,
        )))  # fmt: skip
        if request.relief_connection:
            with _beating(crafts):
                crafts.append(_Craft("relief", ports.vehicles.open(
                    request.relief_connection, clock=clock, tlog_path=request.relief_tlog_path,
                    timeout_s=request.connect_timeout_s,
                )))  # fmt: skip
        for craft in crafts:
            with _beating([c for c in crafts if c is not craft]):
                _preflight(craft, geo, request, clock, say)
        names = " and ".join(c.label for c in crafts)
        prompt = (
            f"Lead {geo.path.length:,.0f} m at {request.height_agl_m:g} m above ground with "
            f"the {names} vehicle{'s' if len(crafts) > 1 else ''}? The route corridor goes to "
            "the vehicle as its fence, then targets follow while it is in GUIDED."
        )
        if not request.assume_yes:
            assert confirm is not None
            if not _confirm_beating(confirm, prompt, crafts, ports.board, say):
                raise SafeconductError("the crew did not confirm; nothing was sent to the vehicle")
        for craft in crafts:
            with _beating([c for c in crafts if c is not craft]):
                _upload_fence(craft, geo, request, say)
        loop = _Loop(ports, request, geo, crafts, say, rows, detections, profile)
        return _run(loop)
    finally:
        for craft in crafts:
            craft.link.close()


@contextmanager
def _beating(crafts: list[_Craft]) -> Iterator[None]:
    """Heartbeats to ``crafts`` twice a second while another vehicle's preflight blocks.

    Only around the bounded set-up steps (connecting, reading parameters, uploading a
    fence): once a vehicle has seen us its GCS failsafe counts, and one vehicle's slow
    set-up must not send the other home. The control loop itself never uses this.
    """
    import threading

    if not crafts:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(0.5):
            for craft in crafts:
                craft.link.heartbeat()

    beater = threading.Thread(target=beat, name="lead-setup-heartbeat", daemon=True)
    beater.start()
    try:
        yield
    finally:
        stop.set()
        beater.join()


def _confirm_beating(
    confirm: Confirm,
    prompt: str,
    crafts: list[_Craft],
    board: LiveBoard | None = None,
    say: Report | None = None,
) -> bool:
    """Ask the crew while this thread goes on sending heartbeats (twice a second).

    The vehicles saw our heartbeats during the preflight, so their GCS failsafe is armed: a
    crew that takes longer than ``FS_GCS_TIMEOUT`` to answer must not send them home.

    With a board, the crew may confirm there instead: a press of "Start leading" made
    while the question is open. Only a change from not engaged to engaged counts, so a
    Start left pressed by an earlier run never starts this one.
    """
    import threading

    answer: list[bool] = []
    failure: list[BaseException] = []

    def ask() -> None:
        try:
            answer.append(bool(confirm(prompt)))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    asker = threading.Thread(target=ask, name="lead-confirm", daemon=True)
    asker.start()
    board_was_engaged = board.engaged() if board is not None else True
    if board is not None and say is not None:
        say("or press Start leading on the board")
    while asker.is_alive():
        for craft in crafts:
            craft.link.heartbeat()
            state = craft.link.poll()
            if state is not None:
                craft.state = state
        if board is not None:
            engaged = board.engaged()
            if engaged and not board_was_engaged:
                if say is not None:
                    say("the crew pressed Start leading on the board")
                return True  # the terminal's question is left to its daemon thread
            board_was_engaged = engaged
        asker.join(timeout=0.5)
    if failure:
        raise failure[0]
    return bool(answer and answer[0])


def _engage(loop: _Loop) -> None:
    """Ask the leading vehicle for GUIDED once, if it is not in it; PX4 needs a setpoint
    stream first, so a hold target goes out for a second before the request."""
    lead = loop.lead
    st = lead.state
    if st is None or st.mode == lead.guided_mode:
        return
    loop.say(f"lead: the vehicle is in {st.mode}; asking once for {lead.guided_mode}")
    if lead.link.autopilot == "px4" and st.home is not None:
        hold = GuidedTarget(st.lat, st.lon, st.alt_rel_m, (0.0, 0.0, 0.0), st.heading_deg)
        for _ in range(int(loop.req.rate_hz)):
            lead.link.heartbeat()
            lead.link.send_target(hold)
            loop.clock.sleep(1.0 / loop.req.rate_hz)
    lead.link.request_mode(lead.guided_mode)
    lead.guided_requested = True
    deadline = loop.clock.now() + 3.0
    while loop.clock.now() < deadline:
        lead.link.heartbeat()
        state = lead.link.poll()
        if state is not None:
            lead.state = state
            if state.mode == lead.guided_mode:
                return
        loop.clock.sleep(0.1)


def _run(loop: _Loop) -> LeadSummary:
    clock, req = loop.clock, loop.req
    period = 1.0 / req.rate_hz
    for craft in loop.crafts:
        _wait_state(craft, clock, 5.0, need_home=True)
    loop.t0 = clock.now()
    _engage(loop)
    loop.say(f"leading starts ({req.rate_hz:g} Hz)")
    next_t = clock.now()
    last = next_t
    done_at: float | None = None
    interrupted = False
    try:
        while True:
            now = clock.now()
            dt = min(max(now - last, 1e-3), 1.0)
            last = now
            loop.step(now, dt)
            lead = loop.lead
            all_released = lead.released and (loop.relief is None or loop.relief.released)
            if done_at is None:
                reason = None
                if all_released:
                    reason = "no vehicle is ours to lead any more; heartbeats go on"
                elif loop.arrived_at is not None and now - loop.arrived_at >= req.arrive_hold_s:
                    reason = "the walk is over"
                elif req.max_duration_s is not None and now - loop.t0 >= req.max_duration_s:
                    reason = f"time limit of {req.max_duration_s:g} s reached"
                if reason is not None:
                    done_at = now
                    loop.phase = "done"
                    loop.status = reason
                    if req.finish_rtl and not lead.released:
                        lead.link.request_mode("RTL")
                        lead.released = True
                        reason += "; RTL requested"
                    for craft in loop.crafts:
                        craft.released = True
                    loop.say(reason)
            elif req.linger_s is not None and now - done_at >= req.linger_s:
                break
            if done_at is not None and lead.state is not None and not lead.state.armed:
                loop.say("the vehicle disarmed")
                break
            next_t += period
            wait = next_t - clock.now()
            if wait < -period:  # fell behind: do not burst to catch up
                next_t = clock.now()
            clock.sleep(wait)
    except KeyboardInterrupt:
        interrupted = True
        loop.say("interrupted: heartbeats stop; the vehicle's GCS failsafe applies")
    s = loop.summary
    s.duration_s = round(clock.now() - loop.t0, 1)
    # Targets per second over the stretches the loop was sending (a pause of more than a
    # second, e.g. a lost link or a stop, is left out), clock seconds.
    gaps = np.diff(np.array(loop.send_times))
    busy = float(gaps[gaps <= 1.0].sum()) if gaps.size else 0.0
    if busy >= 1.0:
        s.target_rate_hz = round(float((gaps <= 1.0).sum()) / busy, 2)
    if loop.gaps:
        s.gap_median_m = round(float(np.median(loop.gaps)), 1)
        s.gap_p95_m = round(float(np.percentile(loop.gaps, 95)), 1)
    s.fixes = dict(loop.gate.counts)
    s.wait_s = round(s.wait_s, 1)
    if interrupted:
        s.events.append((s.duration_s, "interrupted"))
    return s


# --------------------------------------------------------------------------- rehearsal


@dataclass(frozen=True)
class LiveRehearsalPorts:
    """Leading's edges plus the vehicle simulators."""

    lead: LeadPorts
    simulators: SimulatedVehicles


def walker_track(
    geo_route: LeadRoute, dem: Dem, *, seed: int = 0, injured: bool = False,
    pace_factor: float = 1.0, start_s: float = 0.0,
) -> list[tuple[float, float, float]]:  # fmt: skip
    """A simulated walker along the route as ``(t_s, lat, lon)`` rows, one a second.

    The person walks at the route's planned speed per leg times the
    :class:`~safeconduct.guidance.rehearsal.PersonProfile`'s pace, with its slow variation
    and short stops. He does not react to the live drone (a recorded walk).
    """
    from safeconduct.guidance.rehearsal import PersonProfile

    profile = PersonProfile.injured() if injured else PersonProfile()
    rng = np.random.default_rng(seed)
    lon = np.array([w[0] for w in geo_route.waypoints])
    lat = np.array([w[1] for w in geo_route.waypoints])
    xs, ys = dem.lonlat_to_xy(lon, lat)
    path = RoutePath(np.column_stack([xs, ys]))
    speeds = [leg.speed_ms or 1.0 for leg in geo_route.legs]
    stations = path.vertex_s
    s, t, factor, rest = start_s, 0.0, 1.0, 0.0
    rows: list[tuple[float, float, float]] = []
    while True:
        x, y = path.point_at(s)
        lo, la = dem.xy_to_lonlat(x, y)
        rows.append((t, float(la), float(lo)))
        if s >= path.length - 0.5:
            break
        i = min(max(int(np.searchsorted(stations, s, side="right")) - 1, 0), len(speeds) - 1)
        if rest > 0:
            rest -= 1.0
        elif rng.random() < 1.0 / profile.stop_every_s:
            rest = float(rng.uniform(*profile.stop_s))
        else:
            factor = 1.0 + 0.98 * (factor - 1.0) + rng.normal(0.0, profile.variation * 0.2)
            factor = float(np.clip(factor, 0.5, 1.5))
            s = min(s + speeds[i] * profile.pace_factor * factor * pace_factor, path.length)
        t += 1.0
    return rows


def rehearse_live(
    ports: LiveRehearsalPorts,
    route_path: PathLike,
    dem_path: PathLike,
    *,
    speed: float = 10.0,
    seed: int = 0,
    injured: bool = False,
    relief: bool = True,
    report: Report | None = None,
) -> LeadSummary:
    """Lead a simulated walker with simulated vehicles, in accelerated time.

    The leading vehicle hovers over the route's start; with ``relief``, a second one waits
    there too and takes over when the first one's battery (draining so that it lasts about
    half the walk) runs low. The real MAVLink adapter and the real control loop run; only
    the vehicles and the walker are simulated.

    Parameters
    ----------
    speed
        How much faster than real time (the clock in ``ports.lead`` must run at the same
        rate).
    """
    say = report or (lambda _line: None)
    if not (math.isfinite(speed) and 1.0 <= speed <= 50.0):
        raise InvalidValueError(f"{speed:g} is not a speed-up in 1-50", field="speed")
    route = ports.lead.routes.read_lead_route(route_path)
    dem = ports.lead.dems.read_dem(dem_path)
    rows = walker_track(route, dem, seed=seed, injured=injured)
    lon0, lat0, _ = route.waypoints[0]
    try:
        DemTerrain(dem, GeoPoint(lat0, lon0))
    except OutOfRangeError as exc:
        raise InvalidValueError(exc.message, field="route_path") from None
    # The simulator's ground is flat at its home's height: home goes at the lowest ground
    # along the route, so a copter following the terrain down a valley never touches it.
    xs, ys = dem.lonlat_to_xy([w[0] for w in route.waypoints], [w[1] for w in route.waypoints])
    path = RoutePath(np.column_stack([xs, ys]))
    along = np.array([path.point_at(s) for s in np.arange(0.0, path.length, 5.0)])
    ground = float(np.nanmin(ground_height(dem, along[:, 0], along[:, 1]))) - 1.0
    walk_s = rows[-1][0]
    drain = 60.0 / max(walk_s * 0.5, 60.0)  # from 100% to 40% in half the walk
    # The simulated vehicles' GCS failsafe waits two real seconds at least: in accelerated
    # time a busy computer's pause would otherwise trip it (5 s at 20x is a quarter second;
    # half a second was tripped by a loaded two-core machine 4,000 s into the sample walk).
    fs_timeout = max(5.0, 2.0 * speed)
    # Home is the route's start: the way back flies at RTL_SPEED (10 m/s), not at the
    # 3 m/s a vehicle in GUIDED is held to.
    params = {"FS_GCS_TIMEOUT": fs_timeout, "RTL_SPEED": 1000.0}
    sims = [ports.simulators.start(
        home=(lat0, lon0, ground), time_scale=speed, battery_drain_pct_per_s=drain,
        params=params,
    )]  # fmt: skip
    try:
        if relief:
            sims.append(ports.simulators.start(
                home=(lat0, lon0, ground), time_scale=speed, battery_drain_pct_per_s=0.0,
                params=params,
            ))  # fmt: skip
        say(
            f"simulated walker: {len(rows)} s over the route; vehicles at {speed:g}x "
            f"real time on 127.0.0.1 (GCS failsafe after {fs_timeout:g} simulated s)"
        )
        request = LeadRequest(
            connection=sims[0].connection,
            route_path=route_path,
            dem_path=dem_path,
            relief_connection=sims[1].connection if relief else None,
            assume_yes=True,
            linger_s=0.0,
            finish_rtl=True,
            # As the failsafe above: judge the link in real time, not accelerated time.
            stale_link_s=max(2.0, 0.5 * speed),
            echo_timeout_s=max(1.0, 0.1 * speed),
            max_duration_s=walk_s * 2 + 600.0,
        )
        return lead(ports.lead, request, confirm=None, report=say, track=rows)
    finally:
        for sim in sims:
            sim.stop()


__all__ = [
    "LOCAL_HOSTS",
    "LeadPorts",
    "LeadRequest",
    "LeadSummary",
    "LiveRehearsalPorts",
    "UnsafeVehicleError",
    "check_parameters",
    "check_request",
    "connection_host",
    "lead",
    "rehearse_live",
    "walker_track",
]
