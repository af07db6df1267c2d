"""The ``safeconduct mission`` command: a thin wrapper over :func:`plan_mission_files`.

``mission_app`` is a Typer sub-app. Its callback plans the sorties when no sub-command is
given (``safeconduct mission --route ... --launch ... --out DIR``); sub-commands such as
``upload`` are registered on the same app by their own modules.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from safeconduct.adapters.files.drone_profiles import builtin_profile_names
from safeconduct.errors import InvalidValueError
from safeconduct.mission.profiles import DEFAULT_PROFILE
from safeconduct.mission.settings import MissionSettings
from safeconduct.terrain.coords import ACCEPTED_FORMS, parse_point

if TYPE_CHECKING:
    from rich.table import Table

    from safeconduct.services.mission import MissionSummary

mission_app = typer.Typer(
    name="mission",
    help=(
        "The drone sorties that lead the person along a route: QGroundControl .plan, "
        "QGC WPL 110 .waypoints and the vehicle parameters (.parm) per sortie, "
        "mission.geojson and schedule.json."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
_err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


@mission_app.callback(invoke_without_command=True)
def mission_command(
    ctx: typer.Context,
    route: Annotated[
        Path | None, typer.Option(help="Route GeoJSON from `safeconduct route`.")
    ] = None,
    launch: Annotated[
        str | None, typer.Option(help=f"Launch point (home) of every sortie: {ACCEPTED_FORMS}.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the mission files.")] = None,
    dem: Annotated[
        Path | None,
        typer.Option(help="DEM GeoTIFF: keep the clearance over the ground (else relative)."),
    ] = None,
    drone: Annotated[
        str,
        typer.Option(
            help=f"Drone profile: {', '.join(builtin_profile_names())}, or a profile .toml file."
        ),
    ] = DEFAULT_PROFILE,
    meeting_time: Annotated[
        str | None,
        typer.Option(
            help="When the person is at the meeting point, ISO 8601 with a time zone "
            "(2024-05-01T05:30+03:00). Default: as soon as possible."
        ),
    ] = None,
    firmware: Annotated[str, typer.Option(help="ardupilot or px4.")] = "ardupilot",
    release: Annotated[
        str,
        typer.Option(
            help="How the note is dropped: gripper (on servo output 9), gripper:CHANNEL "
            "or servo:CHANNEL:PWM."
        ),
    ] = "gripper",
    signal_wait: Annotated[
        float,
        typer.Option(
            help="Seconds of waiting for the surrender signal the schedule and energy allow. "
            "The drone loiters at the meeting point until the crew confirms the signal and "
            "advances the mission (with --timed-acknowledge: exactly this long)."
        ),
    ] = MissionSettings.signal_wait_s,
    timed_acknowledge: Annotated[
        bool,
        typer.Option(
            "--timed-acknowledge",
            help="Acknowledge (rise and dip) and start leading after --signal-wait seconds "
            "WITHOUT the crew confirming the signal: the drone tells the person they were "
            "seen whether or not anyone saw them. Default: wait for the crew.",
        ),
    ] = False,
    wind: Annotated[
        float | None,
        typer.Option(help="Forecast wind, m/s: refused if over the profile's maximum."),
    ] = None,
) -> None:
    """Plan the sorties that meet the person, drop the note and lead them to reception."""
    if ctx.invoked_subcommand is not None:
        return
    from safeconduct import bootstrap
    from safeconduct.services.mission import parse_meeting_time, plan_mission_files

    for value, name in ((route, "--route"), (launch, "--launch"), (out, "--out")):
        if value is None:
            raise InvalidValueError(f"mission: {name} is required (see safeconduct mission --help)")
    assert route is not None and launch is not None and out is not None
    settings = MissionSettings(
        signal_wait_s=signal_wait, wind_ms=wind, timed_acknowledge=timed_acknowledge
    )
    with _err.status("planning the sorties"):
        summary = plan_mission_files(
            bootstrap.mission_ports(),
            route,
            parse_point(launch, "launch"),
            out,
            dem_path=dem,
            drone=drone,
            meeting_time=parse_meeting_time(meeting_time) if meeting_time else None,
            firmware=firmware,
            release=release,
            settings=settings,
        )
    _out.print(sortie_table(summary))
    _out.print(summary.describe())


def sortie_table(summary: MissionSummary) -> Table:
    """The schedule as a rich Table, one row per sortie (times in the meeting's zone)."""
    from rich import box
    from rich.table import Table

    plan = summary.plan
    tz = plan.meeting_time.tzinfo
    available = plan.energy.available_wh
    table = Table(title=f"Sorties ({plan.profile.name})", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("#", "drone", "launch", "ready", "leads km", "until", "lands"):
        table.add_column(name, justify="right" if name in ("#", "drone") else "left")
    table.add_column("used Wh", justify="right")
    table.add_column("left Wh", justify="right")

    def hm(t: datetime) -> str:
        return f"{t.astimezone(tz):%H:%M}"

    for s in plan.sorties:
        table.add_row(
            str(s.number),
            str(s.airframe),
            hm(s.launch_time),
            hm(s.arrival_time),
            f"{s.lead_from_m / 1000:.2f}-{s.lead_to_m / 1000:.2f}",
            hm(s.lead_end_time) + (" rec." if s.ends_at_reception else ""),
            hm(s.landing_time),
            f"{s.energy_used_wh:.1f}",
            f"{s.reserve_left_wh:.1f}",
        )
    table.caption = (
        "ready: over the meeting point (sortie 1) or the relief's holding point; until: "
        "reaches the waiting point, where the relief takes over, or reception (rec.); "
        f"reserve required {plan.energy.reserve_wh:.1f} Wh of {available:.1f} Wh"
    )
    return table


__all__ = ["mission_app", "mission_command", "sortie_table"]
