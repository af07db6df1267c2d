"""The leading controller and the route path it measures along."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.guidance.leader import LeadController, LeadMode, LeadSettings
from safeconduct.guidance.path import RoutePath

L_PATH = RoutePath(np.array([[0.0, 0.0], [0.0, 300.0], [200.0, 300.0]]))  # north, then east


def test_path_measures_and_projects() -> None:
    assert L_PATH.length == pytest.approx(500.0)
    assert L_PATH.point_at(350.0) == pytest.approx([50.0, 300.0])
    assert L_PATH.heading_at(10.0) == pytest.approx(0.0)
    assert L_PATH.heading_at(400.0) == pytest.approx(90.0)
    s, off = L_PATH.project(np.array([5.0, 120.0]))
    assert (s, off) == pytest.approx((120.0, 5.0))


def test_path_projection_near_a_hint_does_not_jump_to_a_later_pass() -> None:
    hairpin = RoutePath(np.array([[0.0, 0.0], [0.0, 500.0], [10.0, 500.0], [10.0, 0.0]]))
    s, _ = hairpin.project(np.array([6.0, 50.0]), near_s=50.0, window=100.0)
    assert s == pytest.approx(50.0)


def test_steady_walker_is_led_at_the_lead_distance() -> None:
    ctl = LeadController(L_PATH, LeadSettings(lead_m=15, max_gap_m=30))
    drone_s, person_s = 0.0, 0.0
    for _ in range(200):
        person_s += 1.2
        cmd = ctl.update(L_PATH.point_at(person_s), drone_s, dt=1.0)
        drone_s = cmd.target_s
    assert cmd.mode is LeadMode.LEAD
    assert cmd.gap_m == pytest.approx(15.0, abs=1.5)


def test_drone_waits_for_a_resting_person_and_resumes() -> None:
    ctl = LeadController(L_PATH, LeadSettings(lead_m=15, max_gap_m=30))
    drone_s = 60.0  # far ahead: the person is resting at the start
    cmd = ctl.update(L_PATH.point_at(0.0), drone_s, dt=1.0)
    assert cmd.mode is LeadMode.WAIT and cmd.target_s == drone_s
    cmd = ctl.update(L_PATH.point_at(30.0), drone_s, dt=1.0)
    assert cmd.mode is LeadMode.WAIT  # hysteresis: still 30 m ahead
    cmd = ctl.update(L_PATH.point_at(46.0), drone_s, dt=1.0)
    assert cmd.mode is LeadMode.LEAD


def test_drone_leads_at_its_pace_and_waits_when_the_person_falls_behind() -> None:
    ctl = LeadController(L_PATH, LeadSettings(lead_m=15, max_gap_m=30, pace_ms=1.0))
    drone_s, person_s, modes = 15.0, 0.0, []
    for _ in range(120):
        person_s += 0.5  # half the pace the drone leads at
        cmd = ctl.update(L_PATH.point_at(person_s), drone_s, dt=1.0)
        drone_s = cmd.target_s
        modes.append(cmd.mode)
    assert LeadMode.WAIT in modes and LeadMode.LEAD in modes
    assert drone_s - person_s <= 31.0


def test_arrival_holds_over_the_end() -> None:
    ctl = LeadController(L_PATH)
    cmd = ctl.update(L_PATH.point_at(495.0), 498.0, dt=1.0)
    assert cmd.mode is LeadMode.ARRIVED
    assert cmd.target_xy == pytest.approx([200.0, 300.0])


@settings(max_examples=60, deadline=None)
@given(
    speeds=st.lists(st.floats(0.0, 2.0), min_size=10, max_size=400),
    lead=st.floats(5.0, 20.0),
    pace=st.floats(0.2, 2.0),
)
def test_drone_never_runs_off_and_modes_follow_the_rules(
    speeds: list[float], lead: float, pace: float
) -> None:
    cfg = LeadSettings(lead_m=lead, max_gap_m=2 * lead, max_speed_ms=3.0, pace_ms=pace)
    ctl = LeadController(L_PATH, cfg)
    drone_s = person_s = 0.0
    previous = LeadMode.LEAD
    for v in speeds:
        person_s = min(person_s + v, L_PATH.length)
        cmd = ctl.update(L_PATH.point_at(person_s), drone_s, dt=1.0)
        # Never more than the wait threshold plus one second of flight ahead.
        assert cmd.target_s - person_s <= cfg.max_gap_m + cfg.max_speed_ms + 1e-9
        assert (
            abs(cmd.target_s - drone_s) <= cfg.max_speed_ms + 1e-9 or cmd.mode is LeadMode.ARRIVED
        )
        if previous is LeadMode.ARRIVED:
            assert cmd.mode is LeadMode.ARRIVED  # terminal
        if previous is LeadMode.LEAD and cmd.mode is LeadMode.WAIT:
            assert cmd.gap_m > cfg.max_gap_m
        if previous is LeadMode.WAIT and cmd.mode is LeadMode.LEAD:
            assert cmd.gap_m <= cfg.lead_m
        previous = cmd.mode
        drone_s = cmd.target_s
