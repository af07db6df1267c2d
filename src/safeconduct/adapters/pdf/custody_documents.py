"""The prisoner-of-war paperwork as PDFs (reportlab), and the NIB exports.

- the **capture card** (Art. 70, Annex IV B GC III): exactly 150 x 105 mm, two pages
  (the filled side, then the address side with the Art. 17 notice), every label in each of
  the card's two or three languages, the prisoner's own first;
- the **receipt** for money and valuables taken (Art. 18), A5, with two signature lines;
- the **evacuation list** of one transport (Art. 19-20), A4;
- the **notifications to the National Information Bureau** (Art. 122), A4; their JSON and
  CSV exports are :mod:`safeconduct.adapters.formats.nib_export`'s.

Text is set in the note's fonts (DejaVu Sans, subset and embedded, extractable), in the
``custody`` catalogues (:mod:`safeconduct.custody.catalog`). Names are printed as given,
with their ICAO Doc 9303 Latin transliteration alongside. On the card, a value too long for
its line is set smaller (down to :data:`CARD_MIN_SIZE`), then wrapped, never cut; if the
card still cannot hold it, :class:`~safeconduct.errors.InvalidValueError` names the field and
nothing is written. Every file is rendered in memory first and written atomically.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from safeconduct.adapters.files.atomic import check_writable, write_bytes_atomic
from safeconduct.adapters.formats import nib_export
from safeconduct.adapters.pdf.fonts import (
    SANS,
    SANS_BOLD,
    missing_glyphs,
    register_fonts,
    text_width,
)
from safeconduct.custody import texts
from safeconduct.custody.catalog import Translations, document_languages, load
from safeconduct.custody.effects import Receipt
from safeconduct.custody.evacuation import EvacuationList
from safeconduct.custody.nib import NibNotification
from safeconduct.custody.record import NotGiven, Registration
from safeconduct.custody.transliteration import latin
from safeconduct.errors import InvalidValueError
from safeconduct.note.layout import wrap as wrap_line
from safeconduct.note.typefaces import right_to_left_scripts

#: The capture card's page: Annex IV B's 15 x 10.5 cm, in points.
CARD_SIZE = (150 * mm, 105 * mm)
#: Card margin, points.
CARD_MARGIN = 5 * mm
#: Type size of a card value, points, and the smallest it may shrink to before wrapping.
CARD_VALUE_SIZE = 8.0
CARD_MIN_SIZE = 6.0
#: Type size of the card's labels (every language), points.
CARD_LABEL_SIZE = 5.3
#: The most lines one card value may take.
CARD_MAX_LINES = 4
#: Height of a row left blank to be filled by hand, points.
CARD_BLANK_ROW = 13.0

Measure = Callable[[str, str, float], float]


# ----------------------------------------------------------------- shared


@dataclass(frozen=True)
class _Words:
    """The document's languages and their catalogues."""

    langs: tuple[Translations, ...]

    def each(self, msgid: str, sep: str = " / ") -> str:
        """``msgid`` in every language of the document, joined (duplicates once)."""
        seen: list[str] = []
        for tr in self.langs:
            text = tr(msgid)
            if text not in seen:
                seen.append(text)
        return sep.join(seen)

    @property
    def codes(self) -> list[str]:
        return [tr.lang for tr in self.langs]


def document_words(langs: Sequence[str], own: str, *, most: int | None = None) -> _Words:
    """The catalogues of a document's languages: ``own`` first (see ``document_languages``)."""
    if isinstance(langs, str):
        langs = [part for part in langs.split(",") if part.strip()]
    codes = document_languages(langs, own, most=most)
    return _Words(tuple(load(code) for code in codes))


def _name(value: str | NotGiven | None, words: _Words, lang: str | None = None) -> str:
    """A name as given, with its ICAO 9303 Latin spelling alongside when it differs
    (``lang``: the person's language, for the Ukrainian rule; None guesses)."""
    if value is None:
        return ""
    if isinstance(value, NotGiven):
        return words.each(texts.NOT_GIVEN)
    roman = latin(value, lang=lang)
    return value if roman == value else f"{value} ({roman})"


def _value(value: object, words: _Words) -> str:
    """A field's printed form: as given, ISO dates, localised "not given", "" for none."""
    if value is None:
        return ""
    if isinstance(value, NotGiven):
        return words.each(texts.NOT_GIVEN)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _receipt_name(name: str, words: _Words, lang: str) -> str:
    # A receipt may be issued before registration, to a prisoner who gave no name.
    if name.strip().casefold() == NotGiven.NOT_GIVEN.value:
        return words.each(texts.NOT_GIVEN)
    return _name(name, words, lang)


