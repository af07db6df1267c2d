"""The one place that turns errors into HTTP answers, all as ``{"detail": ..., "field": ...}``.

========================================  ======================================
error                                     status
========================================  ======================================
``AuthenticationError``                   401, ``WWW-Authenticate: Bearer``
``LoginLockedError``                      429, ``Retry-After: <seconds>``
``PermissionDeniedError``                 403
``NotFoundError``                         404
``AreaExistsError`` (a name taken)        409
``InvalidValueError`` (and subclasses)    422
request body/parameters the wrong shape   422 (malformed JSON or form, wrong types)
``BadFileError``                          400; 503 + ``Retry-After`` when ``field="db"``
``ServiceBusyError``                      503, ``Retry-After: <seconds>`` (no connection free)
other ``SafeconductError``                400
unknown path / method                     404 / 405
anything else (a bug)                     500, logged, no details shown
========================================  ======================================

User mistakes never become a 500. What looks like an attack (a token that is not valid, a
locked sign-in, a forged form, an oversize body...) is also written to the
``safeconduct.security`` log by :func:`security_event`: one line naming its kind, the route
and the user when known, never the payload.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Scope

from safeconduct.errors import (
    AuthenticationError,
    BadFileError,
    InvalidValueError,
    LoginLockedError,
    NotFoundError,
    PermissionDeniedError,
    SafeconductError,
    ServiceBusyError,
)
from safeconduct.services.area_library import AreaExistsError

log = logging.getLogger("safeconduct.web")

#: Seconds a client is told to wait when the database does not answer: about what a
#: PostgreSQL server takes to restart and recover.
DATABASE_RETRY_AFTER_S = 5

#: Refusals that look like attacks, one line each (for an operator's alerting).
security_log = logging.getLogger("safeconduct.security")


def security_event(kind: str, method: str, path: str, user: str | None, why: str) -> None:
    """Log one refused attack: ``kind`` (e.g. ``oversize-body``), the route, who sent it.

    Parameters
    ----------
    kind
        A short fixed word naming the attack, for grepping and alerting.
    method, path
        The request's method and path (never its query string or body: they may hold a
        secret, e.g. a password or a token).
    user
        The user's name when known (a session or token that identified them, the name a
        sign-in was for); None otherwise.
    why
        What was refused, in words (never the payload).
    """
    # repr() keeps a crafted name or path on one log line (no forged log entries).
    security_log.warning(
        "attack=%s route=%s %r user=%s: %s",
        kind,
        method,
        path[:200],
        "?" if user is None else repr(user[:64]),
        why,
    )


def security_event_for(request: Request, kind: str, why: str, user: str | None = None) -> None:
    """:func:`security_event` for a request."""
    security_event(kind, request.method, request.url.path, user, why)


def known_user(scope: Scope) -> str | None:
    """The user a refused request came from, when its bearer token or session cookie is a
    valid one; None otherwise (or when it cannot be told). A database read: call it from a
    worker thread, and only for a refusal."""
    try:
        return signed_in_user(scope)
    except Exception:  # not a valid token, or the database does not answer: unknown
        return None


def signed_in_user(scope: Scope) -> str | None:
    """The user of the request's bearer token or session cookie; None when it carries
    neither (or the app has no store). A database read: call it from a worker thread.

    Raises
    ------
    AuthenticationError
        The token or session is not valid (forged, expired, revoked).
    SafeconductError
        The database cannot tell (away, busy).
    """
    from fastapi.security.utils import get_authorization_scheme_param

    from safeconduct.entrypoints.web.pages.session import SESSION_COOKIE
    from safeconduct.services.casework import actor_for_token

    request = Request(scope)
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not token:
        token = request.cookies.get(SESSION_COOKIE, "")
    ports = getattr(getattr(scope.get("app"), "state", None), "ports", None)
    if not token or ports is None:
        return None
    return actor_for_token(ports, token).name


#: A ``..`` path segment (``../x``, ``a\\..``, ``'..'`` quoted in a message): a climb out
#: of a folder.
_CLIMB = re.compile(r"""(?:^|[/\\'"])\.\.(?:[/\\'"]|$)""")


def log_if_traversal(request: Request, message: str) -> None:
    """Log a path-traversal attempt when a refused request's path, or the refusal's message
    (which quotes the name refused), holds a ``..`` segment."""
    if _CLIMB.search(request.url.path) or _CLIMB.search(message):
        security_event_for(request, "path-traversal", "a name climbing out of its folder")


def problem(
    status: int, detail: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON error answer."""
    return JSONResponse({"detail": detail, "field": field}, status_code=status, headers=headers)


def status_for(exc: SafeconductError) -> tuple[int, dict[str, str] | None]:
    """The HTTP status (and headers) for a library error."""
    if isinstance(exc, LoginLockedError):
        return 429, {"Retry-After": str(exc.retry_after_s)}
    if isinstance(exc, ServiceBusyError):
        return 503, {"Retry-After": str(exc.retry_after_s)}  # overloaded: nothing was done
    if isinstance(exc, AuthenticationError):
        return 401, {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, PermissionDeniedError):
        return 403, None
    if isinstance(exc, NotFoundError):
        return 404, None
    if isinstance(exc, AreaExistsError):
        return 409, None
    if isinstance(exc, InvalidValueError):
        return 422, None
    if isinstance(exc, BadFileError) and exc.field == "db":
        # The database does not answer (restarting, a lost link): the server's trouble, not
        # the user's, and it usually passes, so clients are told when to try again.
        return 503, {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
    return 400, None


def _log_attack(request: Request, exc: SafeconductError) -> None:
    """Name a refused sign-in or token in the security log."""
    signing_in = request.url.path == "/api/auth/token"
    if isinstance(exc, LoginLockedError):
        security_event_for(
            request, "brute-force", f"sign-in refused: the user is locked ({exc.message})"
        )
    elif signing_in:
        # The name typed is not logged: it may be a password typed in the wrong field.
        security_event_for(request, "password", "wrong user name or password")
    elif isinstance(exc, AuthenticationError) and request.headers.get("authorization"):
        # A token was sent and is not one the service gave, or no longer valid (no token
        # at all is only someone not signed in).
        security_event_for(request, "bad-token", "a token forged, expired or revoked")


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SafeconductError)
    status, headers = status_for(exc)
    if status >= 500:
        log.error("%s", exc)
    if status in (401, 429):
        _log_attack(request, exc)
    elif status in (400, 404, 422):
        log_if_traversal(request, exc.message)
    message = exc.message
    if isinstance(exc, BadFileError) and exc.field == "db" and status == 503:
        # The message names the database's host, port and name: for the service's log
        # (above), not for whoever sent the request.
        message = (
            "the database does not answer; nothing was done. Try again in "
            f"{DATABASE_RETRY_AFTER_S} s (the service's log says more)"
        )
    return problem(status, message, exc.field, headers)


def _field_of(location: Sequence[Any]) -> str | None:
    # ("body", "language") -> "language"; ("body",) (no or malformed JSON) -> None
    names = [str(part) for part in location[1:] if not isinstance(part, int)]
    return ".".join(names) or None


def _describe(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "json_invalid":
        return "the request body is not valid JSON"
    if kind == "missing" and tuple(error.get("loc", ())) == ("body",):
        return "the request has no body; send JSON"
    if kind == "model_attributes_type" or kind == "dict_type":
        return "the request body must be a JSON object"
    if kind == "extra_forbidden":
        return "this field is not known here"
    return str(error.get("msg", "invalid value"))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first = errors[0] if errors else {}
    field = _field_of(first.get("loc", ()))
    detail = _describe(first)
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return problem(422, detail, field)


#: What FastAPI raises (a 400) when a body is not text at all (e.g. not UTF-8).
_UNPARSABLE_BODY = "There was an error parsing the body"


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        # Malformed JSON is a 422 (above); bytes that are not even text are the same mistake,
        # and FastAPI's undocumented 400 broke every route's OpenAPI entry (the fuzzing).
        return problem(422, "the request body is not valid JSON (nor UTF-8 text)")
    if exc.status_code == 400 and isinstance(exc.__context__, MultiPartException):
        # Starlette's 400 for a form it cannot read (no boundary, broken parts): the same
        # mistake again, a body of the wrong shape (found by the chained fuzzing).
        return problem(422, f"the request body is not a readable form: {exc.detail}")
    return problem(exc.status_code, str(exc.detail), None, dict(exc.headers or {}) or None)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return problem(500, "internal error; the service's log says more")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as JSON ``{"detail", "field"}`` with its status."""
    app.add_exception_handler(SafeconductError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
