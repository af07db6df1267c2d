"""Signing in: bearer tokens, wrong passwords, slow-down and lock-out, and 401 everywhere
without a valid token."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from safeconduct.services.casework import (
    AuthenticationError,
    AuthPolicy,
    CaseworkPorts,
    LoginLockedError,
    actor_for_token,
    issue_token,
    revoke_token,
)
from tests.web.conftest import PASSWORD, ClientFor, bearer, sign_in

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_health_and_openapi_need_no_sign_in(client: TestClient) -> None:
    answer = client.get("/api/health")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
    document = client.get("/openapi.json").json()
    assert {"/api/health", "/api/auth/token", "/api/cases"} <= set(document["paths"])


def test_a_password_form_gives_a_bearer_token(client: TestClient, users: dict[str, str]) -> None:
    answer = client.post("/api/auth/token", data={"username": "Olga", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 12 * 3600
    assert len(body["access_token"]) >= 40
    assert client.get("/api/cases", headers=bearer(body["access_token"])).status_code == 200


def test_only_the_hash_of_a_token_is_stored(
    client: TestClient, users: dict[str, str], engine: sa.Engine
) -> None:
    token = sign_in(client, "olga")
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert len(stored) == 1
    assert token not in stored[0] and len(stored[0]) == 64


@pytest.mark.parametrize("name", ["olga", "nobody", "bad name!"])
def test_a_wrong_password_is_refused_and_logged_without_it(
    client: TestClient, users: dict[str, str], caplog: pytest.LogCaptureFixture, name: str
) -> None:
    caplog.set_level(logging.INFO, logger="safeconduct.auth")
    answer = client.post("/api/auth/token", data={"username": name, "password": "guess-1234"})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert answer.json() == {"detail": "wrong user name or password", "field": None}
    records = [r for r in caplog.records if r.name == "safeconduct.auth"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert repr(name) in records[0].getMessage()
    assert "guess-1234" not in caplog.text


def test_repeated_failures_lock_the_user(
    client_for: ClientFor, users: dict[str, str], engine: sa.Engine
) -> None:
    client = client_for(AuthPolicy(free_failures=2, lock_after=3, lock_for=timedelta(minutes=15)))
    for _ in range(3):
        answer = client.post("/api/auth/token", data={"username": "olga", "password": "nope-1"})
        assert answer.status_code == 401
    answer = client.post("/api/auth/token", data={"username": "olga", "password": PASSWORD})
    assert answer.status_code == 429
    assert 890 <= int(answer.headers["Retry-After"]) <= 900
    assert "too many failed sign-ins" in answer.json()["detail"]
    with engine.connect() as connection:
        failures, locked = connection.execute(
            sa.text("SELECT failed_logins, locked_until FROM users WHERE name = 'olga'")
        ).one()
    assert failures == 3 and locked is not None
    # Others are not affected.
    assert (
        client.post("/api/auth/token", data={"username": "oleh", "password": PASSWORD}).status_code
        == 200
    )


def test_failures_slow_down_then_lock_and_a_success_clears_them(
    ports: CaseworkPorts, users: dict[str, str]
) -> None:
    policy = AuthPolicy()  # 3 free, then 1, 2, 4, ... s, locked 15 min at 10
    assert [policy.refuse_for(n) for n in range(5)] == [
        None,
        None,
        None,
        None,
        timedelta(seconds=1),
    ]
    at = T0
    for failures in range(1, 11):
        with pytest.raises(AuthenticationError) as caught:
            issue_token(ports, "olga", "wrong password", now=at)
        assert not isinstance(caught.value, LoginLockedError)
        refused = policy.refuse_for(failures)
        if refused is not None:
            # Within the wait even the right password is refused, unchecked and uncounted.
            with pytest.raises(LoginLockedError) as locked:
                issue_token(ports, "olga", PASSWORD, now=at + refused / 2)
            assert locked.value.retry_after_s >= 1
            at += refused
        at += timedelta(milliseconds=1)
    assert policy.refuse_for(10) == timedelta(minutes=15)
    issued = issue_token(ports, "olga", PASSWORD, now=at)
    assert issued.user.name == "olga"
    # The count starts again: three free failures.
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            issue_token(ports, "olga", "wrong password", now=at)
    issue_token(ports, "olga", PASSWORD, now=at)


def test_tokens_expire_and_can_be_revoked(ports: CaseworkPorts, users: dict[str, str]) -> None:
    issued = issue_token(ports, "petro", PASSWORD, now=T0)
    assert actor_for_token(ports, issued.token, now=T0 + timedelta(hours=11)).name == "petro"
    with pytest.raises(AuthenticationError, match="expired"):
        actor_for_token(ports, issued.token, now=T0 + timedelta(hours=12))
    fresh = issue_token(ports, "petro", PASSWORD)
    revoke_token(ports, fresh.token)
    with pytest.raises(AuthenticationError, match="not valid"):
        actor_for_token(ports, fresh.token)
    assert fresh.token not in repr(fresh)


#: Every route of the API, reviewed: a new route fails the tests below until it is added here
#: and given a row in ``tests/web/test_access.py`` (nothing is open by default, GUIDE §2).
API_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/health"),
        ("POST", "/api/auth/token"),
        ("POST", "/api/cases"),
        ("GET", "/api/cases"),
        ("GET", "/api/cases/{case_id}"),
        ("POST", "/api/cases/{case_id}/transitions"),
        ("POST", "/api/cases/{case_id}/operation"),
        ("GET", "/api/cases/{case_id}/operation"),
        ("GET", "/api/operations/{operation_id}"),
        ("POST", "/api/operations/{operation_id}/plan"),
        ("GET", "/api/jobs/{job_id}"),
        ("GET", "/api/operations/{operation_id}/files/{name}"),
        ("GET", "/api/events"),
        ("GET", "/api/areas"),
        ("GET", "/api/areas/{area}"),
        ("POST", "/api/areas"),
        ("GET", "/api/cases/{case_id}/assignments"),
        ("POST", "/api/cases/{case_id}/assignments"),
        ("DELETE", "/api/cases/{case_id}/assignments/{role}/{user}"),
        ("GET", "/api/team"),
        ("POST", "/api/cases/{case_id}/arrival"),
        ("POST", "/api/custody/receipts"),
        ("GET", "/api/custody/receipts/{number}.pdf"),
        ("POST", "/api/custody/prisoners"),
        ("GET", "/api/custody/prisoners"),
        ("GET", "/api/custody/prisoners/{prisoner_id}"),
        ("POST", "/api/custody/prisoners/{prisoner_id}/events"),
        ("GET", "/api/custody/prisoners/{prisoner_id}/card.pdf"),
        ("POST", "/api/custody/evacuation-lists"),
        ("GET", "/api/custody/nib/notifications.json"),
        ("GET", "/api/custody/nib/notifications.csv"),
        ("GET", "/api/cases/{case_id}/messages"),
        ("POST", "/api/cases/{case_id}/messages"),
        ("GET", "/api/cases/{case_id}/messages/{message_id}/attachment"),
        ("DELETE", "/api/cases/{case_id}/messages/{message_id}/attachment"),
        ("DELETE", "/api/cases/{case_id}/messages/{message_id}"),
        ("POST", "/api/exports"),
        ("GET", "/api/exports/{export_id}.zip"),
        ("GET", "/api/intake/inbox"),
        ("GET", "/api/intake/conversations/{case_id}"),
        ("POST", "/api/intake/conversations/{case_id}/takeover"),
        ("POST", "/api/intake/conversations/{case_id}/replies"),
        ("POST", "/api/intake/conversations/{case_id}/meeting"),
        ("POST", "/api/intake/conversations/{case_id}/media/{media_id}/keep"),
        ("POST", "/api/intake/conversations/{case_id}/media/{media_id}/discard"),
        ("POST", "/api/operations/{operation_id}/live/positions"),
        ("GET", "/api/operations/{operation_id}/live"),
        ("POST", "/api/operations/{operation_id}/live/taps"),
        ("POST", "/api/operations/{operation_id}/live/engage"),
        ("POST", "/api/operations/{operation_id}/live/disengage"),
        ("GET", "/api/operations/{operation_id}/live/events"),
    }
)
#: The routes anyone may call.
OPEN_ROUTES = frozenset({("GET", "/api/health"), ("POST", "/api/auth/token")})

#: Real-looking values for the path placeholders.
_PLACEHOLDERS = {
    "{case_id}": "1",
    "{operation_id}": "1",
    "{job_id}": "1",
    "{name}": "route.geojson",
    "{area}": "sample",
    "{role}": "crew",
    "{user}": "kyrylo",
    "{number}": "R-000001",
    "{prisoner_id}": "1",
    "{message_id}": "1",
    "{media_id}": "1",
    "{export_id}": "0123456789abcdef0123456789abcdef",
}
#: Well-formed request bodies, so that only the missing sign-in can be what is refused.
_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/api/cases"): {"language": "ru"},
    ("POST", "/api/cases/{case_id}/transitions"): {"transition": "schedule"},
    ("POST", "/api/intake/conversations/{case_id}/replies"): {"text": "Здравствуйте"},
    ("POST", "/api/intake/conversations/{case_id}/meeting"): {
        "option": "sample",
        "window_start": "2026-12-01T05:00:00+00:00",
        "window_end": "2026-12-01T06:00:00+00:00",
    },
    ("POST", "/api/cases/{case_id}/assignments"): {"user": "kyrylo", "role": "crew"},
    ("POST", "/api/operations/{operation_id}/live/positions"): {
        "positions": [
            {
                "kind": "drone",
                "lat": 48.5,
                "lon": 35.0,
                "at": "2026-01-01T05:00:00+00:00",
                "source": "vehicle",
            }
        ]
    },
    ("POST", "/api/operations/{operation_id}/live/taps"): {"lat": 48.5, "lon": 35.0},
    ("POST", "/api/cases/{case_id}/operation"): {
        "area": "sample",
        "meeting_lat": 48.5,
        "meeting_lon": 35.0,
        "window_start": "2026-12-01T05:00:00+00:00",
        "window_end": "2026-12-01T06:00:00+00:00",
    },
}


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (METHOD, path) of the API, from the app's own OpenAPI document."""
    paths = client.get("/openapi.json").json()["paths"]
    return sorted((m.upper(), p) for p, ops in paths.items() for m in ops if p.startswith("/api"))


