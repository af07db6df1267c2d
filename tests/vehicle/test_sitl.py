"""The GUIDED adapter against a real ArduCopter SITL binary, when one is given.

Set ``SAFECONDUCT_SITL`` to an ``arducopter`` SITL executable (built with
``./waf configure --board sitl && ./waf copter``); the test skips otherwise. It starts the
binary on 127.0.0.1 (serial 0 on TCP 5760 for the adapter, serial 1 on TCP 5762 for a helper
that arms and takes off, which leading never does), with the leading-safe parameters, and
checks on the real firmware what the simulator claims to follow: parameters, the fence
upload, a GUIDED position + velocity target and its echo, and RTL after ``FS_GCS_TIMEOUT``
without our heartbeat. ``SAFECONDUCT_SITL_DEFAULTS`` may name an extra ``.parm`` file
(ArduPilot's ``Tools/autotest/default_params/copter.parm``).

Runs in real time (about a minute): SITL needs its GPS and EKF to settle before arming.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from safeconduct.adapters.clock import WallClock
from safeconduct.adapters.mavlink.guided import MavlinkGuidedVehicle, MavlinkGuidedVehicles
from safeconduct.adapters.mavlink.simulated_copter import SAFE_LEADING_PARAMS
from safeconduct.services.ports import GuidedTarget
from tests.vehicle.gcs import offset, square_around

SITL = os.environ.get("SAFECONDUCT_SITL", "")
HOME = (-35.363261, 149.165230, 584.0)  # ArduPilot's CMAC test field

pytestmark = pytest.mark.skipif(
    not (SITL and os.access(SITL, os.X_OK)),
    reason="SAFECONDUCT_SITL does not name an ArduCopter SITL executable"
    if SITL
    else "set SAFECONDUCT_SITL to an ArduCopter SITL binary to run it",
)


def _wait_port(port: int, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"SITL did not open TCP {port} within {timeout_s:g} s")


@pytest.fixture
def sitl(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    params = {
        "FRAME_CLASS": 1,
        "FRAME_TYPE": 1,
        "SR0_POSITION": 5,
        "SR0_EXT_STAT": 2,
        "SR0_EXTRA1": 2,
        "SR1_POSITION": 2,
        "SR1_EXT_STAT": 1,
        "ARMING_CHECK": 0,
        **SAFE_LEADING_PARAMS,
    }
    parm = tmp_path / "leading.parm"
    parm.write_text("".join(f"{k} {v}\n" for k, v in params.items()))
    defaults = (
        [os.environ["SAFECONDUCT_SITL_DEFAULTS"]]
        if os.environ.get("SAFECONDUCT_SITL_DEFAULTS")
        else []
    )
    home = ",".join(str(v) for v in (*HOME, 0))
    proc = subprocess.Popen(
        [SITL, "--model", "quad", "--speedup", "1", "--home", home, "-I0",
         "--defaults", ",".join([*defaults, str(parm)])],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_port(5760, 30.0)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _helper(sitl: subprocess.Popen[bytes]) -> object:
    """A second link (system 254: its heartbeats do not count for the GCS failsafe)."""
    _wait_port(5762, 30.0)
    conn = mavutil.mavlink_connection("tcp:127.0.0.1:5762", source_system=254)
    conn.mav = mavlink2.MAVLink(conn, srcSystem=254, srcComponent=191)
    conn.wait_heartbeat(timeout=30)
    return conn


def _arm_and_take_off(helper: object, link: MavlinkGuidedVehicle, alt: float) -> None:
    conn = helper
    end = time.monotonic() + 120
    link.request_mode("GUIDED")
    while time.monotonic() < end:
        link.heartbeat()
        state = link.poll()
        if state is not None and state.mode != "GUIDED":
            link.request_mode("GUIDED")
        if state is not None and state.mode == "GUIDED" and not state.armed:
            conn.mav.command_long_send(  # type: ignore[attr-defined]
                1, 1, mavlink2.MAV_CMD_COMPONENT_ARM_DISARM, 0, 1, 0, 0, 0, 0, 0, 0
            )
        if state is not None and state.armed:
            conn.mav.command_long_send(  # type: ignore[attr-defined]
                1, 1, mavlink2.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 0, alt
            )
            if state.alt_rel_m > alt - 1.0:
                return
        time.sleep(1.0)
    raise AssertionError("SITL did not arm and climb within 120 s (GPS lock? arming checks?)")


def test_guided_rules_hold_on_real_arducopter(sitl: subprocess.Popen[bytes]) -> None:
    clock = WallClock()
    link = MavlinkGuidedVehicles().open("tcp:127.0.0.1:5760", clock=clock, timeout_s=30.0)
    try:
        assert link.autopilot == "ardupilot"
        params = link.read_parameters(["FENCE_ENABLE", "FS_GCS_ENABLE", "WPNAV_SPEED"])
        assert params == {"FENCE_ENABLE": 1.0, "FS_GCS_ENABLE": 1.0, "WPNAV_SPEED": 300.0}
        link.upload_fence(square_around(HOME[0], HOME[1], 150.0))  # read back and compared
        helper = _helper(sitl)
        try:
            _arm_and_take_off(helper, link, 15.0)
        finally:
            helper.close()  # type: ignore[attr-defined]
        lat, lon = offset(HOME[0], HOME[1], 20.0, 0.0)
        target = GuidedTarget(lat, lon, 15.0, (1.0, 0.0, 0.0), 0.0)
        end = clock.now() + 10.0
        while clock.now() < end:
            link.heartbeat()
            link.send_target(target)
            link.poll()
            clock.sleep(0.2)
        echo = link.last_echo()
        assert echo is not None and clock.now() - echo[0] < 2.0
        assert echo[1].velocity_ned_ms[0] == pytest.approx(1.0, abs=0.05)
        state = link.poll()
        assert state is not None and state.lat > HOME[0]
        # our heartbeats stop: FS_GCS_TIMEOUT later the firmware returns home
        stopped = clock.now()
        while clock.now() - stopped < SAFE_LEADING_PARAMS["FS_GCS_TIMEOUT"] + 5.0:
            state = link.poll() or state
            if state is not None and state.mode == "RTL":
                break
            clock.sleep(0.2)
        assert state is not None and state.mode == "RTL"
    finally:
        link.close()
