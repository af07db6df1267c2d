"""The case status machine: each named transition, each refusal and its message."""

from __future__ import annotations

import pytest

from safeconduct.casework.status import (
    INITIAL_STATUS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    CaseStatus,
    InvalidTransitionError,
    allowed_transitions,
    apply_transition,
)
from safeconduct.errors import InvalidValueError

S = CaseStatus

#: The whole machine written out once more, by hand, as (from, transition) -> to; the tests
#: below check TRANSITIONS against it so a change to either is a deliberate change to both.
EXPECTED: dict[tuple[CaseStatus, str], CaseStatus] = {
    (S.CONTACTED, "schedule"): S.SCHEDULED,
    (S.SCHEDULED, "schedule"): S.SCHEDULED,
    (S.PLANNED, "schedule"): S.SCHEDULED,
    (S.ABORTED, "schedule"): S.SCHEDULED,
    (S.SCHEDULED, "plan"): S.PLANNED,
    (S.PLANNED, "launch"): S.UNDERWAY,
    (S.UNDERWAY, "arrive"): S.ARRIVED,
    (S.ARRIVED, "take_into_custody"): S.IN_CUSTODY,
    (S.IN_CUSTODY, "register"): S.REGISTERED,
    (S.REGISTERED, "transfer"): S.TRANSFERRED,
    (S.REGISTERED, "release"): S.RELEASED,
    (S.REGISTERED, "record_death"): S.DECEASED,
    (S.SCHEDULED, "abort"): S.ABORTED,
    (S.PLANNED, "abort"): S.ABORTED,
    (S.UNDERWAY, "abort"): S.ABORTED,
    (S.CONTACTED, "lose_contact"): S.LOST_CONTACT,
    (S.SCHEDULED, "lose_contact"): S.LOST_CONTACT,
    (S.PLANNED, "lose_contact"): S.LOST_CONTACT,
    (S.UNDERWAY, "lose_contact"): S.LOST_CONTACT,
    (S.ABORTED, "lose_contact"): S.LOST_CONTACT,
    (S.LOST_CONTACT, "recontact"): S.CONTACTED,
    (S.CONTACTED, "close"): S.CLOSED,
    (S.SCHEDULED, "close"): S.CLOSED,
    (S.PLANNED, "close"): S.CLOSED,
    (S.ARRIVED, "close"): S.CLOSED,
    (S.IN_CUSTODY, "close"): S.CLOSED,
    (S.REGISTERED, "close"): S.CLOSED,
    (S.TRANSFERRED, "close"): S.CLOSED,
    (S.RELEASED, "close"): S.CLOSED,
    (S.DECEASED, "close"): S.CLOSED,
    (S.ABORTED, "close"): S.CLOSED,
    (S.LOST_CONTACT, "close"): S.CLOSED,
}

ALL_PAIRS = [(status, name) for status in CaseStatus for name in sorted(TRANSITIONS)]


def test_statuses_are_the_issues_words() -> None:
    assert [s.value for s in CaseStatus] == [
        "contacted",
        "scheduled",
        "planned",
        "underway",
        "arrived",
        "in_custody",
        "registered",
        "transferred",
        "released",
        "deceased",
        "aborted",
        "lost_contact",
        "closed",
    ]
    assert INITIAL_STATUS is S.CONTACTED
    assert {S.CLOSED} == TERMINAL_STATUSES


def test_transition_table_matches_the_written_out_machine() -> None:
    derived = {
        (source, name): target
        for name, (sources, target) in TRANSITIONS.items()
        for source in sources
    }
    assert derived == EXPECTED


@pytest.mark.parametrize(("status", "name"), ALL_PAIRS)
def test_every_pair_is_accepted_or_refused_as_written(status: CaseStatus, name: str) -> None:
    if (status, name) in EXPECTED:
        assert apply_transition(status, name) is EXPECTED[(status, name)]
    else:
        with pytest.raises(InvalidTransitionError):
            apply_transition(status, name)


def test_the_happy_path_runs_from_contact_to_custody_and_closes() -> None:
    status = INITIAL_STATUS
    for name in ("schedule", "plan", "launch", "arrive", "take_into_custody", "close"):
        status = apply_transition(status, name)
    assert status is S.CLOSED


def test_in_custody_is_entered_only_from_arrived() -> None:
    into = {source for (source, _), target in EXPECTED.items() if target is S.IN_CUSTODY}
    assert into == {S.ARRIVED}


