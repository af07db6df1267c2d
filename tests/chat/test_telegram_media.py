"""A file a person sends through Telegram is fetched (getFile and the file download URL),
held pending for the operator, and kept or discarded by her (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from safeconduct.adapters.chat.telegram import MAX_MEDIA
from safeconduct.services import intake
from tests.chat.test_telegram_intake import OPERATOR, Bot, in_inbox, read, running_bot

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

PHOTO = b"\xff\xd8\xff\xe0" + b"A-PHOTO-SENT-IN-7f3a" * 64


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    with running_bot(tmp_path / "data", None) as running:
        yield running


def test_a_photo_is_fetched_and_pending_until_the_operator_keeps_it(bot: Bot) -> None:
    user = bot.api.user(801)
    assert user.said(user.photo("я", data=PHOTO)) == []
    methods = [c.method for c in bot.api.calls]
    assert "getFile" in methods and "download" in methods
    (entry,) = in_inbox(bot)
    assert entry.flagged_reason == "file"
    view = read(bot, entry.case_id)
    (held,) = view.media
    assert (held.kind, held.size) == ("photo", len(PHOTO))
    assert view.messages[0].text == f"[photo, {len(PHOTO)} bytes, held for an operator] я"
    with bot.ports.database.unit_of_work(read_only=True) as uow:
        assert all(m.attachment is None for m in uow.messages.list_for_case(entry.case_id))
    kept = intake.keep_media(bot.ports, entry.case_id, held.id, OPERATOR)
    with bot.ports.database.unit_of_work(read_only=True) as uow:
        stored = uow.messages.get(kept.id)
    assert stored is not None and stored.attachment == PHOTO


def test_a_discarded_photo_is_gone(bot: Bot) -> None:
    user = bot.api.user(802)
    user.said(user.photo(data=PHOTO))
    (entry,) = in_inbox(bot)
    (held,) = read(bot, entry.case_id).media
    intake.discard_media(bot.ports, entry.case_id, held.id, OPERATOR)
    assert intake.conversation(bot.ports, entry.case_id, OPERATOR).media == ()


def test_a_file_too_big_is_not_fetched_and_its_told_size_recorded(bot: Bot) -> None:
    user = bot.api.user(803)
    user.said(user.photo(data=b"x" * 10, size=MAX_MEDIA + 1))
    assert "download" not in [c.method for c in bot.api.calls]
    assert "getFile" not in [c.method for c in bot.api.calls]
    (entry,) = in_inbox(bot)
    view = read(bot, entry.case_id)
    assert view.media == ()
    assert view.messages[0].text == f"[photo, {MAX_MEDIA + 1} bytes, not kept]"
