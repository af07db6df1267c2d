"""Custody in the database (revision 0007): prisoners and their events, arrivals,
receipts, gap-free number series, and the case-side link from cases to prisoners.

The repositories map rows to the custody values and back and never commit: the unit of
work (:mod:`.unit_of_work`) owns the transaction.

Revision 0009: a prisoner's registration is sealed under the prisoner's data key (owner
``prisoner:<first 32 digits of the number's blind index>``), and prisoner numbers are looked
up by their keyed blind index; the field cipher comes from the unit of work, and without
one no prisoner is read or written.

Revision 0011: the personal fields left in the clear are sealed too (one JSON column a
table, :mod:`.sealing`): an event's place and details under its prisoner's key; an
arrival's place and effects kept under its case's key (owner ``case:<id>``, made with the
case's first sealed value); a receipt's name, items and place under its prisoner's key, or
its case's before registration.
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
from safeconduct.adapters.store.sealing import Sealer, case_owner
from safeconduct.custody.arrival import Arrival
from safeconduct.custody.effects import Receipt, ReceiptItem
from safeconduct.custody.health import HealthCategory
from safeconduct.custody.nib import NibEvent
from safeconduct.custody.record import Registration, registration_from_json, registration_to_json
from safeconduct.custody.status import CustodyStatus
from safeconduct.errors import InvalidValueError
from safeconduct.services.ports import (
    FieldCipher,
    StoredArrival,
    StoredCustodyEvent,
    StoredPrisoner,
    StoredReceipt,
    WrappedDataKey,
)

_TABLE, _COLUMN = "prisoners", "registration"  # the associated data of a sealed record
# Revision 0011: the tables whose personal fields are sealed, one JSON column each.
_EVENTS, _ARRIVALS, _RECEIPTS = "prisoner_events", "arrivals", "receipts"


class SealedPrisoners(Sealer):
    """Seals and opens prisoners' records in one session: data keys, blind indexes.

    A :class:`~.sealing.Sealer` shared by the custody repositories of one unit of work;
    besides the registration it seals a prisoner's events and receipts under the
    prisoner's key, and a case's arrival and receipts under the case's key (revision 0011).

    Parameters
    ----------
    session
        The unit of work's session.
    cipher
        The field cipher of the key file; None: the store was opened without it, and every
        prisoner read or write is refused.
    """

    def __init__(self, session: Session, cipher: FieldCipher | None) -> None:
        super().__init__(session, cipher)
        self._opened: dict[int, Registration] = {}

    def index(self, prisoner_number: str) -> str:
        """The blind index a prisoner number is stored and looked up by."""
        return self.cipher.blind_index("prisoner_number", prisoner_number)

    def new_key(self, number_index: str) -> WrappedDataKey:
        """A new data key for the prisoner of ``number_index``, added to the session."""
        return self.add_key(f"prisoner:{number_index[:32]}")

    def seal_registration(self, row: PrisonerRow, registration: Registration) -> None:
        """Seal ``registration`` into ``row`` (flushed: its id binds the ciphertext)."""
        row.sealed_registration = self.seal(
            registration_to_json(registration),
            table=_TABLE,
            column=_COLUMN,
            row_id=row.id,
            key_id=row.data_key_id,
        )
        self._session.flush()
        self._opened[row.id] = registration

    def registration(self, row: PrisonerRow) -> Registration:
        """The registration sealed in ``row``."""
        found = self._opened.get(row.id)
        if found is None:
            found = registration_from_json(
                self.open(
                    row.sealed_registration,
                    table=_TABLE,
                    column=_COLUMN,
                    row_id=row.id,
                    key_id=row.data_key_id,
                )
            )
            self._opened[row.id] = found
        return found

    def number(self, row: PrisonerRow) -> str:
        """The prisoner number of ``row`` (from its sealed record)."""
        number = self.registration(row).prisoner_number
        assert number is not None  # a prisoner is stored with a number
        return number

    def prime_rows(self, rows: list[PrisonerRow]) -> list[PrisonerRow]:
        """Read the data keys of ``rows`` in one query (not one per record); return rows."""
        self.prime(row.data_key_id for row in rows)
        return rows

    def prisoner(self, row: PrisonerRow) -> StoredPrisoner:
        return StoredPrisoner(
            id=row.id,
            registration=self.registration(row),
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

    def __init__(self, sealed: SealedPrisoners, session: Session, *, lock: bool = False) -> None:
        self._sealed = sealed
        self._session = session
        self._lock = lock

    def add(
        self, registration: Registration, *, status: CustodyStatus, at: datetime, by: str
    ) -> StoredPrisoner:
        number = registration.prisoner_number
        if number is None:
            raise InvalidValueError("a prisoner is stored with a number", field="prisoner_number")
        number_index = self._sealed.index(number)
        row = PrisonerRow(
            number_index=number_index,
            sealed_registration=b"",  # sealed once the row has its id
            status=str(status),
            language=registration.language,
            registered_at=at,
            registered_by=by,
            updated_at=at,
        )
        try:
            # A savepoint: a number taken already leaves the transaction usable, and no
            # data key behind. The row is written first (its id binds the ciphertext).
            with self._session.begin_nested():
                row.data_key_id = self._sealed.new_key(number_index).id
                self._session.add(row)
                self._session.flush()
                self._sealed.seal_registration(row, registration)
        except exc.IntegrityError as error:
            raise InvalidValueError(
                f"prisoner number {number} is taken already", field="prisoner_number"
            ) from error
        return self._sealed.prisoner(row)

    def get(self, prisoner_number: str) -> StoredPrisoner | None:
        index = self._sealed.index(prisoner_number)
        query = sa.select(PrisonerRow).where(PrisonerRow.number_index == index)
        if self._lock:
            query = query.with_for_update()
        row = self._session.scalars(query).one_or_none()
        return None if row is None else self._sealed.prisoner(row)

    def get_by_id(self, prisoner_id: int) -> StoredPrisoner | None:
        row = self._session.get(PrisonerRow, prisoner_id)
        return None if row is None else self._sealed.prisoner(row)

    def list_all(self) -> list[StoredPrisoner]:
        # Sorted here: the numbers are sealed, the database cannot order them.
        rows = self._sealed.prime_rows(list(self._session.scalars(sa.select(PrisonerRow))))
        found = [self._sealed.prisoner(row) for row in rows]
        return sorted(found, key=lambda p: p.registration.prisoner_number or "")

    def set_status(self, prisoner_id: int, status: CustodyStatus, *, at: datetime) -> None:
        self._session.execute(
            sa.update(PrisonerRow)
            .where(PrisonerRow.id == prisoner_id)
            .values(status=str(status), updated_at=at)
            .execution_options(synchronize_session=False)
        )

    def add_event(self, prisoner_id: int, event: StoredCustodyEvent) -> None:
        prisoner = self._session.get(PrisonerRow, prisoner_id)
        if prisoner is None:
            raise InvalidValueError(f"there is no prisoner {prisoner_id}", field="prisoner")
        row = PrisonerEventRow(
            prisoner_id=prisoner_id,
            event=str(event.event),
            occurred_on=event.occurred_on,
            data_key_id=prisoner.data_key_id,  # the prisoner's: shredded with him
            sealed_details=b"",  # sealed once the row has its id
            from_status=str(event.from_status),
            to_status=str(event.to_status),
            recorded_at=event.recorded_at,
            recorded_by=event.recorded_by,
        )
        self._session.add(row)
        self._session.flush()
        row.sealed_details = self._sealed.seal(
            {"place": event.place, "details": event.details},
            table=_EVENTS,
            column="details",
            row_id=row.id,
            key_id=row.data_key_id,
        )
        self._session.flush()

    def events(
        self, *, since: datetime | None = None, prisoner_number: str | None = None
    ) -> list[StoredCustodyEvent]:
        query = (
            sa.select(PrisonerEventRow, PrisonerRow)
            .join(PrisonerRow, PrisonerRow.id == PrisonerEventRow.prisoner_id)
            .order_by(PrisonerEventRow.id)
        )
        if since is not None:
            query = query.where(PrisonerEventRow.recorded_at > since)
        if prisoner_number is not None:
            query = query.where(PrisonerRow.number_index == self._sealed.index(prisoner_number))
        found = self._session.execute(query).all()
        self._sealed.prime_rows([prisoner for _, prisoner in found])
        opened = [
            (
                row,
                prisoner,
                self._sealed.open(
                    row.sealed_details,
                    table=_EVENTS,
                    column="details",
                    row_id=row.id,
                    key_id=row.data_key_id,
                ),
            )
            for row, prisoner in found
        ]
        return [
            StoredCustodyEvent(
                prisoner_number=self._sealed.number(prisoner),
                event=NibEvent(row.event),
                occurred_on=row.occurred_on,
                from_status=CustodyStatus(row.from_status),
                to_status=CustodyStatus(row.to_status),
                recorded_at=row.recorded_at,
                recorded_by=row.recorded_by,
                place=sealed["place"],
                details=sealed["details"],
            )
            for row, prisoner, sealed in opened
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


class SqlArrivals:
    """The ``arrivals`` table: one arrival per case. The place and the effects kept are
    sealed under the case's data key (revision 0011); times, counts and health in clear."""

    def __init__(self, sealed: Sealer, session: Session) -> None:
        self._sealed = sealed
        self._session = session

    def add(self, arrival: StoredArrival) -> None:
        value = arrival.arrival
        key = self._sealed.owner_key(case_owner(arrival.case_id))  # outside the savepoint
        row = ArrivalRow(
            case_id=arrival.case_id,
            at=value.at,
            escorts=list(value.escorts),
            people=value.people,
            health=str(value.health),
            medical_priority=value.medical_priority,
            data_key_id=key.id,
            sealed_arrival=b"",  # sealed once the row has its id
            recorded_at=arrival.recorded_at,
            recorded_by=arrival.recorded_by,
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except exc.IntegrityError as error:
            raise InvalidValueError(
                "the arrival of this case is recorded already", field="case"
            ) from error
        row.sealed_arrival = self._sealed.seal(
            {"place": value.place, "effects_kept": list(value.effects_kept)},
            table=_ARRIVALS,
            column="arrival",
            row_id=row.id,
            key_id=key.id,
        )
        self._session.flush()

    def get_for_case(self, case_id: int) -> StoredArrival | None:
        row = self._session.scalars(
            sa.select(ArrivalRow).where(ArrivalRow.case_id == case_id)
        ).one_or_none()
        if row is None:
            return None
        sealed = self._sealed.open(
            row.sealed_arrival,
            table=_ARRIVALS,
            column="arrival",
            row_id=row.id,
            key_id=row.data_key_id,
        )
        return StoredArrival(
            case_id=row.case_id,
            arrival=Arrival(
                at=row.at,
                place=sealed["place"],
                escorts=tuple(row.escorts),
                people=row.people,
                health=HealthCategory(row.health),
                medical_priority=row.medical_priority,
                effects_kept=tuple(sealed["effects_kept"]),
            ),
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
        )


_RECEIPT_WITH_PRISONER = sa.select(ReceiptRow, PrisonerRow).outerjoin(
    PrisonerRow, PrisonerRow.id == ReceiptRow.prisoner_id
)


class SqlReceipts:
    """The ``receipts`` table. Amounts are kept as decimal text: every digit survives.

    The name, the items and the place are sealed (revision 0011): a registered prisoner's
    receipt under the prisoner's data key, a case's under the case's.
    """

    def __init__(self, sealed: SealedPrisoners, session: Session) -> None:
        self._sealed = sealed
        self._session = session

    def _number(self, prisoner: PrisonerRow | None) -> str | None:
        return None if prisoner is None else self._sealed.number(prisoner)

    def add(self, receipt: StoredReceipt) -> None:
        value = receipt.receipt
        prisoner: PrisonerRow | None = None
        if value.prisoner_number is not None:
            prisoner = self._session.scalars(
                sa.select(PrisonerRow).where(
                    PrisonerRow.number_index == self._sealed.index(value.prisoner_number)
                )
            ).one_or_none()
            if prisoner is None:
                raise InvalidValueError(
                    f"there is no prisoner {value.prisoner_number}", field="prisoner_number"
                )
            key_id = prisoner.data_key_id
        elif receipt.case_id is not None:
            key_id = self._sealed.owner_key(case_owner(receipt.case_id)).id
        else:
            raise InvalidValueError("a receipt is issued for a case or a prisoner", field="case")
        row = ReceiptRow(
            number=value.number,
            issued_on=value.issued_on,
            language=value.language,
            case_id=receipt.case_id,
            prisoner_id=None if prisoner is None else prisoner.id,
            data_key_id=key_id,
            sealed_receipt=b"",  # sealed once the row has its id
            issued_at=receipt.issued_at,
            issued_by=receipt.issued_by,
        )
        self._session.add(row)
        self._session.flush()
        row.sealed_receipt = self._sealed.seal(
            {
                "prisoner_name": value.prisoner_name,
                "place": value.place,
                "items": [
                    {"description": i.description, "amount": str(i.amount), "currency": i.currency}
                    for i in value.items
                ],
            },
            table=_RECEIPTS,
            column="receipt",
            row_id=row.id,
            key_id=key_id,
        )
        self._session.flush()

    def _receipt(self, row: ReceiptRow, prisoner: PrisonerRow | None) -> StoredReceipt:
        sealed = self._sealed.open(
            row.sealed_receipt,
            table=_RECEIPTS,
            column="receipt",
            row_id=row.id,
            key_id=row.data_key_id,
        )
        items = tuple(
            ReceiptItem(
                description=item["description"],
                amount=Decimal(item["amount"]),
                currency=item["currency"],
            )
            for item in sealed["items"]
        )
        return StoredReceipt(
            receipt=Receipt(
                number=row.number,
                items=items,
                issued_on=row.issued_on,
                place=sealed["place"],
                language=row.language,
                prisoner_name=sealed["prisoner_name"],
                prisoner_number=self._number(prisoner),
            ),
            issued_at=row.issued_at,
            issued_by=row.issued_by,
            case_id=row.case_id,
        )

    def get(self, number: str) -> StoredReceipt | None:
        found = self._session.execute(
            _RECEIPT_WITH_PRISONER.where(ReceiptRow.number == number)
        ).one_or_none()
        return None if found is None else self._receipt(found[0], found[1])

    def for_case(self, case_id: int) -> list[StoredReceipt]:
        rows = self._session.execute(
            _RECEIPT_WITH_PRISONER.where(ReceiptRow.case_id == case_id).order_by(ReceiptRow.id)
        )
        found = rows.all()
        self._sealed.prime_rows([prisoner for _, prisoner in found if prisoner is not None])
        self._sealed.prime(row.data_key_id for row, _ in found)
        return [self._receipt(row, prisoner) for row, prisoner in found]


class SqlCasePrisoners:
    """The ``case_prisoners`` table: the only place a prisoner meets a case."""

    def __init__(self, sealed: SealedPrisoners, session: Session) -> None:
        self._sealed = sealed
        self._session = session

    def link(self, case_id: int, prisoner_id: int) -> None:
        self._session.add(CasePrisonerRow(case_id=case_id, prisoner_id=prisoner_id))
        self._session.flush()

    def prisoners_of(self, case_id: int) -> list[str]:
        rows = self._sealed.prime_rows(
            list(
                self._session.scalars(
                    sa.select(PrisonerRow)
                    .join(CasePrisonerRow, CasePrisonerRow.prisoner_id == PrisonerRow.id)
                    .where(CasePrisonerRow.case_id == case_id)
                )
            )
        )
        return sorted(self._sealed.number(row) for row in rows)

    def case_of(self, prisoner_id: int) -> int | None:
        return self._session.scalar(
            sa.select(CasePrisonerRow.case_id).where(CasePrisonerRow.prisoner_id == prisoner_id)
        )

    def statuses_of(self, case_id: int) -> dict[str, CustodyStatus]:
        # A plain read, no FOR UPDATE: two registrars recording events on two prisoners of
        # one case would otherwise each hold one prisoner and wait for the other's.
        rows = self._sealed.prime_rows(
            list(
                self._session.scalars(
                    sa.select(PrisonerRow)
                    .join(CasePrisonerRow, CasePrisonerRow.prisoner_id == PrisonerRow.id)
                    .where(CasePrisonerRow.case_id == case_id)
                )
            )
        )
        return {self._sealed.number(row): CustodyStatus(row.status) for row in rows}
