"""Benchmark the route search against GRASS GIS r.walk and scikit-image MCP_Geometric.

Usage::

    .venv/bin/python bench/bench_route.py              # 4000 x 4000, 5 m cells
    .venv/bin/python bench/bench_route.py --size 1000  # quick

On a seeded synthetic DEM (``route_dem.synthetic_dem``, written to a temporary GeoTIFF in
UTM 37N) it plans two routes, corner to corner and 2 km across the middle, and for each
prints the peer's time, ours, the ratio and whether the optimal costs agree:

1. ``r.walk`` (default coefficients, an all-zero friction map, a stop point) against our
   ``least_cost_path`` with :class:`RWalkModel`; costs must agree within 0.1 %.
2. ``MCP_Geometric`` (constructor plus ``find_costs`` with the end point) against our
   ``isotropic_cost_path`` on the same isotropic cost grid: Tobler's off-path flat walking
   time per metre times a smooth random friction field in [1, 3].

Our times include preparing the padded grids (everything after the arrays exist in
memory); r.walk's exclude GRASS start-up, import and export; MCP's include its
constructor. "first" is our first call in the process, which also pays the page faults of
fresh memory (about 0.2 s for 4000 x 4000); "best" is the best of ``--repeat`` calls.
Our peak memory is the peak resident set size of a fresh process that reads the DEM and
plans the corner-to-corner r.walk route. Timings are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from route_dem import synthetic_dem
from route_grass import grass_available, run_rwalk, write_tif
from safeconduct.routing.kernels import SearchGrids, isotropic_cost_path, least_cost_path
from safeconduct.routing.models import RWalkModel

CELL = 5.0
TOBLER_FLAT_OFFPATH_S_PER_M = 0.6 / 0.6 * math.exp(3.5 * 0.05)  # 1.19 s/m


def cases(size: int) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    """Start and stop cells: corner to corner, and 2 km (straight line) in the middle."""
    m = size // 2
    half = min(round(2000.0 / CELL / math.sqrt(2) / 2), m - 1)
    return {
        "corner to corner": ((0, 0), (size - 1, size - 1)),
        "2 km in the middle": ((m - half, m - half), (m + half, m + half)),
    }


def friction_field(size: int, seed: int) -> np.ndarray:
    """A smooth random field in [1, 3]."""
    f = synthetic_dem(size, seed=seed + 1000, cell=CELL)
    f = (f - f.min()) / max(float(np.ptp(f)), 1e-12)
    return 1.0 + 2.0 * f


def timed(n: int, fn):
    """Run ``fn`` n times; return (first time, best time, result)."""
    times, out = [], None
    for _ in range(max(n, 1)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times[0], min(times), out


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel the benchmark uses."""
    z = synthetic_dem(64, cell=CELL)
    least_cost_path(SearchGrids(z, (CELL, CELL)), (0, 0), [(60, 60)], RWalkModel())
    isotropic_cost_path(np.ones((64, 64)), (0, 0), [(60, 60)], (CELL, CELL))


def row(
    name: str, peer: str, t_peer: float | None, t_first: float, t_best: float, c_peer, c_ours, tol
) -> dict:
    match = None
    if c_peer is not None:
        match = abs(c_ours - c_peer) <= tol * abs(c_peer)
    return {
        "case": name,
        "peer": peer,
        "peer_s": t_peer,
        "ours_first_s": t_first,
        "ours_best_s": t_best,
        "ratio_first": t_peer / t_first if t_peer else None,
        "ratio_best": t_peer / t_best if t_peer else None,
        "peer_cost": c_peer,
        "our_cost": c_ours,
        "costs_match": match,
    }


def memory_probe(dem_tif: str, size: int) -> None:
    """Child process: read the DEM, plan the corner route, print peak RSS (MiB) as JSON."""
    import rasterio

    with rasterio.open(dem_tif) as src:
        z = src.read(1).astype(np.float64)
    grids = SearchGrids(z, (CELL, CELL))
    found = least_cost_path(grids, (0, 0), [(size - 1, size - 1)], RWalkModel())
    print(json.dumps({"peak_rss_mib": _peak_rss_mib(), "cost": found.cost}))


