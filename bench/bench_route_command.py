"""Benchmark the whole ``safeconduct route`` command against GRASS GIS ``r.walk`` alone.

Usage::

    .venv/bin/python bench/bench_route_command.py              # 3000 x 3000, 5 m cells
    .venv/bin/python bench/bench_route_command.py --size 1000  # quick
    .venv/bin/python bench/bench_route_command.py --profile    # and where our time goes

What a new user sees: a seeded synthetic DEM (``route_dem.synthetic_dem``) written as a
GeoTIFF in UTM 37N, a reception point at the centre of the far corner cell, and

    safeconduct route --dem dem.tif --start LAT,LON --reception reception.geojson \\
        --out route.geojson --model rwalk

from the centre of the first corner cell, run as a fresh process: interpreter start,
imports, reading the DEM and the layers, the search, the simplification, the summary and
writing the route. One untimed run first fills numba's on-disk cache, as any first run
does; then the best of ``--repeat`` fresh runs counts.

The peer is GRASS ``r.walk`` (default coefficients, a zero friction map, the same start
and stop) on the same GeoTIFF, timed alone: without GRASS start-up, import or export
(see ``route_grass.run_rwalk``). Target: the whole command at least 3x faster. The two
optimal costs must agree within 0.1 %.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pyproj import Transformer

from route_dem import synthetic_dem
from route_grass import CRS, cell_centre, grass_available, run_rwalk, write_tif

CELL = 5.0
#: The whole command must be at least this many times faster than r.walk alone (issue 10).
TARGET_RATIO = 3.0


def write_area(folder: Path, size: int, seed: int) -> tuple[Path, Path, str]:
    """Write the DEM and the reception point; return ``(dem, reception, start "LAT,LON")``."""
    dem_tif = folder / "dem.tif"
    write_tif(dem_tif, synthetic_dem(size, seed=seed, cell=CELL), (CELL, CELL))
    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon0, lat0 = to_lonlat.transform(*cell_centre((0, 0), (CELL, CELL)))
    lon1, lat1 = to_lonlat.transform(*cell_centre((size - 1, size - 1), (CELL, CELL)))
    reception = folder / "reception.geojson"
    reception.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "far corner"},
                        "geometry": {"type": "Point", "coordinates": [lon1, lat1]},
                    }
                ],
            }
        )
    )
    return dem_tif, reception, f"{lat0:.9f},{lon0:.9f}"


def command(dem: Path, reception: Path, start: str, out: Path) -> list[str]:
    """The command line a user types (the console script beside this interpreter)."""
    script = Path(sys.executable).with_name("safeconduct")
    exe = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from safeconduct.entrypoints.cli.app import main; main()"]
    )
    return [
        *exe, "route", "--dem", str(dem), "--start", start, "--reception", str(reception),
        "--out", str(out), "--model", "rwalk",
    ]  # fmt: skip


def user_env() -> dict[str, str]:
    """This environment as a user's shell has it: Python caches bytecode.

    ``PYTHONDONTWRITEBYTECODE`` (set on some CI and sandbox machines) would make every run
    compile safeconduct's sources again, which no installed copy does.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_timed(cmd: list[str]) -> float:
    """Wall time of one fresh run of ``cmd``, seconds; raises if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=user_env())
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return elapsed


def route_cost(path: Path) -> float:
    """The optimal cost recorded in a route GeoJSON."""
    features = json.loads(path.read_text())["features"]
    line = next(f for f in features if f["properties"].get("role") == "route")
    return float(line["properties"]["cost"])


def profile(cmd: list[str], top: int) -> None:
    """Run ``cmd`` once more under cProfile in a fresh process and print the top entries."""
    with tempfile.NamedTemporaryFile(suffix=".prof") as tmp:
        subprocess.run(
            [sys.executable, "-m", "cProfile", "-o", tmp.name, *cmd],
            capture_output=True,
            check=True,
            env=user_env(),
        )
        import pstats

        print(f"\n  cProfile of one run (cumulative, top {top}):")
        pstats.Stats(tmp.name, stream=sys.stdout).sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=3000, help="grid rows and columns")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="best of n fresh runs of ours")
    ap.add_argument("--skip-grass", action="store_true")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of a run")
    # run_all.py passes its arguments to every benchmark; ignore the ones that are not ours.
    args, _ = ap.parse_known_args(argv)

    size = args.size
    print(
        f"safeconduct route, the whole command against r.walk: {size} x {size} DEM, "
        f"{CELL:g} m cells, seed {args.seed}, corner to corner, r.walk model"
    )
    with tempfile.TemporaryDirectory(prefix="sc-bench-cmd-") as tmp:
        folder = Path(tmp)
        dem_tif, reception, start = write_area(folder, size, args.seed)
        out = folder / "route.geojson"
        cmd = command(dem_tif, reception, start, out)
        first = run_timed(cmd)  # fills numba's cache if it is cold, like a first run
        times = [run_timed(cmd) for _ in range(max(args.repeat, 1))]
        ours = min(times)
        our_cost = route_cost(out)

        peer = peer_cost = None
        if args.skip_grass or not grass_available():
            print("  r.walk: skipped" + ("" if args.skip_grass else " (grass not found)"))
        else:
            run = run_rwalk(dem_tif, (CELL, CELL), (0, 0), (size - 1, size - 1))
            peer, peer_cost = run.seconds, run.stop_cost

        print()
        print(f"  first run (numba cache as found): {first:.2f} s")
        print(f"  runs: {', '.join(f'{t:.2f}' for t in times)} s")
        print()
        print(f"  {'peer':<8} {'peer s':>7} {'ours s':>7} {'ratio':>7} {'target':>7}  met  "
              f"{'peer cost':>11} {'our cost':>11}  match")  # fmt: skip
        ok = True
        if peer is not None:
            ratio = peer / ours
            met = ratio >= TARGET_RATIO
            match = peer_cost is not None and abs(our_cost - peer_cost) <= 1e-3 * abs(peer_cost)
            ok = met and match
            pc = f"{peer_cost:.4f}" if peer_cost is not None else "-"
            print(
                f"  {'r.walk':<8} {peer:>7.2f} {ours:>7.2f} {ratio:>6.1f}x {TARGET_RATIO:>6.1f}x"
                f"  {'yes' if met else 'NO ':<3}  {pc:>11} {our_cost:>11.4f}  "
                f"{'yes' if match else 'NO'}"
            )
        else:
            print(f"  {'-':<8} {'-':>7} {ours:>7.2f} {'-':>7} {TARGET_RATIO:>6.1f}x  -    "
                  f"{'-':>11} {our_cost:>11.4f}  -")  # fmt: skip
        if args.profile:
            profile(cmd, 40)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