def check_printable(text: str, field: str) -> None:
    """Refuse ``text`` when the documents' fonts cannot draw one of its characters (it would
    print as an empty box: a value lost without a word).

    Raises
    ------
    InvalidValueError
        Naming ``field`` and the characters, or the right-to-left script the documents
        cannot set (they draw each line left to right, unjoined: it would print reversed).
    """
    scripts = right_to_left_scripts(text)
    if scripts:
        raise InvalidValueError(
            f"{field} is in {' or '.join(scripts)} script, which the documents cannot set "
            "(written right to left, it would print reversed); write it in Latin letters",
            field=field,
        )
    missing = sorted(set(missing_glyphs(text, SANS)) | set(missing_glyphs(text, SANS_BOLD)))
    if missing:
        raise InvalidValueError(
            f"{field} has characters the documents' font cannot print: "
            f"{', '.join(repr(ch) for ch in missing)}; write them in another way",
            field=field,
        )


def _amount(amount: Decimal) -> str:
    return format(amount, "f")


# ----------------------------------------------------------------- line fitting


def wrap(
    text: str, font: str, size: float, width: float, measure: Measure = text_width
) -> list[str]:
    """``text`` broken into lines no wider than ``width`` points: each paragraph (``\n``)
    as the note wraps its lines (at spaces, inside a word only when the word alone is too
    wide), an empty paragraph kept as an empty line. Nothing is dropped."""
    return [
        line
        for paragraph in text.split("\n")
        for line in (wrap_line(paragraph, font, size, width, measure) or [""])
    ]


def fit(
    text: str,
    font: str,
    width: float,
    *,
    size: float = CARD_VALUE_SIZE,
    min_size: float = CARD_MIN_SIZE,
    measure: Measure = text_width,
) -> tuple[float, list[str]]:
    """The type size and lines of ``text`` in ``width`` points: one line at the largest size
    from ``size`` down to ``min_size`` (half-point steps) that fits, else wrapped at
    ``min_size``."""
    s = size
    while s >= min_size - 1e-9:
        if measure(text, font, s) <= width:
            return s, [text]
        s -= 0.5
    return min_size, wrap(text, font, min_size, width, measure)


# ----------------------------------------------------------------- capture card


@dataclass(frozen=True)
class _Row:
    field: str
    number: str
    label_lines: list[str]
    value_lines: list[str]
    value_size: float
    height: float


_CARD_FIELDS = (
    "power",
    "surname",
    "first_names",
    "fathers_first_name",
    "date_of_birth",
    "place_of_birth",
    "rank",
    "service_number",
    "next_of_kin",
    "captured_on",
    "health",
    "present_address",
)


def card_values(reg: Registration, words: _Words) -> dict[str, str]:
    """What the card prints for each of its fields ("" where left to be filled by hand)."""
    values = {name: _value(getattr(reg, name, None), words) for name in _CARD_FIELDS}
    values["surname"] = _name(reg.surname, words, reg.language)
    values["first_names"] = _name(reg.first_names, words, reg.language)
    values["fathers_first_name"] = _name(reg.fathers_first_name, words, reg.language)
    values["health"] = words.each(texts.HEALTH_LABELS[reg.health.value])
    address = [part for part in (reg.prisoner_number, reg.present_address) if part]
    values["present_address"] = ", ".join(address)
    return values


def _card_rows(reg: Registration, words: _Words, measure: Measure) -> list[_Row]:
    width = CARD_SIZE[0] - 2 * CARD_MARGIN
    label_w = 60 * mm
    value_w = width - label_w - 2 * mm
    values = card_values(reg, words)
    rows = []
    for i, name in enumerate(_CARD_FIELDS, start=1):
        label = f"{i}. " + words.each(texts.FIELD_LABELS[name])
        label_lines = wrap(label, SANS, CARD_LABEL_SIZE, label_w, measure)
        text = values[name]
        check_printable(text, name)
        if text:
            size, lines = fit(text, SANS_BOLD, value_w, measure=measure)
            if len(lines) > CARD_MAX_LINES:
                raise InvalidValueError(
                    f"{name} is too long for the capture card ({len(text)} characters need "
                    f"{len(lines)} lines, at most {CARD_MAX_LINES} fit); shorten it",
                    field=name,
                )
        else:
            size, lines = CARD_VALUE_SIZE, []
        height = (
            max(
                len(label_lines) * CARD_LABEL_SIZE * 1.2,
                len(lines) * size * 1.18 if lines else CARD_BLANK_ROW,
            )
            + 3.0
        )
        rows.append(_Row(name, str(i), label_lines, lines, size, height))
    return rows


