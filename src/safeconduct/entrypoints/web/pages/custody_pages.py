"""The board's custody pages: reception and prisoner-of-war registration.

- For the reception team, on a case whose person has arrived:
  ``/board/cases/{id}/reception``, the arrival form (time, place, escorts, how many people,
  the Annex IV B health category, medical priority, effects kept) and the money and
  valuables form whose items make a numbered receipt (Art. 18), downloaded as a PDF.
- For the registrar: ``/board/prisoners``, the registered prisoners (with the evacuation
  list of a transport and the National Information Bureau exports);
  ``/board/prisoners/new``, the registration form, with a "not given" box beside each
  Art. 17 field and the notice that a prisoner may be questioned only in a language he
  understands and may not be coerced; ``/board/prisoners/{prisoner_id}``, the prisoner's
  page with the capture card in the languages chosen and the events notified to the NIB.

Addresses name a prisoner by his id, never by his prisoner number: the number is personal
data, and addresses end up in access logs and browser histories (form bodies do not).

The routes are thin, like the rest of the board: the session gives the user, every POST
checks its CSRF token first, the use cases in :mod:`safeconduct.services.custody` decide
who may do what, and a refused value comes back on its form (422) with the message beside
its field; nothing is written.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from safeconduct.casework.roles import can
from safeconduct.casework.status import CaseStatus
from safeconduct.entrypoints.web.custody import custody_ports_of
from safeconduct.entrypoints.web.pages import session as web_session
from safeconduct.entrypoints.web.pages.routes import (
    SECURITY_HEADERS,
    board_ports,
    refusal_page,
    render_page,
    templates,
)
from safeconduct.entrypoints.web.pages.session import check_csrf, csrf_for
from safeconduct.entrypoints.web.schemas import MAX_ID, OptionalRecordId, RecordId
from safeconduct.errors import InvalidValueError, NotFoundError, SafeconductError
from safeconduct.services import casework, custody
from safeconduct.services.casework import Actor, CaseInfo, PermissionDeniedError

router = APIRouter(include_in_schema=False)

#: The languages documents are printed in (the catalogues).
LANGUAGES: tuple[tuple[str, str], ...] = (("ru", "Russian"), ("uk", "Ukrainian"), ("en", "English"))
#: The Art. 17 fields: the only ones a prisoner is bound to give, each may be "not given".
ART17_FIELDS: tuple[tuple[str, str], ...] = (
    ("surname", "Surname"),
    ("first_names", "First names"),
    ("rank", "Rank"),
    ("date_of_birth", "Date of birth"),
    ("service_number", "Service number"),
)
#: The Annex IV B and Art. 122 fields the form asks besides (all may stay empty).
OTHER_FIELDS: tuple[tuple[str, str], ...] = (
    ("fathers_first_name", "Father's first name"),
    ("mothers_maiden_name", "Mother's maiden name"),
    ("place_of_birth", "Place of birth"),
    ("power", "Power on which the prisoner depends"),
    ("next_of_kin", "Person to be informed, and address"),
    ("present_address", "Present address (camp, place of internment)"),
)
#: The events notified to the NIB after the capture, each a button on the prisoner's page.
EVENTS: tuple[tuple[str, str], ...] = (
    ("transfer", "Transfer to another power"),
    ("hospital_admission", "Hospital admission"),
    ("escape", "Escape"),
    ("release", "Release"),
    ("death", "Death"),
)
NOT_GIVEN_TEXT = "not given"
#: Statuses in which a case's person is with the reception team.
RECEPTION_STATUSES = frozenset({"arrived", "in_custody", "registered"})


async def read_form(request: Request) -> FormData:
    """The POSTed form (read on the event loop; the route then runs in the thread pool)."""
    return await request.form(max_fields=200)


Form = Annotated[FormData, Depends(read_form)]
#: ``?lang=ru&lang=en``: the languages ticked on a download form.
Langs = Annotated[list[str] | None, Query(max_length=8)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _checked(form: FormData, name: str) -> bool:
    return form.get(name) not in (None, "")


def _signed_in(request: Request, form: FormData | None = None) -> tuple[Actor, str]:
    """The page's user, and (for a POST) its CSRF token checked."""
    actor, token = web_session.session_actor(board_ports(request), request)
    if form is not None:
        sent = request.headers.get(web_session.CSRF_HEADER) or form.get(web_session.CSRF_FIELD)
        check_csrf(csrf_for(token), sent if isinstance(sent, str) else None)
    return actor, token


