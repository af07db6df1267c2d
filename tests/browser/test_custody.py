"""A registrar in a real browser registers the prisoner of a case in custody, ticking "not
given" where the prisoner declined, and downloads the capture card."""

# ruff: noqa: RUF001 (names as given, in Cyrillic)

from __future__ import annotations

from datetime import date
from typing import Any

from pypdf import PdfReader

from safeconduct.services.casework import (
    CONSOLE,
    add_user,
    get_case,
    open_case,
    transition_case,
)
from tests.browser.conftest import PASSWORD, Server


def test_a_registrar_registers_a_prisoner_and_downloads_the_capture_card(
    chromium: Any, server: Server, tmp_path: Any
) -> None:
    from playwright.sync_api import expect

    add_user(server.ports, "rita", "registrar", PASSWORD, actor=CONSOLE)
    case = open_case(server.ports, language="ru", actor=CONSOLE)
    for name in ("schedule", "plan", "launch", "arrive", "take_into_custody"):
        transition_case(server.ports, case.id, name, actor=CONSOLE)
    context = chromium.new_context(accept_downloads=True)
    problems: list[str] = []
    context.on("weberror", lambda error: problems.append(str(error.error)))
    try:
        page = context.new_page()
        page.goto(f"{server.url}/login")
        page.fill("input[name=username]", "rita")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/board")
        expect(page.locator("#prisoners-link")).to_be_visible()

        page.goto(f"{server.url}/board/cases/{case.id}")
        page.click("#register-link")
        expect(page.locator("#art17-notice")).to_contain_text("may not be coerced")
        page.fill("#f-surname", "Шевченко")
        page.fill("#f-first_names", "Тарас")
        page.check("#f-rank-not-given")
        page.fill("#f-date_of_birth", "1994-03-09")
        page.check("#f-service_number-not-given")
        page.fill("#f-captured_on", date.today().isoformat())  # the case was opened today
        page.select_option("#f-health", "slightly_wounded")
        page.select_option("#f-language", "ru")
        page.click("#register")
        page.wait_for_url(f"{server.url}/board/prisoners/1")  # an id, never the number
        expect(page.locator("#v-rank")).to_have_text("not given")
        assert str(get_case(server.ports, case.id, actor=CONSOLE).status) == "registered"

        page.check("#card-form input[value=uk]")
        with page.expect_download() as info:
            page.click("#download-card")
        path = tmp_path / "card.pdf"
        info.value.save_as(path)
        text = "\n".join(p.extract_text() or "" for p in PdfReader(path).pages)
        assert "Шевченко" in text and "Shevchenko" in text and "PW-000001" in text
        assert not problems, problems
    finally:
        context.close()
