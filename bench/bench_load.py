"""Load on the coordination service: a realistic mix of users at once, against one server
process and one worker, then two of each, on PostgreSQL.

Usage::

    .venv/bin/python bench/bench_load.py            # the issue's figures (4-6 min)
    .venv/bin/python bench/bench_load.py --quick    # fewer users, shorter mixes (2-3 min)
    .venv/bin/python bench/bench_load.py --sqlite   # and one SQLite process for reference

Each configuration gets a fresh schema on the local PostgreSQL server
(``$SAFECONDUCT_BENCH_DB``, else ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
chosen through ``search_path``, as bench_service.py does), migrated, with its users added
through the store and its cases, operations and crew assignments made through the API
(untimed). The schema is dropped and every process stopped at the end, also when
something fails. Only 127.0.0.1 is ever contacted.

1. **1 process**: one ``safeconduct serve --db URL`` and one ``safeconduct worker`` (at its
   default niceness, 10: plans yield the cores to the service's requests).
2. **2 processes**: two ``serve`` processes on two ports (each user talks to one of them,
   as behind a load balancer; the boards to the other one than the crew they watch, so
   every live update crosses processes through PostgreSQL NOTIFY) and two workers.
3. (``--sqlite``) one ``serve --data DIR`` on SQLite, its in-process worker: a reference.

The users, one asyncio loop of our own (httpx2's ``AsyncClient``, as bench_service.py), all
at the same time:

- **operators** answering chats: their inbox, a case's messages, a message posted; every
  fifth round a new case opened and scheduled;
- **planners** browsing the case list and operation pages; in the *planning* mix they also
  open an operation on a case, ask for its plan and poll the job until it is done (at most
  ``--plans`` plans a mix, and the mix ends when they are done or after
  ``--plan-seconds``: a plan keeps the cores busy for tens of seconds here);
- **crews** streaming their drone's and the person's positions to the live map of their
  operation (engaged) at ``--hz`` posts a second each;
- **boards** holding the event streams open: ``GET /api/events`` (case changes) and the live
  map of one crew's operation. Delivery latency runs from the moment a write was sent to
  the moment its event arrived (matched by the case and its status, or by the live post's
  marker in the leader's status line). The live stream sends the newest map when woken, so
  posts made between two wake-ups arrive as one ("coalesced"), which is no loss.

Mixes, in this order on the same processes: **steady** (paced: an operator's round every
2 s, a planner's every 2 s, crews at ``--hz``; a round's latency counts from when it was
due, so a server that falls behind is charged for the wait, and a user a whole period
behind runs its newest round, as a leader sends its newest position, the rounds passed
over counted as *skipped*), **saturation** (the same users
with no pauses: each sends its next request as soon as the last is answered; the
throughput the machine sustains), **planning** (steady plus the plans; last, since a plan
still running when it ends would burden the next).

Printed per configuration and mix: requests, errors by status, skipped rounds, throughput,
p50/p95/p99 latency per kind of user, event delivery p50/p95 (and events missed), plans
done and their time; then the ratios of two processes to one. Bounded in time (``--seconds``
a mix, ``--plan-seconds`` for the planning one, a timeout per request) and in count
(``--max-requests`` a mix). ``--configs 1`` or ``2`` runs one configuration alone.
Server, database and load generator share this machine's cores, and other work on it
skews the figures: the machine and its load average are printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import concurrent.futures
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import sqlalchemy as sa

# bench_service.py is this folder's sibling: its server and helpers, not a copy of them.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_service import (
    DEFAULT_DB,
    FAST_PASSWORDS,
    PASSWORD,
    WINDOW_END,
    WINDOW_START,
    _env,
    _load_average,
    _machine,
    _pct,
    _safeconduct,
    _server_errors,
    served,
    sign_in,
)
from safeconduct import bootstrap
from safeconduct.adapters.store.engine import create_store_engine, parse_database_url
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user

#: Seconds between a paced operator's rounds (inbox, messages, a message) and a planner's.
OPERATOR_ROUND_S = 2.0
PLANNER_ROUND_S = 2.0
#: Every this many rounds an operator opens a new case and schedules it.
NEW_CASE_EVERY = 5
#: Seconds between polls of a plan job.
POLL_S = 0.5
#: Seconds one request may take before it counts as failed (a safety net, not a target).
REQUEST_TIMEOUT_S = 30.0
#: Seconds the boards keep listening after the writers stopped (events on their way).
GRACE_S = 2.0
#: Seconds a board may take to open its streams before the mix starts without it.
OPEN_S = 20.0
#: Kinds of users that send requests, in the tables' order.
KINDS = ("operators", "planners", "crews")
MIXES = ("steady", "saturation", "planning")


# ----------------------------------------------------------------- what a mix measures


@dataclass
class Figures:
    """What one mix measured; times are ``time.perf_counter()`` seconds."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    failures: dict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    #: Paced rounds passed over because the user was a period or more behind, by kind.
    skipped: collections.Counter[str] = field(default_factory=collections.Counter)
    sent: int = 0
    wall: float = 0.0
    #: Writes that announce a case change: (case id, its status then, sent).
    case_writes: list[tuple[int, str, float]] = field(default_factory=list)
    #: Per /api/events stream: (case id, status) -> arrival times.
    case_arrivals: list[dict[tuple[int, str], list[float]]] = field(default_factory=list)
    resets: int = 0
    #: Live posts: marker -> (operation id, sent); per live stream: (operation id, marker ->
    #: first arrival).
    live_sent: dict[str, tuple[int, float]] = field(default_factory=dict)
    live_arrivals: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    #: Plans asked for: seconds from the request to the job done, None when not done.
    plans: list[float | None] = field(default_factory=list)
    plan_errors: list[str] = field(default_factory=list)

    def case_delivery(self) -> tuple[list[float], int]:
        """Delivery latencies (s) of the case writes to every /api/events stream, and how
        many never arrived."""
        latencies, missed = [], 0
        for arrivals in self.case_arrivals:
            for case_id, status, sent in self.case_writes:
                times = arrivals.get((case_id, status), [])
                i = bisect.bisect_left(times, sent)
                if i < len(times):
                    latencies.append(times[i] - sent)
                else:
                    missed += 1
        return latencies, missed

    def live_delivery(self) -> tuple[list[float], int, int]:
        """Delivery latencies (s) of the live posts to the streams watching their
        operation, how many posts those streams could have seen, and how many arrived."""
        latencies, expected = [], 0
        for operation_id, arrivals in self.live_arrivals:
            for marker, (op, sent) in self.live_sent.items():
                if op != operation_id:
                    continue
                expected += 1
                if marker in arrivals:
                    latencies.append(arrivals[marker] - sent)
        return latencies, expected, len(latencies)


