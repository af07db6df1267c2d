"""The fuzzing's world: a service on SQLite and on PostgreSQL with data in every state.

``world`` builds, through the API as the teams would (and through the services where the
API has no door, e.g. a person writing to the bot), a database that holds one user per
role and one with two roles, cases in several states (new, scheduled, in custody,
registered, an intake conversation), an operation with a live map, messages with an
attachment, a receipt, two prisoners with an event, an export; and it remembers their
ids, so the fuzzer can send requests that reach past "404 no such case".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from safeconduct.casework.roles import Role
from safeconduct.entrypoints.web.intake import intake_ports_of
from safeconduct.services import intake
from safeconduct.services.casework import (
    CONSOLE,
    Actor,
    CaseworkPorts,
    add_user,
    assign_to_case,
    transition_case,
)
from safeconduct.terrain.coords import GeoPoint
from tests.operations.conftest import operation_body
from tests.web import conftest as web_conftest
from tests.web.conftest import PASSWORD, USERS, ClientFor, bearer, sign_in

# The web tests' fixtures: the test database on SQLite and PostgreSQL, a client on it.
store = web_conftest.store
engine = web_conftest.engine
ports = web_conftest.ports
client_for = web_conftest.client_for
client = web_conftest.client
users = web_conftest.users
area_root = web_conftest.area_root
meeting = web_conftest.meeting
pipeline = web_conftest.pipeline
_no_database_from_the_environment = web_conftest._no_database_from_the_environment

#: The fuzzed users: one per role (from the web tests), one holding two roles, and a small
#: post's one person who does every step of a case (so that one chain of calls can open a
#: case, move it forward and give it its operation, or register a prisoner and record his
#: events and receipt).
FUZZ_USERS: dict[str, tuple[str, ...]] = {
    **{name: (role,) for name, role in USERS.items()},
    "dual": ("operator", "crew"),
    "outpost": ("operator", "planner", "crew", "reception", "registrar"),
}
_senders = itertools.count(1)


@dataclass
class World:
    """A filled service: its client, a token per user, and the ids of what it holds."""

    client: TestClient
    ports: CaseworkPorts
    engine: Engine
    tokens: dict[str, str]
    #: Path parameter name -> values that exist (a case id, a prisoner id, ...): the sweep
    #: reads each; the fuzzer draws from them half of the time.
    known: dict[str, list[Any]] = field(default_factory=dict)
    #: Case id -> the names of the users it is "own" to at the start (opened or assigned).
    owners: dict[int, set[str]] = field(default_factory=dict)
    #: (method, path) -> a body the service takes there (as the world was built with), for
    #: fields a fuzzer cannot guess: a point inside the area, a registration's dates.
    bodies: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def headers(self, user: str) -> dict[str, str]:
        return bearer(self.tokens[user])


def _ok(answer: Any, status: int = 201) -> Any:
    assert answer.status_code == status, answer.text
    return (
        answer.json()
        if answer.headers.get("content-type", "").startswith("application/json")
        else None
    )


def _conversation(app: Any, *, photo: bool) -> tuple[int, int | None]:
    """A person writes to the bot (a photo, or /start) and olga takes the conversation over:
    its case id and the held photo's id."""
    intake_ports = intake_ports_of(app)
    sender = f"tg-fuzz-{next(_senders)}"
    intake.receive(
        intake_ports,
        intake.IncomingMessage(
            channel="telegram",
            sender=sender,
            message_id="1",
            text="" if photo else "/start",
            kind="photo" if photo else "command",
            media=b"\xff\xd8\xff\xe0" + b"FUZZ" * 8 if photo else None,
            media_type="image/jpeg" if photo else None,
            received_at=datetime.now(UTC),
        ),
    )
    with intake_ports.database.unit_of_work(read_only=True) as uow:
        found = uow.intake.find_open("telegram", sender)
        assert found is not None
        held = uow.intake.media_list(found.case_id) if photo else []
    intake.take_over(intake_ports, found.case_id, Actor(name="olga", roles=(Role.OPERATOR,)))
    return int(found.case_id), (held[0].id if held else None)


