"""Each sortie's parameter file: the values its clock assumes, in a form ground stations load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymavlink import mavparm

from safeconduct.adapters.files.drone_profiles import load_profile
from safeconduct.adapters.formats.mission_folder import write_mission_folder
from safeconduct.adapters.formats.param_file import param_file_text, read_param_file
from safeconduct.errors import InvalidValueError
from safeconduct.mission.crew import clearance_lines, preflight_checks, signal_lines
from safeconduct.mission.items import Command
from safeconduct.mission.parameters import flight_parameters, vehicle_parameters
from safeconduct.mission.plan import MissionSettings, Release, plan_sorties
from safeconduct.terrain.coords import GeoPoint
from tests.mission.mission_helpers import ORIGIN, offset, straight_route

NOW = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
CAMERA = load_profile("camera-900g")
LAUNCH = GeoPoint(*reversed(offset(ORIGIN, 270.0, 300.0)))


def _plan(**kw):
    meeting = NOW + timedelta(hours=1)
    return plan_sorties(straight_route(500.0), LAUNCH, CAMERA, meeting_time=meeting, now=NOW, **kw)


def test_every_sortie_writes_the_parameters_its_clock_assumes(tmp_path: Path) -> None:
    plan = _plan()
    written, _ = write_mission_folder(plan, tmp_path / "m")
    assert (tmp_path / "m" / "sortie-1.parm") in written
    values = read_param_file(tmp_path / "m" / "sortie-1.parm")
    fp = flight_parameters(CAMERA)
    assert values["WPNAV_SPEED_UP"] == fp.speed_up_ms * 100
    assert values["WPNAV_SPEED_DN"] == fp.speed_down_ms * 100
    assert values["ANGLE_MAX"] == CAMERA.max_tilt_deg * 100
    assert values["LAND_SPEED"] == 50 and values["LAND_SPEED_HIGH"] == 200
    assert values["WPNAV_SPEED"] == 1200 and values["WPNAV_ACCEL"] == 250
    assert values["WP_YAW_BEHAVIOR"] == 0
    # The gripper the plan releases with: enabled, a servo gripper on output 9.
    assert values["GRIP_ENABLE"] == 1 and values["GRIP_TYPE"] == 1
    assert values["SERVO9_FUNCTION"] == 28
    assert values["GRIP_GRAB"] == 1900 and values["GRIP_RELEASE"] == 1100


def test_pymavlink_loads_the_file_as_mavproxy_does(tmp_path: Path) -> None:
    params = vehicle_parameters("ardupilot", CAMERA, Release.parse("gripper:11"))
    path = tmp_path / "p.parm"
    path.write_text(param_file_text(params, ["a header"]))
    loaded = mavparm.MAVParmDict()
    assert loaded.load(str(path), use_excludes=False)
    assert dict(loaded) == {k: float(v) for k, (v, _) in params.items()}
    assert loaded["SERVO11_FUNCTION"] == 28.0
    # Mission Planner's form: NAME,VALUE; comments only on lines of their own.
    for line in path.read_text().splitlines():
        assert line.startswith("#") or (line.count(",") == 1 and "#" not in line)


def test_a_servo_release_sets_no_gripper_and_grabs_nothing() -> None:
    params = vehicle_parameters("ardupilot", CAMERA, Release.parse("servo:9:1900"))
    assert not any(k.startswith("GRIP_") for k in params)
    items = _plan(release=Release.parse("servo:9:1900")).sorties[0].items
    assert items[0].command == Command.NAV_TAKEOFF


def test_px4_gets_its_own_names() -> None:
    params = vehicle_parameters("px4", CAMERA, Release())
    assert params["MPC_Z_V_AUTO_UP"][0] == 3.0 and params["MPC_TILTMAX_AIR"][0] == 45.0
    assert "ANGLE_MAX" not in params and params["PD_GRIPPER_EN"][0] == 1


@pytest.mark.parametrize("text", ["gripper:0", "gripper:33", "gripper:x"])
def test_bad_gripper_channel_is_refused(text: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        Release.parse(text)
    assert info.value.field == "release"


def test_by_default_the_drone_waits_for_the_crew_and_says_how_to_advance() -> None:
    plan = _plan()
    items = plan.sorties[0].items
    assert items[0].command == Command.DO_GRIPPER and items[0].params[:2] == (1.0, 1.0)
    waits = [it for it in items if it.command == Command.NAV_LOITER_UNLIM]
    assert len(waits) == 1
    text = " ".join(signal_lines(plan))
    assert "until the crew confirms" in text and "Set WP" in text and "Set as current" in text
    assert "300 s" in text  # the wait the clock and the energy allow
    px4 = " ".join(signal_lines(_plan(firmware="px4")))
    assert "PX4" in px4 and "Set as current waypoint" in px4
    checks = " ".join(preflight_checks(plan))
    assert "sortie-N.parm" in checks and "gripper closed" in checks and "advance" in checks
    doc = plan.schedule()
    assert doc["signal"]["acknowledge"] == "confirmed by the crew"
    assert doc["signal"]["wait_allowed_s"] == 300


def test_the_timed_acknowledgement_is_explicit_and_says_so() -> None:
    plan = _plan(settings=MissionSettings(timed_acknowledge=True, signal_wait_s=120.4))
    items = plan.sorties[0].items
    assert not any(it.command == Command.NAV_LOITER_UNLIM for it in items)
    timed = [it for it in items if it.command == Command.NAV_LOITER_TIME]
    assert timed[0].params[0] == 121.0  # whole seconds, rounded up
    text = " ".join(signal_lines(plan))
    assert "WITHOUT anyone confirming the signal" in text
    assert plan.schedule()["signal"]["acknowledge"] == "timed, without confirmation"


def test_the_drop_height_is_stated_apart_from_the_clearance() -> None:
    plan = _plan()
    lines = clearance_lines(plan)
    assert any("8 m above the ground" in line and "deliberately" in line for line in lines)
    assert plan.sorties[0].drop_height_agl_m == 8.0
    assert plan.schedule()["sorties"][0]["drop_height_agl_m"] == 8.0
