"""The rehearsal simulator on a plain straight route."""

from __future__ import annotations

import numpy as np
import pytest

from safeconduct.guidance.path import RoutePath
from safeconduct.guidance.rehearsal import (
    LeadingSortie,
    PersonProfile,
    TerrainAlong,
    rehearse,
)

PATH = RoutePath(np.array([[0.0, 0.0], [0.0, 1000.0]]))
STEP = 5.0
N = int(PATH.length / STEP) + 1
FLAT = TerrainAlong(
    step_m=STEP,
    speed_ms=np.full(N, 5.0 / 3.6 * 0.6),  # off-path Tobler on the flat: 3 km/h
    seen_by=np.vstack([np.arange(N) < N // 4, np.zeros(N, dtype=bool)]),  # first 250 m seen
)
ONE = [LeadingSortie(arrive_t=0.0, leave_t=3 * 3600.0, handover_s=PATH.length)]


def test_a_fit_person_reaches_the_reception_point_in_about_the_expected_time() -> None:
    result = rehearse(PATH, FLAT, ONE, PersonProfile(), seed=1)
    assert result.reached
    expected = PATH.length / FLAT.speed_ms[0]
    assert expected * 0.9 < result.walking_s < expected * 1.4
    assert result.exposed_s[1] == 0.0
    assert result.exposed_s[0] == pytest.approx(result.exposed_any_s)
    assert result.events[-1][1].startswith("the person reaches")


def test_an_injured_person_takes_longer_and_the_drone_waits_more() -> None:
    fit = rehearse(PATH, FLAT, ONE, PersonProfile(), seed=3)
    hurt = rehearse(PATH, FLAT, ONE, PersonProfile.injured(), seed=3)
    assert hurt.reached
    assert hurt.duration_s > 1.5 * fit.duration_s
    assert hurt.drone_wait_s > fit.drone_wait_s


def test_the_same_seed_gives_the_same_rehearsal() -> None:
    a = rehearse(PATH, FLAT, ONE, PersonProfile.injured(), seed=7)
    b = rehearse(PATH, FLAT, ONE, PersonProfile.injured(), seed=7)
    assert a.events == b.events and a.duration_s == b.duration_s
    np.testing.assert_array_equal(a.track["person_s"], b.track["person_s"])


def test_at_a_relay_the_person_waits_for_the_relief_drone() -> None:
    relay = [
        LeadingSortie(arrive_t=0.0, leave_t=600.0, handover_s=400.0),
        LeadingSortie(arrive_t=700.0, leave_t=5000.0, handover_s=PATH.length),
    ]
    result = rehearse(PATH, FLAT, relay, PersonProfile(), seed=2)
    assert result.reached
    assert result.relay_wait_s >= 60.0
    texts = [text for _, text in result.events]
    assert any("hands over" in t or "must leave" in t for t in texts)
    assert any(t.startswith("drone 2 arrives") for t in texts)
    # The person never walks while no drone leads.
    track = result.track
    no_drone = track["mode"] == 3
    assert np.all(np.diff(track["person_s"])[no_drone[1:]] == 0)


def test_no_relief_stops_the_operation() -> None:
    short = [LeadingSortie(arrive_t=0.0, leave_t=120.0, handover_s=PATH.length)]
    result = rehearse(PATH, FLAT, short, PersonProfile(), seed=0)
    assert not result.reached
    assert "no relief" in result.events[-1][1]
