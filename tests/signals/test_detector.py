"""The detector's state machines: the two-phase signal, holds, look-alikes, the cloth."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.services.signals import SignalPipeline
from safeconduct.signals import synthetic as syn
from safeconduct.signals.detector import (
    AlertKind,
    DetectorConfig,
    Observation,
    SignalDetector,
    TrackDetector,
)
from safeconduct.signals.gestures import ArmsState, ArmState, PoseState

FPS = 10.0
A = ArmsState
BOX = (0.0, 0.0, 10.0, 30.0)


def pose(arms: ArmsState, kneeling: bool | None = False) -> PoseState:
    arm = ArmState.UNKNOWN if arms is A.UNKNOWN else ArmState.OTHER
    return PoseState(arms, arm, arm, kneeling, None if arms is A.UNKNOWN else 50.0)


def run_states(runs: list[tuple[ArmsState, float]], kneeling: bool = False) -> list:
    """Feed runs of (state, seconds) at 10 fps to one track; return (alerts, states, times)."""
    det = TrackDetector(1)
    states, times, alerts = [], [], []
    t = 0.0
    for arms, dur in runs:
        for _ in range(round(dur * FPS)):
            states.append(arms)
            times.append(t)
            alerts += det.update(Observation(t, 1, pose(arms, kneeling), BOX, 0.9))
            t += 1 / FPS
    return [alerts, states, times]


def kinds(alerts: list) -> list[AlertKind]:
    return [a.kind for a in alerts]


def test_two_phase_signal() -> None:
    alerts, _, _ = run_states([(A.DOWN, 1), (A.UP, 1.5), (A.MIXED, 0.4), (A.OUT, 2.0)])
    assert kinds(alerts) == [AlertKind.SURRENDER_SIGNAL]
    a = alerts[0]
    assert a.track_id == 1 and a.bbox == BOX and 0.8 < a.confidence <= 1.0
    # Arms out from 2.9 s: the signal completes when that hold reaches out_hold_s (1.5 s).
    hold = DetectorConfig().out_hold_s
    assert 2.9 + hold - 0.05 < a.t_s < 2.9 + hold + 0.15


def test_short_dropouts_tolerated() -> None:
    runs = [(A.UP, 0.6), (A.UNKNOWN, 0.2), (A.UP, 0.6), (A.OUT, 0.5), (A.UNKNOWN, 0.2)]
    alerts, _, _ = run_states([*runs, (A.OUT, 1.0)])
    assert AlertKind.SURRENDER_SIGNAL in kinds(alerts)


def test_phases_in_wrong_order_or_too_short() -> None:
    for runs in (
        [(A.OUT, 2), (A.UP, 2)],  # reversed
        [(A.UP, 0.5), (A.OUT, 2)],  # arms-up phase too short
        [(A.UP, 2), (A.OUT, 0.5), (A.DOWN, 1)],  # arms-out phase too short
        [(A.UP, 2), (A.MIXED, 3.0), (A.OUT, 2)],  # transition too slow
        [(A.UP, 2), (A.DOWN, 0.3), (A.OUT, 2)],  # arms lowered in between
        [(A.UP, 2), (A.UNKNOWN, 1.5), (A.OUT, 2)],  # long gap: cannot tell what happened
        [(A.OUT, 5)],
    ):
        alerts, _, _ = run_states(runs)
        assert AlertKind.SURRENDER_SIGNAL not in kinds(alerts), runs


def test_hands_up_held_two_seconds() -> None:
    assert kinds(run_states([(A.UP, 1.8), (A.DOWN, 1)])[0]) == []
    alerts = run_states([(A.UP, 2.2), (A.DOWN, 1)])[0]
    assert kinds(alerts) == [AlertKind.HANDS_UP]
    assert 1.95 <= alerts[0].t_s <= 2.1


def test_hands_up_once_per_episode_and_rate_limited() -> None:
    alerts = run_states([(A.UP, 8), (A.DOWN, 1), (A.UP, 3), (A.DOWN, 10), (A.UP, 3)])[0]
    times = [round(a.t_s, 1) for a in alerts if a.kind is AlertKind.HANDS_UP]
    assert len(times) == 2 and times[1] - times[0] >= 10.0


def test_kneeling_hands_up() -> None:
    alerts = run_states([(A.UP, 1.5)], kneeling=True)[0]
    assert AlertKind.KNEELING_HANDS_UP in kinds(alerts)
    assert AlertKind.KNEELING_HANDS_UP not in kinds(run_states([(A.UP, 3)])[0])


def test_tracks_are_independent() -> None:
    det = SignalDetector()
    alerts = []
    for i in range(35):
        t = i / FPS
        alerts += det.update(
            [
                Observation(t, 1, pose(A.UP if t < 1.5 else A.OUT), BOX),
                Observation(t, 2, pose(A.OUT if t < 1.5 else A.UP), BOX),
            ]
        )
    assert [(a.kind, a.track_id) for a in alerts] == [(AlertKind.SURRENDER_SIGNAL, 1)]


# -- property: the machine never skips a phase --------------------------------------------
STATES = st.sampled_from([A.DOWN, A.UP, A.OUT, A.MIXED, A.UNKNOWN])
RUNS = st.lists(st.tuples(STATES, st.integers(1, 25).map(lambda n: n / FPS)), max_size=14)


def _justified(k: int, states: list, times: list, c: DetectorConfig) -> bool:
    """Arms up held >= up_hold_s, then (no lowering) arms out held >= out_hold_s, ending at k."""
    eps = 1e-6
    i = k
    while i >= 0 and states[i] in (A.OUT, A.UNKNOWN):
        i -= 1
    outs = [times[j] for j in range(i + 1, k + 1) if states[j] is A.OUT]
    if not outs or outs[-1] - outs[0] < c.out_hold_s - eps:
        return False
    # Before the arms-out phase, without the arms lowered in between: a run of arms up
    # (short unjudged gaps allowed) spanning at least up_hold_s.
    run: list[float] = []
    while i >= 0 and states[i] in (A.UP, A.MIXED, A.UNKNOWN, A.OUT):
        if states[i] is A.UP:
            run.append(times[i])
        else:
            run = [] if states[i] is not A.UNKNOWN else run
        if run and run[0] - run[-1] >= c.up_hold_s - eps:
            return True
        i -= 1
    return False


@settings(max_examples=300, deadline=None)
@given(RUNS)
def test_surrender_signal_never_skips_a_phase(runs: list) -> None:
    alerts, states, times = run_states(runs)
    c = DetectorConfig()
    for a in alerts:
        if a.kind is AlertKind.SURRENDER_SIGNAL:
            k = min(range(len(times)), key=lambda j: abs(times[j] - a.t_s))
            assert _justified(k, states, times, c), (runs, a.t_s)


@settings(max_examples=200, deadline=None)
@given(RUNS)
def test_no_up_no_alert(runs: list) -> None:
    runs = [(A.MIXED if s is A.UP else s, d) for s, d in runs]
    assert run_states(runs)[0] == []


@settings(max_examples=100, deadline=None)
@given(RUNS)
def test_two_phase_signal_detected_after_any_prefix(runs: list) -> None:
    # Whatever came before, a clean signal after a pause with arms down is recognised.
    runs = [*runs, (A.DOWN, 1.0), (A.UP, 1.5), (A.OUT, 2.0), (A.DOWN, 0.5)]
    alerts = run_states(runs)[0]
    last_start = sum(d for _, d in runs[:-3])
    assert any(
        a.kind is AlertKind.SURRENDER_SIGNAL and a.t_s >= last_start - 1e-6 for a in alerts
    ) or any(
        # a signal fired shortly before is rate-limited (not repeated within repeat_s)
        a.kind is AlertKind.SURRENDER_SIGNAL and last_start - a.t_s < 10.0
        for a in alerts
    )


# -- look-alikes, through the whole keypoint pipeline -------------------------------------
def _run_motion(motion: syn.Motion, seconds: float, seed: int = 0, **cam: float) -> list:
    rng = np.random.default_rng(seed)
    camera = syn.Camera(**cam)
    pipe = SignalPipeline()
    alerts = []
    for i in range(int(seconds * 15)):
        t = i / 15
        alerts += pipe.process_people(t, [syn.observe(motion(t), camera, rng, 0.01, 0.02)]).alerts
    return alerts


def _wave(t: float) -> syn.ArmPose:
    return (150 + 25 * np.sin(2 * np.pi * 1.5 * t), 10, 30, 8, 0, 10, False)


def _jumping_jacks(t: float) -> syn.ArmPose:
    ab = 90 - 82 * np.cos(2 * np.pi * 1.0 * t)  # down -> out -> up -> out -> down, 1 Hz
    return (ab, 0, 5, ab, 0, 5, False)


STRETCH = syn.keyframes(
    [(0, syn.DOWN), (1, syn.DOWN), (1.8, (175, 10, 40, 175, 10, 40, False)),
     (2.6, (175, 10, 40, 175, 10, 40, False)), (3.6, syn.DOWN), (6, syn.DOWN)]
)  # fmt: skip
SIGNAL = syn.keyframes(
    [(0, syn.DOWN), (1, syn.DOWN), (1.7, syn.UP), (3.2, syn.UP), (3.8, syn.OUT),
     (5.3, syn.OUT), (6, syn.DOWN), (8, syn.DOWN)]
)  # fmt: skip


def test_pipeline_recognises_signal_from_keypoints() -> None:
    for el in (0, 45):
        alerts = _run_motion(SIGNAL, 8, elevation_deg=el, yaw_deg=25)
        assert AlertKind.SURRENDER_SIGNAL in kinds(alerts), el


def test_look_alikes_do_not_raise_surrender_signal() -> None:
    for motion in (_wave, _jumping_jacks, STRETCH):
        for el in (0, 30, 60):
            alerts = _run_motion(motion, 20, elevation_deg=el)
            assert AlertKind.SURRENDER_SIGNAL not in kinds(alerts), (motion, el)
    assert kinds(_run_motion(_wave, 20)) == []  # one arm waving: mixed, no alert


# -- the white cloth ------------------------------------------------------------------------
def _cloth(hz: float, bright: bool, seconds: float = 4.0) -> list:
    det = TrackDetector(7)
    alerts = []
    for i in range(int(seconds * 15)):
        t = i / 15
        x = 100 + 30 * np.sin(2 * np.pi * hz * t)
        obs = Observation(t, 7, pose(A.MIXED), BOX, 0.9, ((x, 50.0), None), (bright, False))
        alerts += det.update(obs)
    return alerts


def test_waved_white_cloth_is_possible() -> None:
    alerts = _cloth(2.0, True)
    assert kinds(alerts) == [AlertKind.POSSIBLE_WHITE_CLOTH]
    assert alerts[0].confidence <= 0.5
    assert "possible" in alerts[0].text


def test_cloth_needs_brightness_and_tempo() -> None:
    assert _cloth(2.0, False) == []
    assert _cloth(0.3, True) == []  # too slow: a held cloth or a walking arm
    assert _cloth(6.0, True) == []  # too fast for a waved cloth
