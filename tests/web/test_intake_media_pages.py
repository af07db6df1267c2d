"""The board's conversation page lists the files a person sent, held until kept (kind,
size, no preview), with Keep and Discard (CSRF); the inbox link is in the header of those
who may open it only (issue 14)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from safeconduct.entrypoints.web.intake import intake_ports_of
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import ClientFor
from tests.web.intake_scene import PHOTO, new_media


def _board(client_for: ClientFor, who: str) -> tuple[TestClient, str]:
    browser = client_for()
    return browser, browser_sign_in(browser, who)


def _attachments(app: Any, case_id: int) -> list[bytes]:
    with intake_ports_of(app).database.unit_of_work(read_only=True) as uow:
        return [m.attachment for m in uow.messages.list_for_case(case_id) if m.attachment]


def test_the_operator_keeps_a_photo_from_the_page(
    client_for: ClientFor, users: dict[str, str]
) -> None:
    browser, csrf = _board(client_for, "olga")
    case_id, media_id = new_media(browser.app)
    page = browser.get(f"/board/intake/{case_id}")
    assert page.status_code == 200
    assert f'id="media-{media_id}"' in page.text and f"{len(PHOTO)} bytes" in page.text
    assert f'id="keep-{media_id}"' in page.text and f'id="discard-{media_id}"' in page.text
    assert "<img" not in page.text  # no preview
    assert _attachments(browser.app, case_id) == []
    refused = browser.post(f"/board/intake/{case_id}/media/{media_id}/keep", data={})
    assert refused.status_code == 403  # no CSRF token
    kept = browser.post(
        f"/board/intake/{case_id}/media/{media_id}/keep",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert kept.status_code == 303
    assert _attachments(browser.app, case_id) == [PHOTO]
    assert f'id="media-{media_id}"' not in browser.get(f"/board/intake/{case_id}").text


def test_the_operator_discards_a_photo_from_the_page(
    client_for: ClientFor, users: dict[str, str]
) -> None:
    browser, csrf = _board(client_for, "olga")
    case_id, media_id = new_media(browser.app)
    gone = browser.post(
        f"/board/intake/{case_id}/media/{media_id}/discard",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert _attachments(browser.app, case_id) == []
    assert f'id="media-{media_id}"' not in browser.get(f"/board/intake/{case_id}").text
    again = browser.post(
        f"/board/intake/{case_id}/media/{media_id}/discard", data={"csrf_token": csrf}
    )
    assert again.status_code == 404


def test_another_operator_may_not_keep_it(client_for: ClientFor, users: dict[str, str]) -> None:
    browser, csrf = _board(client_for, "oleh")
    case_id, media_id = new_media(browser.app)  # olga's
    answer = browser.post(
        f"/board/intake/{case_id}/media/{media_id}/keep", data={"csrf_token": csrf}
    )
    assert answer.status_code == 403
    assert _attachments(browser.app, case_id) == []


def test_the_inbox_link_is_shown_to_operators_only(
    client_for: ClientFor, users: dict[str, str]
) -> None:
    operator, _ = _board(client_for, "olga")
    assert 'id="intake-link"' in operator.get("/board").text
    planner, _ = _board(client_for, "petro")
    assert 'id="intake-link"' not in planner.get("/board").text
