"""The areas of operations over the web, on SQLite and PostgreSQL: the API (list, read,
upload as ``multipart/form-data``) and the board's areas page with its upload form.

Every refused upload answers a 4xx naming its field (JSON ``{"detail", "field"}``, or the
form shown again with its message) and leaves the areas folder as it was.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from safeconduct.adapters.files.area_uploads import FolderAreaLibrary
from safeconduct.entrypoints.web import areas as web_areas
from safeconduct.errors import BadFileError
from safeconduct.terrain.coords import GeoPoint
from tests.operations.conftest import operation_body
from tests.operations.test_area_library import bad_uploads, own_data, sample_files, snapshot
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import ClientFor, bearer, sign_in

__all__ = ["sample_files"]  # the session's sample files, a fixture here too

Files = dict[str, tuple[str, bytes]]


def own_areas(client: TestClient, base: Path, area_root: Path) -> Path:
    """Give the client's app an areas folder of its own (the sample area linked in); its
    data folder."""
    app = client.app
    assert isinstance(app, FastAPI)
    data = own_data(base, area_root)
    app.state.operations = replace(app.state.operations, folders=FolderAreaLibrary(), data_dir=data)
    return data


def as_upload(files: dict[str, bytes]) -> Files:
    """The layers as the multipart files of a request."""
    return {layer: (f"{layer}.upload", content) for layer, content in files.items()}


@pytest.fixture
def data(client: TestClient, users: dict[str, str], tmp_path: Path, area_root: Path) -> Path:
    """The test client's data folder, with an areas folder of its own."""
    return own_areas(client, tmp_path / "api", area_root)


@pytest.fixture
def petro(client: TestClient, data: Path) -> dict[str, str]:
    """A planner's bearer header."""
    return bearer(sign_in(client, "petro"))


# ----------------------------------------------------------------- the API


def test_a_planner_uploads_an_area_and_an_operation_is_made_on_it(
    client: TestClient, data: Path, petro: dict[str, str], sample_files: dict[str, bytes]
) -> None:
    answer = client.post(
        "/api/areas", data={"name": "east-ridge"}, files=as_upload(sample_files), headers=petro
    )
    assert answer.status_code == 201, answer.text
    area = answer.json()
    assert area["name"] == "east-ridge"
    assert (area["rows"], area["cols"], area["cell_size_m"]) == (1600, 1600, 5.0)
    bounds = area["bounds"]
    assert bounds["west"] < area["meeting_lon"] < bounds["east"]
    assert bounds["south"] < area["meeting_lat"] < bounds["north"]
    assert len(area["reception"]) == 2 and area["hazards"] == 19 and area["observers"] == 4
    assert area["launch_lat"] is not None and area["synthetic"] is True
    olga = bearer(sign_in(client, "olga"))
    listed = client.get("/api/areas", headers=olga)
    assert listed.status_code == 200
    assert [a["name"] for a in listed.json()] == ["east-ridge", "sample"]
    assert client.get("/api/areas/east-ridge", headers=olga).json() == area
    # An operation on the uploaded area, through the operations API.
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    meeting = GeoPoint(area["meeting_lat"], area["meeting_lon"])
    body = operation_body(meeting, area="east-ridge", reception=area["reception"][1])
    made = client.post(f"/api/cases/{case['id']}/operation", json=body, headers=petro)
    assert made.status_code == 201, made.text
    assert made.json()["area"] == "east-ridge"


@pytest.mark.parametrize(
    "case",
    [
        "dem-not-a-geotiff",
        "dem-truncated",
        "dem-truncated-data",
        "dem-without-crs",
        "hazards-garbage",
        "observers-not-geojson",
        "reception-off-the-dem",
        "meeting-missing",
        "meeting-off-the-dem",
        "launch-garbage",
        "unknown-layer",
    ],
)
def test_each_malformed_upload_answers_4xx_naming_its_field_and_leaves_nothing(
    client: TestClient,
    data: Path,
    petro: dict[str, str],
    sample_files: dict[str, bytes],
    case: str,
) -> None:
    files, field, kind = bad_uploads(sample_files)[case]
    before = snapshot(data / "areas")
    answer = client.post(
        "/api/areas", data={"name": "refused"}, files=as_upload(files), headers=petro
    )
    assert answer.status_code == (400 if kind is BadFileError else 422), answer.text
    assert answer.json()["field"] == field
    assert answer.json()["detail"]
    assert snapshot(data / "areas") == before


def test_a_name_taken_answers_409_and_a_malformed_name_422(
    client: TestClient, data: Path, petro: dict[str, str], sample_files: dict[str, bytes]
) -> None:
    upload = as_upload(sample_files)
    before = snapshot(data / "areas")
    taken = client.post("/api/areas", data={"name": "sample"}, files=upload, headers=petro)
    assert taken.status_code == 409
    assert taken.json()["field"] == "name" and "sample" in taken.json()["detail"]
    for name in ("../x", "..", "a/b", ""):
        bad = client.post("/api/areas", data={"name": name}, files=upload, headers=petro)
        assert (bad.status_code, bad.json()["field"]) == (422, "name"), name
    assert snapshot(data / "areas") == before


