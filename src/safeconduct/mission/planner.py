"""The planner: from a route to the sorties that lead it, with relays, on the clock.

:func:`plan_sorties` turns a :class:`~safeconduct.mission.lead_route.LeadRoute` into a
:class:`~safeconduct.mission.sorties.MissionPlan`: it cuts the route into the stretches
successive sorties lead (:mod:`~safeconduct.mission.builder` flies each on paper), puts
them on the clock from the meeting time, and gives each a drone.

Relay. When one sortie cannot lead the whole route and land with the reserve kept, it
leads only to a *waiting point* (the note tells the person to stop and wait for the next
drone), hovers there and leaves. A relief sortie launches so that it is in place
``relief_margin_s`` before the first drone reaches the waiting point, and so before the
first must leave: it holds ``handover_offset_m`` further along the route at leading
height (clear of the departing drone, which climbs straight up), waits until the first
leaves, acknowledges like the first sortie, and leads on. The route is cut into as few
stretches as the energy allows, and the stretches are then evened out, so that no relief
leads only a short remainder; waiting points prefer a point out of every observer's view.

Note on the signal wait: a mission cannot see the signal. By default the first sortie
loiters at the meeting point (``NAV_LOITER_UNLIM``) until the crew, watching the video,
confirms the signal and advances the mission; only then does it acknowledge and lead.
How long that takes is unknown: the clock and the energy allow ``signal_wait_s`` for it,
and every later time (leading, the reliefs' launches) holds only if the signal comes
within it. With ``timed_acknowledge`` the loiter ends after ``signal_wait_s`` whether or
not anyone signalled. No I/O here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from safeconduct.errors import InvalidValueError, OutOfRangeError, UnreachableError
from safeconduct.limits import check_meeting_time
from safeconduct.mission.builder import (
    BuildContext,
    SortieBuilder,
    finish,
    start_first,
    start_relief,
    waypoint_holds,
)
from safeconduct.mission.clearance import FlatTerrain, Terrain
from safeconduct.mission.energy import EnergyModel, furthest_affordable
from safeconduct.mission.items import MissionItem, round_value
from safeconduct.mission.lead_route import LeadRoute
from safeconduct.mission.parameters import flight_parameters
from safeconduct.mission.profiles import DroneProfile
from safeconduct.mission.settings import (
    FIRMWARE_MAX_ITEMS,
    MissionSettings,
    Release,
    check_firmware,
)
from safeconduct.mission.sorties import MissionPlan, Sortie
from safeconduct.mission.timing import FlightParameters, tilt_limited_speed
from safeconduct.terrain.coords import GeoPoint

#: A leg higher above the ground than the maximum by less than this is rounding, metres.
_HEIGHT_TOLERANCE_M = 0.05


class _ReturnCosts:
    """Energy to hover at, and return home from, points along the route (cached)."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self._cache: dict[float, float] = {}

    def __call__(self, s: float) -> float:
        if s not in self._cache:
            ctx = self.ctx
            lon, lat = (round_value(v) for v in ctx.route.point_at(s))
            alt = ctx.terrain.altitude(lon, lat, ctx.settings.lead_height_m)
            b = SortieBuilder(ctx, (lon, lat, alt), track_clearance=False)
            b.return_home()
            self._cache[s] = b.e
        return self._cache[s]


def _candidates(route: LeadRoute, s_from: float, s_until: float, step: float) -> list[float]:
    """Waypoints and points every ``step`` metres in ``(s_from, s_until]``."""
    st = route.stations_m
    out: set[float] = {float(v) for v in st if s_from + step / 2 < v <= s_until}
    for i in range(len(route.legs)):
        a, b = float(st[i]), float(st[i + 1])
        k = 1
        while a + k * step < b - step / 2:
            v = a + k * step
            if s_from + step / 2 < v <= s_until:
                out.add(round(v, 3))
            k += 1
    return sorted(out)


