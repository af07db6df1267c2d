"""PNG previews of a PDF's pages, rendered with PDFium.

Previews are rendered from the finished PDF, so they show exactly what will print. The
resolution is the use case's (:data:`safeconduct.services.note.PREVIEW_DPI`).
"""

from __future__ import annotations

import io


def render_pngs(pdf: bytes, dpi: int) -> list[bytes]:
    """Render every page of ``pdf`` to PNG bytes at ``dpi`` (the dpi is recorded in the file)."""
    import pypdfium2 as pdfium  # only a run that asks for previews pays for PDFium

    out: list[bytes] = []
    doc = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(doc)):
            page = doc[index]
            try:
                image = page.render(scale=dpi / 72.0, fill_color=(255, 255, 255, 255)).to_pil()
            finally:
                page.close()
            buf = io.BytesIO()
            image.convert("RGB").save(buf, format="PNG", dpi=(dpi, dpi), optimize=True)
            out.append(buf.getvalue())
    finally:
        doc.close()
    return out


class PdfiumPreviews:
    """Renders PDF pages into PNG previews (the service's ``NotePreviews`` port)."""

    def render_pngs(self, pdf: bytes, dpi: int) -> list[bytes]:
        """Every page of ``pdf`` as PNG bytes at ``dpi`` dots per inch."""
        return render_pngs(pdf, dpi)
