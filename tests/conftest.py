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
