"""A plan end to end through the API: on SQLite the in-process worker of the app runs it,
on PostgreSQL a ``safeconduct worker`` process (procrastinate) does. A worker killed with
SIGKILL in the middle of a job is a fault test: tests/reliability/faults/test_kill_worker.py.

Each plan takes a few seconds on the sample area, so the service is module-scoped and each
backend plans once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from safeconduct import bootstrap
from safeconduct.adapters.files.area_uploads import FolderAreaLibrary
from safeconduct.adapters.jobs.in_process import InProcessJobQueue
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.entrypoints.web.app import create_app
from safeconduct.services import operations as ops
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from safeconduct.terrain.coords import GeoPoint
from tests.conftest import TEST_CIPHER
from tests.operations.conftest import data_folder, operation_body
from tests.store.conftest import FAST_PASSWORDS

PASSWORD = "correct horse battery staple"
USERS = {"olga": "operator", "petro": "planner", "kyrylo": "crew"}
#: Seconds a plan may take before the test gives up (it takes about 5 here).
PLAN_TIMEOUT_S = 120
SAFECONDUCT = str(Path(sys.executable).with_name("safeconduct"))


@dataclass
class Service:
    backend: str
    url: str
    client: TestClient
    ports: ops.OperationsPorts
    tokens: dict[str, str]
    data: Path
    logs: Path

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        """A ``safeconduct worker`` process on this database and data folder."""
        log = (self.logs / f"{name}.log").open("wb")
        env = {k: v for k, v in os.environ.items() if k != "SAFECONDUCT_DB"}
        return subprocess.Popen(
            # --nice 0: the tests' own processes compete with the plan, not a service.
            [SAFECONDUCT, "worker", "--db", self.url, "--data", str(self.data), "--nice", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def service(
    module_db: tuple[str, str, sa.Engine],
    tmp_path_factory: pytest.TempPathFactory,
    area_root: Path,
) -> Iterator[Service]:
    backend, url, engine = module_db
    casework = CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    for name, role in USERS.items():
        add_user(casework, name, role, PASSWORD, actor=CONSOLE)
    base = tmp_path_factory.mktemp(f"plans-{backend}")
    data = data_folder(base, area_root)
    if backend == "sqlite":
        ports = ops.OperationsPorts(
            database=casework.database,  # type: ignore[arg-type]
            pipeline=bootstrap.operation_ports(),
            jobs=InProcessJobQueue(),
            folders=FolderAreaLibrary(),
            data_dir=data,
        )
    else:
        ports = bootstrap.operations_ports(casework, data)  # procrastinate, schema applied
    app = create_app(casework)
    app.state.operations = ports
    # As a context manager the client runs the app's lifespan: the in-process worker.
    with TestClient(app, raise_server_exceptions=False) as client:
        tokens = {}
        for name in USERS:
            answer = client.post("/api/auth/token", data={"username": name, "password": PASSWORD})
            tokens[name] = answer.json()["access_token"]
        yield Service(backend, url, client, ports, tokens, data, base)


def _new_operation(service: Service, meeting: GeoPoint) -> int:
    client = service.client
    case = client.post("/api/cases", json={"language": "ru"}, headers=service.headers("olga"))
    assert case.status_code == 201, case.text
    answer = client.post(
        f"/api/cases/{case.json()['id']}/operation",
        json=operation_body(meeting),
        headers=service.headers("petro"),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["plan_status"] == "none"
    found = client.get(f"/api/cases/{case.json()['id']}/operation", headers=service.headers("olga"))
    assert found.status_code == 200 and found.json()["id"] == answer.json()["id"]
    return int(answer.json()["id"])


def _wait_for(service: Service, job_id: int, until: tuple[str, ...] = ("done", "failed")):
    deadline = time.monotonic() + PLAN_TIMEOUT_S
    while time.monotonic() < deadline:
        answer = service.client.get(f"/api/jobs/{job_id}", headers=service.headers("petro"))
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()
        if job["status"] in until:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not reach {until} in {PLAN_TIMEOUT_S} s")


def test_a_planner_plans_an_operation_end_to_end(service: Service, meeting: GeoPoint) -> None:
    worker = service.worker("worker") if service.backend == "postgresql" else None
    try:
        operation_id = _new_operation(service, meeting)
        client, url = service.client, f"/api/operations/{operation_id}"
        # An operator reads plans but cannot start one; a crew sees no one else's operation.
        assert client.post(f"{url}/plan", headers=service.headers("olga")).status_code == 403
        assert client.get(url, headers=service.headers("kyrylo")).status_code == 403
        assert client.get(url).status_code == 401
        started = time.perf_counter()
        answer = client.post(f"{url}/plan", headers=service.headers("petro"))
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job_id"]
        job = _wait_for(service, job_id)
        elapsed = time.perf_counter() - started
    finally:
        if worker is not None:
            _stop(worker)
    assert job["status"] == "done", job
    assert job["attempts"] == 1 and job["error"] is None
    print(f"\nplan through the service ({service.backend}): {elapsed:.1f} s")

    operation = client.get(url, headers=service.headers("olga")).json()
    assert operation["plan_status"] == "done"
    files = operation["artifacts"]
    for name in ("route.geojson", "note.pdf", "report.html", "mission/sortie-1.plan",
                 "mission/sortie-1.waypoints"):  # fmt: skip
        assert name in files
    kinds = [e["kind"] for e in operation["events"]]
    assert kinds[:2] == ["created", "plan_queued"] and kinds[-1] == "plan_done"
    stages = [e["text"] for e in operation["events"] if e["kind"] == "plan_stage"]
    assert "route" in stages and "report" in stages

    route = client.get(f"{url}/files/route.geojson", headers=service.headers("olga"))
    assert route.status_code == 200
    assert route.json()["type"] == "FeatureCollection"
    plan = client.get(f"{url}/files/mission/sortie-1.plan", headers=service.headers("petro"))
    assert plan.status_code == 200 and plan.json()["fileType"] == "Plan"
    for name in ("..%2F..%2Fsafeconduct.db", "%2Fetc%2Fpasswd", "nothing.txt", "mission"):
        got = client.get(f"{url}/files/{name}", headers=service.headers("petro"))
        assert got.status_code == 404, (name, got.text)
    assert client.get(f"{url}/files/note.pdf", headers=service.headers("kyrylo")).status_code == 403

    # Running a finished job again (a retry after its worker died) changes nothing.
    again = ops.run_plan_job(service.ports, job_id)
    assert (again.status, again.attempts) == ("done", 1)
    after = client.get(url, headers=service.headers("olga")).json()
    assert [e["kind"] for e in after["events"]].count("plan_done") == 1


def test_only_hidden_staging_folders_are_removed(tmp_path: Path) -> None:
    from safeconduct.adapters.jobs.folders import FolderPlans

    for name in (".rehearse-abc", ".rehearse-def", "plan", ".other"):
        (tmp_path / name).mkdir()
    (tmp_path / ".rehearse-file").write_text("a file, not a staging folder")
    folders = FolderPlans()
    assert folders.remove_hidden_folders(tmp_path, "plan") == 0  # never a visible folder
    assert folders.remove_hidden_folders(tmp_path, ".rehearse-") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other", ".rehearse-file", "plan"]
