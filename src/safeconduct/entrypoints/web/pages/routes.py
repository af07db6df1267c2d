"""The board's pages: sign-in, the case list, a case with its buttons and timeline, and the
new-case form.

Routes are thin, like the API's: the signed-in user comes from the session cookie
(:mod:`.session`), the use case decides what they may see and do, and a refusal becomes a
page with its status (403, 404), never a 500. Links and buttons are offered from the same
access table (:func:`~safeconduct.services.casework.case_abilities`,
:func:`~safeconduct.services.casework.transitions_for`), so a crew member never gets a
link to operator data, and a forged request is refused by the use case anyway.
Every POST checks its CSRF token first.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from safeconduct.casework.case import CHANNELS
from safeconduct.casework.operation import PlanStatus
from safeconduct.casework.roles import can
from safeconduct.entrypoints.web.errors import log_if_traversal, security_event_for
from safeconduct.entrypoints.web.pages import operation_view
from safeconduct.entrypoints.web.pages import session as web_session
from safeconduct.entrypoints.web.pages.session import check_csrf, csrf_for
from safeconduct.entrypoints.web.schemas import RecordId
from safeconduct.errors import InvalidValueError, SafeconductError, ServiceBusyError
from safeconduct.services import casework
from safeconduct.services.casework import (
    Actor,
    AuthenticationError,
    CaseInfo,
    CaseworkPorts,
    LoginLockedError,
    NotFoundError,
    PermissionDeniedError,
)

log = logging.getLogger("safeconduct.web")
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
router = APIRouter(include_in_schema=False)

#: Every page: scripts, styles and pictures from this service only (no inline script, so an
#: injected one does not run), never framed by another site, no referrer to other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

Csrf = Annotated[str | None, Form(alias=web_session.CSRF_FIELD)]
CsrfHeader = Annotated[str | None, Header(alias=web_session.CSRF_HEADER)]
HxRequest = Annotated[str | None, Header(alias="HX-Request")]


def _label(word: str) -> str:
    """``take_into_custody`` -> ``Take into custody``."""
    return word.replace("_", " ").capitalize()


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


templates.env.filters["label"] = _label
templates.env.filters["when"] = _when


def board_ports(request: Request) -> CaseworkPorts:
    ports: CaseworkPorts = request.app.state.ports
    return ports


def _cursor(ports: CaseworkPorts) -> str:
    """The newest event id, so a page's stream starts where the page was rendered."""
    feed = ports.events
    after = getattr(feed, "after", None)
    return after(None).cursor if after is not None else ""


def render_page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    actor: Actor | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    if actor is not None:
        context = {
            "actor": actor,
            "abilities": casework.case_abilities(actor),
            "csrf": csrf_for(token or ""),
            **context,
        }
    response = templates.TemplateResponse(
        request, name, context, status_code=status, headers=headers
    )
    # Pages hold case data: never kept by a shared cache or the browser's history cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(SECURITY_HEADERS)
    return response


def refusal_page(
    request: Request, error: SafeconductError, actor: Actor, token: str, *, partial: bool = False
) -> HTMLResponse:
    """A use case's refusal as a page (or, for htmx, a fragment) with its status."""
    if isinstance(error, PermissionDeniedError):
        status, title = 403, "Not for your role"
    elif isinstance(error, NotFoundError):
        status, title = 404, "Not found"
    elif isinstance(error, InvalidValueError):
        status, title = 422, "Refused"
    elif isinstance(error, ServiceBusyError):
        status, title = 503, "Busy"
    else:
        status, title = 400, "Refused"
    log_if_traversal(request, error.message)
    name = "_problem.html" if partial else "problem.html"
    context = {"title": title, "message": error.message}
    headers = (
        {"Retry-After": str(error.retry_after_s)} if isinstance(error, ServiceBusyError) else None
    )
    return render_page(
        request, name, context, status=status, actor=actor, token=token, headers=headers
    )


# ----------------------------------------------------------------- sign-in


