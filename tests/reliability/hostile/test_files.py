"""Hostile files, on SQLite and PostgreSQL: a GeoTIFF bomb (huge dimensions in a small
file), a VRT posing as a GeoTIFF (XML naming a file on the server), a zip bomb in every
upload that takes a file, and path traversal in names (area names, upload file names,
plan file names, attachment names, export entry names).

Each is refused cleanly (a 4xx naming its field) or kept as inert bytes under a name the
service chose; no file is written outside its folder, no staging folder is left, no
archive is ever expanded, and the other data is as it was.
"""

from __future__ import annotations

import functools
import io
import os
import zipfile
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from rasterio.transform import from_origin
from sqlalchemy.engine import Engine

from safeconduct.services import exports
from tests.operations.conftest import operation_body
from tests.operations.test_area_library import snapshot
from tests.reliability.hostile.conftest import (
    assert_unchanged,
    attacks_logged,
    database_rows,
    still_answers,
)
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import bearer, sign_in
from tests.web.test_areas import as_upload, own_areas

# Files are handled the same whatever the database: these run on SQLite alone (the
# injection and session tests run on both), which keeps the suite in its time budget.
pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

#: The declared size of the bomb: 200 000 x 200 000 cells of float32 is 160 GB unpacked.
BOMB_SIDE = 200_000


def geotiff_bomb(folder: Path) -> bytes:
    """A valid GeoTIFF declaring :data:`BOMB_SIDE` squared cells, with no tile written
    (``SPARSE_OK``): small on disk, enormous once read."""
    path = folder / "bomb.tif"
    profile = {
        "driver": "GTiff",
        "width": BOMB_SIDE,
        "height": BOMB_SIDE,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:32637",
        "transform": from_origin(500_000, 5_000_000, 5, 5),
        "tiled": True,
        "blockxsize": 4096,
        "blockysize": 4096,
        "compress": "deflate",
        "sparse_ok": True,
        "BIGTIFF": "YES",
    }
    with rasterio.open(path, "w", **profile):
        pass
    return path.read_bytes()


def vrt_pointing_at(target: Path) -> bytes:
    """A GDAL VRT (XML) whose only band is ``target``'s, read from wherever it lies."""
    with rasterio.open(target) as src:
        width, height, crs = src.width, src.height, src.crs.to_string()
        transform = ",".join(str(v) for v in src.transform.to_gdal())
    return (
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}"><SRS>{crs}</SRS>'
        f"<GeoTransform>{transform}</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1"><SimpleSource>'
        f'<SourceFilename relativeToVRT="0">{target}</SourceFilename>'
        "<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
    ).encode()


