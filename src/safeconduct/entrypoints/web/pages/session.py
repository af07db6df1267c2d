"""Browser sessions: the sign-in token in a cookie, and CSRF tokens for every form.

The cookie holds the bearer token :func:`~safeconduct.services.casework.issue_token` gave
(opaque, stored hashed, revoked on sign-out), marked ``HttpOnly`` (no script reads it),
``SameSite=Strict`` (no other site's page sends it) and ``Secure`` when the page came over
HTTPS (or always, with ``SAFECONDUCT_SECURE_COOKIES=1`` behind a TLS proxy that does not say
so).

Every form carries a CSRF token: HMAC-SHA256 of a fixed label keyed with the session's
token. It needs no server-side state, holds in every server process, changes with each
sign-in, and reveals nothing of the session token. A POST without the right one is
refused with 403. The sign-in form, which has no session yet, uses a random value kept in
a short-lived cookie of its own and repeated in the form (double submit).

Besides the token, :class:`SameOriginForms` refuses (403) a board POST that the browser
says came from another site (``Sec-Fetch-Site``, or, from a browser that does not send it,
an ``Origin`` that is not this service's host), before any of it is read.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from safeconduct.entrypoints.web.errors import known_user, security_event
from safeconduct.services.casework import (
    Actor,
    AuthenticationError,
    CaseworkPorts,
    actor_for_token,
)

#: The session cookie's name.
SESSION_COOKIE = "safeconduct_session"
#: The sign-in form's CSRF cookie.
LOGIN_CSRF_COOKIE = "safeconduct_login_csrf"
#: The form field and the header (htmx) that carry the CSRF token.
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
#: Forces the Secure flag on cookies (behind a TLS proxy that does not forward the scheme).
SECURE_ENV = "SAFECONDUCT_SECURE_COOKIES"

_CSRF_LABEL = b"safeconduct csrf v1"


class SignInRequiredError(Exception):
    """A page asked for without a valid session: answered by sending the browser to the
    sign-in page."""


class CsrfRefusedError(Exception):
    """A form sent without its CSRF token, or with a wrong one: answered 403."""


def csrf_for(session_token: str) -> str:
    """The CSRF token of the session whose token is ``session_token``."""
    return hmac.new(session_token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def secure_cookies(request: Request) -> bool:
    """Whether cookies get the Secure flag: served over HTTPS, or forced by the environment."""
    forced = os.environ.get(SECURE_ENV, "").strip().lower()
    if forced in ("1", "true", "yes"):
        return True
    if forced in ("0", "false", "no"):
        return False
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str, max_age_s: int) -> None:
    """Put the session token in its cookie."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )


def clear_session(response: Response, request: Request) -> None:
    """Drop the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookies(request)
    )


def session_token(request: Request) -> str | None:
    """The session token the browser sent, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    return token or None


def session_actor(ports: CaseworkPorts, request: Request) -> tuple[Actor, str]:
    """The signed-in user of a page request and their session token.

    Raises
    ------
    SignInRequiredError
        No session cookie, or its token is unknown or expired.
    """
    token = session_token(request)
    if token is None:
        raise SignInRequiredError()
    try:
        return actor_for_token(ports, token), token
    except AuthenticationError:
        # A cookie the service did not give, or no longer honours (expired, signed out).
        security_event(
            "bad-session", request.method, request.url.path, None,
            "a session cookie forged, expired or revoked; sent to sign in",
        )  # fmt: skip
        raise SignInRequiredError() from None


def login_csrf(request: Request) -> str:
    """The sign-in form's CSRF value: the browser's, or a new one."""
    value = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    return value if len(value) == 43 else secrets.token_urlsafe(32)


def set_login_csrf(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )


def check_csrf(expected: str, sent: str | None) -> None:
    """Refuse a form whose CSRF token is missing or wrong (constant-time comparison).

    Raises
    ------
    CsrfRefusedError
    """
    if not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise CsrfRefusedError()


async def sent_csrf(request: Request) -> str | None:
    """The CSRF token of a POST: the header (htmx), else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


#: Methods that change something: the ones a cross-site form or script could send.
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def cross_site(headers: dict[str, str]) -> str | None:
    """Why a board request's headers say it came from another site, or None.

    ``Sec-Fetch-Site`` is set by the browser (a page cannot forge it) and survives a proxy
    that rewrites ``Host``; a browser too old to send it is judged by ``Origin`` against
    ``Host`` (or ``X-Forwarded-Host``). No header at all (a non-browser client) is left to
    the CSRF token.
    """
    site = headers.get("sec-fetch-site")
    if site is not None:
        return None if site in ("same-origin", "none") else f"Sec-Fetch-Site is {site!r}"
    origin = headers.get("origin")
    if origin is None:
        return None
    hosts = {headers.get("host"), headers.get("x-forwarded-host")} - {None}
    netloc = urlsplit(origin).netloc if origin != "null" else ""
    return None if netloc and netloc in hosts else f"Origin {origin[:100]!r} is another site"


class SameOriginForms:
    """Refuse (403, before the body is read) a change to the board sent from another site.

    Only the board's (cookie-session) routes: the API's routes take a bearer token, which a
    browser never adds to another site's request by itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in _UNSAFE
            and not scope["path"].startswith("/api/")
        ):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            why = cross_site(headers)
            if why is not None:
                method, path = scope["method"], scope["path"]
                user = await run_in_threadpool(known_user, scope)
                security_event("csrf", method, path, user, f"{why}; refused unread")
                await _refuse_cross_site(send)
                return
        await self.app(scope, receive, send)


async def _refuse_cross_site(send: Send) -> None:
    body = (
        b"<!doctype html><title>Refused</title><p>This form was sent from another site, "
        b"not from this service's own pages: refused. Open the board itself and try again.</p>"
    )
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})
