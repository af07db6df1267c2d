"""Inputs for the vision tests: rendered synthetic people as videos and image folders.

Needs OpenCV (the ``vision`` extra); callers skip without it.
"""

from __future__ import annotations

from pathlib import Path

from safeconduct.adapters.vision.synthetic_render import render
from safeconduct.signals import synthetic as syn

#: The two-phase signal: arms down, up (1.5 s), out (1.5 s), down again; 6 s.
SIGNAL = syn.keyframes(
    [(0, syn.DOWN), (1, syn.DOWN), (1.5, syn.UP), (3.0, syn.UP), (3.5, syn.OUT),
     (5.0, syn.OUT), (5.5, syn.DOWN), (6.0, syn.DOWN)]
)  # fmt: skip
SIGNAL_S = 6.0
#: A camera that BlazePose reads the rendered figure well from; 320 x 320 pixels.
CAMERA = syn.Camera(elevation_deg=20, yaw_deg=15, person_px=260, width=320, height=320)


def render_signal_video(path: Path, fps: float = 10.0) -> Path:
    """Write the rendered figure performing :data:`SIGNAL` as an MP4 at ``fps``."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (320, 320))
    for i in range(int(SIGNAL_S * fps)):
        writer.write(render(SIGNAL(i / fps), CAMERA))
    writer.release()
    return path


def render_frames_folder(folder: Path, n: int, fps: float = 5.0) -> Path:
    """Write ``n`` PNG frames of :data:`SIGNAL` (taken at ``fps``) into ``folder``."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"{i:04d}.png"), render(SIGNAL(i / fps), CAMERA))
    return folder
