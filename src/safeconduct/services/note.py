"""The ``note`` use case: check every input, lay out, render, and write atomically.

:func:`render_note` validates everything first (languages, kind, paper, case code, hotline,
meeting time and zone, meeting point), lays out every page and renders the PDF (and the PNG
previews) in memory. :func:`make_note` checks the output path before that work and then
writes the files, each atomically: an error leaves no file behind and no file half-written.
Fonts, the PDF, the previews and the files are reached only through :class:`NotePorts`
(``safeconduct.bootstrap.note_ports()`` gives the real ones).
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from safeconduct import limits
from safeconduct.errors import InvalidValueError
from safeconduct.limits import check_meeting_time, parse_time_zone
from safeconduct.note import catalog
from safeconduct.note.casecode import format_case_code, generate_case_code, parse_case_code
from safeconduct.note.layout import (
    KINDS,
    PAPERS,
    NoteContent,
    PageLayout,
    TextItem,
    format_meeting_time,
    layout_page,
)
from safeconduct.note.qr import qr_payload
from safeconduct.note.typefaces import SANS, right_to_left_scripts
from safeconduct.services.ports import NoteFiles, NoteFonts, NotePdf, NotePreviews
from safeconduct.terrain.coords import GeoPoint, parse_point

PathLike = str | os.PathLike[str]
#: Default paper for each kind.
DEFAULT_SIZE = {"drop": "card", "leaflet": "a6"}
#: Longest hotline text printed (a telephone number, a chat handle or a short address).
HOTLINE_MAX = 60
ISO_EXAMPLE = limits.ISO_EXAMPLE
#: Resolution of the PNG previews, dots per inch.
PREVIEW_DPI = 300


@dataclass(frozen=True)
class NotePorts:
    """The edges a note reaches.

    Attributes
    ----------
    fonts
        Measures text for the layout and tells which characters the fonts lack.
    pdf
        Draws the laid-out pages into a PDF.
    previews
        Renders the PDF's pages as PNG pictures.
    files
        Checks and writes the output files atomically (only :func:`make_note` uses it).
    """

    fonts: NoteFonts
    pdf: NotePdf
    previews: NotePreviews
    files: NoteFiles


@dataclass(frozen=True)
class RenderedNote:
    """A note rendered in memory by :func:`render_note`.

    Attributes
    ----------
    pdf
        The print-ready PDF, one page per language.
    pngs
        A PNG preview of each page at :data:`PREVIEW_DPI` (empty without ``png``).
    kind, size
        ``drop`` or ``leaflet``; ``card``, ``a6`` or ``a5``.
    langs
        The language of each page, in order.
    case_code
        The case code as printed (``7KDM-TW3A``); record it in the case.
    generated_code
        True if the code was generated here rather than given.
    qr_payload
        The text the QR code carries.
    meeting_time
        The meeting time as printed in English (``None`` when not given).
    body_sizes
        Body type size of each page, points.
    """

    pdf: bytes = field(repr=False)
    pngs: tuple[bytes, ...] = field(repr=False)
    kind: str
    size: str
    langs: tuple[str, ...]
    case_code: str
    generated_code: bool
    qr_payload: str
    meeting_time: str | None = None
    body_sizes: tuple[float, ...] = ()


@dataclass(frozen=True)
class NoteSummary:
    """What :func:`make_note` wrote.

    Attributes
    ----------
    path
        The PDF.
    kind, size
        ``drop`` or ``leaflet``; ``card``, ``a6`` or ``a5``.
    langs
        The language of each page, in order.
    case_code
        The case code as printed (``7KDM-TW3A``); record it in the case.
    generated_code
        True if the code was generated here rather than given.
    qr_payload
        The text the QR code carries.
    meeting_time
        The meeting time as printed in English (``None`` when not given).
    body_sizes
        Body type size of each page, points.
    png_paths
        The 300 dpi previews, one per page (empty without ``png``).
    """

    path: Path
    kind: str
    size: str
    langs: tuple[str, ...]
    case_code: str
    generated_code: bool
    qr_payload: str
    meeting_time: str | None = None
    body_sizes: tuple[float, ...] = ()
    png_paths: tuple[Path, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """A short human summary, one fact per line."""
        pages = len(self.langs)
        origin = "generated" if self.generated_code else "given"
        lines = [
            f"wrote {self.path}: {self.kind} on {self.size}, {pages} page"
            f"{'s' if pages != 1 else ''} ({', '.join(self.langs)})",
            f"case code {self.case_code} ({origin}; record it with the case)",
        ]
        if self.meeting_time:
            lines.append(f"meeting time printed as {self.meeting_time}")
        if self.png_paths:
            shown = ", ".join(str(p) for p in self.png_paths)
            lines.append(f"previews at {PREVIEW_DPI} dpi: {shown}")
        return "\n".join(lines)


def render_note(
    ports: NotePorts,
    *,
    langs: str | Sequence[str],
    kind: str = "drop",
    size: str | None = None,
    case_code: str | None = None,
    meeting_time: str | dt.datetime | None = None,
    meeting_point: str | GeoPoint | None = None,
    tz: str | None = None,
    hotline: str | None = None,
    png: bool = False,
    now: dt.datetime | None = None,
) -> RenderedNote:
    """Render a safe-conduct note in memory: a PDF, one page per language, and PNG previews.

    Parameters
    ----------
    ports
        Fonts, PDF and previews (``files`` is not used here).
    langs
        ``"ru,uk,en"`` or a list: one page per language, in order (the two sides of a card
        may carry different languages).
    kind
        ``drop`` (the card a drone drops to a person in view) or ``leaflet`` (for someone
        preparing through the hotline; needs ``hotline``).
    size
        ``card`` (100 x 70 mm), ``a6`` or ``a5``; default ``card`` for a drop, ``a6`` for a
        leaflet.
    case_code
        The case's code, validated; generated when ``None``.
    meeting_time
        ISO 8601 (``2025-03-14T06:30+02:00``) or an aware datetime; leaflet only. It needs a
        zone: an offset in the text, or ``tz``.
    meeting_point
        ``LAT,LON`` or MGRS, or a :class:`GeoPoint`; leaflet only. Printed as MGRS and LAT,LON.
    tz
        IANA zone the meeting time is printed in (``Europe/Kyiv``); a time without an
        offset is read as local time there.
    hotline
        Contact printed on the leaflet and carried by the QR code.
    png
        Also render a :data:`PREVIEW_DPI` PNG preview of each page.
    now
        The present (aware; default: the clock): a meeting time must be after it, and
        within a century, by the mission's own rule
        (:func:`safeconduct.limits.check_meeting_time`).

    Raises
    ------
    InvalidValueError
        An unknown language (the message lists those available), kind or size; an invalid
        case code (naming the wrong character when it can); a meeting time without a zone;
        a hotline that cannot be printed; a note that does not fit its paper. Its ``field``
        names the parameter concerned (``"langs"``, ``"meeting_time"``, ...).
    OutOfRangeError
        The meeting time is past or more than a century ahead (``field="meeting_time"``).
    """
    if kind not in KINDS:
        raise InvalidValueError(
            f"{kind!r} is not a kind of note; use drop or leaflet", field="kind"
        )
    paper_name = DEFAULT_SIZE[kind] if size is None else size.strip().lower()
    if paper_name not in PAPERS:
        raise InvalidValueError(
            f"{size!r} is not a paper size; use {', '.join(PAPERS)}", field="size"
        )
    paper = PAPERS[paper_name]
    page_langs = catalog.parse_languages(langs)
    translations = {lang: catalog.load(lang) for lang in page_langs}

    code = generate_case_code() if case_code is None else parse_case_code(case_code)
    contact = _check_hotline(hotline, ports.fonts)
    if kind == "leaflet" and contact is None:
        raise InvalidValueError(
            "a leaflet tells the person how to get in touch; give it", field="hotline"
        )
    moment = parse_meeting_time(meeting_time, tz)
    point = _meeting_point(meeting_point)
    if kind == "drop" and (moment is not None or point is not None):
        raise InvalidValueError(
            "the meeting time and place go on the leaflet, not on the drop card: "
            "the drop card is for someone the drone has already met",
            field="meeting_time" if moment is not None else "meeting_point",
        )
    if moment is not None:
        check_meeting_time(moment, now or dt.datetime.now(dt.UTC))

    content = NoteContent(
        kind=kind,
        case_code=code,
        qr_payload=qr_payload(code, contact),
        hotline=contact,
        meeting_time=moment,
        meeting_point=point,
    )
    measure = ports.fonts.text_width
    pages = [layout_page(translations[lang], content, paper, measure) for lang in page_langs]
    for page in pages:
        _check_glyphs(page, ports.fonts)
    pdf = ports.pdf.render_pdf(pages)
    pngs = ports.previews.render_pngs(pdf, PREVIEW_DPI) if png else []

    shown_time = None
    if moment is not None:
        when, zone = format_meeting_time(moment, catalog.load("en"))
        shown_time = f"{when} ({zone})"
    return RenderedNote(
        pdf=pdf,
        pngs=tuple(pngs),
        kind=kind,
        size=paper.name,
        langs=tuple(page_langs),
        case_code=format_case_code(code),
        generated_code=case_code is None,
        qr_payload=content.qr_payload,
        meeting_time=shown_time,
        body_sizes=tuple(p.body_size for p in pages),
    )


def make_note(
    ports: NotePorts,
    out_path: PathLike,
    *,
    langs: str | Sequence[str],
    kind: str = "drop",
    size: str | None = None,
    case_code: str | None = None,
    meeting_time: str | dt.datetime | None = None,
    meeting_point: str | GeoPoint | None = None,
    tz: str | None = None,
    hotline: str | None = None,
    png: bool = False,
    now: dt.datetime | None = None,
) -> NoteSummary:
    """Write a safe-conduct note (a PDF, one page per language) and optional PNG previews.

    The note is rendered by :func:`render_note` (see it for every parameter but these two)
    and written only once complete.

    Parameters
    ----------
    ports
        Fonts, PDF, previews and the output files.
    out_path
        The PDF to write. Previews go beside it as ``<stem>-<page>.png``.

    Raises
    ------
    InvalidValueError
        As :func:`render_note`.
    BadFileError
        The output cannot be written (checked before any work). Nothing is written on any
        error.
    """
    out = Path(out_path)
    ports.files.check_writable(out)
    note = render_note(
        ports,
        langs=langs,
        kind=kind,
        size=size,
        case_code=case_code,
        meeting_time=meeting_time,
        meeting_point=meeting_point,
        tz=tz,
        hotline=hotline,
        png=png,
        now=now,
    )
    png_paths = [out.with_name(f"{out.stem}-{i}.png") for i in range(1, len(note.pngs) + 1)]
    ports.files.write_files([(out, note.pdf), *zip(png_paths, note.pngs, strict=True)])
    return NoteSummary(
        path=out,
        kind=note.kind,
        size=note.size,
        langs=note.langs,
        case_code=note.case_code,
        generated_code=note.generated_code,
        qr_payload=note.qr_payload,
        meeting_time=note.meeting_time,
        body_sizes=note.body_sizes,
        png_paths=tuple(png_paths),
    )


def _check_hotline(hotline: str | None, fonts: NoteFonts) -> str | None:
    """The hotline as printed (``None`` when not given), or an error naming field ``hotline``."""
    if hotline is None:
        return None
    text = hotline.strip()
    if not text:
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InvalidValueError(
            "give one line of plain text (no line breaks or tabs)", field="hotline"
        )
    if len(text) > HOTLINE_MAX:
        raise InvalidValueError(
            f"{len(text)} characters is too long to print; "
            f"give at most {HOTLINE_MAX} (a number, a chat handle or a short address)",
            field="hotline",
        )
    # Checked before the glyphs: the fonts have Arabic and Hebrew letters, but the note sets
    # each line left to right without joining, so such text would print reversed.
    scripts = right_to_left_scripts(text)
    if scripts:
        raise InvalidValueError(
            f"the note cannot print {' or '.join(scripts)} script (written right to left, "
            "it would come out reversed); give the contact in Latin or Cyrillic letters "
            "and Western digits",
            field="hotline",
        )
    # The hotline is set in the regular and the bold face; both cover the same letters.
    lacking = fonts.missing_glyphs(text, SANS)
    if lacking:
        raise InvalidValueError(
            f"the note's font cannot print {''.join(lacking)!r}; "
            "use Latin or Cyrillic letters, digits and common signs",
            field="hotline",
        )
    return text


def parse_meeting_time(
    value: str | dt.datetime | None, tz: str | None = None
) -> dt.datetime | None:
    """Read the meeting time into an aware datetime in the zone it is printed in.

    A time with an offset is converted to ``tz`` when given, else kept at its offset; a time
    without one is local time in ``tz``. Local times that a clock change skips or repeats
    are refused (give the offset to say which is meant). The reading is the mission's own
    (:func:`safeconduct.limits.parse_meeting_time`).

    Raises
    ------
    InvalidValueError
        Unreadable, no zone at all, a local time that does not exist or is ambiguous in
        ``tz``, or out of the calendar's range (``field="meeting_time"``); an unknown zone,
        or ``tz`` without a time (``field="tz"``).
    """
    if value is None:
        if tz is not None:
            raise InvalidValueError(
                "names the zone of the meeting time; give the meeting time too", field="tz"
            )
        return None
    zone = parse_time_zone(tz) if tz is not None else None
    return limits.parse_meeting_time(value, zone)


def _meeting_point(value: str | GeoPoint | None) -> GeoPoint | None:
    if value is None or isinstance(value, GeoPoint):
        return value
    return parse_point(value, "meeting_point")


def _check_glyphs(page: PageLayout, fonts: NoteFonts) -> None:
    """Refuse a page with a character its font lacks (it would print as a blank box)."""
    for item in page.items:
        if isinstance(item, TextItem):
            scripts = right_to_left_scripts(item.text)
            if scripts:
                raise InvalidValueError(
                    f"the {page.lang} catalogue is in {' or '.join(scripts)} script, which "
                    "the note cannot set (its lines run left to right, unjoined)",
                    field="langs",
                )
            lacking = fonts.missing_glyphs(item.text, item.font)
            if lacking:
                raise InvalidValueError(
                    f"the note's font cannot print {''.join(lacking)!r} of the {page.lang} "
                    "catalogue; that catalogue needs a font with these letters",
                    field="langs",
                )
