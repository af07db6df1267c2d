"""Map pictures: hillshade, hazards, exposure, observers and the route, as a PNG.

A planner reads a route faster from a map than from a table. This module draws one with
matplotlib's object API (no display needed) on the DEM's own grid, north up, with a scale bar.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.colors import LightSource, ListedColormap
from matplotlib.figure import Figure  # the object API: no pyplot state, no display needed
from matplotlib.patches import Patch

from safeconduct.adapters.files.atomic import atomic_path
from safeconduct.routing.kernels import SearchGrids
from safeconduct.routing.route import Route
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import Observer


def render_route_map(
    path: str | os.PathLike[str],
    dem: Dem,
    grids: SearchGrids,
    route: Route | None = None,
    observers: Sequence[Observer] = (),
    *,
    sorties: Sequence[Sequence[tuple[float, float]]] = (),
    handovers: Sequence[tuple[float, float]] = (),
    title: str | None = None,
    dpi: int = 110,
) -> Path:
    """Draw the area and the route into a PNG, atomically.

    Parameters
    ----------
    path
        Output PNG.
    dem
        The terrain, drawn as a hillshade (sun from the north-west, 3x vertical exaggeration).
    grids
        Barriers (red), roads and paths (blue) and exposure (orange shades) on ``dem``'s grid.
    route
        The route (blue line, start green, reception square), if any.
    observers
        Hostile observation posts (red triangles).
    sorties
        Each sortie's flight path as ``(lon, lat)`` points, launch to landing (thin dashes).
    handovers
        Relay waiting points ``(lon, lat)`` where one drone hands the person to the next.
    """
    dx, dy = dem.cell_size
    left, bottom, right, top = dem.bounds
    extent = (0.0, (right - left) / 1000.0, 0.0, (top - bottom) / 1000.0)  # km from SW corner
    z = np.where(np.isfinite(dem.elevation), dem.elevation, np.nanmin(dem.elevation))
    shade = LightSource(azdeg=315, altdeg=45).hillshade(z, vert_exag=3, dx=dx, dy=dy)

    fig = Figure(figsize=(8, 8))
    ax = fig.subplots()
    ax.imshow(shade, cmap="gray", extent=extent, vmin=0, vmax=1)
    legend = []
    if grids.exposure is not None:
        seen = np.ma.masked_less_equal(grids.exposure, 0)
        ax.imshow(seen, cmap="Oranges", alpha=0.45, extent=extent, vmin=0)
        legend.append(Patch(color="#f4a261", alpha=0.6, label="in view of observers"))
    if grids.on_path is not None:
        ax.imshow(_mask(grids.on_path), cmap=ListedColormap(["#3a86ff"]), extent=extent)
        legend.append(Patch(color="#3a86ff", label="road or path"))
    if grids.barrier is not None:
        ax.imshow(_mask(grids.barrier), cmap=ListedColormap(["#d62828"]), extent=extent)
        legend.append(Patch(color="#d62828", label="barrier (minefield, water, ...)"))

    def to_km(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = dem.lonlat_to_xy(lon, lat)
        return (x - left) / 1000.0, (y - bottom) / 1000.0

    if observers:
        ox, oy = to_km(np.array([o.lon for o in observers]), np.array([o.lat for o in observers]))
        ax.plot(ox, oy, "^", color="#9d0208", markersize=11, markeredgecolor="white",
                label="hostile observation post")  # fmt: skip
    for i, flown in enumerate(sorties):
        fx, fy = to_km(*np.array(flown, dtype=float).T)
        ax.plot(fx, fy, "--", color="#6a4c93", linewidth=0.9, alpha=0.8,
                label="drone sorties" if i == 0 else None)  # fmt: skip
    if sorties:
        ax.plot(*to_km(*np.array(sorties[0][0], dtype=float)), "P", color="#6a4c93",
                markersize=10, markeredgecolor="white", label="drone launch")  # fmt: skip
    if handovers:
        hx, hy = to_km(*np.array(handovers, dtype=float).T)
        ax.plot(hx, hy, "D", color="#ffb703", markersize=8, markeredgecolor="black",
                label="relay: person waits for the next drone")  # fmt: skip
    if route is not None:
        pts = np.array(route.waypoints)
        rx, ry = to_km(pts[:, 0], pts[:, 1])
        ax.plot(rx, ry, "-", color="white", linewidth=5)
        ax.plot(rx, ry, "-", color="#023e8a", linewidth=2.5, label="route")
        ax.plot(rx[0], ry[0], "o", color="#2a9d8f", markersize=11, markeredgecolor="white",
                label="start")  # fmt: skip
        ax.plot(rx[-1], ry[-1], "s", color="#023e8a", markersize=11, markeredgecolor="white",
                label=f"reception: {route.reception.name}")  # fmt: skip
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=[*handles, *legend], loc="lower left", fontsize=8, framealpha=0.9)
    ax.set_xlabel("km east")
    ax.set_ylabel("km north")
    if title:
        ax.set_title(title)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    return Path(path)


def _mask(flags: np.ndarray) -> np.ma.MaskedArray:
    return np.ma.masked_where(~flags, np.ones(flags.shape))
