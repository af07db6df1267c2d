"""Backup and restore of the whole store, on SQLite and PostgreSQL (services/backup.py).

A backup taken while another thread writes restores into an empty database with every
acknowledged-before-the-backup record, no half-written one and a verifying audit chain;
a quiet database round-trips with every row of every table equal (procrastinate's job
tables too); and each refusal leaves the target as empty as it was: a non-empty target, a
backup from a newer schema, another key file, a damaged or cut file, a load that fails
half-way, the other kind of database, a missing or old ``pg_dump``. An older revision's
backup is restored and migrated to the newest. The container itself is checked by
property: any content round-trips, and any flipped byte or cut is refused.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import struct
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from safeconduct.adapters.crypto.backup_file import MAGIC, BackupFileCipher
from safeconduct.adapters.crypto.keyfile import new_master_key, read_key_file
from safeconduct.adapters.store.backup import SqlDatabaseDumps, known_revisions
from safeconduct.adapters.store.engine import create_store_engine
from safeconduct.adapters.store.migrate import current_revision, upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.errors import BadFileError, InvalidValueError, MissingExtraError
from safeconduct.services import messages
from safeconduct.services.backup import BackupPorts, make_backup, restore_backup
from safeconduct.services.casework import (
    CONSOLE,
    CaseworkPorts,
    add_user,
    open_case,
    transition_case,
)
from safeconduct.services.ports import BackupHeader, TableDigest
from tests.conftest import TEST_CIPHER, TEST_KEY_FILE, pid_that_has_ended
from tests.store.conftest import FAST_PASSWORDS, Store, _postgres_error

FILES = BackupFileCipher(read_key_file(TEST_KEY_FILE))


@dataclass
class Target:
    """An empty database to restore into, and its engine."""

    store: Store
    engine: Engine

    def ports(self) -> BackupPorts:
        return BackupPorts(
            dumps=SqlDatabaseDumps(self.engine, cipher=TEST_CIPHER),
            files=FILES,
            audit=SqlCaseworkDatabase(self.engine, cipher=TEST_CIPHER),
        )

    def is_empty(self) -> bool:
        return SqlDatabaseDumps(self.engine).contents() == []


@pytest.fixture
def target(store: Store, tmp_path: Path) -> Iterator[Target]:
    """An empty database of ``store``'s kind: a new data folder, or a new PostgreSQL
    database (created here, dropped at the end) whose search path names the source's schema."""
    if store.backend == "sqlite":
        url = f"sqlite+pysqlite:///{tmp_path / 'restored' / 'safeconduct.db'}"
        empty = Store("sqlite", url, ["--data", str(tmp_path / "restored")])
        yield Target(empty, empty.engine())
        empty.close()
        return
    assert _postgres_error() is None
    source = sa.make_url(store.url)
    name = f"restore_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(source, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = source.set(database=name).render_as_string(hide_password=False)
    empty = Store("postgresql", url, ["--db", url])
    try:
        yield Target(empty, empty.engine())
    finally:
        empty.close()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _source(engine: Engine) -> BackupPorts:
    return BackupPorts(
        dumps=SqlDatabaseDumps(engine, cipher=TEST_CIPHER),
        files=FILES,
        audit=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER),
    )


def _casework(engine: Engine) -> tuple[CaseworkPorts, messages.MessagesPorts]:
    database = SqlCaseworkDatabase(engine, cipher=TEST_CIPHER)
    return (
        CaseworkPorts(database=database, passwords=FAST_PASSWORDS),
        messages.MessagesPorts(database=database),  # type: ignore[arg-type]
    )