def _safe_next(target: str | None) -> str:
    """Only a path of this site's board: never another site (an open redirect)."""
    if not target:
        return "/board"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/board"):
        return "/board"
    return parts.path


@router.get("/")
def home(request: Request) -> Response:
    """The board, or the sign-in page."""
    target = "/board" if web_session.session_token(request) else "/login"
    return RedirectResponse(target, status_code=303)


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    status: int = 200,
    name: str = "",
    next_path: str = "/board",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    value = web_session.login_csrf(request)
    response = render_page(
        request,
        "login.html",
        {"error": error, "name": name, "csrf": value, "next": next_path},
        status=status,
        headers=headers,
    )
    web_session.set_login_csrf(response, request, value)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return _login_page(request, next_path=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Csrf = None,
    next: Annotated[str, Form()] = "/board",
) -> Response:
    """Sign in with a user name and password; the session token goes in the cookie."""
    check_csrf(request.cookies.get(web_session.LOGIN_CSRF_COOKIE) or "", csrf_token)
    ports = board_ports(request)
    try:
        issued = casework.issue_token(ports, username, password)
    except LoginLockedError as error:
        # A locked user exists: naming them tells the log's reader whose password is tried.
        security_event_for(request, "brute-force", "sign-in refused: the user is locked", username)
        return _login_page(
            request,
            error=error.message,
            status=429,
            name=username,
            headers={"Retry-After": str(error.retry_after_s)},
        )
    except AuthenticationError as error:
        # The name typed is not logged: it may be a password typed in the wrong field.
        security_event_for(request, "password", "wrong user name or password")
        return _login_page(request, error=error.message, status=401, name=username)
    # Session fixation: a session cookie the browser brought to the sign-in (planted by
    # someone else, or an older session) never becomes this sign-in's session; it is
    # revoked, and the cookie gets the fresh token issued now.
    planted = web_session.session_token(request)
    if planted is not None:
        casework.revoke_token(ports, planted)
    response = RedirectResponse(_safe_next(next), status_code=303)
    lifetime = int(ports.auth.token_lifetime.total_seconds())
    web_session.set_session(response, request, issued.token, lifetime)
    response.delete_cookie(web_session.LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Csrf = None, csrf_header: CsrfHeader = None) -> Response:
    """Sign out: the token is revoked at once, the cookie dropped."""
    token = web_session.session_token(request)
    if token is None:
        return RedirectResponse("/login", status_code=303)
    check_csrf(csrf_for(token), csrf_header or csrf_token)
    casework.revoke_token(board_ports(request), token)
    response = RedirectResponse("/login", status_code=303)
    web_session.clear_session(response, request)
    return response


# ----------------------------------------------------------------- the board


#: Cases the board shows at first, and loads each time "Older cases" is clicked.
BOARD_PAGE_SIZE = 100


def _board_rows(request: Request, actor: Actor, after: str | None) -> dict[str, Any]:
    # Newest change first (what moved last is what people look for), a page at a time;
    # "next" is the cursor of the "Older cases" row, None on the last page.
    page = casework.list_cases(
        board_ports(request), actor=actor, limit=BOARD_PAGE_SIZE, after=after
    )
    return {"cases": page.items, "next": page.next}


@router.get("/board")
def board(request: Request, after: str | None = None) -> HTMLResponse:
    """The cases the user may see, newest change first, live: the first page, or the page
    after ``after`` (the "Older cases" link without htmx)."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    cursor = _cursor(ports)
    try:
        rows = _board_rows(request, actor, after)
    except PermissionDeniedError:
        return render_page(
            request,
            "board.html",
            {"cases": None, "cursor": cursor},
            status=403,
            actor=actor,
            token=token,
        )
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    context = {**rows, "cursor": cursor, "older_page": after is not None}
    return render_page(request, "board.html", context, actor=actor, token=token)


@router.get("/board/rows")
def board_rows(request: Request, after: str | None = None) -> HTMLResponse:
    """The first page of rows (htmx reloads them after a gap in the event stream), or the
    page after ``after`` ("Older cases"); each ends in an "Older cases" row while more
    remain."""
    actor, token = web_session.session_actor(board_ports(request), request)
    try:
        rows = _board_rows(request, actor, after)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token, partial=True)
    return render_page(request, "_rows.html", rows, actor=actor, token=token)


@router.get("/board/rows/{case_id}")
def board_row(request: Request, case_id: RecordId) -> Response:
    """One row (htmx swaps it in when its case changes); 204 when it may not be shown."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    try:
        case = casework.get_case(ports, case_id, actor=actor)
    except (PermissionDeniedError, NotFoundError):
        return Response(status_code=204)
    return render_page(request, "_row.html", {"case": case}, actor=actor, token=token)


