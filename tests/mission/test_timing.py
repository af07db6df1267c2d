"""The planner's clock against the flight of issue 19 and against ArduCopter's own rules.

Issue 19 flew the demo's first sortie on ArduCopter 4.6 (software in the loop): with
ArduPilot's defaults the phases took take-off 30.5 s, transit 282.5 s, note drop 42 s,
acknowledgement 26.5 s, return 321 s, landing 66.2 s, 1637.7 s in all; with the
parameter file's values (45 degree tilt, faster climb, descent and landing) 1528.6 s.
The same sortie is rebuilt here (sample area, its launch point, camera-900g, the first
461.2 m of the route, a timed 300 s wait as that file had) and each phase must be within
3 % of the flown figure.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.adapters.files.drone_profiles import load_profile
from safeconduct.adapters.gis.geotiff import read_dem
from safeconduct.mission.builder import BuildContext, finish, start_first, waypoint_holds
from safeconduct.mission.clearance import DemTerrain
from safeconduct.mission.energy import EnergyModel
from safeconduct.mission.items import Command
from safeconduct.mission.parameters import flight_parameters
from safeconduct.mission.settings import MissionSettings, Release
from safeconduct.mission.timing import (
    ARDUPILOT_DEFAULTS,
    FlightParameters,
    corner_overlap,
    landing_time,
    make_leg,
    scurve,
    takeoff_time,
    tilt_limited_speed,
)
from safeconduct.services.mission import lead_route_from
from safeconduct.terrain.coords import GeoPoint
from tests.mission.mission_helpers import sample_route

CAMERA = load_profile("camera-900g")

#: The flown phases with ArduPilot's defaults (issue 19), seconds.
FLOWN_DEFAULTS = {
    "take off": 30.5,
    "transit": 282.5,
    "drop note": 42.0,
    "acknowledge": 26.5,
    "return": 321.0,
    "land": 66.2,
}
FLOWN_TOTAL_DEFAULTS = 1637.7
FLOWN_TOTAL_PARAMETER_FILE = 1528.6
#: The flown sortie led the first 461.2 m of the route and handed over after 30 s.
LEAD_TO_M = 461.2
HANDOVER_S = 30.0


@lru_cache(maxsize=4)
def _flown_sortie(sample_area: str, flight: FlightParameters | None) -> dict[str, float]:
    area = Path(sample_area)
    feature = json.loads((area / "launch.geojson").read_text())["features"][0]
    lon, lat = feature["geometry"]["coordinates"]
    launch = GeoPoint(lat, lon)
    route = lead_route_from(sample_route(sample_area))
    settings = MissionSettings(timed_acknowledge=True)
    fp = flight or flight_parameters(CAMERA)
    cap = tilt_limited_speed(CAMERA.mass_kg, CAMERA.drag_area_m2, fp.angle_max_deg)
    ctx = BuildContext(
        route,
        launch,
        CAMERA,
        EnergyModel(CAMERA),
        DemTerrain(read_dem(area / "dem.tif"), launch),
        "ardupilot",
        Release(),
        settings,
        waypoint_holds(route, settings),
        fp,
        cap,
    )
    b = start_first(ctx)
    finish(b, 0.0, LEAD_TO_M, HANDOVER_S, last=False)
    phases = {p.name: p.end_s - p.start_s for p in b.phases}
    phases["total"] = b.t
    return phases


def test_each_phase_within_3_percent_of_the_flight_with_ardupilot_defaults(
    sample_area: Path,
) -> None:
    defaults = FlightParameters(speed_ms=CAMERA.cruise_speed_ms)
    planned = _flown_sortie(str(sample_area), defaults)
    for name, flown in FLOWN_DEFAULTS.items():
        assert planned[name] == pytest.approx(flown, rel=0.03), name
    assert planned["total"] == pytest.approx(FLOWN_TOTAL_DEFAULTS, rel=0.03)


def test_total_within_3_percent_of_the_flight_with_the_parameter_file(sample_area: Path) -> None:
    planned = _flown_sortie(str(sample_area), None)
    assert planned["total"] == pytest.approx(FLOWN_TOTAL_PARAMETER_FILE, rel=0.03)
    # ... and the file's values do make the sortie shorter.
    defaults = _flown_sortie(str(sample_area), FlightParameters(speed_ms=CAMERA.cruise_speed_ms))
    assert planned["total"] < defaults["total"] - 60.0


def test_the_tilt_limit_caps_the_cruise_speed() -> None:
    # Issue 19: at the default 30 degrees the 900 g profile flew 10.1 m/s, not 12.
    assert tilt_limited_speed(CAMERA.mass_kg, CAMERA.drag_area_m2, 30.0) == pytest.approx(
        10.1, abs=0.05
    )
    assert tilt_limited_speed(CAMERA.mass_kg, CAMERA.drag_area_m2, 45.0) > CAMERA.cruise_speed_ms


def test_scurve_long_leg_is_distance_over_speed_plus_the_acceleration() -> None:
    fp = ARDUPILOT_DEFAULTS
    curve = scurve(2000.0, 10.0, 2.5, fp.jerk_ms3, fp.snap_ms4)
    # v/a + a/j of jerk-limited acceleration (with the raised-cosine jerk a little more).
    assert 200.0 + 6.5 < curve.duration_s < 200.0 + 7.5
    assert curve.state(curve.duration_s / 2)[1] == pytest.approx(10.0)


@given(st.floats(0.5, 3000.0), st.floats(0.5, 15.0), st.floats(0.5, 5.0))
def test_scurve_reaches_its_end_at_rest_within_the_speed(
    length: float, vel: float, acc: float
) -> None:
    fp = ARDUPILOT_DEFAULTS
    curve = scurve(length, vel, acc, fp.jerk_ms3, fp.snap_ms4)
    assert curve.duration_s >= length / vel
    top = max(curve.state(t * curve.duration_s / 50)[1] for t in range(51))
    assert top <= vel * 1.001
    _, v_end, p_end = curve.state(curve.duration_s - 1e-9)
    assert p_end == pytest.approx(length, rel=1e-3, abs=1e-3)
    assert v_end == pytest.approx(0.0, abs=0.05 * vel + 0.01)


def test_a_straight_corner_blends_and_a_right_angle_nearly_stops() -> None:
    fp = ARDUPILOT_DEFAULTS
    a = make_leg(1000.0, 0.0, 90.0, fp, 10.0)
    straight = corner_overlap(a, make_leg(1000.0, 0.0, 90.0, fp, 10.0), fp)
    down = corner_overlap(a, make_leg(0.0, -50.0, 90.0, fp, 10.0), fp)
    assert straight > 2.5  # the next leg starts long before this one would stop
    assert 0.0 < down < straight


def test_takeoff_and_landing_follow_the_vertical_speeds() -> None:
    slow, fast = ARDUPILOT_DEFAULTS, FlightParameters(speed_up_ms=3.0, speed_down_ms=2.0)
    assert takeoff_time(60.0, slow) > 60.0 / 2.5
    assert takeoff_time(60.0, fast) < takeoff_time(60.0, slow)
    # 5 s over home, 50 m at 1.5 m/s, 10 m at 0.5 m/s, the land detector.
    assert landing_time(60.0, slow) > 5.0 + 50.0 / 1.5 + 10.0 / 0.5
    assert landing_time(60.0, fast) < landing_time(60.0, slow)


def test_loiter_and_delay_times_are_whole_seconds(sample_area: Path) -> None:
    area = Path(sample_area)
    feature = json.loads((area / "launch.geojson").read_text())["features"][0]
    lon, lat = feature["geometry"]["coordinates"]
    launch = GeoPoint(lat, lon)
    route = lead_route_from(sample_route(str(sample_area)))
    settings = MissionSettings(timed_acknowledge=True, signal_wait_s=127.5, after_release_s=2.2)
    fp = flight_parameters(CAMERA)
    ctx = BuildContext(
        route,
        launch,
        CAMERA,
        EnergyModel(CAMERA),
        DemTerrain(read_dem(area / "dem.tif"), launch),
        "ardupilot",
        Release(),
        settings,
        waypoint_holds(route, settings),
        fp,
        math.inf,
    )
    b = start_first(ctx)
    finish(b, 0.0, LEAD_TO_M, 12.25, last=False)
    timed = (Command.NAV_LOITER_TIME, Command.NAV_DELAY, Command.NAV_WAYPOINT)
    for it in b.items:
        if it.command in timed:
            assert it.params[0] == int(it.params[0]), it
    loiters = [it.params[0] for it in b.items if it.command == Command.NAV_LOITER_TIME]
    assert loiters == [128.0, 13.0]  # rounded up: a wait never ends sooner than planned
    assert [it.params[0] for it in b.items if it.command == Command.NAV_DELAY] == [3.0]