def _draw_lines(
    canvas: Canvas, lines: Sequence[str], x: float, top: float, font: str, size: float
) -> float:
    """Draw ``lines`` from ``top`` down; returns the y below the last."""
    canvas.setFont(font, size)
    y = top
    for line in lines:
        y -= size * 1.18
        canvas.drawString(x, y + size * 0.22, line)
    return y


def capture_card_pdf(
    reg: Registration, langs: Sequence[str], *, measure: Measure = text_width
) -> bytes:
    """The Annex IV B capture card of ``reg`` as PDF bytes (two 150 x 105 mm pages).

    Raises
    ------
    InvalidValueError
        ``field="langs"``: a language without a catalogue, or more than three with the
        prisoner's own; or the field that cannot fit on the card.
    """
    register_fonts()
    words = document_words(langs, reg.language, most=3)
    page_w, page_h = CARD_SIZE
    width = page_w - 2 * CARD_MARGIN
    x0 = CARD_MARGIN
    title_size, title_lines = fit(
        words.each(texts.CARD_TITLE), SANS_BOLD, width, size=8, min_size=6, measure=measure
    )
    sub_lines = wrap(
        words.each(texts.CARD_SOURCE) + " — " + words.each(texts.CARD_LEGIBLY),
        SANS,
        CARD_LABEL_SIZE,
        width,
        measure,
    )
    rows = _card_rows(reg, words, measure)
    sign_label = wrap(
        "13. " + words.each(texts.FIELD_LABELS["date"]), SANS, CARD_LABEL_SIZE, width / 2, measure
    )
    sign_label2 = wrap(
        "14. " + words.each(texts.FIELD_LABELS["signature"]),
        SANS,
        CARD_LABEL_SIZE,
        width / 2,
        measure,
    )
    header_h = len(title_lines) * title_size * 1.18 + len(sub_lines) * CARD_LABEL_SIZE * 1.2 + 3
    footer_h = max(len(sign_label), len(sign_label2)) * CARD_LABEL_SIZE * 1.2 + 16
    need = header_h + sum(r.height for r in rows) + footer_h
    room = page_h - 2 * CARD_MARGIN
    if need > room:
        worst = max(rows, key=lambda r: (len(r.value_lines), r.height))
        raise InvalidValueError(
            f"the capture card cannot hold its text: {worst.field} takes "
            f"{len(worst.value_lines)} lines; shorten it",
            field=worst.field,
        )

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=CARD_SIZE, invariant=1, initialFontName=SANS, lang=words.codes[0])
    canvas.setTitle(words.each(texts.CARD_TITLE))
    canvas.setAuthor("safeconduct")
    canvas.setCreator("safeconduct")

    # Page 1: the filled side.
    canvas.setLineWidth(0.4)
    canvas.rect(x0 - 2, CARD_MARGIN - 2, width + 4, room + 4, stroke=1, fill=0)
    top = page_h - CARD_MARGIN
    top = _draw_lines(canvas, title_lines, x0, top, SANS_BOLD, title_size)
    top = _draw_lines(canvas, sub_lines, x0, top, SANS, CARD_LABEL_SIZE) - 3
    value_x = x0 + 62 * mm
    for row in rows:
        canvas.setLineWidth(0.25)
        canvas.line(x0, top, x0 + width, top)
        _draw_lines(canvas, row.label_lines, x0, top - 1.5, SANS, CARD_LABEL_SIZE)
        if row.value_lines:
            _draw_lines(canvas, row.value_lines, value_x, top - 1.5, SANS_BOLD, row.value_size)
        top -= row.height
    canvas.line(x0, top, x0 + width, top)
    _draw_lines(canvas, sign_label, x0, top - 1.5, SANS, CARD_LABEL_SIZE)
    _draw_lines(canvas, sign_label2, x0 + width / 2, top - 1.5, SANS, CARD_LABEL_SIZE)
    base = CARD_MARGIN + 3
    canvas.setDash(1, 1.5)
    canvas.line(x0, base, x0 + width / 2 - 6, base)
    canvas.line(x0 + width / 2, base, x0 + width, base)
    canvas.setDash()
    canvas.showPage()

    # Page 2: the address side, with the notices.
    _card_address_side(canvas, words, measure)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _card_address_side(canvas: Canvas, words: _Words, measure: Measure) -> None:
    page_w, page_h = CARD_SIZE
    width = page_w - 2 * CARD_MARGIN
    x0 = CARD_MARGIN
    top = page_h - CARD_MARGIN
    left_w = width * 0.55
    service = wrap(words.each(texts.SERVICE, "\n"), SANS_BOLD, 7, left_w, measure)
    _draw_lines(canvas, service, x0, top, SANS_BOLD, 7)
    free = wrap(words.each(texts.POSTAGE_FREE, "\n"), SANS, 6, width - left_w - 4, measure)
    _draw_lines(canvas, free, x0 + left_w + 4, top, SANS, 6)
    # The address block, to the Central Agency (today the ICRC's Central Tracing Agency).
    address = [
        *wrap(words.each(texts.AGENCY, "\n"), SANS_BOLD, 7, width * 0.5, measure),
        *wrap(words.each(texts.ICRC, "\n"), SANS, 6.5, width * 0.5, measure),
    ]
    box_top = top - 34
    _draw_lines(canvas, address, x0 + width * 0.47, box_top, SANS_BOLD, 6.5)
    # The notices, in every language, set as large as the space below allows.
    notes = []
    for tr in words.langs:
        notes.append(f"{tr(texts.CARD_IMPORTANT)} {tr(texts.ART17_NOTICE)}")
    room = box_top - len(address) * 6.5 * 1.18 - 8 - CARD_MARGIN
    size = 6.0
    while True:
        lines: list[str] = []
        for note in notes:
            lines += wrap(note, SANS, size, width, measure)
        if len(lines) * size * 1.18 + 2 * len(notes) <= room or size <= 4.0:
            break
        size -= 0.25
    y = CARD_MARGIN + room
    canvas.setLineWidth(0.25)
    canvas.line(x0, y + 2, x0 + width, y + 2)
    for note in notes:
        y = _draw_lines(canvas, wrap(note, SANS, size, width, measure), x0, y, SANS, size) - 2


