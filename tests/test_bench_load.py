"""``bench/bench_load.py`` runs end to end with tiny settings: it starts one ``serve`` and
one ``worker``, then two of each, on a fresh PostgreSQL schema, drives one user of each
kind for a second, prints its tables and the two-to-one ratios, and exits 0.

Beyond "it runs": under this light load no request fails and every case change a writer
made reaches every board's ``/api/events`` stream, also across the two processes (through
PostgreSQL NOTIFY); the schemas it made are gone afterwards and its processes stopped.
The figures themselves are not checked: they are the machine's, not the code's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_ERROR, POSTGRES_RAN
from tests.store import conftest as store_conftest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_load.py"
#: A safety net, not a target: the run takes some 30-60 s on the 2 shared cores.
TIMEOUT_S = 300
#: One user of each kind, one case each, one second of the steady mix, no plan.
TINY = [
    "--quick", "--seconds", "1", "--mixes", "steady", "--plans", "0", "--chats", "1",
    "--operators", "1", "--planners", "1", "--crews", "1", "--boards", "1",
]  # fmt: skip


def _schemas(url: sa.URL, names: list[str]) -> list[str]:
    """Which of the schemas ``names`` exist."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT nspname FROM pg_namespace WHERE nspname = ANY(:names)"),
                {"names": names},
            )
            return [r[0] for r in rows]
    finally:
        engine.dispose()


def test_the_load_bench_prints_its_tables(request: pytest.FixtureRequest) -> None:
    error = store_conftest._postgres_error()
    if error is not None:
        request.node.user_properties.append((POSTGRES_ERROR, error))
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the load bench's smoke test: {error}", pytrace=False)
        pytest.skip(error)
    url = store_conftest._postgres["url"]
    assert isinstance(url, sa.URL)
    request.node.user_properties.append((POSTGRES_RAN, url.render_as_string(hide_password=True)))
    env = {**os.environ, "SAFECONDUCT_BENCH_DB": url.render_as_string(hide_password=False)}
    proc = subprocess.run(
        [sys.executable, str(BENCH), *TINY],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT_S,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out[-3000:]}\n{proc.stderr[-3000:]}"

    for config in ("1 process: 1 x serve + 1 x worker", "2 processes: 2 x serve + 2 x worker"):
        assert config in out, out
    assert out.count("mix 'steady'") == 2, out
    assert "two processes against one" in out, out
    # Each configuration's "all" row: requests, errors, skipped, req/s, p50, p95, p99.
    totals = re.findall(r"^  all +(\d+) +(\d+) +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$", out, re.M)
    assert len(totals) == 2, out
    for requests, errors in totals:
        assert int(requests) > 0 and int(errors) == 0, out
    # The operator opened and scheduled a case: both changes reached the board, none missed.
    delivered = re.findall(r"^  case changes \(/api/events\) +(\d+) +(\d+) ", out, re.M)
    assert len(delivered) == 2, out
    for events, missed in delivered:
        assert int(events) >= 2 and int(missed) == 0, out
    live = re.findall(r"^  live map \(\.\.\./live/events\) +(\d+) ", out, re.M)
    assert len(live) == 2 and all(int(n) > 0 for n in live), out
    schemas = re.findall(r"schema (bench_[0-9a-f]+);", out)
    assert len(schemas) == 2, out
    assert _schemas(url, schemas) == [], "the bench left its schemas behind"
