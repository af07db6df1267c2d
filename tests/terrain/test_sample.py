"""The seeded sample area: files, determinism, RFC 7946, and the story it tells."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from scipy import ndimage
from shapely.geometry import shape
from shapely.geometry.polygon import LinearRing

from safeconduct.adapters.files.sample_area import (
    DEFAULT_SEED,
    DEM_NAME,
    HAZARDS_NAME,
    MEETING_NAME,
    OBSERVERS_NAME,
    RECEPTION_NAME,
    SampleAreaSummary,
    generate_sample_area,
)
from safeconduct.adapters.formats.layers import (
    read_hazards,
    read_meeting,
    read_observers,
    read_reception,
)
from safeconduct.adapters.gis.geotiff import read_dem
from safeconduct.adapters.gis.rasterize import rasterize_hazards
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import HAZARD_KINDS, Hazard

GEOJSON_NAMES = (HAZARDS_NAME, OBSERVERS_NAME, RECEPTION_NAME, MEETING_NAME)
EIGHT = np.ones((3, 3), dtype=bool)


@pytest.fixture(scope="module")
def dem(sample_area: Path) -> Dem:
    return read_dem(sample_area / DEM_NAME)


@pytest.fixture(scope="module")
def hazards(sample_area: Path) -> list[Hazard]:
    return read_hazards(sample_area / HAZARDS_NAME)


@pytest.fixture(scope="module")
def grids(hazards, dem):
    return rasterize_hazards(hazards, dem)


def test_writes_every_file(sample_area: Path, sample_summary: SampleAreaSummary) -> None:
    for name in (DEM_NAME, *GEOJSON_NAMES):
        assert (sample_area / name).is_file()
    assert sample_summary.dem_path == sample_area / DEM_NAME
    assert not list(sample_area.glob(".*.tmp"))  # atomic writes left nothing behind


def test_same_seed_same_files_other_seed_differs(
    tmp_path: Path, sample_area: Path, dem: Dem
) -> None:
    again = generate_sample_area(tmp_path / "again", seed=DEFAULT_SEED)
    for name in GEOJSON_NAMES:
        assert (again.folder / name).read_bytes() == (sample_area / name).read_bytes()
    np.testing.assert_array_equal(read_dem(again.dem_path).elevation, dem.elevation)
    other = generate_sample_area(tmp_path / "other", seed=7)
    assert (other.folder / HAZARDS_NAME).read_bytes() != (sample_area / HAZARDS_NAME).read_bytes()
    assert not np.array_equal(read_dem(other.dem_path).elevation, dem.elevation)


def test_dem_is_projected_utm_float32_and_tagged_synthetic(sample_area: Path, dem: Dem) -> None:
    with rasterio.open(sample_area / DEM_NAME) as src:
        assert src.crs.to_epsg() == 32637
        assert (src.width, src.height) == (1600, 1600)
        assert src.res == (5.0, 5.0)
        assert src.dtypes[0] == "float32"
        assert src.nodata == -9999.0
        tags = src.tags()
        left, top = src.transform.c, src.transform.f
    assert left == int(left) and top == int(top)  # origin snapped to whole metres
    assert tags["SYNTHETIC"] == "yes"
    assert "synthetic" in tags["DESCRIPTION"].lower() and str(DEFAULT_SEED) in tags["DESCRIPTION"]
    assert np.isfinite(dem.elevation).all()
    lon, lat = dem.xy_to_lonlat(*dem.rowcol_to_xy(800, 800))
    assert abs(lon - 38.0) < 0.01 and abs(lat - 48.6) < 0.01


@pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="gdalinfo not installed")
def test_gdalinfo_sees_a_projected_raster(sample_area: Path) -> None:
    out = subprocess.run(
        ["gdalinfo", "-json", str(sample_area / DEM_NAME)], capture_output=True, check=True
    )
    info = json.loads(out.stdout)
    assert info["size"] == [1600, 1600]
    assert "UTM zone 37N" in info["coordinateSystem"]["wkt"]
    assert info["metadata"][""]["SYNTHETIC"] == "yes"


@pytest.mark.parametrize("name", GEOJSON_NAMES)
def test_geojson_is_rfc7946(sample_area: Path, name: str) -> None:
    doc = json.loads((sample_area / name).read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert set(doc) == {"type", "features", "safeconduct"}
    assert doc["safeconduct"]["synthetic"] is True
    assert doc["safeconduct"]["seed"] == DEFAULT_SEED
    assert doc["features"]
    for feat in doc["features"]:
        assert feat["type"] == "Feature"
        geom = feat["geometry"]
        assert geom["type"] in ("Point", "LineString", "Polygon", "MultiPolygon")
        for lon, lat in _positions(geom["coordinates"]):
            assert 37.9 < lon < 38.1 and 48.5 < lat < 48.7  # lon first, near the centre
            assert round(lon, 7) == lon and round(lat, 7) == lat
        polys = {"Polygon": [geom["coordinates"]], "MultiPolygon": geom["coordinates"]}
        for rings in polys.get(geom["type"], []):
            assert rings[0][0] == rings[0][-1]
            assert LinearRing(rings[0]).is_ccw  # exterior counter-clockwise
            assert all(not LinearRing(r).is_ccw for r in rings[1:])
        assert shape(geom).is_valid


def _positions(coords):
    if isinstance(coords[0], float):
        yield coords
    else:
        for c in coords:
            yield from _positions(c)


def test_layers_read_back_with_the_story(sample_area: Path, hazards, sample_summary) -> None:
    kinds = {h.kind for h in hazards}
    assert kinds == set(HAZARD_KINDS)
    assert sample_summary.hazard_count("minefield") >= 4
    assert sample_summary.hazard_count("water") == 1
    observers = read_observers(sample_area / OBSERVERS_NAME)
    assert 3 <= len(observers) <= 4
    for o in observers:
        assert 2.0 <= o.height_m <= 6.0 and 2500.0 <= o.range_m <= 4000.0
    assert len(read_reception(sample_area / RECEPTION_NAME)) == 2
    assert read_meeting(sample_area / MEETING_NAME).name
    assert 100.0 <= sample_summary.meeting_to_trench_m <= 400.0
    text = sample_summary.describe()
    assert "seed 20221101" in text and "not real terrain" in text and len(text.splitlines()) >= 4


def test_ridge_relief_and_observers_on_the_crest(
    sample_area: Path, dem: Dem, sample_summary
) -> None:
    assert 60.0 <= sample_summary.ridge_relief_m <= 120.0
    meeting = read_meeting(sample_area / MEETING_NAME)
    low = np.percentile(dem.elevation, 5)
    for o in read_observers(sample_area / OBSERVERS_NAME):
        row, col = dem.cell_of_lonlat(o.lon, o.lat)
        assert dem.elevation[row, col] > low + 50.0
        assert o.lon > meeting.lon  # hostile side is east of the meeting point


def test_points_are_outside_barriers_and_connected_only_by_the_bridge(
    sample_area: Path, dem: Dem, hazards, grids, sample_summary
) -> None:
    meeting = read_meeting(sample_area / MEETING_NAME)
    m_cell = dem.cell_of_lonlat(meeting.lon, meeting.lat)
    r_cells = [
        dem.cell_of_lonlat(r.lon, r.lat) for r in read_reception(sample_area / RECEPTION_NAME)
    ]
    assert not grids.barrier[m_cell]
    assert not any(grids.barrier[c] for c in r_cells)
    # Reception points on the far side of the stream from the meeting point.
    assert all(c[1] < m_cell[1] - 600 for c in r_cells)

    labels, _ = ndimage.label(~grids.barrier, structure=EIGHT)
    assert all(labels[c] == labels[m_cell] for c in r_cells)

    # Stream cells are barrier except at the bridge, and without it the sides part.
    water = rasterize_hazards([h for h in hazards if h.kind == "water"], dem).barrier
    opened = np.argwhere(water & ~grids.barrier)
    assert len(opened) > 0
    b_row, b_col = dem.cell_of_lonlat(*sample_summary.bridge_lonlat)
    assert np.abs(opened - [b_row, b_col]).max() <= 3  # within 15 m of the bridge
    assert grids.on_path[tuple(opened.T)].all()
    cut, _ = ndimage.label(~(grids.barrier | water), structure=EIGHT)
    assert all(cut[c] != cut[m_cell] for c in r_cells)

    # The meeting point lies behind the minefield belt: mines block the way due west.
    row = grids.barrier[m_cell[0], : m_cell[1]]
    assert row[-100:].any()


def test_terrain_has_stream_channel_and_trenches(
    sample_area: Path, dem: Dem, sample_summary
) -> None:
    z = dem.elevation
    residual = z - ndimage.uniform_filter(z, size=7)
    b_row, b_col = dem.cell_of_lonlat(*sample_summary.bridge_lonlat)
    # The stream channel is cut ~2.5 m below its banks a little away from the bridge.
    rows = slice(b_row + 20, b_row + 60)
    band = residual[rows, b_col - 60 : b_col + 60]
    assert (band.min(axis=1) < -1.0).all()
    # Trenches: a cut of 1.5-2 m in every row in front of the meeting point.
    meeting = read_meeting(sample_area / MEETING_NAME)
    m_row, m_col = dem.cell_of_lonlat(meeting.lon, meeting.lat)
    trench_band = residual[m_row - 20 : m_row + 20, m_col + 10 : m_col + 120]
    assert (trench_band.min(axis=1) < -0.8).all()


def test_generation_makes_the_folder_and_refuses_a_file(tmp_path: Path) -> None:
    from safeconduct.errors import BadFileError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BadFileError):
        generate_sample_area(blocker / "area")
