"""Repositories of revision 0004: operations and their plan jobs, inside one session.

:class:`SqlOperations` maps an ``operations`` row to the domain's
:class:`~safeconduct.casework.operation.Operation` (its timeline and file names as JSON) and
back; :class:`SqlPlanJobs` keeps the ``plan_jobs`` record that the API shows, the SQLite
in-process worker claims, and the final attach of a plan is keyed by (a compare-and-set on
its status, so a plan is attached once however many workers ran it). Neither commits: the
unit of work owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from safeconduct.adapters.store.models import CaseRow, OperationRow, PlanJobRow
from safeconduct.casework.operation import Operation, OperationEvent, PlanStatus
from safeconduct.errors import InvalidValueError
from safeconduct.services.ports import StoredOperation, StoredPlanJob
from safeconduct.terrain.coords import GeoPoint

#: Job statuses after which a job is never run again.
FINISHED = ("done", "failed")


def _event_json(event: OperationEvent) -> dict[str, str]:
    return {"at": event.at.isoformat(), "actor": event.actor, "kind": event.kind,
            "text": event.text}  # fmt: skip


def _event(doc: dict[str, Any]) -> OperationEvent:
    return OperationEvent(
        at=datetime.fromisoformat(doc["at"]),
        actor=str(doc["actor"]),
        kind=str(doc["kind"]),
        text=str(doc.get("text", "")),
    )


def _operation(row: OperationRow, opened_by: str, language: str) -> StoredOperation:
    operation = Operation(
        case_id=row.case_id,
        area=row.area,
        meeting_point=GeoPoint(row.meeting_lat, row.meeting_lon),
        window_start=row.window_start,
        window_end=row.window_end,
        reception=row.reception,
        plan_status=PlanStatus(row.plan_status),
        artifacts=tuple(row.artifacts or ()),
        events=tuple(_event(e) for e in row.events or ()),
    )
    return StoredOperation(
        id=row.id, operation=operation, case_opened_by=opened_by, case_language=language
    )


class SqlOperations:
    """The ``operations`` table; ``lock``: rows read are locked until the transaction ends."""

    def __init__(self, session: Session, *, lock: bool = False) -> None:
        self._session = session
        self._lock = lock

    def _case_of(self, case_id: int) -> tuple[str, str]:
        found = self._session.execute(
            sa.select(CaseRow.opened_by, CaseRow.language).where(CaseRow.id == case_id)
        ).one_or_none()
        if found is None:
            raise InvalidValueError(f"there is no case with id {case_id}", field="case_id")
        return str(found[0]), str(found[1])

    def add(self, operation: Operation, *, now: datetime) -> StoredOperation:
        opened_by, language = self._case_of(operation.case_id)
        row = OperationRow(case_id=operation.case_id, created_at=now)
        self._fill(row, operation, now)
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except exc.IntegrityError as error:
            raise InvalidValueError(
                f"case {operation.case_id} has an operation already; change that one",
                field="case_id",
            ) from error
        return _operation(row, opened_by, language)

    @staticmethod
    def _fill(row: OperationRow, operation: Operation, now: datetime) -> None:
        row.area = operation.area
        row.meeting_lat = operation.meeting_point.lat
        row.meeting_lon = operation.meeting_point.lon
        row.window_start = operation.window_start
        row.window_end = operation.window_end
        row.reception = operation.reception
        row.plan_status = str(operation.plan_status)
        row.artifacts = list(operation.artifacts)
        row.events = [_event_json(e) for e in operation.events]
        row.updated_at = now

    def _row(self, operation_id: int) -> OperationRow | None:
        query = sa.select(OperationRow).where(OperationRow.id == operation_id)
        if self._lock:
            query = query.with_for_update()
        return self._session.scalars(query).one_or_none()

    def get(self, operation_id: int) -> StoredOperation | None:
        row = self._row(operation_id)
        return None if row is None else _operation(row, *self._case_of(row.case_id))

    def get_for_case(self, case_id: int) -> StoredOperation | None:
        operation_id = self._session.scalar(
            sa.select(OperationRow.id).where(OperationRow.case_id == case_id)
        )
        return None if operation_id is None else self.get(operation_id)

    def save(self, operation_id: int, operation: Operation, *, now: datetime) -> StoredOperation:
        row = self._row(operation_id)
        if row is None:
            raise InvalidValueError(f"there is no operation {operation_id}", field="id")
        self._fill(row, operation, now)
        self._session.flush()
        return _operation(row, *self._case_of(row.case_id))


def _job(row: PlanJobRow) -> StoredPlanJob:
    return StoredPlanJob(
        id=row.id,
        operation_id=row.operation_id,
        status=row.status,
        stage=row.stage,
        attempts=row.attempts,
        error=row.error,
        requested_by=row.requested_by,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


class SqlPlanJobs:
    """The ``plan_jobs`` table."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, operation_id: int, *, requested_by: str, now: datetime) -> StoredPlanJob:
        row = PlanJobRow(
            operation_id=operation_id,
            status="queued",
            attempts=0,
            requested_by=requested_by,
            created_at=now,
        )
        self._session.add(row)
        self._session.flush()
        return _job(row)

    def get(self, job_id: int) -> StoredPlanJob | None:
        row = self._session.get(PlanJobRow, job_id, populate_existing=True)
        return None if row is None else _job(row)

    def next_runnable(self) -> int | None:
        return self._session.scalar(
            sa.select(PlanJobRow.id)
            .where(PlanJobRow.status.in_(("queued", "running")))
            .order_by(PlanJobRow.id)
            .limit(1)
        )

    def start(self, job_id: int, *, now: datetime) -> StoredPlanJob | None:
        # One UPDATE: a finished job is never restarted, whoever asks.
        result = self._session.execute(
            sa.update(PlanJobRow)
            .where(PlanJobRow.id == job_id, PlanJobRow.status.not_in(FINISHED))
            .values(status="running", attempts=PlanJobRow.attempts + 1, started_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return self.get(job_id)

    def set_stage(self, job_id: int, stage: str) -> None:
        self._session.execute(
            sa.update(PlanJobRow)
            .where(PlanJobRow.id == job_id, PlanJobRow.status.not_in(FINISHED))
            .values(stage=stage[:64])
            .execution_options(synchronize_session=False)
        )

    def finish(
        self, job_id: int, *, status: str, error: str | None, now: datetime, attempt: int
    ) -> bool:
        if status not in FINISHED:
            raise ValueError(f"a job finishes done or failed, not {status!r}")
        result = self._session.execute(
            sa.update(PlanJobRow)
            .where(
                PlanJobRow.id == job_id,
                PlanJobRow.status.not_in(FINISHED),
                PlanJobRow.attempts == attempt,
            )
            .values(status=status, error=error, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]
