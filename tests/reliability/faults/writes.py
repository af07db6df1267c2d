"""Writes through the API while a fault strikes, and the checks made afterwards.

A :class:`Writers` pool runs client threads that write over HTTP, round after round: an
operator opens a case and adds a message to it, a registrar registers a prisoner. Every
write the service acknowledged (a 201 with its id) is remembered with what was sent; every
answer (status, ``Retry-After``, seconds taken) and every request that got no answer is
noted too.

Afterwards:

- :func:`check_acknowledged`: every acknowledged write reads back through the API,
  intact (the same case code, message text, prisoner's service number);
- :func:`check_records`: every case, message and prisoner in the database has its audit
  entry and every such entry its record (a write and its entry commit together), each
  one reads back through the API (its sealed fields open: no record without its data
  key), SQLite's ``PRAGMA integrity_check`` is ``ok``, and the audit chain verifies
  (:func:`safeconduct.services.audit.verify`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx2 as httpx
import sqlalchemy as sa

from safeconduct.adapters.store.engine import create_store_engine
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.services import audit
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from tests.conftest import TEST_CIPHER
from tests.store.conftest import FAST_PASSWORDS

PASSWORD = "correct horse battery staple"
#: The writers: an operator (cases and their messages) and a registrar (prisoners).
OPERATOR, REGISTRAR = "olga", "rita"
USERS = {OPERATOR: "operator", REGISTRAR: "registrar"}
#: Seconds a client waits for one answer: a safety net far above any answer expected.
REQUEST_TIMEOUT_S = 30.0

#: (table, audit action of its creation, audit record prefix) of each kind written.
KINDS = (
    ("cases", "case.open", "case:"),
    ("case_messages", "message_add", "message:"),
    ("prisoners", "prisoner.register", "prisoner:"),
)


def add_users(url: str, *, migrate: bool = False) -> None:
    """The writers' users, in the database at ``url`` (migrated first when asked)."""
    engine = create_store_engine(url)
    try:
        if migrate:
            upgrade(engine)
        ports = CaseworkPorts(
            database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
        )
        for name, role in USERS.items():
            add_user(ports, name, role, PASSWORD, actor=CONSOLE)
    finally:
        engine.dispose()


def sign_in(base: str) -> dict[str, str]:
    """A bearer token per writer, from ``POST /api/auth/token``."""
    tokens = {}
    for name in USERS:
        answer = httpx.post(
            f"{base}/api/auth/token", data={"username": name, "password": PASSWORD}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        tokens[name] = answer.json()["access_token"]
    return tokens


@dataclass(frozen=True)
class Ack:
    """A write the service acknowledged: its kind, id, and what must read back."""

    kind: str  # "case", "message", "prisoner"
    id: int
    expected: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """One request: its kind, status (None: no answer at all), seconds, Retry-After."""

    kind: str
    status: int | None
    seconds: float
    retry_after: str | None
    at: float  # time.monotonic() when it was sent
    detail: str = ""


def registration(n: int) -> dict[str, Any]:
    return {
        "surname": "Шевченко",
        "first_names": "Тарас",  # noqa: RUF001
        "rank": "рядовой",
        "date_of_birth": "1994-03-09",
        "service_number": f"FAULT-{n}",
        "captured_on": date.today().isoformat(),
        "health": "good",
        "language": "ru",
    }


@dataclass
class Writers:
    """Client threads writing through the API at ``base`` until :meth:`stop`.

    ``base`` may be changed while they run (a service started again elsewhere); they keep
    writing through a fault, noting every answer and every request left unanswered.
    """

    base: str
    tokens: dict[str, str]
    threads: int = 2
    acks: list[Ack] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: list[threading.Thread] = field(default_factory=list)
    _counter: int = 0

    def start(self) -> Writers:
        for n in range(self.threads):
            thread = threading.Thread(target=self._write, name=f"writer-{n}", daemon=True)
            thread.start()
            self._running.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._running:
            thread.join(REQUEST_TIMEOUT_S + 5)
            assert not thread.is_alive(), f"{thread.name} did not stop"

    def acked(self, kind: str | None = None) -> list[Ack]:
        with self._lock:
            return [a for a in self.acks if kind is None or a.kind == kind]

    def wait_for(self, count: int, timeout_s: float = 60.0) -> None:
        """Wait until ``count`` writes were acknowledged."""
        deadline = time.monotonic() + timeout_s
        while len(self.acked()) < count:
            assert time.monotonic() < deadline, (
                f"only {len(self.acked())} writes acknowledged in {timeout_s:.0f} s; answers: "
                f"{self.statuses()}"
            )
            time.sleep(0.05)

    def statuses(self, since: float = 0.0, until: float = float("inf")) -> dict[int | None, int]:
        """How many answers of each status (None: no answer) to requests sent between
        ``since`` and ``until`` (``time.monotonic()``)."""
        counted: dict[int | None, int] = {}
        for answer in self.sent(since, until):
            counted[answer.status] = counted.get(answer.status, 0) + 1
        return counted

    def sent(self, since: float = 0.0, until: float = float("inf")) -> list[Answer]:
        """The answers to requests sent between ``since`` and ``until``."""
        with self._lock:
            return [a for a in self.answers if since <= a.at < until]

    def _next(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _send(
        self, client: httpx.Client, kind: str, who: str, path: str, **request: Any
    ) -> dict[str, Any] | None:
        """One POST; the body of a 201, else None (noted either way)."""
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        try:
            answer = client.post(f"{self.base}{path}", headers=headers, **request)
        except httpx.TransportError as error:
            self._note(Answer(kind, None, time.monotonic() - started, None, started, repr(error)))
            time.sleep(0.05)  # the service is down: do not spin
            return None
        self._note(
            Answer(
                kind,
                answer.status_code,
                time.monotonic() - started,
                answer.headers.get("Retry-After"),
                started,
                answer.text[:300],
            )
        )
        if answer.status_code == 201:
            body: dict[str, Any] = answer.json()
            return body
        time.sleep(0.05)
        return None

    def _note(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)

    def _ack(self, ack: Ack) -> None:
        with self._lock:
            self.acks.append(ack)

    def _write(self) -> None:
        case_id: int | None = None
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
            while not self._stop.is_set():
                n = self._next()
                case = self._send(client, "case", OPERATOR, "/api/cases", json={"language": "uk"})
                if case is not None:
                    case_id = int(case["id"])
                    self._ack(Ack("case", case_id, {"case_code": case["case_code"],
                                                    "language": "uk"}))  # fmt: skip
                if case_id is not None:
                    text = f"fault message {n}"
                    message = self._send(client, "message", OPERATOR,
                                         f"/api/cases/{case_id}/messages",
                                         data={"text": text, "direction": "in"})  # fmt: skip
                    if message is not None:
                        self._ack(Ack("message", int(message["id"]),
                                      {"case_id": case_id, "text": text}))  # fmt: skip
                prisoner = self._send(client, "prisoner", REGISTRAR, "/api/custody/prisoners",
                                      json=registration(n))  # fmt: skip
                if prisoner is not None:
                    self._ack(Ack("prisoner", int(prisoner["id"]),
                                  {"prisoner_number": prisoner["prisoner_number"],
                                   "service_number": f"FAULT-{n}"}))  # fmt: skip


def _get(client: httpx.Client, base: str, token: str, path: str) -> httpx.Response:
    return client.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})


