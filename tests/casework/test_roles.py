"""Roles and the access policy, checked cell by cell against the table of GUIDE §2."""

from __future__ import annotations

import itertools

import pytest

from safeconduct.casework.roles import DATA_CLASSES, POLICY, Role, can, parse_role
from safeconduct.errors import InvalidValueError

#: What the GUIDE writes for "nothing": an en dash.
NOTHING = "\u2013"

#: GUIDE §2 "Who sees what", copied verbatim (R read, W write, en dash nothing, own = assigned).
GUIDE_TABLE = """
| data | operator | planner | crew | reception | registrar | auditor | admin |
| --- | --- | --- | --- | --- | --- | --- | --- |
| conversation, contact handle, caller's own words | W own | – | – | – | – | – | – |
| case code, language, status, group size, wounded yes/no | W own | R | R own | R own | R | – | – |
| meeting window and point (approved) | W own | W | R own | R own | – | – | – |
| area, route, exposure, sorties, note, report | R | W | R own | R own | – | – | – |
| live positions of drone and person | – | R | W own | R own | – | – | – |
| arrival, health category, effects, receipts | – | – | – | W own | R | – | – |
| identity (Art. 17), Annex IV B and Art. 122 fields, prisoner number | – | – | – | – | W | – | – |
| capture card, evacuation list, NIB notifications | – | – | – | – | W | – | – |
| audit trail (who did what, when; no personal content) | – | – | – | – | – | R | – |
| users, roles, keys, retention settings | – | – | – | – | – | – | W |
"""  # noqa: RUF001 (the GUIDE's en dashes, kept so the copy stays verbatim)


def _guide_rows() -> list[tuple[str, dict[Role, str]]]:
    lines = [line.strip() for line in GUIDE_TABLE.strip().splitlines()]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = [Role(name) for name in header[1:]]
    by_description = {text: name for name, text in DATA_CLASSES.items()}
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.append((by_description[cells[0]], dict(zip(roles, cells[1:], strict=True))))
    return rows


GUIDE_ROWS = _guide_rows()


def _expected(cell: str, action: str, own: bool) -> bool:
    """What one GUIDE cell grants, read by hand: W includes R; "own" needs an own case."""
    if cell == NOTHING:
        return False
    if cell.endswith(" own") and not own:
        return False
    return cell.startswith("W") or action == "read"


def test_guide_table_covers_every_data_class_and_role_in_order() -> None:
    assert [name for name, _ in GUIDE_ROWS] == list(DATA_CLASSES)
    assert all(list(cells) == list(Role) for _, cells in GUIDE_ROWS)


def test_policy_holds_exactly_the_guide_s_non_empty_cells() -> None:
    from_guide = {
        (name, role): cell
        for name, cells in GUIDE_ROWS
        for role, cell in cells.items()
        if cell != NOTHING
    }
    assert dict(POLICY) == from_guide


@pytest.mark.parametrize(
    ("data_class", "role", "action", "own"),
    [
        (name, role, action, own)
        for name, _ in GUIDE_ROWS
        for role in Role
        for action in ("read", "write")
        for own in (False, True)
    ],
)
def test_can_for_one_role_matches_the_guide_cell(
    data_class: str, role: Role, action: str, own: bool
) -> None:
    cell = dict(GUIDE_ROWS)[data_class][role]
    assert can([role], action, data_class, own=own) is _expected(cell, action, own)  # type: ignore[arg-type]


@pytest.mark.parametrize("pair", list(itertools.combinations(Role, 2)))
def test_two_roles_give_the_union(pair: tuple[Role, Role]) -> None:
    for name, cells in GUIDE_ROWS:
        for action in ("read", "write"):
            for own in (False, True):
                union = any(_expected(cells[r], action, own) for r in pair)
                assert can(pair, action, name, own=own) is union  # type: ignore[arg-type]


def test_no_roles_grant_nothing() -> None:
    for name in DATA_CLASSES:
        for action in ("read", "write"):
            assert not can([], action, name, own=True)  # type: ignore[arg-type]


def test_nobody_reads_everything_not_even_with_every_role_on_other_teams_cases() -> None:
    # "Nobody gets all cases by default": the conversation is only ever the own operator's.
    assert not can(list(Role), "read", "conversation", own=False)
    assert can(list(Role), "read", "conversation", own=True)


def test_examples_from_the_issue() -> None:
    # A crew member cannot see the operators' case list (not their own cases).
    assert not can([Role.CREW], "read", "case_summary", own=False)
    # An operator cannot start a plan.
    assert not can([Role.OPERATOR], "write", "plan", own=True)
    # The administrator manages users but reads no case.
    assert can([Role.ADMIN], "write", "administration", own=False)
    assert not can([Role.ADMIN], "read", "case_summary", own=True)


def test_roles_may_be_given_as_words_and_once_only() -> None:
    roles = iter(["planner"])
    assert can(roles, "read", "case_summary", own=False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "data_class", "message"),
    [
        ("delete", "plan", "action must be 'read' or 'write', not 'delete'"),
        ("read", "plans", "unknown data class 'plans'; known: conversation, case_summary"),
    ],
)
def test_a_mistake_in_the_calling_code_is_not_silently_denied(
    action: str, data_class: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        can([Role.PLANNER], action, data_class, own=True)  # type: ignore[arg-type]


def test_roles_are_the_issue_s_seven_words() -> None:
    assert [r.value for r in Role] == [
        "operator",
        "planner",
        "crew",
        "reception",
        "registrar",
        "auditor",
        "admin",
    ]


@pytest.mark.parametrize(("text", "role"), [("crew", Role.CREW), (" Admin ", Role.ADMIN)])
def test_parse_role(text: str, role: Role) -> None:
    assert parse_role(text) is role


@pytest.mark.parametrize("text", ["", "pilot", "administrator", "operators"])
def test_parse_role_refuses_an_unknown_word_and_lists_the_roles(text: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        parse_role(text)
    assert info.value.field == "role"
    assert info.value.message == (
        f"unknown role {text!r}; give one of operator, planner, crew, reception, registrar, "
        "auditor, admin"
    )
