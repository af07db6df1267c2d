"""``HttpLiveBoard`` (the ``lead`` command's live map) against the real service, served by
uvicorn on 127.0.0.1 in a thread: its posts reach the map, the crew's engage and taps reach
it, and a refused token or a server gone never raises into the control loop."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from safeconduct import bootstrap
from safeconduct.adapters.service_client.live_board import HttpLiveBoard
from safeconduct.services.casework import CaseworkPorts
from safeconduct.services.ports import LiveBoard, LivePosition
from safeconduct.terrain.coords import GeoPoint
from tests import served as threaded
from tests.web.conftest import ClientFor, bearer, sign_in
from tests.web.test_live_api import led_operation

#: How long a test waits for the background thread to carry a change (generous: a busy
#: machine must not flake; the thread asks every 0.05 s here).
WAIT_S = 10.0


@dataclass
class Served:
    url: str
    client: TestClient
    operation_id: int
    stop: Callable[[], None]

    def token(self, name: str) -> str:
        return sign_in(self.client, name)

    def live(self, who: str = "petro") -> dict[str, object]:
        answer = self.client.get(
            f"/api/operations/{self.operation_id}/live", headers=bearer(self.token(who))
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture
def served(
    client_for: ClientFor, ports: CaseworkPorts, users: dict[str, str], meeting: GeoPoint
) -> Iterator[Served]:
    client = client_for()
    app = client.app
    assert isinstance(app, FastAPI)
    operation_id = led_operation(client, ports, meeting)
    with threaded.served(app) as running:
        yield Served(running.url, client, operation_id, running.stop)


def _wait_for(predicate: Callable[[], object]) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"not within {WAIT_S} s")


def _drone(lat: float = 48.4) -> LivePosition:
    return LivePosition("drone", lat, 35.1, datetime.now(UTC).isoformat(), "vehicle", "lead")


def test_posts_reach_the_map_and_the_crews_actions_reach_the_leader(served: Served) -> None:
    crew = served.token("kyrylo")
    board: LiveBoard
    with HttpLiveBoard(served.url, served.operation_id, crew, poll_s=0.05) as board:
        assert board.engaged() is False and board.crew_taps() == []
        board.publish([_drone()], status="waiting for the person " + "." * 300)
        _wait_for(lambda: served.live()["positions"])
        view = served.live("roman")
        assert str(view["status"]).startswith("waiting for the person ...")  # cut, not refused
        # The crew presses Start leading on the board: the leader hears it.
        url = f"/api/operations/{served.operation_id}/live"
        assert served.client.post(url + "/engage", headers=bearer(crew)).status_code == 200
        _wait_for(board.engaged)
        # A tap reaches the leader once.
        tap = served.client.post(url + "/taps", json={"lat": 48.41, "lon": 35.11},
                                 headers=bearer(crew))  # fmt: skip
        assert tap.status_code == 201
        taps: list[LivePosition] = []
        _wait_for(lambda: taps.extend(board.crew_taps()) or taps)
        [heard] = taps
        assert (heard.kind, heard.source, heard.lat, heard.lon) == (
            "person",
            "crew_tap",
            48.41,
            35.11,
        )
        time.sleep(0.2)  # a few more reads of the same map
        assert board.crew_taps() == []
        # Stop: the leader hears it.
        served.client.post(url + "/disengage", headers=bearer(crew))
        _wait_for(lambda: not board.engaged())
        assert board.problems == 0 and board.answers > 0


def test_a_refused_token_reads_as_not_engaged_and_raises_nothing(served: Served) -> None:
    crew, planner = served.token("kyrylo"), served.token("petro")
    url = f"/api/operations/{served.operation_id}/live"
    served.client.post(url + "/engage", headers=bearer(crew))
    with HttpLiveBoard(served.url, served.operation_id, planner, poll_s=0.05) as board:
        board.publish([_drone()])  # a planner may not post: refused
        _wait_for(lambda: board.problems >= 1)
        assert "403" in board.last_problem
        assert board.engaged() is False and board.crew_taps() == []
    assert served.live()["positions"] == []
    with HttpLiveBoard(served.url, served.operation_id, "not-a-token", poll_s=0.05) as board:
        _wait_for(lambda: board.engaged() is False and board.problems >= 1)
        assert "401" in board.last_problem


def test_a_server_gone_never_raises_and_engaged_lapses_after_the_hold(served: Served) -> None:
    crew = served.token("kyrylo")
    url = f"/api/operations/{served.operation_id}/live"
    served.client.post(url + "/engage", headers=bearer(crew))
    with HttpLiveBoard(served.url, served.operation_id, crew, poll_s=0.05, hold_s=1.0) as board:
        _wait_for(board.engaged)
        served.stop()
        board.publish([_drone()])  # queued; its post fails: counted, not raised
        _wait_for(lambda: board.problems >= 2)
        assert board.crew_taps() == []
        # The last answer holds a while, then the leader reads "not engaged" (it stops).
        _wait_for(lambda: not board.engaged())
        assert board.last_problem


def test_nobody_listening_at_all() -> None:
    url = f"http://127.0.0.1:{threaded.free_port()}"
    with HttpLiveBoard(url, 1, "token", poll_s=0.05) as board:
        board.publish([_drone()], status="leading")
        _wait_for(lambda: board.problems >= 1)
        assert board.engaged() is False and board.crew_taps() == []
        assert "\n" not in board.last_problem


def test_bootstrap_builds_it() -> None:
    board = bootstrap.live_board("http://127.0.0.1:9", 3, "token")
    assert isinstance(board, HttpLiveBoard) and board.operation_id == 3
    board.close()  # never started: nothing to stop
