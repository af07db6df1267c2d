"""Page layout: where every word, pictogram and the QR code go, as plain values.

Layout is pure computation (no file, no canvas): :func:`layout_page` turns what one page
must say into a :class:`PageLayout`, a list of positioned items that a renderer draws
(:mod:`safeconduct.adapters.pdf.render`). Text is measured through a
:class:`~safeconduct.note.typefaces.TextMeasure` the caller passes in, so the layout reads
no font file.
Type is as large as the page allows: each page is laid out at the largest body size (in
quarter points, between the paper's minimum and maximum) at which everything fits, so a
short language gets bigger letters. Coordinates are PDF points, origin bottom left.

Papers
------
``card``: 100 x 70 mm, landscape, for a small payload release; ``a6``: 105 x 148 mm and
``a5``: 148 x 210 mm, portrait.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from babel.core import UnknownLocaleError
from babel.dates import format_date, get_timezone_location

from safeconduct.errors import InvalidValueError
from safeconduct.note import content as msg
from safeconduct.note.casecode import format_case_code
from safeconduct.note.catalog import Translations
from safeconduct.note.typefaces import MONO_BOLD, SANS, SANS_BOLD, TextMeasure
from safeconduct.terrain.coords import GeoPoint

MM = 72.0 / 25.4
KINDS = ("drop", "leaflet")


@dataclass(frozen=True)
class Paper:
    """A paper size and the type sizes the layout may use on it.

    Attributes
    ----------
    name
        ``card``, ``a6`` or ``a5``.
    width_mm, height_mm
        Page size in millimetres.
    margin_mm
        White margin on every side.
    qr_mm
        Side of the QR code, quiet zone included.
    min_body_pt, max_body_pt
        Smallest and largest body type size, points.
    """

    name: str
    width_mm: float
    height_mm: float
    margin_mm: float
    qr_mm: float
    min_body_pt: float
    max_body_pt: float

    @property
    def width(self) -> float:
        return self.width_mm * MM

    @property
    def height(self) -> float:
        return self.height_mm * MM


PAPERS: dict[str, Paper] = {
    "card": Paper("card", 100.0, 70.0, 3.5, 21.0, 6.0, 12.0),
    "a6": Paper("a6", 105.0, 148.0, 5.0, 28.0, 7.0, 16.0),
    "a5": Paper("a5", 148.0, 210.0, 7.0, 38.0, 8.0, 22.0),
}


@dataclass(frozen=True)
class NoteContent:
    """What a note carries besides its fixed texts.

    Attributes
    ----------
    kind
        ``drop`` or ``leaflet``.
    case_code
        Canonical case code (no hyphen).
    qr_payload
        The text the QR code carries.
    hotline
        Hotline contact as printed, or ``None``.
    meeting_time
        Aware datetime in the zone it is to be printed in, or ``None``.
    meeting_point
        Where to be, or ``None``.
    """

    kind: str
    case_code: str
    qr_payload: str
    hotline: str | None = None
    meeting_time: dt.datetime | None = None
    meeting_point: GeoPoint | None = None


@dataclass(frozen=True)
class TextItem:
    """One line of text; ``y`` is the baseline; ``inverse`` sets it white (on a black band).

    ``font`` is one of :data:`~safeconduct.note.typefaces.TYPEFACES`; ``size`` is in points.
    """

    x: float
    y: float
    text: str
    font: str
    size: float
    inverse: bool = False


@dataclass(frozen=True)
class BoxItem:
    """A rectangle: filled with ink (``fill``) or outlined with a ``stroke`` width."""

    x: float
    y: float
    w: float
    h: float
    fill: bool = True
    stroke: float = 0.0


@dataclass(frozen=True)
class PictureItem:
    """A pictogram by name (as :data:`.content.STEPS` names them) in a ``size`` square with
    lower left (x, y); :mod:`safeconduct.adapters.pdf.pictograms` draws it."""

    name: str
    x: float
    y: float
    size: float


@dataclass(frozen=True)
class QRItem:
    """The QR code of ``payload`` in a ``size`` square, quiet zone included."""

    payload: str
    x: float
    y: float
    size: float


Item = TextItem | BoxItem | PictureItem | QRItem


@dataclass(frozen=True)
class PageLayout:
    """One laid-out page."""

    lang: str
    width: float
    height: float
    body_size: float
    items: tuple[Item, ...] = field(default_factory=tuple)

    def texts(self) -> list[str]:
        """The text lines of the page, top to bottom as laid out."""
        return [i.text for i in self.items if isinstance(i, TextItem)]


class NoteDoesNotFitError(InvalidValueError):
    """The note's text does not fit on the paper even at the smallest type size."""


