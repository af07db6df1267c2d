"""The pymavlink GUIDED adapter against the simulated ArduCopter (both on 127.0.0.1).

Times are simulated seconds: the adapter runs on a :class:`ScaledClock` of the simulator's
scale, so the vehicle's failsafe timers and the adapter's waits agree.
"""

from __future__ import annotations

import inspect
import math
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymavlink import mavutil

from safeconduct.adapters.clock import ScaledClock
from safeconduct.adapters.mavlink.connections import BadConnectionError
from safeconduct.adapters.mavlink.guided import (
    TARGET_TYPE_MASK,
    MavlinkGuidedVehicle,
    MavlinkGuidedVehicles,
    VehicleLinkError,
)
from safeconduct.adapters.mavlink.simulated_copter import SAFE_LEADING_PARAMS, SimulatedCopter
from safeconduct.errors import InvalidValueError
from safeconduct.services.ports import GuidedTarget, GuidedVehicle, GuidedVehicles
from tests.vehicle.gcs import offset, square_around

HOME = (47.3977, 8.5456, 488.0)
SCALE = 8.0


@pytest.fixture
def clock() -> ScaledClock:
    return ScaledClock(SCALE)


@pytest.fixture
def sim() -> Iterator[SimulatedCopter]:
    with SimulatedCopter(home=HOME, params=SAFE_LEADING_PARAMS, time_scale=SCALE) as vehicle:
        yield vehicle


@pytest.fixture
def link(sim: SimulatedCopter, clock: ScaledClock) -> Iterator[MavlinkGuidedVehicle]:
    vehicle = MavlinkGuidedVehicles().open(sim.connection, clock=clock, timeout_s=10.0)
    yield vehicle
    vehicle.close()


def run(link: MavlinkGuidedVehicle, clock: ScaledClock, seconds: float, target=None):
    """The control loop's part: heartbeat, poll (and a target) at 5 Hz for ``seconds``."""
    end = clock.now() + seconds
    state = None
    while clock.now() < end:
        link.heartbeat()
        state = link.poll() or state
        if target is not None:
            link.send_target(target)
        clock.sleep(0.2)
    return state


@pytest.mark.parametrize(
    ("protocol", "implementation"),
    [(GuidedVehicles, MavlinkGuidedVehicles), (GuidedVehicle, MavlinkGuidedVehicle)],
)
def test_adapter_implements_the_ports(protocol: type, implementation: type) -> None:
    for name, member in vars(protocol).items():
        if name.startswith("_") or not callable(member):
            continue
        mine = getattr(implementation, name)
        wanted = inspect.signature(member).parameters
        assert list(inspect.signature(mine).parameters) == list(wanted), name


def test_autopilot_is_read_from_the_heartbeat(link: MavlinkGuidedVehicle) -> None:
    assert link.autopilot == "ardupilot"
    assert (link.target_system, link.target_component) == (1, 1)


def test_connect_and_read_state(link: MavlinkGuidedVehicle, clock: ScaledClock) -> None:
    state = run(link, clock, 3.0)
    assert state is not None
    assert state.mode == "GUIDED"
    assert state.armed
    assert state.lat == pytest.approx(HOME[0], abs=1e-6)
    assert state.alt_rel_m == pytest.approx(20.0, abs=0.3)
    assert state.alt_amsl_m == pytest.approx(HOME[2] + 20.0, abs=0.3)
    assert state.home == pytest.approx(HOME)
    assert state.battery_pct is not None and 95 <= state.battery_pct <= 100
    assert state.gimbal_pitch_deg == pytest.approx(-45.0, abs=0.01)
    assert state.gimbal_yaw_deg == pytest.approx(0.0, abs=0.01)
    assert state.time_s <= clock.now()


def test_heartbeats_come_only_from_the_caller(
    link: MavlinkGuidedVehicle, sim: SimulatedCopter, clock: ScaledClock
) -> None:
    run(link, clock, 1.0)
    # the caller stops: nothing keeps the link alive, the vehicle's GCS failsafe returns it
    assert sim.wait_until(lambda s: s.state().mode == "RTL", 10.0)
    assert sim.mode_changes()[-1].reason == "gcs_failsafe"


