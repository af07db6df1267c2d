"""The note's QR code drawn as vectors on a reportlab canvas, with segno."""

from __future__ import annotations

import segno
from reportlab.pdfgen.canvas import Canvas

#: Light modules around the symbol, in modules (ISO/IEC 18004 asks for 4).
QUIET_ZONE = 4


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
