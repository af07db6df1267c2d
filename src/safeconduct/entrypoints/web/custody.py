"""The REST API of reception and prisoner-of-war registration (Geneva Convention III).

- ``POST /api/cases/{case_id}/arrival`` (201): the reception team records the arrival of the
  person led in; the case moves to ``in_custody``;
- ``POST /api/custody/receipts`` (201): money and valuables taken, item by item (Art. 18),
  from a case's person or a registered prisoner; answers the numbered receipt;
- ``GET /api/custody/receipts/{number}.pdf``: the receipt as a PDF;
- ``POST /api/custody/prisoners`` (201): register a prisoner (a registrar), from a case or
  without one; answers the record with the prisoner number issued;
- ``GET /api/custody/prisoners``, ``GET /api/custody/prisoners/{prisoner_id}``: the
  registered;
- ``POST /api/custody/prisoners/{prisoner_id}/events`` (201): a transfer, hospital admission,
  escape, release or death, notified to the National Information Bureau (Art. 122);
- ``GET /api/custody/prisoners/{prisoner_id}/card.pdf?lang=ru,en``: the capture card;
- ``POST /api/custody/evacuation-lists``: the list of evacuees of one transport (a PDF);
- ``GET /api/custody/nib/notifications.json`` and ``.csv``: the notifications to the NIB.

A registration's JSON is the same record as ``safeconduct custody register`` reads: the
snake_case field names, dates ``YYYY-MM-DD``, and ``"not given"`` for an Art. 17 field the
prisoner declined to give, with the prisoner's ``id``. Addresses name a prisoner by that id,
never by the prisoner number: the number is personal data, and addresses end up in access
logs and browser histories (bodies do not). The link between a registration and its case is
kept on the case side only and never answered here. The routes are thin: the use cases in
:mod:`safeconduct.services.custody` check who may do what, and every answer holds only the
fields the user's roles read (:mod:`safeconduct.casework.visibility`).
"""

from __future__ import annotations

import tempfile
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from safeconduct.custody.effects import Receipt, ReceiptItem, receipt_item_from_json
from safeconduct.entrypoints.web.deps import CurrentActor, Ports, unicode_json_text
from safeconduct.entrypoints.web.fields import answer, shown
from safeconduct.entrypoints.web.schemas import MAX_ID, Problem, RecordId
from safeconduct.errors import InvalidValueError, NotFoundError
from safeconduct.services import casework, custody
from safeconduct.services.casework import Actor

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in, or the token is not valid"},
    403: {"model": Problem, "description": "The user's roles do not allow this"},
    404: {"model": Problem, "description": "No such case, prisoner or receipt"},
    422: {"model": Problem, "description": "A value in the request is not acceptable"},
}
_PDF: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    200: {"content": {"application/pdf": {}}, "description": "The document, a PDF"},
}

_build_lock = threading.Lock()


def custody_ports_of(app: FastAPI) -> custody.CustodyPorts:
    """The app's custody ports, built on its casework database at first use (a test may
    give its own in ``app.state.custody``)."""
    found = getattr(app.state, "custody", None)
    if found is None:
        with _build_lock:
            found = getattr(app.state, "custody", None)
            if found is None:
                from safeconduct import bootstrap

                found = bootstrap.custody_ports(app.state.ports)
                app.state.custody = found
    return found


def get_custody(request: Request) -> custody.CustodyPorts:
    """The custody ports of the request's app."""
    return custody_ports_of(request.app)


CustodyPortsDep = Annotated[custody.CustodyPorts, Depends(get_custody)]

router = APIRouter(prefix="/api", tags=["custody"], dependencies=[Depends(unicode_json_text)])


# ----------------------------------------------------------------- shapes


class ArrivalIn(BaseModel):
    """The arrival of the person led in, as the reception team records it."""

    model_config = ConfigDict(extra="forbid")

    at: datetime = Field(description="When the person arrived, with a time zone.")
    place: str = Field(description="Where the person was received.")
    escorts: list[str] = Field(description="The escorts' names.")
    people: int = Field(1, description="How many people arrived.")
    health: str = Field(
        description="State of health (Annex IV B): good, not_wounded, recovered, "
        "convalescent, sick, slightly_wounded, seriously_wounded."
    )
    medical_priority: bool = Field(False, description="Needs medical care first.")
    effects_kept: list[str] = Field([], description="Personal effects the prisoner keeps.")


