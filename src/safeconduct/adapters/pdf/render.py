"""Drawing laid-out pages into a PDF (reportlab).

The PDF keeps text as text (DejaVu Sans, subset and embedded, with Unicode maps so it can
be searched and extracted), and draws pictograms and the QR code as vectors. The PNG
previews are rendered from the finished PDF (:mod:`.previews`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.pdfgen.canvas import Canvas

from safeconduct.adapters.pdf import pictograms
from safeconduct.adapters.pdf.fonts import SANS, register_fonts
from safeconduct.adapters.pdf.qr import draw_qr
from safeconduct.note.layout import BoxItem, PageLayout, PictureItem, QRItem, TextItem


def render_pdf(pages: Sequence[PageLayout], *, title: str = "Safe conduct") -> bytes:
    """Draw ``pages`` into a PDF and return its bytes (reproducible: no timestamps)."""
    register_fonts()
    buf = io.BytesIO()
    first = pages[0]
    canvas = Canvas(
        buf,
        pagesize=(first.width, first.height),
        invariant=1,
        initialFontName=SANS,
        initialFontSize=10,
        lang=first.lang,
    )
    canvas.setTitle(title)
    canvas.setAuthor("safeconduct")
    canvas.setCreator("safeconduct")
    for page in pages:
        canvas.setPageSize((page.width, page.height))
        _draw_page(canvas, page)
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _draw_page(canvas: Canvas, page: PageLayout) -> None:
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(0, 0, page.width, page.height, stroke=0, fill=1)
    for item in page.items:
        canvas.saveState()
        if isinstance(item, BoxItem):
            if item.fill:
                canvas.setFillColorRGB(0, 0, 0)
                canvas.rect(item.x, item.y, item.w, item.h, stroke=0, fill=1)
            else:
                canvas.setStrokeColorRGB(0, 0, 0)
                canvas.setLineWidth(item.stroke)
                canvas.rect(item.x, item.y, item.w, item.h, stroke=1, fill=0)
        elif isinstance(item, TextItem):
            if item.inverse:
                canvas.setFillColorRGB(1, 1, 1)
            else:
                canvas.setFillColorRGB(0, 0, 0)
            canvas.setFont(item.font, item.size)
            canvas.drawString(item.x, item.y, item.text)
        elif isinstance(item, PictureItem):
            pictograms.draw(canvas, item.name, item.x, item.y, item.size)
        elif isinstance(item, QRItem):
            draw_qr(canvas, item.payload, item.x, item.y, item.size)
        canvas.restoreState()


class ReportlabPdf:
    """Renders laid-out note pages into PDF bytes (the service's ``NotePdf`` port)."""

    def render_pdf(self, pages: Sequence[PageLayout], *, title: str = "Safe conduct") -> bytes:
        """Draw ``pages`` into a PDF and return its bytes (reproducible: no timestamps)."""
        return render_pdf(pages, title=title)
