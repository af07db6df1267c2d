"""The route corridor (fence) and the clamp every guided target passes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from safeconduct.errors import InvalidValueError
from safeconduct.guidance.path import RoutePath
from safeconduct.guidance.target_limits import TargetLimits, corridor_polygon

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
L_PATH = RoutePath(np.array([[0.0, 0.0], [0.0, 300.0], [200.0, 300.0]]))


def winding_route(n: int = 200, seed: int = 1) -> RoutePath:
    """A long route that wanders (a random walk with smooth turns), 10 m steps."""
    rng = np.random.default_rng(seed)
    heading = np.cumsum(rng.normal(0.0, 0.25, n))
    steps = 10.0 * np.column_stack([np.sin(heading), np.cos(heading)])
    return RoutePath(np.vstack([[0.0, 0.0], np.cumsum(steps, axis=0)]))


def test_corridor_is_a_simple_polygon_around_the_route() -> None:
    ring = corridor_polygon(L_PATH, 25.0)
    poly = Polygon(ring)
    assert poly.is_valid and ring[0] != ring[-1]
    assert poly.exterior.is_ccw
    line = LineString(L_PATH.xy)
    assert poly.covers(line.buffer(12.5))
    assert not poly.covers(Point(-30.0, 150.0))  # beyond the half-width
    assert poly.area <= line.buffer(25.0).area + 1e-6


def test_corridor_of_a_winding_route_is_simplified_for_the_fence() -> None:
    route = winding_route()
    ring = corridor_polygon(route, 30.0, max_vertices=70)
    assert len(ring) <= 70
    poly = Polygon(ring)
    assert poly.is_valid and poly.covers(LineString(route.xy).buffer(15.0))


def test_corridor_refuses_a_bad_width_and_an_impossible_vertex_budget() -> None:
    with pytest.raises(InvalidValueError) as err:
        corridor_polygon(L_PATH, float("nan"))
    assert err.value.field == "half_width_m"
    with pytest.raises(InvalidValueError) as err:
        corridor_polygon(winding_route(400, seed=3), 10.0, max_vertices=8)
    assert err.value.field == "route"


def limits(**kw) -> TargetLimits:
    args = {"max_from_vehicle_m": 40.0, "min_agl_m": 8.0, "max_agl_m": 40.0} | kw
    return TargetLimits(corridor_polygon(L_PATH, 25.0), **args)


def test_an_admissible_target_passes_unchanged() -> None:
    out = limits().clamp((5.0, 100.0), 15.0, (0.0, 90.0))
    assert out.xy == (5.0, 100.0) and out.agl_m == 15.0 and out.clamped == ()


def test_a_target_outside_the_corridor_is_brought_inside() -> None:
    lim = limits()
    out = lim.clamp((35.0, 100.0), 15.0, (0.0, 100.0))
    assert out.clamped == ("corridor",)
    assert lim.contains(out.xy)
    assert out.xy[0] == pytest.approx(24.0, abs=0.5)  # corridor edge minus the 1 m margin


def test_a_far_target_is_pulled_to_within_reach_of_the_vehicle() -> None:
    out = limits().clamp((0.0, 250.0), 15.0, (0.0, 100.0))
    assert out.clamped == ("max_from_vehicle",)
    assert math.dist(out.xy, (0.0, 100.0)) <= 40.0
    assert out.xy[1] == pytest.approx(140.0, abs=0.5)


def test_heights_are_held_between_the_limits() -> None:
    lim = limits()
    assert lim.clamp((0.0, 10.0), 2.0, (0.0, 10.0)).agl_m == 8.0
    high = lim.clamp((0.0, 10.0), 90.0, (0.0, 10.0))
    assert high.agl_m == 40.0 and high.clamped == ("max_agl",)


def test_non_finite_numbers_are_refused() -> None:
    lim = limits()
    for target, agl, vehicle, field in [
        ((math.nan, 0.0), 10.0, (0.0, 0.0), "target"),
        ((0.0, 0.0), math.inf, (0.0, 0.0), "target_agl_m"),
        ((0.0, 0.0), 10.0, (0.0, -math.inf), "vehicle"),
    ]:
        with pytest.raises(InvalidValueError) as err:
            lim.clamp(target, agl, vehicle)
        assert err.value.field == field


def test_a_vehicle_outside_the_corridor_is_brought_back_and_flagged() -> None:
    out = limits().clamp((0.0, 100.0), 15.0, (300.0, 100.0))
    assert "vehicle_outside_corridor" in out.clamped
    assert limits().contains(out.xy)


def test_bad_limits_are_refused_naming_the_field() -> None:
    ring = corridor_polygon(L_PATH, 25.0)
    for kw, field in [
        ({"max_from_vehicle_m": 0.0, "min_agl_m": 5, "max_agl_m": 30}, "max_from_vehicle_m"),
        ({"max_from_vehicle_m": 30, "min_agl_m": -1, "max_agl_m": 30}, "min_agl_m"),
        ({"max_from_vehicle_m": 30, "min_agl_m": 20, "max_agl_m": 10}, "max_agl_m"),
    ]:
        with pytest.raises(InvalidValueError) as err:
            TargetLimits(ring, **kw)
        assert err.value.field == field
    with pytest.raises(InvalidValueError) as err:
        TargetLimits([(0, 0), (1, 1), (0, 1), (1, 0)], 30, 5, 30)  # a bow tie
    assert err.value.field == "corridor"


@SETTINGS
@given(
    st.tuples(st.floats(-500, 500), st.floats(-500, 800)),
    st.floats(-100, 200),
    st.floats(0.0, 1.0),
    st.floats(-20.0, 20.0),
    st.floats(5.0, 120.0),
)
def test_every_clamped_target_is_inside_the_corridor_and_the_limits(
    target, agl, along, offset, reach
) -> None:
    lim = limits(max_from_vehicle_m=reach)
    # A vehicle anywhere inside the corridor: a point along the route, moved sideways.
    s = along * L_PATH.length
    heading = math.radians(L_PATH.heading_at(s))
    base = L_PATH.point_at(s)
    vehicle = (base[0] + offset * math.cos(heading), base[1] - offset * math.sin(heading))
    out = lim.clamp(target, agl, vehicle)
    assert lim.contains(out.xy)
    assert math.dist(out.xy, vehicle) <= reach + 1e-6
    assert 8.0 <= out.agl_m <= 40.0
    if lim.contains(target) and math.dist(target, vehicle) <= reach:
        assert out.xy == pytest.approx(target)