class ReceiptItemIn(BaseModel):
    """Money or a valuable taken."""

    model_config = ConfigDict(extra="forbid")

    description: str
    amount: str | float = Field(description="A decimal number, e.g. '1500' or '12.50'.")
    currency: str = Field(description="ISO 4217 code, e.g. RUB, UAH, USD.")


class ReceiptIn(BaseModel):
    """Money and valuables taken from one person: give ``case_id`` (the case's reception
    team, before registration) or ``prisoner_number`` (a registrar)."""

    model_config = ConfigDict(extra="forbid")

    case_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="The case of a person not yet registered."
    )
    prisoner_number: str | None = Field(None, description="A registered prisoner.")
    items: list[ReceiptItemIn]
    place: str | None = Field(
        None,
        description="Where it is issued (default: the case's reception point, or the "
        "prisoner's present address).",
    )
    prisoner_name: str | None = Field(
        None, description="With case_id: the name as the person gives it (default: not given)."
    )


class ReceiptItemOut(BaseModel):
    description: str
    amount: str
    currency: str


class ReceiptOut(BaseModel):
    """A numbered receipt (Art. 18); its PDF is at ``/api/custody/receipts/{number}.pdf``."""

    number: str
    items: list[ReceiptItemOut]
    issued_on: date
    place: str
    language: str
    prisoner_name: str
    prisoner_number: str | None

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptOut:
        return cls(
            number=receipt.number,
            items=[
                ReceiptItemOut(description=i.description, amount=str(i.amount), currency=i.currency)
                for i in receipt.items
            ],
            issued_on=receipt.issued_on,
            place=receipt.place,
            language=receipt.language,
            prisoner_name=receipt.prisoner_name,
            prisoner_number=receipt.prisoner_number,
        )


_NOT_GIVEN_HELP = 'or "not given" (Art. 17: the prisoner declined)'


class RegistrationIn(BaseModel):
    """A prisoner's registration: the record ``safeconduct custody register`` reads, and
    optionally the case the person came in by."""

    model_config = ConfigDict(extra="forbid")

    case_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="The case; the link stays on its side."
    )
    surname: str = Field(description=f"As given (Cyrillic stays Cyrillic), {_NOT_GIVEN_HELP}.")
    first_names: str = Field(description=f"As given, {_NOT_GIVEN_HELP}.")
    rank: str = Field(description=f"As given, {_NOT_GIVEN_HELP}.")
    date_of_birth: str = Field(description=f"YYYY-MM-DD, {_NOT_GIVEN_HELP}.")
    service_number: str = Field(description=f"As given, {_NOT_GIVEN_HELP}.")
    fathers_first_name: str | None = None
    mothers_maiden_name: str | None = None
    place_of_birth: str | None = None
    power: str | None = Field(None, description="The power on which the prisoner depends.")
    next_of_kin: str | None = Field(None, description="The person to be informed, and address.")
    captured_on: str = Field(description="Date of capture, YYYY-MM-DD.")
    health: str = Field(description="State of health (Annex IV B category).")
    language: str = Field(description="The prisoner's language, ISO 639-1.")
    present_address: str | None = Field(None, description="Camp or place of internment.")

    def record(self) -> dict[str, Any]:
        """The registration record, as the service reads it (no case, no empty field)."""
        return {
            key: value
            for key, value in self.model_dump(exclude={"case_id"}).items()
            if value is not None
        }


class EventIn(BaseModel):
    """A custody event to notify to the National Information Bureau (Art. 122)."""

    model_config = ConfigDict(extra="forbid")

    event: str = Field(description="transfer, hospital_admission, escape, release or death.")
    occurred_on: date = Field(description="The date it happened, YYYY-MM-DD.")
    place: str | None = None
    details: str | None = None


class EventOut(BaseModel):
    """A custody event recorded, and where the prisoner stands now."""

    prisoner_id: int
    prisoner_number: str
    event: str
    occurred_on: date
    status: str = Field(description="registered, transferred, released, deceased or escaped.")


