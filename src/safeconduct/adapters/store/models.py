"""The tables, as SQLAlchemy 2 typed models.

The schema is made by the Alembic revisions in ``migrations/versions`` (never by
``create_all``); these models describe the head revision, and a test checks that the two
agree. Statuses, roles and transitions are stored as their names (short strings), not as
database enums, so that adding one needs no migration on PostgreSQL.

Times are time-zone aware in Python and stored in UTC (``timestamptz`` on PostgreSQL, ISO
text on SQLite, which has no time zones).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

#: Constraint names Alembic can find again on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware ``datetime`` stored in UTC and read back aware, in UTC, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a naive datetime cannot be stored: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    """A person who signs in: a unique name, an argon2 hash, and the lock-out counters."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    roles: Mapped[list[UserRoleRow]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        order_by="UserRoleRow.role",
        lazy="selectin",
    )


class UserRoleRow(Base):
    """One role a user holds (a person may hold several; they get the union)."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    user: Mapped[UserRow] = relationship(back_populates="roles")


class CaseRow(Base):
    """A surrender case: its code (sealed), language, channel and current status."""

    __tablename__ = "cases"
    # Revision 0005: the case list pages newest change first by (last_changed_at, id),
    # read backwards from these indexes: every case, or one opener's.
    __table_args__ = (
        Index("ix_cases_last_changed_at_id", "last_changed_at", "id"),
        Index("ix_cases_opened_by_last_changed_at_id", "opened_by", "last_changed_at", "id"),
        # Revision 0012 renamed case_code to code_index in place: the constraint kept its name.
        UniqueConstraint("code_index", name="uq_cases_case_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Revision 0012: the case code only as its keyed blind index (found by exact match,
    # never by a plaintext column) and sealed under the case's data key (``case:<id>``).
    # The key is made once the row has its id, in the same transaction; no foreign key
    # names it (the revision changes the table in place, and keys are never deleted).
    code_index: Mapped[str] = mapped_column(String(16))  # sealing.case_code_index
    data_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sealed_code: Mapped[bytes] = mapped_column(LargeBinary)
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Who opened it (a user name, or "console"): an operator's "own" cases. Revision 0003;
    # cases opened before it were opened at the console, the only way then.
    opened_by: Mapped[str] = mapped_column(String(64), server_default="console")
    # The time of the latest event, or of opening (revision 0005): kept with the status by
    # every save, so that a list needs no look at the timeline.
    last_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())

    events: Mapped[list[CaseEventRow]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        order_by="CaseEventRow.id",
        lazy="selectin",
    )


class CaseEventRow(Base):
    """One transition of a case: who did what, when, from which status to which."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    transition: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))

    case: Mapped[CaseRow] = relationship(back_populates="events")


class ApiTokenRow(Base):
    """A bearer token of the web API, kept as its SHA-256 hash, valid until ``expires_at``."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OperationRow(Base):
    """The operation of one case (revision 0004): area, meeting, reception, plan state.

    ``artifacts`` and ``events`` are JSON lists: they are read and written whole with the
    operation, never queried into.
    """

    __tablename__ = "operations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    area: Mapped[str] = mapped_column(String(64))
    meeting_lat: Mapped[float] = mapped_column(Float)
    meeting_lon: Mapped[float] = mapped_column(Float)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    window_end: Mapped[datetime] = mapped_column(UtcDateTime())
    reception: Mapped[str | None] = mapped_column(String(128), nullable=True)
    plan_status: Mapped[str] = mapped_column(String(16))
    artifacts: Mapped[list[str]] = mapped_column(JSON)
    events: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PlanJobRow(Base):
    """One plan job (revision 0004): queued, running, done or failed, with its attempts.

    On SQLite the in-process worker claims these rows; on PostgreSQL procrastinate runs
    them and this row is the record the API shows and the final attach is keyed by.
    """

    __tablename__ = "plan_jobs"
    __table_args__ = (Index("ix_plan_jobs_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class CaseAssignmentRow(Base):
    """A crew member or reception team member assigned to a case (revision 0006)."""

    __tablename__ = "case_assignments"
    __table_args__ = (Index("ix_case_assignments_user_name_case_id", "user_name", "case_id"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    user_name: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.name", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    assigned_by: Mapped[str] = mapped_column(String(64))


# ----------------------------------------------------------------- custody (revision 0007)


class PrisonerRow(Base):
    """A registered prisoner of war (revision 0007): the number, the status, the record.

    ``sealed_registration`` is the registration's JSON form
    (:func:`~safeconduct.custody.record.registration_to_json`) encrypted under the
    prisoner's data key, read and written whole; the prisoner number is looked up by its
    blind index ``number_index``, the status in the clear. No column names a case: a case's
    prisoners are listed on the case side (:class:`CasePrisonerRow`).
    """

    __tablename__ = "prisoners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Revision 0009: the prisoner number only as its keyed blind index, and the record
    # sealed under the prisoner's data key (bound to this table, column and row).
    number_index: Mapped[str] = mapped_column(String(64), unique=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.id"))
    sealed_registration: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    registered_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PrisonerEventRow(Base):
    """One event notified to the Information Bureau (revision 0007), in recorded order."""

    __tablename__ = "prisoner_events"
    __table_args__ = (
        Index("ix_prisoner_events_prisoner_id_id", "prisoner_id", "id"),
        Index("ix_prisoner_events_recorded_at", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prisoner_id: Mapped[int] = mapped_column(ForeignKey("prisoners.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(24))
    occurred_on: Mapped[date] = mapped_column(Date)
    # Revision 0011: place and details sealed (JSON) under the prisoner's data key.
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.id"))
    sealed_details: Mapped[bytes] = mapped_column(LargeBinary)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))


class ArrivalRow(Base):
    """The arrival of the person of a case at the reception point (revision 0007)."""

    __tablename__ = "arrivals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    escorts: Mapped[list[str]] = mapped_column(JSON)
    people: Mapped[int] = mapped_column(Integer)
    health: Mapped[str] = mapped_column(String(24))
    medical_priority: Mapped[bool] = mapped_column(Boolean)
    # Revision 0011: place and effects kept sealed (JSON) under the case's data key.
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.id"))
    sealed_arrival: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))


class ReceiptRow(Base):
    """A numbered receipt for money and valuables taken (revision 0007, Art. 18).

    Issued either for the person of a case (before registration: reception data of the
    case) or for a registered prisoner: one of ``case_id`` and ``prisoner_id``.
    """

    __tablename__ = "receipts"
    __table_args__ = (
        Index("ix_receipts_case_id", "case_id"),
        Index("ix_receipts_prisoner_id", "prisoner_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(8))
    # Revision 0011: name, items and place sealed (JSON) under the prisoner's data key,
    # or the case's before registration.
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.id"))
    sealed_receipt: Mapped[bytes] = mapped_column(LargeBinary)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), nullable=True
    )
    prisoner_id: Mapped[int | None] = mapped_column(
        ForeignKey("prisoners.id", ondelete="CASCADE"), nullable=True
    )
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    issued_by: Mapped[str] = mapped_column(String(64))


class NumberSeriesRow(Base):
    """A gap-free number series (revision 0007): the index its next number gets."""

    __tablename__ = "number_series"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer)


class CasePrisonerRow(Base):
    """A prisoner registered from a case (revision 0007): the link, kept on the case side
    only (the operation record), never in the prisoner's own record."""

    __tablename__ = "case_prisoners"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    prisoner_id: Mapped[int] = mapped_column(
        ForeignKey("prisoners.id", ondelete="CASCADE"), primary_key=True, unique=True
    )


