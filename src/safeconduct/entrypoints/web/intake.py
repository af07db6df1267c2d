"""The REST API of the intake console: the operator's inbox and the conversations with people.

- ``GET /api/intake/inbox``: the conversations waiting for a person, and the caller's own,
  without a word of them (operators);
- ``GET /api/intake/conversations/{case_id}``: one conversation the caller took over: the
  flow's answers as a summary, the messages, the meeting proposed;
- ``POST /api/intake/conversations/{case_id}/takeover``: take it from the bot or the queue;
- ``POST /api/intake/conversations/{case_id}/replies`` (201): a reply, queued for the
  channel (a reply holding coordinates is refused: a place goes only as a meeting);
- ``POST /api/intake/conversations/{case_id}/meeting`` (201): send an approved meeting
  point (an area's meeting point) and window, with the line asking to delete it;
- ``POST /api/intake/conversations/{case_id}/media/{media_id}/keep``: keep a file the
  person sent (held pending until then): it becomes a case message's attachment;
- ``POST /api/intake/conversations/{case_id}/media/{media_id}/discard``: destroy it.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, status
from pydantic import BaseModel, Field

from safeconduct.entrypoints.web.deps import CurrentActor, unicode_json_text
from safeconduct.entrypoints.web.fields import answer, shown, shown_all
from safeconduct.entrypoints.web.messages import MessageOut
from safeconduct.entrypoints.web.schemas import Problem, RecordId
from safeconduct.services import area_library, intake
from safeconduct.services.casework import CONSOLE

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in, or the token is not valid"},
    403: {"model": Problem, "description": "The user's roles do not allow this"},
    404: {"model": Problem, "description": "No such conversation, or no such meeting point"},
    422: {"model": Problem, "description": "A value in the request is not acceptable"},
}

router = APIRouter(prefix="/api/intake", tags=["intake"], dependencies=[Depends(unicode_json_text)])

_build_lock = threading.Lock()


def default_flow() -> Any:
    """The package's default flow, checked."""
    from safeconduct.intake.flow import flow_from_json

    text = resources.files("safeconduct.intake").joinpath("flows/default.json").read_text("utf-8")
    return flow_from_json(json.loads(text))


def _meeting_points(app: FastAPI) -> list[intake.MeetingOption]:
    from safeconduct.entrypoints.web.operations import _operations

    ops = _operations(app)
    return [
        intake.MeetingOption(
            id=area.name, label=area.name, lat=area.meeting_point.lat, lon=area.meeting_point.lon
        )
        for area in area_library.list_areas(ops, actor=CONSOLE)
    ]


def intake_ports_of(app: FastAPI) -> intake.IntakePorts:
    """The app's intake ports, built on its casework database at first use with the default
    flow and the areas' meeting points (a test may give its own in ``app.state.intake``)."""
    found = getattr(app.state, "intake", None)
    if found is None:
        with _build_lock:
            found = getattr(app.state, "intake", None)
            if found is None:
                found = intake.IntakePorts(
                    database=app.state.ports.database,
                    flow=default_flow(),
                    meeting_points=lambda: _meeting_points(app),
                )
                app.state.intake = found
    return found


def get_intake(request: Request) -> intake.IntakePorts:
    """The intake ports of the request's app."""
    return intake_ports_of(request.app)


IntakePortsDep = Annotated[intake.IntakePorts, Depends(get_intake)]


class InboxEntryOut(BaseModel):
    """A conversation in the inbox: no words, no handle (times in UTC)."""

    case_id: int
    channel: str
    status: str
    flagged_reason: str | None
    language: str
    operator: str | None
    last_in_at: datetime | None
    mine: bool

    @classmethod
    def of(cls, entry: intake.InboxEntry) -> InboxEntryOut:
        return cls(**entry.__dict__)


class MediaOut(BaseModel):
    """A file the person sent, held until kept or discarded: no bytes, no preview (size in
    bytes, time in UTC)."""

    id: int
    kind: str
    media_type: str
    size: int
    received_at: datetime

    @classmethod
    def of(cls, media: intake.PendingMedia) -> MediaOut:
        return cls(
            id=media.id,
            kind=media.kind,
            media_type=media.media_type,
            size=media.size,
            received_at=media.received_at,
        )


