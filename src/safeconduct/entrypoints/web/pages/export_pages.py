"""The board's export pages: a case's or a prisoner's personal data as an encrypted archive.

- ``/board/exports/new?case_id=N`` or ``?prisoner_id=N``: the form (purpose, password typed
  twice, days until it expires; for a registrar, pictures unblurred with a reason);
- ``POST /board/exports``: makes the export and keeps it for download; the page then says
  until when and links the archive;
- ``/board/exports/{export_id}.zip``: the archive, for whoever made it, until it expires.

The password travels in the form's body only, never in an address, and is kept nowhere.
Every POST checks its CSRF token first; the use cases in :mod:`safeconduct.services.exports`
decide who may export what, and a refused value comes back on the form (422) beside its
field, with nothing exported or audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from safeconduct.casework.roles import Role
from safeconduct.entrypoints.web.custody import custody_ports_of
from safeconduct.entrypoints.web.exports import export_ports_of
from safeconduct.entrypoints.web.pages import session as web_session
from safeconduct.entrypoints.web.pages.routes import (
    SECURITY_HEADERS,
    board_ports,
    refusal_page,
    render_page,
)
from safeconduct.entrypoints.web.pages.session import check_csrf, csrf_for
from safeconduct.entrypoints.web.schemas import MAX_ID, OptionalRecordId
from safeconduct.errors import InvalidValueError, SafeconductError
from safeconduct.services import custody, exports
from safeconduct.services.casework import Actor

router = APIRouter(include_in_schema=False)


async def read_form(request: Request) -> FormData:
    """The POSTed form (read on the event loop; the route then runs in the thread pool)."""
    return await request.form(max_fields=20)


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


_FIELDS = {"purpose", "password", "expires_days", "reason", "case_id", "prisoner_id"}


def may_unblur(actor: Actor) -> bool:
    """Whether the form offers pictures unblurred (a registrar, for an authority)."""
    return actor.console or Role.REGISTRAR in actor.roles


def _form_page(
    request: Request,
    actor: Actor,
    token: str,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    made: exports.Export | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "values": values,
        "errors": errors or {},
        "made": made,
        "may_unblur": may_unblur(actor),
        "max_days": exports.MAX_EXPIRES_DAYS,
        "min_password": exports.MIN_PASSWORD,
    }
    return render_page(request, "export.html", context, status=status, actor=actor, token=token)


def _subject(values: dict[str, Any]) -> tuple[int | None, int | None]:
    def number(name: str) -> int | None:
        text = str(values.get(name) or "").strip()
        if not text:
            return None
        if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
            raise InvalidValueError(f"{name} must be a number from 1 to {MAX_ID}", field=name)
        return int(text)

    case_id, prisoner_id = number("case_id"), number("prisoner_id")
    if (case_id is None) == (prisoner_id is None):
        raise InvalidValueError("export either a case or a prisoner", field="case_id")
    return case_id, prisoner_id


@router.get("/board/exports/new")
def export_form(
    request: Request, case_id: OptionalRecordId = None, prisoner_id: OptionalRecordId = None
) -> HTMLResponse:
    """The export form for one case or one prisoner."""
    actor, token = _signed_in(request)
    values = {"case_id": case_id, "prisoner_id": prisoner_id, "expires_days": 7, "blur": True}
    try:
        _subject(values)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return _form_page(request, actor, token, values=values)


@router.post("/board/exports")
def make_export(request: Request, form: Form) -> Response:
    """Make the export, keep it for download, and say until when."""
    actor, token = _signed_in(request, form)
    values: dict[str, Any] = {
        name: _text(form, name) for name in ("case_id", "prisoner_id", "purpose", "reason")
    }
    values["expires_days"] = _text(form, "expires_days") or "7"
    values["blur"] = form.get("no_blur") in (None, "")
    ports = export_ports_of(request.app)
    try:
        case_id, prisoner_id = _subject(values)
        password = str(form.get("password") or "")  # as typed: spaces count
        if password != str(form.get("password_again") or ""):
            raise InvalidValueError("the two passwords differ", field="password")
        try:
            days = int(values["expires_days"])
        except ValueError:
            raise InvalidValueError("give a number of days", field="expires_days") from None
        options: dict[str, Any] = {
            "password": password,
            "purpose": values["purpose"],
            "actor": actor,
            "expires_days": days,
            "blur": values["blur"],
            "reason": values["reason"] or None,
        }
        if case_id is not None:
            made = exports.export_case(ports, case_id, **options)
        else:
            assert prisoner_id is not None
            number = custody.prisoner_number_of(
                custody_ports_of(request.app), prisoner_id, actor=actor
            )
            made = exports.export_prisoner(ports, number, **options)
        exports.keep_export(ports, made)
    except InvalidValueError as error:
        errors = {(error.field if error.field in _FIELDS else ""): error.message}
        return _form_page(request, actor, token, values=values, errors=errors, status=422)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return _form_page(request, actor, token, values=values, made=made, status=201)


@router.get("/board/exports/{export_id}.zip")
def download(request: Request, export_id: str) -> Response:
    """The encrypted archive of an export the user made, until it expires."""
    actor, token = _signed_in(request)
    try:
        content = exports.download_export(export_ports_of(request.app), export_id, actor=actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    response = Response(content, media_type="application/zip")
    name = f"export-{export_id[:8]}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.update(SECURITY_HEADERS)
    return response
