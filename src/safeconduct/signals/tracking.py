"""People across frames: a small IoU tracker, and tiling for a single-person pose model.

The tracker is a greedy intersection-over-union matcher: enough for the few, slowly
moving people a hovering drone sees, deterministic, and free of extra dependencies
(norfair would add filterpy and pin rich). A track survives ``max_missed`` frames unseen
so that a brief pose dropout keeps the same id and the signal's timing.

BlazePose finds one person per image. :class:`TiledPose` also runs it on overlapping
tiles, which finds further people and helps with small ones (each tile is upscaled to the
model's input), and merges duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from safeconduct.signals.gestures import Keypoints

Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    """One tracked person."""

    track_id: int
    bbox: Box
    missed: int = 0


class IoUTracker:
    """Greedy IoU tracker.

    Parameters
    ----------
    min_iou
        Boxes overlapping less than this never match.
    max_missed
        Frames a track may go unmatched before it is dropped.
    """

    def __init__(self, min_iou: float = 0.2, max_missed: int = 15) -> None:
        self.min_iou = min_iou
        self.max_missed = max_missed
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(self, boxes: Sequence[Box]) -> list[int]:
        """Assign a track id to each box of this frame (same order as ``boxes``)."""
        pairs = sorted(
            ((iou(t.bbox, b), ti, bi) for ti, t in enumerate(self.tracks)
             for bi, b in enumerate(boxes)),
            reverse=True,
        )  # fmt: skip
        ids: list[int | None] = [None] * len(boxes)
        used_tracks: set[int] = set()
        for score, ti, bi in pairs:
            if score < self.min_iou:
                break
            if ti in used_tracks or ids[bi] is not None:
                continue
            used_tracks.add(ti)
            track = self.tracks[ti]
            track.bbox, track.missed = boxes[bi], 0
            ids[bi] = track.track_id
        for ti, track in enumerate(self.tracks):
            if ti not in used_tracks:
                track.missed += 1
        self.tracks = [t for t in self.tracks if t.missed <= self.max_missed]
        for bi, box in enumerate(boxes):
            if ids[bi] is None:
                self.tracks.append(Track(self._next_id, box))
                ids[bi] = self._next_id
                self._next_id += 1
        return [i for i in ids if i is not None]


def tile_windows(width: int, height: int, grid: int, overlap: float = 0.25) -> list[Box]:
    """Overlapping ``grid x grid`` windows covering an image, pixels ``(x0, y0, x1, y1)``."""
    if grid <= 1:
        return [(0.0, 0.0, float(width), float(height))]
    tw = width / (grid - (grid - 1) * overlap)
    th = height / (grid - (grid - 1) * overlap)
    out = []
    for j in range(grid):
        for i in range(grid):
            x0 = i * tw * (1 - overlap)
            y0 = j * th * (1 - overlap)
            out.append((x0, y0, min(width, x0 + tw), min(height, y0 + th)))
    return out


class TiledPose:
    """Run a single-person pose model on the whole frame and on tiles; merge duplicates.

    Parameters
    ----------
    make_estimator
        Factory for a pose estimator with ``estimate(frame) -> Keypoints | None``; one is
        made per window, because a video-mode model tracks its own person.
    grid
        1: whole frame only. n > 1: also n x n overlapping tiles.
    """

    def __init__(self, make_estimator: Callable[[], object], grid: int = 1) -> None:
        self.grid = grid
        self._make = make_estimator
        self._estimators: dict[int, object] = {}

    def _estimator(self, k: int) -> object:
        if k not in self._estimators:
            self._estimators[k] = self._make()
        return self._estimators[k]

    def people(self, frame: np.ndarray) -> list[Keypoints]:
        """Every distinct person found, landmarks in full-frame pixels."""
        h, w = frame.shape[:2]
        windows = [(0.0, 0.0, float(w), float(h))]
        if self.grid > 1:
            windows += tile_windows(w, h, self.grid)
        found: list[tuple[Keypoints, Box]] = []
        for k, (x0, y0, x1, y1) in enumerate(windows):
            crop = frame[int(y0) : int(y1), int(x0) : int(x1)]
            kp = self._estimator(k).estimate(crop)  # type: ignore[attr-defined]
            if kp is None:
                continue
            kp = Keypoints(xy=kp.xy + np.array([x0, y0]), visibility=kp.visibility)
            box = kp.bbox()
            if box is None:
                continue
            if any(iou(box, other) > 0.4 for _, other in found):
                continue  # the same person seen in an earlier (larger) window
            found.append((kp, box))
        return [kp for kp, _ in found]

    def close(self) -> None:
        """Release every model made."""
        for est in self._estimators.values():
            close = getattr(est, "close", None)
            if close is not None:
                close()
