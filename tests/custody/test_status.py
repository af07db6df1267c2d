"""The prisoner's status machine: named transitions, refusals that name the allowed ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.custody.status import (
    INITIAL_STATUS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    CustodyStatus,
    CustodyTransitionError,
    allowed_transitions,
    apply_transition,
)

S = CustodyStatus


def test_the_table() -> None:
    assert apply_transition(S.IN_CUSTODY, "register") is S.REGISTERED
    assert apply_transition(S.REGISTERED, "transfer") is S.TRANSFERRED
    assert apply_transition(S.REGISTERED, "release") is S.RELEASED
    assert apply_transition(S.REGISTERED, "record_death") is S.DECEASED
    assert apply_transition(S.REGISTERED, "record_escape") is S.ESCAPED
    assert allowed_transitions(S.IN_CUSTODY) == ("register",)
    for status in TERMINAL_STATUSES:
        assert allowed_transitions(status) == ()


def test_a_refusal_names_the_allowed_transitions() -> None:
    with pytest.raises(CustodyTransitionError, match="allowed transitions are: register") as c:
        apply_transition(S.IN_CUSTODY, "release")
    assert c.value.field == "transition" and c.value.allowed == ("register",)
    with pytest.raises(CustodyTransitionError, match="cannot change any more"):
        apply_transition(S.DECEASED, "release")
    with pytest.raises(CustodyTransitionError, match="known transitions"):
        apply_transition(S.REGISTERED, "escape")


#: States a record must never be in after a given history, as predicates on the path.
NAMES = st.lists(st.sampled_from([*TRANSITIONS, "recapture", "Register", ""]), max_size=12)


@given(names=NAMES)
def test_no_sequence_reaches_a_forbidden_state(names: list[str]) -> None:
    status, path = INITIAL_STATUS, [INITIAL_STATUS]
    for name in names:
        try:
            after = apply_transition(status, name)
        except CustodyTransitionError as refused:
            assert refused.allowed == allowed_transitions(status)
            assert name not in refused.allowed
            continue
        assert name in allowed_transitions(status)
        status = after
        path.append(status)
    # Every record is registered before anything else, and at most once; a record that has
    # left custody never changes again; nothing returns to in_custody.
    assert path.count(S.REGISTERED) <= 1 and path.count(S.IN_CUSTODY) == 1
    if len(path) > 1:
        assert path[1] is S.REGISTERED
    assert len(path) <= 3
    assert all(s in TERMINAL_STATUSES for s in path[2:])
