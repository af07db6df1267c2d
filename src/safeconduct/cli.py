"""The ``safeconduct`` command line: thin wrappers over the library.

Each sub-command parses its arguments, calls one library function, prints a short human
summary, and leaves the files it wrote in the field's standard formats. User mistakes
arrive here as :class:`~safeconduct.errors.SafeconductError` and leave as one line on
stderr and a non-zero exit status (2 for usage errors); ``--verbose`` adds the details.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safeconduct import __version__
from safeconduct.errors import SafeconductError
from safeconduct.terrain.coords import ACCEPTED_FORMS, parse_point

app = typer.Typer(
    name="safeconduct",
    help=(
        "Plan and rehearse drone-guided surrender: the safest walking route to a reception "
        "point, the drone sorties that lead it, and the note the drone drops."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class _State:
    verbose: bool = False


def _version(value: bool) -> None:
    if value:
        out.print(f"safeconduct {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show details (and tracebacks) on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Plan and rehearse drone-guided surrender safely."""
    _State.verbose = verbose


@app.command("point")
def point_command(
    point: Annotated[str, typer.Argument(help=f"A point: {ACCEPTED_FORMS}.")],
) -> None:
    """Read a point given as LAT,LON or MGRS and print it in both forms."""
    p = parse_point(point, "POINT")
    out.print(f"LAT,LON  {p}")
    out.print(f"MGRS     {p.to_mgrs(5)}")


@app.command("sample")
def sample_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the area into.")],
    area: Annotated[
        str,
        typer.Option(
            help="'synthetic': the seeded 8 x 8 km sample area with its layers; "
            "'jacksboro': the real Jacksboro fault DEM shipped inside matplotlib."
        ),
    ] = "synthetic",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic generator.")] = 20221101,
) -> None:
    """Write a sample area: a DEM GeoTIFF and its GeoJSON layers."""
    from safeconduct.terrain.sample import write_area

    summary = write_area(out_dir, area=area, seed=seed)
    out.print(summary)


@app.command("demo")
def demo_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's output.")] = Path(
        "demo-out"
    ),
) -> None:
    """Run the main job on the bundled sample area (for now: write the area and summarise it)."""
    from safeconduct.terrain.sample import write_area

    out.print(write_area(out_dir / "area", area="synthetic"))


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app and turn user errors into one-line messages."""
    try:
        app(args=argv, prog_name="safeconduct")
    except SafeconductError as exc:
        err.print(f"safeconduct: error: {exc.message}", soft_wrap=True)
        if _State.verbose:
            if exc.detail:
                err.print(exc.detail, soft_wrap=True)
            err.print("".join(traceback.format_exception(exc)), soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("safeconduct: interrupted; no output was left half-written")
        sys.exit(130)
