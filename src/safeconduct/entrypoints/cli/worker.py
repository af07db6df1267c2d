"""``safeconduct worker``: run plan jobs for a service on PostgreSQL, here or elsewhere.

On PostgreSQL the service queues plan jobs through procrastinate; any number of
``safeconduct worker`` processes, on any machine that reaches the database and shares the
data folder (the areas and the plans' files), run them. On SQLite the in-process worker
inside ``safeconduct serve`` runs them and this command refuses with a clear message.
procrastinate, the store and the planning pipeline load only when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeconduct.entrypoints.cli.cases import DbOption
from safeconduct.entrypoints.cli.keys import KeyFileOption


def worker_command(
    db: DbOption = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Data folder holding areas/ and operations/, shared with the service "
            "(default: $SAFECONDUCT_DATA, else ./safeconduct-data).",
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", min=1, max=16, help="Plan jobs run at once."),
    ] = 1,
    key_file: KeyFileOption = None,
) -> None:
    """Run plan jobs queued by the service (PostgreSQL only) until interrupted."""
    from safeconduct import bootstrap

    bootstrap.run_plan_worker(db, data, concurrency=concurrency, key_file=key_file)
