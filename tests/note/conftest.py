"""Notes rendered once per test module: a three-language drop card and a leaflet, with previews."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from safeconduct.bootstrap import note_ports
from safeconduct.services.note import NotePorts, NoteSummary, make_note

CODE = "7KDM-TW3K"
HOTLINE = "+380 66 000 00 00"
#: "Now" for the rendered notes: their meeting time (14 March 2025) is ahead of it, as the
#: note demands of any meeting time.
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

#: A day surely ahead for the command line, whose clock cannot be set (Kyiv's winter time).
FUTURE_MARCH_14 = "2099-03-14"


@pytest.fixture(scope="package")
def ports() -> NotePorts:
    """The real adapters: reportlab, PDFium and atomic files."""
    return note_ports()


@pytest.fixture(scope="package")
def drop_card(tmp_path_factory: pytest.TempPathFactory, ports: NotePorts) -> NoteSummary:
    out = tmp_path_factory.mktemp("drop") / "note.pdf"
    return make_note(
        ports, out, langs="ru,uk,en", kind="drop", size="card", case_code=CODE, png=True
    )


@pytest.fixture(scope="package")
def leaflet(tmp_path_factory: pytest.TempPathFactory, ports: NotePorts) -> NoteSummary:
    out: Path = tmp_path_factory.mktemp("leaflet") / "leaflet.pdf"
    return make_note(
        ports,
        out,
        langs="uk,ru,en",
        kind="leaflet",
        size="a6",
        case_code=CODE,
        hotline=HOTLINE,
        meeting_time="2025-03-14T06:30:00+03:00",
        tz="Europe/Kyiv",
        meeting_point="37U DQ 12345 67890",
        png=True,
        now=NOW,
    )