def may_register(actor: Actor) -> bool:
    """Whether the board offers the registrar's pages (the use cases check again)."""
    return actor.console or can(actor.roles, "write", "identity", own=False)


def may_receive(actor: Actor) -> bool:
    """Whether the board offers reception forms on a case of the user's own."""
    return actor.console or can(actor.roles, "write", "reception", own=True)


def custody_links(actor: Actor, case: CaseInfo) -> list[tuple[str, str, str]]:
    """The custody links of a case's page: (id, href, label)."""
    links: list[tuple[str, str, str]] = []
    status = str(case.status)
    if may_receive(actor) and status in RECEPTION_STATUSES:
        links.append(
            ("reception-link", f"/board/cases/{case.id}/reception", "Reception: arrival, receipt")
        )
    if may_register(actor) and status == CaseStatus.IN_CUSTODY.value:
        links.append(
            ("register-link", f"/board/prisoners/new?case_id={case.id}", "Register the prisoner")
        )
    return links


def _when_zoned(moment: datetime) -> str:
    """A time with the zone it was given in (an arrival's), to the minute."""
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.strftime("%z") or "UTC")


# The page header and the case page ask these (base.html, case.html).
templates.env.globals["may_see_prisoners"] = may_register
templates.env.globals["custody_links"] = custody_links
templates.env.filters["when_zoned"] = _when_zoned


