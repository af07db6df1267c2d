"""Fault: the PostgreSQL server crashes (``pg_ctl stop -m immediate``) under a running
``safeconduct serve`` with writes in flight, stays down a few seconds, and starts again.

The server is a private cluster of the test session (``conftest.private_cluster``): the
shared server of the suite is never restarted.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from safeconduct.adapters.jobs.procrastinate_queue import ProcrastinateJobQueue
from safeconduct.adapters.store.engine import parse_database_url
from tests.reliability.faults.processes import PrivateCluster, Served, Worker
from tests.reliability.faults.writes import (
    Writers,
    add_users,
    check_acknowledged,
    check_records,
    sign_in,
)
from tests.served import free_port

#: Seconds the database stays down.
OUTAGE_S = 3.0
#: Seconds any one answer may take, outage or not (a connection attempt to a server that
#: is down is refused at once; one starting up answers "starting up" at once).
ANSWER_BOUND_S = 12.0
#: The plan job id of the job queued to see the worker work again (none such exists).
NO_SUCH_PLAN_JOB = 987_654
#: Writes acknowledged before the crash, and after the database is back.
BEFORE, AFTER = 9, 6


def test_postgres_crash_answers_503_then_recovers_by_itself(
    private_cluster: PrivateCluster, private_database: str, tmp_path: Path
) -> None:
    """KILLS the PostgreSQL server (immediate stop: every backend killed, no checkpoint)
    while two clients write through ``serve`` and a plan worker runs; keeps it down for a
    few seconds, starts it (crash recovery). Neither the service nor the worker is
    restarted. CHECKS: every request during the outage answers 503 with Retry-After, none
    500, none unanswered, none slower than the bound; the service takes writes again by
    itself once the database is back, and the worker, still alive, takes a job; every
    acknowledged write reads back intact, every record has its audit entry and the
    reverse, and the audit chain verifies."""
    add_users(private_database, migrate=True)
    worker = Worker(private_database, tmp_path / "data", tmp_path / "worker.log")
    served = Served(["--db", private_database], tmp_path / "logs").start()
    writers = Writers(served.url, sign_in(served.url), threads=2).start()
    try:
        writers.wait_for(BEFORE)
        crashed = time.monotonic()
        private_cluster.crash()
        time.sleep(OUTAGE_S)
        restarting = time.monotonic()
        private_cluster.start()
        back = time.monotonic()
        before_back = len(writers.acked())
        writers.wait_for(before_back + AFTER, timeout_s=60)
        recovered_s = time.monotonic() - back
        writers.stop()
        outage = writers.statuses(crashed + 0.5, restarting)  # sent while surely down
        everything = writers.statuses()
        slowest = max(a.seconds for a in writers.sent())
        assert set(everything) <= {201, 503}, (
            f"answers other than 201 and 503 (None: no answer): {everything}; "
            f"e.g. {[a.detail for a in writers.sent() if a.status not in (201, 503)][:3]}; "
            f"the service said:\n{served.log.read_text()[-3000:]}"
        )
        assert outage.get(503, 0) > 0 and set(outage) == {503}, (
            f"while the database was down: {outage}"
        )
        refused = [a for a in writers.sent() if a.status == 503]
        assert all(a.retry_after for a in refused), (
            f"503 without Retry-After: {[a.detail for a in refused if not a.retry_after][:3]}"
        )
        assert slowest < ANSWER_BOUND_S, f"an answer took {slowest:.1f} s"
        assert worker.process.poll() is None, (
            f"the plan worker died with the database:\n{worker.log.read_text()[-3000:]}"
        )
        assert _worker_takes_a_job(private_database), (
            f"the plan worker took no job after the crash:\n{worker.log.read_text()[-3000:]}"
        )
        check_acknowledged(served.url, writers.tokens, writers.acked())
        counts = check_records(private_database, served.url, writers.tokens, writers.acked())
    finally:
        writers.stop()
        served.stop()
        worker.stop()
    print(
        f"\nPostgreSQL crashed for {OUTAGE_S:.0f} s under serve: {outage.get(503, 0)} requests "
        f"answered 503 + Retry-After, writes again {recovered_s:.1f} s after it was back, "
        f"slowest answer {slowest:.1f} s, {len(writers.acked())} acknowledged writes all "
        f"there, {counts}"
    )


def _worker_takes_a_job(url: str, timeout_s: float = 30.0) -> bool:
    """Queue a plan job for a plan job id that does not exist and see a worker try it
    (an attempt counted): the cheapest job there is."""
    queue = ProcrastinateJobQueue(parse_database_url(url))
    try:
        queue.enqueue(NO_SUCH_PLAN_JOB)
    finally:
        queue.close()
    engine = sa.create_engine(parse_database_url(url), poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                tried = connection.execute(
                    sa.text(
                        "SELECT max(attempts) FROM procrastinate_jobs WHERE args->>'job_id' = :job"
                    ),
                    {"job": str(NO_SUCH_PLAN_JOB)},
                ).scalar()
            if tried:
                return True
            time.sleep(0.5)
    finally:
        engine.dispose()
    return False


def test_a_database_that_does_not_answer_is_503_with_retry_after() -> None:
    """The refusal the crash test found without ``Retry-After``: clients were not told
    when to try again."""
    from safeconduct.entrypoints.web.errors import status_for
    from safeconduct.errors import BadFileError

    status, headers = status_for(BadFileError("cannot use the database", field="db"))
    assert status == 503 and headers is not None and int(headers["Retry-After"]) >= 1


def test_a_database_that_does_not_answer_is_not_described_to_the_client(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The 503 says the database does not answer, without its host, port or name (those
    are for the service's log, which gets them)."""
    from fastapi.testclient import TestClient

    from safeconduct.adapters.store.engine import create_store_engine
    from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
    from safeconduct.entrypoints.web.app import create_app
    from safeconduct.services.casework import CaseworkPorts
    from tests.store.conftest import FAST_PASSWORDS

    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere?connect_timeout=2"
    database = SqlCaseworkDatabase(create_store_engine(url))
    ports = CaseworkPorts(database=database, passwords=FAST_PASSWORDS)
    # No lifespan (no `with`): its job queue would be refused first, for the same reason.
    client = TestClient(create_app(ports), raise_server_exceptions=False)
    answer = client.get("/api/cases", headers={"Authorization": "Bearer any-token"})
    assert answer.status_code == 503 and "Retry-After" in answer.headers, answer.text
    assert "does not answer" in answer.json()["detail"]
    assert "127.0.0.1" not in answer.text and "nowhere" not in answer.text, answer.text
    assert "nowhere" in caplog.text  # the log keeps what the operator needs
