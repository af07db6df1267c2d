"""The IoU tracker (the sweep and the crops: test_sweep.py)."""

from __future__ import annotations

from safeconduct.signals.tracking import IoUTracker, iou


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
