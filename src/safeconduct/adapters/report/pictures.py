"""Maps and charts behind the ports, with matplotlib loaded only when a picture is drawn.

:class:`MatplotlibMaps` implements :class:`~safeconduct.services.ports.Maps` and
:class:`MatplotlibFigures` :class:`~safeconduct.services.ports.Figures`; the drawing itself
lives in :mod:`.maps` and :mod:`.figures`. Importing this module costs nothing, so a
command that might draw a map starts as fast as one that never does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from safeconduct.guidance.rehearsal import RehearsalResult, TerrainAlong
    from safeconduct.routing.kernels import SearchGrids
    from safeconduct.routing.route import Route
    from safeconduct.terrain.dem import Dem
    from safeconduct.terrain.layers import Observer


class MatplotlibMaps:
    """Route maps as PNG files."""

    def render_route_map(
        self,
        path: str | os.PathLike[str],
        dem: Dem,
        grids: SearchGrids,
        route: Route | None = None,
        observers: Sequence[Observer] = (),
        *,
        sorties: Sequence[Sequence[tuple[float, float]]] = (),
        handovers: Sequence[tuple[float, float]] = (),
        title: str | None = None,
    ) -> Path:
        from safeconduct.adapters.report.maps import render_route_map

        return render_route_map(
            path, dem, grids, route, observers, sorties=sorties, handovers=handovers, title=title
        )


class MatplotlibFigures:
    """The rehearsal's elevation profile and timeline as PNG bytes."""

    def profile_png(
        self, distance_m: np.ndarray, elevation_m: np.ndarray, terrain: TerrainAlong
    ) -> bytes:
        from safeconduct.adapters.report.figures import profile_png

        return profile_png(distance_m, elevation_m, terrain)

    def timeline_png(
        self, result: RehearsalResult, sortie_spans: list[tuple[float, float]]
    ) -> bytes:
        from safeconduct.adapters.report.figures import timeline_png

        return timeline_png(result, sortie_spans)
