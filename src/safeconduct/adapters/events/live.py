"""Live-map updates shared between server processes: in one process, or through PostgreSQL
``LISTEN``/``NOTIFY`` as case changes are (:mod:`.postgres`).

A live map (:mod:`safeconduct.services.live`) lives in each server process's memory: where
a surrendering person walks is never written to the database. So that two processes
behind one address show the same map, every update is sent to all of them, the sender
included, on a channel of its own beside the case-change channel; each applies it to its
own map. An update missed while a listener reconnects is repaired by the next one (the
leader sends positions every second).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable

import psycopg
import sqlalchemy as sa
from psycopg import sql

from safeconduct.adapters.events.postgres import (
    CONNECT_TIMEOUT_S,
    MAX_BACKOFF_S,
    POLL_S,
    channel_for,
    conninfo,
)
from safeconduct.services.ports import LivePosition, LiveUpdate

log = logging.getLogger("safeconduct.events")

Receiver = Callable[[LiveUpdate], None]

#: NOTIFY payloads must stay under 8000 bytes; an update is cut to fit well below it.
MAX_PAYLOAD = 7000


def encode(update: LiveUpdate) -> str:
    """The JSON text of ``update`` (compact)."""
    return json.dumps(
        {
            "id": update.id,
            "op": update.operation_id,
            "kind": update.kind,
            "at": update.at,
            "pos": [[p.kind, p.lat, p.lon, p.at, p.source, p.label] for p in update.positions],
            "status": update.status,
            "engaged": update.engaged,
            "engaged_at": update.engaged_at,
        },
        separators=(",", ":"),
    )


def decode(payload: str) -> LiveUpdate:
    """An update from :func:`encode`'s text (ValueError/KeyError/TypeError when malformed)."""
    data = json.loads(payload)
    positions = tuple(
        LivePosition(
            kind=str(kind),
            lat=float(lat),
            lon=float(lon),
            at=str(at),
            source=str(source),
            label=str(label),
        )
        for kind, lat, lon, at, source, label in data["pos"]
    )
    return LiveUpdate(
        id=str(data["id"]),
        operation_id=int(data["op"]),
        kind=str(data["kind"]),
        at=str(data["at"]),
        positions=positions,
        status=str(data["status"]),
        engaged=bool(data["engaged"]),
        engaged_at=str(data["engaged_at"]),
    )


class _Receivers:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._receivers: list[Receiver] = []

    def add(self, receive: Receiver) -> None:
        with self._lock:
            self._receivers.append(receive)

    def deliver(self, update: LiveUpdate) -> None:
        with self._lock:
            receivers = list(self._receivers)
        for receive in receivers:
            try:
                receive(update)
            except Exception:  # one broken map must not stop the others' news
                log.exception("a live-map subscriber failed")


class InProcessLiveRelay:
    """Live-map updates within one process (SQLite: one server process serves the boards)."""

    def __init__(self) -> None:
        self._receivers = _Receivers()

    def publish(self, update: LiveUpdate) -> None:
        self._receivers.deliver(update)

    def subscribe(self, receive: Receiver) -> None:
        self._receivers.add(receive)

    def close(self) -> None:
        """Nothing to free."""


class PostgresLiveRelay:
    """Live-map updates to every process on one PostgreSQL database, with NOTIFY/LISTEN.

    Parameters
    ----------
    url
        The store's database URL (``postgresql+psycopg://...``); the channel is the store's
        case-change channel (:func:`~.postgres.channel_for` of its schema) plus ``_live``,
        so two stores on one server never hear each other.

    The listener thread starts with the first :meth:`subscribe`.
    """

    def __init__(self, url: sa.URL | str) -> None:
        self._conninfo = conninfo(url)
        self._receivers = _Receivers()
        self._channel: str | None = None
        self._lock = threading.Lock()
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
            self._channel = channel_for(str(schema[0] if schema else "public")) + "_live"
        return connection

    def publish(self, update: LiveUpdate) -> None:
        """NOTIFY every listening process; retried once on a broken connection. Raises
        ``psycopg.Error`` when the server does not answer, ``ValueError`` when the update
        is too big for a notification."""
        payload = encode(update)
        if len(payload.encode()) > MAX_PAYLOAD:
            raise ValueError(f"a live update of {len(payload)} bytes is too big to relay")
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

    def subscribe(self, receive: Receiver) -> None:
        self._receivers.add(receive)
        self.start()

    def start(self, *, wait_s: float = CONNECT_TIMEOUT_S) -> bool:
        """Start the listener thread (once); whether it listens within ``wait_s``."""
        with self._lock:
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._listen, name="safeconduct-live", daemon=True
                )
                self._thread.start()
        return self._listening.wait(wait_s)

    def _listen(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with self._connect() as connection:
                    assert self._channel is not None
                    connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    backoff = 0.5
                    self._listening.set()
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=POLL_S):
                            self._receive(note.payload)
            except psycopg.Error as error:
                self._listening.clear()
                if self._stop.is_set():
                    break
                log.warning(
                    "lost the live-map listener (%s); retrying in %.1f s",
                    str(error).strip().splitlines()[0] if str(error) else error,
                    backoff,
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
        self._listening.clear()

    def _receive(self, payload: str) -> None:
        try:
            update = decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed live-map notification")
            return
        self._receivers.deliver(update)

    def close(self) -> None:
        """Stop the listener and close both connections."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=POLL_S * 4 + CONNECT_TIMEOUT_S)
        with self._lock:
            self._thread = None
            self._close_publisher()
