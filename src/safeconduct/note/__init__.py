"""The safe-conduct note and leaflet: message catalogues, pictograms, case codes, rendering.

The drone drops the note to a person who wants to surrender; the leaflet prepares someone
who has called the hotline. Both teach the same procedure (GUIDE §1): the two-phase arm
signal, the drone's answer, following it, waiting for the next one, and lying down at the
reception point; and both state what the Geneva Conventions guarantee.

Public API
----------
- :mod:`.casecode`: :func:`generate_case_code`, :func:`parse_case_code`,
  :func:`format_case_code`.
- :func:`available_languages`: the languages that have a catalogue.
- :func:`qr_payload` / :func:`parse_qr_payload`: what the QR code carries.
"""

from __future__ import annotations

from safeconduct.note.casecode import (
    InvalidCaseCodeError,
    format_case_code,
    generate_case_code,
    parse_case_code,
)
from safeconduct.note.catalog import available_languages
from safeconduct.note.qr import parse_qr_payload, qr_payload

__all__ = [
    "InvalidCaseCodeError",
    "available_languages",
    "format_case_code",
    "generate_case_code",
    "parse_case_code",
    "parse_qr_payload",
    "qr_payload",
]
