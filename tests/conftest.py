"""Shared fixtures.

``sample_area`` is the synthetic sample area (DEM and layers), generated once per test
session; tests must treat its files as read-only (copy them before changing anything).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

from safeconduct.adapters.crypto.envelope import AesGcmFieldCipher
from safeconduct.adapters.crypto.keyfile import new_master_key, read_key_file, write_key_file
from safeconduct.adapters.files.sample_area import (
    DEFAULT_SEED,
    SampleAreaSummary,
    generate_sample_area,
)

# One key file for the session (revision 0009 seals prisoners' records): the commands find
# it in $SAFECONDUCT_KEY_FILE, the fixtures that build a database give TEST_CIPHER.
_KEYS = Path(tempfile.mkdtemp(prefix="safeconduct-test-keys-"))
atexit.register(shutil.rmtree, _KEYS, ignore_errors=True)
TEST_KEY_FILE = _KEYS / "test.key"
write_key_file(TEST_KEY_FILE, new_master_key())
TEST_CIPHER = AesGcmFieldCipher(read_key_file(TEST_KEY_FILE))


@pytest.fixture(autouse=True)
def _test_key_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command run in a test opens the store with the session's key file."""
    monkeypatch.setenv("SAFECONDUCT_KEY_FILE", str(TEST_KEY_FILE))


@pytest.fixture(scope="session")
def sample_summary(tmp_path_factory: pytest.TempPathFactory) -> SampleAreaSummary:
    """The summary of the sample area (default seed), generated once per session."""
    return generate_sample_area(tmp_path_factory.mktemp("sample_area"), seed=DEFAULT_SEED)


@pytest.fixture(scope="session")
def sample_area(sample_summary: SampleAreaSummary) -> Path:
    """Folder holding dem.tif, hazards.geojson, observers.geojson, reception.geojson and
    meeting.geojson of the sample area (default seed). Read-only: copy before editing."""
    return sample_summary.folder


# ---- oracle tests: one summary line saying whether the GRASS GIS / GDAL tests ran -------

#: Words in the skip condition's reason of a test that compares against GRASS GIS or GDAL's
#: tools (``skipif(shutil.which("grass") is None, ...)``, ``route_grass.grass_available()``,
#: ``gdalinfo`` missing) or in a skip at run time (a failed ``r.viewshed`` run).
_ORACLE_WORDS = ("grass", "gdal", "r.walk", "r.viewshed")

#: Node ids of the collected oracle tests (those with such a ``skipif``).
_oracle_tests: set[str] = set()


def _names_an_oracle(text: object) -> bool:
    return any(word in str(text).lower() for word in _ORACLE_WORDS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Note which collected tests compare against GRASS GIS or GDAL."""
    for item in items:
        if any(_names_an_oracle(m.kwargs.get("reason", "")) for m in item.iter_markers("skipif")):
            _oracle_tests.add(item.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: how many GRASS / GDAL oracle tests ran, and how many skipped (and why)."""
    stats = terminalreporter.stats
    ran = [
        r
        for key in ("passed", "failed")
        for r in stats.get(key, [])
        if r.when == "call" and r.nodeid in _oracle_tests
    ]
    skipped = [r for r in stats.get("skipped", []) if _names_an_oracle(_skip_reason(r))]
    if not ran and not skipped:
        return
    line = f"oracle tests: {len(ran)} GRASS GIS / GDAL comparison(s) ran"
    if skipped:
        line += (
            f", {len(skipped)} skipped (reasons: pytest -rs; `make test` as root installs "
            "grass-core and gdal-bin)"
        )
    terminalreporter.write_line(line, yellow=bool(skipped), green=not skipped, bold=True)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, line, "Skipped: why")
        return str(longrepr[2])
    return str(longrepr or "")
