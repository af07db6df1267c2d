"""Digital elevation models: reading, reprojecting to metres, and writing GeoTIFFs.

This module and its siblings in :mod:`safeconduct.terrain` are the only places that
know about coordinate reference systems and GDAL. Everything downstream (routing,
missions) works on a :class:`Dem`: a metric grid with an affine transform.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.errors import RasterioIOError
from rasterio.warp import Resampling, calculate_default_transform, reproject

from safeconduct.atomic import atomic_path
from safeconduct.errors import BadFileError, OutOfRangeError


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

    def cell_of_xy(self, x: float, y: float, what: str = "point") -> tuple[int, int]:
        """Return ``(row, col)`` for map ``(x, y)`` metres, or raise if off the grid or nodata.

        Parameters
        ----------
        x, y
            Map coordinates in metres on ``crs``.
        what
            How to name the point in the error message (e.g. ``"--start (48.6,38.0)"``).
        """
        row, col = self.xy_to_rowcol(x, y)
        if not self.contains_rowcol(row, col):
            raise OutOfRangeError(
                f"{what} lies outside the DEM; choose a point inside the elevation model's area"
            )
        if not np.isfinite(self.elevation[row, col]):
            raise OutOfRangeError(
                f"{what} falls on a nodata cell of the DEM; move it onto a cell with a height"
            )
        return row, col

    def cell_of_lonlat(self, lon: float, lat: float, what: str = "point") -> tuple[int, int]:
        """Return ``(row, col)`` for a WGS84 point, or raise if it is off the grid or nodata.

        Parameters
        ----------
        lon, lat
            WGS84 degrees.
        what
            How to name the point in the error message (e.g. ``"--start"``).
        """
        return self.cell_of_xy(*self.lonlat_to_xy(lon, lat), what=f"{what} ({lat:.6f},{lon:.6f})")


def read_dem(path: str | os.PathLike[str]) -> Dem:
    """Read a single-band DEM; reproject it to UTM if it is geographic.

    Parameters
    ----------
    path
        Any raster GDAL reads (GeoTIFF expected). Band 1 holds heights in metres.

    Returns
    -------
    Dem
        On the file's own CRS when that is projected; otherwise resampled (bilinear)
        onto the UTM zone of the raster's centre at a square cell close to the
        native resolution. Nodata becomes ``NaN``.

    Raises
    ------
    BadFileError
        If the file is missing, unreadable, or has no CRS.
    """
    p = Path(path)
    if not p.exists():
        raise BadFileError(f"DEM {p} does not exist")
    try:
        with rasterio.open(p) as src:
            if src.crs is None:
                raise BadFileError(
                    f"DEM {p} has no coordinate reference system; "
                    "assign one (e.g. gdal_edit.py -a_srs EPSG:32637) and try again"
                )
            band = src.read(1, masked=True).astype("float64")
            elevation = band.filled(np.nan)
            tags = dict(src.tags())
            crs = CRS.from_user_input(src.crs.to_wkt())
            if crs.is_projected:
                if not _units_are_metres(crs):
                    raise BadFileError(
                        f"DEM {p} is projected in {crs.axis_info[0].unit_name}, not metres; "
                        "reproject it to a metric CRS such as UTM"
                    )
                return Dem(elevation, src.transform, crs, tags)
            if not crs.is_geographic:
                raise BadFileError(f"DEM {p} has a CRS that is neither projected nor geographic")
            return _reproject_to_utm(src, elevation, tags)
    except RasterioIOError as exc:
        raise BadFileError(f"cannot read DEM {p}: {exc}") from exc


def _units_are_metres(crs: CRS) -> bool:
    return all(ax.unit_name in ("metre", "meter", "m") for ax in crs.axis_info[:2])


def _reproject_to_utm(src: rasterio.DatasetReader, elevation: np.ndarray, tags: dict) -> Dem:
    left, bottom, right, top = src.bounds
    lon_c, lat_c = (left + right) / 2.0, (bottom + top) / 2.0
    if not (-80.0 <= lat_c <= 84.0):
        raise BadFileError(
            "DEM is geographic and lies outside the UTM latitude band (80S-84N); "
            "reproject it to a suitable metric CRS first"
        )
    dst_crs = utm_crs_for(lon_c, lat_c)
    # A square cell close to the native one: mean of the E-W and N-S cell sizes in metres.
    res_x_m = abs(src.res[0]) * 111_320.0 * math.cos(math.radians(lat_c))
    res_y_m = abs(src.res[1]) * 110_574.0
    res = round((res_x_m + res_y_m) / 2.0, 3)
    dst_transform, width, height = calculate_default_transform(
        src.crs, dst_crs.to_wkt(), src.width, src.height, *src.bounds, resolution=res
    )
    out = np.full((height, width), np.nan, dtype="float64")
    reproject(
        source=elevation,
        destination=out,
        src_transform=src.transform,
        src_crs=src.crs,
        src_nodata=np.nan,
        dst_transform=dst_transform,
        dst_crs=dst_crs.to_wkt(),
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    return Dem(out, dst_transform, dst_crs, tags)


def write_raster(
    path: str | os.PathLike[str],
    array: np.ndarray,
    like: Dem,
    *,
    nodata: float | int | None = None,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
) -> Path:
    """Write ``array`` as a one-band GeoTIFF on ``like``'s grid, atomically.

    Parameters
    ----------
    path
        Output file; written under a temporary name and renamed when complete.
    array
        2-D array with ``like.shape``; its dtype becomes the file's dtype.
    like
        The grid (transform and CRS) the array is on.
    nodata
        The band's nodata value, if any.
    tags
        Dataset metadata items.
    description
        The band description (shown by ``gdalinfo``).
    """
    if array.shape != like.shape:
        raise ValueError(f"array shape {array.shape} differs from the grid {like.shape}")
    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": array.dtype.name,
        "crs": like.crs.to_wkt(),
        "transform": like.transform,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    if nodata is not None:
        profile["nodata"] = nodata
    if array.dtype.kind == "f":
        profile["predictor"] = 3
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(array, 1)
        if tags:
            dst.update_tags(**tags)
        if description:
            dst.set_band_description(1, description)
    return Path(path)