# ----------------------------------------------------------------- flowing documents


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("base", fontName=SANS, fontSize=8.5, leading=10.5)
    return {
        "title": ParagraphStyle(
            "title", parent=base, fontName=SANS_BOLD, fontSize=11, leading=13.5
        ),
        "source": ParagraphStyle("source", parent=base, fontSize=7.5, leading=9),
        "body": base,
        "label": ParagraphStyle("label", parent=base, fontSize=7, leading=8.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=9.8),
        "bold": ParagraphStyle("bold", parent=base, fontName=SANS_BOLD),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.5),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _heading(words: _Words, title: str, source: str, st: dict[str, ParagraphStyle]) -> list:
    return [
        _p(words.each(title, "\n"), st["title"]),
        Spacer(1, 2),
        _p(words.each(source), st["source"]),
        Spacer(1, 8),
    ]


def _fields_table(
    rows: Sequence[tuple[str, str]], width: float, st: dict[str, ParagraphStyle]
) -> Table:
    """Label (every language) | value, one row each."""
    data = [[_p(label, st["label"]), _p(value, st["bold"])] for label, value in rows]
    table = Table(data, colWidths=[width * 0.42, width * 0.58])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),  # not Helvetica, which is not embedded
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#888888"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _grid_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], st: dict
) -> Table:
    data = [[_p(h, st["label"]) for h in header]]
    data += [[_p(cell, st["cell"]) for cell in row] for row in rows]
    table = Table(data, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),  # not Helvetica, which is not embedded
                ("GRID", (0, 0), (-1, -1), 0.4, "#000000"),
                ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _signatures(labels: Sequence[str], width: float, st: dict) -> Table:
    """Signature lines side by side, each with its label (every language) below."""
    n = len(labels)
    data = [["" for _ in labels], [_p(label, st["small"]) for label in labels]]
    table = Table(data, colWidths=[width / n] * n, rowHeights=[28, None])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, "#000000"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),  # not Helvetica, which is not embedded
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _build(
    story: list, pagesize: tuple[float, float], margin: float, title: str, lang: str
) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=pagesize,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=title,
        author="safeconduct",
        creator="safeconduct",
        invariant=1,
        lang=lang,
        # Otherwise each page starts in Helvetica, a font the PDF would name but not embed.
        initialFontName=SANS,
        initialFontSize=8.5,
    )
    doc.build(story)
    return buf.getvalue()


