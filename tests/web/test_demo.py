"""``safeconduct serve --demo``: a throw-away service with one user per role and a case
planned end to end on the sample area; ``--demo`` with ``--data``/``--db`` is refused."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from safeconduct import bootstrap
from safeconduct.casework.roles import Role
from safeconduct.services.demo import fill_demo
from tests.conftest import TEST_KEY_FILE
from tests.served import free_port

_SERVE = "import sys; from safeconduct.entrypoints.cli.app import main; main(sys.argv[1:])"


def test_fill_demo_makes_users_and_a_planned_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from safeconduct.entrypoints.web.app import create_app

    monkeypatch.delenv("SAFECONDUCT_DB", raising=False)
    ports = bootstrap.casework_ports(data=tmp_path)
    bootstrap.unlock_store(ports, TEST_KEY_FILE)  # case codes are sealed
    try:
        operations = bootstrap.operations_ports(ports, tmp_path)
        lines: list[str] = []
        demo = fill_demo(ports, operations, progress=lines.append)
        assert {u.name for u in demo.users} == {r.value for r in Role}
        assert demo.job.status == "done", demo.job.error
        assert demo.case.status == "planned"
        assert any(line.startswith("  plan: ") for line in lines), lines
        assert "route.geojson" in demo.operation.artifacts
        assert "mission/mission.geojson" in demo.operation.artifacts

        app = create_app(ports)
        app.state.operations = operations
        with TestClient(app) as client:
            users = {u.name: u.password for u in demo.users}
            for name, password in users.items():
                answer = client.post(
                    "/api/auth/token", data={"username": name, "password": password}
                )
                assert answer.status_code == 200, (name, answer.text)
            token = client.post(
                "/api/auth/token", data={"username": "planner", "password": users["planner"]}
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            op = client.get(f"/api/cases/{demo.case.id}/operation", headers=auth).json()
            assert op["plan_status"] == "done"
            assert set(op["artifacts"]) == set(demo.operation.artifacts)
            route = client.get(f"/api/operations/{op['id']}/files/route.geojson", headers=auth)
            assert route.status_code == 200 and route.json()["type"] == "FeatureCollection"
    finally:
        ports.database.close()


@pytest.mark.parametrize("other", [["--data", "somewhere"], ["--db", "sqlite:///x.db"]])
def test_demo_refuses_a_data_folder_or_database(tmp_path: Path, other: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _SERVE, "serve", "--demo", *other, "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("safeconduct: error: --demo: "), proc.stderr
    assert "not both" in proc.stderr
    assert not any(tmp_path.iterdir())


def test_serve_demo_prints_users_serves_the_case_and_cleans_up() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, "serve", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "/board/cases/" in line:
                break
        text = "".join(lines)
        folder = re.search(r"data folder (\S+)", text)
        assert folder, text
        users = dict(re.findall(r"^ {4}(\w+) +(\S+)$", text, flags=re.M))
        assert set(users) == {r.value for r in Role}, text
        assert "is planned" in text, text
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/api/auth/token",
                    data={"username": "auditor", "password": users["auditor"]},
                    timeout=5,
                )
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert not Path(folder.group(1)).exists()
