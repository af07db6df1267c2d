"""The case list over the web: ``GET /api/cases`` pages of summaries (no timelines) behind
a cursor, the board's first page with an "Older cases" row that loads the next, and a
database with no connection free answering 503 with ``Retry-After``, never a 500."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from safeconduct.adapters.store import engine as store_engine
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.entrypoints.web.app import create_app
from safeconduct.entrypoints.web.pages import routes
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from tests.conftest import TEST_CIPHER
from tests.store.conftest import FAST_PASSWORDS, Store
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import PASSWORD, bearer, sign_in

SUMMARY_FIELDS = {
    "id", "case_code", "printed_code", "language", "channel", "status", "created_at",
    "last_changed_at",
}  # fmt: skip


def _open_cases(client: TestClient, token: str, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        answer = client.post("/api/cases", json={"language": "ru"}, headers=bearer(token))
        assert answer.status_code == 201, answer.text
        ids.append(int(answer.json()["id"]))
    return ids


def test_the_case_list_pages_summaries_newest_change_first(
    client: TestClient, users: dict[str, str]
) -> None:
    olga, petro = sign_in(client, "olga"), sign_in(client, "petro")
    ids = _open_cases(client, olga, 5)
    moved = client.post(
        f"/api/cases/{ids[0]}/transitions", json={"transition": "schedule"}, headers=bearer(petro)
    )
    assert moved.status_code == 200, moved.text
    seen: list[int] = []
    after = None
    while True:
        params = {"limit": 2} | ({"after": after} if after else {})
        answer = client.get("/api/cases", params=params, headers=bearer(petro))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"items", "next"}
        assert all(set(item) == SUMMARY_FIELDS for item in body["items"])  # no timeline
        seen += [item["id"] for item in body["items"]]
        after = body["next"]
        if after is None:
            break
    # The case scheduled last comes first, then the others, newest first.
    assert seen == [ids[0], *reversed(ids[1:])]
    whole = client.get("/api/cases", headers=bearer(petro)).json()  # default: 50 a page
    assert [item["id"] for item in whole["items"]] == seen and whole["next"] is None
    assert whole["items"][0]["status"] == "scheduled"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("after=not-a-cursor", "after"),
        ("after=" + "9" * 70, "after"),
    ],
)
def test_a_bad_page_size_or_cursor_answers_422(
    client: TestClient, users: dict[str, str], query: str, field: str
) -> None:
    answer = client.get(f"/api/cases?{query}", headers=bearer(sign_in(client, "petro")))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field


def test_the_board_shows_a_page_and_loads_older_cases(
    client: TestClient, users: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "BOARD_PAGE_SIZE", 2)
    ids = _open_cases(client, sign_in(client, "olga"), 5)
    browser_sign_in(client, "petro")

    def rows(html: str) -> list[int]:
        return [int(found) for found in re.findall(r'<tr id="case-(\d+)"', html)]

    def older(html: str) -> str | None:
        found = re.search(r'hx-get="/board/rows\?after=([^"]+)"', html)
        return found.group(1) if found else None

    board = client.get("/board")
    assert board.status_code == 200
    assert rows(board.text) == [ids[4], ids[3]]
    after = older(board.text)
    assert after and 'id="older-cases"' in board.text
    # Without htmx the same row is a link to the board's next page.
    assert rows(client.get(f"/board?after={after}").text) == [ids[2], ids[1]]
    shown = rows(board.text)
    while after:
        more = client.get(f"/board/rows?after={after}", headers={"HX-Request": "true"})
        assert more.status_code == 200 and "<html" not in more.text
        shown += rows(more.text)
        after = older(more.text)
    assert shown == list(reversed(ids))
    assert client.get("/board/rows?after=bogus").status_code == 422


@pytest.fixture
def tiny_pool(store: Store, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """An engine on the test's database whose pool holds one connection and waits for it
    a tenth of a second."""
    monkeypatch.setattr(store_engine, "POOL_SIZE", 1)
    monkeypatch.setattr(store_engine, "POOL_OVERFLOW", 0)
    monkeypatch.setattr(store_engine, "POOL_TIMEOUT_S", 0.1)
    engine = store.engine()
    upgrade(engine)
    return engine


def test_no_free_database_connection_answers_503_with_retry_after(tiny_pool: Engine) -> None:
    ports = CaseworkPorts(
        database=SqlCaseworkDatabase(tiny_pool, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    add_user(ports, "petro", "planner", PASSWORD, actor=CONSOLE)
    # Not entered as a context: no lifespan, so no plan worker polls for the connection.
    client = TestClient(create_app(ports), raise_server_exceptions=False)
    try:
        token = sign_in(client, "petro")
        assert client.get("/api/cases", headers=bearer(token)).status_code == 200
        with tiny_pool.connect():  # someone holds the only connection
            answer = client.get("/api/cases", headers=bearer(token))
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == str(store_engine.BUSY_RETRY_AFTER_S)
        assert "busy" in answer.json()["detail"] and answer.json()["field"] == "db"
        assert client.get("/api/cases", headers=bearer(token)).status_code == 200
    finally:
        client.close()
