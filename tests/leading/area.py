"""Test material for live leading: a small DEM, a route on it, walkers as track CSVs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import CRS, Geod, Transformer

from safeconduct.adapters.formats.person_track import write_person_track
from safeconduct.adapters.gis.geotiff import write_raster
from safeconduct.terrain.dem import Dem

GEOD = Geod(ellps="WGS84")
#: Open country near the sample area (UTM 37N): lon, lat.
ORIGIN = (38.0, 48.6)
CRS37 = CRS.from_epsg(32637)
_TO = Transformer.from_crs("EPSG:4326", CRS37, always_xy=True)
_FROM = Transformer.from_crs(CRS37, "EPSG:4326", always_xy=True)


def write_dem(path: Path, *, size_m: float = 2000.0, cell_m: float = 10.0) -> Dem:
    """A DEM around :data:`ORIGIN`: 150 m, rising 2 m per 100 m to the north."""
    x0, y0 = _TO.transform(*ORIGIN)
    n = int(size_m / cell_m)
    left, top = x0 - size_m / 2, y0 + size_m / 2
    rows = top - (np.arange(n) + 0.5) * cell_m
    z = np.repeat((150.0 + 0.02 * (rows - y0))[:, None], n, axis=1)
    dem = Dem(z.astype("float32").astype("float64"), Affine(cell_m, 0, left, 0, -cell_m, top),
              CRS37)  # fmt: skip
    write_raster(path, z.astype("float32"), dem)
    return dem


def offset(lonlat: tuple[float, float], bearing_deg: float, metres: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(lonlat[0], lonlat[1], bearing_deg, metres)
    return lon, lat


def route_points(legs: Sequence[tuple[float, float]] = ((0.0, 300.0), (90.0, 200.0))):
    """``(lon, lat)`` points from :data:`ORIGIN` along ``(bearing, metres)`` legs."""
    pts = [ORIGIN]
    for bearing, metres in legs:
        pts.append(offset(pts[-1], bearing, metres))
    return pts


def write_route(path: Path, points: Sequence[tuple[float, float]], speed_ms: float = 1.0) -> Path:
    """A route GeoJSON as ``safeconduct route`` writes it (line with per-leg segments)."""
    segments = []
    for a, b in itertools.pairwise(points):
        d = GEOD.inv(a[0], a[1], b[0], b[1])[2]
        segments.append({"distance_m": round(d, 1), "time_s": round(d / speed_ms, 1)})
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[round(lo, 7), round(la, 7), 150.0] for lo, la in points],
                },
                "properties": {"role": "route", "reception": "Test", "segments": segments},
            }
        ],
    }
    path.write_text(json.dumps(doc))
    return path


def walk(
    points: Sequence[tuple[float, float]],
    plan: Sequence[tuple[float, float]],
    *,
    step_s: float = 1.0,
    start_m: float = 0.0,
) -> list[tuple[float, float, float]]:
    """A walker along the route: ``plan`` is ``(seconds, speed m/s)`` phases (0: standing).

    Returns ``(t_s, lat, lon)`` rows every ``step_s`` seconds.
    """
    lengths = [GEOD.inv(a[0], a[1], b[0], b[1])[2] for a, b in itertools.pairwise(points)]
    total = sum(lengths)

    def at(s: float) -> tuple[float, float]:
        s = min(max(s, 0.0), total)
        for (a, b), d in zip(itertools.pairwise(points), lengths, strict=False):
            if s <= d:
                az = GEOD.inv(a[0], a[1], b[0], b[1])[0]
                lon, lat, _ = GEOD.fwd(a[0], a[1], az, s)
                return lat, lon
            s -= d
        return points[-1][1], points[-1][0]

    rows, t, s = [], 0.0, start_m
    for seconds, speed in plan:
        end = t + seconds
        while t < end - 1e-9:
            rows.append((t, *at(s)))
            s += speed * step_s
            t += step_s
    rows.append((t, *at(s)))
    return rows


def write_walk(path: Path, rows: list[tuple[float, float, float]]) -> Path:
    write_person_track(path, rows)
    return path
