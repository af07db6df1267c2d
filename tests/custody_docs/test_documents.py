"""The custody PDFs: exact page sizes, every language's text, fonts embedded, nothing cut off."""

# Names and words as the documents print them, in Cyrillic.
# ruff: noqa: RUF001

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm

from safeconduct.adapters.pdf.custody_documents import (
    CARD_MIN_SIZE,
    CARD_VALUE_SIZE,
    ReportlabCustodyDocuments,
    card_values,
    document_words,
    fit,
)
from safeconduct.adapters.pdf.fonts import SANS_BOLD, text_width
from safeconduct.custody import texts
from safeconduct.custody.catalog import load
from safeconduct.custody.effects import Receipt
from safeconduct.custody.evacuation import EvacuationList
from safeconduct.custody.nib import NibNotification
from safeconduct.custody.record import Registration
from safeconduct.errors import InvalidValueError

from .conftest import full_registration

DOCS = ReportlabCustodyDocuments()


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _bare(text: str) -> str:
    """Without any blank: a value wrapped inside a word is still found whole."""
    return re.sub(r"\s+", "", text)


def pages(path: Path) -> list[str]:
    return [_flat(page.extract_text()) for page in PdfReader(path).pages]


def sizes(path: Path) -> set[tuple[float, float]]:
    return {
        (round(float(p.mediabox.width), 3), round(float(p.mediabox.height), 3))
        for p in PdfReader(path).pages
    }


def fonts(path: Path) -> list:
    out = []
    for page in PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if font["/Subtype"] == "/Type0":
                out += [d.get_object() for d in font["/DescendantFonts"]]
            else:
                out.append(font)
    return out


def assert_fonts_embedded(path: Path) -> None:
    found = fonts(path)
    assert found
    for font in found:
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font["/BaseFont"]
        assert "DejaVu" in str(font["/BaseFont"])


# ----------------------------------------------------------------- capture card


@pytest.mark.parametrize("langs", [["ru", "en"], ["en"], ["ru", "uk", "en"], ["uk"]])
def test_capture_card(tmp_path: Path, registration: Registration, langs: list[str]) -> None:
    out = tmp_path / "card.pdf"
    DOCS.render_capture_card(registration, langs, out)
    assert sizes(out) == {(round(150 * mm, 3), round(105 * mm, 3))}
    assert_fonts_embedded(out)
    front, back = pages(out)
    claimed = ["uk", *[lang for lang in langs if lang != "uk"]]
    if len(claimed) == 1:
        claimed.append("en")
    for lang in claimed:  # the prisoner's own (uk) always, the others asked for
        tr = load(lang)
        for label in texts.FIELD_LABELS.values():
            if label not in (
                texts.FIELD_LABELS["mothers_maiden_name"],
                texts.FIELD_LABELS["prisoner_number"],
            ):
                assert _flat(tr(label)) in front, (lang, label)
        assert _flat(tr(texts.ART17_NOTICE)) in back, lang
        assert _flat(tr(texts.AGENCY)) in back, lang
    for lang in {"ru", "uk", "en"} - set(claimed):
        assert _flat(load(lang)(texts.FIELD_LABELS["rank"])) not in front.split(" / "), lang
    # Every field's value, whole (wrapped lines joined), names with their Latin spelling.
    words = document_words(langs, "uk")
    for name, value in card_values(registration, words).items():
        assert _bare(value) in _bare(front), name
    assert "Шевченко (Shevchenko)" in front
    assert "Тарас Григорович (Taras Hryhorovych)" not in front  # ICAO, not Ukraine's 2010 rules
    assert "Тарас Григорович (Taras Grygorovych)" in front


def test_declined_fields_print_not_given_in_each_language(
    tmp_path: Path, declined: Registration
) -> None:
    out = tmp_path / "card.pdf"
    DOCS.render_capture_card(declined, ["en"], out)
    front = pages(out)[0]
    assert front.count("не сообщено / not given") == 5  # the five Art. 17 fields
    assert "None" not in front


def test_long_values_shrink_then_wrap_and_stay_whole(tmp_path: Path) -> None:
    long_address = (
        "Шевченко Катерина Іванівна, вулиця Героїв Небесної Сотні 125, квартира 48, "
        "місто Черкаси, Черкаська область, 18000, Україна, тел. +380 00 000 00 00"
    )
    unbroken = "Ш" * 60  # one word with no space: broken inside, never cut
    reg = full_registration(next_of_kin=long_address, place_of_birth=unbroken)
    out = tmp_path / "card.pdf"
    DOCS.render_capture_card(reg, ["en"], out)
    front = pages(out)[0]
    assert _bare(long_address) in _bare(front)
    assert _bare(unbroken) in _bare(front)