@dataclass(frozen=True)
class User:
    """A signed-in user of the bench and the server it talks to."""

    name: str
    role: str
    base: str
    headers: dict[str, str]


@dataclass
class World:
    """The users and what they work on, made before the mixes (untimed)."""

    operators: list[User]
    planners: list[User]
    crews: list[User]
    boards: list[User]
    #: Per operator: the cases they opened (with a message each).
    chats: dict[str, list[int]]
    #: Per crew: its engaged operation.
    crew_operations: dict[str, int]
    #: Cases a planner may give an operation to and plan (their status: contacted).
    to_plan: list[int]
    meeting: tuple[float, float]


class Mix:
    """One mix run: the users' loops on shared clients, all recording into one Figures."""

    def __init__(
        self, world: World, clients: dict[str, httpx2.AsyncClient], args: argparse.Namespace
    ) -> None:
        self.world, self.clients, self.args = world, clients, args
        self.figures = Figures()
        self.rng = random.Random(17)
        self.t0 = self.deadline = 0.0
        self.paced = True

    # -------------------------------------------------------------- requests

    def running(self) -> bool:
        return time.perf_counter() < self.deadline and self.figures.sent < self.args.max_requests

    async def call(
        self,
        user: User,
        kind: str,
        method: str,
        path: str,
        *,
        since: float | None = None,
        **kwargs: object,
    ) -> tuple[httpx2.Response | None, float]:
        """Send one request as ``user``; the answer (None on failure) and when it was sent.
        Its latency counts from ``since`` (when it was due) if given, else from sending."""
        self.figures.sent += 1
        sent = time.perf_counter()
        try:
            answer = await self.clients[user.base].request(
                method, path, headers=user.headers, **kwargs
            )
        except httpx2.HTTPError as error:
            self.figures.failures[kind][type(error).__name__] += 1
            return None, sent
        if answer.status_code >= 400:
            self.figures.failures[kind][f"HTTP {answer.status_code}"] += 1
            return None, sent
        self.figures.latencies[kind].append(time.perf_counter() - (since or sent))
        return answer, sent

    def _offset(self, period: float) -> float:
        """When a user's first round is due, after the mix starts: spread over a period (so
        users do not all come at once), within the first half of a short mix."""
        return self.rng.uniform(0, min(period, (self.deadline - self.t0) / 2))

    async def _pace(
        self, kind: str, round_no: int, period: float, offset: float
    ) -> tuple[int, float] | None:
        """Wait until round ``round_no`` is due (paced mixes); the round to run and when it
        was due, or None when the mix is over.

        A user a whole period or more behind runs the newest round due, as a leader sends
        its newest position rather than a backlog; the rounds passed over are counted as
        skipped (latency still counts from the round's due time)."""
        now = time.perf_counter()
        if not self.paced:
            return (round_no, now) if self.running() else None
        due = self.t0 + offset + round_no * period
        if now - due >= period:
            behind = int((now - due) // period)
            self.figures.skipped[kind] += behind
            round_no += behind
            due += behind * period
        if due >= self.deadline or not self.running():
            return None
        await asyncio.sleep(max(0.0, due - now))
        return round_no, due

    # -------------------------------------------------------------- users

    async def operator(self, user: User, index: int) -> None:
        cases = self.world.chats[user.name]
        offset = self._offset(OPERATOR_ROUND_S)
        round_no = 0
        while tick := await self._pace("operators", round_no, OPERATOR_ROUND_S, offset):
            round_no, due = tick
            await self.call(user, "operators", "GET", "/api/intake/inbox", since=due)
            case_id = cases[round_no % len(cases)]
            await self.call(user, "operators", "GET", f"/api/cases/{case_id}/messages")
            await self.call(
                user,
                "operators",
                "POST",
                f"/api/cases/{case_id}/messages",
                data={"text": f"round {round_no}: we are waiting for you", "direction": "out"},
            )
            if round_no % NEW_CASE_EVERY == 0:
                await self._new_case(user)
            round_no += 1

    async def _new_case(self, user: User) -> None:
        answer, sent = await self.call(
            user, "operators", "POST", "/api/cases", json={"language": "uk", "channel": "chat"}
        )
        if answer is None:
            return
        case_id = int(answer.json()["id"])
        self.figures.case_writes.append((case_id, str(answer.json()["status"]), sent))
        moved, sent = await self.call(
            user,
            "operators",
            "POST",
            f"/api/cases/{case_id}/transitions",
            json={"transition": "schedule"},
        )
        if moved is not None:
            self.figures.case_writes.append((case_id, str(moved.json()["status"]), sent))

    async def planner(self, user: User, index: int, plans: list[int]) -> None:
        offset = self._offset(PLANNER_ROUND_S)
        operations = list(self.world.crew_operations.values())
        round_no = 0
        while tick := await self._pace("planners", round_no, PLANNER_ROUND_S, offset):
            round_no, due = tick
            if plans:
                await self._plan(user, plans.pop())
                # Back to browsing at the next round due; the ones planning took are not late.
                round_no = int((time.perf_counter() - self.t0 - offset) // PLANNER_ROUND_S) + 1
                continue
            await self.call(user, "planners", "GET", "/api/cases", since=due)
            op = operations[self.rng.randrange(len(operations))]
            await self.call(user, "planners", "GET", f"/api/operations/{op}")
            round_no += 1

    async def _plan(self, user: User, case_id: int) -> None:
        """Open an operation on ``case_id``, ask for its plan, poll the job until it is
        done or the mix is over."""
        lat, lon = self.world.meeting
        body = {
            "area": "sample",
            "meeting_lat": lat,
            "meeting_lon": lon,
            "window_start": WINDOW_START.isoformat(),
            "window_end": WINDOW_END.isoformat(),
        }
        made, sent = await self.call(
            user, "planners", "POST", f"/api/cases/{case_id}/operation", json=body
        )
        if made is None:
            return
        self.figures.case_writes.append((case_id, "contacted", sent))
        asked, sent = await self.call(
            user, "planners", "POST", f"/api/operations/{made.json()['id']}/plan"
        )
        if asked is None:
            return
        self.figures.case_writes.append((case_id, "contacted", sent))
        job_id = asked.json()["job_id"]
        self.figures.plans.append(None)
        slot = len(self.figures.plans) - 1
        while time.perf_counter() < self.deadline:
            await asyncio.sleep(POLL_S)
            job, _ = await self.call(user, "planners", "GET", f"/api/jobs/{job_id}")
            state = job.json() if job is not None else {}
            if state.get("status") == "done":
                self.figures.plans[slot] = time.perf_counter() - sent
                return
            if state.get("status") == "failed":
                self.figures.plan_errors.append(str(state.get("error")))
                return

    async def crew(self, user: User, index: int) -> None:
        op = self.world.crew_operations[user.name]
        lat, lon = self.world.meeting
        period = 1.0 / self.args.hz
        offset = self._offset(period)
        round_no = 0
        while tick := await self._pace("crews", round_no, period, offset):
            round_no, due = tick
            at = datetime.now(UTC).isoformat()
            step = round_no * 1e-5
            marker = f"{user.name}#{round_no}"
            body = {
                "positions": [
                    {"kind": "drone", "lat": lat + 0.01 - step, "lon": lon, "at": at,
                     "source": "vehicle", "label": "lead"},
                    {"kind": "person", "lat": lat + 0.012 - step, "lon": lon, "at": at,
                     "source": "track"},
                ],
                "status": marker,
            }  # fmt: skip
            self.figures.live_sent[marker] = (op, time.perf_counter())
            await self.call(
                user, "crews", "POST", f"/api/operations/{op}/live/positions", since=due, json=body
            )
            round_no += 1

    async def board(self, user: User, index: int, opened: list[asyncio.Event]) -> None:
        """Hold ``/api/events`` and one crew's live map open until cancelled."""
        crews = self.world.crews
        op = self.world.crew_operations[crews[index % len(crews)].name]
        cases: dict[tuple[int, str], list[float]] = collections.defaultdict(list)
        live: dict[str, float] = {}
        self.figures.case_arrivals.append(cases)
        self.figures.live_arrivals.append((op, live))

        def on_case(event: str, data: dict[str, object], now: float) -> None:
            if event == "case":
                cases[(int(data["id"]), str(data["status"]))].append(now)  # type: ignore[call-overload]
            elif event == "reset":
                self.figures.resets += 1

        def on_live(event: str, data: dict[str, object], now: float) -> None:
            live.setdefault(str(data.get("status", "")), now)

        first, second = asyncio.Event(), asyncio.Event()
        opened += [first, second]
        await asyncio.gather(
            self._listen(user, "/api/events", "ready", first, on_case),
            self._listen(user, f"/api/operations/{op}/live/events", "live", second, on_live),
        )

    async def _listen(
        self,
        user: User,
        path: str,
        first_event: str,
        opened: asyncio.Event,
        handle: Callable[[str, dict[str, object], float], None],
    ) -> None:
        """Read the Server-Sent Events of ``path``; ``opened`` is set at ``first_event``."""
        try:
            async with self.clients[user.base].stream(
                "GET", path, headers=user.headers, timeout=httpx2.Timeout(OPEN_S, read=None)
            ) as answer:
                if answer.status_code != 200:
                    self.figures.failures["boards"][f"HTTP {answer.status_code}"] += 1
                    return
                event, data = "", ""
                async for line in answer.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data = line[5:].strip()
                    elif not line and event:
                        handle(event, json.loads(data) if data else {}, time.perf_counter())
                        if event == first_event:
                            opened.set()
                        event, data = "", ""
        except httpx2.HTTPError as error:
            self.figures.failures["boards"][type(error).__name__] += 1
        finally:
            opened.set()  # a stream that failed does not hold the mix up

    async def _end_with_plans(self, count: int, seconds: float) -> None:
        """Bring the deadline in once ``count`` plans are done or failed."""
        figures = self.figures
        while time.perf_counter() < self.deadline:
            finished = sum(p is not None for p in figures.plans) + len(figures.plan_errors)
            if finished >= count:
                self.deadline = max(self.t0 + seconds, time.perf_counter())
                return
            await asyncio.sleep(POLL_S)

    # -------------------------------------------------------------- the run

    async def run(self, mix: str, seconds: float) -> Figures:
        world, figures = self.world, self.figures
        self.paced = mix != "saturation"
        plans = [] if mix != "planning" else world.to_plan[: self.args.plans]
        opened: list[asyncio.Event] = []
        boards = [asyncio.create_task(self.board(u, i, opened)) for i, u in enumerate(world.boards)]
        with contextlib.suppress(TimeoutError):
            while len(opened) < 2 * len(boards):
                await asyncio.sleep(0.01)
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), timeout=OPEN_S)
        self.t0 = time.perf_counter()
        self.deadline = self.t0 + seconds
        shares = len(world.planners)
        per_planner = [plans[i::shares] for i in range(shares)]
        users: list[Awaitable[None]] = [
            *(self.operator(u, i) for i, u in enumerate(world.operators)),
            *(self.planner(u, i, per_planner[i]) for i, u in enumerate(world.planners)),
            *(self.crew(u, i) for i, u in enumerate(world.crews)),
        ]
        if plans:
            # The mix lasts until its plans are done (their time under this load is one of
            # its figures), at least ``seconds`` and at most ``--plan-seconds``.
            self.deadline = self.t0 + max(seconds, self.args.plan_seconds)
            users.append(self._end_with_plans(len(plans), seconds))
        await asyncio.gather(*users)
        figures.wall = time.perf_counter() - self.t0
        await asyncio.sleep(GRACE_S)
        for task in boards:
            task.cancel()
        await asyncio.gather(*boards, return_exceptions=True)
        return figures


