"""Height above ground: the clearance holds along every leg, over a ridge and on the sample area."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.adapters.files.drone_profiles import load_profile
from safeconduct.adapters.gis.geotiff import read_dem
from safeconduct.errors import InvalidValueError, OutOfRangeError
from safeconduct.mission.clearance import DemTerrain, FlatTerrain, ceil_cm
from safeconduct.mission.items import Command
from safeconduct.mission.plan import MissionSettings, plan_sorties
from safeconduct.terrain.coords import GeoPoint
from tests.mission.mission_helpers import (
    ORIGIN,
    horizontal_legs,
    leg_clearances,
    leg_max_heights,
    load_route,
    offset,
    positioned,
    ridge_dem,
    sample_route_path,
    straight_route,
    valley_dem,
)

NOW = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
CAMERA = load_profile("camera-900g")
LEAD, TRANSIT = MissionSettings().lead_height_m, MissionSettings().transit_height_m


def geo(lonlat: tuple[float, float]) -> GeoPoint:
    return GeoPoint(lat=lonlat[1], lon=lonlat[0])


@lru_cache(maxsize=1)
def ridge():
    return ridge_dem()


def test_ceil_cm_rounds_up_to_the_centimetre() -> None:
    assert ceil_cm(15.001) == 15.01
    assert ceil_cm(15.0) == 15.0
    assert ceil_cm(-0.004) == 0.0


def test_points_are_inserted_over_the_ridge_and_the_clearance_holds() -> None:
    dem = ridge()
    launch = geo(ORIGIN)
    terrain = DemTerrain(dem, launch)
    home = terrain.home_amsl_m
    assert home == pytest.approx(150.0, abs=0.5)
    a_ll, b_ll = offset(ORIGIN, 270.0, 1000.0), offset(ORIGIN, 270.0, 2000.0)
    a = (*a_ll, terrain.altitude(*a_ll, LEAD))
    b = (*b_ll, terrain.altitude(*b_ll, LEAD))
    # The straight leg would fly into the 90 m ridge between the two ends.
    assert terrain.min_clearance(a, b) < 0
    points = terrain.leg_points(a, b, LEAD)
    assert points, "no point inserted over the ridge"
    legs = list(zip([a, *points], [*points, b], strict=True))
    for p, q in legs:
        assert terrain.min_clearance(p, q) >= LEAD - 1e-6


def test_no_point_is_inserted_over_flat_ground() -> None:
    terrain = DemTerrain(ridge(), geo(ORIGIN))
    a_ll, b_ll = offset(ORIGIN, 90.0, 100.0), offset(ORIGIN, 90.0, 900.0)
    a = (*a_ll, terrain.altitude(*a_ll, LEAD))
    b = (*b_ll, terrain.altitude(*b_ll, LEAD))
    assert terrain.leg_points(a, b, LEAD) == []


def test_flat_terrain_flies_relative_heights() -> None:
    flat = FlatTerrain()
    assert not flat.has_dem and flat.home_amsl_m is None
    assert flat.altitude(38.0, 48.6, 15.0) == 15.0
    assert flat.leg_points((38.0, 48.6, 15.0), (38.1, 48.6, 15.0), 15.0) == []


def test_launch_outside_the_dem() -> None:
    with pytest.raises(OutOfRangeError, match=r"the launch point .* lies outside the DEM") as info:
        DemTerrain(ridge(), geo(offset(ORIGIN, 0.0, 10_000.0)))
    assert info.value.field == "launch" and "--" not in info.value.message


def test_flight_leaving_the_dem_is_refused() -> None:
    route = straight_route(4000.0, bearing_deg=0.0)  # runs off the 6 km DEM to the north
    with pytest.raises(OutOfRangeError, match="leaves the DEM"):
        plan_sorties(route, geo(ORIGIN), CAMERA, terrain=DemTerrain(ridge(), geo(ORIGIN)), now=NOW)


def _check_every_leg(items, dem, home: float, *, lead: float, transit: float) -> int:
    """Assert the clearance along every horizontal leg; return how many legs were checked."""
    legs = horizontal_legs(items)
    first_descent = next(
        i for i, it in enumerate(positioned(items)) if it.command == Command.NAV_WAYPOINT
        and it.params[0] > 0
    )  # fmt: skip
    transit_legs = {id(a) for a in positioned(items)[:first_descent]}
    for a, b in legs:
        nearest, bilinear = leg_clearances(dem, home, a, b)
        need = transit if id(a) in transit_legs else lead
        assert nearest >= need - 0.01, (a, b, nearest)
        assert bilinear >= need - 0.01, (a, b, bilinear)
    return len(legs)


def test_every_leg_of_every_sortie_keeps_the_clearance_over_the_ridge() -> None:
    dem = ridge()
    launch = geo(offset(ORIGIN, 270.0, 2600.0))  # behind the ridge, on the friendly side
    route = straight_route(3000.0, leg_m=300.0)  # crosses the ridge crest at 1500 m
    terrain = DemTerrain(dem, launch)
    plan = plan_sorties(route, launch, CAMERA, terrain=terrain, now=NOW,
                        meeting_time=NOW + timedelta(hours=1))  # fmt: skip
    assert len(plan.sorties) >= 2
    checked = 0
    for s in plan.sorties:
        checked += _check_every_leg(s.items, dem, terrain.home_amsl_m, lead=LEAD, transit=TRANSIT)
        assert s.min_clearance_m is not None and s.min_clearance_m >= LEAD - 0.01
    assert checked > 20
    assert not plan.warnings or "no DEM" not in plan.warnings[0]


def test_every_leg_keeps_the_clearance_on_the_sample_area(sample_area: Path) -> None:
    dem = read_dem(sample_area / "dem.tif")
    route = load_route(sample_route_path(str(sample_area)))
    launch = geo(offset(route.point_at(2000.0), 270.0, 800.0))
    terrain = DemTerrain(dem, launch)
    plan = plan_sorties(route, launch, CAMERA, terrain=terrain, now=NOW,
                        meeting_time=NOW + timedelta(hours=1))  # fmt: skip
    for s in plan.sorties:
        _check_every_leg(s.items, dem, terrain.home_amsl_m, lead=LEAD, transit=TRANSIT)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.floats(200.0, 1200.0),
    end=st.floats(1800.0, 2800.0),
    across=st.floats(-800.0, 800.0),
    clearance=st.floats(5.0, 60.0),
)
def test_any_leg_over_the_ridge_keeps_any_clearance(
    start: float, end: float, across: float, clearance: float
) -> None:
    dem = ridge()
    terrain = DemTerrain(dem, geo(ORIGIN))
    a_ll = offset(offset(ORIGIN, 270.0, start), 0.0, across)
    b_ll = offset(ORIGIN, 270.0, end)
    a = (*a_ll, terrain.altitude(*a_ll, clearance))
    b = (*b_ll, terrain.altitude(*b_ll, clearance))
    pts = [a, *terrain.leg_points(a, b, clearance), b]
    for p, q in itertools.pairwise(pts):
        assert terrain.min_clearance(p, q) >= clearance - 1e-6


# --------------------------------------------------------------------------- maximum height

MAX_AGL = MissionSettings().max_height_agl_m


@lru_cache(maxsize=1)
def valley():
    return valley_dem()


def test_the_maximum_height_above_ground_is_a_documented_setting() -> None:
    assert MAX_AGL == 120.0  # the EU open category's ceiling (about 400 ft elsewhere)
    assert "max_height_agl_m" in (MissionSettings.__doc__ or "")
    with pytest.raises(InvalidValueError) as info:
        MissionSettings(max_height_agl_m=65.0)  # no room above the 60 m transit height
    assert info.value.field == "max_height_agl_m"


def test_a_leg_over_a_valley_follows_it_down() -> None:
    terrain = DemTerrain(valley(), geo(ORIGIN))
    a_ll, b_ll = offset(ORIGIN, 270.0, 1000.0), offset(ORIGIN, 270.0, 2000.0)
    a = (*a_ll, terrain.altitude(*a_ll, TRANSIT))
    b = (*b_ll, terrain.altitude(*b_ll, TRANSIT))
    # Straight across, the drone would be 60 + 150 m above the valley floor.
    assert terrain.max_height(a, b) > 200.0
    assert terrain.leg_points(a, b, TRANSIT) == []  # the clearance alone asks for nothing
    points = terrain.leg_points(a, b, TRANSIT, max_height_m=MAX_AGL)
    assert points
    for p, q in itertools.pairwise([a, *points, b]):
        assert terrain.max_height(p, q) <= MAX_AGL + 1e-6
        assert terrain.min_clearance(p, q) >= TRANSIT - 1e-6
        low, high = terrain.height_range(p, q)
        assert (low, high) == (terrain.min_clearance(p, q), terrain.max_height(p, q))


def test_no_sortie_flies_higher_above_the_valley_than_the_maximum() -> None:
    dem = valley()
    launch = geo(ORIGIN)
    terrain = DemTerrain(dem, launch)
    home = terrain.home_amsl_m
    # The transit crosses the valley; the route leads down into it and up the far side.
    route = straight_route(1000.0, start=offset(ORIGIN, 270.0, 1000.0), leg_m=500.0)
    plan = plan_sorties(route, launch, CAMERA, terrain=terrain, now=NOW,
                        meeting_time=NOW + timedelta(hours=1))  # fmt: skip
    checked = 0
    for s in plan.sorties:
        assert s.max_height_agl_m is not None and s.max_height_agl_m <= MAX_AGL + 1e-6
        for a, b in horizontal_legs(s.items):
            nearest, bilinear = leg_max_heights(dem, home, a, b)
            assert max(nearest, bilinear) <= MAX_AGL + 0.01, (a, b, nearest, bilinear)
            checked += 1
        _check_every_leg(s.items, dem, home, lead=LEAD, transit=TRANSIT)
    assert checked > 10
    assert not any("above the ground" in w for w in plan.warnings)
    # Without the maximum the same sorties would cross the valley far higher.
    loose = plan_sorties(route, launch, CAMERA, terrain=terrain, now=NOW,
                         meeting_time=NOW + timedelta(hours=1),
                         settings=MissionSettings(max_height_agl_m=500.0))  # fmt: skip
    assert max(s.max_height_agl_m or 0.0 for s in loose.sorties) > 150.0
