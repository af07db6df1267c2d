"""The list of evacuees of one transport (Art. 19-20 GC III)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safeconduct.custody.fields import clean_text
from safeconduct.custody.health import HealthCategory, parse_health
from safeconduct.errors import InvalidValueError


@dataclass(frozen=True)
class EvacuationEntry:
    """One evacuee: prisoner number, name as given, state of health."""

    prisoner_number: str
    name: str
    health: HealthCategory

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "prisoner_number", clean_text(self.prisoner_number, "prisoner_number")
        )
        object.__setattr__(self, "name", clean_text(self.name, "name"))
        object.__setattr__(self, "health", parse_health(self.health))


@dataclass(frozen=True)
class EvacuationList:
    """One transport: its date, from and to, the escort, and the evacuees (at least one,
    each prisoner once).

    Raises
    ------
    InvalidValueError
        Naming the field (``on``, ``from_place``, ``to_place``, ``escort``, ``entries``).
    """

    on: date
    from_place: str
    to_place: str
    escort: str
    entries: tuple[EvacuationEntry, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.on, date) or type(self.on) is not date:
            raise InvalidValueError("the transport's date must be a date (YYYY-MM-DD)", field="on")
        object.__setattr__(self, "from_place", clean_text(self.from_place, "from_place"))
        object.__setattr__(self, "to_place", clean_text(self.to_place, "to_place"))
        object.__setattr__(self, "escort", clean_text(self.escort, "escort"))
        entries = tuple(self.entries)
        if not entries:
            raise InvalidValueError(
                "an evacuation list names at least one prisoner", field="entries"
            )
        numbers = [e.prisoner_number for e in entries]
        twice = sorted({n for n in numbers if numbers.count(n) > 1})
        if twice:
            raise InvalidValueError(
                f"prisoner {twice[0]} is listed more than once", field="entries"
            )
        object.__setattr__(self, "entries", entries)
