"""The board's new-operation form and the map's layer routes, on SQLite and PostgreSQL.

A planner gives a case its operation from the case page (area, meeting point as LAT,LON or
MGRS, meeting window in UTC, optionally a reception point): htmx gets the operation section
with its Plan button, a plain form the case page again. Every bad value sends the form back
with 422 and the message next to its field, and writes nothing. Other roles get no form and
a 403. The map's pictures and layers are served to signed-in readers of the plan, and only
once there is a plan.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from safeconduct.adapters.formats.layers import read_hazards, read_observers
from safeconduct.adapters.gis.geotiff import read_dem, write_raster
from safeconduct.entrypoints.web.pages import operation_view
from safeconduct.services import operations
from safeconduct.terrain.coords import GeoPoint
from tests.web.board_helpers import browser_sign_in, csrf_of
from tests.web.conftest import bearer, sign_in

HX = {"HX-Request": "true"}
START = "2026-12-01T05:00"
END = "2026-12-01T07:00"


def _new_case(client: TestClient, opener: str = "olga") -> int:
    token = sign_in(client, opener)
    answer = client.post("/api/cases", json={"language": "ru"}, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _form(meeting: GeoPoint, **changes: str) -> dict[str, str]:
    values = {
        "area": "sample",
        "meeting_point": f"{meeting.lat:.6f},{meeting.lon:.6f}",
        "window_start": START,
        "window_end": END,
        "reception": "",
    }
    values.update(changes)
    return values


def _no_operation(client: TestClient, case_id: int) -> None:
    token = sign_in(client, "petro")
    answer = client.get(f"/api/cases/{case_id}/operation", headers=bearer(token))
    assert answer.status_code == 404, answer.text


def _field_of(page: str, field: str) -> str:
    """The message shown next to ``field``."""
    found = re.search(rf'id="error-{field}">([^<]*)<', page)
    assert found, f"no error next to {field}"
    return html.unescape(found.group(1))


def test_a_planner_gets_the_form_with_the_area_and_sensible_defaults(
    client: TestClient, users: dict[str, str], meeting: GeoPoint
) -> None:
    case_id = _new_case(client)
    browser_sign_in(client, "petro")
    page = client.get(f"/board/cases/{case_id}").text
    assert 'id="operation-form"' in page and 'id="plan-button"' not in page
    assert '<option value="sample" selected>' in page
    # The area's own meeting point, as the CLI writes LAT,LON.
    shown = re.search(r'name="meeting_point" id="op-meeting" value="([^"]+)"', page)
    assert shown and shown.group(1) == f"{meeting.lat:.5f},{meeting.lon:.5f}"
    # The window: from the next whole hour (UTC), two hours long.
    start = re.search(r'name="window_start" id="op-start" value="([^"]+)"', page)
    end = re.search(r'name="window_end" id="op-end" value="([^"]+)"', page)
    assert start and end
    begins = datetime.strptime(start.group(1), "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    ends = datetime.strptime(end.group(1), "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    assert begins.minute == 0 and ends - begins == timedelta(hours=2)
    assert timedelta(0) < begins - datetime.now(UTC) <= timedelta(hours=1, minutes=1)
    # The reception point: the route's choice by default, or one of the area's.
    assert '<option value="">Let the route choose</option>' in page
    assert "Reception point A" in page


def test_the_default_window_is_the_next_whole_hour_for_two_hours() -> None:
    start, end = operation_view.default_window(datetime(2026, 5, 1, 23, 40, 12, tzinfo=UTC))
    assert start == datetime(2026, 5, 2, 0, 0, tzinfo=UTC)
    assert end == datetime(2026, 5, 2, 2, 0, tzinfo=UTC)


def test_the_form_creates_the_operation_and_shows_its_plan_button(
    client: TestClient, users: dict[str, str], meeting: GeoPoint
) -> None:
    case_id = _new_case(client)
    csrf = browser_sign_in(client, "petro")
    reception = "Reception point A (road checkpoint)"
    answer = client.post(
        f"/board/cases/{case_id}/operation",
        data=_form(meeting, reception=reception),
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert answer.status_code == 200, answer.text
    assert 'id="plan-button"' in answer.text and "Plan: none" in answer.text
    assert 'id="operation-form"' not in answer.text
    token = sign_in(client, "petro")
    made = client.get(f"/api/cases/{case_id}/operation", headers=bearer(token)).json()
    assert made["area"] == "sample" and made["reception"] == reception
    assert made["window_start"].startswith("2026-12-01T05:00:00")
    assert made["window_end"].startswith("2026-12-01T07:00:00")
    assert made["meeting_lat"] == pytest.approx(meeting.lat, abs=1e-6)
    # Now the section is what it is: a board that asks with its stamp gets 204.
    stamp = re.search(r'data-stamp="([^"]+)"', answer.text)
    assert stamp
    again = client.get(f"/board/cases/{case_id}/operation", params={"stamp": stamp.group(1)})
    assert again.status_code == 204


def test_without_javascript_the_form_posts_and_redirects_to_the_case(
    client: TestClient, users: dict[str, str], meeting: GeoPoint
) -> None:
    case_id = _new_case(client)
    browser_sign_in(client, "petro")
    page = client.get(f"/board/cases/{case_id}").text
    mgrs = meeting.to_mgrs(5)  # the CLI's other form of a point
    answer = client.post(
        f"/board/cases/{case_id}/operation",
        data={**_form(meeting, meeting_point=mgrs), "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, f"/board/cases/{case_id}")
    shown = client.get(f"/board/cases/{case_id}").text
    assert 'id="plan-button"' in shown and 'id="operation-form"' not in shown


BAD_INPUTS = [
    pytest.param({"meeting_point": "48.0,30.0"}, "meeting_point", "outside", id="point-outside"),
    pytest.param({"meeting_point": "by the old mill"}, "meeting_point", "LAT,LON", id="bad-point"),
    pytest.param({"meeting_point": "38.0,48.6"}, "meeting_point", "", id="swapped-lat-lon"),
    pytest.param({"meeting_point": ""}, "meeting_point", "empty", id="no-point"),
    pytest.param({"window_end": "2026-12-01T04:00"}, "window_end", "not after", id="reversed"),
    pytest.param({"window_end": "2026-12-03T05:00"}, "window_end", "too long", id="too-long"),
    pytest.param({"window_start": "tomorrow"}, "window_start", "not a date", id="bad-time"),
    pytest.param({"window_start": ""}, "window_start", "give the start", id="no-start"),
    pytest.param({"area": "atlantis"}, "area", "no area", id="unknown-area"),
    pytest.param({"area": "../etc"}, "area", "", id="bad-area-name"),
    pytest.param({"reception": "Nowhere"}, "reception", "no reception point", id="reception"),
]


@pytest.mark.parametrize(("changes", "field", "words"), BAD_INPUTS)
def test_each_bad_value_sends_the_form_back_with_its_message_and_writes_nothing(
    client: TestClient,
    users: dict[str, str],
    meeting: GeoPoint,
    changes: dict[str, str],
    field: str,
    words: str,
) -> None:
    case_id = _new_case(client)
    csrf = browser_sign_in(client, "petro")
    values = _form(meeting, **changes)
    # htmx: the section again, the form as typed, the message beside the field.
    answer = client.post(
        f"/board/cases/{case_id}/operation", data=values, headers={**HX, "X-CSRF-Token": csrf}
    )
    assert answer.status_code == 422, answer.text
    assert 'id="operation-form"' in answer.text
    assert words in _field_of(answer.text, field)
    if field != "area" and values[field]:
        assert html.escape(values[field]) in answer.text  # kept as typed
    # A plain form: the whole case page, with the same message.
    page = client.post(
        f"/board/cases/{case_id}/operation",
        data={**values, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert page.status_code == 422 and "<html" in page.text and 'id="case-panel"' in page.text
    assert words in _field_of(page.text, field)
    _no_operation(client, case_id)


def test_several_bad_values_are_all_named_at_once(
    client: TestClient, users: dict[str, str], meeting: GeoPoint
) -> None:
    case_id = _new_case(client)
    csrf = browser_sign_in(client, "petro")
    values = _form(meeting, meeting_point="here", window_start="soon", window_end="later")
    answer = client.post(
        f"/board/cases/{case_id}/operation", data=values, headers={**HX, "X-CSRF-Token": csrf}
    )
    assert answer.status_code == 422
    for field in ("meeting_point", "window_start", "window_end"):
        _field_of(answer.text, field)
    _no_operation(client, case_id)


def test_a_second_operation_for_the_case_is_refused_with_a_message(
    client: TestClient, users: dict[str, str], meeting: GeoPoint
) -> None:
    case_id = _new_case(client)
    csrf = browser_sign_in(client, "petro")
    headers = {**HX, "X-CSRF-Token": csrf}
    url = f"/board/cases/{case_id}/operation"
    assert client.post(url, data=_form(meeting), headers=headers).status_code == 200
    later = _form(meeting, window_start="2026-12-02T05:00", window_end="2026-12-02T06:00")
    again = client.post(url, data=later, headers=headers)
    assert again.status_code == 422, again.text
    assert "already" in again.text


def test_an_unknown_case_is_404_and_a_missing_csrf_token_403(
    client: TestClient, users: dict[str, str], meeting: GeoPoint
) -> None:
    case_id = _new_case(client)
    csrf = browser_sign_in(client, "petro")
    answer = client.post(
        "/board/cases/999999/operation", data=_form(meeting), headers={**HX, "X-CSRF-Token": csrf}
    )
    assert answer.status_code == 404
    forged = client.post(f"/board/cases/{case_id}/operation", data=_form(meeting))
    assert forged.status_code == 403
    _no_operation(client, case_id)


@pytest.mark.parametrize("name", ["olga", "kyrylo", "roman", "anya"])
def test_other_roles_get_no_form_and_their_post_is_refused(
    client: TestClient, users: dict[str, str], meeting: GeoPoint, name: str
) -> None:
    case_id = _new_case(client)  # olga's own case
    csrf = browser_sign_in(client, name)
    page = client.get(f"/board/cases/{case_id}")
    assert 'id="operation-form"' not in page.text
    assert "/operation/form" not in page.text
    answer = client.post(
        f"/board/cases/{case_id}/operation",
        data=_form(meeting),
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert answer.status_code == 403, answer.text
    assert client.get(f"/board/cases/{case_id}/operation/form").status_code in (403, 404)
    _no_operation(client, case_id)


def test_the_operator_who_opened_the_case_sees_the_operation_appear(
    client: TestClient, users: dict[str, str], meeting: GeoPoint
) -> None:
    """An operator's page keeps an empty place for the operation; when a planner makes one,
    the section fetched again (as board.js does on a case change) shows it."""
    case_id = _new_case(client)
    browser_sign_in(client, "olga")
    page = client.get(f"/board/cases/{case_id}").text
    assert 'id="operation"' in page and 'data-stamp="none"' in page
    unchanged = client.get(f"/board/cases/{case_id}/operation", params={"stamp": "none"})
    assert unchanged.status_code == 204
    token = sign_in(client, "petro")
    body = {
        "area": "sample",
        "meeting_lat": meeting.lat,
        "meeting_lon": meeting.lon,
        "window_start": "2026-12-01T05:00:00+00:00",
        "window_end": "2026-12-01T06:00:00+00:00",
    }
    made = client.post(f"/api/cases/{case_id}/operation", json=body, headers=bearer(token))
    assert made.status_code == 201
    section = client.get(f"/board/cases/{case_id}/operation", params={"stamp": "none"})
    assert section.status_code == 200 and "Plan: none" in section.text
    assert 'id="plan-button"' not in section.text  # an operator reads plans, never starts one


def test_choosing_another_area_redraws_the_form_with_its_points(
    client: TestClient, users: dict[str, str], meeting: GeoPoint
) -> None:
    case_id = _new_case(client)
    browser_sign_in(client, "petro")
    answer = client.get(
        f"/board/cases/{case_id}/operation/form",
        params={"area": "sample", "meeting_point": "1,1", "window_start": "2026-12-01T05:00"},
        headers=HX,
    )
    assert answer.status_code == 200
    assert f'value="{meeting.lat:.5f},{meeting.lon:.5f}"' in answer.text
    assert 'value="2026-12-01T05:00"' in answer.text


# ----------------------------------------------------------------- the map's layers


def _operation(client: TestClient, meeting: GeoPoint) -> tuple[int, int]:
    case_id = _new_case(client)
    csrf = browser_sign_in(client, "petro")
    answer = client.post(
        f"/board/cases/{case_id}/operation",
        data=_form(meeting),
        headers={**HX, "X-CSRF-Token": csrf},
    )
    assert answer.status_code == 200, answer.text
    token = sign_in(client, "petro")
    op = client.get(f"/api/cases/{case_id}/operation", headers=bearer(token)).json()
    return case_id, int(op["id"])


def _fake_plan(
    client: TestClient, operation_id: int, monkeypatch: pytest.MonkeyPatch
) -> operations.OperationsPorts:
    """Run the operation's plan job with a stand-in for the long pipeline that writes the
    files the board draws: the sample area's layers, a route, sorties, an exposure grid."""
    ports: operations.OperationsPorts = client.app.state.operations  # type: ignore[attr-defined]
    area = ports.area_dir("sample")

    def compute(_ports: Any, op_id: int, operation: Any, *_args: Any) -> list[str]:
        out = ports.plan_dir(op_id)
        (out / "mission").mkdir(parents=True)
        point = operation.meeting_point
        feature = {"type": "Feature", "properties": {"role": "route", "length_m": 10.0,
                   "walking_time_s": 9.0},
                   "geometry": {"type": "LineString",
                                "coordinates": [[point.lon, point.lat],
                                                [point.lon + 0.01, point.lat]]}}  # fmt: skip
        doc = '{"type": "FeatureCollection", "features": [%s]}'
        (out / "route.geojson").write_text(doc % json.dumps(feature))
        (out / "mission" / "mission.geojson").write_text(doc % "")
        pipeline = ports.pipeline.planning
        pipeline.layers.write_hazards(
            out / "hazards.geojson", read_hazards(area / "hazards.geojson")
        )
        pipeline.layers.write_observers(
            out / "observers.geojson", read_observers(area / "observers.geojson")
        )
        dem = read_dem(area / "dem.tif")
        grid = np.zeros(dem.shape, np.float32)
        grid[: dem.shape[0] // 2] = 2.0
        write_raster(out / "exposure.tif", grid, dem, nodata=-1.0)
        return ports.folders.list_files(out)

    monkeypatch.setattr(operations, "_compute", compute)
    token = sign_in(client, "petro")
    job = client.post(f"/api/operations/{operation_id}/plan", headers=bearer(token))
    assert job.status_code in (200, 201, 202), job.text
    done = operations.run_plan_job(ports, int(job.json()["job_id"]))
    assert done.status == "done", done.error
    return ports


def test_the_map_layers_wait_for_a_plan_and_then_are_served_to_readers(
    client: TestClient, users: dict[str, str], meeting: GeoPoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, op_id = _operation(client, meeting)
    base = f"/board/operations/{op_id}"
    routes = ("hillshade.png", "exposure.png", "files/hazards.geojson", "files/observers.geojson")
    for route in routes:
        assert client.get(f"{base}/{route}").status_code == 404, route
    page = client.get(f"/board/cases/{case_id}").text
    assert 'id="map"' not in page

    ports = _fake_plan(client, op_id, monkeypatch)
    page = client.get(f"/board/cases/{case_id}").text
    assert f'data-hazards="{base}/files/hazards.geojson"' in page
    assert f'data-observers="{base}/files/observers.geojson"' in page
    assert f'data-exposure="{base}/exposure.png"' in page
    bounds = re.search(r'data-exposure-bounds="([^"]+)"', page)
    assert bounds
    west, south, east, north = (float(v) for v in bounds.group(1).split(","))
    assert west < meeting.lon < east and south < meeting.lat < north
    picture = client.get(f"{base}/exposure.png")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert picture.headers["content-type"] == "image/png"
    assert (ports.plan_dir(op_id) / "exposure.png").is_file()  # drawn once, kept with the plan
    hazards = client.get(f"{base}/files/hazards.geojson").json()
    assert hazards["features"] and {f["properties"]["kind"] for f in hazards["features"]}
    observers = client.get(f"{base}/files/observers.geojson").json()
    assert all(f["geometry"]["type"] == "Point" for f in observers["features"])
    assert "Hazards (GeoJSON)" in page and "Exposure (GeoTIFF)" in page

    # Signed out: to the sign-in page; a crew member who is not on the case: nothing.
    client.cookies.clear()
    for route in routes:
        answer = client.get(f"{base}/{route}", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    browser_sign_in(client, "kyrylo")
    for route in routes:
        answer = client.get(f"{base}/{route}")
        assert answer.status_code in (403, 404) and b"PNG" not in answer.content, route
        assert b"FeatureCollection" not in answer.content


def test_an_exposure_overlay_marks_only_the_cells_someone_sees(
    tmp_path: Path, area_root: Path
) -> None:
    from matplotlib.image import imread

    from safeconduct.adapters.report.overlays import write_exposure_overlay

    dem = read_dem(area_root / "areas" / "sample" / "dem.tif")
    grid = np.zeros(dem.shape, np.float32)
    grid[:, : dem.shape[1] // 2] = 3.0  # the western half is watched
    grid[0, 0] = -1.0  # no data
    write_raster(tmp_path / "exposure.tif", grid, dem, nodata=-1.0)
    bounds = write_exposure_overlay(tmp_path / "exposure.tif", tmp_path / "e.png", max_px=200)
    alpha = imread(tmp_path / "e.png")[..., 3]
    west, east = alpha[:, : alpha.shape[1] // 3], alpha[:, -alpha.shape[1] // 3 :]
    assert west.mean() > 0.3 and east.max() == 0
    assert bounds[0] < bounds[2] and bounds[1] < bounds[3]
    assert json.loads((tmp_path / "e.json").read_text())["bounds"] == list(bounds)
