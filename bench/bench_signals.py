"""Frames per second of signal recognition for one person at 640 x 480 on the CPU.

Targets (issue 16): at least 15 frames per second with BlazePose Full and 8 with Heavy, on
2 CPU cores, for the default pipeline (the tile sweep on). The peer measured in the same
run is mediapipe's own ``Pose.process`` with the same model on the same frames (the model
alone, video mode, whole frame); the ratio shows what the sweep, the crops, tracking,
gestures, the detector and the white-patch and sign checks add. The pipeline with the
sweep off (whole frame only, as before issue 16) is measured too.

Two scenes: the astronaut photo shipped in scikit-image (one person, upper body, with a
flag and a model spaceship behind her), letterboxed into 640 x 480 and shifted a little each
frame so that the video-mode model has to track; and the rendered figure of
``signals_eval`` performing the surrender signal, 160 px tall, camera 30 degrees above. On
the photo BlazePose's detector finds a second "person" in the background of some sweep
tiles, and the pipeline follows it on its own crop (about 1.8 people per frame): that is
what a cluttered scene costs.
Run: ``.venv/bin/python bench/bench_signals.py [--cores 2] [--frames 150]``;
the figures are also written to ``bench/out/bench_signals.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out" / "bench_signals.json"
TARGET_FPS = {"full": 15.0, "heavy": 8.0}
COMPLEXITY = {"full": 1, "heavy": 2}


def frames(n: int) -> list[np.ndarray]:
    """``n`` BGR frames of 640 x 480 with one person, drifting sideways."""
    import cv2
    from skimage import data

    person = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (400, 400))
    out = []
    for i in range(n):
        img = np.full((480, 640, 3), 90, np.uint8)
        x = 60 + int(60 * np.sin(i / 20))
        img[40:440, x : x + 400] = person
        out.append(img)
    return out


def rendered_frames(n: int) -> list[np.ndarray]:
    """``n`` BGR frames of 640 x 480: the rendered figure signalling, 160 px tall, 30 deg."""
    import sys

    from safeconduct.adapters.vision.synthetic_render import render
    from safeconduct.signals import synthetic as syn

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from signals_eval import signal_motion

    motion, _ = signal_motion("surrender", np.random.default_rng(3))
    camera = syn.Camera(30.0, 10.0, 30.0, 160.0)
    return [render(motion(i / 15), camera) for i in range(n)]


def peer_fps(imgs: list[np.ndarray], model: str) -> tuple[float, int]:
    """mediapipe's ``Pose.process`` alone: frames per second and frames with a person."""
    import cv2
    import mediapipe as mp

    from safeconduct.adapters.vision.native_logs import quiet_native_logs

    # Creation and warm-up quietened as ours are (mediapipe's C++ logs); the timed calls
    # are bare, so the ratio includes what quietening costs us per frame.
    with quiet_native_logs():
        pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=COMPLEXITY[model])
        pose.process(cv2.cvtColor(imgs[0], cv2.COLOR_BGR2RGB))  # warm-up
    t0 = time.perf_counter()
    found = 0
    for img in imgs:
        found += pose.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).pose_landmarks is not None
    fps = len(imgs) / (time.perf_counter() - t0)
    pose.close()
    return fps, found


def pipeline_fps(imgs: list[np.ndarray], model: str, sweep: bool) -> tuple[float, int, str]:
    """The whole pipeline: frames per second, frames with a person, the model that ran."""
    from safeconduct.bootstrap import signals_ports
    from safeconduct.services.signals import SignalPipeline

    pipe = SignalPipeline(signals_ports(), sweep=sweep, model=model)  # type: ignore[call-arg]
    pipe.process(0.0, imgs[0])  # warm-up (loads the models)
    t0 = time.perf_counter()
    people = 0
    for i, img in enumerate(imgs, 1):
        people += len(pipe.process(i / 15, img).people)
    fps = len(imgs) / (time.perf_counter() - t0)
    ran = str(getattr(pipe, "model", model))
    pipe.close()
    return fps, people, ran


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cores", type=int, default=2, help="CPU cores to pin to (0: all)")
    ap.add_argument("--frames", type=int, default=150)
    args, _ = ap.parse_known_args()
    if args.cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    from safeconduct.bootstrap import signals_ports

    models = signals_ports().poses.available()
    scenes = {
        "astronaut photo": frames(args.frames),
        "rendered figure": rendered_frames(args.frames),
    }
    print(f"{args.frames} frames 640x480, one person, {cores} CPU core(s); "
          f"models installed: {', '.join(models)}")  # fmt: skip
    rows = []
    for scene, imgs in scenes.items():
        for model in ("full", "heavy"):
            if model not in models:
                print(f"{model}: not installed (make vision-models), not measured")
                continue
            peer, found = peer_fps(imgs, model)
            on, people_on, ran = pipeline_fps(imgs, model, True)
            off, people_off, _ = pipeline_fps(imgs, model, False)
            target = TARGET_FPS[model]
            rows.append({
                "scene": scene, "model": model, "ran": ran, "peer_fps": round(peer, 1),
                "sweep_on_fps": round(on, 1), "sweep_off_fps": round(off, 1),
                "target_fps": target, "met": on >= target, "found_peer": found,
                "found_on": people_on, "found_off": people_off,
            })  # fmt: skip
            print(f"\n{scene}, {model} (ran: {ran})")
            print(f"  mediapipe Pose.process alone  : {peer:6.1f} fps (person in {found} frames)")
            print(f"  SignalPipeline, sweep on      : {on:6.1f} fps ({people_on} person-frames)")
            print(f"  SignalPipeline, sweep off     : {off:6.1f} fps ({people_off} person-frames)")
            print(f"  ratio sweep on / model alone  : {on / peer:6.2f}")
            print(f"  target >= {target:.0f} fps (sweep on): "
                  f"{'met' if on >= target else 'NOT met'} on this machine")  # fmt: skip
    imgs = scenes["astronaut photo"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"frames": len(imgs), "cores": cores, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
