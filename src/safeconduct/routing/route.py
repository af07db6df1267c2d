"""The route a person walks: planning it on a DEM and describing it.

:func:`plan_route` ties the pieces together: the hazard layers become barrier and speed
grids, the observers become an exposure grid, the search kernel finds the least-cost cell
path to the cheapest reception point, and the simplifier turns it into few waypoints.
The result is a :class:`Route`, a plain value with the figures a planner reads; its
GeoJSON form (lon, lat, elevation) is :mod:`safeconduct.adapters.formats.route_geojson`'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from safeconduct.errors import InvalidValueError, UnreachableError
from safeconduct.limits import Range
from safeconduct.routing import DEFAULT_RISK_WEIGHT
from safeconduct.routing.kernels import SearchGrids, least_cost_path, step_costs_along
from safeconduct.routing.models import RWalkModel, ToblerModel
from safeconduct.routing.simplify import path_cells_between, simplify_path
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import HazardGrids, Observer, ReceptionPoint
from safeconduct.terrain.visibility import TARGET_HEIGHT, ObserverSpec, exposure

ModelName = Literal["tobler", "rwalk"]
MODELS: tuple[str, ...] = ("tobler", "rwalk")

#: Decimal places a route keeps when it is exchanged (the route file, and the mission planner
#: given a route in memory, so that both plan alike): coordinates 7 (about 1 cm),
#: elevations 2 (cm), each leg's figures 2.
COORD_DECIMALS, ELEVATION_DECIMALS, LEG_DECIMALS = 7, 2, 2



@dataclass(frozen=True)
class RouteSegment:
    """One leg between two consecutive waypoints.

    Attributes
    ----------
    index
        0 for the leg from the first to the second waypoint, and so on.
    distance_m
        Horizontal length in metres (in the DEM's projected CRS).
    time_s
        Expected walking time in seconds under the route's model and pace.
    exposed_time_s
        Part of ``time_s`` spent in view of at least one observer.
    ascent_m, descent_m
        Total climb and drop along the leg, metres (both non-negative).
    """

    index: int
    distance_m: float
    time_s: float
    exposed_time_s: float
    ascent_m: float
    descent_m: float


@dataclass(frozen=True)
class Route:
    """A planned walking route from a start to a reception point.

    Attributes
    ----------
    waypoints
        ``(lon, lat, elevation_m)`` tuples, WGS84 degrees and metres above the DEM datum,
        from the start to the reception point.
    reception
        The reception point the route ends at.
    length_m, walking_time_s, exposed_time_s, max_slope_deg, total_ascent_m
        Figures along the waypoints' straight legs.
    cost
        The optimal accumulated cost the search found (seconds weighted by exposure for
        ``tobler``; r.walk's units for ``rwalk``).
    model
        ``"tobler"`` or ``"rwalk"``.
    segments
        One :class:`RouteSegment` per leg.
    parameters
        The planning settings (pace factor, risk weight, ...), for the record.
    """

    waypoints: list[tuple[float, float, float]]
    reception: ReceptionPoint
    length_m: float
    walking_time_s: float
    exposed_time_s: float
    max_slope_deg: float
    total_ascent_m: float
    cost: float
    model: str
    segments: list[RouteSegment]
    parameters: dict[str, Any] = field(default_factory=dict)


#: A route read back from a file (by the mission): each leg's figures and each waypoint's
#: elevation within these, so a tampered or corrupt file cannot make the planner loop or
#: overflow. A walking leg is far shorter than 100 km and a week.
LEG_RANGES = {
    "distance_m": Range(0.0, 100_000.0, "m", "a leg length"),
    "time_s": Range(0.0, 7 * 86_400.0, "s", "a leg's walking time"),
    "exposed_time_s": Range(0.0, 7 * 86_400.0, "s", "a leg's time in view"),
    "ascent_m": Range(0.0, 10_000.0, "m", "a leg's ascent"),
    "descent_m": Range(0.0, 10_000.0, "m", "a leg's descent"),
}
#: Ground elevation, metres above sea level (the Dead Sea shore to above Everest).
ELEVATION = Range(-500.0, 9_000.0, "m", "a ground elevation")

#: Personal pace, a multiplier on a fit walker's speed: 1 fit, 0.5 injured or exhausted.
PACE_FACTOR = Range(0.0, 2.0, "", "a pace factor (1 = fit, 0.5 = injured or exhausted)",
                    lo_open=True)  # fmt: skip
#: Steepest walkable slope, degrees.
MAX_SLOPE = Range(0.0, 90.0, "degrees", "a slope limit", lo_open=True, hi_open=True)
#: Seconds of walking one second in view of one observer is worth (kept far from overflow).
RISK_WEIGHT = Range(0.0, 100_000.0, "", "a risk weight (seconds of walking per second in view)")


def check_settings(
    *,
    model: str = "tobler",
    pace_factor: float = 1.0,
    risk_weight: float = DEFAULT_RISK_WEIGHT,
    max_slope_deg: float | None = None,
    target_height: float = 1.7,
) -> None:
    """Check a route's settings before any work, each against its one range.

    Raises
    ------
    InvalidValueError
        An unknown model, or a setting out of :data:`PACE_FACTOR`, :data:`RISK_WEIGHT`,
        :data:`MAX_SLOPE` or :data:`~safeconduct.terrain.visibility.TARGET_HEIGHT`
        (``field`` names it). The target height is checked with or without observers.
    """
    make_model(model, pace_factor=pace_factor, max_slope_deg=max_slope_deg)
    RISK_WEIGHT.check(risk_weight, field="risk_weight")
    TARGET_HEIGHT.check(target_height, field="target_height")


def make_model(
    name: str, *, pace_factor: float = 1.0, max_slope_deg: float | None = None
) -> ToblerModel | RWalkModel:
    """Build a walking model by name, checking the personal settings.

    Parameters
    ----------
    name
        ``"tobler"`` (anisotropic Tobler hiking function, off-path factor, pace factor,
        maximum slope) or ``"rwalk"`` (GRASS GIS r.walk with its defaults).
    pace_factor
        Multiplier on walking speed, in (0, 2]: 1 for a fit person, 0.5 or less for an
        injured or exhausted one. Tobler only.
    max_slope_deg
        Steeper steps are impassable, degrees in (0, 90). Tobler only.
    """
    if name not in MODELS:
        raise InvalidValueError(
            f"unknown model {name!r}; choose one of {', '.join(MODELS)}", field="model"
        )
    PACE_FACTOR.check(pace_factor, field="pace_factor")
    if max_slope_deg is not None:
        MAX_SLOPE.check(max_slope_deg, field="max_slope_deg")
    if name == "rwalk":
        return RWalkModel()
    return ToblerModel(pace_factor=pace_factor, max_slope_deg=max_slope_deg)


def build_search_grids(
    dem: Dem,
    hazard_grids: HazardGrids | None = None,
    exposure_grid: np.ndarray | None = None,
) -> SearchGrids:
    """Put the DEM, the rasterized hazards and the exposure on one search grid."""
    if hazard_grids is not None:
        barrier = hazard_grids.barrier
        on_path, speed = hazard_grids.on_path, hazard_grids.speed_factor
    else:
        barrier = on_path = speed = None
    return SearchGrids(
        elevation=dem.elevation,
        cell_size=dem.cell_size,
        barrier=barrier,
        on_path=on_path,
        speed_factor=speed,
        exposure=exposure_grid,
    )


def prepare_search_grids(
    dem: Dem,
    hazard_grids: HazardGrids | None = None,
    observers: Sequence[Observer] = (),
    *,
    target_height: float = 1.7,
    progress: Callable[[str], None] | None = None,
) -> SearchGrids:
    """Compute the exposure to ``observers`` and put it on one search grid with the hazards.

    ``hazard_grids`` are the hazards already burnt onto the DEM's grid (the GIS adapter
    does that); None means no hazards.
    """
    say = progress or (lambda _msg: None)
    exposure_grid = None
    if observers:
        say(f"visibility from {len(observers)} observers")
        exposure_grid = exposure(dem, observer_specs(dem, observers), target_height=target_height)
    return build_search_grids(dem, hazard_grids, exposure_grid)


def observer_specs(dem: Dem, observers: Sequence[Observer]) -> list[ObserverSpec]:
    """Project GeoJSON observers onto the DEM's grid; each must lie on it."""
    specs = []
    for ob in observers:
        dem.cell_of_lonlat(ob.lon, ob.lat, what=f"observer {ob.name!r}")
        x, y = dem.lonlat_to_xy(ob.lon, ob.lat)
        specs.append(ObserverSpec(x, y, ob.height_m, ob.range_m, ob.weight))
    return specs


def plan_route(
    dem: Dem,
    start: GeoPoint,
    reception: Sequence[ReceptionPoint],
    *,
    hazard_grids: HazardGrids | None = None,
    observers: Sequence[Observer] = (),
    model: str = "tobler",
    pace_factor: float = 1.0,
    risk_weight: float = DEFAULT_RISK_WEIGHT,
    max_slope_deg: float | None = None,
    knight: bool = False,
    target_height: float = 1.7,
    search_grids: SearchGrids | None = None,
    progress: Callable[[str], None] | None = None,
) -> Route:
    """Plan the least-cost walking route from ``start`` to the cheapest reception point.

    Parameters
    ----------
    dem
        The terrain, on a projected metric grid.
    start
        Where the person starts (WGS84).
    reception
        Candidate reception points; the route ends at whichever is cheapest to reach.
    hazard_grids
        The hazards burnt onto the DEM's grid: minefields and impassable areas are hard
        barriers (with their buffer); water is impassable except where a road or path
        crosses it; woodland slows. None: no hazards.
    observers
        Hostile observation posts. The cost of a step is multiplied by
        ``1 + risk_weight * exposure`` where exposure is the weighted number of observers
        that see a person standing ``target_height`` metres tall there.
    model
        ``"tobler"`` (default) or ``"rwalk"``.
    pace_factor, max_slope_deg
        Personal pace (speed multiplier) and steepest walkable slope in degrees.
    risk_weight
        How many seconds of walking one second in view of one observer is worth, >= 0.
    knight
        Add knight's moves (16 neighbours) to the 8 neighbours.
    target_height
        Height of the walking person in metres, for the exposure.
    search_grids
        Grids already built from ``hazard_grids`` and ``observers`` by
        :func:`prepare_search_grids`, to reuse them (``observers`` then only label the
        result).
    progress
        Called with a short description of each stage.

    Returns
    -------
    Route

    Raises
    ------
    InvalidValueError, OutOfRangeError, UnreachableError
        Bad settings; a start or reception point off the DEM or on nodata; no admissible
        route (barriers or the slope limit enclose the start or every reception point).
    """
    check_settings(model=model, pace_factor=pace_factor, risk_weight=risk_weight,
                   max_slope_deg=max_slope_deg, target_height=target_height)  # fmt: skip
    walk_model = make_model(model, pace_factor=pace_factor, max_slope_deg=max_slope_deg)
    if not reception:
        raise InvalidValueError("no reception points given; add at least one Point to the layer")
    say = progress or (lambda _msg: None)

    start_cell = dem.cell_of_lonlat(start.lon, start.lat, what="start")
    target_cells = [
        dem.cell_of_lonlat(r.lon, r.lat, what=f"reception point {r.name!r}") for r in reception
    ]
    grids = search_grids or prepare_search_grids(
        dem, hazard_grids, observers, target_height=target_height, progress=say
    )
    _check_not_in_barrier(grids, start_cell, "the start", start)
    open_targets = [c for c in target_cells if not _in_barrier(grids, c)]
    if not open_targets:
        raise UnreachableError(
            "every reception point lies inside a barrier (minefield, impassable area or "
            "water); move the reception points or correct the hazards layer"
        )

    say("least-cost search")
    found = least_cost_path(
        grids, start_cell, target_cells, walk_model, risk_weight=risk_weight, knight=knight
    )
    say("simplifying the path")
    waypoint_idx = simplify_path(found.cells, grids, walk_model, risk_weight=risk_weight)
    return _describe(
        dem,
        grids,
        walk_model,
        found.cells,
        waypoint_idx,
        reception[found.target_index],
        found.cost,
        model,
        risk_weight,
        parameters={
            "pace_factor": pace_factor if model == "tobler" else None,
            "risk_weight": risk_weight,
            "max_slope_deg_limit": max_slope_deg,
            "knight": knight,
            "observers": len(observers),
            "target_height_m": target_height,
        },
    )


def _in_barrier(grids: SearchGrids, cell: tuple[int, int]) -> bool:
    return grids.barrier is not None and bool(grids.barrier[cell])


def _check_not_in_barrier(
    grids: SearchGrids, cell: tuple[int, int], what: str, point: GeoPoint
) -> None:
    if _in_barrier(grids, cell):
        raise UnreachableError(
            f"{what} ({point}) lies inside a barrier (minefield buffer, impassable area or "
            "water); choose a point outside it"
        )


def _describe(
    dem: Dem,
    grids: SearchGrids,
    walk_model: ToblerModel | RWalkModel,
    cells: np.ndarray,
    waypoint_idx: np.ndarray,
    reception: ReceptionPoint,
    cost: float,
    model: str,
    risk_weight: float,
    parameters: dict[str, Any],
) -> Route:
    """Measure the route along the straight legs between its waypoints."""
    waypoints = cells[waypoint_idx]
    segments: list[RouteSegment] = []
    max_slope = 0.0
    for i in range(len(waypoints) - 1):
        leg, run, times = straight_leg_steps(grids, walk_model, waypoints[i], waypoints[i + 1])
        rise = np.diff(dem.elevation[leg[:, 0], leg[:, 1]])
        if run.size:
            max_slope = max(max_slope, float(np.degrees(np.arctan(np.abs(rise) / run)).max()))
        seen = _step_exposed(grids, leg)
        segments.append(
            RouteSegment(
                index=i,
                distance_m=float(run.sum()),
                time_s=float(times.sum()),
                exposed_time_s=float(times[seen].sum()),
                ascent_m=float(rise[rise > 0].sum()),
                descent_m=float(-rise[rise < 0].sum()),
            )
        )
    xs, ys = dem.rowcol_to_xy(waypoints[:, 0], waypoints[:, 1])
    lons, lats = dem.xy_to_lonlat(xs, ys)
    zs = dem.elevation[waypoints[:, 0], waypoints[:, 1]]
    return Route(
        waypoints=[(float(a), float(b), float(c)) for a, b, c in zip(lons, lats, zs, strict=True)],
        reception=reception,
        length_m=sum(s.distance_m for s in segments),
        walking_time_s=sum(s.time_s for s in segments),
        exposed_time_s=sum(s.exposed_time_s for s in segments),
        max_slope_deg=max_slope,
        total_ascent_m=sum(s.ascent_m for s in segments),
        cost=float(cost),
        model=model,
        segments=segments,
        parameters=parameters,
    )


def straight_leg_steps(
    grids: SearchGrids,
    walk_model: ToblerModel | RWalkModel,
    a: np.ndarray | tuple[int, int],
    b: np.ndarray | tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The steps of the straight leg from cell ``a`` to cell ``b``, as the walker takes them.

    The leg is costed over the cells it crosses (8-connected, as the search moves), then
    those steps are stretched onto the straight line between the two cell centres: the
    person walks the line, not the staircase of cells, at the speed each cell allows.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        The ``(n, 2)`` cells ``[row, col]``; ``n - 1`` step lengths in metres along the
        straight line; ``n - 1`` step times in seconds (no risk weighting).
    """
    leg = path_cells_between(a, b)
    times, _ = step_costs_along(grids, leg, walk_model, risk_weight=0.0)
    dx, dy = grids.cell_size
    lengths = np.hypot(np.diff(leg[:, 0]) * dy, np.diff(leg[:, 1]) * dx)
    straight = math.hypot((int(b[0]) - int(a[0])) * dy, (int(b[1]) - int(a[1])) * dx)
    scale = straight / lengths.sum() if lengths.sum() > 0 else 1.0
    return leg, lengths * scale, times * scale


def _step_exposed(grids: SearchGrids, leg: np.ndarray) -> np.ndarray:
    """True for each step of ``leg`` with either end in view of at least one observer.

    Either end, not the mean the cost uses: a report of time in view should err on the
    side of more exposure, never less.
    """
    if grids.exposure is None:
        return np.zeros(max(len(leg) - 1, 0), dtype=bool)
    seen = grids.exposure[leg[:, 0], leg[:, 1]] > 0
    return seen[:-1] | seen[1:]


__all__ = [
    "MODELS",
    "Route",
    "RouteSegment",
    "build_search_grids",
    "make_model",
    "observer_specs",
    "plan_route",
    "prepare_search_grids",
    "straight_leg_steps",
]
