# ruff: noqa: RUF001  (Russian and Ukrainian texts)
"""Intake: a chat bot that turns a first message into a case, and the operator who takes over.

Every message in, from any chat channel, goes through :func:`receive` in ONE transaction:
the message is deduplicated by (channel, sender, message id), the sender's conversation is
found by a keyed blind index of its handle or opened with a new case (``contacted``,
channel ``chat``, a fresh case code the flow reveals at its ``issue_case_code`` step), the
message is stored as a sealed case message, the flow is run, and its replies are stored both
as case messages and in the outbox, with an audit entry. A channel adapter sends the
replies :func:`receive` returns and marks each sent (:func:`mark_sent`); whatever it could
not send stays in the outbox (:func:`pending_outbox`), so a message acknowledged to the
channel is never lost, and a message delivered twice is processed once.

Safety: a sender who floods, probes for locations (where + drone/position/crew...) or sends
files is flagged to an operator and the bot stops answering him; media is not kept unless
an operator keeps it: a file the channel fetched is held sealed under a key of its own as
pending (:func:`keep_media` makes it a case message's attachment, :func:`discard_media`
destroys it, and :func:`due_reminders` destroys what nobody kept within
``IntakeLimits.media_hold``); the message itself records the kind and size only. The
bot has no way to send a place: a meeting point goes out only by :func:`send_meeting`,
an operator's action in that one conversation, with a line asking the person to delete
the message after reading. An operator's free reply that holds
coordinates is refused.

Rights: the bot acts as :data:`BOT` (a service actor, like the console). An operator works
the conversations he took over (``conversation``: operator W own, GUIDE §2); the inbox
lists those and the conversations waiting for anyone, without their content.
"""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from safeconduct.casework.case import Case
from safeconduct.casework.message import MAX_ATTACHMENT, MAX_TEXT, PERSON, CaseMessage
from safeconduct.errors import InvalidValueError, NotFoundError, PermissionDeniedError
from safeconduct.intake import engine
from safeconduct.intake.flow import Flow
from safeconduct.intake.safety import looks_like_location
from safeconduct.services import audit
from safeconduct.services.casework import Actor, console_as, require_right
from safeconduct.services.ports import (
    ChatMessage,
    OutboxItem,  # noqa: F401
    PendingMedia,
)
from safeconduct.services.ports import IntakeConversation as Conversation

#: The bot as an actor: a service actor, recorded as the opener and author of its messages.
BOT = console_as("intake-bot")

#: What a message can be, as a channel adapter maps it.
KINDS: tuple[str, ...] = (
    "text", "command", "sticker", "photo", "document", "location", "voice", "video", "other",
)  # fmt: skip
#: Kinds that carry a file: flagged to an operator, never kept.
FILE_KINDS: frozenset[str] = frozenset({"photo", "document", "voice", "video"})

#: A conversation's statuses.
STATUSES: tuple[str, ...] = ("bot", "waiting_operator", "operator", "closed", "flagged")
#: Waiting for a person: what the inbox shows to every operator.
WAITING: tuple[str, ...] = ("waiting_operator", "flagged")

_CLASS = ("conversation",)
_MEETING_CLASS = ("meeting",)

# Asking where something military is, in ru, uk or en.
_ASK = re.compile(
    r"(?<!\w)(где|де|куда|куди|откуда|звідки|where|координат\w*|coordinates?|location)(?!\w)",
    re.IGNORECASE,
)
_TARGET = re.compile(
    r"(?<!\w)(дрон\w*|бпла|позици\w*|позиці\w*|экипаж\w*|екіпаж\w*|расчет\w*|розрахун\w*|"
    r"блокпост\w*|окоп\w*|drones?|uavs?|positions?|crews?|checkpoints?|trench\w*|troops?|"
    r"войск\w*|військ\w*)(?!\w)",
    re.IGNORECASE,
)
def contains_coordinates(text: str) -> bool:
    """Whether ``text`` writes out a place: the flow engine's own detector (decimal degrees,
    degrees and minutes, MGRS, map links), so that an operator's reply is held to the same
    rule as the bot's."""
    return looks_like_location(text)


def probes_for_location(text: str) -> bool:
    """Whether ``text`` asks where drones, crews, positions or troops are."""
    return _ASK.search(text) is not None and _TARGET.search(text) is not None


