"""A whole operation on the sample area: plan, rehearse, report."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from safeconduct.adapters.formats.layers import read_hazards, read_reception, write_hazards
from safeconduct.adapters.gis.geotiff import read_dem
from safeconduct.bootstrap import operation_ports
from safeconduct.errors import BadFileError, InvalidValueError, UnreachableError
from safeconduct.services.operation import (
    INJURED_PLANNING_PACE,
    OperationResult,
    rehearse_operation,
)
from safeconduct.terrain.layers import Hazard

NOW = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
PORTS = operation_ports()


@pytest.fixture(scope="module")
def fit(sample_area: Path, tmp_path_factory: pytest.TempPathFactory) -> OperationResult:
    out = tmp_path_factory.mktemp("fit") / "out"
    return rehearse_operation(PORTS, sample_area, out, seed=3, now=NOW)


@pytest.fixture(scope="module")
def injured(sample_area: Path, tmp_path_factory: pytest.TempPathFactory) -> OperationResult:
    out = tmp_path_factory.mktemp("injured") / "out"
    return rehearse_operation(PORTS, sample_area, out, seed=3, injured=True, now=NOW)


def test_the_rehearsal_reaches_the_reception_point(fit: OperationResult) -> None:
    assert fit.rehearsal.reached
    assert fit.summary.rehearsal.reached is True
    assert fit.rehearsal.events[-1][1].startswith("the person reaches the reception point")


def test_every_artifact_is_written_and_linked(fit: OperationResult) -> None:
    out = fit.out_dir
    for name in ("report.html", "summary.json", "route.geojson", "note.pdf", "map.png",
                 "mission/schedule.json", "mission/mission.geojson", "mission/sortie-1.plan",
                 "mission/sortie-1.waypoints", "hazards.geojson", "observers.geojson",
                 "exposure.tif"):  # fmt: skip
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text()
    assert "http://" not in html and "https://" not in html  # works offline
    assert html.count("data:image/png;base64,") >= 4  # map, profile, timeline, note
    for link in ("route.geojson", "note.pdf", "summary.json", "mission/schedule.json"):
        assert f'href="{link}"' in html
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left


def test_the_plan_folder_keeps_what_the_plan_was_made_on(
    fit: OperationResult, sample_area: Path
) -> None:
    """The area's hazards and observers (lon/lat GeoJSON) and the exposure the route weighed,
    on the DEM's grid, so that a plan folder explains itself (and the board draws them)."""
    from safeconduct.adapters.formats.layers import read_observers

    out = fit.out_dir
    assert read_hazards(out / "hazards.geojson") == read_hazards(sample_area / "hazards.geojson")
    observers = read_observers(out / "observers.geojson")
    assert observers == read_observers(sample_area / "observers.geojson")
    dem = read_dem(sample_area / "dem.tif")
    grid = read_dem(out / "exposure.tif")  # nodata (-1) reads as NaN
    assert grid.shape == dem.shape and grid.transform == dem.transform
    assert np.array_equal(np.isnan(grid.elevation), np.isnan(dem.elevation))
    seen = grid.elevation[np.isfinite(grid.elevation)]
    assert seen.min() >= 0 and seen.max() > 0
    assert seen.max() <= sum(o.weight for o in observers) + 1e-6
    html = (out / "report.html").read_text()
    for link in ("hazards.geojson", "observers.geojson", "exposure.tif"):
        assert f'href="{link}"' in html


def test_injured_takes_longer_and_the_drone_waits_more(
    fit: OperationResult, injured: OperationResult
) -> None:
    a, b = fit.summary.rehearsal, injured.summary.rehearsal
    assert b.duration_s > 1.5 * a.duration_s
    assert b.drone_wait_s > a.drone_wait_s
    assert injured.summary.mission.sorties > fit.summary.mission.sorties


def test_the_same_seed_gives_the_same_summary(
    sample_area: Path, tmp_path: Path, fit: OperationResult
) -> None:
    again = rehearse_operation(PORTS, sample_area, tmp_path / "again", seed=3, now=NOW)
    assert again.summary == fit.summary
    assert json.loads((tmp_path / "again" / "summary.json").read_text()) == fit.summary.to_json()


