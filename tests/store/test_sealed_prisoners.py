"""Prisoners' records sealed in the store (revisions 0009 and 0011), on SQLite and
PostgreSQL: a copy of the database (the SQLite file and its WAL, a ``pg_dump``) holds none
of the registered names, numbers or next of kin, nor the names, items and places of
receipts, the places and details of custody events, the places and effects of arrivals, in
plain text; a sealed record moved to another row does not
open; a destroyed data key leaves its record unreadable; no key file, no record."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from safeconduct.adapters.store.keys import SqlDataKeys
from safeconduct.adapters.store.migrate import current_revision, upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.casework.roles import Role
from safeconduct.custody.arrival import Arrival
from safeconduct.custody.effects import ReceiptItem
from safeconduct.custody.health import HealthCategory
from safeconduct.custody.nib import NibEvent
from safeconduct.custody.record import Registration
from safeconduct.errors import BadFileError
from safeconduct.note.casecode import format_case_code
from safeconduct.services import custody
from safeconduct.services.casework import (
    CONSOLE,
    Actor,
    CaseworkPorts,
    add_user,
    open_case,
    transition_case,
)
from safeconduct.services.custody import CustodyPorts
from safeconduct.services.messages import MessagesPorts, add_message
from tests.conftest import TEST_CIPHER
from tests.store.conftest import FAST_PASSWORDS, Store

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
RITA = Actor("rita", (Role.REGISTRAR,))
PEOPLE = (
    ("Шевченко", "Богдан", "АБ-123456", "Бойко Катерина, Курск"),
    ("Коваленко", "Остап", "ВГ-654321", "Коваленко Ирина, Белгород"),
    ("Lindqvist", "Sven", "SN-99887766", "Anna Lindqvist, Malmo"),
)


class _NoDocuments:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"no document is drawn here ({name})")


def _registration(surname: str, first: str, service: str, kin: str) -> Registration:
    return Registration(
        surname=surname,
        first_names=first,
        rank="рядовой",
        date_of_birth=date(1999, 3, 9),
        service_number=service,
        next_of_kin=kin,
        captured_on=date(2026, 11, 20),
        health=HealthCategory.SLIGHTLY_WOUNDED,
        language="ru",
    )


#: What custody records besides registrations (revision 0011): a receipt's name, items
#: and place, an event's place and details, an arrival's place and effects kept.
CUSTODY_SECRETS = (
    "Мельник Андрій Петрович",
    "золотое кольцо, гравировка",
    "Пункт приёма Ромашка",
    "Госпиталь Святого Луки",
    "перелом ключицы, осколок в бедре",
    "фото дочери Алины",
    "Посадка возле Старого Млина",
)


#: What a conversation holds: a chat handle, a phone number, an attachment's name and text.
CHAT = ("@pavlo_kovalenko_1999", "+380 67 123 45 67", "Павло_паспорт.txt", "Ковальчук Павло, 1999")


@pytest.fixture
def cp(ports: CaseworkPorts) -> CustodyPorts:
    add_user(ports, "rita", "registrar", "a long enough password", actor=CONSOLE)
    return CustodyPorts(database=ports.database, documents=_NoDocuments())  # type: ignore[arg-type]


def _register_all(cp: CustodyPorts) -> list[str]:
    return [
        custody.register_prisoner(cp, _registration(*person), actor=RITA, today=TODAY)
        for person in PEOPLE
    ]


def _secrets(numbers: list[str]) -> list[str]:
    # Whole values only: a bare "000002" also turns up in timestamps' microseconds.
    return [part for person in PEOPLE for part in person] + numbers


def _forms(text: str) -> list[bytes]:
    """The byte forms a value could take in a file: UTF-8, and JSON's ASCII escapes."""
    return [text.encode("utf-8"), json.dumps(text).strip('"').encode("ascii")]


