"""Benchmark the coordination service: API latency under load, and planning through it.

Usage::

    .venv/bin/python bench/bench_service.py                       # the issue's figures
    .venv/bin/python bench/bench_service.py --cases 300 --operations 20 --requests 100 \\
        --concurrency 10                                          # a quick smoke run

1. Load (PostgreSQL). A fresh schema on the local server (``$SAFECONDUCT_BENCH_DB``, else
   ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; the schema is chosen through
   ``search_path`` as in the store tests) is migrated and filled through the store's
   repositories (one unit of work per thousand cases; timed apart) with ``--cases`` cases
   (a third with no event, a third scheduled, a third scheduled and planned) opened by one
   operator, and ``--operations`` operations on the first of them. ``safeconduct serve
   --db URL`` (one uvicorn process) then answers ``--concurrency`` clients of our own load
   generator (httpx2's ``AsyncClient`` in one asyncio loop) that send ``--requests``
   requests per mix, bounded by ``--seconds`` too: the case list (``GET /api/cases`` as a
   planner, who sees every case; the route is not paged, so each answer holds all of
   them with their timelines) and the operation page (``GET /api/operations/{id}``, ids
   drawn at random). The load generator runs on the same machine as the server and the
   database, so they share its cores; the figures say so. Target: p95 under 50 ms.
2. Planning. ``safeconduct rehearse --area <sample> --out <tmp>`` as a fresh process (best
   of ``--plan-repeat`` after one untimed warm-up run that fills the OS and numba caches)
   against the same plan through the service on SQLite (``serve --data DIR`` with the
   sample area in ``DIR/areas/sample``): open a case, give it an operation at the area's
   own meeting point, ask for the plan, and poll the job until it is done; the first plan
   of a fresh server and the best of ``--plan-repeat`` are shown. Target: at most 1.5x.

Only 127.0.0.1 is ever contacted. The schema is dropped and the servers stopped at the
end, also when something fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import sqlalchemy as sa

from safeconduct import bootstrap
from safeconduct.adapters.store.engine import create_store_engine, parse_database_url
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.passwords import Argon2Passwords
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.casework.case import Case
from safeconduct.casework.operation import Operation
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from safeconduct.terrain.coords import GeoPoint

#: p95 target of the case list and the operation page, milliseconds (issue 11).
TARGET_P95_MS = 50.0
#: Planning through the service may take at most this many times ``rehearse`` (issue 11).
TARGET_PLAN_RATIO = 1.5
#: The PostgreSQL server used when ``SAFECONDUCT_BENCH_DB`` is not set.
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HOST = "127.0.0.1"
PASSWORD = "correct horse battery staple"
OPERATOR, PLANNER = "olga", "petro"
#: Cheap argon2 parameters for the bench users (verifying reads them from the hash).
FAST_PASSWORDS = Argon2Passwords(time_cost=1, memory_cost_kib=1024, parallelism=1)
WINDOW_START = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(hours=1)


def _safeconduct() -> list[str]:
    """The installed console script beside this interpreter."""
    script = Path(sys.executable).with_name("safeconduct")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from safeconduct.entrypoints.cli.app import main; main()"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SAFECONDUCT_DB",)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user's shell: bytecode cached
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------- the server


@contextlib.contextmanager
def served(args: list[str], *, env: dict[str, str], log: Path) -> Iterator[str]:
    """``safeconduct serve ARGS`` on a free local port; its base URL. Stopped on exit."""
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*_safeconduct(), "serve", *args, "--host", HOST, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve did not answer in 120 s:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully on SIGINT
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def sign_in(base: str, name: str) -> dict[str, str]:
    """The bearer header of ``name``, signed in through the API."""
    answer = httpx2.post(
        f"{base}/api/auth/token", data={"username": name, "password": PASSWORD}, timeout=60
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def add_users(ports: CaseworkPorts) -> None:
    add_user(ports, OPERATOR, "operator", PASSWORD, actor=CONSOLE)
    add_user(ports, PLANNER, "planner", PASSWORD, actor=CONSOLE)


# ----------------------------------------------------------------- the load generator


async def _load(
    base: str,
    paths: list[str],
    headers: dict[str, str],
    requests: int,
    concurrency: int,
    seconds: float,
) -> tuple[list[float], collections.Counter[str], float]:
    """Send ``requests`` GETs (cycling through ``paths``) from ``concurrency`` clients.

    Returns the latencies of the answered requests (seconds), the failures by kind
    (``HTTP 500``, an exception's name) and the wall time.
    """
    latencies: list[float] = []
    failures: collections.Counter[str] = collections.Counter()
    sent = 0
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=600
    ) as client:
        t0 = time.perf_counter()
        deadline = t0 + seconds

        async def one_client() -> None:
            nonlocal sent
            while sent < requests and time.perf_counter() < deadline:
                path = paths[sent % len(paths)]
                sent += 1
                start = time.perf_counter()
                try:
                    answer = await client.get(path)
                    await answer.aread()
                    failure = None if answer.status_code == 200 else f"HTTP {answer.status_code}"
                except httpx2.HTTPError as error:
                    failure = type(error).__name__
                if failure is None:
                    latencies.append(time.perf_counter() - start)
                else:
                    failures[failure] += 1

        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return latencies, failures, wall


def _server_errors(log: Path, most: int = 3) -> list[str]:
    """The distinct exception lines of a server's log (``module.Error: message``)."""
    pattern = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout)\b.*:")
    seen: dict[str, None] = {}
    for line in log.read_text(errors="replace").splitlines():
        if pattern.match(line):
            seen.setdefault(line.strip()[:160], None)
    return list(seen)[-most:]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# ----------------------------------------------------------------- 1. load on PostgreSQL


