"""The Telegram adapter against the fake Bot API: updates mapped to the intake's kinds,
offsets raised only when acknowledged, 429/502/hangs survived, the token never logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.adapters.chat.telegram import TelegramChannel, split_text
from safeconduct.errors import BadFileError
from tests.chat.fake_bot_api import FakeBotApi

# python-telegram-bot 22 warns, in its own code, that retry_after becomes a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


class Sleeps(list[float]):
    """Records the pauses the channel asked for, and waits for none of them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def channel(api: FakeBotApi, sleeps: Sleeps | None = None, **kwargs: object) -> TelegramChannel:
    made = TelegramChannel(
        api.token,
        api_url=api.url,
        request_timeout_s=1.0,
        sleep=sleeps if sleeps is not None else Sleeps(),
        **kwargs,  # type: ignore[arg-type]
    )
    made.start()
    return made


def test_start_checks_the_token_and_drops_a_webhook(api: FakeBotApi) -> None:
    ch = channel(api)
    try:
        assert ch.username == "safeconduct_test_bot"
        assert [c.method for c in api.calls][:2] == ["getMe", "deleteWebhook"]
        assert api.calls_of("deleteWebhook")[0].params.get("drop_pending_updates") is False
    finally:
        ch.close()


def test_a_wrong_token_names_the_token_file(api: FakeBotApi) -> None:
    ch = TelegramChannel("999:wrong", api_url=api.url, request_timeout_s=1.0, sleep=Sleeps())
    with pytest.raises(BadFileError) as raised:
        ch.start()
    assert raised.value.field == "token_file"
    ch.close()


def test_every_kind_of_message_is_mapped(api: FakeBotApi) -> None:
    user = api.user(501)
    user.say("Хочу сдаться")
    user.say("/start")
    user.sticker("👍")
    user.photo(caption="это я")
    user.document()
    user.location(48.1, 37.9)
    user.voice()
    user.say("🙂🙂🙂")
    api.push_update(
        {
            "message": {
                "message_id": 1,
                "date": 1,
                "text": "hi",
                "chat": {"id": -100, "type": "group", "title": "g"},
            }
        }
    )
    ch = channel(api)
    try:
        batch = ch.receive(0)
        kinds = [(i.message.kind if i.message else None) for i in batch]
        assert kinds == [
            "text",
            "command",
            "sticker",
            "photo",
            "document",
            "location",
            "voice",
            "text",
            None,
        ]
        texts = [i.message.text for i in batch if i.message]
        assert texts[:6] == ["Хочу сдаться", "/start", "👍", "это я", "", ""]
        located = batch[5].message
        assert located is not None
        # No coordinates carried ("48" alone would match the minute of received_at).
        assert "48.1" not in repr(located) and "37.9" not in repr(located)
        assert {i.message.sender for i in batch if i.message} == {"501"}
        assert len({i.message.message_id for i in batch if i.message}) == 8
        assert all(i.message.received_at.tzinfo is not None for i in batch if i.message)
    finally:
        ch.close()


def test_the_offset_moves_only_past_acknowledged_updates(api: FakeBotApi) -> None:
    user = api.user(502)
    first, second = user.say("one"), user.say("two")
    ch = channel(api)
    try:
        assert [i.position for i in ch.receive(0)] == [first, second]
        ch.acknowledge(first)
        # not acknowledged: the server hands "two" out again
        assert [i.position for i in ch.receive(0)] == [second]
        assert api.pending_updates() == [second]
        ch.acknowledge(second)
    finally:
        ch.close()
    # closing confirms the last acknowledged update to the server
    assert api.pending_updates() == []


def test_429_is_honoured_and_502_and_hangs_back_off(api: FakeBotApi) -> None:
    user = api.user(503)
    update = user.say("hello")
    sleeps = Sleeps()
    ch = channel(api, sleeps)
    try:
        api.fail("getUpdates", "429", retry_after=7)
        assert ch.receive(0) == []
        api.fail("getUpdates", "502", times=2)
        assert ch.receive(0) == [] and ch.receive(0) == []
        api.fail("getUpdates", "hang", hang_s=3.0)
        assert ch.receive(0) == []
        assert sleeps == [7.0, 1.0, 2.0, 4.0]
        batch = ch.receive(0)
        assert [i.position for i in batch] == [update]
    finally:
        ch.close()


def test_send_retries_as_asked_and_says_what_became_of_the_message(api: FakeBotApi) -> None:
    api.user(504)
    sleeps = Sleeps()
    ch = channel(api, sleeps, send_attempts=2)
    try:
        api.fail("sendMessage", "429", retry_after=3)
        assert ch.send("504", "Привет", ("Да", "Нет")) == "sent"
        assert sleeps == [3.0]
        sent = api.sent_messages()
        assert [(s.text, s.quick_replies) for s in sent] == [("Привет", ("Да", "Нет"))]
        api.fail("sendMessage", "502", times=2)
        assert ch.send("504", "again") == "retry"
        assert ch.send("404404", "nobody") == "refused"
        api.blocked.add(504)
        assert ch.send("504", "blocked") == "refused"
        api.blocked.clear()
        assert ch.send("504", "x" * 9000) == "sent"
        assert [len(s.text) for s in api.sent_messages()[1:]] == [4096, 4096, 808]
    finally:
        ch.close()


def test_the_token_never_reaches_the_log(api: FakeBotApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.user(505).say("hi")
    ch = channel(api)
    try:
        api.fail("getUpdates", "502")
        ch.receive(0)
        ch.receive(0)
    finally:
        ch.close()
    assert caplog.records
    assert all(api.token not in r.getMessage() for r in caplog.records)
    assert "TEST-token" not in caplog.text


def test_split_text_cuts_at_spaces() -> None:
    pieces = split_text("word " * 2000, limit=100)
    assert all(len(p) <= 100 for p in pieces)
    assert "".join(pieces).replace(" ", "") == "word" * 2000


@given(
    st.text(alphabet=st.sampled_from(["a", "ы", " ", "\n", "🙂", "漢"]), max_size=600),
    st.integers(min_value=4, max_value=120),
)
def test_split_text_keeps_every_word_within_the_limit(text: str, limit: int) -> None:
    pieces = split_text(text, limit=limit)
    assert all(0 < len(p.encode("utf-16-le")) // 2 <= limit for p in pieces)
    assert all(p.strip() for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_an_edit_is_a_new_message_and_a_button_press_is_ignored(api: FakeBotApi) -> None:
    chat = {"id": 506, "type": "private", "first_name": "Ivan"}
    api.push_update(
        {"edited_message": {"message_id": 3, "date": 1, "edit_date": 100, "text": "трое",
                            "chat": chat}}
    )  # fmt: skip
    api.push_update(
        {"callback_query": {"id": "1", "chat_instance": "x", "data": "1",
                            "from": {"id": 506, "is_bot": False, "first_name": "Ivan"}}}
    )  # fmt: skip
    ch = channel(api)
    try:
        edited, pressed = ch.receive(0)
        assert edited.message is not None
        assert (edited.message.message_id, edited.message.text) == ("506:3:edit:100", "трое")
        assert pressed.message is None
    finally:
        ch.close()