async def _run_mix(world: World, args: argparse.Namespace, mix: str) -> Figures:
    bases = {u.base for u in (*world.operators, *world.planners, *world.crews, *world.boards)}
    users = len(world.operators) + len(world.planners) + len(world.crews) + 2 * len(world.boards)
    limits = httpx2.Limits(max_connections=users + 4, max_keepalive_connections=users + 4)
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            base: await stack.enter_async_context(
                httpx2.AsyncClient(base_url=base, limits=limits, timeout=REQUEST_TIMEOUT_S)
            )
            for base in sorted(bases)
        }
        return await Mix(world, clients, args).run(mix, args.seconds)


# ----------------------------------------------------------------- the processes


@dataclass(frozen=True)
class Config:
    """A configuration measured: its label, servers, workers and backend."""

    label: str
    servers: int
    workers: int
    backend: str = "postgresql"


ONE = Config("1 process", 1, 1)
TWO = Config("2 processes", 2, 2)


@contextlib.contextmanager
def _database(config: Config, tmp: Path) -> Iterator[tuple[str, sa.Engine, str]]:
    """A fresh migrated database (a PostgreSQL schema, or a SQLite file in ``tmp``): its URL,
    an engine and what it is; the schema dropped at the end."""
    if config.backend == "sqlite":
        engine = create_store_engine(f"sqlite+pysqlite:///{tmp / 'data' / 'safeconduct.db'}")
        try:
            upgrade(engine)
            yield str(engine.url), engine, "a SQLite file"
        finally:
            engine.dispose()
        return
    base_url = parse_database_url(os.environ.get("SAFECONDUCT_BENCH_DB") or DEFAULT_DB)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        text = base_url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
        engine = create_store_engine(text)
        try:
            upgrade(engine)
            yield (
                text,
                engine,
                f"PostgreSQL {engine.dialect.server_version_info[0]}, schema {schema}",
            )
        finally:
            engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def _worker(url: str, data: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A ``safeconduct worker`` process, stopped (TERM, then KILL) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*_safeconduct(), "worker", "--db", url, "--data", str(data)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(),
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _serve_all(
    stack: contextlib.ExitStack, where: list[str], env: dict[str, str], logs: list[Path]
) -> list[str]:
    """``safeconduct serve`` once per log, started at the same time (each takes seconds to
    start); their base URLs, each stopped when ``stack`` closes, also if another failed."""
    servers = [served(where, env=env, log=log) for log in logs]
    with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
        starts = [pool.submit(server.__enter__) for server in servers]
        concurrent.futures.wait(starts)
    for server, start in zip(servers, starts, strict=True):
        if start.exception() is None:
            stack.push(server.__exit__)
    for start in starts:
        if (error := start.exception()) is not None:
            raise error
    return [start.result() for start in starts]


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i + 1}" for i in range(count)]


