"""A surrender case as a value: its code, language, channel, status and timeline.

A :class:`Case` holds only what every team may need to tell cases apart and follow them: a
case code (:mod:`safeconduct.note.casecode`), the language to talk to the person in, the
channel the contact came through, and the status with the events that led to it. Nothing
here identifies the person (GUIDE §3: collect the minimum); the conversation and anything
personal live in other, more protected records.

Cases are immutable: :meth:`Case.apply` returns a new case with one more event, so a store
can keep the old and the new and a refused transition changes nothing.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from safeconduct.casework.status import (
    INITIAL_STATUS,
    CaseStatus,
    apply_transition,
)
from safeconduct.errors import InvalidValueError
from safeconduct.note.casecode import generate_case_code, is_well_formed, parse_case_code

#: The channels a first contact comes through (GUIDE §1 step 1): a hotline call, a chat bot,
#: or a drone crew that saw someone signalling.
CHANNELS: tuple[str, ...] = ("hotline", "chat", "drone")

_LANGUAGE = re.compile(r"[a-z]{2}")


def normalise_language(text: str, *, field_name: str = "language") -> str:
    """Return an ISO 639-1 language code in lower case (``" RU "`` -> ``"ru"``).

    Only the form is checked (two Latin letters), not the list of languages.

    Raises
    ------
    InvalidValueError
        With ``field`` set to ``field_name``, when ``text`` is not two letters.
    """
    code = text.strip().lower() if isinstance(text, str) else ""
    if not _LANGUAGE.fullmatch(code):
        raise InvalidValueError(
            f"language {text!r} is not an ISO 639-1 code; give the two-letter code of the "
            "language to talk to the person in, such as ru, uk or en",
            field=field_name,
        )
    return code


def normalise_channel(text: str, *, field_name: str = "channel") -> str:
    """Return one of :data:`CHANNELS` (case and surrounding spaces ignored).

    Raises
    ------
    InvalidValueError
        With ``field`` set to ``field_name``, when ``text`` is not a known channel.
    """
    channel = text.strip().lower() if isinstance(text, str) else ""
    if channel not in CHANNELS:
        raise InvalidValueError(
            f"unknown channel {text!r}; give one of {', '.join(CHANNELS)} "
            "(how the first contact came in)",
            field=field_name,
        )
    return channel


def require_aware(moment: datetime, *, field_name: str) -> datetime:
    """Return ``moment`` if it carries a time zone; refuse a naive time.

    A case is followed by teams in different places and a store may run on another machine,
    so a time without its zone cannot be placed on the timeline.

    Raises
    ------
    InvalidValueError
        With ``field`` set to ``field_name``.
    """
    if not isinstance(moment, datetime):
        raise InvalidValueError(
            f"{moment!r} is not a date and time; give a time-zone aware time", field=field_name
        )
    if moment.utcoffset() is None:
        raise InvalidValueError(
            f"time {moment.isoformat()} has no time zone; give a time-zone aware time "
            "(for example in UTC)",
            field=field_name,
        )
    return moment


@dataclass(frozen=True)
class CaseEvent:
    """One transition in a case's timeline.

    Attributes
    ----------
    at
        When it happened, time-zone aware.
    actor
        The user name of whoever made the change: a member of a team, never the person
        surrendering (no personal data of theirs goes here).
    transition
        The transition name (a key of :data:`~safeconduct.casework.status.TRANSITIONS`).
    from_status, to_status
        The case's status before and after.
    """

    at: datetime
    actor: str
    transition: str
    from_status: CaseStatus
    to_status: CaseStatus


def replay(events: Iterable[CaseEvent], start: CaseStatus = INITIAL_STATUS) -> CaseStatus:
    """The status reached by applying each event's transition in turn from ``start``.

    Raises
    ------
    InvalidTransitionError
        If one of the transitions is not allowed where it stands in the sequence.
    """
    status = start
    for event in events:
        status = apply_transition(status, event.transition)
    return status


@dataclass(frozen=True)
class Case:
    """A surrender case: what every team may see to tell it apart and follow it.

    Build a new one with :meth:`open`; the constructor is for stores rebuilding a case from
    what they kept, and it checks that the parts fit together (a canonical, valid case code;
    a lower-case two-letter language; a known channel; time-zone aware times; a timeline
    whose events follow the state machine from ``contacted``, in time order, to ``status``).

    Attributes
    ----------
    case_code
        Canonical case code, no hyphen (``"7KDMTW3A"``); print it with
        :func:`safeconduct.note.casecode.format_case_code`.
    language
        ISO 639-1 code, lower case (``"ru"``).
    channel
        One of :data:`CHANNELS`.
    status
        The current status.
    created_at
        When the case was opened, time-zone aware.
    events
        The transitions since, oldest first.
    """

    case_code: str
    language: str
    channel: str
    status: CaseStatus
    created_at: datetime
    events: tuple[CaseEvent, ...] = field(default=())

    def __post_init__(self) -> None:
        if not is_well_formed(self.case_code):
            raise InvalidValueError(
                f"case code {self.case_code!r} is not a canonical case code",
                field="case_code",
            )
        if normalise_language(self.language) != self.language:
            raise InvalidValueError(
                f"language {self.language!r} must be written in lower case", field="language"
            )
        if normalise_channel(self.channel) != self.channel:
            raise InvalidValueError(
                f"channel {self.channel!r} must be written in lower case", field="channel"
            )
        object.__setattr__(self, "status", CaseStatus(self.status))
        object.__setattr__(self, "events", tuple(self.events))
        require_aware(self.created_at, field_name="created_at")
        status, last = INITIAL_STATUS, self.created_at
        for event in self.events:
            require_aware(event.at, field_name="events")
            if event.at < last:
                raise InvalidValueError(
                    f"event {event.transition!r} at {event.at.isoformat()} is earlier than "
                    f"{last.isoformat()}; a timeline runs forwards",
                    field="events",
                )
            if event.from_status != status or apply_transition(status, event.transition) != (
                event.to_status
            ):
                raise InvalidValueError(
                    f"event {event.transition!r} goes from {event.from_status} to "
                    f"{event.to_status}, but the case was {status} before it",
                    field="events",
                )
            status, last = event.to_status, event.at
        if status != self.status:
            raise InvalidValueError(
                f"the events lead to {status}, but the case says {self.status}", field="status"
            )

    @classmethod
    def open(
        cls,
        *,
        language: str,
        channel: str = "hotline",
        case_code: str | None = None,
        now: datetime,
        rng: random.Random | None = None,
    ) -> Case:
        """Open a new case, ``contacted``, with no events.

        Parameters
        ----------
        language
            ISO 639-1 code of the language to talk to the person in; case and surrounding
            spaces are ignored.
        channel
            How the first contact came in: one of :data:`CHANNELS`.
        case_code
            A code already given to the person (as typed: case, spaces and hyphens ignored,
            checked); by default a new random one.
        now
            The time of opening, time-zone aware.
        rng
            A seeded generator for reproducible codes in tests; by default the system's
            secure source.

        Raises
        ------
        InvalidValueError
            With ``field`` ``"language"``, ``"channel"``, ``"case_code"`` (an
            :class:`~safeconduct.note.casecode.InvalidCaseCodeError`) or ``"now"``.
        """
        language = normalise_language(language)
        channel = normalise_channel(channel)
        require_aware(now, field_name="now")
        code = (
            generate_case_code(rng)
            if case_code is None
            else parse_case_code(case_code, field="case_code")
        )
        return cls(
            case_code=code,
            language=language,
            channel=channel,
            status=INITIAL_STATUS,
            created_at=now,
        )

    @property
    def last_changed_at(self) -> datetime:
        """The time of the latest event, or of opening when there is none."""
        return self.events[-1].at if self.events else self.created_at

    def apply(self, transition: str, *, at: datetime, actor: str) -> Case:
        """Return a new case moved by ``transition``, with the event appended.

        Parameters
        ----------
        transition
            A transition name (:data:`~safeconduct.casework.status.TRANSITIONS`).
        at
            When it happened, time-zone aware, not earlier than the case's last change.
        actor
            The user name of whoever makes the change.

        Raises
        ------
        InvalidTransitionError
            The transition is unknown or not allowed from the current status (``field``
            ``"transition"``; the message names the allowed ones).
        InvalidValueError
            ``at`` is naive or earlier than the last change (``field`` ``"at"``), or
            ``actor`` is empty (``field`` ``"actor"``). This case is left as it was.
        """
        require_aware(at, field_name="at")
        if not isinstance(actor, str) or not actor.strip():
            raise InvalidValueError(
                "no actor given; give the user name of whoever makes the change",
                field="actor",
            )
        target = apply_transition(self.status, transition)
        last = self.last_changed_at
        if at < last:
            raise InvalidValueError(
                f"{transition} at {at.isoformat()} is earlier than the case's last change at "
                f"{last.isoformat()}; times must not go backwards",
                field="at",
            )
        event = CaseEvent(
            at=at,
            actor=actor.strip(),
            transition=transition,
            from_status=self.status,
            to_status=target,
        )
        return replace(self, status=target, events=(*self.events, event))
