"""Adapter to mediapipe 0.10.21's bundled BlazePose model (``mediapipe.solutions.pose``).

mediapipe and OpenCV are an optional extra, imported only when a pose model is made, so
the rest of safeconduct works without them. BlazePose finds one person per image; the
tiling in :mod:`safeconduct.signals.tracking` runs it on crops to find more. Every call
into the model runs under :func:`~safeconduct.adapters.vision.native_logs.quiet_native_logs`,
so mediapipe's C++ log lines never reach the user's terminal.
"""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Any

import numpy as np

from safeconduct.adapters.vision.native_logs import quiet_env, quiet_native_logs
from safeconduct.errors import MissingExtraError
from safeconduct.signals.gestures import N_LANDMARKS, Keypoints

INSTALL_HINT = "pip install 'safeconduct[vision]'"


def require_cv2() -> ModuleType:
    """Import OpenCV, or raise a one-line :class:`MissingExtraError` saying how to get it."""
    try:
        import cv2
    except ImportError as exc:
        raise MissingExtraError(
            f"signal recognition needs OpenCV and mediapipe: {INSTALL_HINT}"
        ) from exc
    return cv2


def require_mediapipe() -> ModuleType:
    """Import mediapipe's pose solution, or raise a one-line :class:`MissingExtraError`."""
    quiet_env()  # read when mediapipe's native libraries load
    try:
        with quiet_native_logs():  # loading its native libraries may log too
            import mediapipe as mp  # type: ignore[import-untyped]

        mp_pose = mp.solutions.pose
    except (ImportError, AttributeError) as exc:
        raise MissingExtraError(
            f"signal recognition needs mediapipe 0.10.21: {INSTALL_HINT}"
        ) from exc
    return mp_pose


class PoseEstimator:
    """BlazePose (model complexity 1) on BGR frames; one instance per image stream.

    Parameters
    ----------
    static
        True for unrelated images (detect afresh each time); False for video, where
        mediapipe tracks the person between frames (faster, steadier).
    min_detection_confidence
        mediapipe's person-detector threshold, 0-1.

    Raises
    ------
    MissingExtraError
        If mediapipe or OpenCV is not installed.
    """

    def __init__(self, static: bool = False, min_detection_confidence: float = 0.5) -> None:
        self._cv2 = require_cv2()
        mp_pose = require_mediapipe()
        # The graph starts its calculators on threads of its own, and TensorFlow Lite logs
        # "Created ... XNNPACK delegate" whenever one of them gets there: after the
        # constructor returns, or during the first frame. So one quiet block stays open
        # from here until the first frame is done (see _end_start_up).
        self._start_up: contextlib.ExitStack | None = contextlib.ExitStack()
        self._start_up.enter_context(quiet_native_logs())
        self._pose: Any = mp_pose.Pose(
            static_image_mode=static,
            model_complexity=1,
            smooth_landmarks=not static,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=0.5,
        )

    def _end_start_up(self) -> None:
        if self._start_up is not None:
            self._start_up.close()
            self._start_up = None

    def estimate(self, frame_bgr: np.ndarray) -> Keypoints | None:
        """The person's landmarks in pixels of ``frame_bgr``, or None if nobody was found."""
        h, w = frame_bgr.shape[:2]
        rgb = self._cv2.cvtColor(frame_bgr, self._cv2.COLOR_BGR2RGB)
        # The first inference logs, and any later one may (a person lost and found again).
        try:
            with quiet_native_logs():
                result = self._pose.process(rgb)
        finally:
            self._end_start_up()
        if result.pose_landmarks is None:
            return None
        lms = result.pose_landmarks.landmark
        if len(lms) != N_LANDMARKS:
            return None
        arr = np.array([(lm.x * w, lm.y * h, lm.visibility) for lm in lms], dtype=float)
        return Keypoints(xy=arr[:, :2], visibility=arr[:, 2])

    def close(self) -> None:
        """Release the model."""
        try:
            with quiet_native_logs():
                self._pose.close()
        finally:
            self._end_start_up()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MediapipePoseModels:
    """The pose-model port (:class:`safeconduct.services.ports.PoseModels`) with BlazePose."""

    def require(self) -> None:
        """Raise :class:`MissingExtraError` now, before any work, if the extra is missing."""
        require_cv2()
        require_mediapipe()

    def estimator(self, *, static: bool) -> PoseEstimator:
        """A new BlazePose estimator; ``static`` for unrelated images, else video mode."""
        return PoseEstimator(static=static)
