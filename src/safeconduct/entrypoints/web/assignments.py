"""The REST API of case assignments: the crews and reception teams who work a case.

- ``GET /api/cases/{case_id}/assignments``: who is assigned (whoever may see the case);
- ``POST /api/cases/{case_id}/assignments`` (201): assign a user in a role (a planner);
- ``DELETE /api/cases/{case_id}/assignments/{role}/{user}``: take them off (a planner);
- ``GET /api/team``: the crews and reception team members a planner may assign.

An assigned crew or reception team sees the case as one of their own (GUIDE §2).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from safeconduct.casework.assignment import Assignment
from safeconduct.entrypoints.web.deps import CurrentActor, Ports, unicode_json_text
from safeconduct.entrypoints.web.fields import answer, shown_all
from safeconduct.entrypoints.web.schemas import Problem, RecordId
from safeconduct.services import casework

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in, or the token is not valid"},
    403: {"model": Problem, "description": "The user's roles do not allow this"},
    404: {"model": Problem, "description": "No such case, user or assignment"},
    422: {"model": Problem, "description": "A value in the request is not acceptable"},
}

router = APIRouter(prefix="/api", tags=["assignments"], dependencies=[Depends(unicode_json_text)])


class AssignmentRequest(BaseModel):
    """Assign a user to a case in a role they hold."""

    model_config = ConfigDict(extra="forbid")

    user: str = Field(description="The user's name.")
    role: str = Field(description="crew or reception")


class AssignmentOut(BaseModel):
    """One user assigned to a case (times in UTC)."""

    user: str
    role: str
    assigned_at: datetime
    assigned_by: str

    @classmethod
    def of(cls, assignment: Assignment) -> AssignmentOut:
        return cls(
            user=assignment.user,
            role=assignment.role.value,
            assigned_at=assignment.assigned_at,
            assigned_by=assignment.assigned_by,
        )


class TeamMemberOut(BaseModel):
    """A user who may be assigned, with the assignable roles they hold."""

    name: str
    roles: list[str]


def _assignments(
    ports: Ports, case_id: RecordId, found: list[Assignment], actor: casework.Actor
) -> list[dict[str, Any]]:
    own = casework.owns_case_id(ports, case_id, actor=actor)
    return shown_all("assignment", [AssignmentOut.of(a) for a in found], actor, own=own)


_ANSWER = {**_ERRORS, **answer(list[AssignmentOut])}


@router.get("/cases/{case_id}/assignments", response_model=None, responses=_ANSWER)
def list_assignments(ports: Ports, actor: CurrentActor, case_id: RecordId) -> list[dict[str, Any]]:
    """Who is assigned to the case."""
    found = casework.case_assignments(ports, case_id, actor=actor)
    return _assignments(ports, case_id, found, actor)


@router.post(
    "/cases/{case_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_ERRORS, **answer(list[AssignmentOut], 201)},
)
def assign(
    ports: Ports, actor: CurrentActor, case_id: RecordId, body: AssignmentRequest
) -> list[dict[str, Any]]:
    """Assign a crew member or a reception team member (a planner); answers everyone now
    assigned."""
    found = casework.assign_to_case(ports, case_id, body.user, body.role, actor=actor)
    return _assignments(ports, case_id, found, actor)


@router.delete("/cases/{case_id}/assignments/{role}/{user}", response_model=None, responses=_ANSWER)
def unassign(
    ports: Ports, actor: CurrentActor, case_id: RecordId, role: str, user: str
) -> list[dict[str, Any]]:
    """Take a user off the case (a planner); answers everyone still assigned."""
    found = casework.unassign_from_case(ports, case_id, user, role, actor=actor)
    return _assignments(ports, case_id, found, actor)


@router.get("/team", response_model=None, responses={**_ERRORS, **answer(list[TeamMemberOut])})
def team(ports: Ports, actor: CurrentActor) -> list[dict[str, Any]]:
    """The crews and reception team members a planner may assign."""
    members = [
        TeamMemberOut(name=m.name, roles=[r.value for r in m.roles])
        for m in casework.assignable_users(ports, actor=actor)
    ]
    return shown_all("team_member", members, actor, own=False)  # belongs to no case