def test_malformed_requests_are_refused_clearly(
    client: TestClient,
    data: Path,
    petro: dict[str, str],
    sample_files: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = snapshot(data / "areas")
    # JSON instead of a form: no name, nothing else read.
    answer = client.post("/api/areas", json={"name": "x"}, headers=petro)
    assert (answer.status_code, answer.json()["field"]) == (422, "name")
    # A layer sent as a text field, not a file.
    files = as_upload({k: v for k, v in sample_files.items() if k != "dem"})
    answer = client.post("/api/areas", data={"name": "x", "dem": "abc"}, files=files, headers=petro)
    assert (answer.status_code, answer.json()["field"]) == (400, "dem")
    # Two files for one layer.
    twice = [*as_upload(sample_files).items(), ("hazards", ("again.geojson", b"{}"))]
    answer = client.post("/api/areas", data={"name": "x"}, files=twice, headers=petro)
    assert (answer.status_code, answer.json()["field"]) == (400, "hazards")
    # Larger than the files may be, from the declared length, before reading the body.
    monkeypatch.setattr(web_areas, "MAX_UPLOAD_BYTES", 1000)
    answer = client.post(
        "/api/areas", data={"name": "x"}, files=as_upload(sample_files), headers=petro
    )
    assert answer.status_code == 413 and "larger than" in answer.json()["detail"]
    assert snapshot(data / "areas") == before


def test_an_unknown_area_answers_404_and_a_malformed_name_422(
    client: TestClient, data: Path, petro: dict[str, str]
) -> None:
    answer = client.get("/api/areas/nowhere", headers=petro)
    assert (answer.status_code, answer.json()["field"]) == (404, "name")
    answer = client.get("/api/areas/a..b", headers=petro)
    assert (answer.status_code, answer.json()["field"]) == (422, "name")


def test_the_upload_is_documented_as_a_form(client: TestClient) -> None:
    body = client.get("/openapi.json").json()["paths"]["/api/areas"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    assert set(schema["required"]) == {
        "name",
        "dem",
        "hazards",
        "observers",
        "reception",
        "meeting",
    }
    assert schema["properties"]["launch"]["format"] == "binary"


# ----------------------------------------------------------------- the board


def _board(
    client_for: ClientFor, tmp_path: Path, area_root: Path, name: str
) -> tuple[TestClient, str, Path]:
    """A browser signed in as ``name``: its client, CSRF token and data folder."""
    client = client_for()
    data = own_areas(client, tmp_path / f"board-{name}", area_root)
    return client, browser_sign_in(client, name), data


def test_planners_see_the_areas_and_the_upload_form(
    client_for: ClientFor, users: dict[str, str], tmp_path: Path, area_root: Path
) -> None:
    client, _, _ = _board(client_for, tmp_path, area_root, "petro")
    page = client.get("/board/areas")
    assert page.status_code == 200
    assert 'id="area-sample"' in page.text and 'id="area-form"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert 'id="areas-link"' in client.get("/board").text


def test_operators_see_the_areas_without_the_form_and_crews_not_at_all(
    client_for: ClientFor, users: dict[str, str], tmp_path: Path, area_root: Path
) -> None:
    client, _, _ = _board(client_for, tmp_path, area_root, "olga")
    page = client.get("/board/areas")
    assert page.status_code == 200
    assert 'id="area-sample"' in page.text and 'id="area-form"' not in page.text
    crew, _, _ = _board(client_for, tmp_path, area_root, "kyrylo")
    assert crew.get("/board/areas").status_code == 403
    assert 'id="areas-link"' not in crew.get("/board").text


def test_a_refused_upload_comes_back_on_the_form_and_leaves_nothing(
    client_for: ClientFor,
    users: dict[str, str],
    tmp_path: Path,
    area_root: Path,
    sample_files: dict[str, bytes],
) -> None:
    client, csrf, data = _board(client_for, tmp_path, area_root, "petro")
    before = snapshot(data / "areas")
    files = as_upload({**sample_files, "dem": b"not a GeoTIFF"})
    answer = client.post("/board/areas", data={"name": "ridge", "csrf_token": csrf}, files=files)
    assert answer.status_code == 422
    assert 'id="form-error"' in answer.text and "<strong>dem</strong>" in answer.text
    assert "not a raster" in answer.text
    assert 'name="name" value="ridge"' in answer.text and 'aria-invalid="true"' in answer.text
    # Another refusal: a name taken.
    answer = client.post(
        "/board/areas",
        data={"name": "sample", "csrf_token": csrf},
        files=as_upload(sample_files),
    )
    assert answer.status_code == 422 and "already" in answer.text
    assert snapshot(data / "areas") == before


def test_an_upload_from_the_board_is_listed_and_an_empty_optional_file_is_absent(
    client_for: ClientFor,
    users: dict[str, str],
    tmp_path: Path,
    area_root: Path,
    sample_files: dict[str, bytes],
) -> None:
    client, csrf, data = _board(client_for, tmp_path, area_root, "petro")
    # A browser sends a file input left empty as a part with no file name and no content.
    files = {**as_upload(sample_files), "launch": ("", b"")}
    answer = client.post(
        "/board/areas",
        data={"name": "ridge", "csrf_token": csrf},
        files=files,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/board/areas?added=ridge"
    page = client.get(answer.headers["location"])
    assert 'id="area-added"' in page.text and 'id="area-ridge"' in page.text
    assert not (data / "areas" / "ridge" / "launch.geojson").exists()


def test_an_upload_without_its_csrf_token_is_refused_unread(
    client_for: ClientFor,
    users: dict[str, str],
    tmp_path: Path,
    area_root: Path,
    sample_files: dict[str, bytes],
) -> None:
    client, _, data = _board(client_for, tmp_path, area_root, "petro")
    before = snapshot(data / "areas")
    answer = client.post("/board/areas", data={"name": "x"}, files=as_upload(sample_files))
    assert answer.status_code == 403
    assert snapshot(data / "areas") == before
    operator, csrf, _ = _board(client_for, tmp_path, area_root, "olga")
    answer = operator.post(
        "/board/areas", data={"name": "x", "csrf_token": csrf}, files=as_upload(sample_files)
    )
    assert answer.status_code == 403 and "may not add areas" in answer.text
