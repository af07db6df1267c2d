"""Leading scenarios against the simulated ArduCopter, checked from the vehicle's side.

Each test says what the vehicle must do and must not do. The vehicle runs ``SCALE`` times
faster than real time and the control loop on a clock of the same rate, so a walk of a few
minutes takes seconds; the walker is a recorded track (``time,lat,lon`` rows).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
from pyproj import Transformer

from safeconduct.adapters.clock import ScaledClock
from safeconduct.adapters.formats.person_track import write_person_track
from safeconduct.adapters.mavlink.guided import MavlinkGuidedVehicles
from safeconduct.adapters.mavlink.simulated_copter import (
    SAFE_LEADING_PARAMS,
    SimulatedCopter,
    _outside_polygon,
)
from safeconduct.guidance.target_limits import TargetLimits, corridor_polygon
from safeconduct.services.ports import GuidedTarget
from tests.leading.area import CRS37, walk, write_walk
from tests.leading.scenarios import (
    Sampler,
    first_target_time,
    make_area,
    run_lead,
    start_sim,
)


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    return make_area(tmp_path_factory.mktemp("leading"))


_TO_LL = Transformer.from_crs(CRS37, "EPSG:4326", always_xy=True)


def _inside_fence(sim, lat: float, lon: float) -> bool:
    fence = sim.fence_polygon()
    north = [(la - lat) * 111_320.0 for la, _lo in fence]
    east = [(lo - lon) * 111_320.0 * np.cos(np.radians(lat)) for _la, lo in fence]
    return not _outside_polygon((0.0, 0.0), list(zip(north, east, strict=True)))


def test_walks_stops_falls_behind_speeds_up(area):
    """The person walks 40 s, stands 45 s, then walks on faster to the end.

    Must: lead ahead of him, stop and hover while he stands once the gap passes 30 m, lead
    again when he closes up, stay within the fence, hover over the reception point at the end.
    Must not: run away more than the maximum gap plus the braking distance, fall behind him,
    get a target outside the fence.
    """
    track = walk(area.points, [(40.0, 1.0), (45.0, 0.0), (200.0, 1.6)])
    sim = start_sim(area)
    try:
        with Sampler([sim]) as sampler:
            run = run_lead(area, sim, track)
        t0 = first_target_time(sim)
        targets = sim.targets_received()
    finally:
        sim.stop()
    summary = run.summary
    assert summary.arrived, run.lines
    assert all(t.accepted for t in targets), {t.outcome for t in targets}
    times = np.array([r[0] for r in track])
    person_s = np.array([area.s_of(lat, lon)[0] for _t, lat, lon in track])
    states = [st for st in sampler.rows[0] if st.time_s >= t0]
    gaps, speeds, in_stand = [], [], []
    for st in states:
        s, off = area.s_of(st.lat, st.lon)
        assert off < 25.0  # on the route's corridor
        p = float(np.interp(st.time_s - t0, times, person_s))
        gaps.append(s - p)
        speeds.append(float(np.hypot(*st.velocity_ned_ms[:2])))
        in_stand.append(40.0 + 20.0 <= st.time_s - t0 <= 85.0)
    gaps, speeds, in_stand = np.array(gaps), np.array(speeds), np.array(in_stand)
    assert gaps.max() < 30.0 + 8.0  # max gap plus braking at 3 m/s
    assert gaps[gaps.size // 10 :].min() > -5.0  # never behind him once leading
    assert np.median(speeds[in_stand]) < 0.3  # it waits while he stands
    assert any("wait" in line for line in run.lines)
    assert summary.wait_s > 15.0
    last = states[-1]
    end_s, _ = area.s_of(last.lat, last.lon)
    assert end_s > area.path.length - 10.0
    assert summary.target_rate_hz >= 4.0  # 5 Hz asked; a loaded test machine may lag
    print(f"walk/stop/speed-up: {summary.describe()}")
    assert summary.gap_median_m is not None and 5.0 < summary.gap_median_m < 30.0


def test_wild_detection_never_advances_the_leader(area, tmp_path):
    """One detector fix 200 m ahead of the person, then nothing more from the detector.

    Must: keep leading the walker at his pace, report the rejected fix.
    Must not: receive a target anywhere near the wild fix.
    """
    long_area = make_area(tmp_path, legs=((0.0, 400.0),))
    track = walk(long_area.points, [(60.0, 1.0)])
    _t, lat, lon = walk(long_area.points, [(230.0, 1.0)])[-1]
    wild = tmp_path / "detections.csv"
    write_person_track(wild, [(25.0, lat, lon)])
    sim = start_sim(long_area)
    try:
        run = run_lead(long_area, sim, track, detections_path=wild, max_duration_s=50.0)
        t0 = first_target_time(sim)
        targets = sim.targets_received()
    finally:
        sim.stop()
    ahead = [long_area.s_of(t.lat, t.lon)[0] - (t.time_s - t0) * 1.0 for t in targets]
    assert max(ahead) < 15.0 + 10.0  # lead distance plus catching up; never towards 230 m
    assert (
        run.summary.fixes.get("implausible_speed", 0) + run.summary.fixes.get("unconfirmed", 0) >= 1
    )
    assert any("detector fix rejected" in line for line in run.lines)


def _lead_in_thread(area, sim, track, **kw):
    box: dict = {}

    def go() -> None:
        try:
            box["run"] = run_lead(area, sim, track, **kw)
        except Exception as exc:  # surfaced by the test
            box["error"] = exc

    th = threading.Thread(target=go, daemon=True)
    th.start()
    return th, box


def _finish(th, box):
    th.join(timeout=120)
    assert not th.is_alive(), "lead did not end"
    if "error" in box:
        raise box["error"]
    return box["run"]


def test_link_drop_hands_the_vehicle_to_its_failsafe(area):
    """The link drops both ways for 10 s in the middle of the walk.

    Must: go RTL on its own after FS_GCS_TIMEOUT (5 s) without our heartbeat; stay in RTL.
    Must not: accept a target after the link drops, be switched back to GUIDED.
    """
    track = walk(area.points, [(200.0, 1.0)])
    sim = start_sim(area)
    try:
        th, box = _lead_in_thread(area, sim, track)
        assert sim.wait_until(lambda s: len(s.targets_received()) >= 100, timeout_s=60.0)
        drop_at = sim.now()
        sim.pause_link(10.0)
        run = _finish(th, box)
        modes = sim.mode_changes()
        targets = sim.targets_received()
        final = sim.state()
    finally:
        sim.stop()
    rtl = [m for m in modes if m.mode == "RTL"]
    assert rtl and rtl[0].reason == "gcs_failsafe"
    assert 5.0 - 0.5 <= rtl[0].time_s - drop_at <= 5.0 + 1.5
    assert final.mode in ("RTL", "LAND") or not final.armed
    assert not [m for m in modes if m.time_s > drop_at and m.mode == "GUIDED"]
    assert not [t for t in targets if t.time_s > drop_at and t.accepted]
    assert run.summary.mode_change == "RTL"
    assert any("no telemetry" in line for line in run.lines)


def test_pilot_switch_to_loiter_stops_the_targets(area):
    """The pilot flips to LOITER in the middle of the walk.

    Must: stay in LOITER; the targets stop within one heartbeat interval plus one loop
    period (the mode reaches the ground with the 1 Hz heartbeat).
    Must not: accept any target after the switch, be switched back to GUIDED.
    """
    track = walk(area.points, [(200.0, 1.0)])
    sim = start_sim(area)
    try:
        th, box = _lead_in_thread(area, sim, track, linger_s=3.0)
        assert sim.wait_until(lambda s: len(s.targets_received()) >= 100, timeout_s=60.0)
        switch_at = sim.now()
        sim.set_mode("LOITER")
        run = _finish(th, box)
        modes = sim.mode_changes()
        targets = sim.targets_received()
    finally:
        sim.stop()
    after = [t for t in targets if t.time_s >= switch_at]
    assert not [t for t in after if t.accepted]
    reaction = (after[-1].time_s - switch_at) if after else 0.0
    assert reaction <= 1.0 + 0.2 + 0.3  # heartbeat interval + loop period + jitter
    assert modes[-1].mode == "LOITER" and modes[-1].reason == "pilot"
    assert run.summary.mode_change == "LOITER"
    assert run.summary.mode_reaction_s is not None and run.summary.mode_reaction_s <= 0.5
    print(f"reaction to LOITER: vehicle side {reaction:.2f} s, loop {run.summary.mode_reaction_s}")


def test_target_beyond_reach_is_clamped(area):
    """The vehicle hovers 14 m east of the route's start and may get targets at most 10 m
    away: the loop's route targets are clamped towards it.

    Must: accept every target (none outside the uploaded fence), report the clamp.
    Must not: receive a target outside the fence.
    """
    track = walk(area.points, [(30.0, 1.0)])
    sim = start_sim(area, offset_m=(0.0, 14.0))
    try:
        run = run_lead(area, sim, track, max_from_vehicle_m=10.0, max_duration_s=20.0)
        targets = sim.targets_received()
        fence = sim.fence_polygon()
    finally:
        sim.stop()
    assert fence
    assert targets and all(t.accepted for t in targets), {t.outcome for t in targets}
    assert all(_inside_fence(sim, t.lat, t.lon) for t in targets)
    assert any("clamped (max_from_vehicle" in line for line in run.lines), run.lines


def test_target_that_would_leave_the_fence_is_clamped(area):
    """A target 120 m east of the route, with the corridor fence leading uploads.

    Must: refuse the raw target (the vehicle's fence), accept the clamped one, which lies
    inside the fence.
    """
    lon, lat = area.points[0]
    half = 40.0
    corridor = corridor_polygon(area.path, half)
    limits = TargetLimits(corridor, 30.0, 8.0, 60.0)
    fence = [_TO_LL.transform(x, y)[::-1] for x, y in corridor]
    start = area.path.point_at(0.0)
    outside = start + np.array([120.0, 50.0])
    clamped = limits.clamp(outside, 15.0, start)
    assert "corridor" in clamped.clamped
    clock = ScaledClock(1.0)
    with SimulatedCopter(home=(lat, lon, 150.0), params=SAFE_LEADING_PARAMS) as sim:
        link = MavlinkGuidedVehicles().open(sim.connection, clock=clock, timeout_s=5.0)
        try:
            link.upload_fence(fence)
            for xy in (outside, np.array(clamped.xy)):
                tlon, tlat = _TO_LL.transform(*xy)
                link.heartbeat()
                link.send_target(GuidedTarget(tlat, tlon, 15.0, (0.0, 0.0, 0.0), 0.0))
            assert sim.wait_until(lambda s: len(s.targets_received()) == 2, timeout_s=5.0)
        finally:
            link.close()
        raw, safe = sim.targets_received()
    assert raw.outcome == "refused: outside fence"
    assert safe.accepted and _inside_fence(sim, safe.lat, safe.lon)


@pytest.fixture(scope="module")
def killed(area, tmp_path_factory):
    """``safeconduct lead`` in its own process, killed with SIGKILL mid-walk (run once)."""
    tmp_path = tmp_path_factory.mktemp("killed")
    csv = write_walk(tmp_path / "walk.csv", walk(area.points, [(300.0, 1.0)]))
    lon, lat = area.points[0]
    sim = SimulatedCopter(home=(lat, lon, 150.0), params=SAFE_LEADING_PARAMS).start()
    code = "from safeconduct.entrypoints.cli.app import main; main()"
    args = [
        "lead", "--connection", sim.connection, "--route", str(area.route),
        "--dem", str(area.dem), "--person-track", str(csv), "--yes",
        "--tlog", str(tmp_path / "lead.tlog"),
    ]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        started = sim.wait_until(
            lambda s: sum(t.accepted for t in s.targets_received()) >= 10, timeout_s=90.0
        )
        if not started:
            proc.kill()
            pytest.fail(proc.communicate()[0].decode()[-2000:])
        mode_before = sim.state().mode
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_at = sim.now()
        sim.wait_until(lambda s: s.state().mode == "RTL", timeout_s=10.0)
        return {
            "mode_before": mode_before,
            "killed_at": killed_at,
            "modes": sim.mode_changes(),
            "targets": sim.targets_received(),
            "log": tmp_path / "lead.tlog.part",  # renamed to lead.tlog only on a clean close
        }
    finally:
        if proc.poll() is None:
            proc.kill()
        sim.stop()


def test_killed_program_trips_the_gcs_failsafe(killed):
    """``safeconduct lead`` runs in its own process and is killed with SIGKILL mid-walk.

    Must: go RTL on its own FS_GCS_TIMEOUT (5 s) after the last heartbeat.
    Must not: receive anything after the kill.
    """
    assert killed["mode_before"] == "GUIDED"
    rtl = next(m for m in killed["modes"] if m.mode == "RTL")
    assert rtl.reason == "gcs_failsafe"
    assert 5.0 - 0.7 <= rtl.time_s - killed["killed_at"] <= 5.0 + 0.5
    print(f"killed: RTL {rtl.time_s - killed['killed_at']:.2f} s after SIGKILL")
    assert not [t for t in killed["targets"] if t.time_s > killed["killed_at"] + 0.1]


def _tlog_counts(path) -> dict[str, int]:
    from pymavlink import mavutil

    log = mavutil.mavlink_connection(str(path))
    seen: dict[str, int] = {}
    while (msg := log.recv_match()) is not None:
        seen[msg.get_type()] = seen.get(msg.get_type(), 0) + 1
    log.close()
    return seen


def test_killed_program_leaves_a_readable_tlog(killed):
    """The telemetry log of a killed program is readable by ground-station tools."""
    seen = _tlog_counts(killed["log"])
    assert seen.get("PARAM_REQUEST_READ", 0) >= 1  # sent (the preflight)
    assert seen.get("GLOBAL_POSITION_INT", 0) >= 1  # received


def test_killed_program_tlog_holds_every_target_sent(killed):
    """Every target the vehicle received before the kill is in the log."""
    seen = _tlog_counts(killed["log"])
    received = [t for t in killed["targets"] if t.time_s <= killed["killed_at"]]
    assert seen.get("SET_POSITION_TARGET_GLOBAL_INT", 0) >= len(received)


def test_low_battery_relief_takes_over(area):
    """The leading drone's battery runs down; a relief drone hovers near the start.

    Must: the energy model calls the relief; the relief flies to the relay point and then
    leads; the first drone is told to return (RTL) and gets no more targets after it.
    Must not: have both drones leading at once, let the person walk on unled.
    """
    track = walk(area.points, [(300.0, 1.0)])
    first = start_sim(area, battery_pct=38.0, battery_drain_pct_per_s=0.05)
    relief = start_sim(area, offset_m=(0.0, -10.0), battery_drain_pct_per_s=0.0)
    try:
        run = run_lead(area, first, track, with_profiles=True, relief_connection=relief.connection)
        first_modes = first.mode_changes()
        first_targets = first.targets_received()
        relief_targets = relief.targets_received()
        relief_end = relief.state()
    finally:
        first.stop()
        relief.stop()
    assert run.summary.handovers == 1, run.lines
    assert run.summary.arrived
    rtl = next(m for m in first_modes if m.mode == "RTL")
    assert rtl.reason == "gcs"
    assert not [t for t in first_targets if t.time_s > rtl.time_s + 0.1 and t.accepted]
    assert relief_targets and all(t.accepted for t in relief_targets)
    assert any("relief called" in line for line in run.lines)
    assert any("takes over" in line for line in run.lines)
    end_s, _ = area.s_of(relief_end.lat, relief_end.lon)
    assert end_s > area.path.length - 10.0


def test_late_relief_the_first_drone_leaves_at_its_reserve(area):
    """The leading drone reaches its return reserve before the relief gets to the relay point.

    Must: send the first drone home at once (RTL) and let the relief lead from where it is.
    Must not: keep the first drone over the person below its reserve.
    """
    track = walk(area.points, [(300.0, 1.0)])
    first = start_sim(area, battery_pct=26.0, battery_drain_pct_per_s=0.2)
    relief = start_sim(area, offset_m=(0.0, -30.0), battery_drain_pct_per_s=0.0)
    try:
        run = run_lead(
            area, first, track, with_profiles=True, relief_connection=relief.connection,
            max_duration_s=40.0,
        )  # fmt: skip
        first_modes = first.mode_changes()
        relief_targets = relief.targets_received()
    finally:
        first.stop()
        relief.stop()
    assert any("it returns now" in line for line in run.lines), run.lines
    assert run.summary.handovers == 1
    rtl = next(m for m in first_modes if m.mode == "RTL")
    assert rtl.reason == "gcs" and rtl.time_s < 20.0
    assert relief_targets and all(t.accepted for t in relief_targets)
