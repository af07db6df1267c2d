"""The board's side of leading (live positions, crew taps, Start/Stop) and ``rehearse_live``.

The board is the coordination service over HTTP (its client is tested against the real app
in tests/web); here a recording stand-in takes its place at that network boundary.
"""

from __future__ import annotations

from safeconduct.adapters.mavlink.simulated_vehicles import SimulatedCopters
from safeconduct.services.leading import LeadRequest, LiveRehearsalPorts, lead, rehearse_live
from safeconduct.services.ports import LivePosition
from tests.leading.area import walk
from tests.leading.scenarios import SCALE, first_target_time, make_area, ports, start_sim


class Board:
    """Records what the loop publishes; the crew's taps and Start/Stop follow a script in the
    vehicle's time (``stop_at``/``start_at`` seconds after leading starts)."""

    def __init__(self, sim, taps, stop_at: float, start_at: float) -> None:
        self.sim, self.taps, self.stop_at, self.start_at = sim, list(taps), stop_at, start_at
        self.published: list[tuple[float, list[LivePosition], str]] = []
        self.t0: float | None = None

    def _t(self) -> float:
        if self.t0 is None:
            targets = self.sim.targets_received()
            if not targets:
                return -1.0
            self.t0 = targets[0].time_s
        return self.sim.now() - self.t0

    def publish(self, positions, *, status: str = "") -> None:
        self.published.append((self.sim.now(), list(positions), status))

    def crew_taps(self) -> list[LivePosition]:
        t = self._t()
        due = [tap for at, tap in self.taps if at <= t]
        self.taps = [(at, tap) for at, tap in self.taps if at > t]
        return due

    def engaged(self) -> bool:
        t = self._t()
        return not (self.stop_at <= t < self.start_at)


def test_board_shows_positions_takes_taps_and_stops(tmp_path):
    """The track ends after 20 s; then only the crew's taps say where the person is.

    Must: publish the drone and the person about once a second; keep leading on the taps;
    stop sending when the crew presses Stop and resume when it presses Start.
    Must not: receive a target while the board says Stop.
    """
    area = make_area(tmp_path)
    rows = walk(area.points, [(120.0, 1.0)])
    track = [r for r in rows if r[0] <= 20.0]
    taps = [
        (t, LivePosition("person", lat, lon, "2026-01-01T00:00:00Z", "crew_tap"))
        for t, lat, lon in rows
        if t > 20.0 and t % 3 == 0
    ]
    sim = start_sim(area)
    board = Board(sim, taps, stop_at=40.0, start_at=60.0)
    p = ports()
    p = type(p)(**{**p.__dict__, "board": board})
    lines: list[str] = []
    try:
        summary = lead(
            p,
            LeadRequest(
                connection=sim.connection, route_path=area.route, dem_path=area.dem,
                assume_yes=True, linger_s=0.0, max_duration_s=90.0,
            ),
            confirm=None, report=lines.append, track=track,
        )  # fmt: skip
        t0 = first_target_time(sim)
        targets = sim.targets_received()
    finally:
        sim.stop()
    assert summary.fixes.get("accepted", 0) >= 20 + 10  # track rows and taps
    rel = [t.time_s - t0 for t in targets]
    assert not [x for x in rel if 40.0 + 1.5 < x < 60.0]  # Stop honoured within the 1 s poll
    assert [x for x in rel if x > 62.0]  # Start resumes
    kinds = {pos.kind for _t, ps, _s in board.published for pos in ps}
    assert kinds == {"drone", "person"}
    times = [t for t, _p, _s in board.published]
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 0.7 < rate <= 1.1
    assert any("Stop on the board" in line for line in lines)
    tap_sources = {
        pos.source for _t, ps, _s in board.published for pos in ps if pos.kind == "person"
    }
    assert "crew_tap" in tap_sources


def test_rehearse_live_leads_and_hands_over(tmp_path):
    """``rehearse --live``'s use case: a simulated walker, two simulated copters.

    Must: lead the walker to the reception point, with the relief taking over once.
    """
    area = make_area(tmp_path)
    rp = LiveRehearsalPorts(lead=ports(with_profiles=True), simulators=SimulatedCopters())
    lines: list[str] = []
    summary = rehearse_live(
        rp, area.route, area.dem, speed=SCALE, seed=3, relief=True, report=lines.append
    )
    assert summary.arrived, lines
    assert summary.handovers == 1, lines
    assert summary.targets_sent > 0 and summary.gap_median_m is not None


