"""The ``safeconduct`` command line: thin wrappers over the library.

Each sub-command parses its arguments, calls one library function, prints a short human
summary, and leaves the files it wrote in the field's standard formats. User mistakes
arrive here as :class:`~safeconduct.errors.SafeconductError` and leave as one line on
stderr and a non-zero exit status (2 for usage errors); ``--verbose`` adds the details.
"""

from __future__ import annotations

import gc
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from safeconduct import __version__
from safeconduct.entrypoints.cli.display import LEG_VIEWS, plain_console, route_table, status_line
from safeconduct.entrypoints.cli.display import progress_bar as _progress_bar
from safeconduct.entrypoints.cli.errors import FLAGS, exit_code_for, message_for
from safeconduct.errors import InvalidValueError, SafeconductError
from safeconduct.routing import DEFAULT_RISK_WEIGHT
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

# Verbatim consoles: user text (names, paths, options) is never read as markup or emoji.
out_console = plain_console()
err = plain_console(stderr=True)


class _State:
    verbose: bool = False
    #: The sub-command running (``route``, ``mission``), for the message on Ctrl-C.
    command: str | None = None


def _version(value: bool) -> None:
    if value:
        out_console.print(f"safeconduct {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
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
    _State.command = ctx.invoked_subcommand
    if verbose:  # FFmpeg's and mediapipe's own lines too, for diagnosing a failure
        from safeconduct.adapters.vision.native_logs import show_native_logs

        show_native_logs()
    else:
        # Libraries' warnings (numpy, pyproj...) are for developers; a user gets one line.
        warnings.simplefilter("ignore")


@app.command("point")
def point_command(
    point: Annotated[str, typer.Argument(help=f"A point: {ACCEPTED_FORMS}.")],
) -> None:
    """Read a point given as LAT,LON or MGRS and print it in both forms."""
    p = parse_point(point, "point")
    out_console.print(f"LAT,LON  {p}")
    out_console.print(f"MGRS     {p.to_mgrs(5)}")


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
    from safeconduct import bootstrap
    from safeconduct.services.areas import write_sample

    summary = write_sample(bootstrap.areas(), out_dir, area=area, seed=seed)
    out_console.print(summary)


@app.command("viewshed")
def viewshed_command(
    dem: Annotated[Path, typer.Option(help="DEM GeoTIFF (any CRS).")],
    observer: Annotated[str, typer.Option(help=f"Observer position: {ACCEPTED_FORMS}.")],
    out: Annotated[Path, typer.Option(help="Output uint8 GeoTIFF.")],
    observer_height: Annotated[
        float, typer.Option(help="Eye height above ground, metres.")
    ] = 1.75,
    target_height: Annotated[
        float, typer.Option(help="Height of the person looked at, metres.")
    ] = 1.7,
    max_distance: Annotated[
        float | None, typer.Option(help="Range of the observer, metres (default: unlimited).")
    ] = None,
    no_curvature: Annotated[
        bool, typer.Option("--no-curvature", help="Ignore earth curvature and refraction.")
    ] = False,
) -> None:
    """Where a standing person is visible from one observer (1 visible, 0 hidden, 255 outside)."""
    from safeconduct import bootstrap
    from safeconduct.services.planning import compute_viewshed

    with status_line(err, "computing the viewshed"):
        summary = compute_viewshed(
            bootstrap.planning_ports(),
            dem,
            parse_point(observer, "observer"),
            out,
            observer_height=observer_height,
            target_height=target_height,
            max_distance=max_distance,
            curvature=not no_curvature,
        )
    out_console.print(summary.describe())


@app.command("exposure")
def exposure_command(
    dem: Annotated[Path, typer.Option(help="DEM GeoTIFF (any CRS).")],
    observers: Annotated[Path, typer.Option(help="Observers GeoJSON (points).")],
    out: Annotated[Path, typer.Option(help="Output float32 GeoTIFF.")],
    target_height: Annotated[
        float, typer.Option(help="Height of the person looked at, metres.")
    ] = 1.7,
) -> None:
    """The weighted number of observers that see a standing person in each cell."""
    from safeconduct import bootstrap
    from safeconduct.services.planning import compute_exposure

    with _progress_bar("observers") as advance:
        summary = compute_exposure(
            bootstrap.planning_ports(),
            dem,
            observers,
            out,
            target_height=target_height,
            progress=advance,
        )
    out_console.print(summary.describe())


@app.command("route")
def route_command(
    dem: Annotated[Path, typer.Option(help="DEM GeoTIFF (any CRS).")],
    start: Annotated[str, typer.Option(help=f"Where the person starts: {ACCEPTED_FORMS}.")],
    reception: Annotated[Path, typer.Option(help="Reception points GeoJSON.")],
    out: Annotated[Path, typer.Option(help="Output route GeoJSON.")],
    hazards: Annotated[Path | None, typer.Option(help="Hazards GeoJSON.")] = None,
    observers: Annotated[Path | None, typer.Option(help="Hostile observers GeoJSON.")] = None,
    model: Annotated[str, typer.Option(help="Walking model: tobler or rwalk.")] = "tobler",
    pace_factor: Annotated[
        float, typer.Option(help="Speed multiplier: 1 fit, 0.5 injured or exhausted.")
    ] = 1.0,
    risk_weight: Annotated[
        float, typer.Option(help="Seconds of walking worth one second in view of one observer.")
    ] = DEFAULT_RISK_WEIGHT,
    max_slope: Annotated[
        float | None, typer.Option(help="Steepest walkable slope, degrees (tobler).")
    ] = None,
    knight: Annotated[bool, typer.Option("--knight", help="Add knight's moves.")] = False,
    target_height: Annotated[
        float, typer.Option(help="Height of the walking person, metres.")
    ] = 1.7,
    map_png: Annotated[
        Path | None, typer.Option("--map", help="Also draw the route on a map (PNG).")
    ] = None,
    legs: Annotated[
        str,
        typer.Option(
            help="Summary rows: 'walker' merges short legs so the route fits one screen; "
            "'all' lists every leg (the GeoJSON always keeps every waypoint)."
        ),
    ] = "walker",
) -> None:
    """The safest walking route to the cheapest reception point, as GeoJSON."""
    from safeconduct import bootstrap
    from safeconduct.services.planning import RouteRequest, plan_route_files

    if legs not in LEG_VIEWS:
        raise InvalidValueError(f"give {' or '.join(LEG_VIEWS)}, not {legs!r}", field="legs")
    request = RouteRequest(
        model=model,
        pace_factor=pace_factor,
        risk_weight=risk_weight,
        max_slope_deg=max_slope,
        knight=knight,
        target_height=target_height,
    )
    with status_line(err, "planning the route") as say:
        route = plan_route_files(
            bootstrap.planning_ports(),
            dem,
            parse_point(start, "start"),
            reception,
            out,
            hazards_path=hazards,
            observers_path=observers,
            request=request,
            map_path=map_png,
            progress=say,
        )
    out_console.print(route_table(route, legs))
    out_console.print(f"wrote {out}" + (f" and {map_png}" if map_png else ""))


@app.command("rehearse")
def rehearse_command(
    area: Annotated[
        Path, typer.Option(help="Area folder: dem.tif and the GeoJSON layers (see `sample`).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for the report and every artifact.")],
    seed: Annotated[int, typer.Option(help="Seed of the rehearsal (same seed, same run).")] = 0,
    injured: Annotated[
        bool, typer.Option("--injured", help="Plan and rehearse for an injured person.")
    ] = False,
    injured_pace: Annotated[
        float | None,
        typer.Option(
            help="With --injured: the pace the plan assumes, as a fraction of a fit pace "
            "(default 0.4: half pace, resting about a fifth of the time)."
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the dropped note.")] = "ru",
    drone: Annotated[str, typer.Option(help="Drone profile name or .toml file.")] = "camera-900g",
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Then lead the route live: the real MAVLink adapter against simulated "
            "copters and a simulated walker, in accelerated time.",
        ),
    ] = False,
    speed: Annotated[float, typer.Option(help="With --live: times faster than real.")] = 10.0,
    server: Annotated[
        str | None,
        typer.Option(help="With --live: show it on this service's board (SAFECONDUCT_TOKEN)."),
    ] = None,
    operation: Annotated[
        int | None, typer.Option(help="With --live and --server: the operation id.")
    ] = None,
) -> None:
    """Plan an operation (route, sorties, note), rehearse it in simulation, write a report."""
    from safeconduct import bootstrap
    from safeconduct.services.operation import rehearse_operation

    with status_line(err, "rehearsing") as say:
        result = rehearse_operation(
            bootstrap.operation_ports(),
            area,
            out,
            seed=seed,
            injured=injured,
            injured_pace=injured_pace,
            lang=lang,
            drone=drone,
            progress=say,
        )
    out_console.print(result.describe())
    if live:
        _rehearse_live(area, out, seed, injured, speed, server, operation)


def _rehearse_live(
    area: Path, out: Path, seed: int, injured: bool, speed: float, server: str | None,
    operation: int | None,
) -> None:  # fmt: skip
    """``rehearse --live``: lead the planned route with simulated vehicles and walker."""
    import os

    from safeconduct import bootstrap
    from safeconduct.services.leading import rehearse_live

    token = os.environ.get("SAFECONDUCT_TOKEN")
    if server is not None and (operation is None or not token):
        raise InvalidValueError(
            "the board needs an operation id and the token in SAFECONDUCT_TOKEN", field="server"
        )
    ports = bootstrap.live_rehearsal_ports(
        speed=speed, server=server, operation=operation, token=token
    )
    summary = rehearse_live(
        ports, out / "route.geojson", area / "dem.tif", speed=speed, seed=seed,
        injured=injured, report=lambda line: out_console.print(line, markup=False),
    )  # fmt: skip
    out_console.print(summary.describe())


@app.command("demo")
def demo_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's output.")] = Path(
        "demo-out"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the rehearsal.")] = 0,
) -> None:
    """Rehearse a whole operation on the bundled sample area and write its report."""
    from safeconduct import bootstrap
    from safeconduct.services.operation import run_demo

    with status_line(err, "demo") as say:
        result = run_demo(
            bootstrap.operation_ports(),
            out_dir,
            seed=seed,
            progress=say,
        )
    out_console.print(result.describe())
    out_console.print(f"open {out_dir / 'report.html'} in a browser")


