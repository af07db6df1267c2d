"""Every role sees exactly its fields: every API route x every role x every field, from the
one table (:data:`safeconduct.casework.visibility.FIELD_CLASSES`), and the board's pages
show no value the API refuses.

The scene is one case in every interesting state at once: opened by olga (operator), its
operation made by petro (planner) with a plan asked for, kyrylo (crew) and roman
(reception) assigned, the person arrived and received (a receipt with the name he gave),
and registered by rita (registrar) as a prisoner with distinctive names and numbers, an
event notified, a receipt for the prisoner. Besides the one user per role of the web tests,
ada is an administrator who is also a registrar (the union of both). Runs on SQLite and
PostgreSQL (the ``engine`` fixture's backends).
"""

# ruff: noqa: RUF001 (names as given, in Cyrillic)

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from safeconduct.adapters.files.area_uploads import FolderAreaLibrary
from safeconduct.adapters.store.models import Base
from safeconduct.casework.roles import Role
from safeconduct.casework.visibility import FIELD_CLASSES, KINDS, NESTED, may_read, visible
from safeconduct.services.casework import (
    CONSOLE,
    CaseworkPorts,
    add_user,
    assign_to_case,
    transition_case,
)
from safeconduct.terrain.coords import GeoPoint
from tests.operations.conftest import operation_body
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import PASSWORD, USERS, ClientFor, bearer, sign_in
from tests.web.intake_scene import media_url, meeting_body, new_conversation
from tests.web.test_auth import api_routes

ANON = "(no token)"
#: ada: an administrator also given a content role.
ROLES: dict[str, tuple[Role, ...]] = {name: (Role(role),) for name, role in USERS.items()} | {
    "ada": (Role.ADMIN, Role.REGISTRAR)
}
PEOPLE = (*ROLES, ANON)
#: Whose own the scene's case is: its operator and the teams assigned to it.
OWNERS = {"olga", "kyrylo", "roman"}

# The distinctive personal data of the scene, to look for in pages.
SURNAME, FIRST_NAMES, SERVICE_NUMBER = "Зозуленко", "Мирослав", "ZX-778812"
NEXT_OF_KIN, PLACE_OF_BIRTH = "Ганна Зозуленко-Верес, Полтава", "Гадяч"
NAME_GIVEN, ESCORT = "Остап Ґалаґанчук", "Sgt. Dovbush-Yaremchuk"
HANDLE = "@zozulia_tg_4471"  # the person's contact handle, in the conversation
PRISONER_NUMBER = "PW-000001"

#: What each class of the scene's personal data holds, and who may see it on a page.
IDENTITY_VALUES = (SURNAME, FIRST_NAMES, SERVICE_NUMBER, NEXT_OF_KIN, PLACE_OF_BIRTH)
IDENTITY_VALUES += (PRISONER_NUMBER,)
RECEPTION_VALUES = (NAME_GIVEN, ESCORT)
CONVERSATION_VALUES = (HANDLE,)
PERSONAL_VALUES = (*IDENTITY_VALUES, *RECEPTION_VALUES, *CONVERSATION_VALUES)


def _registration() -> dict[str, Any]:
    return {
        "surname": SURNAME,
        "first_names": FIRST_NAMES,
        "rank": "молодший сержант",
        "date_of_birth": "1991-05-17",
        "service_number": SERVICE_NUMBER,
        "fathers_first_name": "Богдан",
        "place_of_birth": PLACE_OF_BIRTH,
        "next_of_kin": NEXT_OF_KIN,
        "captured_on": date.today().isoformat(),
        "health": "good",
        "language": "uk",
        "present_address": "Camp 7",
    }


def _arrival() -> dict[str, Any]:
    return {
        "at": "2026-11-27T06:40:00+02:00",
        "place": "Reception point North",
        "escorts": [ESCORT],
        "people": 1,
        "health": "slightly_wounded",
        "effects_kept": ["family photo"],
    }


_ITEMS = [{"description": "Banknotes", "amount": "1500", "currency": "RUB"}]


def _message() -> dict[str, str]:
    return {"text": f"Пишите в Telegram {HANDLE}", "direction": "in"}


def _drone() -> dict[str, Any]:
    at = "2026-11-27T06:30:00+02:00"
    return {"kind": "drone", "lat": 48.5, "lon": 35.0, "at": at, "source": "vehicle"}


def _export(case_id: int) -> dict[str, Any]:
    return {"case_id": case_id, "purpose": "ICRC tracing", "password": "x" * 16}


# ----------------------------------------------------------------- the scene


