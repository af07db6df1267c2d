"""The Jacksboro fault DEM: a real, geographic DEM that read_dem must take to UTM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from safeconduct.adapters.files.jacksboro import load_jacksboro, write_jacksboro_dem
from safeconduct.adapters.gis.geotiff import read_dem


@pytest.fixture(scope="module")
def jacksboro_tif(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jacksboro_dem(tmp_path_factory.mktemp("jacksboro") / "jacksboro.tif")


def test_written_file_is_geographic_float32_with_source_tags(jacksboro_tif: Path) -> None:
    with rasterio.open(jacksboro_tif) as src:
        assert src.crs.to_epsg() == 4326
        assert (src.height, src.width) == (344, 403)
        assert src.dtypes[0] == "float32"
        assert src.res == pytest.approx((3 / 3600, 3 / 3600))
        west, south, east, north = src.bounds
        tags = src.tags()
        z = src.read(1)
    assert (west, north) == pytest.approx((-84.41375, 36.7329166667))
    assert (east, south) == pytest.approx((-84.0779166667, 36.44625))
    assert "USGS" in tags["SOURCE"] and "matplotlib" in tags["SOURCE"]
    assert tags["UNITS"] == "metre"
    assert tags["SYNTHETIC"] == "no"
    assert 230 < z.min() < 250 and 1000 < z.max() < 1100  # metres, not feet


def test_row_zero_is_north(jacksboro_tif: Path) -> None:
    elevation, west, north, dx, dy = load_jacksboro()
    assert north == pytest.approx(36.7329166667)  # the npz's 'ymin' key
    with rasterio.open(jacksboro_tif) as src:
        # The first row of the array is the northern edge of the file.
        np.testing.assert_array_equal(src.read(1)[0], elevation[0])
        lon, lat = src.xy(0, 0)  # centre of the north-west cell
    assert (lon, lat) == pytest.approx((west + dx / 2, north - dy / 2))


def test_read_dem_reprojects_to_utm(jacksboro_tif: Path) -> None:
    dem = read_dem(jacksboro_tif)
    assert dem.crs.to_epsg() in (32616, 32617)  # UTM 16N (centre lon -84.25)
    dx, dy = dem.cell_size
    assert 80.0 <= dx <= 90.0 and dx == dy
    z = dem.elevation[np.isfinite(dem.elevation)]
    assert z.size > 0.9 * 344 * 403
    assert 230 < z.min() < 260 and 1000 < z.max() < 1100
    assert dem.tags is not None and "USGS" in dem.tags["SOURCE"]
    # A point well inside the area lands on data.
    row, col = dem.cell_of_lonlat(-84.25, 36.6)
    assert np.isfinite(dem.elevation[row, col])
