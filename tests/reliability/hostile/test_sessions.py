"""Attacks on sign-in and sessions, on SQLite and PostgreSQL: forged, expired and revoked
tokens, CSRF (a board form without its token, with a wrong one, from another Origin or
site), session fixation, and brute force of a password.

Each is refused cleanly (401, 403, 429 with a message; a page for the board), written to
the ``safeconduct.security`` log with its kind and route (and the user when known, never a
token or a password), and nothing else changes: the cases, their events and the other
users' sessions are as they were.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from safeconduct.entrypoints.web.pages.session import SESSION_COOKIE
from safeconduct.services.casework import AuthPolicy, CaseworkPorts, issue_token
from tests.reliability.hostile.conftest import (
    assert_unchanged,
    attacks_logged,
    database_rows,
    still_answers,
)
from tests.web.board_helpers import browser_sign_in, csrf_of
from tests.web.conftest import PASSWORD, ClientFor, bearer, sign_in


def _logged(caplog: pytest.LogCaptureFixture, *words: str) -> list[str]:
    return [line for line in attacks_logged(caplog) if all(w in line for w in words)]


def test_forged_expired_and_revoked_tokens_are_refused_and_logged(
    client: TestClient,
    ports: CaseworkPorts,
    users: dict[str, str],
    engine: Engine,
    security_log: pytest.LogCaptureFixture,
) -> None:
    petro = sign_in(client, "petro")
    expired = issue_token(ports, "petro", PASSWORD, now=datetime.now(UTC) - timedelta(days=1))
    revoked = sign_in(client, "petro")
    client.post("/logout")  # nothing: no cookie
    from safeconduct.services.casework import revoke_token

    revoke_token(ports, revoked)
    forged = {
        "random": "A" * 43,
        "a real token changed by one letter": petro[:-1] + ("A" if petro[-1] != "A" else "B"),
        "a JWT signed with 'none'": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGFtIn0.",
        "expired": expired.token,
        "revoked": revoked,
        "empty after Bearer": "",
        "oversize": "x" * 10_000,
    }
    before = database_rows(engine)
    security_log.clear()
    for what, token in forged.items():
        for method, path in (("GET", "/api/cases"), ("POST", "/api/cases")):
            answer = client.request(
                method, path, headers=bearer(token), json={"language": "ru"}
            )
            assert answer.status_code == 401, (what, answer.text)
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert answer.json()["field"] == "token", what
    assert_unchanged(before, database_rows(engine))
    lines = _logged(security_log, "attack=bad-token")
    assert len(lines) >= 2 * (len(forged) - 1), attacks_logged(security_log)
    for token in (petro, expired.token, revoked):
        assert not any(token in line for line in attacks_logged(security_log))
    still_answers(client, bearer(petro))


def test_csrf_attempts_on_the_board_are_refused_logged_and_write_nothing(
    client: TestClient, users: dict[str, str], engine: Engine,
    security_log: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    csrf = browser_sign_in(client, "olga")
    form = {"language": "ru", "channel": "hotline"}
    before = database_rows(engine)
    security_log.clear()
    attempts = {
        "no token": ({}, form),
        "a wrong token": ({}, {**form, "csrf_token": "0" * 64}),
        "another session's token": ({}, {**form, "csrf_token": csrf[::-1]}),
        "the right token, from another Origin": (
            {"Origin": "https://evil.example"}, {**form, "csrf_token": csrf}),
        "the right token, Origin null (a sandboxed frame)": (
            {"Origin": "null"}, {**form, "csrf_token": csrf}),
        "the right token, the browser says cross-site": (
            {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
            {**form, "csrf_token": csrf}),
        "the right token, from a sibling site": (
            {"Sec-Fetch-Site": "same-site"}, {**form, "csrf_token": csrf}),
    }  # fmt: skip
    for what, (headers, data) in attempts.items():
        answer = client.post("/board/cases", data=data, headers=headers, follow_redirects=False)
        assert answer.status_code == 403, (what, answer.status_code)
        assert "text/html" in answer.headers["content-type"]
        assert "Refused" in answer.text, what
    # Signing out from another site is refused too (a forced sign-out is a nuisance attack).
    assert client.post("/logout", headers={"Origin": "https://evil.example"}).status_code == 403
    assert_unchanged(before, database_rows(engine))
    assert len(_logged(security_log, "attack=csrf", "/board/cases", "user='olga'")) == len(
        attempts
    ), attacks_logged(security_log)
    assert not any(csrf in line for line in attacks_logged(security_log))
    # The same form from the board itself still works.
    ok = client.post(
        "/board/cases",
        data={**form, "csrf_token": csrf},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text


def test_a_sign_in_form_without_its_csrf_value_is_refused(
    client: TestClient, users: dict[str, str], security_log: pytest.LogCaptureFixture
) -> None:
    """Login CSRF (signing the victim into the attacker's account): the sign-in form needs
    the value of its own cookie, which another site cannot read or set."""
    answer = client.post(
        "/login", data={"username": "olga", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in answer.cookies
    assert _logged(security_log, "attack=csrf", "'/login'")


def _plant(client: TestClient, value: str) -> None:
    """Put ``value`` in the browser's session cookie, as the service's own would be (the
    TestClient's cookie jar files the host ``testserver`` as ``testserver.local``)."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value, domain="testserver.local", path="/")


def test_a_session_cookie_planted_before_sign_in_does_not_survive_it(
    client: TestClient, users: dict[str, str], security_log: pytest.LogCaptureFixture
) -> None:
    # An attacker's own value: never a session (the service makes every token).
    _plant(client, "chosen-by-the-attacker")
    assert client.get("/board", follow_redirects=False).status_code == 303
    assert _logged(security_log, "attack=bad-session", "'/board'")
    browser_sign_in(client, "olga")
    fresh = client.cookies.get(SESSION_COOKIE)
    assert fresh and fresh != "chosen-by-the-attacker"

    # A real token planted (e.g. one the attacker got for this account earlier, or an old
    # session of the victim's): the sign-in gives a new one and revokes the planted one.
    planted = sign_in(client, "petro")
    _plant(client, planted)
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": "petro", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    issued = answer.cookies.get(SESSION_COOKIE)
    assert issued and issued != planted, "the sign-in kept the planted session"
    assert client.get("/api/cases", headers=bearer(planted)).status_code == 401
    _plant(client, issued)
    assert client.get("/board").status_code == 200


def test_brute_force_locks_the_user_logs_it_and_leaves_their_sessions_and_data(
    client_for: ClientFor,
    users: dict[str, str],
    engine: Engine,
    security_log: pytest.LogCaptureFixture,
) -> None:
    client = client_for(AuthPolicy(free_failures=3, lock_after=3))
    petro = bearer(sign_in(client, "petro"))  # a session from before the attack
    olga = bearer(sign_in(client, "olga"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    before = database_rows(engine)
    security_log.clear()
    guesses = ["123456x9", "hunter2!", "petro2026", PASSWORD]  # the last one is right: too late
    statuses = []
    for guess in guesses:
        answer = client.post("/api/auth/token", data={"username": "petro", "password": guess})
        statuses.append(answer.status_code)
        assert guess not in answer.text
    assert statuses == [401, 401, 401, 429], statuses
    locked = client.post("/api/auth/token", data={"username": "petro", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 60
    assert "too many failed sign-ins" in locked.json()["detail"]
    # The board's sign-in form is locked too, and says so.
    page = client.get("/login")
    board = client.post(
        "/login",
        data={"username": "petro", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert board.status_code == 429 and SESSION_COOKIE not in board.cookies

    logged = attacks_logged(security_log)
    assert len(_logged(security_log, "attack=password")) == 3
    assert _logged(security_log, "attack=brute-force", "petro", "'/api/auth/token'")
    assert _logged(security_log, "attack=brute-force", "user='petro'", "'/login'")
    assert not any(guess in line for line in logged for guess in [*guesses[:3], PASSWORD])
    # The locked user's own session goes on; nothing else changed (the failures were
    # audited: the trail only grew); others sign in as before.
    assert client.get("/api/cases", headers=petro).status_code == 200
    assert client.get(f"/api/cases/{case['id']}", headers=olga).json()["language"] == "ru"
    assert_unchanged(before, database_rows(engine), grows=("audit_entries", "api_tokens"))
    assert client.post(
        "/api/auth/token", data={"username": "oleh", "password": PASSWORD}
    ).status_code == 200
