"""Handover planning: when to call the relief, when to leave, where the person waits."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.errors import InvalidValueError
from safeconduct.guidance.handover import HandoverPlanner
from safeconduct.guidance.path import RoutePath
from safeconduct.mission.energy import EnergyModel
from safeconduct.mission.profiles import parse_profile

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILE = parse_profile(
    files("safeconduct.mission").joinpath("drone_profiles/camera-900g.toml").read_text(),
    "camera-900g.toml",
)
ENERGY = EnergyModel(PROFILE)
LONG = RoutePath(np.array([[0.0, 0.0], [0.0, 10_000.0]]))  # 10 km north


def planner(**kw) -> HandoverPlanner:
    return HandoverPlanner(ENERGY, cruise_speed_ms=PROFILE.cruise_speed_ms, **kw)


def test_a_full_pack_near_the_end_needs_no_relief() -> None:
    d = planner().assess(
        battery_pct=100, distance_home_m=200, path=LONG, person_s=9_500, pace_ms=1.0,
        relief_distance_m=1_000,
    )  # fmt: skip
    assert not d.relief_needed and not d.call_relief and not d.must_leave
    assert d.relay_s is None and d.call_relief_in_s is None
    assert "no relief needed" in d.reason


def test_a_full_pack_leads_about_twenty_minutes_of_a_900_g_drone() -> None:
    d = planner().assess(
        battery_pct=100, distance_home_m=0, path=LONG, person_s=0, pace_ms=0.8,
        relief_distance_m=0,
    )  # fmt: skip
    # 77 Wh x 0.85 derated, 25 % reserve: 49 Wh at ~124 W (hover plus the growing way home).
    assert d.leave_in_s == pytest.approx(49.09 * 3600 / 123.97, rel=0.01)
    assert d.relief_needed and not d.call_relief
    assert d.call_relief_in_s == pytest.approx(d.leave_in_s - d.relief_eta_s - 60 - 120)


def test_the_relief_is_called_in_time_and_the_person_waits_ahead() -> None:
    p = planner()
    pct = 100.0
    while True:
        d = p.assess(
            battery_pct=pct, distance_home_m=1_500, path=LONG, person_s=2_000, pace_ms=0.8,
            relief_distance_m=2_000,
        )  # fmt: skip
        if d.call_relief:
            break
        pct -= 0.5
    assert not d.must_leave and d.relief_late_s == 0.0
    # The relief arrives before this drone must leave, with the handover time to spare.
    assert d.relief_eta_s + 60.0 <= d.leave_in_s
    assert d.relay_s == pytest.approx(2_000 + 0.8 * d.relief_eta_s)
    assert d.relay_xy == pytest.approx([0.0, d.relay_s])
    assert "call the relief now" in d.reason


def test_at_the_reserve_the_drone_must_leave_and_the_person_waits_where_he_is() -> None:
    d = planner().assess(
        battery_pct=26, distance_home_m=3_000, path=LONG, person_s=4_000, pace_ms=0.8,
        relief_distance_m=4_000,
    )  # fmt: skip
    assert d.must_leave and d.leave_in_s == 0.0 and d.call_relief
    assert d.relay_s == pytest.approx(4_000)
    assert d.relief_late_s == pytest.approx(d.relief_eta_s)
    assert "leave now" in d.reason


def test_a_far_relief_leaves_the_person_alone_for_a_while_and_says_so() -> None:
    p = planner(margin_s=0.0, handover_s=0.0)
    d = p.assess(
        battery_pct=30, distance_home_m=500, path=LONG, person_s=1_000, pace_ms=0.0,
        relief_distance_m=20_000,
    )  # fmt: skip
    assert d.call_relief and d.relief_late_s > 0
    assert "alone for about" in d.reason


def test_a_standing_person_still_needs_a_relief() -> None:
    d = planner().assess(
        battery_pct=90, distance_home_m=100, path=LONG, person_s=9_990, pace_ms=0.0,
        relief_distance_m=100,
    )  # fmt: skip
    assert d.relief_needed


def test_bad_inputs_name_the_field() -> None:
    p = planner()
    good = {
        "battery_pct": 50.0, "distance_home_m": 10.0, "path": LONG, "person_s": 0.0,
        "pace_ms": 1.0, "relief_distance_m": 10.0,
    }  # fmt: skip
    for field, bad in [
        ("battery_pct", 101.0), ("battery_pct", float("nan")), ("distance_home_m", -1.0),
        ("pace_ms", float("inf")), ("relief_distance_m", -5.0),
    ]:  # fmt: skip
        with pytest.raises(InvalidValueError) as err:
            p.assess(**(good | {field: bad}))
        assert err.value.field == field
    with pytest.raises(InvalidValueError):
        HandoverPlanner(ENERGY, cruise_speed_ms=0.0)


@SETTINGS
@given(st.floats(20.0, 100.0), st.floats(0.0, 5_000.0), st.floats(0.0, 2.0))
def test_leaving_when_told_lands_with_the_reserve(pct, home, pace) -> None:
    """Simulate leading away from home second by second; the way home must stay affordable."""
    p = planner()
    decision = p.assess(
        battery_pct=pct, distance_home_m=home, path=LONG, person_s=0.0, pace_ms=pace,
        relief_distance_m=0.0,
    )  # fmt: skip
    leave_in = decision.leave_in_s
    if leave_in == 0.0:  # already at (or below) the reserve for the way home
        assert decision.must_leave
        return
    energy = ENERGY.available_wh * pct / 100.0
    v = PROFILE.cruise_speed_ms
    t, d = 0.0, home
    while t + 1.0 <= leave_in:
        energy -= ENERGY.energy_wh(ENERGY.lead_power_w, 1.0)
        d += pace
        t += 1.0
    landing = energy - ENERGY.energy_wh(ENERGY.cruise_power_w, d / v)
    assert landing >= ENERGY.reserve_wh - 1e-6
    # ...and not much later than it could: another minute would break the reserve.
    if leave_in > 0:
        late = energy - ENERGY.energy_wh(ENERGY.lead_power_w, 60.0)
        late -= ENERGY.energy_wh(ENERGY.cruise_power_w, (d + 60.0 * pace) / v)
        assert late < ENERGY.reserve_wh


@SETTINGS
@given(st.floats(0.0, 100.0), st.floats(0.0, 100.0), st.floats(0.0, 3_000.0))
def test_less_battery_never_means_more_time(pct_a, pct_b, home) -> None:
    p = planner()
    kw = {"distance_home_m": home, "path": LONG, "person_s": 100.0, "pace_ms": 0.8}
    lo, hi = sorted((pct_a, pct_b))
    a = p.assess(battery_pct=lo, relief_distance_m=500.0, **kw)
    b = p.assess(battery_pct=hi, relief_distance_m=500.0, **kw)
    assert a.leave_in_s <= b.leave_in_s
    assert a.call_relief or not b.call_relief
    assert a.must_leave or not b.must_leave


def test_a_faster_way_home_leaves_more_time_to_lead():
    """ArduCopter's RTL may fly faster (RTL_SPEED) than GUIDED lets a relief fly
    (WPNAV_SPEED): the way home then costs less, so the leading drone may stay longer."""
    slow = HandoverPlanner(ENERGY, cruise_speed_ms=3.0)
    fast = HandoverPlanner(ENERGY, cruise_speed_ms=3.0, return_speed_ms=10.0)
    assert fast.leave_in_s(40.0, 5000.0, 0.8) > slow.leave_in_s(40.0, 5000.0, 0.8)
    assert fast.relief_eta_s(1000.0, 0.8) == slow.relief_eta_s(1000.0, 0.8)
