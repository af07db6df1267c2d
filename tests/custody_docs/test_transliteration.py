"""Latin spelling of names: every row of ICAO Doc 9303's Cyrillic table, and whole names."""
# Cyrillic letters are what this module is about.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.custody.transliteration import ICAO_9303, latin, looks_ukrainian

# ICAO Doc 9303, Part 3, "Transliteration of Cyrillic characters", the rows for the letters
# of Russian and Ukrainian, written out again here from the standard (not from the module).
STANDARD = [
    ("А", "A"), ("Б", "B"), ("В", "V"), ("Г", "G"), ("Ґ", "G"), ("Д", "D"), ("Е", "E"),
    ("Ё", "E"), ("Є", "IE"), ("Ж", "ZH"), ("З", "Z"), ("И", "I"), ("І", "I"), ("Ї", "I"),
    ("Й", "I"), ("К", "K"), ("Л", "L"), ("М", "M"), ("Н", "N"), ("О", "O"), ("П", "P"),
    ("Р", "R"), ("С", "S"), ("Т", "T"), ("У", "U"), ("Ф", "F"), ("Х", "KH"), ("Ц", "TS"),
    ("Ч", "CH"), ("Ш", "SH"), ("Щ", "SHCH"), ("Ъ", "IE"), ("Ы", "Y"), ("Ь", ""), ("Э", "E"),
    ("Ю", "IU"), ("Я", "IA"),
]  # fmt: skip


@pytest.mark.parametrize(("cyrillic", "expected"), STANDARD)
def test_every_row_of_the_table(cyrillic: str, expected: str) -> None:
    # In capitals, as the standard prints them (the letter between two capitals).
    assert latin(f"А{cyrillic}А", lang="ru") == f"A{expected}A"
    assert latin(f"а{cyrillic.lower()}а", lang="ru") == f"a{expected.lower()}a"


def test_the_table_has_no_other_rows() -> None:
    assert dict(STANDARD) == dict(ICAO_9303)


def test_ukrainian_i_is_y() -> None:
    # The table's note: И is Y in Ukrainian.
    assert latin("Микола", lang="uk") == "Mykola"
    assert latin("Микола", lang="ru") == "Mikola"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Шевченко Тарас", "Shevchenko Taras"),
        ("ШЕВЧЕНКО ТАРАС", "SHEVCHENKO TARAS"),
        ("Щербаков Юрий", "Shcherbakov Iurii"),
        ("Фёдор Алексеевич Чайковский", "Fedor Alekseevich Chaikovskii"),
        ("Подъячев", "Podieiachev"),
        ("Игорь Ильин", "Igor Ilin"),
        ("Юлия Щеглова", "Iuliia Shcheglova"),
        ("Жанна Хрусталёва", "Zhanna Khrustaleva"),
        # Ukrainian: Ї, Є, Ґ, І (and И -> Y, found from the Ukrainian letters)
        ("Ївга Єрмоленко", "Ivga Iermolenko"),
        ("Ґалаґан Іван", "Galagan Ivan"),
        ("Ігор Шевчишин", "Igor Shevchyshyn"),
        ("Мар'яна Коваль", "Mariana Koval"),
        ("В’ячеслав", "Viacheslav"),
        ("Київ", "Kyiv"),
        ("Smith John", "Smith John"),
        ("Петров-Водкин 2", "Petrov-Vodkin 2"),
    ],
)
def test_names(name: str, expected: str) -> None:
    assert latin(name) == expected


def test_language_guess() -> None:
    assert looks_ukrainian("Ївга")
    assert not looks_ukrainian("Шевченко")
    assert not looks_ukrainian("Фёдор Ігоревич")  # ё only in Russian


@given(st.text(alphabet="".join(ICAO_9303) + "".join(ICAO_9303).lower() + " -'", max_size=30))
def test_output_is_latin_ascii(text: str) -> None:
    assert latin(text).isascii()
