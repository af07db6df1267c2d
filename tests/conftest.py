"""Shared fixtures.

``sample_area`` is the synthetic sample area (DEM and layers), generated once per test
session; tests must treat its files as read-only (copy them before changing anything).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safeconduct.adapters.files.sample_area import (
    DEFAULT_SEED,
    SampleAreaSummary,
    generate_sample_area,
)


@pytest.fixture(scope="session")
def sample_summary(tmp_path_factory: pytest.TempPathFactory) -> SampleAreaSummary:
    """The summary of the sample area (default seed), generated once per session."""
    return generate_sample_area(tmp_path_factory.mktemp("sample_area"), seed=DEFAULT_SEED)


@pytest.fixture(scope="session")
def sample_area(sample_summary: SampleAreaSummary) -> Path:
    """Folder holding dem.tif, hazards.geojson, observers.geojson, reception.geojson and
    meeting.geojson of the sample area (default seed). Read-only: copy before editing."""
    return sample_summary.folder


# ---- oracle tests: say in one line when GRASS GIS / GDAL tests skipped -------------------

#: Words in the skip reason of a test that compares against GRASS GIS or GDAL's tools
#: (``skipif(shutil.which("grass") is None, ...)``, ``route_grass.grass_available()``, a
#: failed ``r.viewshed`` run, ``gdalinfo`` missing).
_ORACLE_WORDS = ("grass", "gdal", "r.walk", "r.viewshed")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line naming how many GRASS / GDAL oracle tests skipped, if any did."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if any(word in _skip_reason(report).lower() for word in _ORACLE_WORDS)
    ]
    if skipped:
        terminalreporter.write_line(
            f"oracle tests: {len(skipped)} GRASS GIS / GDAL comparison(s) skipped (reasons: "
            "pytest -rs); `make test` as root installs grass-core and gdal-bin",
            yellow=True,
            bold=True,
        )


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, line, "Skipped: why")
        return str(longrepr[2])
    return str(longrepr or "")