def fill(engine: sa.Engine, n_cases: int, n_operations: int) -> tuple[list[int], int]:
    """``n_cases`` cases and ``n_operations`` operations through the store; the
    operations' ids and the count of case events."""
    database = SqlCaseworkDatabase(engine)
    rng = random.Random(11)
    t = datetime(2026, 11, 1, tzinfo=UTC)
    case_ids: list[int] = []
    events = 0
    chunk = 1000
    for start in range(0, n_cases, chunk):
        with database.unit_of_work() as uow:
            for i in range(start, min(n_cases, start + chunk)):
                opened = t + timedelta(seconds=i)
                case = Case.open(
                    language=("ru", "uk", "en")[i % 3],
                    channel=("hotline", "chat", "drone")[i % 3],
                    now=opened,
                    rng=rng,
                )
                # A third untouched, a third scheduled, a third scheduled and planned.
                for step, transition in enumerate(("schedule", "plan")[: i % 3]):
                    case = case.apply(
                        transition, at=opened + timedelta(minutes=step + 1), actor=PLANNER
                    )
                events += len(case.events)
                case_ids.append(uow.cases.add(case, opened_by=OPERATOR).id)
    operation_ids: list[int] = []
    now = datetime.now(UTC)
    with database.unit_of_work() as uow:
        for case_id in case_ids[:n_operations]:
            op = Operation.create(
                case_id=case_id,
                area="sample",
                meeting_point=GeoPoint(48.0, 37.8),
                window_start=WINDOW_START,
                window_end=WINDOW_END,
                actor=PLANNER,
                now=now,
            )
            operation_ids.append(uow.operations.add(op, now=now).id)
    return operation_ids, events