class ArrivalOut(BaseModel):
    """A case's reception record after the arrival (times with their zone)."""

    case_id: int
    status: str = Field(description="The case's status: in_custody.")
    at: datetime
    place: str
    escorts: list[str]
    people: int
    health: str
    medical_priority: bool
    effects_kept: list[str]
    receipts: list[str] = Field(description="Receipt numbers issued for the case's person.")

    @classmethod
    def of(cls, info: custody.CustodyInfo) -> ArrivalOut:
        arrival = info.arrival
        assert arrival is not None
        return cls(
            case_id=info.case.id,
            status=str(info.case.status),
            at=arrival.at,
            place=arrival.place,
            escorts=list(arrival.escorts),
            people=arrival.people,
            health=arrival.health.value,
            medical_priority=arrival.medical_priority,
            effects_kept=list(arrival.effects_kept),
            receipts=list(info.receipts),
        )


class EvacuationIn(BaseModel):
    """One transport of prisoners (Art. 19-20)."""

    model_config = ConfigDict(extra="forbid")

    prisoners: list[str] = Field(description="The prisoner numbers.")
    on: date = Field(description="Date of the transport, YYYY-MM-DD.")
    from_place: str
    to_place: str
    escort: str
    langs: list[str] = Field(["en"], description="Languages of the list (ru, uk, en).")


# ----------------------------------------------------------------- helpers


def parse_langs(text: str) -> tuple[str, ...]:
    """``"ru,en"`` -> ``("ru", "en")``; the use case checks each has a catalogue."""
    langs = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    if not langs:
        raise InvalidValueError("give one or more languages, e.g. ru,en", field="langs")
    return langs


def read_document(path: Path) -> bytes:
    """The bytes a renderer wrote, or a clear refusal when it wrote nothing."""
    if not path.is_file():
        raise InvalidValueError("no document was written", field="out_path")
    return path.read_bytes()


def document(content: bytes, filename: str, media_type: str) -> Response:
    """A download: never cached (it holds personal data)."""
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def receipt_items(items: list[ReceiptItemIn]) -> list[ReceiptItem]:
    """The domain's receipt items (their checks name ``items``)."""
    return [receipt_item_from_json(item.model_dump()) for item in items]


# ----------------------------------------------------------------- routes


def _prisoner_record(
    ports: custody.CustodyPorts, number: str, actor: Actor, *, prisoner_id: int | None = None
) -> dict[str, Any]:
    """A prisoner's registration as JSON, with his public id, as the actor may read it."""
    from safeconduct.custody.record import registration_to_json

    if prisoner_id is None:
        prisoner_id = custody.prisoner_id_of(ports, number, actor=actor)
        if prisoner_id is None:  # gone since: say so without the number (logs, answers)
            raise NotFoundError("the prisoner is no longer registered", field="prisoner_id")
    found = registration_to_json(custody.get_prisoner(ports, number, actor=actor))
    record = {"id": prisoner_id} | found
    return casework.visible_record("prisoner", record, actor=actor, own=False)


def _number(ports: custody.CustodyPorts, prisoner_id: RecordId, actor: Actor) -> str:
    return custody.prisoner_number_of(ports, prisoner_id, actor=actor)


class PrisonerOut(BaseModel):
    """A registered prisoner: his id, the registration's fields (those of ``POST
    /api/custody/prisoners``, with the number issued) and, for one prisoner, his status."""

    model_config = ConfigDict(extra="allow")

    id: int = Field(description="The prisoner's id, which addresses name him by.")
    prisoner_number: str
    status: str | None = Field(None, description="Where he stands now (one prisoner only).")


@router.post(
    "/cases/{case_id}/arrival",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_ERRORS, **answer(ArrivalOut, 201)},
)
def record_arrival(
    ports: CustodyPortsDep,
    case_ports: Ports,
    actor: CurrentActor,
    case_id: RecordId,
    body: ArrivalIn,
) -> dict[str, Any]:
    """Record the arrival of the person led in (the case's reception team); the case moves
    to ``in_custody``."""
    from safeconduct.custody.arrival import Arrival
    from safeconduct.custody.health import parse_health

    arrival = Arrival(
        at=body.at,
        place=body.place,
        escorts=tuple(body.escorts),
        people=body.people,
        health=parse_health(body.health),
        medical_priority=body.medical_priority,
        effects_kept=tuple(body.effects_kept),
    )
    info = custody.record_arrival(ports, case_id, arrival, actor=actor)
    own = casework.owns_case_id(case_ports, info.case.id, actor=actor)
    return shown("arrival", ArrivalOut.of(info), actor, own=own)


