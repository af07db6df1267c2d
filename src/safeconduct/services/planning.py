"""Planning use cases: viewsheds, exposure and routes, from values or from an area's files.

Each use case computes on domain values (a :class:`~safeconduct.terrain.dem.Dem`, the
layers, a :class:`~safeconduct.routing.route.Route`) and reaches files only through the
ports in :class:`PlanningPorts`. The ``*_files`` functions are what the command line calls:
they check every output can be written before the long work, read the inputs, compute,
and write each output atomically.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from safeconduct.errors import InvalidValueError
from safeconduct.routing import DEFAULT_RISK_WEIGHT
from safeconduct.routing.kernels import SearchGrids
from safeconduct.routing.route import (
    Route,
    check_settings,
    observer_specs,
    plan_route,
    prepare_search_grids,
)
from safeconduct.services.ports import Files, Layers, Maps, Rasters, RouteFiles
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import Hazard, Observer, ReceptionPoint
from safeconduct.terrain.visibility import (
    HIDDEN,
    OUTSIDE,
    TARGET_HEIGHT,
    VISIBLE,
    check_view,
    exposure,
    viewshed,
)

PathLike = str | os.PathLike[str]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class PlanningPorts:
    """The edges planning reaches: raster files, layer files, route files, maps, outputs."""

    rasters: Rasters
    layers: Layers
    routes: RouteFiles
    maps: Maps
    files: Files


@dataclass(frozen=True)
class ViewshedSummary:
    """What ``viewshed`` wrote: the file and the share of cells in view."""

    path: Path
    visible_cells: int
    hidden_cells: int
    outside_cells: int
    cell_area_m2: float

    def describe(self) -> str:
        """One line for people."""
        judged = self.visible_cells + self.hidden_cells
        share = self.visible_cells / judged if judged else 0.0
        area_km2 = self.visible_cells * self.cell_area_m2 / 1e6
        return (
            f"wrote {self.path}: {self.visible_cells:,} cells visible "
            f"({share:.1%} of the cells within range, {area_km2:.2f} km²), "
            f"{self.hidden_cells:,} hidden, {self.outside_cells:,} outside range or nodata"
        )


def compute_viewshed(
    ports: PlanningPorts,
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
    check_view(observer_height, target_height, max_distance)
    ports.files.check_not_inputs({"out_path": out_path}, {"dem_path": dem_path})
    ports.files.check_writable(out_path)
    dem = ports.rasters.read_dem(dem_path)
    dem.cell_of_lonlat(observer.lon, observer.lat, what="the observer", field="observer")
    xy = dem.lonlat_to_xy(observer.lon, observer.lat)
    vis = viewshed(
        dem,
        xy,
        observer_height=observer_height,
        target_height=target_height,
        max_distance=max_distance,
        curvature=curvature,
    )
    ports.rasters.write_raster(
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
        """One line for people."""
        share = self.exposed_cells / self.total_cells if self.total_cells else 0.0
        return (
            f"wrote {self.path}: {self.observers} observers; {share:.1%} of the area is in "
            f"view of at least one; highest weighted count {self.max_exposure:g}"
        )


def compute_exposure(
    ports: PlanningPorts,
    dem_path: PathLike,
    observers_path: PathLike,
    out_path: PathLike,
    *,
    target_height: float = 1.7,
    progress: Callable[[int, int], None] | None = None,
) -> ExposureSummary:
    """Write the weighted number of observers that see each cell as a float32 GeoTIFF.

    ``progress(done, total)`` is called after each observer.
    """
    TARGET_HEIGHT.check(target_height, field="target_height")
    ports.files.check_not_inputs(
        {"out_path": out_path}, {"dem_path": dem_path, "observers_path": observers_path}
    )
    ports.files.check_writable(out_path)
    dem = ports.rasters.read_dem(dem_path)
    observers = ports.layers.read_observers(observers_path)
    grid = exposure(
        dem, observer_specs(dem, observers), target_height=target_height, progress=progress
    )
    grid = np.where(np.isfinite(dem.elevation), grid, np.float32(-1)).astype("float32")
    ports.rasters.write_raster(
        out_path,
        grid,
        dem,
        nodata=-1.0,
        description="weighted number of observers that see a standing person here",
        tags={"TARGET_HEIGHT_M": f"{target_height:g}", "OBSERVERS": str(len(observers))},
    )
    return ExposureSummary(
        Path(out_path),
        len(observers),
        int(np.count_nonzero(grid > 0)),
        int(np.count_nonzero(grid >= 0)),
        float(grid.max()),
    )


def search_grids(
    ports: PlanningPorts,
    dem: Dem,
    hazards: Sequence[Hazard] = (),
    observers: Sequence[Observer] = (),
    *,
    target_height: float = 1.7,
    progress: Progress | None = None,
) -> SearchGrids:
    """Burn ``hazards`` onto ``dem``'s grid and add the exposure to ``observers``."""
    say = progress or (lambda _msg: None)
    hazard_grids = None
    if hazards:
        say("hazard layers")
        hazard_grids = ports.rasters.rasterize_hazards(hazards, dem)
    return prepare_search_grids(
        dem, hazard_grids, observers, target_height=target_height, progress=say
    )


