"""Operations and their plans, computed as jobs: the planning use cases of the service.

A planner gives a case an operation (:func:`create_operation`: an area the server keeps,
a meeting point inside it, a meeting window, optionally a reception point) and asks for a
plan (:func:`request_plan`), which records a plan job and hands it to the workers
(:class:`~safeconduct.services.ports.JobQueue`). A worker runs :func:`run_plan_job`: the
same route → mission → note → rehearsal pipeline as ``safeconduct rehearse``
(:func:`~safeconduct.services.operation.rehearse_operation`), written into
``DATA/operations/<id>/plan/`` all at once, and then, in one transaction keyed by the job,
marks the job done and attaches the files' names to the operation. A job run twice (a
worker killed mid-job and the job retried) attaches once: the second finish finds the job
finished and changes nothing. Stages are recorded as the job goes, for the page to show.

Every use case takes the acting user and checks the access table (GUIDE §2) before it
touches data: the operation's area, meeting and plan are ``plan`` data, which planners
write, operators read, and crews and reception teams read for their own cases.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from safeconduct.casework.operation import (
    Operation,
    OperationEvent,
    PlanStatus,
    check_artifact_name,
    normalise_area_name,
)
from safeconduct.casework.roles import can
from safeconduct.errors import (
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
    SafeconductError,
)
from safeconduct.services.casework import Actor, announce_case, case_info
from safeconduct.services.operation import (
    REHEARSAL_STAGING_PREFIX,
    OperationPorts,
    rehearse_area,
)
from safeconduct.services.ports import (
    AreaFolders,
    CaseChanges,
    JobQueue,
    OperationsDatabase,
    OperationsUnitOfWork,
    StoredCase,
    StoredOperation,
    StoredPlanJob,
)
from safeconduct.terrain.area import Area
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.layers import MeetingPoint

log = logging.getLogger("safeconduct.jobs")

#: The name the timeline records for steps a worker makes.
WORKER = "worker"
#: The folder of the server's areas, and of the operations' files, inside the data folder.
AREAS_FOLDER = "areas"
OPERATIONS_FOLDER = "operations"


@dataclass(frozen=True)
class OperationsPorts:
    """The edges operations reach: the database, the plan pipeline, the job queue, the
    data folder's areas and plan files.

    Attributes
    ----------
    database
        Cases, operations and plan jobs.
    pipeline
        What ``safeconduct rehearse`` reaches (areas, planning, missions, notes, reports).
    jobs
        Where a requested plan goes to be run.
    folders
        Area names and the files a plan left.
    data_dir
        The service's data folder: areas in ``areas/<name>/``, plans in
        ``operations/<id>/plan/``.
    events
        Where a change of a case's operation is announced (its case changed, for the open
        boards), as casework announces; None: nowhere.
    """

    database: OperationsDatabase
    pipeline: OperationPorts
    jobs: JobQueue
    folders: AreaFolders
    data_dir: Path
    events: CaseChanges | None = None

    def area_dir(self, name: str) -> Path:
        """The folder of the area called ``name``."""
        return self.data_dir / AREAS_FOLDER / normalise_area_name(name)

    def plan_dir(self, operation_id: int) -> Path:
        """The folder of an operation's plan files."""
        return self.data_dir / OPERATIONS_FOLDER / str(int(operation_id)) / "plan"


@dataclass(frozen=True)
class OperationInfo:
    """An operation as shown: its id, its case, and the value's fields."""

    id: int
    case_id: int
    area: str
    meeting_point: GeoPoint
    window_start: datetime
    window_end: datetime
    reception: str | None
    plan_status: PlanStatus
    artifacts: tuple[str, ...]
    events: tuple[OperationEvent, ...]


@dataclass(frozen=True)
class JobInfo:
    """A plan job as shown (see :class:`~safeconduct.services.ports.StoredPlanJob`)."""

    id: int
    operation_id: int
    status: str
    stage: str | None
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _info(stored: StoredOperation) -> OperationInfo:
    op = stored.operation
    return OperationInfo(
        id=stored.id,
        case_id=op.case_id,
        area=op.area,
        meeting_point=op.meeting_point,
        window_start=op.window_start,
        window_end=op.window_end,
        reception=op.reception,
        plan_status=op.plan_status,
        artifacts=op.artifacts,
        events=op.events,
    )


