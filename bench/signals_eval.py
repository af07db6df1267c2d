"""Evaluation of surrender-signal recognition on SYNTHETIC keypoints (not footage).

What is measured: the gesture classifier and the detector state machines (everything
after the pose model), fed with BlazePose-indexed keypoints of a 3-D stick skeleton
projected through a pinhole camera at camera elevations of 0-75 degrees, random yaw of
the person (-60..60 degrees), distance 10-80 m, Gaussian keypoint noise, dropped
landmarks, short whole-person dropouts and varied tempo. Signals: the two-phase
surrender signal, hands up, kneeling with hands up, and a sign held up in both hands
(``POSSIBLE_SIGN``; the image test for the sign is not modelled: it is taken to answer
right in ``SIGN_SEEN`` of the frames where the sign is held, and never otherwise).
Look-alikes: stretching, waving (one or both arms), jumping jacks, carrying something
overhead, walking with a rifle slung (the arm swing of walking, the other hand on the
sling; the legs and the walk across the frame are not modelled) and digging.

Each cell is run with three geometries on the same motions, cameras and pixel noise:

- ``image``: today's 2-D rules on the image keypoints (no world landmarks);
- ``world``: world landmarks (metres, camera axes) with the noise model below, and the
  camera elevation known within +-3 degrees (a gimbal's attitude or the user's figure);
- ``scene``: the same world landmarks, the elevation estimated from the people in view
  (:class:`safeconduct.signals.view.SceneElevation`).

World-landmark noise model (assumed, not fitted to BlazePose): independent Gaussian noise
per landmark and frame, sigma drawn per sequence from 3-5 cm on x and y, and
``DEPTH_NOISE_FACTOR`` times that along the viewing ray (z), BlazePose's poorest axis.

What is NOT measured: the pose model's own failures (missed people, swapped limbs,
small or top-down figures, a wrong torso axis at steep views), self-occlusion, clothing,
real motion. Real recall will be lower; read these figures as an upper bound for the
logic after the pose model. ``bench/signals_eval_rendered.py`` runs the real models.

Run: ``.venv/bin/python bench/signals_eval.py [--quick] [--workers N]``; the results are
also written as JSON to ``bench/out/signals_eval.json``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from safeconduct.services.signals import SignalPipeline
from safeconduct.signals import synthetic as syn
from safeconduct.signals.detector import AlertKind
from safeconduct.signals.gestures import Keypoints

OUT_DIR = Path(__file__).resolve().parent / "out"
FPS = 15.0
#: The person's facing relative to the direction to the drone, uniform within +-YAW_DEG.
YAW_DEG = 60.0
ELEVATIONS = (0, 15, 30, 45, 60, 75)
HEIGHTS_PX = (30, 60, 120, 240)
SIGNALS = ("surrender", "hands_up", "kneeling_hands_up", "sign")
LOOKALIKES = (
    "stretching",
    "waving",
    "jumping_jacks",
    "carrying_overhead",
    "walking_rifle",
    "digging",
)
GEOMETRIES = ("image", "world", "scene")
TARGET = {
    "surrender": AlertKind.SURRENDER_SIGNAL,
    "hands_up": AlertKind.HANDS_UP,
    "kneeling_hands_up": AlertKind.KNEELING_HANDS_UP,
    "sign": AlertKind.POSSIBLE_SIGN,
}
#: World-landmark noise, metres per axis (sigma drawn per sequence), and its factor in depth.
WORLD_NOISE_M = (0.03, 0.05)
DEPTH_NOISE_FACTOR = 2.5
#: The known elevation's error, degrees (uniform, per sequence).
ELEVATION_ERROR_DEG = 3.0
#: Share of frames in which the (unmodelled) image test sees a sign that is held up.
SIGN_SEEN = 0.8


def _u(rng: np.random.Generator, a: float, b: float) -> float:
    return float(rng.uniform(a, b))


def _arms(rng: np.random.Generator, ab: tuple[float, float], fw: tuple[float, float],
          bd: tuple[float, float], kneel: bool = False) -> syn.ArmPose:  # fmt: skip
    a, f, b = _u(rng, *ab), _u(rng, *fw), _u(rng, *bd)
    j = lambda: _u(rng, -5, 5)  # noqa: E731  (small left/right asymmetry)
    return (a + j(), f + j(), max(0.0, b + j()), a + j(), f + j(), max(0.0, b + j()), kneel)


def _down(rng: np.random.Generator, kneel: bool = False) -> syn.ArmPose:
    return _arms(rng, (3, 15), (-5, 15), (5, 25), kneel)


def signal_motion(kind: str, rng: np.random.Generator) -> tuple[syn.Motion, float]:
    """A signal performed once, with random timing and form; (motion, duration s).

    ``kind`` is one of :data:`SIGNALS`. For ``"sign"`` the arms hold a sign overhead
    (elbows bent, hands apart): :func:`sign_held` says when it is up.
    """
    t = _u(rng, 1.0, 3.0)
    rest = _down(rng)
    frames = [(0.0, rest), (t, rest)]
    if kind == "surrender":
        up = _arms(rng, (150, 180), (-10, 25), (0, 30))
        out = _arms(rng, (75, 105), (-10, 20), (0, 25))
        for pose, hold in ((up, _u(rng, 1.3, 4.0)), (out, _u(rng, 1.3, 4.0))):
            t += _u(rng, 0.3, 1.2)
            frames.append((t, pose))
            t += hold
            frames.append((t, pose))
    elif kind == "sign":
        held = _arms(rng, (140, 165), (10, 35), (25, 50))
        t += _u(rng, 0.5, 1.2)
        frames.append((t, held))
        t += _u(rng, 3.0, 6.0)
        frames.append((t, held))
    else:
        kneel = kind == "kneeling_hands_up"
        if kneel:
            rest = _down(rng, True)
            t += _u(rng, 1.0, 2.0)
            frames.append((t, rest))
        up = _arms(rng, (150, 180), (-10, 25), (0, 30), kneel)
        t += _u(rng, 0.3, 1.2)
        frames.append((t, up))
        t += _u(rng, 2.5, 6.0)
        frames.append((t, up))
    t += _u(rng, 0.5, 1.0)
    frames.append((t, rest))
    t += 2.0
    frames.append((t, rest))
    return syn.keyframes(frames), t


def sign_held(pose: syn.ArmPose) -> bool:
    """Whether a sign held in both hands is up (both arms raised above about 120 degrees)."""
    return pose[0] >= 120 and pose[3] >= 120


def lookalike_motion(kind: str, rng: np.random.Generator, seconds: float) -> syn.Motion:
    """About ``seconds`` of a look-alike activity (episodes separated by rests)."""
    frames: list[tuple[float, syn.ArmPose]] = [(0.0, _down(rng))]
    t = 0.0
    periodic: list[tuple[float, float, Callable[[float], syn.ArmPose]]] = []
    while t < seconds:
        t += _u(rng, 1.0, 6.0)  # rest
        frames.append((t, frames[-1][1]))
        if kind == "stretching":
            # Reach overhead, elbows softly bent, then lower: through the front, or through
            # the sides with at most a brief pause (a held pause would be the signal itself).
            top = _arms(rng, (160, 180), (0, 20), (20, 60))
            t += _u(rng, 0.6, 1.2)
            frames.append((t, top))
            t += _u(rng, 0.3, 2.0)
            frames.append((t, top))
            if rng.random() < 0.5:
                t += _u(rng, 0.5, 1.0)
                frames.append((t, _arms(rng, (80, 100), (70, 90), (0, 20))))
            else:
                side = _arms(rng, (80, 100), (-5, 10), (0, 20))
                t += _u(rng, 0.4, 0.9)
                frames.append((t, side))
                t += _u(rng, 0.0, 0.7)
                frames.append((t, side))
            t += _u(rng, 0.5, 1.0)
            frames.append((t, _down(rng)))
        elif kind == "carrying_overhead":
            load = _arms(rng, (140, 170), (10, 35), (40, 90))
            t += _u(rng, 0.8, 1.5)
            frames.append((t, load))
            t += _u(rng, 8.0, 30.0)
            frames.append((t, load))
            t += _u(rng, 0.8, 1.5)
            frames.append((t, _arms(rng, (60, 90), (60, 90), (30, 60))))
            t += 0.8
            frames.append((t, _down(rng)))
        else:
            dur = _u(rng, 3.0, 15.0)
            t0, base = t, _down(rng)
            if kind == "waving":
                hz, both = _u(rng, 1.0, 2.5), rng.random() < 0.3
                amp, mid = _u(rng, 15, 35), _u(rng, 130, 160)

                def f(tt: float, hz=hz, both=both, amp=amp, mid=mid, base=base) -> syn.ArmPose:
                    a = mid + amp * math.sin(2 * math.pi * hz * tt)
                    right = (a, 10, 30) if both else base[3:6]
                    return (a, 10, 30, *right, False)  # type: ignore[return-value]

            elif kind == "jumping_jacks":
                hz = _u(rng, 0.6, 1.5)

                def f(tt: float, hz=hz) -> syn.ArmPose:
                    a = 92 - 84 * math.cos(2 * math.pi * hz * tt)
                    return (a, 0, 5, a, 0, 5, False)

            elif kind == "walking_rifle":
                # The left arm swings with the stride (forwards, then backwards); the right
                # hand holds the sling at the chest, elbow bent.
                dur = _u(rng, 10.0, 30.0)
                hz, amp = _u(rng, 0.8, 1.0), _u(rng, 15, 30)
                sling = (_u(rng, 25, 45), _u(rng, 60, 90), _u(rng, 90, 120))

                def f(tt: float, hz=hz, amp=amp, sling=sling) -> syn.ArmPose:
                    s = math.sin(2 * math.pi * hz * tt)
                    swing = 8 + amp * abs(s)
                    return (swing, 90 if s >= 0 else -90, 10 + 15 * max(s, 0), *sling, False)  # type: ignore[return-value]

            else:  # digging: arms forward and down, swinging; torso bend not modelled
                hz = _u(rng, 0.4, 1.0)

                def f(tt: float, hz=hz) -> syn.ArmPose:
                    s = math.sin(2 * math.pi * hz * tt)
                    return (55 + 25 * s, 80, 40, 50 + 25 * s, 80, 50, False)

            periodic.append((t0, t0 + dur, f))
            t += dur
            frames.append((t, _down(rng)))
    base_motion = syn.keyframes(frames)

    def motion(tt: float) -> syn.ArmPose:
        for a, b, f in periodic:
            if a <= tt <= b:
                return f(tt - a)
        return base_motion(tt)

    return motion


def keypoint_pipeline(geometry: str, elevation_deg: float | None) -> SignalPipeline:
    """A pipeline fed keypoints (no ports), told the camera's elevation for ``world``.

    ``image`` and ``scene`` get no elevation: ``image`` because its keypoints carry no
    world landmarks, ``scene`` because the pipeline then estimates it from the people.
    """
    if geometry == "world":
        from safeconduct.services.signals import fixed_view

        return SignalPipeline(view=fixed_view(elevation_deg))
    return SignalPipeline()


def _with_world_noise(kp: Keypoints, sigma_m: float, rng: np.random.Generator) -> Keypoints:
    assert kp.world is not None
    scale = np.array([sigma_m, sigma_m, DEPTH_NOISE_FACTOR * sigma_m])
    return Keypoints(kp.xy, kp.visibility, kp.world + rng.normal(0.0, 1.0, kp.world.shape) * scale)


def simulate(motion: syn.Motion, seconds: float, cam: syn.Camera, rng: np.random.Generator,
             geometry: str = "image", world_rng: np.random.Generator | None = None,
             sign: bool = False, views: list[float | None] | None = None,
             ) -> list[AlertKind]:  # fmt: skip
    """Run the keypoint pipeline over one sequence; return the alert kinds raised.

    ``rng`` draws the pixel noise and dropouts (the same for every geometry given the same
    seed); ``world_rng`` the world-landmark noise, the elevation error and the sign test.
    ``views`` collects the elevation the pipeline judged each frame with (None: none).
    """
    wr = world_rng if world_rng is not None else np.random.default_rng(0)
    noise = _u(rng, 0.005, 0.02)
    floor_px = _u(rng, 0.5, 2.0)  # pixel quantisation and model jitter, assumed
    drop = _u(rng, 0.0, 0.1)
    sigma_m = _u(wr, *WORLD_NOISE_M)
    elevation = float(
        np.clip(cam.elevation_deg + _u(wr, -ELEVATION_ERROR_DEG, ELEVATION_ERROR_DEG), 0, 90)
    )
    pipe = keypoint_pipeline(geometry, elevation)
    held = {"now": False}

    def sign_test(_kp: Keypoints, _torso: float | None) -> bool:
        return held["now"] and wr.random() < SIGN_SEEN

    kw: dict[str, Any] = {"sign": sign_test} if sign_supported() else {}
    kinds: list[AlertKind] = []
    gap_until = -1.0
    for i in range(int(seconds * FPS)):
        t = i / FPS
        if t < gap_until:
            kinds += [a.kind for a in pipe.process_people(t, [], **kw).alerts]
            continue
        if rng.random() < 0.01:  # the person is lost for a moment
            gap_until = t + _u(rng, 0.1, 0.5)
        pose = motion(t)
        held["now"] = sign and sign_held(pose)
        kp = syn.observe(pose, cam, rng, noise + floor_px / cam.person_px, drop)
        if geometry == "image":
            kp = Keypoints(kp.xy, kp.visibility)
        else:
            kp = _with_world_noise(kp, sigma_m, wr)
        res = pipe.process_people(t, [kp], **kw)
        kinds += [a.kind for a in res.alerts]
        if views is not None:
            views.append(res.view.elevation_deg)
    return kinds


def _camera(rng: np.random.Generator, elevation: float, px: float) -> syn.Camera:
    return syn.Camera(elevation, _u(rng, -YAW_DEG, YAW_DEG), _u(rng, 10, 80), px)


def sign_supported() -> bool:
    """Whether the pipeline takes a sign test for keypoints (issue 16, helper E)."""
    return "sign" in inspect.signature(SignalPipeline.process_people).parameters


def evaluate_cell(args: tuple[float, float, str, int, int, int]) -> dict[str, object]:
    """Recall per signal and false alerts of look-alikes for one cell and geometry."""
    elevation, px, geometry, n_signal, lookalike_s, seed = args
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    world_rng = np.random.default_rng(seed + 7_000_000)
    signals = [k for k in SIGNALS if k != "sign" or sign_supported()]
    hits: dict[str, int] = defaultdict(int)
    views: list[float | None] = []
    for kind in signals:
        for _ in range(n_signal):
            motion, dur = signal_motion(kind, rng)
            cam = _camera(rng, elevation, px)
            seen: list[float | None] = []
            kinds = simulate(motion, dur, cam, rng, geometry, world_rng, kind == "sign", seen)
            views += [v - elevation if v is not None else None for v in seen]
            hits[kind] += TARGET[kind] in kinds
    false: dict[str, int] = defaultdict(int)
    for kind in LOOKALIKES:
        for _ in range(max(1, lookalike_s // 60)):
            motion = lookalike_motion(kind, rng, 60.0)
            cam = _camera(rng, elevation, px)
            for k in simulate(motion, 60.0, cam, rng, geometry, world_rng):
                false[k.value] += 1
                false[f"{kind}:{k.value}"] += 1
    minutes = len(LOOKALIKES) * max(1, lookalike_s // 60)
    return {
        "elevation": elevation,
        "px": px,
        "geometry": geometry,
        "recall": {k: hits[k] / n_signal for k in signals},
        "n_signal": n_signal,
        "false": dict(false),
        "lookalike_min": minutes,
        # Frames of the signal sequences judged with an elevation, and its mean error (deg).
        "view_share": round(sum(v is not None for v in views) / max(1, len(views)), 3),
        "view_err_deg": round(
            float(np.mean([abs(v) for v in views if v is not None]))
            if any(v is not None for v in views)
            else float("nan"),
            2,
        ),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def false_per_min(r: dict[str, Any], kind: str | None = "SURRENDER_SIGNAL") -> float:
    """False alerts per minute of look-alikes in one result (``kind`` None: any alert)."""
    fl, mins = r["false"], r["lookalike_min"]
    if kind is None:
        return sum(v for k, v in fl.items() if ":" not in k) / mins
    return fl.get(kind, 0) / mins


def run(
    elevations: tuple[float, ...] = ELEVATIONS,
    heights: tuple[float, ...] = HEIGHTS_PX,
    geometries: tuple[str, ...] = GEOMETRIES,
    n_signal: int = 10,
    lookalike_s: int = 60,
    workers: int = 2,
) -> dict[str, Any]:
    """Evaluate every cell; the JSON-ready results with the settings."""
    cells = [
        (e, p, geo, n_signal, lookalike_s, 1000 * i + j)
        for i, e in enumerate(elevations)
        for j, p in enumerate(heights)
        for geo in geometries
    ]
    t0 = time.perf_counter()
    results = []
    with ProcessPoolExecutor(workers) as ex:
        futures = [ex.submit(evaluate_cell, c) for c in cells]
        for n, fut in enumerate(as_completed(futures), 1):
            r = fut.result()
            results.append(r)
            print(f"  [synthetic {n}/{len(cells)}] {r['geometry']:5s} {r['elevation']:3.0f} deg "
                  f"{r['px']:4.0f} px: surrender {r['recall']['surrender']:.2f} "
                  f"({r['seconds']:.0f} s)", flush=True)  # fmt: skip
    order = {c[:3]: k for k, c in enumerate(cells)}
    results.sort(key=lambda r: order[(r["elevation"], r["px"], r["geometry"])])
    return {
        "kind": "synthetic stick skeleton, keypoints only (no pose model); not footage",
        "fps": FPS,
        "yaw_deg": YAW_DEG,
        "world_noise_m": WORLD_NOISE_M,
        "depth_noise_factor": DEPTH_NOISE_FACTOR,
        "elevation_error_deg": ELEVATION_ERROR_DEG,
        "sign_seen": SIGN_SEEN,
        "n_signal": n_signal,
        "lookalike_s_per_kind": lookalike_s,
        "seconds": round(time.perf_counter() - t0, 1),
        "results": results,
    }


def report(data: dict[str, Any]) -> None:
    """Print the tables of :func:`run`'s results."""
    results = data["results"]
    print("SYNTHETIC keypoints (3-D stick skeleton through a pinhole camera); not footage.")
    print("Pose-model errors are not modelled: an upper bound on the logic after the model.")
    print(f"{data['n_signal']} sequences per signal per cell; "
          f"{results[0]['lookalike_min']} min of look-alikes per cell; {data['fps']:.0f} fps; "
          f"yaw +-{data['yaw_deg']:.0f} deg; world noise {data['world_noise_m'][0] * 100:.0f}-"
          f"{data['world_noise_m'][1] * 100:.0f} cm per axis, x{data['depth_noise_factor']} in "
          f"depth; elevation known within +-{data['elevation_error_deg']:.0f} deg (world); "
          f"ran {data['seconds']:.0f} s")  # fmt: skip
    signals = list(results[0]["recall"])
    short = {"surrender": "surr", "hands_up": "up", "kneeling_hands_up": "kneel", "sign": "sign"}
    for geo in dict.fromkeys(r["geometry"] for r in results):
        print(f"\ngeometry {geo}")
        print("elev   px | recall: " + " ".join(f"{short[s]:>6s}" for s in signals)
              + " | false/min: SURRENDER    any  (look-alike min) | elevation: "
              "frames, mean error")  # fmt: skip
        for r in (r for r in results if r["geometry"] == geo):
            rec = " ".join(f"{r['recall'][s]:6.2f}" for s in signals)
            print(f"{r['elevation']:4.0f} {r['px']:4.0f} |         {rec} |      "
                  f"{false_per_min(r):8.3f} {false_per_min(r, None):6.3f}  "
                  f"({r['lookalike_min']})            | {r['view_share']:.2f} "
                  f"{r['view_err_deg']:5.1f} deg")  # fmt: skip
    print("\nfalse alerts by look-alike (all cells pooled):")
    for geo in dict.fromkeys(r["geometry"] for r in results):
        pooled: dict[str, int] = defaultdict(int)
        rs = [r for r in results if r["geometry"] == geo]
        for r in rs:
            for k, v in r["false"].items():
                if ":" in k:
                    pooled[k] += v
        total_min = sum(r["lookalike_min"] for r in rs) / len(LOOKALIKES)
        print(f"  {geo}: {total_min:.0f} min of each activity")
        for k in sorted(pooled):
            print(f"    {k:45s} {pooled[k]:5d}  ({pooled[k] / total_min:.3f}/min)")
        if not pooled:
            print("    none")
    print("Caveat: a cell with 0 false alerts in T minutes bounds the rate only to about 3/T "
          "per minute (95%).")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer sequences (about 5 min)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--elevations", type=float, nargs="*", default=ELEVATIONS)
    ap.add_argument("--heights", type=float, nargs="*", default=HEIGHTS_PX)
    ap.add_argument("--geometries", nargs="*", default=GEOMETRIES, choices=GEOMETRIES)
    ap.add_argument("--out", type=Path, default=OUT_DIR / "signals_eval.json")
    args, _ = ap.parse_known_args()
    n_signal, lookalike_s = (10, 60) if args.quick else (60, 600)
    data = run(tuple(args.elevations), tuple(args.heights), tuple(args.geometries),
               n_signal, lookalike_s, args.workers)  # fmt: skip
    report(data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
