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
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from fastapi import Request
from fastapi.responses import Response

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