def _register_plugins() -> None:
    """Sub-commands defined in their own modules beside this one, one module per family."""
    from safeconduct.entrypoints.cli.areas import areas_app
    from safeconduct.entrypoints.cli.audit import audit_app
    from safeconduct.entrypoints.cli.backup import backup_command, restore_command
    from safeconduct.entrypoints.cli.cases import cases_app
    from safeconduct.entrypoints.cli.custody import custody_app
    from safeconduct.entrypoints.cli.export import export_command
    from safeconduct.entrypoints.cli.intake import intake_app
    from safeconduct.entrypoints.cli.keys import keys_app
    from safeconduct.entrypoints.cli.lead import lead_command
    from safeconduct.entrypoints.cli.messages import message_app
    from safeconduct.entrypoints.cli.mission import mission_app
    from safeconduct.entrypoints.cli.note import note_command
    from safeconduct.entrypoints.cli.purge import purge_command
    from safeconduct.entrypoints.cli.serve import serve_command
    from safeconduct.entrypoints.cli.signals import signals_command
    from safeconduct.entrypoints.cli.telegram import telegram_command
    from safeconduct.entrypoints.cli.upload import upload_command
    from safeconduct.entrypoints.cli.users import users_app
    from safeconduct.entrypoints.cli.worker import worker_command

    mission_app.command("upload")(upload_command)
    app.add_typer(mission_app, name="mission")
    app.command("note")(note_command)
    app.command("signals")(signals_command)
    app.add_typer(users_app, name="users")
    cases_app.add_typer(message_app, name="message")
    app.add_typer(cases_app, name="cases")
    app.add_typer(areas_app, name="areas")
    app.add_typer(custody_app, name="custody")
    app.command("export")(export_command)
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
    app.command("purge")(purge_command)
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
    app.command("serve")(serve_command)
    app.command("worker")(worker_command)
    app.command("lead")(lead_command)
    intake_app.command("telegram")(telegram_command)
    app.add_typer(intake_app, name="intake")


