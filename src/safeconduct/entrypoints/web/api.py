"""The REST API under ``/api``: health, sign-in, and cases.

Each route reads its input, calls one use case with the request's actor and returns its
value as JSON; the use case decides who may do what, and :mod:`.errors` answers refusals.
The routes are plain ``def``: FastAPI runs them in its thread pool, where the database
calls may block.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.security import OAuth2PasswordRequestForm

from safeconduct.entrypoints.web.deps import CurrentActor, Ports, unicode_json_text
from safeconduct.entrypoints.web.fields import answer, shown
from safeconduct.entrypoints.web.schemas import (
    CaseCreate,
    CaseOut,
    CasePageOut,
    Health,
    Problem,
    RecordId,
    Token,
    TransitionRequest,
)
from safeconduct.services import casework

#: The error answers every authenticated route may give, for the OpenAPI document.
_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "Not signed in, or the token is not valid"},
    403: {"model": Problem, "description": "The user's roles do not allow this"},
    422: {"model": Problem, "description": "A value in the request is not acceptable"},
}

router = APIRouter(prefix="/api", dependencies=[Depends(unicode_json_text)])


@router.get("/health", tags=["service"])
def health() -> Health:
    """The service answers (no sign-in needed)."""
    return Health()


@router.post(
    "/auth/token",
    tags=["auth"],
    responses={
        401: {"model": Problem, "description": "Wrong user name or password"},
        # Ours, not FastAPI's default shape: errors.py answers every 422 as a Problem.
        422: {"model": Problem, "description": "The form lacks a user name or a password"},
        429: {"model": Problem, "description": "Too many failed sign-ins; see Retry-After"},
    },
)
def sign_in(ports: Ports, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Trade a user name and password (an OAuth2 password form) for a bearer token."""
    issued = casework.issue_token(ports, form.username, form.password)
    lifetime = int(ports.auth.token_lifetime.total_seconds())
    return Token(access_token=issued.token, expires_in=lifetime)


@router.post(
    "/cases",
    status_code=status.HTTP_201_CREATED,
    tags=["cases"],
    response_model=None,
    responses={**_ERRORS, **answer(CaseOut, 201)},
)
def open_case(ports: Ports, actor: CurrentActor, body: CaseCreate) -> dict[str, Any]:
    """Open a new case (an operator); it is theirs."""
    case = casework.open_case(ports, language=body.language, channel=body.channel, actor=actor)
    return shown("case", CaseOut.of(case), actor, own=True)


@router.get(
    "/cases", tags=["cases"], response_model=None, responses={**_ERRORS, **answer(CasePageOut)}
)
def list_cases(
    ports: Ports,
    actor: CurrentActor,
    limit: Annotated[
        int, Query(ge=1, le=casework.MAX_PAGE_SIZE, description="Cases on the page.")
    ] = casework.DEFAULT_PAGE_SIZE,
    after: Annotated[
        str | None, Query(max_length=64, description="The previous page's `next`.")
    ] = None,
) -> dict[str, Any]:
    """A page of the cases the user may see (all for planners and registrars, their own
    for others), the latest change first, without timelines; follow ``next`` for more."""
    page = CasePageOut.of(casework.list_cases(ports, actor=actor, limit=limit, after=after))
    # The use case lists only cases the actor reads: all of them, or their own.
    return shown("case_page", page, actor, own=True)


@router.get(
    "/cases/{case_id}",
    tags=["cases"],
    response_model=None,
    responses={
        **_ERRORS,
        404: {"model": Problem, "description": "No such case"},
        **answer(CaseOut),
    },
)
def get_case(ports: Ports, actor: CurrentActor, case_id: RecordId) -> dict[str, Any]:
    """One case and its timeline."""
    case = CaseOut.of(casework.get_case(ports, case_id, actor=actor))
    return shown("case", case, actor, own=casework.owns_case_id(ports, case_id, actor=actor))


@router.post(
    "/cases/{case_id}/transitions",
    tags=["cases"],
    response_model=None,
    responses={
        **_ERRORS,
        404: {"model": Problem, "description": "No such case"},
        **answer(CaseOut),
    },
)
def transition_case(
    ports: Ports, actor: CurrentActor, case_id: RecordId, body: TransitionRequest
) -> dict[str, Any]:
    """Move a case by a named transition; an unknown or disallowed one is refused (422)
    with a message naming the allowed ones."""
    case = CaseOut.of(casework.transition_case(ports, case_id, body.transition, actor=actor))
    return shown("case", case, actor, own=casework.owns_case_id(ports, case_id, actor=actor))