@functools.cache
def zip_bomb(unpacked_mib: int = 64) -> bytes:
    """A ZIP whose one member unpacks to ``unpacked_mib`` MiB of zeros (about 1000:1)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("dem.tif", "w", force_zip64=True) as member,
    ):
        block = bytes(1024 * 1024)
        for _ in range(unpacked_mib):
            member.write(block)
    return buffer.getvalue()


@pytest.fixture
def planner(client: TestClient, users: dict[str, str], tmp_path: Path, area_root: Path):
    """(the data folder of the client's own areas, a planner's bearer header)."""
    data = own_areas(client, tmp_path / "api", area_root)
    return data, bearer(sign_in(client, "petro"))


def _files_outside(root: Path, inside: Path) -> set[str]:
    """Every file under ``root`` but not under ``inside``."""
    found = set()
    for folder, _names, files in os.walk(root):
        if not Path(folder).is_relative_to(inside):
            found |= {os.path.join(folder, name) for name in files}
    return found


def test_a_geotiff_bomb_is_refused_by_its_dimensions_before_a_pixel_is_read(
    client: TestClient,
    planner: tuple[Path, dict[str, str]],
    sample_files: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
) -> None:
    data, petro = planner
    bomb = geotiff_bomb(tmp_path)
    assert len(bomb) < 2 * 1024 * 1024, "the bomb is small on disk"
    pixels_read: list[str] = []
    real_read = rasterio.io.DatasetReader.read

    def spy(self: rasterio.io.DatasetReader, *args: object, **kwargs: object) -> np.ndarray:
        pixels_read.append(self.name)
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(rasterio.io.DatasetReader, "read", spy)
    before, rows = snapshot(data / "areas"), database_rows(engine)
    answer = client.post(
        "/api/areas",
        data={"name": "bomb"},
        files=as_upload({**sample_files, "dem": bomb}),
        headers=petro,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == "dem"
    assert f"{BOMB_SIDE} x {BOMB_SIDE} cells" in answer.json()["detail"]
    assert pixels_read == [], "pixels were read before the dimensions refused the DEM"
    assert snapshot(data / "areas") == before, "a staging folder or file was left"
    assert_unchanged(rows, database_rows(engine))
    still_answers(client, petro)


def test_a_vrt_posing_as_a_geotiff_never_reads_the_file_it_names(
    client: TestClient,
    planner: tuple[Path, dict[str, str]],
    sample_files: dict[str, bytes],
    area_root: Path,
) -> None:
    """A VRT named dem.tif pointing at a raster elsewhere on the server (here the sample
    area's own DEM: it would have passed every check) is refused as not a GeoTIFF."""
    data, petro = planner
    elsewhere = (area_root / "areas" / "sample" / "dem.tif").resolve()
    before = snapshot(data / "areas")
    answer = client.post(
        "/api/areas",
        data={"name": "peek"},
        files=as_upload({**sample_files, "dem": vrt_pointing_at(elsewhere)}),
        headers=petro,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == "dem"
    assert "GeoTIFF" in answer.json()["detail"] or "not recognized" in answer.json()["detail"]
    assert str(elsewhere) not in answer.text, "the answer shows a server path"
    assert snapshot(data / "areas") == before


@pytest.mark.parametrize("layer", ["dem", "hazards"])
def test_a_zip_bomb_as_an_area_layer_is_refused_unexpanded(
    client: TestClient,
    planner: tuple[Path, dict[str, str]],
    sample_files: dict[str, bytes],
    layer: str,
) -> None:
    data, petro = planner
    bomb = zip_bomb()
    before = snapshot(data / "areas")
    answer = client.post(
        "/api/areas",
        data={"name": "zipped"},
        files=as_upload({**sample_files, layer: bomb}),
        headers=petro,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == layer
    assert snapshot(data / "areas") == before


def test_a_zip_bomb_as_a_message_attachment_is_kept_as_bytes_never_expanded(
    client: TestClient, users: dict[str, str], engine: Engine
) -> None:
    """No route unpacks an archive: a message's zip is stored (sealed) and given back as
    the bytes that came, and other users' data is as it was."""
    olga = bearer(sign_in(client, "olga"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    bomb = zip_bomb()
    url = f"/api/cases/{case['id']}/messages"
    sent = client.post(
        url,
        data={"text": "", "direction": "in"},
        files={"attachment": ("bomb.zip", bomb, "application/zip")},
        headers=olga,
    )
    assert sent.status_code == 201, sent.text
    got = client.get(f"{url}/{sent.json()['id']}/attachment", headers=olga)
    assert got.status_code == 200
    assert got.content == bomb and len(got.content) < 1024 * 1024
    still_answers(client, olga)


def test_path_traversal_in_area_names_and_upload_file_names_stays_in_its_folder(
    client: TestClient,
    planner: tuple[Path, dict[str, str]],
    sample_files: dict[str, bytes],
    tmp_path: Path,
    security_log: pytest.LogCaptureFixture,
) -> None:
    data, petro = planner
    areas = data / "areas"
    outside = _files_outside(tmp_path, areas)
    for name in ("../../escaped", "..", "/tmp/escaped", "sample/../../escaped", "a\\..\\..\\b"):
        before = snapshot(areas)
        answer = client.post(
            "/api/areas", data={"name": name}, files=as_upload(sample_files), headers=petro
        )
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["field"] == "name"
        assert snapshot(areas) == before
        got = client.get(f"/api/areas/{quote(name, safe='')}", headers=petro)
        assert got.status_code in (404, 422), (name, got.text)
    # The files' own names are the sender's: never used; the layers get the service's.
    files = {layer: (f"../../../../{layer}.evil", data) for layer, data in sample_files.items()}
    made = client.post("/api/areas", data={"name": "named-by-us"}, files=files, headers=petro)
    assert made.status_code == 201, made.text
    assert sorted(p.name for p in (areas / "named-by-us").iterdir() if p.suffix != ".json") == [
        "dem.tif", "hazards.geojson", "launch.geojson", "meeting.geojson", "observers.geojson",
        "reception.geojson",
    ]  # fmt: skip
    assert _files_outside(tmp_path, areas) == outside, "a file landed outside the areas folder"
    assert not list(tmp_path.rglob("*.evil"))
    assert any("attack=path-traversal" in line for line in attacks_logged(security_log))


def test_path_traversal_in_plan_file_names_is_refused_on_the_api_and_the_board(
    client: TestClient,
    users: dict[str, str],
    meeting: object,
    security_log: pytest.LogCaptureFixture,
) -> None:
    olga, petro = bearer(sign_in(client, "olga")), bearer(sign_in(client, "petro"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    made = client.post(
        f"/api/cases/{case['id']}/operation",
        json=operation_body(meeting),  # type: ignore[arg-type]
        headers=petro,
    )
    assert made.status_code == 201, made.text
    operation = made.json()["id"]
    browser_sign_in(client, "petro")
    for name in ("../../safeconduct.db", "..%2F..%2Fsafeconduct.db", "/etc/passwd",
                 "%2Fetc%2Fpasswd", "....//....//etc/passwd"):  # fmt: skip
        api = client.get(f"/api/operations/{operation}/files/{name}", headers=petro)
        assert api.status_code in (404, 422), (name, api.status_code, api.text[:200])
        page = client.get(f"/board/operations/{operation}/files/{name}")
        assert page.status_code in (404, 422), (name, page.status_code)
        assert b"root:" not in page.content and b"SQLite format" not in page.content
    assert any("attack=path-traversal" in line for line in attacks_logged(security_log))


def test_attachment_names_and_types_never_become_paths(
    client: TestClient, users: dict[str, str]
) -> None:
    """An attachment's name is the sender's: stored as text, sent back only quoted in the
    Content-Disposition header; an export names entries itself, and a crafted MIME type
    (``image//../../..``) no longer makes an entry that unpacks outside its folder."""
    olga = bearer(sign_in(client, "olga"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    url = f"/api/cases/{case['id']}/messages"
    evil = "../../../../etc/cron.d/evil\r\nX-Injected: 1"
    sent = client.post(
        url, data={"text": ""}, files={"attachment": (evil, b"data", "text/plain")}, headers=olga
    )
    assert sent.status_code == 201, sent.text
    got = client.get(f"{url}/{sent.json()['id']}/attachment", headers=olga)
    disposition = got.headers["content-disposition"]
    offered = disposition.split("''", 1)[1]
    assert offered.startswith("evil"), disposition  # the last part of the name alone
    assert not [c for c in ("/", "%2F", "\\", "%5C") if c in offered], disposition
    assert "\n" not in disposition and "\r" not in disposition
    assert "x-injected" not in got.headers

    for kind in ("image//../../..", "image/../../../../x", "image/png;/../..", "image/"):
        content = exports._Content()
        message = SimpleNamespace(id=3, attachment_type=kind, attachment=b"x")
        name = exports._attachment(SimpleNamespace(images=None), content, message, blur=False)
        assert name is not None
        parts = name.split("/")
        assert parts[0] == "attachments" and len(parts) == 2, name
        assert ".." not in parts[1].split(".") and parts[1].startswith("3."), name