@pytest.fixture
def world(
    client_for: ClientFor, ports: CaseworkPorts, engine: Engine, meeting: GeoPoint
) -> Iterator[World]:
    """The service with data in it (see the module's docstring)."""
    client = client_for()
    for name, roles in FUZZ_USERS.items():
        add_user(ports, name, list(roles), PASSWORD, actor=CONSOLE)
    tokens = {name: sign_in(client, name) for name in FUZZ_USERS}
    w = World(client=client, ports=ports, engine=engine, tokens=tokens)
    olga, petro, roman, rita = (w.headers(n) for n in ("olga", "petro", "roman", "rita"))

    # Cases in several states: new (olga's), scheduled with an operation and a live map,
    # in custody with a receipt, registered; the dual user's own case.
    new = _ok(client.post("/api/cases", json={"language": "uk"}, headers=olga))["id"]
    led = _ok(client.post("/api/cases", json={"language": "ru"}, headers=olga))["id"]
    _ok(client.post(f"/api/cases/{led}/transitions", json={"transition": "schedule"},
                    headers=olga), 200)  # fmt: skip
    operation = _ok(
        client.post(f"/api/cases/{led}/operation", json=operation_body(meeting), headers=petro)
    )["id"]
    job = _ok(client.post(f"/api/operations/{operation}/plan", headers=petro), 202)["job_id"]
    for user, role in (("kyrylo", "crew"), ("roman", "reception"), ("dual", "crew")):
        assign_to_case(ports, led, user, role, actor=CONSOLE)
    now = datetime.now(UTC).isoformat()
    position = {"kind": "drone", "lat": meeting.lat, "lon": meeting.lon, "at": now,
                "source": "vehicle", "label": "lead"}  # fmt: skip
    _ok(client.post(f"/api/operations/{operation}/live/positions", json={"positions": [position]},
                    headers=w.headers("kyrylo")), 200)  # fmt: skip
    tap = _ok(client.post(f"/api/operations/{operation}/live/taps",
                          json={"lat": meeting.lat, "lon": meeting.lon},
                          headers=w.headers("kyrylo")))  # fmt: skip

    custody = _ok(client.post("/api/cases", json={"language": "ru"}, headers=olga))["id"]
    for name in ("schedule", "plan", "launch", "arrive"):
        transition_case(ports, custody, name, actor=CONSOLE)
    assign_to_case(ports, custody, "roman", "reception", actor=CONSOLE)
    arrival = {"at": now, "place": "Reception point North", "escorts": ["Sgt. Koval"],
               "people": 1, "health": "slightly_wounded", "medical_priority": True,
               "effects_kept": ["wristwatch"]}  # fmt: skip
    _ok(client.post(f"/api/cases/{custody}/arrival", json=arrival, headers=roman))
    items = [{"description": "Banknotes", "amount": "1500", "currency": "RUB"}]
    receipt = _ok(
        client.post(
            "/api/custody/receipts", json={"case_id": custody, "items": items}, headers=roman
        )
    )
    registration = {"surname": "Shevchenko", "first_names": "Taras", "rank": "private",
                    "date_of_birth": "1994-03-09", "service_number": "not given",
                    "fathers_first_name": "Hryhorii", "captured_on": date.today().isoformat(),
                    "health": "good", "language": "ru"}  # fmt: skip
    prisoner = _ok(client.post("/api/custody/prisoners", json=registration | {"case_id": custody},
                               headers=rita))["id"]  # fmt: skip
    koval = registration | {"surname": "Koval"}
    registered_alone = _ok(client.post("/api/custody/prisoners", json=koval, headers=rita))
    alone = registered_alone["id"]
    event = {"event": "hospital_admission", "occurred_on": date.today().isoformat(),
             "place": "Field hospital 2"}  # fmt: skip
    _ok(client.post(f"/api/custody/prisoners/{prisoner}/events", json=event, headers=rita))
    export = _ok(client.post("/api/exports", json={"case_id": custody, "purpose": "transfer",
                                                   "password": "a long enough password"},
                             headers=roman))["id"]  # fmt: skip

    # A conversation with messages (one with an attachment), and intake conversations.
    said = _ok(client.post(f"/api/cases/{new}/messages", data={"text": "hello", "direction": "in"},
                           headers=olga))["id"]  # fmt: skip
    png = ("photo.png", b"\x89PNG\r\n\x1a\n x", "image/png")
    photo = _ok(client.post(f"/api/cases/{new}/messages", data={"text": "", "direction": "in"},
                            files={"attachment": png}, headers=olga))["id"]  # fmt: skip
    chat, _ = _conversation(client.app, photo=False)
    pictured, media = _conversation(client.app, photo=True)
    dual_case = _ok(client.post("/api/cases", json={"language": "en"}, headers=w.headers("dual")))[
        "id"
    ]

    w.known = {
        # (chat, an intake conversation as pictured is, left out: the same to every role)
        "case_id": [new, led, custody, pictured, dual_case],
        "operation_id": [operation],
        "job_id": [job],
        "prisoner_id": [prisoner, alone],
        "number": [receipt["number"]],
        "message_id": [said, photo],
        "media_id": [media],
        "export_id": [export],
        "area": ["sample"],
        "role": ["crew", "reception"],
        "user": ["kyrylo", "roman", "dual"],
        "name": ["plan.plan", "briefing.pdf"],
        "tap_id": [tap.get("id") if isinstance(tap, dict) else None],
    }
    w.bodies = {
        ("POST", "/api/cases/{case_id}/operation"): operation_body(meeting),
        ("POST", "/api/operations/{operation_id}/live/positions"): {"positions": [position]},
        ("POST", "/api/operations/{operation_id}/live/taps"): {"lat": meeting.lat,
                                                               "lon": meeting.lon},
        ("POST", "/api/cases/{case_id}/arrival"): arrival,
        # A receipt for the prisoner registered alone, and prisoners registered alone: a
        # case's own registration needs it in custody, which a chain reaches seldom.
        ("POST", "/api/custody/receipts"): {"items": items, "case_id": None,
                                            "prisoner_number": registered_alone["prisoner_number"]},
        ("POST", "/api/custody/prisoners"): registration | {"case_id": None},
        ("POST", "/api/custody/prisoners/{prisoner_id}/events"): event,
    }  # fmt: skip
    w.owners = {new: {"olga"}, led: {"olga", "kyrylo", "roman", "dual"},
                custody: {"olga", "roman"}, chat: {"olga"}, pictured: {"olga"},
                dual_case: {"dual"}}  # fmt: skip
    yield w
