"""Notifications to the National Information Bureau (Art. 122 GC III).

The Bureau is told, by the fastest means, of each capture and later of each transfer,
hospital admission, escape, release and death. :func:`notification_record` gives one
notification as the flat record of the documented JSON Schema
(``schemas/nib-notification.schema.json``), the same record the JSON and CSV exports hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from safeconduct.custody.record import NotGiven, Registration
from safeconduct.custody.transliteration import latin


class NibEvent(StrEnum):
    """What the Bureau is told of. The value is the stored and exported word."""

    CAPTURE = "capture"
    TRANSFER = "transfer"
    HOSPITAL_ADMISSION = "hospital_admission"
    ESCAPE = "escape"
    RELEASE = "release"
    DEATH = "death"


#: Event -> the custody transition it makes (:mod:`.status`); None: the status stays
#: (a capture is the registration itself; a hospital admission keeps the prisoner ours).
EVENT_TRANSITIONS: Mapping[NibEvent, str | None] = MappingProxyType(
    {
        NibEvent.CAPTURE: None,
        NibEvent.TRANSFER: "transfer",
        NibEvent.HOSPITAL_ADMISSION: None,
        NibEvent.ESCAPE: "record_escape",
        NibEvent.RELEASE: "release",
        NibEvent.DEATH: "record_death",
    }
)

#: The keys of :func:`notification_record`, in the order the CSV export writes them.
RECORD_KEYS: tuple[str, ...] = (
    "event",
    "occurred_on",
    "prisoner_number",
    "surname",
    "surname_latin",
    "first_names",
    "first_names_latin",
    "rank",
    "service_number",
    "date_of_birth",
    "place_of_birth",
    "power",
    "fathers_first_name",
    "mothers_maiden_name",
    "next_of_kin",
    "captured_on",
    "health",
    "place",
    "details",
)


@dataclass(frozen=True)
class NibNotification:
    """One notification: what happened, when, to whom, and where.

    Attributes
    ----------
    event
        What happened.
    occurred_on
        The date it happened.
    registration
        The prisoner's registration, with its prisoner number.
    place
        Where (the hospital, the camp transferred to), or None.
    details
        A short free text (cause of death as certified, the receiving power), or None.
    """

    event: NibEvent
    occurred_on: date
    registration: Registration
    place: str | None = None
    details: str | None = None


def _value(value: object) -> Any:
    if isinstance(value, NotGiven):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _latin(value: object, language: str) -> str | None:
    # The Latin spelling beside the name as given (ICAO Doc 9303); None where declined.
    # The prisoner's language picks the Ukrainian or Russian rule; another language leaves
    # the rule to the letters of the name.
    if not isinstance(value, str):
        return None
    return latin(value, lang=language if language in ("ru", "uk") else None)


def notification_record(n: NibNotification) -> dict[str, Any]:
    """The flat record of one notification (keys :data:`RECORD_KEYS`).

    Dates are ``YYYY-MM-DD``; an Art. 17 field the prisoner declined is ``"not given"``;
    a field not recorded is None (JSON ``null``). ``surname_latin`` and
    ``first_names_latin`` transliterate the name as given (None where it was not given).
    Nothing about how the person came to be captured is part of the record.
    """
    reg = n.registration
    record: dict[str, Any] = {
        "event": NibEvent(n.event).value,
        "occurred_on": n.occurred_on.isoformat(),
        "prisoner_number": reg.prisoner_number,
        "surname": _value(reg.surname),
        "surname_latin": _latin(reg.surname, reg.language),
        "first_names": _value(reg.first_names),
        "first_names_latin": _latin(reg.first_names, reg.language),
        "rank": _value(reg.rank),
        "service_number": _value(reg.service_number),
        "date_of_birth": _value(reg.date_of_birth),
        "place_of_birth": reg.place_of_birth,
        "power": reg.power,
        "fathers_first_name": reg.fathers_first_name,
        "mothers_maiden_name": reg.mothers_maiden_name,
        "next_of_kin": reg.next_of_kin,
        "captured_on": reg.captured_on.isoformat(),
        "health": reg.health.value,
        "place": n.place,
        "details": n.details,
    }
    return {key: record[key] for key in RECORD_KEYS}
