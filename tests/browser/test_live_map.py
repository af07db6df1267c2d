"""Real browsers on the demo service's live map: a drone position the leader posts appears
on the crew's and the planner's maps without reloading; the crew's click on the map posts
a tap marking the person, and Start leading (after the confirmation) and Stop set the
engaged flag the leader reads; the planner gets no buttons and his click posts nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.browser.conftest import DemoServer
from tests.browser.test_map import sign_in

#: How long a change may take to reach an open browser here (generous for a busy machine).
LIVE_MS = 8000


def _token(server: DemoServer, name: str) -> str:
    answer = httpx.post(
        f"{server.url}/api/auth/token",
        data={"username": name, "password": server.password(name)},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _live(server: DemoServer, token: str, path: str = "", **body: Any) -> dict[str, Any]:
    url = f"{server.url}/api/operations/{server.demo.operation.id}/live{path}"
    headers = {"Authorization": f"Bearer {token}"}
    answer = (
        httpx.post(url, json=body, headers=headers) if path else httpx.get(url, headers=headers)
    )
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def _watch(context: Any, problems: list[str]) -> None:
    # A script error or a refused resource (the Content-Security-Policy) fails the test.
    context.on("weberror", lambda error: problems.append(str(error.error)))
    context.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )


def test_the_live_map_shows_the_drone_and_the_crew_marks_the_person(
    chromium: Any, demo_server: DemoServer
) -> None:
    from playwright.sync_api import expect

    server = demo_server
    crew_token = _token(server, "crew")
    _live(server, crew_token, "/disengage")  # whatever an earlier test left
    problems: list[str] = []
    crew_context = chromium.new_context(viewport={"width": 1100, "height": 900})
    planner_context = chromium.new_context(viewport={"width": 1100, "height": 900})
    for context in (crew_context, planner_context):
        _watch(context, problems)
    try:
        case_url = f"{server.url}/board/cases/{server.demo.case.id}"
        crew = crew_context.new_page()
        sign_in(crew, server, "crew")
        crew.goto(case_url)
        planner = planner_context.new_page()
        sign_in(planner, server, "planner")
        planner.goto(case_url)
        for page in (crew, planner):
            expect(page.locator("#live-map")).to_have_attribute("data-ready", "true")
            expect(page.locator("#live-engaged")).to_have_text("Not leading")
        assert planner.locator("#live-start").count() == 0  # only the crew leads

        # The leader posts the drone's position: both open maps show it.
        point = server.demo.operation.meeting_point
        at = datetime.now(UTC).isoformat()
        drone = {"kind": "drone", "lat": point.lat + 0.0004, "lon": point.lon,
                 "at": at, "source": "vehicle", "label": "lead"}  # fmt: skip
        _live(server, crew_token, "/positions", positions=[drone], status="waiting")
        for page in (crew, planner):
            expect(page.locator("#live-map path.live-drone")).to_have_count(1, timeout=LIVE_MS)
            expect(page.locator("#live-status")).to_contain_text("Drone lead", timeout=LIVE_MS)

        # The crew clicks where the person is: a tap, seen by the leader and on the maps.
        crew.locator("#live-map").click(position={"x": 300, "y": 200})
        expect(planner.locator("#live-map path.live-tap")).to_have_count(1, timeout=LIVE_MS)
        taps = _live(server, crew_token)["taps"]
        assert len(taps) == 1
        assert abs(taps[0]["lat"] - point.lat) < 0.05 and abs(taps[0]["lon"] - point.lon) < 0.05

        # The planner's click posts nothing.
        planner.locator("#live-map").click(position={"x": 200, "y": 150})
        planner.wait_for_timeout(500)
        assert len(_live(server, crew_token)["taps"]) == 1

        # Start leading asks first; dismissed, nothing happens; accepted, the leader may go.
        crew.once("dialog", lambda dialog: dialog.dismiss())
        crew.click("#live-start")
        crew.wait_for_timeout(300)
        assert _live(server, crew_token)["engaged"] is False
        messages: list[str] = []

        def accept(dialog: Any) -> None:
            messages.append(dialog.message)
            dialog.accept()

        crew.once("dialog", accept)
        crew.click("#live-start")
        expect(planner.locator("#live-engaged")).to_have_text("Leading", timeout=LIVE_MS)
        assert "Start leading?" in messages[0]
        assert _live(server, crew_token)["engaged"] is True
        expect(crew.locator("#live-start")).to_be_disabled(timeout=LIVE_MS)
        crew.click("#live-stop")
        expect(planner.locator("#live-engaged")).to_have_text("Not leading", timeout=LIVE_MS)
        assert _live(server, crew_token)["engaged"] is False
        expect(crew.locator("#live-start")).to_be_enabled(timeout=LIVE_MS)
        assert problems == []
    finally:
        crew_context.close()
        planner_context.close()
