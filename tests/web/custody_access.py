"""How ``test_access`` calls the custody routes: each call on what it needs, made fresh by
the console (a case that has arrived with roman assigned as its reception team, a case in
custody, a registered prisoner, a receipt), so that every row of the table sees the same
state whoever calls first."""

# ruff: noqa: RUF001 (names as given, in Cyrillic)

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.testclient import TestClient

from safeconduct.services.casework import (
    CONSOLE,
    CaseworkPorts,
    assign_to_case,
    open_case,
    transition_case,
)
from tests.web.conftest import bearer

#: The reception team assigned to every case the calls make.
RECEPTION = "roman"
#: The registrar who makes the prisoners and receipts the calls read.
REGISTRAR = "rita"


class _Scene(Protocol):
    client: TestClient
    tokens: dict[str, str]


def _ports(scene: _Scene) -> CaseworkPorts:
    app = scene.client.app
    assert isinstance(app, FastAPI)
    ports: CaseworkPorts = app.state.ports
    return ports


def arrived_case(scene: _Scene) -> int:
    """A new case that has arrived, with the reception team assigned."""
    ports = _ports(scene)
    case = open_case(ports, language="ru", actor=CONSOLE)
    for name in ("schedule", "plan", "launch", "arrive"):
        transition_case(ports, case.id, name, actor=CONSOLE)
    assign_to_case(ports, case.id, RECEPTION, "reception", actor=CONSOLE)
    return case.id


def arrival() -> dict[str, Any]:
    return {
        "at": "2026-11-27T06:40:00+02:00",
        "place": "Reception point North",
        "escorts": ["Sgt. Koval"],
        "people": 1,
        "health": "good",
    }


def registration(**changes: Any) -> dict[str, Any]:
    return {
        "surname": "Шевченко",
        "first_names": "Тарас",
        "rank": "рядовой",
        "date_of_birth": "1994-03-09",
        "service_number": "not given",
        "captured_on": date.today().isoformat(),
        "health": "good",
        "language": "ru",
    } | changes


def _post(scene: _Scene, who: str, url: str, body: dict[str, Any]) -> Any:
    answer = scene.client.post(url, json=body, headers=bearer(scene.tokens[who]))
    assert answer.status_code == 201, answer.text
    return answer.json()


def custody_case(scene: _Scene) -> int:
    """A new case in custody: its reception team recorded the arrival."""
    case_id = arrived_case(scene)
    _post(scene, RECEPTION, f"/api/cases/{case_id}/arrival", arrival())
    return case_id


def prisoner(scene: _Scene) -> tuple[int, str]:
    """A new prisoner, registered without a case: his id and his prisoner number."""
    found = _post(scene, REGISTRAR, "/api/custody/prisoners", registration())
    return int(found["id"]), str(found["prisoner_number"])


def receipt(scene: _Scene) -> str:
    """A new receipt, for the person of a case in custody (by its reception team)."""
    body = {"case_id": custody_case(scene), "items": [_ITEM]}
    return str(_post(scene, RECEPTION, "/api/custody/receipts", body)["number"])


_ITEM = {"description": "Banknotes", "amount": "1500", "currency": "RUB"}


def custody_call(scene: _Scene, method: str, path: str, who: str) -> int | None:
    """The status of one call to a custody route as ``who``; None for other routes."""
    if not (path.startswith("/api/custody/") or path == "/api/cases/{case_id}/arrival"):
        return None
    token = scene.tokens.get(who)
    headers = bearer(token) if token else {}
    client = scene.client
    if path == "/api/cases/{case_id}/arrival":
        url = f"/api/cases/{arrived_case(scene)}/arrival"
        return client.post(url, json=arrival(), headers=headers).status_code
    if (method, path) == ("POST", "/api/custody/receipts"):
        body = {"case_id": custody_case(scene), "items": [_ITEM]}
        return client.post("/api/custody/receipts", json=body, headers=headers).status_code
    if path == "/api/custody/receipts/{number}.pdf":
        url = f"/api/custody/receipts/{receipt(scene)}.pdf"
        return client.get(url, headers=headers).status_code
    if (method, path) == ("POST", "/api/custody/prisoners"):
        return client.post(path, json=registration(), headers=headers).status_code
    if (method, path) == ("POST", "/api/custody/evacuation-lists"):
        body = {
            "prisoners": [prisoner(scene)[1]],
            "on": date.today().isoformat(),
            "from_place": "Reception point North",
            "to_place": "Camp 3",
            "escort": "Lt. Savchuk",
        }
        return client.post(path, json=body, headers=headers).status_code
    url = (
        path.replace("{prisoner_id}", str(prisoner(scene)[0])) if "{prisoner_id}" in path else path
    )
    if method == "POST":  # a prisoner's events
        body = {"event": "hospital_admission", "occurred_on": date.today().isoformat()}
        return client.post(url, json=body, headers=headers).status_code
    return client.request(method, url, headers=headers).status_code
