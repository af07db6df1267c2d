"""An operation end to end: plan the route, the sorties and the note, then rehearse it.

This is the service layer of ``safeconduct rehearse`` and ``safeconduct demo``: it reads
the area's files, calls the planners, turns their results into what the rehearsal
simulator needs, runs it, and hands everything to the report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from safeconduct.guidance.path import RoutePath
from safeconduct.guidance.rehearsal import TerrainAlong
from safeconduct.routing.kernels import SearchGrids
from safeconduct.routing.models import ToblerModel
from safeconduct.routing.route import Route, observer_specs, straight_leg_steps
from safeconduct.terrain.layers import Observer
from safeconduct.terrain.raster import Dem
from safeconduct.terrain.visibility import VISIBLE, viewshed


def observer_visibility(
    dem: Dem, observers: Sequence[Observer], *, target_height: float = 1.7
) -> list[np.ndarray]:
    """One bool grid per observer: where a standing person is in its view and range."""
    grids = []
    for spec in observer_specs(dem, observers):
        vis = viewshed(
            dem,
            (spec.x, spec.y),
            observer_height=spec.height_m,
            target_height=target_height,
            max_distance=spec.range_m,
        )
        grids.append(vis == VISIBLE)
    return grids


def terrain_along_route(
    dem: Dem,
    grids: SearchGrids,
    route: Route,
    visibility: Sequence[np.ndarray] = (),
    *,
    step_m: float = 5.0,
) -> tuple[RoutePath, TerrainAlong]:
    """Sample what a walker meets along ``route`` every ``step_m`` metres.

    The speeds are those the route's own figures come from (Tobler for a fit person, with
    the off-path factor and woodland), taken step by step over the cells each straight leg
    crosses, so that the rehearsal and the plan agree on the expected time.

    Returns
    -------
    (RoutePath, TerrainAlong)
        The route in map metres, and the samples.
    """
    model = ToblerModel()
    cells = np.array(
        [dem.cell_of_lonlat(lon, lat, what="route waypoint") for lon, lat, _ in route.waypoints]
    )
    xs, ys = dem.rowcol_to_xy(cells[:, 0], cells[:, 1])
    path = RoutePath(np.column_stack([xs, ys]))
    s_ends: list[np.ndarray] = []
    speeds: list[np.ndarray] = []
    step_cells: list[np.ndarray] = []
    for i in range(len(cells) - 1):
        leg, lengths, times = straight_leg_steps(grids, model, cells[i], cells[i + 1])
        s_ends.append(path.vertex_s[i] + np.cumsum(lengths))
        speeds.append(lengths / times)
        step_cells.append(leg[1:])
    s_end = np.concatenate(s_ends)
    speed = np.concatenate(speeds)
    where = np.concatenate(step_cells)

    samples = np.arange(0.0, path.length + step_m, step_m)
    k = np.minimum(np.searchsorted(s_end, samples), len(s_end) - 1)
    seen = np.zeros((len(visibility), len(samples)), dtype=bool)
    for j, vis in enumerate(visibility):
        seen[j] = vis[where[k, 0], where[k, 1]]
    return path, TerrainAlong(step_m=step_m, speed_ms=speed[k], seen_by=seen)
