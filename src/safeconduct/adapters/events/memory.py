"""Numbered case changes in a bounded ring, and the in-process broker built on it.

Event ids are ``"<epoch>-<n>"``: ``n`` counts the changes this ring has seen, ``epoch`` is
drawn at random when the ring starts (and again when continuity is lost), so that an id
from another process, or from before a restart, is recognised as unknown and the
subscriber is told to reload instead of being silently given a gap.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import deque

from safeconduct.services.ports import CaseChange, ChangeBatch, ChangeWaker

log = logging.getLogger("safeconduct.events")

#: Changes a ring keeps for subscribers that reconnect (a few minutes of a busy board).
DEFAULT_CAPACITY = 1024


class ChangeRing:
    """The last ``capacity`` changes, numbered, with the callbacks waiting for more.

    Thread-safe: changes arrive from request threads or a listener thread, and are read
    from the event loop's streams.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("a ring holds at least one change")
        self._lock = threading.Lock()
        self._items: deque[tuple[int, CaseChange]] = deque(maxlen=capacity)
        self._epoch = secrets.token_hex(4)
        self._seq = 0
        self._wakers: set[ChangeWaker] = set()

    def _id(self, seq: int) -> str:
        return f"{self._epoch}-{seq}"

    def append(self, change: CaseChange) -> str:
        """Number ``change``, keep it, wake every subscriber; its event id."""
        with self._lock:
            self._seq += 1
            self._items.append((self._seq, change))
            event_id = self._id(self._seq)
            wakers = list(self._wakers)
        self._wake(wakers)
        return event_id

    def break_continuity(self) -> None:
        """Forget every change and start a new epoch: changes may have been missed (a lost
        database connection), so every subscriber must reload."""
        with self._lock:
            self._items.clear()
            self._epoch = secrets.token_hex(4)
            self._seq = 0
            wakers = list(self._wakers)
        self._wake(wakers)

    def after(self, cursor: str | None) -> ChangeBatch:
        """The changes after ``cursor``; see :meth:`CaseChangeFeed.after`."""
        with self._lock:
            current = self._id(self._seq)
            if cursor is None or cursor == current:
                return ChangeBatch(changes=(), cursor=current)
            epoch, _, number = cursor.partition("-")
            seq = int(number) if number.isdigit() else -1
            oldest = self._items[0][0] if self._items else self._seq + 1
            # Known: this epoch, not in the future, and nothing after it has dropped out.
            if epoch != self._epoch or not oldest - 1 <= seq <= self._seq:
                return ChangeBatch(changes=(), cursor=current, reset=True)
            changes = tuple((self._id(n), c) for n, c in self._items if n > seq)
            return ChangeBatch(changes=changes, cursor=current)

    def add_waker(self, wake: ChangeWaker) -> None:
        with self._lock:
            self._wakers.add(wake)

    def remove_waker(self, wake: ChangeWaker) -> None:
        with self._lock:
            self._wakers.discard(wake)

    @staticmethod
    def _wake(wakers: list[ChangeWaker]) -> None:
        for wake in wakers:
            try:
                wake()
            except Exception:  # a closed event loop must not stop the others' news
                log.debug("a change subscriber could not be woken", exc_info=True)


class InProcessChangeBroker:
    """Case changes within one process: what is published is numbered and streamed here.

    Enough for SQLite, where one server process serves the boards; changes made by another
    process (the command line) are not seen until the boards reload.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.ring = ChangeRing(capacity)

    def publish(self, change: CaseChange) -> None:
        self.ring.append(change)

    def after(self, cursor: str | None) -> ChangeBatch:
        return self.ring.after(cursor)

    def add_waker(self, wake: ChangeWaker) -> None:
        self.ring.add_waker(wake)

    def remove_waker(self, wake: ChangeWaker) -> None:
        self.ring.remove_waker(wake)

    def close(self) -> None:
        """Nothing to free."""
