"""Custody in the database (revision 0007): prisoners and their events, arrivals,
receipts, gap-free number series, and the case-side link from cases to prisoners.

The repositories map rows to the custody values and back and never commit: the unit of
work (:mod:`.unit_of_work`) owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from safeconduct.adapters.store.models import (
    ArrivalRow,
    CasePrisonerRow,
    NumberSeriesRow,
    PrisonerEventRow,
    PrisonerRow,
    ReceiptRow,
)
from safeconduct.custody.arrival import Arrival
from safeconduct.custody.effects import Receipt, ReceiptItem
from safeconduct.custody.health import HealthCategory
from safeconduct.custody.nib import NibEvent
from safeconduct.custody.record import Registration, registration_from_json, registration_to_json
from safeconduct.custody.status import CustodyStatus
from safeconduct.errors import InvalidValueError
from safeconduct.services.ports import (
    StoredArrival,
    StoredCustodyEvent,
    StoredPrisoner,
    StoredReceipt,
)


def _prisoner(row: PrisonerRow) -> StoredPrisoner:
    return StoredPrisoner(
        id=row.id,
        registration=registration_from_json(row.registration),
        status=CustodyStatus(row.status),
        registered_at=row.registered_at,
        registered_by=row.registered_by,
    )


class SqlPrisoners:
    """The ``prisoners`` and ``prisoner_events`` tables.

    Parameters
    ----------
    session
        The unit of work's session.
    lock
        Lock each prisoner read (``SELECT ... FOR UPDATE`` on PostgreSQL) until the
        transaction ends, so that two registrars recording events on one prisoner take
        turns and each sees the other's status.
    """

    def __init__(self, session: Session, *, lock: bool = False) -> None:
        self._session = session
        self._lock = lock

    def add(
        self, registration: Registration, *, status: CustodyStatus, at: datetime, by: str
    ) -> StoredPrisoner:
        number = registration.prisoner_number
        if number is None:
            raise InvalidValueError("a prisoner is stored with a number", field="prisoner_number")
        row = PrisonerRow(
            prisoner_number=number,
            status=str(status),
            language=registration.language,
            registration=registration_to_json(registration),
            registered_at=at,
            registered_by=by,
            updated_at=at,
        )
        try:
            # A savepoint: a number taken already leaves the transaction usable.
            with self._session.begin_nested():
                self._session.add(row)
        except exc.IntegrityError as error:
            raise InvalidValueError(
                f"prisoner number {number} is taken already", field="prisoner_number"
            ) from error
        return _prisoner(row)

    def get(self, prisoner_number: str) -> StoredPrisoner | None:
        query = sa.select(PrisonerRow).where(PrisonerRow.prisoner_number == prisoner_number)
        if self._lock:
            query = query.with_for_update()
        row = self._session.scalars(query).one_or_none()
        return None if row is None else _prisoner(row)

    def list_all(self) -> list[StoredPrisoner]:
        rows = self._session.scalars(sa.select(PrisonerRow).order_by(PrisonerRow.prisoner_number))
        return [_prisoner(row) for row in rows]

    def set_status(self, prisoner_id: int, status: CustodyStatus, *, at: datetime) -> None:
        self._session.execute(
            sa.update(PrisonerRow)
            .where(PrisonerRow.id == prisoner_id)
            .values(status=str(status), updated_at=at)
            .execution_options(synchronize_session=False)
        )

    def add_event(self, prisoner_id: int, event: StoredCustodyEvent) -> None:
        self._session.add(
            PrisonerEventRow(
                prisoner_id=prisoner_id,
                event=str(event.event),
                occurred_on=event.occurred_on,
                place=event.place,
                details=event.details,
                from_status=str(event.from_status),
                to_status=str(event.to_status),
                recorded_at=event.recorded_at,
                recorded_by=event.recorded_by,
            )
        )
        self._session.flush()

    def events(
        self, *, since: datetime | None = None, prisoner_number: str | None = None
    ) -> list[StoredCustodyEvent]:
        query = (
            sa.select(PrisonerEventRow, PrisonerRow.prisoner_number)
            .join(PrisonerRow, PrisonerRow.id == PrisonerEventRow.prisoner_id)
            .order_by(PrisonerEventRow.id)
        )
        if since is not None:
            query = query.where(PrisonerEventRow.recorded_at > since)
        if prisoner_number is not None:
            query = query.where(PrisonerRow.prisoner_number == prisoner_number)
        return [
            StoredCustodyEvent(
                prisoner_number=number,
                event=NibEvent(row.event),
                occurred_on=row.occurred_on,
                from_status=CustodyStatus(row.from_status),
                to_status=CustodyStatus(row.to_status),
                recorded_at=row.recorded_at,
                recorded_by=row.recorded_by,
                place=row.place,
                details=row.details,
            )
            for row, number in self._session.execute(query)
        ]


class SqlNumberSeries:
    """Gap-free counters in ``number_series``: one row per series, ``next_value`` the index
    the next number gets."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def take_next(self, name: str) -> int:
        # A new series gets its row first. ON CONFLICT DO NOTHING: of two transactions
        # creating it at once, the second waits for the first and then inserts nothing.
        insert = postgresql.insert if self._dialect() == "postgresql" else sqlite.insert
        self._session.execute(
            insert(NumberSeriesRow)
            .values(name=name, next_value=1)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        # One atomic statement: the row stays locked until this transaction ends, so a
        # second registrar waits and then takes the next index (PostgreSQL re-reads the
        # committed row); a rollback gives the index back. SQLite holds the write lock of
        # the whole database from BEGIN IMMEDIATE anyway.
        taken = self._session.scalar(
            sa.update(NumberSeriesRow)
            .where(NumberSeriesRow.name == name)
            .values(next_value=NumberSeriesRow.next_value + 1)
            .returning(NumberSeriesRow.next_value - 1)
            .execution_options(synchronize_session=False)
        )
        if taken is None:  # the row was just made: cannot happen short of a broken store
            raise RuntimeError(f"number series {name!r} has no row")
        return int(taken)

    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name


def _arrival(row: ArrivalRow) -> StoredArrival:
    return StoredArrival(
        case_id=row.case_id,
        arrival=Arrival(
            at=row.at,
            place=row.place,
            escorts=tuple(row.escorts),
            people=row.people,
            health=HealthCategory(row.health),
            medical_priority=row.medical_priority,
            effects_kept=tuple(row.effects_kept),
        ),
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


class SqlArrivals:
    """The ``arrivals`` table: one arrival per case."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, arrival: StoredArrival) -> None:
        value = arrival.arrival
        row = ArrivalRow(
            case_id=arrival.case_id,
            at=value.at,
            place=value.place,
            escorts=list(value.escorts),
            people=value.people,
            health=str(value.health),
            medical_priority=value.medical_priority,
            effects_kept=list(value.effects_kept),
            recorded_at=arrival.recorded_at,
            recorded_by=arrival.recorded_by,
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except exc.IntegrityError as error:
            raise InvalidValueError(
                "the arrival of this case is recorded already", field="case"
            ) from error

    def get_for_case(self, case_id: int) -> StoredArrival | None:
        row = self._session.scalars(
            sa.select(ArrivalRow).where(ArrivalRow.case_id == case_id)
        ).one_or_none()
        return None if row is None else _arrival(row)


def _receipt(row: ReceiptRow, prisoner_number: str | None) -> StoredReceipt:
    items = tuple(
        ReceiptItem(
            description=item["description"],
            amount=Decimal(item["amount"]),
            currency=item["currency"],
        )
        for item in row.items
    )
    return StoredReceipt(
        receipt=Receipt(
            number=row.number,
            items=items,
            issued_on=row.issued_on,
            place=row.place,
            language=row.language,
            prisoner_name=row.prisoner_name,
            prisoner_number=prisoner_number,
        ),
        issued_at=row.issued_at,
        issued_by=row.issued_by,
        case_id=row.case_id,
    )


_RECEIPT_WITH_NUMBER = sa.select(ReceiptRow, PrisonerRow.prisoner_number).outerjoin(
    PrisonerRow, PrisonerRow.id == ReceiptRow.prisoner_id
)


class SqlReceipts:
    """The ``receipts`` table. Amounts are kept as decimal text: every digit survives."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, receipt: StoredReceipt) -> None:
        value = receipt.receipt
        prisoner_id = None
        if value.prisoner_number is not None:
            prisoner_id = self._session.scalar(
                sa.select(PrisonerRow.id).where(
                    PrisonerRow.prisoner_number == value.prisoner_number
                )
            )
            if prisoner_id is None:
                raise InvalidValueError(
                    f"there is no prisoner {value.prisoner_number}", field="prisoner_number"
                )
        self._session.add(
            ReceiptRow(
                number=value.number,
                items=[
                    {"description": i.description, "amount": str(i.amount), "currency": i.currency}
                    for i in value.items
                ],
                issued_on=value.issued_on,
                place=value.place,
                language=value.language,
                prisoner_name=value.prisoner_name,
                case_id=receipt.case_id,
                prisoner_id=prisoner_id,
                issued_at=receipt.issued_at,
                issued_by=receipt.issued_by,
            )
        )
        self._session.flush()

    def get(self, number: str) -> StoredReceipt | None:
        found = self._session.execute(
            _RECEIPT_WITH_NUMBER.where(ReceiptRow.number == number)
        ).one_or_none()
        return None if found is None else _receipt(found[0], found[1])

    def for_case(self, case_id: int) -> list[StoredReceipt]:
        rows = self._session.execute(
            _RECEIPT_WITH_NUMBER.where(ReceiptRow.case_id == case_id).order_by(ReceiptRow.id)
        )
        return [_receipt(row, number) for row, number in rows]


class SqlCasePrisoners:
    """The ``case_prisoners`` table: the only place a prisoner meets a case."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def link(self, case_id: int, prisoner_id: int) -> None:
        self._session.add(CasePrisonerRow(case_id=case_id, prisoner_id=prisoner_id))
        self._session.flush()

    def prisoners_of(self, case_id: int) -> list[str]:
        return list(
            self._session.scalars(
                sa.select(PrisonerRow.prisoner_number)
                .join(CasePrisonerRow, CasePrisonerRow.prisoner_id == PrisonerRow.id)
                .where(CasePrisonerRow.case_id == case_id)
                .order_by(PrisonerRow.prisoner_number)
            )
        )

    def case_of(self, prisoner_id: int) -> int | None:
        return self._session.scalar(
            sa.select(CasePrisonerRow.case_id).where(CasePrisonerRow.prisoner_id == prisoner_id)
        )

    def statuses_of(self, case_id: int) -> dict[str, CustodyStatus]:
        # A plain read, no FOR UPDATE: two registrars recording events on two prisoners of
        # one case would otherwise each hold one prisoner and wait for the other's.
        rows = self._session.execute(
            sa.select(PrisonerRow.prisoner_number, PrisonerRow.status)
            .join(CasePrisonerRow, CasePrisonerRow.prisoner_id == PrisonerRow.id)
            .where(CasePrisonerRow.case_id == case_id)
        )
        return {number: CustodyStatus(status) for number, status in rows}
