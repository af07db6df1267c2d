"""A sign held up in both hands: the frame test (OpenCV) and the detector's hold (pure)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.signals import gestures as g
from safeconduct.signals import synthetic as syn
from safeconduct.signals.detector import (
    AlertKind,
    DetectorConfig,
    Observation,
    TrackDetector,
    both_raised,
)
from safeconduct.signals.gestures import ArmsState, ArmState, PoseState

FPS = 10.0
BOX = (0.0, 0.0, 10.0, 30.0)
WHITE = (245, 245, 245)


# -- the detector's hold ---------------------------------------------------------------------
def _state(arms: ArmsState) -> PoseState:
    side = {ArmsState.UP: ArmState.UP, ArmsState.DOWN: ArmState.DOWN}.get(arms, ArmState.OTHER)
    if arms is ArmsState.UNKNOWN:
        side = ArmState.UNKNOWN
    return PoseState(arms, side, side, False, None if arms is ArmsState.UNKNOWN else 50.0)


def _run(runs: list[tuple[ArmsState, float, float]], config: DetectorConfig | None = None) -> list:
    """Feed runs of ``(arms, seconds, share of frames with the sign)`` at 10 fps."""
    det = TrackDetector(3, config or DetectorConfig())
    alerts, t = [], 0.0
    for arms, seconds, share in runs:
        n = round(seconds * FPS)
        for i in range(n):
            # Spread the sign frames evenly through the run.
            seen = int((i + 1) * share) > int(i * share)
            alerts += det.update(Observation(t, 3, _state(arms), BOX, 0.9, sign_between_hands=seen))
            t += 1 / FPS
    return [a for a in alerts if a.kind is AlertKind.POSSIBLE_SIGN]


def test_sign_held_up_is_possible_sign() -> None:
    alerts = _run([(ArmsState.DOWN, 1.0, 0.0), (ArmsState.UP, 1.2, 1.0)])
    assert len(alerts) == 1
    assert 0.0 < alerts[0].confidence <= 0.5
    assert "possible" in alerts[0].text and "hors de combat" in alerts[0].text


def test_sign_needs_most_frames_the_raised_arms_and_the_hold() -> None:
    assert _run([(ArmsState.UP, 3.0, 0.3)]) == []  # seen in 30 % of the frames
    assert _run([(ArmsState.DOWN, 3.0, 1.0)]) == []  # a white thing, arms down
    assert _run([(ArmsState.OUT, 3.0, 1.0)]) == []
    assert _run([(ArmsState.UP, 0.7, 1.0), (ArmsState.DOWN, 1.0, 1.0)]) == []  # too short
    assert _run([(ArmsState.UP, 3.0, 0.0)]) == []


def test_sign_hold_tolerates_short_dropouts() -> None:
    runs = [(ArmsState.UP, 0.6, 1.0), (ArmsState.UNKNOWN, 0.2, 0.0), (ArmsState.UP, 0.6, 1.0)]
    assert len(_run(runs)) == 1


def test_sign_once_per_episode_and_rate_limited() -> None:
    up, down = (ArmsState.UP, 1.5, 1.0), (ArmsState.DOWN, 1.0, 0.0)
    assert len(_run([(ArmsState.UP, 8.0, 1.0)])) == 1  # held on: once
    assert len(_run([up, down, up])) == 1  # raised again within repeat_s
    assert len(_run([up, (ArmsState.DOWN, 10.0, 0.0), up])) == 2  # after repeat_s
    short = DetectorConfig(repeat_s=2.0)
    assert len(_run([up, down, up], short)) == 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([ArmsState.UP, ArmsState.DOWN, ArmsState.UNKNOWN, ArmsState.MIXED]),
            st.floats(0.1, 2.0),
            st.floats(0.0, 1.0),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_possible_sign_needs_a_raised_hold_with_the_sign(runs: list) -> None:
    det, c = TrackDetector(3), DetectorConfig()
    frames, t = [], 0.0
    for arms, seconds, share in runs:
        n = max(1, round(seconds * FPS))
        for i in range(n):
            seen = int((i + 1) * share) > int(i * share)
            obs = Observation(t, 3, _state(arms), BOX, 0.9, sign_between_hands=seen)
            frames.append((t, arms, seen))
            for alert in det.update(obs):
                if alert.kind is not AlertKind.POSSIBLE_SIGN:
                    continue
                assert alert.confidence <= 0.5
                # The last sign_hold_s: arms up (or briefly unjudged), the sign mostly seen.
                recent = [f for f in frames if t - f[0] <= c.sign_hold_s]  # as the detector
                assert all(f[1] in (ArmsState.UP, ArmsState.UNKNOWN) for f in recent)
                judged = [f[2] for f in recent if f[1] is ArmsState.UP]
                assert np.mean(judged) >= c.sign_min_share
            t += 1 / FPS


def test_both_raised() -> None:
    up, other, down, out = ArmState.UP, ArmState.OTHER, ArmState.DOWN, ArmState.OUT
    assert both_raised(PoseState(ArmsState.UP, up, up, False, 50.0))
    assert both_raised(PoseState(ArmsState.MIXED, up, other, False, 50.0))
    for left, right in ((up, down), (up, out), (other, other), (down, down)):
        assert not both_raised(PoseState(ArmsState.MIXED, left, right, False, 50.0))


# -- the frame test, on rendered figures ------------------------------------------------------
cv2 = pytest.importorskip("cv2")

from safeconduct.adapters.vision.sign import sign_between  # noqa: E402
from safeconduct.adapters.vision.synthetic_render import render  # noqa: E402


def _seen(
    prop: str | None,
    pose: syn.ArmPose = syn.UP,
    background: tuple[int, int, int] = (80, 120, 100),
    shirt: tuple[int, int, int] = (40, 80, 60),
    **camera: float,
) -> bool:
    """sign_between on a rendered frame, with the wrists and torso of the exact skeleton."""
    cam = syn.Camera(**camera)
    frame = render(pose, cam, background=background, prop=prop, shirt=shirt)
    kp = syn.observe(pose, cam)
    torso = g.body_frame(kp)
    assert torso is not None
    return sign_between(frame, tuple(kp.xy[g.L_WRIST]), tuple(kp.xy[g.R_WRIST]), torso.scale)


@pytest.mark.parametrize("elevation", [0, 30, 45])
@pytest.mark.parametrize("person_px", [120, 240])
def test_rendered_sign_is_seen(elevation: float, person_px: float) -> None:
    for yaw in (0, 30):
        assert _seen("sign", elevation_deg=elevation, person_px=person_px, yaw_deg=yaw)


@pytest.mark.parametrize("elevation", [0, 45])
def test_look_alikes_are_not_a_sign(elevation: float) -> None:
    cam = {"elevation_deg": elevation, "person_px": 180, "yaw_deg": 20}
    assert not _seen(None, **cam)
    assert not _seen("box", **cam)  # light brown is not white
    assert not _seen("cloth", **cam)  # at one hand, not between both
    # A white background fills the space between the hands too, but runs out of it.
    assert not _seen(None, background=WHITE, **cam)
    assert not _seen(None, background=(235, 225, 215), **cam)  # a pale sky
    # A white shirt and sleeves: joined to the body, not a region held between the hands.
    assert not _seen(None, shirt=WHITE, **cam)
    assert not _seen(None, pose=syn.OUT, shirt=WHITE, **cam)
    assert not _seen(None, pose=syn.OUT, **cam)  # hands apart with nothing between


def test_sign_in_front_of_a_white_shirt_is_still_seen() -> None:
    assert _seen("sign", shirt=WHITE, elevation_deg=30, person_px=180)


def test_bad_geometry_is_no_sign_not_an_error() -> None:
    frame = np.full((120, 160, 3), 245, np.uint8)
    frame[40:60, 50:110] = 250
    nan = (float("nan"), 10.0)
    assert not sign_between(frame, nan, (100.0, 50.0), 40.0)
    assert not sign_between(frame, (60.0, 50.0), (100.0, 50.0), 0.0)
    assert not sign_between(frame, (80.0, 50.0), (80.0, 50.0), 40.0)  # no space between
    assert not sign_between(frame, (-500.0, -500.0), (-450.0, -500.0), 40.0)  # off the frame
    assert not sign_between(frame[:0], (60.0, 50.0), (100.0, 50.0), 40.0)


def test_a_drawn_rectangle_between_wrists() -> None:
    # Plain geometry: a white card between two wrists on a dark ground is a sign; the same
    # card as a disc or as a card twice too small is not.
    frame = np.full((200, 300, 3), (60, 90, 70), np.uint8)
    card = frame.copy()
    cv2.rectangle(card, (100, 80), (200, 130), (240, 240, 240), -1)
    assert sign_between(card, (105.0, 105.0), (195.0, 105.0), 80.0)
    disc = frame.copy()
    cv2.circle(disc, (150, 105), 45, (240, 240, 240), -1)
    assert not sign_between(disc, (105.0, 105.0), (195.0, 105.0), 80.0)
    small = frame.copy()
    cv2.rectangle(small, (140, 100), (160, 110), (240, 240, 240), -1)
    assert not sign_between(small, (105.0, 105.0), (195.0, 105.0), 80.0)
    # Held by its lower edge, or the pose model's wrists a little low: still a sign. Far
    # above the wrists (a white window on the wall behind) or well below them (where the
    # body is): not.
    assert sign_between(card, (105.0, 140.0), (195.0, 140.0), 80.0)
    assert not sign_between(card, (105.0, 190.0), (195.0, 190.0), 40.0)
    assert not sign_between(card, (105.0, 40.0), (195.0, 40.0), 80.0)


# -- end to end on keypoints: rendered frames, exact landmarks, classifier, detector ------------
def test_rendered_sign_raises_possible_sign_end_to_end() -> None:
    cam = syn.Camera(elevation_deg=30, yaw_deg=15, person_px=150)
    motion = syn.keyframes([(0, syn.DOWN), (0.5, syn.DOWN), (1.0, syn.UP), (3.0, syn.UP)])
    rng = np.random.default_rng(4)
    for prop, expected in (("sign", 1), ("box", 0), (None, 0)):
        classifier, det, found = g.GestureClassifier(), TrackDetector(1), []
        for i in range(int(3.0 * FPS)):
            t = i / FPS
            pose = motion(t)
            kp = syn.observe(pose, cam, rng, 0.01)
            state = classifier.update(kp)
            seen = state.torso_px is not None and sign_between(
                render(pose, cam, prop=prop),
                tuple(kp.xy[g.L_WRIST]),
                tuple(kp.xy[g.R_WRIST]),
                state.torso_px,
            )
            obs = Observation(t, 1, state, BOX, 0.95, sign_between_hands=seen)
            found += [a for a in det.update(obs) if a.kind is AlertKind.POSSIBLE_SIGN]
        assert len(found) == expected, prop