def plan_sorties(
    route: LeadRoute,
    launch: GeoPoint,
    profile: DroneProfile,
    *,
    terrain: Terrain | None = None,
    meeting_time: datetime | None = None,
    now: datetime | None = None,
    firmware: str = "ardupilot",
    release: Release | None = None,
    settings: MissionSettings | None = None,
    flight: FlightParameters | None = None,
) -> MissionPlan:
    """Plan the sorties that lead ``route``, with relays where one sortie is not enough.

    Parameters
    ----------
    route
        The walking route, meeting point first.
    launch
        Launch point (home) of every sortie, WGS84.
    profile
        The drone profile.
    terrain
        :class:`~safeconduct.mission.clearance.DemTerrain` to keep the clearance over a
        DEM; None flies heights relative to the launch point (and says so in warnings).
    meeting_time
        When the person will be at the meeting point (time-zone aware). None: as soon as
        possible, the first sortie launching at ``now`` rounded up to the minute.
    now
        The current time (time-zone aware); defaults to the clock.
    firmware
        ``"ardupilot"`` or ``"px4"``.
    release
        How the note is released (default: gripper).
    settings
        Heights, waits and margins (defaults: :class:`MissionSettings`).
    flight
        The vehicle parameters the clock assumes; default: those the sortie's parameter
        file sets (:func:`~safeconduct.mission.parameters.flight_parameters`). Pass
        :data:`~safeconduct.mission.timing.ARDUPILOT_DEFAULTS` to time a drone that keeps
        ArduPilot's defaults.

    Returns
    -------
    MissionPlan

    Relays: the route is cut into as few stretches as the energy allows, and the stretches
    are then evened out (the longest made as short as it can be with that many sorties),
    so that no relief leads only a short stretch at the end.

    Raises
    ------
    InvalidValueError
        Unknown firmware (field ``firmware``), a meeting time without a time zone
        (field ``meeting_time``).
    OutOfRangeError
        The meeting time is past or cannot be reached in time (field ``meeting_time``),
        the launch point is off the DEM (field ``launch``), the wind is over the
        profile's limit (field ``wind_ms``), a sortie has more items than the vehicle
        stores, the flight leaves the DEM.
    UnreachableError
        The route is beyond reach even with relays.
    """
    check_firmware(firmware)
    settings = settings or MissionSettings()
    release = release or Release()
    terrain = FlatTerrain() if terrain is None else terrain
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise InvalidValueError("must be time-zone aware", field="now")
    if meeting_time is not None:
        # The note's rule too: not past, not centuries ahead (a mistyped year).
        check_meeting_time(meeting_time, now)
    wind = settings.wind_ms
    if wind is not None and wind > profile.max_wind_ms:
        raise OutOfRangeError(
            f"{wind:g} m/s is over the {profile.name} profile's limit of "
            f"{profile.max_wind_ms:g} m/s; do not fly, or use a drone rated for it",
            field="wind_ms",
        )
    energy = EnergyModel(profile)
    fp = flight or flight_parameters(profile)
    cap = tilt_limited_speed(profile.mass_kg, profile.drag_area_m2, fp.angle_max_deg)
    ctx = BuildContext(route, launch, profile, energy, terrain, firmware, release, settings,
                       waypoint_holds(route, settings), fp, cap)  # fmt: skip
    warnings: list[str] = []
    if cap < profile.cruise_speed_ms:
        warnings.append(
            f"at a {fp.angle_max_deg:g} degree tilt limit the {profile.name} holds only "
            f"{cap:.1f} m/s, not its {profile.cruise_speed_ms:g} m/s cruise speed; the times "
            "are planned at the slower speed"
        )
    if not terrain.has_dem:
        warnings.append(
            "no DEM: heights are relative to the launch point with no terrain compensation "
            "and the clearance is not checked; plan with a DEM to keep the clearance over "
            "the ground"
        )

    legs, split_warnings = _balanced_split(ctx)
    warnings += split_warnings
    sorties = _put_on_the_clock(ctx, legs, meeting_time, now)
    ceiling = settings.max_height_agl_m
    for so in sorties:
        if so.max_height_agl_m is not None and so.max_height_agl_m > ceiling + _HEIGHT_TOLERANCE_M:
            warnings.append(
                f"sortie {so.number} flies up to {so.max_height_agl_m:.0f} m above the ground "
                f"in places, over the {ceiling:g} m maximum: the ground is too steep there "
                "to keep both the clearance and the maximum"
            )
    limit = min(profile.max_mission_items, FIRMWARE_MAX_ITEMS[firmware])
    for so in sorties:
        count = len(so.items) + (firmware == "ardupilot")
        if count > limit:
            raise OutOfRangeError(
                f"sortie {so.number} has {count} mission items; the {profile.name} profile and "
                f"{firmware} accept at most {limit}; plan a simpler route or a coarser DEM"
            )
    return MissionPlan(
        route=route,
        launch=launch,
        home_amsl_m=terrain.home_amsl_m,
        profile=profile,
        firmware=firmware,
        release=release,
        settings=settings,
        meeting_time=meeting_time
        or sorties[0].arrival_time + timedelta(seconds=settings.arrival_margin_s),
        sorties=tuple(sorties),
        warnings=tuple(warnings),
        flight=flight,
    )


