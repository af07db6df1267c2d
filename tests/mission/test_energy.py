"""The energy model, and the relay split it drives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from safeconduct.adapters.files.drone_profiles import load_profile
from safeconduct.errors import UnreachableError
from safeconduct.mission.energy import EnergyModel, furthest_affordable
from safeconduct.mission.plan import MissionSettings, plan_sorties
from tests.mission.mission_helpers import ORIGIN, offset, straight_route

NOW = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
CAMERA = load_profile("camera-900g")


def test_hover_power_from_the_rated_hover_time() -> None:
    m = EnergyModel(CAMERA)
    assert m.hover_power_w == pytest.approx(77.0 * 60 / 40)  # 115.5 W
    assert m.lead_power_w == pytest.approx(m.hover_power_w)  # walking pace ~ hover
    assert m.cruise_power_w == pytest.approx(1.1 * m.hover_power_w)
    assert m.available_wh == pytest.approx(77.0 * 0.85)
    assert m.reserve_wh == pytest.approx(0.25 * 77.0 * 0.85)
    assert m.budget_wh == pytest.approx(0.75 * 77.0 * 0.85)
    # A derated sortie with the reserve kept hovers about 25 minutes, not the rated 40.
    assert m.hover_seconds(m.budget_wh) / 60 == pytest.approx(40 * 0.85 * 0.75)
    assert m.energy_wh(115.5, 3600) == pytest.approx(115.5)


def test_climbing_costs_potential_energy_and_descending_nothing() -> None:
    m = EnergyModel(CAMERA)
    assert m.climb_wh(100.0) == pytest.approx(0.9 * 9.80665 * 100 / 0.5 / 3600)
    assert m.climb_wh(-50.0) == 0.0


def test_furthest_affordable_prefers_a_hidden_point_nearby() -> None:
    costs = [10.0, 20.0, 30.0, 40.0, 50.0]
    stations = [100.0, 200.0, 300.0, 400.0, 500.0]
    assert furthest_affordable(costs, 45.0) == 3
    assert furthest_affordable(costs, 5.0) is None
    hidden = [True, False, True, False, False]
    # 400 m is affordable but in view; 300 m is hidden and within 25 % of 0-400 m.
    assert furthest_affordable(costs, 45.0, hidden=hidden, stations_m=stations) == 2
    # A hidden point further back than that is not worth the lost distance.
    hidden = [True, False, False, False, False]
    assert furthest_affordable(costs, 45.0, hidden=hidden, stations_m=stations) == 3


def _plan(length_m: float, profile: str = "camera-900g", **kw):
    route = straight_route(length_m)
    launch = offset(ORIGIN, 270.0, 300.0)  # 300 m behind the meeting point, on the route
    return plan_sorties(
        route,
        _geo(launch),
        load_profile(profile),
        meeting_time=NOW + timedelta(hours=1),
        now=NOW,
        **kw,
    )


def _geo(lonlat):
    from safeconduct.terrain.coords import GeoPoint

    return GeoPoint(lat=lonlat[1], lon=lonlat[0])


def test_a_500_m_route_is_one_sortie() -> None:
    plan = _plan(500.0)
    assert len(plan.sorties) == 1
    s = plan.sorties[0]
    assert s.ends_at_reception and s.lead_from_m == 0.0 and s.lead_to_m == pytest.approx(500.0)
    assert s.energy_used_wh <= plan.energy.budget_wh
    assert s.reserve_left_wh >= plan.energy.reserve_wh


def test_a_6_km_route_needs_relays_each_within_its_energy() -> None:
    plan = _plan(6000.0)
    model = plan.energy
    assert len(plan.sorties) > 1
    s = MissionSettings()
    for so in plan.sorties:
        assert so.energy_used_wh <= model.budget_wh + 1e-9
        assert so.reserve_left_wh == pytest.approx(model.available_wh - so.energy_used_wh)
        assert so.reserve_left_wh >= model.reserve_wh - 1e-9
        assert so.energy_used_wh == pytest.approx(sum(p.energy_wh for p in so.phases))
    for a, b in zip(plan.sorties, plan.sorties[1:], strict=False):
        # The relief takes over where the first left the person, and leads on.
        assert b.lead_from_m == pytest.approx(a.lead_to_m + s.handover_offset_m)
    assert plan.sorties[-1].ends_at_reception
    assert plan.sorties[-1].lead_to_m == pytest.approx(6000.0)
    # No fewer sorties can lead it (the stretches are evened out, not shortened).
    with pytest.raises(UnreachableError, match=f"more than {len(plan.sorties) - 1} sorties"):
        _plan(6000.0, settings=MissionSettings(max_sorties=len(plan.sorties) - 1))


def test_relays_need_more_sorties_the_longer_the_signal_wait() -> None:
    short = _plan(3000.0, settings=MissionSettings(signal_wait_s=60))
    long = _plan(3000.0, settings=MissionSettings(signal_wait_s=900))
    assert short.sorties[0].lead_to_m > long.sorties[0].lead_to_m
    assert len(short.sorties) <= len(long.sorties)


def test_the_heavy_lifter_is_split_by_its_own_figures() -> None:
    plan = _plan(3000.0, profile="heavy-lift-3kg")
    heavy = EnergyModel(load_profile("heavy-lift-3kg"))
    assert plan.energy == heavy
    for so in plan.sorties:
        assert so.energy_used_wh <= heavy.budget_wh + 1e-9
