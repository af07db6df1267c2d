"""Case assignments: a planner puts crews and reception teams on a case, which then becomes
one of their own; refused assignments write nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from safeconduct.casework.assignment import Assignment, assignable_role
from safeconduct.casework.roles import Role
from safeconduct.errors import InvalidValueError, NotFoundError, PermissionDeniedError
from safeconduct.services.casework import (
    CONSOLE,
    Actor,
    CaseworkPorts,
    add_user,
    assign_to_case,
    assignable_users,
    case_assignments,
    get_case,
    list_cases,
    open_case,
    unassign_from_case,
)

PASSWORD = "correct horse battery staple"
T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
OLGA = Actor("olga", (Role.OPERATOR,))
PETRO = Actor("petro", (Role.PLANNER,))
KYRYLO = Actor("kyrylo", (Role.CREW,))
ROMAN = Actor("roman", (Role.RECEPTION,))


@pytest.fixture
def team(ports: CaseworkPorts) -> CaseworkPorts:
    for name, role in (("olga", "operator"), ("petro", "planner"), ("kyrylo", "crew"),
                       ("roman", "reception"), ("vera", ["crew", "reception"])):  # fmt: skip
        add_user(ports, name, role, PASSWORD, actor=CONSOLE)
    return ports


def test_an_assigned_crew_sees_the_case_and_nobody_else_s(team: CaseworkPorts) -> None:
    case = open_case(team, language="ru", actor=OLGA)
    other = open_case(team, language="uk", actor=OLGA)
    assert list_cases(team, actor=KYRYLO).items == ()
    with pytest.raises(PermissionDeniedError):
        get_case(team, case.id, actor=KYRYLO)

    everyone = assign_to_case(team, case.id, " Kyrylo ", "crew", actor=PETRO, now=T0)
    assert everyone == [Assignment("kyrylo", Role.CREW, T0, "petro")]
    assert [c.id for c in list_cases(team, actor=KYRYLO).items] == [case.id]
    assert get_case(team, case.printed_code, actor=KYRYLO).id == case.id
    with pytest.raises(PermissionDeniedError):
        get_case(team, other.id, actor=KYRYLO)
    # The reception team is not on it yet; the opener still sees it.
    assert list_cases(team, actor=ROMAN).items == ()
    assert case_assignments(team, case.id, actor=OLGA) == everyone

    assign_to_case(team, case.id, "vera", "reception", actor=PETRO, now=T0)
    assign_to_case(team, case.id, "vera", "crew", actor=PETRO, now=T0)
    assert [(a.user, a.role) for a in case_assignments(team, case.id, actor=PETRO)] == [
        ("kyrylo", Role.CREW), ("vera", Role.CREW), ("vera", Role.RECEPTION),
    ]  # fmt: skip

    left = unassign_from_case(team, case.id, "kyrylo", "crew", actor=PETRO)
    assert [(a.user, a.role) for a in left] == [("vera", Role.CREW), ("vera", Role.RECEPTION)]
    assert list_cases(team, actor=KYRYLO).items == ()


@pytest.mark.parametrize(
    ("user", "role", "error", "field"),
    [
        ("kyrylo", "planner", InvalidValueError, "role"),  # not an assignable role
        ("kyrylo", "pilot", InvalidValueError, "role"),  # not a role
        ("roman", "crew", InvalidValueError, "user"),  # does not hold the role
        ("nobody", "crew", NotFoundError, "user"),
        ("../x", "crew", InvalidValueError, "user"),
    ],
)
def test_a_bad_assignment_is_refused_and_nothing_written(
    team: CaseworkPorts, user: str, role: str, error: type[Exception], field: str
) -> None:
    case = open_case(team, language="ru", actor=OLGA)
    with pytest.raises(error) as caught:
        assign_to_case(team, case.id, user, role, actor=PETRO)
    assert caught.value.field == field  # type: ignore[attr-defined]
    assert case_assignments(team, case.id, actor=PETRO) == []


def test_a_second_identical_assignment_and_an_unknown_removal_are_refused(
    team: CaseworkPorts,
) -> None:
    case = open_case(team, language="ru", actor=OLGA)
    assign_to_case(team, case.id, "kyrylo", "crew", actor=PETRO)
    with pytest.raises(InvalidValueError, match="already"):
        assign_to_case(team, case.id, "kyrylo", "crew", actor=PETRO)
    with pytest.raises(NotFoundError) as caught:
        unassign_from_case(team, case.id, "roman", "reception", actor=PETRO)
    assert caught.value.field == "user"
    assert len(case_assignments(team, case.id, actor=PETRO)) == 1


@pytest.mark.parametrize("who", [OLGA, KYRYLO, ROMAN, Actor("rita", (Role.REGISTRAR,))])
def test_only_planners_assign(team: CaseworkPorts, who: Actor) -> None:
    case = open_case(team, language="ru", actor=OLGA)
    with pytest.raises(PermissionDeniedError):
        assign_to_case(team, case.id, "kyrylo", "crew", actor=who)
    with pytest.raises(PermissionDeniedError):
        assignable_users(team, actor=who)
    assert case_assignments(team, case.id, actor=PETRO) == []


def test_planners_see_who_may_be_assigned(team: CaseworkPorts) -> None:
    members = assignable_users(team, actor=PETRO)
    assert [(m.name, m.roles) for m in members] == [
        ("kyrylo", (Role.CREW,)), ("roman", (Role.RECEPTION,)),
        ("vera", (Role.CREW, Role.RECEPTION)),
    ]  # fmt: skip


def test_only_crew_and_reception_are_assignable() -> None:
    assert assignable_role(" CREW ") is Role.CREW
    with pytest.raises(InvalidValueError, match="crew or a reception"):
        assignable_role("operator")


def test_an_assigned_crew_is_offered_its_steps_on_the_case(team: CaseworkPorts) -> None:
    """The buttons judge "own" as the transition does: an assigned crew may launch."""
    from safeconduct.services.casework import transition_case, transitions_for

    case = open_case(team, language="ru", actor=OLGA)
    for step in ("schedule", "plan"):
        case = transition_case(team, case.id, step, actor=CONSOLE)
    assert "launch" not in transitions_for(team, case, actor=KYRYLO)
    assign_to_case(team, case.id, "kyrylo", "crew", actor=PETRO)
    assert "launch" in transitions_for(team, case, actor=KYRYLO)
    assert transition_case(team, case.id, "launch", actor=KYRYLO).status == "underway"
