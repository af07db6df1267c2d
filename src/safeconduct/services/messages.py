"""A case's messages: the conversation with the person, added, read and deleted one by one.

The conversation is the operator's (``conversation``: operator W own, GUIDE §2); the
console may do anything. Each message is sealed under its own data key, so deleting one
destroys that key and leaves the case and every other message. Every read and change is
audited (``message_add``, ``message_read``, ``message_delete``,
``message_attachment_delete``) with the record's id and the
digest of what changed, never the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256

from safeconduct.casework.message import PERSON, CaseMessage
from safeconduct.errors import InvalidValueError, NotFoundError
from safeconduct.services import audit
from safeconduct.services.casework import Actor, find_case, owns_case, require_right
from safeconduct.services.ports import MessagesDatabase, MessagesUnitOfWork

_CLASS = ("conversation",)


@dataclass(frozen=True)
class MessagesPorts:
    """The casework database with its messages."""

    database: MessagesDatabase


def _now(now: datetime | None) -> datetime:
    at = datetime.now(UTC) if now is None else now
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValueError("a time needs a time zone", field="now")
    return at


def _case_id(uow: MessagesUnitOfWork, case: int | str, actor: Actor, action: str) -> int:
    stored = find_case(uow, case)
    own = owns_case(actor, stored, uow)  # type: ignore[arg-type]
    require_right(actor, action, _CLASS, own=own, what=f"{action} this case's messages")
    return stored.id


def add_message(
    ports: MessagesPorts,
    case: int | str,
    *,
    text: str = "",
    direction: str = "out",
    attachment_name: str | None = None,
    attachment_type: str | None = None,
    attachment: bytes | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> CaseMessage:
    """Add a message to a case (the person's words when ``direction`` is ``in``).

    Parameters
    ----------
    case
        The store's id (an int) or the case code (a str, as typed).
    text
        The words (may be empty when there is an attachment).
    direction
        ``in`` (from the person, author ``person``), ``out`` (to the person) or ``note``
        (internal); the author of ``out`` and ``note`` is the actor.
    attachment_name, attachment_type, attachment
        An attached file: its name, MIME type and bytes (at most 10 MiB), or none.
    actor
        The case's operator, or the console.
    now
        When (aware); by default now.

    Raises
    ------
    PermissionDeniedError
        Not the case's operator.
    NotFoundError
        No such case.
    InvalidValueError
        ``field`` the value at fault: direction, text, attachment...
    """
    require_right(actor, "write", _CLASS, own=True, what="write messages")
    at = _now(now)
    with ports.database.unit_of_work() as uow:
        case_id = _case_id(uow, case, actor, "write")
        message = CaseMessage(
            id=None,
            case_id=case_id,
            at=at,
            author=PERSON if direction == "in" else actor.name,
            direction=direction,
            text=text,
            attachment_name=attachment_name,
            attachment_type=attachment_type,
            attachment=attachment,
        )
        stored = uow.messages.add(message)
        audit.record(
            uow,
            actor,
            "message_add",
            f"message:{stored.id}",
            changed={
                "case": case_id,
                "direction": direction,
                "text": text,
                "attachment": None if attachment is None else sha256(attachment).hexdigest(),
            },
            at=at,
        )
    return stored


def list_messages(
    ports: MessagesPorts, case: int | str, *, actor: Actor, attachments: bool = False
) -> list[CaseMessage]:
    """A case's messages in order; the attachments' bytes only when ``attachments``.

    Raises
    ------
    PermissionDeniedError
        Not the case's operator.
    NotFoundError
        No such case.
    """
    require_right(actor, "read", _CLASS, own=True, what="read messages")
    with ports.database.unit_of_work(read_only=True) as uow:
        case_id = _case_id(uow, case, actor, "read")
        found = uow.messages.list_for_case(case_id, attachments=attachments)
    audit.record_read(ports.database, actor, "message_read", f"case:{case_id}")  # type: ignore[arg-type]
    return found


def get_message(
    ports: MessagesPorts, case: int | str, message_id: int, *, actor: Actor
) -> CaseMessage:
    """One message of a case, with its attachment's bytes.

    Raises
    ------
    PermissionDeniedError
        Not the case's operator.
    NotFoundError
        No such case, or no such message in it (``field="message"``).
    """
    require_right(actor, "read", _CLASS, own=True, what="read messages")
    with ports.database.unit_of_work(read_only=True) as uow:
        case_id = _case_id(uow, case, actor, "read")
        if uow.messages.case_of(message_id) != case_id:
            raise NotFoundError(f"case {case_id} has no message {message_id}", field="message")
        found = uow.messages.get(message_id)
    assert found is not None
    audit.record_read(ports.database, actor, "message_read", f"message:{message_id}")  # type: ignore[arg-type]
    return found


def delete_message(
    ports: MessagesPorts,
    case: int | str,
    message_id: int,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> None:
    """Delete one message and its attachment: its data key is destroyed (its ciphertexts
    open for nobody, in copies too once the master key is rotated) and its row deleted;
    the case and its other messages stay.

    Raises
    ------
    PermissionDeniedError
        Not the case's operator.
    NotFoundError
        No such case, or no such message in it (``field="message"``).
    """
    require_right(actor, "write", _CLASS, own=True, what="delete messages")
    at = _now(now)
    with ports.database.unit_of_work() as uow:
        case_id = _case_id(uow, case, actor, "write")
        if uow.messages.case_of(message_id) != case_id:
            raise NotFoundError(f"case {case_id} has no message {message_id}", field="message")
        uow.messages.delete(message_id, at=at)
        audit.record(
            uow, actor, "message_delete", f"message:{message_id}", changed={"case": case_id}, at=at
        )


def delete_attachment(
    ports: MessagesPorts,
    case: int | str,
    message_id: int,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> CaseMessage:
    """Delete a message's attachment and keep its text: the text is sealed again under a
    new data key and the old key destroyed, so the attachment opens for nobody. Returns the
    message as it is now.

    Raises
    ------
    PermissionDeniedError
        Not the case's operator.
    NotFoundError
        No such case, no such message in it (``field="message"``), or the message has no
        attachment (``field="attachment"``).
    InvalidValueError
        ``field="attachment"``: the message has no text (delete the message instead).
    """
    require_right(actor, "write", _CLASS, own=True, what="delete attachments")
    at = _now(now)
    with ports.database.unit_of_work() as uow:
        case_id = _case_id(uow, case, actor, "write")
        if uow.messages.case_of(message_id) != case_id:
            raise NotFoundError(f"case {case_id} has no message {message_id}", field="message")
        current = uow.messages.get(message_id)
        if current is not None and current.attachment_name is not None and not current.text:
            raise InvalidValueError(
                "this message is nothing but its attachment: delete the message",
                field="attachment",
            )
        if not uow.messages.delete_attachment(message_id, at=at):
            raise NotFoundError(f"message {message_id} has no attachment", field="attachment")
        found = uow.messages.get(message_id)
        audit.record(
            uow,
            actor,
            "message_attachment_delete",
            f"message:{message_id}",
            changed={"case": case_id},
            at=at,
        )
    assert found is not None
    return found