def _download(content: bytes, filename: str, media_type: str) -> Response:
    response = Response(content, media_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.update(SECURITY_HEADERS)
    return response


def _pdf(write: Any, filename: str) -> Response:
    """Run ``write(out_path)`` into a scratch folder and answer the PDF it wrote."""
    with tempfile.TemporaryDirectory(prefix="safeconduct-board-") as folder:
        out = Path(folder) / filename
        write(out)
        content = out.read_bytes()
    return _download(content, filename, "application/pdf")


def _langs(values: list[str]) -> tuple[str, ...]:
    langs = tuple(dict.fromkeys(v.strip().lower() for v in values if v.strip()))
    if not langs:
        raise InvalidValueError("choose at least one language", field="langs")
    return langs


def _form_errors(error: SafeconductError, fields: set[str]) -> dict[str, str]:
    """A refusal as form errors: beside its field, or above the form (key "")."""
    return {(error.field if error.field in fields else ""): error.message}


# ----------------------------------------------------------------- reception


_ARRIVAL_FIELDS = {"at", "place", "escorts", "people", "health", "medical_priority", "effects_kept"}


def _health_choices() -> list[tuple[str, str]]:
    from safeconduct.custody.health import HealthCategory

    return [(h.value, h.value.replace("_", " ").capitalize()) for h in HealthCategory]


def _reception_page(
    request: Request,
    actor: Actor,
    token: str,
    case: CaseInfo,
    *,
    arrival: dict[str, Any] | None = None,
    arrival_errors: dict[str, str] | None = None,
    items: list[dict[str, str]] | None = None,
    item_errors: dict[str, str] | None = None,
    receipt: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    record = custody.custody_of(custody_ports_of(request.app), case.id, actor=actor)
    context = {
        "case": case,
        # Only the reception record: which prisoners came of the case is the registrar's.
        "recorded": record.arrival,
        "receipts": record.receipts,
        "health_choices": _health_choices(),
        "arrival": arrival or {"at": now, "people": "1"},
        "arrival_errors": arrival_errors or {},
        "items": items or _EMPTY_ITEMS,
        "item_errors": item_errors or {},
        "receipt": receipt,
        "languages": LANGUAGES,
        "may_arrive": str(case.status) == CaseStatus.ARRIVED.value,
    }
    return render_page(request, "reception.html", context, status=status, actor=actor, token=token)


def _case_for_reception(request: Request, case_id: int, actor: Actor) -> CaseInfo:
    case = casework.get_case(board_ports(request), case_id, actor=actor)
    if not may_receive(actor):
        raise PermissionDeniedError(f"{actor.name} may not record arrivals or receipts")
    return case


@router.get("/board/cases/{case_id}/reception")
def reception_page(request: Request, case_id: RecordId, receipt: str | None = None) -> HTMLResponse:
    """The arrival form and the money and valuables form of a case (its reception team)."""
    actor, token = _signed_in(request)
    try:
        case = _case_for_reception(request, case_id, actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return _reception_page(request, actor, token, case, receipt=receipt)


def _read_arrival(form: FormData) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """The arrival the form gives, or None and a message per wrong field (all at once)."""
    from safeconduct.custody.arrival import Arrival
    from safeconduct.custody.health import parse_health

    values: dict[str, Any] = {
        "at": _text(form, "at"),
        "place": _text(form, "place"),
        "escorts": _text(form, "escorts"),
        "people": _text(form, "people"),
        "health": _text(form, "health"),
        "medical_priority": _checked(form, "medical_priority"),
        "effects_kept": _text(form, "effects_kept"),
    }
    errors: dict[str, str] = {}
    at = people = health = None
    try:
        at = datetime.fromisoformat(values["at"])
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    except ValueError:
        errors["at"] = "give the date and time of arrival (UTC)"
    try:
        people = int(values["people"])
    except ValueError:
        errors["people"] = "give how many people arrived, a whole number"
    try:
        health = parse_health(values["health"])
    except SafeconductError as error:
        errors["health"] = error.message
    if errors or at is None or people is None or health is None:
        return None, errors, values
    escorts = tuple(e.strip() for e in values["escorts"].replace("\n", ",").split(",") if e.strip())
    effects = tuple(e.strip() for e in values["effects_kept"].splitlines() if e.strip())
    try:
        arrival = Arrival(
            at=at,
            place=values["place"],
            escorts=escorts,
            people=people,
            health=health,
            medical_priority=bool(values["medical_priority"]),
            effects_kept=effects,
        )
    except SafeconductError as error:
        return None, _form_errors(error, _ARRIVAL_FIELDS), values
    return arrival, {}, values


@router.post("/board/cases/{case_id}/arrival")
def record_arrival(request: Request, case_id: RecordId, form: Form) -> Response:
    """Record the arrival from the form; the case moves to ``in_custody``."""
    actor, token = _signed_in(request, form)
    try:
        case = _case_for_reception(request, case_id, actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    arrival, errors, values = _read_arrival(form)
    if arrival is not None:
        try:
            custody.record_arrival(custody_ports_of(request.app), case_id, arrival, actor=actor)
        except (PermissionDeniedError, NotFoundError) as error:
            return refusal_page(request, error, actor, token)
        except SafeconductError as error:
            errors = _form_errors(error, _ARRIVAL_FIELDS)
    if errors:
        return _reception_page(
            request, actor, token, case, arrival=values, arrival_errors=errors, status=422
        )
    return RedirectResponse(f"/board/cases/{case_id}/reception#receipt", status_code=303)


#: Rows of the items form: at most, and the empty ones a new form shows.
MAX_ITEMS = 20
_EMPTY_ITEMS = [{"description": "", "amount": "", "currency": ""}] * 3


def _read_items(form: FormData) -> tuple[list[Any], dict[str, str], list[dict[str, str]]]:
    """The receipt items the form gives (empty rows skipped), or the errors."""
    from safeconduct.custody.effects import ReceiptItem, parse_amount

    rows = [
        {
            "description": _text(form, f"description_{i}"),
            "amount": _text(form, f"amount_{i}"),
            "currency": _text(form, f"currency_{i}").upper(),
        }
        for i in range(MAX_ITEMS)
        if f"description_{i}" in form
    ]
    items: list[Any] = []
    errors: dict[str, str] = {}
    for i, row in enumerate(rows):
        if not any(row.values()):
            continue
        try:
            amount = parse_amount(row["amount"], what=row["description"])
            items.append(ReceiptItem(row["description"], amount, row["currency"]))
        except SafeconductError as error:
            errors[str(i)] = error.message
    if not items and not errors:
        errors[""] = "enter at least one item: a description, its amount and currency"
    return items, errors, rows


@router.post("/board/cases/{case_id}/receipts")
def issue_receipt(request: Request, case_id: RecordId, form: Form) -> Response:
    """Record the money and valuables taken from the form, and offer the receipt's PDF."""
    actor, token = _signed_in(request, form)
    try:
        case = _case_for_reception(request, case_id, actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    items, errors, rows = _read_items(form)
    if not errors:
        try:
            receipt = custody.issue_receipt(
                custody_ports_of(request.app), case_id, items, actor=actor
            )
        except (PermissionDeniedError, NotFoundError) as error:
            return refusal_page(request, error, actor, token)
        except SafeconductError as error:
            errors = {"": error.message}
        else:
            return RedirectResponse(
                f"/board/cases/{case_id}/reception?receipt={receipt.number}#receipt",
                status_code=303,
            )
    return _reception_page(request, actor, token, case, items=rows, item_errors=errors, status=422)


@router.get("/board/receipts/{number}.pdf")
def receipt_pdf(request: Request, number: str, lang: Langs = None) -> Response:
    """A receipt's PDF, in the prisoner's language and those chosen."""
    actor, token = _signed_in(request)
    ports = custody_ports_of(request.app)
    try:
        langs = _langs(lang or ["en"])
        return _pdf(
            lambda out: custody.write_receipt(ports, number, langs, out, actor=actor),
            f"receipt-{number}.pdf",
        )
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)


# ----------------------------------------------------------------- registration


_REGISTRATION_FIELDS = {
    *(name for name, _ in ART17_FIELDS),
    *(name for name, _ in OTHER_FIELDS),
    "captured_on",
    "health",
    "language",
    "case_id",
}


def _registration_page(
    request: Request,
    actor: Actor,
    token: str,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    case: CaseInfo | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "values": values,
        "errors": errors or {},
        "case": case,
        "notices": _art17_notices(),
        "art17": ART17_FIELDS,
        "others": OTHER_FIELDS,
        "health_choices": _health_choices(),
        "languages": LANGUAGES,
        "today": date.today().isoformat(),
    }
    return render_page(request, "register.html", context, status=status, actor=actor, token=token)


def _art17_notices() -> list[tuple[str, str, str]]:
    """The Art. 17 notice of the capture card in each catalogue's language, to show the
    prisoner on screen: (code, language name, text)."""
    from safeconduct.custody.catalog import load
    from safeconduct.custody.texts import ART17_NOTICE

    return [(code, name, load(code).gettext(ART17_NOTICE)) for code, name in LANGUAGES]


def _require_registrar(actor: Actor) -> None:
    if not may_register(actor):
        raise PermissionDeniedError(f"{actor.name} may not register prisoners")


@router.get("/board/prisoners/new")
def registration_form(request: Request, case_id: OptionalRecordId = None) -> HTMLResponse:
    """The registration form (registrars), from a case in custody or for anyone."""
    actor, token = _signed_in(request)
    try:
        _require_registrar(actor)
        case = (
            None
            if case_id is None
            else casework.get_case(board_ports(request), case_id, actor=actor)
        )
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    values: dict[str, Any] = {"language": case.language if case else "", "health": "good"}
    if case is not None:
        values["case_id"] = str(case.id)
        # What the reception team recorded starts the form: the state of health, the day.
        arrival = custody.custody_of(custody_ports_of(request.app), case.id, actor=actor).arrival
        if arrival is not None:
            values["health"] = arrival.health.value
            values["captured_on"] = arrival.at.date().isoformat()
    return _registration_page(request, actor, token, values=values, case=case)


def _record(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """The registration record the form gives, and the values to show again."""
    values: dict[str, Any] = {}
    record: dict[str, Any] = {}
    for name, _ in ART17_FIELDS:
        text, declined = _text(form, name), _checked(form, f"{name}_not_given")
        values[name], values[f"{name}_not_given"] = text, declined
        record[name] = NOT_GIVEN_TEXT if declined else text
    for name, _ in OTHER_FIELDS:
        values[name] = _text(form, name)
        if values[name]:
            record[name] = values[name]
    for name in ("captured_on", "health", "language"):
        values[name] = record[name] = _text(form, name)
    values["case_id"] = _text(form, "case_id")
    return record, values


@router.post("/board/prisoners")
def register_prisoner(request: Request, form: Form) -> Response:
    """Register a prisoner from the form; on success, to the prisoner's page."""
    from safeconduct.custody.record import registration_from_json

    actor, token = _signed_in(request, form)
    ports = board_ports(request)
    record, values = _record(form)
    case: CaseInfo | None = None
    try:
        _require_registrar(actor)
        if values["case_id"]:
            if not values["case_id"].isdigit() or int(values["case_id"]) > MAX_ID:
                raise NotFoundError("there is no such case", field="case_id")
            case = casework.get_case(ports, int(values["case_id"]), actor=actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    try:
        registration = registration_from_json(record)
        number = custody.register_prisoner(
            custody_ports_of(request.app),
            registration,
            case=None if case is None else case.id,
            actor=actor,
        )
    except PermissionDeniedError as error:
        return refusal_page(request, error, actor, token)
    except SafeconductError as error:
        errors = _form_errors(error, _REGISTRATION_FIELDS)
        return _registration_page(
            request, actor, token, values=values, errors=errors, case=case, status=422
        )
    found = custody.prisoner_id_of(custody_ports_of(request.app), number, actor=actor)
    return RedirectResponse(f"/board/prisoners/{found or ''}", status_code=303)


@router.get("/board/prisoners")
def prisoners_page(request: Request) -> HTMLResponse:
    """The registered prisoners (registrars), the evacuation list form, the NIB exports."""
    actor, token = _signed_in(request)
    try:
        return _prisoners_page(request, actor, token)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)


def _prisoners_page(
    request: Request,
    actor: Actor,
    token: str,
    *,
    evacuation: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = custody.list_prisoners_with_ids(custody_ports_of(request.app), actor=actor)
    context = {
        "prisoners": [registration for _, registration in found],
        "prisoner_ids": {r.prisoner_number: prisoner_id for prisoner_id, r in found},
        "evacuation": evacuation or {"on": date.today().isoformat(), "chosen": []},
        "evacuation_error": error,
        "languages": LANGUAGES,
        "not_given": NOT_GIVEN_TEXT,
    }
    return render_page(request, "prisoners.html", context, status=status, actor=actor, token=token)


def _number(request: Request, prisoner_id: int, actor: Actor) -> str:
    """The prisoner number of the prisoner the address names by his id."""
    return custody.prisoner_number_of(custody_ports_of(request.app), prisoner_id, actor=actor)


@router.get("/board/prisoners/{prisoner_id}")
def prisoner_page(
    request: Request, prisoner_id: RecordId, receipt: str | None = None
) -> HTMLResponse:
    """A prisoner: the registration, the capture card and NIB downloads, the events, and
    (while in custody) the money and valuables form, with the receipt just issued."""
    actor, token = _signed_in(request)
    try:
        number = _number(request, prisoner_id, actor)
        return _prisoner_page(request, actor, token, number, prisoner_id, receipt=receipt)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)


def _prisoner_page(
    request: Request,
    actor: Actor,
    token: str,
    number: str,
    prisoner_id: int,
    *,
    event: dict[str, str] | None = None,
    event_error: str | None = None,
    items: list[dict[str, str]] | None = None,
    item_errors: dict[str, str] | None = None,
    receipt: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ports = custody_ports_of(request.app)
    registration = custody.get_prisoner(ports, number, actor=actor)
    status = custody.prisoner_status(ports, number, actor=actor)
    context = {
        "number": registration.prisoner_number,
        "prisoner_id": prisoner_id,
        "reg": registration,
        "status": status.value,
        # Events after the capture are recorded while the prisoner is in our hands.
        "in_custody": status.value == "registered",
        "fields": (*ART17_FIELDS, *OTHER_FIELDS),
        "notifications": custody.prisoner_events(ports, number, actor=actor),
        "events": EVENTS,
        "event": event or {"occurred_on": date.today().isoformat()},
        "event_error": event_error,
        "languages": LANGUAGES,
        "items": items or _EMPTY_ITEMS,
        "item_errors": item_errors or {},
        "receipt": receipt,
        "receipts": (),
    }
    return render_page(
        request, "prisoner.html", context, status=status_code, actor=actor, token=token
    )


@router.get("/board/prisoners/{prisoner_id}/card.pdf")
def capture_card(request: Request, prisoner_id: RecordId, lang: Langs = None) -> Response:
    """The prisoner's capture card in the languages chosen (the prisoner's own added)."""
    actor, token = _signed_in(request)
    ports = custody_ports_of(request.app)
    try:
        number = _number(request, prisoner_id, actor)
        langs = _langs(lang or ["en"])
        return _pdf(
            lambda out: custody.write_capture_card(ports, number, langs, out, actor=actor),
            f"capture-card-{number}.pdf",
        )
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)


@router.post("/board/prisoners/{prisoner_id}/events")
def record_event(request: Request, prisoner_id: RecordId, form: Form) -> Response:
    """Record a transfer, hospital admission, escape, release or death (a button)."""
    from safeconduct.custody.nib import NibEvent

    actor, token = _signed_in(request, form)
    values = {
        "event": _text(form, "event"),
        "occurred_on": _text(form, "occurred_on"),
        "place": _text(form, "place"),
        "details": _text(form, "details"),
    }
    try:
        number = _number(request, prisoner_id, actor)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    try:
        if values["event"] not in {name for name, _ in EVENTS}:
            raise InvalidValueError(f"unknown event {values['event']!r}", field="event")
        try:
            occurred_on = date.fromisoformat(values["occurred_on"])
        except ValueError:
            raise InvalidValueError(
                "give the date it happened (YYYY-MM-DD)", field="occurred_on"
            ) from None
        custody.record_custody_event(
            custody_ports_of(request.app),
            number,
            NibEvent(values["event"]),
            occurred_on=occurred_on,
            place=values["place"] or None,
            details=values["details"] or None,
            actor=actor,
        )
    except (PermissionDeniedError, NotFoundError) as error:
        return refusal_page(request, error, actor, token)
    except SafeconductError as error:
        try:
            return _prisoner_page(
                request,
                actor,
                token,
                number,
                prisoner_id,
                event=values,
                event_error=error.message,
                status_code=422,
            )
        except SafeconductError as again:
            return refusal_page(request, again, actor, token)
    return RedirectResponse(f"/board/prisoners/{prisoner_id}#events", status_code=303)


@router.post("/board/prisoners/{prisoner_id}/receipts")
def issue_prisoner_receipt(request: Request, prisoner_id: RecordId, form: Form) -> Response:
    """Record money and valuables taken from a registered prisoner (a registrar), and offer
    the receipt's PDF on the prisoner's page."""
    actor, token = _signed_in(request, form)
    items, errors, rows = _read_items(form)
    ports = custody_ports_of(request.app)
    try:
        number = _number(request, prisoner_id, actor)
        if not errors:
            try:
                receipt = custody.issue_receipt(ports, number, items, actor=actor)
            except (PermissionDeniedError, NotFoundError):
                raise
            except SafeconductError as error:
                errors = {"": error.message}
            else:
                return RedirectResponse(
                    f"/board/prisoners/{prisoner_id}?receipt={receipt.number}#receipt",
                    status_code=303,
                )
        return _prisoner_page(
            request,
            actor,
            token,
            number,
            prisoner_id,
            items=rows,
            item_errors=errors,
            status_code=422,
        )
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)


@router.post("/board/prisoners/evacuation-list")
def evacuation_list(request: Request, form: Form) -> Response:
    """The list of evacuees of one transport, for the prisoners chosen (a PDF)."""
    actor, token = _signed_in(request, form)
    chosen = [v for v in form.getlist("prisoner") if isinstance(v, str) and v]
    values: dict[str, Any] = {
        "chosen": chosen,
        "on": _text(form, "on"),
        "from_place": _text(form, "from_place"),
        "to_place": _text(form, "to_place"),
        "escort": _text(form, "escort"),
        "langs": [v for v in form.getlist("lang") if isinstance(v, str)],
    }
    ports = custody_ports_of(request.app)
    try:
        try:
            on = date.fromisoformat(values["on"])
        except ValueError:
            raise InvalidValueError("give the date of the transport", field="on") from None
        if not chosen:
            raise InvalidValueError("choose the prisoners on this transport", field="prisoners")
        langs = _langs(values["langs"] or ["en"])
        listed = custody.evacuation_list(
            ports,
            chosen,
            on=on,
            from_place=values["from_place"],
            to_place=values["to_place"],
            escort=values["escort"],
            actor=actor,
        )
        return _pdf(
            lambda out: custody.write_evacuation_list(ports, listed, langs, out, actor=actor),
            f"evacuation-list-{on.isoformat()}.pdf",
        )
    except PermissionDeniedError as error:
        return refusal_page(request, error, actor, token)
    except SafeconductError as error:
        try:
            return _prisoners_page(
                request, actor, token, evacuation=values, error=error.message, status=422
            )
        except SafeconductError as again:
            return refusal_page(request, again, actor, token)


_NIB_MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


@router.get("/board/nib/notifications.{suffix}")
def nib_export(request: Request, suffix: str) -> Response:
    """The notifications to the National Information Bureau: JSON, CSV or PDF."""
    actor, token = _signed_in(request)
    if suffix not in _NIB_MEDIA:
        return refusal_page(request, NotFoundError(f"no notifications.{suffix}"), actor, token)
    try:
        with tempfile.TemporaryDirectory(prefix="safeconduct-nib-") as folder:
            out = Path(folder)
            custody.export_nib(custody_ports_of(request.app), out, actor=actor)
            found = sorted(out.glob(f"*.{suffix}"))
            if not found:
                raise NotFoundError(f"the export has no {suffix} file")
            content = found[0].read_bytes()
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)
    return _download(content, f"nib-notifications.{suffix}", _NIB_MEDIA[suffix])
