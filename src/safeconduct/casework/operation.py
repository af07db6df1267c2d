"""An operation for a case: where and when the person is met, and the state of its plan.

An :class:`Operation` holds what a planner decides for one case (GUIDE §1 steps 1 and 5):
the area of operations (by name: a folder the server keeps), the meeting point and the
window in which the person is there, the reception point, and the plan computed for them:
its status (:class:`PlanStatus`), the names of the files it produced and a timeline of
what happened (:class:`OperationEvent`). It is an immutable value: every change returns a
new operation with one more event, so a store can compare and a refused change leaves the
old one as it was. Nothing here reads files or knows how a plan is computed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from safeconduct.casework.case import require_aware
from safeconduct.errors import InvalidValueError
from safeconduct.terrain.coords import GeoPoint

#: The longest meeting window accepted: a small drone flies 20-40 minutes, and an agreed
#: meeting is a time, not a day (GUIDE §1 step 1: punctuality matters).
MAX_WINDOW = timedelta(hours=24)

_AREA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_ARTIFACT = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


class PlanStatus(StrEnum):
    """Where the operation's plan stands. The value is the stored and displayed word."""

    NONE = "none"  # no plan asked for yet
    QUEUED = "queued"  # a plan job waits for a worker
    RUNNING = "running"  # a worker computes it
    DONE = "done"  # its files are attached
    FAILED = "failed"  # the job failed; its message is in the timeline


#: Plan status -> the statuses it may move to. A plan may be asked for again once it is done
#: or failed (the meeting moved, a layer was corrected); a running one is not asked twice.
PLAN_MOVES: dict[PlanStatus, frozenset[PlanStatus]] = {
    PlanStatus.NONE: frozenset({PlanStatus.QUEUED}),
    PlanStatus.QUEUED: frozenset({PlanStatus.RUNNING, PlanStatus.FAILED, PlanStatus.DONE}),
    PlanStatus.RUNNING: frozenset({PlanStatus.RUNNING, PlanStatus.DONE, PlanStatus.FAILED}),
    PlanStatus.DONE: frozenset({PlanStatus.QUEUED}),
    PlanStatus.FAILED: frozenset({PlanStatus.QUEUED}),
}


@dataclass(frozen=True)
class OperationEvent:
    """One step in an operation's timeline.

    Attributes
    ----------
    at
        When, time-zone aware.
    actor
        The user name (or ``worker``) that made the step; never the person surrendering.
    kind
        What happened: ``created``, ``plan_queued``, ``plan_stage``, ``plan_done``,
        ``plan_failed``.
    text
        One line for people (a stage name, an error message), or empty.
    """

    at: datetime
    actor: str
    kind: str
    text: str = ""


def normalise_area_name(text: str) -> str:
    """An area name as the server keeps it: a folder name, no path.

    Raises
    ------
    InvalidValueError
        With ``field="area"``: not 1-64 letters, digits, ``_``, ``.`` or ``-`` starting with
        a letter or digit (so it can never leave the areas folder).
    """
    name = text.strip() if isinstance(text, str) else ""
    if not _AREA_NAME.fullmatch(name) or ".." in name:
        raise InvalidValueError(
            f"{text!r} is not an area name; give the name of one of the server's areas "
            "(letters, digits, '_', '.' or '-')",
            field="area",
        )
    return name


def check_meeting_point(point: GeoPoint) -> GeoPoint:
    """Refuse a meeting point that is not a finite WGS84 position.

    Raises
    ------
    InvalidValueError
        With ``field="meeting_point"``.
    """
    lat, lon = getattr(point, "lat", None), getattr(point, "lon", None)
    ok = all(isinstance(v, int | float) and math.isfinite(v) for v in (lat, lon))
    if not ok or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # type: ignore[operator]
        raise InvalidValueError(
            f"{point!r} is not a position; give a latitude in [-90, 90] and a longitude "
            "in [-180, 180] (WGS84 degrees)",
            field="meeting_point",
        )
    return GeoPoint(float(lat), float(lon))  # type: ignore[arg-type]


