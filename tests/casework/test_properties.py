"""Property tests: no sequence of calls takes a case where the status machine forbids.

Hypothesis drives one case through random transition names, valid and invalid, at times
that mostly move forwards and sometimes go back, and checks after every step that the case
is one the machine allows and that its history accounts for it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from safeconduct.casework.case import Case, replay
from safeconduct.casework.status import (
    INITIAL_STATUS,
    TRANSITIONS,
    CaseStatus,
    InvalidTransitionError,
    allowed_transitions,
    apply_transition,
)
from safeconduct.errors import InvalidValueError

T0 = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)

#: Known names and some that are not (misspelt, other case, words from the field).
NAMES = st.sampled_from(
    [*TRANSITIONS, "Close", "resume", "fly", "", "take-into-custody", "reschedule"]
)
#: Steps in seconds; negative ones try to move the clock back.
STEPS = st.integers(min_value=-600, max_value=3600)


class CaseLifecycle(RuleBasedStateMachine):
    """One case, pushed around by random calls to :meth:`Case.apply`."""

    def __init__(self) -> None:
        super().__init__()
        self.case = Case.open(language="ru", now=T0, rng=random.Random(1))
        self.clock = T0
        self.was_closed = False

    @rule(name=NAMES, step=STEPS, actor=st.sampled_from(["op1", "planner2", "crew3"]))
    def apply(self, name: str, step: int, actor: str) -> None:
        before = self.case
        at = self.clock + timedelta(seconds=step)
        allowed = name in allowed_transitions(before.status)
        goes_back = at < before.last_changed_at
        try:
            after = before.apply(name, at=at, actor=actor)
        except InvalidTransitionError as exc:
            assert not allowed
            assert exc.field == "transition"
            assert exc.allowed == allowed_transitions(before.status)
            assert self.case is before
            return
        except InvalidValueError as exc:
            assert allowed and goes_back
            assert exc.field == "at"
            assert self.case is before
            return
        assert allowed and not goes_back
        assert after.status is TRANSITIONS[name][1]
        assert after.events[:-1] == before.events
        assert after.events[-1].from_status is before.status
        self.case, self.clock = after, at

    @precondition(lambda self: self.case.status is not CaseStatus.CLOSED)
    @rule(step=st.integers(min_value=0, max_value=3600))
    def take_an_allowed_transition(self, step: int) -> None:
        """Keep walking the machine, so that long paths and ``closed`` are reached often."""
        names = allowed_transitions(self.case.status)
        name = names[step % len(names)]
        self.clock += timedelta(seconds=step)
        self.case = self.case.apply(name, at=self.clock, actor="op1")

    @invariant()
    def status_is_a_known_status(self) -> None:
        assert isinstance(self.case.status, CaseStatus)

    @invariant()
    def closed_is_terminal(self) -> None:
        if self.was_closed:
            assert self.case.status is CaseStatus.CLOSED
        self.was_closed = self.case.status is CaseStatus.CLOSED

    @invariant()
    def in_custody_is_entered_only_from_arrived(self) -> None:
        for event in self.case.events:
            if event.to_status is CaseStatus.IN_CUSTODY:
                assert event.from_status is CaseStatus.ARRIVED

    @invariant()
    def registration_and_its_outcomes_follow_custody(self) -> None:
        outcomes = (CaseStatus.TRANSFERRED, CaseStatus.RELEASED, CaseStatus.DECEASED)
        for event in self.case.events:
            if event.to_status is CaseStatus.REGISTERED:
                assert event.from_status is CaseStatus.IN_CUSTODY
            if event.to_status in outcomes:
                assert event.from_status is CaseStatus.REGISTERED

    @invariant()
    def every_event_is_an_allowed_step_and_history_replays(self) -> None:
        status = INITIAL_STATUS
        for event in self.case.events:
            assert event.from_status is status
            sources, target = TRANSITIONS[event.transition]
            assert status in sources and event.to_status is target
            status = target
        assert status is self.case.status
        assert replay(self.case.events) is self.case.status

    @invariant()
    def times_never_go_backwards(self) -> None:
        times = [self.case.created_at, *(e.at for e in self.case.events)]
        assert times == sorted(times)


TestCaseLifecycle = CaseLifecycle.TestCase
TestCaseLifecycle.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)


@given(
    start=st.sampled_from(list(CaseStatus)),
    names=st.lists(st.sampled_from([*TRANSITIONS, "nope"]), max_size=30),
)
def test_apply_transition_only_ever_yields_a_target_of_an_allowed_transition(
    start: CaseStatus, names: list[str]
) -> None:
    status = start
    for name in names:
        try:
            new = apply_transition(status, name)
        except InvalidTransitionError:
            assert name not in allowed_transitions(status)
            continue
        assert name in allowed_transitions(status)
        assert new is TRANSITIONS[name][1]
        if new is CaseStatus.IN_CUSTODY:
            assert status is CaseStatus.ARRIVED
        if status is CaseStatus.IN_CUSTODY:
            assert new in (CaseStatus.REGISTERED, CaseStatus.CLOSED)
        if new is CaseStatus.REGISTERED:
            assert status is CaseStatus.IN_CUSTODY
        if new in (CaseStatus.TRANSFERRED, CaseStatus.RELEASED, CaseStatus.DECEASED):
            assert status is CaseStatus.REGISTERED
        assert status is not CaseStatus.CLOSED
        status = new


@pytest.mark.parametrize("status", list(CaseStatus))
def test_allowed_transitions_are_exactly_those_apply_accepts(status: CaseStatus) -> None:
    accepted = []
    for name in TRANSITIONS:
        try:
            apply_transition(status, name)
        except InvalidTransitionError:
            continue
        accepted.append(name)
    assert tuple(sorted(accepted)) == allowed_transitions(status)
