"""The service's demo: a data folder filled so that a newcomer sees a full board at once.

:func:`fill_demo` writes the bundled sample area into ``DATA/areas/sample``, adds one user
per role with a random password, and walks one case through the first steps as the teams
would: the operator opens and schedules it, the planner gives it an operation on the sample
area and plans it (the plan job runs here, synchronously, in a few seconds), and the case
becomes ``planned``. ``safeconduct serve --demo`` calls it on a throw-away folder.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from safeconduct.casework.roles import Role
from safeconduct.services import casework, operations
from safeconduct.services.casework import CONSOLE, Actor, CaseInfo, CaseworkPorts
from safeconduct.services.operations import JobInfo, OperationInfo, OperationsPorts
from safeconduct.terrain.coords import GeoPoint

#: The demo's area name, under ``DATA/areas/``.
DEMO_AREA = "sample"
#: The language of the demo case (the note is written in it).
DEMO_LANGUAGE = "ru"


@dataclass(frozen=True)
class DemoUser:
    """A demo user: the name is the role's word, the password random."""

    name: str
    role: str
    password: str


@dataclass(frozen=True)
class Demo:
    """What :func:`fill_demo` made: its users, its case, the case's operation, the plan job."""

    users: tuple[DemoUser, ...]
    case: CaseInfo
    operation: OperationInfo
    job: JobInfo


def _actor(role: Role) -> Actor:
    # The demo acts as each team's user would, so the access table is checked as usual.
    return Actor(name=role.value, roles=(role,))


def fill_demo(
    casework_ports: CaseworkPorts,
    ports: OperationsPorts,
    *,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
    poll_s: float = 0.2,
) -> Demo:
    """Fill an empty service (database and data folder) with the demo.

    Parameters
    ----------
    casework_ports
        The (migrated, empty) casework database and password hasher.
    ports
        The operations ports on the same database; their ``data_dir`` receives
        ``areas/sample/`` and the plan's files.
    progress
        Called with a line for people at each step, and with each stage the plan job reaches.
    now
        The present (time-zone aware); the meeting window starts at 05:00 UTC the next day.
    poll_s
        How often the plan job's stage is looked at, in seconds.

    Returns
    -------
    Demo
        The users (with their passwords), the planned case, its operation and its plan job.

    Raises
    ------
    InvalidValueError
        ``field="name"``: a user of a role's name exists already (the service is not empty).
    """
    say = progress or (lambda _line: None)
    at = datetime.now(UTC) if now is None else now
    say("writing the sample area (8 x 8 km)")
    ports.pipeline.areas.write_sample_area(ports.area_dir(DEMO_AREA))
    users = []
    for role in Role:
        password = secrets.token_urlsafe(12)
        casework.add_user(casework_ports, role.value, role.value, password, actor=CONSOLE)
        users.append(DemoUser(name=role.value, role=role.value, password=password))

    operator, planner = _actor(Role.OPERATOR), _actor(Role.PLANNER)
    say("the operator opens a case and agrees a meeting")
    case = casework.open_case(casework_ports, language=DEMO_LANGUAGE, actor=operator)
    casework.transition_case(casework_ports, case.id, "schedule", actor=operator)

    area = ports.pipeline.areas.load_area(ports.area_dir(DEMO_AREA))
    start = (
        (at + timedelta(days=1)).astimezone(UTC).replace(hour=5, minute=0, second=0, microsecond=0)
    )
    say("the planner gives it an operation on the sample area and asks for a plan")
    operation = operations.create_operation(
        ports,
        case.id,
        area=DEMO_AREA,
        meeting_point=GeoPoint(area.meeting.lat, area.meeting.lon),
        window_start=start,
        window_end=start + timedelta(hours=1),
        actor=planner,
    )
    say("the planner puts the crew and the reception team on the case")
    for role in (Role.CREW, Role.RECEPTION):
        casework.assign_to_case(casework_ports, case.id, role.value, role.value, actor=planner)
    job_id = operations.request_plan(ports, operation.id, actor=planner)
    job = _run_watched(ports, job_id, say, poll_s)
    if job.status == "done":
        case = casework.transition_case(casework_ports, case.id, "plan", actor=planner)
        say("the case is planned")
    else:
        say(f"the plan failed: {job.error}")
    return Demo(
        users=tuple(users),
        case=casework.get_case(casework_ports, case.id, actor=CONSOLE),
        operation=operations.get_operation(ports, operation.id, actor=CONSOLE),
        job=job,
    )


def _run_watched(
    ports: OperationsPorts, job_id: int, say: Callable[[str], None], poll_s: float
) -> JobInfo:
    """Run the plan job here, saying each new stage it records as it goes."""
    done = threading.Event()

    def watch() -> None:
        seen: str | None = None
        while not done.wait(poll_s):
            stage = operations.get_job(ports, job_id, actor=CONSOLE).stage
            if stage and stage != seen:
                seen = stage
                say(f"  plan: {stage}")

    watcher = threading.Thread(target=watch, name="safeconduct-demo-progress", daemon=True)
    watcher.start()
    try:
        return operations.run_plan_job(ports, job_id)
    finally:
        done.set()
        watcher.join()