def _prepare(args: argparse.Namespace, bases: list[str], meeting: tuple[float, float]) -> World:
    """Sign the users in (user i on server i mod n; board i on the server after its
    crew's) and make, through the API, what they work on."""

    def user(name: str, role: str, server: int) -> User:
        base = bases[server % len(bases)]
        return User(name, role, base, sign_in(base, name))

    world = World(
        operators=[user(n, "operator", i) for i, n in enumerate(_names("op", args.operators))],
        planners=[user(n, "planner", i) for i, n in enumerate(_names("pl", args.planners))],
        crews=[user(n, "crew", i) for i, n in enumerate(_names("crew", args.crews))],
        boards=[user(n, "planner", i + 1) for i, n in enumerate(_names("board", args.boards))],
        chats={},
        crew_operations={},
        to_plan=[],
        meeting=meeting,
    )
    lat, lon = meeting
    operation = {
        "area": "sample",
        "meeting_lat": lat,
        "meeting_lon": lon,
        "window_start": WINDOW_START.isoformat(),
        "window_end": WINDOW_END.isoformat(),
    }

    # One kept-alive client per server: a fresh one per request costs more than the request.
    clients = {base: httpx2.Client(base_url=base, timeout=120) for base in bases}

    def post(who: User, path: str, **kwargs: object) -> dict[str, object]:
        answer = clients[who.base].post(path, headers=who.headers, **kwargs)  # type: ignore[arg-type]
        if answer.status_code >= 400:
            raise RuntimeError(
                f"setting up: POST {path} as {who.name} answered {answer.status_code}: "
                f"{answer.text[:300]}"
            )
        return answer.json()  # type: ignore[no-any-return]

    def new_case(who: User) -> int:
        return int(post(who, "/api/cases", json={"language": "ru", "channel": "chat"})["id"])  # type: ignore[call-overload]

    head, planner = world.operators[0], world.planners[0]
    try:
        for op in world.operators:
            world.chats[op.name] = []
            for _ in range(args.chats):
                case_id = new_case(op)
                hello = {"text": "hello", "direction": "in"}
                post(op, f"/api/cases/{case_id}/messages", data=hello)
                world.chats[op.name].append(case_id)
        for crew in world.crews:
            case_id = new_case(head)
            made = post(planner, f"/api/cases/{case_id}/operation", json=operation)
            assign = {"user": crew.name, "role": "crew"}
            post(planner, f"/api/cases/{case_id}/assignments", json=assign)
            post(crew, f"/api/operations/{made['id']}/live/engage")
            world.crew_operations[crew.name] = int(made["id"])  # type: ignore[call-overload]
        world.to_plan = [new_case(head) for _ in range(args.plans)]
    finally:
        for client in clients.values():
            client.close()
    return world


