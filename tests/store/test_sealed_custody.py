"""Custody's personal fields sealed (revision 0011), on SQLite and PostgreSQL: a sealed
arrival or receipt moved to another row does not open; destroying a case's data key
shreds its arrival and receipts and leaves its prisoner's record; revision 0011 refuses a
database holding plain custody records and upgrades and downgrades one without."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from safeconduct.adapters.store.keys import SqlDataKeys
from safeconduct.adapters.store.migrate import current_revision, downgrade, head_revision, upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.custody.effects import ReceiptItem
from safeconduct.custody.nib import NibEvent
from safeconduct.errors import BadFileError
from safeconduct.services import custody
from safeconduct.services.casework import CaseworkPorts
from safeconduct.services.custody import CustodyPorts
from tests.conftest import TEST_CIPHER
from tests.store.conftest import Store
from tests.store.test_custody_store import (  # noqa: F401 (fixtures)
    RITA,
    ROMAN,
    TODAY,
    arrival,
    case_underway,
    cp,
    registration,
    team,
)

ITEMS = [ReceiptItem(description="Wristwatch", amount=Decimal("1"), currency="XXX")]


def _two_cases(team: CaseworkPorts, cp: CustodyPorts) -> tuple[int, int]:  # noqa: F811
    cases = case_underway(team), case_underway(team)
    for n, case_id in enumerate(cases):
        custody.record_arrival(cp, case_id, arrival(place=f"Point {n}"), actor=ROMAN)
        custody.issue_receipt(cp, case_id, ITEMS, actor=ROMAN, prisoner_name=f"Name {n}")
    return cases


def _fresh(cp: CustodyPorts, store: Store) -> CustodyPorts:  # noqa: F811
    return replace(cp, database=SqlCaseworkDatabase(store.engine(), cipher=TEST_CIPHER))


@pytest.mark.parametrize(("table", "column"), [("arrivals", "sealed_arrival"),
                                               ("receipts", "sealed_receipt")])  # fmt: skip
def test_a_sealed_row_moved_to_another_row_does_not_open(
    store: Store,
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
    table: str,
    column: str,
) -> None:
    first, _ = _two_cases(team, cp)
    with store.engine().begin() as connection:
        rows = connection.execute(
            sa.text(f"SELECT id, data_key_id, {column} FROM {table} ORDER BY id")
        ).all()
        (a, key_a, sealed_a), (b, key_b, sealed_b) = rows
        for row_id, key, sealed in ((a, key_b, sealed_b), (b, key_a, sealed_a)):
            connection.execute(
                sa.text(f"UPDATE {table} SET data_key_id = :k, {column} = :s WHERE id = :i"),
                {"k": key, "s": sealed, "i": row_id},
            )
    fresh = _fresh(cp, store)
    with pytest.raises(BadFileError, match="moved from another row") as caught:
        if table == "arrivals":
            custody.custody_of(fresh, first, actor=RITA)
        else:
            custody.get_receipt(fresh, "R-000001", actor=RITA)
    assert caught.value.field == "ciphertext"


def test_destroying_a_case_key_shreds_its_custody_data_not_its_prisoner(
    store: Store,
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
) -> None:
    first, second = _two_cases(team, cp)
    number = custody.register_prisoner(cp, registration(), case=first, actor=RITA, today=TODAY)
    custody.record_custody_event(
        cp, number, NibEvent.HOSPITAL_ADMISSION, occurred_on=TODAY, details="Ward 3", actor=RITA
    )
    keys = SqlDataKeys(store.engine())
    owners = sorted(k.owner for k in keys.live())
    assert owners.count(f"case:{first}") == 1 and owners.count(f"case:{second}") == 1
    assert keys.destroy(f"case:{first}", at=datetime.now(UTC)) == 1
    fresh = _fresh(cp, store)
    with pytest.raises(BadFileError, match="destroyed"):
        custody.custody_of(fresh, first, actor=RITA)
    with pytest.raises(BadFileError, match="destroyed"):
        custody.get_receipt(fresh, "R-000001", actor=RITA)
    assert custody.get_receipt(fresh, "R-000002", actor=RITA).prisoner_name == "Name 1"
    assert custody.get_prisoner(fresh, number, actor=RITA).surname == registration().surname
    events = custody.prisoner_events(fresh, number, actor=RITA)
    assert events[-1].details == "Ward 3"


def test_0011_refuses_a_database_holding_plain_custody_records(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0010")
    at = datetime(2026, 11, 27, 8, 0, tzinfo=None if store.backend == "sqlite" else UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO cases (id, case_code, language, channel, status, created_at, "
                "opened_by, last_changed_at) VALUES (1, '7KDMTW3A', 'ru', 'hotline', "
                "'in_custody', :at, 'olga', :at)"
            ),
            {"at": at},
        )
        connection.execute(
            sa.text(
                "INSERT INTO arrivals (case_id, at, place, escorts, people, health, "
                "medical_priority, effects_kept, recorded_at, recorded_by) VALUES (1, :at, "
                "'Point B', '[]', 1, 'good', false, '[]', :at, 'roman')"
            ),
            {"at": at},
        )
    with pytest.raises(BadFileError, match=r"custody records \(1 arrivals\)") as caught:
        upgrade(engine)
    assert caught.value.field == "db"
    assert current_revision(engine) == "0010"


def test_0011_upgrades_and_downgrades_a_database_without_custody_records(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0010")
    upgrade(engine, "0011")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("receipts")}
    assert {"sealed_receipt", "data_key_id"} <= columns and "prisoner_name" not in columns
    downgrade(engine, "0010")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("receipts")}
    assert {"prisoner_name", "items", "place"} <= columns and "sealed_receipt" not in columns
    upgrade(engine)
    assert current_revision(engine) == head_revision()
