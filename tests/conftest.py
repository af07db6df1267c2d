"""Shared fixtures.

``sample_area`` is the synthetic sample area (DEM and layers), generated once per test
session; tests must treat its files as read-only (copy them before changing anything).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
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

# The Ctrl-C tests send SIGINT to child processes, which take its disposition from us. A
# suite started in the background of a non-interactive shell (``make test &`` in a script)
# ignores SIGINT, its children would too, and a command waiting at a password prompt would
# then never end. Python's own handler here gives every child the default again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# One key file for the session (revision 0009 seals prisoners' records): the commands find
# it in $SAFECONDUCT_KEY_FILE, the fixtures that build a database give TEST_CIPHER.
_KEYS = Path(tempfile.mkdtemp(prefix="safeconduct-test-keys-"))
atexit.register(shutil.rmtree, _KEYS, ignore_errors=True)
TEST_KEY_FILE = _KEYS / "test.key"
write_key_file(TEST_KEY_FILE, new_master_key())
TEST_CIPHER = AesGcmFieldCipher(read_key_file(TEST_KEY_FILE))


def pid_that_has_ended() -> int:
    """The process id of a child process that has already ended (for "left by a dead
    process" cases)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


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


# ---- pytest-xdist: which tests share a worker -----------------------------------------------

#: Test folders whose tests run one after another on one xdist worker (``make test`` runs
#: ``pytest -n``): the leading scenarios fly simulated copters against the wall clock at 8x
#: (the SIGKILL scenario's failsafe must come within half a simulated second), so no two may
#: compete for the CPU; the browser tests share one Chromium instead of starting one a worker.
XDIST_GROUPS = {"tests/leading/": "leading", "tests/browser/": "browser"}


def xdist_group_of(nodeid: str) -> str:
    """The unit of work ``nodeid`` belongs to: its folder's group, else the test alone."""
    for folder, group in XDIST_GROUPS.items():
        if nodeid.startswith(folder):
            return group
    return nodeid


class _GroupedScheduler:
    """Hands xdist a scheduler that keeps :data:`XDIST_GROUPS` together.

    xdist's own ``--dist loadgroup`` reads ``xdist_group`` marks through the node id, which
    pytest 9.2 no longer lets it change (pytest-xdist issue 1386): the groups were silently
    ignored. This does the same from the node id's folder, on the controller.
    """

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
        if config.getoption("dist") not in ("load", "loadgroup"):
            return None  # another mode asked for by name: xdist's own
        from xdist.scheduler import LoadScopeScheduling

        class Grouped(LoadScopeScheduling):  # a scope is one test, or one whole group
            def _split_scope(self, nodeid: str) -> str:
                return xdist_group_of(nodeid)

        return Grouped(config, log)


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_GroupedScheduler(), "safeconduct-xdist-groups")


# ---- summary lines, computed from the test reports ---------------------------------------
#
# Under pytest-xdist the workers collect and run the tests and the controller prints the
# summary: it sees only the reports they send (and loads no conftest below this one). So
# every line here is computed from the reports, which carry what collection and the fixtures
# noted in the test's ``user_properties`` (names below); it reads the same run serially.

#: ``user_properties`` name of an oracle test (one that compares against GRASS GIS or GDAL).
ORACLE = "safeconduct-oracle"
#: ``user_properties`` name set by the ``store`` fixture when a test ran on PostgreSQL: the
#: server's URL, password hidden.
POSTGRES_RAN = "safeconduct-postgresql"
#: ``user_properties`` name set by the ``store`` fixture when the PostgreSQL half could not
#: run: why.
POSTGRES_ERROR = "safeconduct-postgresql-error"

#: Words in the skip condition's reason of a test that compares against GRASS GIS or GDAL's
#: tools (``skipif(shutil.which("grass") is None, ...)``, ``route_grass.grass_available()``,
#: ``gdalinfo`` missing) or in a skip at run time (a failed ``r.viewshed`` run).
_ORACLE_WORDS = ("grass", "gdal", "r.walk", "r.viewshed")


