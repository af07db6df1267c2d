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

import json
import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa

from safeconduct.adapters.events.postgres import CONNECT_TIMEOUT_S, NotifyChannel
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
        self._receivers = _Receivers()
        self._notify = NotifyChannel(
            url, self._receive, what="live-map", thread_name="safeconduct-live", suffix="_live"
        )

    def publish(self, update: LiveUpdate) -> None:
        """NOTIFY every listening process; retried once on a broken connection. Raises
        ``psycopg.Error`` when the server does not answer, ``ValueError`` when the update
        is too big for a notification."""
        payload = encode(update)
        if len(payload.encode()) > MAX_PAYLOAD:
            raise ValueError(f"a live update of {len(payload)} bytes is too big to relay")
        self._notify.notify(payload)

    def subscribe(self, receive: Receiver) -> None:
        self._receivers.add(receive)
        self.start()

    def start(self, *, wait_s: float = CONNECT_TIMEOUT_S) -> bool:
        """Start the listener thread (once); whether it listens within ``wait_s``."""
        return self._notify.start(wait_s=wait_s)

    def _receive(self, payload: str) -> None:
        try:
            update = decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed live-map notification")
            return
        self._receivers.deliver(update)

    def close(self) -> None:
        """Stop the listener and close both connections."""
        self._notify.close()