def bench_load(args: argparse.Namespace, tmp: Path) -> bool:
    base_url = parse_database_url(os.environ.get("SAFECONDUCT_BENCH_DB") or DEFAULT_DB)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, connect_args={"connect_timeout": 5})
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = base_url.update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    engine = create_store_engine(text)
    try:
        t0 = time.perf_counter()
        upgrade(engine)
        migrate_s = time.perf_counter() - t0
        add_users(CaseworkPorts(database=SqlCaseworkDatabase(engine), passwords=FAST_PASSWORDS))
        t0 = time.perf_counter()
        operation_ids, events = fill(engine, args.cases, args.operations)
        fill_s = time.perf_counter() - t0
        print(
            f"load (PostgreSQL {engine.dialect.server_version_info[0]}, schema {schema}): "
            f"migrated in {migrate_s:.1f} s; {args.cases} cases ({events} events) and "
            f"{len(operation_ids)} operations written through the store in {fill_s:.1f} s "
            "(not part of the figures below)"
        )
        env = _env(SAFECONDUCT_DATA=str(tmp / "pg-data"))
        with served(["--db", text], env=env, log=tmp / "serve-pg.log") as base:
            headers = sign_in(base, PLANNER)
            listed = httpx2.get(f"{base}/api/cases", headers=headers, timeout=120)
            listed.raise_for_status()
            n_listed = len(listed.json())
            alone = []
            for _ in range(3):
                t0 = time.perf_counter()
                httpx2.get(f"{base}/api/cases", headers=headers, timeout=120).raise_for_status()
                alone.append(time.perf_counter() - t0)
            print(
                f"  GET /api/cases as a planner: {n_listed} cases in one answer of "
                f"{len(listed.content) / 1e6:.1f} MB (not paged: every case with its timeline); "
                f"alone, with no other load: {statistics.median(alone) * 1e3:.0f} ms "
                "(median of 3)"
            )
            ops_rng = random.Random(5)
            mixes = {
                "GET /api/cases (planner, all)": ["/api/cases"],
                "GET /api/operations/{id}": [
                    f"/api/operations/{ops_rng.choice(operation_ids)}"
                    for _ in range(max(1, args.requests))
                ],
            }
            print(
                f"  {args.concurrency} concurrent clients, {args.requests} requests per mix "
                f"(at most {args.seconds:g} s); one uvicorn process; the load generator "
                f"(httpx2, asyncio) runs on the same {os.cpu_count()}-core machine as the "
                "server and PostgreSQL"
            )
            print()
            print(
                f"  {'mix':<32} {'done':>6} {'fail':>5} {'req/s':>8} {'p50 ms':>8} "
                f"{'p95 ms':>8} {'p99 ms':>8} {'target':>7}  met"
            )
            ok = True
            for name, paths in mixes.items():
                # A few untimed requests: connections open, code paths warm.
                asyncio.run(_load(base, paths, headers, min(10, args.requests), 2, 60))
                lat, failures, wall = asyncio.run(
                    _load(base, paths, headers, args.requests, args.concurrency, args.seconds)
                )
                p95 = _pct(lat, 95) * 1e3
                failed = sum(failures.values())
                met = not failed and p95 <= TARGET_P95_MS
                ok &= met
                print(
                    f"  {name:<32} {len(lat):>6} {failed:>5} {len(lat) / wall:>8.1f} "
                    f"{_pct(lat, 50) * 1e3:>8.1f} {p95:>8.1f} {_pct(lat, 99) * 1e3:>8.1f} "
                    f"{TARGET_P95_MS:>7.0f}  {'yes' if met else 'NO'}"
                )
                if failed:
                    kinds = ", ".join(f"{n} x {k}" for k, n in failures.most_common())
                    print(f"  {'':<32} failures: {kinds}")
                    for line in _server_errors(tmp / "serve-pg.log"):
                        print(f"  {'':<32} server: {line}")
        return ok
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


# ----------------------------------------------------------------- 2. planning


def _rehearse(area: Path, out: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*_safeconduct(), "rehearse", "--area", str(area), "--out", str(out)],
        capture_output=True,
        env=_env(),
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"rehearse failed ({proc.returncode}):\n{proc.stderr.decode()[-2000:]}")
    return elapsed


def _plan_through_service(
    base: str, operator: dict[str, str], planner: dict[str, str], meeting: GeoPoint
) -> tuple[float, float]:
    """Open a case, give it an operation, plan it and wait; (wall s, the job's own s)."""
    with httpx2.Client(base_url=base, timeout=120) as client:
        t0 = time.perf_counter()
        case = client.post("/api/cases", json={"language": "ru"}, headers=operator)
        case.raise_for_status()
        op = client.post(
            f"/api/cases/{case.json()['id']}/operation",
            json={
                "area": "sample",
                "meeting_lat": meeting.lat,
                "meeting_lon": meeting.lon,
                "window_start": WINDOW_START.isoformat(),
                "window_end": WINDOW_END.isoformat(),
            },
            headers=planner,
        )
        op.raise_for_status()
        job = client.post(f"/api/operations/{op.json()['id']}/plan", headers=planner)
        job.raise_for_status()
        job_id = job.json()["job_id"]
        while True:
            state = client.get(f"/api/jobs/{job_id}", headers=planner).json()
            if state["status"] in ("done", "failed"):
                break
            if time.perf_counter() - t0 > 600:
                raise RuntimeError(f"plan job {job_id} still {state['status']} after 600 s")
            time.sleep(0.05)
        wall = time.perf_counter() - t0
    if state["status"] != "done":
        raise RuntimeError(f"plan job {job_id} failed: {state['error']}")
    started = datetime.fromisoformat(state["started_at"])
    finished = datetime.fromisoformat(state["finished_at"])
    return wall, (finished - started).total_seconds()


