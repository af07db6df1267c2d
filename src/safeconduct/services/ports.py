"""The small interfaces through which use cases reach the world (ports).

A use case in :mod:`safeconduct.services` computes on values from the domain packages and
reaches files, rasters, pictures, vehicles and cameras only through these protocols.
:mod:`safeconduct.adapters` implements them; :mod:`safeconduct.bootstrap` wires the real
implementations in; a test may pass its own. Each section belongs to one use case family.

Paths are ``str | os.PathLike``; coordinates are WGS84 ``(lon, lat)`` degrees in files
and :class:`~safeconduct.terrain.coords.GeoPoint` values in code; grids are numpy arrays
``[row, col]`` on a :class:`~safeconduct.terrain.dem.Dem`'s grid.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from safeconduct.routing.kernels import SearchGrids
    from safeconduct.routing.route import Route
    from safeconduct.terrain.dem import Dem
    from safeconduct.terrain.layers import (
        Hazard,
        HazardGrids,
        MeetingPoint,
        Observer,
        ReceptionPoint,
    )

PathLike = str | os.PathLike[str]


# ----------------------------------------------------------------- terrain and planning


class Rasters(Protocol):
    """Elevation models and grids as raster files (GeoTIFF), and hazards burnt onto a grid."""

    def read_dem(self, path: PathLike) -> Dem:
        """Read a DEM, reprojected to its UTM zone if geographic."""
        ...

    def write_raster(
        self,
        path: PathLike,
        array: np.ndarray,
        dem: Dem,
        *,
        nodata: float,
        description: str,
        tags: Mapping[str, str],
    ) -> None:
        """Write ``array`` on ``dem``'s grid, atomically."""
        ...

    def rasterize_hazards(self, hazards: Sequence[Hazard], dem: Dem) -> HazardGrids:
        """Burn hazard geometries onto ``dem``'s grid."""
        ...


class Layers(Protocol):
    """The area's vector layers (GeoJSON files)."""

    def read_hazards(self, path: PathLike) -> list[Hazard]: ...

    def read_observers(self, path: PathLike) -> list[Observer]: ...

    def read_reception(self, path: PathLike) -> list[ReceptionPoint]: ...

    def read_meeting(self, path: PathLike) -> MeetingPoint: ...


class RouteFiles(Protocol):
    """The route as a GeoJSON file."""

    def write_route(self, route: Route, path: PathLike) -> None:
        """Write ``route`` atomically."""
        ...


class Maps(Protocol):
    """Pictures of an area and a route."""

    def render_route_map(
        self,
        path: PathLike,
        dem: Dem,
        grids: SearchGrids,
        route: Route,
        observers: Sequence[Observer],
        **extras: object,
    ) -> None:
        """Draw the route over the hillshade, barriers and exposure as a PNG."""
        ...
