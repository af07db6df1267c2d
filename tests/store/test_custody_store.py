"""Custody on SQLite and PostgreSQL: arrival, registration with and without a case, gap-free
numbers (two registrars at once on PostgreSQL), receipts, NIB events, bad input that writes
nothing, and who may do what."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.casework.roles import Role
from safeconduct.casework.status import CaseStatus
from safeconduct.custody.arrival import Arrival
from safeconduct.custody.effects import ReceiptItem
from safeconduct.custody.evacuation import EvacuationList
from safeconduct.custody.health import HealthCategory
from safeconduct.custody.nib import NibEvent, NibNotification
from safeconduct.custody.record import NOT_GIVEN, Registration
from safeconduct.custody.status import CustodyStatus
from safeconduct.errors import InvalidValueError, NotFoundError, PermissionDeniedError
from safeconduct.services import custody
from safeconduct.services.casework import (
    CONSOLE,
    Actor,
    CaseworkPorts,
    add_user,
    assign_to_case,
    get_case,
    open_case,
    transition_case,
)
from safeconduct.services.custody import CustodyPorts
from safeconduct.services.ports import CaseChange
from tests.conftest import TEST_CIPHER
from tests.store.conftest import Store

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
OLGA = Actor("olga", (Role.OPERATOR,))
PETRO = Actor("petro", (Role.PLANNER,))
KYRYLO = Actor("kyrylo", (Role.CREW,))
ROMAN = Actor("roman", (Role.RECEPTION,))
IVAN = Actor("ivan", (Role.RECEPTION,))  # a reception team not on the case
RITA = Actor("rita", (Role.REGISTRAR,))
SASHA = Actor("sasha", (Role.REGISTRAR,))


@dataclass
class FakeDocuments:
    """The renderer port, recording what it was asked to write (and writing a stub)."""

    calls: list[tuple[str, object, tuple[str, ...]]] = field(default_factory=list)

    def _write(self, kind: str, value: object, langs: tuple[str, ...], out: object) -> None:
        self.calls.append((kind, value, langs))
        Path(str(out)).parent.mkdir(parents=True, exist_ok=True)
        Path(str(out)).write_text(kind)

    def render_capture_card(self, registration: object, langs: object, out_path: object) -> None:
        self._write("card", registration, tuple(langs), out_path)  # type: ignore[arg-type]

    def render_receipt(self, receipt: object, langs: object, out_path: object) -> None:
        self._write("receipt", receipt, tuple(langs), out_path)  # type: ignore[arg-type]

    def render_evacuation_list(self, lst: object, langs: object, out_path: object) -> None:
        self._write("evacuation", lst, tuple(langs), out_path)  # type: ignore[arg-type]

    def render_nib_pdf(self, notifications: object, langs: object, out_path: object) -> None:
        self._write("nib-pdf", notifications, tuple(langs), out_path)  # type: ignore[arg-type]

    def write_nib_json(self, notifications: object, out_path: object) -> None:
        self._write("nib-json", notifications, (), out_path)

    def write_nib_csv(self, notifications: object, out_path: object) -> None:
        self._write("nib-csv", notifications, (), out_path)


@dataclass
class Announced:
    changes: list[CaseChange] = field(default_factory=list)

    def publish(self, change: CaseChange) -> None:
        self.changes.append(change)


@pytest.fixture
def team(ports: CaseworkPorts) -> CaseworkPorts:
    for name, role in (("olga", "operator"), ("petro", "planner"), ("kyrylo", "crew"),
                       ("roman", "reception"), ("ivan", "reception"), ("rita", "registrar"),
                       ("sasha", "registrar")):  # fmt: skip
        add_user(ports, name, role, PASSWORD, actor=CONSOLE)
    return ports


@pytest.fixture
def cp(team: CaseworkPorts) -> CustodyPorts:
    return CustodyPorts(
        database=team.database,  # type: ignore[arg-type]
        documents=FakeDocuments(),
        events=Announced(),
    )


def registration(**changes: object) -> Registration:
    values: dict[str, object] = dict(
        surname="Шевченко",
        first_names="Богдан",
        rank="рядовой",
        date_of_birth=date(1999, 3, 9),
        service_number="АБ-123456",
        next_of_kin="Бойко Катерина, Курск",
        captured_on=date(2026, 11, 20),
        health=HealthCategory.SLIGHTLY_WOUNDED,
        language="ru",
    )
    values.update(changes)
    return Registration(**values)  # type: ignore[arg-type]


def arrival(**changes: object) -> Arrival:
    values: dict[str, object] = dict(
        at=T0 + timedelta(hours=3),
        place="Reception point B",
        escorts=("Sgt Koval",),
        people=1,
        health=HealthCategory.SLIGHTLY_WOUNDED,
        medical_priority=True,
        effects_kept=("photo", "letters"),
    )
    values.update(changes)
    return Arrival(**values)  # type: ignore[arg-type]


def case_underway(team: CaseworkPorts) -> int:
    """A case opened, scheduled, planned and launched, with roman as its reception team."""
    case = open_case(team, language="ru", actor=OLGA, now=T0)
    for name, who in (("schedule", OLGA), ("plan", PETRO), ("launch", KYRYLO)):
        if who is KYRYLO:
            assign_to_case(team, case.id, "kyrylo", "crew", actor=PETRO, now=T0)
        transition_case(team, case.id, name, actor=who, now=T0 + timedelta(minutes=10))
    assign_to_case(team, case.id, "roman", "reception", actor=PETRO, now=T0)
    return case.id


def counts(cp: CustodyPorts) -> dict[str, int]:
    engine = cp.database.engine  # type: ignore[attr-defined]
    tables = ("prisoners", "prisoner_events", "arrivals", "receipts", "case_prisoners")
    with engine.connect() as connection:
        found = {
            t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables
        }
        found["next"] = connection.execute(
            sa.text("SELECT coalesce(max(next_value), 1) FROM number_series")
        ).scalar()
    return found


# ----------------------------------------------------------------- the path of a case


def test_a_case_moves_from_arrival_to_custody_to_registered_and_released(
    team: CaseworkPorts, cp: CustodyPorts
) -> None:
    case_id = case_underway(team)
    info = custody.record_arrival(cp, case_id, arrival(), actor=ROMAN, now=T0 + timedelta(hours=3))
    assert info.case.status is CaseStatus.IN_CUSTODY
    assert [e.transition for e in info.case.events][-2:] == ["arrive", "take_into_custody"]
    assert info.arrival == arrival() and info.prisoners == ()

    number = custody.register_prisoner(cp, registration(), case=case_id, actor=RITA, today=TODAY)
    assert number == "PW-000001"
    assert get_case(team, case_id, actor=RITA).status is CaseStatus.REGISTERED
    assert custody.custody_of(cp, case_id, actor=RITA).prisoners == ("PW-000001",)
    stored = custody.get_prisoner(cp, "pw-000001", actor=RITA)
    assert stored == replace(registration(), prisoner_number="PW-000001")
    assert custody.prisoner_status(cp, number, actor=RITA) is CustodyStatus.REGISTERED
    assert [c.status for c in cp.events.changes][-2:] == ["in_custody", "registered"]  # type: ignore[union-attr]

    status = custody.record_custody_event(
        cp, number, NibEvent.HOSPITAL_ADMISSION, occurred_on=TODAY, place="Hospital 2", actor=RITA
    )
    assert status is CustodyStatus.REGISTERED
    status = custody.record_custody_event(
        cp, number, NibEvent.RELEASE, occurred_on=TODAY, actor=RITA
    )
    assert status is CustodyStatus.RELEASED
    assert get_case(team, case_id, actor=RITA).status is CaseStatus.RELEASED
    notes = custody.nib_notifications(cp, actor=RITA)
    assert [(n.event, n.occurred_on) for n in notes] == [
        (NibEvent.CAPTURE, date(2026, 11, 20)),
        (NibEvent.HOSPITAL_ADMISSION, TODAY),
        (NibEvent.RELEASE, TODAY),
    ]
    assert notes[1].place == "Hospital 2" and notes[0].registration.prisoner_number == number
    # Nothing more happens to a released prisoner in our custody.
    with pytest.raises(InvalidValueError) as caught:
        custody.record_custody_event(cp, number, NibEvent.DEATH, occurred_on=TODAY, actor=RITA)
    assert caught.value.field == "transition"


def test_a_prisoner_without_a_case_registers_too(team: CaseworkPorts, cp: CustodyPorts) -> None:
    declined = registration(first_names=NOT_GIVEN, date_of_birth=NOT_GIVEN, rank=NOT_GIVEN)
    first = custody.register_prisoner(cp, declined, actor=RITA, today=TODAY)
    second = custody.register_prisoner(cp, registration(language="uk"), actor=SASHA, today=TODAY)
    assert (first, second) == ("PW-000001", "PW-000002")
    assert [r.prisoner_number for r in custody.list_prisoners(cp, actor=RITA)] == [first, second]
    assert custody.get_prisoner(cp, first, actor=RITA).first_names is NOT_GIVEN
    assert counts(cp)["case_prisoners"] == 0
    assert cp.events.changes == []  # type: ignore[union-attr]
    custody.record_custody_event(
        cp, first, NibEvent.TRANSFER, occurred_on=TODAY, details="to the protecting power",
        actor=RITA,
    )  # fmt: skip
    assert custody.prisoner_status(cp, first, actor=RITA) is CustodyStatus.TRANSFERRED


def test_a_group_case_is_registered_from_its_first_prisoner_and_leaves_with_its_last(
    team: CaseworkPorts, cp: CustodyPorts
) -> None:
    case_id = case_underway(team)
    custody.record_arrival(cp, case_id, arrival(people=2), actor=ROMAN)
    one = custody.register_prisoner(cp, registration(), case=case_id, actor=RITA, today=TODAY)
    two = custody.register_prisoner(cp, registration(), case=case_id, actor=RITA, today=TODAY)
    assert custody.custody_of(cp, case_id, actor=ROMAN).prisoners == (one, two)
    custody.record_custody_event(cp, one, NibEvent.TRANSFER, occurred_on=TODAY, actor=RITA)
    assert get_case(team, case_id, actor=RITA).status is CaseStatus.REGISTERED
    custody.record_custody_event(cp, two, NibEvent.TRANSFER, occurred_on=TODAY, actor=RITA)
    assert get_case(team, case_id, actor=RITA).status is CaseStatus.TRANSFERRED


def test_registration_needs_a_case_in_custody(team: CaseworkPorts, cp: CustodyPorts) -> None:
    case_id = case_underway(team)
    before = counts(cp)
    with pytest.raises(InvalidValueError, match="allowed transitions") as caught:
        custody.register_prisoner(cp, registration(), case=case_id, actor=RITA, today=TODAY)
    assert caught.value.field == "transition"
    assert counts(cp) == before
    # The number refused is given back: the next registration takes PW-000001.
    assert custody.register_prisoner(cp, registration(), actor=RITA, today=TODAY) == "PW-000001"


# ----------------------------------------------------------------- bad input writes nothing


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date_of_birth": date(2027, 1, 1)}, "date_of_birth"),
        ({"captured_on": date(2026, 12, 30)}, "captured_on"),
        ({"health": "fine"}, "health"),
        ({"surname": ""}, "surname"),
        ({"prisoner_number": "XX-12"}, "prisoner_number"),
        ({"prisoner_number": "PW-000007"}, "prisoner_number"),
    ],
)
def test_a_bad_registration_is_refused_naming_the_field_and_writes_nothing(
    cp: CustodyPorts, changes: dict[str, object], field: str
) -> None:
    before = counts(cp)
    with pytest.raises(InvalidValueError) as caught:
        custody.register_prisoner(cp, registration(**changes), actor=RITA, today=TODAY)
    assert caught.value.field == field
    assert counts(cp) == before


def test_a_capture_before_the_first_contact_is_refused(
    team: CaseworkPorts, cp: CustodyPorts
) -> None:
    case_id = case_underway(team)
    custody.record_arrival(cp, case_id, arrival(), actor=ROMAN)
    before = counts(cp)
    with pytest.raises(InvalidValueError, match="before the first contact") as caught:
        custody.register_prisoner(
            cp, registration(captured_on=date(2026, 11, 19)), case=case_id, actor=RITA, today=TODAY
        )
    assert caught.value.field == "captured_on"
    assert counts(cp) == before
    assert get_case(team, case_id, actor=RITA).status is CaseStatus.IN_CUSTODY


@pytest.mark.parametrize("number", ["PW-1", "R-000001", "42", ""])
def test_a_number_out_of_series_is_refused(cp: CustodyPorts, number: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        custody.get_prisoner(cp, number, actor=RITA)
    assert caught.value.field == "prisoner_number"
    with pytest.raises(NotFoundError):
        custody.get_prisoner(cp, "PW-000009", actor=RITA)


def test_a_receipt_without_items_or_an_amount_is_refused_and_numbers_stay(
    team: CaseworkPorts, cp: CustodyPorts
) -> None:
    case_id = case_underway(team)
    custody.record_arrival(cp, case_id, arrival(), actor=ROMAN)
    before = counts(cp)
    with pytest.raises(InvalidValueError) as caught:
        custody.issue_receipt(cp, case_id, [], actor=ROMAN)
    assert caught.value.field == "items"
    with pytest.raises(InvalidValueError) as caught:
        ReceiptItem("watch", None, "EUR")  # type: ignore[arg-type]
    assert caught.value.field == "items"
    assert counts(cp) == before
    receipt = custody.issue_receipt(
        cp, case_id, [ReceiptItem("banknotes", Decimal("1500.00"), "RUB")], actor=ROMAN,
        prisoner_name="Шевченко Богдан", today=TODAY,
    )  # fmt: skip
    assert receipt.number == "R-000001" and receipt.place == "Reception point B"
    assert receipt.items[0].amount == Decimal("1500.00") and receipt.language == "ru"
    assert custody.get_receipt(cp, "r-000001", actor=ROMAN) == receipt
    assert custody.custody_of(cp, case_id, actor=ROMAN).receipts == ("R-000001",)


def test_receipts_for_prisoners_and_the_documents(
    team: CaseworkPorts, cp: CustodyPorts, tmp_path: Path
) -> None:
    number = custody.register_prisoner(
        cp, registration(present_address="Camp 3"), actor=RITA, today=TODAY
    )
    receipt = custody.issue_receipt(
        cp, number, [ReceiptItem("ring", Decimal("200"), "USD")], actor=RITA, today=TODAY
    )
    assert (receipt.number, receipt.prisoner_number, receipt.place) == (
        "R-000001",
        number,
        "Camp 3",
    )
    assert receipt.prisoner_name == "Шевченко Богдан"
    docs: FakeDocuments = cp.documents  # type: ignore[assignment]

    custody.write_capture_card(cp, number, ["uk", "en"], tmp_path / "card.pdf", actor=RITA)
    custody.write_receipt(cp, receipt.number, ["en"], tmp_path / "receipt.pdf", actor=RITA)
    listed = custody.evacuation_list(
        cp, [number], on=TODAY, from_place="Point B", to_place="Camp 3", escort="Sgt Koval",
        actor=RITA,
    )  # fmt: skip
    assert isinstance(listed, EvacuationList) and listed.entries[0].name == "Шевченко Богдан"
    custody.write_evacuation_list(cp, listed, ["uk", "en"], tmp_path / "ev.pdf", actor=RITA)
    paths = custody.export_nib(cp, tmp_path / "nib", actor=RITA)
    assert [p.name for p in paths] == [
        "nib-notifications.json", "nib-notifications.csv", "nib-notifications.pdf",
    ]  # fmt: skip
    kinds = [(kind, langs) for kind, _, langs in docs.calls]
    assert kinds == [
        ("card", ("ru", "uk", "en")), ("receipt", ("ru", "en")), ("evacuation", ("uk", "en")),
        ("nib-json", ()), ("nib-csv", ()), ("nib-pdf", ("en",)),
    ]  # fmt: skip
    notes = docs.calls[3][1]
    assert isinstance(notes, list) and isinstance(notes[0], NibNotification)

    calls = len(docs.calls)
    with pytest.raises(InvalidValueError) as caught:
        custody.write_capture_card(cp, number, ["de"], tmp_path / "de.pdf", actor=RITA)
    assert caught.value.field == "langs" and len(docs.calls) == calls


# ----------------------------------------------------------------- who may do what


def test_who_may_do_what(team: CaseworkPorts, cp: CustodyPorts) -> None:
    case_id = case_underway(team)
    for who in (RITA, IVAN, KYRYLO, PETRO):
        with pytest.raises(PermissionDeniedError):
            custody.record_arrival(cp, case_id, arrival(), actor=who)
    custody.record_arrival(cp, case_id, arrival(), actor=ROMAN)
    for who in (ROMAN, KYRYLO, PETRO, OLGA):
        with pytest.raises(PermissionDeniedError):
            custody.register_prisoner(cp, registration(), case=case_id, actor=who, today=TODAY)
    number = custody.register_prisoner(cp, registration(), case=case_id, actor=RITA, today=TODAY)
    for who in (ROMAN, KYRYLO, PETRO):
        with pytest.raises(PermissionDeniedError):
            custody.get_prisoner(cp, number, actor=who)
        with pytest.raises(PermissionDeniedError):
            custody.nib_notifications(cp, actor=who)
        with pytest.raises(PermissionDeniedError):
            custody.record_custody_event(cp, number, "release", occurred_on=TODAY, actor=who)  # type: ignore[arg-type]
    with pytest.raises(PermissionDeniedError):
        custody.issue_receipt(cp, case_id, [ReceiptItem("x", Decimal(1), "EUR")], actor=IVAN)
    assert custody.register_prisoner(cp, registration(), actor=CONSOLE, today=TODAY) == "PW-000002"


# ----------------------------------------------------------------- gap-free numbers


def test_a_rolled_back_transaction_gives_its_number_back(cp: CustodyPorts) -> None:
    database = cp.database
    with database.unit_of_work() as uow:
        assert uow.number_series.take_next("test:A-") == 1
        assert uow.number_series.take_next("test:A-") == 2
    with pytest.raises(RuntimeError), database.unit_of_work() as uow:
        assert uow.number_series.take_next("test:A-") == 3
        raise RuntimeError("refused")
    with database.unit_of_work() as uow:
        assert uow.number_series.take_next("test:A-") == 3
        assert uow.number_series.take_next("test:B-") == 1


def test_two_registrars_at_once_never_get_the_same_number(store: Store, cp: CustodyPorts) -> None:
    """Two threads, each with its own connection pool, register 25 prisoners each against
    the same database at the same time: the numbers are 1..50, none twice, none missing."""
    if store.backend != "postgresql":
        pytest.skip("the concurrent registrars run against the PostgreSQL server")
    per_registrar = 25
    issued: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)
    lock = threading.Lock()

    def registrar(actor: Actor) -> None:
        own = replace(cp, database=SqlCaseworkDatabase(store.engine(), cipher=TEST_CIPHER))
        try:
            start.wait()
            for _ in range(per_registrar):
                number = custody.register_prisoner(own, registration(), actor=actor, today=TODAY)
                with lock:
                    issued.append(number)
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=registrar, args=(who,)) for who in (RITA, SASHA)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(issued) == [f"PW-{n:06d}" for n in range(1, 2 * per_registrar + 1)]
    stored = [r.prisoner_number for r in custody.list_prisoners(cp, actor=RITA)]
    assert stored == sorted(issued)


def test_bootstrap_wires_custody_on_the_casework_database(
    team: CaseworkPorts, tmp_path: Path
) -> None:
    documents = pytest.importorskip("safeconduct.adapters.pdf.custody_documents")
    from safeconduct import bootstrap

    wired = bootstrap.custody_ports(team)
    assert wired.database is team.database and wired.events is team.events
    assert isinstance(wired.documents, documents.ReportlabCustodyDocuments)
    # Nothing to notify yet: refused before any file, not a half-written export.
    with pytest.raises(InvalidValueError) as caught:
        custody.export_nib(wired, tmp_path / "empty", actor=RITA)
    assert caught.value.field == "notifications" and not (tmp_path / "empty").exists()
    assert custody.register_prisoner(wired, registration(), actor=RITA, today=TODAY) == "PW-000001"
    # The NIB export makes its folder; the files are the real ones.
    paths = custody.export_nib(wired, tmp_path / "exports" / "nib", actor=RITA)
    assert all(path.is_file() and path.stat().st_size > 0 for path in paths)


def test_two_registrars_moving_the_last_two_of_a_case_at_once_move_the_case(
    store: Store, team: CaseworkPorts, cp: CustodyPorts
) -> None:
    """Each registrar records the transfer of one of a case's two prisoners at the same
    time: neither waits for the other forever, and the case follows once both left."""
    if store.backend != "postgresql":
        pytest.skip("the concurrent registrars run against the PostgreSQL server")
    case_id = case_underway(team)
    custody.record_arrival(cp, case_id, arrival(people=2), actor=ROMAN)
    numbers = [
        custody.register_prisoner(cp, registration(), case=case_id, actor=RITA, today=TODAY)
        for _ in range(2)
    ]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def registrar(actor: Actor, number: str) -> None:
        own = replace(cp, database=SqlCaseworkDatabase(store.engine(), cipher=TEST_CIPHER))
        try:
            start.wait()
            custody.record_custody_event(
                own, number, NibEvent.TRANSFER, occurred_on=TODAY, actor=actor
            )
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=registrar, args=(who, number))
        for who, number in zip((RITA, SASHA), numbers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert get_case(team, case_id, actor=RITA).status is CaseStatus.TRANSFERRED
    events = custody.prisoner_events(cp, numbers[0], actor=RITA)
    assert [e.event for e in events] == [NibEvent.CAPTURE, NibEvent.TRANSFER]
    assert events[-1].to_status is CustodyStatus.TRANSFERRED


def test_custody_transitions_are_not_made_on_the_case_alone(ports: CaseworkPorts) -> None:
    """A registrar registers a prisoner (or records a custody event); the case follows.
    Moving the case by hand would leave it registered with no prisoner record."""
    from safeconduct.casework.roles import Role
    from safeconduct.casework.status import InvalidTransitionError
    from safeconduct.services.casework import (
        CONSOLE,
        Actor,
        open_case,
        transition_case,
        transitions_for,
    )

    case = open_case(ports, language="ru", actor=CONSOLE)
    for step in ("schedule", "plan", "launch", "arrive", "take_into_custody"):
        case = transition_case(ports, case.id, step, actor=CONSOLE)
    rita = Actor("rita", (Role.REGISTRAR,))
    assert "register" in case.allowed and transitions_for(ports, case, actor=rita) == ()
    with pytest.raises(InvalidTransitionError, match="custody record"):
        transition_case(ports, case.id, "register", actor=rita)
