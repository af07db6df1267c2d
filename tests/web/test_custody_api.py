"""The custody API on SQLite and PostgreSQL: the reception team records the arrival and the
receipt, the registrar registers, downloads the documents and records the events; others
are refused; bad values answer 422 naming the field, and nothing is written."""

# ruff: noqa: RUF001 (names as given, in Cyrillic)

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from safeconduct.custody.record import JSON_KEYS
from safeconduct.services.casework import (
    CONSOLE,
    CaseworkPorts,
    assign_to_case,
    get_case,
    open_case,
    transition_case,
)
from tests.web.conftest import bearer, sign_in

TODAY = date.today().isoformat()  # the case was opened today: no capture before
#: Past the latest date anywhere on Earth today (registration allows UTC+14).
TOMORROW = (date.today() + timedelta(days=2)).isoformat()


def arrived_case(ports: CaseworkPorts, reception: str | None = "roman") -> int:
    """A case moved to ``arrived``, with ``reception`` assigned to it."""
    case = open_case(ports, language="ru", actor=CONSOLE)
    for name in ("schedule", "plan", "launch", "arrive"):
        transition_case(ports, case.id, name, actor=CONSOLE)
    if reception:
        assign_to_case(ports, case.id, reception, "reception", actor=CONSOLE)
    return case.id


def arrival_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "at": "2026-11-27T06:40:00+02:00",
        "place": "Reception point North",
        "escorts": ["Sgt. Koval", "Pte. Marchenko"],
        "people": 1,
        "health": "slightly_wounded",
        "medical_priority": True,
        "effects_kept": ["wristwatch", "family photo"],
    }
    return body | changes


def registration_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "surname": "Шевченко",
        "first_names": "Тарас",
        "rank": "рядовой",
        "date_of_birth": "1994-03-09",
        "service_number": "not given",
        "fathers_first_name": "Григорий",
        "captured_on": TODAY,
        "health": "good",
        "language": "ru",
    }
    return body | changes


def _pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)


