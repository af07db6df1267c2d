"""The audit trail on a real SQLite file and a real PostgreSQL database: the triggers refuse
UPDATE and DELETE; an intact trail verifies; each tampering an attacker with the database can
make (dropping the triggers first, as they could) is found, named by its first bad entry;
the use cases leave their entries in the same transaction as their change, and a refused
change leaves none; ``safeconduct audit`` exits 0 or 1 and says why."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from safeconduct.adapters.store.audit import Ed25519Checkpoints
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.audit.chain import (
    CUT_BACK,
    DELETED,
    EDITED,
    INSERTED,
    REORDERED,
    ROLLED_BACK,
    AuditEntry,
    chain_hash,
)
from safeconduct.casework.roles import Role
from safeconduct.custody.health import HealthCategory
from safeconduct.custody.record import Registration
from safeconduct.errors import (
    AuthenticationError,
    BadFileError,
    InvalidValueError,
    PermissionDeniedError,
)
from safeconduct.services import audit, custody
from safeconduct.services.audit import AuditPorts
from safeconduct.services.casework import (
    CONSOLE,
    Actor,
    CaseworkPorts,
    add_user,
    get_case,
    issue_token,
    open_case,
    transition_case,
)
from safeconduct.services.custody import CustodyPorts
from tests.conftest import TEST_CIPHER
from tests.store.conftest import Store
from tests.store.test_cli import run
from tests.store.test_custody_store import FakeDocuments

MIGRATION = importlib.import_module(
    "safeconduct.adapters.store.migrations.versions.0008_audit_trail"
)
PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
ANNA = Actor("anna", (Role.REGISTRAR,))
OLGA = Actor("olga", (Role.OPERATOR,))


def audit_ports(engine: sa.Engine) -> AuditPorts:
    return AuditPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), checkpoints=Ed25519Checkpoints()
    )


def append(engine: sa.Engine, n: int, *, start: int = 0, action: str = "case.read") -> None:
    database = SqlCaseworkDatabase(engine, cipher=TEST_CIPHER)
    for i in range(start, start + n):
        with database.unit_of_work() as uow:
            audit.record(uow, ANNA, action, f"case:{i}", at=T0 + timedelta(minutes=i))


def entries(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT * FROM audit_entries ORDER BY seq")))


@contextlib.contextmanager
def triggers_off(engine: sa.Engine) -> Iterator[sa.Connection]:
    """As an attacker holding the database would: drop (SQLite) or disable (PostgreSQL) the
    triggers, tamper, and put them back."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_entries_no_delete")
        yield connection
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_entries ENABLE TRIGGER USER")
        else:
            for statement in MIGRATION._SQLITE_TRIGGERS:
                connection.exec_driver_sql(statement)


def verified(engine: sa.Engine, checkpoints: Path | None = None) -> tuple[int | None, str | None]:
    result = audit.verify(audit_ports(engine), checkpoints)
    return result.bad_seq, result.reason


# ----------------------------------------------------------------- the database refuses


def test_update_and_delete_are_refused_by_the_database(engine: sa.Engine) -> None:
    append(engine, 3)
    for statement in (
        "UPDATE audit_entries SET action = 'login' WHERE seq = 2",
        "DELETE FROM audit_entries WHERE seq = 2",
        "DELETE FROM audit_entries",
    ):
        with (
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            engine.begin() as connection,
        ):
            connection.exec_driver_sql(statement)
    if engine.dialect.name == "postgresql":
        with (
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            engine.begin() as connection,
        ):
            connection.exec_driver_sql("TRUNCATE audit_entries")
    assert len(entries(engine)) == 3
    assert verified(engine) == (None, None)


def test_an_intact_trail_verifies_and_its_checkpoints_hold(
    engine: sa.Engine, tmp_path: Path
) -> None:
    ports = audit_ports(engine)
    assert audit.verify(ports).message.startswith("0 entries, chain intact")
    append(engine, 5)
    written = audit.write_checkpoint(ports, tmp_path / "cp" / "1.json", tmp_path / "key")
    assert written.key_created and written.checkpoint.seq == 5
    assert stat.S_IMODE(os.stat(tmp_path / "key").st_mode) == 0o600
    append(engine, 3, start=5)
    again = audit.write_checkpoint(ports, tmp_path / "cp" / "2.json", tmp_path / "key")
    assert not again.key_created and again.public_key == written.public_key
    result = audit.verify(ports, tmp_path / "cp")
    assert result.ok and result.entries == 8 and result.checkpoints == 2
    assert result.head == again.checkpoint.head


