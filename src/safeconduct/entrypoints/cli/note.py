"""The ``safeconduct note`` command: a thin wrapper over the note use case.

It hands its options to :func:`safeconduct.services.note.make_note` with the real adapters
(``bootstrap.note_ports()``) and prints the summary.

Registered by the command line with ``app.command("note")(note_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeconduct.terrain.coords import ACCEPTED_FORMS


def note_command(
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help="Languages, comma-separated, one page each in order: ru,uk puts Russian on "
            "the front of a card and Ukrainian on the back.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The PDF to write.")],
    png: Annotated[
        bool, typer.Option("--png", help="Also write a 300 dpi PNG preview of each page.")
    ] = False,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="drop: the card a drone drops to a person in view; leaflet: for someone "
            "preparing through the hotline.",
        ),
    ] = "drop",
    size: Annotated[
        str | None,
        typer.Option(
            "--size",
            help="card (100 x 70 mm), a6 or a5 [default: card for drop, a6 for leaflet].",
            show_default=False,
        ),
    ] = None,
    case_code: Annotated[
        str | None,
        typer.Option("--case-code", help="The case's code (checked); generated if left out."),
    ] = None,
    meeting_time: Annotated[
        str | None,
        typer.Option(
            "--meeting-time",
            help="Leaflet: when to be there, ISO 8601 with an offset "
            "(2025-03-14T06:30+02:00) or with --tz.",
        ),
    ] = None,
    meeting_point: Annotated[
        str | None,
        typer.Option("--meeting-point", help=f"Leaflet: where to be, {ACCEPTED_FORMS}."),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz", help="IANA time zone the meeting time is printed in (e.g. Europe/Kyiv)."
        ),
    ] = None,
    hotline: Annotated[
        str | None,
        typer.Option(
            "--hotline", help="Hotline contact, printed on the leaflet and carried by the QR code."
        ),
    ] = None,
) -> None:
    """Write the safe-conduct note or leaflet: a print-ready PDF, one page per language."""
    # Imported here so that ``safeconduct --help`` loads no PDF machinery.
    from safeconduct import bootstrap
    from safeconduct.services.note import make_note

    summary = make_note(
        bootstrap.note_ports(),
        out,
        langs=lang,
        kind=kind,
        size=size,
        case_code=case_code,
        meeting_time=meeting_time,
        meeting_point=meeting_point,
        tz=tz,
        hotline=hotline,
        png=png,
    )
    typer.echo(summary.describe())
