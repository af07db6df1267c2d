"""The digital elevation model as a value: a metric grid of heights with its transform.

Everything that plans on terrain (routing, visibility, missions) works on a :class:`Dem`.
Reading and writing GeoTIFFs, and reprojecting geographic ones to metres, is
:mod:`safeconduct.adapters.gis.geotiff`'s job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer

from safeconduct.errors import OutOfRangeError


def utm_crs_for(lon: float, lat: float) -> CRS:
    """Return the WGS84 / UTM zone CRS that contains ``(lon, lat)`` in degrees."""
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    epsg = (32600 if lat >= 0 else 32700) + zone
    return CRS.from_epsg(epsg)


@dataclass(frozen=True, eq=False)
class Dem:
    """A digital elevation model on a projected, metric grid.

    Attributes
    ----------
    elevation
        2-D ``float64`` array of ground heights in metres, indexed ``[row, col]``,
        row 0 at the top (north-up). Nodata cells are ``NaN``.
    transform
        Affine transform from ``(col, row)`` pixel corners to ``(x, y)`` map metres.
    crs
        The projected CRS of ``transform``.
    tags
        Free-form metadata carried through from the file (e.g. ``SYNTHETIC``).
    """

    elevation: np.ndarray
    transform: Affine
    crs: CRS
    tags: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if self.elevation.ndim != 2:
            raise ValueError("elevation must be a 2-D array")
        if not self.crs.is_projected:
            raise ValueError("a Dem must be on a projected (metric) CRS; use read_dem()")
        if self.transform.b != 0 or self.transform.d != 0:
            raise ValueError("rotated rasters are not supported")

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the grid."""
        return self.elevation.shape  # type: ignore[return-value]

    @property
    def cell_size(self) -> tuple[float, float]:
        """``(dx, dy)``: cell width and height in metres, both positive."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` in map metres."""
        rows, cols = self.shape
        left, top = self.transform @ (0, 0)
        right, bottom = self.transform @ (cols, rows)
        return min(left, right), min(bottom, top), max(left, right), max(bottom, top)

    @cached_property
    def _to_lonlat(self) -> Transformer:
        return Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)

    @cached_property
    def _from_lonlat(self) -> Transformer:
        return Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    def lonlat_to_xy(self, lon, lat):
        """Project WGS84 ``(lon, lat)`` degrees to map ``(x, y)`` metres (scalars or arrays)."""
        x, y = self._from_lonlat.transform(lon, lat)
        if np.ndim(x) == 0:
            return float(x), float(y)
        return np.asarray(x), np.asarray(y)

    def xy_to_lonlat(self, x: float | np.ndarray, y: float | np.ndarray):
        """Unproject map ``(x, y)`` metres to WGS84 ``(lon, lat)`` degrees."""
        return self._to_lonlat.transform(x, y)

    def xy_to_rowcol(self, x: float, y: float) -> tuple[int, int]:
        """Return the ``(row, col)`` of the cell containing map point ``(x, y)``."""
        col, row = ~self.transform @ (x, y)
        return math.floor(row), math.floor(col)

    def rowcol_to_xy(self, row: float | np.ndarray, col: float | np.ndarray):
        """Return map ``(x, y)`` metres of cell centres at ``(row, col)``."""
        t = self.transform
        x = t.c + (np.asarray(col) + 0.5) * t.a
        y = t.f + (np.asarray(row) + 0.5) * t.e
        return x, y

    def contains_rowcol(self, row: int, col: int) -> bool:
        """True if ``(row, col)`` lies on the grid."""
        rows, cols = self.shape
        return 0 <= row < rows and 0 <= col < cols

    def cell_of_xy(
        self, x: float, y: float, what: str = "point", field: str | None = None
    ) -> tuple[int, int]:
        """Return ``(row, col)`` for map ``(x, y)`` metres, or raise if off the grid or nodata.

        Parameters
        ----------
        x, y
            Map coordinates in metres on ``crs``.
        what
            How to name the point in the error message (e.g. ``"start (48.6,38.0)"``).
        field
            The input the point came from, carried by the error (e.g. ``"start"``).
        """
        row, col = self.xy_to_rowcol(x, y)
        if not self.contains_rowcol(row, col):
            raise OutOfRangeError(
                f"{what} lies outside the DEM; choose a point inside the elevation model's area",
                field=field,
            )
        if not np.isfinite(self.elevation[row, col]):
            raise OutOfRangeError(
                f"{what} falls on a nodata cell of the DEM; move it onto a cell with a height",
                field=field,
            )
        return row, col

    def cell_of_lonlat(
        self, lon: float, lat: float, what: str = "point", field: str | None = None
    ) -> tuple[int, int]:
        """Return ``(row, col)`` for a WGS84 point, or raise if it is off the grid or nodata.

        Parameters
        ----------
        lon, lat
            WGS84 degrees.
        what
            How to name the point in the error message (e.g. ``"start"``).
        field
            The input the point came from, carried by the error.
        """
        x, y = self.lonlat_to_xy(lon, lat)
        return self.cell_of_xy(x, y, what=f"{what} ({lat:.6f},{lon:.6f})", field=field)
