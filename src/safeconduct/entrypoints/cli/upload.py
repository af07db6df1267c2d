"""``safeconduct mission upload``: send a mission file to a vehicle and check it came through."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safeconduct.adapters.mavlink.connections import ACCEPTED_CONNECTIONS
from safeconduct.entrypoints.cli.display import progress_bar

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)


def upload_command(
    connection: Annotated[
        str,
        typer.Option("--connection", help=f"MAVLink link to the vehicle: {ACCEPTED_CONNECTIONS}."),
    ],
    file: Annotated[
        Path, typer.Argument(help="Mission file: QGC WPL 110 .waypoints or QGroundControl .plan.")
    ],
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the vehicle's heartbeat and each answer.")
    ] = 5.0,
    retries: Annotated[
        int, typer.Option(help="Times an unanswered message is sent again before giving up.")
    ] = 3,
    target_system: Annotated[int, typer.Option(help="The vehicle's MAVLink system id.")] = 1,
) -> None:
    """Upload a mission over MAVLink, read it back, and compare it item by item."""
    from safeconduct import bootstrap
    from safeconduct.mission.transfer import MissionMismatchError
    from safeconduct.services.mission import read_mission, upload_mission

    ports = bootstrap.upload_ports()
    mission = read_mission(ports, file)
    _out.print(f"read {mission.describe()}")
    try:
        with progress_bar("mission items") as advance:
            report = upload_mission(
                ports,
                mission,
                connection,
                timeout_s=timeout,
                retries=retries,
                target_system=target_system,
                progress=advance,
            )
    except MissionMismatchError as exc:
        for note in exc.report.notes:
            _out.print(f"note: {note}")
        raise
    for note in report.notes:
        _out.print(f"note: {note}")
    _out.print(f"sent to system {target_system} on {connection} and verified: {report.describe()}")
