"""Benchmark safeconduct's viewshed against GDAL ``gdal_viewshed`` and GRASS ``r.viewshed``.

Standalone, not part of the test suite::

    .venv/bin/python bench/bench_viewshed.py            # 4000 x 4000, about a minute
    .venv/bin/python bench/bench_viewshed.py --size 1000

A seeded synthetic DEM (5 m cells, EPSG:32637) is written as an uncompressed GeoTIFF; the
observer stands on the highest ground near the centre. Every tool gets the same heights and
curvature (r.viewshed ``-c -r`` with refraction 0.14; gdal_viewshed ``-cc 0.86``, the same drop
``0.86 d^2 / 2R``). Times are wall-clock seconds of the computation: gdal_viewshed's whole run,
file reading and writing included (best of three); r.viewshed's own run, without the GRASS
import and export; safeconduct's :func:`viewshed` call on the in-memory DEM (best of three,
after a warm-up that loads the compiled kernels). r.viewshed is the reference for the agreement
figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from safeconduct.terrain.dem import Dem
from safeconduct.terrain.visibility import (
    VISIBLE,
    ObserverSpec,
    _compute,
    exposure,
    viewshed,
)
from viewshed_dem import observer_on_high_ground, synthetic_dem
from viewshed_peers import gdal_viewshed, have, r_viewshed

REFRACTION = 0.14


def write_plain_tiff(path: Path, dem: Dem) -> None:
    """Float32 GeoTIFF without compression, so that peers' times are not decompression."""
    profile = {
        "driver": "GTiff",
        "height": dem.shape[0],
        "width": dem.shape[1],
        "count": 1,
        "dtype": "float32",
        "crs": dem.crs.to_wkt(),
        "transform": dem.transform,
        "tiled": True,
        "nodata": -9999.0,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.where(np.isfinite(dem.elevation), dem.elevation, -9999.0).astype("f4"), 1)


def agreement(ours: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> tuple[float, int, int]:
    """(% cells equal, cells ref sees that ours hides, cells ours sees that ref hides) over
    ``mask``."""
    o = (ours == VISIBLE)[mask]
    r = (ref == VISIBLE)[mask]
    return 100.0 * float((o == r).mean()), int((r & ~o).sum()), int((o & ~r).sum())


def best_of(fn, repeat: int = 3) -> tuple[object, float]:
    best = np.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=4000, help="rows = cols (default 4000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--observer-height", type=float, default=1.75)
    ap.add_argument("--target-height", type=float, default=1.7)
    ap.add_argument("--no-grass", action="store_true", help="skip r.viewshed (slow)")
    ap.add_argument(
        "--reference",
        action="store_true",
        help="also run the brute-force evaluation of the same model (O(n^1.5); <= 2000 cells)",
    )
    args = ap.parse_args(argv)

    dem = synthetic_dem(args.size, seed=args.seed)
    xy = observer_on_high_ground(dem)
    oh, th = args.observer_height, args.target_height
    print(
        f"DEM {args.size} x {args.size}, 5 m cells, seed {args.seed}; observer at "
        f"({xy[0]:.1f}, {xy[1]:.1f}), eye {oh} m, target {th} m, curvature with refraction "
        f"{REFRACTION}; threads {os.cpu_count()}"
    )
    mask = np.isfinite(dem.elevation)

    # Warm-up: load (or compile) the kernels outside the timings.
    viewshed(synthetic_dem(64, seed=1), observer_on_high_ground(synthetic_dem(64, seed=1)))
    ours, t_ours = best_of(lambda: viewshed(dem, xy, observer_height=oh, target_height=th))
    print(f"safeconduct viewshed: {t_ours:.3f} s, {100 * (ours == VISIBLE).mean():.2f}% visible")

    with tempfile.TemporaryDirectory(prefix="vs_bench_") as tmp:
        tif = Path(tmp) / "dem.tif"
        write_plain_tiff(tif, dem)
        rows = []
        gdal = None
        if have("gdal_viewshed"):
            runs = [
                gdal_viewshed(
                    tif, xy, observer_height=oh, target_height=th, curvature_coeff=1 - REFRACTION
                )
                for _ in range(3)
            ]
            gdal, t_gdal = runs[0][0], min(t for _, t in runs)
            rows.append(("gdal_viewshed", t_gdal))
        else:
            print("gdal_viewshed not found: skipped")
        grass = None
        if not args.no_grass and have("grass"):
            grass, t_grass = r_viewshed(
                tif,
                xy,
                observer_height=oh,
                target_height=th,
                curvature=True,
                refraction_coeff=REFRACTION,
            )
            rows.append(("r.viewshed", t_grass))
        elif not args.no_grass:
            print("grass not found: r.viewshed skipped")

    print()
    print(f"{'peer':<15}{'peer s':>9}{'ours s':>9}{'ours/peer':>11}")
    for name, t_peer in rows:
        print(f"{name:<15}{t_peer:>9.3f}{t_ours:>9.3f}{t_ours / t_peer:>11.2f}")

    if grass is not None:
        print()
        print("agreement with r.viewshed (the reference), over all data cells:")
        nvis = max(int((grass == 1)[mask].sum()), 1)
        head = ("equal %", "vis->hid", "% of vis", "hid->vis", "% of vis")
        print(f"{'':<15}{head[0]:>9}" + "".join(f"{h:>10}" for h in head[1:]))
        for name, arr in (("safeconduct", ours), ("gdal_viewshed", gdal)):
            if arr is not None:
                eq, miss, extra = agreement(arr, grass, mask)
                print(
                    f"{name:<15}{eq:>9.3f}{miss:>10d}{100 * miss / nvis:>10.3f}"
                    f"{extra:>10d}{100 * extra / nvis:>10.3f}"
                )
        print(f"r.viewshed sees {100 * (grass == 1)[mask].mean():.2f}% of the cells")

    if args.reference and args.size <= 2000:
        r, c = dem.xy_to_rowcol(*xy)
        t0 = time.perf_counter()
        ref = _compute(
            dem.elevation, dem.cell_size, (r, c), oh, th, None, True, REFRACTION, reference=True
        )
        print()
        print(
            f"brute-force evaluation of the same model ({time.perf_counter() - t0:.1f} s): "
            f"{int((ref != ours).sum())} cells differ from the sweep"
        )

    # Exposure: ten observation posts with 3 km ranges, eyes 1.75-6 m, weights 0.5-2.
    rng = np.random.default_rng(args.seed)
    rows_, cols_ = dem.shape
    posts = []
    for _ in range(10):
        rr, cc = rng.integers(0, rows_), rng.integers(0, cols_)
        x, y = dem.rowcol_to_xy(rr, cc)
        eye, weight = float(rng.uniform(1.75, 6.0)), float(rng.uniform(0.5, 2.0))
        posts.append(ObserverSpec(float(x), float(y), eye, 3000.0, weight))
    expo, t_expo = best_of(lambda: exposure(dem, posts, target_height=th), repeat=2)
    print()
    print(
        f"exposure, 10 observers, 3 km range: {t_expo:.3f} s; "
        f"{100 * (expo > 0).mean():.1f}% of cells exposed to at least one"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
