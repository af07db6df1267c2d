"""The note's typefaces by name, and the interface that measures text set in them.

The layout decides where every line goes, so it must know how wide a line is; but reading
font files is the renderer's business (:mod:`safeconduct.adapters.pdf.fonts` measures with
the same DejaVu fonts it embeds). The layout therefore takes a :class:`TextMeasure` and
names fonts by the plain strings below, which the renderer maps to font files.
"""

from __future__ import annotations

from typing import Protocol

#: Body text (DejaVu Sans).
SANS = "SafeconductSans"
#: Titles, steps and what must stand out (DejaVu Sans Bold).
SANS_BOLD = "SafeconductSans-Bold"
#: The printed case code: fixed width, so no symbol hides another (DejaVu Sans Mono Bold).
MONO_BOLD = "SafeconductMono-Bold"
#: Every typeface a note uses.
TYPEFACES = (SANS, SANS_BOLD, MONO_BOLD)


class TextMeasure(Protocol):
    """Measures one line of text: ``measure(text, font, size) -> width``.

    Parameters
    ----------
    text
        One line, no line breaks.
    font
        One of :data:`TYPEFACES`.
    size
        Type size, points.

    Returns
    -------
    float
        Advance width of the line, points (kerning is not applied, as the PDF draws it).
    """

    def __call__(self, text: str, font: str, size: float, /) -> float: ...
