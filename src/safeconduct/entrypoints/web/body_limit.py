"""Request bodies bounded per route, before the app reads them (an ASGI middleware).

A body is refused with 413 as soon as it is known to be too large:

- with a ``Content-Length`` over the route's limit, at once, before a byte of it is read
  (the app is not even called);
- without one (``Transfer-Encoding: chunked``), while it streams in: the bytes are counted
  as the app receives them, and the chunk that passes the limit ends the request.

Why here and not in the routes: FastAPI parses a form (and spools its files to disk)
before a route's code runs, so a route's own check comes after the whole body was taken
in; a client could fill the disk or the memory with a body no route wants.

The limits (:data:`ROUTE_LIMITS`, else :data:`DEFAULT_LIMIT`): the area uploads (a DEM
and its layers), a message's attachment (10 MiB), and everything else small (JSON and
board forms). A limit above the default is for signed-in users only: a request without a
valid token or session declaring more is answered 401 unread, and one streaming without a
length gets the default limit, so nobody can make the service read megabytes it would then
refuse for want of a sign-in. Every refusal is a ``safeconduct.security`` log line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeconduct.casework.message import MAX_ATTACHMENT
from safeconduct.entrypoints.web.areas import MAX_UPLOAD_BYTES
from safeconduct.entrypoints.web.errors import known_user, security_event, signed_in_user
from safeconduct.errors import AuthenticationError

_MiB = 1024 * 1024

#: Any route not named below: JSON bodies and board forms, in bytes. The largest the
#: service takes is a custody form of a few KiB; 1 MiB leaves room without inviting a flood.
DEFAULT_LIMIT = 1 * _MiB
#: An area upload: every file at its limit, and room for the multipart framing and name.
AREA_UPLOAD_LIMIT = MAX_UPLOAD_BYTES
#: A message: its attachment at its limit, its text and the multipart framing.
MESSAGE_LIMIT = MAX_ATTACHMENT + _MiB

#: (method, path pattern, limit in bytes): the first that matches applies.
ROUTE_LIMITS: Sequence[tuple[str, re.Pattern[str], int]] = (
    ("POST", re.compile(r"/api/areas/?"), AREA_UPLOAD_LIMIT),
    ("POST", re.compile(r"/board/areas/?"), AREA_UPLOAD_LIMIT),
    ("POST", re.compile(r"/api/cases/[^/]+/messages/?"), MESSAGE_LIMIT),
)


def limit_for(method: str, path: str) -> int:
    """The largest body, in bytes, that ``method path`` may have."""
    for wanted, pattern, limit in ROUTE_LIMITS:
        if method == wanted and pattern.fullmatch(path):
            return limit
    return DEFAULT_LIMIT


def _size(n_bytes: int) -> str:
    return f"{n_bytes / _MiB:g} MiB" if n_bytes >= _MiB else f"{n_bytes // 1024} KiB"


def _refusal(limit: int) -> str:
    return (
        f"the request body is larger than this route takes ({_size(limit)}); "
        "send a smaller file or fewer values"
    )


class BodyTooLargeError(HTTPException):
    """A streamed body passed its limit (an HTTP 413, answered by :mod:`.errors`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _refusal(limit))


class BodyLimit:
    """Refuse (413) a request body larger than its route's limit, before it is all read.

    Parameters
    ----------
    app
        The ASGI app it guards.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        limit = limit_for(method, path)
        declared = _content_length(scope)
        may_pass_default = declared is None or declared > DEFAULT_LIMIT
        if (
            limit > DEFAULT_LIMIT
            and may_pass_default
            and not await run_in_threadpool(_signed_in, scope)
        ):
            if declared is not None:
                security_event(
                    "anonymous-upload", method, path, None,
                    f"declared {declared} bytes without a valid sign-in: refused unread",
                )  # fmt: skip
                await _answer(send, 401, _NOT_SIGNED_IN, "token",
                              [(b"www-authenticate", b"Bearer")])  # fmt: skip
                return
            limit = DEFAULT_LIMIT  # streamed: the route answers 401 within a small body
        if declared is not None and declared > limit:
            security_event(
                "oversize-body", method, path, await run_in_threadpool(known_user, scope),
                f"declared {declared} bytes, limit {limit}: refused unread",
            )  # fmt: skip
            await _answer_413(send, limit)
            return

        received = 0
        over = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, over
            if over:  # the app asks again after the refusal: the body ends here
                raise BodyTooLargeError(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    security_event(
                        "oversize-body", method, path, await run_in_threadpool(known_user, scope),
                        f"streamed past the limit of {limit} bytes: refused while reading",
                    )  # fmt: skip
                    raise BodyTooLargeError(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLargeError:
            # Raised outside a route's error handling (e.g. by another middleware's read):
            # still a clean 413 when nothing was answered yet.
            if started:
                raise
            await _answer_413(send, limit)


def _content_length(scope: Scope) -> int | None:
    """The declared body length, or None (none declared, or not a number: the server
    refuses a malformed one before the app is called)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


#: What an anonymous sender of a large body is told (the routes' own words, for a token).
_NOT_SIGNED_IN = (
    "not signed in; get a token from POST /api/auth/token and send it as "
    "'Authorization: Bearer <token>' (or sign in on the board) before sending a file"
)


def _signed_in(scope: Scope) -> bool:
    """Whether the request carries a valid bearer token or board session. A database read:
    call it from a worker thread. When the database cannot tell, True: the route then
    answers as it does while the database is away (503), not "not signed in"."""
    try:
        return signed_in_user(scope) is not None
    except AuthenticationError:
        return False
    except Exception:  # the database away or busy: the route's own answer is the right one
        return True


async def _answer_413(send: Send, limit: int) -> None:
    await _answer(send, 413, _refusal(limit), None)


async def _answer(
    send: Send, status: int, detail: str, field: str | None, extra: list[Any] | None = None
) -> None:
    """Answer ``status`` with a Problem body, before the request's body was read."""
    body = json.dumps({"detail": detail, "field": field}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        # The rest of the body is not read: the connection cannot carry another request.
        (b"connection", b"close"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
