"""The walking route a drone leads, as the mission planner sees it.

A :class:`LeadRoute` is what ``safeconduct route`` planned, reduced to what leading needs:
the waypoints and, per leg, the distance, the expected walking time, the time in view and
the climb. It is built from a :class:`~safeconduct.routing.route.Route` in memory
(:func:`safeconduct.services.mission.lead_route_from`) or read from the route GeoJSON
(:func:`safeconduct.adapters.formats.route_geojson.read_lead_route`); both round the
values alike, so the two give the same plan. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class RouteLeg:
    """One leg of the walking route, as ``safeconduct route`` measured it.

    Attributes
    ----------
    distance_m, time_s
        Horizontal length (metres) and expected walking time (seconds).
    exposed_time_s
        Seconds of the leg in view of at least one observer.
    ascent_m, descent_m
        Climb and drop along the leg, metres.
    """

    distance_m: float
    time_s: float
    exposed_time_s: float = 0.0
    ascent_m: float = 0.0
    descent_m: float = 0.0

    @property
    def speed_ms(self) -> float:
        """Expected walking speed, metres per second."""
        return self.distance_m / self.time_s if self.time_s > 0 else 0.0


@dataclass(frozen=True, eq=False)
class LeadRoute:
    """The route to lead: waypoints and the legs between them.

    Attributes
    ----------
    waypoints
        ``(lon, lat, elevation_m)``: WGS84 degrees and metres, from the meeting point
        (the route's start) to the reception point.
    legs
        One :class:`RouteLeg` per pair of consecutive waypoints.
    reception
        The reception point's name.
    """

    waypoints: tuple[tuple[float, float, float], ...]
    legs: tuple[RouteLeg, ...]
    reception: str = "reception point"

    def __post_init__(self) -> None:
        if len(self.waypoints) < 2:
            raise ValueError("a route has at least two waypoints")
        if len(self.legs) != len(self.waypoints) - 1:
            raise ValueError("a route has one leg per pair of consecutive waypoints")

    @cached_property
    def stations_m(self) -> np.ndarray:
        """Distance along the route of each waypoint, metres (0 at the start)."""
        return np.concatenate([[0.0], np.cumsum([leg.distance_m for leg in self.legs])])

    @cached_property
    def times_s(self) -> np.ndarray:
        """Walking time from the start to each waypoint, seconds."""
        return np.concatenate([[0.0], np.cumsum([leg.time_s for leg in self.legs])])

    @property
    def length_m(self) -> float:
        """Route length, metres."""
        return float(self.stations_m[-1])

    @property
    def walking_time_s(self) -> float:
        """Expected walking time of the whole route, seconds."""
        return float(self.times_s[-1])

    def locate(self, s: float) -> tuple[int, float]:
        """``(leg index, fraction 0..1)`` of the point ``s`` metres along the route."""
        st = self.stations_m
        s = min(max(s, 0.0), float(st[-1]))
        i = min(max(int(np.searchsorted(st, s, side="right")) - 1, 0), len(self.legs) - 1)
        length = st[i + 1] - st[i]
        return i, float((s - st[i]) / length) if length > 0 else 0.0

    def point_at(self, s: float) -> tuple[float, float]:
        """``(lon, lat)`` degrees of the point ``s`` metres along the route."""
        i, f = self.locate(s)
        (x0, y0, _), (x1, y1, _) = self.waypoints[i], self.waypoints[i + 1]
        return x0 + f * (x1 - x0), y0 + f * (y1 - y0)

    def time_at(self, s: float) -> float:
        """Walking time from the start to ``s`` metres along the route, seconds."""
        i, f = self.locate(s)
        return float(self.times_s[i] + f * self.legs[i].time_s)

    def ascent_between(self, s0: float, s1: float) -> float:
        """Climb between ``s0`` and ``s1`` metres along the route, metres (legs pro rata)."""
        i0, f0 = self.locate(s0)
        i1, f1 = self.locate(s1)
        total = sum(leg.ascent_m for leg in self.legs[i0:i1])
        return total - f0 * self.legs[i0].ascent_m + f1 * self.legs[i1].ascent_m

    def is_hidden(self, s: float) -> bool:
        """True if a person waiting ``s`` metres along the route is in no observer's view.

        A point inside a leg is hidden when that leg has no exposed time; a waypoint when
        both legs meeting there have none (the route only knows exposure per leg).
        """
        st = self.stations_m
        j = int(np.searchsorted(st, s))
        if j < len(st) and abs(st[j] - s) < 1e-6:
            around = [k for k in (j - 1, j) if 0 <= k < len(self.legs)]
            return all(self.legs[k].exposed_time_s <= 0 for k in around)
        i, _ = self.locate(s)
        return self.legs[i].exposed_time_s <= 0


__all__ = ["LeadRoute", "RouteLeg"]