@pytest.mark.parametrize("url", ["http://127.0.0.1:80", "127.0.0.1:14550", "udp:host:99999"])
def test_not_a_mavlink_url_is_refused_in_one_line(url: str, clock: ScaledClock) -> None:
    with pytest.raises(BadConnectionError) as info:
        MavlinkGuidedVehicles().open(url, clock=clock, timeout_s=1.0)
    assert info.value.field == "connection"
    assert "\n" not in info.value.message


def test_nobody_answering_is_refused_in_one_line(clock: ScaledClock) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, silent: a vehicle that is off
        with pytest.raises(VehicleLinkError) as info:
            MavlinkGuidedVehicles().open(f"udpout:127.0.0.1:{port}", clock=clock, timeout_s=2.0)
    assert info.value.field == "connection"
    assert "no vehicle answered" in info.value.message
    assert "\n" not in info.value.message


def test_read_parameters_leaves_unknown_names_out(link: MavlinkGuidedVehicle) -> None:
    got = link.read_parameters(
        ["FENCE_ENABLE", "fs_gcs_enable", "WPNAV_SPEED", "NO_SUCH"], timeout_s=2.0
    )
    assert got == {"FENCE_ENABLE": 1.0, "FS_GCS_ENABLE": 1.0, "WPNAV_SPEED": 300.0}


def test_read_parameters_keeps_the_vehicle_from_failsafe(
    link: MavlinkGuidedVehicle, sim: SimulatedCopter
) -> None:
    # a wait longer than FS_GCS_TIMEOUT: the blocking call beats on the caller's thread
    link.read_parameters(["NO_SUCH"], timeout_s=8.0)
    assert sim.state().mode == "GUIDED"


def test_fence_upload_reaches_the_vehicle(link: MavlinkGuidedVehicle, sim: SimulatedCopter) -> None:
    fence = square_around(HOME[0], HOME[1], 60.0)
    link.upload_fence(fence)
    got = sim.fence_polygon()
    assert len(got) == 4
    for (lat, lon), (glat, glon) in zip(fence, got, strict=True):
        assert (glat, glon) == pytest.approx((lat, lon), abs=1.1e-7)


@pytest.mark.parametrize(
    "polygon",
    [
        [(47.0, 8.0), (47.1, 8.0)],
        [(47.0, 8.0), (47.1, 8.0), (math.nan, 8.1)],
        [(0, 0), (1, 0), (91, 0)],
    ],
)
def test_bad_fence_is_refused_before_sending(
    link: MavlinkGuidedVehicle, sim: SimulatedCopter, polygon
) -> None:
    with pytest.raises(InvalidValueError) as info:
        link.upload_fence(polygon)
    assert info.value.field == "fence"
    assert "MISSION_COUNT" not in sim.received_counts()


def test_targets_arrive_as_posvel_and_are_echoed(
    link: MavlinkGuidedVehicle, sim: SimulatedCopter, clock: ScaledClock
) -> None:
    lat, lon = offset(HOME[0], HOME[1], 10.0, 0.0)
    target = GuidedTarget(lat, lon, 22.0, (1.0, 0.0, 0.0), 0.0)
    sent_at = clock.now()
    run(link, clock, 2.0, target)
    received = sim.targets_received()
    assert received and {t.outcome for t in received} == {"posvel"}
    first = received[0]
    assert first.type_mask == TARGET_TYPE_MASK == 0x9C0
    assert first.frame == 6  # MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
    assert first.alt_rel_m == pytest.approx(22.0)
    assert first.velocity_ned_ms == (1.0, 0.0, 0.0)
    echo = link.last_echo()
    assert echo is not None
    at, got = echo
    assert at > sent_at
    # the echo is the sent target moved on by its velocity since (ArduCopter's posvel rule)
    north = (got.lat - lat) * 111_318.845
    assert 0.0 <= north <= 1.0 * 0.5 + 0.1
    assert got.alt_rel_m == pytest.approx(22.0, abs=0.01)
    assert got.velocity_ned_ms == pytest.approx((1.0, 0.0, 0.0))