def test_appends_are_numbered_without_gaps_and_a_rollback_takes_its_entry(
    engine: sa.Engine,
) -> None:
    database = SqlCaseworkDatabase(engine, cipher=TEST_CIPHER)
    append(engine, 2)
    with pytest.raises(RuntimeError), database.unit_of_work() as uow:
        audit.record(uow, ANNA, "case.read", "case:9")
        raise RuntimeError("the change failed")
    append(engine, 1, start=2)
    assert [row.seq for row in entries(engine)] == [1, 2, 3]
    assert verified(engine) == (None, None)


def test_concurrent_appends_never_chain_onto_the_same_entry(engine: sa.Engine) -> None:
    database = SqlCaseworkDatabase(engine, cipher=TEST_CIPHER)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                with database.unit_of_work() as uow:
                    audit.record(uow, ANNA, "case.read", f"case:{k * 100 + i}")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [row.seq for row in entries(engine)] == list(range(1, 61))
    assert verified(engine) == (None, None)


# ----------------------------------------------------------------- each tampering


def test_an_edited_entry_is_named(engine: sa.Engine) -> None:
    append(engine, 8)
    with triggers_off(engine) as connection:
        connection.exec_driver_sql("UPDATE audit_entries SET record = 'case:99' WHERE seq = 4")
    assert verified(engine) == (4, EDITED)


def test_a_deleted_entry_is_named(engine: sa.Engine) -> None:
    append(engine, 8)
    with triggers_off(engine) as connection:
        connection.exec_driver_sql("DELETE FROM audit_entries WHERE seq = 4")
    assert verified(engine) == (4, DELETED)


def test_an_inserted_entry_is_named(engine: sa.Engine) -> None:
    append(engine, 8)
    rows = entries(engine)
    forged = AuditEntry(seq=4, at=T0, user="mallory", roles=(), action="login", record="user:x")
    with triggers_off(engine) as connection:
        # Make room at 4 (in two steps: the primary key is checked row by row), then put a
        # forged entry there that chains properly onto entry 3.
        connection.exec_driver_sql("UPDATE audit_entries SET seq = -seq - 1 WHERE seq >= 4")
        connection.exec_driver_sql("UPDATE audit_entries SET seq = -seq WHERE seq < 0")
        connection.execute(
            sa.text(
                "INSERT INTO audit_entries (seq, at, user_name, roles, action, record, "
                "prev_hash, hash) VALUES (4, :at, 'mallory', '', 'login', 'user:x', :prev, :hash)"
            ),
            {
                "at": T0 if engine.dialect.name == "postgresql" else T0.replace(tzinfo=None),
                "prev": rows[2].hash,
                "hash": chain_hash(rows[2].hash, forged),
            },
        )
    assert verified(engine) == (4, INSERTED)


def test_reordered_entries_are_named(engine: sa.Engine) -> None:
    append(engine, 8)
    columns = "at, user_name, roles, action, record, purpose, digest, prev_hash, hash"
    with triggers_off(engine) as connection:
        three, six = (
            connection.exec_driver_sql(f"SELECT {columns} FROM audit_entries WHERE seq = {s}").one()
            for s in (3, 6)
        )
        names = [c.strip() for c in columns.split(",")]
        for seq, row in ((3, six), (6, three)):
            connection.execute(
                sa.text(
                    "UPDATE audit_entries SET "
                    + ", ".join(f"{n} = :{n}" for n in names)
                    + " WHERE seq = :seq"
                ),
                {**dict(zip(names, row, strict=True)), "seq": seq},
            )
    assert verified(engine) == (3, REORDERED)


def test_a_log_cut_back_is_caught_by_a_checkpoint(engine: sa.Engine, tmp_path: Path) -> None:
    append(engine, 8)
    audit.write_checkpoint(audit_ports(engine), tmp_path / "cp" / "a.json", tmp_path / "key")
    with triggers_off(engine) as connection:
        connection.exec_driver_sql("DELETE FROM audit_entries WHERE seq > 5")
    assert verified(engine) == (None, None)  # the chain alone cannot tell
    assert verified(engine, tmp_path / "cp") == (6, CUT_BACK)


