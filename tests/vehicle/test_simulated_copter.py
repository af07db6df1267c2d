"""The simulator follows ArduCopter's rules, checked with a bare pymavlink ground station.

Each test names the ArduPilot behaviour it holds the simulator to (see the module docstring
of :mod:`safeconduct.adapters.mavlink.simulated_copter` for the source files). Times are
simulated seconds; the simulator runs faster than real time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pymavlink.dialects.v20 import ardupilotmega as mavlink2
from shapely.geometry import Point, Polygon

from safeconduct.adapters.mavlink.simulated_copter import (
    COPTER_MODES,
    SAFE_LEADING_PARAMS,
    SimulatedCopter,
    _outside_polygon,
)
from tests.vehicle.gcs import POS_MASK, POSVEL_MASK, VEL_MASK, RawGcs, offset, square_around

HOME = (47.3977, 8.5456, 488.0)
SCALE = 8.0


@pytest.fixture
def sim() -> Iterator[SimulatedCopter]:
    with SimulatedCopter(home=HOME, params=SAFE_LEADING_PARAMS, time_scale=SCALE) as vehicle:
        yield vehicle


@pytest.fixture
def gcs(sim: SimulatedCopter) -> Iterator[RawGcs]:
    link = RawGcs(sim)
    link.beat()
    link.wait_for("HEARTBEAT")
    yield link
    link.close()


def test_heartbeat_says_armed_quadrotor_in_guided(gcs: RawGcs) -> None:
    hb = gcs.wait_for("HEARTBEAT")
    assert hb.type == mavlink2.MAV_TYPE_QUADROTOR
    assert hb.autopilot == mavlink2.MAV_AUTOPILOT_ARDUPILOTMEGA
    assert hb.custom_mode == COPTER_MODES["GUIDED"] == 4
    assert hb.base_mode & mavlink2.MAV_MODE_FLAG_SAFETY_ARMED
    assert hb.base_mode & mavlink2.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    pos = gcs.wait_for("GLOBAL_POSITION_INT")
    assert pos.relative_alt == pytest.approx(20_000, abs=200)
    assert pos.lat == round(HOME[0] * 1e7)
    home = gcs.wait_for("HOME_POSITION")
    assert (home.latitude, home.altitude) == (round(HOME[0] * 1e7), round(HOME[2] * 1000))


def test_posvel_target_flies_and_is_echoed_in_local_ned(gcs: RawGcs, sim: SimulatedCopter) -> None:
    lat, lon = offset(HOME[0], HOME[1], 30.0, 0.0)
    for _ in range(10):
        gcs.target(lat, lon, 25.0, (1.0, 0.0, 0.0))
        gcs.pump(0.2)
    assert sim.targets_received()[-1].outcome == "posvel"
    echo = gcs.wait_for("POSITION_TARGET_LOCAL_NED")
    assert echo.type_mask & 0b111111 == 0  # position and velocity both given
    assert echo.vx == pytest.approx(1.0)
    assert echo.z == pytest.approx(-25.0)
    # ModeGuided::get_wp has no location in the position-velocity sub-mode: no global echo
    assert not any(m.get_type() == "POSITION_TARGET_GLOBAL_INT" for m in gcs.seen)
    state = sim.state()
    assert state.velocity_ned_ms[0] > 0.5
    assert state.alt_rel_m > 20.5


@pytest.mark.parametrize(
    ("mask", "outcome"),
    [
        (POSVEL_MASK, "posvel"),
        (VEL_MASK, "velocity"),
        (POS_MASK, "position"),
        # any one bit of a group ignores the whole group: X_IGNORE alone drops the position
        ((1 << 0) | (0b111 << 6), "velocity"),
        # acceleration only is not simulated, force with acceleration is refused
        (0b111 | (0b111 << 3), "stopped: acceleration-only targets are not simulated"),
        ((1 << 9), "stopped: force is not supported"),
    ],
)
def test_type_mask_is_decoded_as_arducopter_does(
    gcs: RawGcs, sim: SimulatedCopter, mask: int, outcome: str
) -> None:
    lat, lon = offset(HOME[0], HOME[1], 10.0, 0.0)
    gcs.target(lat, lon, 20.0, (0.5, 0.0, 0.0), mask=mask)
    assert sim.wait_until(lambda s: len(s.targets_received()) == 1, 3.0)
    assert sim.targets_received()[0].outcome == outcome


def test_position_only_target_is_echoed_globally(gcs: RawGcs) -> None:
    lat, lon = offset(HOME[0], HOME[1], 5.0, 5.0)
    gcs.target(lat, lon, 22.0, mask=POS_MASK)
    echo = gcs.wait_for("POSITION_TARGET_GLOBAL_INT")
    assert echo.coordinate_frame == mavlink2.MAV_FRAME_GLOBAL
    assert echo.lat_int == pytest.approx(round(lat * 1e7), abs=2)
    assert echo.alt == pytest.approx(HOME[2] + 22.0, abs=0.01)


def test_bad_frame_or_nan_velocity_stops_the_vehicle(gcs: RawGcs, sim: SimulatedCopter) -> None:
    lat, lon = offset(HOME[0], HOME[1], 50.0, 0.0)
    gcs.target(lat, lon, 20.0, (2.0, 0.0, 0.0))
    gcs.pump(2.0)
    gcs.target(lat, lon, 20.0, (float("nan"), 0.0, 0.0))
    gcs.target(lat, lon, 20.0, (1.0, 0.0, 0.0), frame=mavlink2.MAV_FRAME_LOCAL_NED)
    gcs.pump(4.0)
    outcomes = [t.outcome for t in sim.targets_received()]
    assert outcomes[0] == "posvel"
    assert outcomes[1].startswith("stopped: velocity")
    assert outcomes[2].startswith("stopped: frame")
    assert math.hypot(*sim.state().velocity_ned_ms[:2]) < 0.2


def test_targets_are_ignored_outside_guided(gcs: RawGcs, sim: SimulatedCopter) -> None:
    sim.set_mode("LOITER")
    hold = sim.state()
    lat, lon = offset(HOME[0], HOME[1], 40.0, 0.0)
    for _ in range(5):
        gcs.target(lat, lon, 20.0, (2.0, 0.0, 0.0))
        gcs.pump(0.2)
    assert {t.outcome for t in sim.targets_received()} == {"ignored: not GUIDED"}
    hb = gcs.wait_for("HEARTBEAT", where=lambda m: m.custom_mode == COPTER_MODES["LOITER"])
    assert hb.custom_mode == 5
    now = sim.state()
    assert abs(now.lat - hold.lat) * 111_000 < 1.0
    assert sim.mode_changes()[-1].reason == "pilot"


def test_fence_upload_and_targets_outside_it_refused(gcs: RawGcs, sim: SimulatedCopter) -> None:
    fence = square_around(HOME[0], HOME[1], 50.0)
    assert gcs.upload_fence(fence) == mavlink2.MAV_MISSION_ACCEPTED
    got = sim.fence_polygon()
    assert len(got) == 4
    assert got[0] == pytest.approx(fence[0], abs=1e-6)
    inside = offset(HOME[0], HOME[1], 20.0, 0.0)
    outside = offset(HOME[0], HOME[1], 80.0, 0.0)
    gcs.target(*inside, 20.0, (1.0, 0.0, 0.0))
    gcs.target(*outside, 20.0, (1.0, 0.0, 0.0))
    gcs.pump(3.0)
    outcomes = [t.outcome for t in sim.targets_received()]
    assert outcomes == ["posvel", "refused: outside fence"]
    # the vehicle keeps flying to the last accepted target, and stays inside
    assert sim.state().mode == "GUIDED"
    north = (sim.state().lat - HOME[0]) * 111_318.845
    assert 0.0 < north < 50.0


def test_fence_with_too_few_vertices_is_invalid(gcs: RawGcs, sim: SimulatedCopter) -> None:
    fence = square_around(HOME[0], HOME[1], 50.0)[:2]
    assert gcs.upload_fence(fence) == mavlink2.MAV_MISSION_INVALID
    assert sim.fence_polygon() == []


def test_breaching_the_fence_takes_the_fence_action(gcs: RawGcs, sim: SimulatedCopter) -> None:
    assert gcs.upload_fence(square_around(HOME[0], HOME[1], 30.0)) == 0
    # a velocity-only target is not checked against the fence; flying out breaches it
    for _ in range(100):
        gcs.target(0, 0, 0, (3.0, 0.0, 0.0), mask=VEL_MASK)
        gcs.pump(0.25)
        if sim.state().mode == "RTL":
            break
    assert sim.state().mode == "RTL"
    assert sim.mode_changes()[-1].reason == "fence_breach"


def test_velocity_is_zeroed_after_guid_timeout(gcs: RawGcs, sim: SimulatedCopter) -> None:
    # a target at the vehicle moving north at 2.5 m/s: the position target runs ahead with the
    # velocity until GUID_TIMEOUT (3 s) zeroes it, so the vehicle stops about 7.5 m north
    gcs.target(HOME[0], HOME[1], 20.0, (2.5, 0.0, 0.0))
    sent_at = sim.now()
    gcs.pump(1.5)
    assert sim.state().velocity_ned_ms[0] > 1.0
    gcs.pump(9.0)  # heartbeats go on, targets stop
    assert sim.now() - sent_at > 10.0
    state = sim.state()
    assert abs(state.velocity_ned_ms[0]) < 0.2
    north = (state.lat - HOME[0]) * 111_318.845
    assert north == pytest.approx(2.5 * 3.0, abs=1.5)
    assert state.mode == "GUIDED"
    echo = gcs.wait_for("POSITION_TARGET_LOCAL_NED")
    assert echo.vx == 0.0


def test_velocity_only_target_stops_after_guid_timeout(gcs: RawGcs, sim: SimulatedCopter) -> None:
    gcs.target(0, 0, 0, (0.0, 2.0, 0.0), mask=VEL_MASK)
    gcs.pump(2.0)
    assert sim.state().velocity_ned_ms[1] > 1.0
    gcs.pump(5.0)
    assert abs(sim.state().velocity_ned_ms[1]) < 0.2


def test_speed_is_limited_by_wpnav_speed(gcs: RawGcs, sim: SimulatedCopter) -> None:
    lat, lon = offset(HOME[0], HOME[1], 500.0, 0.0)
    top = 0.0
    for _ in range(40):
        gcs.target(lat, lon, 20.0, (8.0, 0.0, 0.0))
        gcs.pump(0.25)
        top = max(top, math.hypot(*sim.state().velocity_ned_ms[:2]))
    assert top == pytest.approx(SAFE_LEADING_PARAMS["WPNAV_SPEED"] / 100.0, abs=0.05)


def test_gcs_failsafe_rtl_after_timeout_without_heartbeat(
    gcs: RawGcs, sim: SimulatedCopter
) -> None:
    gcs.pump(1.0)
    last = sim.now()
    gcs.pump(7.0, heartbeat=False)
    changes = [c for c in sim.mode_changes() if c.reason == "gcs_failsafe"]
    assert [c.mode for c in changes] == ["RTL"]
    assert changes[0].time_s - last == pytest.approx(SAFE_LEADING_PARAMS["FS_GCS_TIMEOUT"], abs=0.6)
    assert any(text == "GCS Failsafe" for _t, text in sim.statustexts())


def test_no_gcs_failsafe_when_disabled_as_by_default() -> None:
    with SimulatedCopter(home=HOME, time_scale=SCALE) as vehicle:
        assert vehicle.params["FS_GCS_ENABLE"] == 0
        link = RawGcs(vehicle)
        link.beat()
        link.pump(1.0)
        link.pump(8.0, heartbeat=False)
        assert vehicle.state().mode == "GUIDED"
        link.close()


def test_only_heartbeats_from_sysid_mygcs_count(sim: SimulatedCopter) -> None:
    stranger = RawGcs(sim, system=200)
    stranger.beat()
    stranger.pump(8.0)
    # never saw its own GCS: no failsafe (failsafe_gcs_check returns while last seen is 0)
    assert sim.state().mode == "GUIDED"
    stranger.close()


def test_link_pause_drops_traffic_both_ways(gcs: RawGcs, sim: SimulatedCopter) -> None:
    gcs.pump(0.5)
    sim.pause_link(10.0)
    gcs.pump(0.3)  # what was already on its way
    before = sim.received_counts().get("HEARTBEAT", 0)
    got = gcs.pump(4.0)
    assert got == []
    assert sim.received_counts().get("HEARTBEAT", 0) == before
    # FS_GCS_TIMEOUT passes during the 10 s drop: the vehicle returns
    assert sim.wait_until(lambda s: s.state().mode == "RTL", 5.0)


def test_battery_failsafe_returns_home() -> None:
    with SimulatedCopter(
        home=HOME,
        params=SAFE_LEADING_PARAMS,
        time_scale=SCALE,
        battery_pct=22.0,
        battery_drain_pct_per_s=1.0,
    ) as vehicle:
        assert vehicle.wait_until(lambda s: s.state().mode == "RTL", 10.0)
        assert vehicle.mode_changes()[-1].reason == "battery_failsafe"
        assert vehicle.state().battery_pct < 20.0


def test_rtl_climbs_returns_lands_and_disarms() -> None:
    params = {**SAFE_LEADING_PARAMS, "RTL_LOIT_TIME": 1000, "WPNAV_SPEED": 500}
    with SimulatedCopter(home=HOME, params=params, time_scale=20.0) as vehicle:
        vehicle.set_mode("RTL")
        assert vehicle.wait_until(lambda s: not s.state().armed, 60.0)
        state = vehicle.state()
        assert state.alt_rel_m == 0.0
        assert abs(state.lat - HOME[0]) * 111_000 < 2.0


def test_parameters_read_list_and_set(gcs: RawGcs, sim: SimulatedCopter) -> None:
    gcs.mav.param_request_read_send(1, 1, b"FS_GCS_ENABLE", -1)
    value = gcs.wait_for("PARAM_VALUE", where=lambda m: m.param_id == "FS_GCS_ENABLE")
    assert value.param_value == 1.0
    assert value.param_type == mavlink2.MAV_PARAM_TYPE_INT8
    gcs.mav.param_set_send(1, 1, b"WPNAV_SPEED", 250.0, mavlink2.MAV_PARAM_TYPE_REAL32)
    gcs.wait_for("PARAM_VALUE", where=lambda m: m.param_id == "WPNAV_SPEED")
    assert sim.params["WPNAV_SPEED"] == 250.0
    gcs.mav.param_request_list_send(1, 1)
    names = {m.param_id for m in gcs.pump(2.0) if m.get_type() == "PARAM_VALUE"}
    assert {"FENCE_ENABLE", "FENCE_TYPE", "BATT_FS_LOW_ACT", "GUID_TIMEOUT"} <= names


def test_mode_change_by_set_mode_and_command(gcs: RawGcs, sim: SimulatedCopter) -> None:
    gcs.mav.set_mode_send(1, mavlink2.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, COPTER_MODES["LOITER"])
    assert sim.wait_until(lambda s: s.state().mode == "LOITER", 3.0)
    gcs.mav.command_long_send(
        1,
        1,
        mavlink2.MAV_CMD_DO_SET_MODE,
        0,
        mavlink2.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
        COPTER_MODES["GUIDED"],
        0,
        0,
        0,
        0,
        0,
    )
    ack = gcs.wait_for("COMMAND_ACK")
    assert ack.result == mavlink2.MAV_RESULT_ACCEPTED
    assert sim.state().mode == "GUIDED"
    assert [c.reason for c in sim.mode_changes()[1:]] == ["gcs", "gcs"]


def test_gimbal_attitude_and_battery_are_reported(gcs: RawGcs) -> None:
    mount = gcs.wait_for("MOUNT_STATUS")
    assert mount.pointing_a == -4500
    status = gcs.wait_for("GIMBAL_DEVICE_ATTITUDE_STATUS")
    pitch = math.degrees(2 * math.asin(status.q[2]))
    assert pitch == pytest.approx(-45.0, abs=0.01)
    sys_status = gcs.wait_for("SYS_STATUS")
    assert 90 <= sys_status.battery_remaining <= 100


# ----------------------------------------------------------------- properties of the fence rule

_coords = st.floats(min_value=-500.0, max_value=500.0, allow_nan=False)


@st.composite
def _simple_polygons(draw: st.DrawFn) -> list[tuple[float, float]]:
    """Star-shaped polygons (vertices in angle order round a centre): always simple, so
    hypothesis need not discard the self-crossing shapes random vertices mostly make."""
    cx, cy = draw(_coords), draw(_coords)
    angles = sorted(draw(st.lists(st.floats(0.0, 6.28), min_size=3, max_size=12, unique=True)))
    radii = draw(st.lists(st.floats(1.0, 400.0), min_size=len(angles), max_size=len(angles)))
    return [
        (cx + r * math.cos(a), cy + r * math.sin(a)) for a, r in zip(angles, radii, strict=True)
    ]


@settings(max_examples=300, deadline=None)
@given(vertices=_simple_polygons(), point=st.tuples(_coords, _coords))
def test_polygon_outside_agrees_with_shapely(
    vertices: list[tuple[float, float]], point: tuple[float, float]
) -> None:
    """``Polygon_outside`` (even-odd rule) says what shapely says for simple polygons, away
    from the boundary where rounding decides."""
    polygon = Polygon(vertices)
    assume(polygon.is_valid and polygon.area > 1.0)
    assume(polygon.exterior.distance(Point(point)) > 1e-6)
    assert _outside_polygon(point, vertices) == (not polygon.contains(Point(point)))


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(min_value=-80.0, max_value=80.0),
    lon=st.floats(min_value=-179.0, max_value=179.0),
    north=st.floats(min_value=-3000.0, max_value=3000.0),
    east=st.floats(min_value=-3000.0, max_value=3000.0),
)
def test_local_frame_round_trips(lat: float, lon: float, north: float, east: float) -> None:
    """Metres from home to degrees and back (Location::offset / get_distance_NE) to a mm."""
    vehicle = SimulatedCopter(home=(lat, lon, 0.0))
    try:
        back = vehicle._ne(*vehicle._latlon(north, east))
    finally:
        vehicle.stop()
    assert back == pytest.approx((north, east), abs=1e-3)
