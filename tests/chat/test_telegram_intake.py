"""People write to the bot through the fake Bot API and the real intake (SQLite store,
default flow): a completed conversation ends with a valid case code and a case in the
operator's inbox, in ru, uk and en; a group of three is recorded as 3; odd messages are
answered or flagged; Bot API failures lose no message and double none."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from safeconduct import bootstrap
from safeconduct.adapters.chat.telegram import TelegramChannel
from safeconduct.casework.roles import Role
from safeconduct.intake.flow import flow_from_json
from safeconduct.note.casecode import parse_case_code
from safeconduct.services import intake
from safeconduct.services.casework import Actor
from safeconduct.services.intake_channel import ChannelCounts, ChannelPorts, run
from tests.chat.fake_bot_api import FakeBotApi, FakeUser
from tests.store.conftest import Store, store  # noqa: F401 (the store fixture)

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

OPERATOR = Actor(name="olga", roles=(Role.OPERATOR,))
CODE = re.compile(r"\b([2-9A-Z]{4}-[2-9A-Z]{4})\b")

#: A person's answers, by language: the button pressed at each question.
ANSWERS = {
    "ru": ["привет", "1 Русский", "1 Сдаться", "3", "Нет", "ночью с 2 до 4", "1 Здесь"],  # noqa: RUF001
    "uk": ["Добрий день", "2 Українська", "1", "3", "Ні", "вночі", "1"],  # noqa: RUF001
    "en": ["hello", "3 English", "1", "3", "No", "at night", "1"],
}


@dataclass
class Bot:
    api: FakeBotApi
    ports: intake.IntakePorts
    counts: list[ChannelCounts]


def default_flow() -> intake.Flow:
    text = resources.files("safeconduct.intake").joinpath("flows/default.json").read_text()
    return flow_from_json(json.loads(text))


@contextmanager
def running_bot(
    data: Path | None, db: str | None, reminders_every_s: float = 60.0
) -> Iterator[Bot]:
    """The bot's loop in a thread on the store ``data`` or ``db`` and a fake Bot API."""
    casework = bootstrap.casework_ports(data=data, db=db)
    bootstrap.unlock_store(casework, None)
    ports = intake.IntakePorts(database=casework.database, flow=default_flow())  # type: ignore[arg-type]
    with FakeBotApi() as api:
        channel = TelegramChannel(
            api.token, api_url=api.url, request_timeout_s=1.0, max_backoff_s=0.3
        )
        channel.start()
        stop = threading.Event()
        counts: list[ChannelCounts] = []
        loop_ports = ChannelPorts(
            intake=ports, channel=channel, sleep=lambda s: time.sleep(min(s, 1.0))
        )
        thread = threading.Thread(
            target=lambda: counts.append(
                run(
                    loop_ports,
                    stop=stop.is_set,
                    poll_timeout_s=1,
                    reminders_every_s=reminders_every_s,
                )
            ),
            daemon=True,
        )
        thread.start()
        try:
            yield Bot(api, ports, counts)
        finally:
            stop.set()
            thread.join(20)
            casework.database.close()
        assert not thread.is_alive()


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    with running_bot(tmp_path / "data", None) as running:
        yield running


def converse(user: FakeUser, answers: list[str]) -> list[str]:
    """Say each answer in turn; every reply's text, in order."""
    texts: list[str] = []
    for answer in answers:
        texts.extend(user.chat(answer))
    return texts


def in_inbox(bot: Bot) -> list[intake.InboxEntry]:
    return intake.inbox(bot.ports, OPERATOR)


def read(bot: Bot, case_id: int) -> intake.ConversationView:
    """The conversation as the operator reads it, once she took it over."""
    intake.take_over(bot.ports, case_id, OPERATOR)
    return intake.conversation(bot.ports, case_id, OPERATOR)


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_a_person_completes_the_default_flow_and_gets_a_case_code(bot: Bot, language: str) -> None:
    user = bot.api.user(700, language_code=language)
    texts = converse(user, ANSWERS[language])
    codes = [m.group(1) for t in texts if (m := CODE.search(t))]
    assert len(codes) == 1, texts
    assert parse_case_code(codes[0])  # the check character holds
    (entry,) = in_inbox(bot)
    assert entry.channel == "telegram" and entry.language == language
    view = read(bot, entry.case_id)
    assert parse_case_code(view.case_code) == parse_case_code(codes[0])
    assert view.summary.get("group_size") == "3"
    assert [m.text for m in view.messages if m.direction == "in"] == ANSWERS[language]
    # a reply keyboard offered the choices; the last reply removed it
    sent = user.replies()
    assert sent[0].quick_replies and not sent[-1].quick_replies
    assert bot.api.pending_updates() == []


def test_odd_messages_are_answered_or_flagged_and_the_bot_goes_on(bot: Bot) -> None:
    user = bot.api.user(701)
    converse(user, ["привет", "1"])
    odd = [
        lambda: user.sticker("🙂"),
        lambda: user.say(""),
        lambda: user.say("🙂🙂🙂"),
        lambda: user.say("ы" * 10_000),
        lambda: user.say("/unknown"),
        lambda: user.say("ꙮ ڪ ༄ 漢字"),
    ]
    for send in odd:
        # answered in the person's language: the question again
        texts = [s.text for s in user.said(send())]
        assert texts and texts[-1].startswith("Чего вы хотите?"), texts
    assert user.chat("1")[0].startswith("Вы один или в группе?")
    # a photo or a location: flagged to the operator and not answered
    assert user.said(user.photo("вот я")) == []
    assert user.said(user.location(48.01, 37.80)) == []
    (entry,) = in_inbox(bot)
    assert (entry.status, entry.flagged_reason) == ("flagged", "file")
    view = read(bot, entry.case_id)
    stored = " ".join(m.text for m in view.messages)
    assert "48.01" not in stored and "37.8" not in stored  # the coordinates never kept
    assert bot.api.pending_updates() == []