@dataclass(frozen=True)
class _Leg:
    """The stretch one sortie leads, and its built mission (times relative to launch)."""

    s_from: float
    s_to: float
    last: bool
    lag_s: float  # how far behind the drone the person walks, seconds
    end_hold_s: float
    builder: SortieBuilder


def _start_sortie(ctx: BuildContext, legs: list[_Leg], s_from: float) -> SortieBuilder:
    """Build a sortie up to the start of leading: the first, or a relief for ``legs[-1]``."""
    if not legs:
        return start_first(ctx)
    s = ctx.settings
    wait = s.relief_margin_s + legs[-1].lag_s + s.handover_settle_s
    return start_relief(ctx, s_from, wait)


def _estimate(
    ctx: BuildContext,
    returns: _ReturnCosts,
    prefix_wh: float,
    s_from: float,
    s_to: float,
    end_hold_s: float,
) -> float:
    """Energy of a sortie that leads ``s_from``-``s_to``, holds, and returns, Wh (estimate)."""
    route = ctx.route
    holds = sum(
        ctx.holds[j] for j, v in enumerate(route.stations_m) if s_from + 0.5 < v < s_to - 0.5
    )
    seconds = route.time_at(s_to) - route.time_at(s_from) + holds + end_hold_s
    return (
        prefix_wh
        + ctx.energy.energy_wh(ctx.energy.lead_power_w, seconds)
        + ctx.energy.climb_wh(route.ascent_between(s_from, s_to))
        + returns(s_to)
    )


