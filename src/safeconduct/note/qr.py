"""What the note's QR code carries (drawing it is :mod:`safeconduct.adapters.pdf.qr`'s job).

The payload is plain text, so any phone shows it without an app::

    SAFE CONDUCT
    CASE 7KDM-TW3A
    HOTLINE +380 66 000 00 00

The ``HOTLINE`` line is left out when no hotline is given. The reception team reads the
case code from it; the person preparing reads the contact.
"""

from __future__ import annotations

from safeconduct.note.casecode import format_case_code

HEADER = "SAFE CONDUCT"


def qr_payload(case_code: str, hotline: str | None = None) -> str:
    """The text the QR code carries for a canonical ``case_code`` and an optional hotline."""
    lines = [HEADER, f"CASE {format_case_code(case_code)}"]
    if hotline:
        lines.append(f"HOTLINE {hotline}")
    return "\n".join(lines)


def parse_qr_payload(text: str) -> dict[str, str]:
    """Read a payload back: ``{"case": "7KDM-TW3A", "hotline": "..."}`` (hotline optional)."""
    lines = text.splitlines()
    if not lines or lines[0] != HEADER:
        raise ValueError("not a safe-conduct QR payload")
    out: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        out[key.lower()] = value
    return out