def check_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Refuse a meeting window that is naive, empty, reversed or longer than a day.

    Raises
    ------
    InvalidValueError
        With ``field="window_start"`` or ``"window_end"``.
    """
    require_aware(start, field_name="window_start")
    require_aware(end, field_name="window_end")
    if end <= start:
        raise InvalidValueError(
            f"the meeting window ends at {end.isoformat()}, not after it starts at "
            f"{start.isoformat()}; give an end later than the start",
            field="window_end",
        )
    if end - start > MAX_WINDOW:
        raise InvalidValueError(
            f"a meeting window of {end - start} is too long; agree a window of at most "
            f"{int(MAX_WINDOW.total_seconds() // 3600)} hours",
            field="window_end",
        )
    return start, end


def check_artifact_name(name: str) -> str:
    """Refuse a file name that could leave the plan's folder (absolute, ``..``, odd bytes).

    Raises
    ------
    InvalidValueError
        With ``field="name"``.
    """
    if (
        not isinstance(name, str)
        or not _ARTIFACT.fullmatch(name)
        or any(part in (".", "..") for part in name.split("/"))
    ):
        raise InvalidValueError(f"{name!r} is not a plan file name", field="name")
    return name


@dataclass(frozen=True)
class Operation:
    """The operation planned for one case.

    Build a new one with :meth:`create`; the constructor is for stores rebuilding it.

    Attributes
    ----------
    case_id
        The store id of the case it belongs to (one operation per case).
    area
        The name of the area of operations (a folder the server keeps).
    meeting_point
        Where the person is met (WGS84).
    window_start, window_end
        When the person is at the meeting point, time-zone aware, start before end.
    reception
        The name of the reception point to lead to, or None: the route picks among the
        area's reception points.
    plan_status
        Where the plan stands.
    artifacts
        The plan's files, as names relative to its folder (``route.geojson``,
        ``mission/sortie-1.plan``), sorted; empty until a plan is done.
    events
        The timeline, oldest first.
    """

    case_id: int
    area: str
    meeting_point: GeoPoint
    window_start: datetime
    window_end: datetime
    reception: str | None = None
    plan_status: PlanStatus = PlanStatus.NONE
    artifacts: tuple[str, ...] = ()
    events: tuple[OperationEvent, ...] = field(default=())

    def __post_init__(self) -> None:
        if (
            isinstance(self.case_id, bool)
            or not isinstance(self.case_id, int)
            or (self.case_id < 1)
        ):
            raise InvalidValueError(f"{self.case_id!r} is not a case id", field="case_id")
        if normalise_area_name(self.area) != self.area:
            raise InvalidValueError(f"area {self.area!r} has surrounding spaces", field="area")
        object.__setattr__(self, "meeting_point", check_meeting_point(self.meeting_point))
        check_window(self.window_start, self.window_end)
        if self.reception is not None and (
            not isinstance(self.reception, str) or not self.reception.strip()
        ):
            raise InvalidValueError(
                "the reception point has no name; give its name, or none to let the route choose",
                field="reception",
            )
        object.__setattr__(self, "plan_status", PlanStatus(self.plan_status))
        object.__setattr__(
            self, "artifacts", tuple(sorted(check_artifact_name(a) for a in self.artifacts))
        )
        object.__setattr__(self, "events", tuple(self.events))

    @classmethod
    def create(
        cls,
        *,
        case_id: int,
        area: str,
        meeting_point: GeoPoint,
        window_start: datetime,
        window_end: datetime,
        reception: str | None = None,
        actor: str,
        now: datetime,
    ) -> Operation:
        """A new operation with no plan yet and one ``created`` event.

        Raises
        ------
        InvalidValueError
            ``field`` ``"case_id"``, ``"area"``, ``"meeting_point"``, ``"window_start"``,
            ``"window_end"``, ``"reception"``, ``"actor"`` or ``"now"``.
        """
        require_aware(now, field_name="now")
        name = normalise_area_name(area)
        reception = reception.strip() if isinstance(reception, str) else reception
        return cls(
            case_id=case_id,
            area=name,
            meeting_point=meeting_point,
            window_start=window_start,
            window_end=window_end,
            reception=reception or None,
            events=(OperationEvent(now, _actor(actor), "created", f"area {name}"),),
        )

    def _moved(
        self, to: PlanStatus, *, at: datetime, actor: str, kind: str, text: str = "", **changes
    ) -> Operation:
        require_aware(at, field_name="at")
        if to not in PLAN_MOVES[self.plan_status]:
            raise InvalidValueError(
                f"the plan is {self.plan_status.value}; it cannot become {to.value} "
                f"(from {self.plan_status.value}: "
                f"{', '.join(sorted(s.value for s in PLAN_MOVES[self.plan_status]))})",
                field="plan_status",
            )
        event = OperationEvent(at, _actor(actor), kind, text)
        return replace(self, plan_status=to, events=(*self.events, event), **changes)

    def queue_plan(self, *, at: datetime, actor: str) -> Operation:
        """The plan asked for: ``queued`` (refused while one is queued or running)."""
        return self._moved(PlanStatus.QUEUED, at=at, actor=actor, kind="plan_queued")

    def plan_stage(self, stage: str, *, at: datetime, actor: str = "worker") -> Operation:
        """A worker reached ``stage`` of the plan: ``running``, the stage in the timeline."""
        return self._moved(PlanStatus.RUNNING, at=at, actor=actor, kind="plan_stage", text=stage)

    def plan_done(
        self, artifacts: tuple[str, ...] | list[str], *, at: datetime, actor: str = "worker"
    ) -> Operation:
        """The plan's files are attached: ``done`` with their names."""
        return self._moved(
            PlanStatus.DONE,
            at=at,
            actor=actor,
            kind="plan_done",
            text=f"{len(artifacts)} files",
            artifacts=tuple(sorted(check_artifact_name(a) for a in artifacts)),
        )

    def plan_failed(self, message: str, *, at: datetime, actor: str = "worker") -> Operation:
        """The plan job failed: ``failed``, its one-line message in the timeline."""
        line = (str(message).strip().splitlines() or ["no reason given"])[0]
        return self._moved(PlanStatus.FAILED, at=at, actor=actor, kind="plan_failed", text=line)


def _actor(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidValueError(
            "no actor given; give the user name of whoever makes the change", field="actor"
        )
    return actor.strip()
