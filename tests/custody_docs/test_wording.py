"""The list of words that never leave the system, and the scanner that finds them."""
# Cyrillic letters are what this module is about.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest

from safeconduct.custody.wording import FORBIDDEN_WORDS, forbidden_in


def test_every_language_has_a_list() -> None:
    assert set(FORBIDDEN_WORDS) == {"en", "ru", "uk"}


@pytest.mark.parametrize(
    ("text", "lang", "found"),
    [
        ("He SURRENDERED at dawn.", "en", ["surrender"]),
        ("surrenders; surrendering", "en", ["surrender"]),
        ("Call the hotline", "en", ["hotline"]),
        ("a drone led him along the route", "en", ["drone", "route"]),
        ("the Case Code 7KDM", "en", ["case code"]),
        ("Operation Dawn, chat log, meeting point B", "en", ["operation", "chat", "meeting point"]),
        ("Сдача в плен", "ru", ["сдач"]),
        ("он сдался дрону", "ru", ["сдался", "дрон"]),
        ("Беспилотник вёл по маршруту", "ru", ["беспилотн", "маршрут"]),
        ("Горячая линия; код дела; операция; чат; точка встречи", "ru",
         ["горяч лини", "код дел", "операци", "чат", "точк встреч"]),
        ("Здача в полон", "uk", ["здач"]),
        ("він здався; вирішив здатися", "uk", ["здався", "здатис"]),
        ("безпілотник, дрон, маршрут", "uk", ["дрон", "безпілотн", "маршрут"]),
        ("гаряча лінія, код справи, операція, чат, точка зустрічі", "uk",
         ["гаряч лін", "код справ", "операці", "чат", "точк зустріч"]),
        ("Russian text with a drone in English", "ru", ["drone"]),
    ],
)  # fmt: skip
def test_finds_the_words_and_their_forms(text: str, lang: str, found: list[str]) -> None:
    assert forbidden_in(text, lang) == found


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Captured on 2025-03-14. Taken prisoner. Routine check. Cooperation.", "en"),
        ("Взят в плен 14.03.2025. Передача военнопленных. Сдержанный.", "ru"),
        ("Взятий у полон. Здатний працювати. Здавна. Передача.", "uk"),
    ],
)
def test_innocent_words_pass(text: str, lang: str) -> None:
    assert forbidden_in(text, lang) == []
