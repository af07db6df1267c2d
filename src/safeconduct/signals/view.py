"""Where the camera looks: world-up in the camera's axes, from its elevation (pure geometry).

The gesture rules judge "arms up" in the world (wrists above the head against gravity), so
they need the direction of world-up in the axes of BlazePose's world landmarks, which are
the camera's: x to the image's right, y to the image's bottom, z away from the camera
(along the viewing ray), metres, origin between the hips.

The camera's elevation is how far below the horizon it looks, in degrees: 0 level, 90
straight down. It comes from the gimbal's attitude in the telemetry, from the user, or,
failing both, is estimated from the people in view (:class:`SceneElevation`).

A person away from the image's centre is seen along their own ray, which is steeper (lower
in the image) or flatter (higher) than the optical axis: :func:`ray_elevation_deg`.
BlazePose crops and straightens each person before it estimates landmarks, so the elevation
that matters for a person is that of the ray to them.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from safeconduct.limits import Range
from safeconduct.signals import gestures as g

#: How far below the horizon the camera looks, degrees (0 level, 90 straight down).
CAMERA_ELEVATION = Range(0.0, 90.0, "degrees", "a camera elevation")

#: Where a :class:`CameraView`'s elevation came from.
VIEW_SOURCES = ("gimbal", "given", "scene", "unknown")


@dataclass(frozen=True)
class CameraView:
    """The camera's elevation and where it came from.

    Attributes
    ----------
    elevation_deg
        How far below the horizon the camera looks, degrees: 0 level, 90 straight down;
        None when unknown.
    source
        ``"gimbal"`` (telemetry), ``"given"`` (by the user), ``"scene"`` (estimated from
        the people in view) or ``"unknown"``.

    Raises
    ------
    InvalidValueError
        The elevation is not a number within 0-90 degrees (field ``camera_elevation``).
    ValueError
        ``source`` is none of the above (a programming error).
    """

    elevation_deg: float | None
    source: str

    def __post_init__(self) -> None:
        if self.source not in VIEW_SOURCES:
            raise ValueError(f"source must be one of {VIEW_SOURCES}, not {self.source!r}")
        if self.elevation_deg is not None:
            CAMERA_ELEVATION.check(self.elevation_deg, field="camera_elevation")

    def up(self) -> np.ndarray | None:
        """World-up in the camera's axes (see :func:`up_in_camera`), None when unknown."""
        return None if self.elevation_deg is None else up_in_camera(self.elevation_deg)


