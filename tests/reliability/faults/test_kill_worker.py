"""Fault: a ``safeconduct worker`` killed with SIGKILL in the middle of RE-planning an
operation whose plan is already done (PostgreSQL; SQLite runs its worker in-process).

Another worker finishes the job once (attempt 2, one more ``plan_done``); the plan already
there stays whole and readable while the killed attempt lies around, the retry replaces it
whole, no hidden or temporary file is left anywhere in the operation's folder, every file
of the plan parses, and the audit chain verifies.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from safeconduct import bootstrap
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.entrypoints.web.app import create_app
from safeconduct.services import audit
from safeconduct.services import operations as ops
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from safeconduct.terrain.coords import GeoPoint
from tests.conftest import TEST_CIPHER
from tests.operations import conftest as operations_conftest
from tests.operations.conftest import data_folder
from tests.operations.test_plan_jobs import (
    PASSWORD,
    PLAN_TIMEOUT_S,
    USERS,
    Service,
    _new_operation,
    _wait_for,
)
from tests.reliability.faults.processes import Worker
from tests.store.conftest import FAST_PASSWORDS, Store

area_root = operations_conftest.area_root
meeting = operations_conftest.meeting

#: Stages during which the worker is surely computing (after the plan job started).
MID_PLAN = ("route", "mission sorties", "rehearsal")


def _snapshot(folder: Path) -> dict[str, str]:
    """Each file of a plan folder (relative name) and its SHA-256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _check_parses(folder: Path) -> None:
    """Every file of a plan reads as what its name says: nothing cut short."""
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        assert data, f"{path.name} is empty"
        if path.suffix in (".geojson", ".json", ".plan"):
            json.loads(data)
        elif path.suffix == ".pdf":
            assert data.startswith(b"%PDF") and b"%%EOF" in data[-1024:], f"{path} cut short"
        elif path.suffix == ".html":
            assert b"</html>" in data[-4096:].lower(), f"{path} cut short"
        elif path.suffix == ".waypoints":
            assert data.startswith(b"QGC WPL 110"), path


def test_worker_killed_mid_replan_leaves_the_plan_whole(
    store: Store, engine: sa.Engine, tmp_path: Path, area_root: Path, meeting: GeoPoint
) -> None:
    """KILLS the worker (SIGKILL) in the middle of planning an operation again, its first
    plan done. CHECKS, while no worker runs: the first plan's files are all there,
    byte for byte, and served. Then another worker retries the job; CHECKS: it finishes
    (attempt 2), the plan folder holds a whole plan (every file parses), no staging
    folder, hidden or temporary file is left in the operation's folder, and the audit
    chain verifies."""
    if store.backend != "postgresql":
        pytest.skip("worker processes: PostgreSQL only (SQLite runs one in-process)")
    casework = CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    for name, role in USERS.items():
        add_user(casework, name, role, PASSWORD, actor=CONSOLE)
    data = data_folder(tmp_path, area_root)
    ports = bootstrap.operations_ports(casework, data)  # procrastinate, schema applied
    app = create_app(casework)
    app.state.operations = ports
    workers: list[Worker] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        tokens = {}
        for name in USERS:
            answer = client.post("/api/auth/token", data={"username": name, "password": PASSWORD})
            tokens[name] = answer.json()["access_token"]
        service = Service("postgresql", store.url, client, ports, tokens, data, tmp_path)
        try:
            # The first plan runs here, in-process, before any worker runs (a worker
            # started meanwhile would take the same queued job and run it at once too);
            # the worker then finds that job done and leaves it.
            operation_id = _new_operation(service, meeting)
            url = f"/api/operations/{operation_id}"
            first_job = client.post(f"{url}/plan", headers=service.headers("petro")).json()
            first = ops.run_plan_job(ports, first_job["job_id"])
            assert first.status == "done", first
            workers.append(Worker(store.url, data, tmp_path / "first.log"))
            plan = ports.plan_dir(operation_id)
            before = _snapshot(plan)
            assert "route.geojson" in before

            answer = client.post(f"{url}/plan", headers=service.headers("petro"))
            assert answer.status_code == 202, answer.text
            job_id = answer.json()["job_id"]
            deadline = time.monotonic() + PLAN_TIMEOUT_S
            while (job := _wait_for(service, job_id, ("running", "done", "failed")))[
                "stage"
            ] not in MID_PLAN:
                assert job["status"] == "running" and time.monotonic() < deadline, job
                time.sleep(0.05)
            workers[0].kill9()

            # No worker runs: the plan already made is whole and served.
            assert _snapshot(plan) == before, "the first plan changed under a killed re-plan"
            route = client.get(f"{url}/files/route.geojson", headers=service.headers("olga"))
            assert route.status_code == 200 and route.json()["type"] == "FeatureCollection"

            workers.append(Worker(store.url, data, tmp_path / "second.log"))
            job = _wait_for(service, job_id)
            operation = client.get(url, headers=service.headers("petro")).json()
        finally:
            for worker in workers:
                worker.stop()
    assert (job["status"], job["attempts"]) == ("done", 2), job
    # One plan_done for the first plan, one for the re-plan: none for the killed attempt.
    kinds = [e["kind"] for e in operation["events"]]
    assert kinds.count("plan_done") == 2 and kinds[-1] == "plan_done", kinds
    assert "route.geojson" in operation["artifacts"]
    _check_parses(plan)
    leftovers = [p for p in plan.parent.rglob("*") if p.name.startswith(".")]
    assert not leftovers, f"left in the operation's folder by the killed attempt: {leftovers}"
    assert [p.name for p in plan.parent.iterdir()] == ["plan"]
    result = audit.verify(audit.AuditPorts(database=casework.database))  # type: ignore[arg-type]
    assert result.ok, f"the audit chain does not verify: {result.message}"
    print(f"\nworker killed mid re-plan: first plan intact ({len(before)} files), retried "
          f"once, {result.entries} audit entries verify")  # fmt: skip
