"""The sortie builder: mission items appended in flight order, with the clock and energy.

A :class:`SortieBuilder` flies one sortie on paper. Each step (take off, fly a straight
leg, climb or descend over a point, loiter, drop the note, lead along the route, return)
appends its mission items and advances the sortie's clock and energy meter with them, so
that the times and energies the planner reports are those of the items it writes. The
steps follow the procedure of the guide (section 1):

1. ``DO_GRIPPER`` grab (the first sortie, with a gripper: the release is then the one
   the plan means), ``NAV_TAKEOFF`` to the transit height; ``DO_CHANGE_SPEED`` to cruise
   speed;
2. transit to the meeting point at a safe height (points inserted where the ground rises,
   or where it falls further than the maximum height above ground allows, with a DEM);
3. descend to the drop height and release the note (``DO_GRIPPER`` or ``DO_SET_SERVO``),
   wait a moment (``NAV_DELAY``) for it to fall;
4. climb to the leading height and wait for the surrender signal: by default
   ``NAV_LOITER_UNLIM``, until the crew confirms the signal and advances the mission
   (the clock and the energy allow ``signal_wait_s`` for it); with
   ``timed_acknowledge``, ``NAV_LOITER_TIME`` of ``signal_wait_s``;
5. acknowledge: rise and descend ``ack_rise_m``, twice;
6. lead: per route leg a ``DO_CHANGE_SPEED`` to the leg's expected walking speed, the
   heading along the route (``CONDITION_YAW`` before each leg on ArduPilot, waypoint
   ``param4`` yaw on PX4), and ``NAV_WAYPOINT`` with a hold time (``param1``) where the
   route turns sharply or the next leg climbs (ArduPilot resets the heading at each new
   waypoint unless ``WP_YAW_BEHAVIOR`` is 0, which the crew must set: see
   :data:`~safeconduct.mission.settings.VEHICLE_PARAMETERS`);
7. hover over the reception point (``NAV_LOITER_TIME``);
8. return: climb to the transit height, fly home over the terrain at cruise speed, and
   ``NAV_RETURN_TO_LAUNCH`` to land. (Plain RTL flies straight at a fixed height above
   home and does not follow the ground; the explicit return leg keeps the clearance.)

A relief sortie flies 1-2 to its holding point beyond the waiting point, descends to the
leading height, waits for the handover, acknowledges, and goes on from 6.

The clock is ArduCopter's (:mod:`~safeconduct.mission.timing`): each transit, climb and
descent leg is the firmware's S-curve at the parameter file's speeds and accelerations
(horizontal speed within what the tilt limit holds), corners between legs flown without
stopping as ``AC_WPNav`` blends them, take-off and landing as the firmware runs them.
Leading legs take the route's walking time. Loiter, hold and delay times are whole
seconds, rounded up (:func:`~safeconduct.mission.items.whole_seconds`). No I/O here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from pyproj import Geod

from safeconduct.mission.clearance import Position, Terrain
from safeconduct.mission.energy import EnergyModel
from safeconduct.mission.items import (
    NAV_COMMANDS,
    Command,
    Frame,
    MissionItem,
    round_item,
    round_value,
    whole_seconds,
)
from safeconduct.mission.lead_route import LeadRoute
from safeconduct.mission.profiles import DroneProfile
from safeconduct.mission.settings import MissionSettings, Release
from safeconduct.mission.sorties import Phase
from safeconduct.mission.timing import (
    START_FROM_REST_LAG_S,
    FlightParameters,
    Leg,
    corner_overlap,
    landing_time,
    make_leg,
    takeoff_time,
)
from safeconduct.terrain.coords import GeoPoint

_GEOD = Geod(ellps="WGS84")


def bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Initial bearing from ``a`` to ``b`` (``(lon, lat)`` degrees), degrees 0-360, to 0.01."""
    az, _, _ = _GEOD.inv(a[0], a[1], b[0], b[1])
    return round(az % 360.0, 2) % 360.0


def distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance on the ellipsoid from ``a`` to ``b`` (``(lon, lat)`` degrees), metres."""
    return float(_GEOD.inv(a[0], a[1], b[0], b[1])[2])


@dataclass
class BuildContext:
    """What every sortie of one plan shares: the route, the drone, the ground, the settings."""

    route: LeadRoute
    launch: GeoPoint
    profile: DroneProfile
    energy: EnergyModel
    terrain: Terrain
    firmware: str
    release: Release
    settings: MissionSettings
    holds: list[float]
    flight: FlightParameters
    #: Horizontal speed the drone holds at the tilt limit, m/s (caps every commanded speed).
    speed_cap_ms: float = math.inf


class SortieBuilder:
    """Appends mission items and keeps the clock and the energy meter in step with them."""

    def __init__(
        self,
        ctx: BuildContext,
        start: Position | None = None,
        *,
        track_clearance: bool = True,
    ) -> None:
        self.ctx = ctx
        launch = ctx.launch
        self.lon, self.lat, self.alt = start or (
            round_value(launch.lon),
            round_value(launch.lat),
            0.0,
        )
        self.items: list[MissionItem] = []
        self.t = 0.0
        self.e = 0.0
        self.heading = 0.0
        self.speed: float | None = None
        self.marks: dict[str, float] = {}
        self.phases: list[Phase] = []
        self._open: tuple[str, float, float] | None = None
        self.track_clearance = track_clearance
        self.min_clearance: float | None = None
        self.max_height: float | None = None
        # The last waypoint leg, while nothing that takes time has followed it: the next
        # leg may blend with it through the corner (see ``_motion``).
        self._last: tuple[Leg, float] | None = None

    # bookkeeping
    def phase(self, name: str) -> None:
        self.close()
        self._open = (name, self.t, self.e)

    def close(self) -> None:
        if self._open is not None:
            name, t0, e0 = self._open
            self.phases.append(Phase(name, t0, self.t, self.e - e0))
            self._open = None

    def mark(self, key: str) -> None:
        self.marks[key] = self.t

    def _spend(self, seconds: float, power_w: float, climb_m: float = 0.0) -> None:
        self.t += seconds
        self.e += self.ctx.energy.energy_wh(power_w, seconds) + self.ctx.energy.climb_wh(climb_m)

    def _wait(self, seconds: float, power_w: float) -> None:
        """Time that stops the drone (hold, loiter, delay): no corner blends across it."""
        self._spend(seconds, power_w)
        self._last = None

    def _shift_back(self, seconds: float, power_w: float) -> None:
        """Move "now" back by ``seconds``: the item changed that much earlier.

        Marks and phase boundaries set at "now" (between the two legs of a corner) move
        with it, and the energy of those seconds goes to the next phase.
        """
        now, e_back = self.t, self.ctx.energy.energy_wh(power_w, seconds)
        self.t -= seconds
        self.e -= e_back
        for key, value in self.marks.items():
            if value == now:
                self.marks[key] = self.t
        if self.phases and self.phases[-1].end_s == now:
            last = self.phases[-1]
            self.phases[-1] = replace(last, end_s=self.t, energy_wh=last.energy_wh - e_back)
        if self._open is not None and self._open[1] == now:
            self._open = (self._open[0], self.t, self._open[2] - e_back)

    def _motion(self, leg: Leg, power_w: float, climb_m: float, *, fast: bool) -> None:
        """Fly ``leg`` as ArduCopter does: blended with the last leg, or from rest.

        ``fast``: this leg's waypoint has no hold, so the leg after it may blend in.
        """
        fp = self.ctx.flight
        if leg.duration_s <= 0.0:
            self._last = None
            return
        blend = 0.0
        if self._last is not None:
            prev, prev_power = self._last
            blend = corner_overlap(prev, leg, fp)
            if blend > 0.0:
                self._shift_back(blend, prev_power)
        lag = 0.0 if blend > 0.0 else START_FROM_REST_LAG_S
        self._spend(leg.duration_s - blend + lag, power_w, climb_m)
        self._last = (leg, power_w) if fast else None

    def _add(self, item: MissionItem) -> None:
        self.items.append(round_item(item))

    def _nav(self, command: Command, params: tuple[float, float, float, float]) -> None:
        self._add(MissionItem(command, Frame.GLOBAL_RELATIVE_ALT, params,
                              self.lat, self.lon, self.alt))  # fmt: skip

    def _yaw_param(self) -> float:
        # PX4 takes the heading at a waypoint in param4; ArduPilot ignores it (0).
        return self.heading if self.ctx.firmware == "px4" else 0.0

    def _vertical_time(self, dz: float) -> float:
        fp = self.ctx.flight
        return dz / fp.speed_up_ms if dz >= 0 else -dz / fp.speed_down_ms

    def _cruise(self) -> float:
        """The horizontal speed the drone holds now: commanded, within the tilt limit."""
        return min(self.speed or self.ctx.profile.cruise_speed_ms, self.ctx.speed_cap_ms)

    # flight
    def grab(self) -> None:
        """Close the gripper on the note before take-off (nothing for a servo release)."""
        item = self.ctx.release.grab_item()
        if item is not None:
            self._add(item)

    def takeoff(self, agl_m: float, towards: tuple[float, float]) -> None:
        self.heading = bearing((self.lon, self.lat), towards)
        alt = self.ctx.terrain.altitude(self.lon, self.lat, agl_m)
        dz = alt - self.alt
        self.alt = alt
        self._nav(Command.NAV_TAKEOFF, (0.0, 0.0, 0.0, self._yaw_param()))
        self._last = None
        self._spend(takeoff_time(dz, self.ctx.flight), self.ctx.energy.hover_power_w, dz)

    def set_speed(self, speed_ms: float) -> None:
        speed_ms = round_value(speed_ms)
        if speed_ms != self.speed:
            self._add(MissionItem(Command.DO_CHANGE_SPEED, Frame.MISSION,
                                  (1.0, speed_ms, -1.0, 0.0)))  # fmt: skip
            self.speed = speed_ms

    def fly_to(
        self,
        lon: float,
        lat: float,
        agl_m: float,
        *,
        power_w: float,
        duration_s: float | None = None,
        hold_s: float = 0.0,
        face_along: bool = False,
    ) -> None:
        """Fly a straight leg keeping ``agl_m`` of clearance all along it.

        Points are inserted where the ground rises into the leg, and where it falls more
        than ``max_height_agl_m`` below it (with a DEM).

        The time is ``duration_s`` when given (leading: the route's walking time; a steep
        sub-leg takes as long as its climb or descent at the vertical speeds), else the
        firmware's S-curve for each sub-leg, blended through the corners.
        """
        ctx = self.ctx
        target = (round_value(lon), round_value(lat))
        here = (self.lon, self.lat)
        if distance(here, target) > 0.5:
            self.heading = bearing(here, target)
        if face_along and ctx.firmware == "ardupilot":
            # Before the leg's first NAV item: the heading holds while flying the leg.
            self._add(MissionItem(Command.CONDITION_YAW, Frame.MISSION,
                                  (self.heading, 0.0, 0.0, 0.0)))  # fmt: skip
        end = (target[0], target[1], ctx.terrain.altitude(target[0], target[1], agl_m))
        start = (self.lon, self.lat, self.alt)
        extra = ctx.terrain.leg_points(
            start, end, agl_m, max_height_m=ctx.settings.max_height_agl_m
        )
        inserted = [(round_value(p[0]), round_value(p[1]), p[2]) for p in extra]
        points = [*inserted, end]
        froms = [start, *points[:-1]]
        dists = [distance(a[:2], b[:2]) for a, b in zip(froms, points, strict=True)]
        total = sum(dists)
        prev = start
        hold_s = whole_seconds(hold_s)
        for k, (p, d) in enumerate(zip(points, dists, strict=True)):
            last = k == len(points) - 1
            dz = p[2] - prev[2]
            if self.track_clearance:
                heights = ctx.terrain.height_range(prev, p)
                if heights is not None:
                    low, high = heights
                    if self.min_clearance is None or self.max_height is None:
                        self.min_clearance, self.max_height = low, high
                    else:
                        self.min_clearance = min(self.min_clearance, low)
                        self.max_height = max(self.max_height, high)
            leg_bearing = bearing(prev[:2], p[:2]) if d > 0.5 else self.heading
            self.lon, self.lat, self.alt = p
            hold = hold_s if last else 0.0
            self._nav(Command.NAV_WAYPOINT, (hold, 0.0, 0.0, self._yaw_param()))
            if duration_s is not None:
                horizontal = duration_s * (d / total if total > 0 else 1.0 / len(points))
                self._spend(max(horizontal, self._vertical_time(dz)), power_w, dz)
                self._last = None
            else:
                leg = make_leg(d, dz, leg_bearing, ctx.flight, self._cruise())
                self._motion(leg, power_w, dz, fast=not hold)
            if hold:
                self._wait(hold, ctx.energy.lead_power_w)
            prev = p

    def vertical(self, agl_m: float, hold_s: float = 0.0) -> None:
        """Climb or descend over the current point to ``agl_m`` above the ground."""
        hold_s = whole_seconds(hold_s)
        alt = self.ctx.terrain.altitude(self.lon, self.lat, agl_m)
        dz = alt - self.alt
        self.alt = alt
        self._nav(Command.NAV_WAYPOINT, (hold_s, 0.0, 0.0, self._yaw_param()))
        power = self.ctx.energy.hover_power_w
        leg = make_leg(0.0, dz, self.heading, self.ctx.flight, self._cruise())
        self._motion(leg, power, dz, fast=not hold_s)
        if hold_s:
            self._wait(hold_s, power)

    def loiter(self, seconds: float) -> None:
        """``NAV_LOITER_TIME`` here for ``seconds``, rounded up to a whole second."""
        seconds = whole_seconds(seconds)
        self._nav(Command.NAV_LOITER_TIME, (seconds, 0.0, 0.0, 0.0))
        self._wait(seconds, self.ctx.energy.lead_power_w)

    def loiter_until_advanced(self, allow_s: float) -> None:
        """``NAV_LOITER_UNLIM`` here: the crew advances the mission; ``allow_s`` is planned."""
        self._nav(Command.NAV_LOITER_UNLIM, (0.0, 0.0, 0.0, 0.0))
        self._wait(whole_seconds(allow_s), self.ctx.energy.lead_power_w)

    def delay(self, seconds: float) -> None:
        """``NAV_DELAY`` of ``seconds``, rounded up to a whole second."""
        seconds = whole_seconds(seconds)
        self._add(MissionItem(Command.NAV_DELAY, Frame.MISSION, (seconds, -1.0, -1.0, -1.0)))
        self._wait(seconds, self.ctx.energy.hover_power_w)

    def release(self) -> None:
        self._add(self.ctx.release.item())

    def acknowledge(self) -> None:
        s = self.ctx.settings
        for _ in range(2):
            self.vertical(s.lead_height_m + s.ack_rise_m, s.ack_hold_s)
            self.vertical(s.lead_height_m, s.ack_hold_s)

    def return_home(self) -> None:
        ctx, s = self.ctx, self.ctx.settings
        self.phase("return")
        self.vertical(s.transit_height_m)
        self.set_speed(ctx.profile.cruise_speed_ms)
        self.fly_to(ctx.launch.lon, ctx.launch.lat, s.transit_height_m,
                    power_w=ctx.energy.cruise_power_w)  # fmt: skip
        self.phase("land")
        self._add(MissionItem(Command.NAV_RETURN_TO_LAUNCH, _frame(Command.NAV_RETURN_TO_LAUNCH)))
        self._wait(landing_time(self.alt, ctx.flight), ctx.energy.hover_power_w)
        self.alt = 0.0
        self.close()

    def lead(self, s_from: float, s_to: float) -> None:
        """Lead along the route from ``s_from`` to ``s_to`` metres, at walking pace."""
        ctx = self.ctx
        route, st = ctx.route, ctx.route.stations_m
        lead_h = ctx.settings.lead_height_m
        inner = range(1, len(st) - 1)
        stops = [(float(st[j]), j) for j in inner if s_from + 0.5 < st[j] < s_to - 0.5]
        stops.append((s_to, -1))
        here = s_from
        for s, j in stops:
            leg, _ = route.locate((here + s) / 2.0)
            self.set_speed(max(route.legs[leg].speed_ms, 0.2))
            lon, lat = route.waypoints[j][:2] if j >= 0 else route.point_at(s)
            self.fly_to(
                lon, lat, lead_h,
                power_w=ctx.energy.lead_power_w,
                duration_s=route.time_at(s) - route.time_at(here),
                hold_s=ctx.holds[j] if j >= 0 else 0.0,
                face_along=True,
            )  # fmt: skip
            here = s


def _frame(command: Command) -> Frame:
    # NAV_RETURN_TO_LAUNCH carries no position: it goes in frame 2 (MISSION), as
    # QGroundControl writes it. PX4's parse_mavlink_mission_item refuses it in any other
    # frame; ArduPilot ignores its frame (and stores 0).
    if command is Command.NAV_RETURN_TO_LAUNCH:
        return Frame.MISSION
    return Frame.GLOBAL_RELATIVE_ALT if command in NAV_COMMANDS else Frame.MISSION


def waypoint_holds(route: LeadRoute, settings: MissionSettings) -> list[float]:
    """Hold time at each route waypoint, seconds: where it turns sharply or climbs next.

    The first and last waypoints get 0 (the drone is over the person at the start, and
    hovers over the reception point anyway).
    """
    wps = route.waypoints
    holds = [0.0] * len(wps)
    for j in range(1, len(wps) - 1):
        a, b, c = wps[j - 1][:2], wps[j][:2], wps[j + 1][:2]
        turn = abs((bearing(b, c) - bearing(a, b) + 180.0) % 360.0 - 180.0)
        leg = route.legs[j]
        grade = leg.ascent_m / leg.distance_m if leg.distance_m > 0 else 0.0
        hold = settings.turn_hold_s if turn > settings.sharp_turn_deg else 0.0
        if leg.ascent_m >= settings.climb_ascent_m or grade >= settings.climb_grade:
            hold = max(hold, settings.climb_hold_s)
        holds[j] = hold
    return holds


def launch_and_transit(
    ctx: BuildContext, point: tuple[float, float], *, grab: bool = False
) -> SortieBuilder:
    """Take off and fly at cruise speed and transit height to ``point``; mark the arrival.

    ``grab``: close the gripper on the note first (the sortie that drops it).
    """
    s = ctx.settings
    b = SortieBuilder(ctx)
    if grab:
        b.grab()
    b.phase("take off")
    b.takeoff(s.transit_height_m, point)
    b.phase("transit")
    b.set_speed(ctx.profile.cruise_speed_ms)
    b.fly_to(*point, s.transit_height_m, power_w=ctx.energy.cruise_power_w)
    b.mark("arrival")
    return b


def start_first(ctx: BuildContext) -> SortieBuilder:
    s = ctx.settings
    b = launch_and_transit(ctx, ctx.route.point_at(0.0), grab=True)
    b.phase("drop note")
    b.vertical(s.drop_height_m, s.drop_hold_s)
    b.release()
    b.delay(s.after_release_s)
    b.phase("wait for signal")
    b.vertical(s.lead_height_m)
    if s.timed_acknowledge:
        b.loiter(s.signal_wait_s)
    else:
        b.loiter_until_advanced(s.signal_wait_s)
    b.phase("acknowledge")
    b.acknowledge()
    b.mark("lead_start")
    return b


def start_relief(ctx: BuildContext, hold_at_m: float, wait_after_arrival_s: float) -> SortieBuilder:
    s = ctx.settings
    b = launch_and_transit(ctx, ctx.route.point_at(hold_at_m))
    b.phase("descend")
    b.vertical(s.lead_height_m)
    b.phase("wait for handover")
    b.loiter(b.marks["arrival"] + wait_after_arrival_s - b.t)
    b.phase("acknowledge")
    b.acknowledge()
    b.mark("lead_start")
    return b


def finish(b: SortieBuilder, s_from: float, s_to: float, end_hold_s: float, last: bool) -> None:
    b.phase("lead")
    b.lead(s_from, s_to)
    b.mark("lead_end")
    b.phase("hover at reception" if last else "hand over")
    b.loiter(end_hold_s)
    b.mark("leave")
    b.return_home()
    b.mark("landing")


__all__ = [
    "BuildContext",
    "SortieBuilder",
    "bearing",
    "distance",
    "finish",
    "launch_and_transit",
    "start_first",
    "start_relief",
    "waypoint_holds",
]
