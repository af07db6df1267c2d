"""Where on the ground a pixel looks: the camera ray cast onto the DEM.

The signal detector finds the person in a video frame; to use that as a person fix the
pixel must become a map point. The ray through the pixel leaves the camera (the vehicle's
position and height above sea level), pointed by the vehicle's heading and the gimbal's
pitch and yaw, and is marched over the DEM until it passes below the ground; the crossing is
then refined by bisection.

Conventions
-----------
- Pinhole camera, square pixels, no lens distortion: ``u`` grows to the right, ``v``
  downwards, ``(0, 0)`` the top-left corner of the top-left pixel.
- Gimbal pitch in degrees, negative looking down (-90 straight down), as
  ``GIMBAL_DEVICE_ATTITUDE_STATUS`` and ``MOUNT_STATUS`` report it; gimbal yaw in degrees
  clockwise from the vehicle's nose; roll is taken as zero (a stabilised gimbal keeps the
  horizon level).
- Vehicle heading in degrees clockwise from *true* north (``GLOBAL_POSITION_INT.hdg``).
  :func:`project_to_ground` turns it into a grid bearing with the map projection's meridian
  convergence at the camera (up to a few degrees off a UTM zone's central meridian).
- Map frame: ``x`` east, ``y`` north (the DEM's projected grid), ``z`` up, metres above sea
  level.

Rays at or above the horizon give None even where a hill would stop them: at a grazing
angle one pixel of error moves the ground point by tens of metres, and the person-fix gate
is better served by no fix than by a wild one. Pure computation on arrays: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from safeconduct.errors import InvalidValueError
from safeconduct.terrain.dem import Dem


def _whole(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


@dataclass(frozen=True)
class CameraIntrinsics:
    """A pinhole camera: image size and horizontal field of view.

    Attributes
    ----------
    width_px, height_px
        Image size, pixels.
    hfov_deg
        Horizontal field of view, degrees (0 < hfov < 180).

    The default is typical of a 900 g camera drone filming 1080p: 1920 x 1080 at 82 degrees.
    """

    width_px: int = 1920
    height_px: int = 1080
    hfov_deg: float = 82.0

    def __post_init__(self) -> None:
        for key, what in (("width_px", "width"), ("height_px", "height")):
            value = getattr(self, key)
            if not _whole(value) or value < 1:
                raise InvalidValueError(
                    f"the image {what} must be a whole number of pixels, not {value}",
                    field=f"camera.{key}",
                )
        if not (math.isfinite(self.hfov_deg) and 0 < self.hfov_deg < 180):
            raise InvalidValueError(
                f"the horizontal field of view must be between 0 and 180 degrees, "
                f"not {self.hfov_deg}",
                field="camera.hfov_deg",
            )

    @property
    def fx(self) -> float:
        """Focal length in pixels (the same for both axes: square pixels)."""
        return self.width_px / 2.0 / math.tan(math.radians(self.hfov_deg) / 2.0)

    @property
    def fy(self) -> float:
        """Vertical focal length in pixels (equal to :attr:`fx`)."""
        return self.fx

    @property
    def cx(self) -> float:
        """Principal point, pixels from the left edge (the image centre)."""
        return self.width_px / 2.0

    @property
    def cy(self) -> float:
        """Principal point, pixels from the top edge (the image centre)."""
        return self.height_px / 2.0

    @property
    def vfov_deg(self) -> float:
        """Vertical field of view, degrees."""
        return math.degrees(2.0 * math.atan(self.height_px / 2.0 / self.fy))


#: The camera assumed when no profile names one.
DEFAULT_CAMERA = CameraIntrinsics()


def parse_camera(data: Mapping[str, Any] | None) -> CameraIntrinsics:
    """Read a camera from a mapping such as a profile's ``[camera]`` TOML table.

    Parameters
    ----------
    data
        Keys ``width_px``, ``height_px`` (integers) and ``hfov_deg`` (degrees), each
        optional (missing ones take :data:`DEFAULT_CAMERA`'s); None gives the default.

    Raises
    ------
    InvalidValueError
        For an unknown key or a value out of range (field ``camera.<key>``).
    """
    if data is None:
        return DEFAULT_CAMERA
    known = {"width_px", "height_px", "hfov_deg"}
    for key in data:
        if key not in known:
            raise InvalidValueError(
                f"unknown camera setting {key!r}; use width_px, height_px and hfov_deg",
                field=f"camera.{key}",
            )
    values: dict[str, Any] = {}
    for key, kind in (("width_px", int), ("height_px", int), ("hfov_deg", float)):
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValueError(
                f"camera {key} must be a number, not {value!r}", field=f"camera.{key}"
            )
        values[key] = float(value) if kind is float else int(value) if _whole(value) else value
    return CameraIntrinsics(**values)


def pixel_ray(
    camera: CameraIntrinsics, u: float, v: float, *, yaw_deg: float, pitch_deg: float
) -> np.ndarray:
    """The unit direction of the ray through pixel ``(u, v)``, in the map frame.

    Parameters
    ----------
    camera
        The camera's intrinsics.
    u, v
        Pixel coordinates (right, down) from the image's top-left corner.
    yaw_deg
        Bearing of the camera's optical axis, degrees clockwise from the map's north (+y).
    pitch_deg
        Elevation of the optical axis, degrees, negative below the horizon.

    Returns
    -------
    numpy.ndarray
        ``[east, north, up]``, unit length.
    """
    # Camera frame (OpenCV): x right, y down, z along the optical axis.
    right = (u - camera.cx) / camera.fx
    down = (v - camera.cy) / camera.fy
    fwd = 1.0
    th = math.radians(pitch_deg)
    # Pitch about the right axis: the optical axis goes to (cos, 0, -sin) in a level
    # forward-right-down frame, the image's down axis to (sin, 0, cos).
    f_l = fwd * math.cos(th) + down * math.sin(th)
    d_l = -fwd * math.sin(th) + down * math.cos(th)
    psi = math.radians(yaw_deg)
    north = f_l * math.cos(psi) - right * math.sin(psi)
    east = f_l * math.sin(psi) + right * math.cos(psi)
    ray = np.array([east, north, -d_l])
    return ray / np.linalg.norm(ray)


def ground_height(dem: Dem, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    """Bilinear ground height between cell centres, metres; NaN off the grid or on nodata.

    Parameters
    ----------
    dem
        The elevation model.
    x, y
        Map coordinates, metres (scalars or arrays of one shape).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    t = dem.transform
    col = (x - t.c) / t.a - 0.5
    row = (y - t.f) / t.e - 0.5
    rows, cols = dem.shape
    inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
    # Within half a cell of the edge there is one centre on that side: hold it flat there.
    col = np.clip(np.where(inside, col, 0.0), 0.0, cols - 1.0)
    row = np.clip(np.where(inside, row, 0.0), 0.0, rows - 1.0)
    c0 = np.minimum(np.floor(col).astype(np.intp), max(cols - 2, 0))
    r0 = np.minimum(np.floor(row).astype(np.intp), max(rows - 2, 0))
    c1 = np.minimum(c0 + 1, cols - 1)
    r1 = np.minimum(r0 + 1, rows - 1)
    fc = col - c0
    fr = row - r0
    z = dem.elevation
    top = z[r0, c0] * (1 - fc) + z[r0, c1] * fc
    bottom = z[r1, c0] * (1 - fc) + z[r1, c1] * fc
    h = top * (1 - fr) + bottom * fr
    return np.where(inside, h, np.nan)


def grid_convergence_deg(dem: Dem, x: float, y: float) -> float:
    """Grid bearing of true north at ``(x, y)``, degrees clockwise from the map's +y.

    Add it to a true bearing to get a grid bearing. Zero on a UTM zone's central meridian.
    """
    lon, lat = dem.xy_to_lonlat(x, y)
    step = 1e-4 if lat < 89.9 else -1e-4
    x2, y2 = dem.lonlat_to_xy(lon, lat + step)
    sign = 1.0 if step > 0 else -1.0
    return math.degrees(math.atan2(sign * (x2 - x), sign * (y2 - y)))


def project_to_ground(
    camera: CameraIntrinsics,
    pixel: tuple[float, float],
    camera_xyz: tuple[float, float, float],
    heading_deg: float,
    gimbal_pitch_deg: float,
    gimbal_yaw_deg: float,
    dem: Dem,
    *,
    max_range_m: float = 1500.0,
    step_m: float | None = None,
) -> tuple[float, float] | None:
    """Cast the ray through ``pixel`` onto the DEM.

    Parameters
    ----------
    camera
        The camera's intrinsics.
    pixel
        ``(u, v)`` pixel coordinates (right, down) from the top-left corner.
    camera_xyz
        The camera's position: ``x``, ``y`` map metres on ``dem``'s grid and height above
        mean sea level, metres.
    heading_deg
        The vehicle's heading, degrees clockwise from true north.
    gimbal_pitch_deg, gimbal_yaw_deg
        The gimbal's attitude: pitch degrees (negative down), yaw degrees clockwise from the
        nose.
    dem
        The ground.
    max_range_m
        Give up beyond this distance along the ray, metres.
    step_m
        March step along the ray, metres (default half the smaller cell side).

    Returns
    -------
    (float, float) or None
        The ground point ``(x, y)`` map metres, or None when the ray points at or above the
        horizon, leaves the DEM or meets nodata first, starts below the ground, or finds no
        ground within ``max_range_m``.

    Raises
    ------
    InvalidValueError
        For non-finite inputs (field ``camera_pose``).
    """
    numbers = (*pixel, *camera_xyz, heading_deg, gimbal_pitch_deg, gimbal_yaw_deg)
    if not all(math.isfinite(float(n)) for n in numbers):
        raise InvalidValueError(
            "the camera position, attitude or pixel has a non-finite number", field="camera_pose"
        )
    x0, y0, z0 = (float(c) for c in camera_xyz)
    yaw = heading_deg + gimbal_yaw_deg + grid_convergence_deg(dem, x0, y0)
    ray = pixel_ray(
        camera, float(pixel[0]), float(pixel[1]), yaw_deg=yaw, pitch_deg=gimbal_pitch_deg
    )
    if ray[2] >= 0.0:
        return None
    origin = np.array([x0, y0, z0])
    start_h = float(ground_height(dem, x0, y0))
    if not math.isfinite(start_h) or z0 <= start_h:
        return None
    step = step_m if step_m is not None else 0.5 * min(dem.cell_size)
    t = np.arange(1, int(max_range_m / step) + 2, dtype=np.float64) * step
    t = t[t <= max_range_m]
    pts = origin + t[:, None] * ray
    above = pts[:, 2] - ground_height(dem, pts[:, 0], pts[:, 1])
    # NaN (off the grid, nodata) counts as "not known": the ray must cross before it.
    bad = ~np.isfinite(above)
    below = np.flatnonzero(np.where(bad, False, above <= 0.0))
    first_bad = int(np.argmax(bad)) if bad.any() else len(t)
    if len(below) == 0 or below[0] > first_bad:
        return None
    k = int(below[0])
    lo = 0.0 if k == 0 else float(t[k - 1])
    hi = float(t[k])

    def clearance(s: float) -> float:
        p = origin + s * ray
        return float(p[2] - ground_height(dem, p[0], p[1]))

    # Bisection to a millimetre: cheap, and the ground is monotone enough within one step.
    while hi - lo > 1e-3:
        mid = 0.5 * (lo + hi)
        if clearance(mid) > 0.0:
            lo = mid
        else:
            hi = mid
    hit = origin + hi * ray
    return float(hit[0]), float(hit[1])


__all__ = [
    "DEFAULT_CAMERA",
    "CameraIntrinsics",
    "grid_convergence_deg",
    "ground_height",
    "parse_camera",
    "pixel_ray",
    "project_to_ground",
]
