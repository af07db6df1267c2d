"""The operations use cases without running a plan: refusals by field, the access table,
and what request_plan records and hands to the queue."""

from __future__ import annotations

import pytest

from safeconduct.casework.operation import PlanStatus
from safeconduct.casework.roles import Role
from safeconduct.errors import InvalidValueError
from safeconduct.services import operations as ops
from safeconduct.services.casework import (
    Actor,
    CaseworkPorts,
    NotFoundError,
    PermissionDeniedError,
    open_case,
)
from safeconduct.terrain.coords import GeoPoint
from tests.operations.conftest import WINDOW_END, WINDOW_START, RecordingQueue

OLGA = Actor("olga", (Role.OPERATOR,))
PETRO = Actor("petro", (Role.PLANNER,))
KYRYLO = Actor("kyrylo", (Role.CREW,))


def _create(ports: ops.OperationsPorts, case_id: int, meeting: GeoPoint, **changes: object):
    kwargs: dict[str, object] = {
        "area": "sample",
        "meeting_point": meeting,
        "window_start": WINDOW_START,
        "window_end": WINDOW_END,
        "actor": PETRO,
    }
    kwargs.update(changes)
    return ops.create_operation(ports, case_id, **kwargs)  # type: ignore[arg-type]


def test_create_request_and_read(
    casework_ports: CaseworkPorts, ops_ports: ops.OperationsPorts, meeting: GeoPoint
) -> None:
    case = open_case(casework_ports, language="ru", actor=OLGA)
    info = _create(ops_ports, case.id, meeting, reception=None)
    assert info.case_id == case.id and info.plan_status is PlanStatus.NONE
    # The operator reads plans (R), the crew only its own (none yet), nobody else writes.
    assert ops.get_operation(ops_ports, info.id, actor=OLGA).area == "sample"
    assert ops.operation_for_case(ops_ports, case.id, actor=PETRO).id == info.id
    with pytest.raises(NotFoundError) as missing:
        ops.operation_for_case(ops_ports, 9999, actor=PETRO)
    assert missing.value.field == "case_id"
    with pytest.raises(PermissionDeniedError):
        ops.get_operation(ops_ports, info.id, actor=KYRYLO)
    with pytest.raises(PermissionDeniedError):
        ops.request_plan(ops_ports, info.id, actor=OLGA)
    job_id = ops.request_plan(ops_ports, info.id, actor=PETRO)
    queue = ops_ports.jobs
    assert isinstance(queue, RecordingQueue) and queue.enqueued == [job_id]
    job = ops.get_job(ops_ports, job_id, actor=OLGA)
    assert (job.status, job.attempts, job.operation_id) == ("queued", 0, info.id)
    assert ops.get_operation(ops_ports, info.id, actor=PETRO).plan_status is PlanStatus.QUEUED
    with pytest.raises(InvalidValueError) as caught:  # not twice while one is queued
        ops.request_plan(ops_ports, info.id, actor=PETRO)
    assert caught.value.field == "plan_status"
    with pytest.raises(InvalidValueError) as caught:  # one operation per case
        _create(ops_ports, case.id, meeting)
    assert caught.value.field == "case_id"
    with pytest.raises(NotFoundError):
        ops.plan_file(ops_ports, info.id, "route.geojson", actor=PETRO)  # no plan yet


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"area": "nowhere"}, "area"),
        ({"area": "../.."}, "area"),
        ({"meeting_point": GeoPoint(10.0, 10.0)}, "meeting_point"),
        ({"reception": "no such point"}, "reception"),
        ({"window_end": WINDOW_START}, "window_end"),
    ],
)
def test_create_refuses_by_field_and_writes_nothing(
    casework_ports: CaseworkPorts,
    ops_ports: ops.OperationsPorts,
    meeting: GeoPoint,
    changes: dict[str, object],
    field: str,
) -> None:
    case = open_case(casework_ports, language="ru", actor=OLGA)
    with pytest.raises(InvalidValueError) as caught:
        _create(ops_ports, case.id, meeting, **changes)
    assert caught.value.field == field
    assert not caught.value.message.startswith("--")
    _create(ops_ports, case.id, meeting)  # nothing was written: the case has none yet


