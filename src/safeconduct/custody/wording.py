"""Words that never leave the system: documents and exports say "captured", nothing more.

How a person came into custody stays in the protected operation record (GUIDE.md §3):
voluntary surrender is a crime in some armies' laws, so a capture card, a receipt, an
evacuation list or a notification to the National Information Bureau must not say
surrender, hotline, drone, route, case code, operation, chat or meeting point, in any
language. The tests render every document and export for a full record and scan the text
with :func:`forbidden_in`.

Each entry of :data:`FORBIDDEN_WORDS` is a word *stem*: any word that begins with it is
caught (``"surrender"`` catches "surrendered"; ``"сдач"`` catches "сдача", "сдачи",
"сдачу"). An entry of several stems is a phrase: consecutive words beginning with them
(``"meeting point"``, ``"точк встреч"`` for "точка встречи"). Stems are cut short enough to
catch the inflected forms and long enough to spare innocent words (Ukrainian "здатний",
*able*, is not "здатися", *to surrender*).
"""
# Cyrillic letters are what this module is about.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["FORBIDDEN_WORDS", "forbidden_in"]

FORBIDDEN_WORDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": (
            "surrender",
            "capitulat",
            "gave himself up",
            "give himself up",
            "hotline",
            "helpline",
            "drone",
            "uav",
            "unmanned",
            "quadcopter",
            "route",
            "routing",
            "case code",
            "operation",
            "chat",
            "meeting point",
            "rendezvous",
        ),
        "ru": (
            "сдач",  # сдача, сдачи, сдачу, сдачей
            "сдался",
            "сдалас",
            "сдалис",
            "сдатьс",
            "сдаюс",
            "сдаетс",
            "сдастс",
            "сдаватьс",
            "сдавш",
            "капитул",
            "горяч лини",
            "дрон",
            "беспилотн",
            "бпла",
            "квадрокоптер",
            "маршрут",
            "код дел",
            "операци",
            "чат",
            "точк встреч",
            "мест встреч",
        ),
        "uk": (
            "здач",  # здача, здачі, здачу
            "здався",
            "здалас",
            "здалис",
            "здатис",
            "здатись",
            "здаюс",
            "здаєтьс",
            "здастьс",
            "здаватис",
            "капітул",
            "гаряч лін",
            "дрон",
            "безпілотн",
            "бпла",
            "квадрокоптер",
            "маршрут",
            "код справ",
            "операці",
            "чат",
            "точк зустріч",
            "місц зустріч",
        ),
    }
)

_WORD = re.compile(r"\w+")


def _normalise(text: str) -> str:
    # Case-insensitive, and ё written as е (both spellings are common).
    return text.casefold().replace("ё", "е")


def _words(text: str) -> list[str]:
    return _WORD.findall(_normalise(text))


def forbidden_in(text: str, lang: str) -> list[str]:
    """The entries of ``FORBIDDEN_WORDS[lang]`` that ``text`` contains, each once, in order.

    The English list is checked in every language as well (loan words and Latin text turn
    up anywhere).

    Parameters
    ----------
    text
        Any text: a document's extracted text, an export's contents.
    lang
        ``"en"``, ``"ru"`` or ``"uk"``; another code checks the English list only.

    Returns
    -------
    list[str]
        The stems found (empty when the text is clean).
    """
    words = _words(text)
    entries = list(FORBIDDEN_WORDS.get(lang, ()))
    if lang != "en":
        entries += FORBIDDEN_WORDS["en"]
    found: list[str] = []
    for entry in entries:
        stems = _normalise(entry).split()
        if entry not in found and _has_phrase(words, stems):
            found.append(entry)
    return found


def _has_phrase(words: list[str], stems: list[str]) -> bool:
    n = len(stems)
    for i in range(len(words) - n + 1):
        if all(words[i + k].startswith(stems[k]) for k in range(n)):
            return True
    return False
