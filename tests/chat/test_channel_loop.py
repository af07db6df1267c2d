"""The intake loop on the Telegram channel against the fake Bot API, with a small intake
of the test's own (an echo that can be told to fail): no update is acknowledged before the
intake committed it, none is committed twice, and 429s, 502s and hangs of the Bot API only
delay the replies."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.adapters.chat.telegram import TelegramChannel
from safeconduct.services.intake_channel import ChannelCounts, ChannelPorts, IntakeCalls, run
from safeconduct.services.ports import ChatMessage
from tests.chat.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")


@dataclass(frozen=True)
class Outgoing:
    channel: str
    recipient: str
    text: str
    quick_replies: tuple[str, ...] = ()
    outbox_id: int | None = None


@dataclass
class EchoIntake:
    """Commits each message once (by its id) and answers "got: <text>"; fails the next
    ``fail_next`` calls, or every call on a text in ``poison``."""

    committed: list[ChatMessage] = field(default_factory=list)
    fail_next: int = 0
    poison: set[str] = field(default_factory=set)
    outbox: dict[int, Outgoing] = field(default_factory=dict)
    marked: list[int] = field(default_factory=list)
    reminders_calls: int = 0
    down: bool = False  # the store does not answer at all
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, ports: Any, message: ChatMessage) -> list[Outgoing]:
        with self.lock:
            if self.down:
                raise ConnectionError("database unavailable")
            if self.fail_next > 0:
                self.fail_next -= 1
                raise ConnectionError("database unavailable")
            if message.text in self.poison:
                raise ValueError("a bug")
            if any(m.message_id == message.message_id for m in self.committed):
                return []
            self.committed.append(message)
        return [Outgoing("telegram", message.sender, f"got: {message.text or message.kind}")]

    def pending_outbox(self, ports: Any, channel: str) -> list[Outgoing]:
        with self.lock:
            if self.down:
                raise ConnectionError("database unavailable")
            return [o for i, o in sorted(self.outbox.items()) if i not in self.marked]

    def mark_sent(self, ports: Any, outbox_id: int) -> None:
        with self.lock:
            self.marked.append(outbox_id)

    def due_reminders(self, ports: Any, now: datetime) -> int:
        self.reminders_calls += 1
        return 0

    def calls(self) -> IntakeCalls:
        return IntakeCalls(
            receive=self.receive,
            pending_outbox=self.pending_outbox,
            mark_sent=self.mark_sent,
            due_reminders=self.due_reminders,
        )


@dataclass
class Running:
    api: FakeBotApi
    intake: EchoIntake
    stop: threading.Event
    result: list[ChannelCounts]


@pytest.fixture
def running() -> Iterator[Running]:
    with FakeBotApi() as api:
        intake = EchoIntake()
        channel = TelegramChannel(
            api.token, api_url=api.url, request_timeout_s=1.0, max_backoff_s=0.2
        )
        channel.start()
        stop = threading.Event()
        result: list[ChannelCounts] = []
        ports = ChannelPorts(
            intake=None,
            channel=channel,
            sleep=lambda s: time.sleep(min(s, 0.2)),
            calls=intake.calls(),
        )

        def loop() -> None:
            result.append(
                run(
                    ports, stop=stop.is_set, poll_timeout_s=1, reminders_every_s=0.5, max_attempts=3
                )
            )

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield Running(api, intake, stop, result)
        finally:
            stop.set()
            thread.join(15)
            assert not thread.is_alive()


def test_a_message_is_committed_then_acknowledged_then_answered(running: Running) -> None:
    user = running.api.user(601)
    assert user.chat("привет") == ["got: привет"]
    assert [m.text for m in running.intake.committed] == ["привет"]
    assert running.intake.committed[0].sender == "601"


def test_a_failing_intake_leaves_the_update_with_the_channel(running: Running) -> None:
    user = running.api.user(602)
    running.intake.fail_next = 2
    first = user.say("one")
    second = user.say("two")
    user.said(second)
    assert [m.text for m in running.intake.committed] == ["one", "two"]
    assert [s.text for s in user.replies()] == ["got: one", "got: two"]
    assert running.api.pending_updates() == []
    # "one" was handed out three times (two failures) and committed once
    assert first < second


def test_a_message_that_always_fails_is_dropped_and_the_rest_go_on(running: Running) -> None:
    user = running.api.user(603)
    running.intake.poison.add("boom")
    user.say("boom")
    assert user.chat("after") == ["got: after"]
    assert [m.text for m in running.intake.committed] == ["after"]


def test_a_store_outage_drops_nothing(running: Running) -> None:
    user = running.api.user(604)
    running.intake.down = True
    update = user.say("during the outage")
    time.sleep(3.0)  # more than max_attempts (3) tries
    assert running.api.pending_updates() == [update]
    running.intake.down = False
    assert [s.text for s in user.said(update)] == ["got: during the outage"]
    assert [m.text for m in running.intake.committed] == ["during the outage"]


def test_bot_api_failures_lose_and_double_nothing(running: Running) -> None:
    api = running.api
    users = [api.user(610 + n) for n in range(3)]
    api.fail("getUpdates", "429", retry_after=1)
    api.fail("sendMessage", "502", times=4)
    api.fail("getUpdates", "hang", hang_s=2.5)
    said = [(u, u.say(f"m{k}-{u.chat_id}")) for k in range(3) for u in users]
    api.fail("getUpdates", "502", times=2)
    for user, update in said:
        user.said(update, timeout_s=30)
    texts = sorted(m.text for m in running.intake.committed)
    assert texts == sorted(f"m{k}-{u.chat_id}" for k in range(3) for u in users)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(api.sent_messages()) < 9:
        time.sleep(0.1)
    for user in users:
        assert [s.text for s in user.replies()] == [f"got: m{k}-{user.chat_id}" for k in range(3)]
    statuses = {c.status for c in api.calls}
    assert {429, 502, 0} <= statuses


def test_the_outbox_is_delivered_once_and_a_refused_message_is_not_retried(
    running: Running,
) -> None:
    api = running.api
    user = api.user(620)
    running.intake.outbox[1] = Outgoing("telegram", "620", "an operator writes", outbox_id=1)
    running.intake.outbox[2] = Outgoing("telegram", "999999", "nobody there", outbox_id=2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and 1 not in running.intake.marked:
        time.sleep(0.05)
    time.sleep(1.5)
    assert running.intake.marked == [1]
    assert [s.text for s in user.replies()] == ["an operator writes"]
    refused = [c for c in api.calls_of("sendMessage") if c.params.get("chat_id") == 999999]
    assert len(refused) == 1
    assert running.intake.reminders_calls >= 2


FAILURES = st.lists(
    st.tuples(
        st.sampled_from(["getUpdates", "sendMessage"]),
        st.sampled_from(["429", "502", "hang"]),
        st.integers(min_value=1, max_value=2),
    ),
    max_size=4,
)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(failures=FAILURES, intake_failures=st.integers(min_value=0, max_value=2))
def test_no_script_of_failures_loses_or_doubles_a_message(
    failures: list[tuple[str, str, int]], intake_failures: int
) -> None:
    with FakeBotApi() as api:
        echo = EchoIntake(fail_next=intake_failures)
        channel = TelegramChannel(
            api.token,
            api_url=api.url,
            request_timeout_s=0.5,
            max_backoff_s=0.1,
            sleep=lambda s: time.sleep(min(s, 0.1)),
        )
        channel.start()
        for method, kind, times in failures:
            api.fail(method, kind, times=times, hang_s=1.0)
        stop = threading.Event()
        ports = ChannelPorts(
            intake=None, channel=channel, sleep=lambda s: time.sleep(min(s, 0.1)),
            calls=echo.calls(),
        )  # fmt: skip
        thread = threading.Thread(
            target=lambda: run(ports, stop=stop.is_set, poll_timeout_s=1, max_attempts=10),
            daemon=True,
        )
        thread.start()
        try:
            users = [api.user(650), api.user(651)]
            said = [(u, u.say(f"{n}-{u.chat_id}")) for n in range(3) for u in users]
            for user, update in said:
                user.said(update, timeout_s=30)
        finally:
            stop.set()
            thread.join(15)
        assert sorted(m.text for m in echo.committed) == sorted(
            f"{n}-{u.chat_id}" for n in range(3) for u in users
        )
        assert api.pending_updates() == []
        # the replies that could not go out wait in memory (the real intake keeps them in
        # its outbox); what went out went once and in order
        for user in users:
            texts = [s.text for s in user.replies()]
            expected = [f"got: {n}-{user.chat_id}" for n in range(3)]
            assert texts == expected[: len(texts)]
