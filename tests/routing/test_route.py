"""Planning a route on the sample area: the whole chain from files to GeoJSON."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from safeconduct.adapters.formats.layers import (
    read_hazards,
    read_meeting,
    read_observers,
    read_reception,
)
from safeconduct.adapters.formats.route_geojson import route_to_geojson
from safeconduct.adapters.gis.geotiff import read_dem
from safeconduct.adapters.gis.rasterize import rasterize_hazards
from safeconduct.bootstrap import planning_ports
from safeconduct.entrypoints.cli.app import main
from safeconduct.errors import InvalidValueError, OutOfRangeError, UnreachableError
from safeconduct.routing.legs import DEFAULT_MAX_LEGS, walking_legs
from safeconduct.routing.route import Route, build_search_grids, plan_route
from safeconduct.services.planning import plan_route_files
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import Hazard


@pytest.fixture(scope="module")
def area(sample_area: Path) -> dict:
    meeting = read_meeting(sample_area / "meeting.geojson")
    dem = read_dem(sample_area / "dem.tif")
    hazards = read_hazards(sample_area / "hazards.geojson")
    return {
        "dem": dem,
        "hazards": hazards,
        "hazard_grids": rasterize_hazards(hazards, dem),
        "observers": read_observers(sample_area / "observers.geojson"),
        "reception": read_reception(sample_area / "reception.geojson"),
        "start": GeoPoint(meeting.lat, meeting.lon),
    }


@pytest.fixture(scope="module")
def safe_route(area: dict) -> Route:
    return plan_route(
        area["dem"],
        area["start"],
        area["reception"],
        hazard_grids=area["hazard_grids"],
        observers=area["observers"],
    )


def _cells_along(dem: Dem, route: Route) -> np.ndarray:
    """Cells under the route line, sampled every half cell."""
    xy = [dem.lonlat_to_xy(lon, lat) for lon, lat, _ in route.waypoints]
    line = LineString(xy)
    steps = np.arange(0.0, line.length, min(dem.cell_size) / 2)
    pts = [line.interpolate(d) for d in steps]
    return np.array([dem.xy_to_rowcol(p.x, p.y) for p in pts])


def test_route_reaches_a_reception_point_without_crossing_a_barrier(
    area: dict, safe_route: Route
) -> None:
    dem = area["dem"]
    names = {r.name for r in area["reception"]}
    assert safe_route.reception.name in names
    end = safe_route.waypoints[-1]
    assert (end[0], end[1]) == pytest.approx(
        (safe_route.reception.lon, safe_route.reception.lat), abs=1e-4
    )
    barrier = build_search_grids(dem, area["hazard_grids"]).barrier
    cells = _cells_along(dem, safe_route)
    assert not barrier[cells[:, 0], cells[:, 1]].any()
    # It crosses the stream, so it must use the bridge: the only gap in the water barrier.
    assert safe_route.length_m > 1000


def test_route_figures_are_consistent(safe_route: Route) -> None:
    segs = safe_route.segments
    assert len(segs) == len(safe_route.waypoints) - 1
    assert safe_route.length_m == pytest.approx(sum(s.distance_m for s in segs))
    assert safe_route.walking_time_s == pytest.approx(sum(s.time_s for s in segs))
    assert 0 <= safe_route.exposed_time_s <= safe_route.walking_time_s
    # A walking person: between 1 and 6 km/h on average.
    speed_kmh = safe_route.length_m / safe_route.walking_time_s * 3.6
    assert 1.0 < speed_kmh < 6.0
    assert 0 <= safe_route.max_slope_deg < 45
    assert safe_route.total_ascent_m >= 0
    # Few waypoints: simplification worked.
    assert len(safe_route.waypoints) < safe_route.length_m / 20


def test_weighing_exposure_cuts_time_in_view(area: dict, safe_route: Route) -> None:
    careless = plan_route(
        area["dem"],
        area["start"],
        area["reception"],
        hazard_grids=area["hazard_grids"],
        observers=area["observers"],
        risk_weight=0.0,
    )
    assert safe_route.exposed_time_s <= careless.exposed_time_s
    assert careless.walking_time_s <= safe_route.walking_time_s * 1.02


def test_an_injured_person_takes_longer(area: dict) -> None:
    fit = plan_route(
        area["dem"], area["start"], area["reception"], hazard_grids=area["hazard_grids"]
    )
    slow = plan_route(
        area["dem"],
        area["start"],
        area["reception"],
        hazard_grids=area["hazard_grids"],
        pace_factor=0.5,
    )
    assert slow.walking_time_s == pytest.approx(2 * fit.walking_time_s, rel=0.05)


def test_geojson_is_lonlat_with_elevation(safe_route: Route) -> None:
    fc = route_to_geojson(safe_route)
    assert fc["type"] == "FeatureCollection"
    line = fc["features"][0]
    assert line["geometry"]["type"] == "LineString"
    for lon, lat, z in line["geometry"]["coordinates"]:
        assert 37 < lon < 39 and 48 < lat < 49 and 100 < z < 300
    props = line["properties"]
    for key in (
        "length_m",
        "walking_time_s",
        "exposed_time_s",
        "max_slope_deg",
        "total_ascent_m",
        "cost",
        "model",
        "segments",
    ):
        assert key in props
    json.dumps(fc)  # serialisable as is


def test_start_in_a_minefield_is_refused(area: dict) -> None:
    mine = next(h for h in area["hazards"] if h.kind == "minefield")
    inside = mine.geometry.representative_point()
    with pytest.raises(UnreachableError, match="inside a barrier"):
        plan_route(
            area["dem"],
            GeoPoint(inside.y, inside.x),
            area["reception"],
            hazard_grids=area["hazard_grids"],
        )


def test_start_outside_the_dem_is_refused(area: dict) -> None:
    with pytest.raises(OutOfRangeError, match="outside the DEM"):
        plan_route(area["dem"], GeoPoint(50.0, 30.0), area["reception"])


def test_reception_ringed_by_minefields_is_unreachable(area: dict) -> None:
    dem = area["dem"]
    ringed = []
    for r in area["reception"]:
        centre = Point(*dem.lonlat_to_xy(r.lon, r.lat))
        annulus_xy = centre.buffer(160).difference(centre.buffer(140))
        annulus = shapely.transform(
            annulus_xy, lambda xy: np.column_stack(dem.xy_to_lonlat(xy[:, 0], xy[:, 1]))
        )
        ringed.append(Hazard("minefield", annulus))
    with pytest.raises(UnreachableError):
        plan_route(
            dem,
            area["start"],
            area["reception"],
            hazard_grids=rasterize_hazards([*area["hazards"], *ringed], dem),
        )


@pytest.mark.parametrize(
    ("setting", "value"),
    [("pace_factor", 0.0), ("model", "dijkstra"), ("risk_weight", -1), ("max_slope_deg", 95.0)],
)
def test_bad_settings_name_their_field_not_a_flag(area: dict, setting: str, value: object) -> None:
    with pytest.raises(InvalidValueError) as info:
        plan_route(area["dem"], area["start"], area["reception"], **{setting: value})
    assert info.value.field == setting
    assert "--" not in info.value.message


def test_route_command_writes_geojson_and_summary(
    sample_area: Path, tmp_path: Path, area: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "route.geojson"
    start = area["start"]
    with pytest.raises(SystemExit) as info:
        main(
            [
                "route",
                "--dem",
                str(sample_area / "dem.tif"),
                "--start",
                str(start),
                "--reception",
                str(sample_area / "reception.geojson"),
                "--hazards",
                str(sample_area / "hazards.geojson"),
                "--pace-factor",
                "0.5",
                "--out",
                str(out),
            ]
        )
    assert info.value.code == 0
    shown = capsys.readouterr().out
    assert "total" in shown and "wrote" in shown
    fc = json.loads(out.read_text())
    assert fc["features"][0]["properties"]["pace_factor"] == 0.5


def test_failed_route_writes_nothing(sample_area: Path, tmp_path: Path) -> None:
    hazards = tmp_path / "hazards.geojson"
    shutil.copy(sample_area / "hazards.geojson", hazards)
    out = tmp_path / "route.geojson"
    with pytest.raises(OutOfRangeError):
        plan_route_files(
            planning_ports(),
            sample_area / "dem.tif",
            GeoPoint(50.0, 30.0),
            sample_area / "reception.geojson",
            out,
            hazards_path=hazards,
        )
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hazards.geojson"]


def test_rwalk_model_runs_without_layers(area: dict) -> None:
    route = plan_route(area["dem"], area["start"], area["reception"], model="rwalk")
    assert route.model == "rwalk" and route.cost > 0
    assert route.parameters["pace_factor"] is None


def test_route_on_the_geographic_jacksboro_dem(tmp_path: Path) -> None:
    """A real DEM on WGS84 is reprojected to UTM and routed across."""
    from safeconduct.adapters.files.jacksboro import write_jacksboro_dem
    from safeconduct.adapters.formats.layers import write_reception
    from safeconduct.terrain.layers import ReceptionPoint

    dem_path = write_jacksboro_dem(tmp_path / "dem.tif")
    write_reception(tmp_path / "reception.geojson", [ReceptionPoint("east", -84.12, 36.62)])
    route = plan_route_files(
        planning_ports(),
        dem_path,
        GeoPoint(36.55, -84.35),
        tmp_path / "reception.geojson",
        tmp_path / "route.geojson",
    )
    assert route.length_m > 20_000  # about 21 km as the crow flies
    assert json.loads((tmp_path / "route.geojson").read_text())["type"] == "FeatureCollection"


def test_walking_legs_fit_one_screen_and_keep_every_sum(safe_route: Route) -> None:
    legs = walking_legs(safe_route)
    assert len(safe_route.segments) > DEFAULT_MAX_LEGS >= len(legs) > 1
    assert legs[0].first_waypoint == 0
    assert legs[-1].last_waypoint == len(safe_route.waypoints) - 1
    for before, after in itertools.pairwise(legs):
        assert before.last_waypoint == after.first_waypoint
    for name in ("distance_m", "time_s", "exposed_time_s", "ascent_m", "descent_m"):
        whole = sum(getattr(s, name) for s in safe_route.segments)
        assert sum(getattr(leg, name) for leg in legs) == pytest.approx(whole)
    assert all(leg.heading in ("N", "NE", "E", "SE", "S", "SW", "W", "NW") for leg in legs)


def test_every_leg_when_asked(safe_route: Route) -> None:
    n = len(safe_route.segments)
    legs = walking_legs(safe_route, max_legs=n, min_leg_m=0.0, straight_deg=0.0)
    assert [leg.distance_m for leg in legs] == [s.distance_m for s in safe_route.segments]


def test_route_summary_merges_legs_unless_all_are_asked_for(
    sample_area: Path, area: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "route", "--dem", str(sample_area / "dem.tif"), "--start", str(area["start"]),
        "--reception", str(sample_area / "reception.geojson"),
        "--hazards", str(sample_area / "hazards.geojson"),
        "--observers", str(sample_area / "observers.geojson"),
        "--out", str(tmp_path / "route.geojson"),
    ]  # fmt: skip
    for extra in ([], ["--legs", "all"]):
        with pytest.raises(SystemExit) as info:
            main([*args, *extra])
        assert info.value.code == 0
    merged, every = capsys.readouterr().out.split("wrote ", 1)
    route = json.loads((tmp_path / "route.geojson").read_text())
    n_legs = len(route["features"][0]["properties"]["segments"])
    assert "stretches merged from" in merged and "--legs all" in merged
    assert f"{n_legs} legs;" in every
    assert len(every.splitlines()) > len(merged.splitlines())