@router.post(
    "/custody/receipts",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_ERRORS, **answer(ReceiptOut, 201)},
)
def issue_receipt(
    ports: CustodyPortsDep, case_ports: Ports, actor: CurrentActor, body: ReceiptIn
) -> dict[str, Any]:
    """Record money and valuables taken, item by item (Art. 18): from a case's person (its
    reception team) or a registered prisoner (a registrar); answers the numbered receipt."""
    if (body.case_id is None) == (body.prisoner_number is None):
        raise InvalidValueError(
            "give either case_id or prisoner_number, not both or neither", field="case_id"
        )
    target: int | str = body.case_id if body.case_id is not None else str(body.prisoner_number)
    receipt = custody.issue_receipt(
        ports,
        target,
        receipt_items(body.items),
        place=body.place,
        prisoner_name=body.prisoner_name,
        actor=actor,
    )
    own = body.case_id is not None and casework.owns_case_id(case_ports, body.case_id, actor=actor)
    return shown("receipt", ReceiptOut.of(receipt), actor, own=own)


@router.get("/custody/receipts/{number}.pdf", responses=_PDF, response_class=Response)
def receipt_pdf(
    ports: CustodyPortsDep,
    actor: CurrentActor,
    number: str,
    lang: Annotated[str, Query(max_length=32, description="Extra languages, e.g. ru,en.")] = "en",
) -> Response:
    """The receipt as a PDF in the prisoner's language and those asked for, with two
    signature lines."""
    langs = parse_langs(lang)
    with tempfile.TemporaryDirectory(prefix="safeconduct-receipt-") as folder:
        out = Path(folder) / "receipt.pdf"
        custody.write_receipt(ports, number, langs, out, actor=actor)
        content = read_document(out)
    return document(content, f"receipt-{number}.pdf", "application/pdf")


@router.post(
    "/custody/prisoners",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_ERRORS, **answer(PrisonerOut, 201)},
)
def register_prisoner(
    ports: CustodyPortsDep, actor: CurrentActor, body: RegistrationIn
) -> dict[str, Any]:
    """Register a prisoner of war (a registrar): a prisoner number is issued from the
    series; from a case (``case_id``), the case moves to ``registered``."""
    from safeconduct.custody.record import registration_from_json

    registration = registration_from_json(body.record())
    number = custody.register_prisoner(ports, registration, case=body.case_id, actor=actor)
    return _prisoner_record(ports, number, actor)


@router.get(
    "/custody/prisoners", response_model=None, responses={**_ERRORS, **answer(list[PrisonerOut])}
)
def list_prisoners(ports: CustodyPortsDep, actor: CurrentActor) -> list[dict[str, Any]]:
    """Every registered prisoner, by prisoner number (registrars), each with his ``id``."""
    from safeconduct.custody.record import registration_to_json

    return [
        casework.visible_record(
            "prisoner", {"id": prisoner_id} | registration_to_json(r), actor=actor, own=False
        )
        for prisoner_id, r in custody.list_prisoners_with_ids(ports, actor=actor)
    ]


@router.get(
    "/custody/prisoners/{prisoner_id}",
    response_model=None,
    responses={**_ERRORS, **answer(PrisonerOut)},
)
def get_prisoner(
    ports: CustodyPortsDep, actor: CurrentActor, prisoner_id: RecordId
) -> dict[str, Any]:
    """One prisoner's registration and where he stands now (``status``; registrars)."""
    number = _number(ports, prisoner_id, actor)
    found = _prisoner_record(ports, number, actor, prisoner_id=prisoner_id)
    status = custody.prisoner_status(ports, number, actor=actor).value
    return found | casework.visible_record("prisoner", {"status": status}, actor=actor, own=False)