def test_a_log_rolled_back_behind_a_checkpoint_is_caught(engine: sa.Engine, tmp_path: Path) -> None:
    append(engine, 8)
    audit.write_checkpoint(audit_ports(engine), tmp_path / "cp" / "a.json", tmp_path / "key")
    # Back to the state of entry 5 (a restored copy), and the service carried on after it.
    with triggers_off(engine) as connection:
        connection.exec_driver_sql("DELETE FROM audit_entries WHERE seq > 5")
    append(engine, 4, start=100, action="login")
    assert verified(engine) == (None, None)
    assert verified(engine, tmp_path / "cp") == (8, ROLLED_BACK)


def test_a_rewritten_and_rehashed_log_is_caught_by_a_checkpoint(
    engine: sa.Engine, tmp_path: Path
) -> None:
    append(engine, 6)
    audit.write_checkpoint(audit_ports(engine), tmp_path / "cp" / "a.json", tmp_path / "key")
    rows = entries(engine)
    with triggers_off(engine) as connection:
        previous = rows[1].hash
        for row in rows[2:]:  # edit entry 3 and recompute every hash after it
            entry = AuditEntry(
                seq=row.seq,
                at=T0 + timedelta(minutes=row.seq - 1),
                user=row.user_name,
                roles=tuple(row.roles.split(",")),
                action=row.action,
                record="case:0" if row.seq == 3 else row.record,
            )
            own = chain_hash(previous, entry)
            connection.execute(
                sa.text(
                    "UPDATE audit_entries SET record = :r, prev_hash = :p, hash = :h WHERE seq = :s"
                ),
                {"r": entry.record, "p": previous, "h": own, "s": row.seq},
            )
            previous = own
    assert verified(engine) == (None, None)
    assert verified(engine, tmp_path / "cp") == (6, ROLLED_BACK)


def test_a_forged_checkpoint_is_refused(engine: sa.Engine, tmp_path: Path) -> None:
    append(engine, 3)
    path = tmp_path / "cp" / "a.json"
    audit.write_checkpoint(audit_ports(engine), path, tmp_path / "key")
    document = json.loads(path.read_text())
    document["checkpoint"]["seq"] = 2
    path.write_text(json.dumps(document))
    with pytest.raises(BadFileError, match="forged or altered") as caught:
        audit.verify(audit_ports(engine), tmp_path / "cp")
    assert caught.value.field == "checkpoints"


# ----------------------------------------------------------------- the use cases record


def actions(engine: sa.Engine) -> list[tuple[str, str, str]]:
    return [(r.user_name, r.action, r.record) for r in entries(engine)]


def test_casework_use_cases_leave_their_entries(ports: CaseworkPorts, engine: sa.Engine) -> None:
    add_user(ports, "olga", "operator", PASSWORD, actor=CONSOLE)
    add_user(ports, "kyrylo", "crew", PASSWORD, actor=CONSOLE)
    issue_token(ports, "olga", PASSWORD)
    with pytest.raises(AuthenticationError):
        issue_token(ports, "olga", "wrong password!!")
    with pytest.raises(AuthenticationError):
        issue_token(ports, "nobody-at-all", "wrong password!!")
    case = open_case(ports, language="ru", actor=OLGA, now=T0)
    get_case(ports, case.id, actor=OLGA)
    before = len(entries(engine))
    with pytest.raises(PermissionDeniedError):  # refused: no entry
        transition_case(ports, case.id, "schedule", actor=Actor("kyrylo", (Role.CREW,)))
    with pytest.raises(PermissionDeniedError):
        get_case(ports, case.id, actor=Actor("kyrylo", (Role.CREW,)))
    assert len(entries(engine)) == before
    transition_case(ports, case.id, "schedule", actor=OLGA, now=T0 + timedelta(minutes=1))
    assert actions(engine) == [
        ("console", "user.add", "user:olga"),
        ("console", "user.add", "user:kyrylo"),
        ("olga", "login", "user:olga"),
        ("olga", "login_failed", "user:olga"),
        ("-", "login_failed", "user:-"),
        ("olga", "case.open", f"case:{case.id}"),
        ("olga", "case.read", f"case:{case.id}"),
        ("olga", "case.transition", f"case:{case.id}"),
    ]
    rows = entries(engine)
    assert rows[5].digest is not None and rows[7].purpose == "schedule"
    assert rows[6].digest is None  # a read changes nothing
    assert case.case_code not in json.dumps([list(map(str, r)) for r in rows])
    assert verified(engine) == (None, None)


