"""Benchmark the coordination service: API latency under load, and planning through it.

Usage::

    .venv/bin/python bench/bench_service.py                       # the issue's figures
    .venv/bin/python bench/bench_service.py --cases 300 --operations 20 --seconds 5 \\
        --skip-plan                                               # a quick smoke run

1. Load (PostgreSQL). A fresh schema on the local server (``$SAFECONDUCT_BENCH_DB``, else
   ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; the schema is chosen through
   ``search_path`` as in the store tests) is migrated and filled through the store's
   repositories (one unit of work per thousand cases; timed apart) with ``--cases`` cases
   (a third with no event, a third scheduled, a third scheduled and planned) opened by one
   operator, and ``--operations`` operations on the first of them, and then analysed (as
   autovacuum would). ``safeconduct serve --db URL`` (one uvicorn process) then answers
   our own load generator (httpx2's ``AsyncClient`` in one asyncio loop, on the same
   machine as the server and the database, sharing its cores; the figures say which
   machine, and its load average before and after: other work on it skews them) on three
   routes, one at a
   time: the case list as a board loads it (``GET /api/cases``, its first page of 50
   summaries, as a planner, who sees every case), a page deep in the list (``?after=`` the
   cursor some 90 % down: keyset paging costs the same at any depth), and the operation
   page (``GET /api/operations/{id}``, ids drawn at random). Two load models:

   a. **The users' experience** (the target: p95 under 50 ms). ``--clients`` board users,
      each sending one request a second: an open loop of Poisson arrivals at
      ``--clients`` requests a second in total, for ``--seconds`` per route. A request's
      latency runs from the moment it was due, so a server that falls behind is charged
      for the wait (no coordinated omission).
   b. **Saturation** (no target). ``--clients`` clients that each send the next request
      the moment the last is answered (a closed loop), for ``--closed-seconds`` per
      route: the throughput the machine sustains and its p95 then. By Little's law 50
      such clients see 50 ms only at 1000 requests a second; on two cores shared by
      server, database and load generator that is out of reach, and it is not how people
      use a board.
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


async def _closed_loop(
    base: str, paths: list[str], headers: dict[str, str], clients: int, seconds: float
) -> tuple[list[float], collections.Counter[str], float]:
    """``clients`` clients, each sending the next GET (cycling through ``paths``) the moment
    the last is answered, for ``seconds``.

    Returns the latencies of the answered requests (seconds), the failures by kind
    (``HTTP 503``, an exception's name) and the wall time.
    """
    latencies: list[float] = []
    failures: collections.Counter[str] = collections.Counter()
    sent = 0
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx2.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=600
    ) as client:
        t0 = time.perf_counter()
        deadline = t0 + seconds

        async def one_client() -> None:
            nonlocal sent
            while time.perf_counter() < deadline:
                path = paths[sent % len(paths)]
                sent += 1
                start = time.perf_counter()
                failure = await _get(client, path)
                if failure is None:
                    latencies.append(time.perf_counter() - start)
                else:
                    failures[failure] += 1

        await asyncio.gather(*(one_client() for _ in range(clients)))
        wall = time.perf_counter() - t0
    return latencies, failures, wall


async def _open_loop(
    base: str,
    paths: list[str],
    headers: dict[str, str],
    clients: int,
    seconds: float,
    seed: int = 11,
) -> tuple[list[float], collections.Counter[str], float]:
    """``clients`` users each sending one GET a second (cycling through ``paths``): Poisson
    arrivals at ``clients`` requests a second in total, for ``seconds``, whether or not
    earlier ones were answered (an open loop).

    Each latency runs from the moment the request was due, not from when it was sent, so
    any wait for a free connection or a late start counts. Returns the latencies of the
    answered requests (seconds), the failures by kind, and the rate achieved (req/s).
    """
    latencies: list[float] = []
    failures: collections.Counter[str] = collections.Counter()
    rng = random.Random(seed)
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx2.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=600
    ) as client:

        async def one(path: str, due: float) -> None:
            failure = await _get(client, path)
            if failure is None:
                latencies.append(time.perf_counter() - due)
            else:
                failures[failure] += 1

        tasks = []
        t0 = time.perf_counter()
        due = t0
        while True:
            due += rng.expovariate(clients)  # one a second from each of the users
            if due - t0 > seconds:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(paths[len(tasks) % len(paths)], due)))
        await asyncio.gather(*tasks)
    return latencies, failures, len(tasks) / seconds


async def _get(client: httpx2.AsyncClient, path: str) -> str | None:
    """GET ``path`` and read the answer; None if it was a 200, else what went wrong."""
    try:
        answer = await client.get(path)
        await answer.aread()
    except httpx2.HTTPError as error:
        return type(error).__name__
    return None if answer.status_code == 200 else f"HTTP {answer.status_code}"


def _cursor_deep_down(base: str, headers: dict[str, str], cases: int) -> str:
    """The ``next`` cursor some 90 % down the planner's case list (followed page by page);
    empty when the list is one page."""
    after, seen = None, 0
    with httpx2.Client(base_url=base, headers=headers, timeout=120) as client:
        while True:
            params: dict[str, str | int] = {"limit": 200}
            if after:
                params["after"] = after
            page = client.get("/api/cases", params=params).json()
            seen += len(page["items"])
            if page["next"] is None or seen >= 0.9 * cases:
                return str(page["next"] or after or "")
            after = page["next"]


def _machine() -> str:
    """Which machine the figures come from (the load generator runs on it too)."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"server, PostgreSQL and the load generator (httpx2, asyncio, one process) all on "
        f"this machine: {os.cpu_count()} cores, {model}; load average {_load_average()}"
    )