def test_a_reception_ringed_by_minefields_fails_cleanly(sample_area: Path, tmp_path: Path) -> None:
    area = tmp_path / "area"
    shutil.copytree(sample_area, area)
    dem = read_dem(area / "dem.tif")
    rings = []
    for r in read_reception(area / "reception.geojson"):
        centre = Point(*dem.lonlat_to_xy(r.lon, r.lat))
        ring_xy = centre.buffer(160).difference(centre.buffer(140))
        ring = shapely.transform(
            ring_xy, lambda xy: np.column_stack(dem.xy_to_lonlat(xy[:, 0], xy[:, 1]))
        )
        rings.append(Hazard("minefield", ring))
    write_hazards(area / "hazards.geojson", [*read_hazards(area / "hazards.geojson"), *rings])
    out = tmp_path / "out"
    with pytest.raises(UnreachableError):
        rehearse_operation(PORTS, area, out, now=NOW)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["area"]


def test_an_area_missing_a_layer_names_it(tmp_path: Path, sample_area: Path) -> None:
    area = tmp_path / "area"
    shutil.copytree(sample_area, area)
    (area / "observers.geojson").unlink()
    with pytest.raises(BadFileError, match=r"lacks observers\.geojson"):
        rehearse_operation(PORTS, area, tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_the_injured_planning_pace_is_a_named_setting(
    sample_area: Path, tmp_path: Path, injured: OperationResult
) -> None:
    assert injured.route.parameters["pace_factor"] == INJURED_PLANNING_PACE
    # A bolder plan (0.45 of a fit pace) expects a shorter walk than the default.
    bolder = rehearse_operation(
        PORTS, sample_area, tmp_path / "bolder", seed=3, injured=True, injured_pace=0.45, now=NOW
    )
    assert bolder.route.parameters["pace_factor"] == 0.45
    assert bolder.summary.route.walking_time_s < injured.summary.route.walking_time_s


@pytest.mark.parametrize("pace", [0.0, 1.5, float("nan")])
def test_an_impossible_injured_pace_is_refused_by_name(
    sample_area: Path, tmp_path: Path, pace: float
) -> None:
    with pytest.raises(InvalidValueError) as info:
        rehearse_operation(PORTS, sample_area, tmp_path / "out", injured=True, injured_pace=pace)
    assert info.value.field == "injured_pace"
    assert not (tmp_path / "out").exists()


def test_the_summary_json_keeps_its_shape(fit: OperationResult) -> None:
    doc = json.loads((fit.out_dir / "summary.json").read_text())
    assert doc["safeconduct"] == {"kind": "rehearsal-summary", "version": 1}
    assert set(doc) == {"safeconduct", "seed", "person", "route", "mission", "rehearsal"}
    assert set(doc["route"]) == {
        "reception", "length_m", "walking_time_s", "exposed_time_s", "total_ascent_m",
        "max_slope_deg", "waypoints",
    }  # fmt: skip
    assert set(doc["mission"]) == {
        "drone", "sorties", "airframes", "reserve_at_landing_wh", "reserve_required_wh",
        "lowest_reserve_wh",
    }  # fmt: skip
    assert doc["rehearsal"]["reached"] is True


def test_an_unknown_language_is_refused_before_any_work(sample_area: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError) as info:
        rehearse_operation(PORTS, sample_area, tmp_path / "out", lang="xx", now=NOW)
    assert info.value.field == "langs"
    assert not (tmp_path / "out").exists()


def test_an_output_that_cannot_be_written_is_refused_first(
    sample_area: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the long work started before the output was checked")

    monkeypatch.setattr("safeconduct.services.operation.search_grids", must_not_run)
    with pytest.raises(BadFileError, match="does not exist"):
        rehearse_operation(PORTS, sample_area, tmp_path / "missing" / "out", now=NOW)