def receipt_pdf(receipt: Receipt, langs: Sequence[str]) -> bytes:
    """The Art. 18 receipt as PDF bytes (A5), in the prisoner's language and ``langs``."""
    words = document_words(langs, receipt.language)
    for field, text in (("prisoner_name", receipt.prisoner_name), ("place", receipt.place)):
        check_printable(text, field)
    for item in receipt.items:
        check_printable(item.description, "items")
    st = _styles()
    margin = 12 * mm
    width = A5[0] - 2 * margin
    story = _heading(words, texts.RECEIPT_TITLE, texts.RECEIPT_SOURCE, st)
    info = [
        (words.each(texts.RECEIPT_NUMBER), receipt.number),
        (words.each(texts.PRISONER), _receipt_name(receipt.prisoner_name, words, receipt.language)),
        (words.each(texts.FIELD_LABELS["prisoner_number"]), receipt.prisoner_number or ""),
        (words.each(texts.FIELD_LABELS["date"]), receipt.issued_on.isoformat()),
        (words.each(texts.PLACE), receipt.place),
    ]
    story += [_fields_table(info, width, st), Spacer(1, 8)]
    story += [_p(tr(texts.RECEIPT_INTRO), st["body"]) for tr in words.langs]
    story.append(Spacer(1, 6))
    header = [
        words.each(texts.ITEM_NO),
        words.each(texts.DESCRIPTION),
        words.each(texts.AMOUNT),
        words.each(texts.CURRENCY),
    ]
    rows = [
        [str(i), item.description, _amount(item.amount), item.currency]
        for i, item in enumerate(receipt.items, start=1)
    ]
    total = words.each(texts.TOTAL)
    rows += [["", total, _amount(amount), cur] for cur, amount in sorted(receipt.totals().items())]
    story.append(_grid_table(header, rows, [width * w for w in (0.1, 0.5, 0.22, 0.18)], st))
    story.append(Spacer(1, 14))
    story.append(
        KeepTogether(
            [
                _signatures(
                    [
                        words.each(texts.OFFICER_SIGNATURE) + "\n" + words.each(texts.OFFICER_NAME),
                        words.each(texts.PRISONER_SIGNATURE),
                    ],
                    width,
                    st,
                ),
                Spacer(1, 10),
                *[_p(tr(texts.KEEPS_COPY), st["bold"]) for tr in words.langs],
            ]
        )
    )
    return _build(story, A5, margin, words.each(texts.RECEIPT_TITLE), words.codes[0])


def evacuation_list_pdf(lst: EvacuationList, langs: Sequence[str]) -> bytes:
    """The Art. 19-20 evacuation list as PDF bytes (A4)."""
    words = document_words(langs, "")
    for field in ("from_place", "to_place", "escort"):
        check_printable(getattr(lst, field), field)
    for entry in lst.entries:
        check_printable(f"{entry.prisoner_number} {entry.name}", "entries")
    st = _styles()
    margin = 15 * mm
    width = A4[0] - 2 * margin
    story = _heading(words, texts.EVACUATION_TITLE, texts.EVACUATION_SOURCE, st)
    info = [
        (words.each(texts.FIELD_LABELS["date"]), lst.on.isoformat()),
        (words.each(texts.FROM), lst.from_place),
        (words.each(texts.TO), lst.to_place),
        (words.each(texts.ESCORT), lst.escort),
        (words.each(texts.HEADCOUNT), str(len(lst.entries))),
    ]
    story += [_fields_table(info, width, st), Spacer(1, 10)]
    header = [
        words.each(texts.ITEM_NO),
        words.each(texts.FIELD_LABELS["prisoner_number"]),
        words.each(texts.NAMES),
        words.each(texts.LATIN),
        words.each(texts.FIELD_LABELS["health"]),
    ]
    rows = [
        [
            str(i),
            entry.prisoner_number,
            entry.name,
            latin(entry.name),
            words.each(texts.HEALTH_LABELS[entry.health.value]),
        ]
        for i, entry in enumerate(lst.entries, start=1)
    ]
    widths = [width * w for w in (0.06, 0.16, 0.27, 0.24, 0.27)]
    story += [_grid_table(header, rows, widths, st), Spacer(1, 18)]
    story.append(
        _signatures(
            [words.each(texts.ESCORT_SIGNATURE), words.each(texts.RECEIVER_SIGNATURE)], width, st
        )
    )
    return _build(story, A4, margin, words.each(texts.EVACUATION_TITLE), words.codes[0])


