"""``safeconduct worker``: run plan jobs for a service on PostgreSQL, here or elsewhere.

On PostgreSQL the service queues plan jobs through procrastinate; any number of
``safeconduct worker`` processes, on any machine that reaches the database and shares the
data folder (the areas and the plans' files), run them. On SQLite the in-process worker
inside ``safeconduct serve`` runs them and this command refuses with a clear message.
procrastinate, the store and the planning pipeline load only when the command runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from safeconduct.entrypoints.cli.cases import DbOption
from safeconduct.entrypoints.cli.keys import KeyFileOption

#: The worker's niceness by default. A plan keeps the cores busy for tens of seconds; on 2
#: shared cores (bench/bench_load.py --configs 1 --mixes planning, 60 s, two runs each) the
#: service beside a worker at equal priority answered at p95 0.62-0.86 s and its crews
#: skipped 272-406 live posts of 1200; with the worker at 10, 0.42-0.46 s and 75-125.
DEFAULT_NICE = 10


def lower_priority(nice: int) -> None:
    """Raise this process's niceness to ``nice`` unless it is that high already (never
    lowered: that needs privileges, and whoever started us chose it). Called before any
    thread starts, so the job's threads (procrastinate's, numba's) inherit it; a no-op
    where the OS has no niceness."""
    if hasattr(os, "nice"):
        current = os.nice(0)
        if nice > current:
            os.nice(nice - current)


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
    nice: Annotated[
        int,
        typer.Option(
            "--nice",
            min=0,
            max=19,
            help="Run plans at this CPU niceness at least (0-19, as nice): below the "
            "service on a shared machine, so its requests, a leading's live positions "
            "first, do not wait behind a plan.",
        ),
    ] = DEFAULT_NICE,
) -> None:
    """Run plan jobs queued by the service (PostgreSQL only) until interrupted."""
    from safeconduct import bootstrap

    lower_priority(nice)
    bootstrap.run_plan_worker(db, data, concurrency=concurrency, key_file=key_file)
