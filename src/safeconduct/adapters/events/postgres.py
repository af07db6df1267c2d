"""Case changes shared between processes through PostgreSQL ``LISTEN``/``NOTIFY``.

Every process that serves boards listens on one channel on a connection of its own (a
daemon thread); a change is published with ``pg_notify`` and reaches every listener,
the publisher included, in commit order, so every process numbers the same changes in the
same order. The channel is named after the database schema the store lives in, so that
two stores on one server (the tests' schemas) never hear each other.

Publishing happens after the change committed, on a separate connection: if the process
dies in between, that change is not announced (boards see it on their next reload). A
listener that loses its connection reconnects and tells its subscribers to reload, since
notifications sent meanwhile are lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime

import psycopg
import sqlalchemy as sa
from psycopg import sql

from safeconduct.adapters.events.memory import DEFAULT_CAPACITY, ChangeRing
from safeconduct.services.ports import CaseChange, ChangeBatch, ChangeWaker

log = logging.getLogger("safeconduct.events")

#: Seconds to wait for the server when (re)connecting.
CONNECT_TIMEOUT_S = 5
#: How often the listener looks whether it should stop, in seconds.
POLL_S = 0.5
#: Longest wait between reconnection attempts, in seconds.
MAX_BACKOFF_S = 10.0


def conninfo(url: sa.URL | str) -> str:
    """A libpq connection string for a SQLAlchemy ``postgresql+psycopg`` URL."""
    url = sa.make_url(url) if isinstance(url, str) else url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def channel_for(schema: str) -> str:
    """The NOTIFY channel of a store in ``schema``: ``safeconduct_changes`` in ``public``,
    else suffixed with a digest of the schema name (identifiers hold 63 bytes)."""
    if schema == "public":
        return "safeconduct_changes"
    return "safeconduct_changes_" + hashlib.sha256(schema.encode()).hexdigest()[:16]


def encode(change: CaseChange) -> str:
    """The NOTIFY payload of a change (well under PostgreSQL's 8000 bytes)."""
    return json.dumps(
        {
            "case_id": change.case_id,
            "case_code": change.case_code,
            "status": change.status,
            "at": change.at.isoformat(),
        },
        separators=(",", ":"),
    )


def decode(payload: str) -> CaseChange:
    """A change from its NOTIFY payload (ValueError/KeyError/TypeError when malformed)."""
    data = json.loads(payload)
    return CaseChange(
        case_id=int(data["case_id"]),
        case_code=str(data["case_code"]),
        status=str(data["status"]),
        at=datetime.fromisoformat(data["at"]),
    )


class NotifyChannel:
    """One PostgreSQL NOTIFY/LISTEN channel: a publishing connection and a listener thread.

    Both the case-change broker and the live-map relay use it; they differ only in the
    channel's suffix, what they do with a payload, and what a reconnection means to them.

    Parameters
    ----------
    url
        The store's database URL (``postgresql+psycopg://...``, its ``options`` may set
        the ``search_path``); the channel is :func:`channel_for` its schema plus ``suffix``.
    receive
        Called on the listener thread with each payload heard.
    what
        What the channel carries, for log lines ("case-change").
    thread_name
        The listener thread's name.
    suffix
        Appended to the schema's channel name, so two kinds of message never mix.
    relistened
        Called on the listener thread when it listens again after losing the connection
        (notifications sent meanwhile are lost).
    """

    def __init__(
        self,
        url: sa.URL | str,
        receive: Callable[[str], None],
        *,
        what: str,
        thread_name: str,
        suffix: str = "",
        relistened: Callable[[], None] | None = None,
    ) -> None:
        self._conninfo = conninfo(url)
        self._receive = receive
        self._what = what
        self._thread_name = thread_name
        self._suffix = suffix
        self._relistened = relistened
        self._channel: str | None = None
        self._lock = threading.Lock()  # guards the publishing connection and start-up
        self._publisher: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._listening = threading.Event()

    def _connect(self) -> psycopg.Connection:
        connection = psycopg.connect(
            self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        )
        if self._channel is None:
            schema = connection.execute("SELECT current_schema()").fetchone()
            self._channel = channel_for(str(schema[0] if schema else "public")) + self._suffix
        return connection

    @property
    def name(self) -> str:
        """The channel name (asks the server for the schema the first time)."""
        if self._channel is None:
            with self._lock:
                if self._channel is None:
                    self._connect().close()
        assert self._channel is not None
        return self._channel

    def notify(self, payload: str) -> None:
        """NOTIFY every listening process, this one included; retried once on a broken
        connection. Raises ``psycopg.Error`` when the server does not answer."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._publisher is None or self._publisher.closed:
                        self._publisher = self._connect()
                    self._publisher.execute("SELECT pg_notify(%s, %s)", (self._channel, payload))
                    return
                except psycopg.OperationalError:
                    self._close_publisher()
                    if attempt == 2:
                        raise

    def _close_publisher(self) -> None:
        if self._publisher is not None:
            with contextlib.suppress(psycopg.Error):
                self._publisher.close()
            self._publisher = None

    def start(self, *, wait_s: float = CONNECT_TIMEOUT_S) -> bool:
        """Start the listener thread (once); whether it listens within ``wait_s``."""
        with self._lock:
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._listen, name=self._thread_name, daemon=True
                )
                self._thread.start()
        return self._listening.wait(wait_s)

    def _listen(self) -> None:
        backoff = 0.5
        first = True
        while not self._stop.is_set():
            try:
                with self._connect() as connection:
                    connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.name)))
                    if not first and self._relistened is not None:
                        self._relistened()
                    first, backoff = False, 0.5
                    self._listening.set()
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=POLL_S):
                            self._receive(note.payload)
            except psycopg.Error as error:
                self._listening.clear()
                if self._stop.is_set():
                    break
                log.warning(
                    "lost the %s listener (%s); retrying in %.1f s",
                    self._what,
                    str(error).strip().splitlines()[0] if str(error) else error,
                    backoff,
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
        self._listening.clear()

    def close(self) -> None:
        """Stop the listener and close both connections."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=POLL_S * 4 + CONNECT_TIMEOUT_S)
        with self._lock:
            self._thread = None
            self._close_publisher()


class PostgresChangeBroker:
    """Publish case changes with NOTIFY; hear every process's with LISTEN.

    Parameters
    ----------
    url
        The store's database URL (``postgresql+psycopg://...``, its ``options`` may set
        the ``search_path``).
    capacity
        How many changes the ring keeps for reconnecting subscribers.

    The listener thread starts with the first subscriber (:meth:`add_waker`) or
    :meth:`start`, so a process that only publishes (the command line) opens no
    listening connection.
    """

    def __init__(self, url: sa.URL | str, *, capacity: int = DEFAULT_CAPACITY) -> None:
        self.ring = ChangeRing(capacity)
        self._notify = NotifyChannel(
            url,
            self._receive,
            what="case-change",
            thread_name="safeconduct-listen",
            relistened=self._relistened,
        )

    @property
    def channel(self) -> str:
        """The channel name (asks the server for the schema the first time)."""
        return self._notify.name

    def publish(self, change: CaseChange) -> None:
        """NOTIFY every listening process, this one included; retried once on a broken
        connection. Raises ``psycopg.Error`` when the server does not answer."""
        self._notify.notify(encode(change))

    def start(self, *, wait_s: float = CONNECT_TIMEOUT_S) -> bool:
        """Start the listener thread (once); whether it listens within ``wait_s``."""
        return self._notify.start(wait_s=wait_s)

    def _relistened(self) -> None:
        # Notifications sent while we were away are lost: tell boards to reload.
        log.warning("listening for case changes again; boards will reload")
        self.ring.break_continuity()

    def _receive(self, payload: str) -> None:
        try:
            change = decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed case-change notification")
            return
        self.ring.append(change)

    # ------------------------------------------------------------- the feed

    def after(self, cursor: str | None) -> ChangeBatch:
        return self.ring.after(cursor)

    def add_waker(self, wake: ChangeWaker) -> None:
        self.start()
        self.ring.add_waker(wake)

    def remove_waker(self, wake: ChangeWaker) -> None:
        self.ring.remove_waker(wake)

    def close(self) -> None:
        """Stop the listener and close both connections."""
        self._notify.close()