# ----------------------------------------------------------------- records


#: One message from a person, as a channel adapter hands it over: the port's value itself
#: (:class:`~safeconduct.services.ports.ChatMessage`), so that a channel's message goes to
#: :func:`receive` unchanged. A file's bytes (``media``) are held pending until an operator
#: keeps or discards them; ``kind`` is one of :data:`KINDS`.
IncomingMessage = ChatMessage


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send: the bot's reply, an operator's, a reminder.

    ``outbox_id`` names it in the outbox: mark it sent (:func:`mark_sent`) once delivered.
    """

    channel: str
    recipient: str
    text: str
    quick_replies: tuple[str, ...] = ()
    outbox_id: int | None = None


@dataclass(frozen=True)
class IntakeLimits:
    """What a sender may do before being flagged, and when reminders go.

    Attributes
    ----------
    per_minute
        Messages a sender may send in one minute; more is a flood.
    default_language
        The language of a conversation before the person chooses.
    remind_before
        How long before the agreed window a reminder goes.
    confirm_after
        How long after a meeting proposal, unanswered, the bot asks for a confirmation.
    media_hold
        How long a file the person sent is held for an operator to keep; then destroyed.
    """

    per_minute: int = 12
    default_language: str = "ru"
    remind_before: timedelta = timedelta(minutes=30)
    confirm_after: timedelta = timedelta(hours=1)
    media_hold: timedelta = timedelta(hours=24)


class IntakeDatabase(Protocol):
    """The casework database with its messages and the intake tables (revision 0013)."""

    def unit_of_work(self, *, read_only: bool = False) -> contextlib.AbstractContextManager[Any]:
        """A transaction: committed when the block ends normally, rolled back if it raises."""
        ...


@dataclass(frozen=True)
class MeetingOption:
    """A meeting point the planners approved (the point of one of the server's areas).

    Attributes
    ----------
    id
        The area's name: what :func:`send_meeting` is given.
    label
        How the operator sees it.
    lat, lon
        WGS84 degrees.
    """

    id: str
    label: str
    lat: float
    lon: float


@dataclass(frozen=True)
class IntakePorts:
    """The edges intake reaches.

    Attributes
    ----------
    database
        The casework database (cases, messages, intake tables, audit).
    flow
        The conversation flow the bot runs.
    clock
        The current time, aware.
    rng
        A seeded generator for reproducible case codes in tests; None: the secure source.
    limits
        Rate limits and reminder times.
    meeting_points
        The approved meeting points (the areas' ``meeting.geojson``); None: none.
    """

    database: IntakeDatabase
    flow: Flow
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    rng: random.Random | None = None
    limits: IntakeLimits = field(default_factory=IntakeLimits)
    meeting_points: Callable[[], Sequence[MeetingOption]] | None = None


@dataclass(frozen=True)
class InboxEntry:
    """A conversation in the operator's inbox: no words, no handle.

    Attributes
    ----------
    case_id, channel, status, flagged_reason, language
        As stored (``flagged_reason``: ``flood``, ``location_probe``, ``file``...).
    operator
        Who took it over, or None.
    last_in_at
        When the person last wrote.
    mine
        Whether the actor took it over.
    """

    case_id: int
    channel: str
    status: str
    flagged_reason: str | None
    language: str
    operator: str | None
    last_in_at: datetime | None
    mine: bool


@dataclass(frozen=True)
class ConversationView:
    """One conversation as its operator reads it."""

    case_id: int
    case_code: str
    channel: str
    status: str
    flagged_reason: str | None
    language: str
    operator: str | None
    summary: Mapping[str, str]
    messages: tuple[CaseMessage, ...]
    meeting: Mapping[str, Any] | None
    media: tuple[PendingMedia, ...] = ()


# ----------------------------------------------------------------- texts

_TEXTS: Mapping[str, Mapping[str, str]] = {
    "reminder": {
        "ru": "Напоминание: согласованное время скоро. Если планы изменились, напишите нам.",
        "uk": "Нагадування: узгоджений час скоро. Якщо плани змінилися, напишіть нам.",
        "en": "Reminder: the agreed time is close. If your plans changed, write to us.",
    },
    "confirm": {
        "ru": "Вы получили наше сообщение о встрече? Ответьте «да», если всё в силе.",
        "uk": "Ви отримали наше повідомлення про зустріч? Дайте відповідь «так», якщо все в силі.",
        "en": "Did you get our message about the meeting? Answer 'yes' if it still stands.",
    },
    "delete": {
        "ru": "Удалите это сообщение сразу после прочтения.",
        "uk": "Видаліть це повідомлення одразу після прочитання.",
        "en": "Delete this message right after reading it.",
    },
    "meeting": {
        "ru": "Место встречи: {label} ({lat:.5f}, {lon:.5f}). Время: с {start} до {end} UTC.",
        "uk": "Місце зустрічі: {label} ({lat:.5f}, {lon:.5f}). Час: з {start} до {end} UTC.",
        "en": "Meeting place: {label} ({lat:.5f}, {lon:.5f}). Time: {start} to {end} UTC.",
    },
}

_YES = re.compile(r"(?<!\w)(да|так|yes|ok|ок|ага|угу|\+)(?!\w)", re.IGNORECASE)


def _text(name: str, language: str) -> str:
    texts = _TEXTS[name]
    return texts.get(language, texts["en"])


# ----------------------------------------------------------------- helpers


def _aware(at: datetime, name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValueError("a time needs a time zone", field=name)
    return at.astimezone(UTC)


def _check_message(message: IncomingMessage) -> None:
    if message.kind not in KINDS:
        raise InvalidValueError(
            f"unknown kind {message.kind!r}; give one of {', '.join(KINDS)}", field="kind"
        )
    if not message.channel.strip() or len(message.channel) > 16:
        raise InvalidValueError("a channel name of 1 to 16 characters", field="channel")
    if not message.sender.strip():
        raise InvalidValueError("a message needs its sender", field="sender")
    if not message.message_id.strip():
        raise InvalidValueError("a message needs its id", field="message_id")
    _aware(message.received_at, "received_at")


def _holds(message: IncomingMessage) -> bool:
    # A file fetched, small enough to become an attachment: held for an operator.
    return (
        message.kind in FILE_KINDS
        and message.media is not None
        and 0 < len(message.media) <= MAX_ATTACHMENT
    )


def _stored_text(message: IncomingMessage) -> str:
    # The person's words; of a file only its kind and size (the bytes are held apart).
    text = message.text[:MAX_TEXT]
    if message.kind in ("text", "command"):
        return text if text.strip() else "[empty]"
    if message.media is not None:
        size = f"{len(message.media)} bytes"
    elif message.media_size is not None:
        size = f"{message.media_size} bytes"
    else:
        size = "size unknown"
    held = "held for an operator" if _holds(message) else "not kept"
    note = f"[{message.kind}, {size}, {held}]"
    return f"{note} {text}"[:MAX_TEXT] if text else note


def _media_type(value: str | None) -> str:
    # A MIME type a case message's attachment accepts; anything else: octet-stream.
    if value and "/" in value and len(value) <= 128 and not any(c.isspace() for c in value):
        return value
    return "application/octet-stream"


def _run(conversation: Conversation) -> engine.FlowRun:
    return engine.run_from_json(conversation.run)


def _language(conversation: Conversation) -> str:
    try:
        return _run(conversation).language
    except (InvalidValueError, KeyError, TypeError, ValueError):
        return "ru"


def _open_case(uow: Any, ports: IntakePorts, at: datetime) -> tuple[int, str]:
    for _ in range(5):
        case = Case.open(
            language=ports.limits.default_language, channel="chat", now=at, rng=ports.rng
        )
        if uow.cases.get(case.case_code) is None:
            stored = uow.cases.add(case, opened_by=BOT.name)
            audit.record(
                uow,
                BOT,
                "case.open",
                f"case:{stored.id}",
                changed={"channel": "chat"},  # no code: its digest would confirm a guess
                at=at,
            )
            return int(stored.id), str(case.case_code)
    raise RuntimeError("drew 5 case codes that were all taken")


def _case_code(uow: Any, case_id: int) -> str:
    stored = uow.cases.get_by_id(case_id)
    if stored is None:
        raise NotFoundError(f"there is no case {case_id}", field="case_id")
    return str(stored.case.case_code)


def _queue(
    uow: Any,
    conversation: Conversation,
    replies: Sequence[engine.Reply],
    *,
    author: str,
    kind: str,
    at: datetime,
) -> list[OutgoingMessage]:
    out: list[OutgoingMessage] = []
    for reply in replies:
        uow.messages.add(
            CaseMessage(
                id=None,
                case_id=conversation.case_id,
                at=at,
                author=author,
                direction="out",
                text=reply.text[:MAX_TEXT] if reply.text.strip() else "[empty]",
            )
        )
        outbox_id = uow.intake.outbox_add(
            conversation.case_id,
            channel=conversation.channel,
            kind=kind,
            text=reply.text,
            quick_replies=tuple(reply.quick_replies),
            at=at,
        )
        out.append(
            OutgoingMessage(
                channel=conversation.channel,
                recipient=conversation.sender,
                text=reply.text,
                quick_replies=tuple(reply.quick_replies),
                outbox_id=outbox_id,
            )
        )
    return out


def _flag_reason(
    uow: Any, ports: IntakePorts, message: IncomingMessage, case_id: int | None, at: datetime
) -> str | None:
    if case_id is not None:
        recent = uow.intake.messages_in_since(case_id, at - timedelta(minutes=1))
        if recent >= ports.limits.per_minute:
            return "flood"
    if message.kind in FILE_KINDS:
        return "file"
    if probes_for_location(message.text):
        return "location_probe"
    return None


# ----------------------------------------------------------------- the bot


def receive(ports: IntakePorts, message: IncomingMessage) -> list[OutgoingMessage]:
    """Take one message from a person, in one transaction; the replies to send.

    Each reply has its ``outbox_id``: mark it sent once delivered (:func:`mark_sent`);
    until then :func:`pending_outbox` gives it again. A message already processed (same
    channel, sender and message id) changes nothing and returns no reply.

    Raises
    ------
    InvalidValueError
        ``field`` ``kind``, ``channel``, ``sender``, ``message_id`` or ``received_at``.
    BadFileError
        The store was opened without its key file.
    """
    _check_message(message)
    at = _aware(message.received_at, "received_at")
    flow = ports.flow
    with ports.database.unit_of_work() as uow:
        uow.intake.lock_sender(message.channel, message.sender)
        if uow.intake.seen(message.channel, message.sender, message.message_id):
            return []
        conversation = uow.intake.find_open(message.channel, message.sender)
        reason = _flag_reason(
            uow, ports, message, None if conversation is None else conversation.case_id, at
        )
        step: engine.Step | None = None
        if conversation is None:
            case_id, code = _open_case(uow, ports, at)
            step = engine.start(
                flow, language=ports.limits.default_language, now=at, case_code=code
            )
            conversation = uow.intake.add(
                Conversation(
                    case_id=case_id,
                    channel=message.channel,
                    sender=message.sender,
                    run=engine.run_to_json(step.run),
                    status="bot",
                    created_at=at,
                )
            )
            if reason is not None:
                step = None  # a first message that is a file or a probe: no answer
        uow.messages.add(
            CaseMessage(
                id=None,
                case_id=conversation.case_id,
                at=at,
                author=PERSON,
                direction="in",
                text=_stored_text(message),
            )
        )
        uow.intake.remember(
            message.channel,
            message.sender,
            message.message_id,
            case_id=conversation.case_id,
            at=at,
        )
        media_id: int | None = None
        if _holds(message):
            assert message.media is not None
            media_id = uow.intake.media_add(
                conversation.case_id,
                kind=message.kind,
                media_type=_media_type(message.media_type),
                data=message.media,
                at=at,
            )
        status = conversation.status
        meeting = conversation.meeting
        if meeting is not None and not meeting.get("confirmed") and _YES.search(message.text):
            meeting = {**meeting, "confirmed": True}
        if reason is not None:
            status, step = "flagged", None
        elif status == "bot" and step is None:
            run = engine.expire_if_due(_run(conversation), at)
            code = _case_code(uow, conversation.case_id)
            if run.status == engine.RunStatus.EXPIRED:
                step = engine.start(flow, language=run.language, now=at, case_code=code)
            else:
                text = message.text if message.kind in ("text", "command") else ""
                step = engine.resume(flow, run, text[:MAX_TEXT], now=at, case_code=code)
        out: list[OutgoingMessage] = []
        run_json = conversation.run
        if step is not None:
            run_json = engine.run_to_json(step.run)
            if step.handover or step.run.status in (
                engine.RunStatus.COMPLETED,
                engine.RunStatus.HANDED_OVER,
            ):
                status = "waiting_operator"
            if step.run.language:
                uow.intake.set_case_language(conversation.case_id, step.run.language)
            out = _queue(uow, conversation, step.replies, author=BOT.name, kind="bot", at=at)
        uow.intake.save(
            replace(
                conversation,
                run=run_json,
                status=status,
                meeting=meeting,
                flagged_reason=reason if reason is not None else conversation.flagged_reason,
                last_in_at=at,
                last_out_at=at if out else conversation.last_out_at,
            )
        )
        audit.record(
            uow,
            BOT,
            "intake.receive",
            f"case:{conversation.case_id}",
            changed={
                "channel": message.channel,
                "message_id": message.message_id,
                "kind": message.kind,
                # Never the words: the audit trail is kept in the clear and outlives a purge,
                # and the digest of a short reply ("да") is found by guessing.
                "length": len(message.text),
                "flagged": reason,
                "replies": len(out),
                "media_pending": media_id,
            },
            at=at,
        )
    return out


def pending_outbox(ports: IntakePorts, channel: str) -> list[OutgoingMessage]:
    """The messages not yet sent on ``channel``, oldest first (each with its outbox id)."""
    with ports.database.unit_of_work(read_only=True) as uow:
        items = uow.intake.outbox_pending(channel)
    return [
        OutgoingMessage(
            channel=item.channel,
            recipient=item.recipient,
            text=item.text,
            quick_replies=item.quick_replies,
            outbox_id=item.id,
        )
        for item in items
    ]


def mark_sent(ports: IntakePorts, outbox_id: int) -> None:
    """Mark outbox message ``outbox_id`` delivered (again: no change).

    Raises
    ------
    NotFoundError
        ``field="outbox_id"``: no such message.
    """
    at = _aware(ports.clock(), "now")
    with ports.database.unit_of_work() as uow:
        case_id = uow.intake.outbox_mark_sent(outbox_id, at=at)
        if case_id is None:
            raise NotFoundError(f"there is no outbox message {outbox_id}", field="outbox_id")
        audit.record(
            uow, BOT, "intake.sent", f"case:{case_id}", changed={"outbox": outbox_id}, at=at
        )


def due_reminders(ports: IntakePorts, now: datetime) -> int:
    """Queue what is due: the flow's nudge when a person went quiet at a wait with a
    timeout, a reminder ``remind_before`` the agreed window, and a question when the person
    has not confirmed a proposal ``confirm_after`` it went; each once (idempotent). How
    many messages were queued."""
    at = _aware(now, "now")
    limits = ports.limits
    queued = 0
    with ports.database.unit_of_work() as uow:
        # Files nobody kept within the hold: destroyed (their key with them), audited
        # without content.
        for held in uow.intake.media_older_than(at - limits.media_hold):
            uow.intake.media_delete(held.id, at=at)
            audit.record(
                uow,
                BOT,
                "intake.media_expire",
                f"case:{held.case_id}",
                changed={"media": held.id, "kind": held.kind, "size": held.size},
                at=at,
            )
        # The flow's own nudges: a wait's timeout followed when the person went quiet.
        for conversation in uow.intake.list_by_status(("bot",)):
            step = engine.timeout_if_due(
                ports.flow,
                _run(conversation),
                now=at,
                case_code=_case_code(uow, conversation.case_id),
            )
            if step is None:
                continue
            out = _queue(uow, conversation, step.replies, author=BOT.name, kind="bot", at=at)
            handed = step.handover or step.run.status in (
                engine.RunStatus.COMPLETED,
                engine.RunStatus.HANDED_OVER,
            )
            uow.intake.save(
                replace(
                    conversation,
                    run=engine.run_to_json(step.run),
                    status="waiting_operator" if handed else conversation.status,
                    last_out_at=at if out else conversation.last_out_at,
                )
            )
            audit.record(
                uow,
                BOT,
                "intake.timeout",
                f"case:{conversation.case_id}",
                changed={"replies": len(out)},
                at=at,
            )
            queued += len(out)
        for conversation in uow.intake.with_meeting():
            meeting = dict(conversation.meeting or {})
            language = _language(conversation)
            start = datetime.fromisoformat(str(meeting["window_start"]))
            sent = datetime.fromisoformat(str(meeting["sent_at"]))
            texts: list[tuple[str, str]] = []
            if not meeting.get("reminded") and start - limits.remind_before <= at < start:
                texts.append(("reminder", _text("reminder", language)))
                meeting["reminded"] = True
            if (
                not meeting.get("confirmed")
                and not meeting.get("asked")
                and at >= sent + limits.confirm_after
                and at < start
            ):
                texts.append(("confirm", _text("confirm", language)))
                meeting["asked"] = True
            if not texts:
                continue
            for kind, text in texts:
                _queue(
                    uow, conversation, [engine.Reply(text=text)], author=BOT.name, kind=kind, at=at
                )
            uow.intake.save(replace(conversation, meeting=meeting, last_out_at=at))
            audit.record(
                uow,
                BOT,
                "intake.reminder",
                f"case:{conversation.case_id}",
                changed={"kinds": [k for k, _ in texts]},
                at=at,
            )
            queued += len(texts)
    return queued


# ----------------------------------------------------------------- the operator


def _require(actor: Actor, action: str, *, own: bool, what: str) -> None:
    require_right(actor, action, _CLASS, own=own, what=what)


def may_read_conversations(actor: Actor) -> bool:
    """Whether ``actor`` may open the intake inbox (operators, the console)."""
    try:
        _require(actor, "read", own=True, what="read the intake inbox")
    except PermissionDeniedError:
        return False
    return True


def _owned(uow: Any, case_id: int, actor: Actor, action: str, what: str) -> Conversation:
    conversation = uow.intake.get(case_id)
    if conversation is None:
        raise NotFoundError(f"case {case_id} has no conversation", field="case_id")
    own = conversation.operator == actor.name
    _require(actor, action, own=own, what=what)
    return conversation


def inbox(ports: IntakePorts, actor: Actor) -> list[InboxEntry]:
    """The conversations waiting for a person, and those the actor took over; no words.

    Raises
    ------
    PermissionDeniedError
        Not an operator.
    """
    _require(actor, "read", own=True, what="read the intake inbox")
    with ports.database.unit_of_work(read_only=True) as uow:
        found = uow.intake.list_by_status(WAITING, operator=actor.name)
    return [
        InboxEntry(
            case_id=c.case_id,
            channel=c.channel,
            status=c.status,
            flagged_reason=c.flagged_reason,
            language=_language(c),
            operator=c.operator,
            last_in_at=c.last_in_at,
            mine=c.operator == actor.name,
        )
        for c in found
    ]


def conversation(ports: IntakePorts, case_id: int, actor: Actor) -> ConversationView:
    """A conversation the actor took over: the flow's answers and the messages. Audited.

    Raises
    ------
    PermissionDeniedError
        Not this conversation's operator (take it over first).
    NotFoundError
        ``field="case_id"``: no such conversation.
    """
    _require(actor, "read", own=True, what="read conversations")
    with ports.database.unit_of_work(read_only=True) as uow:
        found = _owned(uow, case_id, actor, "read", "read this conversation")
        code = _case_code(uow, case_id)
        messages = tuple(uow.messages.list_for_case(case_id, attachments=False))
        media = tuple(uow.intake.media_list(case_id))
    run = _run(found)
    audit.record_read(ports.database, actor, "intake.read", f"case:{case_id}")  # type: ignore[arg-type]
    return ConversationView(
        case_id=case_id,
        case_code=code,
        channel=found.channel,
        status=found.status,
        flagged_reason=found.flagged_reason,
        language=run.language,
        operator=found.operator,
        summary=engine.summary(ports.flow, run),
        messages=messages,
        meeting=found.meeting,
        media=media,
    )


def take_over(ports: IntakePorts, case_id: int, actor: Actor) -> InboxEntry:
    """Take a conversation from the bot (or the queue): the actor becomes its operator.

    Raises
    ------
    PermissionDeniedError
        Not an operator, or another operator has it.
    NotFoundError
        ``field="case_id"``: no such conversation.
    InvalidValueError
        ``field="status"``: the conversation is closed.
    """
    _require(actor, "write", own=True, what="take over conversations")
    at = _aware(ports.clock(), "now")
    with ports.database.unit_of_work() as uow:
        found = uow.intake.get(case_id)
        if found is None:
            raise NotFoundError(f"case {case_id} has no conversation", field="case_id")
        if found.operator is not None and found.operator != actor.name and not actor.console:
            raise PermissionDeniedError(f"{found.operator} has this conversation already")
        if found.status == "closed":
            raise InvalidValueError("this conversation is closed", field="status")
        taken = replace(found, operator=actor.name, status="operator")
        uow.intake.save(taken)
        audit.record(
            uow,
            actor,
            "intake.take_over",
            f"case:{case_id}",
            changed={"from": found.operator, "status": found.status},
            at=at,
        )
    return InboxEntry(
        case_id=case_id,
        channel=taken.channel,
        status=taken.status,
        flagged_reason=taken.flagged_reason,
        language=_language(taken),
        operator=taken.operator,
        last_in_at=taken.last_in_at,
        mine=True,
    )


def reply(ports: IntakePorts, case_id: int, text: str, actor: Actor) -> OutgoingMessage:
    """An operator's reply, queued in the outbox. A place never goes this way.

    Raises
    ------
    PermissionDeniedError
        Not this conversation's operator.
    NotFoundError
        ``field="case_id"``: no such conversation.
    InvalidValueError
        ``field="text"``: empty, longer than 4,000 characters, or holding coordinates (a
        meeting point goes out only as a meeting proposal).
    """
    _require(actor, "write", own=True, what="reply in conversations")
    words = text.strip()
    if not words or len(words) > 4000:
        raise InvalidValueError("a reply of 1 to 4,000 characters", field="text")
    if contains_coordinates(words):
        raise InvalidValueError(
            "a reply may not hold coordinates: propose a meeting point instead", field="text"
        )
    at = _aware(ports.clock(), "now")
    with ports.database.unit_of_work() as uow:
        found = _owned(uow, case_id, actor, "write", "reply in this conversation")
        if found.status == "closed":
            raise InvalidValueError("this conversation is closed", field="status")
        out = _queue(
            uow, found, [engine.Reply(text=words)], author=actor.name, kind="operator", at=at
        )
        uow.intake.save(replace(found, status="operator", last_out_at=at))
        # The reply's length only: the digest of a short text is found by guessing.
        audit.record(
            uow, actor, "intake.reply", f"case:{case_id}", changed={"length": len(words)}, at=at
        )
    return out[0]


def meeting_options(ports: IntakePorts, case_id: int, actor: Actor) -> list[MeetingOption]:
    """The meeting points the planners approved, for this conversation's operator.

    Raises
    ------
    PermissionDeniedError
        Not this conversation's operator.
    NotFoundError
        ``field="case_id"``: no such conversation.
    """
    _require(actor, "write", own=True, what="propose meetings")
    require_right(actor, "write", _MEETING_CLASS, own=True, what="propose meetings")
    with ports.database.unit_of_work(read_only=True) as uow:
        _owned(uow, case_id, actor, "write", "propose a meeting in this conversation")
    return [] if ports.meeting_points is None else list(ports.meeting_points())


def send_meeting(
    ports: IntakePorts,
    case_id: int,
    *,
    option: str,
    window_start: datetime,
    window_end: datetime,
    actor: Actor,
) -> OutgoingMessage:
    """Send an approved meeting point and window, in this one conversation only, with a
    line asking the person to delete the message after reading. Audited.

    Raises
    ------
    PermissionDeniedError
        Not this conversation's operator (the bot never can: it has no such action).
    NotFoundError
        ``field="case_id"``; ``field="option"``: not an approved point.
    InvalidValueError
        ``field="window_end"``: not after the start, or the window in the past.
    """
    _require(actor, "write", own=True, what="send meeting places")
    require_right(actor, "write", _MEETING_CLASS, own=True, what="send meeting places")
    if actor == BOT:
        raise PermissionDeniedError("the bot may not send a meeting place")
    start = _aware(window_start, "window_start")
    end = _aware(window_end, "window_end")
    at = _aware(ports.clock(), "now")
    if end <= start or end <= at:
        raise InvalidValueError(
            "the window must end after it starts, in future", field="window_end"
        )
    options = {o.id: o for o in (ports.meeting_points() if ports.meeting_points else [])}
    chosen = options.get(option)
    if chosen is None:
        raise NotFoundError(f"{option!r} is not an approved meeting point", field="option")
    with ports.database.unit_of_work() as uow:
        found = _owned(uow, case_id, actor, "write", "send a meeting in this conversation")
        if found.status == "closed":
            raise InvalidValueError("this conversation is closed", field="status")
        language = _language(found)
        text = (
            _text("meeting", language).format(
                label=chosen.label,
                lat=chosen.lat,
                lon=chosen.lon,
                start=start.strftime("%Y-%m-%d %H:%M"),
                end=end.strftime("%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M"),
            )
            + "\n"
            + _text("delete", language)
        )
        out = _queue(
            uow, found, [engine.Reply(text=text)], author=actor.name, kind="meeting", at=at
        )
        meeting = {
            "option": chosen.id,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "sent_at": at.isoformat(),
            "sent_by": actor.name,
            "confirmed": False,
            "asked": False,
            "reminded": False,
        }
        uow.intake.save(replace(found, meeting=meeting, status="operator", last_out_at=at))
        audit.record(
            uow,
            actor,
            "intake.meeting_send",
            f"case:{case_id}",
            # Not the place or window: among a few approved points, their digest is guessed.
            changed={"sent_at": at},
            at=at,
        )
    return out[0]


# ----------------------------------------------------------------- files sent in

_EXTENSIONS: Mapping[str, str] = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf",
    "audio/ogg": "ogg", "audio/mpeg": "mp3", "video/mp4": "mp4",
}  # fmt: skip


def _held(uow: Any, case_id: int, media_id: int) -> PendingMedia:
    held = uow.intake.media_get(media_id)
    if held is None or held.case_id != case_id:
        raise NotFoundError(
            f"case {case_id} holds no file {media_id} (kept, discarded or expired)",
            field="media_id",
        )
    return held


def keep_media(ports: IntakePorts, case_id: int, media_id: int, actor: Actor) -> CaseMessage:
    """Keep a file the person sent: it becomes the attachment of a case message of the
    person's (sealed under that message's own key) and the held copy is destroyed. Audited
    ``intake.media_keep``; the stored message, without its bytes.

    Raises
    ------
    PermissionDeniedError
        Not this conversation's operator.
    NotFoundError
        ``field="case_id"``: no such conversation; ``field="media_id"``: no such file held.
    """
    _require(actor, "write", own=True, what="keep files sent in")
    at = _aware(ports.clock(), "now")
    with ports.database.unit_of_work() as uow:
        _owned(uow, case_id, actor, "write", "keep files in this conversation")
        held = _held(uow, case_id, media_id)
        assert held.data is not None
        extension = _EXTENSIONS.get(held.media_type, "bin")
        stored = uow.messages.add(
            CaseMessage(
                id=None,
                case_id=case_id,
                at=held.received_at,
                author=PERSON,
                direction="in",
                text=f"[{held.kind} kept by {actor.name}]",
                attachment_name=f"{held.kind}-{held.id}.{extension}",
                attachment_type=held.media_type,
                attachment=held.data,
            )
        )
        uow.intake.media_delete(media_id, at=at)
        audit.record(
            uow,
            actor,
            "intake.media_keep",
            f"case:{case_id}",
            changed={"media": media_id, "message": stored.id, "kind": held.kind,
                     "size": held.size},
            at=at,
        )  # fmt: skip
    return replace(stored, attachment=None)


def discard_media(ports: IntakePorts, case_id: int, media_id: int, actor: Actor) -> PendingMedia:
    """Discard a file the person sent: its row deleted and its key destroyed. Audited
    ``intake.media_discard`` (kind and size only); what it was, without its bytes.

    Raises
    ------
    PermissionDeniedError
        Not this conversation's operator.
    NotFoundError
        ``field="case_id"``: no such conversation; ``field="media_id"``: no such file held.
    """
    _require(actor, "write", own=True, what="discard files sent in")
    at = _aware(ports.clock(), "now")
    with ports.database.unit_of_work() as uow:
        _owned(uow, case_id, actor, "write", "discard files in this conversation")
        held = _held(uow, case_id, media_id)
        uow.intake.media_delete(media_id, at=at)
        audit.record(
            uow,
            actor,
            "intake.media_discard",
            f"case:{case_id}",
            changed={"media": media_id, "kind": held.kind, "size": held.size},
            at=at,
        )
    return replace(held, data=None)
