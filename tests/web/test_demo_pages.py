"""A case's operation on its page: facts, plan files and the map's data for those who may
read plans, nothing for the others; the Plan button asks for a plan (htmx, CSRF)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safeconduct.entrypoints.web.demo import demo_service
from safeconduct.services.demo import Demo
from tests.conftest import TEST_KEY_FILE
from tests.operations.conftest import WINDOW_END, WINDOW_START
from tests.web.board_helpers import browser_sign_in, csrf_of
from tests.web.conftest import bearer, sign_in


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Demo]]:
    """The demo service (planned once for the module) and what it made."""
    demo = demo_service(tmp_path_factory.mktemp("demo"), TEST_KEY_FILE)
    try:
        with TestClient(demo.app) as client:
            yield client, demo.made
    finally:
        demo.close()


def _signed_in(demo: tuple[TestClient, Demo], name: str) -> tuple[TestClient, Demo]:
    client, made = demo
    client.cookies.clear()
    password = {u.name: u.password for u in made.users}[name]
    browser_sign_in(client, name, password)
    return client, made


@pytest.mark.parametrize("name", ["planner", "operator"])
def test_readers_of_plans_see_the_operation_files_and_map(
    demo: tuple[TestClient, Demo], name: str
) -> None:
    client, made = _signed_in(demo, name)
    page = client.get(f"/board/cases/{made.case.id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="operation"' in html and "Plan: done" in html
    assert "sample" in html
    assert 'id="map"' in html and "/static/vendor/leaflet/leaflet.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html
    op = made.operation.id
    links = re.findall(rf'href="(/board/operations/{op}/files/[^"]+)"', html)
    assert f"/board/operations/{op}/files/route.geojson" in links
    assert f"/board/operations/{op}/files/note.pdf" in links
    assert any(link.endswith(".plan") for link in links)
    assert 'id="plan-button"' not in html  # planned already
    for link in [*links[:3], f"/board/operations/{op}/files/mission/mission.geojson"]:
        answer = client.get(link)
        assert answer.status_code == 200, link
    route = client.get(f"/board/operations/{op}/files/route.geojson").json()
    assert {f["properties"]["role"] for f in route["features"]} >= {"route", "start"}
    assert client.get(f"/board/operations/{op}/files/../../safeconduct.db").status_code == 404
    # The DEM's hillshade, drawn once for the plan, with its WGS84 bounds on the map.
    bounds = re.search(r'data-hillshade-bounds="([^"]+)"', html)
    assert bounds and f'data-hillshade="/board/operations/{op}/hillshade.png"' in html
    west, south, east, north = (float(v) for v in bounds.group(1).split(","))
    point = made.operation.meeting_point
    assert west < point.lon < east and south < point.lat < north
    picture = client.get(f"/board/operations/{op}/hillshade.png")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("name", ["crew", "reception"])
def test_the_assigned_crew_and_reception_team_see_the_plan(
    demo: tuple[TestClient, Demo], name: str
) -> None:
    client, made = _signed_in(demo, name)
    page = client.get(f"/board/cases/{made.case.id}")
    assert 'id="operation"' in page.text and f"<strong>{name}</strong>" in page.text
    answer = client.get(f"/board/operations/{made.operation.id}/files/route.geojson")
    assert answer.status_code == 200 and "FeatureCollection" in answer.text


@pytest.mark.parametrize("name", ["registrar", "auditor"])
def test_others_get_no_operation_and_no_files(demo: tuple[TestClient, Demo], name: str) -> None:
    client, made = _signed_in(demo, name)
    page = client.get(f"/board/cases/{made.case.id}")
    assert 'id="operation"' not in page.text and 'id="map"' not in page.text
    answer = client.get(f"/board/operations/{made.operation.id}/files/route.geojson")
    assert answer.status_code in (403, 404)
    assert "FeatureCollection" not in answer.text
    picture = client.get(f"/board/operations/{made.operation.id}/hillshade.png")
    assert picture.status_code in (403, 404) and b"PNG" not in picture.content


def test_files_need_a_session(demo: tuple[TestClient, Demo]) -> None:
    client, made = demo
    client.cookies.clear()
    answer = client.get(
        f"/board/operations/{made.operation.id}/files/route.geojson", follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def _unplanned(client: TestClient, meeting: Any) -> tuple[int, int]:
    """A case opened by olga with an operation by petro, not planned: (case id, op id)."""
    olga, petro = sign_in(client, "olga"), sign_in(client, "petro")
    case = client.post("/api/cases", json={"language": "ru"}, headers=bearer(olga)).json()
    body = {
        "area": "sample",
        "meeting_lat": meeting.lat,
        "meeting_lon": meeting.lon,
        "window_start": WINDOW_START.isoformat(),
        "window_end": WINDOW_END.isoformat(),
    }
    answer = client.post(f"/api/cases/{case['id']}/operation", json=body, headers=bearer(petro))
    assert answer.status_code == 201, answer.text
    return case["id"], answer.json()["id"]


def test_a_planner_gets_the_plan_button_and_it_queues_a_plan(
    client: TestClient, users: dict[str, str], meeting: Any
) -> None:
    case_id, op_id = _unplanned(client, meeting)
    browser_sign_in(client, "petro")
    page = client.get(f"/board/cases/{case_id}")
    assert 'id="plan-button"' in page.text and "Plan: none" in page.text
    assert 'id="map"' not in page.text
    csrf = csrf_of(page.text)
    refused = client.post(f"/board/operations/{op_id}/plan", headers={"HX-Request": "true"})
    assert refused.status_code == 403
    answer = client.post(
        f"/board/operations/{op_id}/plan",
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert answer.status_code == 200, answer.text
    assert "Plan: queued" in answer.text and "every 1s" in answer.text
    assert 'id="plan-button"' not in answer.text
    assert client.app.state.operations.jobs.enqueued  # type: ignore[attr-defined]
    # The polled section answers while the job waits.
    polled = client.get(f"/board/cases/{case_id}/operation?polling=1")
    assert "Planning:" in polled.text


def test_an_operator_gets_no_plan_button(
    client: TestClient, users: dict[str, str], meeting: Any
) -> None:
    case_id, op_id = _unplanned(client, meeting)
    csrf = browser_sign_in(client, "olga")
    page = client.get(f"/board/cases/{case_id}")
    assert 'id="operation"' in page.text and 'id="plan-button"' not in page.text
    answer = client.post(
        f"/board/operations/{op_id}/plan",
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert answer.status_code == 403


def test_the_map_script_is_shipped(tmp_path: Path) -> None:
    from safeconduct.entrypoints.web.pages import STATIC_DIR

    script = (STATIC_DIR / "case_map.js").read_text()
    assert "L.control.layers" in script and "http" not in script
