"""The viewshed and exposure commands, from files to files, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

from safeconduct.adapters.formats.layers import read_observers
from safeconduct.entrypoints.cli.app import main


def _observer_point(sample_area: Path) -> str:
    ob = read_observers(sample_area / "observers.geojson")[0]
    return f"{ob.lat},{ob.lon}"


def test_viewshed_command_writes_uint8_on_the_dem_grid(
    sample_area: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "vis.tif"
    with pytest.raises(SystemExit) as info:
        main([
            "viewshed", "--dem", str(sample_area / "dem.tif"),
            "--observer", _observer_point(sample_area), "--observer-height", "4",
            "--max-distance", "3000", "--out", str(out),
        ])  # fmt: skip
    assert info.value.code == 0
    assert "cells visible" in capsys.readouterr().out
    with rasterio.open(out) as vis, rasterio.open(sample_area / "dem.tif") as dem:
        assert vis.dtypes[0] == "uint8"
        assert vis.nodata == 255
        assert vis.crs == dem.crs and vis.transform == dem.transform
        values = set(np.unique(vis.read(1)).tolist())
    assert values == {0, 1, 255}


def test_exposure_command_counts_observers(
    sample_area: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exposure.tif"
    with pytest.raises(SystemExit) as info:
        main([
            "exposure", "--dem", str(sample_area / "dem.tif"),
            "--observers", str(sample_area / "observers.geojson"), "--out", str(out),
        ])  # fmt: skip
    assert info.value.code == 0
    assert "4 observers" in capsys.readouterr().out
    with rasterio.open(out) as src:
        grid = src.read(1)
    weights = sum(o.weight for o in read_observers(sample_area / "observers.geojson"))
    assert 0 < grid.max() <= weights


def test_observer_outside_the_dem_is_one_line_and_writes_nothing(
    sample_area: Path, tmp_path: Path
) -> None:
    out = tmp_path / "vis.tif"
    code = "from safeconduct.entrypoints.cli.app import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "viewshed", "--dem", str(sample_area / "dem.tif"),
         "--observer", "50.0,30.0", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "outside the DEM" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_missing_dem_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([
            "viewshed", "--dem", str(tmp_path / "nope.tif"), "--observer", "48.6,38.0",
            "--out", str(tmp_path / "vis.tif"),
        ])  # fmt: skip
    assert info.value.code == 1
    assert "does not exist" in capsys.readouterr().err
