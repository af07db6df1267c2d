"""The exports API on SQLite and PostgreSQL: an export made with a password in the body,
kept for its maker to download until it expires, refused for a role without the data and
for an unblurred export without a reason, and never a password or a number in an address.

The router is included here on the app of the tests (the app factory registers it once the
field-policy table has its rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safeconduct.adapters.formats.export_archive import (
    AesZipArchives,
    FolderExports,
    read_archive,
)
from safeconduct.adapters.pdf.custody_documents import ReportlabCustodyDocuments
from safeconduct.services.casework import CaseworkPorts
from safeconduct.services.exports import ExportPorts, purge_expired_exports
from tests.web.conftest import ClientFor, bearer, sign_in
from tests.web.test_custody_api import arrival_body, arrived_case, registration_body

SECRET = "a long export password"


@pytest.fixture
def exporting(client_for: ClientFor, ports: CaseworkPorts, tmp_path: Path) -> TestClient:
    from safeconduct.entrypoints.web.exports import router

    client = client_for()
    app: Any = client.app
    if not any(getattr(r, "path", "") == "/api/exports" for r in app.routes):
        app.include_router(router)
    app.state.exports = ExportPorts(
        database=ports.database,  # type: ignore[arg-type]
        documents=ReportlabCustodyDocuments(),
        archives=AesZipArchives(),
        kept=FolderExports(tmp_path / "exports"),
    )
    return client


def test_export_then_download_by_its_maker_only(
    exporting: TestClient, ports: CaseworkPorts, users: dict[str, str]
) -> None:
    roman, rita = bearer(sign_in(exporting, "roman")), bearer(sign_in(exporting, "rita"))
    case_id = arrived_case(ports)
    done = exporting.post(f"/api/cases/{case_id}/arrival", json=arrival_body(), headers=roman)
    assert done.status_code == 201, done.text
    body = {"case_id": case_id, "purpose": "ICRC tracing", "password": SECRET}
    made = exporting.post("/api/exports", json=body, headers=roman)
    assert made.status_code == 201, made.text
    answer = made.json()
    assert answer["record"] == f"case:{case_id}" and answer["faces_blurred"] is True
    assert "arrival.json" in answer["files"] and SECRET not in made.text
    got = exporting.get(answer["download"], headers=roman)
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert got.headers["cache-control"] == "no-store"
    files = read_archive(got.content, SECRET)
    assert "Reception point North" in files["arrival.json"].decode()
    assert exporting.get(answer["download"], headers=rita).status_code == 403
    assert exporting.get("/api/exports/notanid.zip", headers=roman).status_code == 404
    # Expired: purged, then gone.
    xp: ExportPorts = exporting.app.state.exports  # type: ignore[attr-defined]
    later = datetime.now(UTC) + timedelta(days=8)
    assert purge_expired_exports(xp, later) == 1
    assert exporting.get(answer["download"], headers=roman).status_code == 404


def test_a_prisoner_by_id_for_the_registrar_only(
    exporting: TestClient, users: dict[str, str]
) -> None:
    rita, roman = bearer(sign_in(exporting, "rita")), bearer(sign_in(exporting, "roman"))
    registered = exporting.post("/api/custody/prisoners", json=registration_body(), headers=rita)
    assert registered.status_code == 201, registered.text
    prisoner_id = registered.json()["id"]
    body = {"prisoner_id": prisoner_id, "purpose": "Protecting power", "password": SECRET}
    assert exporting.post("/api/exports", json=body, headers=roman).status_code == 403
    made = exporting.post("/api/exports", json=body, headers=rita)
    assert made.status_code == 201, made.text
    assert "capture-card.pdf" in made.json()["files"]
    for bad, field in (
        ({"password": "short"}, "password"),
        ({"blur": False}, "reason"),
        ({"case_id": 1}, "case_id"),
    ):
        refused = exporting.post("/api/exports", json=body | bad, headers=rita)
        assert refused.status_code == 422, refused.text
        assert field in refused.text
    assert exporting.post("/api/exports", json=body).status_code == 401
