"""The registration: Art. 17 fields that may be "not given", its checks, its JSON form."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.custody.health import HealthCategory, parse_health
from safeconduct.custody.record import (
    JSON_KEYS,
    MAX_TEXT,
    NOT_GIVEN,
    Registration,
    check_registration,
    registration_from_json,
    registration_to_json,
)
from safeconduct.errors import InvalidValueError

TODAY = date(2026, 11, 27)


def full(**changes: object) -> Registration:
    values: dict[str, object] = dict(
        surname="Шевченко",
        first_names="Богдан Григорович",
        rank="рядовой",
        date_of_birth=date(1999, 3, 9),
        service_number="АБ-123456",
        fathers_first_name="Григорий",
        mothers_maiden_name="Бойко",
        place_of_birth="Моринцы",
        power="Российская Федерация",
        next_of_kin="Мать, Бойко Катерина, ул. Садовая 1, Курск",
        captured_on=date(2026, 11, 20),
        health=HealthCategory.SLIGHTLY_WOUNDED,
        language="ru",
        present_address="Camp 3",
        prisoner_number="PW-000001",
    )
    values.update(changes)
    return Registration(**values)  # type: ignore[arg-type]


def test_health_categories_in_annex_iv_b_order_and_parsed_loosely() -> None:
    assert [h.value for h in HealthCategory] == [
        "good", "not_wounded", "recovered", "convalescent", "sick", "slightly_wounded",
        "seriously_wounded",
    ]  # fmt: skip
    assert parse_health("Slightly wounded") is HealthCategory.SLIGHTLY_WOUNDED
    assert parse_health(" not-wounded ") is HealthCategory.NOT_WOUNDED
    with pytest.raises(InvalidValueError, match="seriously_wounded") as caught:
        parse_health("fine")
    assert caught.value.field == "health"


def test_a_valid_registration_comes_back_equal() -> None:
    reg = full()
    assert check_registration(reg, today=TODAY, contacted_on=date(2026, 11, 19)) == reg


def test_art17_fields_may_be_not_given_and_the_rest_left_out() -> None:
    reg = full(
        surname=NOT_GIVEN, first_names=NOT_GIVEN, rank=NOT_GIVEN, date_of_birth=NOT_GIVEN,
        service_number=NOT_GIVEN, fathers_first_name=None, mothers_maiden_name=None,
        place_of_birth=None, power=None, next_of_kin=None, present_address=None,
        prisoner_number=None,
    )  # fmt: skip
    assert check_registration(reg, today=TODAY) == reg
    assert reg.display_name() == "not given not given"


def test_texts_are_stripped_and_not_given_typed_as_text_is_not_given() -> None:
    reg = check_registration(full(surname="  Петренко ", rank="Not Given"), today=TODAY)
    assert reg.surname == "Петренко"
    assert reg.rank is NOT_GIVEN


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date_of_birth": date(2027, 1, 1)}, "date_of_birth"),
        ({"date_of_birth": date(2026, 11, 21)}, "date_of_birth"),  # after the capture
        ({"date_of_birth": date(1890, 1, 1)}, "date_of_birth"),
        ({"date_of_birth": datetime(1999, 1, 1)}, "date_of_birth"),
        ({"captured_on": date(2026, 11, 28)}, "captured_on"),
        ({"surname": ""}, "surname"),
        ({"surname": None}, "surname"),
        ({"first_names": "   "}, "first_names"),
        ({"next_of_kin": ""}, "next_of_kin"),
        ({"place_of_birth": "x" * (MAX_TEXT + 1)}, "place_of_birth"),
        ({"health": "fine"}, "health"),
        ({"language": "russian"}, "language"),
    ],
)
def test_bad_registrations_are_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        check_registration(full(**changes), today=TODAY)
    assert caught.value.field == field


def test_a_capture_before_the_first_contact_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="before the first contact") as caught:
        check_registration(full(), today=TODAY, contacted_on=date(2026, 11, 21))
    assert caught.value.field == "captured_on"


def test_json_uses_the_snake_case_names_iso_dates_and_not_given() -> None:
    doc = registration_to_json(full(rank=NOT_GIVEN))
    assert tuple(doc) == JSON_KEYS
    assert doc["rank"] == "not given"
    assert doc["date_of_birth"] == "1999-03-09"
    assert doc["health"] == "slightly_wounded"
    assert registration_from_json(doc) == full(rank=NOT_GIVEN)


def test_json_of_the_issue_reads_with_optional_fields_left_out() -> None:
    doc = {
        "surname": "Коваленко", "first_names": "not given", "rank": "сержант",
        "date_of_birth": "not given", "service_number": "not given",
        "captured_on": "2026-11-20", "health": "good", "language": "uk",
    }  # fmt: skip
    reg = registration_from_json(doc)
    assert reg.first_names is NOT_GIVEN and reg.date_of_birth is NOT_GIVEN
    assert reg.power is None and reg.prisoner_number is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"nickname": "x"}, "nickname"),
        ({"surname": None}, "surname"),
        ({"captured_on": None}, "captured_on"),
        ({"captured_on": "20.11.2026"}, "captured_on"),
        ({"date_of_birth": "1999-02-30"}, "date_of_birth"),
        ({"health": 3}, "health"),
        ({"health": "fine"}, "health"),
        ({"rank": 7}, "rank"),
        ({"power": ""}, "power"),
    ],
)
def test_bad_json_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    doc = registration_to_json(full())
    doc.update(changes)
    with pytest.raises(InvalidValueError) as caught:
        registration_from_json(doc)
    assert caught.value.field == field


def test_a_missing_required_key_is_named() -> None:
    doc = registration_to_json(full())
    del doc["service_number"]
    with pytest.raises(InvalidValueError, match="not given") as caught:
        registration_from_json(doc)
    assert caught.value.field == "service_number"


# ----------------------------------------------------------------- property

_TEXT = (
    st.text(
        alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")),
        min_size=1,
        max_size=MAX_TEXT,
    )
    .map(str.strip)
    .filter(lambda s: s and s.casefold() != "not given")
)
_DAYS = st.dates(min_value=date(1920, 1, 1), max_value=TODAY)


@st.composite
def registrations(draw: st.DrawFn) -> Registration:
    captured = draw(_DAYS)
    art17 = st.one_of(st.just(NOT_GIVEN), _TEXT)
    optional = st.one_of(st.none(), _TEXT)
    born = draw(
        st.one_of(
            st.just(NOT_GIVEN),
            st.dates(min_value=max(date(1910, 1, 1), date(TODAY.year - 119, 1, 1)),
                     max_value=captured),
        )
    )  # fmt: skip
    return Registration(
        surname=draw(art17),
        first_names=draw(art17),
        rank=draw(art17),
        date_of_birth=born,
        service_number=draw(art17),
        fathers_first_name=draw(optional),
        mothers_maiden_name=draw(optional),
        place_of_birth=draw(optional),
        power=draw(optional),
        next_of_kin=draw(optional),
        captured_on=captured,
        health=draw(st.sampled_from(HealthCategory)),
        language=draw(st.sampled_from(["ru", "uk", "en", "de"])),
        present_address=draw(optional),
        prisoner_number=draw(optional),
    )


@settings(max_examples=200, deadline=None)
@given(reg=registrations())
def test_json_round_trips_every_valid_registration(reg: Registration) -> None:
    assert check_registration(reg, today=TODAY) == reg
    assert registration_from_json(registration_to_json(reg)) == reg
