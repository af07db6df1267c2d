"""Benchmark how fast commands start: the best of N fresh processes, against 0.3 s.

Usage::

    .venv/bin/python bench/bench_startup.py            # best of 7
    .venv/bin/python bench/bench_startup.py --repeat 3

A person types ``safeconduct --help`` or ``safeconduct point ...`` and waits for the whole
process: interpreter start, imports, the work, exit. Each case runs ``--repeat`` times as a
fresh process (after one untimed run that warms the OS file cache) and the best wall time
counts. The peer is the bare interpreter (``python -c pass``) measured in the same run:
the floor no command can go below, so "ours - peer" is what safeconduct itself costs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

#: Target wall time for a light command, seconds (issue 10).
TARGET_S = 0.3


def _safeconduct() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m``-like."""
    script = Path(sys.executable).with_name("safeconduct")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from safeconduct.entrypoints.cli.app import main; main()"]


def cases() -> dict[str, list[str]]:
    """Name -> command line."""
    sc = _safeconduct()
    return {
        "safeconduct --help": [*sc, "--help"],
        "safeconduct point 48.61,38.02": [*sc, "point", "48.61,38.02"],
        "import safeconduct.entrypoints.cli.app": [
            sys.executable,
            "-c",
            "import safeconduct.entrypoints.cli.app",
        ],
    }


def user_env() -> dict[str, str]:
    """This environment as a user's shell has it: Python caches bytecode.

    ``PYTHONDONTWRITEBYTECODE`` (set on some CI and sandbox machines) would make every run
    compile safeconduct's sources again, which no installed copy does.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def best_of(cmd: list[str], repeat: int) -> float:
    """Best wall time of ``repeat`` fresh runs of ``cmd`` (after one warm-up run), seconds."""
    best = float("inf")
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=user_env())
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.decode()[-2000:]}"
            )
        if i:  # the first run only warms the file cache and writes .pyc files
            best = min(best, elapsed)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="best of n fresh processes")
    # run_all.py passes its arguments to every benchmark; ignore the ones that are not ours.
    args, _ = ap.parse_known_args(argv)

    peer = best_of([sys.executable, "-c", "pass"], args.repeat)
    print(
        f"safeconduct start-up: best of {args.repeat} fresh processes; target {TARGET_S:g} s; "
        f"peer: the bare interpreter (python -c pass) {peer:.3f} s"
    )
    print()
    print(f"  {'command':<40} {'ours s':>7} {'minus peer':>11} {'target':>7}  met")
    ok = True
    for name, cmd in cases().items():
        t = best_of(cmd, args.repeat)
        met = t <= TARGET_S
        ok &= met
        print(
            f"  {name:<40} {t:>7.3f} {t - peer:>11.3f} {TARGET_S:>7.2f}  {'yes' if met else 'NO'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
