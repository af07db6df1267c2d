"""Fault: the disk holding the service's data fills up under the running service.

The data folder (the SQLite database in WAL mode, or a PostgreSQL cluster of the test's
own; the exports kept for download; the areas) lives on a size-limited tmpfs
(:mod:`.full_disk`); ballast takes all its free space but a little. The service, as
``safeconduct serve`` builds it (bootstrap, migrations, the key file, the web app,
in-process), is written to until the disk is full and then some more: messages with
attachments, new cases, transitions, sign-ins, exports, an area upload.

What it checks, while full: every write is either acknowledged (2xx) or refused cleanly
(503 with ``Retry-After`` and a one-line message saying the disk is full; never a 500 or
a 400, never a hang), and a read that writes nothing goes on answering (a read that is
audited is refused like a write: an access that cannot be logged is not served). Then:
every acknowledged write is there intact, no refused one is (each record with its audit
entry, each entry with its record), no temporary or half-written file is in the data
folder, SQLite's ``PRAGMA integrity_check`` says ``ok``, the audit chain verifies. Then
the ballast is freed and, with no restart of the service or the database, the same
service takes every kind of write again and every acknowledged write reads back.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safeconduct import bootstrap
from safeconduct.entrypoints.web.app import create_app
from safeconduct.services import audit
from safeconduct.services.audit import AuditPorts
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from tests.cli import conftest as cli_conftest
from tests.cli.test_bad_input import one_line_error
from tests.conftest import TEST_KEY_FILE
from tests.reliability.faults.full_disk import Ballast, free_bytes, leftovers, refuse, small_disk
from tests.reliability.faults.processes import PrivateCluster, why_no_private_cluster
from tests.store.conftest import FAST_PASSWORDS

cli = cli_conftest.cli  # safeconduct's command line, run in this process

PASSWORD = "correct horse battery staple"
USERS = {"olga": "operator", "rita": "registrar", "petro": "planner"}
#: The tmpfs: room for the migrated database, a WAL of a few MiB, and the ballast; for
#: PostgreSQL, room for a cluster (about 40 MiB) and its first WAL segment.
DISK_MIB, PG_DISK_MIB = 24, 96
#: What the ballast leaves free: a few attachments' worth.
LEAVE = 1_500_000
#: One attachment: random (incompressible) bytes.
ATTACHMENT = 96 * 1024
#: Bounds: writes tried before giving up on filling the disk, refusals collected once full.
MOST_WRITES, REFUSALS = 200, 6


@dataclass
class Service:
    """The service on the small disk, and what it acknowledged."""

    client: TestClient
    data: Path
    ports: CaseworkPorts
    backend: str
    tokens: dict[str, str] = field(default_factory=dict)
    #: message id -> (case id, SHA-256 of its attachment)
    messages: dict[int, tuple[int, str]] = field(default_factory=dict)
    cases: dict[int, str] = field(default_factory=dict)  # case id -> status acknowledged
    exports: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)  # area names acknowledged
    freed: bool = False  # the disk's ballast given back
    answers: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def send(self, what: str, method: str, path: str, user: str | None, **kw: Any) -> Any:
        """One request; its answer noted (what, status, body)."""
        headers = self.headers(user) if user else {}
        response = self.client.request(method, path, headers=headers, **kw)
        try:
            body = response.json()
        except ValueError:
            body = {"raw": response.text[:200]}
        if not isinstance(body, dict):
            body = {"items": body}
        body["_retry_after"] = response.headers.get("retry-after")
        self.answers.append((what, response.status_code, body))
        return response


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """The service as serve builds it, its data on a small disk: SQLite in the data folder,
    or a PostgreSQL cluster of its own on the same disk (the data folder then holds only
    the files: exports, areas)."""
    postgres = request.param == "postgresql"
    with small_disk(PG_DISK_MIB if postgres else DISK_MIB) as disk:
        data = disk / "data"
        cluster = None
        if postgres:
            why = why_no_private_cluster()
            if why is not None:
                refuse(why)
            (disk / "pg").mkdir()
            cluster = PrivateCluster(disk / "pg")
            cluster.initdb()
            cluster.start()
            data.mkdir()
            monkeypatch.setenv("SAFECONDUCT_DATA", str(data))  # the files' folder, as serve's
        try:
            # Migrated first, as serve does.
            ports = bootstrap.casework_ports(data=None if cluster else data,
                                             db=cluster.url() if cluster else None)  # fmt: skip
            try:
                bootstrap.unlock_store(ports, TEST_KEY_FILE)
                ports = replace(ports, passwords=FAST_PASSWORDS)
                for name, role in USERS.items():
                    add_user(ports, name, role, PASSWORD, actor=CONSOLE)
                with TestClient(create_app(ports), raise_server_exceptions=False) as client:
                    yield Service(client=client, data=data, ports=ports, backend=request.param)
            finally:
                ports.database.close()
        finally:
            if cluster is not None:
                cluster.stop()


def _sign_in(service: Service, user: str) -> int:
    response = service.send(
        "sign-in", "POST", "/api/auth/token", None,
        data={"username": user, "password": PASSWORD},
    )  # fmt: skip
    if response.status_code == 200:
        service.tokens[user] = response.json()["access_token"]
    return response.status_code


def _open_case(service: Service) -> int:
    response = service.send("open case", "POST", "/api/cases", "olga", json={"language": "uk"})
    if response.status_code == 201:
        found = response.json()
        service.cases[found["id"]] = found["status"]
    return response.status_code


def _message(service: Service, case_id: int, n: int) -> int:
    blob = os.urandom(ATTACHMENT)
    text = f"message {n}"
    response = service.send(
        "message", "POST", f"/api/cases/{case_id}/messages", "olga",
        data={"text": text, "direction": "in"},
        files={"attachment": (f"photo-{n}.bin", blob, "application/octet-stream")},
    )  # fmt: skip
    if response.status_code == 201:
        service.messages[response.json()["id"]] = (case_id, hashlib.sha256(blob).hexdigest())
    return response.status_code


def _transition(service: Service, case_id: int) -> int:
    response = service.send(
        "transition", "POST", f"/api/cases/{case_id}/transitions", "olga",
        json={"transition": "schedule"},
    )  # fmt: skip
    if response.status_code == 200:
        service.cases[case_id] = response.json()["status"]
    return response.status_code


def _export(service: Service, case_id: int) -> int:
    response = service.send(
        "export", "POST", "/api/exports", "rita",
        json={"case_id": case_id, "purpose": "ICRC tracing request", "password": "a" * 16},
    )  # fmt: skip
    if response.status_code == 201:
        service.exports.append(response.json()["id"])
    return response.status_code


@pytest.fixture
def area_upload() -> dict[str, tuple[str, bytes]]:
    """An area upload of the right shape whose files are noise: the layers are written to
    the disk before they are checked, so a full disk refuses it first (the real sample
    area takes seconds to make; its checks are tests/web/test_areas.py's)."""
    from safeconduct.adapters.files.area_uploads import LAYER_FILES

    return {layer: (name, os.urandom(ATTACHMENT)) for layer, name in LAYER_FILES.items()}


def _area(service: Service, files: dict[str, tuple[str, bytes]], name: str) -> int:
    response = service.send(
        "area upload", "POST", "/api/areas", "petro", data={"name": name}, files=files
    )
    if response.status_code == 201:
        service.areas.append(name)
    return response.status_code


def test_a_full_disk_refuses_writes_cleanly_loses_nothing_and_recovers(
    service: Service, area_upload: dict[str, tuple[str, bytes]]
) -> None:
    """FILLED the disk of the data folder (SQLite, exports) under the running service.

    CHECKED: every write answered 2xx or a clean refusal (503, ``Retry-After``, a message
    saying the disk is full; never a 500 or a 400), reads that write nothing went on;
    then, still full, every acknowledged write is in the database intact and no refused
    one is, each record has its audit entry and each entry its record, no temporary or
    half-written file is left (exports: archive and meta both or neither), SQLite's
    integrity check passes, the audit chain verifies; freed, the same service (no
    restart) takes every kind of write again and every acknowledged write reads back.
    """
    for user in USERS:
        assert _sign_in(service, user) == 200
    assert _open_case(service) == 201
    case_id = next(iter(service.cases))
    assert _export(service, case_id) == 201
    ballast = Ballast(service.data.parent)
    ballast.fill(leave=LEAVE)

    # Messages with attachments until the disk refuses some...
    refused = 0
    for n in range(MOST_WRITES):
        refused += _message(service, case_id, n) != 201
        if refused >= REFUSALS:
            break
    assert refused >= REFUSALS, (
        f"{MOST_WRITES} messages of {ATTACHMENT} bytes all stored with "
        f"{free_bytes(service.data)} bytes free: the disk never filled"
    )
    # ...then, not one byte free, every other kind of write (a small one may still fit
    # in the database's write-ahead log: acknowledged, it must be kept like the others).
    ballast.fill()
    _open_case(service)
    _transition(service, case_id)
    _sign_in(service, "olga")
    assert _export(service, case_id) != 201, "an export was kept on a disk with no byte free"
    assert _area(service, area_upload, "ridge") != 201, "an area was kept with no byte free"
    _message(service, case_id, MOST_WRITES)
    service.send("audited read", "GET", f"/api/cases/{case_id}", "olga")
    listed = service.send("list", "GET", "/api/cases", "olga")  # writes nothing: answers
    assert listed.status_code == 200, f"a read that writes nothing failed: {listed.text}"

    _check_answers(service)
    _check_nothing_lost(service)

    ballast.free()
    service.freed = True
    assert _message(service, case_id, MOST_WRITES + 1) == 201
    assert _open_case(service) == 201
    assert _transition(service, case_id) == 200
    assert _sign_in(service, "olga") == 200
    assert _export(service, case_id) == 201
    # Written again, and refused for what it holds (noise, not an area), not for space.
    assert _area(service, area_upload, "ridge") == 400
    assert "disk" not in service.answers[-1][2]["detail"]
    _check_answers(service)
    _check_nothing_lost(service)
    for message_id, (in_case, digest) in service.messages.items():  # audited reads now
        got = service.send(
            "read back", "GET", f"/api/cases/{in_case}/messages/{message_id}/attachment", "olga"
        )
        assert got.status_code == 200, f"acknowledged message {message_id}: {got.text}"
        assert hashlib.sha256(got.content).hexdigest() == digest, message_id


def _check_answers(service: Service) -> None:
    """Every answer a success or a clean full-disk refusal: never a 500, never a 4xx."""
    for what, status, body in service.answers:
        if status < 300 or (what == "area upload" and status == 400 and service.freed):
            continue  # once freed, the noise is refused for what it is
        assert status == 503, f"{what} on a full disk answered {status}: {body}"
        detail = str(body.get("detail"))
        assert "disk" in detail and "is full" in detail, f"{what}: {body}"
        assert body["_retry_after"] and int(body["_retry_after"]) >= 1, f"{what}: {body}"


def _check_nothing_lost(service: Service) -> None:
    """What was acknowledged is there intact, what was refused is not, nothing half-done.

    Read through a read-only unit of work, which writes nothing (the disk may be full).
    """
    assert leftovers(service.data) == [], "a write cut short left files behind"
    areas = service.data / "areas"
    found = sorted(p.name for p in areas.iterdir()) if areas.exists() else []
    assert found == service.areas, "an area was kept that was refused, or half of one"
    kept = sorted(p.name for p in (service.data / "exports").iterdir())
    assert kept == sorted(f"{e}.{x}" for e in service.exports for x in ("json", "zip")), (
        "the exports kept are not exactly the acknowledged ones, each with its meta"
    )
    if service.backend == "sqlite":
        database = service.data / "safeconduct.db"
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    checked = audit.verify(AuditPorts(database=service.ports.database))
    assert checked.ok, checked
    with service.ports.database.unit_of_work(read_only=True) as uow:
        entries = list(uow.audit.all())
        for message_id, (in_case, digest) in service.messages.items():
            found = uow.messages.get(message_id)
            assert found is not None, f"acknowledged message {message_id} is gone"
            assert found.case_id == in_case and found.attachment is not None
            assert hashlib.sha256(found.attachment).hexdigest() == digest, message_id
        stored = set(uow.messages.ids_for_case(next(iter(service.cases))))
        statuses = {i: str(uow.cases.get_by_id(i).case.status) for i in service.cases}  # type: ignore[union-attr]
        case_ids = {c.id for c in uow.cases.list_page(limit=100)}
    # Refused writes left nothing: exactly the acknowledged records, each with its entry.
    assert stored == set(service.messages), "a refused message was stored, or one lost"
    assert case_ids == set(service.cases), "a refused case was stored, or one lost"
    assert statuses == service.cases, "a case's status is not the one acknowledged"
    audited = {(e.entry.action, e.entry.record) for e in entries}
    assert {r for a, r in audited if a == "message_add"} == {f"message:{i}" for i in stored}
    assert {r for a, r in audited if a == "case.open"} == {f"case:{i}" for i in case_ids}


def test_a_database_that_reports_a_full_disk_is_a_clean_refusal() -> None:
    """Both backends' "disk full" (SQLite's SQLITE_FULL, PostgreSQL's SQLSTATE 53100)
    become a DiskFullError (503 with Retry-After on the web), not "cannot use the
    database"; other failures keep their meaning."""
    import psycopg
    import sqlalchemy as sa

    from safeconduct.adapters.store.engine import database_errors
    from safeconduct.entrypoints.web.errors import status_for
    from safeconduct.errors import BadFileError, DiskFullError

    full_sqlite = sqlite3.OperationalError("database or disk is full")
    full_postgres = psycopg.errors.DiskFull("could not extend file: No space left on device")
    url = sa.make_url("sqlite+pysqlite:////nowhere/safeconduct.db")
    for orig in (full_sqlite, full_postgres):
        with pytest.raises(DiskFullError) as raised, database_errors(url):
            raise sa.exc.OperationalError("INSERT ...", {}, orig)
        status, headers = status_for(raised.value)
        assert (status, headers) == (503, {"Retry-After": str(raised.value.retry_after_s)})
        assert "disk holding the database is full" in raised.value.message
        assert "/nowhere" not in raised.value.message  # no server path to API clients
    with pytest.raises(BadFileError) as other, database_errors(url):
        raise sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error"))
    assert not isinstance(other.value, DiskFullError)


def test_an_atomic_write_on_a_full_disk_is_refused_and_leaves_the_old_file() -> None:
    """FILLED a small disk holding a file; CHECKED that rewriting it atomically (bytes,
    text) is refused as a full disk, leaves the old content and no temporary file."""
    from safeconduct.adapters.files.atomic import write_bytes_atomic, write_text_atomic
    from safeconduct.errors import DiskFullError

    with small_disk(1) as disk:
        path = disk / "note.txt"
        write_text_atomic(path, "before")
        Ballast(disk).fill()
        for write in (
            lambda: write_bytes_atomic(path, b"x" * 65536),
            lambda: write_text_atomic(path, "y" * 65536),
        ):
            with pytest.raises(DiskFullError, match="disk is full"):
                write()
            assert path.read_text() == "before"
            assert leftovers(disk) == []


def test_a_backup_onto_a_full_disk_says_so_and_leaves_nothing(cli, tmp_path: Path) -> None:
    """FILLED the disk the backup goes to but 64 KiB (less than the backup); CHECKED:
    ``safeconduct backup`` fails in one line saying the disk is full (exit 1, no
    traceback), leaving neither the backup nor a temporary file there. Then freed the
    disk, backed up, FILLED it again and restored onto it; CHECKED: the same refusal
    (``--data``), no database and no temporary file left. Freed it; CHECKED: the same
    restore succeeds."""
    data = ["--data", str(tmp_path / "data")]
    assert cli("cases", "new", "--lang", "uk", *data).code == 0
    with small_disk(4) as disk:
        ballast = Ballast(disk)
        ballast.fill(leave=64 * 1024)
        out = disk / "safeconduct.scb"
        line = one_line_error(cli("backup", "--out", str(out), *data), code=1)
        assert line.startswith("safeconduct: error: --out: cannot write ")
        assert "the disk is full; nothing was written" in line
        assert not out.exists() and leftovers(disk) == []
        ballast.free()
        assert cli("backup", "--out", str(out), *data).code == 0

        ballast.fill(leave=64 * 1024)
        target = ["--data", str(disk / "restored")]
        line = one_line_error(cli("restore", str(out), *target), code=1)
        assert line.startswith("safeconduct: error: --data: cannot write ")
        assert "the disk is full" in line
        assert not (disk / "restored" / "safeconduct.db").exists()
        assert leftovers(disk) == []
        ballast.free()
        restored = cli("restore", str(out), *target)
        assert restored.code == 0, restored.err


def test_keys_made_on_a_full_disk_are_not_left_half_written() -> None:
    """FILLED a small disk before the audit checkpoints' first signing key and a store's
    key file were made; CHECKED: each is refused as a full disk, and neither a key (empty
    or cut: every later use would refuse it, and a cut key file locks its records away)
    nor a temporary file is left. Freed it; CHECKED: both are made, the checkpoint is
    signed and reads back, the key file reads back, both 0600."""
    from safeconduct.adapters.crypto.keyfile import new_master_key, read_key_file, write_key_file
    from safeconduct.adapters.store.audit import Ed25519Checkpoints
    from safeconduct.audit.chain import GENESIS, Checkpoint
    from safeconduct.errors import DiskFullError

    with small_disk(1) as disk:
        keys = disk / "keys"
        keys.mkdir()
        out, signing, master = disk / "checkpoint.json", keys / "signing.key", keys / "store.key"
        point = Checkpoint(seq=0, head=GENESIS, at=datetime.now(UTC))
        made = new_master_key()
        ballast = Ballast(disk)
        ballast.fill()
        with pytest.raises(DiskFullError, match=r"signing key .* the disk is full"):
            Ed25519Checkpoints().write(point, out, signing)
        with pytest.raises(DiskFullError, match=r"key file .* the disk is full"):
            write_key_file(master, made)
        assert list(keys.iterdir()) == [] and leftovers(disk) == []
        ballast.free()
        assert Ed25519Checkpoints().write(point, out, signing) is True  # the key was created
        read = Ed25519Checkpoints().read(out)
        assert (read.seq, read.head) == (0, GENESIS)
        write_key_file(master, made)
        assert read_key_file(master).key_id == made.key_id
        assert {p.stat().st_mode & 0o777 for p in (signing, master)} == {0o600}