def test_bot_api_failures_lose_no_message_and_double_none(bot: Bot) -> None:
    api = bot.api
    people = [api.user(710 + n, language_code="en") for n in range(3)]
    api.fail("getUpdates", "429", retry_after=1)
    api.fail("sendMessage", "502", times=3)
    api.fail("getUpdates", "hang", hang_s=2.5)
    api.fail("sendMessage", "429", retry_after=1, times=2)
    for answer in ANSWERS["en"]:
        updates = [(p, p.say(answer)) for p in people]
        if answer == "3":
            api.fail("getUpdates", "502", times=2)
        for person, update in updates:
            person.said(update, timeout_s=40)
    entries = in_inbox(bot)
    assert len(entries) == 3
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(
        not CODE.search(" ".join(s.text for s in p.replies())) for p in people
    ):
        time.sleep(0.2)
    for entry in entries:
        view = read(bot, entry.case_id)
        assert [m.text for m in view.messages if m.direction == "in"] == ANSWERS["en"]
        assert view.summary.get("group_size") == "3"
        # every reply the intake stored went out once, in order
        person = next(
            p
            for p in people
            if p.replies()
            and parse_case_code(
                CODE.search(" ".join(s.text for s in p.replies())).group(1)  # type: ignore[union-attr]
            )
            == parse_case_code(view.case_code)
        )
        assert [s.text for s in person.replies()] == [
            m.text for m in view.messages if m.direction == "out"
        ]
    for person in people:
        assert len([s for s in person.replies() if CODE.search(s.text)]) == 1
    assert intake.pending_outbox(bot.ports, "telegram") == []
    assert {429, 502, 0} <= {c.status for c in api.calls}


def test_a_person_who_goes_quiet_starts_over(bot: Bot) -> None:
    user = bot.api.user(720)
    converse(user, ["привет", "1", "1"])
    # a day later (the default flow expires after 24 h), the bot starts again
    later = time.time() + 25 * 3600
    texts = [s.text for s in user.said(user.say("3", at=later))]
    assert texts and texts[0].startswith("Здравствуйте. Выберите язык"), texts


def test_an_operator_s_reply_reaches_the_person_once(bot: Bot) -> None:
    user = bot.api.user(730)
    converse(user, ANSWERS["ru"])
    (entry,) = in_inbox(bot)
    intake.take_over(bot.ports, entry.case_id, OPERATOR)
    before = len(user.replies())
    queued = intake.reply(bot.ports, entry.case_id, "Здравствуйте, это оператор.", OPERATOR)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and intake.pending_outbox(bot.ports, "telegram"):
        time.sleep(0.1)
    time.sleep(1.2)  # a round more: nothing is sent twice
    assert [s.text for s in user.replies()[before:]] == [queued.text]
    assert intake.pending_outbox(bot.ports, "telegram") == []


def test_the_default_flow_on_each_store(store: Store) -> None:  # noqa: F811
    data = Path(store.cli_args[1]) if store.cli_args[0] == "--data" else None
    db = store.cli_args[1] if store.cli_args[0] == "--db" else None
    with running_bot(data, db) as running:
        user = running.api.user(740)
        texts = converse(user, ANSWERS["uk"])
        (code,) = [m.group(1) for t in texts if (m := CODE.search(t))]
        (entry,) = in_inbox(running)
        view = read(running, entry.case_id)
        assert parse_case_code(view.case_code) == parse_case_code(code)
        assert (view.language, view.summary.get("group_size")) == ("uk", "3")


def test_a_meeting_goes_to_that_person_alone_and_a_reminder_follows(tmp_path: Path) -> None:
    with running_bot(tmp_path / "data", None, reminders_every_s=0.3) as running:
        person, other = running.api.user(750), running.api.user(751)
        converse(person, ANSWERS["ru"])
        (entry,) = in_inbox(running)
        case_id = entry.case_id
        intake.take_over(running.ports, case_id, OPERATOR)
        converse(other, ANSWERS["ru"])
        before = {u.chat_id: len(u.replies()) for u in (person, other)}
        point = intake.MeetingOption(id="ferry", label="Ferry landing", lat=48.5, lon=35.1)
        operator_ports = replace(running.ports, meeting_points=lambda: [point])
        now = datetime.now(UTC)
        sent = intake.send_meeting(
            operator_ports, case_id, option="ferry", window_start=now + timedelta(minutes=20),
            window_end=now + timedelta(minutes=50), actor=OPERATOR,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(person.replies()) < before[750] + 2:
            time.sleep(0.1)
        got = [s.text for s in person.replies()[before[750] :]]
        assert got[0] == sent.text and "48.5" in got[0]
        assert len(got) == 2  # the meeting, then the reminder (the window is 20 min away)
        assert got[1].startswith("Напоминание")
        time.sleep(1.0)  # a few reminder rounds more: the reminder went once
        assert len(person.replies()) == before[750] + 2
        assert len(other.replies()) == before[751]  # the other person got nothing
