"""Exported frames never show a recognisable face, even of a person the model missed."""

from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from safeconduct.adapters.vision.video import protect_frame  # noqa: E402


def test_a_frame_with_nobody_found_is_still_pixelated() -> None:
    rng = np.random.default_rng(0)
    frame = np.full((480, 640, 3), 128, np.uint8)
    # A fine-detailed patch where a face would be, which the pose model did not find.
    frame[200:260, 300:340] = rng.integers(0, 255, (60, 40, 3), dtype=np.uint8)
    detail_before = cv2.Laplacian(frame, cv2.CV_64F).var()
    protect_frame(frame, [])
    detail_after = cv2.Laplacian(frame[200:260, 300:340], cv2.CV_64F).var()
    assert detail_after < 0.2 * detail_before
    # Blocks of about 13 px: every block is one colour.
    block = frame[208:221, 312:325]
    assert len(np.unique(block.reshape(-1, 3), axis=0)) <= 4
