"""The live map of a leading through the API: the crew posts positions, taps the person,
engages and stops; planners and the operation's crew and reception team read it, nobody
else; nothing of it reaches the database but the audit of the crew's actions; the event
stream sends the map; two server processes agree (in one process's relay, and on
PostgreSQL through NOTIFY)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from safeconduct.adapters.events.live import InProcessLiveRelay, PostgresLiveRelay
from safeconduct.adapters.store.models import Base
from safeconduct.entrypoints.web.pages.session import SESSION_COOKIE, csrf_for
from safeconduct.services import live as live_service
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user, assign_to_case
from safeconduct.services.ports import LivePosition, LiveUpdate
from safeconduct.terrain.coords import GeoPoint
from tests.operations.conftest import operation_body
from tests.store.conftest import Store
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import PASSWORD, USERS, bearer, sign_in
from tests.web.test_events import parse_events

#: A latitude no other value of the test holds, to look for in the database.
SECRET_LAT = 48.1234567


def _now() -> str:
    return datetime.now(UTC).isoformat()


def drone(lat: float = SECRET_LAT, lon: float = 37.7654321, label: str = "lead") -> dict[str, Any]:
    return {"kind": "drone", "lat": lat, "lon": lon, "at": _now(), "source": "vehicle",
            "label": label}  # fmt: skip


def person(lat: float = 48.1230, lon: float = 37.7650) -> dict[str, Any]:
    return {"kind": "person", "lat": lat, "lon": lon, "at": _now(), "source": "track"}


def led_operation(client: TestClient, ports: CaseworkPorts, meeting: GeoPoint) -> int:
    """An operation whose case has kyrylo (crew) and roman (reception) assigned."""
    olga, petro = sign_in(client, "olga"), sign_in(client, "petro")
    answer = client.post("/api/cases", json={"language": "uk"}, headers=bearer(olga))
    assert answer.status_code == 201, answer.text
    case_id = int(answer.json()["id"])
    answer = client.post(
        f"/api/cases/{case_id}/operation", json=operation_body(meeting), headers=bearer(petro)
    )
    assert answer.status_code == 201, answer.text
    assign_to_case(ports, case_id, "kyrylo", "crew", actor=CONSOLE)
    assign_to_case(ports, case_id, "roman", "reception", actor=CONSOLE)
    return int(answer.json()["id"])


@pytest.fixture
def scene(
    client: TestClient, ports: CaseworkPorts, users: dict[str, str], meeting: GeoPoint
) -> tuple[TestClient, int, dict[str, str]]:
    operation_id = led_operation(client, ports, meeting)
    tokens = {name: sign_in(client, name) for name in USERS}
    return client, operation_id, tokens


def _audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT action FROM audit_entries")).scalars())


def _dump(engine: Engine) -> str:
    with engine.connect() as connection:
        return repr([list(connection.execute(sa.select(t))) for t in Base.metadata.sorted_tables])


def test_the_crew_posts_and_the_right_people_read(
    scene: tuple[TestClient, int, dict[str, str]], engine: Engine
) -> None:
    client, operation_id, tokens = scene
    url = f"/api/operations/{operation_id}/live"
    before = _audit_actions(engine)
    answer = client.post(
        url + "/positions",
        json={"positions": [drone(), person()], "status": "leading, 24 m ahead"},
        headers=bearer(tokens["kyrylo"]),
    )
    assert answer.status_code == 200, answer.text
    assert {p["kind"] for p in answer.json()["positions"]} == {"drone", "person"}
    # Planners, and the operation's own crew and reception team read it; nobody else.
    expected = {"petro": 200, "kyrylo": 200, "roman": 200}
    for who in USERS:
        got = client.get(url, headers=bearer(tokens[who]))
        assert got.status_code == expected.get(who, 403), (who, got.text)
        if got.status_code == 200:
            view = got.json()
            assert view["status"] == "leading, 24 m ahead"
            assert view["engaged"] is False and view["taps"] == []
            [lead] = [p for p in view["positions"] if p["kind"] == "drone"]
            assert (lead["lat"], lead["label"], lead["source"]) == (SECRET_LAT, "lead", "vehicle")
            assert lead["at"].endswith("+00:00")
    assert client.get(url).status_code == 401
    # Only the crew writes; the reception team and planners read only.
    for who in ("petro", "roman", "olga", "rita"):
        refused = client.post(
            url + "/positions", json={"positions": [drone()]}, headers=bearer(tokens[who])
        )
        assert refused.status_code == 403, who
    assert (
        client.get("/api/operations/9999/live", headers=bearer(tokens["petro"])).status_code == 404
    )
    # Telemetry is not audited, and never reaches the database.
    assert _audit_actions(engine) == before
    assert str(SECRET_LAT) not in _dump(engine)


def test_a_crew_of_another_case_is_refused(
    client: TestClient, ports: CaseworkPorts, users: dict[str, str], meeting: GeoPoint
) -> None:
    operation_id = led_operation(client, ports, meeting)
    add_user(ports, "kateryna", "crew", PASSWORD, actor=CONSOLE)
    other = sign_in(client, "kateryna")
    url = f"/api/operations/{operation_id}/live"
    assert client.get(url, headers=bearer(other)).status_code == 403
    for path, body in (("/positions", {"positions": [drone()]}), ("/taps", {"lat": 48, "lon": 37})):
        assert client.post(url + path, json=body, headers=bearer(other)).status_code == 403
    assert client.post(url + "/engage", headers=bearer(other)).status_code == 403


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"positions": [drone(lat=91.0)]}, "lat 91.0 is not between -90 and 90"),
        ({"positions": [drone() | {"lon": -180.5}]}, "lon -180.5"),
        ({"positions": [drone() | {"kind": "tank"}]}, "kind 'tank' is not one of drone, person"),
        ({"positions": [drone() | {"source": "radar"}]}, "source 'radar'"),
        (
            {"positions": [drone() | {"at": "2026-11-27T10:00:00"}]},
            "not an ISO 8601 time with a zone",
        ),
        ({"positions": [drone()] * 9}, "9 positions in one post; send at most 8"),
        ({"positions": [drone() | {"at": "2099-01-01T00:00:00Z"}]}, "ahead of the board's clock"),
        ({"positions": [drone()], "status": "x" * 201}, "status is longer than 200"),
        ({"positions": [drone() | {"label": "y" * 40}]}, "label is longer than 32"),
    ],
)
def test_a_bad_post_is_refused_in_one_line_and_changes_nothing(
    scene: tuple[TestClient, int, dict[str, str]], body: dict[str, Any], words: str
) -> None:
    client, operation_id, tokens = scene
    url = f"/api/operations/{operation_id}/live"
    answer = client.post(url + "/positions", json=body, headers=bearer(tokens["kyrylo"]))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert words in problem["detail"] and "\n" not in problem["detail"]
    assert problem["field"] in ("positions", "status")
    assert client.get(url, headers=bearer(tokens["petro"])).json()["positions"] == []


def test_a_non_finite_coordinate_is_refused(scene: tuple[TestClient, int, dict[str, str]]) -> None:
    client, operation_id, tokens = scene
    at = _now()
    text = (
        '{"positions": [{"kind": "drone", "lat": NaN, "lon": 37.0, "at": "' + at + '", '
        '"source": "vehicle"}]}'
    )
    answer = client.post(
        f"/api/operations/{operation_id}/live/positions",
        content=text,
        headers=bearer(tokens["kyrylo"]) | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text


def test_taps_and_engaging_are_audited_and_shown(
    scene: tuple[TestClient, int, dict[str, str]], engine: Engine
) -> None:
    client, operation_id, tokens = scene
    url = f"/api/operations/{operation_id}/live"
    crew = bearer(tokens["kyrylo"])
    answer = client.post(url + "/taps", json={"lat": 48.1229, "lon": 37.7651}, headers=crew)
    assert answer.status_code == 201, answer.text
    tap = answer.json()
    assert set(tap) == {"id", "lat", "lon", "at"} and tap["lat"] == 48.1229
    assert client.post(url + "/engage", headers=crew).json()["engaged"] is True
    view = client.get(url, headers=bearer(tokens["roman"])).json()
    assert view["engaged"] is True and [t["id"] for t in view["taps"]] == [tap["id"]]
    assert client.post(url + "/disengage", headers=crew).json()["engaged"] is False
    assert client.get(url, headers=bearer(tokens["petro"])).json()["engaged"] is False
    actions = _audit_actions(engine)
    assert [a for a in actions if a.startswith("live.")] == [
        "live.tap", "live.engage", "live.disengage"
    ]  # fmt: skip
    # The trail keeps a digest of the tap, never the place.
    assert "48.1229" not in _dump(engine)
    # Refused taps: a coordinate off the globe, and not the crew.
    assert client.post(url + "/taps", json={"lat": 95, "lon": 0}, headers=crew).status_code == 422
    assert (
        client.post(url + "/taps", json={"lat": 48, "lon": 37}, headers=bearer(tokens["petro"]))
    ).status_code == 403
    assert [a for a in _audit_actions(engine) if a.startswith("live.")] == [
        "live.tap", "live.engage", "live.disengage"
    ]  # fmt: skip


def test_the_board_posts_with_its_cookie_and_csrf_token(
    client: TestClient, ports: CaseworkPorts, users: dict[str, str], meeting: GeoPoint
) -> None:
    operation_id = led_operation(client, ports, meeting)
    browser_sign_in(client, "kyrylo")
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    url = f"/api/operations/{operation_id}/live"
    assert client.get(url).status_code == 200  # a read needs only the cookie
    # A post without the page's CSRF token (another site's page) is refused.
    refused = client.post(url + "/taps", json={"lat": 48.1, "lon": 37.7})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert client.post(url + "/engage", headers={"X-CSRF-Token": "forged"}).status_code == 403
    good = {"X-CSRF-Token": csrf_for(token)}
    assert (
        client.post(url + "/taps", json={"lat": 48.1, "lon": 37.7}, headers=good).status_code == 201
    )
    assert client.post(url + "/engage", headers=good).json()["engaged"] is True


def test_the_event_stream_sends_the_map(scene: tuple[TestClient, int, dict[str, str]]) -> None:
    client, operation_id, tokens = scene
    url = f"/api/operations/{operation_id}/live"
    client.post(url + "/positions", json={"positions": [drone()]}, headers=bearer(tokens["kyrylo"]))
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.event_stream_s = 0  # the stream sends the map once and ends
    answer = client.get(url + "/events", headers=bearer(tokens["roman"]))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    [(_, kind, view)] = parse_events(answer.text)
    assert kind == "live" and view["positions"][0]["lat"] == SECRET_LAT
    assert client.get(url + "/events", headers=bearer(tokens["olga"])).status_code == 403
    assert client.get(url + "/events").status_code == 401


def test_the_stream_follows_changes(scene: tuple[TestClient, int, dict[str, str]]) -> None:
    client, operation_id, tokens = scene
    url = f"/api/operations/{operation_id}/live"
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.event_stream_s = 3.0
    engage = threading.Thread(
        target=lambda: client.post(url + "/engage", headers=bearer(tokens["kyrylo"]))
    )
    text = ""
    with client.stream("GET", url + "/events", headers=bearer(tokens["petro"])) as answer:
        for chunk in answer.iter_text():
            text += chunk
            # The crew engages once the stream has sent the map as it was.
            if "event: live" in text and not engage.is_alive() and engage.ident is None:
                engage.start()
    engage.join()
    engaged = [view["engaged"] for _, kind, view in parse_events(text) if kind == "live"]
    assert engaged[0] is False and engaged[-1] is True


# ----------------------------------------------------------------- several processes


def _wait_for(predicate: Callable[[], object], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"not within {seconds} s")


def _maps(relay: Any) -> live_service.LiveMaps:
    maps = live_service.LiveMaps()
    relay.subscribe(maps.apply)
    return maps


def test_the_maps_agree_and_the_newest_engaged_setting_wins() -> None:
    relay = InProcessLiveRelay()
    first, second = _maps(relay), _maps(relay)
    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    stamp = lambda s: (at + timedelta(seconds=s)).isoformat(timespec="microseconds")  # noqa: E731
    update = LiveUpdate
    on = update("a", 1, "engaged", stamp(1), engaged=True, engaged_at=stamp(1))
    relay.publish(on)
    first.apply(on)  # heard twice (its own, relayed back): applied once
    assert first.view(1, now=at).version == second.view(1, now=at).version == 1
    # A positions update made where the flag was never set does not undo it...
    spot = LivePosition("drone", 48.0, 37.0, stamp(2), "vehicle", "lead")
    relay.publish(update("b", 1, "positions", stamp(2), positions=(spot,)))
    assert first.engaged(1)[0] is second.engaged(1)[0] is True
    # ...a later stop does, an older one heard late does not.
    relay.publish(update("c", 1, "engaged", stamp(5), engaged=False, engaged_at=stamp(5)))
    relay.publish(update("d", 1, "engaged", stamp(3), engaged=True, engaged_at=stamp(3)))
    assert first.engaged(1) == second.engaged(1) == (False, stamp(5))
    assert first.view(1, now=at).positions == (spot,)
    # Stale positions are no longer shown.
    assert first.view(1, now=at + timedelta(seconds=live_service.STALE_S + 3)).positions == ()


def test_two_server_processes_agree_through_postgresql(
    store: Store, engine: Engine, meeting: GeoPoint, client_for: Any
) -> None:
    if store.backend != "postgresql":
        pytest.skip("NOTIFY between processes is PostgreSQL's")
    first, second = client_for(), client_for()
    for client in (first, second):  # two apps: relays and maps of their own
        assert isinstance(client.app, FastAPI)
    ports = first.app.state.ports  # type: ignore[attr-defined]
    for name, role in USERS.items():
        add_user(ports, name, role, PASSWORD, actor=CONSOLE)
    operation_id = led_operation(first, ports, meeting)
    crew, planner = sign_in(first, "kyrylo"), sign_in(second, "petro")
    url = f"/api/operations/{operation_id}/live"
    assert second.get(url, headers=bearer(planner)).json()["positions"] == []  # listens now
    relay = second.app.state.live.relay  # type: ignore[attr-defined]
    assert isinstance(relay, PostgresLiveRelay) and relay.start()
    first.post(url + "/positions", json={"positions": [drone()]}, headers=bearer(crew))
    first.post(url + "/engage", headers=bearer(crew))
    _wait_for(lambda: second.get(url, headers=bearer(planner)).json()["engaged"])
    view = second.get(url, headers=bearer(planner)).json()
    assert view["positions"][0]["lat"] == SECRET_LAT
    for client in (first, second):
        client.app.state.live.relay.close()  # type: ignore[attr-defined]