_register_plugins()


def _refuse_empty_paths(root: Any, args: list[str]) -> None:
    """Refuse an empty file or folder name: ``Path("")`` is the current folder, so
    ``--out ""`` would write there. Only the given command's path parameters count."""
    from typer.models import TyperPath

    command = root
    positional, i = [], 0
    while i < len(args):
        arg = args[i]
        subcommands = getattr(command, "commands", None)
        if subcommands and not positional and arg in subcommands:
            command = subcommands[arg]
        elif arg == "--":
            positional += args[i + 1 :]
            break
        elif arg.startswith("-") and len(arg) > 1:
            name, eq, value = arg.partition("=")
            option = next((p for p in command.params if name in p.opts), None)
            takes_value = option is not None and not getattr(option, "is_flag", False)
            if takes_value and not eq and i + 1 < len(args):
                i, value = i + 1, args[i + 1]
            if takes_value and value == "" and isinstance(option.type, TyperPath):
                raise InvalidValueError(f"{name} is empty; give a file or folder name")
        else:
            positional.append(arg)
        i += 1
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    for param, value in zip(arguments, positional, strict=False):
        if value == "" and isinstance(param.type, TyperPath):
            shown = FLAGS.get(param.name or "") or (param.name or "").upper()
            raise InvalidValueError(f"{shown} is empty; give a file or folder name")


