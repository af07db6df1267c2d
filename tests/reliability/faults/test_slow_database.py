"""Fault: a slow database. Another connection holds a lock every write needs (the audit
trail's table, locked EXCLUSIVE: reads of it go on, writes wait) for longer than the
service waits for a lock, under a running ``safeconduct serve`` with writes in flight.

Runs on a database of the private cluster (``conftest.private_database``): the lock
would otherwise stall the audit writes of every other test on the shared server.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx2 as httpx
import psycopg

from safeconduct.adapters.store.engine import LOCK_TIMEOUT_S
from tests.reliability.faults.processes import Served
from tests.reliability.faults.writes import (
    OPERATOR,
    REQUEST_TIMEOUT_S,
    Writers,
    add_users,
    check_acknowledged,
    check_records,
    sign_in,
)

#: Seconds the other connection holds the lock: well past the service's lock timeout.
HOLD_S = LOCK_TIMEOUT_S + 4.0
#: Seconds any one answer may take: a request waits for a lock LOCK_TIMEOUT_S at most,
#: and takes at most two in turn (its case's row, the audit trail's append lock).
ANSWER_BOUND_S = 2 * LOCK_TIMEOUT_S + 3.0
#: Writes acknowledged before the lock is taken, and after it is let go.
BEFORE, AFTER = 6, 6


def test_a_lock_held_elsewhere_is_refused_in_bounded_time(
    private_database: str, tmp_path: Path
) -> None:
    """SLOWS the database: another connection locks the audit trail (LOCK TABLE ...
    EXCLUSIVE) for longer than the service's lock timeout while two clients write
    through ``serve``, then lets go. CHECKS: every request answers within the bound,
    either done (201) or refused cleanly (503 with Retry-After, saying the database is
    busy), never a 500 and never a hang; a write sent while the lock is held is refused
    once the service's lock timeout has passed (it used to wait for the lock, however
    long); writes succeed again once it is let go, with no restart; every acknowledged
    write reads back intact, nothing is half-written (each record has its audit entry
    and the reverse) and the audit chain verifies."""
    add_users(private_database, migrate=True)
    served = Served(["--db", private_database], tmp_path / "logs").start()
    writers = Writers(served.url, sign_in(served.url), threads=2).start()
    libpq = private_database.replace("postgresql+psycopg", "postgresql")
    try:
        writers.wait_for(BEFORE)
        with psycopg.connect(libpq) as holder:
            holder.execute("LOCK TABLE audit_entries IN EXCLUSIVE MODE")
            locked = time.monotonic()
            # One more write of our own, sent while the lock is surely held.
            probe = httpx.post(f"{served.url}/api/cases", json={"language": "uk"},
                               headers={"Authorization": f"Bearer {writers.tokens[OPERATOR]}"},
                               timeout=REQUEST_TIMEOUT_S)  # fmt: skip
            probe_s = time.monotonic() - locked
            time.sleep(max(0.0, HOLD_S - probe_s))
            holder.rollback()
        writers.wait_for(len(writers.acked()) + AFTER, timeout_s=60)
        writers.stop()
        everything = writers.statuses()
        slowest = max(a.seconds for a in writers.sent())
        assert set(everything) <= {201, 503}, (
            f"answers other than 201 and 503 (None: no answer): {everything}; "
            f"e.g. {[a.detail for a in writers.sent() if a.status not in (201, 503)][:3]}"
        )
        refused = [a for a in writers.sent() if a.status == 503]
        assert refused and all(a.retry_after for a in refused), (
            f"503s without Retry-After: {[a.detail for a in refused if not a.retry_after][:3]}"
        )
        assert all("busy" in a.detail for a in refused), [a.detail for a in refused][:3]
        assert probe.status_code == 503 and probe.headers.get("Retry-After"), probe.text
        assert LOCK_TIMEOUT_S - 0.5 < probe_s < ANSWER_BOUND_S, (
            f"the write sent while the lock was held answered after {probe_s:.1f} s"
        )
        assert slowest < ANSWER_BOUND_S, f"an answer took {slowest:.1f} s"
        check_acknowledged(served.url, writers.tokens, writers.acked())
        counts = check_records(private_database, served.url, writers.tokens, writers.acked())
    finally:
        writers.stop()
        served.stop()
    print(
        f"\naudit trail locked for {HOLD_S:.0f} s under serve: {len(refused)} requests refused "
        f"503 + Retry-After, slowest answer {slowest:.1f} s (lock timeout {LOCK_TIMEOUT_S} s), "
        f"{len(writers.acked())} acknowledged writes all there, {counts}"
    )
