"""Frames per second of signal recognition for one person at 640 x 480 on the CPU.

Target (issue 7): at least 15 frames per second on 2 CPU cores. The peer measured in the
same run is mediapipe's own ``Pose.process`` on the same frames (the model alone); the
ratio shows what tracking, gestures, the detector and the white-cloth check add.

The test image is the astronaut photo shipped in scikit-image (one person, upper body),
letterboxed into 640 x 480 and shifted a little each frame so that the video-mode model
has to track. Run: ``.venv/bin/python bench/bench_signals.py [--cores 2] [--frames 150]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cores", type=int, default=2, help="CPU cores to pin to (0: all)")
    ap.add_argument("--frames", type=int, default=150)
    args = ap.parse_args()
    if args.cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    import cv2
    import mediapipe as mp

    from safeconduct.adapters.vision.native_logs import quiet_native_logs
    from safeconduct.bootstrap import signals_ports
    from safeconduct.services.signals import SignalPipeline

    imgs = frames(args.frames)

    # Creation and warm-up of the peer run quietened as ours are (mediapipe's C++ logs);
    # its timed calls are bare, so the ratio includes what quietening costs us per frame.
    with quiet_native_logs():
        pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1)
        pose.process(cv2.cvtColor(imgs[0], cv2.COLOR_BGR2RGB))  # warm-up
    t0 = time.perf_counter()
    found = 0
    for img in imgs:
        found += pose.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).pose_landmarks is not None
    peer = len(imgs) / (time.perf_counter() - t0)
    pose.close()

    pipe = SignalPipeline(signals_ports())
    pipe.process(0.0, imgs[0])  # warm-up (loads the model)
    t0 = time.perf_counter()
    people = 0
    for i, img in enumerate(imgs):
        people += len(pipe.process(i / 15, img).people)
    ours = len(imgs) / (time.perf_counter() - t0)
    pipe.close()

    print(f"{len(imgs)} frames 640x480, one person, {cores} CPU core(s), model complexity 1")
    print(f"mediapipe Pose.process alone : {peer:6.1f} fps (person found in {found} frames)")
    print(f"safeconduct SignalPipeline   : {ours:6.1f} fps (person found in {people} frames)")
    print(f"ratio pipeline / model alone : {ours / peer:6.2f}")
    print(f"target >= 15 fps: {'met' if ours >= 15 else 'NOT met'} on this machine")


if __name__ == "__main__":
    main()
