"""SQL and template (Jinja) injection strings in the main routes' text fields, parameters
and paths, on SQLite and PostgreSQL: each is refused as a bad value (a 4xx naming its
field) or stored as the text it is and shown back escaped; none is ever run. The tables,
the other users' data and the service are as before.

(Nothing here is logged as an attack: a value that is refused is a user's mistake as much
as an attack, and one that is stored is data. What the tests show is that neither harms.)
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.engine import Engine

from tests.reliability.hostile.conftest import (
    INJECTIONS,
    assert_unchanged,
    database_rows,
    still_answers,
    table_names,
)
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import bearer, sign_in
from tests.web.test_custody_api import registration_body

#: Rendering does not depend on the database: the board's tests run on SQLite alone (the
#: API's, which store and read back, on both), which keeps the suite in its time budget.
sqlite_only = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


def _no_server_error(answer: object, what: str) -> None:
    status = getattr(answer, "status_code", 0)
    assert 400 <= status < 500, f"{what}: answered {status}, not a clean refusal"


def test_injections_in_api_parameters_and_paths_are_refused_cleanly(
    client: TestClient, users: dict[str, str], engine: Engine
) -> None:
    olga, petro = bearer(sign_in(client, "olga")), bearer(sign_in(client, "petro"))
    oleh = bearer(sign_in(client, "oleh"))
    others = client.post("/api/cases", json={"language": "uk"}, headers=oleh).json()
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    tables = table_names(engine)
    before = database_rows(engine)
    for text in INJECTIONS[::2]:  # every other one: the kinds, in the time budget
        quoted = quote(text, safe="")
        tries = {
            "case language": client.post("/api/cases", json={"language": text}, headers=olga),
            "case channel": client.post(
                "/api/cases", json={"language": "ru", "channel": text}, headers=olga
            ),
            "transition": client.post(
                f"/api/cases/{case['id']}/transitions", json={"transition": text}, headers=olga
            ),
            "page cursor": client.get("/api/cases", params={"after": text}, headers=petro),
            "case id in the path": client.get(f"/api/cases/{quoted}", headers=olga),
            "area name in the path": client.get(f"/api/areas/{quoted}", headers=petro),
            "user name at sign-in": client.post(
                "/api/auth/token", data={"username": text, "password": text}
            ),
            "bearer token": client.get("/api/cases", headers=bearer(quoted)),
        }
        for what, answer in tries.items():
            _no_server_error(answer, f"{what} = {text!r}")
            assert answer.json()["detail"], what
    assert table_names(engine) == tables
    assert_unchanged(before, database_rows(engine))
    assert client.get(f"/api/cases/{others['id']}", headers=oleh).json()["language"] == "uk"
    still_answers(client, olga)


def test_injections_in_messages_are_stored_as_text_and_read_back_unchanged(
    client: TestClient, users: dict[str, str], engine: Engine
) -> None:
    olga, oleh = bearer(sign_in(client, "olga")), bearer(sign_in(client, "oleh"))
    others = client.post("/api/cases", json={"language": "uk"}, headers=oleh).json()
    client.post(f"/api/cases/{others['id']}/messages", data={"text": "hello"}, headers=oleh)
    others_before = client.get(f"/api/cases/{others['id']}/messages", headers=oleh).json()
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    url = f"/api/cases/{case['id']}/messages"
    tables = table_names(engine)
    for text in INJECTIONS:
        said = client.post(url, data={"text": text, "direction": "in"}, headers=olga)
        assert said.status_code == 201, said.text
        assert said.json()["text"] == text
    assert [m["text"] for m in client.get(url, headers=olga).json()] == list(INJECTIONS)
    assert table_names(engine) == tables, "an injection dropped or made a table"
    assert client.get(f"/api/cases/{others['id']}/messages", headers=oleh).json() == others_before
    still_answers(client, olga)


@sqlite_only
def test_board_forms_show_an_injected_value_escaped_and_never_evaluated(
    client_for: object, users: dict[str, str], engine: Engine
) -> None:
    board = client_for()  # type: ignore[operator]
    csrf = browser_sign_in(board, "olga")
    before = database_rows(engine)
    for text in INJECTIONS:
        page = board.post("/board/cases", data={"language": text, "csrf_token": csrf})
        assert page.status_code == 422, page.text
        assert str(escape(text)) in page.text, "the value typed is shown back, escaped"
        if "<" in text:
            assert text not in page.text, "markup from the form reached the page unescaped"
    assert_unchanged(before, database_rows(engine))


@sqlite_only
def test_a_stored_injection_is_rendered_escaped_on_the_board_and_in_documents(
    client_for: object, users: dict[str, str], engine: Engine
) -> None:
    """A registrar records prisoners whose names are injection strings: stored as written,
    the board's page shows each escaped (a template never evaluates it), and a capture card
    (a PDF drawn with reportlab, whose paragraphs take markup) is made, not a 500."""
    board = client_for()  # type: ignore[operator]
    rita = bearer(sign_in(board, "rita"))
    browser_sign_in(board, "rita")
    for number, text in enumerate(INJECTIONS):
        body = registration_body(surname=text, first_names=text)
        made = board.post("/api/custody/prisoners", json=body, headers=rita)
        assert made.status_code == 201, made.text
        prisoner_id = made.json()["id"]
        got = board.get(f"/api/custody/prisoners/{prisoner_id}", headers=rita).json()
        assert (got["surname"], got["first_names"]) == (text, text)
        page = board.get(f"/board/prisoners/{prisoner_id}")
        assert page.status_code == 200, page.text
        assert str(escape(text)) in page.text
        if "<" in text:
            assert text not in page.text, "markup from the record reached the page unescaped"
        if number == 0 or text.startswith("<"):  # a PDF takes a while: markup, and one more
            card = board.get(f"/board/prisoners/{prisoner_id}/card.pdf")
            assert card.status_code == 200, card.text[:300]
            assert card.content.startswith(b"%PDF")
