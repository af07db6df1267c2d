"""The note's typefaces by name, and the interface that measures text set in them.

The layout decides where every line goes, so it must know how wide a line is; but reading
font files is the renderer's business (:mod:`safeconduct.adapters.pdf.fonts` measures with
the same DejaVu fonts it embeds). The layout therefore takes a :class:`TextMeasure` and
names fonts by the plain strings below, which the renderer maps to font files.
"""

from __future__ import annotations

import unicodedata
from typing import Protocol

#: Body text (DejaVu Sans).
SANS = "SafeconductSans"
#: Titles, steps and what must stand out (DejaVu Sans Bold).
SANS_BOLD = "SafeconductSans-Bold"
#: The printed case code: fixed width, so no symbol hides another (DejaVu Sans Mono Bold).
MONO_BOLD = "SafeconductMono-Bold"
#: Every typeface a note uses.
TYPEFACES = (SANS, SANS_BOLD, MONO_BOLD)
#: Unicode bidirectional classes the note cannot set: its lines run left to right, glyph by
#: glyph, with no bidi reordering and no Arabic joining, so these would print reversed and
#: (Arabic) unjoined. R: Hebrew and the like; AL: Arabic letters; AN: Arabic-Indic digits.
RIGHT_TO_LEFT = frozenset({"R", "AL", "AN"})


def right_to_left_scripts(text: str) -> list[str]:
    """The right-to-left scripts in ``text`` the note cannot set, by name, in order of first use.

    ``"الخط ١٢٣"`` -> ``["Arabic"]``, ``"קו חם"`` -> ``["Hebrew"]``; ``[]`` for text the note
    sets correctly. The script is the first word of the character's Unicode name
    (``ARABIC LETTER ALEF``, ``ARABIC-INDIC DIGIT ONE`` -> Arabic).
    """
    scripts: list[str] = []
    for ch in text:
        if unicodedata.bidirectional(ch) not in RIGHT_TO_LEFT:
            continue
        word = unicodedata.name(ch, "right-to-left").split()[0].split("-")[0]
        script = word.capitalize()
        if script not in scripts:
            scripts.append(script)
    return scripts


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