def _fill(engine: Engine, rng: random.Random, cases: int = 4) -> None:
    """Users, cases in several states, messages with attachments (sealed by the cipher)."""
    casework, talk = _casework(engine)
    add_user(casework, "olga", "operator", "amber tide lantern", actor=CONSOLE)
    add_user(casework, "petro", ["planner", "crew"], "quiet moss ferry", actor=CONSOLE)
    for i in range(cases):
        case = open_case(casework, language=rng.choice(["ru", "uk"]), actor=CONSOLE)
        if i % 2:
            transition_case(casework, case.id, "schedule", actor=CONSOLE)
        messages.add_message(talk, case.id, text=f"Меня зовут {i} \u2028 ' ; --", direction="in",
                             actor=CONSOLE)  # fmt: skip
        messages.add_message(talk, case.id, text="", attachment_name="a.bin",
                             attachment_type="application/octet-stream",
                             attachment=rng.randbytes(300), actor=CONSOLE)  # fmt: skip


def _rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in primary-key order (reflection, not the adapter's code)."""
    found: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for name in inspector.get_table_names():
            table = sa.Table(name, sa.MetaData(), autoload_with=connection)
            keys = list(table.primary_key.columns) or list(table.columns)
            found[name] = [tuple(r) for r in connection.execute(sa.select(table).order_by(*keys))]
    return found


def _with_procrastinate(store: Store, engine: Engine) -> None:
    """On PostgreSQL: procrastinate's tables, and one deferred job in them."""
    if store.backend != "postgresql":
        return
    from safeconduct.adapters.jobs.procrastinate_queue import ProcrastinateJobQueue, apply_schema

    apply_schema(engine.url)
    queue = ProcrastinateJobQueue(engine.url)
    try:
        queue.enqueue(1)
    finally:
        queue.close()


# ---------------------------------------------------------------------- round trips


def test_round_trip_every_row_equal(
    store: Store, engine: Engine, target: Target, tmp_path: Path
) -> None:
    """Backup of a quiet database, restored into an empty one: every row of every table
    equal to the source's, plus one audit entry for the restore itself."""
    _fill(engine, random.Random(7))
    _with_procrastinate(store, engine)
    made = make_backup(_source(engine), tmp_path / "b.scb", actor=CONSOLE)
    assert (tmp_path / "b.scb").stat().st_mode & 0o077 == 0, "readable by its owner only"
    assert made.header.revision == known_revisions()[-1]
    before = _rows(engine)
    assert len(before["cases"]) == 4 and len(before["case_messages"]) == 8
    if store.backend == "postgresql":
        assert len(before["procrastinate_jobs"]) == 1, "procrastinate's tables are backed up"

    done = restore_backup(target.ports(), tmp_path / "b.scb", actor=CONSOLE)

    after = _rows(target.engine)
    assert set(after) == set(before), "the same tables"
    for name, rows in before.items():
        if name != "audit_entries":
            assert after[name] == rows, f"table {name}: restored rows differ"
    assert after["audit_entries"][:-1] == before["audit_entries"]
    assert after["audit_entries"][-1][4] == "backup.restore"  # action
    assert done.chain.ok and done.chain.entries == len(before["audit_entries"])
    assert "audit chain verified" in done.describe() and "cases 4" in done.describe()
    # The restored store is usable by the service's own code: case codes open with the key.
    casework, _ = _casework(target.engine)
    opened = open_case(casework, language="ru", actor=CONSOLE)
    assert opened.id > max(r[0] for r in before["cases"])  # sequences restored too


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),  # a failing example is slow to shrink
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    texts=st.lists(st.text(max_size=60), min_size=1, max_size=4),
    blob=st.binary(min_size=1, max_size=2000),
)
def test_round_trip_property_sqlite(texts: list[str], blob: bytes, tmp_path: Path) -> None:
    """Any message text and attachment bytes come back exactly (SQLite: a fresh pair of
    databases per example)."""
    folder = Path(os.path.join(tmp_path, uuid.uuid4().hex))
    source = create_store_engine(f"sqlite+pysqlite:///{folder / 'a' / 'safeconduct.db'}")
    restored = create_store_engine(f"sqlite+pysqlite:///{folder / 'b' / 'safeconduct.db'}")
    try:
        shutil.copyfile(_migrated_sqlite(), folder / "a" / "safeconduct.db")
        casework, talk = _casework(source)
        case = open_case(casework, language="ru", actor=CONSOLE)
        for text in texts:
            messages.add_message(talk, case.id, text=text, attachment_name="x",
                                 attachment_type="application/octet-stream",
                                 attachment=blob, actor=CONSOLE)  # fmt: skip
        make_backup(_source(source), folder / "b.scb", actor=CONSOLE)
        before = _rows(source)
        restore_backup(Target(Store("sqlite", "", []), restored).ports(), folder / "b.scb",
                       actor=CONSOLE)  # fmt: skip
        after = _rows(restored)
        assert {k: v for k, v in after.items() if k != "audit_entries"} == {
            k: v for k, v in before.items() if k != "audit_entries"
        }
        assert after["audit_entries"][:-1] == before["audit_entries"]
    finally:
        source.dispose()
        restored.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def _migrated_sqlite() -> Path:
    from tests.store.conftest import _sqlite_migrated

    return _sqlite_migrated()


