"""Burning the area's hazards onto a DEM's grid, with GDAL's rasterizer (rasterio)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pyproj import Transformer
from rasterio.features import rasterize
from shapely.geometry.base import BaseGeometry

from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import (
    BARRIER_KINDS,
    PATH_KINDS,
    Hazard,
    HazardGrids,
    project_geometry,
)


def rasterize_hazards(hazards: Sequence[Hazard], dem: Dem) -> HazardGrids:
    """Burn hazards onto ``dem``'s grid.

    Geometries are projected from lon/lat to ``dem.crs``, widened by ``buffer_m``
    metres, and rasterized. Barriers and paths use every cell the shape touches
    (``all_touched``: erring on the safe side for barriers, and keeping a thin path
    connected); woodland uses the cells whose centre is inside.

    Parameters
    ----------
    hazards
        From :func:`read_hazards`.
    dem
        The grid to burn onto. Features outside it are simply not burnt.

    Returns
    -------
    HazardGrids
    """
    to_map = Transformer.from_crs("EPSG:4326", dem.crs, always_xy=True)
    shape = dem.shape
    barrier_shapes: list[BaseGeometry] = []
    water_shapes: list[BaseGeometry] = []
    path_shapes: list[BaseGeometry] = []
    wood: list[tuple[BaseGeometry, float]] = []
    for h in hazards:
        geom = project_geometry(h.geometry, to_map)
        if h.buffer_m > 0:
            geom = geom.buffer(h.buffer_m, quad_segs=16)
        if geom.is_empty:
            continue
        if h.kind in BARRIER_KINDS:
            barrier_shapes.append(geom)
        elif h.kind == "water":
            water_shapes.append(geom)
        elif h.kind in PATH_KINDS:
            path_shapes.append(geom)
        else:
            wood.append((geom, h.effective_speed_factor))

    def burn(shapes: list[BaseGeometry], *, all_touched: bool) -> np.ndarray:
        if not shapes:
            return np.zeros(shape, dtype=bool)
        return rasterize(
            [(g, 1) for g in shapes],
            out_shape=shape,
            transform=dem.transform,
            fill=0,
            all_touched=all_touched,
            dtype="uint8",
        ).astype(bool)

    on_path = burn(path_shapes, all_touched=True)
    water = burn(water_shapes, all_touched=True)
    barrier = burn(barrier_shapes, all_touched=True) | (water & ~on_path)

    speed = np.ones(shape, dtype="float32")
    if wood:
        # Later shapes overwrite earlier ones: burn the slowest last so overlaps keep it.
        wood.sort(key=lambda gs: -gs[1])
        speed = rasterize(wood, out_shape=shape, transform=dem.transform, fill=1.0, dtype="float32")
    return HazardGrids(barrier=barrier, on_path=on_path, speed_factor=speed)