class AuditEntryRow(Base):
    """One audit entry (revision 0008): append-only, refused UPDATE and DELETE by triggers.

    ``roles`` is the comma-joined sorted role names; ``seq`` is given by the writer
    (:class:`~safeconduct.adapters.store.audit.SqlAuditTrail`), never by the database.
    """

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    user_name: Mapped[str] = mapped_column(String(64))
    roles: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(48))
    record: Mapped[str] = mapped_column(String(96))
    purpose: Mapped[str | None] = mapped_column(String(500), nullable=True)
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class DataKeyRow(Base):
    """A data key wrapped by the master key of the key file (revision 0009).

    One per owner (``"prisoner:12"``, ``"case:3"``): the unit purged together. Destroying a
    key clears ``wrapped_key`` and sets ``destroyed_at``: its ciphertexts then open for
    nobody, in this database and in every copy taken before (crypto-shredding).
    """

    __tablename__ = "data_keys"
    __table_args__ = (Index("ix_data_keys_owner", "owner"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    master_key_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    destroyed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class CaseMessageRow(Base):
    """One message of a case's conversation (revision 0010), sealed under its own data key.

    ``sealed_text``, ``sealed_attachment_name`` and ``sealed_attachment`` are encrypted
    under the data key of owner ``message:<id>`` (bound to this table, column and row), so
    that deleting one message destroys its key and leaves the case and the other messages.
    The attachment's MIME type is in the clear.
    """

    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    author: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.id"))
    sealed_text: Mapped[bytes] = mapped_column(LargeBinary)
    attachment_type: Mapped[str | None] = mapped_column(String(128), nullable=True)
    sealed_attachment_name: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    sealed_attachment: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class IntakeConversationRow(Base):
    """A chat conversation of the intake bot, one per case it opened (revision 0013).

    The sender is found by ``sender_index`` (keyed blind index of ``channel:handle``); the
    handle, the flow run and the proposed meeting are sealed under the case's data key
    (owner ``case:<id>``), bound to this table, their column and the case id.
    """

    __tablename__ = "intake_conversations"
    __table_args__ = (
        Index("ix_intake_conversations_sender_index", "sender_index"),
        Index("ix_intake_conversations_status", "status"),
    )

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    channel: Mapped[str] = mapped_column(String(16))
    sender_index: Mapped[str] = mapped_column(String(64))
    data_key_id: Mapped[str] = mapped_column(String(32))
    sealed_sender: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_run: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_meeting: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    flagged_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    operator: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IntakeOutboxRow(Base):
    """A message the channel adapter has to deliver (revision 0013), sealed under the
    case's data key; ``sent_at`` set once delivered."""

    __tablename__ = "intake_outbox"
    __table_args__ = (Index("ix_intake_outbox_channel_sent_at", "channel", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    data_key_id: Mapped[str] = mapped_column(String(32))
    sealed_text: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class IntakeReceivedRow(Base):
    """The keyed blind index of a (channel, handle, message id) processed (revision
    0013): a message the channel delivers twice is processed once."""

    __tablename__ = "intake_received"

    message_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IntakePendingMediaRow(Base):
    """A file a person sent, held until an operator keeps or discards it (revision 0014).

    ``sealed_media`` is encrypted under a data key of its own (owner ``key_owner``,
    ``intake_media:<case id>:<random>``): discarding it destroys that key. ``kind``,
    ``media_type`` and ``size`` (bytes) stay in the clear for the operator's list."""

    __tablename__ = "intake_pending_media"
    __table_args__ = (
        Index("ix_intake_pending_media_case_id", "case_id"),
        Index("ix_intake_pending_media_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    key_owner: Mapped[str] = mapped_column(String(64))
    data_key_id: Mapped[str] = mapped_column(String(32))
    sealed_media: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
