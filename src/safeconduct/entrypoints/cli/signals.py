"""The ``safeconduct signals`` command: a thin wrapper over :func:`detect_signals`.

Registered by the command line with ``app.command("signals")(signals_command)``. The
service and the adapters (mediapipe, OpenCV) are imported inside the command, so that
``safeconduct --help`` loads none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def signals_command(
    source: Annotated[
        Path, typer.Argument(help="A video file, or a folder of images in name order.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for alerts.jsonl, annotated.mp4 and summary.json."),
    ] = None,
    fps: Annotated[
        float | None,
        typer.Option(
            "--fps",
            help="Folder: frames per second of the images [default: 5]. Video: analyse at "
            "most this many frames per second [default: every frame].",
            show_default=False,
        ),
    ] = None,
    no_blur: Annotated[
        bool,
        typer.Option("--no-blur", help="Do not blur faces in the annotated video."),
    ] = False,
) -> None:
    """Recognise surrender signals (arms up then out, hands up, kneeling, white cloth).

    An alert means a person is signalling surrender and is hors de combat. No alert means
    only that no signal was detected: the system has limits.
    """
    from safeconduct import bootstrap
    from safeconduct.services.signals import detect_signals

    summary = detect_signals(
        bootstrap.signals_ports(), source, out_dir=out, fps=fps, blur=not no_blur
    )
    for alert in summary.alerts:
        typer.echo(
            f"{alert.t_s:8.2f} s  person #{alert.track_id}  {alert.kind.value}  "
            f"(confidence {alert.confidence:.2f})"
        )
    typer.echo(summary.status)
    if out is not None:
        typer.echo(f"wrote {out}/alerts.jsonl, annotated.mp4, summary.json")