def _names_an_oracle(text: object) -> bool:
    return any(word in str(text).lower() for word in _ORACLE_WORDS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the collected tests that compare against GRASS GIS or GDAL (those with such a
    ``skipif``)."""
    for item in items:
        if any(_names_an_oracle(m.kwargs.get("reason", "")) for m in item.iter_markers("skipif")):
            item.user_properties.append((ORACLE, True))


def _reports(terminalreporter: pytest.TerminalReporter) -> list[pytest.TestReport]:
    """Every test report of the run (setup, call and teardown), whatever its outcome."""
    return [
        r
        for reports in terminalreporter.stats.values()
        for r in reports
        if isinstance(r, pytest.TestReport)
    ]


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """One line each: how many oracle tests ran, how many store tests ran on PostgreSQL, and
    whether the browser tests ran in Chromium (and if not, why)."""
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller prints the summary
    reports = _reports(terminalreporter)
    _oracle_line(terminalreporter, reports)
    _postgres_line(terminalreporter, reports)
    _browser_line(terminalreporter, reports)
    _reliability_line(terminalreporter, reports)


def _oracle_line(
    terminalreporter: pytest.TerminalReporter, reports: list[pytest.TestReport]
) -> None:
    """How many GRASS / GDAL oracle tests ran, and how many skipped (and why)."""
    ran = [
        r
        for r in reports
        if r.when == "call"
        and r.outcome in ("passed", "failed")
        and ORACLE in dict(r.user_properties)
    ]
    skipped = [r for r in reports if r.skipped and _names_an_oracle(_skip_reason(r))]
    if not ran and not skipped:
        return
    line = f"oracle tests: {len(ran)} GRASS GIS / GDAL comparison(s) ran"
    if skipped:
        line += (
            f", {len(skipped)} skipped (reasons: pytest -rs; `make test` as root installs "
            "grass-core and gdal-bin)"
        )
    terminalreporter.write_line(line, yellow=bool(skipped), green=not skipped, bold=True)


def _postgres_line(
    terminalreporter: pytest.TerminalReporter, reports: list[pytest.TestReport]
) -> None:
    """Whether the PostgreSQL half of the store tests ran, and if not, why."""
    ran: dict[str, str] = {}  # node id -> server
    errors: list[str] = []
    for r in reports:
        noted = dict(r.user_properties)
        if POSTGRES_RAN in noted:
            ran[r.nodeid] = str(noted[POSTGRES_RAN])
        if POSTGRES_ERROR in noted:
            errors.append(str(noted[POSTGRES_ERROR]))
    if errors:
        what = "FAILED (CI)" if os.environ.get("CI") else "skipped"
        terminalreporter.write_line(
            f"store tests: the PostgreSQL half {what}: {errors[0]}", yellow=True, bold=True
        )
    elif ran:
        where = next(iter(ran.values()))
        terminalreporter.write_line(
            f"store tests: {len(ran)} ran on PostgreSQL ({where}) as well as SQLite",
            green=True,
            bold=True,
        )


def _browser_line(
    terminalreporter: pytest.TerminalReporter, reports: list[pytest.TestReport]
) -> None:
    """Whether the browser tests ran in Chromium, and if not, why."""
    if not any(r.nodeid.startswith("tests/browser/") for r in reports):
        return
    from tests.browser.conftest import chromium_path, why_not

    reason = why_not()
    if reason is None:
        terminalreporter.write_line(
            f"browser tests: ran in {chromium_path()}", green=True, bold=True
        )
    else:
        what = "FAILED (CI)" if os.environ.get("CI") else "skipped"
        terminalreporter.write_line(f"browser tests: {what}: {reason}", yellow=True, bold=True)


#: The reliability suite (API fuzzing, faults, hostile input): issue 17 wants it under five
#: minutes of ``make test``; the line says how long its tests took, summed over workers.
RELIABILITY = "tests/reliability/"
RELIABILITY_BUDGET_S = 300.0


def _reliability_line(
    terminalreporter: pytest.TerminalReporter, reports: list[pytest.TestReport]
) -> None:
    """How many reliability tests ran and their summed time (setup, call and teardown)."""
    mine = [r for r in reports if r.nodeid.startswith(RELIABILITY)]
    if not mine:
        return
    ran = {r.nodeid for r in mine if r.when == "call"}
    spent = sum(r.duration for r in mine)
    over = spent > RELIABILITY_BUDGET_S
    terminalreporter.write_line(
        f"reliability suite (fuzzing, faults, hostile input): {len(ran)} tests, "
        f"{spent:.0f} s of test time (budget {RELIABILITY_BUDGET_S:.0f} s)",
        yellow=over,
        green=not over,
        bold=True,
    )


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, line, "Skipped: why")
        return str(longrepr[2])
    return str(longrepr or "")
