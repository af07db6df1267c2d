"""Checks shared by the custody values' free-text fields."""

from __future__ import annotations

from safeconduct.errors import InvalidValueError

#: The most characters a place, a name, an escort or an effect may hold.
MAX_TEXT = 200


def clean_text(text: object, name: str) -> str:
    """``text`` stripped, refused (naming field ``name``) when empty or too long."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidValueError(f"{name} is empty", field=name)
    if len(text.strip()) > MAX_TEXT:
        raise InvalidValueError(f"{name} is longer than {MAX_TEXT} characters", field=name)
    return text.strip()
