"""The case list a page at a time: newest change first by a keyset cursor, every case the
actor may see exactly once (all of them, or the user's own: opened by them or assigned to
them), one column query per page, and a case that changes between pages moves to the top
instead of being shown twice or skipped."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.casework.assignment import Assignment
from safeconduct.casework.case import Case
from safeconduct.casework.roles import Role
from safeconduct.errors import InvalidValueError, PermissionDeniedError
from safeconduct.services.casework import (
    CONSOLE,
    MAX_PAGE_SIZE,
    Actor,
    CaseSummary,
    CaseworkPorts,
    list_cases,
    open_case,
    transition_case,
)
from safeconduct.services.ports import StoredUser

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
OLGA = Actor(name="olga", roles=(Role.OPERATOR,))
PETRO = Actor(name="petro", roles=(Role.PLANNER,))
KYRYLO = Actor(name="kyrylo", roles=(Role.CREW,))


def _every_page(ports: CaseworkPorts, actor: Actor, limit: int) -> Iterator[CaseSummary]:
    """Every case the actor sees, following ``next`` from the first page to the last."""
    after = None
    while True:
        page = list_cases(ports, actor=actor, limit=limit, after=after)
        assert len(page.items) <= limit
        # A next page is promised only when one exists: no empty page behind a cursor.
        assert after is None or page.items
        yield from page.items
        if page.next is None:
            return
        after = page.next


# Cases as (opener, minutes after T0 of the opening, transitions made, crew assigned):
# openings collide often, so the id must break ties; a transition moves the last change on.
_CASES = st.lists(
    st.tuples(
        st.sampled_from(["olga", "oleh"]), st.integers(0, 5), st.integers(0, 2), st.booleans()
    ),
    max_size=14,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cases=_CASES, limit=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_pages_hold_every_visible_case_once_newest_change_first(
    ports: CaseworkPorts,
    engine: sa.Engine,
    cases: list[tuple[str, int, int, bool]],
    limit: int,
    seed: int,
) -> None:
    with engine.begin() as connection:  # each example starts from no case
        connection.execute(sa.text("DELETE FROM cases"))
    database = ports.database
    assert isinstance(database, SqlCaseworkDatabase)
    rng = random.Random(seed)
    assigned: set[int] = set()
    with database.unit_of_work() as uow:
        if uow.users.get(KYRYLO.name) is None:
            uow.users.add(StoredUser(name=KYRYLO.name, roles=KYRYLO.roles, password_hash="-",
                                     created_at=T0))  # fmt: skip
        for opener, minutes, steps, crew in cases:
            opened = T0 + timedelta(minutes=minutes)
            case = Case.open(language="ru", now=opened, rng=rng)
            for step, name in enumerate(("schedule", "plan")[:steps]):
                case = case.apply(name, at=opened + timedelta(minutes=step + 1), actor="petro")
            stored = uow.cases.add(case, opened_by=opener)
            if crew:
                uow.assignments.add(
                    stored.id, Assignment(KYRYLO.name, Role.CREW, opened, assigned_by="petro")
                )
                assigned.add(stored.id)

    everything = list(_every_page(ports, PETRO, limit))
    keys = [(c.last_changed_at, c.id) for c in everything]
    assert keys == sorted(keys, reverse=True)
    assert len(set(keys)) == len(cases)
    assert sorted((c.opened_by, c.last_changed_at) for c in everything) == sorted(
        (opener, T0 + timedelta(minutes=minutes + steps)) for opener, minutes, steps, _ in cases
    )
    olgas = list(_every_page(ports, OLGA, limit))
    assert olgas == [c for c in everything if c.opened_by == "olga"]
    kyrylos = list(_every_page(ports, KYRYLO, limit))
    assert kyrylos == [c for c in everything if c.id in assigned]
    assert list(_every_page(ports, CONSOLE, MAX_PAGE_SIZE)) == everything


def test_a_case_that_changes_between_pages_moves_to_the_top_once(ports: CaseworkPorts) -> None:
    opened = [
        open_case(ports, language="ru", now=T0 + timedelta(minutes=i), actor=CONSOLE)
        for i in range(5)
    ]
    first = list_cases(ports, actor=CONSOLE, limit=2)
    assert [c.id for c in first.items] == [opened[4].id, opened[3].id]
    assert first.next is not None
    # The oldest case, not yet shown, changes now: it leaves the pages still to come.
    transition_case(ports, opened[0].id, "schedule", actor="anna", now=T0 + timedelta(hours=1))
    rest = list_cases(ports, actor=CONSOLE, limit=2, after=first.next)
    assert [c.id for c in rest.items] == [opened[2].id, opened[1].id]
    assert rest.next is None  # the moved case was the only one left
    top = list_cases(ports, actor=CONSOLE, limit=1)
    assert [(c.id, c.status, c.last_changed_at) for c in top.items] == [
        (opened[0].id, "scheduled", T0 + timedelta(hours=1))
    ]


def test_a_page_is_one_query_of_the_cases_and_one_of_their_keys(
    ports: CaseworkPorts, engine: sa.Engine
) -> None:
    for i in range(3):
        case = open_case(ports, language="uk", now=T0 + timedelta(minutes=i), actor=CONSOLE)
        transition_case(ports, case.id, "schedule", actor="anna", now=T0 + timedelta(hours=i))
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        page = list_cases(ports, actor=CONSOLE, limit=2)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The page's rows, then the data keys that open their sealed codes (revision 0012), in
    # one query for the whole page: never one per case, never the timelines.
    assert len(selects) == 2, statements
    assert "case_events" not in selects[0]
    assert "FROM data_keys" in selects[1] and "IN (" in selects[1]
    assert len(page.items) == 2 and page.next is not None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": MAX_PAGE_SIZE + 1}, "limit"),
        ({"after": "yesterday"}, "after"),
        ({"after": "1.2.3"}, "after"),
        ({"after": "9" * 19 + ".1"}, "after"),  # beyond the year 9999
    ],
)
def test_a_bad_page_size_or_cursor_is_refused(
    ports: CaseworkPorts, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        list_cases(ports, actor=CONSOLE, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_an_auditor_sees_no_page(ports: CaseworkPorts) -> None:
    with pytest.raises(PermissionDeniedError):
        list_cases(ports, actor=Actor(name="anya", roles=(Role.AUDITOR,)))
