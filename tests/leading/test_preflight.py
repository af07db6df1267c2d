"""Preflight rules and refusals that need no vehicle: each one line, nothing sent."""

from __future__ import annotations

import pytest

from safeconduct.entrypoints.cli.app import main
from safeconduct.services.leading import check_parameters, connection_host
from tests.leading.area import route_points, write_dem, write_route

SAFE = {
    "FENCE_ENABLE": 1,
    "FENCE_TYPE": 7,
    "FENCE_ACTION": 1,
    "FS_GCS_ENABLE": 1,
    "BATT_FS_LOW_ACT": 2,
    "WPNAV_SPEED": 300,
    "GUID_TIMEOUT": 3,
}


def test_safe_parameters_pass():
    assert check_parameters("ardupilot", SAFE, 5.0) == []


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("FENCE_ENABLE", 0, "FENCE_ENABLE=0"),
        ("FENCE_TYPE", 3, "polygon bit"),
        ("FENCE_ACTION", 0, "FENCE_ACTION=0"),
        ("FS_GCS_ENABLE", 0, "FS_GCS_ENABLE=0"),
        ("BATT_FS_LOW_ACT", 0, "BATT_FS_LOW_ACT=0"),
        ("WPNAV_SPEED", 1000, "WPNAV_SPEED=1000 cm/s is above the 5 m/s cap"),
        ("GUID_TIMEOUT", 10, "GUID_TIMEOUT=10"),
    ],
)
def test_each_unsafe_parameter_named(name, value, needle):
    problems = check_parameters("ardupilot", {**SAFE, name: value}, 5.0)
    assert len(problems) == 1 and needle in problems[0]


def test_unreported_parameter_is_a_problem():
    params = dict(SAFE)
    del params["FS_GCS_ENABLE"]
    assert "FS_GCS_ENABLE was not reported" in check_parameters("ardupilot", params, 5.0)[0]
    del params["GUID_TIMEOUT"]  # optional: older firmware lacks it
    assert len(check_parameters("ardupilot", params, 5.0)) == 1


def test_px4_parameters():
    px4 = {"GF_ACTION": 3, "NAV_DLL_ACT": 2, "COM_LOW_BAT_ACT": 3, "MPC_XY_VEL_MAX": 4}
    assert check_parameters("px4", px4, 5.0) == []
    assert "GF_ACTION=0" in check_parameters("px4", {**px4, "GF_ACTION": 0}, 5.0)[0]


def test_connection_host():
    assert connection_host("udpout:127.0.0.1:14550") == "127.0.0.1"
    assert connection_host("tcp://localhost:5760") == "localhost"
    assert connection_host("/dev/ttyUSB0,57600") is None


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    d = tmp_path_factory.mktemp("lead-area")
    write_dem(d / "dem.tif")
    write_route(d / "route.geojson", route_points())
    # A route 5 km off: outside the 2 km DEM.
    far = route_points(((0.0, 5000.0), (90.0, 200.0)))
    write_route(d / "far.geojson", far)
    return d


def _run(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(["lead", *args])
    err = capsys.readouterr().err.strip()
    return int(info.value.code), err


@pytest.mark.parametrize(
    ("extra", "flag", "needle"),
    [
        (("--connection", "http://10.0.0.5:80"), "--connection", "is not a MAVLink URL"),
        (("--connection", "udpout:10.0.0.5:14550", "--yes"), "--yes", "only for a simulator"),
        (("--connection", "udpout:127.0.0.1:9", "--rate", "20"), "--rate", "from 5 to 10 Hz"),
        (("--connection", "udpout:127.0.0.1:9", "--rate", "nan"), "--rate", "not a number"),
        (("--connection", "udpout:127.0.0.1:9", "--height", "1e308"), "--height", "out of range"),
        (("--connection", "udpout:127.0.0.1:9", "--max-speed", "inf"), "--max-speed", "give"),
        (("--connection", "udpout:127.0.0.1:9", "--height", "100"), "--height", "outside"),
    ],
)
def test_bad_input_refused_before_connecting(capsys, area, extra, flag, needle):
    code, err = _run(
        capsys, "--route", str(area / "route.geojson"), "--dem", str(area / "dem.tif"), *extra
    )
    assert code == 2
    assert err.count("\n") == 0, err
    assert err.startswith(f"safeconduct: error: {flag}: ") and needle in err


def test_route_off_the_dem_refused(capsys, area):
    code, err = _run(
        capsys,
        "--connection", "udpout:127.0.0.1:9", "--yes",
        "--route", str(area / "far.geojson"), "--dem", str(area / "dem.tif"),
    )  # fmt: skip
    assert code == 2
    assert err.count("\n") == 0
    assert "--route: route position" in err and "outside the DEM" in err
