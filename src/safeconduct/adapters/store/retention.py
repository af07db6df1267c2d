"""What the retention rules read of cases, and the deletion of one case (a purge).

:class:`SqlRetention` works inside the unit of work's transaction, so that a case's rows
go, its data keys are destroyed and the audit entry of the purge is appended together or
not at all. It reads no personal content: statuses, times, and whether rows exist.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from safeconduct.adapters.store.keys import destroy_keys
from safeconduct.adapters.store.models import (
    ArrivalRow,
    CaseAssignmentRow,
    CaseEventRow,
    CaseMessageRow,
    CasePrisonerRow,
    CaseRow,
    IntakePendingMediaRow,
    OperationRow,
    PlanJobRow,
    ReceiptRow,
)
from safeconduct.casework.message import message_key_owner
from safeconduct.casework.retention import CaseFacts
from safeconduct.casework.status import CaseStatus


def case_key_owner(case_id: int) -> str:
    """The owner name of a case's own data key (``case:<id>``)."""
    return f"case:{case_id}"


def _facts_query() -> sa.Select[tuple[int, str, datetime, datetime | None, bool, bool]]:
    last_message = (
        sa.select(sa.func.max(CaseMessageRow.at))
        .where(CaseMessageRow.case_id == CaseRow.id)
        .scalar_subquery()
    )
    had_operation = sa.or_(
        sa.exists().where(OperationRow.case_id == CaseRow.id),
        sa.exists().where(
            CaseEventRow.case_id == CaseRow.id,
            CaseEventRow.to_status == CaseStatus.SCHEDULED.value,
        ),
    )
    has_custody = sa.or_(
        sa.exists().where(ArrivalRow.case_id == CaseRow.id),
        sa.exists().where(ReceiptRow.case_id == CaseRow.id),
        sa.exists().where(CasePrisonerRow.case_id == CaseRow.id),
    )
    return sa.select(
        CaseRow.id,
        CaseRow.status,
        CaseRow.last_changed_at,
        last_message.label("last_message"),
        had_operation.label("had_operation"),
        has_custody.label("has_custody"),
    ).order_by(CaseRow.id)


class SqlRetention:
    """The retention facts of cases, and purging one case, in one session.

    Parameters
    ----------
    session
        The unit of work's session.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def _facts(
        self, query: sa.Select[tuple[int, str, datetime, datetime | None, bool, bool]]
    ) -> list[CaseFacts]:
        found = []
        for (
            case_id,
            status,
            changed,
            last_message,
            had_operation,
            has_custody,
        ) in self._session.execute(query):
            changed = _aware(changed)
            last = changed if last_message is None else max(changed, _aware(last_message))
            found.append(
                CaseFacts(
                    case_id=case_id,
                    status=CaseStatus(status),
                    last_activity=last,
                    had_operation=bool(had_operation),
                    has_custody=bool(has_custody),
                )
            )
        return found

    def all_facts(self) -> list[CaseFacts]:
        """The retention facts of every case, by id."""
        return self._facts(_facts_query())

    def facts_of(self, case_id: int) -> CaseFacts | None:
        """The facts of one case, its row locked until the transaction ends (PostgreSQL:
        ``FOR UPDATE``; SQLite holds its write lock), or None when it is gone."""
        if self._session.get_bind().dialect.name == "postgresql":
            locked = self._session.execute(
                sa.select(CaseRow.id).where(CaseRow.id == case_id).with_for_update()
            ).first()
            if locked is None:
                return None
        found = self._facts(_facts_query().where(CaseRow.id == case_id))
        return found[0] if found else None

    def operation_ids(self, case_id: int) -> list[int]:
        """The ids of the case's operations (their plan files live outside the database)."""
        return list(
            self._session.scalars(sa.select(OperationRow.id).where(OperationRow.case_id == case_id))
        )

    def purge_case(self, case_id: int, *, at: datetime) -> dict[str, int]:
        """Destroy the case's data keys (its own, ``case:<id>``, and each message's) and
        delete its rows; how many of each went. Registered prisoners are never touched."""
        session = self._session
        message_ids = list(
            session.scalars(sa.select(CaseMessageRow.id).where(CaseMessageRow.case_id == case_id))
        )
        owners = [case_key_owner(case_id)] + [message_key_owner(m) for m in message_ids]
        # The files a person sent, held for an operator, each under a key of its own.
        owners += list(
            session.scalars(
                sa.select(IntakePendingMediaRow.key_owner).where(
                    IntakePendingMediaRow.case_id == case_id
                )
            )
        )
        counts = {"data_keys": destroy_keys(session, owners, at=at)}

        def gone(name: str, statement: sa.Delete) -> None:
            counts[name] = int(
                session.execute(statement.execution_options(synchronize_session=False)).rowcount
            )

        operation_ids = sa.select(OperationRow.id).where(OperationRow.case_id == case_id)
        gone("messages", sa.delete(CaseMessageRow).where(CaseMessageRow.case_id == case_id))
        gone("receipts", sa.delete(ReceiptRow).where(ReceiptRow.case_id == case_id))
        gone("arrivals", sa.delete(ArrivalRow).where(ArrivalRow.case_id == case_id))
        gone(
            "assignments", sa.delete(CaseAssignmentRow).where(CaseAssignmentRow.case_id == case_id)
        )
        gone("plan_jobs", sa.delete(PlanJobRow).where(PlanJobRow.operation_id.in_(operation_ids)))
        gone("operations", sa.delete(OperationRow).where(OperationRow.id.in_(operation_ids)))
        gone("events", sa.delete(CaseEventRow).where(CaseEventRow.case_id == case_id))
        gone("cases", sa.delete(CaseRow).where(CaseRow.id == case_id))
        session.expunge_all()  # no stale case in the identity map
        return counts


def _aware(value: datetime) -> datetime:
    # Column expressions in a subquery skip the UtcDateTime decorator on SQLite.
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