def test_nothing_leaves_in_custody_but_registration_and_close() -> None:
    assert allowed_transitions(S.IN_CUSTODY) == ("close", "register")


def test_registered_is_entered_only_from_in_custody_and_the_outcomes_only_from_it() -> None:
    into = {source for (source, _), target in EXPECTED.items() if target is S.REGISTERED}
    assert into == {S.IN_CUSTODY}
    for outcome in (S.TRANSFERRED, S.RELEASED, S.DECEASED):
        into = {source for (source, _), target in EXPECTED.items() if target is outcome}
        assert into == {S.REGISTERED}
        assert allowed_transitions(outcome) == ("close",)
    assert allowed_transitions(S.REGISTERED) == ("close", "record_death", "release", "transfer")


def test_the_custody_path_runs_from_arrival_to_each_outcome() -> None:
    for outcome, name in ((S.TRANSFERRED, "transfer"), (S.RELEASED, "release"),
                          (S.DECEASED, "record_death")):  # fmt: skip
        status = S.ARRIVED
        for step in ("take_into_custody", "register", name):
            status = apply_transition(status, step)
        assert status is outcome


def test_closed_is_terminal() -> None:
    assert allowed_transitions(S.CLOSED) == ()
    for name in TRANSITIONS:
        with pytest.raises(InvalidTransitionError):
            apply_transition(S.CLOSED, name)


def test_a_live_operation_cannot_be_closed_without_saying_how_it_ended() -> None:
    assert "close" not in allowed_transitions(S.UNDERWAY)
    assert set(allowed_transitions(S.UNDERWAY)) == {"arrive", "abort", "lose_contact"}


def test_every_status_is_reachable_and_every_one_can_reach_closed() -> None:
    edges = {(s, t) for (s, _), t in EXPECTED.items()}
    reachable, frontier = {INITIAL_STATUS}, [INITIAL_STATUS]
    while frontier:
        here = frontier.pop()
        for s, t in edges:
            if s == here and t not in reachable:
                reachable.add(t)
                frontier.append(t)
    assert reachable == set(CaseStatus)
    for status in CaseStatus:
        ends, frontier = {status}, [status]
        while frontier:
            here = frontier.pop()
            for s, t in edges:
                if s == here and t not in ends:
                    ends.add(t)
                    frontier.append(t)
        assert S.CLOSED in ends, status


def test_allowed_transitions_are_sorted_names() -> None:
    assert allowed_transitions(S.SCHEDULED) == (
        "abort",
        "close",
        "lose_contact",
        "plan",
        "schedule",
    )
    assert allowed_transitions("lost_contact") == ("close", "recontact")  # type: ignore[arg-type]


def test_refusal_names_the_current_status_and_the_allowed_transitions() -> None:
    with pytest.raises(InvalidTransitionError) as info:
        apply_transition(S.PLANNED, "take_into_custody")
    exc = info.value
    assert isinstance(exc, InvalidValueError)
    assert exc.field == "transition"
    assert exc.status is S.PLANNED
    assert exc.transition == "take_into_custody"
    assert exc.allowed == ("abort", "close", "launch", "lose_contact", "schedule")
    assert exc.message == (
        "cannot take_into_custody a case that is planned; from planned the allowed "
        "transitions are: abort, close, launch, lose_contact, schedule"
    )
    assert str(exc) == "transition: " + exc.message
    assert not exc.message.startswith("--")


def test_refusal_on_a_closed_case_says_it_is_closed() -> None:
    with pytest.raises(InvalidTransitionError) as info:
        apply_transition(S.CLOSED, "recontact")
    assert info.value.allowed == ()
    assert info.value.message == (
        "cannot recontact: the case is closed, and a closed case cannot change any more"
    )


@pytest.mark.parametrize("name", ["fly", "", "Close", "close ", "take-into-custody", "resume"])
def test_unknown_transition_lists_the_known_ones(name: str) -> None:
    with pytest.raises(InvalidTransitionError) as info:
        apply_transition(S.CONTACTED, name)
    exc = info.value
    assert exc.field == "transition"
    assert exc.transition == name
    assert exc.message == (
        f"unknown transition {name!r}; known transitions: abort, arrive, close, launch, "
        "lose_contact, plan, recontact, record_death, register, release, schedule, "
        "take_into_custody, transfer"
    )


def test_transitions_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS["teleport"] = (frozenset({S.CONTACTED}), S.IN_CUSTODY)  # type: ignore[index]
