"""Live case changes: ``GET /api/events`` streams a change after it commits, resumes from
``Last-Event-ID``, shows each user only the cases they may see, and on PostgreSQL a change
made through one broker (one server process) reaches every other through NOTIFY."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from safeconduct.adapters.events.memory import ChangeRing
from safeconduct.adapters.events.postgres import PostgresChangeBroker, channel_for
from safeconduct.adapters.store.engine import create_store_engine
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.entrypoints.web.app import create_app
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from safeconduct.services.ports import CaseChange
from tests.conftest import TEST_CIPHER
from tests.served import free_port
from tests.store.conftest import FAST_PASSWORDS, Store
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import PASSWORD, bearer, sign_in

Event = tuple[str | None, str, dict[str, object]]  # id, event, data
_SERVE = "import sys; from safeconduct.entrypoints.cli.app import main; main(sys.argv[1:])"


def parse_events(text: str) -> list[Event]:
    """The events of a Server-Sent Events body (comments and ``retry`` left out)."""
    events: list[Event] = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        if "event" in fields:
            events.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
    return events


def stream(
    client: TestClient, headers: dict[str, str], seconds: float = 0.0, **params: str
) -> list[Event]:
    """Read ``/api/events`` for ``seconds`` (the stream then ends, as it does for
    reconnecting browsers after :data:`~safeconduct.entrypoints.web.events.STREAM_S`)."""
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.event_stream_s = seconds
    answer = client.get("/api/events", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/event-stream")
    return parse_events(answer.text)


def _open(client: TestClient, token: str) -> int:
    answer = client.post("/api/cases", json={"language": "ru"}, headers=bearer(token))
    assert answer.status_code == 201
    return int(answer.json()["id"])


def _move(client: TestClient, token: str, case_id: int, transition: str) -> None:
    answer = client.post(
        f"/api/cases/{case_id}/transitions", json={"transition": transition}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text


def test_a_transition_appears_on_an_open_stream(client: TestClient, users: dict[str, str]) -> None:
    olga, petro = sign_in(client, "olga"), sign_in(client, "petro")
    case_id = _open(client, olga)
    other = TestClient(client.app)

    def later() -> None:
        time.sleep(0.4)
        _move(other, olga, case_id, "schedule")

    mover = threading.Thread(target=later)
    started = time.monotonic()
    mover.start()
    # 3 s of stream for a change made after 0.4 s: room for a slow commit on a busy machine.
    events = stream(client, bearer(petro), seconds=3.0)
    mover.join()
    assert time.monotonic() - started < 10
    kinds = [kind for _, kind, _ in events]
    assert kinds == ["ready", "case"], events
    event_id, _, data = events[1]
    assert event_id and event_id != events[0][0]
    # Which case, its code and status and when: nothing personal, no user name.
    assert set(data) == {"id", "case_code", "printed_code", "status", "at"}
    assert (data["id"], data["status"]) == (case_id, "scheduled")
    assert datetime.fromisoformat(str(data["at"])).tzinfo is not None


def test_a_stream_resumes_from_last_event_id(client: TestClient, users: dict[str, str]) -> None:
    olga, petro = sign_in(client, "olga"), sign_in(client, "petro")
    [(start, kind, _)] = stream(client, bearer(petro))
    assert kind == "ready" and start
    case_id = _open(client, olga)
    _move(client, olga, case_id, "schedule")
    _move(client, petro, case_id, "plan")
    missed = stream(client, bearer(petro) | {"Last-Event-ID": start})
    assert [(k, d.get("status")) for _, k, d in missed] == [
        ("case", "contacted"),
        ("case", "scheduled"),
        ("case", "planned"),
        ("ready", None),
    ]
    ids = [i for i, _, _ in missed]
    assert len(set(ids)) == 3 and ids[2] == ids[3]  # ready carries the newest id
    # From the second: only the third; the page's ?after= works the same way.
    again = stream(client, bearer(petro) | {"Last-Event-ID": str(ids[1])})
    assert [d.get("status") for _, k, d in again if k == "case"] == ["planned"]
    assert stream(client, bearer(petro), after=str(ids[1]))[0][2]["status"] == "planned"
    # Nothing new: only ready. An id this process does not know: reload everything.
    assert [k for _, k, _ in stream(client, bearer(petro) | {"Last-Event-ID": ids[3]})] == ["ready"]
    for unknown in ("deadbeef-2", "nonsense", str(ids[0]).split("-")[0] + "-99"):
        kinds = [k for _, k, _ in stream(client, bearer(petro) | {"Last-Event-ID": unknown})]
        assert kinds == ["reset", "ready"], unknown


def test_a_stream_shows_only_the_cases_the_user_may_see(
    client: TestClient, users: dict[str, str]
) -> None:
    tokens = {name: sign_in(client, name) for name in ("olga", "oleh", "petro", "kyrylo")}
    [(start, _, _)] = stream(client, bearer(tokens["petro"]))
    mine, his = _open(client, tokens["olga"]), _open(client, tokens["oleh"])

    def seen(who: str) -> list[object]:
        events = stream(client, bearer(tokens[who]) | {"Last-Event-ID": str(start)})
        return [d["id"] for _, k, d in events if k == "case"]

    assert seen("petro") == [mine, his]
    assert seen("olga") == [mine]
    assert seen("oleh") == [his]
    assert seen("kyrylo") == []


def test_the_stream_needs_a_sign_in_and_a_role_that_sees_cases(
    client: TestClient, users: dict[str, str]
) -> None:
    answer = client.get("/api/events")
    assert answer.status_code == 401 and answer.json()["field"] == "token"
    assert client.get("/api/events", headers=bearer("forged")).status_code == 401
    for who in ("anya", "adam"):  # auditor, administrator: no case at all
        assert client.get("/api/events", headers=bearer(sign_in(client, who))).status_code == 403
    # A browser's session cookie is enough (EventSource sends no headers).
    browser_sign_in(client, "petro")
    assert [k for _, k, _ in stream(client, {})] == ["ready"]


def test_the_ring_forgets_the_oldest_and_says_so() -> None:
    ring = ChangeRing(capacity=2)
    change = CaseChange(case_id=1, case_code="7KDMTW3A", status="contacted", at=datetime.now(UTC))
    start = ring.after(None).cursor
    ids = [ring.append(change) for _ in range(3)]
    assert ring.after(start).reset  # the first one has dropped out
    assert [i for i, _ in ring.after(ids[0]).changes] == ids[1:]
    ring.break_continuity()
    assert ring.after(ids[2]).reset


# ----------------------------------------------------------------- PostgreSQL


def _postgres_only(store: Store) -> None:
    if store.backend != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")


def _wait_for(predicate: object, seconds: float = 1.0) -> float:
    """Seconds until ``predicate()`` held; fails after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.01)
    raise AssertionError(f"not within {seconds} s")