@dataclass
class Scene:
    """The case in every state, and how to make fresh things for the writes."""

    client: TestClient
    ports: CaseworkPorts
    meeting: GeoPoint
    tokens: dict[str, str] = field(default_factory=dict)
    case_id: int = 0
    operation_id: int = 0
    job_id: int = 0
    prisoner_id: int = 0
    receipt: str = ""
    message_id: int = 0
    export_id: str = ""
    uploads: int = 0
    conversation: int = 0

    def headers(self, who: str) -> dict[str, str]:
        return bearer(self.tokens[who]) if who in self.tokens else {}

    def post(self, who: str, url: str, body: Any = None, expect: int = 201) -> Any:
        answer = self.client.post(url, json=body, headers=self.headers(who))
        assert answer.status_code == expect, answer.text
        return answer.json()

    def new_case(self) -> int:
        return int(self.post("olga", "/api/cases", {"language": "uk"})["id"])

    def arrived_case(self) -> int:
        case_id = self.new_case()
        for name in ("schedule", "plan", "launch", "arrive"):
            transition_case(self.ports, case_id, name, actor=CONSOLE)
        assign_to_case(self.ports, case_id, "roman", "reception", actor=CONSOLE)
        return case_id

    def custody_case(self) -> int:
        case_id = self.arrived_case()
        self.post("roman", f"/api/cases/{case_id}/arrival", _arrival())
        return case_id

    def new_operation(self) -> int:
        body = operation_body(self.meeting)
        return int(self.post("petro", f"/api/cases/{self.new_case()}/operation", body)["id"])

    def assigned_case(self) -> int:
        case_id = self.new_case()
        assign_to_case(self.ports, case_id, "kyrylo", "crew", actor=CONSOLE)
        return case_id

    def new_message(self) -> int:
        """A new message with an attachment, by olga on the scene's case."""
        answer = self.client.post(
            f"/api/cases/{self.case_id}/messages",
            data=_message(),
            files={"attachment": ("handle.txt", HANDLE.encode(), "text/plain")},
            headers=self.headers("olga"),
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def new_prisoner(self) -> int:
        body = _registration() | {"surname": "Коваль", "service_number": "not given"}
        return int(self.post("rita", "/api/custody/prisoners", body)["id"])

    def upload(self, headers: dict[str, str]) -> Any:
        """The sample area uploaded under a new name."""
        app = self.client.app
        assert isinstance(app, FastAPI)
        sample = app.state.operations.data_dir / "areas" / "sample"
        files = {
            layer: (name, (sample / name).read_bytes())
            for layer, name in (
                ("dem", "dem.tif"),
                ("hazards", "hazards.geojson"),
                ("observers", "observers.geojson"),
                ("reception", "reception.geojson"),
                ("meeting", "meeting.geojson"),
            )
        }
        self.uploads += 1
        data = {"name": f"policy-{self.uploads}"}
        return self.client.post("/api/areas", data=data, files=files, headers=headers)


def _isolate_areas(client: TestClient) -> None:
    # Uploads go into an areas folder of the test's own, the sample area linked in.
    app = client.app
    assert isinstance(app, FastAPI)
    ops = app.state.operations
    sample = ops.data_dir / "areas" / "sample"
    data = ops.data_dir.parent / "policy-data"
    (data / "areas").mkdir(parents=True)
    (data / "areas" / "sample").symlink_to(sample.resolve())
    app.state.operations = replace(ops, data_dir=data, folders=FolderAreaLibrary())


@pytest.fixture
def scene(
    client: TestClient,
    ports: CaseworkPorts,
    users: dict[str, str],
    meeting: GeoPoint,
    caplog: pytest.LogCaptureFixture,
) -> Scene:
    caplog.set_level(logging.DEBUG)  # every log line of the test, to look for personal data
    add_user(ports, "ada", ["admin", "registrar"], PASSWORD, actor=CONSOLE)
    _isolate_areas(client)
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.event_stream_s = 0  # a stream answered 200 ends at once
    # The person's meeting point: near the area's own one (which the areas page shows).
    s = Scene(client, ports, GeoPoint(meeting.lat + 0.00123, meeting.lon + 0.00077))
    s.tokens = {name: sign_in(client, name) for name in ROLES}
    s.case_id = s.new_case()
    body = operation_body(s.meeting)
    s.operation_id = int(s.post("petro", f"/api/cases/{s.case_id}/operation", body)["id"])
    s.job_id = int(s.post("petro", f"/api/operations/{s.operation_id}/plan", expect=202)["job_id"])
    assign_to_case(ports, s.case_id, "kyrylo", "crew", actor=CONSOLE)
    assign_to_case(ports, s.case_id, "roman", "reception", actor=CONSOLE)
    for name in ("schedule", "plan", "launch", "arrive"):
        transition_case(ports, s.case_id, name, actor=CONSOLE)
    s.post("roman", f"/api/cases/{s.case_id}/arrival", _arrival())
    receipt = {"case_id": s.case_id, "items": _ITEMS, "prisoner_name": NAME_GIVEN}
    s.receipt = str(s.post("roman", "/api/custody/receipts", receipt)["number"])
    registered = s.post("rita", "/api/custody/prisoners", _registration() | {"case_id": s.case_id})
    assert registered["prisoner_number"] == PRISONER_NUMBER
    s.prisoner_id = int(registered["id"])
    event = {"event": "hospital_admission", "occurred_on": date.today().isoformat()}
    s.post("rita", f"/api/custody/prisoners/{s.prisoner_id}/events", event)
    s.post("rita", "/api/custody/receipts", {"prisoner_number": PRISONER_NUMBER, "items": _ITEMS})
    s.message_id = s.new_message()
    s.export_id = str(s.post("olga", "/api/exports", _export(s.case_id))["id"])
    s.conversation = new_conversation(client.app)
    return s


# ----------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Route:
    """How the test calls one API route, and what its answer is.

    Attributes
    ----------
    kind
        The record kind of the JSON answer (a list of them when ``many``), or None when the
        answer is no JSON record (a PDF, a file, an event stream).
    url
        The address on the scene, for reads and for refused writes.
    body
        The JSON body of a write (on the scene's target or a fresh one).
    writers
        Who may make this write (a 2xx); None for a read.
    fresh
        Makes what one write changes and returns its address (each allowed write gets its
        own, so the table's order is free); None: the scene's address serves.
    omitted
        Fields of ``kind`` this answer does not carry at all (for anyone).
    own
        Whether the answer's case is the caller's own: the scene's case (its owners), or
        a fresh one (whoever made it).
    """

    kind: str | None
    url: Callable[[Scene], str]
    body: Callable[[Scene], Any] | None = None
    writers: frozenset[str] | None = None
    fresh: Callable[[Scene], str] | None = None
    many: bool = False
    omitted: frozenset[str] = frozenset()
    own: Callable[[str], bool] = lambda who: who in OWNERS


def _read(kind: str | None, url: Callable[[Scene], str], **more: Any) -> Route:
    return Route(kind, url, **more)


def _write(
    kind: str | None,
    url: Callable[[Scene], str],
    body: Callable[[Scene], Any] | None,
    writers: set[str],
    fresh: Callable[[Scene], str] | None = None,
    **more: Any,
) -> Route:
    return Route(kind, url, body, frozenset(writers), fresh, **more)


_REGISTRARS = {"rita", "ada"}


def _nobody(who: str) -> bool:
    return False


_NO_STATUS = frozenset({"status"})

#: (METHOD, path) -> how the test calls it. Every route of the OpenAPI document is here.
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/api/health"): _read("health", lambda s: "/api/health"),
    ("POST", "/api/auth/token"): _read("token", lambda s: "/api/auth/token"),
    ("POST", "/api/cases"): _write(
        "case",
        lambda s: "/api/cases",
        lambda s: {"language": "uk"},
        {"olga", "oleh"},
        own=lambda who: True,
    ),
    ("GET", "/api/cases"): _read("case_page", lambda s: "/api/cases", own=lambda who: True),
    ("GET", "/api/cases/{case_id}"): _read("case", lambda s: f"/api/cases/{s.case_id}"),
    ("POST", "/api/cases/{case_id}/transitions"): _write(
        "case",
        lambda s: f"/api/cases/{s.new_case()}/transitions",
        lambda s: {"transition": "schedule"},
        {"olga", "petro"},
        fresh=lambda s: f"/api/cases/{s.new_case()}/transitions",
        own=lambda who: who == "olga",
    ),
    ("POST", "/api/cases/{case_id}/operation"): _write(
        "operation",
        lambda s: f"/api/cases/{s.new_case()}/operation",
        lambda s: operation_body(s.meeting),
        {"petro"},
        fresh=lambda s: f"/api/cases/{s.new_case()}/operation",
        own=lambda who: False,
    ),
    ("GET", "/api/cases/{case_id}/operation"): _read(
        "operation", lambda s: f"/api/cases/{s.case_id}/operation"
    ),
    ("GET", "/api/operations/{operation_id}"): _read(
        "operation", lambda s: f"/api/operations/{s.operation_id}"
    ),
    ("POST", "/api/operations/{operation_id}/plan"): _write(
        "job_accepted",
        lambda s: f"/api/operations/{s.new_operation()}/plan",
        None,
        {"petro"},
        fresh=lambda s: f"/api/operations/{s.new_operation()}/plan",
    ),
    ("GET", "/api/jobs/{job_id}"): _read("plan_job", lambda s: f"/api/jobs/{s.job_id}"),
    # No plan ran: no file to anyone (404 to those who read the plan).
    ("GET", "/api/operations/{operation_id}/files/{name}"): _read(
        None, lambda s: f"/api/operations/{s.operation_id}/files/route.geojson"
    ),
    ("GET", "/api/events"): _read(None, lambda s: "/api/events"),
    # Areas and the team belong to no case: nobody reads them as their own.
    ("GET", "/api/areas"): _read("area", lambda s: "/api/areas", many=True, own=_nobody),
    ("GET", "/api/areas/{area}"): _read("area", lambda s: "/api/areas/sample", own=_nobody),
    ("POST", "/api/areas"): _write("area", lambda s: "/api/areas", None, {"petro"}, own=_nobody),
    ("GET", "/api/cases/{case_id}/assignments"): _read(
        "assignment", lambda s: f"/api/cases/{s.case_id}/assignments", many=True
    ),
    ("POST", "/api/cases/{case_id}/assignments"): _write(
        "assignment",
        lambda s: f"/api/cases/{s.new_case()}/assignments",
        lambda s: {"user": "kyrylo", "role": "crew"},
        {"petro"},
        fresh=lambda s: f"/api/cases/{s.new_case()}/assignments",
        many=True,
        own=lambda who: False,
    ),
    ("DELETE", "/api/cases/{case_id}/assignments/{role}/{user}"): _write(
        "assignment",
        lambda s: f"/api/cases/{s.assigned_case()}/assignments/crew/kyrylo",
        None,
        {"petro"},
        fresh=lambda s: f"/api/cases/{s.assigned_case()}/assignments/crew/kyrylo",
        many=True,
        own=lambda who: False,
    ),
    ("GET", "/api/team"): _read("team_member", lambda s: "/api/team", many=True, own=_nobody),
    ("POST", "/api/cases/{case_id}/arrival"): _write(
        "arrival",
        lambda s: f"/api/cases/{s.arrived_case()}/arrival",
        lambda s: _arrival(),
        {"roman"},
        fresh=lambda s: f"/api/cases/{s.arrived_case()}/arrival",
        own=lambda who: who == "roman",
    ),
    ("POST", "/api/custody/receipts"): _write(
        "receipt",
        lambda s: "/api/custody/receipts",
        lambda s: {"case_id": s.custody_case(), "items": _ITEMS, "prisoner_name": NAME_GIVEN},
        {"roman"},
        own=lambda who: who == "roman",
    ),
    ("GET", "/api/custody/receipts/{number}.pdf"): _read(
        None, lambda s: f"/api/custody/receipts/{s.receipt}.pdf"
    ),
    ("POST", "/api/custody/prisoners"): _write(
        "prisoner",
        lambda s: "/api/custody/prisoners",
        lambda s: _registration() | {"case_id": s.custody_case()},
        _REGISTRARS,
        omitted=_NO_STATUS,
    ),
    ("GET", "/api/custody/prisoners"): _read(
        "prisoner", lambda s: "/api/custody/prisoners", many=True, omitted=_NO_STATUS
    ),
    ("GET", "/api/custody/prisoners/{prisoner_id}"): _read(
        "prisoner", lambda s: f"/api/custody/prisoners/{s.prisoner_id}"
    ),
    ("POST", "/api/custody/prisoners/{prisoner_id}/events"): _write(
        "custody_event",
        lambda s: f"/api/custody/prisoners/{s.prisoner_id}/events",
        lambda s: {"event": "transfer", "occurred_on": date.today().isoformat()},
        _REGISTRARS,
        fresh=lambda s: f"/api/custody/prisoners/{s.new_prisoner()}/events",
    ),
    ("GET", "/api/custody/prisoners/{prisoner_id}/card.pdf"): _read(
        None, lambda s: f"/api/custody/prisoners/{s.prisoner_id}/card.pdf"
    ),
    ("POST", "/api/custody/evacuation-lists"): _write(
        None,
        lambda s: "/api/custody/evacuation-lists",
        lambda s: {
            "prisoners": [PRISONER_NUMBER],
            "on": date.today().isoformat(),
            "from_place": "Reception point North",
            "to_place": "Camp 3",
            "escort": "Lt. Savchuk",
        },
        _REGISTRARS,
    ),
    ("GET", "/api/custody/nib/notifications.json"): _read(
        "nib_notification", lambda s: "/api/custody/nib/notifications.json", many=True
    ),
    ("GET", "/api/custody/nib/notifications.csv"): _read(
        None, lambda s: "/api/custody/nib/notifications.csv"
    ),
    # The conversation: its operator's alone.
    ("GET", "/api/cases/{case_id}/messages"): _read(
        "message", lambda s: f"/api/cases/{s.case_id}/messages", many=True
    ),
    ("POST", "/api/cases/{case_id}/messages"): _write(
        "message", lambda s: f"/api/cases/{s.case_id}/messages", lambda s: _message(), {"olga"}
    ),
    ("GET", "/api/cases/{case_id}/messages/{message_id}/attachment"): _read(
        None, lambda s: f"/api/cases/{s.case_id}/messages/{s.message_id}/attachment"
    ),
    ("DELETE", "/api/cases/{case_id}/messages/{message_id}/attachment"): _write(
        "message",
        lambda s: f"/api/cases/{s.case_id}/messages/{s.new_message()}/attachment",
        None,
        {"olga"},
        fresh=lambda s: f"/api/cases/{s.case_id}/messages/{s.new_message()}/attachment",
    ),
    ("DELETE", "/api/cases/{case_id}/messages/{message_id}"): _write(
        None,
        lambda s: f"/api/cases/{s.case_id}/messages/{s.new_message()}",
        None,
        {"olga"},
        fresh=lambda s: f"/api/cases/{s.case_id}/messages/{s.new_message()}",
    ),
    # Intake: the operators' inbox; a conversation is its operator's (olga took it over).
    ("GET", "/api/intake/inbox"): _read(
        "intake_entry", lambda s: "/api/intake/inbox", many=True, own=lambda who: True
    ),
    ("GET", "/api/intake/conversations/{case_id}"): _read(
        "intake_conversation",
        lambda s: f"/api/intake/conversations/{s.conversation}",
        own=lambda who: who == "olga",
    ),
    ("POST", "/api/intake/conversations/{case_id}/takeover"): _write(
        "intake_entry",
        lambda s: (
            f"/api/intake/conversations/{new_conversation(s.client.app, take=False)}/takeover"
        ),
        None,
        {"olga", "oleh"},
        fresh=lambda s: (
            f"/api/intake/conversations/{new_conversation(s.client.app, take=False)}/takeover"
        ),
        own=lambda who: True,
    ),
    ("POST", "/api/intake/conversations/{case_id}/replies"): _write(
        "intake_outgoing",
        lambda s: f"/api/intake/conversations/{s.conversation}/replies",
        lambda s: {"text": "Здравствуйте, я оператор."},
        {"olga"},
        own=lambda who: who == "olga",
    ),
    ("POST", "/api/intake/conversations/{case_id}/meeting"): _write(
        "intake_outgoing",
        lambda s: f"/api/intake/conversations/{s.conversation}/meeting",
        lambda s: meeting_body(),
        {"olga"},
        own=lambda who: who == "olga",
    ),
    ("POST", "/api/intake/conversations/{case_id}/media/{media_id}/keep"): _write(
        "message",
        lambda s: media_url(s.client.app, "keep"),
        None,
        {"olga"},
        fresh=lambda s: media_url(s.client.app, "keep"),
        own=lambda who: who == "olga",
    ),
    ("POST", "/api/intake/conversations/{case_id}/media/{media_id}/discard"): _write(
        "intake_media",
        lambda s: media_url(s.client.app, "discard"),
        None,
        {"olga"},
        fresh=lambda s: media_url(s.client.app, "discard"),
        own=lambda who: who == "olga",
    ),
    # Exports of the case: whoever reads its conversation or reception data; the archive
    # only for its maker.
    ("POST", "/api/exports"): _write(
        "export",
        lambda s: "/api/exports",
        lambda s: _export(s.case_id),
        {"olga", "roman", "rita", "ada"},
    ),
    ("GET", "/api/exports/{export_id}.zip"): _read(
        None, lambda s: f"/api/exports/{s.export_id}.zip"
    ),
    # The live map of a leading: planners read it, the case's crew writes it, its
    # reception team reads it; nobody else.
    ("POST", "/api/operations/{operation_id}/live/positions"): _write(
        "live_map",
        lambda s: f"/api/operations/{s.operation_id}/live/positions",
        lambda s: {"positions": [_drone()], "status": "leading"},
        {"kyrylo"},
    ),
    ("GET", "/api/operations/{operation_id}/live"): _read(
        "live_map", lambda s: f"/api/operations/{s.operation_id}/live"
    ),
    ("POST", "/api/operations/{operation_id}/live/taps"): _write(
        "live_tap",
        lambda s: f"/api/operations/{s.operation_id}/live/taps",
        lambda s: {"lat": s.meeting.lat, "lon": s.meeting.lon},
        {"kyrylo"},
    ),
    ("POST", "/api/operations/{operation_id}/live/engage"): _write(
        "live_map", lambda s: f"/api/operations/{s.operation_id}/live/engage", None, {"kyrylo"}
    ),
    ("POST", "/api/operations/{operation_id}/live/disengage"): _write(
        "live_map", lambda s: f"/api/operations/{s.operation_id}/live/disengage", None, {"kyrylo"}
    ),
    ("GET", "/api/operations/{operation_id}/live/events"): _read(
        None, lambda s: f"/api/operations/{s.operation_id}/live/events"
    ),
}