@router.get("/board/cases/new")
def new_case_form(request: Request) -> HTMLResponse:
    """The new-case form (operators)."""
    actor, token = web_session.session_actor(board_ports(request), request)
    if not casework.case_abilities(actor).open_cases:
        error = PermissionDeniedError(f"{actor.name} may not open cases")
        return refusal_page(request, error, actor, token)
    return _new_case_page(request, actor, token)


def _new_case_page(
    request: Request,
    actor: Actor,
    token: str,
    *,
    error: SafeconductError | None = None,
    language: str = "",
    channel: str = "hotline",
) -> HTMLResponse:
    context = {
        "channels": CHANNELS,
        "language": language,
        "channel": channel,
        "error": error.message if error else None,
        "error_field": error.field if error else None,
    }
    status = 422 if error else 200
    return render_page(request, "new_case.html", context, status=status, actor=actor, token=token)


@router.post("/board/cases")
def open_case(
    request: Request,
    language: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "hotline",
    csrf_token: Csrf = None,
) -> Response:
    """Open a case from the form; on success, to its page."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    check_csrf(csrf_for(token), csrf_token)
    try:
        case = casework.open_case(ports, language=language, channel=channel, actor=actor)
    except PermissionDeniedError as error:
        return refusal_page(request, error, actor, token)
    except InvalidValueError as error:
        return _new_case_page(
            request, actor, token, error=error, language=language, channel=channel
        )
    return RedirectResponse(f"/board/cases/{case.id}", status_code=303)


def _case_context(ports: CaseworkPorts, case: CaseInfo, actor: Actor) -> dict[str, Any]:
    return {"case": case, "buttons": casework.transitions_for(ports, case, actor=actor)}


def _case_page_context(
    request: Request,
    case: CaseInfo,
    actor: Actor,
    *,
    cursor: str,
    operation: dict[str, Any] | None = None,
    team_error: str | None = None,
) -> dict[str, Any]:
    """Everything the whole case page shows: the panel, the team and the operation (its
    section's context when given, e.g. a refused form), from the change ``cursor`` on."""
    ports = board_ports(request)
    return {
        **_case_context(ports, case, actor),
        **(operation if operation is not None else _operation_context(request, case.id, actor)),
        "team": _team_context(ports, case.id, actor, error=team_error),
        "cursor": cursor,
    }


@router.get("/board/cases/{case_id}")
def case_page(request: Request, case_id: RecordId) -> HTMLResponse:
    """A case: its status, the transitions the user may make, its timeline; and, for those
    who may read plans, its operation with the plan's map and files."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    cursor = _cursor(ports)
    try:
        case = casework.get_case(ports, case_id, actor=actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    context = _case_page_context(request, case, actor, cursor=cursor)
    return render_page(request, "case.html", context, actor=actor, token=token)


@router.get("/board/cases/{case_id}/panel")
def case_panel(request: Request, case_id: RecordId) -> HTMLResponse:
    """The case's status, buttons and timeline (htmx refreshes it when the case changes)."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    try:
        case = casework.get_case(ports, case_id, actor=actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token, partial=True)
    return render_page(
        request, "_panel.html", _case_context(ports, case, actor), actor=actor, token=token
    )


@router.post("/board/cases/{case_id}/transitions")
def transition_case(
    request: Request,
    case_id: RecordId,
    transition: Annotated[str, Form()] = "",
    csrf_token: Csrf = None,
    csrf_header: CsrfHeader = None,
    hx_request: HxRequest = None,
) -> Response:
    """Move a case (a button); htmx gets the new panel, a plain form the case page."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    check_csrf(csrf_for(token), csrf_header or csrf_token)
    try:
        case = casework.transition_case(ports, case_id, transition, actor=actor)
    except InvalidValueError as error:
        if isinstance(error, NotFoundError):
            return refusal_page(request, error, actor, token, partial=bool(hx_request))
        # Refused by the state machine (the case moved meanwhile): show it as it is now.
        try:
            current = casework.get_case(ports, case_id, actor=actor)
        except SafeconductError as again:
            return refusal_page(request, again, actor, token, partial=bool(hx_request))
        context = {**_case_context(ports, current, actor), "error": error.message}
        name = "_panel.html" if hx_request else "case.html"
        context.setdefault("cursor", _cursor(ports))
        return render_page(request, name, context, status=422, actor=actor, token=token)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token, partial=bool(hx_request))
    if hx_request:
        return render_page(
            request, "_panel.html", _case_context(ports, case, actor), actor=actor, token=token
        )
    return RedirectResponse(f"/board/cases/{case.id}", status_code=303)


# ----------------------------------------------------------------- a case's team


def _team_context(
    ports: CaseworkPorts, case_id: int, actor: Actor, error: str | None = None
) -> dict[str, Any] | None:
    """The case's team section: who is assigned, and for planners what they may assign
    (``"name:role"`` values); None when the actor may not see who is assigned."""
    try:
        assigned = casework.case_assignments(ports, case_id, actor=actor)
    except SafeconductError:
        return None
    options: list[tuple[str, str]] = []
    may_assign = actor.console or can(actor.roles, "write", "plan", own=False)
    if may_assign:
        taken = {(a.user, a.role) for a in assigned}
        for member in casework.assignable_users(ports, actor=actor):
            options += [
                (f"{member.name}:{role.value}", f"{member.name} ({role.value})")
                for role in member.roles
                if (member.name, role) not in taken
            ]
    return {"assigned": assigned, "may_assign": may_assign, "options": options, "error": error}


def _change_team(
    request: Request, case_id: int, member: str, csrf: str | None, *, add: bool
) -> Response:
    """Assign (or remove) ``member`` (``"name:role"``), then show the case page again."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    check_csrf(csrf_for(token), csrf)
    user, _, role = member.partition(":")
    change = casework.assign_to_case if add else casework.unassign_from_case
    try:
        change(ports, case_id, user, role, actor=actor)
    except (PermissionDeniedError, NotFoundError) as error:
        if isinstance(error, NotFoundError) and error.field == "user":
            return _team_refused(request, case_id, actor, token, error)
        return refusal_page(request, error, actor, token)
    except SafeconductError as error:
        return _team_refused(request, case_id, actor, token, error)
    return RedirectResponse(f"/board/cases/{case_id}#team", status_code=303)


def _team_refused(
    request: Request, case_id: int, actor: Actor, token: str | None, error: SafeconductError
) -> Response:
    """The case page again, with why the team change was refused (422)."""
    ports = board_ports(request)
    try:
        case = casework.get_case(ports, case_id, actor=actor)
    except SafeconductError as again:
        return refusal_page(request, again, actor, token)
    context = _case_page_context(
        request, case, actor, cursor=_cursor(ports), team_error=error.message
    )
    return render_page(request, "case.html", context, status=422, actor=actor, token=token)


@router.post("/board/cases/{case_id}/assignments")
def assign_member(
    request: Request,
    case_id: RecordId,
    member: Annotated[str, Form()] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Assign a crew member or a reception team member to the case (a planner)."""
    return _change_team(request, case_id, member, csrf_token, add=True)


@router.post("/board/cases/{case_id}/assignments/remove")
def remove_member(
    request: Request,
    case_id: RecordId,
    member: Annotated[str, Form()] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Take a crew member or a reception team member off the case (a planner)."""
    return _change_team(request, case_id, member, csrf_token, add=False)


# ----------------------------------------------------------------- a case's operation


def _operation_context(
    request: Request, case_id: int, actor: Actor, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The operation section's values; with the new-operation form for a planner when the
    case has no operation (``form``: :func:`operation_view.new_operation`'s arguments)."""
    context = operation_view.context(request, case_id, actor)
    context["case_id"] = case_id
    if context["show_operation"] and context["operation"] is None:
        context["form"] = operation_view.new_operation(request, actor, **(form or {}))
    return context


@router.get("/board/cases/{case_id}/operation")
def operation_section(
    request: Request, case_id: RecordId, stamp: str | None = None, polling: int = 0
) -> Response:
    """The case's operation section: htmx polls it while the plan job runs, and fetches it
    again when the case changes, with the ``stamp`` it shows (204 when that is still what
    it would show, so a map is not redrawn nor a half-filled form wiped for nothing). A plan
    that is done arrives with its map, which ``case_map.js`` draws where it lands.
    (``polling`` is what pages served before this change still send; it changes nothing.)
    """
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    try:
        casework.get_case(ports, case_id, actor=actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token, partial=True)
    context = _operation_context(request, case_id, actor)
    if not context["show_operation"]:
        return refusal_page(
            request, PermissionDeniedError(f"{actor.name} may not see operations"), actor, token,
            partial=True,
        )  # fmt: skip
    if stamp is not None and stamp == context["stamp"] and not context.get("running"):
        return Response(status_code=204)
    return render_page(request, "_operation.html", context, actor=actor, token=token)


def _form_values(
    area: str, meeting_point: str, window_start: str, window_end: str, reception: str
) -> dict[str, str]:
    return {
        "area": area,
        "meeting_point": meeting_point,
        "window_start": window_start,
        "window_end": window_end,
        "reception": reception,
    }


FormText = Annotated[str, Form()]


@router.get("/board/cases/{case_id}/operation/form")
def new_operation_form(
    request: Request,
    case_id: RecordId,
    area: str = "",
    meeting_point: str = "",
    window_start: str = "",
    window_end: str = "",
    reception: str = "",
) -> Response:
    """The new-operation form again for another area (htmx, when the area is chosen): its
    own meeting point and reception points, the window as typed."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    values = _form_values(area, meeting_point, window_start, window_end, reception)
    form = operation_view.new_operation(request, actor, values, area_changed=True)
    if form is None:
        error = PermissionDeniedError(f"{actor.name} may not plan operations")
        return refusal_page(request, error, actor, token, partial=True)
    context = {"form": form, "case_id": case_id}
    return render_page(request, "_new_operation.html", context, actor=actor, token=token)


@router.post("/board/cases/{case_id}/operation")
def create_operation(
    request: Request,
    case_id: RecordId,
    area: FormText = "",
    meeting_point: FormText = "",
    window_start: FormText = "",
    window_end: FormText = "",
    reception: FormText = "",
    csrf_token: Csrf = None,
    csrf_header: CsrfHeader = None,
    hx_request: HxRequest = None,
) -> Response:
    """Give the case its operation from the form (planners): htmx gets the operation
    section with its Plan button, a plain form the case page. A value the use case refuses
    sends the form back (422) with the message next to its field; nothing is written."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    check_csrf(csrf_for(token), csrf_header or csrf_token)
    partial = bool(hx_request)
    try:
        case = casework.get_case(ports, case_id, actor=actor)
        if not operation_view.may_plan(actor):
            raise PermissionDeniedError(f"{actor.name} may not plan operations")
    except SafeconductError as error:
        return refusal_page(request, error, actor, token, partial=partial)
    values = _form_values(area, meeting_point, window_start, window_end, reception)
    wanted, errors = operation_view.read_form(values)
    if wanted is not None:
        try:
            operation_view.ops.create_operation(
                operation_view.get_operations(request),
                case_id,
                area=wanted.area,
                meeting_point=wanted.meeting_point,
                window_start=wanted.window_start,
                window_end=wanted.window_end,
                reception=wanted.reception,
                actor=actor,
            )
        except (PermissionDeniedError, NotFoundError) as error:
            return refusal_page(request, error, actor, token, partial=partial)
        except SafeconductError as error:
            errors = operation_view.form_error(error)
    if errors:
        form = {"values": values, "errors": errors}
        context = _operation_context(request, case_id, actor, form)
        if context["operation"] is not None:  # made meanwhile, by another planner
            context["operation_error"] = next(iter(errors.values()))
        if partial:
            return render_page(
                request, "_operation.html", context, status=422, actor=actor, token=token
            )
        page = _case_page_context(request, case, actor, cursor=_cursor(ports), operation=context)
        return render_page(request, "case.html", page, status=422, actor=actor, token=token)
    if not partial:
        return RedirectResponse(f"/board/cases/{case_id}", status_code=303)
    context = _operation_context(request, case_id, actor)
    return render_page(request, "_operation.html", context, actor=actor, token=token)


@router.post("/board/operations/{operation_id}/plan")
def plan_operation(
    request: Request,
    operation_id: RecordId,
    csrf_token: Csrf = None,
    csrf_header: CsrfHeader = None,
    hx_request: HxRequest = None,
) -> Response:
    """Ask for the operation's plan (the Plan button); htmx gets the operation section."""
    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    check_csrf(csrf_for(token), csrf_header or csrf_token)
    ops_ports = operation_view.get_operations(request)
    try:
        info = operation_view.ops.get_operation(ops_ports, operation_id, actor=actor)
        operation_view.ops.request_plan(ops_ports, operation_id, actor=actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token, partial=bool(hx_request))
    if not hx_request:
        return RedirectResponse(f"/board/cases/{info.case_id}", status_code=303)
    context = _operation_context(request, info.case_id, actor)
    return render_page(request, "_operation.html", context, actor=actor, token=token)


def _overlay(request: Request, operation_id: int, name: str) -> Response:
    """One of the map's pictures (:data:`operation_view.OVERLAYS`) for a planned operation,
    to whoever may read its plan; 404 before a plan, or when it cannot be drawn."""
    from fastapi.responses import FileResponse

    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    try:
        info = operation_view.ops.get_operation(
            operation_view.get_operations(request), operation_id, actor=actor
        )
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    missing = NotFoundError(f"operation {operation_id} has no {name} (no plan yet?)")
    if info.plan_status != PlanStatus.DONE:
        return refusal_page(request, missing, actor, token)
    path = operation_view.overlay_path(request, info, name)
    if not path.is_file() and operation_view.overlay(request, info, name) is None:
        return refusal_page(request, missing, actor, token)
    response = FileResponse(path, media_type="image/png")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get("/board/operations/{operation_id}/hillshade.png")
def operation_hillshade(request: Request, operation_id: RecordId) -> Response:
    """The hillshade of the operation's area, drawn for its map (see the case page)."""
    return _overlay(request, operation_id, operation_view.HILLSHADE)


@router.get("/board/operations/{operation_id}/exposure.png")
def operation_exposure(request: Request, operation_id: RecordId) -> Response:
    """Where the plan's observers see a standing person, drawn for its map."""
    return _overlay(request, operation_id, operation_view.EXPOSURE)


@router.get("/board/operations/{operation_id}/files/{name:path}")
def operation_file(request: Request, operation_id: RecordId, name: str) -> Response:
    """One of the plan's files, for the signed-in browser (the map's layers, downloads)."""
    from fastapi.responses import FileResponse

    from safeconduct.entrypoints.web.operations import _MEDIA

    ports = board_ports(request)
    actor, token = web_session.session_actor(ports, request)
    try:
        path = operation_view.ops.plan_file(
            operation_view.get_operations(request), operation_id, name, actor=actor
        )
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    media = _MEDIA.get(path.suffix, "application/octet-stream")
    inline = path.suffix in (".geojson", ".json", ".png", ".html")
    response = FileResponse(
        path,
        media_type=media,
        filename=path.name,
        content_disposition_type="inline" if inline else "attachment",
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.update(SECURITY_HEADERS)
    return response
