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