def test_custody_entries_name_store_ids_never_personal_data(
    ports: CaseworkPorts, engine: sa.Engine, tmp_path: Path
) -> None:
    cp = CustodyPorts(database=ports.database, documents=FakeDocuments())  # type: ignore[arg-type]
    registration = Registration(
        surname="Шевченко",
        first_names="Богдан",
        rank="рядовой",
        date_of_birth=date(1999, 3, 9),
        service_number="АБ-123456",
        next_of_kin="Бойко Катерина, Курск",
        captured_on=date(2026, 11, 20),
        health=HealthCategory.SLIGHTLY_WOUNDED,
        language="ru",
    )
    number = custody.register_prisoner(cp, registration, actor=ANNA, today=date(2026, 11, 27))
    custody.get_prisoner(cp, number, actor=ANNA)
    custody.export_nib(cp, tmp_path / "nib", actor=ANNA)
    found = actions(engine)
    with engine.connect() as connection:
        prisoner_id = connection.exec_driver_sql("SELECT id FROM prisoners").scalar()
    assert found[0] == ("anna", "prisoner.register", f"prisoner:{prisoner_id}")
    assert ("anna", "prisoner.read", f"prisoner:{prisoner_id}") in found
    assert found[-1] == ("anna", "export.nib", "prisoners:all")
    text = json.dumps([list(map(str, r)) for r in entries(engine)], ensure_ascii=False)
    for personal in (number, "Шевченко", "Богдан", "АБ-123456", "Бойко"):
        assert personal not in text
    assert verified(engine) == (None, None)


def test_a_refused_registration_leaves_no_entry(ports: CaseworkPorts, engine: sa.Engine) -> None:
    cp = CustodyPorts(database=ports.database, documents=FakeDocuments())  # type: ignore[arg-type]
    bad = Registration(
        surname="X",
        first_names="Y",
        rank="r",
        date_of_birth=date(2030, 1, 1),  # in the future: refused
        service_number="1",
        captured_on=date(2026, 11, 20),
        health=HealthCategory.SLIGHTLY_WOUNDED,
        language="ru",
    )
    with pytest.raises(InvalidValueError):
        custody.register_prisoner(cp, bad, actor=ANNA, today=date(2026, 11, 27))
    assert entries(engine) == []


# ----------------------------------------------------------------- the command line


def test_cli_verify_and_checkpoint(
    store: Store,
    engine: sa.Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    append(engine, 4)
    key, cps = tmp_path / "keys" / "audit.key", tmp_path / "cps"
    status, out, err = run(
        ["audit", "checkpoint", "--out", str(cps / "1.json"), "--key", str(key), *store.cli_args],
        capsys,
        monkeypatch,
    )
    assert status == 0, err
    assert f"created the signing key {key}" in out and "checkpoint" in out and "entry 4" in out
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    status, out, _ = run(
        ["audit", "verify", *store.cli_args, "--checkpoints", str(cps)], capsys, monkeypatch
    )
    assert status == 0
    assert out.startswith("4 entries, chain intact, head ")
    with triggers_off(engine) as connection:
        connection.exec_driver_sql("UPDATE audit_entries SET user_name = 'x' WHERE seq = 2")
    status, out, err = run(["audit", "verify", *store.cli_args], capsys, monkeypatch)
    assert status == 1
    assert "entry 2 edited" in err
    with triggers_off(engine) as connection:
        connection.exec_driver_sql("DELETE FROM audit_entries WHERE seq >= 2")
    status, out, err = run(
        ["audit", "verify", *store.cli_args, "--checkpoints", str(cps), "--key", str(key)],
        capsys,
        monkeypatch,
    )
    assert status == 1
    assert "entry 2 cut back" in err
