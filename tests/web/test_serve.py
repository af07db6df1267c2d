"""``safeconduct serve`` really starts: a process on a free port answers /api/health; and
revision 0003 keeps the cases opened before it (as the console's)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import sqlalchemy as sa

from safeconduct.adapters.store.migrate import (
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from tests.served import free_port
from tests.store.conftest import Store

_SERVE = "import sys; from safeconduct.entrypoints.cli.app import main; main(sys.argv[1:])"


def test_serve_starts_migrates_and_answers(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    checkpoint_options = ["--checkpoints", str(tmp_path / "kept"), "--checkpoint-minutes",
                          "0.1", "--checkpoint-key", str(tmp_path / "signing.key")]  # fmt: skip
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SERVE,
            "serve",
            "--data",
            str(data),
            "--port",
            str(port),
            *checkpoint_options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None, f"no answer; the server said:\n{process.communicate()[0]}"
        assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
        unsigned = httpx.get(f"http://127.0.0.1:{port}/api/cases", timeout=5)
        assert unsigned.status_code == 401
        # The scheduled audit checkpoint (every 6 s here) lands in the folder kept elsewhere.
        while time.monotonic() < deadline and not list((tmp_path / "kept").glob("*.json")):
            time.sleep(0.2)
        assert list((tmp_path / "kept").glob("checkpoint-*.json"))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0]
    assert process.returncode == 0, output
    assert (data / "safeconduct.db").is_file()
    engine = sa.create_engine(f"sqlite:///{data / 'safeconduct.db'}")
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_serve_refuses_a_bad_database_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _SERVE, "serve", "--db", "mysql://x@y/z", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("safeconduct: error: --db: ")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_revision_0003_gives_earlier_cases_to_the_console(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0002")
    opened = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    at = opened.replace(tzinfo=None) if store.backend == "sqlite" else opened
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO cases (id, case_code, language, channel, status, created_at) "
                "VALUES (1, '7KDMTW3A', 'ru', 'hotline', 'scheduled', :at)"
            ),
            {"at": at},
        )
        connection.execute(
            sa.text(
                "INSERT INTO case_events (case_id, at, actor, transition, from_status, "
                "to_status) VALUES (1, :at, 'anna', 'schedule', 'contacted', 'scheduled')"
            ),
            {"at": at},
        )
    upgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT opened_by FROM cases")).scalar_one() == (
            "console"
        )
        assert connection.execute(sa.text("SELECT count(*) FROM case_events")).scalar_one() == 1
        assert connection.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar_one() == 0
    downgrade(engine, "0002")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM case_events")).scalar_one() == 1
        assert "api_tokens" not in sa.inspect(engine).get_table_names()
