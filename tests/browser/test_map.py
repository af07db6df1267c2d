"""A real browser on the demo's planned case: a planner signs in, opens the case and sees
the route drawn on the Leaflet map, with its layer control, and no script error.

With ``SAFECONDUCT_SCREENSHOT=docs/board.png`` the test also saves the page as seen (1100
px wide): the README's picture of the board.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from safeconduct.casework.roles import Role
from safeconduct.services.demo import Demo
from tests.browser.conftest import _free_port


@dataclass
class DemoServer:
    """The demo service running: its base URL and what the demo made."""

    url: str
    demo: Demo
    casework: Any
    operations: Any

    def password(self, name: str) -> str:
        return {u.name: u.password for u in self.demo.users}[name]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """What ``safeconduct serve --demo`` serves, on 127.0.0.1 and a free port."""
    import uvicorn

    from safeconduct import bootstrap
    from safeconduct.entrypoints.web.app import create_app
    from safeconduct.services.demo import fill_demo

    folder: Path = tmp_path_factory.mktemp("demo")
    ports = bootstrap.casework_ports(data=folder)
    operations = bootstrap.operations_ports(ports, folder)
    made = fill_demo(ports, operations)
    app = create_app(ports)
    app.state.operations = operations
    app.state.event_stream_s = 30.0
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the demo server did not start")
        time.sleep(0.05)
    try:
        yield DemoServer(
            url=f"http://127.0.0.1:{port}", demo=made, casework=ports, operations=operations
        )
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        ports.database.close()


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
        # A layer switched off leaves the map.
        control.get_by_label("Sorties").uncheck()
        expect(page.locator("#map path[stroke-dasharray]")).to_have_count(0)
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


def test_a_planner_plans_from_the_page_and_the_map_appears(
    chromium: Any, demo_server: DemoServer
) -> None:
    """The Plan button (htmx, CSRF) queues a job the in-process worker runs; the page shows
    its stages and, when it is done, reloads with the map."""
    from playwright.sync_api import expect

    from safeconduct.services import casework, operations
    from safeconduct.services.casework import Actor
    from safeconduct.services.demo import DEMO_AREA

    app_ops = demo_server.operations
    opened = casework.open_case(
        demo_server.casework, language="uk", actor=Actor("operator", (Role.OPERATOR,))
    )
    first = demo_server.demo.operation
    operations.create_operation(
        app_ops,
        opened.id,
        area=DEMO_AREA,
        meeting_point=first.meeting_point,
        window_start=first.window_start,
        window_end=first.window_end,
        actor=Actor("planner", (Role.PLANNER,)),
    )
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, demo_server, "planner")
        page.goto(f"{demo_server.url}/board/cases/{opened.id}")
        expect(page.locator("#plan-status")).to_have_text("Plan: none")
        assert page.locator("#map").count() == 0
        page.click("#plan-button")
        expect(page.locator("#plan-progress")).to_be_visible()
        expect(page.locator("#map")).to_have_attribute("data-ready", "true", timeout=60_000)
        expect(page.locator("#plan-status")).to_have_text("Plan: done")
        expect(page.locator("#map path.leaflet-interactive[stroke='#d7263d']")).to_have_count(1)
    finally:
        context.close()
