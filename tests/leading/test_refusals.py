"""Refusals that need a vehicle: one line each, and the vehicle left exactly as it was."""

from __future__ import annotations

import socket

import pytest

from safeconduct.adapters.mavlink.simulated_copter import SAFE_LEADING_PARAMS, SimulatedCopter
from safeconduct.entrypoints.cli.app import main
from tests.leading.scenarios import make_area


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    return make_area(tmp_path_factory.mktemp("refusals"))


def _lead(capsys, area, connection: str, *extra: str) -> tuple[int, str]:
    args = ["lead", "--connection", connection, "--route", str(area.route)]
    args += ["--dem", str(area.dem), "--yes", "--timeout", "2", *extra]
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code), capsys.readouterr().err.strip()


def _untouched(sim: SimulatedCopter) -> None:
    """Nothing was sent that changes the vehicle: no target, no fence, mode unchanged."""
    assert sim.targets_received() == []
    assert sim.fence_polygon() == []
    assert [m.mode for m in sim.mode_changes()] == ["GUIDED"]
    assert sim.received_counts().get("SET_MODE", 0) == 0
    assert sim.received_counts().get("PARAM_SET", 0) == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FS_GCS_ENABLE", 0),
        ("FENCE_ENABLE", 0),
        ("BATT_FS_LOW_ACT", 0),
        ("WPNAV_SPEED", 1000),
    ],
)
def test_unsafe_parameter_refused_vehicle_unchanged(capsys, area, name, value):
    lon, lat = area.points[0]
    params = {**SAFE_LEADING_PARAMS, name: value}
    with SimulatedCopter(home=(lat, lon, 150.0), params=params) as sim:
        code, err = _lead(capsys, area, sim.connection)
        _untouched(sim)
        assert sim.params[name] == value
    assert code == 1
    assert err.count("\n") == 0, err
    assert f"{name}={value}" in err and "nothing was changed" in err


def test_altitude_fence_below_the_route_refused(capsys, area):
    """30 m above ground on a route that climbs 3 m needs 33 m above home: a 25 m
    altitude fence would refuse the targets, so leading does not start."""
    lon, lat = area.points[0]
    params = {**SAFE_LEADING_PARAMS, "FENCE_ALT_MAX": 25.0}
    with SimulatedCopter(home=(lat, lon, 150.0), params=params) as sim:
        code, err = _lead(capsys, area, sim.connection, "--height", "30")
        _untouched(sim)
    assert code == 1 and "FENCE_ALT_MAX=25 m is below the 33 m above home" in err


def test_vehicle_on_the_ground_refused(capsys, area):
    lon, lat = area.points[0]
    with SimulatedCopter(home=(lat, lon, 150.0), params=SAFE_LEADING_PARAMS, armed=False) as sim:
        code, err = _lead(capsys, area, sim.connection)
        _untouched(sim)
    assert code == 1 and "not armed" in err and err.count("\n") == 0


def test_vehicle_outside_the_corridor_refused(capsys, area):
    lon, lat = area.points[0]
    far = (lat, lon + 300.0 / 73_000.0, 150.0)  # 300 m east of the route's start
    with SimulatedCopter(home=far, params=SAFE_LEADING_PARAMS) as sim:
        code, err = _lead(capsys, area, sim.connection)
        _untouched(sim)
    assert code == 1 and "outside the 40 m corridor" in err


def test_nobody_answering(capsys, area):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        code, err = _lead(capsys, area, f"udpout:127.0.0.1:{port}")
    assert code in (1, 2)
    assert err.startswith("safeconduct: error: --connection: ") and err.count("\n") == 0


def test_route_off_the_dem_touches_no_vehicle(capsys, area, tmp_path):
    from tests.leading.area import route_points, write_route

    far = write_route(tmp_path / "far.geojson", route_points(((0.0, 5000.0),)))
    lon, lat = area.points[0]
    with SimulatedCopter(home=(lat, lon, 150.0), params=SAFE_LEADING_PARAMS) as sim:
        args = ["lead", "--connection", sim.connection, "--route", str(far)]
        with pytest.raises(SystemExit) as info:
            main([*args, "--dem", str(area.dem), "--yes"])
        err = capsys.readouterr().err.strip()
        assert sim.received_counts() == {}  # not even a heartbeat
    assert info.value.code == 2 and "--route: route position" in err


def test_crew_declines_at_the_terminal(capsys, monkeypatch, area):
    """Without --yes the crew must type 'lead'; anything else leaves the vehicle untouched."""
    import io

    lon, lat = area.points[0]
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    with SimulatedCopter(home=(lat, lon, 150.0), params=SAFE_LEADING_PARAMS) as sim:
        args = ["lead", "--connection", sim.connection, "--route", str(area.route)]
        with pytest.raises(SystemExit) as info:
            main([*args, "--dem", str(area.dem), "--timeout", "2"])
        _untouched(sim)
    out = capsys.readouterr()
    assert "Type 'lead' and Enter to start leading" in out.out
    assert info.value.code == 1 and "did not confirm" in out.err


def test_a_slow_crew_does_not_trip_the_failsafe(capsys, monkeypatch, area):
    """The crew takes longer than FS_GCS_TIMEOUT to answer: the program goes on sending
    heartbeats meanwhile, so the vehicle stays in GUIDED (and gets nothing else)."""
    import time

    class SlowStdin:
        def readline(self) -> str:
            time.sleep(2.5)  # 10 simulated seconds at 4x: twice FS_GCS_TIMEOUT
            return "no\n"

    lon, lat = area.points[0]
    monkeypatch.setattr("sys.stdin", SlowStdin())
    with SimulatedCopter(home=(lat, lon, 150.0), params=SAFE_LEADING_PARAMS, time_scale=4.0) as sim:
        args = ["lead", "--connection", sim.connection, "--route", str(area.route)]
        with pytest.raises(SystemExit):
            main([*args, "--dem", str(area.dem), "--timeout", "2"])
        _untouched(sim)
    assert "did not confirm" in capsys.readouterr().err