# ----------------------------------------------------------------- checking


def _all_fields(kind: str) -> set[str]:
    return {name for k, name in FIELD_CLASSES if k == kind}


def _expected(kind: str, who: str, own: bool, omitted: frozenset[str] = frozenset()) -> set[str]:
    roles = ROLES.get(who, ())
    return {f for f in _all_fields(kind) - omitted if may_read(kind, f, roles, own=own)}


def _check_record(
    kind: str, record: Any, who: str, own: bool, omitted: frozenset[str], where: str
) -> list[str]:
    """What is wrong with ``record`` as ``who`` gets it: a field missing or one too many."""
    if not isinstance(record, dict):
        return [f"{where}: not a JSON object: {record!r:.80}"]
    expected = _expected(kind, who, own, omitted)
    got = set(record)
    wrong = []
    if got - expected:
        wrong.append(f"{where}: {who} got refused fields {sorted(got - expected)}")
    if expected - got:
        wrong.append(f"{where}: {who} lacks fields {sorted(expected - got)}")
    for name in got & expected:
        inner = NESTED.get((kind, name))
        value = record[name]
        items = value if isinstance(value, list) else [value]
        for item in items if inner is not None else []:
            if isinstance(item, dict):
                wrong += _check_record(inner, item, who, own, frozenset(), f"{where}.{name}")
    return wrong


