"""A full record to render: a Ukrainian prisoner with every field, and the papers about him."""
# Names as the prisoners give them, in Cyrillic.
# ruff: noqa: RUF001

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from safeconduct.custody.effects import Receipt, ReceiptItem
from safeconduct.custody.evacuation import EvacuationEntry, EvacuationList
from safeconduct.custody.health import HealthCategory
from safeconduct.custody.nib import NibEvent, NibNotification
from safeconduct.custody.record import NOT_GIVEN, Registration


def full_registration(**changes: object) -> Registration:
    """Every field given (the Cyrillic kept), as the registrar records it."""
    fields: dict[str, object] = {
        "surname": "Шевченко",
        "first_names": "Тарас Григорович",
        "rank": "Солдат",
        "date_of_birth": date(1994, 3, 9),
        "service_number": "АА-123456",
        "fathers_first_name": "Григорій",
        "mothers_maiden_name": "Бойко",
        "place_of_birth": "Моринці, Черкаська область",
        "power": "Україна",
        "next_of_kin": "Шевченко Катерина, вул. Садова 5, Черкаси",
        "captured_on": date(2025, 3, 14),
        "health": HealthCategory.SLIGHTLY_WOUNDED,
        "language": "uk",
        "present_address": "Табір № 3",
        "prisoner_number": "PW-000042",
    }
    fields.update(changes)
    return Registration(**fields)  # type: ignore[arg-type]


@pytest.fixture
def registration() -> Registration:
    return full_registration()


@pytest.fixture
def declined() -> Registration:
    """A prisoner who gave nothing beyond what Art. 17 requires, and declined even that."""
    return Registration(
        surname=NOT_GIVEN,
        first_names=NOT_GIVEN,
        rank=NOT_GIVEN,
        date_of_birth=NOT_GIVEN,
        service_number=NOT_GIVEN,
        captured_on=date(2025, 3, 14),
        health=HealthCategory.GOOD,
        language="ru",
    )


@pytest.fixture
def receipt() -> Receipt:
    return Receipt(
        number="R-000007",
        items=(
            ReceiptItem("Банкноти", Decimal("1500.00"), "UAH"),
            ReceiptItem("Наручний годинник (оцінка)", Decimal("40"), "EUR"),
            ReceiptItem("Банкноти", Decimal("250.50"), "UAH"),
        ),
        issued_on=date(2025, 3, 14),
        place="Пункт прийому 2",
        language="uk",
        prisoner_name="Шевченко Тарас Григорович",
        prisoner_number="PW-000042",
    )


@pytest.fixture
def evacuation() -> EvacuationList:
    return EvacuationList(
        on=date(2025, 3, 15),
        from_place="Пункт прийому 2",
        to_place="Табір № 3",
        escort="Лейтенант Коваль, 4 особи",
        entries=(
            EvacuationEntry("PW-000042", "Шевченко Тарас", HealthCategory.SLIGHTLY_WOUNDED),
            EvacuationEntry("PW-000043", "Иванов Пётр", HealthCategory.GOOD),
            EvacuationEntry("PW-000044", "John Smith", HealthCategory.SICK),
        ),
    )


@pytest.fixture
def notifications(registration: Registration) -> list[NibNotification]:
    return [
        NibNotification(NibEvent.CAPTURE, date(2025, 3, 14), registration),
        NibNotification(
            NibEvent.HOSPITAL_ADMISSION,
            date(2025, 3, 16),
            registration,
            place="Шпиталь № 1",
            details="Поранення руки",
        ),
    ]
