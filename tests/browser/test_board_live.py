"""A real browser on the board: an operator opens a case and sees it; a planner's open
board shows the new case, and then its status change, without reloading; a crew member
gets no link to operator data."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import PASSWORD, Server

#: How long a test waits for a change to reach another open browser. The issue asks for
#: a second; that is a speed target, measured by bench/bench_service.py, not here: a
#: test waits generously so that a busy CI machine does not flake.
LIVE_MS = 5000


def _sign_in(page: Any, server: Server, name: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/board")


def test_a_new_case_and_its_status_change_appear_live(chromium: Any, server: Server) -> None:
    from playwright.sync_api import expect

    operator = chromium.new_context()
    planner = chromium.new_context()
    problems: list[str] = []
    for context in (operator, planner):
        # A script error or a refused resource (the Content-Security-Policy) fails the test.
        context.on("weberror", lambda error: problems.append(str(error.error)))
        context.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
    try:
        # The planner's board is open first, listening.
        board = planner.new_page()
        _sign_in(board, server, "petro")
        expect(board.locator("#live")).to_have_attribute("data-state", "on")
        board.evaluate("window.__notReloaded = true")

        page = operator.new_page()
        _sign_in(page, server, "olga")
        page.click("text=New case")
        page.fill("input[name=language]", "uk")
        page.click("button:has-text('Open case')")
        page.wait_for_url(re.compile(r".*/board/cases/\d+$"))
        code = page.locator("h1.code").inner_text()
        case_id = page.url.rsplit("/", 1)[1]
        page.click("text=Cases")
        expect(page.locator(f"#case-{case_id}")).to_contain_text(code)

        row = board.locator(f"#case-{case_id}")
        expect(row).to_contain_text(code, timeout=LIVE_MS)
        expect(row).to_contain_text("Contacted")

        # The planner also has the case itself open.
        detail = planner.new_page()
        detail.goto(f"{server.url}/board/cases/{case_id}")
        expect(detail.locator("#live")).to_have_attribute("data-state", "on")
        assert detail.locator("button[value=plan]").count() == 0  # not scheduled yet
        detail.evaluate("window.__notReloaded = true")

        # The operator agrees a meeting: a button on the case page (htmx, with CSRF).
        page.goto(f"{server.url}/board/cases/{case_id}")
        page.click("button[value=schedule]")
        expect(page.locator("#case-status")).to_have_text("Scheduled")
        expect(row).to_contain_text("Scheduled", timeout=LIVE_MS)
        # The planner's case page now offers the planner's next step, and its timeline.
        expect(detail.locator("#case-status")).to_have_text("Scheduled", timeout=LIVE_MS)
        expect(detail.locator("button[value=plan]")).to_be_visible()
        expect(detail.locator(".timeline")).to_contain_text("by olga")
        assert board.evaluate("window.__notReloaded") is True
        assert detail.evaluate("window.__notReloaded") is True
        assert not problems, problems
    finally:
        operator.close()
        planner.close()


def test_a_crew_member_gets_no_link_to_operator_data(chromium: Any, server: Server) -> None:
    from safeconduct.services.casework import CONSOLE, open_case

    case = open_case(
        server.ports, language="ru", actor=CONSOLE
    )  # the console's, like an operator's
    context = chromium.new_context()
    try:
        page = context.new_page()
        _sign_in(page, server, "kyrylo")
        assert page.locator("text=New case").count() == 0
        assert page.locator(f"a[href='/board/cases/{case.id}']").count() == 0
        assert case.printed_code not in page.content()
        answer = page.goto(f"{server.url}/board/cases/{case.id}")
        assert answer is not None and answer.status == 403
        assert case.printed_code not in page.content()
    finally:
        context.close()


def _api(chromium: Any, server: Server, name: str) -> tuple[Any, dict[str, str]]:
    """An API client context signed in as ``name``: (context, bearer headers)."""
    context = chromium.new_context()
    answer = context.request.post(
        f"{server.url}/api/auth/token", form={"username": name, "password": PASSWORD}
    )
    assert answer.ok, answer.text()
    return context, {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_an_assigned_crew_sees_its_case_and_the_status_change_live(
    chromium: Any, server: Server
) -> None:
    from playwright.sync_api import expect

    olga, olga_auth = _api(chromium, server, "olga")
    petro, petro_auth = _api(chromium, server, "petro")
    crew = chromium.new_context()
    try:
        opened = olga.request.post(
            f"{server.url}/api/cases", data={"language": "ru"}, headers=olga_auth
        )
        case_id, code = opened.json()["id"], opened.json()["case_code"]
        board = crew.new_page()
        _sign_in(board, server, "kyrylo")
        expect(board.locator("#live")).to_have_attribute("data-state", "on")
        board.evaluate("window.__notReloaded = true")
        row = board.locator(f"#case-{case_id}")
        assert row.count() == 0  # not the crew's case yet

        # The planner puts the crew on the case: it appears on the crew's open board.
        assigned = petro.request.post(
            f"{server.url}/api/cases/{case_id}/assignments",
            data={"user": "kyrylo", "role": "crew"},
            headers=petro_auth,
        )
        assert assigned.status == 201, assigned.text()
        expect(row).to_contain_text("Contacted", timeout=LIVE_MS)

        # The operator agrees the meeting: the crew's row changes without a reload.
        moved = olga.request.post(
            f"{server.url}/api/cases/{case_id}/transitions",
            data={"transition": "schedule"},
            headers=olga_auth,
        )
        assert moved.ok, moved.text()
        expect(row).to_contain_text("Scheduled", timeout=LIVE_MS)
        assert board.evaluate("window.__notReloaded") is True
        # The crew reads the case itself now, and nothing of the operator's other cases.
        page = crew.new_page()
        answer = page.goto(f"{server.url}/board/cases/{case_id}")
        assert answer is not None and answer.status == 200
        assert code[:4] in page.locator("h1.code").inner_text()
    finally:
        for context in (olga, petro, crew):
            context.close()