def test_reception_and_registration_through_the_api(
    client: TestClient, ports: CaseworkPorts, users: dict[str, str]
) -> None:
    roman, rita = bearer(sign_in(client, "roman")), bearer(sign_in(client, "rita"))
    case_id = arrived_case(ports)

    # The registrar reads the reception record but does not write it.
    assert (
        client.post(f"/api/cases/{case_id}/arrival", json=arrival_body(), headers=rita).status_code
        == 403
    )
    answer = client.post(f"/api/cases/{case_id}/arrival", json=arrival_body(), headers=roman)
    assert answer.status_code == 201, answer.text
    assert str(get_case(ports, case_id, actor=CONSOLE).status) == "in_custody"

    items = [
        {"description": "Banknotes", "amount": "1500", "currency": "RUB"},
        {"description": "Gold ring", "amount": "200.00", "currency": "usd"},
    ]
    answer = client.post(
        "/api/custody/receipts", json={"case_id": case_id, "items": items}, headers=roman
    )
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["number"] == "R-000001"
    assert [i["currency"] for i in receipt["items"]] == ["RUB", "USD"]
    pdf = client.get(f"/api/custody/receipts/{receipt['number']}.pdf?lang=en", headers=roman)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert "1500" in _pdf_text(pdf.content)

    # Only registrars register; the answer carries the number and never the case.
    body = registration_body(case_id=case_id)
    assert client.post("/api/custody/prisoners", json=body, headers=roman).status_code == 403
    answer = client.post("/api/custody/prisoners", json=body, headers=rita)
    assert answer.status_code == 201, answer.text
    prisoner = answer.json()
    number = prisoner["prisoner_number"]
    assert number == "PW-000001"
    assert prisoner["service_number"] == "not given"
    assert set(prisoner) == {"id", *JSON_KEYS}  # the registration and its id: no case
    prisoner_id = prisoner["id"]
    assert str(get_case(ports, case_id, actor=CONSOLE).status) == "registered"

    # Without a case, too.
    answer = client.post(
        "/api/custody/prisoners", json=registration_body(surname="Коваль"), headers=rita
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["prisoner_number"] == "PW-000002"

    listed = client.get("/api/custody/prisoners", headers=rita)
    assert listed.status_code == 200
    assert [p["prisoner_number"] for p in listed.json()] == ["PW-000001", "PW-000002"]
    assert client.get("/api/custody/prisoners", headers=roman).status_code == 403
    one = client.get(f"/api/custody/prisoners/{prisoner_id}", headers=rita)
    assert one.status_code == 200 and one.json()["surname"] == "Шевченко"

    card = client.get(f"/api/custody/prisoners/{prisoner_id}/card.pdf?lang=uk,en", headers=rita)
    assert card.status_code == 200, card.text
    assert card.headers["content-type"] == "application/pdf"
    assert "no-store" in card.headers["cache-control"]
    text = _pdf_text(card.content)
    assert "Шевченко" in text and "Shevchenko" in text

    answer = client.post(
        f"/api/custody/prisoners/{prisoner_id}/events",
        json={"event": "hospital_admission", "occurred_on": date.today().isoformat(),
              "place": "Field hospital 2"},
        headers=rita,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text

    evacuation = client.post(
        "/api/custody/evacuation-lists",
        json={"prisoners": ["PW-000001", "PW-000002"], "on": date.today().isoformat(),
              "from_place": "Reception point North", "to_place": "Camp 3",
              "escort": "Lt. Savchuk", "langs": ["ru", "en"]},
        headers=rita,
    )  # fmt: skip
    assert evacuation.status_code == 200, evacuation.text
    assert "PW-000002" in _pdf_text(evacuation.content)

    notifications = client.get("/api/custody/nib/notifications.json", headers=rita)
    assert notifications.status_code == 200, notifications.text
    doc = notifications.json()
    records = doc if isinstance(doc, list) else doc["notifications"]
    assert sorted((r["prisoner_number"], r["event"]) for r in records) == [
        ("PW-000001", "capture"),
        ("PW-000001", "hospital_admission"),
        ("PW-000002", "capture"),
    ]
    table = client.get("/api/custody/nib/notifications.csv", headers=rita)
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert len(rows) == 3 and rows[0]["surname_latin"]
    for leaked in (str(case_id), "drone", "surrender", "hotline"):
        assert f'"{leaked}"' not in notifications.text


def test_bad_values_answer_422_naming_the_field_and_write_nothing(
    client: TestClient, ports: CaseworkPorts, users: dict[str, str]
) -> None:
    roman, rita = bearer(sign_in(client, "roman")), bearer(sign_in(client, "rita"))
    case_id = arrived_case(ports)

    for body, field in [
        (arrival_body(health="fine"), "health"),
        (arrival_body(at="2026-11-27T06:40:00"), "at"),  # no time zone
        (arrival_body(people=0), "people"),
        (arrival_body(escorts=[]), "escorts"),
    ]:
        answer = client.post(f"/api/cases/{case_id}/arrival", json=body, headers=roman)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["field"] == field, answer.text
    assert str(get_case(ports, case_id, actor=CONSOLE).status) == "arrived"

    no_amount = {"case_id": case_id, "items": [{"description": "Banknotes", "amount": "",
                                                "currency": "RUB"}]}  # fmt: skip
    answer = client.post("/api/custody/receipts", json=no_amount, headers=roman)
    assert answer.status_code == 422 and answer.json()["field"] == "items", answer.text

    for body, field in [
        (registration_body(date_of_birth=TOMORROW), "date_of_birth"),
        (registration_body(captured_on=TOMORROW), "captured_on"),
        (registration_body(health="fine"), "health"),
        (registration_body(surname=""), "surname"),
        (registration_body(surname="Ш" * 201), "surname"),
    ]:
        answer = client.post("/api/custody/prisoners", json=body, headers=rita)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["field"] == field, answer.text
    assert client.get("/api/custody/prisoners", headers=rita).json() == []
    nothing = client.get("/api/custody/nib/notifications.json", headers=rita)
    assert nothing.status_code == 422 and "nothing to notify" in nothing.json()["detail"]

    answer = client.post("/api/custody/prisoners", json=registration_body(), headers=rita)
    number, prisoner_id = answer.json()["prisoner_number"], answer.json()["id"]
    assert number == "PW-000001"  # the refused ones took no number
    bad_lang = client.get(f"/api/custody/prisoners/{prisoner_id}/card.pdf?lang=xx", headers=rita)
    assert bad_lang.status_code == 422 and bad_lang.json()["field"] == "langs", bad_lang.text
    # Addresses take the prisoner's id, never his number.
    by_number = client.get("/api/custody/prisoners/PW-000001", headers=rita)
    assert by_number.status_code == 422 and by_number.json()["field"] == "prisoner_id"
    assert client.get("/api/custody/prisoners/999", headers=rita).status_code == 404
    answer = client.post(
        f"/api/custody/prisoners/{prisoner_id}/events",
        json={"event": "vanished", "occurred_on": date.today().isoformat()},
        headers=rita,
    )
    assert answer.status_code == 422 and answer.json()["field"] == "event"
