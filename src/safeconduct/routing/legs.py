"""Legs as a walker follows them: the route's many short legs merged into a few long ones.

The simplifier keeps every turn the terrain needs, so a 6 km route has 30-odd legs, many
of them a few tens of metres. Someone reading the plan wants "1.2 km north-east, 25 min,
climbing 40 m", not thirty rows. :func:`walking_legs` merges neighbouring legs until the
list fits one screen; the route itself (and its GeoJSON) keeps every waypoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyproj import Geod

from safeconduct.routing.route import Route

#: Most legs a merged summary shows: a 6 km route on one screen.
DEFAULT_MAX_LEGS = 15
#: Legs shorter than this (metres) are always merged into a neighbour.
DEFAULT_MIN_LEG_M = 50.0
#: Neighbouring stretches that turn less than this (degrees) read as one: "keep going west".
DEFAULT_STRAIGHT_DEG = 20.0

_GEOD = Geod(ellps="WGS84")
_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


@dataclass(frozen=True)
class WalkingLeg:
    """One stretch of the route as a walker follows it.

    Attributes
    ----------
    first_waypoint, last_waypoint
        Indices (0-based) into the route's waypoints where the stretch starts and ends.
    distance_m, time_s, exposed_time_s, ascent_m, descent_m
        Sums over the route legs it covers: metres and seconds.
    bearing_deg
        Direction from its start to its end, degrees clockwise from true north, [0, 360).
    """

    first_waypoint: int
    last_waypoint: int
    distance_m: float
    time_s: float
    exposed_time_s: float
    ascent_m: float
    descent_m: float
    bearing_deg: float

    @property
    def heading(self) -> str:
        """The bearing as one of eight compass points (``"NE"``)."""
        return _COMPASS[round(self.bearing_deg / 45.0) % 8]


def walking_legs(
    route: Route,
    *,
    max_legs: int = DEFAULT_MAX_LEGS,
    min_leg_m: float = DEFAULT_MIN_LEG_M,
    straight_deg: float = DEFAULT_STRAIGHT_DEG,
) -> list[WalkingLeg]:
    """Merge the route's legs into at most ``max_legs`` stretches a walker can follow.

    The shortest stretch is merged into whichever neighbour turns least from it, again and
    again, until every stretch is at least ``min_leg_m`` metres and there are at most
    ``max_legs``; then neighbours that turn less than ``straight_deg`` degrees are joined,
    gentlest turn first. Sums (distance, time, time in view, climb, drop) are preserved
    exactly.

    Parameters
    ----------
    route
        A planned route.
    max_legs
        Most stretches to return, >= 1.
    min_leg_m
        Stretches shorter than this (metres) are merged even when there are few.
    straight_deg
        Neighbours turning less than this many degrees are joined; 0 joins none.

    Returns
    -------
    list of WalkingLeg
        From the start to the reception point.
    """
    if max_legs < 1:
        raise ValueError("max_legs must be at least 1")
    spans = [[seg.index, seg.index + 1] for seg in route.segments]
    while len(spans) > 1:
        lengths = [_sum(route, a, b, "distance_m") for a, b in spans]
        shortest = min(range(len(spans)), key=lengths.__getitem__)
        if len(spans) <= max_legs and lengths[shortest] >= min_leg_m:
            break
        into = _neighbour_turning_least(route, spans, shortest)
        lo, hi = sorted((shortest, into))
        spans[lo : hi + 1] = [[spans[lo][0], spans[hi][1]]]
    while len(spans) > 1:
        turns = [
            _turn(_bearing(route, *spans[i]), _bearing(route, *spans[i + 1]))
            for i in range(len(spans) - 1)
        ]
        gentlest = min(range(len(turns)), key=turns.__getitem__)
        if turns[gentlest] >= straight_deg:
            break
        spans[gentlest : gentlest + 2] = [[spans[gentlest][0], spans[gentlest + 1][1]]]
    return [_leg(route, a, b) for a, b in spans]


def _neighbour_turning_least(route: Route, spans: list[list[int]], i: int) -> int:
    if i == 0:
        return 1
    if i == len(spans) - 1:
        return i - 1
    here = _bearing(route, *spans[i])
    before = _turn(_bearing(route, *spans[i - 1]), here)
    after = _turn(here, _bearing(route, *spans[i + 1]))
    return i - 1 if before <= after else i + 1


def _turn(a: float, b: float) -> float:
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


def _bearing(route: Route, a: int, b: int) -> float:
    lon1, lat1, _ = route.waypoints[a]
    lon2, lat2, _ = route.waypoints[b]
    azimuth, _, _ = _GEOD.inv(lon1, lat1, lon2, lat2)
    return azimuth % 360.0


def _sum(route: Route, a: int, b: int, name: str) -> float:
    return float(sum(getattr(seg, name) for seg in route.segments[a:b]))


def _leg(route: Route, a: int, b: int) -> WalkingLeg:
    return WalkingLeg(
        first_waypoint=a,
        last_waypoint=b,
        distance_m=_sum(route, a, b, "distance_m"),
        time_s=_sum(route, a, b, "time_s"),
        exposed_time_s=_sum(route, a, b, "exposed_time_s"),
        ascent_m=_sum(route, a, b, "ascent_m"),
        descent_m=_sum(route, a, b, "descent_m"),
        bearing_deg=_bearing(route, a, b),
    )
