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
    target_system: Annotated[
        int, typer.Option(help="The vehicle's MAVLink system id, 1-255.")
    ] = 1,
) -> None:
    """Upload a mission over MAVLink, read it back, and compare it item by item.

    The read-back is compared with what the vehicle's firmware keeps of each item
    (ArduPilot: whole centimetres, whole seconds, frame 0 without a position; PX4: its
    own rules), chosen from the vehicle's heartbeat; only a real change is an error.
    """
    from safeconduct import bootstrap
    from safeconduct.mission.transfer import MissionMismatchError, check_mavlink_id
    from safeconduct.services.mission import read_mission, upload_mission

    check_mavlink_id(target_system, "target_system")  # before the file and the link
    ports = bootstrap.upload_ports()
    mission = read_mission(ports, file)
    _out.print(f"read {mission.describe()}", markup=False)
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
            _out.print(f"note: {note}", markup=False)
        if len(exc.report.differences) > 1:  # the error line names only the first
            _out.print(f"the vehicle holds {len(exc.report.differences)} differences:")
            for difference in exc.report.differences:
                _out.print(f"  {difference}", markup=False)
        raise
    for note in report.notes:
        _out.print(f"note: {note}", markup=False)
    _out.print(
        f"sent to system {target_system} on {connection} and verified: {report.describe()}",
        markup=False,
    )