def run_config(
    config: Config, args: argparse.Namespace, tmp: Path, areas: Path, meeting: tuple[float, float]
) -> dict[str, Figures]:
    """Start the configuration's processes on a fresh database, run the mixes, print them."""
    folder = tmp / config.label.replace(" ", "-")
    data = folder / "data"
    data.mkdir(parents=True)
    (data / "areas").symlink_to(areas, target_is_directory=True)
    results: dict[str, Figures] = {}
    with _database(config, folder) as (url, engine, what), contextlib.ExitStack() as stack:
        ports = CaseworkPorts(database=SqlCaseworkDatabase(engine), passwords=FAST_PASSWORDS)
        for prefix, role, count in (
            ("op", "operator", args.operators),
            ("pl", "planner", args.planners),
            ("crew", "crew", args.crews),
            ("board", "planner", args.boards),
        ):
            for name in _names(prefix, count):
                add_user(ports, name, role, PASSWORD, actor=CONSOLE)
        engine.dispose()
        where = ["--data", str(data)] if config.backend == "sqlite" else ["--db", url]
        env = _env(SAFECONDUCT_DATA=str(data))
        logs = [folder / f"serve-{i + 1}.log" for i in range(config.servers)]
        started = time.perf_counter()
        bases = _serve_all(stack, where, env, logs)
        for i in range(config.workers):
            stack.enter_context(_worker(url, data, folder / f"worker-{i + 1}.log"))
        world = _prepare(args, bases, meeting)
        print(
            f"\n{config.label}: {config.servers} x serve"
            + (f" + {config.workers} x worker" if config.workers else " (in-process worker)")
            + f" on {what}; started and set up in "
            f"{time.perf_counter() - started:.1f} s (untimed); load average {_load_average()}"
        )
        for mix in args.mixes:
            figures = asyncio.run(_run_mix(world, args, mix))
            results[mix] = figures
            _print_mix(mix, figures, args, logs)
    return results


