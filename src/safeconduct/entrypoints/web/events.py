"""``GET /api/events``: case changes as Server-Sent Events, for live boards.

Each event is one committed change of a case the user may see: ``event: case`` with
``data: {"id", "case_code", "printed_code", "status", "at"}`` (no personal data) and an
``id`` the browser sends back as ``Last-Event-ID`` when it reconnects, so nothing is
missed while the ring (:mod:`safeconduct.adapters.events`) still holds it. When it no
longer does (too old, another server process, a restart, a lost database connection),
the stream sends ``event: reset`` and the page reloads what it shows. Every stream starts
with ``event: ready`` carrying the current id. A comment line keeps idle connections
open; a stream ends after :data:`STREAM_S` seconds and the browser reconnects, resuming
(proxies and load balancers drop long requests anyway).

Signed in either way: the session cookie (browsers' ``EventSource`` sends no headers) or
a bearer token. A role that may see no case (auditor, administrator) gets 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from safeconduct.entrypoints.web.pages import session as web_session
from safeconduct.entrypoints.web.schemas import Problem
from safeconduct.note.casecode import format_case_code
from safeconduct.services import casework
from safeconduct.services.casework import Actor, AuthenticationError, CaseworkPorts
from safeconduct.services.ports import CaseChange, CaseChangeFeed

#: Seconds a stream lasts before the browser reconnects (``app.state.event_stream_s``).
STREAM_S = 300.0
#: Seconds between keep-alive comments (``app.state.event_heartbeat_s``).
HEARTBEAT_S = 15.0
#: Milliseconds a browser waits before reconnecting.
RETRY_MS = 1000

router = APIRouter(prefix="/api")


class StreamStop:
    """Ends every open stream when the server is asked to stop (``app.state.stream_stop``).

    A stream never ends by itself, and uvicorn waits for open responses before it stops;
    so on SIGINT/SIGTERM (:func:`safeconduct.entrypoints.web.pages.mount_board` chains
    the signals) each stream is woken and returns. Browsers reconnect to whichever server
    answers next, resuming from their last event id.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wakers: set[Callable[[], None]] = set()
        self.stopping = False

    def add(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wakers.add(wake)

    def remove(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wakers.discard(wake)

    def stop(self) -> None:
        """Wake every stream so it ends (safe from a signal handler: wakers only schedule)."""
        self.stopping = True
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            with contextlib.suppress(RuntimeError):  # a loop already closed
                wake()


def _actor(ports: CaseworkPorts, request: Request) -> Actor:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return casework.actor_for_token(ports, credentials.strip())
    token = web_session.session_token(request)
    if token is None:
        raise AuthenticationError(
            "not signed in; sign in on /login, or send 'Authorization: Bearer <token>'",
            field="token",
        )
    return casework.actor_for_token(ports, token)


def format_event(event: str, data: dict[str, object], event_id: str | None = None) -> str:
    """One Server-Sent Event (``id``, ``event`` and one ``data`` line of JSON)."""
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines += [f"event: {event}", "data: " + json.dumps(data, separators=(",", ":"))]
    return "\n".join(lines) + "\n\n"


def _payload(change: CaseChange) -> dict[str, object]:
    return {
        "id": change.case_id,
        "case_code": change.case_code,
        "printed_code": format_case_code(change.case_code),
        "status": change.status,
        "at": change.at.isoformat(),
    }


async def woken_stream(
    request: Request,
    add_waker: Callable[[Callable[[], None]], None],
    remove_waker: Callable[[Callable[[], None]], None],
    emit: Callable[[], Awaitable[list[str]]],
) -> AsyncIterator[str]:
    """A Server-Sent Events stream that says what ``emit`` has each time it is woken.

    ``add_waker`` registers a callable that any thread may call when there is news; the
    stream then yields what ``emit`` returns (already formatted events). Between news it
    sends a keep-alive comment every ``event_heartbeat_s`` seconds, and it ends after
    ``event_stream_s`` seconds (the client reconnects after ``retry``) or when the server
    stops (``app.state.stream_stop``). Used by the case-change feed and the live map.
    """
    state = request.app.state
    lifetime = float(getattr(state, "event_stream_s", STREAM_S))
    heartbeat = float(getattr(state, "event_heartbeat_s", HEARTBEAT_S))
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def waker() -> None:  # called from any thread
        loop.call_soon_threadsafe(wake.set)

    stop: StreamStop | None = getattr(state, "stream_stop", None)
    if stop is not None:
        stop.add(waker)
    await run_in_threadpool(add_waker, waker)
    ends = time.monotonic() + lifetime
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while True:
            wake.clear()
            for event in await emit():
                yield event
            left = ends - time.monotonic()
            if left <= 0 or (stop is not None and stop.stopping):
                return
            try:
                await asyncio.wait_for(wake.wait(), timeout=min(heartbeat, left))
            except TimeoutError:
                if time.monotonic() < ends:
                    yield ": keep-alive\n\n"
    finally:
        remove_waker(waker)
        if stop is not None:
            stop.remove(waker)


def _stream(
    request: Request,
    feed: CaseChangeFeed,
    visible: Callable[[CaseChange], bool],
    cursor: str | None,
    shape: Callable[[CaseChange], dict[str, object]] = _payload,
) -> AsyncIterator[str]:
    first = True

    async def emit() -> list[str]:
        nonlocal first, cursor
        events: list[str] = []
        batch = feed.after(cursor)
        if batch.reset:
            events.append(format_event("reset", {}, batch.cursor))
        elif batch.changes:
            shown = await run_in_threadpool(
                lambda changes=batch.changes: [(i, c) for i, c in changes if visible(c)]
            )
            events += [format_event("case", shape(change), event_id) for event_id, change in shown]
        if first:
            events.append(format_event("ready", {}, batch.cursor))
            first = False
        cursor = batch.cursor
        return events

    return woken_stream(request, feed.add_waker, feed.remove_waker, emit)


@router.get(
    "/events",
    tags=["events"],
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
        401: {"model": Problem, "description": "Not signed in"},
        403: {"model": Problem, "description": "The user's roles show no case"},
    },
)
async def events(
    request: Request,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: str | None = None,
) -> StreamingResponse:
    """Changes of the cases the user may see, as Server-Sent Events, resumable with
    ``Last-Event-ID`` (or ``?after=<id>``, the id a page was rendered at)."""
    ports: CaseworkPorts = request.app.state.ports
    actor = await run_in_threadpool(_actor, ports, request)
    visible = casework.case_change_filter(ports, actor=actor)
    feed = ports.events
    if feed is None or not hasattr(feed, "after"):
        raise RuntimeError("the app has no case-change feed; build it with mount_board")
    cursor = (last_event_id or after or "").strip() or None

    def shown(change: CaseChange) -> dict[str, object]:
        # Only cases the actor reads pass ``visible``: all of them, or their own.
        return casework.visible_record("case_change", _payload(change), actor=actor, own=True)

    return StreamingResponse(
        _stream(request, feed, visible, cursor, shown),  # type: ignore[arg-type]
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