def up_in_camera(elevation_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """Unit world-up vector in the camera's axes (x right, y image-down, z forwards).

    Parameters
    ----------
    elevation_deg
        How far below the horizon the camera (or the ray to a person) looks, degrees:
        0 gives ``(0, -1, 0)`` (up is the image's top), 90 gives ``(0, 0, -1)`` (up points
        back towards the camera). Values outside 0-90 are taken as they are (a ray may
        point above the horizon).
    roll_deg
        Rotation of the camera about its viewing axis, degrees; positive turns the camera
        clockwise as seen from behind it, so world-up in the image leans to the left.

    Returns
    -------
    numpy.ndarray
        ``(3,)`` unit vector ``(-cos e sin r, -cos e cos r, -sin e)``.
    """
    e, r = math.radians(elevation_deg), math.radians(roll_deg)
    return np.array([-math.cos(e) * math.sin(r), -math.cos(e) * math.cos(r), -math.sin(e)])


def ray_elevation_deg(
    camera_elevation_deg: float, pixel_y: float, image_height_px: int, vertical_fov_deg: float
) -> float:
    """Elevation of the ray to a person at image row ``pixel_y``, degrees below the horizon.

    A pinhole camera whose optical axis looks ``camera_elevation_deg`` below the horizon
    (no roll): rows below the image's centre look steeper, rows above flatter.

    Parameters
    ----------
    camera_elevation_deg
        The optical axis' elevation, degrees below the horizon.
    pixel_y
        Row of the person (their middle), pixels from the image's top.
    image_height_px
        Image height, pixels.
    vertical_fov_deg
        The camera's vertical field of view, degrees (0-180, exclusive).

    Returns
    -------
    float
        Degrees, clipped to -90..90 (a ray past straight down is taken as straight down).
    """
    if image_height_px <= 0 or not 0.0 < vertical_fov_deg < 180.0:
        raise ValueError("need a positive image height and a field of view within 0-180 degrees")
    focal_px = (image_height_px / 2) / math.tan(math.radians(vertical_fov_deg) / 2)
    below_axis = math.degrees(math.atan2(pixel_y - image_height_px / 2, focal_px))
    return float(np.clip(camera_elevation_deg + below_axis, -90.0, 90.0))


def _mid(world: np.ndarray, a: int, b: int) -> np.ndarray:
    return (world[a] + world[b]) / 2


class SceneElevation:
    """Estimates the camera's elevation from standing people's torso axis.

    A standing person's torso (mid-hips to mid-shoulders) points up in the world, so in
    BlazePose's world landmarks (camera axes) its direction gives the elevation:
    ``|atan2(-z, hypot(x, y))|``. The magnitude, because BlazePose often gets the sign of
    the torso's depth wrong from above (at 60 degrees 40-60% of the frames of the rendered
    figure had the torso leaning 20-40 degrees away from the camera). Only frames where
    the person looks upright are used: the legs straight below the torso (the angle between
    the torso axis and mid-hips to mid-ankles at least ``min_leg_angle_deg``). The estimate
    is the median over the last ``window`` such frames, and None until ``min_samples`` of
    them were seen.

    Limitations: it trusts the pose model's depth, which is poorest exactly at steep views.
    Measured on the rendered figure (BlazePose Full / Heavy, crops upscaled to 256 px,
    people with arms down, up and out) it reads LOW: 14 / 8 degrees for a level camera,
    21 / 16 at 30, 20 / 22 at 45, 25 / 32 at 60. The world rules with such an estimate
    still beat the image rules at 45-60 degrees (Full: arms up 93% / 45% of frames against
    62% / 32%), though far less than with the true elevation (99% / 76%): prefer the
    gimbal's or the user's elevation. A leaning or bending crowd biases it further.
    """

    def __init__(
        self,
        min_samples: int = 15,
        window: int = 300,
        min_visibility: float = g.DEFAULT_MIN_VISIBILITY,
        min_leg_angle_deg: float = 150.0,
    ) -> None:
        self.min_samples = min_samples
        self.min_visibility = min_visibility
        self._cos_leg = math.cos(math.radians(min_leg_angle_deg))
        self._angles: deque[float] = deque(maxlen=window)

    def update(self, kp: g.Keypoints | None) -> None:
        """Take one person's landmarks in one frame as evidence, if they look upright."""
        angle = self._torso_elevation(kp)
        if angle is not None:
            self._angles.append(angle)

    def _torso_elevation(self, kp: g.Keypoints | None) -> float | None:
        if kp is None or kp.world is None:
            return None
        need = (g.L_SHOULDER, g.R_SHOULDER, g.L_HIP, g.R_HIP, g.L_ANKLE, g.R_ANKLE)
        w = kp.world.astype(float)
        if not all(kp.visibility[i] >= self.min_visibility for i in need):
            return None
        if not np.all(np.isfinite(w[list(need)])):
            return None
        hips = _mid(w, g.L_HIP, g.R_HIP)
        torso = _mid(w, g.L_SHOULDER, g.R_SHOULDER) - hips
        legs = _mid(w, g.L_ANKLE, g.R_ANKLE) - hips
        nt, nl = float(np.linalg.norm(torso)), float(np.linalg.norm(legs))
        if nt < 1e-6 or nl < 1e-6:
            return None
        if float(torso @ legs) / (nt * nl) > self._cos_leg:
            return None  # bending, sitting, kneeling or lying: the torso is not vertical
        if torso[1] > 0.3 * nt:
            return None  # the torso points down the image: upside down or a bad fit
        elevation = abs(math.degrees(math.atan2(-torso[2], math.hypot(torso[0], torso[1]))))
        return min(elevation, 90.0)

    def estimate(self) -> float | None:
        """The camera elevation in degrees (0-90), or None until enough evidence."""
        if len(self._angles) < self.min_samples:
            return None
        return float(np.median(np.asarray(self._angles)))
