"""Synthetic people drawn as images, with OpenCV: smoke tests of the real pose model.

The skeleton, the camera and the motions are pure geometry in
:mod:`safeconduct.signals.synthetic`; this module only paints them. Nothing here is
footage.
"""

from __future__ import annotations

import numpy as np

from safeconduct.adapters.vision.pose import require_cv2
from safeconduct.signals import gestures as g
from safeconduct.signals.synthetic import ArmPose, Camera, skeleton

#: Flat colours (BGR) of skin, shirt, trousers and boots.
_SKIN, _CLOTH, _TROUSERS, _BOOTS = (140, 170, 210), (40, 80, 60), (60, 60, 40), (20, 20, 20)


def render(
    pose: ArmPose, camera: Camera, background: tuple[int, int, int] = (80, 120, 100)
) -> np.ndarray:
    """A BGR image of the skeleton drawn as a flat-shaded figure.

    Limbs are thick lines of plausible widths, drawn far-to-near only roughly (legs,
    torso, arms, head), so it is a cartoon: good enough for BlazePose to find at moderate
    sizes, not a stand-in for real people.

    Parameters
    ----------
    pose
        Arm angles and kneeling (see :data:`safeconduct.signals.synthetic.ArmPose`).
    camera
        The viewpoint; the image is ``camera.height`` x ``camera.width`` pixels.
    background
        Plain background colour, BGR 0-255.

    Raises
    ------
    MissingExtraError
        If OpenCV is not installed.
    """
    cv2 = require_cv2()
    xy = camera.project(skeleton(pose))
    img = np.full((camera.height, camera.width, 3), background, np.uint8)
    px_per_m = camera.person_px / 1.75

    def pt(i: int) -> tuple[int, int]:
        return int(xy[i, 0]), int(xy[i, 1])

    def limb(a: int, b: int, width_m: float, color: tuple[int, int, int]) -> None:
        cv2.line(img, pt(a), pt(b), color, max(1, int(width_m * px_per_m)), cv2.LINE_AA)

    for a, b, w in ((g.L_HIP, g.L_KNEE, 0.15), (g.L_KNEE, g.L_ANKLE, 0.12),
                    (g.R_HIP, g.R_KNEE, 0.15), (g.R_KNEE, g.R_ANKLE, 0.12)):  # fmt: skip
        limb(a, b, w, _TROUSERS)
    limb(29, 31, 0.08, _BOOTS)
    limb(30, 32, 0.08, _BOOTS)
    torso = np.array([xy[g.L_SHOULDER], xy[g.R_SHOULDER], xy[g.R_HIP], xy[g.L_HIP]], np.int32)
    cv2.fillConvexPoly(img, torso, _CLOTH, cv2.LINE_AA)
    limb(g.L_SHOULDER, g.R_SHOULDER, 0.12, _CLOTH)
    limb(g.L_HIP, g.R_HIP, 0.14, _TROUSERS)
    for a, b, w in ((g.L_SHOULDER, g.L_ELBOW, 0.10), (g.L_ELBOW, g.L_WRIST, 0.08),
                    (g.R_SHOULDER, g.R_ELBOW, 0.10), (g.R_ELBOW, g.R_WRIST, 0.08)):  # fmt: skip
        limb(a, b, w, _CLOTH)
    limb(g.L_WRIST, 19, 0.07, _SKIN)
    limb(g.R_WRIST, 20, 0.07, _SKIN)
    neck = ((xy[g.L_SHOULDER] + xy[g.R_SHOULDER]) / 2).astype(int)
    cv2.line(img, (int(neck[0]), int(neck[1])), pt(0), _SKIN, max(1, int(0.09 * px_per_m)))
    head = (xy[7] + xy[8]) / 2
    cv2.circle(img, (int(head[0]), int(head[1])), max(2, int(0.11 * px_per_m)), _SKIN, -1)
    for eye in (2, 5):
        cv2.circle(img, pt(eye), max(1, int(0.012 * px_per_m)), (30, 30, 30), -1)
    cv2.line(img, pt(9), pt(10), (60, 60, 150), max(1, int(0.01 * px_per_m)))
    return img
