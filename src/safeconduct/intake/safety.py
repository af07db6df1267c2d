"""What the bot must never send: anything that reads as a location.

:func:`looks_like_location` is used by the validator (a flow whose text looks like a place is
refused) and by the engine (such a text is dropped and the conversation handed over), so that
no flow, however written, makes the bot send coordinates.
"""

from __future__ import annotations

import re

_CYRILLIC_S_YU = "\u0421\u042e"  # Es and Yu: the Russian initials of north and south
_PRIME = "\u2032"
_DECIMAL_PAIR = re.compile(
    r"[-+]?\d{1,3}[.,]\d{2,}\s*°?\s*[NSEW"
    + _CYRILLIC_S_YU
    + r"]?\s*[,;/ ]\s*[-+]?\d{1,3}[.,]\d{2,}"
)
_DEGREES = re.compile(r"\d{1,3}\s*°")
_DMS = re.compile(r"\d{1,3}\s*[°º]\s*\d{1,2}\s*['" + _PRIME + "]")
# MGRS / UTM grid reference: zone, band, 100 km square, 2 to 10 digits (spaces allowed).
_MGRS = re.compile(r"\b\d{1,2}\s?[C-HJ-NP-X]\s?[A-HJ-NP-Z]{2}\s?\d{2,5}\s?\d{0,5}\b", re.I)
_GEO_URI = re.compile(r"\bgeo:|maps\.google|goo\.gl/maps|openstreetmap\.org|@-?\d+\.\d+,", re.I)


# A quantified group whose body is itself quantified, such as (a+)+ or (\w*)*: Python's regular
# expressions have no time limit, and such a pattern takes exponential time on some replies.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


def slow_pattern(pattern: str) -> bool:
    """True when the ``has_pattern`` regular expression nests quantifiers (``(a+)+``), which can
    take exponential time on a crafted reply; the validator refuses it and the engine skips it."""
    return _NESTED_QUANTIFIER.search(pattern) is not None


def looks_like_location(text: str) -> bool:
    """True when ``text`` holds what reads as coordinates, a grid reference or a map link."""
    return any(p.search(text) is not None for p in (_DECIMAL_PAIR, _DEGREES, _DMS, _MGRS, _GEO_URI))
