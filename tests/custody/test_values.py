"""Series numbers, receipt items, arrivals, evacuation lists and NIB records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.custody.arrival import Arrival
from safeconduct.custody.effects import (
    Receipt,
    ReceiptItem,
    check_items,
    parse_amount,
    receipt_item_from_json,
)
from safeconduct.custody.evacuation import EvacuationEntry, EvacuationList
from safeconduct.custody.health import HealthCategory
from safeconduct.custody.nib import (
    EVENT_TRANSITIONS,
    RECORD_KEYS,
    NibEvent,
    NibNotification,
    notification_record,
)
from safeconduct.custody.record import NOT_GIVEN, Registration
from safeconduct.custody.series import DEFAULT_SERIES, RECEIPT_SERIES, PrisonerSeries
from safeconduct.custody.status import TRANSITIONS
from safeconduct.errors import InvalidValueError

# ----------------------------------------------------------------- series


def test_numbers_are_the_prefix_and_the_padded_index() -> None:
    assert DEFAULT_SERIES.number(7) == "PW-000007"
    assert RECEIPT_SERIES.number(12) == "R-000012"
    assert PrisonerSeries("UA/PW-", width=3).number(1234) == "UA/PW-1234"
    assert DEFAULT_SERIES.index_of(" pw-000042 ") == 42


@given(
    n=st.integers(min_value=1, max_value=10**14),
    prefix=st.sampled_from(["PW-", "R-", "UA/PW-", "A"]),
    width=st.integers(min_value=1, max_value=12),
)
def test_index_of_inverts_number(n: int, prefix: str, width: int) -> None:
    series = PrisonerSeries(prefix, width)
    assert series.index_of(series.number(n)) == n


@pytest.mark.parametrize(
    "number", ["", "PW-", "PW-00001", "PW-0000001", "PW-000000", "R-000001", "PW-00000x", "42"]
)
def test_a_number_out_of_series_is_refused(number: str) -> None:
    with pytest.raises(InvalidValueError, match="PW-000001") as caught:
        DEFAULT_SERIES.index_of(number)
    assert caught.value.field == "prisoner_number"


def test_receipt_numbers_are_named_as_such() -> None:
    with pytest.raises(InvalidValueError) as caught:
        RECEIPT_SERIES.index_of("PW-000001")
    assert caught.value.field == "receipt_number"


@pytest.mark.parametrize(("prefix", "width"), [("", 6), ("pw ", 6), ("PW-", 0), ("PW-", 13)])
def test_a_bad_series_is_refused(prefix: str, width: int) -> None:
    with pytest.raises(InvalidValueError):
        PrisonerSeries(prefix, width)


@pytest.mark.parametrize("n", [0, -1, True])
def test_an_index_starts_at_one(n: int) -> None:
    with pytest.raises(InvalidValueError):
        DEFAULT_SERIES.number(n)


# ----------------------------------------------------------------- effects


def test_an_item_keeps_its_exact_amount_and_an_upper_case_currency() -> None:
    item = receipt_item_from_json({"description": " banknotes ", "amount": "1250,50",
                                   "currency": "rub"})  # fmt: skip
    assert item == ReceiptItem("banknotes", Decimal("1250.50"), "RUB")
    assert parse_amount(12.5) == Decimal("12.5")


@pytest.mark.parametrize(
    "doc",
    [
        {"description": "watch", "currency": "EUR"},
        {"description": "watch", "amount": None, "currency": "EUR"},
        {"description": "watch", "amount": "", "currency": "EUR"},
        {"description": "watch", "amount": "0", "currency": "EUR"},
        {"description": "watch", "amount": "-3", "currency": "EUR"},
        {"description": "watch", "amount": "NaN", "currency": "EUR"},
        {"description": "watch", "amount": "ten", "currency": "EUR"},
        {"description": "watch", "amount": "10", "currency": "euro"},
        {"description": "watch", "amount": "1", "currency": "PCS"},  # three letters, no code
        {"description": "", "amount": "10", "currency": "EUR"},
        {"description": "watch", "amount": "10", "currency": "EUR", "serial": "1"},
    ],
)
def test_a_bad_item_is_refused_as_items(doc: dict[str, object]) -> None:
    with pytest.raises(InvalidValueError) as caught:
        receipt_item_from_json(doc)
    assert caught.value.field == "items"


def test_a_receipt_lists_one_item_at_least_and_sums_per_currency() -> None:
    with pytest.raises(InvalidValueError):
        check_items([])
    items = check_items(
        [ReceiptItem("notes", Decimal("10.5"), "EUR"), ReceiptItem("coins", Decimal("2"), "EUR"),
         ReceiptItem("notes", Decimal("500"), "RUB")]
    )  # fmt: skip
    receipt = Receipt("R-000001", items, date(2026, 11, 27), "Point B", "ru", "Шевченко Богдан")
    assert receipt.totals() == {"EUR": Decimal("12.5"), "RUB": Decimal("500")}


# ----------------------------------------------------------------- arrival, evacuation

AT = datetime(2026, 11, 27, 5, 40, tzinfo=UTC)


def test_an_arrival_is_checked_field_by_field() -> None:
    arrival = Arrival(AT, " Point B ", ("Escort 1",), 1, "sick", effects_kept=("photo",))
    assert arrival.place == "Point B" and arrival.health is HealthCategory.SICK
    bad: list[tuple[dict[str, object], str]] = [
        ({"at": datetime(2026, 11, 27, 5, 40)}, "at"),
        ({"place": ""}, "place"),
        ({"escorts": ()}, "escorts"),
        ({"escorts": "Escort 1"}, "escorts"),
        ({"people": 0}, "people"),
        ({"health": "fine"}, "health"),
    ]
    base: dict[str, object] = dict(at=AT, place="B", escorts=("E",), people=1, health="good")
    for changes, field in bad:
        with pytest.raises(InvalidValueError) as caught:
            Arrival(**{**base, **changes})  # type: ignore[arg-type]
        assert caught.value.field == field


def test_an_evacuation_list_names_each_prisoner_once() -> None:
    entry = EvacuationEntry("PW-000001", "Шевченко Богдан", HealthCategory.GOOD)
    listed = EvacuationList(date(2026, 11, 27), "Point B", "Camp 3", "Sgt Escort", (entry,))
    assert listed.entries == (entry,)
    with pytest.raises(InvalidValueError) as caught:
        EvacuationList(date(2026, 11, 27), "Point B", "Camp 3", "Sgt", ())
    assert caught.value.field == "entries"
    with pytest.raises(InvalidValueError) as caught:
        EvacuationList(date(2026, 11, 27), "Point B", "Camp 3", "Sgt", (entry, entry))
    assert caught.value.field == "entries"


# ----------------------------------------------------------------- NIB


def test_every_event_that_changes_a_status_names_a_custody_transition() -> None:
    assert set(EVENT_TRANSITIONS) == set(NibEvent)
    assert {t for t in EVENT_TRANSITIONS.values() if t} <= set(TRANSITIONS)


def test_a_notification_record_is_flat_with_not_given_and_latin_names() -> None:
    reg = Registration(
        surname="Шевченко", first_names=NOT_GIVEN, rank="рядовой", date_of_birth=NOT_GIVEN,
        service_number="АБ-1", captured_on=date(2026, 11, 20), health=HealthCategory.GOOD,
        language="ru", prisoner_number="PW-000001",
    )  # fmt: skip
    note = NibNotification(NibEvent.CAPTURE, date(2026, 11, 27), reg, place="Camp 3")
    record = notification_record(note)
    assert tuple(record) == RECORD_KEYS
    assert record["event"] == "capture" and record["prisoner_number"] == "PW-000001"
    assert record["first_names"] == "not given" and record["first_names_latin"] is None
    assert record["date_of_birth"] == "not given" and record["power"] is None
    assert record["surname"] == "Шевченко" and record["surname_latin"] == "Shevchenko"
    # The prisoner's language picks the rule: И is Y in Ukrainian, I in Russian.
    for language, expected in (("uk", "Yvanenko"), ("ru", "Ivanenko")):
        named = replace(reg, surname="Иваненко", language=language)
        assert notification_record(replace(note, registration=named))["surname_latin"] == expected