#: Parameters naming what a command writes; every other path parameter is read.
_OUTPUT_PARAMS = frozenset({"out", "out_dir", "map_png"})


def _guard_outputs(command: Any) -> None:
    """Make every command that writes files refuse, before any work, an output that is one
    of its inputs (``--out`` on ``--dem``, ``--map`` on ``--observers``, a PDF on
    ``--key-file``...): the same file however named, or the same folder."""
    from typer.models import TyperPath

    commands = [command]
    while commands:
        cmd = commands.pop()
        commands.extend(getattr(cmd, "commands", {}).values())
        params = [p for p in getattr(cmd, "params", ()) if isinstance(p.type, TyperPath)]
        outputs = [p for p in params if p.name in _OUTPUT_PARAMS]
        callback = getattr(cmd, "callback", None)
        if outputs and callback is not None:
            inputs = [p for p in params if p.name not in _OUTPUT_PARAMS]
            cmd.callback = _refusing_inputs_as_outputs(callback, outputs, inputs)


def _shown(param: Any) -> str:
    opts = getattr(param, "opts", None)
    name = getattr(param, "name", None) or ""
    if getattr(param, "param_type_name", "") == "argument" or not opts:
        return FLAGS.get(name) or name.upper()
    return str(opts[0])


def _refusing_inputs_as_outputs(
    callback: Callable[..., object], outputs: list[Any], inputs: list[Any]
) -> Callable[..., object]:
    import functools
    import os

    from safeconduct.adapters.files.atomic import same_file
    from safeconduct.errors import SameFileError

    @functools.wraps(callback)
    def run(*args: object, **kwargs: object) -> object:
        given = {_shown(p): kwargs.get(getattr(p, "name", "")) for p in inputs}
        if "--key-file" in given and given["--key-file"] is None:
            given["--key-file"] = os.environ.get("SAFECONDUCT_KEY_FILE") or None
        for output in outputs:
            path = kwargs.get(getattr(output, "name", ""))
            for flag, source in given.items():
                if path is not None and source is not None and same_file(path, source):
                    raise SameFileError(str(path), field=_shown(output), input_field=flag)
        return callback(*args, **kwargs)

    return run


def _caused_by_interrupt(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


#: Commands that run until stopped: Ctrl-C is how they end, not a loss of work.
_RUN_UNTIL_STOPPED = frozenset({"serve", "worker", "intake", "lead"})


def _interrupted() -> None:
    if _State.command in _RUN_UNTIL_STOPPED:
        err.print(f"safeconduct: {_State.command} stopped (Ctrl-C)")
        sys.exit(130)
    what = f"{_State.command} " if _State.command else ""
    err.print(
        f"safeconduct: {what}interrupted before it finished; nothing was written "
        "(outputs appear only when a command completes)"
    )
    sys.exit(130)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app and turn user errors into one-line messages."""
    try:
        args = sys.argv[1:] if argv is None else list(argv)
        import typer.main

        command = typer.main.get_command(app)
        if "" in args or any(a.startswith("--") and a.endswith("=") for a in args):
            _refuse_empty_paths(command, args)
        _guard_outputs(command)
        with warnings.catch_warnings():  # _root silences them unless --verbose
            command(args=args, prog_name="safeconduct")
    except SafeconductError as exc:
        err.print(f"safeconduct: error: {message_for(exc)}")
        if _State.verbose:
            if exc.detail:
                err.print(exc.detail)
            import traceback

            err.print("".join(traceback.format_exception(exc)))
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit as exc:
        # Typer turns Ctrl-C inside a command into ``Exit(130)`` and exits quietly; the
        # KeyboardInterrupt is still in the chain of exceptions that led here.
        if _caused_by_interrupt(exc):
            _interrupted()
        raise
    finally:
        if argv is None:
            # The process ends here: spare it a last garbage collection over the ~200k
            # objects numba and the imports made (0.2-0.3 s of a 1.7 s route command).
            # Only for the console script, so tests calling main() keep collecting.
            gc.freeze()
