"""The engine: results, expiry, state round trip, guards, and inputs that must not break it."""

# ruff: noqa: RUF001 (the person's replies, in Cyrillic)

from __future__ import annotations

from datetime import timedelta

import pytest

from safeconduct.intake import engine
from safeconduct.intake.engine import RunStatus
from safeconduct.intake.flow import Flow, flow_from_json, parse_flow
from tests.intake.conftest import CODE, NOW, small_flow


def walk(flow: Flow, replies: list[str], language: str = "ru") -> engine.Step:
    step = engine.start(flow, language=language, now=NOW, case_code=CODE)
    for i, text in enumerate(replies, start=1):
        step = engine.resume(flow, step.run, text, now=NOW + timedelta(minutes=i), case_code=CODE)
    return step


@pytest.mark.parametrize(
    "answer", ["3", "нас трое", "Нас 3 человека", "троє", "We are three", "three of us", "3 people"]
)
def test_group_of_three_is_recorded_as_3(default_flow: Flow, answer: str) -> None:
    step = walk(default_flow, ["1", "1", answer])
    assert step.run.results["group_size"] == "3"
    assert step.run.status is RunStatus.WAITING


@pytest.mark.parametrize("answer", ["один", "Я сам", "alone", "1"])
def test_alone_is_one(default_flow: Flow, answer: str) -> None:
    assert walk(default_flow, ["1", "1", answer]).run.results["group_size"] == "1"


def test_the_whole_default_flow_in_russian(default_flow: Flow) -> None:
    step = walk(default_flow, ["1", "сдаться", "двое", "да, один ранен", "ночью", "здесь"])
    assert step.handover and step.revealed_case_code
    assert step.run.status is RunStatus.HANDED_OVER and step.run.node_uuid is None
    assert engine.summary(default_flow, step.run) == {
        "language": "ru",
        "wants": "surrender",
        "group_size": "2",
        "wounded": "yes",
        "window": "ночью",
        "callback": "chat",
    }
    code_reply = step.replies[0].text
    assert "7KDM-TW3A" in code_reply
    assert any("не можем обещать" in r.text for r in step.replies)


def test_the_code_is_told_only_at_its_step(default_flow: Flow) -> None:
    step = engine.start(default_flow, language="ru", now=NOW, case_code=CODE)
    for text in ["1", "1", "3", "нет", "утром"]:
        assert not step.revealed_case_code
        assert all("7KDM" not in r.text for r in step.replies)
        step = engine.resume(default_flow, step.run, text, now=NOW, case_code=CODE)
    assert not step.revealed_case_code
    step = engine.resume(default_flow, step.run, "1", now=NOW, case_code=CODE)
    assert step.revealed_case_code


def test_a_question_goes_to_an_operator_without_a_code(default_flow: Flow) -> None:
    step = walk(default_flow, ["2", "2"])
    assert step.handover and not step.revealed_case_code
    assert step.run.results["wants"] == "question"
    assert "Вам відповість людина" in step.replies[0].text


def test_a_reply_not_understood_asks_again(default_flow: Flow) -> None:
    step = walk(default_flow, ["3", "1", "🙂"])
    assert step.replies[0].text.startswith("Write a number")
    assert step.run.status is RunStatus.WAITING
    assert walk(default_flow, ["3", "1", "🙂", "4"]).run.results["group_size"] == "4"


def test_a_quiet_person_expires(default_flow: Flow) -> None:
    step = walk(default_flow, ["1", "1"])
    assert step.run.expires_at == NOW + timedelta(minutes=2 + 1440)
    before = engine.expire_if_due(step.run, step.run.expires_at - timedelta(seconds=1))
    assert before.status is RunStatus.WAITING
    expired = engine.expire_if_due(step.run, step.run.expires_at)
    assert expired.status is RunStatus.EXPIRED and expired.node_uuid is None
    # Writing again after the expiry starts the conversation over, in the same language.
    later = engine.resume(
        default_flow, step.run, "3", now=step.run.expires_at + timedelta(hours=1), case_code=CODE
    )
    assert later.run.status is RunStatus.WAITING
    assert later.run.node_uuid == default_flow.nodes[0].uuid
    assert later.run.results == {}


def test_an_ended_run_answers_nothing(default_flow: Flow) -> None:
    done = walk(default_flow, ["2", "3"])
    again = engine.resume(default_flow, done.run, "hello?", now=NOW, case_code=CODE)
    assert again.replies == () and again.run.status is RunStatus.HANDED_OVER


def test_run_state_round_trips_through_json(default_flow: Flow) -> None:
    run = walk(default_flow, ["2", "1", "3"]).run
    assert engine.run_from_json(engine.run_to_json(run)) == run
    ended = walk(default_flow, ["2", "3"]).run
    assert engine.run_from_json(engine.run_to_json(ended)) == ended


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "x" * 10_000,
        "🙂🙂🙂",
        "\x00\x1b[31m\u202e",
        "我们有三个人",
        "نحن ثلاثة",
        "\ud800",
        "1" * 10_000,
        "(a+)+$" * 100,
        "48.5123, 37.9876",
    ],
)
def test_no_input_breaks_a_step(default_flow: Flow, text: str) -> None:
    step = engine.start(default_flow, language="uk", now=NOW, case_code=CODE)
    for _ in range(8):
        step = engine.resume(default_flow, step.run, text, now=NOW, case_code=CODE)
        node = step.run.node_uuid
        assert node is None or default_flow.node(node) is not None
        assert all(text not in r.text for r in step.replies if text.strip())


