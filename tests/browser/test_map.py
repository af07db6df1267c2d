"""Real browsers on the demo service: a planner sees the demo case's route drawn on the
Leaflet map with its layer control and no script error; and a planner creates an operation
from the case page's form, plans it and sees the route, hazards and observers, while the
operator who opened the case watches it happen on their page without reloading.

With ``SAFECONDUCT_SCREENSHOT=docs/board.png`` the test also saves the page as seen (1100
px wide): the README's picture of the board.
"""

from __future__ import annotations

import os
import re
from typing import Any

from tests.browser.conftest import DemoServer


def sign_in(page: Any, server: DemoServer, name: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", server.password(name))
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/board")


def test_a_planner_sees_the_route_on_the_map(chromium: Any, demo_server: DemoServer) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    problems: list[str] = []
    context.on("weberror", lambda error: problems.append(str(error.error)))
    context.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    try:
        page = context.new_page()
        sign_in(page, demo_server, "planner")
        code = demo_server.demo.case.printed_code
        page.click(f"text={code}")
        page.wait_for_url(f"{demo_server.url}/board/cases/{demo_server.demo.case.id}")
        expect(page.locator("#map")).to_have_attribute("data-ready", "true")
        # The route is an SVG path Leaflet drew, in red; the sorties and points too.
        route = page.locator("#map path.leaflet-interactive[stroke='#d7263d']")
        expect(route).to_have_count(1)
        assert page.locator("#map path.leaflet-interactive").count() >= 3
        box = route.bounding_box()
        assert box is not None and box["width"] > 50 and box["height"] > 50
        # The terrain under it: the DEM's hillshade, loaded.
        shade = page.locator("#map img.leaflet-image-layer")
        expect(shade).to_have_count(1)
        assert shade.evaluate("img => img.complete && img.naturalWidth > 0")
        control = page.locator(".leaflet-control-layers")
        expect(control).to_contain_text("Route")
        expect(control).to_contain_text("Sorties")
        expect(control).to_contain_text("hillshade")
        expect(control).to_contain_text("Hazards")
        expect(control).to_contain_text("Observers")
        # A layer switched off leaves the map.
        control.get_by_label("Sorties").uncheck()
        expect(page.locator("#map path[stroke-dasharray='5 4']")).to_have_count(0)  # sorties
        expect(page.locator("#plan-files")).to_contain_text("Note (PDF)")
        assert not problems, problems
        control.get_by_label("Sorties").check()
        shot = os.environ.get("SAFECONDUCT_SCREENSHOT")
        if shot:  # docs/board.png is made this way (README)
            page.mouse.move(0, 0)
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.screenshot(path=shot, full_page=True)
    finally:
        context.close()


def _watched(context: Any) -> list[str]:
    """Script errors and refused resources of every page of ``context``, as they come."""
    problems: list[str] = []
    context.on("weberror", lambda error: problems.append(str(error.error)))
    context.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    return problems


def test_a_planner_creates_and_plans_an_operation_and_the_operator_sees_it_live(
    chromium: Any, demo_server: DemoServer
) -> None:
    """The whole flow in browsers: the operator opens a case and keeps its page open; a
    planner fills the new-operation form on the sample area (htmx), clicks Plan, and sees
    the route, hazards and observers on the map when the in-process worker is done; the
    operator's page follows every step (operation, plan status, map) without reloading."""
    from playwright.sync_api import expect

    url = demo_server.url
    operator_context = chromium.new_context(viewport={"width": 1100, "height": 900})
    planner_context = chromium.new_context(viewport={"width": 1100, "height": 900})
    watched = [_watched(operator_context), _watched(planner_context)]
    try:
        watcher = operator_context.new_page()
        sign_in(watcher, demo_server, "operator")
        watcher.click("#new-case-link")
        watcher.fill("input[name=language]", "uk")
        watcher.click("button.primary")
        watcher.wait_for_url(re.compile(rf"{re.escape(url)}/board/cases/\d+$"))
        case_url = watcher.url
        expect(watcher.locator("#live")).to_have_attribute("data-state", "on")
        assert watcher.locator("#operation-form").count() == 0  # operators do not plan
        watcher.evaluate("window.notReloaded = true")

        page = planner_context.new_page()
        sign_in(page, demo_server, "planner")
        page.goto(case_url)
        form = page.locator("#operation-form")
        expect(form).to_be_visible()
        expect(page.locator("#op-area")).to_have_value("sample")
        assert page.locator("#op-meeting").input_value()  # the area's own meeting point
        # A point outside the area is refused next to its field, and nothing is made.
        page.fill("#op-meeting", "48.0,30.0")
        page.click("#create-operation")
        expect(page.locator("#error-meeting_point")).to_contain_text("outside")
        watched[1].clear()  # the browser logs that 422, as it should
        page.fill("#op-meeting", _sample_meeting(demo_server))
        page.select_option("#op-reception", index=1)
        page.click("#create-operation")
        expect(page.locator("#plan-status")).to_have_text("Plan: none")
        expect(page.locator("#plan-button")).to_be_visible()

        # The operator's page shows the new operation by itself.
        expect(watcher.locator("#plan-status")).to_have_text("Plan: none")

        page.click("#plan-button")
        expect(page.locator("#plan-progress")).to_be_visible()
        expect(watcher.locator("#plan-status")).not_to_have_text("Plan: none")
        expect(page.locator("#map")).to_have_attribute("data-ready", "true", timeout=180_000)
        expect(page.locator("#plan-status")).to_have_text("Plan: done")
        expect(page.locator("#map path.leaflet-interactive[stroke='#d7263d']")).to_have_count(1)
        # The area's hazards (barriers in red) and observers, each a layer of their own.
        assert page.locator("#map path.leaflet-interactive[stroke='#b42318']").count() >= 1
        assert page.locator("#map path.observer").count() >= 1
        control = page.locator(".leaflet-control-layers")
        for name in ("Route", "Hazards", "Observers", "Exposure", "hillshade", "Sorties"):
            expect(control).to_contain_text(name)
        # The exposure picture is off at first, and drawn when switched on.
        exposure = page.locator("#map img.overlay-exposure")
        expect(exposure).to_have_count(0)
        control.get_by_label("Exposure (seen by observers)").check()
        expect(exposure).to_have_count(1)
        expect(exposure).to_have_js_property("complete", True)
        assert exposure.evaluate("img => img.naturalWidth > 0")
        control.get_by_label("Hazards").uncheck()
        expect(page.locator("#map path.leaflet-interactive[stroke='#b42318']")).to_have_count(0)

        # The operator's page reached the same end, still the page it was.
        expect(watcher.locator("#plan-status")).to_have_text("Plan: done", timeout=30_000)
        expect(watcher.locator("#map")).to_have_attribute("data-ready", "true")
        assert watcher.evaluate("window.notReloaded === true")
        assert not [p for w in watched for p in w], watched
    finally:
        operator_context.close()
        planner_context.close()


def _sample_meeting(server: DemoServer) -> str:
    """The demo operation's meeting point as LAT,LON (on the sample area)."""
    point = server.demo.operation.meeting_point
    return f"{point.lat:.6f},{point.lon:.6f}"
