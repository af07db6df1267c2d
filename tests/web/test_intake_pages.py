"""The board's intake console on SQLite and PostgreSQL: the inbox shows no words, an
operator takes a conversation over, reads the flow's answers, replies, and sends an approved
meeting point; a reply with coordinates is refused; other roles are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from safeconduct.entrypoints.web.intake import intake_ports_of
from safeconduct.services import intake
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import ClientFor
from tests.web.intake_scene import new_conversation


def _board(client_for: ClientFor, who: str) -> tuple[TestClient, str]:
    browser = client_for()
    return browser, browser_sign_in(browser, who)


def test_an_operator_takes_over_replies_and_sends_a_meeting(
    client_for: ClientFor, users: dict[str, str]
) -> None:
    browser, csrf = _board(client_for, "olga")
    app: Any = browser.app
    case_id = new_conversation(app, take=False)
    inbox = browser.get("/board/intake")
    assert inbox.status_code == 200
    assert f'href="/board/intake/{case_id}"' not in inbox.text  # still the bot's
    page = browser.get(f"/board/intake/{case_id}")
    assert page.status_code == 403  # not handed over, not hers
    # The bot hands over once the person asks for a person (the default flow's choice 3).
    ports = intake_ports_of(app)
    with ports.database.unit_of_work(read_only=True) as uow:
        conversation = uow.intake.get(case_id)
    assert conversation is not None
    for i, text in enumerate(["1", "3"]):
        intake.receive(
            ports,
            intake.IncomingMessage(
                channel="telegram", sender=conversation.sender, message_id=f"x{i}", text=text,
                kind="text", media=None, media_type=None, received_at=datetime.now(UTC),
            ),
        )  # fmt: skip
    inbox = browser.get("/board/intake")
    assert f'href="/board/intake/{case_id}"' in inbox.text
    assert conversation.sender not in inbox.text
    page = browser.get(f"/board/intake/{case_id}")
    assert page.status_code == 200 and 'id="take-over"' in page.text
    taken = browser.post(
        f"/board/intake/{case_id}/takeover", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert taken.status_code == 303
    page = browser.get(f"/board/intake/{case_id}")
    assert 'id="reply-form"' in page.text and 'id="meeting-form"' in page.text
    sent = browser.post(
        f"/board/intake/{case_id}/replies",
        data={"csrf_token": csrf, "text": "Здравствуйте, я оператор."},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    refused = browser.post(
        f"/board/intake/{case_id}/replies",
        data={"csrf_token": csrf, "text": "Идите к 48.51234, 35.04321"},
    )
    assert refused.status_code == 422 and "coordinates" in refused.text
    start = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    end = (datetime.now(UTC) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    meeting = browser.post(
        f"/board/intake/{case_id}/meeting",
        data={"csrf_token": csrf, "option": "sample", "window_start": start, "window_end": end},
        follow_redirects=False,
    )
    assert meeting.status_code == 303, meeting.text
    pending = [m.text for m in intake.pending_outbox(ports, "telegram")]
    assert "Здравствуйте, я оператор." in pending
    assert any("Удалите это сообщение" in text for text in pending)
    assert not any("48.51234" in text for text in pending)
    page = browser.get(f"/board/intake/{case_id}")
    assert 'id="meeting-sent"' in page.text


def test_other_roles_are_refused(client_for: ClientFor, users: dict[str, str]) -> None:
    browser, csrf = _board(client_for, "petro")
    case_id = new_conversation(browser.app)
    assert browser.get("/board/intake").status_code == 403
    assert browser.get(f"/board/intake/{case_id}").status_code == 403
    answer = browser.post(
        f"/board/intake/{case_id}/replies", data={"csrf_token": csrf, "text": "x"}
    )
    assert answer.status_code == 403
    other, _ = _board(client_for, "oleh")
    assert other.get(f"/board/intake/{case_id}").status_code == 403  # olga's


def test_a_post_without_its_csrf_token_is_refused(
    client_for: ClientFor, users: dict[str, str]
) -> None:
    browser, _ = _board(client_for, "olga")
    case_id = new_conversation(browser.app)
    answer = browser.post(f"/board/intake/{case_id}/replies", data={"text": "Здравствуйте"})
    assert answer.status_code == 403
