"""Map overlays for the board: the DEM's hillshade and a plan's exposure as PNGs with their
WGS84 bounds.

The board's map (Leaflet) places an image by its west/south/east/north edges in degrees, so
the hillshade, computed on the DEM's metric grid, is resampled here onto a regular lon/lat
grid (nearest cell, with pyproj; over an area of a few km the linear stretch Leaflet applies
in Web Mercator is well under a pixel off). Cells outside the DEM are transparent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LightSource
from matplotlib.image import imsave

from safeconduct.adapters.files.atomic import atomic_path
from safeconduct.adapters.gis.geotiff import read_dem
from safeconduct.terrain.dem import Dem

#: (west, south, east, north), WGS84 degrees.
Bounds = tuple[float, float, float, float]


def write_hillshade_overlay(
    dem_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    *,
    max_px: int = 1200,
) -> Bounds:
    """Draw the DEM's hillshade (sun from the north-west) as an RGBA PNG on a lon/lat grid.

    Parameters
    ----------
    dem_path
        The area's DEM (GeoTIFF; any CRS :func:`read_dem` accepts).
    png_path
        The PNG to write, atomically; its bounds go beside it in ``<name>.json``.
    max_px
        The longer side of the picture, pixels.

    Returns
    -------
    Bounds
        ``(west, south, east, north)`` of the picture, WGS84 degrees.
    """
    dem = read_dem(dem_path)
    dx, dy = dem.cell_size
    z = np.where(np.isfinite(dem.elevation), dem.elevation, np.nanmin(dem.elevation))
    shade = LightSource(azdeg=315, altdeg=45).hillshade(z, vert_exag=3, dx=dx, dy=dy)
    bounds, r, c, known = _lonlat_sampling(dem, max_px)
    rgba = np.zeros((*r.shape, 4), dtype=np.uint8)
    grey = (np.clip(shade[r, c], 0, 1) * 255).astype(np.uint8)
    rgba[..., 0] = rgba[..., 1] = rgba[..., 2] = grey
    rgba[..., 3] = np.where(known, 255, 0)
    _write_overlay(png_path, rgba, bounds)
    return bounds


def write_exposure_overlay(
    exposure_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    *,
    max_px: int = 1200,
) -> Bounds:
    """Draw a plan's exposure grid as an RGBA PNG on a lon/lat grid, for the board's map.

    Cells no observer sees (0) and cells without data (nodata, -1) are transparent; the
    others go from yellow (seen by few: a small weighted count) to dark brown
    (the most-watched cell of the area), more opaque the more they are seen.

    Parameters
    ----------
    exposure_path
        The plan's ``exposure.tif``: the weighted number of observers that see a standing
        person in each cell, on the DEM's grid (nodata -1).
    png_path
        The PNG to write, atomically; its bounds go beside it in ``<name>.json``.
    max_px
        The longer side of the picture, pixels.

    Returns
    -------
    Bounds
        ``(west, south, east, north)`` of the picture, WGS84 degrees.
    """
    grid = read_dem(exposure_path)  # any one-band grid; nodata becomes NaN
    values = np.where(np.isfinite(grid.elevation), grid.elevation, 0.0)
    bounds, r, c, known = _lonlat_sampling(grid, max_px)
    seen = values[r, c]
    top = float(values.max())
    share = np.clip(seen / top, 0.0, 1.0) if top > 0 else np.zeros_like(seen)
    rgba = (colormaps["YlOrBr"](0.35 + 0.65 * share) * 255).astype(np.uint8)
    rgba[..., 3] = np.where(known & (seen > 0), (90 + 140 * share).astype(np.uint8), 0)
    _write_overlay(png_path, rgba, bounds)
    return bounds


def _lonlat_sampling(dem: Dem, max_px: int) -> tuple[Bounds, np.ndarray, np.ndarray, np.ndarray]:
    """A regular lon/lat picture over ``dem``: its bounds, and for each pixel the grid cell
    it shows (``rows``, ``cols``, nearest cell) and whether that cell is on the grid with
    data (``known``)."""
    left, bottom, right, top = dem.bounds
    xs = np.linspace(left, right, 33)
    ys = np.linspace(bottom, top, 33)
    edge_x = np.concatenate([xs, xs, np.full(33, left), np.full(33, right)])
    edge_y = np.concatenate([np.full(33, bottom), np.full(33, top), ys, ys])
    lon, lat = dem.xy_to_lonlat(edge_x, edge_y)
    west, east = float(np.min(lon)), float(np.max(lon))
    south, north = float(np.min(lat)), float(np.max(lat))
    # Pixels square on the ground: a degree of longitude is cos(lat) of one of latitude.
    aspect = (east - west) * np.cos(np.radians((south + north) / 2)) / (north - south)
    width, height = (
        (max_px, round(max_px / aspect)) if aspect >= 1 else (round(max_px * aspect), max_px)
    )
    grid_lon = west + (np.arange(width) + 0.5) * (east - west) / width
    grid_lat = north - (np.arange(height) + 0.5) * (north - south) / height
    lon2, lat2 = np.meshgrid(grid_lon, grid_lat)
    x, y = dem.lonlat_to_xy(lon2, lat2)
    t = dem.transform
    col = np.floor((np.asarray(x) - t.c) / t.a).astype(np.int64)
    row = np.floor((np.asarray(y) - t.f) / t.e).astype(np.int64)
    rows, cols = dem.shape
    inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    r, c = np.clip(row, 0, rows - 1), np.clip(col, 0, cols - 1)
    known = inside & np.isfinite(dem.elevation[r, c])
    return (west, south, east, north), r, c, known


def _write_overlay(png_path: str | os.PathLike[str], rgba: np.ndarray, bounds: Bounds) -> None:
    """The picture, then its bounds beside it (a reader trusts the PNG once both are there)."""
    out = Path(png_path)
    with atomic_path(out) as tmp:
        imsave(tmp, rgba, format="png")
    with atomic_path(out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps({"bounds": list(bounds)}))


def read_overlay_bounds(png_path: str | os.PathLike[str]) -> Bounds | None:
    """The bounds written beside an overlay PNG, or None when it is not there (yet)."""
    path = Path(png_path)
    try:
        found = json.loads(path.with_suffix(".json").read_text())["bounds"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not path.is_file() or len(found) != 4:
        return None
    west, south, east, north = (float(v) for v in found)
    return (west, south, east, north)