def test_who_may_create(
    casework_ports: CaseworkPorts, ops_ports: ops.OperationsPorts, meeting: GeoPoint
) -> None:
    case = open_case(casework_ports, language="ru", actor=OLGA)
    for actor in (OLGA, KYRYLO, Actor("anya", (Role.AUDITOR,))):
        with pytest.raises(PermissionDeniedError):
            _create(ops_ports, case.id, meeting, actor=actor)
    with pytest.raises(NotFoundError) as caught:
        _create(ops_ports, 9999, meeting)
    assert caught.value.field == "case_id"
    with pytest.raises(NotFoundError):
        ops.get_operation(ops_ports, 9999, actor=PETRO)
    with pytest.raises(NotFoundError):
        ops.get_job(ops_ports, 9999, actor=PETRO)


class BrokenQueue:
    """A job queue whose database went away."""

    def enqueue(self, job_id: int) -> None:
        from safeconduct.errors import BadFileError

        raise BadFileError("the database does not answer", field="db")


def test_a_job_that_cannot_be_queued_fails_instead_of_waiting_for_ever(
    casework_ports: CaseworkPorts, ops_ports: ops.OperationsPorts, meeting: GeoPoint
) -> None:
    from dataclasses import replace

    from safeconduct.errors import BadFileError

    ports = replace(ops_ports, jobs=BrokenQueue())
    case = open_case(casework_ports, language="ru", actor=OLGA)
    info = _create(ports, case.id, meeting)
    with pytest.raises(BadFileError):
        ops.request_plan(ports, info.id, actor=PETRO)
    after = ops.get_operation(ports, info.id, actor=PETRO)
    assert after.plan_status is PlanStatus.FAILED
    assert "could not be queued" in after.events[-1].text
    ops.request_plan(ops_ports, info.id, actor=PETRO)  # and it may be asked for again


def test_a_failing_plan_job_fails_with_one_line_and_is_not_run_again(
    casework_ports: CaseworkPorts, ops_ports: ops.OperationsPorts, meeting: GeoPoint
) -> None:
    # A note language the catalogue lacks is refused before the long work: a fast failure.
    case = open_case(casework_ports, language="zz", actor=OLGA)
    info = _create(ops_ports, case.id, meeting)
    job_id = ops.request_plan(ops_ports, info.id, actor=PETRO)
    job = ops.run_plan_job(ops_ports, job_id)
    assert job.status == "failed" and job.attempts == 1
    assert job.error and "\n" not in job.error and "zz" in job.error
    op = ops.get_operation(ops_ports, info.id, actor=PETRO)
    assert op.plan_status is PlanStatus.FAILED and op.artifacts == ()
    assert [e.kind for e in op.events][-2:] == ["plan_stage", "plan_failed"]
    assert ops.run_plan_job(ops_ports, job_id).attempts == 1  # finished: left alone
    with ops_ports.database.unit_of_work(read_only=True) as uow:
        assert uow.plan_jobs.next_runnable() is None


def test_a_superseded_run_does_not_decide_its_job(
    casework_ports: CaseworkPorts, ops_ports: ops.OperationsPorts, meeting: GeoPoint
) -> None:
    # A worker that only seemed dead (no heartbeat on a loaded machine) is retried while it
    # still runs; the retry removes its staging folder, so the first run fails. Only the
    # latest attempt may finish the job.
    from datetime import UTC, datetime

    case = open_case(casework_ports, language="ru", actor=OLGA)
    job_id = ops.request_plan(ops_ports, _create(ops_ports, case.id, meeting).id, actor=PETRO)
    now = datetime.now(UTC)
    with ops_ports.database.unit_of_work() as uow:
        first = uow.plan_jobs.start(job_id, now=now)
        second = uow.plan_jobs.start(job_id, now=now)
        assert first is not None and second is not None
        assert (first.attempts, second.attempts) == (1, 2)
        assert not uow.plan_jobs.finish(
            job_id, status="failed", error="staging gone", now=now, attempt=1
        )
        assert uow.plan_jobs.finish(job_id, status="done", error=None, now=now, attempt=2)
        assert not uow.plan_jobs.finish(job_id, status="failed", error="x", now=now, attempt=2)
    job = ops.get_job(ops_ports, job_id, actor=PETRO)
    assert (job.status, job.attempts, job.error) == ("done", 2, None)
