"""Walking-cost models: Tobler's hiking function and GRASS r.walk's formula."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.routing.models import N_KERNEL_PARAMS, RWalkModel, ToblerModel

lengths = st.floats(0.5, 50.0)
rises = st.floats(-40.0, 40.0)


def test_tobler_flat_speed_is_about_5_km_h():
    t = ToblerModel().step_cost(1000.0, 0.0, on_path=True)
    speed_kmh = 1000.0 / t * 3.6
    assert speed_kmh == pytest.approx(6.0 * math.exp(-0.175))  # 5.04 km/h
    assert 4.9 < speed_kmh < 5.1


def test_tobler_off_path_is_0_6_of_on_path_speed():
    m = ToblerModel()
    assert m.step_cost(10.0, 1.0) == pytest.approx(m.step_cost(10.0, 1.0, on_path=True) / 0.6)


def test_tobler_fastest_on_a_gentle_descent():
    m = ToblerModel()
    grades = [g / 1000.0 for g in range(-300, 301)]
    fastest = min(grades, key=lambda g: m.step_cost(10.0, 10.0 * g, on_path=True))
    assert fastest == pytest.approx(-0.05)
    assert m.step_cost(10.0, -0.5, on_path=True) == pytest.approx(10.0 / (6.0 / 3.6))


def test_tobler_is_anisotropic():
    m = ToblerModel()
    assert m.step_cost(10.0, 2.0) > m.step_cost(10.0, -2.0)


def test_pace_factor_scales_time():
    slow, fit = ToblerModel(pace_factor=0.5), ToblerModel()
    assert slow.step_cost(10.0, 1.0) == pytest.approx(2.0 * fit.step_cost(10.0, 1.0))


def test_max_slope_bars_steep_steps_both_ways():
    m = ToblerModel(max_slope_deg=30.0)
    limit = math.tan(math.radians(30.0))
    assert math.isfinite(m.step_cost(10.0, 10.0 * limit * 0.999))
    assert math.isinf(m.step_cost(10.0, 10.0 * limit * 1.001))
    assert math.isinf(m.step_cost(10.0, -10.0 * limit * 1.001))


@pytest.mark.parametrize(
    "kwargs",
    [{"pace_factor": 0.0}, {"off_path_factor": 1.5}, {"max_slope_deg": 90.0}],
)
def test_tobler_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError):
        ToblerModel(**kwargs)


def test_rwalk_terms():
    m = RWalkModel()
    # climbing: a dS + b dH
    assert m.step_cost(10.0, 2.0) == pytest.approx(0.72 * 10 + 6.0 * 2)
    # gentle descent (grade -0.1 >= slope factor): c dH, c > 0 so faster than flat
    assert m.step_cost(10.0, -1.0) == pytest.approx(0.72 * 10 - 1.9998)
    # steep descent (grade -0.3 < slope factor): d dH, d < 0 so slower
    assert m.step_cost(10.0, -3.0) == pytest.approx(0.72 * 10 + 1.9998 * 3)
    # exactly at the slope factor r.walk still uses c
    assert m.step_cost(10.0, -2.125) == pytest.approx(0.72 * 10 - 1.9998 * 2.125)
    # friction: + lambda * friction * dS
    assert RWalkModel(lambda_=0.5).step_cost(10.0, 0.0, friction=2.0) == pytest.approx(7.2 + 10)


def test_rwalk_rejects_negative_costs():
    with pytest.raises(ValueError):
        RWalkModel(d=1.0)
    with pytest.raises(ValueError):
        RWalkModel(a=0.1)  # a + c * slope_factor < 0


@pytest.mark.parametrize("model", [ToblerModel(), ToblerModel(0.7, 0.5, 35.0), RWalkModel()])
def test_kernel_params_are_plain_floats(model):
    p = model.kernel_params()
    assert len(p) == N_KERNEL_PARAMS
    assert all(isinstance(v, float) for v in p)


@given(dS=lengths, dH=rises, pace=st.floats(0.3, 2.0))
def test_min_cost_per_metre_bounds_every_step(dS, dH, pace):
    for model in (ToblerModel(pace_factor=pace), RWalkModel()):
        cost = model.step_cost(dS, dH)
        assert cost >= model.min_cost_per_metre() * dS * (1 - 1e-12)
        assert cost > 0
    tob = ToblerModel(pace_factor=pace)
    assert tob.step_cost(dS, dH) >= tob.min_cost_per_metre(on_path_possible=False) * dS * (
        1 - 1e-12
    )
