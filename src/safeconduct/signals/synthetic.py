"""Synthetic people for tests and evaluation: a 3-D stick skeleton seen by a pinhole camera.

Nothing here is footage. The skeleton has adult proportions (1.75 m), arms given by
joint angles, and optional kneeling; :class:`Camera` projects it to BlazePose-indexed
2-D keypoints for a camera at a chosen elevation (degrees above the horizon, seen from the
person), yaw (the person's facing relative to the camera, degrees) and distance (metres),
with the focal length set so that the person is ``person_px`` pixels tall.

Body frame: x towards the person's right, y forwards (the facing direction), z up, metres.
Limitations: no self-occlusion (a hidden wrist keeps its visibility unless dropped), no
clothing, no pose-model error beyond the added Gaussian noise and dropped landmarks.

Drawing the figure as an image for the real pose model needs OpenCV, so it lives at the
edge: :func:`safeconduct.adapters.vision.synthetic_render.render`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from safeconduct.signals import gestures as g

#: A pose at one instant: arm angles (degrees) and kneeling.
#: ``(abduct_l, forward_l, bend_l, abduct_r, forward_r, bend_r, kneel)`` where abduct is the
#: arm's angle from hanging down (0 down, 90 horizontal, 180 straight up), forward swings
#: it from the side plane towards the front (0 sideways, 90 forwards), bend is the elbow.
ArmPose = tuple[float, float, float, float, float, float, bool]
Motion = Callable[[float], ArmPose]

UPPER_ARM, FOREARM, HAND = 0.30, 0.27, 0.08  # metres


def _arm_dir(side: float, abduct: float, forward: float) -> np.ndarray:
    a, f = np.radians(abduct), np.radians(forward)
    return np.array([side * np.sin(a) * np.cos(f), np.sin(a) * np.sin(f), -np.cos(a)])


def _bend(direction: np.ndarray, bend: float) -> np.ndarray:
    # Bend the forearm towards the front (or upwards when the arm already points forwards).
    ref = np.array([0.0, 1.0, 0.0]) if abs(direction[1]) < 0.9 else np.array([0.0, 0.0, 1.0])
    perp = ref - np.dot(ref, direction) * direction
    perp /= np.linalg.norm(perp)
    b = np.radians(bend)
    return np.cos(b) * direction + np.sin(b) * perp


def skeleton(pose: ArmPose) -> np.ndarray:
    """The 33 BlazePose joints in the body frame, metres, shape ``(33, 3)``."""
    al, fl, bl, ar, fr, br, kneel = pose
    j = np.zeros((g.N_LANDMARKS, 3))
    drop = 0.45 if kneel else 0.0  # kneeling lowers everything above the knees
    hip_z, sh_z = 0.95 - drop, 1.45 - drop
    j[g.L_HIP], j[g.R_HIP] = (-0.1, 0, hip_z), (0.1, 0, hip_z)
    j[g.L_SHOULDER], j[g.R_SHOULDER] = (-0.19, 0, sh_z), (0.19, 0, sh_z)
    head = sh_z + 0.17
    j[0] = (0, 0.10, head)
    for k, dx in zip((1, 2, 3), (0.015, 0.03, 0.045), strict=True):
        j[k] = (-dx, 0.09, head + 0.035)
        j[k + 3] = (dx, 0.09, head + 0.035)
    j[7], j[8] = (-0.075, 0.0, head + 0.02), (0.075, 0.0, head + 0.02)
    j[9], j[10] = (-0.025, 0.09, head - 0.05), (0.025, 0.09, head - 0.05)
    for side, sh, el, wr, fingers, (ab, fw, bd) in (
        (-1.0, g.L_SHOULDER, g.L_ELBOW, g.L_WRIST, (17, 19, 21), (al, fl, bl)),
        (1.0, g.R_SHOULDER, g.R_ELBOW, g.R_WRIST, (18, 20, 22), (ar, fr, br)),
    ):
        d = _arm_dir(side, ab, fw)
        j[el] = j[sh] + UPPER_ARM * d
        fore = _bend(d, bd)
        j[wr] = j[el] + FOREARM * fore
        for f in fingers:
            j[f] = j[wr] + HAND * fore
    for side, _hip, knee, ankle, heel, toe in (
        (-1.0, g.L_HIP, g.L_KNEE, g.L_ANKLE, 29, 31),
        (1.0, g.R_HIP, g.R_KNEE, g.R_ANKLE, 30, 32),
    ):
        x = 0.1 * side
        if kneel:
            j[knee], j[ankle] = (x, 0.0, 0.06), (x, -0.42, 0.07)
            j[heel], j[toe] = (x, -0.48, 0.10), (x, -0.55, 0.02)
        else:
            j[knee], j[ankle] = (x, 0.02, 0.50), (x, 0.0, 0.07)
            j[heel], j[toe] = (x, -0.05, 0.03), (x, 0.15, 0.02)
    return j


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking at a person's middle (1 m above the ground).

    Parameters
    ----------
    elevation_deg
        Camera elevation above the horizon as seen from the person, degrees (0-89).
    yaw_deg
        Angle between the person's facing and the direction to the camera, degrees.
    distance_m
        Camera to person, metres.
    person_px
        Height of the standing person in the image, pixels (sets the focal length).
    width, height
        Image size, pixels.
    """

    elevation_deg: float = 0.0
    yaw_deg: float = 0.0
    distance_m: float = 20.0
    person_px: float = 200.0
    width: int = 640
    height: int = 480

    def pose(self) -> tuple[np.ndarray, np.ndarray]:
        """The camera's position and axes in the body frame, metres.

        Returns
        -------
        tuple
            ``(position (3,), axes (3, 3))``; the rows of ``axes`` are the camera's x (the
            image's right), y (the image's bottom) and z (forwards, the optical axis).
        """
        e, y = np.radians(self.elevation_deg), np.radians(self.yaw_deg)
        target = np.array([0.0, 0.0, 1.0])
        cam = target + self.distance_m * np.array(
            [np.sin(y) * np.cos(e), np.cos(y) * np.cos(e), np.sin(e)]
        )
        fwd = (target - cam) / self.distance_m
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        return cam, np.stack([right, down, fwd])

    def to_camera_axes(self, joints: np.ndarray) -> np.ndarray:
        """Body-frame joints (metres) as BlazePose-style world landmarks ``(n, 3)``.

        Relative to the mid-hips, in the camera's axes (x right, y image-down, z away from
        the camera), metres; world-up is then exactly
        :func:`safeconduct.signals.view.up_in_camera` of ``elevation_deg``.
        """
        _, axes = self.pose()
        hips = (joints[g.L_HIP] + joints[g.R_HIP]) / 2
        return (joints - hips) @ axes.T

    def project(self, joints: np.ndarray) -> np.ndarray:
        """Project body-frame joints (metres) to pixel coordinates ``(n, 2)``."""
        cam, (right, down, fwd) = self.pose()
        rel = joints - cam
        depth = rel @ fwd
        focal = self.person_px * self.distance_m / 1.75
        u = focal * (rel @ right) / depth + self.width / 2
        v = focal * (rel @ down) / depth + self.height / 2
        return np.stack([u, v], axis=1)