@dataclass(frozen=True)
class RouteRequest:
    """Who walks, how the route is weighed, and what it is planned on.

    Attributes
    ----------
    model
        ``"tobler"`` or ``"rwalk"``.
    pace_factor
        Speed multiplier in (0, 2]: 1 fit, 0.5 injured or exhausted (Tobler only).
    risk_weight
        Seconds of walking one second in view of one observer is worth, >= 0.
    max_slope_deg
        Steepest walkable slope, degrees (Tobler only); None: no limit.
    knight
        Add knight's moves (16 neighbours).
    target_height
        Height of the walking person, metres, for the exposure.
    """

    model: str = "tobler"
    pace_factor: float = 1.0
    risk_weight: float = DEFAULT_RISK_WEIGHT
    max_slope_deg: float | None = None
    knight: bool = False
    target_height: float = 1.7

    def __post_init__(self) -> None:
        # Before any file is read: each setting against its one range.
        check_settings(model=self.model, pace_factor=self.pace_factor,
                       risk_weight=self.risk_weight, max_slope_deg=self.max_slope_deg,
                       target_height=self.target_height)  # fmt: skip


def plan_route_on(
    dem: Dem,
    grids: SearchGrids,
    start: GeoPoint,
    reception: Sequence[ReceptionPoint],
    observers: Sequence[Observer],
    request: RouteRequest,
    *,
    progress: Progress | None = None,
) -> Route:
    """Plan the safest route on grids already built by :func:`search_grids` (values only).

    Raises
    ------
    InvalidValueError
        ``field="start"``: the start is already at a reception point (in its grid cell), so
        there is nothing to walk; a route of one position is no line (RFC 7946 3.1.4).
    """
    route = plan_route(
        dem,
        start,
        reception,
        observers=observers,
        model=request.model,
        pace_factor=request.pace_factor,
        risk_weight=request.risk_weight,
        max_slope_deg=request.max_slope_deg,
        knight=request.knight,
        target_height=request.target_height,
        search_grids=grids,
        progress=progress,
    )
    if len(route.waypoints) < 2:
        raise InvalidValueError(
            f"the person is already at the reception point {route.reception.name!r} "
            f"(the start lies in its {dem.cell_size[0]:g} m cell): there is no route to walk; "
            "hand over there, or give the start where the person actually is",
            field="start",
        )
    return route


def plan_route_files(
    ports: PlanningPorts,
    dem_path: PathLike,
    start: GeoPoint,
    reception_path: PathLike,
    out_path: PathLike,
    *,
    hazards_path: PathLike | None = None,
    observers_path: PathLike | None = None,
    request: RouteRequest | None = None,
    map_path: PathLike | None = None,
    progress: Progress | None = None,
) -> Route:
    """Plan a route from an area's files and write it as GeoJSON (and optionally a map PNG).

    The outputs are one set: each is checked (no input among them, its folder writable)
    before the search starts, both are written to staged files, and they move into place
    together at the end; a failure or an interruption leaves neither.
    """
    request = request or RouteRequest()
    inputs = {
        "dem_path": dem_path,
        "reception_path": reception_path,
        "hazards_path": hazards_path,
        "observers_path": observers_path,
    }
    ports.files.check_not_inputs({"out_path": out_path, "map_path": map_path}, inputs)
    outputs = (out_path,) if map_path is None else (out_path, map_path)
    with ports.files.output_set(*outputs) as staged:
        dem = ports.rasters.read_dem(dem_path)
        reception = ports.layers.read_reception(reception_path)
        hazards = ports.layers.read_hazards(hazards_path) if hazards_path is not None else []
        observers = (
            ports.layers.read_observers(observers_path) if observers_path is not None else []
        )
        grids = search_grids(
            ports, dem, hazards, observers, target_height=request.target_height, progress=progress
        )
        route = plan_route_on(dem, grids, start, reception, observers, request, progress=progress)
        ports.routes.write_route(route, staged[0])
        if map_path is not None:
            ports.maps.render_route_map(staged[1], dem, grids, route, observers)
    return route
