"""Case values: opening a case, applying transitions, and what the constructor refuses."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from safeconduct.casework import CHANNELS, Case, CaseEvent, CaseStatus, InvalidTransitionError
from safeconduct.errors import InvalidValueError
from safeconduct.note.casecode import (
    InvalidCaseCodeError,
    example_code,
    format_case_code,
    is_well_formed,
)

T0 = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)
KYIV = timezone(timedelta(hours=2))


def _open(**kwargs: object) -> Case:
    args: dict[str, object] = {"language": "ru", "now": T0, "rng": random.Random(7)}
    args.update(kwargs)
    return Case.open(**args)  # type: ignore[arg-type]


def test_open_gives_a_contacted_case_with_a_fresh_valid_code() -> None:
    case = _open()
    assert case.status is CaseStatus.CONTACTED
    assert case.events == ()
    assert case.language == "ru"
    assert case.channel == "hotline"
    assert case.created_at == T0
    assert is_well_formed(case.case_code)
    assert "-" not in case.case_code


def test_open_with_a_seeded_rng_is_reproducible_and_without_one_random() -> None:
    assert _open(rng=random.Random(3)).case_code == _open(rng=random.Random(3)).case_code
    codes = {Case.open(language="uk", now=T0).case_code for _ in range(20)}
    assert len(codes) == 20


def test_open_takes_a_given_code_as_typed() -> None:
    code = example_code()
    typed = format_case_code(code).lower()
    assert _open(case_code=f"  {typed} ").case_code == code


def test_open_refuses_a_bad_given_code_with_its_field() -> None:
    code = example_code()
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    with pytest.raises(InvalidCaseCodeError) as info:
        _open(case_code=wrong)
    assert info.value.field == "case_code"
    assert "fails its check" in info.value.message


@pytest.mark.parametrize(("given", "stored"), [("ru", "ru"), ("UK", "uk"), (" En ", "en")])
def test_language_is_normalised_to_lower_case(given: str, stored: str) -> None:
    assert _open(language=given).language == stored


@pytest.mark.parametrize("given", ["", "r", "rus", "ru-RU", "r1", "\u0440\u0443", "12"])
def test_language_that_is_not_two_letters_is_refused(given: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        _open(language=given)
    exc = info.value
    assert exc.field == "language"
    assert exc.message.startswith(f"language {given!r} is not an ISO 639-1 code")
    assert "two-letter code" in exc.message
    assert not exc.message.startswith("--")


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_is_accepted(channel: str) -> None:
    assert _open(channel=channel.upper()).channel == channel


def test_channels_are_those_seen_in_the_field() -> None:
    assert CHANNELS == ("hotline", "chat", "drone")


def test_unknown_channel_is_refused_with_the_list() -> None:
    with pytest.raises(InvalidValueError) as info:
        _open(channel="pigeon")
    assert info.value.field == "channel"
    assert info.value.message.startswith(
        "unknown channel 'pigeon'; give one of hotline, chat, drone"
    )


def test_naive_opening_time_is_refused() -> None:
    with pytest.raises(InvalidValueError) as info:
        _open(now=datetime(2025, 3, 1, 4, 30))
    assert info.value.field == "now"
    assert info.value.message == (
        "time 2025-03-01T04:30:00 has no time zone; give a time-zone aware time "
        "(for example in UTC)"
    )


def test_apply_returns_a_new_case_and_leaves_the_old_one() -> None:
    case = _open()
    later = T0 + timedelta(minutes=5)
    moved = case.apply("schedule", at=later, actor="operator1")
    assert case.status is CaseStatus.CONTACTED and case.events == ()
    assert moved.status is CaseStatus.SCHEDULED
    assert moved.events == (
        CaseEvent(
            at=later,
            actor="operator1",
            transition="schedule",
            from_status=CaseStatus.CONTACTED,
            to_status=CaseStatus.SCHEDULED,
        ),
    )
    assert (moved.case_code, moved.language, moved.channel, moved.created_at) == (
        case.case_code,
        case.language,
        case.channel,
        case.created_at,
    )
    assert moved.last_changed_at == later


def test_the_happy_path_records_every_step() -> None:
    case = _open()
    names = ["schedule", "plan", "launch", "arrive", "take_into_custody", "close"]
    for i, name in enumerate(names, start=1):
        case = case.apply(name, at=T0 + timedelta(minutes=i), actor=f"user{i}")
    assert case.status is CaseStatus.CLOSED
    assert [e.transition for e in case.events] == names
    assert [e.to_status for e in case.events][-2:] == [CaseStatus.IN_CUSTODY, CaseStatus.CLOSED]


def test_apply_refuses_a_transition_not_allowed_and_names_the_allowed_ones() -> None:
    case = _open()
    with pytest.raises(InvalidTransitionError) as info:
        case.apply("launch", at=T0, actor="crew1")
    assert info.value.field == "transition"
    assert info.value.message == (
        "cannot launch a case that is contacted; from contacted the allowed transitions are: "
        "close, lose_contact, schedule"
    )


def test_same_moment_is_allowed_but_earlier_is_refused() -> None:
    case = _open().apply("schedule", at=T0, actor="op")  # same second as opening
    with pytest.raises(InvalidValueError) as info:
        case.apply("plan", at=T0 - timedelta(seconds=1), actor="planner1")
    assert info.value.field == "at"
    assert info.value.message == (
        "plan at 2025-03-01T04:29:59+00:00 is earlier than the case's last change at "
        "2025-03-01T04:30:00+00:00; times must not go backwards"
    )


def test_times_in_other_zones_compare_as_instants() -> None:
    case = _open()
    # 06:29 in Kyiv (UTC+2) is 04:29 UTC, a minute before opening.
    with pytest.raises(InvalidValueError, match="times must not go backwards"):
        case.apply("schedule", at=datetime(2025, 3, 1, 6, 29, tzinfo=KYIV), actor="op")
    moved = case.apply("schedule", at=datetime(2025, 3, 1, 6, 31, tzinfo=KYIV), actor="op")
    assert moved.status is CaseStatus.SCHEDULED


def test_apply_refuses_a_naive_time_and_an_empty_actor() -> None:
    case = _open()
    with pytest.raises(InvalidValueError) as info:
        case.apply("schedule", at=datetime(2025, 3, 1, 5, 0), actor="op")
    assert info.value.field == "at"
    with pytest.raises(InvalidValueError) as info:
        case.apply("schedule", at=T0, actor="  ")
    assert info.value.field == "actor"
    assert info.value.message == "no actor given; give the user name of whoever makes the change"


def test_case_is_frozen() -> None:
    case = _open()
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.status = CaseStatus.CLOSED  # type: ignore[misc]


# ---- the constructor, as a store rebuilding a case uses it ----------------------------------


def _stored(**changes: object) -> dict[str, object]:
    case = _open().apply("schedule", at=T0 + timedelta(minutes=1), actor="op")
    fields = {f.name: getattr(case, f.name) for f in dataclasses.fields(Case)}
    fields.update(changes)
    return fields


def test_constructor_rebuilds_a_stored_case() -> None:
    fields = _stored(status="scheduled", events=list(_stored()["events"]))  # type: ignore[call-overload]
    case = Case(**fields)  # type: ignore[arg-type]
    assert case.status is CaseStatus.SCHEDULED
    assert isinstance(case.events, tuple)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"case_code": "7KDM-TW3A"}, "case_code"),
        ({"case_code": "AAAAAAAA"}, "case_code"),
        ({"language": "RU"}, "language"),
        ({"language": "rus"}, "language"),
        ({"channel": "Chat"}, "channel"),
        ({"created_at": datetime(2025, 3, 1)}, "created_at"),
        ({"status": CaseStatus.PLANNED}, "status"),
        ({"events": ()}, "status"),
    ],
)
def test_constructor_refuses_parts_that_do_not_fit(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        Case(**_stored(**changes))  # type: ignore[arg-type]
    assert info.value.field == field


def test_constructor_refuses_a_timeline_that_breaks_the_machine_or_runs_backwards() -> None:
    good = _stored()["events"][0]  # type: ignore[index]
    skipped = dataclasses.replace(good, transition="plan", to_status=CaseStatus.PLANNED)
    with pytest.raises(InvalidValueError) as info:
        Case(**_stored(events=(skipped,), status=CaseStatus.PLANNED))  # type: ignore[arg-type]
    assert info.value.field == "transition"  # "plan" is not allowed from contacted
    lying = dataclasses.replace(good, from_status=CaseStatus.ABORTED)
    with pytest.raises(InvalidValueError) as info:
        Case(**_stored(events=(lying,)))  # type: ignore[arg-type]
    assert info.value.field == "events"
    early = dataclasses.replace(good, at=T0 - timedelta(hours=1))
    with pytest.raises(InvalidValueError) as info:
        Case(**_stored(events=(early,)))  # type: ignore[arg-type]
    assert info.value.field == "events"
    assert "a timeline runs forwards" in info.value.message
