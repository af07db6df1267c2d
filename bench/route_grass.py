"""Run GRASS GIS ``r.walk`` on a NumPy DEM, for the routing benchmark and oracle tests.

GRASS runs in a throw-away location (``grass --tmp-location EPSG:32637 --exec``). The DEM
(and friction, if any) is written to GeoTIFF, imported with ``r.in.gdal``, and ``r.walk``
runs on a region equal to the raster. Only ``r.walk`` itself is timed, by ``date`` calls
around it inside the session, so start-up, import and export are excluded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

#: Where the synthetic grids sit: a UTM 37N origin (eastern Ukraine), metres.
ORIGIN = (400_000.0, 5_400_000.0)
CRS = "EPSG:32637"


def grass_available() -> bool:
    """True if the ``grass`` command is on the PATH."""
    return shutil.which("grass") is not None


@dataclass(frozen=True)
class RWalkRun:
    """One ``r.walk`` run.

    Attributes
    ----------
    seconds
        Wall time of the ``r.walk`` command alone.
    stop_cost
        Accumulated cost at the stop cell (``None`` without a stop point or if null).
    raster
        The whole accumulated-cost raster ([row, col], NaN = null), if asked for.
    """

    seconds: float
    stop_cost: float | None
    raster: np.ndarray | None


def cell_centre(cell: tuple[int, int], cell_size: tuple[float, float]) -> tuple[float, float]:
    """Map ``(east, north)`` of the centre of ``[row, col]`` on the benchmark grid."""
    dx, dy = cell_size
    return ORIGIN[0] + (cell[1] + 0.5) * dx, ORIGIN[1] - (cell[0] + 0.5) * dy


def write_tif(path: Path, array: np.ndarray, cell_size: tuple[float, float]) -> None:
    """Write a float64 single-band GeoTIFF on the benchmark grid."""
    dx, dy = cell_size
    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": "float64",
        "crs": CRS,
        "transform": Affine(dx, 0.0, ORIGIN[0], 0.0, -dy, ORIGIN[1]),
        "nodata": np.nan,
        "tiled": True,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.asarray(array, dtype=np.float64), 1)


def run_rwalk(
    elevation: np.ndarray | Path,
    cell_size: tuple[float, float],
    start: tuple[int, int],
    stop: tuple[int, int] | None = None,
    *,
    knight: bool = False,
    friction: np.ndarray | None = None,
    walk_coeff: tuple[float, float, float, float] = (0.72, 6.0, 1.9998, -1.9998),
    slope_factor: float = -0.2125,
    lambda_: float = 1.0,
    full_raster: bool = False,
    memory_mb: int = 4000,
    timeout: float = 600.0,
) -> RWalkRun:
    """Run ``r.walk`` from ``start`` (optionally stopping at ``stop``).

    Parameters
    ----------
    elevation
        float64 heights ``[row, col]`` (NaN = null), or a GeoTIFF already written with
        :func:`write_tif`.
    cell_size
        ``(dx, dy)`` metres.
    start, stop
        ``[row, col]`` cells; passed to r.walk as their centres' coordinates.
    knight
        ``-k``: 16 neighbours.
    friction
        Friction grid; all zeros if omitted (then ``lambda_`` does not matter).
    full_raster
        Also export and return the whole accumulated-cost raster.
    memory_mb
        r.walk's ``memory``: enough to keep everything in RAM, for a fair timing.
    """
    with tempfile.TemporaryDirectory(prefix="sc-rwalk-") as tmp:
        tmpdir = Path(tmp)
        if isinstance(elevation, Path):
            dem_tif = elevation
        else:
            dem_tif = tmpdir / "dem.tif"
            write_tif(dem_tif, elevation, cell_size)
        lines = [
            "set -e",
            f"r.in.gdal -o input={dem_tif} output=dem --quiet",
            "g.region raster=dem",
        ]
        if friction is not None:
            write_tif(tmpdir / "fric.tif", friction, cell_size)
            lines.append(f"r.in.gdal -o input={tmpdir / 'fric.tif'} output=fric --quiet")
        else:
            lines.append('r.mapcalc "fric = 0.0" --quiet')
        sx, sy = cell_centre(start, cell_size)
        args = [
            "r.walk",
            *(["-k"] if knight else []),
            "elevation=dem",
            "friction=fric",
            "output=cost",
            f"start_coordinates={sx!r},{sy!r}",
            f"walk_coeff={','.join(repr(float(v)) for v in walk_coeff)}",
            f"slope_factor={float(slope_factor)!r}",
            f"lambda={float(lambda_)!r}",
            f"memory={int(memory_mb)}",
            "--quiet",
        ]
        if stop is not None:
            ex, ey = cell_centre(stop, cell_size)
            args.append(f"stop_coordinates={ex!r},{ey!r}")
        lines += [
            'echo "T0 $(date +%s.%N)"',
            " ".join(args),
            'echo "T1 $(date +%s.%N)"',
        ]
        if stop is not None:
            lines.append(f"r.what map=cost coordinates={ex!r},{ey!r}")
        out_tif = tmpdir / "cost.tif"
        if full_raster:
            lines.append(
                f"r.out.gdal -c -f input=cost output={out_tif} type=Float64 "
                "nodata=-1 --quiet"
            )
        script = tmpdir / "run.sh"
        script.write_text("\n".join(lines) + "\n")
        proc = subprocess.run(
            ["grass", "--tmp-location", CRS, "--exec", "bash", str(script)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tmpdir,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"GRASS failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        t0 = float(re.search(r"^T0 (\S+)", proc.stdout, re.M).group(1))  # type: ignore[union-attr]
        t1 = float(re.search(r"^T1 (\S+)", proc.stdout, re.M).group(1))  # type: ignore[union-attr]
        stop_cost = None
        if stop is not None:
            m = re.search(r"^[^|\n]*\|[^|\n]*\|[^|\n]*\|(\S+)$", proc.stdout, re.M)
            if m and m.group(1) != "*":
                stop_cost = float(m.group(1))
        raster = None
        if full_raster:
            with rasterio.open(out_tif) as src:
                raster = src.read(1).astype(np.float64)
            raster[raster == -1] = np.nan
        return RWalkRun(t1 - t0, stop_cost, raster)
