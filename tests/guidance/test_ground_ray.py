"""Casting a camera pixel's ray onto the DEM."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import CRS

from safeconduct.errors import InvalidValueError
from safeconduct.guidance.ground_ray import (
    DEFAULT_CAMERA,
    CameraIntrinsics,
    grid_convergence_deg,
    ground_height,
    parse_camera,
    pixel_ray,
    project_to_ground,
)
from safeconduct.terrain.dem import Dem

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CELL = 5.0
X0, Y0 = 499_000.0, 5_401_000.0  # top-left corner; x = 500 000 is zone 37's central meridian
N = 400  # 2 km x 2 km


def plane_dem(a: float = 0.0, b: float = 0.0, c: float = 100.0, x0: float = X0) -> Dem:
    """Ground ``z = a * (x - x0) + b * (y0 - y) + c`` sampled at cell centres, UTM 37N."""
    xs = x0 + (np.arange(N) + 0.5) * CELL
    ys = Y0 - (np.arange(N) + 0.5) * CELL
    z = a * (xs[None, :] - x0) + b * (Y0 - ys[:, None]) + c
    return Dem(z, Affine(CELL, 0.0, x0, 0.0, -CELL, Y0), CRS.from_epsg(32637))


def plane_height(x: float, y: float, a: float, b: float, c: float, x0: float = X0) -> float:
    return a * (x - x0) + b * (Y0 - y) + c


def aim_at(camera_xyz, ground_xyz) -> tuple[float, float]:
    """Grid yaw and pitch of the optical axis pointing from the camera at a ground point."""
    dx, dy, dz = (g - c for g, c in zip(ground_xyz, camera_xyz, strict=True))
    yaw = math.degrees(math.atan2(dx, dy))
    pitch = math.degrees(math.atan2(dz, math.hypot(dx, dy)))
    return yaw, pitch


def test_default_camera_and_its_focal_length() -> None:
    cam = DEFAULT_CAMERA
    assert (cam.width_px, cam.height_px, cam.hfov_deg) == (1920, 1080, 82.0)
    assert cam.fx == pytest.approx(960.0 / math.tan(math.radians(41.0)))
    assert 45.0 < cam.vfov_deg < 55.0


def test_parse_camera_reads_a_profile_table_and_refuses_nonsense() -> None:
    assert parse_camera(None) == DEFAULT_CAMERA
    cam = parse_camera({"width_px": 4000, "height_px": 3000, "hfov_deg": 73})
    assert cam == CameraIntrinsics(4000, 3000, 73.0)
    for bad, field in [
        ({"hfov_deg": 190}, "camera.hfov_deg"),
        ({"width_px": 1920.5}, "camera.width_px"),
        ({"height_px": "1080"}, "camera.height_px"),
        ({"zoom": 2}, "camera.zoom"),
        ({"width_px": math.inf}, "camera.width_px"),
    ]:
        with pytest.raises(InvalidValueError) as err:
            parse_camera(bad)
        assert err.value.field == field


def test_the_centre_pixel_looks_along_the_optical_axis() -> None:
    cam = DEFAULT_CAMERA
    ray = pixel_ray(cam, cam.cx, cam.cy, yaw_deg=90.0, pitch_deg=-30.0)
    assert ray == pytest.approx([math.cos(math.radians(30)), 0.0, -0.5], abs=1e-12)
    # Right of centre looks right of the axis; below centre looks further down.
    east_facing_right = pixel_ray(cam, cam.width_px, cam.cy, yaw_deg=90.0, pitch_deg=0.0)
    assert east_facing_right[1] < 0  # right of east is south
    lower = pixel_ray(cam, cam.cx, cam.height_px, yaw_deg=0.0, pitch_deg=-30.0)
    assert lower[2] < ray[2]


def test_straight_down_lands_under_the_camera() -> None:
    dem = plane_dem()
    cam = DEFAULT_CAMERA
    hit = project_to_ground(
        cam, (cam.cx, cam.cy), (500_000.0, 5_400_000.0, 160.0), 37.0, -90.0, 0.0, dem
    )
    assert hit == pytest.approx((500_000.0, 5_400_000.0), abs=0.01)


def test_flat_ground_at_45_degrees_lands_one_height_ahead() -> None:
    dem = plane_dem(c=100.0)
    cam = DEFAULT_CAMERA
    camera = (500_000.0, 5_400_000.0, 150.0)
    hit = project_to_ground(cam, (cam.cx, cam.cy), camera, 0.0, -45.0, 0.0, dem)
    assert hit == pytest.approx((500_000.0, 5_400_050.0), abs=0.1 * CELL)
    # The gimbal turned 90 degrees right of the nose: the point is east instead.
    hit = project_to_ground(cam, (cam.cx, cam.cy), camera, 0.0, -45.0, 90.0, dem)
    assert hit == pytest.approx((500_050.0, 5_400_000.0), abs=0.1 * CELL)


def test_rays_at_or_above_the_horizon_give_none() -> None:
    dem = plane_dem()
    cam = DEFAULT_CAMERA
    camera = (500_000.0, 5_400_000.0, 150.0)
    assert project_to_ground(cam, (cam.cx, cam.cy), camera, 0.0, 0.0, 0.0, dem) is None
    assert project_to_ground(cam, (cam.cx, 0.0), camera, 0.0, -10.0, 0.0, dem) is None
    # Below the horizon but the ground is beyond the DEM's edge or the range limit.
    assert project_to_ground(cam, (cam.cx, cam.cy), camera, 0.0, -1.0, 0.0, dem) is None
    # A camera under the ground (a bad altitude) finds nothing either.
    assert (
        project_to_ground(cam, (cam.cx, cam.cy), (*camera[:2], 90.0), 0.0, -45.0, 0.0, dem) is None
    )


def test_non_finite_pose_is_refused() -> None:
    with pytest.raises(InvalidValueError) as err:
        project_to_ground(
            DEFAULT_CAMERA, (0, 0), (0.0, 0.0, math.nan), 0.0, -45.0, 0.0, plane_dem()
        )
    assert err.value.field == "camera_pose"


def test_heading_is_true_north_off_the_central_meridian() -> None:
    # 100 km east of zone 37's central meridian grid north is about 0.6 degrees off true north.
    dem = plane_dem(x0=599_000.0)
    camera = (600_000.0, 5_400_000.0, 400.0)
    conv = grid_convergence_deg(dem, camera[0], camera[1])
    assert 0.3 < abs(conv) < 1.5
    cam = DEFAULT_CAMERA
    hit = project_to_ground(cam, (cam.cx, cam.cy), camera, 0.0, -30.0, 0.0, dem)
    lon0, _ = dem.xy_to_lonlat(camera[0], camera[1])
    lon1, _ = dem.xy_to_lonlat(*hit)
    # Heading 0 (true north): the point lies on the camera's meridian, ~520 m away.
    assert lon1 == pytest.approx(lon0, abs=2e-6)
    assert math.dist(hit, camera[:2]) == pytest.approx(300.0 / math.tan(math.radians(30)), rel=0.01)


def test_bilinear_height_is_exact_on_a_plane_and_nan_off_the_grid() -> None:
    dem = plane_dem(a=0.1, b=-0.05, c=200.0)
    x, y = 499_123.4, 5_400_456.7
    assert float(ground_height(dem, x, y)) == pytest.approx(plane_height(x, y, 0.1, -0.05, 200.0))
    assert math.isnan(float(ground_height(dem, X0 - 1.0, 5_400_500.0)))


@SETTINGS
@given(
    st.floats(-0.3, 0.3),  # slope east
    st.floats(-0.3, 0.3),  # slope north
    st.tuples(st.floats(300.0, 1700.0), st.floats(300.0, 1700.0)),  # ground point in the DEM
    st.floats(40.0, 250.0),  # camera height above that point
    st.floats(20.0, 400.0),  # horizontal distance
    st.floats(0.0, 360.0),  # bearing from camera to point
    st.floats(-180.0, 180.0),  # gimbal yaw from the nose
    st.tuples(st.floats(0.0, 1919.0), st.floats(0.0, 1079.0)),  # pixel the point is seen at
)
def test_a_ray_cast_at_a_known_ground_point_lands_on_it(
    a, b, ground, height, dist, bearing, gimbal_yaw, pixel
) -> None:
    dem = plane_dem(a=a, b=b, c=300.0)
    gx, gy = X0 + ground[0], Y0 - ground[1]
    gz = plane_height(gx, gy, a, b, 300.0)
    br = math.radians(bearing)
    cx, cy = gx - dist * math.sin(br), gy - dist * math.cos(br)
    cz = gz + height
    if not (X0 < cx < X0 + N * CELL and Y0 - N * CELL < cy < Y0):
        return
    if cz <= plane_height(cx, cy, a, b, 300.0) + 5.0:
        return  # the camera would be inside the hill
    cam = DEFAULT_CAMERA
    # Point the gimbal so that the ground point appears at ``pixel``: aim the optical axis,
    # then undo the pixel's offset from the centre by solving with the forward model.
    yaw, pitch = aim_at((cx, cy, cz), (gx, gy, gz))
    want = np.array([gx - cx, gy - cy, gz - cz])
    want /= np.linalg.norm(want)
    # Search the axis attitude (yaw, pitch) whose pixel ray matches the wanted direction.
    for _ in range(50):
        ray = pixel_ray(cam, pixel[0], pixel[1], yaw_deg=yaw, pitch_deg=pitch)
        dyaw = math.degrees(math.atan2(want[0], want[1]) - math.atan2(ray[0], ray[1]))
        dpitch = math.degrees(math.asin(want[2]) - math.asin(ray[2]))
        yaw += (dyaw + 180.0) % 360.0 - 180.0
        pitch += dpitch
    ray = pixel_ray(cam, pixel[0], pixel[1], yaw_deg=yaw, pitch_deg=pitch)
    if not np.allclose(ray, want, atol=1e-9) or not -90.0 <= pitch <= 30.0:
        return  # no gimbal attitude shows the point at that pixel
    # Something nearer along the ray (a rise between camera and point) would hide it.
    samples = np.linspace(0.0, 1.0, 400)[1:-1]
    along = np.array([cx, cy, cz]) + samples[:, None] * np.array([gx - cx, gy - cy, gz - cz])
    if np.any(along[:, 2] <= ground_height(dem, along[:, 0], along[:, 1])):
        return
    vehicle_heading = yaw - gimbal_yaw - grid_convergence_deg(dem, cx, cy)
    hit = project_to_ground(cam, pixel, (cx, cy, cz), vehicle_heading, pitch, gimbal_yaw, dem)
    assert hit is not None
    assert math.dist(hit, (gx, gy)) < 0.1 * CELL