# ----------------------------------------------------------------- the tables


def _ms(values: list[float], q: float) -> str:
    return f"{_pct(values, q) * 1e3:.1f}" if values else "-"


def _describe(mix: str, args: argparse.Namespace) -> str:
    users = (
        f"{args.operators} operators, {args.planners} planners, {args.crews} crews, "
        f"{args.boards} boards"
    )
    if mix == "saturation":
        return f"{users}; no pauses (each user's next request as soon as the last is answered)"
    paced = (
        f"{users}; an operator's round every {OPERATOR_ROUND_S:g} s, a planner's every "
        f"{PLANNER_ROUND_S:g} s, crews at {args.hz:g} Hz (latency from when due)"
    )
    return paced + (f"; at most {args.plans} plans" if mix == "planning" else "")


def _print_mix(mix: str, figures: Figures, args: argparse.Namespace, logs: list[Path]) -> None:
    print(f"\n  mix {mix!r}, {figures.wall:.1f} s: {_describe(mix, args)}")
    print(
        f"  {'users':<28} {'requests':>8} {'errors':>7} {'skipped':>7} {'req/s':>7} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    rows = [(kind, figures.latencies.get(kind, []), figures.failures.get(kind)) for kind in KINDS]
    every = [x for _, lat, _ in rows for x in lat]
    every_failed = collections.Counter[str]()
    for counter in figures.failures.values():
        every_failed.update(counter)
    skipped = {**figures.skipped, "all": sum(figures.skipped.values())}
    for kind, lat, failed in [*rows, ("all", every, every_failed)]:
        errors = sum((failed or {}).values())
        print(
            f"  {kind:<28} {len(lat) + errors:>8} {errors:>7} {skipped.get(kind, 0):>7} "
            f"{len(lat) / figures.wall:>7.1f} {_ms(lat, 50):>8} {_ms(lat, 95):>8} "
            f"{_ms(lat, 99):>8}"
        )
    total_failed = sum(every_failed.values())
    if total_failed:
        print(f"  errors: {', '.join(f'{n} x {k}' for k, n in every_failed.most_common())}")
        for log in logs:
            for line in _server_errors(log):
                print(f"    {log.name}: {line}")
    cases, missed = figures.case_delivery()
    live, expected, seen = figures.live_delivery()
    print(
        f"  {'event delivery':<28} {'events':>8} {'missed':>7} {'':>15} {'p50 ms':>8} {'p95 ms':>8}"
    )
    print(
        f"  {'case changes (/api/events)':<28} {len(cases):>8} {missed:>7} {'':>15} "
        f"{_ms(cases, 50):>8} {_ms(cases, 95):>8}"
        + (f"  ({figures.resets} resets)" if figures.resets else "")
    )
    print(
        f"  {'live map (.../live/events)':<28} {seen:>8} {'':>7} {'':>15} {_ms(live, 50):>8} "
        f"{_ms(live, 95):>8}  ({expected - seen} of {expected} posts coalesced)"
    )
    if figures.plans or figures.plan_errors:
        done = [p for p in figures.plans if p is not None]
        print(
            f"  plans: {len(figures.plans)} asked, {len(done)} done"
            + (f" in {min(done):.1f}-{max(done):.1f} s" if done else "")
            + (f"; failed: {'; '.join(figures.plan_errors)}" if figures.plan_errors else "")
        )
    print(f"  load average after: {_load_average()}")


def _ratio(two: float, one: float) -> str:
    return f"{two / one:.2f}" if one > 0 and two == two and one == one else "-"


def _print_ratios(one: dict[str, Figures], two: dict[str, Figures]) -> None:
    print(
        "\ntwo processes against one (2-process / 1-process: throughput above 1 is more, "
        "latency below 1 is faster)"
    )
    print(f"  {'mix':<11} {'users':<22} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}")
    for mix in one:
        if mix not in two:
            continue
        a, b = one[mix], two[mix]
        for kind in (*KINDS, "all"):
            if kind == "all":
                la = [x for k in KINDS for x in a.latencies.get(k, [])]
                lb = [x for k in KINDS for x in b.latencies.get(k, [])]
            else:
                la, lb = a.latencies.get(kind, []), b.latencies.get(kind, [])
            print(
                f"  {mix:<11} {kind:<22} {_ratio(len(lb) / b.wall, len(la) / a.wall):>7} "
                + " ".join(f"{_ratio(_pct(lb, q), _pct(la, q)):>7}" for q in (50, 95, 99))
            )
        ca, cb = a.case_delivery()[0], b.case_delivery()[0]
        va, vb = a.live_delivery()[0], b.live_delivery()[0]
        for what, la, lb in (("case events delivery", ca, cb), ("live map delivery", va, vb)):
            print(
                f"  {mix:<11} {what:<22} {'':>7} "
                + " ".join(f"{_ratio(_pct(lb, q), _pct(la, q)):>7}" for q in (50, 95))
            )


# ----------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=None, help="seconds per mix (default 15)")
    ap.add_argument("--quick", action="store_true", help="fewer users, 5 s per mix, one plan")
    ap.add_argument("--operators", type=int, default=None, help="operators (default 4)")
    ap.add_argument("--planners", type=int, default=None, help="planners (default 2)")
    ap.add_argument("--crews", type=int, default=None, help="crews streaming (default 4)")
    ap.add_argument("--boards", type=int, default=None, help="boards streaming (default 4)")
    ap.add_argument("--hz", type=float, default=5.0, help="live posts a second per crew")
    ap.add_argument("--plans", type=int, default=None, help="plans in the planning mix (2)")
    ap.add_argument(
        "--plan-seconds",
        type=float,
        default=None,
        help="the planning mix runs until its plans are done, at most this long (60 s)",
    )
    ap.add_argument("--chats", type=int, default=3, help="cases each operator works on")
    ap.add_argument(
        "--max-requests", type=int, default=20_000, help="requests at most per mix (a bound)"
    )
    ap.add_argument("--mixes", default=",".join(MIXES), help=f"mixes to run, of {', '.join(MIXES)}")
    ap.add_argument(
        "--configs", default="1,2", help="PostgreSQL configurations: 1 and/or 2 processes"
    )
    ap.add_argument("--sqlite", action="store_true", help="also one SQLite process, for reference")
    # run_all.py passes its arguments to every benchmark; ignore the ones that are not ours.
    args, _ = ap.parse_known_args(argv)
    quick = args.quick
    for name, full, short in (
        ("seconds", 15.0, 5.0),
        ("operators", 4, 2),
        ("planners", 2, 1),
        ("crews", 4, 2),
        ("boards", 4, 2),
        ("plans", 2, 1),
        ("plan_seconds", 60.0, 30.0),
    ):
        if getattr(args, name) is None:
            setattr(args, name, short if quick else full)
    args.mixes = [m.strip() for m in args.mixes.split(",") if m.strip()]
    args.configs = {c.strip() for c in args.configs.split(",") if c.strip()}
    unknown = [m for m in args.mixes if m not in MIXES]
    if unknown or min(args.operators, args.planners, args.crews, args.boards, args.chats) < 1:
        ap.error(
            f"mixes are {', '.join(MIXES)} (not {', '.join(unknown)}); every kind of user "
            "needs at least one"
            if unknown
            else "every kind of user needs at least one (--operators, --planners, --crews, "
            "--boards, --chats)"
        )
    print(
        f"load mix against the coordination service; {_machine()}; up to "
        f"{args.max_requests} requests and {args.seconds:g} s per mix, 127.0.0.1 only"
    )
    configs = [c for c in (ONE, TWO) if str(c.servers) in args.configs]
    if args.sqlite:
        configs.append(Config("SQLite reference", 1, 0, backend="sqlite"))
    with tempfile.TemporaryDirectory(prefix="bench-load-") as name:
        tmp = Path(name)
        # Case codes and messages are sealed: every process here uses one throw-away key.
        key_file = tmp / "bench.key"
        bootstrap.write_new_key_file(key_file)
        os.environ["SAFECONDUCT_KEY_FILE"] = str(key_file)
        areas = tmp / "areas"
        bootstrap.areas().write_sample_area(areas / "sample")
        doc = json.loads((areas / "sample" / "meeting.geojson").read_text())
        lon, lat = doc["features"][0]["geometry"]["coordinates"][:2]
        results = {c.label: run_config(c, args, tmp, areas, (lat, lon)) for c in configs}
    if ONE.label in results and TWO.label in results:
        _print_ratios(results[ONE.label], results[TWO.label])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
