"""The service layer: one function per command, from input files to output files.

Each function reads its inputs through the terrain adapters, runs the pure computation,
writes its outputs atomically, and returns a small summary. The command line is a thin
wrapper over these; a Python user can call them directly with the same arguments.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from safeconduct.adapters.files.atomic import check_writable
from safeconduct.adapters.formats.layers import read_hazards, read_observers, read_reception
from safeconduct.adapters.formats.route_geojson import write_route
from safeconduct.adapters.gis.geotiff import read_dem, write_raster
from safeconduct.adapters.gis.rasterize import rasterize_hazards
from safeconduct.routing import DEFAULT_RISK_WEIGHT
from safeconduct.routing.route import Route, observer_specs, plan_route, prepare_search_grids
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.visibility import HIDDEN, OUTSIDE, VISIBLE, exposure, viewshed

if TYPE_CHECKING:
    from safeconduct.services.operation import OperationResult

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class ViewshedSummary:
    """What ``viewshed`` wrote: the file and the share of cells in view."""

    path: Path
    visible_cells: int
    hidden_cells: int
    outside_cells: int
    cell_area_m2: float

    def describe(self) -> str:
        judged = self.visible_cells + self.hidden_cells
        share = self.visible_cells / judged if judged else 0.0
        area_km2 = self.visible_cells * self.cell_area_m2 / 1e6
        return (
            f"wrote {self.path}: {self.visible_cells:,} cells visible "
            f"({share:.1%} of the cells within range, {area_km2:.2f} km²), "
            f"{self.hidden_cells:,} hidden, {self.outside_cells:,} outside range or nodata"
        )


def compute_viewshed(
    dem_path: PathLike,
    observer: GeoPoint,
    out_path: PathLike,
    *,
    observer_height: float = 1.75,
    target_height: float = 1.7,
    max_distance: float | None = None,
    curvature: bool = True,
) -> ViewshedSummary:
    """Write the viewshed of one observer as a uint8 GeoTIFF on the DEM's grid.

    Parameters
    ----------
    dem_path
        The DEM (any CRS; geographic ones are reprojected to UTM).
    observer
        Observer position, WGS84.
    out_path
        Output GeoTIFF: 1 = a target ``target_height`` metres tall is visible from the eye at
        ground + ``observer_height`` metres, 0 = hidden, 255 = beyond ``max_distance``
        metres or nodata.
    curvature
        Correct for earth curvature and refraction (as r.viewshed ``-c -r``).
    """
    check_writable(out_path)
    dem = read_dem(dem_path)
    dem.cell_of_lonlat(observer.lon, observer.lat, what="--observer")
    xy = dem.lonlat_to_xy(observer.lon, observer.lat)
    vis = viewshed(
        dem,
        xy,
        observer_height=observer_height,
        target_height=target_height,
        max_distance=max_distance,
        curvature=curvature,
    )
    write_raster(
        out_path,
        vis,
        dem,
        nodata=OUTSIDE,
        description="viewshed: 1 visible, 0 hidden, 255 outside range or nodata",
        tags={
            "OBSERVER_LATLON": str(observer),
            "OBSERVER_HEIGHT_M": f"{observer_height:g}",
            "TARGET_HEIGHT_M": f"{target_height:g}",
            "MAX_DISTANCE_M": "none" if max_distance is None else f"{max_distance:g}",
            "CURVATURE": "yes" if curvature else "no",
        },
    )
    dx, dy = dem.cell_size
    return ViewshedSummary(
        Path(out_path),
        int(np.count_nonzero(vis == VISIBLE)),
        int(np.count_nonzero(vis == HIDDEN)),
        int(np.count_nonzero(vis == OUTSIDE)),
        dx * dy,
    )


@dataclass(frozen=True)
class ExposureSummary:
    """What ``exposure`` wrote."""

    path: Path
    observers: int
    exposed_cells: int
    total_cells: int
    max_exposure: float

    def describe(self) -> str:
        share = self.exposed_cells / self.total_cells if self.total_cells else 0.0
        return (
            f"wrote {self.path}: {self.observers} observers; {share:.1%} of the area is in "
            f"view of at least one; highest weighted count {self.max_exposure:g}"
        )


def compute_exposure(
    dem_path: PathLike,
    observers_path: PathLike,
    out_path: PathLike,
    *,
    target_height: float = 1.7,
    progress: Callable[[int, int], None] | None = None,
) -> ExposureSummary:
    """Write the weighted number of observers that see each cell as a float32 GeoTIFF."""
    check_writable(out_path)
    dem = read_dem(dem_path)
    observers = read_observers(observers_path)
    grid = exposure(
        dem, observer_specs(dem, observers), target_height=target_height, progress=progress
    )
    return _write_exposure(out_path, grid, dem, len(observers), target_height)


def _write_exposure(
    out_path: PathLike, grid: np.ndarray, dem: Dem, observers: int, target_height: float
) -> ExposureSummary:
    grid = np.where(np.isfinite(dem.elevation), grid, np.float32(-1)).astype("float32")
    write_raster(
        out_path,
        grid,
        dem,
        nodata=-1.0,
        description="weighted number of observers that see a standing person here",
        tags={"TARGET_HEIGHT_M": f"{target_height:g}", "OBSERVERS": str(observers)},
    )
    return ExposureSummary(
        Path(out_path),
        observers,
        int(np.count_nonzero(grid > 0)),
        int(np.count_nonzero(grid >= 0)),
        float(grid.max()),
    )


def plan_route_files(
    dem_path: PathLike,
    start: GeoPoint,
    reception_path: PathLike,
    out_path: PathLike,
    *,
    hazards_path: PathLike | None = None,
    observers_path: PathLike | None = None,
    model: str = "tobler",
    pace_factor: float = 1.0,
    risk_weight: float = DEFAULT_RISK_WEIGHT,
    max_slope_deg: float | None = None,
    knight: bool = False,
    target_height: float = 1.7,
    map_path: PathLike | None = None,
    progress: Callable[[str], None] | None = None,
) -> Route:
    """Plan a route from files and write it as GeoJSON; see :func:`plan_route`.

    With ``map_path``, also draw the route over the hillshade, hazards and exposure as a PNG.
    """
    check_writable(out_path)
    if map_path is not None:
        check_writable(map_path)
    dem = read_dem(dem_path)
    reception = read_reception(reception_path)
    hazards = read_hazards(hazards_path) if hazards_path is not None else []
    observers = read_observers(observers_path) if observers_path is not None else []
    grids = prepare_search_grids(
        dem, rasterize_hazards(hazards, dem) if hazards else None, observers,
        target_height=target_height,
        progress=progress,
    )
    route = plan_route(
        dem,
        start,
        reception,
        observers=observers,
        model=model,
        pace_factor=pace_factor,
        risk_weight=risk_weight,
        max_slope_deg=max_slope_deg,
        knight=knight,
        target_height=target_height,
        search_grids=grids,
        progress=progress,
    )
    write_route(route, out_path)
    if map_path is not None:
        from safeconduct.adapters.report.maps import render_route_map

        render_route_map(map_path, dem, grids, route, observers)
    return route


def run_demo(
    out_dir: PathLike, *, seed: int = 0, progress: Callable[[str], None] | None = None
) -> OperationResult:
    """The main job on the bundled sample area: plan an operation, rehearse it, report it.

    Writes the sample area into ``out_dir/area/`` and the rehearsal (``report.html``,
    ``summary.json``, route, mission files, note, map) into ``out_dir``; see
    :func:`safeconduct.services.operation.rehearse_operation`.
    """
    from safeconduct.adapters.files.sample_area import generate_sample_area
    from safeconduct.services.operation import rehearse_operation

    say = progress or (lambda _msg: None)
    folder = Path(out_dir)
    say("generating the sample area")
    area = generate_sample_area(folder / "area")
    return rehearse_operation(area.folder, folder, seed=seed, progress=say)