def _load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages: other work shares the cores too."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _print_open_loop(
    args: argparse.Namespace,
    base: str,
    routes: dict[str, list[str]],
    headers: dict[str, str],
    log: Path,
) -> bool:
    """(a) the users' experience: open-loop Poisson arrivals; whether every route met the
    target."""
    print()
    print(
        f"  (a) the users' experience: {args.clients} board users, each sending one request "
        f"a second (open loop, Poisson arrivals at {args.clients} req/s in total, latency "
        f"from when each request was due), {args.seconds:g} s per route; "
        f"target p95 <= {TARGET_P95_MS:g} ms"
    )
    print(
        f"  {'route':<32} {'done':>6} {'fail':>5} {'req/s':>7} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'x target':>9}  met"
    )
    ok = True
    for name, paths in routes.items():
        lat, failures, rate = asyncio.run(
            _open_loop(base, paths, headers, args.clients, args.seconds)
        )
        p95 = _pct(lat, 95) * 1e3
        failed = sum(failures.values())
        met = not failed and p95 <= TARGET_P95_MS
        ok &= met
        print(
            f"  {name:<32} {len(lat):>6} {failed:>5} {rate:>7.1f} {_pct(lat, 50) * 1e3:>8.1f} "
            f"{p95:>8.1f} {_pct(lat, 99) * 1e3:>8.1f} {p95 / TARGET_P95_MS:>9.2f}  "
            f"{'yes' if met else 'NO'}"
        )
        _print_failures(failures, log)
    print(f"  load average after: {_load_average()}")
    return ok


def _print_closed_loop(
    args: argparse.Namespace,
    base: str,
    routes: dict[str, list[str]],
    headers: dict[str, str],
    log: Path,
) -> None:
    """(b) saturation: a closed loop of back-to-back clients (no target)."""
    print()
    print(
        f"  (b) saturation: {args.clients} clients, each sending its next request the moment "
        f"the last is answered (closed loop), {args.closed_seconds:g} s per route; no target "
        f"(p95 <= {TARGET_P95_MS:g} ms here would need {args.clients / TARGET_P95_MS * 1e3:.0f}"
        " req/s)"
    )
    print(
        f"  {'route':<32} {'done':>6} {'fail':>5} {'req/s':>7} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8}"
    )
    for name, paths in routes.items():
        lat, failures, wall = asyncio.run(
            _closed_loop(base, paths, headers, args.clients, args.closed_seconds)
        )
        print(
            f"  {name:<32} {len(lat):>6} {sum(failures.values()):>5} {len(lat) / wall:>7.1f} "
            f"{_pct(lat, 50) * 1e3:>8.1f} {_pct(lat, 95) * 1e3:>8.1f} "
            f"{_pct(lat, 99) * 1e3:>8.1f}"
        )
        _print_failures(failures, log)
    print(f"  load average after: {_load_average()}")