class Detector:
    """The signal detector seeing the walker: once a simulated second, the pixel where the
    walker stands in the vehicle's camera (pinhole inverse of ``ground_ray.pixel_ray``, from
    the vehicle's true pose), if it is in the frame."""

    def __init__(self, sim, rows, dem, camera) -> None:
        self.sim, self.rows, self.dem, self.camera = sim, rows, dem, camera
        self.last = -1.0
        self.sent = 0

    def detections(self, now_s: float) -> list[tuple[float, float, float]]:
        import math

        import numpy as np

        from safeconduct.guidance.ground_ray import grid_convergence_deg, ground_height

        targets = self.sim.targets_received()
        if not targets:
            return []
        t = self.sim.now() - targets[0].time_s
        if t - self.last < 1.0:
            return []
        self.last = t
        ts = np.array([r[0] for r in self.rows])
        lat = float(np.interp(t, ts, [r[1] for r in self.rows]))
        lon = float(np.interp(t, ts, [r[2] for r in self.rows]))
        st = self.sim.state()
        cx, cy = self.dem.lonlat_to_xy(st.lon, st.lat)
        px, py = self.dem.lonlat_to_xy(lon, lat)
        pz = float(ground_height(self.dem, px, py))
        yaw = math.radians(st.heading_deg + grid_convergence_deg(self.dem, cx, cy))
        th = math.radians(self.sim.gimbal_pitch_deg)
        east, north, up = px - cx, py - cy, pz - st.alt_amsl_m
        f_l = north * math.cos(yaw) + east * math.sin(yaw)
        right = -north * math.sin(yaw) + east * math.cos(yaw)
        d_l = -up
        fwd = f_l * math.cos(th) - d_l * math.sin(th)
        down = f_l * math.sin(th) + d_l * math.cos(th)
        if fwd <= 0:
            return []
        u = self.camera.cx + self.camera.fx * right / fwd
        v = self.camera.cy + self.camera.fy * down / fwd
        if not (0 <= u < self.camera.width_px and 0 <= v < self.camera.height_px):
            return []
        self.sent += 1
        return [(now_s, u, v)]


def test_detector_pixels_keep_the_leader_going(tmp_path):
    """The recorded track ends after 20 s; from then on only the detector sees the walker.

    Must: cast each detection through the camera (gimbal pitch from the vehicle's telemetry)
    onto the DEM, accept it, and lead the walker to the reception point.
    """
    from safeconduct.guidance.ground_ray import DEFAULT_CAMERA

    area = make_area(tmp_path)
    rows = walk(area.points, [(300.0, 1.0)])
    sim = start_sim(area)
    dem = ports().dems.read_dem(area.dem)
    detector = Detector(sim, rows, dem, DEFAULT_CAMERA)
    p = ports()
    p = type(p)(**{**p.__dict__, "detector": detector})
    lines: list[str] = []
    try:
        summary = lead(
            p,
            LeadRequest(
                connection=sim.connection, route_path=area.route, dem_path=area.dem,
                assume_yes=True, linger_s=0.0, arrive_hold_s=3.0, max_duration_s=400.0,
            ),
            confirm=None, report=lines.append, track=[r for r in rows if r[0] <= 20.0],
        )  # fmt: skip
    finally:
        sim.stop()
    assert detector.sent > 100, lines
    assert summary.arrived, lines
    assert summary.fixes.get("accepted", 0) >= 21 + 0.8 * detector.sent, summary.fixes


class _StartPress:
    """The board's Start leading, pressed ``after_polls`` polls after leading was asked for;
    ``already`` leaves it pressed from an earlier run."""

    def __init__(self, after_polls: int, *, already: bool = False) -> None:
        self.polls, self.after, self.already = 0, after_polls, already

    def publish(self, positions, *, status: str = "") -> None:
        pass

    def crew_taps(self) -> list[LivePosition]:
        return []

    def engaged(self) -> bool:
        self.polls += 1
        return self.already or self.polls > self.after


def _lead_with_board(tmp_path, board, answer_after_s: float):
    import time

    area = make_area(tmp_path)
    sim = start_sim(area)
    p = ports()
    p = type(p)(**{**p.__dict__, "board": board})
    lines: list[str] = []

    def terminal(_prompt: str) -> bool:  # the crew never types 'lead' in time
        time.sleep(answer_after_s)
        return False

    try:
        try:
            lead(
                p,
                LeadRequest(
                    connection=sim.connection, route_path=area.route, dem_path=area.dem,
                    linger_s=0.0, max_duration_s=5.0,
                ),
                confirm=terminal, report=lines.append, track=walk(area.points, [(60.0, 1.0)]),
            )  # fmt: skip
            started = True
        except Exception as exc:  # the refusal when nobody confirms
            started = False
            lines.append(str(exc))
        targets = sim.targets_received()
    finally:
        sim.stop()
    return started, targets, lines


def test_start_leading_on_the_board_confirms_like_the_terminal(tmp_path):
    """Must: a press of Start on the board while the question is open starts leading.
    Must not: wait for the terminal once the board confirmed."""
    started, targets, lines = _lead_with_board(tmp_path, _StartPress(after_polls=2), 30.0)
    assert started
    assert targets
    assert any("Start leading on the board" in line for line in lines)


def test_a_start_left_pressed_by_an_earlier_run_does_not_confirm(tmp_path):
    """Must not: take a board already engaged before the question as the crew's answer; the
    vehicle gets no target and the refusal says nobody confirmed."""
    started, targets, lines = _lead_with_board(tmp_path, _StartPress(0, already=True), 2.0)
    assert not started
    assert not targets
    assert any("did not confirm" in line for line in lines)
