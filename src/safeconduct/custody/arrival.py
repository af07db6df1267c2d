"""The arrival of a person led in to the reception point (the reception team's record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from safeconduct.custody.fields import clean_text
from safeconduct.custody.health import HealthCategory, parse_health
from safeconduct.errors import InvalidValueError


@dataclass(frozen=True)
class Arrival:
    """Who was led in, when, where and in what state.

    Attributes
    ----------
    at
        When they arrived, time-zone aware.
    place
        The reception point.
    escorts
        Who brought them in (names or call signs), at least one.
    people
        How many people came in, at least 1.
    health
        State of health (Annex IV B category) of the person, or the worst of the group.
    medical_priority
        Needs a medic first.
    effects_kept
        Personal effects left with the person (Art. 18), one per entry.

    Raises
    ------
    InvalidValueError
        Naming the field (``at``, ``place``, ``escorts``, ``people``, ``health``,
        ``effects_kept``).
    """

    at: datetime
    place: str
    escorts: tuple[str, ...]
    people: int
    health: HealthCategory
    medical_priority: bool = False
    effects_kept: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            raise InvalidValueError(
                "the arrival time must carry its time zone (such as +03:00 or Z)", field="at"
            )
        object.__setattr__(self, "place", clean_text(self.place, "place"))
        if isinstance(self.escorts, str) or not self.escorts:
            raise InvalidValueError("name at least one escort", field="escorts")
        object.__setattr__(self, "escorts", tuple(clean_text(e, "escorts") for e in self.escorts))
        if isinstance(self.people, bool) or not isinstance(self.people, int) or self.people < 1:
            raise InvalidValueError(
                f"people is how many came in, at least 1, not {self.people!r}", field="people"
            )
        object.__setattr__(self, "health", parse_health(self.health))
        if not isinstance(self.medical_priority, bool):
            raise InvalidValueError("medical_priority is yes or no", field="medical_priority")
        if isinstance(self.effects_kept, str):
            raise InvalidValueError("list the effects kept one by one", field="effects_kept")
        object.__setattr__(
            self, "effects_kept", tuple(clean_text(e, "effects_kept") for e in self.effects_kept)
        )
