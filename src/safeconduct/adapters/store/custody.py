"""Custody in the database (revision 0007): prisoners and their events, arrivals,
receipts, gap-free number series, and the case-side link from cases to prisoners.

The repositories map rows to the custody values and back and never commit: the unit of
work (:mod:`.unit_of_work`) owns the transaction.

Revision 0009: a prisoner's registration is sealed under the prisoner's data key (owner
``prisoner:<first 32 digits of the number's blind index>``), and prisoner numbers are looked
up by their keyed blind index; the field cipher comes from the unit of work, and without
one no prisoner is read or written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from safeconduct.adapters.store.models import (
    ArrivalRow,
    CasePrisonerRow,
    DataKeyRow,
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
from safeconduct.errors import BadFileError, InvalidValueError
from safeconduct.services.ports import (
    FieldCipher,
    StoredArrival,
    StoredCustodyEvent,
    StoredPrisoner,
    StoredReceipt,
    WrappedDataKey,
)

_TABLE, _COLUMN = "prisoners", "registration"  # the associated data of a sealed record


class SealedPrisoners:
    """Seals and opens prisoners' records in one session: data keys, blind indexes.

    Parameters
    ----------
    session
        The unit of work's session.
    cipher
        The field cipher of the key file; None: the store was opened without it, and every
        prisoner read or write is refused.
    """

    def __init__(self, session: Session, cipher: FieldCipher | None) -> None:
        self._session = session
        self._given = cipher
        self._keys: dict[str, WrappedDataKey] = {}
        self._opened: dict[int, Registration] = {}

    @property
    def cipher(self) -> FieldCipher:
        if self._given is None:
            raise BadFileError(
                "prisoners' records are encrypted: open the store with its key file",
                field="key_file",
            )
        return self._given

    def index(self, prisoner_number: str) -> str:
        """The blind index a prisoner number is stored and looked up by."""
        return self.cipher.blind_index("prisoner_number", prisoner_number)

    def new_key(self, number_index: str) -> WrappedDataKey:
        """A new data key for the prisoner of ``number_index``, added to the session."""
        key = self.cipher.new_data_key(f"prisoner:{number_index[:32]}")
        self._session.add(
            DataKeyRow(
                id=key.id,
                owner=key.owner,
                wrapped_key=key.wrapped,
                master_key_id=key.master_key_id,
                created_at=datetime.now(UTC),
            )
        )
        self._keys[key.id] = key
        return key

    def seal(self, row: PrisonerRow, registration: Registration) -> None:
        """Seal ``registration`` into ``row`` (flushed: its id binds the ciphertext)."""
        key = self._key(row.data_key_id)
        plain = json.dumps(registration_to_json(registration), ensure_ascii=False)
        row.sealed_registration = self.cipher.encrypt(
            plain.encode("utf-8"), table=_TABLE, column=_COLUMN, row=str(row.id), key=key
        )
        self._session.flush()
        self._opened[row.id] = registration

    def registration(self, row: PrisonerRow) -> Registration:
        """The registration sealed in ``row``."""
        found = self._opened.get(row.id)
        if found is None:
            plain = self.cipher.decrypt(
                bytes(row.sealed_registration),
                table=_TABLE,
                column=_COLUMN,
                row=str(row.id),
                key=self._key(row.data_key_id),
            )
            found = registration_from_json(json.loads(plain.decode("utf-8")))
            self._opened[row.id] = found
        return found

    def number(self, row: PrisonerRow) -> str:
        """The prisoner number of ``row`` (from its sealed record)."""
        number = self.registration(row).prisoner_number
        assert number is not None  # a prisoner is stored with a number
        return number

    def prime(self, rows: list[PrisonerRow]) -> list[PrisonerRow]:
        """Read the data keys of ``rows`` in one query (not one per record); return rows."""
        wanted = {row.data_key_id for row in rows} - self._keys.keys()
        if wanted:
            found = self._session.scalars(
                sa.select(DataKeyRow).where(
                    DataKeyRow.id.in_(wanted), DataKeyRow.wrapped_key.is_not(None)
                )
            )
            for key in found:
                assert key.wrapped_key is not None
                self._keys[key.id] = WrappedDataKey(
                    id=key.id,
                    owner=key.owner,
                    wrapped=bytes(key.wrapped_key),
                    master_key_id=key.master_key_id,
                )
        return rows

    def _key(self, key_id: str) -> WrappedDataKey:
        key = self._keys.get(key_id)
        if key is None:
            row = self._session.get(DataKeyRow, key_id)
            if row is None or row.wrapped_key is None:
                raise BadFileError(
                    f"data key {key_id} was destroyed: its records are gone", field="ciphertext"
                )
            key = WrappedDataKey(
                id=row.id,
                owner=row.owner,
                wrapped=bytes(row.wrapped_key),
                master_key_id=row.master_key_id,
            )
            self._keys[key_id] = key
        return key

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
                self._sealed.seal(row, registration)
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

    def list_all(self) -> list[StoredPrisoner]:
        # Sorted here: the numbers are sealed, the database cannot order them.
        rows = self._sealed.prime(list(self._session.scalars(sa.select(PrisonerRow))))
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
            sa.select(PrisonerEventRow, PrisonerRow)
            .join(PrisonerRow, PrisonerRow.id == PrisonerEventRow.prisoner_id)
            .order_by(PrisonerEventRow.id)
        )
        if since is not None:
            query = query.where(PrisonerEventRow.recorded_at > since)
        if prisoner_number is not None:
            query = query.where(PrisonerRow.number_index == self._sealed.index(prisoner_number))
        found = self._session.execute(query).all()
        self._sealed.prime([prisoner for _, prisoner in found])
        return [
            StoredCustodyEvent(
                prisoner_number=self._sealed.number(prisoner),
                event=NibEvent(row.event),
                occurred_on=row.occurred_on,
                from_status=CustodyStatus(row.from_status),
                to_status=CustodyStatus(row.to_status),
                recorded_at=row.recorded_at,
                recorded_by=row.recorded_by,
                place=row.place,
                details=row.details,
            )
            for row, prisoner in found
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


_RECEIPT_WITH_PRISONER = sa.select(ReceiptRow, PrisonerRow).outerjoin(
    PrisonerRow, PrisonerRow.id == ReceiptRow.prisoner_id
)


class SqlReceipts:
    """The ``receipts`` table. Amounts are kept as decimal text: every digit survives."""

    def __init__(self, sealed: SealedPrisoners, session: Session) -> None:
        self._sealed = sealed
        self._session = session

    def _number(self, prisoner: PrisonerRow | None) -> str | None:
        return None if prisoner is None else self._sealed.number(prisoner)

    def add(self, receipt: StoredReceipt) -> None:
        value = receipt.receipt
        prisoner_id = None
        if value.prisoner_number is not None:
            prisoner_id = self._session.scalar(
                sa.select(PrisonerRow.id).where(
                    PrisonerRow.number_index == self._sealed.index(value.prisoner_number)
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
            _RECEIPT_WITH_PRISONER.where(ReceiptRow.number == number)
        ).one_or_none()
        return None if found is None else _receipt(found[0], self._number(found[1]))

    def for_case(self, case_id: int) -> list[StoredReceipt]:
        rows = self._session.execute(
            _RECEIPT_WITH_PRISONER.where(ReceiptRow.case_id == case_id).order_by(ReceiptRow.id)
        )
        found = rows.all()
        self._sealed.prime([prisoner for _, prisoner in found if prisoner is not None])
        return [_receipt(row, self._number(prisoner)) for row, prisoner in found]


class SqlCasePrisoners:
    """The ``case_prisoners`` table: the only place a prisoner meets a case."""

    def __init__(self, sealed: SealedPrisoners, session: Session) -> None:
        self._sealed = sealed
        self._session = session

    def link(self, case_id: int, prisoner_id: int) -> None:
        self._session.add(CasePrisonerRow(case_id=case_id, prisoner_id=prisoner_id))
        self._session.flush()

    def prisoners_of(self, case_id: int) -> list[str]:
        rows = self._sealed.prime(
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
        rows = self._sealed.prime(
            list(
                self._session.scalars(
                    sa.select(PrisonerRow)
                    .join(CasePrisonerRow, CasePrisonerRow.prisoner_id == PrisonerRow.id)
                    .where(CasePrisonerRow.case_id == case_id)
                )
            )
        )
        return {self._sealed.number(row): CustodyStatus(row.status) for row in rows}
