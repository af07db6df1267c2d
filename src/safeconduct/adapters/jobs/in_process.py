"""The in-process worker of the SQLite service: one thread, one job at a time.

SQLite has one writer at a time, and ``safeconduct serve`` on SQLite is one process, so
its plan jobs run in a thread of that process, taken from the ``plan_jobs`` table oldest
first. :meth:`InProcessJobQueue.enqueue` only wakes the thread: the committed row is the
queue, so a job queued before a restart (or left ``running`` by a process that died) is
run when the worker starts again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("safeconduct.jobs")

#: Seconds between looks at the table when nobody wakes the worker (jobs from elsewhere).
POLL_S = 5.0


class InProcessJobQueue:
    """:class:`~safeconduct.services.ports.JobQueue` served by one background thread.

    :meth:`start` takes ``run_next``: a function that runs the oldest runnable job and
    returns its id, or None when there is none (``services.operations.run_next_job`` with
    its ports bound).
    """

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def enqueue(self, job_id: int) -> None:
        self._idle.clear()
        self._wake.set()

    def start(self, run_next: Callable[[], int | None]) -> None:
        """Start the worker thread (once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(run_next,), name="safeconduct-plan-worker", daemon=True
        )
        self._thread.start()
        self._wake.set()

    def _loop(self, run_next: Callable[[], int | None]) -> None:
        while not self._stop.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            while not self._stop.is_set():
                try:
                    ran = run_next()
                except Exception:  # a bug or a lost database: log, keep serving
                    log.exception("the plan worker failed; it tries again shortly")
                    ran = None
                if ran is None:
                    break
            if not self._wake.is_set():
                self._idle.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job is left to run (for tests and shutdown); whether it is."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop after the job in progress (the table keeps the rest for next time)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
