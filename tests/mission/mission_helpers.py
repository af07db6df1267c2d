"""Shared test material for the mission planner: routes, a ridge DEM, a clearance probe."""

from __future__ import annotations

import atexit
import functools
import itertools
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import CRS, Geod, Transformer
from scipy import ndimage

from safeconduct.adapters.formats.route_geojson import read_lead_route
from safeconduct.mission.items import Command, MissionItem
from safeconduct.mission.lead_route import LeadRoute, RouteLeg
from safeconduct.routing.route import Route
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem

GEOD = Geod(ellps="WGS84")

#: Near the sample area (UTM 37N), open country.
ORIGIN = (38.0, 48.6)  # lon, lat


@functools.lru_cache(maxsize=2)
def _sample_route(sample_area: str) -> tuple[Route, Path]:
    """Plan the sample area's route (meeting point to reception, about 6.2 km) once.

    Returns the route in memory and the ``route.geojson`` it was written to.
    """
    from safeconduct import bootstrap
    from safeconduct.adapters.formats.layers import read_meeting
    from safeconduct.services.planning import plan_route_files

    area = Path(sample_area)
    meeting = read_meeting(area / "meeting.geojson")
    folder = tempfile.mkdtemp(prefix="sc-route-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    out = Path(folder) / "route.geojson"
    route = plan_route_files(
        bootstrap.planning_ports(),
        area / "dem.tif",
        GeoPoint(meeting.lat, meeting.lon),
        area / "reception.geojson",
        out,
        hazards_path=area / "hazards.geojson",
        observers_path=area / "observers.geojson",
    )
    return route, out


def sample_route_path(sample_area: str) -> Path:
    """The sample area's ``route.geojson`` (planned once)."""
    return _sample_route(sample_area)[1]


def sample_route(sample_area: str) -> Route:
    """The sample area's route in memory, as planned (not read back from its file)."""
    return _sample_route(sample_area)[0]


def load_route(path: Path) -> LeadRoute:
    return read_lead_route(path)


def straight_route(
    length_m: float,
    *,
    start: tuple[float, float] = ORIGIN,
    bearing_deg: float = 270.0,
    leg_m: float = 250.0,
    speed_ms: float = 1.1,
    exposed: bool = False,
) -> LeadRoute:
    """A straight, flat route due ``bearing_deg`` with legs of ``leg_m`` metres."""
    n = max(1, round(length_m / leg_m))
    step = length_m / n
    lons, lats = [start[0]], [start[1]]
    for _ in range(n):
        lon, lat, _ = GEOD.fwd(lons[-1], lats[-1], bearing_deg, step)
        lons.append(lon)
        lats.append(lat)
    wps = tuple((lo, la, 150.0) for lo, la in zip(lons, lats, strict=True))
    legs = tuple(
        RouteLeg(step, step / speed_ms, exposed_time_s=step / speed_ms if exposed else 0.0)
        for _ in range(n)
    )
    return LeadRoute(wps, legs, "Reception test")


def route_from_points(
    points: Sequence[tuple[float, float]], *, speed_ms: float = 1.1, ascents: Sequence[float] = ()
) -> LeadRoute:
    """A route through ``(lon, lat)`` points, each leg walked at ``speed_ms``."""
    legs = []
    for i, (a, b) in enumerate(itertools.pairwise(points)):
        d = GEOD.inv(a[0], a[1], b[0], b[1])[2]
        legs.append(RouteLeg(d, d / speed_ms, ascent_m=ascents[i] if i < len(ascents) else 0.0))
    return LeadRoute(tuple((p[0], p[1], 150.0) for p in points), tuple(legs), "Reception test")


def offset(point: tuple[float, float], bearing_deg: float, metres: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(point[0], point[1], bearing_deg, metres)
    return lon, lat


def ridge_dem(
    *, height_m: float = 90.0, width_m: float = 120.0, cell_m: float = 5.0, size_m: float = 6000.0
) -> Dem:
    """A DEM in UTM 37N around :data:`ORIGIN`: flat at 150 m with a north-south ridge.

    The ridge crest runs 1500 m west of the origin, ``height_m`` high, Gaussian across
    ``width_m``; small bumps on it make the crest uneven.
    """
    crs = CRS.from_epsg(32637)
    x0, y0 = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(*ORIGIN)
    n = int(size_m / cell_m)
    left, top = x0 - size_m / 2, y0 + size_m / 2
    cols = left + (np.arange(n) + 0.5) * cell_m
    rows = top - (np.arange(n) + 0.5) * cell_m
    xx, yy = np.meshgrid(cols, rows)
    crest = x0 - 1500.0
    z = 150.0 + height_m * np.exp(-(((xx - crest) / width_m) ** 2))
    z += 4.0 * np.sin(yy / 37.0) * np.exp(-(((xx - crest) / (2 * width_m)) ** 2))
    transform = Affine(cell_m, 0.0, left, 0.0, -cell_m, top)
    return Dem(z.astype("float64"), transform, crs)


def valley_dem(*, depth_m: float = 150.0, width_m: float = 300.0) -> Dem:
    """A DEM like :func:`ridge_dem` with a valley instead of the ridge: flat at 150 m,
    falling ``depth_m`` (Gaussian across ``width_m``) along a line 1500 m west of the origin."""
    return ridge_dem(height_m=-depth_m, width_m=width_m)


def positioned(items: Sequence[MissionItem]) -> list[MissionItem]:
    """The items that fly to a position (waypoints, take-off, loiter)."""
    keep = (Command.NAV_WAYPOINT, Command.NAV_TAKEOFF, Command.NAV_LOITER_TIME)
    return [it for it in items if it.command in keep]


def _leg_heights(
    dem: Dem, home_m: float, a: MissionItem, b: MissionItem, step_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Heights above the ground along ``a``-``b`` every ``step_m``: (nearest, bilinear)."""
    to_xy = Transformer.from_crs("EPSG:4326", dem.crs, always_xy=True)
    xa, ya = to_xy.transform(a.lon, a.lat)
    xb, yb = to_xy.transform(b.lon, b.lat)
    n = max(2, int(np.hypot(xb - xa, yb - ya) / step_m) + 2)
    t = np.linspace(0.0, 1.0, n)
    x, y = xa + t * (xb - xa), ya + t * (yb - ya)
    alt = a.alt + t * (b.alt - a.alt)
    col_f = (x - dem.transform.c) / dem.transform.a
    row_f = (y - dem.transform.f) / dem.transform.e
    nearest = dem.elevation[np.floor(row_f).astype(int), np.floor(col_f).astype(int)]
    bilinear = ndimage.map_coordinates(dem.elevation, [row_f - 0.5, col_f - 0.5], order=1)
    return alt - (nearest - home_m), alt - (bilinear - home_m)


def leg_max_heights(
    dem: Dem, home_m: float, a: MissionItem, b: MissionItem, step_m: float = 0.5
) -> tuple[float, float]:
    """Highest height above the ground along the straight leg ``a``-``b``, sampled every
    ``step_m``: ``(nearest, bilinear)`` as for :func:`leg_clearances`."""
    nearest, bilinear = _leg_heights(dem, home_m, a, b, step_m)
    return float(nearest.max()), float(bilinear.max())


def leg_clearances(
    dem: Dem, home_m: float, a: MissionItem, b: MissionItem, step_m: float = 0.5
) -> tuple[float, float]:
    """Lowest clearance along the straight leg ``a``-``b``, sampled every ``step_m``.

    Returns ``(nearest, bilinear)``: against the DEM read as flat cells, and as a surface
    interpolated bilinearly between cell centres. Altitudes are above home (frame 3).
    """
    nearest, bilinear = _leg_heights(dem, home_m, a, b, step_m)
    return float(nearest.min()), float(bilinear.min())


def horizontal_legs(items: Sequence[MissionItem]) -> list[tuple[MissionItem, MissionItem]]:
    """Consecutive positioned items more than 1 m apart on the ground."""
    pts = positioned(items)
    out = []
    for a, b in itertools.pairwise(pts):
        if GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2] > 1.0:
            out.append((a, b))
    return out
