"""GeoTIFF in and out with rasterio: read a DEM (reprojected to UTM if geographic), write grids."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import rasterio
from pyproj import CRS
from rasterio.enums import MaskFlags
from rasterio.errors import RasterioIOError
from rasterio.warp import Resampling, calculate_default_transform, reproject

from safeconduct.adapters.files.atomic import atomic_path
from safeconduct.errors import BadFileError
from safeconduct.terrain.dem import Dem, utm_crs_for
from safeconduct.terrain.layers import Hazard, HazardGrids


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
            elevation = _read_heights(src)
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


def _read_heights(src: rasterio.DatasetReader) -> np.ndarray:
    """Band 1 as float64 metres, ``NaN`` wherever GDAL's valid-data mask says nodata.

    The same values as ``src.read(1, masked=True).astype("float64").filled(np.nan)``
    (rasterio's masked read takes its mask from ``read_masks``), read in one pass and
    converted by GDAL: the masked read costs two more copies of the grid and a mask band,
    0.1-0.3 s on a 3000 x 3000 DEM. A nodata value of NaN (what our writers and most float
    DEMs use) needs no mask at all: those cells read as NaN already.
    """
    heights = src.read(1, out_dtype="float64")
    flags = src.mask_flag_enums[0]
    if flags == [MaskFlags.all_valid]:
        return heights
    if flags == [MaskFlags.nodata] and src.nodata is not None and math.isnan(src.nodata):
        return heights
    heights[src.read_masks(1) == 0] = np.nan
    return heights


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


class RasterioRasters:
    """:class:`~safeconduct.services.ports.Rasters` with rasterio (GDAL)."""

    def read_dem(self, path: str | os.PathLike[str]) -> Dem:
        return read_dem(path)

    def write_raster(
        self,
        path: str | os.PathLike[str],
        array: np.ndarray,
        dem: Dem,
        *,
        nodata: float,
        description: str,
        tags: Mapping[str, str],
    ) -> None:
        write_raster(path, array, dem, nodata=nodata, description=description, tags=tags)

    def rasterize_hazards(self, hazards: Sequence[Hazard], dem: Dem) -> HazardGrids:
        from safeconduct.adapters.gis.rasterize import rasterize_hazards

        return rasterize_hazards(list(hazards), dem)
