"""The board's export pages on SQLite and PostgreSQL: the form, an export made and
downloaded by its maker, a refused value back on the form with nothing exported, the
unblurred choice offered to a registrar only, and the CSRF check.

The pages' router is included here on the app of the tests (the board mounts it once the
page table of the field-policy test has its rows)."""

from __future__ import annotations

import re
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
from safeconduct.services.exports import ExportPorts
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import ClientFor, bearer, sign_in
from tests.web.test_custody_api import arrival_body, arrived_case

SECRET = "a long export password"


@pytest.fixture
def board(client_for: ClientFor, ports: CaseworkPorts, tmp_path: Path) -> TestClient:
    from safeconduct.entrypoints.web.pages.export_pages import router

    client = client_for()
    app: Any = client.app
    if not any(getattr(r, "path", "") == "/board/exports" for r in app.routes):
        app.include_router(router)
    app.state.exports = ExportPorts(
        database=ports.database,  # type: ignore[arg-type]
        documents=ReportlabCustodyDocuments(),
        archives=AesZipArchives(),
        kept=FolderExports(tmp_path / "exports"),
    )
    return client


def _form(csrf: str, case_id: int, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "case_id": str(case_id),
        "purpose": "ICRC tracing request",
        "password": SECRET,
        "password_again": SECRET,
        "expires_days": "5",
    } | changes


def test_export_a_case_from_the_board_and_download_it(
    board: TestClient, ports: CaseworkPorts, users: dict[str, str], tmp_path: Path
) -> None:
    case_id = arrived_case(ports)
    roman = bearer(sign_in(board, "roman"))
    done = board.post(f"/api/cases/{case_id}/arrival", json=arrival_body(), headers=roman)
    assert done.status_code == 201, done.text
    csrf = browser_sign_in(board, "roman")
    page = board.get(f"/board/exports/new?case_id={case_id}")
    assert page.status_code == 200 and 'id="export-form"' in page.text
    assert 'id="unblurred"' not in page.text  # reception may not unblur
    made = board.post("/board/exports", data=_form(csrf, case_id))
    assert made.status_code == 201, made.text
    assert SECRET not in made.text
    link = re.search(r'href="(/board/exports/[0-9a-f]{32}\.zip)"', made.text)
    assert link is not None
    got = board.get(link.group(1))
    assert got.status_code == 200 and got.headers["cache-control"] == "private, no-store"
    assert "Reception point North" in read_archive(got.content, SECRET)["arrival.json"].decode()


def test_refused_values_come_back_on_the_form_and_export_nothing(
    board: TestClient, ports: CaseworkPorts, users: dict[str, str], tmp_path: Path
) -> None:
    case_id = arrived_case(ports)
    csrf = browser_sign_in(board, "rita")
    page = board.get(f"/board/exports/new?case_id={case_id}")
    assert 'id="unblurred"' in page.text  # the registrar may, with a reason
    for changes, field in (
        ({"password_again": "something else entirely"}, "password"),
        ({"password": "short", "password_again": "short"}, "password"),
        ({"purpose": ""}, "purpose"),
        ({"no_blur": "1"}, "reason"),
        ({"expires_days": "365"}, "expires_days"),
    ):
        refused = board.post("/board/exports", data=_form(csrf, case_id, **changes))
        assert refused.status_code == 422, refused.text
        assert f'id="error-{field}"' in refused.text
    assert not (tmp_path / "exports").exists()
    forged = board.post("/board/exports", data=_form("not-the-token", case_id))
    assert forged.status_code in (400, 403)
    assert board.get("/board/exports/new").status_code == 422  # neither a case nor a prisoner
