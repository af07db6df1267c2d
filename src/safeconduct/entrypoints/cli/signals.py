"""The ``safeconduct signals`` command: a thin wrapper over :func:`detect_signals`.

Registered by the command line with ``app.command("signals")(signals_command)``. The
service and the adapters (mediapipe, OpenCV, pymavlink) are imported inside the command,
so that ``safeconduct --help`` loads none of them. How the run goes (the pose model, large
frames) is printed as soon as it is known; a warning goes to standard error.
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
    model: Annotated[
        str,
        typer.Option(
            "--model",
            metavar="auto|full|heavy",
            help="Pose model: heavy (installed by make vision-models), full (in the "
            "mediapipe wheel, 2-3 times faster, better from above), auto: heavy where "
            "installed, but full when the camera looks 40 degrees or more down (given or "
            "from --tlog). A missing heavy runs full with a warning; nothing is downloaded.",
        ),
    ] = "auto",
    camera_elevation: Annotated[
        float | None,
        typer.Option(
            "--camera-elevation",
            metavar="DEG",
            help="How far below the horizon the camera looked, 0 (level) to 90 (straight "
            "down) degrees, where --tlog gives none [default: from the telemetry, else "
            "estimated from the people seen, else the 2-D rules].",
            show_default=False,
        ),
    ] = None,
    tlog: Annotated[
        Path | None,
        typer.Option(
            "--tlog",
            metavar="FILE",
            help="Telemetry log (.tlog) of the flight: the gimbal's pitch over time, its "
            "first gimbal message taken as the video's first frame.",
        ),
    ] = None,
    no_sweep: Annotated[
        bool,
        typer.Option(
            "--no-sweep",
            help="Look at the whole frame only (one large person, faster) instead of "
            "sweeping tiles for small and several people.",
        ),
    ] = False,
) -> None:
    """Recognise surrender signals (arms up then out, hands up, kneeling, white cloth, sign).

    An alert means a person is signalling surrender and is hors de combat. No alert means
    only that no signal was detected: the system has limits.
    """
    from safeconduct import bootstrap
    from safeconduct.services.signals import Note, detect_signals

    def say(note: Note) -> None:
        if note.level == "warning":
            typer.echo(f"safeconduct: warning: {note.text}", err=True)
        else:
            typer.echo(note.text)

    summary = detect_signals(
        bootstrap.signals_ports(),
        source,
        out_dir=out,
        fps=fps,
        blur=not no_blur,
        model=model,
        camera_elevation_deg=camera_elevation,
        tlog=tlog,
        sweep=not no_sweep,
        notify=say,
    )
    for alert in summary.alerts:
        typer.echo(
            f"{alert.t_s:8.2f} s  person #{alert.track_id}  {alert.kind.value}  "
            f"(confidence {alert.confidence:.2f})"
        )
    typer.echo(summary.describe())
    typer.echo(summary.status)
    if out is not None:
        typer.echo(f"wrote {out}/alerts.jsonl, annotated.mp4, summary.json")
