"""The safe-conduct note and leaflet: message catalogues, pictograms, case codes, layout.

The drone drops the note to a person who wants to surrender; the leaflet prepares someone
who has called the hotline. Both teach the same procedure (GUIDE §1): the two-phase arm
signal, the drone's answer, following it, waiting for the next one, and lying down at the
reception point; and both state what the Geneva Conventions guarantee.

This package is pure: it lays pages out as values and reads no font. Rendering them is
:mod:`safeconduct.adapters.pdf`'s job; the use case is :mod:`safeconduct.services.note`.

Public API
----------
- :mod:`.casecode`: :func:`generate_case_code`, :func:`parse_case_code`,
  :func:`format_case_code`.
- :func:`available_languages`: the languages that have a catalogue.
- :func:`qr_payload` / :func:`parse_qr_payload`: what the QR code carries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Case codes and QR payloads need only the standard library: importing them (as the casework
# will on every request) must not load Babel, which only the catalogues need.
from safeconduct.note.casecode import (
    InvalidCaseCodeError,
    format_case_code,
    generate_case_code,
    parse_case_code,
)
from safeconduct.note.qr import parse_qr_payload, qr_payload

if TYPE_CHECKING:
    from safeconduct.note.catalog import available_languages

__all__ = [
    "InvalidCaseCodeError",
    "available_languages",
    "format_case_code",
    "generate_case_code",
    "parse_case_code",
    "parse_qr_payload",
    "qr_payload",
]


def __getattr__(name: str) -> Any:
    """Load the catalogue module (and Babel) on first use of :func:`available_languages`."""
    if name == "available_languages":
        from safeconduct.note.catalog import available_languages

        return available_languages
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
