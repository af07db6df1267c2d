"""The scheduled audit checkpoint: written when the trail grew, skipped when it did not,
and what it writes lets `audit verify` catch a trail rolled back behind it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from safeconduct import bootstrap
from safeconduct.adapters.jobs.periodic import PeriodicTask
from safeconduct.adapters.store.audit import Ed25519Checkpoints
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.services.audit import AuditPorts, verify, write_periodic_checkpoint
from safeconduct.services.casework import CONSOLE, CaseworkPorts, open_case
from tests.conftest import TEST_CIPHER
from tests.store.conftest import FAST_PASSWORDS


@pytest.fixture
def audit_ports(engine: Engine) -> AuditPorts:
    return AuditPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), checkpoints=Ed25519Checkpoints()
    )


def test_a_checkpoint_is_written_only_when_the_trail_grew(
    engine: Engine, audit_ports: AuditPorts, tmp_path: Path
) -> None:
    casework = CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    key, folder = tmp_path / "signing.key", tmp_path / "checkpoints"
    folder.mkdir()
    open_case(casework, language="ru", actor=CONSOLE)
    first = write_periodic_checkpoint(audit_ports, folder, key)
    assert first is not None and first.is_file()
    assert write_periodic_checkpoint(audit_ports, folder, key) is None  # nothing new
    open_case(casework, language="uk", actor=CONSOLE)
    second = write_periodic_checkpoint(audit_ports, folder, key)
    assert second is not None and second != first
    result = verify(audit_ports, folder)
    assert result.ok, result.message


def test_the_job_runs_until_stopped(
    engine: Engine, audit_ports: AuditPorts, tmp_path: Path
) -> None:
    casework = CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    open_case(casework, language="ru", actor=CONSOLE)
    folder = tmp_path / "kept-elsewhere"
    stop = bootstrap.start_audit_checkpoints(
        audit_ports, folder, tmp_path / "signing.key", every_s=0.05
    )
    try:
        deadline = time.monotonic() + 10
        while not list(folder.glob("checkpoint-*.json")) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop()
    assert len(list(folder.glob("checkpoint-*.json"))) == 1


def test_a_failing_run_is_logged_and_the_task_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def task() -> None:
        calls.append(1)
        raise OSError("disk full")

    stop = PeriodicTask(task, 0.01, name="test-task").start()
    try:
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop()
    assert len(calls) >= 3 and "disk full" in caplog.text