def _peak_rss_mib() -> float:
    # VmHWM is this process image's own peak; ru_maxrss would carry the parent's peak
    # across fork + exec on Linux.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4000, help="grid rows and columns")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--knight", action="store_true", help="16 neighbours (r.walk -k)")
    ap.add_argument("--repeat", type=int, default=2, help="best of n for our timings")
    ap.add_argument("--skip-grass", action="store_true")
    ap.add_argument("--skip-mcp", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--_memory-probe", nargs=2, metavar=("TIF", "SIZE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._memory_probe:
        memory_probe(args._memory_probe[0], int(args._memory_probe[1]))
        return 0

    size = args.size
    print(f"safeconduct route benchmark: {size} x {size} DEM, {CELL:g} m cells, seed {args.seed}")
    t0 = time.perf_counter()
    dem = synthetic_dem(size, seed=args.seed, cell=CELL)
    gy, gx = np.gradient(dem, CELL)
    slope = np.hypot(gx, gy)
    print(
        f"  DEM in {time.perf_counter() - t0:.1f} s: {dem.min():.0f}-{dem.max():.0f} m, "
        f"slope median {np.median(slope):.1%}, 99th percentile {np.percentile(slope, 99):.1%}"
    )
    del gx, gy, slope
    warm_up()
    grids = SearchGrids(dem, (CELL, CELL))
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sc-bench-") as tmp:
        dem_tif = Path(tmp) / "dem.tif"
        write_tif(dem_tif, dem, (CELL, CELL))

        if args.skip_grass or not grass_available():
            print("  r.walk: skipped" + ("" if args.skip_grass else " (grass not found)"))
        for name, (start, stop) in cases(size).items():
            t_first, t_best, found = timed(
                args.repeat,
                lambda s=start, e=stop: least_cost_path(
                    grids, s, [e], RWalkModel(), knight=args.knight
                ),
            )
            t_peer = c_peer = None
            if not args.skip_grass and grass_available():
                run = run_rwalk(dem_tif, (CELL, CELL), start, stop, knight=args.knight)
                t_peer, c_peer = run.seconds, run.stop_cost
            peer = "r.walk" + (" -k" if args.knight else "")
            results.append(row(name, peer, t_peer, t_first, t_best, c_peer, found.cost, 1e-3))
            results[-1]["expanded"] = found.expanded

        if not args.skip_mcp:
            from skimage.graph import MCP_Geometric

            costs = TOBLER_FLAT_OFFPATH_S_PER_M * friction_field(size, args.seed)
            for name, (start, stop) in cases(size).items():
                t_first, t_best, found = timed(
                    args.repeat,
                    lambda s=start, e=stop: isotropic_cost_path(
                        costs, s, [e], (CELL, CELL), knight=args.knight
                    ),
                )
                c_peer = t_peer = None
                if not args.knight:  # MCP has no knight's moves

                    def mcp(s=start, e=stop):
                        m = MCP_Geometric(costs, sampling=(CELL, CELL))
                        cum, _ = m.find_costs([s], [e])
                        return float(cum[e])

                t_peer, _, c_peer = timed(1, mcp)
                results.append(
                    row(name, "MCP_Geometric", t_peer, t_first, t_best, c_peer, found.cost, 1e-9)
                )
                results[-1]["expanded"] = found.expanded
            del costs

        probe = subprocess.run(
            [sys.executable, __file__, "--_memory-probe", str(dem_tif), str(size)],
            capture_output=True,
            text=True,
            check=True,
        )
        memory = json.loads(probe.stdout.strip().splitlines()[-1])

    print()
    print(
        f"  {'case':<19} {'peer':<14} {'peer s':>7} {'ours s':>13} {'ratio':>17}  "
        f"{'peer cost':>12} {'our cost':>12}  match  expanded"
    )
    print(f"  {'':<19} {'':<14} {'':>7} {'first / best':>13} {'first / best':>17}")
    for r in results:
        peer_s = f"{r['peer_s']:.3f}" if r["peer_s"] is not None else "-"
        ours = f"{r['ours_first_s']:.3f} / {r['ours_best_s']:.3f}"
        ratio = (
            f"{r['ratio_first']:.1f}x / {r['ratio_best']:.1f}x" if r["ratio_first"] else "-"
        )
        pc = f"{r['peer_cost']:.4f}" if r["peer_cost"] is not None else "-"
        match = {True: "yes", False: "NO", None: "-"}[r["costs_match"]]
        print(
            f"  {r['case']:<19} {r['peer']:<14} {peer_s:>7} {ours:>13} {ratio:>17}  "
            f"{pc:>12} {r['our_cost']:>12.4f}  {match:<5}  {r['expanded']:,}"
        )
    print(
        f"\n  our peak memory (fresh process: read DEM + corner-to-corner r.walk route): "
        f"{memory['peak_rss_mib']:.0f} MiB"
    )
    if args.json:
        args.json.write_text(json.dumps({"size": size, "results": results, **memory}, indent=2))
    ok = all(r["costs_match"] is not False for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
