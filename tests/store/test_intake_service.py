# ruff: noqa: RUF001  (Russian and Ukrainian words)
"""The intake service on SQLite and PostgreSQL: a first message opens a case, the flow runs,
replies wait in the outbox until sent; duplicates, floods, probes and files; the operator's
take-over, reply and meeting proposal, and the reminders."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.casework.roles import Role
from safeconduct.errors import InvalidValueError, NotFoundError, PermissionDeniedError
from safeconduct.intake.flow import Flow, parse_flow
from safeconduct.note.casecode import parse_case_code
from safeconduct.services import intake
from safeconduct.services.casework import Actor, CaseworkPorts

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
OLGA = Actor(name="olga", roles=(Role.OPERATOR,))
IVAN = Actor(name="ivan", roles=(Role.OPERATOR,))
PLANNER = Actor(name="petro", roles=(Role.PLANNER,))
POINT = intake.MeetingOption(id="sector-7", label="the old mill", lat=48.51234, lon=35.04321)


def _flow() -> Flow:
    """Two questions, then the case code and a handover."""
    return parse_flow(
        {
            "uuid": "f-test",
            "name": "test",
            "language": "ru",
            "expire_after_minutes": 60,
            "localization": {
                "en": {
                    "a-ask": {"text": ["How many of you?"]},
                    "a-code": {"text": ["Your code: @case.code"]},
                }
            },
            "nodes": [
                {
                    "uuid": "n-ask",
                    "actions": [{"type": "send_msg", "uuid": "a-ask", "text": "Сколько вас?"}],
                    "router": {
                        "type": "switch",
                        "operand": "@input.text",
                        "result_name": "group_size",
                        "cases": [
                            {
                                "uuid": "c-n",
                                "type": "has_number_between",
                                "arguments": ["1", "50"],
                                "category_uuid": "cat-n",
                            }
                        ],
                        "categories": [
                            {"uuid": "cat-n", "name": "Number", "exit_uuid": "e-n"},
                            {"uuid": "cat-o", "name": "Other", "exit_uuid": "e-o"},
                        ],
                        "default_category_uuid": "cat-o",
                        "wait": {"type": "msg"},
                    },
                    "exits": [
                        {"uuid": "e-n", "destination_uuid": "n-code"},
                        {"uuid": "e-o", "destination_uuid": "n-ask"},
                    ],
                },
                {
                    "uuid": "n-code",
                    "actions": [
                        {
                            "type": "issue_case_code",
                            "uuid": "a-code",
                            "text": "Ваш код: @case.code",
                        },
                        {"type": "handover", "uuid": "a-hand"},
                    ],
                    "exits": [{"uuid": "e-end", "destination_uuid": None}],
                },
            ],
        }
    )


class Clock:
    def __init__(self) -> None:
        self.now = AT

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def iports(ports: CaseworkPorts, clock: Clock) -> intake.IntakePorts:
    return intake.IntakePorts(
        database=ports.database,  # type: ignore[arg-type]
        flow=_flow(),
        clock=clock,
        rng=random.Random(14),
        meeting_points=lambda: [POINT],
    )


_ids: Iterator[int] = iter(range(1, 10**6))


def _msg(
    text: str,
    *,
    sender: str = "tg-5550173",
    kind: str = "text",
    at: datetime = AT,
    message_id: str | None = None,
    media: bytes | None = None,
) -> intake.IncomingMessage:
    return intake.IncomingMessage(
        channel="telegram",
        sender=sender,
        message_id=message_id or str(next(_ids)),
        text=text,
        kind=kind,
        media=media,
        media_type=None if media is None else "image/jpeg",
        received_at=at,
    )


def _case_ids(ports: intake.IntakePorts) -> list[int]:
    with ports.database.unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(sa.text("SELECT id FROM cases ORDER BY id")))


def _complete(ports: intake.IntakePorts, sender: str = "tg-5550173") -> tuple[int, str]:
    first = intake.receive(ports, _msg("/start", sender=sender, kind="command"))
    assert [r.text for r in first] == ["Сколько вас?"]
    done = intake.receive(ports, _msg("нас трое, 3", sender=sender, at=AT + timedelta(minutes=1)))
    (code_reply,) = done
    code = re.search(r"Ваш код: (\S+)", code_reply.text)
    assert code is not None
    return _case_ids(ports)[-1], code.group(1)


def test_a_person_who_completes_the_flow_gets_a_valid_code_and_is_in_the_inbox(
    iports: intake.IntakePorts,
) -> None:
    case_id, code = _complete(iports)
    parse_case_code(code)  # a valid, check-charactered code
    (entry,) = intake.inbox(iports, OLGA)
    assert (entry.case_id, entry.status, entry.mine) == (case_id, "waiting_operator", False)
    intake.take_over(iports, case_id, OLGA)
    view = intake.conversation(iports, case_id, OLGA)
    assert view.summary["group_size"] == "3"
    assert parse_case_code(view.case_code) == parse_case_code(code)
    assert [m.direction for m in view.messages] == ["in", "out", "in", "out"]
    with iports.database.unit_of_work(read_only=True) as uow:
        stored = uow.cases.get_by_id(case_id)
    assert stored.case.channel == "chat" and str(stored.case.status) == "contacted"


def test_replies_wait_in_the_outbox_until_marked_sent(iports: intake.IntakePorts) -> None:
    replies = intake.receive(iports, _msg("привет"))
    pending = intake.pending_outbox(iports, "telegram")
    assert [p.outbox_id for p in pending] == [r.outbox_id for r in replies]
    assert pending[0].recipient == "tg-5550173"
    for reply in replies:
        assert reply.outbox_id is not None
        intake.mark_sent(iports, reply.outbox_id)
        intake.mark_sent(iports, reply.outbox_id)  # twice: no change
    assert intake.pending_outbox(iports, "telegram") == []
    with pytest.raises(NotFoundError) as error:
        intake.mark_sent(iports, 424242)
    assert error.value.field == "outbox_id"


def test_a_message_delivered_twice_is_processed_once(iports: intake.IntakePorts) -> None:
    intake.receive(iports, _msg("/start", kind="command", message_id="m1"))
    assert intake.receive(iports, _msg("4", message_id="m2", at=AT + timedelta(seconds=5)))
    assert intake.receive(iports, _msg("4", message_id="m2", at=AT + timedelta(seconds=6))) == []
    assert len(_case_ids(iports)) == 1
    with iports.database.unit_of_work(read_only=True) as uow:
        assert len(uow.messages.list_for_case(_case_ids(iports)[0])) == 4


def test_two_senders_get_two_cases(iports: intake.IntakePorts) -> None:
    intake.receive(iports, _msg("привет", sender="a"))
    intake.receive(iports, _msg("привет", sender="b"))
    assert len(_case_ids(iports)) == 2


def test_a_flood_is_flagged_and_not_answered(iports: intake.IntakePorts) -> None:
    limit = iports.limits.per_minute
    for i in range(limit):
        intake.receive(iports, _msg("ааа", at=AT + timedelta(seconds=i)))
    assert intake.receive(iports, _msg("ааа", at=AT + timedelta(seconds=limit))) == []
    (entry,) = intake.inbox(iports, OLGA)
    assert (entry.status, entry.flagged_reason) == ("flagged", "flood")
    assert intake.receive(iports, _msg("5", at=AT + timedelta(minutes=5))) == []  # bot is silent


@pytest.mark.parametrize(
    "text",
    ["Где сейчас ваши дроны?", "де ваші позиції", "where are the drones", "ГДЕ ПОЗИЦИИ?"],
)
def test_a_location_probe_is_flagged_and_not_answered(
    iports: intake.IntakePorts, text: str
) -> None:
    intake.receive(iports, _msg("/start", kind="command"))
    assert intake.receive(iports, _msg(text, at=AT + timedelta(seconds=3))) == []
    (entry,) = intake.inbox(iports, OLGA)
    assert (entry.status, entry.flagged_reason) == ("flagged", "location_probe")


def test_a_file_is_flagged_and_never_kept(iports: intake.IntakePorts, store: Any) -> None:
    photo = b"\xff\xd8JPEG-secret-bytes" * 10
    assert intake.receive(iports, _msg("", kind="photo", media=photo)) == []
    (entry,) = intake.inbox(iports, OLGA)
    assert entry.flagged_reason == "file"
    intake.take_over(iports, entry.case_id, OLGA)
    view = intake.conversation(iports, entry.case_id, OLGA)
    assert view.messages[0].text == f"[photo, {len(photo)} bytes, held for an operator]"
    assert view.messages[0].attachment_name is None


def test_odd_input_never_breaks_the_bot(iports: intake.IntakePorts) -> None:
    intake.receive(iports, _msg("/start", kind="command"))
    for i, (text, kind) in enumerate(
        [
            ("", "text"),
            ("😀😀😀", "text"),
            ("x" * 10_000, "text"),
            ("", "sticker"),
            ("", "location"),
            ("/nonsense", "command"),
            ("مرحبا", "text"),
        ]
    ):
        replies = intake.receive(iports, _msg(text, kind=kind, at=AT + timedelta(seconds=10 * i)))
        assert [r.text for r in replies] == ["Сколько вас?"]


def test_a_quiet_person_expires_and_starts_again(iports: intake.IntakePorts) -> None:
    intake.receive(iports, _msg("/start", kind="command"))
    later = AT + timedelta(hours=3)
    assert [r.text for r in intake.receive(iports, _msg("3", at=later))] == ["Сколько вас?"]
    assert len(_case_ids(iports)) == 1


def test_an_operator_needs_the_conversation_taken_over(iports: intake.IntakePorts) -> None:
    case_id, _ = _complete(iports)
    with pytest.raises(PermissionDeniedError):
        intake.conversation(iports, case_id, OLGA)
    with pytest.raises(PermissionDeniedError):
        intake.reply(iports, case_id, "Здравствуйте", OLGA)
    with pytest.raises(PermissionDeniedError):
        intake.inbox(iports, PLANNER)
    intake.take_over(iports, case_id, OLGA)
    with pytest.raises(PermissionDeniedError):
        intake.take_over(iports, case_id, IVAN)
    with pytest.raises(PermissionDeniedError):
        intake.conversation(iports, case_id, IVAN)
    out = intake.reply(iports, case_id, "Здравствуйте, я оператор.", OLGA)
    assert out.outbox_id is not None and out.recipient == "tg-5550173"
    with pytest.raises(NotFoundError):
        intake.take_over(iports, 999999, OLGA)


def test_the_bot_stays_silent_once_an_operator_has_it(iports: intake.IntakePorts) -> None:
    intake.receive(iports, _msg("/start", kind="command"))
    case_id = _case_ids(iports)[0]
    intake.take_over(iports, case_id, OLGA)
    assert intake.receive(iports, _msg("5", at=AT + timedelta(seconds=30))) == []


def test_a_reply_may_not_hold_coordinates(iports: intake.IntakePorts) -> None:
    case_id, _ = _complete(iports)
    intake.take_over(iports, case_id, OLGA)
    for text in ["Идите к 48.51234, 35.04321", "37U DQ 12345 67890", "48° с.ш."]:
        with pytest.raises(InvalidValueError) as error:
            intake.reply(iports, case_id, text, OLGA)
        assert error.value.field == "text"


def test_a_meeting_place_goes_out_only_by_the_operator(
    iports: intake.IntakePorts, clock: Clock
) -> None:
    case_id, _ = _complete(iports)
    everything = [o.text for o in intake.pending_outbox(iports, "telegram")]
    assert not any("48.5" in text for text in everything)
    with pytest.raises(PermissionDeniedError):
        intake.send_meeting(
            iports, case_id, option="sector-7", window_start=AT + timedelta(hours=5),
            window_end=AT + timedelta(hours=6), actor=OLGA,
        )  # fmt: skip
    intake.take_over(iports, case_id, OLGA)
    assert intake.meeting_options(iports, case_id, OLGA) == [POINT]
    with pytest.raises(NotFoundError) as error:
        intake.send_meeting(
            iports, case_id, option="nowhere", window_start=AT + timedelta(hours=5),
            window_end=AT + timedelta(hours=6), actor=OLGA,
        )  # fmt: skip
    assert error.value.field == "option"
    sent = intake.send_meeting(
        iports, case_id, option="sector-7", window_start=AT + timedelta(hours=5),
        window_end=AT + timedelta(hours=6), actor=OLGA,
    )  # fmt: skip
    assert "48.51234" in sent.text and "Удалите это сообщение" in sent.text
    # Reminders: none yet; the question after an hour unconfirmed; the reminder before.
    assert intake.due_reminders(iports, AT + timedelta(minutes=10)) == 0
    assert intake.due_reminders(iports, AT + timedelta(hours=1, minutes=1)) == 1
    assert intake.due_reminders(iports, AT + timedelta(hours=1, minutes=2)) == 0
    assert intake.due_reminders(iports, AT + timedelta(hours=4, minutes=40)) == 1
    assert intake.due_reminders(iports, AT + timedelta(hours=4, minutes=41)) == 0


def test_a_confirmed_meeting_gets_no_question(iports: intake.IntakePorts) -> None:
    case_id, _ = _complete(iports)
    intake.take_over(iports, case_id, OLGA)
    intake.send_meeting(
        iports, case_id, option="sector-7", window_start=AT + timedelta(hours=5),
        window_end=AT + timedelta(hours=6), actor=OLGA,
    )  # fmt: skip
    intake.receive(iports, _msg("да, понял", at=AT + timedelta(minutes=5)))
    assert intake.due_reminders(iports, AT + timedelta(hours=2)) == 0


def test_the_handle_and_the_words_are_not_in_the_sqlite_file(
    iports: intake.IntakePorts, store: Any
) -> None:
    if store.backend != "sqlite":
        pytest.skip("a file only on SQLite")
    intake.receive(iports, _msg("/start", kind="command", sender="handle-777000111"))
    intake.receive(
        iports,
        _msg("нас семеро, 7 человек", sender="handle-777000111", at=AT + timedelta(seconds=9)),
    )
    path = Path(sa.make_url(store.url).database or "")
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for secret in ["handle-777000111", "семеро", "Сколько вас", "Ваш код"]:
        assert secret.encode("utf-8") not in raw


def test_every_step_is_audited(iports: intake.IntakePorts) -> None:
    case_id, _ = _complete(iports)
    intake.take_over(iports, case_id, OLGA)
    intake.conversation(iports, case_id, OLGA)
    with iports.database.unit_of_work(read_only=True) as uow:
        actions = list(
            uow.session.scalars(sa.text("SELECT action FROM audit_entries ORDER BY seq"))
        )
    assert actions.count("intake.receive") == 2
    assert {"case.open", "intake.take_over", "intake.read"} <= set(actions)


def _default_flow() -> Flow:
    import json
    from importlib import resources

    from safeconduct.intake.flow import flow_from_json

    text = resources.files("safeconduct.intake").joinpath("flows/default.json").read_text("utf-8")
    return flow_from_json(json.loads(text))


@pytest.mark.parametrize(("choice", "language"), [("1", "ru"), ("2", "uk"), ("3", "en")])
def test_the_default_flow_ends_with_a_code_and_a_case_in_the_inbox(
    ports: CaseworkPorts, clock: Clock, choice: str, language: str
) -> None:
    iports = intake.IntakePorts(
        database=ports.database,  # type: ignore[arg-type]
        flow=_default_flow(),
        clock=clock,
        rng=random.Random(3),
    )
    said: list[str] = []
    for i, (text, kind) in enumerate(
        [
            ("/start", "command"),
            (choice, "text"),
            ("1", "text"),
            ("3", "text"),
            ("нет" if language == "ru" else "ні" if language == "uk" else "no", "text"),
            ("04:00-05:00", "text"),
            ("1", "text"),
        ]
    ):
        replies = intake.receive(iports, _msg(text, kind=kind, at=AT + timedelta(minutes=i)))
        said.extend(r.text for r in replies)
    case_id = _case_ids(iports)[-1]
    (entry,) = intake.inbox(iports, OLGA)
    assert (entry.case_id, entry.status, entry.language) == (case_id, "waiting_operator", language)
    intake.take_over(iports, case_id, OLGA)
    view = intake.conversation(iports, case_id, OLGA)
    assert view.summary["group_size"] == "3"
    code = view.case_code
    assert any(code in text or f"{code[:4]}-{code[4:]}" in text for text in said)
    assert not any(intake.contains_coordinates(text) for text in said)
    with iports.database.unit_of_work(read_only=True) as uow:
        stored = uow.cases.get_by_id(case_id)
    assert stored is not None and stored.case.language == language


_INPUT = st.tuples(
    st.one_of(
        st.text(max_size=200),
        st.sampled_from(["1", "2", "3", "/start", "да", "ні", "no", "3 человека", "😀", ""]),
        st.sampled_from(["где дроны?", "where are your positions", "x" * 10_000]),
    ),
    st.sampled_from(intake.KINDS),
    st.booleans(),  # delivered twice
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(script=st.lists(_INPUT, min_size=1, max_size=12))
def test_no_message_sequence_breaks_the_bot_or_sends_a_place(
    ports: CaseworkPorts, store: Any, script: list[tuple[str, str, bool]]
) -> None:
    if store.backend != "sqlite":
        pytest.skip("the property runs on SQLite (each example writes)")
    iports = intake.IntakePorts(
        database=ports.database,  # type: ignore[arg-type]
        flow=_default_flow(),
        meeting_points=lambda: [POINT],
    )
    sender = f"prop-{next(_ids)}"
    processed = 0
    for i, (text, kind, twice) in enumerate(script):
        message = _msg(text, sender=sender, kind=kind, at=AT + timedelta(seconds=7 * i))
        for reply in intake.receive(iports, message):
            assert not intake.contains_coordinates(reply.text)
            assert "48.51" not in reply.text
        processed += 1
        if twice:
            assert intake.receive(iports, message) == []
    with iports.database.unit_of_work(read_only=True) as uow:
        conversation = uow.intake.find_open("telegram", sender)
        assert conversation is not None
        received = [
            m for m in uow.messages.list_for_case(conversation.case_id) if m.direction == "in"
        ]
    assert len(received) == processed
    assert conversation.status in intake.STATUSES


def test_a_quiet_person_gets_the_flows_nudge_once(ports: CaseworkPorts, clock: Clock) -> None:
    data = {
        "uuid": "f-nudge",
        "name": "nudge",
        "language": "ru",
        "nodes": [
            {
                "uuid": "n-ask",
                "actions": [{"type": "send_msg", "uuid": "a-ask", "text": "Сколько вас?"}],
                "router": {
                    "type": "switch",
                    "operand": "@input.text",
                    "result_name": "group_size",
                    "cases": [],
                    "categories": [
                        {"uuid": "cat-o", "name": "Other", "exit_uuid": "e-o"},
                        {"uuid": "cat-q", "name": "Quiet", "exit_uuid": "e-q"},
                    ],
                    "default_category_uuid": "cat-o",
                    "wait": {"type": "msg", "timeout": {"seconds": 600, "category_uuid": "cat-q"}},
                },
                "exits": [
                    {"uuid": "e-o", "destination_uuid": None},
                    {"uuid": "e-q", "destination_uuid": "n-nudge"},
                ],
            },
            {
                "uuid": "n-nudge",
                "actions": [{"type": "send_msg", "uuid": "a-n", "text": "Вы здесь?"}],
                "exits": [{"uuid": "e-back", "destination_uuid": "n-ask"}],
            },
        ],
    }
    iports = intake.IntakePorts(
        database=ports.database,  # type: ignore[arg-type]
        flow=parse_flow(data),
        clock=clock,
        rng=random.Random(5),
    )
    intake.receive(iports, _msg("/start", kind="command"))
    assert intake.due_reminders(iports, AT + timedelta(minutes=5)) == 0
    assert intake.due_reminders(iports, AT + timedelta(minutes=11)) == 2  # nudge, question
    assert intake.due_reminders(iports, AT + timedelta(minutes=12)) == 0
    texts = [m.text for m in intake.pending_outbox(iports, "telegram")]
    assert texts == ["Сколько вас?", "Вы здесь?", "Сколько вас?"]
