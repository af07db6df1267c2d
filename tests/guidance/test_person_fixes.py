"""The person-fix gate: age, corridor, walking speed and trust decide what moves the leader."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.guidance.path import RoutePath
from safeconduct.guidance.person_fixes import (
    FixGate,
    FixSource,
    PersonFix,
    RejectReason,
)

TAP, TRACK, DET = FixSource.CREW_TAP, FixSource.TRACK, FixSource.DETECTOR
ROUTE = RoutePath(np.array([[0.0, 0.0], [0.0, 1000.0]]))  # straight north, 1 km
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def walker(gate: FixGate, until_s: float, speed: float = 1.2, step_s: float = 1.0) -> float:
    """Feed a steady track walker north along x = 0; return where it ends, metres."""
    t, y = 0.0, 0.0
    while t <= until_s:
        assert gate.offer(PersonFix(t, 0.0, y, TRACK), now_s=t).accepted
        t += step_s
        y += speed * step_s
    return y - speed * step_s


def test_a_steady_track_is_accepted_and_is_the_estimate() -> None:
    gate = FixGate(path=ROUTE)
    y = walker(gate, 60.0)
    est = gate.estimate(60.0)
    assert est is not None and est.y == pytest.approx(y) and est.source is TRACK
    assert gate.counts["accepted"] == 61


def test_a_wild_detection_300_m_ahead_is_refused_and_the_estimate_stays() -> None:
    gate = FixGate(path=ROUTE)
    walker(gate, 30.0)
    before = gate.estimate(30.5)
    verdict = gate.offer(PersonFix(30.5, 0.0, 336.0, DET), now_s=30.5)
    assert not verdict.accepted and verdict.reason is RejectReason.IMPLAUSIBLE_SPEED
    assert "300 m" in verdict.detail or "m from one" in verdict.detail
    assert gate.estimate(30.5) == before


def test_stale_future_off_corridor_and_out_of_order_fixes_are_refused() -> None:
    gate = FixGate(path=ROUTE, max_age_s=10.0, max_offset_m=60.0)
    assert gate.offer(PersonFix(100.0, 0.0, 50.0, TRACK), now_s=100.0).accepted
    cases = [
        (PersonFix(85.0, 0.0, 50.0, TAP), 100.0, RejectReason.TOO_OLD),
        (PersonFix(105.0, 0.0, 50.0, TAP), 100.0, RejectReason.FROM_FUTURE),
        (PersonFix(101.0, 200.0, 52.0, TAP), 101.0, RejectReason.OFF_CORRIDOR),
        (PersonFix(99.0, 0.0, 50.0, TAP), 101.0, RejectReason.SUPERSEDED),
        (PersonFix(101.0, math.nan, 50.0, TAP), 101.0, RejectReason.NOT_FINITE),
    ]
    for fix, now, reason in cases:
        verdict = gate.offer(fix, now_s=now)
        assert (verdict.accepted, verdict.reason) == (False, reason), fix
        assert verdict.detail
    assert gate.counts["too_old"] == 1 and gate.counts["accepted"] == 1


def test_the_estimate_lapses_when_nothing_new_comes() -> None:
    gate = FixGate(max_age_s=10.0)
    gate.offer(PersonFix(0.0, 0.0, 0.0, TAP), now_s=0.0)
    assert gate.estimate(9.0) is not None
    assert gate.estimate(10.5) is None
    assert gate.newest is not None  # still the reference for walking reach


def test_a_lone_detection_does_not_anchor_but_two_consistent_ones_do() -> None:
    gate = FixGate()
    v = gate.offer(PersonFix(0.0, 10.0, 10.0, DET), now_s=0.0)
    assert v.reason is RejectReason.UNCONFIRMED and gate.estimate(0.0) is None
    # Same burst of frames: confirms nothing.
    assert not gate.offer(PersonFix(0.2, 10.0, 10.2, DET), now_s=0.2).accepted
    v = gate.offer(PersonFix(1.5, 10.0, 11.0, DET), now_s=1.5)
    assert v.accepted and gate.estimate(1.5).y == pytest.approx(11.0)


def test_a_crew_tap_anchors_on_its_own() -> None:
    gate = FixGate()
    assert gate.offer(PersonFix(0.0, 5.0, 5.0, TAP), now_s=0.0).accepted


def test_two_crew_taps_reanchor_over_a_track_that_went_wrong() -> None:
    gate = FixGate(path=ROUTE)
    walker(gate, 10.0)  # the track says y ~ 12 m
    # The crew sees him 150 m further on (the track was lagging): one tap is not enough...
    first = gate.offer(PersonFix(11.0, 0.0, 162.0, TAP), now_s=11.0)
    assert not first.accepted and first.reason is RejectReason.IMPLAUSIBLE_SPEED
    # ...a second, consistent tap a few seconds later re-anchors at once (taps outrank a track).
    second = gate.offer(PersonFix(14.0, 0.0, 165.0, TAP), now_s=14.0)
    assert second.accepted and second.reanchored
    assert gate.estimate(14.0).y == pytest.approx(165.0)
    # From now on the old track is out of reach and refused.
    assert not gate.offer(PersonFix(15.0, 0.0, 18.0, TRACK), now_s=15.0).accepted


def test_equally_trusted_fixes_reanchor_only_after_a_gap() -> None:
    gate = FixGate(reanchor_gap_s=5.0)
    for t in range(5):
        gate.offer(PersonFix(float(t), 0.0, float(t), TRACK), now_s=float(t))
    # Two consistent track fixes far away while the track is fresh: refused.
    assert not gate.offer(PersonFix(5.0, 0.0, 200.0, TRACK), now_s=5.0).accepted
    assert not gate.offer(PersonFix(6.5, 0.0, 201.0, TRACK), now_s=6.5).accepted
    # After a gap of 5 s since the last accepted fix (t = 4), a consistent pair re-anchors.
    v = gate.offer(PersonFix(9.5, 0.0, 203.0, TRACK), now_s=9.5)
    assert v.accepted and v.reanchored


def test_repeated_false_detections_never_outrank_a_fresh_track() -> None:
    gate = FixGate()
    t = 0.0
    for i in range(60):
        t = i * 0.5
        gate.offer(PersonFix(t, 0.0, 0.6 * t, TRACK), now_s=t)
        # A scarecrow 300 m ahead, detected in every frame.
        v = gate.offer(PersonFix(t + 0.1, 0.0, 300.0, DET), now_s=t + 0.1)
        assert not v.accepted
    assert gate.estimate(t).y == pytest.approx(0.6 * t)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        FixGate(max_speed_ms=0.0)
    with pytest.raises(ValueError):
        FixGate(tolerance_m=-1.0)


# -- properties ----------------------------------------------------------------------------

# Each step moves from the previous fix: mostly a walk or a jog (some too fast), sometimes
# a wild jump, from any source.
step_strategy = st.tuples(
    st.floats(0.05, 5.0),  # time step from the previous fix, s
    st.one_of(
        st.tuples(st.floats(-4.0, 4.0), st.floats(-4.0, 4.0)),  # metres per second of dt
        st.tuples(st.floats(-300.0, 300.0), st.floats(-300.0, 300.0)),  # a jump, m/s of dt
    ),
    st.sampled_from(list(FixSource)),
)


@SETTINGS
@given(st.lists(step_strategy, min_size=2, max_size=60), st.floats(0.0, 8.0))
def test_no_accepted_sequence_implies_a_speed_above_the_limit(steps, tolerance) -> None:
    gate = FixGate(tolerance_m=tolerance, max_speed_ms=2.5, history_s=30.0)
    t, x, y = 0.0, 0.0, 0.0
    epoch: list[PersonFix] = []  # accepted fixes since the last (re-)anchoring
    for dt, (vx, vy), source in steps:
        t += dt
        x, y = x + vx * dt, y + vy * dt
        fix = PersonFix(t, x, y, source)
        verdict = gate.offer(fix, now_s=t)
        if not verdict.accepted:
            continue
        if verdict.reanchored:
            epoch = []
        for old in epoch:
            span = fix.time_s - old.time_s
            if span <= 30.0 or old is epoch[-1]:
                assert fix.distance_to(old) <= 2.5 * span + tolerance + 1e-9
        epoch.append(fix)


@SETTINGS
@given(
    st.lists(st.floats(0.3, 2.0), min_size=3, max_size=30),
    st.integers(1, 29),
    st.floats(50.0, 2000.0),
    st.floats(0.0, 2 * math.pi),
    st.sampled_from(list(FixSource)),
)
def test_a_lone_outlier_never_moves_the_estimate(steps, at, distance, bearing, source) -> None:
    gate = FixGate()
    t, y = 0.0, 0.0
    for i, dt in enumerate(steps):
        t += dt
        y += 1.0 * dt
        if i == min(at, len(steps) - 1):
            before = gate.estimate(t)
            ox, oy = distance * math.sin(bearing), y + distance * math.cos(bearing)
            verdict = gate.offer(PersonFix(t, ox, oy, source), now_s=t)
            assert not verdict.accepted
            assert gate.estimate(t) == before
        else:
            assert gate.offer(PersonFix(t, 0.0, y, TRACK), now_s=t).accepted