class _DoesNotFitError(Exception):
    """Internal: the page does not fit at this body size."""


# ---------------------------------------------------------------------------------------
# Text


def wrap(text: str, font: str, size: float, width: float, measure: TextMeasure) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` points at spaces (a word longer than
    a line is broken between characters); ``measure`` gives each trial line's width."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}" if line else word
        if measure(trial, font, size) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        line = ""
        while measure(word, font, size) > width:
            cut = len(word) - 1
            while cut > 1 and measure(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


@dataclass
class _Flow:
    """A column filled top to bottom; raises :class:`_DoesNotFitError` past its bottom."""

    x: float
    top: float
    width: float
    bottom: float
    measure: TextMeasure
    items: list[Item] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.y = self.top

    def space(self, h: float) -> None:
        self.y -= h
        if self.y < self.bottom - 0.01:
            raise _DoesNotFitError

    def paragraph(self, text: str, font: str, size: float, *, lead: float = 1.22) -> None:
        for line in wrap(text, font, size, self.width, self.measure):
            self.space(size * lead)
            # the baseline sits above the bottom of the line box by the descenders' depth
            self.items.append(TextItem(self.x, self.y + 0.28 * size, line, font, size))

    def add(self, items: list[Item], height: float) -> None:
        """Place a block of ``height`` whose items were laid out with their top at 0."""
        self.space(height)
        top = self.y + height
        for it in items:
            self.items.append(_shift(it, self.x, top))


def _shift(item: Item, dx: float, dy: float) -> Item:
    if isinstance(item, TextItem):
        return TextItem(item.x + dx, item.y + dy, item.text, item.font, item.size, item.inverse)
    if isinstance(item, BoxItem):
        return BoxItem(item.x + dx, item.y + dy, item.w, item.h, item.fill, item.stroke)
    if isinstance(item, PictureItem):
        return PictureItem(item.name, item.x + dx, item.y + dy, item.size)
    return QRItem(item.payload, item.x + dx, item.y + dy, item.size)


# ---------------------------------------------------------------------------------------
# Blocks: each returns (items with the block's top at y = 0 and x = 0, height)


def _band(title: str, width: float, f: float, measure: TextMeasure) -> tuple[list[Item], float]:
    size = 1.45 * f
    h = 1.9 * f
    pad = 0.55 * f
    lines = wrap(title, SANS_BOLD, size, width - 2 * pad, measure)
    if len(lines) != 1:
        raise _DoesNotFitError
    baseline = -h / 2 - 0.36 * size
    return [BoxItem(0, -h, width, h), TextItem(pad, baseline, lines[0], SANS_BOLD, size, True)], h


def _step_row(
    number: int,
    step: msg.Step,
    tr: Translations,
    width: float,
    f: float,
    picture: float,
    measure: TextMeasure,
) -> tuple[list[Item], float]:
    """Number, pictograms and text of one step, side by side."""
    num_size = 1.35 * f
    num_w = measure("8", SANS_BOLD, num_size) + 0.45 * f
    arrow = 0.42 * picture
    pics_w = 2 * picture + arrow
    gap = 0.5 * f
    text_w = width - num_w - pics_w - gap
    if text_w < 6 * f:
        raise _DoesNotFitError
    lead = 1.2 * f
    lines = wrap(tr(step.text), SANS_BOLD, f, text_w, measure)
    text_h = len(lines) * lead
    h = max(picture, text_h)
    items: list[Item] = [TextItem(0, -h / 2 - 0.36 * num_size, str(number), SANS_BOLD, num_size)]
    pic_y = -h / 2 - picture / 2
    px = num_w
    names = step.pictograms
    if len(names) == 1:
        items.append(PictureItem(names[0], px + (pics_w - picture) / 2, pic_y, picture))
    else:
        items.append(PictureItem(names[0], px, pic_y, picture))
        items.append(
            PictureItem("then", px + picture + 0.1 * arrow, -h / 2 - 0.4 * arrow, 0.8 * arrow)
        )
        items.append(PictureItem(names[1], px + picture + arrow, pic_y, picture))
    tx = num_w + pics_w + gap
    y = -h / 2 + text_h / 2
    for line in lines:
        y -= lead
        items.append(TextItem(tx, y + 0.27 * f, line, SANS_BOLD, f))
    return items, h


def _steps(flow: _Flow, tr: Translations, f: float, picture: float, extra: float) -> None:
    for n, step in enumerate(msg.STEPS, start=1):
        items, h = _step_row(n, step, tr, flow.width, f, picture, flow.measure)
        flow.add(items, h)
        if n < len(msg.STEPS):
            flow.space(0.45 * f + extra)


def _qr_block(
    content: NoteContent, q: float, f: float, measure: TextMeasure
) -> tuple[list[Item], float]:
    """QR code with the printed case code under it (for the reception team)."""
    code = format_case_code(content.case_code)
    size = min(1.5 * f, 0.95 * q / (measure(code, MONO_BOLD, 1.0)))
    items: list[Item] = [QRItem(content.qr_payload, 0, -q, q)]
    code_w = measure(code, MONO_BOLD, size)
    items.append(TextItem((q - code_w) / 2, -q - 1.05 * size, code, MONO_BOLD, size))
    return items, q + 1.35 * size


def _rule(width: float, f: float) -> tuple[list[Item], float]:
    t = max(0.6, 0.09 * f)
    return [BoxItem(0, -t, width, t)], t


# ---------------------------------------------------------------------------------------
# Pages


def _drop_page(
    tr: Translations,
    content: NoteContent,
    paper: Paper,
    f: float,
    fit: _Fit,
    measure: TextMeasure,
) -> tuple[list[Item], float]:
    m = paper.margin_mm * MM
    W, H = paper.width, paper.height
    inner = W - 2 * m
    items: list[Item] = []
    band, band_h = _band(tr(msg.TITLE), inner, f, measure)
    items += [_shift(i, m, H - m) for i in band]
    top = H - m - band_h - 0.6 * f
    q = paper.qr_mm * MM
    qr_items, qr_h = _qr_block(content, q, f, measure)
    picture = fit.picture * f
    gap = 0.8 * f
    if fit.side_qr:
        if qr_h > top - m:
            raise _DoesNotFitError
        col = _Flow(m, top, inner - q - gap, m, measure)
        _steps(col, tr, f, picture, fit.extra)
        col.space(0.6 * f)
        col.add(*_rule(col.width, f))
        col.space(0.3 * f)
        col.paragraph(tr(msg.DROP_GUARANTEES), SANS, 0.92 * f)
        items += col.items
        items += [_shift(i, W - m - q, top) for i in qr_items]
        return items, col.y - col.bottom
    # QR in a footer beside the guarantees
    footer_text = _Flow(m, 0.0, inner - q - gap, -1e9, measure)
    footer_text.paragraph(tr(msg.DROP_GUARANTEES), SANS, 0.92 * f)
    text_h = -footer_text.y
    footer_h = max(text_h, qr_h)
    col = _Flow(m, top, inner, m + footer_h + 0.6 * f, measure)
    _steps(col, tr, f, picture, fit.extra)
    items += col.items
    items += [_shift(i, 0, m + footer_h) for i in footer_text.items]
    items += [_shift(i, W - m - q, m + footer_h) for i in qr_items]
    rule_y = m + footer_h + 0.35 * f
    items.append(BoxItem(m, rule_y, inner, max(0.6, 0.09 * f)))
    return items, col.y - col.bottom


def _leaflet_page(
    tr: Translations,
    content: NoteContent,
    paper: Paper,
    f: float,
    fit: _Fit,
    measure: TextMeasure,
) -> tuple[list[Item], float]:
    m = paper.margin_mm * MM
    W, H = paper.width, paper.height
    inner = W - 2 * m
    flow = _Flow(m, H - m, inner, m, measure)
    band, band_h = _band(tr(msg.TITLE), inner, f, measure)
    flow.add(band, band_h)
    flow.space(0.35 * f)
    flow.paragraph(tr(msg.LEAFLET_SUBTITLE), SANS_BOLD, 1.15 * f)
    head = 1.1 * f
    section_gap = 0.7 * f

    # 1. Contact, with the QR code on the right.
    flow.space(section_gap)
    q = paper.qr_mm * MM * LEAFLET_QR
    qr_items: list[Item] = [QRItem(content.qr_payload, 0, -q, q)]
    cap = _Flow(0, -q - 0.2 * f, q, -1e9, measure)
    cap.paragraph(tr(msg.QR_CAPTION), SANS, 0.78 * f)
    right_h = -cap.y
    left = _Flow(0, 0, inner - q - 0.8 * f, -1e9, measure)
    left.paragraph(tr(msg.CONTACT_HEADING), SANS_BOLD, head)
    left.space(0.2 * f)
    left.paragraph(tr(msg.CONTACT_TEXT), SANS, f)
    left.space(0.35 * f)
    left.paragraph(tr(msg.HOTLINE_LABEL), SANS, f)
    left.paragraph(content.hotline or "", SANS_BOLD, 1.2 * f)
    left.space(0.25 * f)
    left.paragraph(tr(msg.CODE_LABEL), SANS, f)
    left.paragraph(format_case_code(content.case_code), MONO_BOLD, 1.35 * f)
    block: list[Item] = list(left.items)
    block += [_shift(i, inner - q, 0) for i in qr_items + cap.items]
    flow.add(block, max(-left.y, right_h))

    # 2. Prepare.
    flow.space(section_gap)
    flow.paragraph(tr(msg.PREPARE_HEADING), SANS_BOLD, head)
    flow.space(0.2 * f)
    flow.paragraph(tr(msg.PREPARE_TEXT), SANS, f)

    # 3. Where and when.
    flow.space(section_gap)
    flow.paragraph(tr(msg.WHERE_HEADING), SANS_BOLD, head)
    flow.space(0.2 * f)
    for label, lines in _where_and_when(tr, content):
        flow.paragraph(label, SANS, f)
        for i, line in enumerate(lines):
            flow.paragraph(line, SANS_BOLD if i == 0 else SANS, f)
        flow.space(0.2 * f)

    # 4. The signal and the steps.
    flow.space(section_gap)
    flow.paragraph(tr(msg.ARRIVAL_HEADING), SANS_BOLD, head)
    flow.space(0.35 * f)
    _steps(flow, tr, f, fit.picture * f, fit.extra)

    # The guarantees, framed.
    flow.space(section_gap)
    pad = 0.6 * f
    box = _Flow(pad, -pad, inner - 2 * pad, -1e9, measure)
    box.paragraph(tr(msg.LEAFLET_GUARANTEES), SANS_BOLD, 0.95 * f)
    box_h = -box.y + pad
    stroke = max(0.8, 0.12 * f)
    flow.add([BoxItem(0, -box_h, inner, box_h, fill=False, stroke=stroke), *box.items], box_h)
    return flow.items, flow.y - flow.bottom


def _where_and_when(tr: Translations, content: NoteContent) -> list[tuple[str, list[str]]]:
    agreed = tr(msg.TO_BE_AGREED)
    if content.meeting_time is not None:
        when = format_meeting_time(content.meeting_time, tr)
    else:
        when = [agreed]
    if content.meeting_point is not None:
        p = content.meeting_point
        where = [p.to_mgrs(5), f"{p.lat:.5f}, {p.lon:.5f}"]
    else:
        where = [agreed]
    return [(tr(msg.TIME_LABEL), when), (tr(msg.PLACE_LABEL), where)]


def zone_name(moment: dt.datetime, lang: str) -> str:
    """The zone of an aware ``moment`` as printed: ``"Kyiv, UTC+02:00"`` (city in ``lang``)."""
    offset = moment.utcoffset()
    assert offset is not None
    total = int(offset.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    utc = f"UTC{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"
    key = getattr(moment.tzinfo, "key", None)
    if not key or key.startswith(("Etc/", "UTC", "GMT")) or "/" not in key:
        return utc
    try:
        city = get_timezone_location(moment.tzinfo, locale=lang, return_city=True)
    except (UnknownLocaleError, LookupError, ValueError):
        city = key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city}, {utc}"


def format_meeting_time(moment: dt.datetime, tr: Translations) -> list[str]:
    """The meeting time in its own zone, as two printed lines: when, and the zone named."""
    try:
        date = format_date(moment.date(), "long", locale=tr.lang)
    except (UnknownLocaleError, ValueError):
        date = moment.date().isoformat()
    when = tr(msg.DATE_AT_TIME).format(date=date, time=moment.strftime("%H:%M"))
    return [when, tr(msg.TIME_ZONE).format(zone=zone_name(moment, tr.lang))]


@dataclass(frozen=True)
class _Fit:
    """Free choices of a layout besides the body size."""

    side_qr: bool  # QR code in a column beside the steps (else in a footer)
    picture: float  # pictogram side as a multiple of the body size
    extra: float = 0.0  # added space between steps, points


_Builder = Callable[
    [Translations, NoteContent, Paper, float, _Fit, TextMeasure], tuple[list[Item], float]
]
_BUILDERS: dict[str, _Builder] = {"drop": _drop_page, "leaflet": _leaflet_page}
#: Pictogram size (x body size) the fit starts from, and how far it may grow into free space.
PICTURE = {"drop": (3.1, 4.4), "leaflet": (2.9, 3.6)}
#: The leaflet's QR code, as a share of the paper's.
LEAFLET_QR = 0.85


def _try(
    build: _Builder,
    tr: Translations,
    content: NoteContent,
    paper: Paper,
    f: float,
    fit: _Fit,
    measure: TextMeasure,
) -> tuple[list[Item], float] | None:
    try:
        return build(tr, content, paper, f, fit, measure)
    except _DoesNotFitError:
        return None


def layout_page(
    tr: Translations, content: NoteContent, paper: Paper, measure: TextMeasure
) -> PageLayout:
    """Lay out one page of ``content`` in the language of ``tr`` at the largest type that fits.

    The body size is the largest (in quarter points) at which the page fits; then the
    pictograms grow into what space is left, and the steps share the rest evenly.

    Parameters
    ----------
    tr
        The page's language.
    content
        What the page carries besides its fixed texts.
    paper
        The paper, one of :data:`PAPERS`.
    measure
        Width of a line of text in points, for the fonts the renderer embeds (the PDF
        adapter's ``text_width``); the layout is only as right as its measure.

    Raises
    ------
    NoteDoesNotFitError
        Even the paper's smallest body size overflows (say, a leaflet on a card); its
        ``field`` is ``"size"`` and it names the bigger papers.
    """
    build = _BUILDERS[content.kind]
    base, most = PICTURE[content.kind]
    best: tuple[float, _Fit] | None = None
    for side_qr in (paper.width > paper.height, paper.width <= paper.height):
        fit = _Fit(side_qr, base)
        f = paper.max_body_pt
        while f >= paper.min_body_pt - 1e-9 and (best is None or f > best[0]):
            if _try(build, tr, content, paper, f, fit, measure) is not None:
                best = (f, fit)
                break
            f -= 0.25
    if best is None:
        bigger = [p for p in PAPERS.values() if p.width * p.height > paper.width * paper.height]
        hint = f"; use a bigger paper: {' or '.join(p.name for p in bigger)}" if bigger else ""
        raise NoteDoesNotFitError(
            f"the {content.kind} in {tr.lang} does not fit on {paper.name} "
            f"({paper.width_mm:g} x {paper.height_mm:g} mm) even at "
            f"{paper.min_body_pt:g} pt type{hint}",
            field="size",
        )
    f, fit = best
    # Grow the pictograms while they fit, then share the free space between the steps.
    k = base
    while k + 0.1 <= most + 1e-9 and _try(
        build, tr, content, paper, f, _Fit(fit.side_qr, k + 0.1), measure
    ):
        k += 0.1
    fit = _Fit(fit.side_qr, k)
    result = _try(build, tr, content, paper, f, fit, measure)
    assert result is not None
    slack = result[1]
    extra = min(slack / (len(msg.STEPS) - 1), 1.2 * f)
    if extra > 0.05:
        spread = _try(build, tr, content, paper, f, _Fit(fit.side_qr, k, extra), measure)
        if spread is not None:
            result = spread
    return PageLayout(tr.lang, paper.width, paper.height, f, tuple(result[0]))
