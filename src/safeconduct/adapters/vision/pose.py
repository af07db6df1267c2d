"""Adapter to mediapipe 0.10.21's BlazePose models (``mediapipe.solutions.pose``).

mediapipe and OpenCV are an optional extra, imported only when a pose model is made, so
the rest of safeconduct works without them. Two models are used: BlazePose Full (model
complexity 1, in the mediapipe wheel, always there) and BlazePose Heavy (complexity 2,
installed separately by :mod:`safeconduct.adapters.vision.heavy_weights`). mediapipe
downloads a missing Heavy file from Google's storage when asked for complexity 2, which
fails offline and would fetch unchecked weights, so Heavy is requested only when its file
is in mediapipe's own folder with the pinned SHA-256.

BlazePose finds one person per image; the sweep in :mod:`safeconduct.signals.tracking`
runs it on crops to find more. Every call into the model runs under
:func:`~safeconduct.adapters.vision.native_logs.quiet_native_logs`, so mediapipe's C++ log
lines never reach the user's terminal.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from safeconduct.adapters.vision import heavy_weights
from safeconduct.adapters.vision.heavy_weights import mediapipe_weights_dir
from safeconduct.adapters.vision.native_logs import quiet_env, quiet_native_logs
from safeconduct.errors import InvalidValueError, MissingExtraError
from safeconduct.signals.gestures import N_LANDMARKS, Keypoints

INSTALL_HINT = "pip install 'safeconduct[vision]'"
#: How to get BlazePose Heavy's weights (the Makefile target running heavy_weights).
HEAVY_HINT = "make vision-models"

#: Model name -> mediapipe's model complexity.
COMPLEXITY = {"full": 1, "heavy": 2}
#: Model name -> its weights file in mediapipe's ``modules/pose_landmark`` folder.
WEIGHTS_FILE = {"full": "pose_landmark_full.tflite", "heavy": heavy_weights.FILE_NAME}
#: The largest ``upscale`` accepted: beyond it a tile only costs time (the models see
#: 224 and 256 pixel inputs).
MAX_UPSCALE = 8.0


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


def heavy_installed(weights_dir: Path | None) -> bool:
    """Whether ``weights_dir`` holds BlazePose Heavy's file with the pinned SHA-256.

    A truncated or foreign file counts as absent: mediapipe would not download over it,
    and would fail (or run something unchecked) on it.
    """
    return weights_dir is not None and heavy_weights.installed(weights_dir)


def _heavy_missing_error() -> MissingExtraError:
    return MissingExtraError(
        f"BlazePose Heavy's weights are not installed: run `{HEAVY_HINT}`, or use the full model",
        field="model",
    )


def _check_model(model: str) -> None:
    if model not in COMPLEXITY:
        raise InvalidValueError(
            f"{model!r} is not a pose model: use one of {', '.join(COMPLEXITY)}", field="model"
        )


class PoseEstimator:
    """BlazePose Full or Heavy on BGR frames; one instance per image stream.

    Parameters
    ----------
    static
        True for unrelated images (detect afresh each time); False for video, where
        mediapipe tracks the person between frames (faster, steadier).
    model
        ``"full"`` (model complexity 1) or ``"heavy"`` (complexity 2; its weights must be
        installed, see :mod:`safeconduct.adapters.vision.heavy_weights`).
    min_detection_confidence
        mediapipe's person-detector threshold, 0-1.

    Attributes
    ----------
    model
        The model that runs, ``"full"`` or ``"heavy"``.

    Raises
    ------
    MissingExtraError
        If mediapipe or OpenCV is not installed, or ``model`` is ``"heavy"`` and its
        weights are not in mediapipe's folder (never downloaded).
    InvalidValueError
        If ``model`` names no model.
    """

    def __init__(
        self, static: bool = False, model: str = "full", min_detection_confidence: float = 0.5
    ) -> None:
        _check_model(model)
        self._cv2 = require_cv2()
        mp_pose = require_mediapipe()
        if model == "heavy" and not _file_where_mediapipe_looks(mp_pose, WEIGHTS_FILE[model]):
            # mediapipe would download it from Google; it never gets the chance.
            raise _heavy_missing_error()
        self.model = model
        # The graph starts its calculators on threads of its own, and TensorFlow Lite logs
        # "Created ... XNNPACK delegate" whenever one of them gets there: after the
        # constructor returns, or during the first frame. So one quiet block stays open
        # from here until the first frame is done (see _end_start_up).
        self._start_up: contextlib.ExitStack | None = contextlib.ExitStack()
        self._start_up.enter_context(quiet_native_logs())
        try:
            self._pose: Any = mp_pose.Pose(
                static_image_mode=static,
                model_complexity=COMPLEXITY[model],
                smooth_landmarks=not static,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=0.5,
            )
        except BaseException:
            self._end_start_up()
            raise

    def _end_start_up(self) -> None:
        if self._start_up is not None:
            self._start_up.close()
            self._start_up = None

    def estimate(self, frame_bgr: np.ndarray, *, upscale: float = 1.0) -> Keypoints | None:
        """The person's landmarks in pixels of ``frame_bgr``, or None if nobody was found.

        Parameters
        ----------
        frame_bgr
            ``(height, width, 3)`` uint8 BGR image.
        upscale
            Factor (1-8) the image is enlarged by (bicubic) before the model sees it, for
            small people in a crop; the landmarks come back in pixels of ``frame_bgr``.

        Returns
        -------
        Keypoints or None
            ``xy`` in pixels of ``frame_bgr`` (x right, y down), ``visibility`` 0-1, and
            ``world``: BlazePose's ``(33, 3)`` world landmarks in metres, origin between
            the hips, camera axes (x right, y down, z away from the camera).
        """
        if not (math.isfinite(upscale) and 1.0 <= upscale <= MAX_UPSCALE):
            raise InvalidValueError(
                f"{upscale} is not an enlargement factor from 1 to {MAX_UPSCALE:g}",
                field="upscale",
            )
        h, w = frame_bgr.shape[:2]
        cv2 = self._cv2
        image = frame_bgr
        if upscale > 1.0:
            size = (max(1, round(w * upscale)), max(1, round(h * upscale)))
            image = cv2.resize(frame_bgr, size, interpolation=cv2.INTER_CUBIC)
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
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
        # Normalised coordinates are fractions of the image, whatever its scale, so they
        # map straight onto frame_bgr's pixels.
        arr = np.array([(lm.x * w, lm.y * h, lm.visibility) for lm in lms], dtype=float)
        world = None
        found = getattr(result, "pose_world_landmarks", None)
        if found is not None and len(found.landmark) == N_LANDMARKS:
            world = np.array([(lm.x, lm.y, lm.z) for lm in found.landmark], dtype=float)
        return Keypoints(xy=arr[:, :2], visibility=arr[:, 2], world=world)

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


def _file_where_mediapipe_looks(mp_pose: ModuleType, name: str) -> bool:
    """Whether the imported mediapipe finds ``name`` itself (its own download check).

    mediapipe's ``download_oss_model`` looks under the package root the module was loaded
    from; the Heavy file must be there with the pinned digest.
    """
    root = Path(mp_pose.__file__).resolve().parents[2]  # mediapipe/python/solutions/pose.py
    folder = root / "modules" / "pose_landmark"
    if name == WEIGHTS_FILE["heavy"]:
        return heavy_installed(folder)
    return os.path.exists(folder / name)


class MediapipePoseModels:
    """The pose-model port (:class:`safeconduct.services.ports.PoseModels`) with BlazePose.

    Parameters
    ----------
    weights_dir
        The folder to look for the weights in; by default mediapipe's own
        ``modules/pose_landmark`` (the only one mediapipe reads, so other folders are for
        tests).
    """

    def __init__(self, weights_dir: Path | None = None) -> None:
        self._weights_dir = weights_dir

    @property
    def weights_dir(self) -> Path | None:
        """The folder the weights are looked for in; None when mediapipe is not installed."""
        return self._weights_dir if self._weights_dir is not None else mediapipe_weights_dir()

    def require(self) -> None:
        """Raise :class:`MissingExtraError` now, before any work, if the extra is missing."""
        require_cv2()
        require_mediapipe()

    def available(self) -> tuple[str, ...]:
        """``("full",)``, or ``("full", "heavy")`` when Heavy's checked weights are installed.

        Full ships in the mediapipe wheel; whether mediapipe itself is installed is
        :meth:`require`'s question. mediapipe is not imported here.
        """
        return ("full", "heavy") if heavy_installed(self.weights_dir) else ("full",)

    def estimator(self, *, static: bool, model: str = "full") -> PoseEstimator:
        """A new BlazePose estimator; ``static`` for unrelated images, else video mode.

        Raises
        ------
        MissingExtraError
            If ``model`` is ``"heavy"`` and its weights are not installed: mediapipe is
            never asked for it (it would try to download it).
        InvalidValueError
            If ``model`` names no model.
        """
        _check_model(model)
        if model not in self.available():
            raise _heavy_missing_error()
        return PoseEstimator(static=static, model=model)
