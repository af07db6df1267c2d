"""The board: server-rendered pages (Jinja2 + htmx) over the casework use cases.

:func:`mount_board` adds the sign-in pages, the board (:mod:`.routes`), the live event
stream (:mod:`safeconduct.entrypoints.web.events`) and the static files (CSS, scripts, and
htmx and Leaflet from the npm registry, fetched at install time by :mod:`.vendor`) to an
app made by :func:`~safeconduct.entrypoints.web.app.create_app`.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from safeconduct.entrypoints.web.pages.session import CsrfRefusedError, SignInRequiredError
from safeconduct.services.casework import CaseworkPorts

log = logging.getLogger("safeconduct.web")

#: The folder of the board's own CSS and scripts, and of ``vendor/`` (htmx, Leaflet).
STATIC_DIR = Path(__file__).with_name("static")


def _chain_exit_signals(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` first when SIGINT or SIGTERM arrives, then the handler that was
    there (uvicorn's, which starts the shutdown); returns what puts them back.

    Why: uvicorn waits for open responses to finish before it stops, and an event stream
    never finishes by itself, so one open board would hold up Ctrl-C. Only in the main
    thread (a server); elsewhere (a test client's thread) nothing is chained.
    """
    previous: dict[int, Any] = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            old = signal.getsignal(number)

            def handler(signum: int, frame: FrameType | None, old: Any = old) -> None:
                callback()
                if callable(old):
                    old(signum, frame)
                elif signum == signal.SIGINT and old == signal.default_int_handler:
                    raise KeyboardInterrupt

            signal.signal(number, handler)
            previous[number] = old
        except ValueError:  # not the main thread
            break

    def restore() -> None:
        for number, old in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(number, old)

    return restore


def _attach_feed(app: FastAPI) -> None:
    """Give the app's ports a case-change feed when they have none (a test, or a caller
    that built its ports by hand) and close the feed when the app stops; end every event
    stream when the server is asked to stop."""
    from safeconduct.entrypoints.web.events import StreamStop

    ports: CaseworkPorts = app.state.ports
    if ports.events is None:
        from safeconduct import bootstrap

        engine = getattr(ports.database, "engine", None)
        own_feed = bootstrap.case_change_feed(getattr(engine, "url", "sqlite://"))
        app.state.ports = replace(ports, events=own_feed)
    stop = StreamStop()
    app.state.stream_stop = stop
    previous = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        restore = _chain_exit_signals(stop.stop)
        try:
            async with previous(application) as state:
                yield state
        finally:
            stop.stop()
            restore()
            # Its own feed, or the one its ports came with (PostgreSQL's, from bootstrap).
            close = getattr(application.state.ports.events, "close", None)
            if close is not None:
                close()

    app.router.lifespan_context = lifespan


async def _sign_in_required(request: Request, _exc: Exception) -> Response:
    if request.headers.get("HX-Request"):
        # htmx follows HX-Redirect with a full page load.
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    target = request.url.path
    query = f"?next={target}" if target.startswith("/board") else ""
    return RedirectResponse(f"/login{query}", status_code=303)


async def _csrf_refused(request: Request, _exc: Exception) -> Response:
    from starlette.concurrency import run_in_threadpool

    from safeconduct.entrypoints.web.errors import known_user, security_event_for

    user = await run_in_threadpool(known_user, request.scope)
    security_event_for(request, "csrf", "a form without its CSRF token, or with a wrong one", user)
    return HTMLResponse(
        "<!doctype html><title>Refused</title><p>This form is out of date or did not come "
        "from this service (its CSRF token is missing or wrong). Go back, reload the page "
        "and try again.</p>",
        status_code=403,
    )


def mount_board(app: FastAPI) -> None:
    """Add the board's pages, the event stream and the static files to ``app``."""
    from safeconduct.entrypoints.web.events import router as events_router
    from safeconduct.entrypoints.web.pages.area_pages import router as areas_router
    from safeconduct.entrypoints.web.pages.custody_pages import router as custody_router
    from safeconduct.entrypoints.web.pages.export_pages import router as exports_router
    from safeconduct.entrypoints.web.pages.intake_pages import router as intake_router
    from safeconduct.entrypoints.web.pages.routes import router as pages_router

    _attach_feed(app)
    app.add_exception_handler(SignInRequiredError, _sign_in_required)
    app.add_exception_handler(CsrfRefusedError, _csrf_refused)
    app.include_router(events_router)
    app.include_router(pages_router)
    app.include_router(areas_router)
    app.include_router(custody_router)
    app.include_router(exports_router)
    app.include_router(intake_router)
    if not (STATIC_DIR / "vendor" / "htmx.min.js").is_file():
        log.warning(
            "htmx is missing from %s: run `make install` (python -m "
            "safeconduct.entrypoints.web.pages.vendor); the board works without live buttons",
            STATIC_DIR / "vendor",
        )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
