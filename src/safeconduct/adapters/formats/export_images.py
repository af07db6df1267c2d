"""Pictures made fit to leave the system: faces blurred with the signals package's blurring.

:class:`BlurredImages` decodes an image (OpenCV), finds the person in it with BlazePose
when the ``vision`` extra can run it, and applies
:func:`~safeconduct.adapters.vision.video.protect_frame`: the found head blurred heavily,
then the whole picture pixelated, so that a face the model missed is not recognisable
either. The pose model is made only when the first image comes (an export without images
loads neither mediapipe nor OpenCV) and is optional: without mediapipe the pixelation alone
protects the picture.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from safeconduct.adapters.vision.pose import require_cv2
from safeconduct.errors import BadFileError, MissingExtraError
from safeconduct.signals.gestures import Keypoints

#: The formats a protected picture is written back in (others become PNG).
_SAME_FORMAT = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


class BlurredImages:
    """The image-protection port of exports.

    Parameters
    ----------
    find_people
        Whether to look for people (and their heads) with BlazePose first; the pixelation
        applies either way.
    """

    def __init__(self, *, find_people: bool = True) -> None:
        self._find = find_people
        self._estimator: Any = None

    def extension(self, media_type: str) -> str:
        """The file extension a protected picture of ``media_type`` is written with."""
        return _SAME_FORMAT.get(media_type.lower(), ".png")

    def protect(self, data: bytes, media_type: str) -> bytes:
        """``data`` (an image of ``media_type``) with no recognisable face, re-encoded.

        Raises
        ------
        BadFileError
            ``field="attachment"``: not an image OpenCV can read (it is then left out).
        MissingExtraError
            The ``vision`` extra (OpenCV) is not installed.
        """
        from safeconduct.adapters.vision.video import protect_frame

        cv2 = require_cv2()
        frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise BadFileError(
                "the attachment is not a picture that can be read", field="attachment"
            )
        protect_frame(frame, self._people(frame))
        ok, encoded = cv2.imencode(self.extension(media_type), frame)
        if not ok:
            raise BadFileError("the protected picture could not be written", field="attachment")
        return bytes(encoded.tobytes())

    def _people(self, frame: np.ndarray) -> list[Keypoints]:
        if not self._find:
            return []
        if self._estimator is None:
            try:
                from safeconduct.adapters.vision.pose import PoseEstimator

                self._estimator = PoseEstimator(static=True)
            except MissingExtraError:
                self._find = False  # the pixelation alone, from now on
                return []
        found = self._estimator.estimate(frame)
        return [] if found is None else [found]

    def close(self) -> None:
        """Release the pose model, if one was made."""
        if self._estimator is not None:
            self._estimator.close()
            self._estimator = None
