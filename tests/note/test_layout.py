"""Layout: every language fits every paper it should, type as large as the paper allows.

The layout measures text through the measure it is given; these tests give it the PDF
adapter's, the one the note is printed with.
"""

from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from safeconduct.adapters.pdf.fonts import text_width
from safeconduct.adapters.pdf.pictograms import PICTOGRAMS
from safeconduct.note.catalog import available_languages, load
from safeconduct.note.layout import (
    MM,
    PAPERS,
    BoxItem,
    NoteContent,
    PictureItem,
    QRItem,
    TextItem,
    layout_page,
    wrap,
    zone_name,
)
from safeconduct.note.qr import qr_payload
from safeconduct.note.typefaces import SANS, TYPEFACES
from safeconduct.terrain.coords import GeoPoint

CODE = "7KDMTW3K"
DROP = NoteContent("drop", CODE, qr_payload(CODE))
LEAFLET = NoteContent(
    "leaflet",
    CODE,
    qr_payload(CODE, "@safeconduct_hotline_bot"),
    hotline="@safeconduct_hotline_bot",
    meeting_time=dt.datetime(2025, 11, 2, 17, 45, tzinfo=ZoneInfo("Europe/Moscow")),
    meeting_point=GeoPoint(48.61, 38.02),
)


def _inside(page, item, margin: float) -> bool:
    """The item lies within the page's margins (text: its baseline and its width)."""
    lo_x, hi_x, lo_y, hi_y = margin, page.width - margin, margin, page.height - margin
    if isinstance(item, TextItem):
        right = item.x + text_width(item.text, item.font, item.size)
        return lo_x - 0.01 <= item.x and right <= hi_x + 0.01 and lo_y < item.y < hi_y
    if isinstance(item, BoxItem):
        w, h = item.w, item.h
    else:
        w = h = item.size
    return (
        lo_x - 0.01 <= item.x
        and item.x + w <= hi_x + 0.01
        and lo_y - 0.01 <= item.y
        and item.y + h <= hi_y + 0.01
    )


@pytest.mark.parametrize("lang", available_languages())
@pytest.mark.parametrize("paper", list(PAPERS))
def test_drop_card_fits_every_paper(lang: str, paper: str) -> None:
    page = layout_page(load(lang), DROP, PAPERS[paper], text_width)
    assert page.body_size >= PAPERS[paper].min_body_pt
    assert all(_inside(page, item, PAPERS[paper].margin_mm * MM) for item in page.items)
    pictures = {i.name for i in page.items if isinstance(i, PictureItem)}
    assert set(PICTOGRAMS) <= pictures
    assert sum(isinstance(i, QRItem) for i in page.items) == 1


@pytest.mark.parametrize("lang", available_languages())
@pytest.mark.parametrize("paper", ["a6", "a5"])
def test_leaflet_fits_a6_and_a5(lang: str, paper: str) -> None:
    page = layout_page(load(lang), LEAFLET, PAPERS[paper], text_width)
    assert all(_inside(page, item, PAPERS[paper].margin_mm * MM) for item in page.items)
    assert "@safeconduct_hotline_bot" in page.texts()


def test_bigger_paper_gets_bigger_type() -> None:
    sizes = [
        layout_page(load("ru"), DROP, PAPERS[p], text_width).body_size for p in ("card", "a6", "a5")
    ]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert sizes[1] >= 10  # large type on an A6 card


def test_zone_is_named_with_its_offset() -> None:
    moment = dt.datetime(2025, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Kyiv"))
    assert zone_name(moment, "en") == "Kyiv, UTC+03:00"
    assert zone_name(moment, "uk") == "Київ, UTC+03:00"
    fixed = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30)))
    assert zone_name(fixed, "ru") == "UTC-03:30"
    assert zone_name(moment.astimezone(ZoneInfo("UTC")), "ru") == "UTC+00:00"


def test_wrap_breaks_at_spaces_and_splits_overlong_words() -> None:
    lines = wrap("a " * 30 + "https://example.org/" + "x" * 60, SANS, 10, 100, text_width)
    assert all(text_width(line, SANS, 10) <= 100 for line in lines)
    assert "".join(lines).replace(" ", "") == ("a" * 30 + "https://example.org/" + "x" * 60)


def test_layout_measures_with_the_measure_it_is_given() -> None:
    calls: set[str] = set()

    def wide(text: str, font: str, size: float) -> float:
        calls.add(font)
        return 1.5 * text_width(text, font, size)

    normal = layout_page(load("en"), DROP, PAPERS["a6"], text_width)
    widened = layout_page(load("en"), DROP, PAPERS["a6"], wide)
    assert widened.body_size < normal.body_size  # wider letters, smaller type
    assert calls <= set(TYPEFACES) and calls
    fonts = {i.font for i in normal.items if isinstance(i, TextItem)}
    assert fonts <= set(TYPEFACES)


def _loaded_after(statement: str, watched: tuple[str, ...]) -> list[str]:
    """Which of ``watched`` a fresh interpreter has loaded after running ``statement``."""
    code = f"import sys; {statement}; print(sorted(m for m in {watched!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip())


def test_layout_reads_no_font() -> None:
    # The domain names fonts and the PDF adapter reads them; the layout loads no edge library.
    watched = ("reportlab", "matplotlib", "safeconduct.adapters")
    assert _loaded_after("import safeconduct.note.layout", watched) == []


def test_importing_the_case_code_loads_no_babel() -> None:
    # Case codes are needed on every casework request; Babel and the fonts are not.
    watched = ("babel", "reportlab", "matplotlib", "safeconduct.note.catalog")
    assert _loaded_after("import safeconduct.note.casecode, safeconduct.note", watched) == []