def test_backup_while_another_thread_writes(
    store: Store, engine: Engine, target: Target, tmp_path: Path
) -> None:
    """A backup taken while a thread keeps opening cases and adding messages: the restored
    copy holds every case opened before the backup began, each with its audit entry and no
    entry without its case or message (no half-written record), and its chain verifies."""
    casework, talk = _casework(engine)
    for _ in range(3):
        open_case(casework, language="ru", actor=CONSOLE)
    stop, written, failures = threading.Event(), [], []

    def write() -> None:
        try:
            while not stop.is_set():
                case = open_case(casework, language="uk", actor=CONSOLE)
                messages.add_message(talk, case.id, text="пишу", actor=CONSOLE)
                written.append(case.id)
        except Exception as error:  # reported by the test
            failures.append(error)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        while len(written) < 3 and writer.is_alive():
            threading.Event().wait(0.02)
        acknowledged = set(_ids(engine, "cases"))
        started = len(written)
        make_backup(_source(engine), tmp_path / "b.scb", actor=CONSOLE)
        during = len(written) - started
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not failures, f"the writer failed while the backup ran: {failures[0]!r}"
    assert during > 0, "the writer was held up for the whole backup"

    done = restore_backup(target.ports(), tmp_path / "b.scb", actor=CONSOLE)
    assert done.chain.ok, done.chain.message
    cases = set(_ids(target.engine, "cases"))
    assert acknowledged <= cases, "a case acknowledged before the backup is missing"
    with target.engine.connect() as connection:
        entries = connection.execute(sa.text("SELECT action, record FROM audit_entries")).all()
        message_ids = set(_ids(target.engine, "case_messages"))
        message_cases = set(
            connection.execute(sa.text("SELECT case_id FROM case_messages")).scalars()
        )
    opened = {int(r.split(":")[1]) for a, r in entries if a == "case.open"}
    added = {int(r.split(":")[1]) for a, r in entries if a == "message_add"}
    assert opened == cases, "every case has its audit entry, every entry its case"
    assert added == message_ids, "every message has its audit entry, and the reverse"
    assert message_cases <= cases


def _ids(engine: Engine, table: str) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(f"SELECT id FROM {table}")).scalars())


def test_an_older_revision_is_restored_then_migrated(
    store: Store, target: Target, tmp_path: Path
) -> None:
    """A backup made at the revision before the newest restores, and is migrated to it."""
    older = known_revisions()[-2]
    source = store.engine()
    upgrade(source, older, cipher=TEST_CIPHER)
    with source.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO users (name, password_hash, created_at) VALUES "
                    "('anna', 'x', CURRENT_TIMESTAMP)")
        )  # fmt: skip
    dumps = SqlDatabaseDumps(source)
    with dumps.snapshot() as snapshot:
        header = BackupHeader(backend=store.backend, revision=older, created_at=_now(),
                              key_id=FILES.key_id, schema=dumps.schema())  # fmt: skip
        FILES.write(tmp_path / "old.scb", header, snapshot.tables, snapshot.chunks())

    done = restore_backup(target.ports(), tmp_path / "old.scb", actor=CONSOLE)
    assert done.migrated_to == known_revisions()[-1]
    assert current_revision(target.engine) == known_revisions()[-1]
    with target.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT name FROM users")).scalars().all() == ["anna"]
    assert f"migrated from revision {older}" in done.describe()


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------- refusals


