"""The REST API of a case's messages: the conversation with the person, one message at a
time (the case's operator, GUIDE §2 ``conversation``).

- ``GET /api/cases/{case_id}/messages``: the messages in order, without the attachments'
  bytes (their name and type tell that there is one);
- ``POST /api/cases/{case_id}/messages`` (201): a message, as a multipart form (``text``,
  ``direction``, and optionally a file ``attachment``);
- ``GET /api/cases/{case_id}/messages/{message_id}/attachment``: an attachment's bytes;
- ``DELETE /api/cases/{case_id}/messages/{message_id}`` (204): delete one message and its
  attachment (its data key destroyed); the case and its other messages stay;
- ``DELETE /api/cases/{case_id}/messages/{message_id}/attachment``: delete the attachment
  alone (the text sealed again under a new key, the old key destroyed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel

from safeconduct.casework.message import MAX_ATTACHMENT, CaseMessage
from safeconduct.entrypoints.web.deps import CurrentActor, Ports
from safeconduct.entrypoints.web.fields import answer, shown, shown_all
from safeconduct.entrypoints.web.schemas import Problem, RecordId
from safeconduct.errors import InvalidValueError
from safeconduct.services import messages
from safeconduct.services.casework import CaseworkPorts

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in, or the token is not valid"},
    403: {"model": Problem, "description": "The user's roles do not allow this"},
    404: {"model": Problem, "description": "No such case or message"},
    422: {"model": Problem, "description": "A value in the request is not acceptable"},
}

router = APIRouter(prefix="/api", tags=["messages"])


class MessageOut(BaseModel):
    """One message of a case (time in UTC); an attachment only by name and type."""

    id: int
    case_id: int
    at: datetime
    author: str
    direction: str
    text: str
    attachment_name: str | None
    attachment_type: str | None

    @classmethod
    def of(cls, message: CaseMessage) -> MessageOut:
        assert message.id is not None
        return cls(
            id=message.id,
            case_id=message.case_id,
            at=message.at,
            author=message.author,
            direction=message.direction,
            text=message.text,
            attachment_name=message.attachment_name,
            attachment_type=message.attachment_type,
        )


def _ports(ports: CaseworkPorts) -> messages.MessagesPorts:
    return messages.MessagesPorts(database=ports.database)  # type: ignore[arg-type]


@router.get(
    "/cases/{case_id}/messages",
    response_model=None,
    responses={**_ERRORS, **answer(list[MessageOut])},
)
def list_messages(ports: Ports, actor: CurrentActor, case_id: RecordId) -> list[dict[str, Any]]:
    """The case's messages in order (its operator)."""
    found = messages.list_messages(_ports(ports), case_id, actor=actor)
    # The use case refused anyone but the case's own operator: the fields are theirs.
    return shown_all("message", [MessageOut.of(m) for m in found], actor, own=True)


@router.post(
    "/cases/{case_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_ERRORS, **answer(MessageOut, 201)},
)
def add_message(
    ports: Ports,
    actor: CurrentActor,
    case_id: RecordId,
    text: Annotated[str, Form(description="The words (may be empty with an attachment).")] = "",
    direction: Annotated[
        str, Form(description="in (the person's words), out (to the person) or note")
    ] = "out",
    attachment: Annotated[UploadFile | None, File(description="A file (at most 10 MiB).")] = None,
) -> dict[str, Any]:
    """Add a message to the case (its operator)."""
    content = name = kind = None
    if attachment is not None:
        content = attachment.file.read(MAX_ATTACHMENT + 1)
        if len(content) > MAX_ATTACHMENT:
            raise InvalidValueError(
                f"an attachment is at most {MAX_ATTACHMENT // (1024 * 1024)} MiB",
                field="attachment",
            )
        name = attachment.filename or "attachment"
        kind = attachment.content_type or "application/octet-stream"
    stored = messages.add_message(
        _ports(ports),
        case_id,
        text=text,
        direction=direction,
        attachment_name=name,
        attachment_type=kind,
        attachment=content,
        actor=actor,
    )
    return shown("message", MessageOut.of(stored), actor, own=True)


@router.get(
    "/cases/{case_id}/messages/{message_id}/attachment",
    response_class=Response,
    responses={**_ERRORS, 200: {"description": "The attachment's bytes"}},
)
def attachment(
    ports: Ports, actor: CurrentActor, case_id: RecordId, message_id: RecordId
) -> Response:
    """A message's attachment (its operator); never cached."""
    found = messages.get_message(_ports(ports), case_id, message_id, actor=actor)
    if found.attachment is None:
        raise InvalidValueError("this message has no attachment", field="message")
    # The name is the sender's: only its last part is offered to save as (a client that
    # honours a "../" in it would write outside its download folder).
    name = (found.attachment_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip(". ")
    return Response(
        found.attachment,
        media_type=found.attachment_type or "application/octet-stream",
        headers={
            "Content-Disposition": (
                f"attachment; filename*=UTF-8''{quote(name or 'attachment', safe='')}"
            ),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.delete(
    "/cases/{case_id}/messages/{message_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_ERRORS,
)
def delete_message(
    ports: Ports, actor: CurrentActor, case_id: RecordId, message_id: RecordId
) -> Response:
    """Delete one message and its attachment (its operator); the case stays."""
    messages.delete_message(_ports(ports), case_id, message_id, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/cases/{case_id}/messages/{message_id}/attachment",
    response_model=None,
    responses={**_ERRORS, **answer(MessageOut)},
)
def delete_attachment(
    ports: Ports, actor: CurrentActor, case_id: RecordId, message_id: RecordId
) -> dict[str, Any]:
    """Delete a message's attachment and keep its text (its operator); answers the message."""
    found = messages.delete_attachment(_ports(ports), case_id, message_id, actor=actor)
    return shown("message", MessageOut.of(found), actor, own=True)
