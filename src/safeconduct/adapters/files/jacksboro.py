"""The Jacksboro fault DEM: a small real elevation model, our second test area.

matplotlib ships it as ``jacksboro_fault_dem.npz`` (USGS elevation data of the
Cumberland Mountains in north-eastern Tennessee, USA, around the Jacksboro fault).
It holds ``elevation`` (344 x 403 int16) on a 3 arc-second (0.000833...) grid and the
keys ``xmin``, ``xmax``, ``ymin``, ``ymax``, ``dx``, ``dy`` in degrees.

What the npz means, checked against the data:

- ``xmin``/``xmax`` are the west/east *edges* of the grid: ``xmax - xmin`` is exactly
  ``403 * dx`` (not ``402 * dx``), and with edges there the cell centres fall on whole
  multiples of 3 arc-seconds, as a USGS 3" grid's do.
- ``ymin`` (36.7329) is larger than ``ymax`` (36.4463): the names are misleading.
  Row 0 is the *north* edge, at ``ymin``. matplotlib's own examples put row 0 at
  ``ymin`` (``np.linspace(dem['ymin'], dem['ymax'], nrows)``) and draw it at the top
  with a light from the north-west; and with row 0 north the terrain is right: the
  Jacksboro fault's straight valley runs north-west to south-east, and Pine Mountain,
  which ends against the fault, runs from it to the north-east.
- Heights are metres: they span 236-1076. In feet that would be 72-328 m, below the
  region's valley floors (Norris Lake's pool is about 310 m); as metres the top matches
  the Cumberland Mountains' highest summits (about 1077 m, 3534 ft). No conversion
  is needed.

The npz names no datum; we write WGS84 (EPSG:4326). NAD83, the usual datum of USGS
elevation data, differs from it by about a metre here, far below the 83 m cells.

:func:`write_jacksboro_dem` writes it as a GeoTIFF in EPSG:4326, so that it exercises
the geographic-to-UTM path of :func:`safeconduct.adapters.gis.geotiff.read_dem` (UTM 16N,
cells of about 83 m).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

from safeconduct.adapters.files.atomic import atomic_path

#: Dataset metadata written into the GeoTIFF.
JACKSBORO_TAGS = {
    "SOURCE": "USGS elevation data, as shipped in matplotlib's sample data "
    "(matplotlib.cbook.get_sample_data('jacksboro_fault_dem.npz'))",
    "AREA": "Jacksboro fault, Cumberland Mountains, north-eastern Tennessee, USA",
    "UNITS": "metre",
    "SYNTHETIC": "no",
    "DESCRIPTION": "Real terrain: 3 arc-second DEM, heights in metres above sea level; "
    "row 0 is the north edge (the npz's 'ymin' key).",
}


def load_jacksboro() -> tuple[np.ndarray, float, float, float, float]:
    """Return ``(elevation, west, north, dx, dy)`` of matplotlib's Jacksboro DEM.

    ``elevation`` is float32 metres, row 0 at the north edge; ``west`` and ``north``
    are the grid's outer edges and ``dx``, ``dy`` the cell size, all in degrees.
    """
    from matplotlib.cbook import get_sample_data

    with get_sample_data("jacksboro_fault_dem.npz") as npz:
        elevation = np.asarray(npz["elevation"], dtype="float32")
        west, east = float(npz["xmin"]), float(npz["xmax"])
        # Despite its name 'ymin' is the northern edge (see the module docstring).
        north, south = float(npz["ymin"]), float(npz["ymax"])
        dx, dy = float(npz["dx"]), float(npz["dy"])
    rows, cols = elevation.shape
    # Edges, not centres: the extent is a whole number of cells.
    if abs((east - west) - cols * dx) > 1e-6 or abs((north - south) - rows * dy) > 1e-6:
        raise RuntimeError("matplotlib's jacksboro_fault_dem.npz no longer has the expected grid")
    return elevation, west, north, dx, dy


def write_jacksboro_dem(out_path: str | os.PathLike[str]) -> Path:
    """Write the Jacksboro fault DEM as a geographic (EPSG:4326) float32 GeoTIFF.

    Parameters
    ----------
    out_path
        Output file; written atomically. Its folder must exist.

    Returns
    -------
    Path
        ``out_path``. The file holds heights in metres on a 3 arc-second lon/lat grid,
        tagged with its source; :func:`~safeconduct.adapters.gis.geotiff.read_dem`
        reprojects it to UTM zone 16N.
    """
    elevation, west, north, dx, dy = load_jacksboro()
    profile = {
        "driver": "GTiff",
        "height": elevation.shape[0],
        "width": elevation.shape[1],
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": from_origin(west, north, dx, dy),
        "nodata": -9999.0,
        "compress": "deflate",
        "predictor": 3,
    }
    with atomic_path(out_path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(elevation, 1)
        dst.update_tags(**JACKSBORO_TAGS)
        dst.set_band_description(1, "elevation (m)")
    return Path(out_path)
