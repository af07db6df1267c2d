"""``safeconduct mission upload``: send a mission file to a vehicle and check it came through."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safeconduct.adapters.formats.mission_files import read_mission_file
from safeconduct.adapters.mavlink.upload import (
    ACCEPTED_CONNECTIONS,
    MissionUploadError,
    upload_and_verify,
)
from safeconduct.entrypoints.cli.display import progress_bar

_out = Console(highlight=False, soft_wrap=True)


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
    mission = read_mission_file(file)
    _out.print(f"read {mission.describe()}")
    with progress_bar("mission items") as advance:
        report = upload_and_verify(
            connection,
            mission.items,
            timeout_s=timeout,
            retries=retries,
            target_system=target_system,
            progress=advance,
        )
    for note in report.notes:
        _out.print(f"note: {note}")
    if not report.ok:
        raise MissionUploadError(
            f"the vehicle does not hold the mission sent: {report.describe()}",
            detail="\n".join(str(d) for d in report.differences),
        )
    _out.print(f"sent to system {target_system} on {connection} and verified: {report.describe()}")