def _print_failures(failures: collections.Counter[str], log: Path) -> None:
    if failures:
        kinds = ", ".join(f"{n} x {k}" for k, n in failures.most_common())
        print(f"  {'':<32} failures: {kinds}")
        for line in _server_errors(log):
            print(f"  {'':<32} server: {line}")


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
    database = SqlCaseworkDatabase(engine, cipher=bootstrap.field_cipher(None))
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
        with engine.begin() as connection:
            # The planner's statistics, as autovacuum would gather them on a live database:
            # without them it guesses a table of a few rows and plans for that.
            for table in sa.inspect(connection).get_table_names():
                connection.execute(sa.text(f'ANALYZE "{table}"'))
        fill_s = time.perf_counter() - t0
        print(
            f"load (PostgreSQL {engine.dialect.server_version_info[0]}, schema {schema}): "
            f"migrated in {migrate_s:.1f} s; {args.cases} cases ({events} events) and "
            f"{len(operation_ids)} operations written through the store and analysed in "
            f"{fill_s:.1f} s (not part of the figures below)"
        )
        env = _env(SAFECONDUCT_DATA=str(tmp / "pg-data"))
        log = tmp / "serve-pg.log"
        with served(["--db", text], env=env, log=log) as base:
            headers = sign_in(base, PLANNER)
            first = httpx2.get(f"{base}/api/cases", headers=headers, timeout=120)
            first.raise_for_status()
            deep = _cursor_deep_down(base, headers, args.cases)
            alone = []
            with httpx2.Client(base_url=base, headers=headers, timeout=120) as client:
                for _ in range(21):  # one after another, on one kept-alive connection
                    t0 = time.perf_counter()
                    client.get("/api/cases").raise_for_status()
                    alone.append(time.perf_counter() - t0)
            print(
                f"  GET /api/cases as a planner: the first page, {len(first.json()['items'])} "
                f"case summaries of {args.cases}, {len(first.content) / 1e3:.1f} kB; alone, "
                f"with no other load: {statistics.median(alone) * 1e3:.1f} ms (median of 21)"
            )
            ops_rng = random.Random(5)
            routes = {
                "GET /api/cases (first page)": ["/api/cases"],
                "GET /api/cases?after= (~90 %)": [
                    f"/api/cases?after={deep}" if deep else "/api/cases"
                ],
                "GET /api/operations/{id}": [
                    f"/api/operations/{ops_rng.choice(operation_ids)}" for _ in range(1000)
                ],
            }
            print(f"  one uvicorn process; {_machine()}")
            for paths in routes.values():  # untimed: connections open, code paths warm
                asyncio.run(_closed_loop(base, paths, headers, 2, 1.0))
            ok = _print_open_loop(args, base, routes, headers, log)
            _print_closed_loop(args, base, routes, headers, log)
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
    ap.add_argument("--clients", type=int, default=50, help="board users / concurrent clients")
    ap.add_argument("--seconds", type=float, default=30, help="open-loop run per route, seconds")
    ap.add_argument(
        "--closed-seconds", type=float, default=15, help="closed-loop run per route, seconds"
    )
    ap.add_argument("--plan-repeat", type=int, default=2, help="plans timed of each kind")
    ap.add_argument("--skip-load", action="store_true", help="no PostgreSQL load part")
    ap.add_argument("--skip-plan", action="store_true", help="no planning part")
    # run_all.py passes its arguments to every benchmark; ignore the ones that are not ours.
    args, _ = ap.parse_known_args(argv)
    args.operations = min(args.operations, args.cases)
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-service-") as name:
        tmp = Path(name)
        # Case codes are sealed: the store and every server here use one throw-away key file.
        key_file = tmp / "bench.key"
        bootstrap.write_new_key_file(key_file)
        os.environ["SAFECONDUCT_KEY_FILE"] = str(key_file)
        if not args.skip_load:
            ok &= bench_load(args, tmp)
            print()
        if not args.skip_plan:
            ok &= bench_plan(args, tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
