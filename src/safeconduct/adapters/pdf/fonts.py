"""The note's fonts: DejaVu Sans from matplotlib's own data, embedded in every PDF.

matplotlib (a core dependency) ships DejaVu Sans, which covers Latin and Cyrillic, so the
note needs no font download and no system font. reportlab embeds a subset of each TrueType
font it uses, and maps the glyphs back to Unicode, so the text stays extractable.

The typefaces are named in the domain (:mod:`safeconduct.note.typefaces`); here each name
is bound to its file, and :func:`text_width` is the layout's
:class:`~safeconduct.note.typefaces.TextMeasure`: it measures with the very fonts the PDF
embeds, so what the layout fits is what prints.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from safeconduct.note.typefaces import MONO_BOLD, SANS, SANS_BOLD

__all__ = [
    "MONO_BOLD",
    "SANS",
    "SANS_BOLD",
    "ReportlabFonts",
    "font_dir",
    "missing_glyphs",
    "register_fonts",
    "text_width",
]

_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    MONO_BOLD: "DejaVuSansMono-Bold.ttf",
}


def font_dir() -> Path:
    """The folder of matplotlib's TrueType fonts."""
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@functools.cache
def register_fonts() -> tuple[str, ...]:
    """Register the note's fonts with reportlab (once) and return their names."""
    for name, filename in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(font_dir() / filename)))
    return tuple(_FILES)


def missing_glyphs(text: str, font: str = SANS) -> list[str]:
    """The characters of ``text`` that ``font`` cannot draw (spaces and line ends aside)."""
    register_fonts()
    face = pdfmetrics.getFont(font).face  # type: ignore[attr-defined]
    have = face.charToGlyph
    return sorted({ch for ch in text if ch not in "\n\r\t " and ord(ch) not in have})


def text_width(text: str, font: str, size: float) -> float:
    """Width of ``text`` set in ``font`` at ``size`` points, in points."""
    register_fonts()
    return pdfmetrics.stringWidth(text, font, size)


class ReportlabFonts:
    """The note's fonts as the service sees them: measuring and glyph coverage (``NoteFonts``)."""

    def text_width(self, text: str, font: str, size: float) -> float:
        """Width of ``text`` set in ``font`` at ``size`` points, in points."""
        return text_width(text, font, size)

    def missing_glyphs(self, text: str, font: str) -> list[str]:
        """The characters of ``text`` that ``font`` cannot draw, sorted."""
        return missing_glyphs(text, font)
