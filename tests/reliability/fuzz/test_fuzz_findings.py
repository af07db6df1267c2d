"""Plain regression tests for what the API fuzzing found (each once a 500 or an answer
that broke the OpenAPI document), on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from safeconduct.services.casework import CaseworkPorts
from safeconduct.terrain.coords import GeoPoint
from tests.web.conftest import bearer, sign_in
from tests.web.test_live_api import led_operation

#: Past PostgreSQL's integer and SQLite's 64-bit INTEGER alike.
HUGE = 2**70


def test_bad_ids_bodies_and_forms_are_documented_422s(
    client: TestClient, users: dict[str, str]
) -> None:
    """Once: (1) an id too large for the database, in a path or a body, a 500 ('Python
    int too large to convert to SQLite INTEGER'; PostgreSQL: out of range); (2) a body
    that is not even text, FastAPI's undocumented 400; (3) the sign-in's 422 documented
    with FastAPI's default shape (a list) but sent as a Problem."""
    petro, roman = bearer(sign_in(client, "petro")), bearer(sign_in(client, "roman"))
    for url in (
        f"/api/operations/{HUGE}",
        f"/api/operations/{HUGE}/files/plan.plan",
        f"/api/cases/{HUGE}",
        f"/api/jobs/{2**31}",
    ):
        answer = client.get(url, headers=petro)
        assert answer.status_code == 422, (url, answer.text)
        assert answer.json()["field"] in ("operation_id", "case_id", "job_id"), answer.text
    body = {
        "case_id": HUGE,
        "items": [{"description": "Banknotes", "amount": "1", "currency": "RUB"}],
    }
    answer = client.post("/api/custody/receipts", json=body, headers=roman)
    assert answer.status_code == 422 and answer.json()["field"] == "case_id", answer.text
    # The largest id that fits is only not found.
    assert client.get(f"/api/cases/{2**31 - 1}", headers=petro).status_code == 404

    # (2)
    answer = client.post(
        "/api/cases",
        content=b"\xff\xfe\x00{",
        headers={**bearer(sign_in(client, "olga")), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert "not valid JSON" in answer.json()["detail"]

    # (3)
    answer = client.post("/api/auth/token", data={"username": "olga"})
    assert answer.status_code == 422 and set(answer.json()) == {"detail", "field"}
    doc = client.get("/openapi.json").json()
    entry = doc["paths"]["/api/auth/token"]["post"]["responses"]["422"]
    assert entry["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")


def test_a_filtered_answer_is_documented_with_every_field_optional(
    client: TestClient, ports: CaseworkPorts, users: dict[str, str], meeting: GeoPoint
) -> None:
    """Once: an operator reading another operator's case's operation got it without the
    meeting point (as the policy says) while the document called the field required."""
    operation = led_operation(client, ports, meeting)
    answer = client.get(f"/api/operations/{operation}", headers=bearer(sign_in(client, "oleh")))
    assert answer.status_code == 200, answer.text
    assert "meeting_lat" not in answer.json() and "area" in answer.json()
    doc = client.get("/openapi.json").json()
    schema = doc["components"]["schemas"]["OperationOutShown"]
    assert "required" not in schema and "meeting_lat" in schema["properties"]


def test_an_export_purpose_with_a_control_character_is_refused(
    client: TestClient, users: dict[str, str]
) -> None:
    """Once on PostgreSQL: a NUL in an export's purpose reached the audit trail's text
    column, which refused it: a 500. Now a 422 naming the field, before anything is read."""
    roman = bearer(sign_in(client, "roman"))
    for purpose in ("transfer\x00", "line\x07bell"):
        body = {"case_id": 1, "purpose": purpose, "password": "a long enough password"}
        answer = client.post("/api/exports", json=body, headers=roman)
        assert answer.status_code == 422 and answer.json()["field"] == "purpose", answer.text


def test_a_lone_surrogate_in_json_text_is_a_422_naming_the_field(
    client: TestClient, users: dict[str, str]
) -> None:
    """Once: valid JSON whose string holds ``\\ud800`` passed every check and failed where
    the text was encoded (sealing, the audit digest, the archive): a 500 on six routes."""
    rita = {**bearer(sign_in(client, "rita")), "Content-Type": "application/json"}
    body = (
        '{"surname": "a\\ud800b", "first_names": "x", "rank": "x", "date_of_birth": '
        '"1990-01-01", "service_number": "x", "captured_on": "2026-01-01", "health": "good", '
        '"language": "ru"}'
    )
    answer = client.post("/api/custody/prisoners", content=body.encode(), headers=rita)
    assert answer.status_code == 422 and answer.json()["field"] == "surname", answer.text
    assert client.get("/api/custody/prisoners", headers=rita).json() == []  # nothing written
    roman = {**bearer(sign_in(client, "roman")), "Content-Type": "application/json"}
    body = '{"case_id": 1, "items": [{"description": "\\udc00", "amount": "1", "currency": "RUB"}]}'
    answer = client.post("/api/custody/receipts", content=body.encode(), headers=roman)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "items.description", answer.text


def test_a_form_that_cannot_be_read_is_a_documented_422(
    client: TestClient, users: dict[str, str]
) -> None:
    """Once (the chained fuzzing): a multipart body the parser could not read (a part with
    no headers, no boundary) got Starlette's 400, which no route documents. Now a 422
    saying the form cannot be read, like malformed JSON; nothing was written."""
    olga = bearer(sign_in(client, "olga"))
    case_id = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()["id"]
    boundary = "7eb9f58558fadd31a00e16dba5e382fd"
    for content_type, body in (
        (f"multipart/form-data; boundary={boundary}", f"--{boundary}\r\n-1.1--{boundary}--\r\n"),
        ("multipart/form-data", "text=hello"),
    ):
        answer = client.post(
            f"/api/cases/{case_id}/messages",
            content=body.encode(),
            headers={**olga, "Content-Type": content_type},
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"].startswith("the request body is not a readable form: ")
    assert client.get(f"/api/cases/{case_id}/messages", headers=olga).json() == []
