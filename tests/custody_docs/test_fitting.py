"""Card text fitting: whatever the text, every line fits its column and no character is lost;
a card either holds a field's text whole or refuses it by name."""

from __future__ import annotations

import io
import re
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from safeconduct.adapters.pdf.custody_documents import (
    CARD_MIN_SIZE,
    CARD_VALUE_SIZE,
    capture_card_pdf,
    fit,
    wrap,
)
from safeconduct.adapters.pdf.fonts import SANS_BOLD, text_width
from safeconduct.custody.health import HealthCategory
from safeconduct.custody.record import Registration
from safeconduct.errors import InvalidValueError

LETTERS = st.characters(
    whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x04FF, blacklist_characters="\x00"
)
TEXT = st.text(alphabet=st.one_of(LETTERS, st.just(" "), st.sampled_from(",.-№'")), max_size=200)


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


@given(text=TEXT, width=st.floats(min_value=40, max_value=300))
def test_wrapped_lines_fit_and_keep_every_character(text: str, width: float) -> None:
    size, lines = fit(text, SANS_BOLD, width)
    assert CARD_MIN_SIZE <= size <= CARD_VALUE_SIZE
    assert all(text_width(line, SANS_BOLD, size) <= width + 1e-6 for line in lines)
    assert _bare("".join(lines)) == _bare(text)


def test_wrap_breaks_at_spaces_first() -> None:
    lines = wrap("aaa bbb ccc", SANS_BOLD, 8, text_width("aaa bbb", SANS_BOLD, 8) + 0.1)
    assert lines == ["aaa bbb", "ccc"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(["surname", "power", "next_of_kin", "place_of_birth", "rank"]),
    text=TEXT.filter(lambda t: t.strip() != ""),
)
def test_a_card_holds_a_field_whole_or_names_it(field: str, text: str) -> None:
    values: dict[str, object] = {
        "surname": "Petrenko",
        "first_names": "Ivan",
        "rank": "Private",
        "date_of_birth": date(1990, 1, 1),
        "service_number": "123",
        "captured_on": date(2025, 3, 14),
        "health": HealthCategory.GOOD,
        "language": "en",
    }
    values[field] = text.strip()
    reg = Registration(**values)  # type: ignore[arg-type]
    try:
        pdf = capture_card_pdf(reg, ["ru"])
    except InvalidValueError as err:
        assert err.field == field
        return
    front = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert _bare(text) in _bare(front)
