"""World-frame gesture rules and the camera's view (synthetic, exact world landmarks)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.errors import InvalidValueError
from safeconduct.signals import gestures as g
from safeconduct.signals import synthetic as syn
from safeconduct.signals import view

# Arm forms of the evaluation's signals (bench/signals_eval.py): (abduct, forward, bend) ranges.
FORMS = {
    g.ArmState.UP: ((150, 180), (-10, 25), (0, 30)),
    g.ArmState.OUT: ((75, 105), (-10, 20), (0, 25)),
    g.ArmState.DOWN: ((3, 15), (-5, 15), (5, 25)),
}


def _pose(state: g.ArmState, u: tuple[float, float, float]) -> syn.ArmPose:
    (a0, a1), (f0, f1), (b0, b1) = FORMS[state]
    a, f, b = a0 + u[0] * (a1 - a0), f0 + u[1] * (f1 - f0), b0 + u[2] * (b1 - b0)
    return (a, f, b, a, f, b, False)


unit = st.floats(0.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(
    state=st.sampled_from(list(FORMS)),
    form=st.tuples(unit, unit, unit),
    elevation=st.floats(0.0, 89.0),
    yaw=st.floats(-60.0, 60.0),
)
def test_world_states_do_not_depend_on_the_view(
    state: g.ArmState, form: tuple[float, float, float], elevation: float, yaw: float
) -> None:
    kp = syn.observe(_pose(state, form), syn.Camera(elevation_deg=elevation, yaw_deg=yaw))
    s = g.GestureClassifier().update(kp, view.up_in_camera(elevation))
    assert s.geometry == "world"
    assert (s.left, s.right) == (state, state)
    assert s.kneeling is False


@pytest.mark.parametrize("elevation", [0.0, 45.0, 80.0])
def test_world_kneeling(elevation: float) -> None:
    kneel_up = (172, 5, 5, 172, 5, 5, True)
    kp = syn.observe(kneel_up, syn.Camera(elevation_deg=elevation, yaw_deg=20))
    s = g.GestureClassifier().update(kp, view.up_in_camera(elevation))
    assert s.geometry == "world" and s.kneeling is True and s.arms is g.ArmsState.UP


def test_world_rules_survive_noise_and_dropped_landmarks() -> None:
    # Jittery world landmarks of a held OUT pose at a steep view: smoothing, fill and
    # hysteresis keep it OUT once entered.
    rng = np.random.default_rng(3)
    cam = syn.Camera(elevation_deg=60, yaw_deg=-20)
    clf = g.GestureClassifier()
    up = view.up_in_camera(60)
    states = [
        clf.update(syn.observe(syn.OUT, cam, rng, drop_prob=0.05, world_noise_m=0.02), up).arms
        for _ in range(40)
    ]
    assert states[-30:].count(g.ArmsState.OUT) >= 28


def test_out_after_up_in_world_frame() -> None:
    # Lowering raised arms to the side: out as soon as the wrists are out at shoulder height,
    # even though the steep view's "up" stay band would still hold them up.
    th = g.WORLD_STEEP
    h = (th.up_stay + th.up_enter) / 2
    assert g.classify_arm(h, 1.4, g.ArmState.UP, th, out_after_up=True) is g.ArmState.OUT
    assert g.classify_arm(h, 1.4, g.ArmState.UP, th) is g.ArmState.UP
    # Arms lowered in front (little sideways extent) do not become "out".
    assert g.classify_arm(h, 0.2, g.ArmState.UP, th, out_after_up=True) is g.ArmState.UP


def test_world_thresholds_go_from_level_to_steep() -> None:
    assert g.world_thresholds(0.0) == g.WORLD_LEVEL
    assert g.world_thresholds(30.0) == g.WORLD_LEVEL
    assert g.world_thresholds(75.0) == g.WORLD_STEEP
    mid = g.world_thresholds(45.0)
    assert mid.up_enter == pytest.approx((g.WORLD_LEVEL.up_enter + g.WORLD_STEEP.up_enter) / 2)


def test_geometry_world_only_with_world_and_up() -> None:
    kp = syn.observe(syn.UP, syn.Camera(elevation_deg=30))
    up = view.up_in_camera(30)
    assert g.GestureClassifier().update(kp, up).geometry == "world"
    assert g.GestureClassifier().update(kp).geometry == "image"
    flat = g.Keypoints(kp.xy, kp.visibility)
    assert g.GestureClassifier().update(flat, up).geometry == "image"
    # World torso missing: the image rules judge.
    world = kp.world.copy()  # type: ignore[union-attr]
    world[g.L_HIP] = np.nan
    s = g.GestureClassifier().update(g.Keypoints(kp.xy, kp.visibility, world), up)
    assert s.geometry == "image" and s.arms is g.ArmsState.UP


def test_image_fallback_unchanged_by_world_landmarks() -> None:
    # Without up, world landmarks are ignored: the image rules give the same states.
    cam = syn.Camera(elevation_deg=45, yaw_deg=30, person_px=120)
    for pose in (syn.UP, syn.OUT, syn.DOWN, (172, 5, 5, 8, 0, 10, False)):
        kp = syn.observe(pose, cam)
        with_world = g.GestureClassifier().update(kp)
        without = g.GestureClassifier().update(g.Keypoints(kp.xy, kp.visibility))
        assert with_world == without


def test_world_state_has_torso_px() -> None:
    kp = syn.observe(syn.DOWN, syn.Camera(person_px=200))
    s = g.GestureClassifier().update(kp, view.up_in_camera(0))
    assert s.torso_px is not None and s.torso_px > 0


def test_synthetic_world_landmarks_are_metric_and_hip_centred() -> None:
    kp = syn.observe(syn.DOWN, syn.Camera(elevation_deg=50, yaw_deg=10))
    w = kp.world
    assert w is not None
    assert np.allclose((w[g.L_HIP] + w[g.R_HIP]) / 2, 0.0)
    torso = (w[g.L_SHOULDER] + w[g.R_SHOULDER] - w[g.L_HIP] - w[g.R_HIP]) / 2
    assert torso @ view.up_in_camera(50) == pytest.approx(0.5)


@settings(max_examples=30, deadline=None)
@given(elevation=st.floats(-90.0, 90.0), roll=st.floats(-180.0, 180.0))
def test_up_in_camera_is_unit(elevation: float, roll: float) -> None:
    assert np.linalg.norm(view.up_in_camera(elevation, roll)) == pytest.approx(1.0)


def test_up_in_camera_limits() -> None:
    assert np.allclose(view.up_in_camera(0.0), (0.0, -1.0, 0.0))
    assert np.allclose(view.up_in_camera(90.0), (0.0, 0.0, -1.0))
    assert np.allclose(view.up_in_camera(0.0, 90.0), (-1.0, 0.0, 0.0))
    assert np.allclose(view.up_in_camera(0.0, 30.0)[2], 0.0)


def test_ray_elevation() -> None:
    assert view.ray_elevation_deg(40.0, 240.0, 480, 60.0) == pytest.approx(40.0)
    rows = np.linspace(0, 480, 25)
    elev = [view.ray_elevation_deg(40.0, float(y), 480, 60.0) for y in rows]
    assert all(b > a for a, b in itertools.pairwise(elev))
    assert elev[0] == pytest.approx(10.0) and elev[-1] == pytest.approx(70.0)
    assert view.ray_elevation_deg(80.0, 480.0, 480, 60.0) == 90.0
    with pytest.raises(ValueError):
        view.ray_elevation_deg(40.0, 0.0, 480, 0.0)


def test_scene_elevation_recovers_the_camera_elevation() -> None:
    rng = np.random.default_rng(5)
    for elevation in (10.0, 35.0, 60.0):
        est = view.SceneElevation()
        for _ in range(40):
            cam = syn.Camera(elevation_deg=elevation, yaw_deg=float(rng.uniform(-60, 60)))
            pose = syn.DOWN if rng.random() < 0.5 else syn.OUT
            est.update(syn.observe(pose, cam, rng, world_noise_m=0.02))
        got = est.estimate()
        assert got is not None and abs(got - elevation) < 4.0


def test_scene_elevation_needs_evidence() -> None:
    est = view.SceneElevation()
    assert est.estimate() is None
    kp = syn.observe(syn.DOWN, syn.Camera(elevation_deg=30))
    est.update(g.Keypoints(kp.xy, kp.visibility))  # no world landmarks
    est.update(None)
    for _ in range(5):
        est.update(kp)
    assert est.estimate() is None  # too few frames
    kneeling = syn.observe((8, 0, 10, 8, 0, 10, True), syn.Camera(elevation_deg=30))
    for _ in range(50):
        est.update(kneeling)  # not upright: no evidence
    assert est.estimate() is None


@pytest.mark.parametrize("bad", [-1.0, 91.0, math.nan, math.inf, "steep", True])
def test_camera_elevation_refused(bad: object) -> None:
    with pytest.raises(InvalidValueError) as err:
        view.CAMERA_ELEVATION.check(bad, field="camera_elevation")
    assert err.value.field == "camera_elevation"
    with pytest.raises(InvalidValueError) as err:
        view.CameraView(bad, "given")  # type: ignore[arg-type]
    assert err.value.field == "camera_elevation"


def test_camera_view() -> None:
    assert view.CameraView(None, "unknown").up() is None
    up = view.CameraView(45.0, "gimbal").up()
    assert up is not None and np.allclose(up, view.up_in_camera(45.0))
    with pytest.raises(ValueError):
        view.CameraView(10.0, "guess")