def observe(
    pose: ArmPose,
    camera: Camera,
    rng: np.random.Generator | None = None,
    noise_frac: float = 0.0,
    drop_prob: float = 0.0,
    world_noise_m: float = 0.0,
) -> g.Keypoints:
    """Keypoints of ``pose`` seen by ``camera``, with optional noise and dropped landmarks.

    The world landmarks are the skeleton relative to its mid-hips in the camera's axes
    (:meth:`Camera.to_camera_axes`), so ``up_in_camera(camera.elevation_deg)`` is exactly
    world-up for them.

    Parameters
    ----------
    noise_frac
        Gaussian noise per coordinate, as a fraction of the person's height in pixels
        (at least 0.5 pixel when non-zero).
    drop_prob
        Chance that each landmark is reported missing (visibility 0) in this frame.
    world_noise_m
        Gaussian noise per world coordinate, metres (needs ``rng``).
    """
    joints = skeleton(pose)
    xy = camera.project(joints)
    world = camera.to_camera_axes(joints)
    vis = np.full(g.N_LANDMARKS, 0.95)
    if rng is not None:
        if noise_frac > 0:
            xy = xy + rng.normal(0.0, max(0.5, noise_frac * camera.person_px), xy.shape)
        if world_noise_m > 0:
            world = world + rng.normal(0.0, world_noise_m, world.shape)
        if drop_prob > 0:
            vis[rng.random(g.N_LANDMARKS) < drop_prob] = 0.05
    return g.Keypoints(xy=xy, visibility=vis, world=world)


# -- motions: pose as a function of time (seconds) ----------------------------------------
DOWN: ArmPose = (8, 0, 10, 8, 0, 10, False)
UP: ArmPose = (172, 5, 5, 172, 5, 5, False)
OUT: ArmPose = (90, 0, 5, 90, 0, 5, False)


def _lerp(a: ArmPose, b: ArmPose, s: float) -> ArmPose:
    s = float(np.clip(s, 0.0, 1.0))
    vals = [x + (y - x) * s for x, y in zip(a[:6], b[:6], strict=True)]
    return (*vals, b[6] if s >= 0.5 else a[6])  # type: ignore[return-value]


def keyframes(frames: list[tuple[float, ArmPose]]) -> Motion:
    """A motion through ``(time_s, pose)`` keyframes, linearly interpolated."""
    times = [t for t, _ in frames]

    def motion(t: float) -> ArmPose:
        if t <= times[0]:
            return frames[0][1]
        for (t0, p0), (t1, p1) in itertools.pairwise(frames):
            if t0 <= t <= t1:
                return _lerp(p0, p1, (t - t0) / (t1 - t0) if t1 > t0 else 1.0)
        return frames[-1][1]

    return motion