def _copy_of(store: Store, tmp_path: Path) -> bytes:
    """Every byte of the database as an administrator would copy it."""
    if store.backend == "sqlite":
        folder = Path(store.cli_args[1])
        files = sorted(folder.glob("safeconduct.db*"))  # the file, its WAL and shm
        assert any(f.name.endswith("-wal") for f in files)
        return b"".join(f.read_bytes() for f in files)
    url = sa.make_url(store.url)
    schema = url.query["options"].split("=", 1)[1]
    host, user, name = url.host or "127.0.0.1", url.username or "postgres", url.database or "test"
    dump = subprocess.run(
        ["pg_dump", "-h", host, "-U", user, "-d", name, "-n", schema],
        check=True,
        capture_output=True,
    ).stdout
    assert b"CREATE TABLE" in dump
    return dump


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_copy_of_the_database_holds_no_registered_identity(
    store: Store, cp: CustodyPorts, tmp_path: Path
) -> None:
    numbers = _register_all(cp)
    _record_custody(cp, numbers[0])
    with cp.database.unit_of_work(read_only=True) as uow:
        (case,) = uow.cases.list_page(limit=2)  # revision 0012: the case code sealed too
    codes = [case.case_code, format_case_code(case.case_code)]
    # The conversation (revision 0010): a contact handle, a phone number, an attachment.
    add_message(
        MessagesPorts(database=cp.database),  # type: ignore[arg-type]
        case.id,
        text=f"{CHAT[0]}, {CHAT[1]}",
        direction="in",
        attachment_name=CHAT[2],
        attachment_type="text/plain",
        attachment=CHAT[3].encode("utf-8"),
        actor=CONSOLE,
        now=NOW,
    )
    copy = _copy_of(store, tmp_path)
    for secret in [*_secrets(numbers), *CUSTODY_SECRETS, *codes, *CHAT]:
        for form in _forms(secret):
            assert form not in copy, f"{secret!r} is in the copy in plain text"
    # The grep would see what is kept in the clear: the registrar's name and the language.
    assert b"rita" in copy
    # ... and the records read back whole with the key file.
    listed = custody.list_prisoners(cp, actor=RITA)
    assert [r.surname for r in listed] == [p[0] for p in PEOPLE]
    assert [r.prisoner_number for r in listed] == numbers
    assert custody.get_prisoner(cp, numbers[1], actor=RITA).next_of_kin == PEOPLE[1][3]
    _check_custody(cp, numbers[0])


def _record_custody(cp: CustodyPorts, number: str) -> None:
    """An arrival and a receipt on a case, an event and a receipt for a prisoner."""
    name, ring, point, hospital, wound, photo, landing = CUSTODY_SECRETS
    ports = CaseworkPorts(database=cp.database, passwords=FAST_PASSWORDS)  # type: ignore[arg-type]
    case_id = open_case(ports, language="ru", actor=CONSOLE, now=NOW).id
    for transition in ("schedule", "plan", "launch"):
        transition_case(ports, case_id, transition, actor=CONSOLE, now=NOW)
    arrival = Arrival(
        at=NOW,
        place=landing,
        escorts=("Sgt Koval",),
        people=1,
        health=HealthCategory.SLIGHTLY_WOUNDED,
        medical_priority=False,
        effects_kept=(photo,),
    )
    custody.record_arrival(cp, case_id, arrival, actor=CONSOLE, now=NOW)
    items = [ReceiptItem(description=ring, amount=Decimal("1"), currency="XXX")]
    custody.issue_receipt(cp, case_id, items, actor=CONSOLE, place=point, prisoner_name=name)
    custody.issue_receipt(cp, number, items, actor=CONSOLE, place=hospital)
    custody.record_custody_event(
        cp,
        number,
        NibEvent.HOSPITAL_ADMISSION,
        occurred_on=TODAY,
        place=hospital,
        details=wound,
        actor=RITA,
    )


def _check_custody(cp: CustodyPorts, number: str) -> None:
    """What :func:`_record_custody` wrote reads back whole with the key file."""
    name, ring, point, hospital, wound, photo, landing = CUSTODY_SECRETS
    first, second = (custody.get_receipt(cp, n, actor=CONSOLE) for n in ("R-000001", "R-000002"))
    assert (first.prisoner_name, first.place, first.items[0].description) == (name, point, ring)
    assert (second.prisoner_number, second.place) == (number, hospital)
    (event,) = custody.prisoner_events(cp, number, actor=RITA)[1:]
    assert (event.place, event.details) == (hospital, wound)
    info = custody.custody_of(cp, first_case(cp), actor=CONSOLE)
    assert info.arrival is not None
    assert (info.arrival.place, info.arrival.effects_kept) == (landing, (photo,))


