"""The REST API of operations and their plan jobs.

- ``POST /api/cases/{case_id}/operation`` (201): give a case its operation;
- ``GET /api/cases/{case_id}/operation``: the case's operation (404 when none yet);
- ``GET /api/operations/{operation_id}``: the operation, its plan state, files, timeline;
- ``POST /api/operations/{operation_id}/plan`` (202): ask for a plan; answers the job's id;
- ``GET /api/jobs/{job_id}``: a plan job's status, stage, attempts and error;
- ``GET /api/operations/{operation_id}/files/{name}``: one of the plan's files (only those
  the plan attached, by name: ``route.geojson``, ``mission/sortie-1.plan``, ``note.pdf``).

The routes are thin: the use cases in :mod:`safeconduct.services.operations` check who may
do what. The operations ports are built once per app on its casework database (the app
may be given its own in ``app.state.operations``), and the router's lifespan starts the
in-process plan worker on SQLite.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from safeconduct.entrypoints.web.deps import CurrentActor, Ports, unicode_json_text
from safeconduct.entrypoints.web.fields import answer, shown
from safeconduct.entrypoints.web.schemas import Problem, RecordId
from safeconduct.services import casework
from safeconduct.services import operations as ops
from safeconduct.terrain.coords import GeoPoint

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in, or the token is not valid"},
    403: {"model": Problem, "description": "The user's roles do not allow this"},
    404: {"model": Problem, "description": "No such case, operation, job or file"},
    422: {"model": Problem, "description": "A value in the request is not acceptable"},
}

_build_lock = threading.Lock()


def _operations(app: FastAPI) -> ops.OperationsPorts:
    """The app's operations ports, built on its casework database at first use, and
    announcing on the app's case-change feed (given ones too, when they announce nowhere)."""
    found = getattr(app.state, "operations", None)
    if found is None or (found.events is None and app.state.ports.events is not None):
        with _build_lock:
            found = getattr(app.state, "operations", None)
            if found is None:
                from safeconduct import bootstrap

                found = bootstrap.operations_ports(app.state.ports)
            if found.events is None:
                found = replace(found, events=app.state.ports.events)
            app.state.operations = found
    return found


def get_operations(request: Request) -> ops.OperationsPorts:
    """The operations ports of the request's app."""
    return _operations(request.app)


OpsPorts = Annotated[ops.OperationsPorts, Depends(get_operations)]


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the in-process plan worker (SQLite) with the app; stop it with the app."""
    from safeconduct import bootstrap

    stop = bootstrap.start_plan_workers(_operations(app))
    try:
        yield
    finally:
        stop()


router = APIRouter(prefix="/api", lifespan=lifespan, dependencies=[Depends(unicode_json_text)])


def _operation(ports: Ports, info: ops.OperationInfo, actor: casework.Actor) -> dict[str, Any]:
    """The operation as the actor may read it: the meeting point and window only on their
    own case (an operator reads any case's plan, but only their own case's meeting)."""
    own = casework.owns_case_id(ports, info.case_id, actor=actor)
    return shown("operation", OperationOut.of(info), actor, own=own)


class OperationCreate(BaseModel):
    """A case's operation: where and when the person is met."""

    model_config = ConfigDict(extra="forbid")

    area: str = Field(description="The name of one of the server's areas.")
    meeting_lat: float = Field(description="Meeting point latitude, WGS84 degrees.")
    meeting_lon: float = Field(description="Meeting point longitude, WGS84 degrees.")
    window_start: datetime = Field(description="Meeting window start, with a time zone.")
    window_end: datetime = Field(description="Meeting window end, with a time zone.")
    reception: str | None = Field(
        None, description="One of the area's reception points; none: the route chooses."
    )


class OperationEventOut(BaseModel):
    """One step of an operation's timeline."""

    at: datetime
    actor: str
    kind: str
    text: str


class OperationOut(BaseModel):
    """An operation: its case, area, meeting, plan state, files and timeline (UTC)."""

    id: int
    case_id: int
    area: str
    meeting_lat: float
    meeting_lon: float
    window_start: datetime
    window_end: datetime
    reception: str | None
    plan_status: str = Field(description="none, queued, running, done or failed.")
    artifacts: list[str] = Field(description="The plan's files, under files/{name}.")
    events: list[OperationEventOut]

    @classmethod
    def of(cls, info: ops.OperationInfo) -> OperationOut:
        return cls(
            id=info.id,
            case_id=info.case_id,
            area=info.area,
            meeting_lat=info.meeting_point.lat,
            meeting_lon=info.meeting_point.lon,
            window_start=info.window_start,
            window_end=info.window_end,
            reception=info.reception,
            plan_status=str(info.plan_status),
            artifacts=list(info.artifacts),
            events=[
                OperationEventOut(at=e.at, actor=e.actor, kind=e.kind, text=e.text)
                for e in info.events
            ],
        )


