"""The IoU tracker and the tiling of a single-person pose model (with a fake model)."""

from __future__ import annotations

import numpy as np

from safeconduct.signals import synthetic as syn
from safeconduct.signals.gestures import Keypoints
from safeconduct.signals.tracking import IoUTracker, TiledPose, iou, tile_windows


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert abs(iou((0, 0, 10, 10), (5, 0, 15, 10)) - 1 / 3) < 1e-9


def test_tracker_keeps_ids_through_motion_and_short_gaps() -> None:
    tr = IoUTracker(max_missed=3)
    a, b = (0.0, 0.0, 10.0, 30.0), (50.0, 0.0, 60.0, 30.0)
    first = tr.update([a, b])
    assert first == [1, 2]
    moved = [(2.0, 0.0, 12.0, 30.0), (52.0, 0.0, 62.0, 30.0)]
    assert tr.update(moved[::-1]) == [2, 1]
    tr.update([])  # both missed for a frame
    assert tr.update(moved) == [1, 2]
    for _ in range(4):
        tr.update([])
    assert tr.update(moved) == [3, 4]  # forgotten after max_missed


def test_tile_windows_cover_the_image() -> None:
    wins = tile_windows(640, 480, 3)
    assert len(wins) == 9
    assert min(w[0] for w in wins) == 0 and max(w[2] for w in wins) == 640
    assert max(w[3] for w in wins) == 480


class _FakeModel:
    """One 'person' at the centre of the bright pixels of a crop: a stand-in for BlazePose."""

    def estimate(self, crop: np.ndarray) -> Keypoints | None:
        h, w = crop.shape[:2]
        ys, xs = np.nonzero(crop[..., 0] > 0)
        if len(xs) == 0:
            return None
        cx, cy = xs.mean(), ys.mean()
        kp = syn.observe(syn.DOWN, syn.Camera(person_px=min(h, w) / 3, width=w, height=h))
        return Keypoints(kp.xy - [w / 2, h / 2] + [cx, cy], kp.visibility)


def test_tiles_find_more_than_one_person() -> None:
    img = np.zeros((480, 640, 3), np.uint8)
    img[100:140, 80:100] = 255  # one person at the left
    img[300:340, 540:560] = 255  # another at the right
    whole = TiledPose(_FakeModel, grid=1)
    assert len(whole.people(img)) == 1  # a single-person model sees one blob (their mean)
    tiled = TiledPose(_FakeModel, grid=2)
    assert len(tiled.people(img)) >= 2