def bench_plan(args: argparse.Namespace, tmp: Path) -> bool:
    data = tmp / "sqlite-data"
    area = data / "areas" / "sample"
    bootstrap.areas().write_sample_area(area)
    doc = json.loads((area / "meeting.geojson").read_text())
    lon, lat = doc["features"][0]["geometry"]["coordinates"][:2]
    meeting = GeoPoint(lat, lon)

    _rehearse(area, tmp / "rehearse-warm")  # untimed: OS file cache, numba's cache
    rehearse_s = min(_rehearse(area, tmp / f"rehearse-{i}") for i in range(args.plan_repeat))

    engine = create_store_engine(f"sqlite+pysqlite:///{data / 'safeconduct.db'}")
    try:
        upgrade(engine)
        add_users(CaseworkPorts(database=SqlCaseworkDatabase(engine), passwords=FAST_PASSWORDS))
    finally:
        engine.dispose()
    runs: list[tuple[float, float]] = []
    with served(["--data", str(data)], env=_env(), log=tmp / "serve-sqlite.log") as base:
        operator, planner = sign_in(base, OPERATOR), sign_in(base, PLANNER)
        for _ in range(args.plan_repeat):
            runs.append(_plan_through_service(base, operator, planner, meeting))
    first, best = runs[0][0], min(w for w, _ in runs)
    job_best = min(j for _, j in runs)
    ratio = best / rehearse_s
    met = ratio <= TARGET_PLAN_RATIO
    print(
        f"planning the 8 x 8 km sample area; target: service <= {TARGET_PLAN_RATIO:g} x "
        "rehearse; peer: `safeconduct rehearse` (a fresh process, best of "
        f"{args.plan_repeat} after a warm-up run)"
    )
    print()
    print(f"  {'how':<58} {'s':>7} {'x peer':>7}")
    print(f"  {'peer: safeconduct rehearse --area <sample> --out <tmp>':<58} {rehearse_s:>7.2f}")
    print(
        f"  {'service (SQLite): first plan of a fresh server':<58} {first:>7.2f} "
        f"{first / rehearse_s:>7.2f}"
    )
    print(
        f"  {f'service (SQLite): best of {args.plan_repeat}, case to job done':<58} "
        f"{best:>7.2f} {ratio:>7.2f}  {'met' if met else 'NOT met'}"
    )
    print(
        f"  {'  of which the job itself (started to finished)':<58} {job_best:>7.2f} "
        f"{job_best / rehearse_s:>7.2f}"
    )
    return met


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000, help="cases in the database")
    ap.add_argument("--operations", type=int, default=500, help="operations in the database")
    ap.add_argument("--requests", type=int, default=2_000, help="requests per mix")
    ap.add_argument("--concurrency", type=int, default=50, help="concurrent clients")
    ap.add_argument("--seconds", type=float, default=120, help="at most this long per mix")
    ap.add_argument("--plan-repeat", type=int, default=2, help="plans timed of each kind")
    ap.add_argument("--skip-load", action="store_true", help="no PostgreSQL load part")
    ap.add_argument("--skip-plan", action="store_true", help="no planning part")
    # run_all.py passes its arguments to every benchmark; ignore the ones that are not ours.
    args, _ = ap.parse_known_args(argv)
    args.operations = min(args.operations, args.cases)
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-service-") as name:
        tmp = Path(name)
        if not args.skip_load:
            ok &= bench_load(args, tmp)
            print()
        if not args.skip_plan:
            ok &= bench_plan(args, tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