def _split(
    ctx: BuildContext,
    returns: _ReturnCosts,
    *,
    max_count: int,
    cap_m: float = math.inf,
) -> tuple[list[_Leg], list[str]] | None:
    """Cut the route into the stretches successive sorties lead, within the energy budget.

    Each sortie leads as far as its energy allows, and no more than ``cap_m`` metres. The
    search prices every candidate waiting point with a quick estimate, then builds the
    chosen sortie in full and checks the real figure, stepping back if the estimate was
    short.

    Returns
    -------
    (legs, warnings), or None
        None when more than ``max_count`` sorties would be needed, or (with a cap) a
        sortie finds no affordable waiting point.

    Raises
    ------
    UnreachableError
        Without a cap: no sortie can fly to where it must start leading, lead on and
        return with the reserve kept.
    """
    route, s = ctx.route, ctx.settings
    budget = ctx.energy.budget_wh
    length = route.length_m
    legs: list[_Leg] = []
    warnings: list[str] = []
    s_from, lag = 0.0, 0.0
    while True:
        number = len(legs) + 1
        if number > max_count:
            return None
        prefix_wh = _start_sortie(ctx, legs, s_from).e
        hold_last = max(s.reception_hover_s, lag + s.handover_settle_s)
        hold_wait = lag + s.handover_settle_s
        # Can this sortie finish the route?
        if length - s_from <= cap_m and (
            _estimate(ctx, returns, prefix_wh, s_from, length, hold_last) <= budget
        ):
            b = _start_sortie(ctx, legs, s_from)
            finish(b, s_from, length, hold_last, last=True)
            if b.e <= budget:
                legs.append(_Leg(s_from, length, True, lag, hold_last, b))
                return legs, warnings
        until = min(length - s.handover_offset_m - s.handover_step_m, s_from + cap_m)
        cands = _candidates(route, s_from, until, s.handover_step_m)
        costs = [_estimate(ctx, returns, prefix_wh, s_from, c, hold_wait) for c in cands]
        hidden = [route.is_hidden(c) for c in cands]
        chosen: _Leg | None = None
        while cands:
            k = furthest_affordable(costs, budget, hidden=hidden, stations_m=cands,
                                    lead_from_m=s_from)  # fmt: skip
            if k is None:
                break
            b = _start_sortie(ctx, legs, s_from)
            finish(b, s_from, cands[k], hold_wait, last=False)
            if b.e <= budget:
                chosen = _Leg(s_from, cands[k], False, lag, hold_wait, b)
                break
            costs[k] = math.inf  # the estimate was a little short: try the next one back
        if chosen is None:
            if math.isfinite(cap_m):
                return None
            where = "the meeting point" if number == 1 else f"the waiting point at {s_from:.0f} m"
            raise UnreachableError(
                f"the route is beyond reach even with relays: a {ctx.profile.name} sortie from "
                f"the launch point cannot fly to {where}, lead on and return with the "
                f"{ctx.profile.reserve_fraction:.0%} reserve kept; launch closer to the route "
                "or use a drone with more endurance"
            )
        legs.append(chosen)
        if not route.is_hidden(chosen.s_to):
            warnings.append(
                f"sortie {number} leaves the person waiting {chosen.s_to:.0f} m along the "
                "route, in view of an observer (no hidden point within reach)"
            )
        hold_at = min(chosen.s_to + s.handover_offset_m, length)
        lag = route.time_at(hold_at) - route.time_at(chosen.s_to)
        s_from = hold_at


def _balanced_split(ctx: BuildContext) -> tuple[list[_Leg], list[str]]:
    """The fewest sorties that lead the route, with their stretches evened out.

    Leading each stretch as far as the energy allows would leave the last relief the
    remainder, however short. Once the number of sorties is known, the longest stretch
    is made as short as it can be with that many sorties (a bisection on a cap on every
    stretch, to within ``handover_step_m``), so the stretches come out about even where
    the energy allows it.

    Raises
    ------
    UnreachableError
        More than ``max_sorties`` sorties would be needed, or no sortie can reach where
        it must start leading.
    """
    s = ctx.settings
    route = ctx.route
    returns = _ReturnCosts(ctx)
    greedy = _split(ctx, returns, max_count=s.max_sorties)
    if greedy is None:
        raise UnreachableError(
            f"the route is beyond reach: leading its {route.length_m / 1000:.1f} km would take "
            f"more than {s.max_sorties} sorties of the {ctx.profile.name} profile; launch "
            "closer to the route or use a drone with more endurance"
        )
    n = len(greedy[0])
    if n == 1:
        return greedy
    best = greedy
    high = max(leg.s_to - leg.s_from for leg in greedy[0])
    # n stretches and n - 1 handover offsets cover the route: no cap below this can do.
    low = (route.length_m - (n - 1) * s.handover_offset_m) / n
    while high - low > s.handover_step_m:
        cap = (low + high) / 2.0
        found = _split(ctx, returns, max_count=n, cap_m=cap)
        if found is None:
            low = cap
        else:
            best, high = found, max(leg.s_to - leg.s_from for leg in found[0])
    return best


