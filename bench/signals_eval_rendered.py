"""Surrender-signal recall through the REAL pose models on RENDERED frames (not footage).

A flat-shaded cartoon figure (:func:`safeconduct.adapters.vision.synthetic_render.render`,
the skeleton of :mod:`safeconduct.signals.synthetic` painted with OpenCV) performs the
two-phase signal, holds up a white sign (prop ``"sign"``), or does a look-alike: jumping
jacks, stretching, waving, carrying a box overhead (prop ``"box"``) or walking to and fro
with a rifle slung (prop ``"rifle"``), in front of a plain background at 640 x 480, 10
frames per second. Frames go through the whole pipeline
(:class:`safeconduct.services.signals.SignalPipeline`: BlazePose Full or Heavy, the tile
sweep on or off, world-frame rules with the camera elevation given exactly, as from a
gimbal). The person stands at the image's centre, yaw uniform within +-60 degrees.

This measures whether the pose models find and read such a figure at each camera
elevation and size; it says nothing about real people, clothing, clutter, lighting or
motion blur. Few sequences per cell in ``--quick``: read the counts, not just the ratios.

Modes (both run 2 processes in parallel and print a line per sequence):

- ``--quick`` (what ``make bench`` runs, about 20-30 min on 2 cores): 2 surrender
  sequences per cell (elevation 0-75 step 15 x height 30, 60, 120, 240 px) for Full and
  Heavy with the sweep on; the sweep off only where it matters, to show the small-person
  gain (30 and 60 px at 0 and 30 degrees); the sign at 0, 30 and 60 degrees, 120 px, 2
  sequences; 20 s of each look-alike at 0, 30 and 60 degrees, 120 px. About 2,000 s of
  video, 20,000 frames.
- full (the default): 10 sequences per cell, the sweep off in every cell, the sign at
  every elevation for 60-240 px, 60 s of each look-alike at every elevation for 60-240 px.

Run: ``.venv/bin/python bench/signals_eval_rendered.py [--quick] [--workers N]``; the
results are written as JSON to ``bench/out/signals_eval_rendered.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

# The script's own folder is on sys.path when it runs: share the motions with signals_eval.
from signals_eval import OUT_DIR, lookalike_motion, signal_motion

FPS = 10.0
YAW_DEG = 60.0
DISTANCE_M = 30.0
ELEVATIONS = (0, 15, 30, 45, 60, 75)
HEIGHTS_PX = (30, 60, 120, 240)
MODELS = ("full", "heavy")
LOOKALIKES = ("jumping_jacks", "stretching", "waving", "carrying_overhead", "walking_rifle")
PROP = {"sign": "sign", "carrying_overhead": "box", "walking_rifle": "rifle"}
#: Walking pace for the rifle look-alike, metres per second, to and fro across the frame.
WALK_M_S = 1.4


@dataclass(frozen=True)
class Job:
    """One rendered sequence through one pipeline."""

    kind: str  # "surrender", "sign" or a look-alike
    model: str
    sweep: bool
    elevation: float
    px: float
    seed: int
    seconds: float = 0.0  # look-alikes: length; signals: set by the motion


@dataclass(frozen=True)
class Plan:
    """Which sequences to run."""

    n_signal: int
    sweep_off_cells: tuple[tuple[float, float], ...]  # (elevation, px)
    sign_cells: tuple[tuple[float, float], ...]
    n_sign: int
    lookalike_cells: tuple[tuple[float, float], ...]
    lookalike_s: float
    elevations: tuple[float, ...] = ELEVATIONS
    heights: tuple[float, ...] = HEIGHTS_PX


def quick_plan() -> Plan:
    """What ``--quick`` runs (the module docstring says why)."""
    return Plan(
        n_signal=2,
        sweep_off_cells=tuple((e, p) for e in (0, 30) for p in (30, 60)),
        sign_cells=tuple((e, 120) for e in (0, 30, 60)),
        n_sign=2,
        lookalike_cells=tuple((e, 120) for e in (0, 30, 60)),
        lookalike_s=20.0,
    )


def full_plan() -> Plan:
    """The full evaluation."""
    return Plan(
        n_signal=10,
        sweep_off_cells=tuple((e, p) for e in ELEVATIONS for p in HEIGHTS_PX),
        sign_cells=tuple((e, p) for e in ELEVATIONS for p in (60, 120, 240)),
        n_sign=5,
        lookalike_cells=tuple((e, p) for e in ELEVATIONS for p in (60, 120, 240)),
        lookalike_s=60.0,
    )


def jobs(plan: Plan, models: tuple[str, ...], seed_offset: int = 0) -> list[Job]:
    """Every sequence of ``plan``; the same seeds for each model and sweep (paired runs).

    ``seed_offset`` (1,000,000 or more) gives further, different sequences of the same cells.
    """
    out: list[Job] = []
    for m in models:
        for i, e in enumerate(plan.elevations):
            for j, p in enumerate(plan.heights):
                for k in range(plan.n_signal):
                    seed = seed_offset + 10_000 * i + 100 * j + k
                    out.append(Job("surrender", m, True, e, p, seed))
                    if (e, p) in plan.sweep_off_cells:
                        out.append(Job("surrender", m, False, e, p, seed))
        for e, p in plan.sign_cells:
            for k in range(plan.n_sign):
                seed = seed_offset + 500_000 + 1000 * int(e) + 10 * k + int(p)
                out.append(Job("sign", m, True, e, p, seed))
        for e, p in plan.lookalike_cells:
            for n, kind in enumerate(LOOKALIKES):
                seed = seed_offset + 900_000 + 1000 * int(e) + 10 * n + int(p)
                out.append(Job(kind, m, True, e, p, seed, plan.lookalike_s))
    # Longest first (Heavy, look-alikes) so that 2 processes finish together.
    cost = {"full": 1.0, "heavy": 2.2}
    out.sort(key=lambda j: -(cost.get(j.model, 1.0) * (j.seconds or 11.0)))
    return out


def _walk_offset(t: float, px: float, width: int) -> int:
    """Horizontal offset (pixels) of a person walking to and fro across the frame."""
    speed = WALK_M_S * px / 1.75
    span = 0.3 * width
    phase = (speed * t) % (4 * span)
    if phase < span:
        return int(phase)
    return int(2 * span - phase) if phase < 3 * span else int(phase - 4 * span)


def _shifted(img: np.ndarray, dx: int, background: tuple[int, int, int]) -> np.ndarray:
    out = np.empty_like(img)
    out[:] = background
    if dx >= 0:
        out[:, dx:] = img[:, : img.shape[1] - dx]
    else:
        out[:, :dx] = img[:, -dx:]
    return out


def run_job(job: Job) -> dict[str, Any]:
    """Render one sequence and run it through the pipeline; what it raised and found."""
    from safeconduct.adapters.vision.synthetic_render import render
    from safeconduct.bootstrap import signals_ports
    from safeconduct.services.signals import SignalPipeline, fixed_view
    from safeconduct.signals import synthetic as syn

    t0 = time.perf_counter()
    rng = np.random.default_rng(job.seed)
    if job.kind in ("surrender", "sign"):
        motion, seconds = signal_motion(job.kind, rng)
    else:
        seconds = job.seconds
        motion = lookalike_motion(job.kind, rng, seconds)
    cam = syn.Camera(job.elevation, float(rng.uniform(-YAW_DEG, YAW_DEG)), DISTANCE_M, job.px)
    background = (80, 120, 100)
    pipe = SignalPipeline(
        signals_ports(),
        sweep=job.sweep,
        model=job.model,
        view=fixed_view(float(job.elevation)),
    )
    kinds: list[str] = []
    seen = 0
    geometry: dict[str, int] = defaultdict(int)
    n = int(seconds * FPS)
    try:
        for i in range(n):
            t = i / FPS
            img = render(motion(t), cam, background, prop=PROP.get(job.kind))
            if job.kind == "walking_rifle":
                img = _shifted(img, _walk_offset(t, job.px, cam.width), background)
            res = pipe.process(t, img)
            seen += bool(res.people)
            for p in res.people:
                geometry[getattr(p.state, "geometry", "image")] += 1
            kinds += [a.kind.value for a in res.alerts]
        model_ran = getattr(pipe, "model", job.model)
    finally:
        pipe.close()
    return {
        **asdict(job),
        "seconds": round(seconds, 2),
        "model_ran": str(model_ran),
        "alerts": kinds,
        "found_share": round(seen / max(1, n), 3),
        "geometry": dict(geometry),
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def run(
    plan: Plan, models: tuple[str, ...] = MODELS, workers: int = 2, seed_offset: int = 0
) -> dict[str, Any]:
    """Run every sequence of ``plan`` over ``workers`` processes; JSON-ready results."""
    todo = jobs(plan, models, seed_offset)
    t0 = time.perf_counter()
    results = []
    with ProcessPoolExecutor(workers) as ex:
        futures = [ex.submit(run_job, j) for j in todo]
        for n, fut in enumerate(as_completed(futures), 1):
            r = fut.result()
            results.append(r)
            target = {"surrender": "SURRENDER_SIGNAL", "sign": "POSSIBLE_SIGN"}.get(r["kind"])
            what = (
                ("hit" if target in r["alerts"] else "miss")
                if target
                else f"{r['alerts'].count('SURRENDER_SIGNAL')} false surrender"
            )
            print(f"  [rendered {n}/{len(todo)} {time.perf_counter() - t0:5.0f} s] {r['model']:5s} "
                  f"sweep {'on ' if r['sweep'] else 'off'} {r['elevation']:3.0f} deg "
                  f"{r['px']:4.0f} px {r['kind']}: {what}, person in {r['found_share']:.2f} "
                  f"of frames ({r['wall_s']:.0f} s)", flush=True)  # fmt: skip
    return {
        "kind": "rendered cartoon figure through BlazePose; not footage",
        "fps": FPS,
        "yaw_deg": YAW_DEG,
        "image": "640x480",
        "elevation": "given exactly (as from a gimbal)",
        "plan": asdict(plan),
        "models": list(models),
        "seconds": round(time.perf_counter() - t0, 1),
        "results": results,
    }


def recall_table(results: list[dict[str, Any]], kind: str = "surrender") -> dict[tuple, list[int]]:
    """``{(model, sweep, elevation, px): [hits, n, found_share_sum]}`` for a signal kind."""
    target = {"surrender": "SURRENDER_SIGNAL", "sign": "POSSIBLE_SIGN"}[kind]
    out: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for r in results:
        if r["kind"] != kind:
            continue
        cell = out[(r["model"], r["sweep"], r["elevation"], r["px"])]
        cell[0] += target in r["alerts"]
        cell[1] += 1
        cell[2] += r["found_share"]
    return out  # type: ignore[return-value]


def false_rates(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per model: look-alike minutes, false SURRENDER alerts and any alerts, and by kind."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in results:
        if r["kind"] in ("surrender", "sign"):
            continue
        m = out[r["model"]]
        m["minutes"] += r["seconds"] / 60
        m["surrender"] += r["alerts"].count("SURRENDER_SIGNAL")
        m["any"] += len(r["alerts"])
        for a in r["alerts"]:
            m[f"{r['kind']}:{a}"] += 1
    return out


def report(data: dict[str, Any]) -> None:
    """Print the tables of :func:`run`'s results."""
    results = data["results"]
    plan = data["plan"]
    print(f"RENDERED cartoon figure through BlazePose; not footage. {data['image']}, "
          f"{data['fps']:.0f} fps, yaw +-{data['yaw_deg']:.0f} deg, camera elevation "
          f"{data['elevation']}; ran {data['seconds']:.0f} s on 2 processes.")  # fmt: skip
    for kind in ("surrender", "sign"):
        tab = recall_table(results, kind)
        if not tab:
            continue
        for m in data["models"]:
            for sweep in (True, False):
                cells = {k[2:]: v for k, v in tab.items() if k[0] == m and k[1] == sweep}
                if not cells:
                    continue
                heights = sorted({p for _, p in cells})
                print(f"\n{kind} recall, {m}, sweep {'on' if sweep else 'off'} "
                      f"(hits/sequences; share of frames with the person found)")  # fmt: skip
                print("elev | " + " | ".join(f"{p:>12.0f} px" for p in heights))
                for e in sorted({e for e, _ in cells}):
                    row = []
                    for p in heights:
                        c = cells.get((e, p))
                        row.append(f"{c[0]:2d}/{c[1]:<2d} ({c[2] / c[1]:.2f})  " if c else " " * 15)
                    print(f"{e:4.0f} | " + " | ".join(row))
    fr = false_rates(results)
    if fr:
        cells = ", ".join(f"{e:.0f} deg/{p:.0f} px" for e, p in plan["lookalike_cells"])
        print(f"\nlook-alikes ({', '.join(LOOKALIKES)}; {plan['lookalike_s']:.0f} s each at "
              f"{cells}):")  # fmt: skip
        for m, v in fr.items():
            print(f"  {m}: {v['minutes']:.1f} min, false SURRENDER {v['surrender']:.0f} "
                  f"({v['surrender'] / v['minutes']:.3f}/min), any alert {v['any']:.0f} "
                  f"({v['any'] / v['minutes']:.3f}/min)")  # fmt: skip
            for k in sorted(k for k in v if ":" in k):
                print(f"    {k:40s} {v[k]:4.0f}")
    print("Caveat: 0 false alerts in T minutes bounds the rate only to about 3/T per minute "
          "(95%).")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="what make bench runs (see above)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--models", nargs="*", default=MODELS, choices=MODELS)
    ap.add_argument("--elevations", type=float, nargs="*", help="override the plan's")
    ap.add_argument("--heights", type=float, nargs="*", help="override the plan's")
    ap.add_argument("--per-cell", type=int, help="surrender sequences per cell")
    ap.add_argument("--lookalike-s", type=float, help="seconds of each look-alike")
    ap.add_argument("--surrender-only", action="store_true", help="no sign, no look-alikes")
    ap.add_argument("--seed-offset", type=int, default=0, help="further, different sequences")
    ap.add_argument("--out", type=Path, default=OUT_DIR / "signals_eval_rendered.json")
    args, _ = ap.parse_known_args()
    data = run(plan_from(args), tuple(args.models), args.workers, args.seed_offset)
    report(data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {args.out}")


def plan_from(args: argparse.Namespace) -> Plan:
    """The plan of ``--quick`` or full mode with the command line's overrides."""
    plan = quick_plan() if args.quick else full_plan()
    over: dict[str, Any] = {}
    if args.elevations:
        over["elevations"] = tuple(args.elevations)
    if args.heights:
        over["heights"] = tuple(args.heights)
    if args.per_cell is not None:
        over["n_signal"] = args.per_cell
        over["n_sign"] = args.per_cell
    if args.lookalike_s is not None:
        over["lookalike_s"] = args.lookalike_s
    if args.surrender_only:
        over.update(sweep_off_cells=(), sign_cells=(), lookalike_cells=())
    if over:
        plan = Plan(**{**asdict(plan), **over})
    keep = set(plan.elevations)
    return Plan(**{**asdict(plan), **{
        k: tuple(c for c in getattr(plan, k) if c[0] in keep)
        for k in ("sweep_off_cells", "sign_cells", "lookalike_cells")
    }})  # fmt: skip


if __name__ == "__main__":
    main()
