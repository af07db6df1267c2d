"""Fault: ``safeconduct serve`` killed with SIGKILL in the middle of writes (SQLite and
PostgreSQL), then started again with the same one command."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.reliability.faults.processes import Served
from tests.reliability.faults.writes import (
    Writers,
    add_users,
    check_acknowledged,
    check_records,
    sign_in,
)
from tests.store.conftest import Store

#: Writes acknowledged before the kill, and after the restart.
BEFORE, AFTER = 9, 3


def test_serve_killed_mid_writes_loses_no_acknowledged_write(
    store: Store, engine: sa.Engine, tmp_path: Path
) -> None:
    """KILLS the ``serve`` process (SIGKILL) while two clients write cases, messages and
    prisoners' registrations; starts it again with the same command. CHECKS: every write
    it acknowledged reads back intact; every case, message and prisoner in the database
    has its audit entry and the reverse, and opens; the audit chain verifies; SQLite's
    integrity check passes; the restarted service takes writes again."""
    add_users(store.url)
    served = Served(store.cli_args, tmp_path / "logs").start()
    writers = Writers(served.url, sign_in(served.url), threads=2).start()
    try:
        writers.wait_for(BEFORE)
        served.kill9()  # the writers' requests in flight lose their answer
        killed_at = len(writers.acked())
        served.start()  # the very same command
        writers.wait_for(killed_at + AFTER)
        writers.stop()
        unanswered = writers.statuses().get(None, 0)
        assert set(writers.statuses()) <= {201, None}, (
            f"answers other than 201 (or none while it was down): {writers.statuses()}"
        )
        check_acknowledged(served.url, writers.tokens, writers.acked())
        counts = check_records(store.url, served.url, writers.tokens, writers.acked())
    finally:
        writers.stop()
        served.stop()
    print(
        f"\nserve killed mid-writes ({store.backend}): {len(writers.acked())} acknowledged "
        f"writes all there, {unanswered} requests unanswered while it was down, {counts}"
    )
