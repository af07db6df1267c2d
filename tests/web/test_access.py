"""Who may call what: every API route and every role in one table, case lists scoped by role,
and the transitions each team may make."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, USERS, bearer, sign_in
from tests.web.test_auth import api_routes

ANON = "(no token)"
_ALL = (*USERS, ANON)


def _row(default: int, **overrides: int) -> dict[str, int]:
    return {who: overrides.get(who, default) for who in _ALL} | {ANON: overrides.get("anon", 401)}


#: (METHOD, path) -> who -> expected status, on a case opened by olga (operator). oleh is a
#: second operator: olga's case is not his. Nobody is granted anything by default (GUIDE §2).
ACCESS: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/api/health"): _row(200, anon=200),
    ("POST", "/api/auth/token"): _row(200),  # each with their own password; anon: a wrong one
    ("POST", "/api/cases"): _row(403, olga=201, oleh=201),
    ("GET", "/api/cases"): _row(200, anya=403, adam=403),  # scoped: see the test below
    ("GET", "/api/cases/{case_id}"): _row(403, olga=200, petro=200, rita=200),
    ("POST", "/api/cases/{case_id}/transitions"): _row(403, olga=200, petro=200),
}


def _call(
    client: TestClient, method: str, path: str, who: str, token: str | None, case_id: int
) -> int:
    headers = bearer(token) if token else {}
    url = path.replace("{case_id}", str(case_id))
    if path == "/api/auth/token":
        password = PASSWORD if who in USERS else "not the password"
        name = who if who in USERS else "olga"
        return client.post(url, data={"username": name, "password": password}).status_code
    if method == "POST" and path == "/api/cases":
        return client.post(url, json={"language": "ru"}, headers=headers).status_code
    if path.endswith("/transitions"):
        # schedule is allowed again from scheduled: every row sees the same state machine.
        return client.post(url, json={"transition": "schedule"}, headers=headers).status_code
    return client.request(method, url, headers=headers).status_code


def test_every_route_for_every_role(client: TestClient, users: dict[str, str]) -> None:
    assert sorted(ACCESS) == api_routes(client), "every route needs a row in ACCESS"
    tokens = {name: sign_in(client, name) for name in USERS}
    case_id = client.post("/api/cases", json={"language": "ru"}, headers=bearer(tokens["olga"]))
    case_id = case_id.json()["id"]
    wrong = []
    for (method, path), expected in ACCESS.items():
        for who in _ALL:
            got = _call(client, method, path, who, tokens.get(who), case_id)
            if got != expected[who]:
                wrong.append(f"{method} {path} as {who}: {got}, expected {expected[who]}")
    assert not wrong, "\n".join(wrong)


def test_case_lists_are_scoped_by_role(client: TestClient, users: dict[str, str]) -> None:
    tokens = {name: sign_in(client, name) for name in USERS}

    def opened_by(name: str) -> str:
        answer = client.post("/api/cases", json={"language": "uk"}, headers=bearer(tokens[name]))
        assert answer.status_code == 201
        return str(answer.json()["case_code"])

    mine, his = opened_by("olga"), opened_by("oleh")

    def listed(name: str) -> list[str]:
        answer = client.get("/api/cases", headers=bearer(tokens[name]))
        assert answer.status_code == 200
        return [c["case_code"] for c in answer.json()]

    assert listed("olga") == [mine]
    assert listed("oleh") == [his]
    assert listed("petro") == listed("rita") == [mine, his]
    # Crews and reception teams see the cases assigned to them: none yet, never an
    # operator's list.
    assert listed("kyrylo") == listed("roman") == []


def test_each_team_makes_its_own_transitions(client: TestClient, users: dict[str, str]) -> None:
    tokens = {name: sign_in(client, name) for name in USERS}
    created = client.post("/api/cases", json={"language": "ru"}, headers=bearer(tokens["olga"]))
    url = f"/api/cases/{created.json()['id']}/transitions"

    def move(who: str, transition: str) -> int:
        answer = client.post(url, json={"transition": transition}, headers=bearer(tokens[who]))
        return answer.status_code

    assert move("olga", "schedule") == 200  # the operator agrees the meeting
    assert move("olga", "plan") == 403  # an operator cannot plan
    assert move("petro", "plan") == 200  # the planner can
    assert move("petro", "close") == 403  # closing a case is its operator's
    assert move("kyrylo", "launch") == 403  # a crew acts on its assigned cases only
    answer = client.get(url.removesuffix("/transitions"), headers=bearer(tokens["olga"]))
    assert answer.json()["status"] == "planned"
    assert [(e["transition"], e["actor"]) for e in answer.json()["events"]] == [
        ("schedule", "olga"),
        ("plan", "petro"),
    ]
    assert move("olga", "close") == 200