def check_acknowledged(base: str, tokens: dict[str, str], acks: list[Ack]) -> None:
    """Every acknowledged write reads back through the API at ``base``, as written."""
    operator, registrar = tokens[OPERATOR], tokens[REGISTRAR]
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        messages: dict[int, dict[int, str]] = {}
        for ack in acks:
            if ack.kind == "case":
                got = _get(client, base, operator, f"/api/cases/{ack.id}")
                assert got.status_code == 200, f"acknowledged case {ack.id} lost: {got.text}"
                body = got.json()
                assert {k: body[k] for k in ack.expected} == ack.expected, (ack, body)
            elif ack.kind == "message":
                case_id = ack.expected["case_id"]
                if case_id not in messages:
                    got = _get(client, base, operator, f"/api/cases/{case_id}/messages")
                    assert got.status_code == 200, got.text
                    messages[case_id] = {m["id"]: m["text"] for m in got.json()}
                assert messages[case_id].get(ack.id) == ack.expected["text"], (
                    f"acknowledged message {ack.id} of case {case_id} lost or changed: "
                    f"{messages[case_id]}"
                )
            else:
                got = _get(client, base, registrar, f"/api/custody/prisoners/{ack.id}")
                assert got.status_code == 200, f"acknowledged prisoner {ack.id} lost: {got.text}"
                body = got.json()
                assert body["prisoner_number"] == ack.expected["prisoner_number"], (ack, body)
                assert body["service_number"] == ack.expected["service_number"], (ack, body)


def check_records(
    url: str,
    base: str,
    tokens: dict[str, str],
    read: Sequence[Ack] = (),
) -> dict[str, int]:
    """Nothing half-written in the database at ``url`` and the audit chain verifies;
    every record reads through the API at ``base`` (those of ``read`` were read back by
    :func:`check_acknowledged` already). Returns the count of each table."""
    engine = create_store_engine(url)
    counts: dict[str, int] = {}
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                check = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                assert check == ["ok"], f"SQLite integrity_check: {check}"
            entries = connection.execute(sa.text("SELECT action, record FROM audit_entries")).all()
            ids: dict[str, set[int]] = {}
            for table, action, prefix in KINDS:
                rows = set(connection.execute(sa.text(f"SELECT id FROM {table}")).scalars())
                audited = {int(r[len(prefix) :]) for a, r in entries if a == action}
                assert rows == audited, (
                    f"{table}: records without their audit entry {sorted(rows - audited)}, "
                    f"audit entries ({action}) without their record {sorted(audited - rows)}"
                )
                ids[table], counts[table] = rows, len(rows)
            message_cases = dict(
                connection.execute(sa.text("SELECT id, case_id FROM case_messages")).all()
            )
        result = audit.verify(
            audit.AuditPorts(database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER))
        )
        assert result.ok, f"the audit chain does not verify: {result.message}"
        counts["audit_entries"] = result.entries
    finally:
        engine.dispose()
    # Every record, acknowledged or not, opens through the service (its key is there).
    done = {(a.kind, a.id) for a in read}
    acks = [Ack("case", i, {}) for i in ids["cases"] if ("case", i) not in done]
    acks += [Ack("prisoner", i, {}) for i in ids["prisoners"] if ("prisoner", i) not in done]
    unread = {c for m, c in message_cases.items() if ("message", m) not in done}
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        for ack in acks:
            token = tokens[OPERATOR if ack.kind == "case" else REGISTRAR]
            path = f"/api/cases/{ack.id}" if ack.kind == "case" else (
                f"/api/custody/prisoners/{ack.id}")  # fmt: skip
            got = _get(client, base, token, path)
            assert got.status_code == 200, f"{ack.kind} {ack.id} does not read: {got.text}"
        for case_id in unread:
            got = _get(client, base, tokens[OPERATOR], f"/api/cases/{case_id}/messages")
            assert got.status_code == 200, f"the messages of case {case_id}: {got.text}"
            shown = {m["id"] for m in got.json()}
            mine = {m for m, c in message_cases.items() if c == case_id}
            assert shown == mine, f"case {case_id}: messages {mine - shown} do not read"
    return counts
