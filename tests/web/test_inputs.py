"""Bad requests get a 4xx JSON answer naming the field, never a 500, and write nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from safeconduct.adapters.store.passwords import Argon2Passwords
from safeconduct.casework.roles import Role
from safeconduct.services.casework import (
    Actor,
    CaseworkPorts,
    PermissionDeniedError,
    get_case,
    list_cases,
    list_users,
    open_case,
    transition_case,
)
from tests.web.conftest import bearer, sign_in


def _counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        cases = connection.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
        events = connection.execute(sa.text("SELECT count(*) FROM case_events")).scalar_one()
    return cases, events


BAD_NEW_CASES = [
    (b"{not json", 422, None, "not valid JSON"),
    (b'{"language": "russian"}', 422, "language", "ISO 639-1"),
    (b'{"language": 5}', 422, "language", "string"),
    (b'{"language": "ru", "channel": "pigeon"}', 422, "channel", "unknown channel"),
    (b'{"language": "ru", "name": "Ivan"}', 422, "name", "not known"),
    (b'["ru"]', 422, None, "JSON object"),
    (b"", 422, None, "no body"),
]


@pytest.mark.parametrize(("body", "status", "field", "words"), BAD_NEW_CASES)
def test_a_bad_new_case_is_refused_and_nothing_written(
    client: TestClient,
    users: dict[str, str],
    engine: sa.Engine,
    body: bytes,
    status: int,
    field: str | None,
    words: str,
) -> None:
    headers = {**bearer(sign_in(client, "olga")), "Content-Type": "application/json"}
    answer = client.post("/api/cases", content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["field"] == field
    assert words in answer.json()["detail"]
    assert _counts(engine) == (0, 0)


def test_bad_transitions_are_refused_and_nothing_written(
    client: TestClient, users: dict[str, str], engine: sa.Engine
) -> None:
    headers = bearer(sign_in(client, "olga"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=headers).json()
    url = f"/api/cases/{case['id']}/transitions"
    unknown = client.post(url, json={"transition": "teleport"}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "transition"
    assert "known transitions: abort" in unknown.json()["detail"]
    not_now = client.post(url, json={"transition": "arrive"}, headers=headers)
    assert not_now.status_code == 403  # arriving is the crew's or reception's step
    assert client.post(url, json={"transition": "close"}, headers=headers).status_code == 200
    closed = client.post(url, json={"transition": "close"}, headers=headers)
    assert closed.status_code == 422
    assert "cannot change any more" in closed.json()["detail"]
    assert client.post(url, json={"transition": 3}, headers=headers).status_code == 422
    missing = client.post(
        "/api/cases/999/transitions", json={"transition": "close"}, headers=headers
    )
    assert (missing.status_code, missing.json()["field"]) == (404, "id")
    assert client.get("/api/cases/x", headers=headers).status_code == 422
    assert _counts(engine) == (1, 1)


def test_unknown_paths_and_methods_answer_json(client: TestClient) -> None:
    assert client.get("/api/nothing").json() == {"detail": "Not Found", "field": None}
    assert client.delete("/api/health").status_code == 405


class _Untouchable:
    """A database that fails the test if a use case opens it."""

    @contextlib.contextmanager
    def unit_of_work(self, *, read_only: bool = False) -> Iterator[None]:
        raise AssertionError("the policy must be checked before the database is touched")
        yield

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("role", "call"),
    [
        (Role.AUDITOR, lambda p, a: list_cases(p, actor=a)),
        (Role.ADMIN, lambda p, a: get_case(p, 1, actor=a)),
        (Role.PLANNER, lambda p, a: open_case(p, language="ru", actor=a)),
        (Role.OPERATOR, lambda p, a: transition_case(p, 1, "plan", actor=a)),
        (Role.CREW, lambda p, a: list_users(p, actor=a)),
    ],
)
def test_permission_is_checked_before_any_data_is_read(role: Role, call: object) -> None:
    ports = CaseworkPorts(database=_Untouchable(), passwords=Argon2Passwords())  # type: ignore[arg-type]
    with pytest.raises(PermissionDeniedError):
        call(ports, Actor(name="someone", roles=(role,)))  # type: ignore[operator]