def _check_answer(route: Route, who: str, payload: Any, where: str) -> list[str]:
    assert route.kind is not None
    own = route.own(who)
    if route.kind == "nib_notification" or route.many:
        if not isinstance(payload, list):
            return [f"{where}: {who} got no list: {payload!r:.80}"]
        wrong = []
        for record in payload:
            wrong += _check_record(route.kind, record, who, own, route.omitted, where)
        return wrong
    return _check_record(route.kind, payload, who, own, route.omitted, where)


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the store but the audit trail and the sign-in records."""
    skip = {"audit_entries", "api_tokens", "users", "user_roles"}
    with engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(sa.select(table))), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name not in skip
        }


def _call(scene: Scene, method: str, path: str, who: str, url: str, body: Any = None) -> Any:
    headers = scene.headers(who)
    client = scene.client
    if path == "/api/auth/token":
        name, password = (who, PASSWORD) if who in ROLES else ("olga", "not the password")
        return client.post(url, data={"username": name, "password": password})
    if path == "/api/areas" and method == "POST":
        return scene.upload(headers)
    if path.endswith("/messages") and method == "POST":  # a form, as from a chat window
        return client.post(url, data=body, headers=headers)
    return client.request(method, url, json=body, headers=headers)


def test_the_table_covers_every_route(client: TestClient) -> None:
    found = set(api_routes(client))
    assert found - set(ROUTES) == set(), "new routes: add them to ROUTES (and their fields)"
    assert set(ROUTES) - found == set(), "routes gone: take them out of ROUTES"
    kinds = {r.kind for r in ROUTES.values() if r.kind is not None}
    assert kinds <= KINDS


def test_every_route_every_role_every_field(
    scene: Scene, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    assert set(api_routes(scene.client)) == set(ROUTES), "every route needs a row in ROUTES"
    wrong: list[str] = []
    for (method, path), route in ROUTES.items():
        where = f"{method} {path}"
        if route.writers is None or path == "/api/auth/token":
            for who in PEOPLE:
                answer = _call(scene, method, path, who, route.url(scene))
                if answer.status_code != 200:
                    if answer.status_code not in ((401,) if who == ANON else (403, 404)):
                        wrong.append(f"{where} as {who}: {answer.status_code} {answer.text}")
                    continue
                if route.kind is None:
                    continue
                if not _expected(route.kind, who, route.own(who), route.omitted):
                    wrong.append(f"{where}: {who} may read no field yet got 200")
                wrong += _check_answer(route, who, answer.json(), where)
            continue
        # A write: refused to everyone but its writers, with nothing changed...
        url = route.url(scene)
        body = route.body(scene) if route.body is not None else None
        before = _snapshot(engine)
        for who in PEOPLE:
            if who in route.writers:
                continue
            answer = _call(scene, method, path, who, url, body)
            expected = 401 if who == ANON else 403
            if answer.status_code != expected:
                wrong.append(f"{where} as {who}: {answer.status_code}, expected {expected}")
        if _snapshot(engine) != before:
            wrong.append(f"{where}: a refused write changed the store")
        # ...and made by each writer, who gets the fields their roles read.
        for who in sorted(route.writers):
            target = route.fresh(scene) if route.fresh is not None else url
            fresh_body = route.body(scene) if route.body is not None else None
            answer = _call(scene, method, path, who, target, fresh_body)
            if not 200 <= answer.status_code < 300:
                wrong.append(f"{where} as {who}: {answer.status_code} {answer.text}")
            elif route.kind is not None:
                wrong += _check_answer(route, who, answer.json(), where)
    assert not wrong, "\n".join(wrong)
    # Our logs never print personal data (uvicorn's access log prints addresses: below).
    assert caplog.records, "nothing was logged: the check below would be empty"
    logged = caplog.text
    assert [v for v in PERSONAL_VALUES if v in logged] == []


def test_the_table_says_what_issue_13_says() -> None:
    """Spot checks of the table against the issue's words, so that a change of the table
    that breaks them is noticed (the test above only checks that answers follow it)."""

    def fields(kind: str, *roles: Role, own: bool = True) -> set[str]:
        return set(visible(kind, dict.fromkeys(_all_fields(kind)), roles, own=own))

    o, p, c, rc, rg, au, ad = Role
    # The crew: the operation's geometry, times and the case code; never a name.
    assert {"meeting_lat", "meeting_lon", "window_start", "window_end"} <= fields("operation", c)
    assert "case_code" in fields("case", c)
    assert fields("receipt", c) == fields("prisoner", c) == set()
    assert fields("arrival", c) == {"case_id", "status"}  # the case's, not the arrival's
    # The operator: the case code, nothing of reception or registration; only their own
    # case's meeting.
    assert "case_code" in fields("case", o)
    assert fields("prisoner", o) == fields("receipt", o) == fields("custody_event", o) == set()
    assert "meeting_lat" not in fields("operation", o, own=False)
    # Reception: what arrival needs (and the name the person gives on a receipt), never
    # the registration or a prisoner number.
    assert {"at", "place", "escorts", "health"} <= fields("arrival", rc)
    assert "prisoner_name" in fields("receipt", rc)
    assert "prisoner_number" not in fields("receipt", rc) and fields("prisoner", rc) == set()
    # The registrar: the registration.
    assert fields("prisoner", rg) == _all_fields("prisoner")
    # The auditor and the administrator: no personal content...
    for role in (au, ad):
        # (Public answers, and an export's description to its maker, whom the use case
        # alone decides, are no content.)
        for kind in KINDS - {"health", "token", "problem", "export"}:
            assert fields(kind, role) == set(), (role, kind)
    # ...unless also given a content role: the union.
    assert fields("prisoner", ad, rg) == _all_fields("prisoner")
    assert fields("case", p) == _all_fields("case")


# ----------------------------------------------------------------- the pages

#: Board pages (GET) -> the address on the scene. Every GET route under /board is here.
PAGES: dict[str, Callable[[Scene], str]] = {
    "/board": lambda s: "/board",
    "/board/rows": lambda s: "/board/rows",
    "/board/rows/{case_id}": lambda s: f"/board/rows/{s.case_id}",
    "/board/cases/new": lambda s: "/board/cases/new",
    "/board/cases/{case_id}": lambda s: f"/board/cases/{s.case_id}",
    "/board/cases/{case_id}/panel": lambda s: f"/board/cases/{s.case_id}/panel",
    "/board/cases/{case_id}/operation": lambda s: f"/board/cases/{s.case_id}/operation",
    "/board/cases/{case_id}/operation/form": lambda s: f"/board/cases/{s.case_id}/operation/form",
    "/board/cases/{case_id}/reception": lambda s: f"/board/cases/{s.case_id}/reception",
    "/board/receipts/{number}.pdf": lambda s: f"/board/receipts/{s.receipt}.pdf",
    "/board/prisoners/new": lambda s: f"/board/prisoners/new?case_id={s.case_id}",
    "/board/prisoners": lambda s: "/board/prisoners",
    "/board/prisoners/{prisoner_id}": lambda s: f"/board/prisoners/{s.prisoner_id}",
    "/board/prisoners/{prisoner_id}/card.pdf": lambda s: (
        f"/board/prisoners/{s.prisoner_id}/card.pdf"
    ),
    "/board/nib/notifications.{suffix}": lambda s: "/board/nib/notifications.json",
    "/board/areas": lambda s: "/board/areas",
    "/board/exports/new": lambda s: f"/board/exports/new?case_id={s.case_id}",
    "/board/intake": lambda s: "/board/intake",
    "/board/intake/{case_id}": lambda s: f"/board/intake/{s.conversation}",
    "/board/exports/{export_id}.zip": lambda s: f"/board/exports/{s.export_id}.zip",
    "/board/operations/{operation_id}/hillshade.png": lambda s: (
        f"/board/operations/{s.operation_id}/hillshade.png"
    ),
    "/board/operations/{operation_id}/exposure.png": lambda s: (
        f"/board/operations/{s.operation_id}/exposure.png"
    ),
    "/board/operations/{operation_id}/files/{name}": lambda s: (
        f"/board/operations/{s.operation_id}/files/route.geojson"
    ),
}


def _get_paths(routes: list[Any], prefix: str = "") -> set[str]:
    """Every GET path of ``routes``, into included routers (FastAPI includes them lazily)."""
    found: set[str] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found |= _get_paths(inner.routes, prefix + route.include_context.prefix)
        elif "GET" in (getattr(route, "methods", None) or ()):
            found.add(prefix + route.path)
    return found


def _page_routes(app: FastAPI) -> set[str]:
    return {
        path.replace("{name:path}", "{name}")
        for path in _get_paths(app.routes)
        if path.startswith("/board")
    }


#: Where a page puts an address: links, forms, scripts, htmx requests, redirects.
_ADDRESS = re.compile(r'(?:href|action|src|hx-get|hx-post|data-[a-z-]+)="([^"]*)"')


def _refused_values(who: str, meeting: GeoPoint | None = None) -> tuple[str, ...]:
    roles = ROLES[who]
    refused: tuple[str, ...] = ()
    if meeting is not None and not may_read("operation", "meeting_lat", roles, own=who in OWNERS):
        refused += (f"{meeting.lat:.5f}", str(meeting.lat))
    if not may_read("prisoner", "surname", roles, own=who in OWNERS):
        refused += IDENTITY_VALUES
    if not may_read("receipt", "prisoner_name", roles, own=who in OWNERS):
        refused += RECEPTION_VALUES
    if not may_read("message", "text", roles, own=who in OWNERS):
        refused += CONVERSATION_VALUES
    return refused


_LINK = re.compile(r'href="(/board[^"#]*)')


def _refused_links(browser: TestClient, who: str, urls: list[str]) -> list[str]:
    """Links the pages that answer ``who`` offer to a page that refuses them."""
    linked: dict[str, str] = {}
    for url in urls:
        answer = browser.get(url, follow_redirects=False)
        if answer.status_code == 200 and answer.headers["content-type"].startswith("text/html"):
            for target in _LINK.findall(answer.text):
                linked.setdefault(target.replace("&amp;", "&"), url)
    wrong = []
    for target, where in sorted(linked.items()):
        status = browser.get(target, follow_redirects=False).status_code
        if status in (401, 403, 404):
            wrong.append(f"{where} links {who} to {target}, which answers {status}")
    return wrong


def test_pages_show_no_value_the_api_refuses(scene: Scene, client_for: ClientFor) -> None:
    app = scene.client.app
    assert isinstance(app, FastAPI)
    assert _page_routes(app) == set(PAGES), "every board page needs a row in PAGES"
    assert _refused_values("rita") == _refused_values("ada") == CONVERSATION_VALUES
    assert _refused_values("roman") == (*IDENTITY_VALUES, *CONVERSATION_VALUES)
    assert _refused_values("olga") == (*IDENTITY_VALUES, *RECEPTION_VALUES)
    wrong = []
    for who in ROLES:
        browser = client_for()
        browser_sign_in(browser, who)
        refused = _refused_values(who, scene.meeting)
        for path, url in PAGES.items():
            answer = browser.get(url(scene), follow_redirects=False)
            shown = answer.content.decode("utf-8", "replace")
            wrong += [f"{path} shows {who} {value!r}" for value in refused if value in shown]
            # No address carries personal data, even for those who may read it: addresses
            # end up in access logs and browser histories.
            addresses = [*_ADDRESS.findall(shown), answer.headers.get("location", "")]
            personal = PERSONAL_VALUES
            wrong += [
                f"{path} gives {who} the address {a!r}"
                for a in addresses
                if any(value in a for value in personal)
            ]
        wrong += _refused_links(browser, who, [url(scene) for url in PAGES.values()])
        if who in OWNERS:  # the case's own teams see where the person is met
            section = browser.get(f"/board/cases/{scene.case_id}/operation").text
            assert f"{scene.meeting.lat:.5f}" in section, who
        if who in _REGISTRARS:  # the prisoner's page and the list show what they may read
            page = browser.get(f"/board/prisoners/{scene.prisoner_id}").text
            assert all(value in page for value in (SURNAME, SERVICE_NUMBER, PRISONER_NUMBER))
            listed = browser.get("/board/prisoners").text
            assert f'href="/board/prisoners/{scene.prisoner_id}"' in listed
    assert not wrong, "\n".join(wrong)


def test_no_route_takes_a_prisoner_number_in_its_address(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    for route in app.routes:
        path = getattr(route, "path", "")
        assert "prisoner_number" not in path and "{number}" not in path.replace(
            "/receipts/{number}", ""
        ), path
