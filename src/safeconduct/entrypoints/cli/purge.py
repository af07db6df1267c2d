"""``safeconduct purge``: delete the cases whose retention period is over.

A thin wrapper over :func:`safeconduct.services.retention.purge`: the periods come from the
retention settings (``--settings FILE``, else ``retention.toml`` in the data folder, else
the defaults: 30 days for a contact that never became an operation, 90 for an operation
that ended before anyone arrived; registration data is only reported for hand-over). A case
is deleted by destroying its data keys (crypto-shredding) and its rows; the master key is
then rotated in place in the key file, so that backups taken before no longer open with it.
``--dry-run`` prints the same counts and changes nothing. ``serve`` runs the purge on a
schedule (``--purge-hours``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeconduct.entrypoints.cli.cases import DataOption, DbOption, open_database
from safeconduct.entrypoints.cli.keys import KeyFileOption

#: ``--settings FILE``: the retention settings (TOML).
SettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        help="Retention settings (TOML, see README 'Retention'); default: retention.toml in "
        "the data folder if there is one, else the defaults (30 / 90 / 365 days).",
        show_default=False,
    ),
]

_RULES = {
    "contact": "contacts that never became an operation",
    "ended_operation": "operations ended before anyone arrived",
}


def purge_command(
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Count what is due and change nothing."),
    ] = False,
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    settings: SettingsOption = None,
) -> None:
    """Delete the cases whose retention period is over, by destroying their data keys; the
    master key is rotated after, in place in the key file (back up the new key file)."""
    from safeconduct import bootstrap
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.exports import purge_expired_exports
    from safeconduct.services.retention import purge

    casework = open_database(data, db, key_file)
    try:
        bootstrap.unlock_store(casework, key_file)
        ports = bootstrap.retention_ports(
            casework, key_file=key_file, settings=settings, data=data, db=db
        )
        report = purge(ports, dry_run=dry_run, actor=CONSOLE)
        # The exports kept for download go once expired (they hold personal data too).
        expired = 0 if dry_run else purge_expired_exports(bootstrap.export_ports(casework, data))
    finally:
        casework.database.close()
    verb = "would purge" if dry_run else "purged"
    for rule, what in _RULES.items():
        typer.echo(f"{verb} {report.purged.get(rule, 0):>5}  {what} ({rule})")
    typer.echo(
        f"due for hand-over {report.handover_due:>5}  registration data, kept (registration)"
    )
    kept = ", ".join(f"{rule} {count}" for rule, count in report.kept.items() if count)
    typer.echo(
        f"kept {sum(report.kept.values()):>5}  not due yet or active{f' ({kept})' if kept else ''}"
    )
    if report.deleted:
        typer.echo("deleted: " + ", ".join(f"{k} {v}" for k, v in report.deleted.items()))
    if expired:
        typer.echo(f"deleted {expired} expired export(s) kept for download")
    if report.rotated_to is not None:
        typer.echo(
            f"master key rotated to {report.rotated_to}: copies of the database taken before "
            "no longer open with the key file; back up the key file now"
        )
    elif report.rotation_owed:
        typer.echo(
            "keys were destroyed under the current master key; a purge without --dry-run "
            "(with the key file) rotates it, so that older copies open nothing"
        )
