"""The state of health on the capture card: the Annex IV B categories (GC III)."""

from __future__ import annotations

from enum import StrEnum

from safeconduct.errors import InvalidValueError


class HealthCategory(StrEnum):
    """A state of health, in the order Annex IV B prints them. The value is the stored word."""

    GOOD = "good"
    NOT_WOUNDED = "not_wounded"
    RECOVERED = "recovered"
    CONVALESCENT = "convalescent"
    SICK = "sick"
    SLIGHTLY_WOUNDED = "slightly_wounded"
    SERIOUSLY_WOUNDED = "seriously_wounded"


def parse_health(text: str) -> HealthCategory:
    """The category named by ``text``: its value, case, spaces and hyphens ignored
    (``"Slightly wounded"`` -> :attr:`HealthCategory.SLIGHTLY_WOUNDED`).

    Raises
    ------
    InvalidValueError
        With ``field="health"``, naming the categories, when ``text`` names none.
    """
    if isinstance(text, HealthCategory):
        return text
    word = "_".join(text.strip().lower().replace("-", " ").split()) if isinstance(text, str) else ""
    try:
        return HealthCategory(word)
    except ValueError:
        raise InvalidValueError(
            f"unknown state of health {text!r}; give one of "
            f"{', '.join(h.value for h in HealthCategory)}",
            field="health",
        ) from None