@router.post(
    "/custody/prisoners/{prisoner_id}/events",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_ERRORS, **answer(EventOut, 201)},
)
def record_event(
    ports: CustodyPortsDep, actor: CurrentActor, prisoner_id: RecordId, body: EventIn
) -> dict[str, Any]:
    """Record a transfer, hospital admission, escape, release or death (a registrar); it is
    notified to the National Information Bureau."""
    from safeconduct.custody.nib import NibEvent

    try:
        event = NibEvent(body.event.strip().lower())
    except ValueError:
        known = ", ".join(e.value for e in NibEvent if e is not NibEvent.CAPTURE)
        raise InvalidValueError(
            f"unknown event {body.event!r}; give one of {known}", field="event"
        ) from None
    number = _number(ports, prisoner_id, actor)
    status = custody.record_custody_event(
        ports,
        number,
        event,
        occurred_on=body.occurred_on,
        place=body.place,
        details=body.details,
        actor=actor,
    )
    recorded = EventOut(
        prisoner_id=prisoner_id,
        prisoner_number=number,
        event=event.value,
        occurred_on=body.occurred_on,
        status=status.value,
    )
    return shown("custody_event", recorded, actor, own=False)


@router.get("/custody/prisoners/{prisoner_id}/card.pdf", responses=_PDF, response_class=Response)
def capture_card(
    ports: CustodyPortsDep,
    actor: CurrentActor,
    prisoner_id: RecordId,
    lang: Annotated[
        str, Query(max_length=32, description="Languages, e.g. ru,en (the prisoner's added).")
    ] = "en",
) -> Response:
    """The prisoner's capture card (Annex IV B, 150 x 105 mm) in two or three languages."""
    langs = parse_langs(lang)
    number = _number(ports, prisoner_id, actor)
    with tempfile.TemporaryDirectory(prefix="safeconduct-card-") as folder:
        out = Path(folder) / "card.pdf"
        custody.write_capture_card(ports, number, langs, out, actor=actor)
        content = read_document(out)
    return document(content, f"capture-card-{number}.pdf", "application/pdf")


@router.post("/custody/evacuation-lists", responses=_PDF, response_class=Response)
def evacuation_list(ports: CustodyPortsDep, actor: CurrentActor, body: EvacuationIn) -> Response:
    """The list of evacuees of one transport (Art. 19-20), as a PDF (a registrar)."""
    listed = custody.evacuation_list(
        ports,
        body.prisoners,
        on=body.on,
        from_place=body.from_place,
        to_place=body.to_place,
        escort=body.escort,
        actor=actor,
    )
    langs = tuple(dict.fromkeys(lang.strip().lower() for lang in body.langs))
    with tempfile.TemporaryDirectory(prefix="safeconduct-evacuation-") as folder:
        out = Path(folder) / "evacuation-list.pdf"
        custody.write_evacuation_list(ports, listed, langs, out, actor=actor)
        content = read_document(out)
    return document(content, f"evacuation-list-{body.on.isoformat()}.pdf", "application/pdf")


_NIB_MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


def nib_file(ports: custody.CustodyPorts, actor: Actor, suffix: str) -> Response:
    """One of the NIB export's files, written by the use case into a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="safeconduct-nib-") as folder:
        out = Path(folder)
        custody.export_nib(ports, out, actor=actor)
        found = sorted(out.glob(f"*.{suffix}"))
        if not found:
            raise InvalidValueError(f"the export wrote no {suffix} file", field="out_dir")
        content = found[0].read_bytes()
    return document(content, f"nib-notifications.{suffix}", _NIB_MEDIA[suffix])


@router.get(
    "/custody/nib/notifications.json",
    responses={**_ERRORS, 200: {"content": {"application/json": {}}}},
    response_class=Response,
)
def nib_json(ports: CustodyPortsDep, actor: CurrentActor) -> Response:
    """The notifications to the National Information Bureau (Art. 122), as JSON in the
    package's schema (``nib-notification.schema.json``)."""
    return nib_file(ports, actor, "json")


@router.get(
    "/custody/nib/notifications.csv",
    responses={**_ERRORS, 200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
def nib_csv(ports: CustodyPortsDep, actor: CurrentActor) -> Response:
    """The notifications to the National Information Bureau (Art. 122), as CSV with the
    JSON schema's columns."""
    return nib_file(ports, actor, "csv")
