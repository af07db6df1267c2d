"""Cases: opened with a fresh code, listed, moved by transitions with a timeline; a refused
transition writes nothing."""

from __future__ import annotations

import random
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from safeconduct.casework.status import CaseStatus, InvalidTransitionError
from safeconduct.errors import InvalidValueError
from safeconduct.note.casecode import format_case_code, generate_case_code, is_well_formed
from safeconduct.services.casework import (
    CONSOLE,
    CaseworkPorts,
    get_case,
    list_cases,
    open_case,
    transition_case,
)

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def _event_count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM case_events")).scalar_one()


def test_open_and_list_cases(ports: CaseworkPorts) -> None:
    first = open_case(ports, language="RU", now=T0, actor=CONSOLE)
    second = open_case(
        ports, language="uk", channel="drone", now=T0 + timedelta(minutes=5), actor=CONSOLE
    )
    assert is_well_formed(first.case_code)
    assert re.fullmatch(r"[2-9ADEFJKMNRTW]{4}-[2-9ADEFJKMNRTW]{4}", first.printed_code)
    assert first.case_code != second.case_code
    assert (first.language, first.channel, first.status) == ("ru", "hotline", "contacted")
    assert first.created_at == T0 and first.allowed == ("close", "lose_contact", "schedule")
    listed = list_cases(ports, actor=CONSOLE)
    assert [(c.id, c.case_code, c.channel) for c in listed.items] == [  # newest change first
        (second.id, second.case_code, "drone"),
        (first.id, first.case_code, "hotline"),
    ]
    assert listed.next is None
    assert listed.items[1].last_changed_at == T0 and listed.items[1].printed_code == (
        first.printed_code
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"language": "russian"}, "language"), ({"language": "ru", "channel": "fax"}, "channel")],
)
def test_a_case_with_a_bad_language_or_channel_is_refused(
    ports: CaseworkPorts, kwargs: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        open_case(ports, **kwargs, actor=CONSOLE)
    assert caught.value.field == field
    assert list_cases(ports, actor=CONSOLE).items == ()


def test_a_drawn_code_that_is_taken_is_drawn_again(ports: CaseworkPorts) -> None:
    first = open_case(ports, language="ru", rng=random.Random(7), actor=CONSOLE)
    second = open_case(
        ports, language="ru", rng=random.Random(7), actor=CONSOLE
    )  # draws first's code first
    assert second.case_code != first.case_code
    assert len(list_cases(ports, actor=CONSOLE).items) == 2


def test_transitions_are_stored_with_their_timeline(
    ports: CaseworkPorts, engine: sa.Engine
) -> None:
    case = open_case(ports, language="ru", now=T0, actor=CONSOLE)
    moved = transition_case(
        ports, case.printed_code.lower(), "schedule", actor="anna", now=T0 + timedelta(hours=1)
    )
    moved = transition_case(
        ports, case.case_code, "plan", actor="boris", now=T0 + timedelta(hours=2)
    )
    assert moved.status == CaseStatus.PLANNED
    again = get_case(ports, case.printed_code, actor=CONSOLE)
    assert again == moved
    assert [(e.transition, e.actor, e.from_status, e.to_status) for e in again.events] == [
        ("schedule", "anna", "contacted", "scheduled"),
        ("plan", "boris", "scheduled", "planned"),
    ]
    assert again.events[1].at == T0 + timedelta(hours=2)
    assert again.last_changed_at == T0 + timedelta(hours=2)
    assert _event_count(engine) == 2


def test_a_refused_transition_leaves_nothing_written(
    ports: CaseworkPorts, engine: sa.Engine
) -> None:
    case = open_case(ports, language="ru", now=T0, actor=CONSOLE)
    transition_case(ports, case.case_code, "schedule", actor="anna", now=T0 + timedelta(hours=1))
    before = get_case(ports, case.case_code, actor=CONSOLE)
    with pytest.raises(InvalidTransitionError) as caught:
        transition_case(ports, case.case_code, "arrive", actor="anna")
    assert caught.value.field == "transition"
    assert "plan" in caught.value.message  # names the allowed ones
    with pytest.raises(InvalidValueError) as caught_time:
        transition_case(ports, case.case_code, "plan", actor="anna", now=T0)  # before the last
    assert caught_time.value.field == "at"
    assert get_case(ports, case.case_code, actor=CONSOLE) == before
    assert _event_count(engine) == 1


def test_an_unknown_case_is_refused(ports: CaseworkPorts) -> None:
    code = format_case_code(generate_case_code(random.Random(1)))
    with pytest.raises(InvalidValueError) as caught:
        transition_case(ports, code, "schedule", actor="anna")
    assert caught.value.field == "case_code"
    assert f"no case {code}" in caught.value.message


def test_a_transition_made_on_a_stale_copy_is_refused(
    ports: CaseworkPorts, engine: sa.Engine
) -> None:
    # Two people moved the same case from the same screen: the second is told to look again.
    case = open_case(ports, language="ru", now=T0, actor=CONSOLE)
    with ports.database.unit_of_work(read_only=True) as uow:
        stale = uow.cases.get(case.case_code)
    assert stale is not None
    transition_case(ports, case.case_code, "schedule", actor="anna", now=T0 + timedelta(hours=1))
    late = stale.case.apply("lose_contact", at=T0 + timedelta(hours=2), actor="boris")
    with pytest.raises(InvalidValueError) as caught, ports.database.unit_of_work() as uow:
        uow.cases.save(late)
    assert caught.value.field == "transition"
    assert get_case(ports, case.case_code, actor=CONSOLE).status == CaseStatus.SCHEDULED
    assert _event_count(engine) == 1


def test_deleting_a_case_takes_its_timeline_with_it(
    ports: CaseworkPorts, engine: sa.Engine
) -> None:
    case = open_case(ports, language="ru", now=T0, actor=CONSOLE)
    transition_case(ports, case.case_code, "schedule", actor="anna", now=T0 + timedelta(hours=1))
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM cases"))
    assert _event_count(engine) == 0


def test_of_racing_transitions_exactly_one_is_written(
    ports: CaseworkPorts, engine: sa.Engine
) -> None:
    # Four people press "lost contact" at once: one wins, the others are refused (the
    # transition is no longer allowed, or the case changed under them); one event is kept.
    case = open_case(ports, language="ru", now=T0, actor=CONSOLE)
    barrier = threading.Barrier(4)

    def press(actor: str) -> str:
        barrier.wait()
        try:
            transition_case(ports, case.case_code, "lose_contact", actor=actor)
        except InvalidValueError as error:
            return f"refused: {error.field}"
        return "done"

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(press, ["a1", "a2", "a3", "a4"]))
    assert results.count("done") == 1, results
    assert set(results) <= {"done", "refused: transition"}
    assert get_case(ports, case.case_code, actor=CONSOLE).status == CaseStatus.LOST_CONTACT
    assert _event_count(engine) == 1
