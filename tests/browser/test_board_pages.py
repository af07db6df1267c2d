"""A real browser pages through a long board: the first page of rows, then "Older cases"
loads the next page in place (htmx swaps the row for the page's rows) until none remain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from safeconduct.casework.roles import Role
from safeconduct.entrypoints.web.pages import routes
from safeconduct.services.casework import Actor, open_case
from tests.browser.conftest import PASSWORD, Server


def test_older_cases_load_in_place(
    chromium: Any, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    monkeypatch.setattr(routes, "BOARD_PAGE_SIZE", 2)  # the server runs in this process
    olga = Actor(name="olga", roles=(Role.OPERATOR,))
    start = datetime.now(UTC) - timedelta(hours=1)
    ids = [
        open_case(server.ports, language="uk", now=start + timedelta(minutes=i), actor=olga).id
        for i in range(5)
    ]
    context = chromium.new_context()
    problems: list[str] = []
    context.on("weberror", lambda error: problems.append(str(error.error)))
    context.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    try:
        page = context.new_page()
        page.goto(f"{server.url}/login")
        page.fill("input[name=username]", "petro")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/board")
        rows = page.locator("#case-rows tr[id^=case-]")
        expect(rows).to_have_count(2)
        for shown in (4, 5):
            page.click("#older-cases a")
            expect(rows).to_have_count(shown)
        expect(page.locator("#older-cases")).to_have_count(0)
        shown_ids = rows.evaluate_all("rows => rows.map(r => r.id)")
        got = [int(str(rid).removeprefix("case-")) for rid in shown_ids]
        assert got == list(reversed(ids))  # the latest change first, each once
        assert page.url == f"{server.url}/board"  # loaded in place, not a new page
        assert not problems, problems
    finally:
        context.close()
