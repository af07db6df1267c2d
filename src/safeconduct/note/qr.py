"""The note's QR code: what it carries, and how it is drawn (as vectors, with segno).

The payload is plain text, so any phone shows it without an app::

    SAFE CONDUCT
    CASE 7KDM-TW3A
    HOTLINE +380 66 000 00 00

The ``HOTLINE`` line is left out when no hotline is given. The reception team reads the
case code from it; the person preparing reads the contact.
"""

from __future__ import annotations

import segno
from reportlab.pdfgen.canvas import Canvas

from safeconduct.note.casecode import format_case_code

HEADER = "SAFE CONDUCT"
#: Light modules around the symbol, in modules (ISO/IEC 18004 asks for 4).
QUIET_ZONE = 4


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


def make_symbol(payload: str) -> segno.QRCode:
    """The QR symbol for ``payload``: error correction M at least, raised if it costs nothing."""
    return segno.make(payload, error="m", boost_error=True, micro=False)


def modules(payload: str) -> int:
    """Width of the symbol in modules, quiet zone included."""
    return make_symbol(payload).symbol_size(border=QUIET_ZONE)[0]


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``payload`` as one filled vector path in a ``size`` square at (x, y).

    The square includes the quiet zone. Dark modules of a row are merged into runs and the
    whole symbol is filled as one path, so no hairline seams appear between modules.
    """
    symbol = make_symbol(payload)
    n = symbol.symbol_size(border=QUIET_ZONE)[0]
    unit = size / n
    path = canvas.beginPath()
    for r, row in enumerate(symbol.matrix_iter(border=QUIET_ZONE)):
        top = y + size - r * unit
        c = 0
        row = list(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                path.rect(x + start * unit, top - unit, (c - start) * unit, unit)
            else:
                c += 1
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