def fill(path: str) -> str:
    """``path`` with its placeholders replaced by real-looking values."""
    for placeholder, value in _PLACEHOLDERS.items():
        path = path.replace(placeholder, value)
    assert "{" not in path, f"no value for a placeholder of {path}"
    return path


def test_every_route_is_reviewed(client: TestClient) -> None:
    found = set(api_routes(client))
    assert found - API_ROUTES == set(), "new routes: review them, add them to API_ROUTES"
    assert API_ROUTES - found == set(), "routes gone: take them out of API_ROUTES"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic b2xnYTpvbGdh"}],
    ids=["none", "unknown", "basic"],
)
def test_every_route_without_a_valid_token_answers_401(
    client: TestClient, users: dict[str, str], headers: dict[str, str]
) -> None:
    assert set(api_routes(client)) == API_ROUTES
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.event_stream_s = 0  # were the event stream ever answered, it would end at once
    for method, path in sorted(API_ROUTES - OPEN_ROUTES):
        body = _BODIES.get((method, path))
        answer = client.request(method, fill(path), headers=headers, json=body)
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["WWW-Authenticate"] == "Bearer", (method, path)
        assert answer.json()["field"] == "token", (method, path)


def test_an_expired_token_answers_401(
    client: TestClient, ports: CaseworkPorts, users: dict[str, str]
) -> None:
    old = issue_token(ports, "petro", PASSWORD, now=datetime.now(UTC) - timedelta(days=1))
    answer = client.get("/api/cases", headers=bearer(old.token))
    assert answer.status_code == 401
    assert "expired" in answer.json()["detail"]
