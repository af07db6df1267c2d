"""Limits on every guided target: inside the route corridor, near the vehicle, sane height.

The leading loop computes a target from the controller; before it is sent it passes
:meth:`TargetLimits.clamp`, which moves it to the nearest admissible point:

- inside the corridor polygon (the same polygon is uploaded as the vehicle's inclusion
  fence, so a target outside it would be silently refused by ArduPilot), kept ``margin_m``
  inside its edge so rounding to 1e-7 degrees cannot put it outside;
- within ``max_from_vehicle_m`` of the vehicle (a bad estimate cannot send it far away);
- between ``min_agl_m`` and ``max_agl_m`` above the ground;
- finite numbers only: a NaN or an infinity raises instead of being sent.

:func:`corridor_polygon` builds the corridor from the route: a buffer of ``half_width_m``
around the polyline, simplified to at most ``max_vertices`` vertices (ArduPilot keeps fence
points in a small EEPROM area; ~70 fit beside a mission) without letting the simplification
come closer than ``half_width_m / 2`` to the route.

Coordinates are map metres ``(x, y)`` on the DEM's projected grid (the RoutePath's frame).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import nearest_points

from safeconduct.errors import InvalidValueError
from safeconduct.guidance.path import RoutePath

#: Most vertices of the corridor polygon by default (the fence the vehicle keeps).
MAX_FENCE_VERTICES = 70


def corridor_polygon(
    path: RoutePath, half_width_m: float, *, max_vertices: int = MAX_FENCE_VERTICES
) -> list[tuple[float, float]]:
    """A simple polygon around the route, for the inclusion fence and the target clamp.

    Parameters
    ----------
    path
        The route, map metres.
    half_width_m
        Distance from the route to the corridor's edge, metres (> 0).
    max_vertices
        Most vertices the polygon may have (at least 4).

    Returns
    -------
    list of (float, float)
        The exterior ring ``[(x, y), ...]`` in metres, counter-clockwise, *not* closed (the
        first vertex is not repeated). Every point of the route is at least
        ``half_width_m / 2`` inside it. A route that loops back on itself gets the loop's
        inside too (a fence polygon has no holes).

    Raises
    ------
    InvalidValueError
        (field ``half_width_m``) for a width that is not a positive number; (field
        ``route``) when no polygon within ``max_vertices`` keeps the route well inside.
    """
    if not (math.isfinite(half_width_m) and half_width_m > 0):
        raise InvalidValueError(
            f"the corridor half-width must be a positive number of metres, not {half_width_m}",
            field="half_width_m",
        )
    if max_vertices < 4:
        raise ValueError("max_vertices must be at least 4")
    line = LineString(path.xy)
    # Few arc segments from the start: the fence needs few vertices, and a coarse arc is
    # inscribed in the true one (never wider than half_width_m).
    body = line.buffer(half_width_m, quad_segs=2)
    body = Polygon(body.exterior) if isinstance(body, Polygon) else body.convex_hull
    guard = line.buffer(half_width_m / 2.0, quad_segs=4)
    # Douglas-Peucker moves the edge by at most ``tol``; up to 0.45 of the half-width keeps
    # the guard (half the half-width) covered with room for rounding.
    for tol in [0.0, *(half_width_m * f for f in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45))]:
        poly = body if tol == 0 else body.simplify(tol, preserve_topology=True)
        poly = shapely.geometry.polygon.orient(Polygon(poly.exterior), sign=1.0)
        ring = list(poly.exterior.coords)[:-1]
        if len(ring) <= max_vertices and poly.is_valid and poly.covers(guard):
            return [(float(x), float(y)) for x, y in ring]
    raise InvalidValueError(
        f"the route winds too much for a fence of {max_vertices} vertices; "
        "widen the corridor or split the route",
        field="route",
    )


@dataclass(frozen=True)
class ClampedTarget:
    """A target after :meth:`TargetLimits.clamp`.

    Attributes
    ----------
    xy
        ``(x, y)`` map metres.
    agl_m
        Height above the ground, metres.
    clamped
        Which limits moved it, in this order when several did: ``"corridor"``,
        ``"max_from_vehicle"``, ``"min_agl"``, ``"max_agl"``; and
        ``"vehicle_outside_corridor"`` when the vehicle itself is outside the corridor (the
        target is then the corridor point nearest the vehicle, which may lie further than
        ``max_from_vehicle_m`` from it). Empty when the target was admissible as given.
    """

    xy: tuple[float, float]
    agl_m: float
    clamped: tuple[str, ...] = ()


def _finite_pair(value: Sequence[float] | np.ndarray, field: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in np.asarray(value, dtype=np.float64).reshape(2))
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"{field} must be a map point (x, y) in metres", field=field
        ) from exc
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidValueError(
            f"{field} has a non-finite coordinate ({x}, {y}); nothing is sent", field=field
        )
    return x, y


class TargetLimits:
    """The admissible region for guided targets (see the module docstring).

    Parameters
    ----------
    corridor
        The corridor polygon ``[(x, y), ...]`` map metres (as :func:`corridor_polygon` gives).
    max_from_vehicle_m
        Furthest a target may be from the vehicle, metres.
    min_agl_m, max_agl_m
        Height above ground a target must keep, metres.
    margin_m
        How far inside the corridor's edge a moved target is put, metres.

    Raises
    ------
    InvalidValueError
        For a corridor that is not a valid polygon (field ``corridor``) or limits that are
        not positive finite numbers in order (fields ``max_from_vehicle_m``, ``min_agl_m``,
        ``max_agl_m``).
    """

    def __init__(
        self,
        corridor: Sequence[tuple[float, float]],
        max_from_vehicle_m: float,
        min_agl_m: float,
        max_agl_m: float,
        *,
        margin_m: float = 1.0,
    ) -> None:
        pts = np.asarray(corridor, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.isfinite(pts).all():
            raise InvalidValueError(
                "the corridor must be at least three finite (x, y) points", field="corridor"
            )
        poly = Polygon(pts)
        if not poly.is_valid or poly.area <= 0:
            raise InvalidValueError(
                "the corridor polygon crosses itself or has no area; rebuild it from the route",
                field="corridor",
            )
        if not (math.isfinite(max_from_vehicle_m) and max_from_vehicle_m > 0):
            raise InvalidValueError(
                f"the furthest target distance must be positive metres, not {max_from_vehicle_m}",
                field="max_from_vehicle_m",
            )
        if not (math.isfinite(min_agl_m) and min_agl_m >= 0):
            raise InvalidValueError(
                f"the least height above ground must be zero or more metres, not {min_agl_m}",
                field="min_agl_m",
            )
        if not (math.isfinite(max_agl_m) and max_agl_m >= min_agl_m):
            raise InvalidValueError(
                f"the greatest height above ground ({max_agl_m} m) must be finite and at least "
                f"the least ({min_agl_m} m)",
                field="max_agl_m",
            )
        if not (math.isfinite(margin_m) and margin_m >= 0):
            raise ValueError("margin_m must be zero or more")
        inner = poly.buffer(-margin_m) if margin_m > 0 else poly
        if inner.is_empty:
            raise InvalidValueError(
                f"the corridor is narrower than twice the {margin_m:g} m margin; widen it",
                field="corridor",
            )
        self.corridor = poly
        self.max_from_vehicle_m = float(max_from_vehicle_m)
        self.min_agl_m = float(min_agl_m)
        self.max_agl_m = float(max_agl_m)
        self.margin_m = float(margin_m)
        self._inner = inner
        shapely.prepare(self.corridor)
        shapely.prepare(self._inner)

    def contains(self, xy: Sequence[float] | np.ndarray) -> bool:
        """True if the map point ``(x, y)`` metres lies in the corridor (edge included)."""
        x, y = _finite_pair(xy, "target")
        return bool(self.corridor.covers(Point(x, y)))

    def clamp(
        self,
        target_xy: Sequence[float] | np.ndarray,
        target_agl_m: float,
        vehicle_xy: Sequence[float] | np.ndarray,
    ) -> ClampedTarget:
        """Move a target to the nearest admissible point.

        Parameters
        ----------
        target_xy
            Wanted position ``(x, y)``, map metres.
        target_agl_m
            Wanted height above ground, metres.
        vehicle_xy
            The vehicle's position ``(x, y)``, map metres.

        Returns
        -------
        ClampedTarget
            The admissible target and which limits moved it.

        Raises
        ------
        InvalidValueError
            When any input is not finite (fields ``target``, ``target_agl_m``, ``vehicle``).
        """
        tx, ty = _finite_pair(target_xy, "target")
        vx, vy = _finite_pair(vehicle_xy, "vehicle")
        try:
            agl = float(target_agl_m)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(
                "the target height must be a number", field="target_agl_m"
            ) from exc
        if not math.isfinite(agl):
            raise InvalidValueError(
                f"the target height is {agl}; nothing is sent", field="target_agl_m"
            )
        flags: list[str] = []
        xy = self._clamp_xy(Point(tx, ty), Point(vx, vy), flags)
        if agl < self.min_agl_m:
            agl = self.min_agl_m
            flags.append("min_agl")
        elif agl > self.max_agl_m:
            agl = self.max_agl_m
            flags.append("max_agl")
        return ClampedTarget(xy, agl, tuple(flags))

    def _clamp_xy(self, target: Point, vehicle: Point, flags: list[str]) -> tuple[float, float]:
        reach = self.max_from_vehicle_m
        in_corridor = self.corridor.covers(target)
        near = target.distance(vehicle) <= reach
        if in_corridor and near:
            return target.x, target.y
        if not self.corridor.covers(vehicle):
            # The vehicle is outside the corridor: the corridor wins, and the vehicle is
            # brought back to the nearest corridor point.
            flags.append("vehicle_outside_corridor")
            back = nearest_points(self._inner, vehicle)[0]
            return back.x, back.y
        if not in_corridor:
            flags.append("corridor")
        if not near:
            flags.append("max_from_vehicle")
        # The disk is a polygon inscribed in the circle, so its points are within reach.
        disk = vehicle.buffer(reach * 0.999, quad_segs=16)
        region = self._inner.intersection(disk)
        if region.is_empty:
            # The vehicle sits in the margin band with a reach shorter than the margin:
            # step inwards as far as the reach allows.
            inward = nearest_points(self._inner, vehicle)[0]
            d = inward.distance(vehicle)
            k = min(1.0, reach * 0.999 / d) if d > 0 else 0.0
            return vehicle.x + k * (inward.x - vehicle.x), vehicle.y + k * (inward.y - vehicle.y)
        if region.covers(target):
            return target.x, target.y
        best = nearest_points(region, target)[0]
        return best.x, best.y


__all__ = ["MAX_FENCE_VERTICES", "ClampedTarget", "TargetLimits", "corridor_polygon"]
