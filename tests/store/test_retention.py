"""Retention end to end, on SQLite and PostgreSQL: case messages sealed one by one and
deleted without their case; the purge of cases whose time is up, by destroying their data
keys and deleting their rows, logged without content; twice changes nothing; a dry run
changes nothing; the master key rotated after a purge, so that a copy of the database
taken before no longer opens the purged records with the current key file; and a running
service's cipher that follows the rotation."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safeconduct.adapters.crypto.envelope import AesGcmFieldCipher
from safeconduct.adapters.crypto.keyfile import new_master_key, read_key_file, write_key_file
from safeconduct.adapters.crypto.reloading import (
    KeyFileRotation,
    ReloadingFieldCipher,
    explain_interrupted_rotation,
    pending_key_file,
)
from safeconduct.adapters.files.operation_files import OperationFolders
from safeconduct.adapters.store.keys import SqlDataKeys
from safeconduct.adapters.store.models import OperationRow, PlanJobRow
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.casework.retention import RetentionSettings
from safeconduct.errors import BadFileError, NotFoundError, PermissionDeniedError
from safeconduct.services import messages, retention
from safeconduct.services.casework import (
    CONSOLE,
    Actor,
    CaseworkPorts,
    add_user,
    open_case,
    transition_case,
)
from safeconduct.services.ports import WrappedDataKey
from tests.store.conftest import FAST_PASSWORDS, Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OLGA = Actor(name="olga", roles=("operator",))  # type: ignore[arg-type]


class Service:
    """A database with its own key file (a rotation replaces it), as a service holds it."""

    def __init__(self, engine: Engine, key_file: Path) -> None:
        self.engine = engine
        self.key_file = key_file
        self.cipher = ReloadingFieldCipher(key_file)
        self.database = SqlCaseworkDatabase(engine, cipher=self.cipher)
        self.casework = CaseworkPorts(database=self.database, passwords=FAST_PASSWORDS)
        self.messages = messages.MessagesPorts(database=self.database)  # type: ignore[arg-type]
        self.data_keys = SqlDataKeys(engine)

    def retention(self, **settings: int) -> retention.RetentionPorts:
        return retention.RetentionPorts(
            database=self.database,  # type: ignore[arg-type]
            settings=RetentionSettings(**settings),
            rotation=KeyFileRotation(self.key_file, self.data_keys, settle_s=0.0),
            operation_files=OperationFolders(self.key_file.parent.parent / "data"),
        )

    def case(self, *transitions: str, at: datetime = T0, by: str = "olga") -> int:
        info = open_case(self.casework, language="ru", now=at, actor=_console(by))
        for name in transitions:
            transition_case(self.casework, info.id, name, actor=CONSOLE, now=at)
        return info.id

    def say(self, case_id: int, text: str, *, at: datetime = T0, **more: Any) -> int:
        found = messages.add_message(
            self.messages, case_id, text=text, actor=_console("olga"), now=at, **more
        )
        assert found.id is not None
        return found.id


def _console(name: str) -> Actor:
    return Actor(name=name, roles=(), console=True)


@pytest.fixture
def service(engine: Engine, tmp_path: Path) -> Service:
    key_file = tmp_path / "keys" / "master.key"
    key_file.parent.mkdir()
    write_key_file(key_file, new_master_key())
    return Service(engine, key_file)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("cases", "case_events", "case_messages", "data_keys", "audit_entries")
    with engine.connect() as connection:
        return {
            t: [tuple(r) for r in connection.execute(sa.text(f"SELECT * FROM {t} ORDER BY 1"))]
            for t in tables
        }


# ----------------------------------------------------------------- messages


def test_a_message_is_sealed_and_deleted_alone(service: Service) -> None:
    case_id = service.case()
    first = service.say(case_id, "Я хочу сдаться, меня зовут Павел")
    photo = b"\xff\xd8\xff\xe0 a jpeg of a document"
    second = service.say(
        case_id,
        "",
        direction="in",
        attachment_name="паспорт.jpg",
        attachment_type="image/jpeg",
        attachment=photo,
    )
    third = service.say(case_id, "Ждите возле старой мельницы", direction="out")
    with service.engine.connect() as connection:
        raw = b"".join(
            bytes(v)
            for row in connection.execute(
                sa.text(
                    "SELECT sealed_text, sealed_attachment_name, sealed_attachment "
                    "FROM case_messages"
                )
            )
            for v in row
            if v is not None
        )
    assert "Павел".encode() not in raw and b"jpeg of a document" not in raw
    assert "паспорт".encode() not in raw
    listed = messages.list_messages(service.messages, case_id, actor=CONSOLE)
    assert [m.id for m in listed] == [first, second, third]
    assert listed[1].author == "person" and listed[1].attachment is None  # bytes not listed
    assert listed[1].attachment_name == "паспорт.jpg"
    assert (
        messages.get_message(service.messages, case_id, second, actor=CONSOLE).attachment == photo
    )

    messages.delete_message(service.messages, case_id, second, actor=CONSOLE, now=T0)
    left = messages.list_messages(service.messages, case_id, actor=CONSOLE)
    assert [m.text for m in left] == [
        "Я хочу сдаться, меня зовут Павел",
        "Ждите возле старой мельницы",
    ]
    assert _count(service.engine, "cases") == 1
    with service.engine.connect() as connection:
        destroyed = (
            connection.execute(
                sa.text("SELECT owner FROM data_keys WHERE destroyed_at IS NOT NULL")
            )
            .scalars()
            .all()
        )
        actions = connection.execute(
            sa.text("SELECT action, record FROM audit_entries ORDER BY seq")
        ).all()
    assert destroyed == [f"message:{second}"]
    assert ("message_delete", f"message:{second}") in [tuple(a) for a in actions]
    with pytest.raises(NotFoundError):
        messages.delete_message(service.messages, case_id, second, actor=CONSOLE)
    # A new message never takes a deleted one's key owner (SQLite reuses row ids).
    fourth = service.say(case_id, "ещё")
    assert fourth > third


def test_messages_are_the_case_operators_only(service: Service) -> None:
    add_user(service.casework, "olga", "operator", "a long enough password", actor=CONSOLE)
    add_user(service.casework, "oleg", "operator", "a long enough password", actor=CONSOLE)
    add_user(service.casework, "pia", "planner", "a long enough password", actor=CONSOLE)
    case_id = service.case(by="olga")
    mine = messages.add_message(service.messages, case_id, text="привет", actor=OLGA)
    assert mine.author == "olga"
    oleg = Actor(name="oleg", roles=("operator",))  # type: ignore[arg-type]
    pia = Actor(name="pia", roles=("planner",))  # type: ignore[arg-type]
    for who in (oleg, pia):
        with pytest.raises(PermissionDeniedError):
            messages.list_messages(service.messages, case_id, actor=who)
        with pytest.raises(PermissionDeniedError):
            messages.add_message(service.messages, case_id, text="x", actor=who)
        assert mine.id is not None
        with pytest.raises(PermissionDeniedError):
            messages.delete_message(service.messages, case_id, mine.id, actor=who)


# ----------------------------------------------------------------- purge


def _cases(service: Service) -> dict[str, int]:
    early = T0
    return {
        "contact": service.case(at=early),
        "contact_recent": service.case(at=early + timedelta(days=80)),
        "aborted": service.case("schedule", "abort", at=early),
        "aborted_recent": service.case("schedule", "abort", at=early + timedelta(days=70)),
        "closed_contact": service.case("close", at=early),
        "active": service.case("schedule", "plan", at=early),
        "registered": service.case(
            "schedule", "plan", "launch", "arrive", "take_into_custody", "register", at=early
        ),
    }


def test_purge_deletes_what_is_due_by_destroying_keys_and_twice_changes_nothing(
    service: Service,
) -> None:
    cases = _cases(service)
    for name, case_id in cases.items():
        service.say(case_id, f"message of {name}")
    kept_msg = service.say(cases["contact_recent"], "keep me")
    # A contact with a recent message is not due: its last activity is the message.
    talking = service.case(at=T0)
    service.say(talking, "still here", at=T0 + timedelta(days=80))
    now = T0 + timedelta(days=95)
    ports = service.retention()

    before = _snapshot(service.engine)
    dry = retention.purge(ports, now=now, dry_run=True, actor=CONSOLE)
    assert dry.purged == {"contact": 2, "ended_operation": 1}
    assert _snapshot(service.engine) == before  # the dry run changed nothing
    assert dry.deleted == {} and dry.rotated_to is None

    report = retention.purge(ports, now=now, actor=CONSOLE)
    assert set(report.purged_case_ids) == {
        cases["contact"],
        cases["aborted"],
        cases["closed_contact"],
    }
    assert report.purged == {"contact": 2, "ended_operation": 1}
    assert report.handover_due == 0 and report.kept["registration"] == 1  # not yet a year
    assert report.deleted["cases"] == 3 and report.deleted["messages"] == 3
    # One key per message, and the case's own key where it has sealed case-level data.
    assert 3 <= report.deleted["data_keys"] <= 6
    with service.engine.connect() as connection:
        live_owners = set(
            connection.execute(
                sa.text("SELECT owner FROM data_keys WHERE destroyed_at IS NULL")
            ).scalars()
        )
    assert not {f"case:{i}" for i in report.purged_case_ids} & live_owners
    assert report.rotated_to is not None
    with service.engine.connect() as connection:
        left = set(connection.execute(sa.text("SELECT id FROM cases")).scalars())
        purges = connection.execute(
            sa.text("SELECT record, digest FROM audit_entries WHERE action = 'purge'")
        ).all()
        rotations = connection.execute(
            sa.text("SELECT count(*) FROM audit_entries WHERE action = 'key_rotate_after_purge'")
        ).scalar_one()
    assert left == set(cases.values()) - set(report.purged_case_ids) | {talking}
    assert sorted(r for r, _ in purges) == sorted(f"case:{i}" for i in report.purged_case_ids)
    assert all(d is not None and len(d) == 64 for _, d in purges)
    assert rotations == 1
    # The kept cases still read after the rotation, through the running service's cipher.
    kept = messages.list_messages(service.messages, cases["contact_recent"], actor=CONSOLE)
    assert kept_msg in [m.id for m in kept]
    assert service.cipher.master_key_id == report.rotated_to

    after = _snapshot(service.engine)
    again = retention.purge(ports, now=now, actor=CONSOLE)
    assert again.total_purged == 0 and again.deleted == {} and again.rotated_to is None
    assert _snapshot(service.engine) == after  # twice: nothing changed, nothing logged


def _sealed_rows(engine: Engine, case_id: int) -> list[tuple[int, bytes, WrappedDataKey]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT m.id, m.sealed_text, k.id, k.owner, k.wrapped_key, k.master_key_id "
                "FROM case_messages m JOIN data_keys k ON k.id = m.data_key_id "
                "WHERE m.case_id = :case"
            ),
            {"case": case_id},
        ).all()
    return [
        (mid, bytes(blob), WrappedDataKey(id=kid, owner=owner, wrapped=bytes(w), master_key_id=mk))
        for mid, blob, kid, owner, w, mk in rows
    ]


def _opens(cipher: AesGcmFieldCipher, row: tuple[int, bytes, WrappedDataKey]) -> bytes:
    mid, blob, key = row
    return cipher.decrypt(blob, table="case_messages", column="text", row=str(mid), key=key)


def test_a_copy_taken_before_the_purge_does_not_open_with_the_current_key_file(
    store: Store, service: Service, tmp_path: Path
) -> None:
    doomed = service.case(at=T0)
    kept = service.case(at=T0 + timedelta(days=60))
    service.say(doomed, "Меня зовут Павел Сидоренко")
    service.say(kept, "Меня зовут Иван")
    # The copy: the rows themselves (both backends), and on SQLite the file too.
    copy = {c: _sealed_rows(service.engine, c) for c in (doomed, kept)}
    if store.backend == "sqlite":
        with service.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        db_file = Path(store.cli_args[1]) / "safeconduct.db"
        shutil.copy(db_file, tmp_path / "copy.db")
    old_file = AesGcmFieldCipher(read_key_file(service.key_file))
    assert _opens(old_file, copy[doomed][0]) == "Меня зовут Павел Сидоренко".encode()

    report = retention.purge(service.retention(), now=T0 + timedelta(days=40), actor=CONSOLE)
    assert report.purged_case_ids == (doomed,) and report.rotated_to is not None

    current = AesGcmFieldCipher(read_key_file(service.key_file))
    assert current.master_key_id == report.rotated_to
    for case_id in (doomed, kept):  # the copy's keys are wrapped by the old master key
        with pytest.raises(BadFileError):
            _opens(current, copy[case_id][0])
    if store.backend == "sqlite":
        with sqlite3.connect(tmp_path / "copy.db") as old_db:
            (blob, mid, kid, owner, wrapped, master) = old_db.execute(
                "SELECT m.sealed_text, m.id, k.id, k.owner, k.wrapped_key, k.master_key_id "
                "FROM case_messages m JOIN data_keys k ON k.id = m.data_key_id "
                "WHERE m.case_id = ?",
                (doomed,),
            ).fetchone()
        key = WrappedDataKey(id=kid, owner=owner, wrapped=wrapped, master_key_id=master)
        with pytest.raises(BadFileError):
            _opens(current, (mid, blob, key))
    # The live database: the kept case reads with the current key file, the purged is gone.
    assert [m.text for m in messages.list_messages(service.messages, kept, actor=CONSOLE)] == [
        "Меня зовут Иван"
    ]
    assert _count(service.engine, "case_messages") == 1
    # No key file lies about beside it: the old master key is gone from the disk.
    assert sorted(p.name for p in service.key_file.parent.iterdir()) == ["master.key"]
    assert (service.key_file.stat().st_mode & 0o777) == 0o600


def test_a_purged_operation_leaves_no_row_and_no_plan_file(service: Service) -> None:
    case_id = service.case("schedule", "abort", at=T0)
    with Session(service.engine) as session, session.begin():
        operation = OperationRow(
            case_id=case_id,
            area="sample",
            meeting_lat=48.6,
            meeting_lon=38.0,
            window_start=T0,
            window_end=T0 + timedelta(hours=1),
            reception=None,
            plan_status="done",
            artifacts=["note.pdf"],
            events=[],
            created_at=T0,
            updated_at=T0,
        )
        session.add(operation)
        session.flush()
        session.add(
            PlanJobRow(
                operation_id=operation.id, status="done", requested_by="petro", created_at=T0
            )
        )
        operation_id = operation.id
    plan = service.key_file.parent.parent / "data" / "operations" / str(operation_id) / "plan"
    plan.mkdir(parents=True)
    (plan / "note.pdf").write_bytes(b"%PDF the note")
    report = retention.purge(service.retention(), now=T0 + timedelta(days=90), actor=CONSOLE)
    assert report.purged_case_ids == (case_id,)
    assert report.deleted["operations"] == 1 and report.deleted["plan_jobs"] == 1
    assert report.deleted["plan_folders"] == 1 and not plan.parent.exists()
    assert _count(service.engine, "operations") == _count(service.engine, "plan_jobs") == 0


def test_a_purge_never_touches_registered_prisoners_or_active_cases(service: Service) -> None:
    cases = _cases(service)
    report = retention.purge(service.retention(), now=T0 + timedelta(days=10_000), actor=CONSOLE)
    assert cases["active"] not in report.purged_case_ids
    assert cases["registered"] not in report.purged_case_ids
    assert report.handover_due == 1 and report.kept["active"] == 1


def test_only_an_administrator_purges(service: Service) -> None:
    with pytest.raises(PermissionDeniedError):
        retention.purge(service.retention(), now=T0, actor=OLGA)
    admin = Actor(name="ada", roles=("admin",))  # type: ignore[arg-type]
    assert retention.purge(service.retention(), now=T0, actor=admin).total_purged == 0


def test_a_deleted_message_makes_a_rotation_owed(service: Service) -> None:
    case_id = service.case(at=T0)
    mid = service.say(case_id, "удалите это")
    messages.delete_message(service.messages, case_id, mid, actor=CONSOLE, now=T0)
    dry = retention.purge(service.retention(), now=T0, dry_run=True, actor=CONSOLE)
    assert dry.rotation_owed and dry.rotated_to is None
    done = retention.purge(service.retention(), now=T0, actor=CONSOLE)
    assert done.rotated_to is not None and not done.rotation_owed
    assert not retention.purge(
        service.retention(), now=T0, dry_run=True, actor=CONSOLE
    ).rotation_owed


# ----------------------------------------------------------------- rotation


def test_a_running_service_follows_the_rotation(service: Service, engine: Engine) -> None:
    case_id = service.case()
    service.say(case_id, "до ротации")
    # Another process (the purge job, the CLI) rotates the key file under the service.
    index_key = read_key_file(service.key_file).index_key
    other = KeyFileRotation(service.key_file, SqlDataKeys(engine), settle_s=0.0)
    old_id, new_id, count = other.rotate()
    assert old_id != new_id and count >= 1
    assert read_key_file(service.key_file).index_key == index_key  # blind indexes hold
    assert service.cipher.master_key_id == old_id  # not reloaded yet
    texts = [m.text for m in messages.list_messages(service.messages, case_id, actor=CONSOLE)]
    assert texts == ["до ротации"]
    assert service.cipher.master_key_id == new_id  # reloaded on meeting the new key id
    service.say(case_id, "после ротации")  # a new key wrapped by the new master key
    assert SqlDataKeys(engine).master_key_ids() == {new_id}


def test_an_interrupted_rotation_is_explained_and_finished(
    service: Service, engine: Engine
) -> None:
    case_id = service.case()
    service.say(case_id, "текст")
    # Steps 1 and 2 done, the process killed before step 3 (the file's replacement).
    old = AesGcmFieldCipher(read_key_file(service.key_file))
    new_key = new_master_key(index_key=read_key_file(service.key_file).index_key)
    pending = pending_key_file(service.key_file)
    write_key_file(pending, new_key)
    new = AesGcmFieldCipher(new_key)
    SqlDataKeys(engine).rewrap_all(lambda key: old.rewrap(key, new))
    ids = SqlDataKeys(engine).master_key_ids()
    hint = explain_interrupted_rotation(service.key_file, ids)
    assert hint is not None and "mv " in hint and str(pending) in hint
    assert explain_interrupted_rotation(service.key_file, {old.master_key_id}) is None
    # The running service still reads (it finds the .next file) ...
    assert [m.text for m in messages.list_messages(service.messages, case_id, actor=CONSOLE)] == [
        "текст"
    ]
    # ... and the next rotation finishes the interrupted one first.
    KeyFileRotation(service.key_file, SqlDataKeys(engine), settle_s=0.0).rotate()
    assert not pending.exists()
    fresh = Service(engine, service.key_file)
    assert [m.text for m in messages.list_messages(fresh.messages, case_id, actor=CONSOLE)] == [
        "текст"
    ]


def test_a_key_a_writer_wrapped_under_the_old_master_key_is_swept(
    service: Service, engine: Engine
) -> None:
    old = AesGcmFieldCipher(read_key_file(service.key_file))
    straggler = old.new_data_key("message:999")

    class WriterMeanwhile(SqlDataKeys):
        """A service that wrapped a new key with the old master key just as the re-wrap
        committed (PostgreSQL lets its insert through once the table lock is gone)."""

        def rewrap_all(self, rewrap: Any, *, only_master: str | None = None) -> int:
            done = super().rewrap_all(rewrap, only_master=only_master)
            if only_master is None:
                self.add(straggler, at=T0)
            return done

    KeyFileRotation(service.key_file, WriterMeanwhile(engine), settle_s=0.0).rotate()
    new_id = read_key_file(service.key_file).key_id
    assert SqlDataKeys(engine).master_key_ids() == {new_id}
    swept = SqlDataKeys(engine).get(straggler.id)
    assert swept is not None and swept.master_key_id == new_id


def test_an_attachment_is_deleted_alone(service: Service) -> None:
    case_id = service.case()
    mid = service.say(
        case_id,
        "вот фото",
        attachment_name="лицо.jpg",
        attachment_type="image/jpeg",
        attachment=b"\xff\xd8 a face",
    )
    before = _sealed_rows(service.engine, case_id)[0]
    kept = messages.delete_attachment(service.messages, case_id, mid, actor=CONSOLE, now=T0)
    assert kept.text == "вот фото" and kept.attachment_name is None and kept.attachment is None
    with service.engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT sealed_attachment, sealed_attachment_name, attachment_type, data_key_id "
                "FROM case_messages WHERE id = :id"
            ),
            {"id": mid},
        ).one()
        old_key = connection.execute(
            sa.text("SELECT wrapped_key, destroyed_at FROM data_keys WHERE id = :id"),
            {"id": before[2].id},
        ).one()
    assert row[:3] == (None, None, None) and row[3] != before[2].id
    assert old_key[0] is None and old_key[1] is not None  # the attachment's key is gone
    listed = messages.list_messages(service.messages, case_id, actor=CONSOLE)
    assert [(m.text, m.attachment_name) for m in listed] == [("вот фото", None)]
    with pytest.raises(NotFoundError) as again:
        messages.delete_attachment(service.messages, case_id, mid, actor=CONSOLE)
    assert again.value.field == "attachment"
