"""Signing in through the board's pages, as a browser does, in the TestClient."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def browser_sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign ``name`` in through the login form; the CSRF token of their session."""
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    board = client.get("/board")
    return csrf_of(board.text)