def _put_on_the_clock(
    ctx: BuildContext, legs: list[_Leg], meeting_time: datetime | None, now: datetime
) -> list[Sortie]:
    """Put the sorties on the clock: the first by the meeting time, each relief in time."""
    s = ctx.settings
    first = legs[0].builder
    to_meeting = first.marks["arrival"]
    if meeting_time is None:
        start = now.replace(second=0, microsecond=0)
        if start < now:
            start += timedelta(minutes=1)
        launch0 = start
    else:
        launch0 = meeting_time - timedelta(seconds=s.arrival_margin_s + to_meeting)
        if launch0 < now:
            due = launch0.astimezone(meeting_time.tzinfo).isoformat(timespec="seconds")
            raise OutOfRangeError(
                f"{meeting_time.isoformat(timespec='minutes')} cannot be reached: "
                f"the flight to the meeting point takes {to_meeting / 60:.1f} min, so the drone "
                f"must launch by {due}, which is past; agree a later time",
                field="meeting_time",
            )
    sorties: list[Sortie] = []
    launch_at = launch0
    for n, leg in enumerate(legs, start=1):
        b = leg.builder
        if n > 1:
            prev_end = sorties[-1].lead_end_time
            arrive = prev_end - timedelta(seconds=s.relief_margin_s)
            launch_at = arrive - timedelta(seconds=b.marks["arrival"])

        def at(key: str, base: datetime = launch_at, b: SortieBuilder = b) -> datetime:
            return base + timedelta(seconds=b.marks[key])

        spare_s = ctx.energy.hover_seconds(max(ctx.energy.budget_wh - b.e, 0.0))
        sorties.append(
            Sortie(
                number=n,
                airframe=0,
                launch=ctx.launch,
                launch_time=launch_at,
                arrival_time=at("arrival"),
                lead_start_time=at("lead_start"),
                lead_end_time=at("lead_end"),
                leave_time=at("leave"),
                landing_time=at("landing"),
                latest_leave_time=at("leave") + timedelta(seconds=spare_s),
                lead_from_m=leg.s_from,
                lead_to_m=leg.s_to,
                lead_start=ctx.route.point_at(leg.s_from),
                lead_end=ctx.route.point_at(leg.s_to),
                ends_at_reception=leg.last,
                person_waits_s=0.0,
                items=tuple(b.items),
                phases=tuple(b.phases),
                energy_used_wh=b.e,
                reserve_left_wh=ctx.energy.available_wh - b.e,
                reserve_required_wh=ctx.energy.reserve_wh,
                min_clearance_m=b.min_clearance,
                max_height_agl_m=b.max_height,
                drop_height_agl_m=s.drop_height_m if n == 1 else None,
            )
        )
    # How long the person waits at each waiting point: from reaching it (lag behind the
    # drone) until the relief leads on.
    for k in range(len(sorties) - 1):
        arrive_person = sorties[k].lead_end_time + timedelta(seconds=legs[k].lag_s)
        wait = (sorties[k + 1].lead_start_time - arrive_person).total_seconds()
        sorties[k] = replace(sorties[k], person_waits_s=max(wait, 0.0))
    return _assign_airframes(sorties, s.turnaround_s)


def _assign_airframes(sorties: Sequence[Sortie], turnaround_s: float) -> list[Sortie]:
    """Give each sortie a drone: the first one landed and turned around, else a new one."""
    free_at: list[datetime] = []  # per airframe, when it can fly again
    out = []
    for so in sorties:
        ready = [i for i, t in enumerate(free_at) if t <= so.launch_time]
        if ready:
            i = min(ready, key=lambda i: free_at[i])
        else:
            free_at.append(so.launch_time)
            i = len(free_at) - 1
        free_at[i] = so.landing_time + timedelta(seconds=turnaround_s)
        out.append(replace(so, airframe=i + 1))
    return out


def items_for_upload(
    home: MissionItem, items: Sequence[MissionItem], firmware: str
) -> list[MissionItem]:
    """The item list the MAVLink mission protocol carries for ``firmware``.

    ArduPilot stores home as mission item 0 (it overwrites it with the real home on
    arming), so the upload starts with it; PX4 keeps home apart, so its upload starts
    with the first real item.
    """
    check_firmware(firmware)
    return [home, *items] if firmware == "ardupilot" else list(items)


__all__ = ["items_for_upload", "plan_sorties"]