class JobAccepted(BaseModel):
    """A plan job was queued."""

    job_id: int
    status: str = "queued"


class JobOut(BaseModel):
    """A plan job: queued, running, done or failed; the stage it reached; its error."""

    id: int
    operation_id: int
    status: str
    stage: str | None
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ops.JobInfo) -> JobOut:
        return cls(**vars(job))


@router.post(
    "/cases/{case_id}/operation",
    status_code=status.HTTP_201_CREATED,
    tags=["operations"],
    response_model=None,
    responses={**_ERRORS, **answer(OperationOut, 201)},
)
def create_operation(
    ports: OpsPorts,
    case_ports: Ports,
    actor: CurrentActor,
    case_id: RecordId,
    body: OperationCreate,
) -> dict[str, Any]:
    """Give a case its operation (a planner): an area of the server, a meeting point on it
    and a meeting window."""
    info = ops.create_operation(
        ports,
        case_id,
        area=body.area,
        meeting_point=GeoPoint(body.meeting_lat, body.meeting_lon),
        window_start=body.window_start,
        window_end=body.window_end,
        reception=body.reception,
        actor=actor,
    )
    return _operation(case_ports, info, actor)


_OPERATION = {**_ERRORS, **answer(OperationOut)}


@router.get(
    "/cases/{case_id}/operation", tags=["operations"], response_model=None, responses=_OPERATION
)
def operation_for_case(
    ports: OpsPorts, case_ports: Ports, actor: CurrentActor, case_id: RecordId
) -> dict[str, Any]:
    """The case's operation (404 when it has none yet)."""
    return _operation(case_ports, ops.operation_for_case(ports, case_id, actor=actor), actor)


@router.get(
    "/operations/{operation_id}", tags=["operations"], response_model=None, responses=_OPERATION
)
def get_operation(
    ports: OpsPorts, case_ports: Ports, actor: CurrentActor, operation_id: RecordId
) -> dict[str, Any]:
    """An operation, its plan state, its files and its timeline."""
    return _operation(case_ports, ops.get_operation(ports, operation_id, actor=actor), actor)


@router.post(
    "/operations/{operation_id}/plan",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["operations"],
    response_model=None,
    responses={**_ERRORS, **answer(JobAccepted, 202)},
)
def request_plan(ports: OpsPorts, actor: CurrentActor, operation_id: RecordId) -> dict[str, Any]:
    """Ask for the operation's plan (a planner); follow it at ``/api/jobs/{job_id}``."""
    accepted = JobAccepted(job_id=ops.request_plan(ports, operation_id, actor=actor))
    return shown("job_accepted", accepted, actor, own=True)  # plan data only, checked


@router.get(
    "/jobs/{job_id}",
    tags=["operations"],
    response_model=None,
    responses={**_ERRORS, **answer(JobOut)},
)
def get_job(ports: OpsPorts, actor: CurrentActor, job_id: RecordId) -> dict[str, Any]:
    """A plan job's status, the stage it reached, its attempts and its error."""
    # Plan data only, which the use case let the actor read (on their own case if need be).
    return shown("plan_job", JobOut.of(ops.get_job(ports, job_id, actor=actor)), actor, own=True)


_MEDIA = {
    ".geojson": "application/geo+json",
    ".plan": "application/json",
    ".json": "application/json",
    ".waypoints": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
}


@router.get(
    "/operations/{operation_id}/files/{name:path}",
    tags=["operations"],
    responses=_ERRORS,
    response_class=FileResponse,
)
def plan_file(
    ports: OpsPorts, actor: CurrentActor, operation_id: RecordId, name: str
) -> FileResponse:
    """One of the plan's files, by the name the operation lists (a download)."""
    path = ops.plan_file(ports, operation_id, name, actor=actor)
    media = _MEDIA.get(path.suffix, "application/octet-stream")
    return FileResponse(path, media_type=media, filename=path.name)