def test_fit_shrinks_before_wrapping() -> None:
    width = 80 * mm
    assert fit("Шевченко", SANS_BOLD, width) == (CARD_VALUE_SIZE, ["Шевченко"])
    medium = "Шевченко Катерина, вул. Садова 5, Черкаси, 18000"
    size, lines = fit(medium, SANS_BOLD, width)
    assert CARD_MIN_SIZE <= size < CARD_VALUE_SIZE and lines == [medium]
    long = medium * 3
    size, lines = fit(long, SANS_BOLD, width)
    assert size == CARD_MIN_SIZE and len(lines) > 1
    assert " ".join(lines).split() == long.split()
    assert all(text_width(line, SANS_BOLD, size) <= width for line in lines)


def test_too_much_text_names_the_field_and_writes_nothing(tmp_path: Path) -> None:
    text = "Слово " * 33  # 198 characters, within the registration's limit
    reg = full_registration(
        **{name: text.strip() for name in ("power", "place_of_birth", "next_of_kin",
                                           "present_address", "fathers_first_name",
                                           "first_names", "surname", "rank")}
    )  # fmt: skip
    out = tmp_path / "card.pdf"
    with pytest.raises(InvalidValueError) as err:
        DOCS.render_capture_card(reg, ["ru", "en"], out)
    assert err.value.field in {"power", "place_of_birth", "next_of_kin", "present_address",
                               "fathers_first_name", "first_names", "surname", "rank"}  # fmt: skip
    assert err.value.field in str(err.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("langs", [["de"], ["ru", "xx"]])
def test_a_language_without_a_catalogue_is_refused(
    tmp_path: Path, registration: Registration, langs: list[str]
) -> None:
    with pytest.raises(InvalidValueError) as err:
        DOCS.render_capture_card(registration, langs, tmp_path / "card.pdf")
    assert err.value.field == "langs"
    assert list(tmp_path.iterdir()) == []


def test_an_existing_card_is_replaced_whole(tmp_path: Path, registration: Registration) -> None:
    out = tmp_path / "card.pdf"
    out.write_bytes(b"old")
    with pytest.raises(InvalidValueError):
        DOCS.render_capture_card(registration, ["de"], out)
    assert out.read_bytes() == b"old"
    DOCS.render_capture_card(registration, ["en"], out)
    assert out.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["card.pdf"]


# ----------------------------------------------------------------- receipt


def test_receipt(tmp_path: Path, receipt: Receipt) -> None:
    out = tmp_path / "receipt.pdf"
    DOCS.render_receipt(receipt, ["en"], out)
    assert sizes(out) == {(round(A5[0], 3), round(A5[1], 3))}
    assert_fonts_embedded(out)
    text = " ".join(pages(out))
    for lang in ("uk", "en"):
        tr = load(lang)
        for msgid in (
            texts.RECEIPT_TITLE,
            texts.RECEIPT_INTRO,
            texts.KEEPS_COPY,
            texts.OFFICER_SIGNATURE,
            texts.PRISONER_SIGNATURE,
            texts.TOTAL,
        ):
            assert _flat(tr(msgid)) in text, (lang, msgid)  # fmt: skip
    for item in receipt.items:
        assert _bare(item.description) in _bare(text)
    assert "R-000007" in text and "PW-000042" in text and "2025-03-14" in text
    assert "Шевченко Тарас Григорович (Shevchenko Taras Grygorovych)" in text
    assert re.search(r"1750\.50 UAH", text) and re.search(r"40 EUR", text)
    assert "Пункт прийому 2" in text


def test_receipt_for_a_prisoner_who_gave_no_name(tmp_path: Path, receipt: Receipt) -> None:
    unnamed = Receipt(**{**receipt.__dict__, "prisoner_name": "not given", "language": "ru"})
    out = tmp_path / "receipt.pdf"
    DOCS.render_receipt(unnamed, ["uk"], out)
    assert "не сообщено / не повідомлено" in " ".join(pages(out))


# ----------------------------------------------------------------- evacuation list


def test_evacuation_list(tmp_path: Path, evacuation: EvacuationList) -> None:
    out = tmp_path / "evacuation.pdf"
    DOCS.render_evacuation_list(evacuation, ["uk", "ru", "en"], out)
    assert sizes(out) == {(round(A4[0], 3), round(A4[1], 3))}
    assert_fonts_embedded(out)
    text = " ".join(pages(out))
    for lang in ("uk", "ru", "en"):
        tr = load(lang)
        for msgid in (
            texts.EVACUATION_TITLE,
            texts.FROM,
            texts.TO,
            texts.ESCORT,
            texts.ESCORT_SIGNATURE,
            texts.HEALTH_LABELS["sick"],
        ):
            assert _flat(tr(msgid)) in text, (lang, msgid)  # fmt: skip
    for entry, roman in zip(
        evacuation.entries, ["Shevchenko Taras", "Ivanov Petr", "John Smith"], strict=True
    ):
        assert entry.prisoner_number in text and entry.name in text and roman in text
    for value in ("2025-03-15", "Пункт прийому 2", "Табір № 3", "Лейтенант Коваль, 4 особи"):
        assert value in text


def test_a_long_evacuation_list_runs_over_pages(tmp_path: Path, evacuation: EvacuationList) -> None:
    from safeconduct.custody.evacuation import EvacuationEntry

    many = tuple(
        EvacuationEntry(f"PW-{n:06d}", f"Петренко Іван {n}", evacuation.entries[0].health)
        for n in range(1, 121)
    )
    lst = EvacuationList(evacuation.on, evacuation.from_place, evacuation.to_place,
                         evacuation.escort, many)  # fmt: skip
    out = tmp_path / "evacuation.pdf"
    DOCS.render_evacuation_list(lst, ["en"], out)
    text = " ".join(pages(out))
    assert len(PdfReader(out).pages) > 1
    assert all(f"PW-{n:06d}" in text for n in range(1, 121))


# ----------------------------------------------------------------- NIB notifications


def test_nib_pdf(tmp_path: Path, notifications: list[NibNotification]) -> None:
    out = tmp_path / "nib.pdf"
    DOCS.render_nib_pdf(notifications, ["en", "uk"], out)
    assert sizes(out) == {(round(A4[0], 3), round(A4[1], 3))}
    assert_fonts_embedded(out)
    text = " ".join(pages(out))
    for lang in ("en", "uk"):
        tr = load(lang)
        for msgid in (
            texts.NIB_TITLE,
            texts.EVENT_LABELS["capture"],
            texts.EVENT_LABELS["hospital_admission"],
            texts.PERSON_TO_INFORM,
        ):
            assert _flat(tr(msgid)) in text, (lang, msgid)  # fmt: skip
    reg = notifications[0].registration
    for value in (
        "PW-000042",
        "АА-123456",
        "1994-03-09",
        "Бойко (Boiko)",
        "Шпиталь № 1",
        "Поранення руки",
        "Шевченко Катерина, вул. Садова 5, Черкаси",
        reg.power,
    ):
        assert value in text, value  # fmt: skip


def test_nib_pdf_needs_a_notification(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError) as err:
        DOCS.render_nib_pdf([], ["en"], tmp_path / "nib.pdf")
    assert err.value.field == "notifications"
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------- the README's picture


def test_card_picture(tmp_path: Path, registration: Registration) -> None:
    """The filled side renders to a picture; with ``SAFECONDUCT_CARD_PNG=docs/capture-card.png``
    it is saved there (the README's picture of a capture card, at 200 dpi)."""
    from safeconduct.adapters.pdf.previews import render_pngs

    out = tmp_path / "card.pdf"
    DOCS.render_capture_card(registration, ["ru", "en"], out)
    front = render_pngs(out.read_bytes(), 200)[0]
    assert front.startswith(b"\x89PNG")
    shot = os.environ.get("SAFECONDUCT_CARD_PNG")
    if shot:  # docs/capture-card.png is made this way (README)
        Path(shot).write_bytes(front)


def test_a_character_the_font_cannot_print_is_refused_by_name(
    tmp_path: Path, receipt: Receipt
) -> None:
    with pytest.raises(InvalidValueError) as err:
        DOCS.render_capture_card(full_registration(surname="王"), ["en"], tmp_path / "card.pdf")
    assert err.value.field == "surname" and "王" in str(err.value)
    bad = Receipt(**{**receipt.__dict__, "place": "王府井"})
    with pytest.raises(InvalidValueError) as err:
        DOCS.render_receipt(bad, ["en"], tmp_path / "receipt.pdf")
    assert err.value.field == "place"
    assert list(tmp_path.iterdir()) == []
