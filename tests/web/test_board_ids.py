"""Ids too large for the database on the board's pages: refused as bad values (4xx), never
a 500. The API's routes were bounded when the fuzzing found a huge id reaching the driver
(tests/reliability/fuzz); the board's pages, outside the OpenAPI document, were not."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from safeconduct.entrypoints.web.pages import (
    area_pages,
    custody_pages,
    export_pages,
    intake_pages,
    routes,
)
from safeconduct.entrypoints.web.schemas import MAX_ID
from tests.web.board_helpers import browser_sign_in, csrf_of

HUGE = (MAX_ID + 1, 2**63, 2**70)


def _board_routes_with_ids() -> list[tuple[str, str]]:
    """(method, path) of every board route with an id in its path."""
    found = []
    for module in (routes, custody_pages, intake_pages, export_pages, area_pages):
        for route in module.router.routes:
            if isinstance(route, APIRoute) and re.search(r"\{\w+_id\}", route.path):
                found += [(method, route.path) for method in sorted(route.methods)]
    return found


ROUTES = _board_routes_with_ids()


def test_the_board_has_routes_with_ids() -> None:
    assert len(ROUTES) > 20, ROUTES


@pytest.mark.parametrize("huge", [MAX_ID + 1, 2**70])
def test_huge_ids_in_board_paths_are_refused_not_failed(
    client: TestClient, users: dict[str, str], huge: int
) -> None:
    # A planner and a registrar between them pass the role checks of most pages, so the id
    # reaches the database unless it is refused first.
    for name in ("petro", "rita"):
        browser_sign_in(client, name)
        for method, path in ROUTES:
            url = re.sub(r"\{(\w+_id)\}", str(huge), path).replace("{name:path}", "route.geojson")
            url = url.replace("{suffix}", "json")
            answer = client.request(method, url, follow_redirects=False)
            assert answer.status_code < 500, (name, method, url, answer.text[:200])


@pytest.mark.parametrize("field", ["case_id", "prisoner_id"])
def test_huge_ids_in_board_queries_and_forms_are_refused_not_failed(
    client: TestClient, users: dict[str, str], field: str
) -> None:
    browser_sign_in(client, "rita")
    for huge in HUGE:
        page = client.get(f"/board/exports/new?{field}={huge}")
        assert page.status_code == 422, page.text[:200]
        form = client.get("/board/exports/new?case_id=1")
        answer = client.post(
            "/board/exports",
            data={field: str(huge), "csrf_token": csrf_of(form.text), "password": "x" * 16},
        )
        assert answer.status_code == 422, answer.text[:300]
    if field == "case_id":
        assert client.get(f"/board/prisoners/new?case_id={2**70}").status_code == 422