class ConversationOut(BaseModel):
    """One conversation as its operator reads it."""

    case_id: int
    case_code: str
    channel: str
    status: str
    flagged_reason: str | None
    language: str
    operator: str | None
    summary: dict[str, str]
    messages: list[MessageOut]
    meeting: dict[str, Any] | None
    media: list[MediaOut]

    @classmethod
    def of(cls, view: intake.ConversationView) -> ConversationOut:
        return cls(
            case_id=view.case_id,
            case_code=view.case_code,
            channel=view.channel,
            status=view.status,
            flagged_reason=view.flagged_reason,
            language=view.language,
            operator=view.operator,
            summary=dict(view.summary),
            messages=[MessageOut.of(m) for m in view.messages],
            meeting=None if view.meeting is None else dict(view.meeting),
            media=[MediaOut.of(m) for m in view.media],
        )


class OutgoingOut(BaseModel):
    """A message queued for the person (sent by the channel adapter)."""

    outbox_id: int | None
    channel: str
    text: str


class ReplyIn(BaseModel):
    """An operator's reply."""

    text: str = Field(description="The words, 1 to 4,000 characters; no coordinates.")


class MeetingIn(BaseModel):
    """A meeting proposal: an approved point and a window (aware times)."""

    option: str = Field(description="The approved point: an area's name.")
    window_start: datetime
    window_end: datetime


def _outgoing(message: intake.OutgoingMessage) -> OutgoingOut:
    return OutgoingOut(outbox_id=message.outbox_id, channel=message.channel, text=message.text)


@router.get("/inbox", response_model=None, responses={**_ERRORS, **answer(list[InboxEntryOut])})
def inbox(ports: IntakePortsDep, actor: CurrentActor) -> list[dict[str, Any]]:
    """The conversations waiting for a person, and the caller's own (operators)."""
    found = intake.inbox(ports, actor)
    # The use case refused anyone but operators, whose queue this is.
    return shown_all("intake_entry", [InboxEntryOut.of(e) for e in found], actor, own=True)


@router.get(
    "/conversations/{case_id}",
    response_model=None,
    responses={**_ERRORS, **answer(ConversationOut)},
)
def get_conversation(
    ports: IntakePortsDep, actor: CurrentActor, case_id: RecordId
) -> dict[str, Any]:
    """One conversation the caller took over."""
    view = intake.conversation(ports, case_id, actor)
    return shown("intake_conversation", ConversationOut.of(view), actor, own=True)


@router.post(
    "/conversations/{case_id}/takeover",
    response_model=None,
    responses={**_ERRORS, **answer(InboxEntryOut)},
)
def take_over(ports: IntakePortsDep, actor: CurrentActor, case_id: RecordId) -> dict[str, Any]:
    """Take the conversation from the bot or the queue (an operator)."""
    entry = intake.take_over(ports, case_id, actor)
    return shown("intake_entry", InboxEntryOut.of(entry), actor, own=True)


@router.post(
    "/conversations/{case_id}/replies",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_ERRORS, **answer(OutgoingOut, 201)},
)
def reply(
    ports: IntakePortsDep, actor: CurrentActor, case_id: RecordId, body: ReplyIn
) -> dict[str, Any]:
    """Reply to the person (the conversation's operator)."""
    sent = intake.reply(ports, case_id, body.text, actor)
    return shown("intake_outgoing", _outgoing(sent), actor, own=True)


@router.post(
    "/conversations/{case_id}/meeting",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_ERRORS, **answer(OutgoingOut, 201)},
)
def send_meeting(
    ports: IntakePortsDep, actor: CurrentActor, case_id: RecordId, body: MeetingIn
) -> dict[str, Any]:
    """Send an approved meeting point and window to the person (the conversation's
    operator); the message asks to delete it after reading."""
    sent = intake.send_meeting(
        ports,
        case_id,
        option=body.option,
        window_start=body.window_start,
        window_end=body.window_end,
        actor=actor,
    )
    return shown("intake_outgoing", _outgoing(sent), actor, own=True)


@router.post(
    "/conversations/{case_id}/media/{media_id}/keep",
    response_model=None,
    responses={**_ERRORS, **answer(MessageOut)},
)
def keep_media(
    ports: IntakePortsDep, actor: CurrentActor, case_id: RecordId, media_id: RecordId
) -> dict[str, Any]:
    """Keep a file the person sent: the case message it became (the conversation's
    operator)."""
    kept = intake.keep_media(ports, case_id, media_id, actor)
    return shown("message", MessageOut.of(kept), actor, own=True)


@router.post(
    "/conversations/{case_id}/media/{media_id}/discard",
    response_model=None,
    responses={**_ERRORS, **answer(MediaOut)},
)
def discard_media(
    ports: IntakePortsDep, actor: CurrentActor, case_id: RecordId, media_id: RecordId
) -> dict[str, Any]:
    """Discard a file the person sent: destroyed with its key (the conversation's
    operator); what it was."""
    gone = intake.discard_media(ports, case_id, media_id, actor)
    return shown("intake_media", MediaOut.of(gone), actor, own=True)
