"""A task run every so many seconds on a background thread, until stopped.

The service's periodic work (an audit checkpoint every N minutes) runs here: one daemon
thread per task, a failure logged and tried again at the next turn, stopped at once when
the service stops.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("safeconduct.jobs")


class PeriodicTask:
    """Run ``task`` every ``every_s`` seconds (the first time after one period).

    Parameters
    ----------
    task
        What to run; an exception is logged and the task runs again next time.
    every_s
        Seconds between runs (more than 0).
    name
        The thread's name, for logs.
    """

    def __init__(self, task: Callable[[], object], every_s: float, *, name: str) -> None:
        if not every_s > 0:
            raise ValueError(f"every_s must be more than 0, not {every_s!r}")
        self._task, self._every_s, self._name = task, float(every_s), name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Callable[[], None]:
        """Start the thread (once); return the function that stops it."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()
        return self.stop

    def _loop(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                self._task()
            except Exception:  # a lost database or a full disk: log, try at the next turn
                log.exception("%s failed; it runs again in %.0f s", self._name, self._every_s)

    def stop(self) -> None:
        """Stop the thread and wait for a run in progress to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