def first_case(cp: CustodyPorts) -> int:
    with cp.database.unit_of_work(read_only=True) as uow:
        return int(uow.session.scalar(sa.text("SELECT min(id) FROM cases")))  # type: ignore[attr-defined]


def test_a_sealed_record_moved_to_another_row_does_not_open(store: Store, cp: CustodyPorts) -> None:
    first, second, _ = _register_all(cp)
    engine = store.engine()
    with engine.begin() as connection:
        rows = connection.execute(
            sa.text("SELECT id, data_key_id, sealed_registration FROM prisoners ORDER BY id")
        ).all()
        (a, key_a, sealed_a), (b, key_b, sealed_b) = rows[0], rows[1]
        # The attacker swaps the sealed records and their keys between two rows.
        for row_id, key, sealed in ((a, key_b, sealed_b), (b, key_a, sealed_a)):
            connection.execute(
                sa.text(
                    "UPDATE prisoners SET data_key_id = :k, sealed_registration = :s WHERE id = :i"
                ),
                {"k": key, "s": sealed, "i": row_id},
            )
    fresh = replace(cp, database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER))
    for number in (first, second):
        with pytest.raises(BadFileError, match="moved from another row") as caught:
            custody.get_prisoner(fresh, number, actor=RITA)
        assert caught.value.field == "ciphertext"


def test_a_destroyed_data_key_leaves_its_record_unreadable(store: Store, cp: CustodyPorts) -> None:
    first, second, _ = _register_all(cp)
    engine = store.engine()
    with engine.connect() as connection:
        owner = connection.execute(
            sa.text(
                "SELECT owner FROM data_keys JOIN prisoners ON prisoners.data_key_id = "
                "data_keys.id WHERE number_index = :i"
            ),
            {"i": TEST_CIPHER.blind_index("prisoner_number", first)},
        ).scalar_one()
    assert owner.startswith("prisoner:") and first not in owner
    assert SqlDataKeys(engine).destroy(owner, at=datetime.now(UTC)) == 1
    fresh = replace(cp, database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER))
    with pytest.raises(BadFileError, match="destroyed"):
        custody.get_prisoner(fresh, first, actor=RITA)
    assert custody.get_prisoner(fresh, second, actor=RITA).surname == PEOPLE[1][0]


def test_without_the_key_file_no_record_is_read_or_written(store: Store, cp: CustodyPorts) -> None:
    (number, *_) = _register_all(cp)
    blind = replace(cp, database=SqlCaseworkDatabase(store.engine()))
    for attempt in (
        lambda: custody.get_prisoner(blind, number, actor=RITA),
        lambda: custody.list_prisoners(blind, actor=RITA),
        lambda: custody.register_prisoner(blind, _registration(*PEOPLE[0]), actor=RITA),
    ):
        with pytest.raises(BadFileError, match="open the store with its key file") as caught:
            attempt()
        assert caught.value.field == "key_file"


def test_0009_refuses_a_database_holding_plain_prisoners(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0008")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO prisoners (prisoner_number, status, language, registration, "
                "registered_at, registered_by, updated_at) VALUES ('PW-000001', 'interned', "
                "'ru', '{}', CURRENT_TIMESTAMP, 'rita', CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(BadFileError, match="holds 1 registered prisoner") as caught:
        upgrade(engine)
    assert caught.value.field == "db"
    assert current_revision(engine) == "0008"


def test_a_database_without_prisoners_upgrades_and_downgrades(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0008")
    upgrade(engine, "0009")
    assert current_revision(engine) == "0009"
    ports = CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    empty = CustodyPorts(database=ports.database, documents=_NoDocuments())  # type: ignore[arg-type]
    assert custody.list_prisoners(empty, actor=RITA) == []
    from safeconduct.adapters.store.migrate import downgrade

    downgrade(engine, "0008")
    assert "prisoner_number" in {c["name"] for c in sa.inspect(engine).get_columns("prisoners")}
