"""``safeconduct lead``: fly a vehicle ahead of the person along the route, over MAVLink.

Thin: parses the flags, asks the crew to confirm at the terminal, runs
:func:`safeconduct.services.leading.lead` and prints one line per state change and the
closing figures. The coordination service's token comes from ``SAFECONDUCT_TOKEN``, never
from a flag (a flag's value shows in the process list and the shell history).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safeconduct.errors import InvalidValueError

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)

#: What the crew types to start leading.
CONFIRM_WORD = "lead"


def confirm_at_terminal(prompt: str) -> bool:
    """Ask on the terminal; only the word :data:`CONFIRM_WORD` starts leading."""
    _out.print(prompt)
    _out.print(f"Type '{CONFIRM_WORD}' and Enter to start leading (anything else cancels): ")
    line = sys.stdin.readline()
    return line.strip().lower() == CONFIRM_WORD


def lead_command(
    connection: Annotated[
        str,
        typer.Option(
            "--connection",
            help="MAVLink link to the vehicle: udpin:HOST:PORT, udpout:HOST:PORT, "
            "tcp:HOST:PORT or a serial device such as /dev/ttyUSB0,57600.",
        ),
    ],
    route: Annotated[Path, typer.Option("--route", help="route.geojson from `route`.")],
    dem: Annotated[Path, typer.Option("--dem", help="The DEM the route was planned on.")],
    operation: Annotated[
        int | None, typer.Option(help="Operation id on the board (with --server).")
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(help="Coordination service URL; the token comes from SAFECONDUCT_TOKEN."),
    ] = None,
    person_track: Annotated[
        Path | None,
        typer.Option(help="Recorded walk, CSV 'time,lat,lon' (rehearsals and tests)."),
    ] = None,
    relief: Annotated[str | None, typer.Option(help="MAVLink link to the relief vehicle.")] = None,
    tlog: Annotated[
        Path | None,
        typer.Option(help="Telemetry log (.tlog) of everything sent and received."),
    ] = None,
    height: Annotated[float, typer.Option(help="Height above the ground, metres.")] = 15.0,
    min_height: Annotated[float, typer.Option(help="Lowest height above ground, m.")] = 8.0,
    max_height: Annotated[float, typer.Option(help="Highest height above ground, m.")] = 60.0,
    corridor: Annotated[
        float, typer.Option(help="Half-width of the fenced corridor around the route, metres.")
    ] = 40.0,
    max_speed: Annotated[
        float, typer.Option(help="Speed cap, m/s: WPNAV_SPEED must not exceed it.")
    ] = 5.0,
    rate: Annotated[float, typer.Option(help="Targets per second (5-10).")] = 5.0,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Skip the confirmation: only for a simulator on 127.0.0.1."),
    ] = False,
    drone: Annotated[
        str, typer.Option(help="Drone profile name or .toml file (energy model for handover).")
    ] = "camera-900g",
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each vehicle's heartbeat.")
    ] = 10.0,
    linger: Annotated[
        float | None,
        typer.Option(
            help="Seconds to keep the heartbeats after the walk ends or the pilot takes "
            "the vehicle (default: until Ctrl-C)."
        ),
    ] = None,
) -> None:
    """Lead the person along the route with a vehicle in GUIDED mode, at his pace."""
    from safeconduct import bootstrap
    from safeconduct.services.leading import LeadRequest, check_request, lead

    token = os.environ.get("SAFECONDUCT_TOKEN")
    if server is not None and (operation is None or not token):
        raise InvalidValueError(
            "the board needs an operation id and the token in SAFECONDUCT_TOKEN",
            field="server",
        )
    relief_tlog = tlog.with_suffix(".relief.tlog") if tlog is not None and relief else None
    request = LeadRequest(
        connection=connection,
        route_path=route,
        dem_path=dem,
        height_agl_m=height,
        min_agl_m=min_height,
        max_agl_m=max_height,
        corridor_half_width_m=corridor,
        speed_cap_ms=max_speed,
        rate_hz=rate,
        person_track_path=person_track,
        relief_connection=relief,
        tlog_path=tlog,
        relief_tlog_path=relief_tlog,
        assume_yes=yes,
        linger_s=linger,
        connect_timeout_s=timeout,
        drone=drone,
    )
    check_request(request)  # before any MAVLink library loads or any link opens
    ports = bootstrap.lead_ports(server=server, operation=operation, token=token)
    summary = lead(
        ports,
        request,
        confirm=None if yes else confirm_at_terminal,
        report=lambda line: _out.print(line),
    )
    _out.print(summary.describe())