def test_a_loop_with_no_wait_ends_in_a_handover() -> None:
    data = small_flow()
    data["nodes"][1]["exits"][0]["destination_uuid"] = "n-end"  # n-end -> n-end forever
    data["nodes"][1]["actions"] = []
    flow = parse_flow(data)  # the validator refuses it; the engine must survive it anyway
    step = engine.start(flow, language="en", now=NOW, case_code=CODE)
    step = engine.resume(flow, step.run, "2", now=NOW, case_code=CODE)
    assert step.handover and step.run.status is RunStatus.HANDED_OVER


def test_an_exit_to_nowhere_ends_in_a_handover() -> None:
    data = small_flow()
    data["nodes"][0]["exits"][0]["destination_uuid"] = "n-missing"
    flow = parse_flow(data)
    step = engine.start(flow, language="en", now=NOW, case_code=CODE)
    step = engine.resume(flow, step.run, "2", now=NOW, case_code=CODE)
    assert step.handover and step.run.node_uuid is None


def test_a_text_that_looks_like_a_place_is_never_sent() -> None:
    data = small_flow()
    data["nodes"][1]["actions"][0]["text"] = "Come to 48.51234, 37.98765. Code @case.code"
    flow = parse_flow(data)
    step = engine.start(flow, language="en", now=NOW, case_code=CODE)
    step = engine.resume(flow, step.run, "2", now=NOW, case_code=CODE)
    assert step.replies == () and step.handover


def test_localized_texts_follow_the_language() -> None:
    flow = flow_from_json(small_flow())
    step = engine.start(flow, language="uk", now=NOW, case_code=CODE)
    assert step.replies[0].text == "Скільки?"
    step = engine.resume(flow, step.run, "4", now=NOW, case_code=CODE)
    assert step.replies[0].text == "Код 7KDM-TW3A"
    assert step.run.status is RunStatus.COMPLETED and not step.handover
    # A language the flow lacks falls back to the base language.
    assert engine.start(flow, language="fr", now=NOW, case_code=CODE).run.language == "en"


@pytest.mark.parametrize(
    ("kind", "args", "text", "value"),
    [
        ("has_any_word", ["red blue"], "I like BLUE!", "hit"),
        ("has_all_words", ["red blue"], "blue and red", "hit"),
        ("has_all_words", ["red blue"], "only red", None),
        ("has_phrase", ["very good"], "it is very good", "hit"),
        ("has_phrase", ["very good"], "good very", None),
        ("has_number_between", ["1", "10"], "we are 12", None),
        ("has_number_between", ["1", "10"], "we are 7", "7"),
        ("has_date", [], "on 05.03.2026", "2026-03-05"),
        ("has_date", [], "2026-02-30", None),
        ("has_pattern", [r"^\d{3}$"], "123", "hit"),
        ("has_pattern", ["(unclosed"], "anything", None),
        ("has_text", [], "  ", None),
    ],
)
def test_case_types(kind: str, args: list[str], text: str, value: str | None) -> None:
    data = small_flow()
    data["nodes"][0]["router"]["cases"][0].update(type=kind, arguments=args)
    data["nodes"][0]["router"]["categories"][0]["name"] = "hit"
    flow = parse_flow(data)
    step = engine.start(flow, language="en", now=NOW, case_code=CODE)
    step = engine.resume(flow, step.run, text, now=NOW, case_code=CODE)
    if value is None:
        assert step.run.status is RunStatus.WAITING  # the default category asks again
    else:
        assert step.run.results["group_size"] == value
        assert step.run.status is RunStatus.COMPLETED


def test_a_wait_timeout_follows_its_category() -> None:
    data = small_flow()
    router = data["nodes"][0]["router"]
    router["categories"].append({"uuid": "c-quiet", "name": "quiet", "exit_uuid": "x-quiet"})
    router["wait"]["timeout"] = {"seconds": 600, "category_uuid": "c-quiet"}
    data["nodes"][0]["exits"].append({"uuid": "x-quiet", "destination_uuid": "n-nudge"})
    data["nodes"].append(
        {
            "uuid": "n-nudge",
            "actions": [{"uuid": "a-nudge", "type": "send_msg", "text": "Still there?"}],
            "exits": [{"uuid": "x-nudge", "destination_uuid": "n-ask"}],
        }
    )
    data["localization"]["uk"]["a-nudge"] = {"text": ["Ви тут?"]}
    flow = flow_from_json(data)
    step = engine.start(flow, language="uk", now=NOW, case_code=CODE)
    early = NOW + timedelta(seconds=599)
    assert engine.timeout_if_due(flow, step.run, now=early, case_code=CODE) is None
    nudged = engine.timeout_if_due(flow, step.run, now=NOW + timedelta(seconds=600), case_code=CODE)
    assert nudged is not None
    assert [r.text for r in nudged.replies] == ["Ви тут?", "Скільки?"]
    assert nudged.run.results["group_size"] == "quiet"
    assert nudged.run.status is RunStatus.WAITING and nudged.run.node_uuid == "n-ask"
    # Past the flow's expiry it is an expiry, not a timeout.
    assert (
        engine.timeout_if_due(flow, step.run, now=NOW + timedelta(days=2), case_code=CODE) is None
    )


def test_a_slow_pattern_is_skipped_not_run() -> None:
    data = small_flow()
    data["nodes"][0]["router"]["cases"][0].update(type="has_pattern", arguments=["^(a+)+$"])
    flow = parse_flow(data)  # the validator refuses it
    step = engine.start(flow, language="en", now=NOW, case_code=CODE)
    step = engine.resume(flow, step.run, "a" * 40 + "!", now=NOW, case_code=CODE)
    assert step.run.status is RunStatus.WAITING  # no match, asked again, and quickly
