"""The board's intake console: the operator's inbox and one conversation.

- ``/board/intake``: the conversations waiting for a person (flagged ones with the reason)
  and the operator's own; no words, no handle;
- ``/board/intake/{case_id}``: a conversation the operator took over: the flow's answers as
  a summary, the messages, a reply form and the meeting proposal form (the approved points
  of the areas, a window); a conversation not yet taken has a "take over" button;
- ``POST /board/intake/{case_id}/takeover``, ``.../replies``, ``.../meeting``,
  ``.../media/{media_id}/keep`` and ``.../media/{media_id}/discard`` (a file the person
  sent, held until kept): the actions, each answered by the conversation page again (303),
  or by the refusal.

Every POST checks its CSRF token first; :mod:`safeconduct.services.intake` decides who may
do what and audits it. A meeting place is sent only from the meeting form, by the operator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from safeconduct.entrypoints.web.intake import intake_ports_of
from safeconduct.entrypoints.web.pages import session as web_session
from safeconduct.entrypoints.web.pages.routes import (
    board_ports,
    refusal_page,
    render_page,
    templates,
)
from safeconduct.entrypoints.web.pages.session import check_csrf, csrf_for
from safeconduct.entrypoints.web.schemas import RecordId
from safeconduct.errors import InvalidValueError, PermissionDeniedError, SafeconductError
from safeconduct.services import intake
from safeconduct.services.casework import Actor

router = APIRouter(include_in_schema=False)

# The page header offers the inbox link to whoever may open it (base.html asks).
templates.env.globals["may_see_intake"] = intake.may_read_conversations


async def read_form(request: Request) -> FormData:
    """The POSTed form (read on the event loop; the route then runs in the thread pool)."""
    return await request.form(max_fields=10)


Form = Annotated[FormData, Depends(read_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _signed_in(request: Request, form: FormData | None = None) -> tuple[Actor, str]:
    """The page's user, and (for a POST) its CSRF token checked."""
    actor, token = web_session.session_actor(board_ports(request), request)
    if form is not None:
        sent = request.headers.get(web_session.CSRF_HEADER) or form.get(web_session.CSRF_FIELD)
        check_csrf(csrf_for(token), sent if isinstance(sent, str) else None)
    return actor, token


def _when(text: str, field: str) -> datetime:
    """A time typed in the form (``YYYY-MM-DDTHH:MM``, UTC)."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValueError(
            "give a date and time, YYYY-MM-DD HH:MM (UTC)", field=field
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@router.get("/board/intake")
def inbox_page(request: Request) -> HTMLResponse:
    """The operator's inbox."""
    actor, token = _signed_in(request)
    try:
        entries = intake.inbox(intake_ports_of(request.app), actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return render_page(request, "intake.html", {"entries": entries}, actor=actor, token=token)


def _conversation_page(
    request: Request,
    actor: Actor,
    token: str,
    case_id: int,
    *,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    ports = intake_ports_of(request.app)
    context: dict[str, Any] = {"case_id": case_id, "error": error}
    try:
        context["view"] = intake.conversation(ports, case_id, actor)
        context["options"] = intake.meeting_options(ports, case_id, actor)
    except PermissionDeniedError as refused:
        # Not taken over yet: an operator may take it; anyone else is refused.
        if not any(e.case_id == case_id and e.operator is None for e in _waiting(ports, actor)):
            return refusal_page(request, refused, actor, token)
        context["view"] = None
        context["options"] = []
    except SafeconductError as refused:
        return refusal_page(request, refused, actor, token)
    return render_page(
        request, "intake_conversation.html", context, status=status, actor=actor, token=token
    )


def _waiting(ports: intake.IntakePorts, actor: Actor) -> list[intake.InboxEntry]:
    try:
        return intake.inbox(ports, actor)
    except SafeconductError:
        return []


@router.get("/board/intake/{case_id}")
def conversation_page(request: Request, case_id: RecordId) -> HTMLResponse:
    """One conversation: its summary, messages, reply and meeting forms."""
    actor, token = _signed_in(request)
    return _conversation_page(request, actor, token, case_id)


def _back(case_id: int) -> Response:
    return RedirectResponse(f"/board/intake/{case_id}", status_code=303)


@router.post("/board/intake/{case_id}/takeover")
def take_over(request: Request, case_id: RecordId, form: Form) -> Response:
    """Take the conversation over."""
    actor, token = _signed_in(request, form)
    try:
        intake.take_over(intake_ports_of(request.app), case_id, actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return _back(case_id)


@router.post("/board/intake/{case_id}/replies")
def reply(request: Request, case_id: RecordId, form: Form) -> Response:
    """Reply to the person."""
    actor, token = _signed_in(request, form)
    try:
        intake.reply(intake_ports_of(request.app), case_id, _text(form, "text"), actor)
    except InvalidValueError as error:
        return _conversation_page(request, actor, token, case_id, error=error.message, status=422)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return _back(case_id)


@router.post("/board/intake/{case_id}/meeting")
def meeting(request: Request, case_id: RecordId, form: Form) -> Response:
    """Send an approved meeting point and window."""
    actor, token = _signed_in(request, form)
    try:
        intake.send_meeting(
            intake_ports_of(request.app),
            case_id,
            option=_text(form, "option"),
            window_start=_when(_text(form, "window_start"), "window_start"),
            window_end=_when(_text(form, "window_end"), "window_end"),
            actor=actor,
        )
    except InvalidValueError as error:
        return _conversation_page(request, actor, token, case_id, error=error.message, status=422)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return _back(case_id)


@router.post("/board/intake/{case_id}/media/{media_id}/keep")
def keep_media(request: Request, case_id: RecordId, media_id: RecordId, form: Form) -> Response:
    """Keep a file the person sent: it becomes a message's attachment."""
    actor, token = _signed_in(request, form)
    try:
        intake.keep_media(intake_ports_of(request.app), case_id, media_id, actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return _back(case_id)


@router.post("/board/intake/{case_id}/media/{media_id}/discard")
def discard_media(request: Request, case_id: RecordId, media_id: RecordId, form: Form) -> Response:
    """Discard a file the person sent: destroyed with its key."""
    actor, token = _signed_in(request, form)
    try:
        intake.discard_media(intake_ports_of(request.app), case_id, media_id, actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return _back(case_id)
