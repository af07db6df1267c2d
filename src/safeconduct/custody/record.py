"""The registration of a prisoner of war: what Art. 17, Annex IV B and Art. 122 ask for.

Art. 17 binds a prisoner to give only surname, first names, rank, date of birth and
service number; each of these may be recorded as :data:`NOT_GIVEN` when the prisoner
declines (no coercion, questions only in a language the prisoner understands). The other
fields (father's first name, mother's maiden name, place of birth, power depended on,
person to be informed) are optional and ``None`` when not recorded.

Dates are dates without a time zone (the law speaks of dates). Names keep the spelling
given: Cyrillic stays Cyrillic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from enum import Enum
from typing import Any

from safeconduct.casework.case import normalise_language
from safeconduct.custody.health import HealthCategory, parse_health
from safeconduct.errors import InvalidValueError


class NotGiven(Enum):
    """An Art. 17 field the prisoner declined to give."""

    NOT_GIVEN = "not given"


#: The prisoner declined to give this Art. 17 field.
NOT_GIVEN = NotGiven.NOT_GIVEN

#: The most characters one text field may hold (a card line, an address).
MAX_TEXT = 200
#: The oldest a date of birth may lie before today, in years.
MAX_AGE_YEARS = 120

#: The five fields Art. 17 binds a prisoner to give, each of which may be NOT_GIVEN.
ART17_FIELDS: tuple[str, ...] = (
    "surname",
    "first_names",
    "rank",
    "date_of_birth",
    "service_number",
)
#: Optional text fields (None: not recorded).
OPTIONAL_TEXT_FIELDS: tuple[str, ...] = (
    "fathers_first_name",
    "mothers_maiden_name",
    "place_of_birth",
    "power",
    "next_of_kin",
    "present_address",
    "prisoner_number",
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, kw_only=True)
class Registration:
    """A prisoner's registration (keyword arguments only).

    Attributes
    ----------
    surname, first_names, rank, service_number
        Art. 17 text, as given (any script), or :data:`NOT_GIVEN`.
    date_of_birth
        Art. 17 date of birth, or :data:`NOT_GIVEN`.
    fathers_first_name, mothers_maiden_name, place_of_birth
        Annex IV B / Art. 122, or None.
    power
        The power on which the prisoner depends, or None.
    next_of_kin
        The person to be informed and their address, free text, or None.
    captured_on
        The date the person was taken prisoner (required).
    health
        State of health (Annex IV B category).
    language
        ISO 639-1 code of the prisoner's own language (``"ru"``).
    present_address
        Camp or place of internment, or None.
    prisoner_number
        Issued at registration (None before).
    """

    surname: str | NotGiven
    first_names: str | NotGiven
    rank: str | NotGiven
    date_of_birth: date | NotGiven
    service_number: str | NotGiven
    fathers_first_name: str | None = None
    mothers_maiden_name: str | None = None
    place_of_birth: str | None = None
    power: str | None = None
    next_of_kin: str | None = None
    captured_on: date
    health: HealthCategory
    language: str
    present_address: str | None = None
    prisoner_number: str | None = None

    def display_name(self) -> str:
        """Surname and first names as given, for lists (``"not given"`` where declined)."""
        parts = [
            p.value if isinstance(p, NotGiven) else p for p in (self.surname, self.first_names)
        ]
        return " ".join(parts)


#: The JSON keys, in the order of the dataclass.
JSON_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Registration))
_REQUIRED_KEYS = (*ART17_FIELDS, "captured_on", "health", "language")


def _text(value: object, name: str, *, art17: bool) -> str | NotGiven | None:
    """One text field checked: stripped, not empty, at most MAX_TEXT characters."""
    if art17 and value is NOT_GIVEN:
        return NOT_GIVEN
    if not art17 and value is None:
        return None
    if not isinstance(value, str):
        what = "a text or 'not given'" if art17 else "a text or nothing"
        raise InvalidValueError(f"{name} must be {what}, not {value!r}", field=name)
    text = value.strip()
    if art17 and text.casefold() == NOT_GIVEN.value:
        return NOT_GIVEN
    if not text:
        hint = (
            "record it as 'not given' if the prisoner declined"
            if art17
            else "leave it out if it is not known"
        )
        raise InvalidValueError(f"{name} is empty; {hint}", field=name)
    if len(text) > MAX_TEXT:
        raise InvalidValueError(
            f"{name} has {len(text)} characters; at most {MAX_TEXT} fit", field=name
        )
    return text


def _date(value: object, name: str, *, art17: bool) -> date | NotGiven:
    if art17 and value is NOT_GIVEN:
        return NOT_GIVEN
    if isinstance(value, str):
        text = value.strip()
        if art17 and text.casefold() == NOT_GIVEN.value:
            return NOT_GIVEN
        if _ISO_DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        raise InvalidValueError(
            f"{name} {value!r} is not a date; give it as YYYY-MM-DD"
            + (" or 'not given'" if art17 else ""),
            field=name,
        )
    # A datetime is a date too, but the law speaks of dates: refuse a time of day.
    if isinstance(value, date) and type(value) is date:
        return value
    raise InvalidValueError(f"{name} must be a date (YYYY-MM-DD), not {value!r}", field=name)


def _shape(reg: Registration) -> Registration:
    """Every field of the right type and form, whatever the day (no date compared)."""
    if not isinstance(reg, Registration):
        raise InvalidValueError("not a registration", field="registration")
    changes: dict[str, Any] = {}
    for name in ("surname", "first_names", "rank", "service_number"):
        changes[name] = _text(getattr(reg, name), name, art17=True)
    changes["date_of_birth"] = _date(reg.date_of_birth, "date_of_birth", art17=True)
    for name in OPTIONAL_TEXT_FIELDS:
        changes[name] = _text(getattr(reg, name), name, art17=False)
    changes["captured_on"] = _date(reg.captured_on, "captured_on", art17=False)
    changes["health"] = parse_health(reg.health)
    changes["language"] = normalise_language(reg.language)
    return replace(reg, **changes)


def check_registration(
    reg: Registration, *, today: date, contacted_on: date | None = None
) -> Registration:
    """``reg`` checked, with its texts stripped and ``"not given"`` texts made
    :data:`NOT_GIVEN`; a valid registration comes back equal to itself.

    Parameters
    ----------
    reg
        The registration as entered.
    today
        The date of registration, in the registrar's calendar.
    contacted_on
        The date of the case's first contact, when the person came through a case: the
        capture cannot lie before it.

    Raises
    ------
    InvalidValueError
        Naming the field: a date of birth in the future, more than 120 years ago or after
        the capture; a capture date in the future or before the contact; an empty text
        (use :data:`NOT_GIVEN` for a declined Art. 17 field); a text longer than
        :data:`MAX_TEXT`; an unknown health category; a language that is not ISO 639-1.
    """
    reg = _shape(reg)
    born, captured = reg.date_of_birth, reg.captured_on
    assert isinstance(captured, date)
    if captured > today:
        raise InvalidValueError(
            f"the capture date {captured.isoformat()} is in the future (today is "
            f"{today.isoformat()})",
            field="captured_on",
        )
    if contacted_on is not None and captured < contacted_on:
        raise InvalidValueError(
            f"the capture date {captured.isoformat()} is before the first contact on "
            f"{contacted_on.isoformat()}",
            field="captured_on",
        )
    if isinstance(born, date):
        if born > today:
            raise InvalidValueError(
                f"the date of birth {born.isoformat()} is in the future (today is "
                f"{today.isoformat()})",
                field="date_of_birth",
            )
        if born > captured:
            raise InvalidValueError(
                f"the date of birth {born.isoformat()} is after the capture on "
                f"{captured.isoformat()}",
                field="date_of_birth",
            )
        if born < today - timedelta(days=round(365.2425 * MAX_AGE_YEARS)):
            raise InvalidValueError(
                f"the date of birth {born.isoformat()} is more than {MAX_AGE_YEARS} years ago",
                field="date_of_birth",
            )
    return reg


def registration_to_json(reg: Registration) -> dict[str, Any]:
    """``reg`` as a JSON object: the snake_case field names, dates ``YYYY-MM-DD``,
    :data:`NOT_GIVEN` as the string ``"not given"``, an unrecorded field as ``null``."""
    doc: dict[str, Any] = {}
    for name in JSON_KEYS:
        value = getattr(reg, name)
        if isinstance(value, NotGiven):
            doc[name] = value.value
        elif isinstance(value, date):
            doc[name] = value.isoformat()
        elif isinstance(value, HealthCategory):
            doc[name] = value.value
        else:
            doc[name] = value
    return doc


def registration_from_json(doc: Mapping[str, Any]) -> Registration:
    """The registration a JSON object describes (the keys of :func:`registration_to_json`).

    The five Art. 17 fields, ``captured_on``, ``health`` and ``language`` are required (an
    Art. 17 field the prisoner declined is the string ``"not given"``); the others may be
    left out or ``null``. Only the form is checked here; :func:`check_registration` checks
    the dates against today.

    Raises
    ------
    InvalidValueError
        Naming the field: an unknown key, a missing one, a value of the wrong type or form.
    """
    if not isinstance(doc, Mapping):
        raise InvalidValueError(
            "a registration is a JSON object of its fields", field="registration"
        )
    unknown = sorted(str(k) for k in doc if k not in JSON_KEYS)
    if unknown:
        raise InvalidValueError(
            f"unknown field {unknown[0]!r}; the fields are {', '.join(JSON_KEYS)}",
            field=unknown[0],
        )
    for name in _REQUIRED_KEYS:
        if name not in doc or (doc[name] is None and name not in ART17_FIELDS):
            hint = " (or 'not given' if the prisoner declined)" if name in ART17_FIELDS else ""
            raise InvalidValueError(f"{name} is missing; give it{hint}", field=name)
    art17 = {
        name: _text(doc[name], name, art17=True)
        for name in ("surname", "first_names", "rank", "service_number")
    }
    optional = {name: _text(doc.get(name), name, art17=False) for name in OPTIONAL_TEXT_FIELDS}
    health = doc["health"]
    if not isinstance(health, str):
        raise InvalidValueError(f"health must be a text, not {health!r}", field="health")
    language = doc["language"]
    if not isinstance(language, str):
        raise InvalidValueError(f"language must be a text, not {language!r}", field="language")
    reg = Registration(
        **art17,  # type: ignore[arg-type]
        **optional,  # type: ignore[arg-type]
        date_of_birth=_date(doc["date_of_birth"], "date_of_birth", art17=True),
        captured_on=_date(doc["captured_on"], "captured_on", art17=False),  # type: ignore[arg-type]
        health=parse_health(health),
        language=normalise_language(language),
    )
    return _shape(reg)
