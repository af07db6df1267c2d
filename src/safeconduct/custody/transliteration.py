"""Latin spelling of Cyrillic names by ICAO Doc 9303 (Machine Readable Travel Documents).

Documents keep a name as it was given (Cyrillic stays Cyrillic) and print its Latin
transliteration alongside, so that an office abroad can file and match it. The standard is
the one passports use: ICAO Doc 9303, Part 3, "Transliteration of Cyrillic characters"
(7th ed. 2015; the same rows as the 6th edition's Part 1, Section IV, Appendix 9). Only the
letters of Russian and Ukrainian are mapped here; any other character passes unchanged.

The table's notes give one exception that concerns these two languages: И is ``Y`` in
Ukrainian (``I`` otherwise). The soft sign Ь is dropped, the hard sign Ъ is ``IE``, and the
Ukrainian apostrophe (``'``, ``’``, ``ʼ``) is dropped.

ICAO writes names in capitals; the documents print them as given, so the output keeps the
case pattern of the input: ``"Шевченко"`` -> ``"Shevchenko"``, ``"ШЕВЧЕНКО"`` ->
``"SHEVCHENKO"``.
"""
# Cyrillic letters are what this module is about.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["ICAO_9303", "ICAO_9303_UKRAINIAN", "latin", "looks_ukrainian"]

#: The table's rows for the letters of Russian and Ukrainian, upper case, as printed.
ICAO_9303: Mapping[str, str] = MappingProxyType(
    {
        "А": "A",
        "Б": "B",
        "В": "V",
        "Г": "G",
        "Ґ": "G",
        "Д": "D",
        "Е": "E",
        "Ё": "E",
        "Є": "IE",
        "Ж": "ZH",
        "З": "Z",
        "И": "I",
        "І": "I",
        "Ї": "I",
        "Й": "I",
        "К": "K",
        "Л": "L",
        "М": "M",
        "Н": "N",
        "О": "O",
        "П": "P",
        "Р": "R",
        "С": "S",
        "Т": "T",
        "У": "U",
        "Ф": "F",
        "Х": "KH",
        "Ц": "TS",
        "Ч": "CH",
        "Ш": "SH",
        "Щ": "SHCH",
        "Ъ": "IE",
        "Ы": "Y",
        "Ь": "",
        "Э": "E",
        "Ю": "IU",
        "Я": "IA",
    }
)

#: The Ukrainian exception of the table's notes (И -> Y).
ICAO_9303_UKRAINIAN: Mapping[str, str] = MappingProxyType({**ICAO_9303, "И": "Y"})

# The Ukrainian apostrophe marks separation, not a sound; ICAO drops it.
_APOSTROPHES = frozenset("'’ʼ")
_ONLY_UKRAINIAN = frozenset("ЄєІіЇїҐґ")
_ONLY_RUSSIAN = frozenset("ЁёЪъЫыЭэ")


def looks_ukrainian(text: str) -> bool:
    """Whether ``text`` uses a letter only Ukrainian has (Є І Ї Ґ) and none only Russian has."""
    chars = set(text)
    return bool(chars & _ONLY_UKRAINIAN) and not chars & _ONLY_RUSSIAN


def latin(text: str, *, lang: str | None = None) -> str:
    """The ICAO Doc 9303 Latin transliteration of ``text``, in the case pattern of the input.

    Parameters
    ----------
    text
        A name (or any text); characters outside the Russian and Ukrainian alphabets,
        Latin letters, digits and punctuation included, pass unchanged.
    lang
        ``"uk"`` applies the Ukrainian rule (И -> Y), ``"ru"`` (or any other code) does not;
        None guesses Ukrainian from its letters (:func:`looks_ukrainian`).

    Returns
    -------
    str
        ``"Шевченко Тарас"`` -> ``"Shevchenko Taras"``; ``"ЩУКА"`` -> ``"SHCHUKA"``.
    """
    ukrainian = looks_ukrainian(text) if lang is None else lang.lower().startswith("uk")
    table = ICAO_9303_UKRAINIAN if ukrainian else ICAO_9303
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in _APOSTROPHES and _between_cyrillic(text, i):
            continue
        upper = ch.upper()
        mapped = table.get(upper)
        if mapped is None:
            out.append(ch)
        elif ch != upper:
            out.append(mapped.lower())
        elif len(mapped) > 1 and not _in_capitals(text, i):
            out.append(mapped.capitalize())
        else:
            out.append(mapped)
    return "".join(out)


def _between_cyrillic(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    return before.upper() in ICAO_9303 and after.upper() in ICAO_9303 and before != ""


def _in_capitals(text: str, i: int) -> bool:
    """Whether the capital at ``i`` stands in a word written in capitals (``"ЩУКА"``)."""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if nxt.isalpha():
        return nxt.isupper()
    prev = text[i - 1] if i > 0 else ""
    return prev.isalpha() and prev.isupper()
