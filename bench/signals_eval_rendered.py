"""Surrender-signal recall through the REAL pose model on RENDERED frames (not footage).

A flat-shaded cartoon figure (:func:`safeconduct.adapters.vision.synthetic_render.render`,
the skeleton of :mod:`safeconduct.signals.synthetic` painted with OpenCV) performs the
two-phase signal or a look-alike (jumping jacks, stretching) in front of a plain
background at 640 x 480; frames go through BlazePose (mediapipe 0.10.21, video mode) and
the whole pipeline. This measures whether the pose model finds and reads such a figure
at each camera elevation and size; it says nothing about real people, clothing, clutter,
lighting or motion blur. Few sequences per cell: read the counts, not just the ratios.

Run: ``.venv/bin/python bench/signals_eval_rendered.py [--per-cell N]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from safeconduct.adapters.vision.synthetic_render import render
from safeconduct.bootstrap import signals_ports
from safeconduct.services.signals import SignalPipeline
from safeconduct.signals import synthetic as syn
from safeconduct.signals.detector import AlertKind

# The script's own folder is on sys.path when it runs: share the motions with signals_eval.
from signals_eval import lookalike_motion, signal_motion

FPS = 10.0
LOOKALIKE_S = 20.0  # seconds of each look-alike per cell
ELEVATIONS = (0, 30, 60)
HEIGHTS_PX = (80, 160)


def run(
    motion: syn.Motion, seconds: float, cam: syn.Camera, tiles: int = 1
) -> tuple[list[AlertKind], float]:
    """Alert kinds raised, and the share of frames in which a person was found."""
    pipe = SignalPipeline(signals_ports(), tiles=tiles)
    kinds: list[AlertKind] = []
    seen = 0
    n = int(seconds * FPS)
    for i in range(n):
        t = i / FPS
        res = pipe.process(t, render(motion(t), cam))
        seen += bool(res.people)
        kinds += [a.kind for a in res.alerts]
    pipe.close()
    return kinds, seen / max(1, n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-cell", type=int, default=3, help="signal sequences per cell")
    ap.add_argument("--tiles", type=int, default=1, help="pose on n x n tiles too")
    ap.add_argument("--px", type=float, nargs="*", default=HEIGHTS_PX, help="person heights")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    t0 = time.perf_counter()
    print(f"RENDERED cartoon figure through BlazePose; not footage. 640x480, 10 fps, "
          f"tiles={args.tiles}.")  # fmt: skip
    print("elev  px | surrender found | person found (share of frames) | look-alike min, "
          "false SURRENDER")  # fmt: skip
    for e in ELEVATIONS:
        for px in args.px:
            hits, found = 0, []
            for _ in range(args.per_cell):
                motion, dur = signal_motion("surrender", rng)
                cam = syn.Camera(e, float(rng.uniform(-35, 35)), 30.0, px)
                kinds, share = run(motion, dur, cam, args.tiles)
                hits += AlertKind.SURRENDER_SIGNAL in kinds
                found.append(share)
            false, minutes = 0, 0.0
            for kind in ("jumping_jacks", "stretching"):
                motion = lookalike_motion(kind, rng, LOOKALIKE_S)
                cam = syn.Camera(e, float(rng.uniform(-35, 35)), 30.0, px)
                kinds, _ = run(motion, LOOKALIKE_S, cam, args.tiles)
                false += kinds.count(AlertKind.SURRENDER_SIGNAL)
                minutes += LOOKALIKE_S / 60
            print(f"{e:4.0f} {px:4.0f} |   {hits:2d}/{args.per_cell:<2d}          |   "
                  f"{np.mean(found):5.2f}{'':24s}|   {minutes:.1f}, {false}")  # fmt: skip
    print(f"ran {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
