"""Plan jobs on PostgreSQL through procrastinate: no broker, the jobs live in the database.

:func:`make_app` builds a procrastinate app on the service's database (its schema applied
by :func:`apply_schema` at start-up, once, under an advisory lock); :class:`ProcrastinateJobQueue`
defers a plan job as the task :data:`PLAN_TASK`; :func:`run_worker` runs a worker that executes
it with the function the entry point hands in, and retries jobs whose worker died: every
worker beats a heartbeat, and a job held by a worker whose heartbeat stopped for
:data:`STALLED_AFTER_S` seconds (killed, its machine gone) is put back to be run again.
The use case makes a second run harmless (the final attach is keyed by the plan job).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import procrastinate
import procrastinate.exceptions
import psycopg
from sqlalchemy.engine import URL

from safeconduct.errors import BadFileError

log = logging.getLogger("safeconduct.jobs")

#: The task name a plan job is deferred as.
PLAN_TASK = "safeconduct.plan"
#: The queue plan jobs go to.
QUEUE = "plans"
#: Seconds between a worker's heartbeats.
HEARTBEAT_S = 2.0
#: A job whose worker beat no heartbeat for this long is retried.
STALLED_AFTER_S = 8.0
#: Seconds between looks for stalled jobs.
STALLED_CHECK_S = 3.0
#: Attempts of a job that raised (the use case fails a job itself; this is for lost
#: connections and the like).
MAX_ATTEMPTS = 3

# Any fixed 64-bit number: the advisory lock that serialises applying the schema.
_SCHEMA_LOCK = 0x5AFEC0D1


def conninfo(url: URL) -> str:
    """The libpq connection string of a ``postgresql+psycopg`` SQLAlchemy URL (with its
    query, such as ``options=-csearch_path=...``)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(url: URL, run_job: Callable[[int], Any] | None = None) -> procrastinate.App:
    """A procrastinate app on ``url``; with ``run_job``, the plan task runs it (a worker).

    Parameters
    ----------
    url
        The service's PostgreSQL database.
    run_job
        Runs one plan job given its id (the use case, its ports bound); only workers need it.
    """
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)))
    if run_job is not None:

        @app.task(name=PLAN_TASK, queue=QUEUE, retry=procrastinate.RetryStrategy(
            max_attempts=MAX_ATTEMPTS, wait=2))  # fmt: skip
        def plan(job_id: int) -> None:
            run_job(job_id)

    return app


def apply_schema(url: URL) -> bool:
    """Create procrastinate's tables in the database (its search path) unless there;
    whether it did. Safe to call from several processes at once.

    Raises
    ------
    BadFileError
        ``field="db"``: the database does not answer.
    """
    from procrastinate.schema import SchemaManager

    try:
        with psycopg.connect(conninfo(url), connect_timeout=10) as connection:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                found = connection.execute(
                    "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
                ).fetchone()
                if found and found[0]:
                    return False
                connection.execute(SchemaManager.get_schema())  # type: ignore[arg-type]
            return True
    except psycopg.OperationalError as error:
        raise BadFileError(
            f"cannot set up the job queue in the database: {str(error).strip().splitlines()[0]}",
            field="db",
        ) from error


class ProcrastinateJobQueue:
    """:class:`~safeconduct.services.ports.JobQueue` that defers plan jobs to procrastinate.

    Opens its app lazily (a sync connection pool) and keeps it open until :meth:`close`.
    """

    def __init__(self, url: URL) -> None:
        self._app = make_app(url)
        self._opened = False

    def enqueue(self, job_id: int) -> None:
        try:
            if not self._opened:
                self._app.open()
                self._opened = True
            # One procrastinate job per plan job: deferring the same plan job twice (a
            # repeated request) is refused by the queueing lock instead of run twice.
            task = self._app.configure_task(
                PLAN_TASK, queue=QUEUE, queueing_lock=f"plan-job-{job_id}"
            )
            task.defer(job_id=job_id)
        except procrastinate.exceptions.ConnectorException as error:
            raise BadFileError(
                f"cannot queue plan job {job_id}: the database does not answer ({error})",
                field="db",
            ) from error

    def close(self) -> None:
        if self._opened:
            self._app.close()
            self._opened = False


async def _retry_stalled(app: procrastinate.App) -> None:
    manager = app.job_manager
    while True:
        await asyncio.sleep(STALLED_CHECK_S)
        try:
            stalled = await manager.get_stalled_jobs(
                task_name=PLAN_TASK, seconds_since_heartbeat=STALLED_AFTER_S
            )
            for job in stalled:
                log.warning("plan job %s: its worker stopped beating; retrying it", job.id)
                await manager.retry_job(job)
        except Exception:  # the database went away for a moment: try again later
            log.exception("looking for stalled plan jobs failed")


def run_worker(
    url: URL,
    run_job: Callable[[int], Any],
    *,
    concurrency: int = 1,
    name: str | None = None,
) -> None:
    """Run a procrastinate worker on ``url`` until interrupted (SIGINT/SIGTERM).

    Each plan job runs ``run_job(job_id)`` in a thread; jobs of dead workers are retried.
    """
    app = make_app(url, run_job)

    async def main() -> None:
        async with app.open_async():
            watcher = asyncio.create_task(_retry_stalled(app))
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=concurrency,
                    name=name,
                    update_heartbeat_interval=HEARTBEAT_S,
                    stalled_worker_timeout=STALLED_AFTER_S,
                    fetch_job_polling_interval=1.0,
                )
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    asyncio.run(main())