def test_non_finite_target_is_not_sent(link: MavlinkGuidedVehicle, sim: SimulatedCopter) -> None:
    with pytest.raises(InvalidValueError) as info:
        link.send_target(GuidedTarget(HOME[0], HOME[1], math.inf, (0.0, 0.0, 0.0), 0.0))
    assert info.value.field == "target"
    with pytest.raises(InvalidValueError):
        link.send_target(GuidedTarget(95.0, HOME[1], 20.0, (0.0, 0.0, 0.0), 0.0))
    assert sim.targets_received() == []


def test_mode_request_and_pilot_change_are_seen(
    link: MavlinkGuidedVehicle, sim: SimulatedCopter, clock: ScaledClock
) -> None:
    link.request_mode("LOITER")
    state = run(link, clock, 2.0)
    assert state is not None and state.mode == "LOITER"
    assert sim.mode_changes()[-1].reason == "gcs"
    sim.set_mode("GUIDED")
    sim.set_mode("ALT_HOLD")  # the pilot's switch
    state = run(link, clock, 2.0)
    assert state is not None and state.mode == "ALT_HOLD"
    with pytest.raises(InvalidValueError):
        link.request_mode("NO_SUCH_MODE")


def test_tlog_holds_sent_and_received_messages(
    sim: SimulatedCopter, clock: ScaledClock, tmp_path: Path
) -> None:
    path = tmp_path / "lead.tlog"
    link = MavlinkGuidedVehicles().open(sim.connection, clock=clock, tlog_path=path)
    try:
        target = GuidedTarget(HOME[0], HOME[1], 21.0, (0.0, 0.0, 0.0), 90.0)
        run(link, clock, 2.0, target)
        assert (tmp_path / "lead.tlog.part").exists() and not path.exists()
    finally:
        link.close()
    assert path.exists() and not (tmp_path / "lead.tlog.part").exists()
    log = mavutil.mavlink_connection(str(path))
    counts: Counter[tuple[int, str]] = Counter()
    stamps: list[float] = []
    while (msg := log.recv_match()) is not None:
        counts[(msg.get_srcSystem(), msg.get_type())] += 1
        stamps.append(msg._timestamp)
    log.close()
    assert counts[(255, "HEARTBEAT")] >= 5
    assert counts[(255, "SET_POSITION_TARGET_GLOBAL_INT")] >= 5
    assert counts[(1, "HEARTBEAT")] >= 1
    assert counts[(1, "GLOBAL_POSITION_INT")] >= 3
    assert stamps == sorted(stamps)


def test_unwritable_tlog_is_refused(
    sim: SimulatedCopter, clock: ScaledClock, tmp_path: Path
) -> None:
    with pytest.raises(InvalidValueError) as info:
        MavlinkGuidedVehicles().open(
            sim.connection, clock=clock, tlog_path=tmp_path / "missing" / "x.tlog"
        )
    assert info.value.field == "tlog_path"


def test_a_generic_mavlink_autopilot_is_refused(tmp_path: Path, clock: ScaledClock) -> None:
    """MAVSDK's vehicle side, an independent MAVLink peer, says MAV_AUTOPILOT_GENERIC:
    neither ArduPilot's nor PX4's rules apply, so leading refuses it in one line."""
    from tests.mission.mavlink_peers import MavsdkVehicle

    vehicle = MavsdkVehicle("udp", tmp_path / "mavsdk.log")
    try:
        with pytest.raises(VehicleLinkError) as info:
            MavlinkGuidedVehicles().open(vehicle.url, clock=clock, timeout_s=10.0 * SCALE)
    finally:
        vehicle.stop()
    assert info.value.field == "connection"
    assert "neither ArduPilot nor PX4" in info.value.message
    assert "\n" not in info.value.message
