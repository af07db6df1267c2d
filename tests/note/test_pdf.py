"""The PDF: every language's text extracts, every font is embedded, the QR code decodes."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from safeconduct.note import content as msg
from safeconduct.note import parse_qr_payload
from safeconduct.note.catalog import load
from safeconduct.note.layout import MM, PAPERS
from safeconduct.services.note import NoteSummary

from .conftest import CODE, HOTLINE


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _page_texts(path) -> list[str]:
    return [_flat(page.extract_text()) for page in PdfReader(path).pages]


def test_one_page_per_language_in_order(drop_card: NoteSummary) -> None:
    assert drop_card.langs == ("ru", "uk", "en")
    reader = PdfReader(drop_card.path)
    assert len(reader.pages) == 3
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert width == pytest.approx(100 * MM, abs=0.01)
    assert height == pytest.approx(70 * MM, abs=0.01)


def test_drop_card_text_extracts_in_each_language(drop_card: NoteSummary) -> None:
    pages = _page_texts(drop_card.path)
    for lang, text in zip(drop_card.langs, pages, strict=True):
        tr = load(lang)
        for msgid in msg.DROP_TEXTS:
            assert _flat(tr(msgid)) in text, (lang, msgid)
        assert CODE in text


def test_sides_carry_only_their_own_language(drop_card: NoteSummary) -> None:
    ru, uk, en = _page_texts(drop_card.path)
    assert load("uk")(msg.TITLE) not in ru and load("ru")(msg.TITLE) not in uk
    assert not re.search("[\u0400-\u04ff]", en)


def test_leaflet_text_extracts_with_time_zone_and_place(leaflet: NoteSummary) -> None:
    pages = _page_texts(leaflet.path)
    uk, ru, en = pages
    for lang, text in zip(leaflet.langs, pages, strict=True):
        tr = load(lang)
        for msgid in (
            msg.CONTACT_TEXT,
            msg.PREPARE_TEXT,
            msg.LEAFLET_GUARANTEES,
            msg.STEPS[4].text,
        ):
            assert _flat(tr(msgid)) in text, (lang, msgid)
        assert HOTLINE in text and CODE in text
        # 06:30+03:00 is 05:30 in Kyiv in March (UTC+2), printed with the zone named
        assert "05:30" in text and "UTC+02:00" in text
        assert "37U DQ 12345 67890" in text
    assert "14 березня 2025 р. о 05:30" in uk and "Київ, UTC+02:00" in uk  # noqa: RUF001
    assert "14 марта 2025 г., 05:30" in ru and "Киев, UTC+02:00" in ru  # noqa: RUF001
    assert "Kyiv, UTC+02:00" in en
    assert leaflet.meeting_time == "March 14, 2025 at 05:30 (time zone: Kyiv, UTC+02:00)"


def _font_dicts(path):
    for page in PdfReader(path).pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            if font["/Subtype"] == "/Type0":
                for desc in font["/DescendantFonts"]:
                    yield desc.get_object()
            else:
                yield font


@pytest.mark.parametrize("which", ["drop_card", "leaflet"])
def test_every_font_is_embedded(which: str, request: pytest.FixtureRequest) -> None:
    summary = request.getfixturevalue(which)
    fonts = list(_font_dicts(summary.path))
    assert fonts
    for font in fonts:
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
        assert "DejaVu" in str(font["/BaseFont"])


def _decode(png_path) -> list[str]:
    with Image.open(png_path) as image:
        return [r.text for r in zxingcpp.read_barcodes(image) if r.format.name == "QRCode"]


def test_qr_code_on_the_card_decodes_to_the_case_code(drop_card: NoteSummary) -> None:
    for png in drop_card.png_paths:
        (payload,) = _decode(png)
        assert payload == drop_card.qr_payload
        assert parse_qr_payload(payload) == {"case": CODE}


def test_qr_code_on_the_leaflet_carries_the_hotline(leaflet: NoteSummary) -> None:
    (payload,) = _decode(leaflet.png_paths[0])
    assert payload == f"SAFE CONDUCT\nCASE {CODE}\nHOTLINE {HOTLINE}"
    assert parse_qr_payload(payload) == {"case": CODE, "hotline": HOTLINE}


@pytest.mark.parametrize("which", ["drop_card", "leaflet"])
def test_png_preview_is_300_dpi_dark_ink_on_light_paper(
    which: str, request: pytest.FixtureRequest
) -> None:
    summary = request.getfixturevalue(which)
    paper = PAPERS[summary.size]
    assert [p.name for p in summary.png_paths] == [
        f"{summary.path.stem}-{i}.png" for i in range(1, len(summary.langs) + 1)
    ]
    for png in summary.png_paths:
        with Image.open(png) as image:
            assert image.size == (
                pytest.approx(paper.width_mm / 25.4 * 300, abs=1),
                pytest.approx(paper.height_mm / 25.4 * 300, abs=1),
            )
            assert image.info["dpi"] == (pytest.approx(300, abs=0.1), pytest.approx(300, abs=0.1))
            grey = image.convert("L")
            hist = grey.histogram()
        total = sum(hist)
        dark = sum(hist[:64]) / total
        light = sum(hist[192:]) / total
        assert 0.04 < dark < 0.5, dark  # ink is there, and not everywhere
        assert light > 0.5, light  # on light paper
        assert dark + light > 0.9  # high contrast: little grey
        assert grey.getpixel((2, 2)) > 240  # white margin