def test_a_notify_from_one_broker_reaches_another_within_a_second(
    store: Store, engine: sa.Engine
) -> None:
    _postgres_only(store)
    publisher, listener = PostgresChangeBroker(store.url), PostgresChangeBroker(store.url)
    try:
        assert listener.start()
        start = listener.after(None).cursor
        change = CaseChange(
            case_id=7, case_code="7KDMTW3A", status="scheduled", at=datetime.now(UTC)
        )
        publisher.publish(change)
        _wait_for(lambda: listener.after(start).changes)
        [(_, heard)] = listener.after(start).changes
        assert heard == change
        # Each schema has its own channel: another store on the same server hears nothing.
        assert listener.channel == publisher.channel != channel_for("public")
    finally:
        publisher.close()
        listener.close()


def test_two_server_processes_share_changes_through_postgresql(
    store: Store, engine: sa.Engine
) -> None:
    _postgres_only(store)
    apps = []
    for _ in range(2):  # two apps with brokers of their own: two server processes
        ports = CaseworkPorts(
            database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
        )
        apps.append(TestClient(create_app(ports)))
    add_user(
        apps[0].app.state.ports, "olga", "operator", "correct horse battery staple", actor=CONSOLE
    )
    add_user(
        apps[0].app.state.ports, "petro", "planner", "correct horse battery staple", actor=CONSOLE
    )
    first, second = apps
    olga = sign_in(first, "olga", "correct horse battery staple")
    petro = sign_in(second, "petro", "correct horse battery staple")
    [(start, _, _)] = stream(second, bearer(petro))  # the second one listens from now on
    case_id = _open(first, olga)
    feed = second.app.state.ports.events
    took = _wait_for(lambda: feed.after(start).changes)
    assert took < 1.0
    events = stream(second, bearer(petro) | {"Last-Event-ID": str(start)})
    assert [(k, d.get("id")) for _, k, d in events] == [("case", case_id), ("ready", None)]
    for client in apps:
        client.app.state.ports.events.close()


def test_ctrl_c_stops_the_server_while_a_board_listens(tmp_path: Path) -> None:
    """uvicorn waits for open responses before stopping; an event stream must end then."""
    data = tmp_path / "data"
    ports = CaseworkPorts(
        database=SqlCaseworkDatabase(
            create_store_engine(f"sqlite:///{data / 'safeconduct.db'}"), cipher=TEST_CIPHER
        ),
        passwords=FAST_PASSWORDS,
    )
    upgrade(ports.database.engine)  # type: ignore[attr-defined]
    add_user(ports, "petro", "planner", PASSWORD, actor=CONSOLE)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    heard: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
            try:
                httpx.get(f"{base}/api/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/auth/token", data={"username": "petro", "password": PASSWORD}
        ).json()["access_token"]

        def listen() -> None:
            with httpx.stream("GET", f"{base}/api/events", headers=bearer(token), timeout=30) as r:
                for line in r.iter_lines():
                    heard.append(line)

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        _wait_for(lambda: "event: ready" in heard, seconds=10)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)  # before the fix: waited for the stream forever
        listener.join(timeout=5)
        assert not listener.is_alive()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
