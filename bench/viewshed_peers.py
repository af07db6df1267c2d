"""Run the peer viewshed tools (GDAL ``gdal_viewshed`` and GRASS ``r.viewshed``) on a GeoTIFF.

Each runner returns the boolean viewshed as a ``uint8`` array on the input grid (1 visible,
0 hidden or outside) and the wall-clock seconds of the viewshed computation itself.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio

#: Earth radius both peers use for a WGS84 location (semi-major axis, metres).
EARTH_RADIUS_M = 6_378_137.0


def have(tool: str) -> bool:
    """True if ``tool`` is on the PATH."""
    return shutil.which(tool) is not None


def gdal_viewshed(
    tif: Path,
    xy: tuple[float, float],
    *,
    observer_height: float,
    target_height: float,
    curvature_coeff: float,
    max_distance: float | None = None,
) -> tuple[np.ndarray, float]:
    """Run ``gdal_viewshed``; return ``(visible uint8, seconds)``.

    ``curvature_coeff`` is GDAL's ``-cc``: heights drop by ``cc * d^2 / (2 R)``, so
    ``1 - refraction`` matches GRASS's ``-c -r``; ``0`` switches curvature off.
    """
    with tempfile.TemporaryDirectory(prefix="vs_gdal_") as tmp:
        out = Path(tmp) / "vs.tif"
        cmd = [
            "gdal_viewshed", "-q",
            "-ox", repr(xy[0]), "-oy", repr(xy[1]),
            "-oz", repr(observer_height), "-tz", repr(target_height),
            "-cc", repr(curvature_coeff),
            "-vv", "1", "-iv", "0", "-ov", "0",
        ]  # fmt: skip
        if max_distance is not None:
            cmd += ["-md", repr(max_distance)]
        cmd += [str(tif), str(out)]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        seconds = time.perf_counter() - t0
        with rasterio.open(out) as src:
            return (src.read(1) == 1).astype(np.uint8), seconds


_GRASS_SCRIPT = """\
set -e
r.in.gdal -o input={tif} output=dem --quiet
g.region raster=dem
python3 - <<'EOF'
import subprocess, time
t0 = time.perf_counter()
subprocess.run({cmd!r}, check=True)
open({timing!r}, "w").write(repr(time.perf_counter() - t0))
EOF
r.out.gdal -c input=vs output={out} type=Byte --quiet --overwrite
"""


def r_viewshed(
    tif: Path,
    xy: tuple[float, float],
    *,
    observer_height: float,
    target_height: float,
    curvature: bool,
    refraction_coeff: float,
    max_distance: float | None = None,
    memory_mb: int = 4000,
    epsg: int = 32637,
) -> tuple[np.ndarray, float]:
    """Run GRASS ``r.viewshed -b`` in a throw-away location; return ``(uint8, seconds)``.

    ``epsg`` is the location's CRS, which must be the GeoTIFF's.

    Only ``r.viewshed`` itself is timed (not the import, region or export).
    """
    with tempfile.TemporaryDirectory(prefix="vs_grass_") as tmp:
        out = Path(tmp) / "vs.tif"
        timing = Path(tmp) / "seconds"
        cmd = [
            "r.viewshed", "-b", "--quiet", "input=dem", "output=vs",
            f"coordinates={xy[0]!r},{xy[1]!r}",
            f"observer_elevation={observer_height!r}",
            f"target_elevation={target_height!r}",
            f"memory={memory_mb}",
        ]  # fmt: skip
        if curvature:
            cmd += ["-c", "-r", f"refraction_coeff={refraction_coeff!r}"]
        if max_distance is not None:
            cmd.append(f"max_distance={max_distance!r}")
        script = Path(tmp) / "run.sh"
        script.write_text(
            _GRASS_SCRIPT.format(
                tif=shlex.quote(str(tif)), cmd=cmd, timing=str(timing), out=shlex.quote(str(out))
            )
        )
        subprocess.run(
            ["grass", "--tmp-location", f"EPSG:{epsg}", "--exec", "bash", str(script)],
            check=True,
            capture_output=True,
            cwd=tmp,
        )
        seconds = float(timing.read_text())
        with rasterio.open(out) as src:
            return (src.read(1) == 1).astype(np.uint8), seconds