def _notification_rows(n: NibNotification, words: _Words) -> list[tuple[str, str]]:
    reg = n.registration
    label = texts.FIELD_LABELS

    def dash(text: str) -> str:
        return text or "—"

    return [
        (words.each(texts.EVENT), words.each(texts.EVENT_LABELS[n.event.value])),
        (words.each(texts.EVENT_DATE), n.occurred_on.isoformat()),
        (words.each(texts.PLACE), dash(_value(n.place, words))),
        (words.each(texts.DETAILS), dash(_value(n.details, words))),
        (words.each(label["prisoner_number"]), dash(_value(reg.prisoner_number, words))),
        (words.each(texts.SURNAME), _name(reg.surname, words, reg.language)),
        (words.each(texts.FIRST_NAMES), _name(reg.first_names, words, reg.language)),
        (words.each(label["rank"]), _value(reg.rank, words)),
        (words.each(label["service_number"]), _value(reg.service_number, words)),
        (words.each(label["date_of_birth"]), _value(reg.date_of_birth, words)),
        (words.each(label["place_of_birth"]), dash(_value(reg.place_of_birth, words))),
        (words.each(label["power"]), dash(_value(reg.power, words))),
        (
            words.each(label["fathers_first_name"]),
            dash(_name(reg.fathers_first_name, words, reg.language)),
        ),
        (
            words.each(label["mothers_maiden_name"]),
            dash(_name(reg.mothers_maiden_name, words, reg.language)),
        ),
        (words.each(texts.PERSON_TO_INFORM), dash(_value(reg.next_of_kin, words))),
        (words.each(label["captured_on"]), reg.captured_on.isoformat()),
        (words.each(label["health"]), words.each(texts.HEALTH_LABELS[reg.health.value])),
    ]


def nib_pdf(notifications: Sequence[NibNotification], langs: Sequence[str]) -> bytes:
    """The Art. 122 notifications as a printable PDF (A4), one block each.

    Raises
    ------
    InvalidValueError
        ``field="notifications"`` when there is none; ``field="langs"`` for a language
        without a catalogue.
    """
    if not notifications:
        raise InvalidValueError("there is no notification to print", field="notifications")
    words = document_words(langs, "")
    for n in notifications:
        for field in ("place", "details"):
            check_printable(getattr(n, field) or "", field)
        for field, value in vars(n.registration).items():
            if isinstance(value, str):
                check_printable(value, field)
    st = _styles()
    margin = 15 * mm
    width = A4[0] - 2 * margin
    story = _heading(words, texts.NIB_TITLE, texts.NIB_SOURCE, st)
    for n in notifications:
        story.append(KeepTogether([_fields_table(_notification_rows(n, words), width, st)]))
        story.append(Spacer(1, 12))
    return _build(story, A4, margin, words.each(texts.NIB_TITLE), words.codes[0])


# ----------------------------------------------------------------- the port


class ReportlabCustodyDocuments:
    """The custody documents and exports on the local file system (``CustodyDocuments``).

    Each document is rendered in memory (raising on bad input before any file is touched)
    and then written atomically.
    """

    def render_capture_card(
        self, registration: Registration, langs: Sequence[str], out_path: str | os.PathLike[str]
    ) -> None:
        check_writable(out_path)
        write_bytes_atomic(out_path, capture_card_pdf(registration, langs))

    def render_receipt(
        self, receipt: Receipt, langs: Sequence[str], out_path: str | os.PathLike[str]
    ) -> None:
        check_writable(out_path)
        write_bytes_atomic(out_path, receipt_pdf(receipt, langs))

    def render_evacuation_list(
        self, lst: EvacuationList, langs: Sequence[str], out_path: str | os.PathLike[str]
    ) -> None:
        check_writable(out_path)
        write_bytes_atomic(out_path, evacuation_list_pdf(lst, langs))

    def render_nib_pdf(
        self,
        notifications: Sequence[NibNotification],
        langs: Sequence[str],
        out_path: str | os.PathLike[str],
    ) -> None:
        check_writable(out_path)
        write_bytes_atomic(out_path, nib_pdf(notifications, langs))

    def write_nib_json(
        self, notifications: Sequence[NibNotification], out_path: str | os.PathLike[str]
    ) -> None:
        nib_export.write_nib_json(notifications, out_path)

    def write_nib_csv(
        self, notifications: Sequence[NibNotification], out_path: str | os.PathLike[str]
    ) -> None:
        nib_export.write_nib_csv(notifications, out_path)
