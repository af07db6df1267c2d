"""``safeconduct backup`` and ``safeconduct restore``: the whole database, encrypted.

Thin wrappers over :mod:`safeconduct.services.backup`. ``backup`` runs beside a running
service (a consistent snapshot; the service keeps writing); ``restore`` fills an empty
database (a new data folder, or an empty PostgreSQL database) and checks every row and
the audit chain before it says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeconduct.entrypoints.cli.cases import DataOption, DbOption, KeyFileOption, open_store


def backup_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The backup file to write (encrypted with the key file; written whole or "
            "not at all). Keep it, with the key file, away from the database's machine.",
            show_default=False,
        ),
    ],
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Back up the whole database, consistently, while the service runs."""
    from safeconduct import bootstrap
    from safeconduct.services.backup import make_backup
    from safeconduct.services.casework import CONSOLE

    casework = open_store(data, db, key_file)
    try:
        summary = make_backup(bootstrap.backup_ports(casework, key_file), out, actor=CONSOLE)
    finally:
        casework.database.close()
    typer.echo(summary.describe())


def restore_command(
    backup_file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="A backup file made by `safeconduct backup`.", show_default=False
        ),
    ],
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Restore a backup into an EMPTY database, then verify every record and the audit trail."""
    from safeconduct import bootstrap
    from safeconduct.services.backup import restore_backup
    from safeconduct.services.casework import CONSOLE

    ports = bootstrap.restore_ports(data, db, key_file)
    try:
        summary = restore_backup(ports, backup_file, actor=CONSOLE)
    finally:
        ports.audit.close()  # type: ignore[attr-defined]
    typer.echo(summary.describe())