def _job_info(job: StoredPlanJob) -> JobInfo:
    return JobInfo(
        id=job.id,
        operation_id=job.operation_id,
        status=job.status,
        stage=job.stage,
        attempts=job.attempts,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


# ----------------------------------------------------------------- access


def _may(actor: Actor, action: str, *, own: bool) -> bool:
    return actor.console or can(actor.roles, action, "plan", own=own)  # type: ignore[arg-type]


def _require(actor: Actor, action: str, *, own: bool, what: str) -> None:
    if not _may(actor, action, own=own):
        roles = ", ".join(actor.roles) or "no role"
        raise PermissionDeniedError(f"{actor.name} ({roles}) may not {what}")


def _owns(actor: Actor, stored: StoredOperation, uow: OperationsUnitOfWork) -> bool:
    # As for cases: "own" is the case's opener's, and its assigned crews' and teams'.
    if stored.case_opened_by == actor.name:
        return True
    if actor.console or _may(actor, "read", own=False):
        return False  # they read every operation: no need to look the assignment up
    return uow.assignments.is_assigned(stored.operation.case_id, actor.name)


def _found(stored: StoredOperation | None, operation_id: int) -> StoredOperation:
    if stored is None:
        raise NotFoundError(f"there is no operation with id {operation_id}", field="id")
    return stored


# ----------------------------------------------------------------- use cases


def create_operation(
    ports: OperationsPorts,
    case: int,
    *,
    area: str,
    meeting_point: GeoPoint,
    window_start: datetime,
    window_end: datetime,
    reception: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> OperationInfo:
    """Give case ``case`` its operation (a planner): area, meeting point and window.

    Parameters
    ----------
    case
        The case's store id.
    area
        The name of one of the server's areas (a folder ``DATA/areas/<name>/``).
    meeting_point
        Where the person is met (WGS84); it must lie on the area's DEM.
    window_start, window_end
        When the person is there, time-zone aware.
    reception
        The name of one of the area's reception points, or None to let the route choose.

    Raises
    ------
    PermissionDeniedError
        The actor may not write plans.
    NotFoundError
        No such case (``field="case_id"``).
    InvalidValueError
        ``field`` ``"area"`` (unknown, or malformed), ``"meeting_point"`` (off the area's
        DEM), ``"window_start"``/``"window_end"``, ``"reception"`` (not one of the area's),
        or ``"case_id"`` (the case has an operation already). Nothing is written.
    """
    _require(actor, "write", own=False, what="plan operations")
    at = _now(now)
    operation = Operation.create(
        case_id=case,
        area=area,
        meeting_point=meeting_point,
        window_start=window_start,
        window_end=window_end,
        reception=reception,
        actor=actor.name,
        now=at,
    )
    known = ports.folders.area_names(ports.data_dir / AREAS_FOLDER)
    if operation.area not in known:
        raise InvalidValueError(
            f"the server has no area {operation.area!r}; "
            + (f"its areas are: {', '.join(known)}" if known else "it has no area yet"),
            field="area",
        )
    loaded = ports.pipeline.areas.load_area(ports.area_dir(operation.area))
    point = operation.meeting_point
    try:
        loaded.dem.cell_of_lonlat(point.lon, point.lat, what="meeting point")
    except SafeconductError as error:  # off the grid, or on a hole in the DEM
        raise InvalidValueError(
            f"{error.message} ({operation.area})", field="meeting_point"
        ) from error
    names = [r.name for r in loaded.reception]
    if operation.reception is not None and operation.reception not in names:
        raise InvalidValueError(
            f"area {operation.area} has no reception point {operation.reception!r}; "
            f"its reception points are: {', '.join(names)}",
            field="reception",
        )
    with ports.database.unit_of_work() as uow:
        owner = uow.cases.get_by_id(case)
        if owner is None:
            raise NotFoundError(f"there is no case with id {case}", field="case_id")
        info = _info(uow.operations.add(operation, now=at))
    _announce(ports, owner, at)
    return info


def get_operation(ports: OperationsPorts, operation_id: int, *, actor: Actor) -> OperationInfo:
    """An operation, its plan state, files and timeline, if the actor may read plans.

    Raises
    ------
    PermissionDeniedError, NotFoundError
    """
    _require(actor, "read", own=True, what="see operations")
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = _found(uow.operations.get(operation_id), operation_id)
        own = _owns(actor, stored, uow)
    _require(actor, "read", own=own, what=f"see operation {operation_id}")
    return _info(stored)


def operation_for_case(ports: OperationsPorts, case: int, *, actor: Actor) -> OperationInfo:
    """The operation of case ``case`` (as :func:`get_operation`).

    Raises
    ------
    PermissionDeniedError
    NotFoundError
        ``field="case_id"``: the case has no operation (or does not exist).
    """
    _require(actor, "read", own=True, what="see operations")
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = uow.operations.get_for_case(case)
        own = stored is not None and _owns(actor, stored, uow)
    if stored is None:
        raise NotFoundError(f"case {case} has no operation", field="case_id")
    _require(actor, "read", own=own, what=f"see operation {stored.id}")
    return _info(stored)


def request_plan(ports: OperationsPorts, operation_id: int, *, actor: Actor) -> int:
    """Ask for the operation's plan (a planner): record a job, hand it to the workers.

    Returns
    -------
    int
        The plan job's id (:func:`get_job`).

    Raises
    ------
    PermissionDeniedError
        The actor may not write plans (an operator, a crew).
    NotFoundError
        No such operation.
    InvalidValueError
        ``field="plan_status"``: a plan is queued or running already.
    """
    _require(actor, "write", own=False, what="start plans")
    at = _now(now=None)
    with ports.database.unit_of_work() as uow:
        stored = _found(uow.operations.get(operation_id), operation_id)
        queued = stored.operation.queue_plan(at=at, actor=actor.name)
        job = uow.plan_jobs.add(operation_id, requested_by=actor.name, now=at)
        uow.operations.save(operation_id, queued, now=at)
        owner = uow.cases.get_by_id(stored.operation.case_id)
    _announce(ports, owner, at)
    # After the commit: a worker that picks the job up at once must find it.
    try:
        ports.jobs.enqueue(job.id)
    except Exception as error:
        # Not left queued for ever: the job fails with why, and the planner may ask again.
        reason = error.message if isinstance(error, SafeconductError) else type(error).__name__
        why = f"the job could not be queued: {reason}"
        _finish(ports, job.id, operation_id, job.attempts, error=why)
        raise
    return job.id


def get_job(ports: OperationsPorts, job_id: int, *, actor: Actor) -> JobInfo:
    """A plan job's state, stage and error, to whoever may see its operation.

    Raises
    ------
    PermissionDeniedError, NotFoundError
    """
    _require(actor, "read", own=True, what="see plan jobs")
    with ports.database.unit_of_work(read_only=True) as uow:
        job = uow.plan_jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"there is no plan job with id {job_id}", field="id")
        stored = _found(uow.operations.get(job.operation_id), job.operation_id)
        own = _owns(actor, stored, uow)
    _require(actor, "read", own=own, what=f"see plan job {job_id}")
    return _job_info(job)


def plan_file(ports: OperationsPorts, operation_id: int, name: str, *, actor: Actor) -> Path:
    """The path of one of the operation's plan files, if listed among its artifacts.

    Only a name the plan job attached is served, so no name reaches outside the plan's
    folder (``..``, absolute paths, and anything unlisted are refused as unknown).

    Raises
    ------
    PermissionDeniedError
    NotFoundError
        ``field="name"``: the operation has no such file (or no such operation).
    """
    info = get_operation(ports, operation_id, actor=actor)
    try:
        listed = check_artifact_name(name) in info.artifacts
    except InvalidValueError:
        listed = False
    if not listed:
        raise NotFoundError(f"operation {operation_id} has no file {name!r}", field="name")
    return ports.plan_dir(operation_id) / name


# ----------------------------------------------------------------- the worker's side


def _as_agreed(area: Area, operation: Operation) -> Area:
    """``area`` with the operation's meeting point, and its chosen reception point alone."""
    reception = area.reception
    if operation.reception is not None:
        reception = tuple(r for r in area.reception if r.name == operation.reception)
        if not reception:
            raise InvalidValueError(
                f"the area has no reception point {operation.reception!r} any more",
                field="reception",
            )
    point = operation.meeting_point
    meeting = MeetingPoint(name="meeting", lon=point.lon, lat=point.lat)
    return replace(area, meeting=meeting, reception=reception)


def run_next_job(ports: OperationsPorts) -> int | None:
    """Run the oldest runnable plan job, if any (the SQLite in-process worker); its id."""
    with ports.database.unit_of_work(read_only=True) as uow:
        job_id = uow.plan_jobs.next_runnable()
    if job_id is not None:
        run_plan_job(ports, job_id)
    return job_id


def run_plan_job(ports: OperationsPorts, job_id: int, *, seed: int = 0) -> JobInfo:
    """Run plan job ``job_id``: compute the plan, write its files, attach them, once.

    A job already finished (done or failed) is left as it is and returned: a job run again
    by a retry after its worker died changes nothing. A job whose worker died mid-way
    (``running``) is run again from the start; the files replace the folder at once, so a
    half-written plan is never seen. A :class:`SafeconductError` (a bad area, an unknown
    note language, an unreachable reception) fails the job with its one-line message;
    another exception does too, and is logged with its traceback.

    Raises
    ------
    NotFoundError
        No such job.
    """
    at = _now(None)
    with ports.database.unit_of_work() as uow:
        job = uow.plan_jobs.start(job_id, now=at)
        if job is None:
            existing = uow.plan_jobs.get(job_id)
            if existing is None:
                raise NotFoundError(f"there is no plan job with id {job_id}", field="id")
            return _job_info(existing)
        stored = _found(uow.operations.get(job.operation_id), job.operation_id)
        uow.operations.save(
            stored.id,
            stored.operation.plan_stage(f"started (attempt {job.attempts})", at=at),
            now=at,
        )
    operation = stored.operation

    def progress(stage: str) -> None:
        moment = _now(None)
        with ports.database.unit_of_work() as stage_uow:
            stage_uow.plan_jobs.set_stage(job_id, stage)
            current = stage_uow.operations.get(stored.id)
            if current is not None and current.operation.plan_status == PlanStatus.RUNNING:
                stage_uow.operations.save(
                    stored.id, current.operation.plan_stage(stage, at=moment), now=moment
                )

    try:
        artifacts = _compute(ports, stored.id, operation, stored.case_language, seed, progress)
    except Exception as error:
        if isinstance(error, SafeconductError):
            message = str(error)
        else:
            log.exception("plan job %d failed", job_id)
            message = f"internal error ({type(error).__name__}); the worker's log says more"
        _finish(ports, job_id, stored.id, job.attempts, error=message)
    else:
        _finish(ports, job_id, stored.id, job.attempts, artifacts=artifacts)
    with ports.database.unit_of_work(read_only=True) as uow:
        final = uow.plan_jobs.get(job_id)
    assert final is not None
    return _job_info(final)


def _compute(
    ports: OperationsPorts,
    operation_id: int,
    operation: Operation,
    language: str,
    seed: int,
    progress: Callable[[str], None],
) -> list[str]:
    area = _as_agreed(ports.pipeline.areas.load_area(ports.area_dir(operation.area)), operation)
    out = ports.plan_dir(operation_id)
    # The plan folder itself is replaced at once by rehearse_area; its parent must be.
    ports.folders.make_folder(out.parent)
    # One job per operation runs at a time, so staging folders there are a killed
    # attempt's: remove them before this attempt stages its own.
    stale = ports.folders.remove_hidden_folders(out.parent, REHEARSAL_STAGING_PREFIX)
    if stale:
        log.info("operation %d: removed %d staging folder(s) of an earlier attempt",
                 operation_id, stale)  # fmt: skip
    rehearse_area(
        ports.pipeline,
        area,
        out,
        seed=seed,
        lang=language,
        # The sorties are timed from the start of the meeting window.
        now=operation.window_start,
        progress=progress,
    )
    return ports.folders.list_files(out)


def _finish(
    ports: OperationsPorts,
    job_id: int,
    operation_id: int,
    attempt: int,
    *,
    artifacts: list[str] | None = None,
    error: str | None = None,
) -> None:
    """Mark the job and its operation done (or failed) in one transaction, once, if
    ``attempt`` is still the job's latest.

    A run whose worker only seemed dead (no heartbeat for a while on a loaded machine) is
    retried while it still runs; the retry removes the first run's staging folder, which
    then fails. Its outcome is dropped here, so the retry alone decides the job."""
    at = _now(None)
    line = None if error is None else (error.strip().splitlines() or ["failed"])[0]
    with ports.database.unit_of_work() as uow:
        status = "failed" if line is not None else "done"
        if not uow.plan_jobs.finish(job_id, status=status, error=line, now=at, attempt=attempt):
            return  # finished already, or superseded by a later attempt of the same job
        stored = _found(uow.operations.get(operation_id), operation_id)
        op = stored.operation
        if line is not None:
            moved = op.plan_failed(line, at=at)
        else:
            moved = op.plan_done(artifacts or [], at=at)
        uow.operations.save(operation_id, moved, now=at)
        owner = uow.cases.get_by_id(op.case_id)
    _announce(ports, owner, at)


def _announce(ports: OperationsPorts, case: StoredCase | None, at: datetime) -> None:
    """Tell the open boards that ``case``'s operation changed (they fetch it again)."""
    if case is not None:
        announce_case(ports.events, case_info(case), at=at)


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now
