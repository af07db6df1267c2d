"""The board's pages: browser sign-in and sign-out, CSRF on every form, pages scoped by
role (a crew member sees no operator data and gets no link to it), the new-case form and
the transition buttons; never a 500."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from safeconduct.entrypoints.web.pages.session import SESSION_COOKIE, csrf_for
from safeconduct.entrypoints.web.pages.vendor import up_to_date
from safeconduct.services.casework import AuthPolicy
from tests.web.board_helpers import browser_sign_in, csrf_of
from tests.web.conftest import PASSWORD, ClientFor


def _open_case(client: TestClient, csrf: str, language: str = "ru") -> int:
    answer = client.post(
        "/board/cases",
        data={"language": language, "channel": "hotline", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/board/cases/(\d+)", answer.headers["location"])
    assert found
    return int(found.group(1))


def test_pages_without_a_session_send_the_browser_to_sign_in(
    client: TestClient, users: dict[str, str]
) -> None:
    for path in ("/board", "/board/cases/new", "/board/cases/1", "/board/rows"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login")
    answer = client.get("/board", headers={"HX-Request": "true"}, follow_redirects=False)
    assert (answer.status_code, answer.headers["HX-Redirect"]) == (401, "/login")
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_revokes_it(
    client: TestClient, users: dict[str, str]
) -> None:
    form = client.get("/login")
    assert form.status_code == 200 and 'name="password"' in form.text
    answer = client.post(
        "/login",
        data={"username": "petro", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/board")
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered
    assert "secure" not in lowered.replace("samesite", "")  # plain http in the test
    token = client.cookies[SESSION_COOKIE]
    board = client.get("/board")
    assert board.status_code == 200 and "petro" in board.text
    assert board.headers["cache-control"] == "no-store"
    # The API accepts the same token while the session lasts...
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/cases", headers=headers).status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_for(token)}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    # ...and not after signing out: the token is revoked, not merely forgotten.
    assert client.get("/api/cases", headers=headers).status_code == 401
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/board", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("forced", [None, "1"])
def test_cookies_are_secure_over_https(
    client: TestClient, users: dict[str, str], monkeypatch: pytest.MonkeyPatch, forced: str | None
) -> None:
    if forced:  # behind a TLS proxy that does not say so: forced by the environment
        monkeypatch.setenv("SAFECONDUCT_SECURE_COOKIES", forced)
        # (the test client, speaking plain http, then rightly keeps such cookies to itself)
        form = client.get("/login")
        assert "Secure" in form.headers["set-cookie"]
        return
    client = TestClient(client.app, base_url="https://testserver")
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": "petro", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    cookies = answer.headers.get_list("set-cookie")
    assert answer.status_code == 303
    assert any(c.startswith(SESSION_COOKIE) and "Secure" in c for c in cookies)


def test_a_failed_sign_in_shows_the_form_again_and_locks_after_repeats(
    client_for: ClientFor, users: dict[str, str]
) -> None:
    client = client_for(AuthPolicy(free_failures=1, lock_after=2))
    form = client.get("/login")
    csrf = csrf_of(form.text)
    for _ in range(2):
        answer = client.post(
            "/login", data={"username": "olga", "password": "wrong-guess", "csrf_token": csrf}
        )
        assert answer.status_code == 401
        assert "wrong user name or password" in answer.text and 'id="login-error"' in answer.text
        assert 'value="olga"' in answer.text and "wrong-guess" not in answer.text
    answer = client.post(
        "/login", data={"username": "olga", "password": PASSWORD, "csrf_token": csrf}
    )
    assert answer.status_code == 429 and "too many failed sign-ins" in answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert SESSION_COOKIE not in client.cookies


@pytest.mark.parametrize("sent", [None, "", "0" * 64])
def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    client: TestClient, users: dict[str, str], sent: str | None
) -> None:
    # The sign-in form: its own double-submit value.
    client.get("/login")
    data = {"username": "olga", "password": PASSWORD}
    if sent is not None:
        data["csrf_token"] = sent
    assert client.post("/login", data=data).status_code == 403
    assert SESSION_COOKIE not in client.cookies
    csrf = browser_sign_in(client, "olga")
    case_id = _open_case(client, csrf)
    extra = {} if sent is None else {"csrf_token": sent}
    forms = [
        ("/board/cases", {"language": "uk"}),
        (f"/board/cases/{case_id}/transitions", {"transition": "schedule"}),
        ("/logout", {}),
    ]
    for path, fields in forms:
        answer = client.post(path, data=fields | extra, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "CSRF" in answer.text
    # Nothing happened: one case, still contacted, still signed in.
    board = client.get("/board")
    assert len(re.findall(r'id="case-\d+"', board.text)) == 1 and "Contacted" in board.text
    # The header htmx sends is accepted in place of the field.
    answer = client.post(
        f"/board/cases/{case_id}/transitions",
        data={"transition": "schedule"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert answer.status_code == 200 and 'id="case-panel"' in answer.text
    assert "Scheduled" in answer.text


def test_a_crew_member_sees_no_operator_data_and_no_link_to_it(
    client: TestClient, users: dict[str, str]
) -> None:
    olga = TestClient(client.app)
    csrf = browser_sign_in(olga, "olga")
    case_id = _open_case(olga, csrf)
    code = re.search(r'href="/board/cases/\d+">([0-9A-Z-]{9})<', olga.get("/board").text)
    assert code
    browser_sign_in(client, "kyrylo")
    board = client.get("/board")
    assert board.status_code == 200
    assert code.group(1) not in board.text
    assert f"/board/cases/{case_id}" not in board.text
    assert "/board/cases/new" not in board.text and "New case" not in board.text
    assert "No cases to show" in board.text
    page = client.get(f"/board/cases/{case_id}")
    assert page.status_code == 403 and code.group(1) not in page.text
    assert client.get("/board/cases/new").status_code == 403
    assert client.get(f"/board/cases/{case_id}/panel").status_code == 403
    assert client.get(f"/board/rows/{case_id}").status_code == 204
    assert code.group(1) not in client.get("/board/rows").text


def test_each_role_sees_its_cases_and_only_its_buttons(
    client: TestClient, users: dict[str, str]
) -> None:
    olga = TestClient(client.app)
    csrf = browser_sign_in(olga, "olga")
    new_form = olga.get("/board/cases/new")
    assert new_form.status_code == 200 and 'name="language"' in new_form.text
    case_id = _open_case(olga, csrf)
    page = olga.get(f"/board/cases/{case_id}")
    buttons = set(re.findall(r'name="transition" value="(\w+)"', page.text))
    assert buttons == {"schedule", "lose_contact", "close"}
    assert "Opened" in page.text and "Timeline" in page.text
    # The planner sees every case, and may not close it (the operator's).
    browser_sign_in(client, "petro")
    board = client.get("/board")
    assert f"/board/cases/{case_id}" in board.text and "New case" not in board.text
    page = client.get(f"/board/cases/{case_id}")
    assert set(re.findall(r'name="transition" value="(\w+)"', page.text)) == {"schedule"}
    # An auditor sees no case at all.
    anya = TestClient(client.app)
    form = anya.get("/login")
    anya.post(
        "/login",
        data={"username": "anya", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    board = anya.get("/board")
    assert board.status_code == 403 and 'id="no-access"' in board.text


def test_the_forms_answer_bad_input_with_a_message_never_a_500(
    client: TestClient, users: dict[str, str]
) -> None:
    csrf = browser_sign_in(client, "olga")
    answer = client.post(
        "/board/cases", data={"language": "russian", "channel": "hotline", "csrf_token": csrf}
    )
    assert answer.status_code == 422 and "ISO 639-1" in answer.text
    assert 'aria-invalid="true"' in answer.text
    answer = client.post(
        "/board/cases", data={"language": "ru", "channel": "pigeon", "csrf_token": csrf}
    )
    assert answer.status_code == 422 and "unknown channel" in answer.text
    case_id = _open_case(client, csrf)
    url = f"/board/cases/{case_id}/transitions"
    answer = client.post(url, data={"transition": "recontact", "csrf_token": csrf})
    assert answer.status_code == 422 and "allowed transitions are" in answer.text
    answer = client.post(url, data={"transition": "fly", "csrf_token": csrf})
    assert answer.status_code == 422 and "unknown transition" in answer.text
    answer = client.post(
        "/board/cases/999999/transitions", data={"transition": "close", "csrf_token": csrf}
    )
    assert answer.status_code == 404
    assert client.get("/board/cases/999999").status_code == 404
    assert client.get("/board/cases/abc").status_code == 422
    answer = client.post(
        url, data={"transition": "schedule", "csrf_token": csrf}, follow_redirects=False
    )
    assert (answer.status_code, answer.headers["location"]) == (303, f"/board/cases/{case_id}")
    answer = client.post("/login", data={"username": "x"})
    assert answer.status_code == 403  # no CSRF value: refused before anything else
    # A sign-in never redirects to another site.
    form = client.get("/login?next=https://evil.example/x")
    assert 'value="/board"' in form.text


def test_the_static_files_are_served_from_the_package(client: TestClient) -> None:
    assert client.get("/static/board.css").status_code == 200
    assert "EventSource" in client.get("/static/board.js").text
    if not up_to_date():
        pytest.skip("htmx and Leaflet are not fetched yet: run `make install`")
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/vendor/leaflet/leaflet.css").status_code == 200