def test_a_whole_database_in_its_public_schema(store: Store, tmp_path: Path) -> None:
    """PostgreSQL as deployed: the store in the ``public`` schema of its own database, restored
    into a new database (whose ``public`` schema exists already, empty)."""
    if store.backend != "postgresql":
        pytest.skip("schemas are PostgreSQL's")
    base = sa.make_url(store.url)
    base = base.set(query={k: v for k, v in base.query.items() if k != "options"})
    names = [f"backup_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    engines: list[Engine] = []
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        source, restored = (create_store_engine(base.set(database=n)) for n in names)
        engines += [source, restored]
        upgrade(source)
        _fill(source, random.Random(11), cases=2)
        _with_procrastinate(store, source)
        made = make_backup(_source(source), tmp_path / "b.scb", actor=CONSOLE)
        assert made.header.schema == "public"
        done = restore_backup(Target(store, restored).ports(), tmp_path / "b.scb", actor=CONSOLE)
        assert done.chain.ok
        before, after = _rows(source), _rows(restored)
        assert {k: v for k, v in after.items() if k != "audit_entries"} == {
            k: v for k, v in before.items() if k != "audit_entries"
        }
        assert len(after["procrastinate_jobs"]) == 1
    finally:
        for engine in engines:
            engine.dispose()
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_refuses_a_target_in_another_schema(
    store: Store, engine: Engine, backup: Path, tmp_path: Path
) -> None:
    """A backup of schema A does not go into schema B (its SQL names A): refused, naming both."""
    if store.backend != "postgresql":
        pytest.skip("schemas are PostgreSQL's")
    url = sa.make_url(store.url)
    other = create_store_engine(url.update_query_dict({"options": "-csearch_path=elsewhere_x"}))
    try:
        with pytest.raises(InvalidValueError, match="holds the schema 'test_") as caught:
            restore_backup(Target(store, other).ports(), backup, actor=CONSOLE)
        assert "elsewhere_x" in str(caught.value)
    finally:
        other.dispose()


def test_restores_into_an_empty_sqlite_file(target: Target, backup: Path) -> None:
    """An empty file where the database goes (a service started and stopped) is empty."""
    if target.store.backend != "sqlite":
        pytest.skip("a file is SQLite's")
    path = Path(str(target.engine.url.database))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    assert restore_backup(target.ports(), backup, actor=CONSOLE).chain.ok


@pytest.fixture
def backup(engine: Engine, tmp_path: Path) -> Path:
    """A backup of a database with a few cases."""
    _fill(engine, random.Random(3), cases=2)
    make_backup(_source(engine), tmp_path / "b.scb", actor=CONSOLE)
    return tmp_path / "b.scb"


def test_refuses_a_target_that_is_not_empty(engine: Engine, backup: Path) -> None:
    with pytest.raises(
        BadFileError, match=r"is not empty \(it holds alembic_version.*nothing was restored"
    ):
        restore_backup(_source(engine), backup, actor=CONSOLE)


def test_refuses_a_backup_from_a_newer_schema(
    store: Store, engine: Engine, target: Target, tmp_path: Path
) -> None:
    dumps = SqlDatabaseDumps(engine)
    with dumps.snapshot() as snapshot:
        header = BackupHeader(backend=store.backend, revision="0999", created_at=_now(),
                              key_id=FILES.key_id, schema=dumps.schema())  # fmt: skip
        FILES.write(tmp_path / "new.scb", header, snapshot.tables, snapshot.chunks())
    with pytest.raises(BadFileError, match=r"made by a newer safeconduct .*0999.*upgrade"):
        restore_backup(target.ports(), tmp_path / "new.scb", actor=CONSOLE)
    assert target.is_empty()


def test_refuses_another_key_file(target: Target, backup: Path) -> None:
    other = BackupFileCipher(new_master_key())
    ports = target.ports()
    ports = BackupPorts(dumps=ports.dumps, files=other, audit=ports.audit)
    with pytest.raises(BadFileError, match="made with the key file of master key") as caught:
        restore_backup(ports, backup, actor=CONSOLE)
    assert caught.value.field == "key_file"
    assert target.is_empty()


@pytest.mark.parametrize("damage", ["flip", "cut", "cut-end", "extend", "header"])
def test_refuses_a_damaged_or_cut_file(target: Target, backup: Path, damage: str) -> None:
    """Any change to the file is refused before a byte is loaded: the target stays empty."""
    raw = bytearray(backup.read_bytes())
    start = len(MAGIC) + 4 + struct.unpack(">I", raw[len(MAGIC) : len(MAGIC) + 4])[0]
    if damage == "flip":
        raw[start + (len(raw) - start) // 2] ^= 0x01
    elif damage == "cut":
        raw = raw[: start + (len(raw) - start) // 2]
    elif damage == "cut-end":
        raw = raw[: -(4 + 16)]  # exactly the final record: the rest is whole
    elif damage == "extend":
        raw += b"\0" * 20
    else:
        raw[start - 3] ^= 0x01  # inside the header's JSON (its last characters)
    backup.write_bytes(bytes(raw))
    with pytest.raises(BadFileError) as caught:
        restore_backup(target.ports(), backup, actor=CONSOLE)
    assert caught.value.field == "backup_file"
    assert target.is_empty()


def test_a_load_that_fails_half_way_leaves_nothing(
    store: Store, engine: Engine, target: Target, tmp_path: Path
) -> None:
    """The loader is fed half the dump, then the stream fails (as a record failing its tag
    would): nothing is left in the target."""
    with SqlDatabaseDumps(engine).snapshot() as snapshot:
        dump = b"".join(snapshot.chunks())

    def half() -> Iterator[bytes]:
        yield dump[: len(dump) // 2]
        raise BadFileError("damaged", field="backup_file")

    with pytest.raises(BadFileError, match="damaged"):
        SqlDatabaseDumps(target.engine).load(half())
    assert target.is_empty()


def test_refuses_the_other_kind_of_database(store: Store, backup: Path, tmp_path: Path) -> None:
    if store.backend == "sqlite":
        pytest.skip("one direction is enough: a PostgreSQL backup into a data folder")
    engine = create_store_engine(f"sqlite+pysqlite:///{tmp_path / 'x' / 'safeconduct.db'}")
    try:
        with pytest.raises(InvalidValueError, match="is a backup of a postgresql database"):
            restore_backup(Target(store, engine).ports(), backup, actor=CONSOLE)
    finally:
        engine.dispose()


class _FailingFiles:
    """Backup files on a disk that fills after the first piece."""

    key_id = FILES.key_id

    def write(self, path, header, tables, chunks):  # a test double: untyped
        next(iter(chunks))
        raise BadFileError("no space left on the device", field="out")


def _children() -> list[str]:
    names = []
    for listing in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in listing.read_text().split():
            with contextlib.suppress(OSError):
                names.append(Path(f"/proc/{pid}/comm").read_text().strip())
    return names


def test_a_backup_failing_half_way_leaves_nothing(
    store: Store, engine: Engine, tmp_path: Path
) -> None:
    """The output fails after the first piece: no backup file, no copy or temporary file
    left beside the database or the output, and no ``pg_dump`` left running."""
    _fill(engine, random.Random(5), cases=2)
    ports = _source(engine)
    ports = BackupPorts(dumps=ports.dumps, files=_FailingFiles(), audit=ports.audit)  # type: ignore[arg-type]
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(BadFileError, match="no space left"):
        make_backup(ports, out / "b.scb", actor=CONSOLE)
    assert list(out.iterdir()) == []
    if store.backend == "sqlite":
        folder = Path(str(engine.url.database)).parent
        assert [p.name for p in folder.iterdir() if "backup" in p.name] == []
    assert "pg_dump" not in _children()


def test_a_missing_or_old_pg_dump_is_one_line(
    store: Store, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store.backend != "postgresql":
        pytest.skip("pg_dump serves PostgreSQL only")
    tools = tmp_path / "bin"
    tools.mkdir()
    monkeypatch.setenv("PATH", str(tools))
    with pytest.raises(MissingExtraError, match=r"pg_dump is not installed.*postgresql-client"):
        make_backup(_source(engine), tmp_path / "b.scb", actor=CONSOLE)
    fake = tools / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    with pytest.raises(MissingExtraError, match=r"pg_dump 9\.6\.24 .* is older than the"):
        make_backup(_source(engine), tmp_path / "b.scb", actor=CONSOLE)
    assert not (tmp_path / "b.scb").exists()


# ---------------------------------------------------------------------- the container


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    pieces=st.lists(st.binary(max_size=3000), max_size=5),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    bit=st.integers(min_value=0, max_value=7),
)
def test_container_round_trips_and_refuses_any_change(
    pieces: list[bytes], where: float, bit: int
) -> None:
    """Whatever the content, it reads back whole; any flipped bit after the magic, or any
    cut, is refused (never silently different content)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.scb"
        header = BackupHeader(backend="sqlite", revision="0014", created_at=_now(),
                              key_id=FILES.key_id)  # fmt: skip
        tables = (TableDigest("t", 1, "ab"),)
        FILES.write(path, header, tables, pieces)
        assert FILES.verify(path) == tables
        assert b"".join(FILES.read(path)) == b"".join(pieces)
        raw = bytearray(path.read_bytes())
        at = len(MAGIC) + int(where * (len(raw) - len(MAGIC)))
        flipped = bytearray(raw)
        flipped[at] ^= 1 << bit
        path.write_bytes(bytes(flipped))
        with pytest.raises(BadFileError):
            FILES.verify(path)
        path.write_bytes(bytes(raw[:at]))
        with pytest.raises(BadFileError):
            FILES.verify(path)


def test_a_copy_left_by_a_killed_backup_or_restore_is_removed(tmp_path: Path) -> None:
    """A SQLite backup or restore killed outright (kill -9, a power cut) leaves its whole
    copy of the database beside it: personal data that the scheduled deletion never
    reaches. The next backup removes it, and so does whoever opens the store next; a copy
    whose process still runs is kept. (PostgreSQL's dump goes straight to the file.)"""
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "safeconduct.db"
    shutil.copyfile(_migrated_sqlite(), database)
    dead = pid_that_has_ended()
    running = folder / f".safeconduct.db.backup-{os.getpid()}-live"

    def leave_copies() -> None:
        for name in (f".safeconduct.db.backup-{dead}-x", f".safeconduct.db.restore-{dead}-y"):
            (folder / name).write_bytes(b"SQLite format 3\x00 personal data")

    leave_copies()
    running.write_bytes(b"SQLite format 3\x00 being copied")
    engine = create_store_engine(f"sqlite+pysqlite:///{database}")
    try:
        assert sorted(p.name for p in folder.iterdir()) == [running.name, "safeconduct.db"]
        leave_copies()
        make_backup(_source(engine), tmp_path / "b.scb", actor=CONSOLE)
        assert ".safeconduct.db.backup-" + str(dead) not in " ".join(os.listdir(folder))
        assert running.exists()
    finally:
        engine.dispose()
