"""Synthetic people drawn as images, with OpenCV: smoke tests of the real pose model.

The skeleton, the camera and the motions are pure geometry in
:mod:`safeconduct.signals.synthetic`; this module only paints them, with an optional prop
(a held sign, a white cloth, a slung rifle, a box carried overhead). Nothing here is
footage.
"""

from __future__ import annotations

import numpy as np

from safeconduct.adapters.vision.pose import require_cv2
from safeconduct.signals import gestures as g
from safeconduct.signals.synthetic import ArmPose, Camera, skeleton

#: Flat colours (BGR) of skin, shirt, trousers and boots.
_SKIN, _CLOTH, _TROUSERS, _BOOTS = (140, 170, 210), (40, 80, 60), (60, 60, 40), (20, 20, 20)
#: Prop colours (BGR): a white sign or cloth, a dark rifle, a light-brown cardboard box
#: (saturated enough, HSV S about 115 of 255, not to read as white).
_WHITE, _RIFLE, _BOX = (245, 245, 245), (35, 38, 35), (110, 160, 200)

#: The props :func:`render` can draw.
PROPS = ("sign", "cloth", "rifle", "box")

SIGN_M = (0.6, 0.4)  # width, height of the held sign, metres
CLOTH_M = (0.4, 0.3)  # width, hanging length of the cloth, metres
RIFLE_M = 1.0  # rifle length, metres
BOX_M = 0.4  # edge of the cube-shaped box, metres


def camera_position(camera: Camera) -> np.ndarray:
    """Where ``camera`` is, in the body frame (metres): the geometry of ``Camera.project``."""
    e, y = np.radians(camera.elevation_deg), np.radians(camera.yaw_deg)
    target = np.array([0.0, 0.0, 1.0])
    return target + camera.distance_m * np.array(
        [np.sin(y) * np.cos(e), np.cos(y) * np.cos(e), np.sin(e)]
    )


def _between_hands(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a prop held in both hands sits, in the body frame (metres).

    Returns ``(centre, across, up)`` in the body frame: ``across`` points from the left
    hand to the right one, ``up`` is world-up made perpendicular to it.
    """
    lh, rh = joints[19], joints[20]  # index fingers: the hands' grip
    centre = (lh + rh) / 2
    across = rh - lh
    n = float(np.linalg.norm(across))
    across = np.array([1.0, 0.0, 0.0]) if n < 1e-6 else across / n
    up = np.array([0.0, 0.0, 1.0]) - across[2] * across
    up /= np.linalg.norm(up)
    return centre, across, up


def _prop_parts(
    prop: str, joints: np.ndarray
) -> list[tuple[np.ndarray, tuple[int, int, int], str]]:
    """The prop as 3-D parts: ``(points (n, 3) metres, BGR colour, "poly"|"line:<width_m>")``."""
    if prop == "sign":
        c, a, u = _between_hands(joints)
        w, h = SIGN_M[0] / 2, SIGN_M[1] / 2
        quad = np.array(
            [c - w * a + h * u, c + w * a + h * u, c + w * a - h * u, c - w * a - h * u]
        )
        return [(quad, _WHITE, "poly")]
    if prop == "cloth":
        top = joints[20]  # hanging from the right hand
        a = np.array([1.0, 0.0, 0.0])
        down = np.array([0.0, 0.0, -CLOTH_M[1]])
        w = CLOTH_M[0] / 2
        quad = np.array([top - w * a, top + w * a, top + w * a + down, top - w * a + down])
        return [(quad, _WHITE, "poly")]
    if prop == "rifle":
        # Slung across the back, muzzle up over the left shoulder, stock at the right hip.
        back = np.array([0.0, -0.15, 0.0])
        muzzle = joints[g.L_SHOULDER] + back + np.array([-0.12, 0.0, 0.35])
        stock = joints[g.R_HIP] + back + np.array([0.12, 0.0, -0.05])
        axis = (muzzle - stock) / np.linalg.norm(muzzle - stock)
        muzzle = stock + RIFLE_M * axis
        butt = stock + 0.3 * axis
        return [
            (np.array([stock, muzzle]), _RIFLE, "line:0.035"),
            (np.array([stock, butt]), _RIFLE, "line:0.08"),  # the stock is thicker
        ]
    if prop == "box":
        c, a, u = _between_hands(joints)
        f = np.cross(u, a)
        s = BOX_M / 2
        corners = {
            (i, j, k): c + i * s * a + j * s * f + k * s * u
            for i in (-1, 1)
            for j in (-1, 1)
            for k in (-1, 1)
        }
        faces = []
        for axis in range(3):
            for sgn in (-1, 1):
                keys = [key for key in corners if key[axis] == sgn]
                # Order the face's four corners around its edge.
                others = [ax for ax in range(3) if ax != axis]
                keys.sort(key=lambda key: np.arctan2(key[others[1]], key[others[0]]))
                shade = 1.0 - 0.12 * axis  # faces differ a little, like lit cardboard
                colour = tuple(int(ch * shade) for ch in _BOX)
                faces.append((np.array([corners[key] for key in keys]), colour, "poly"))
        return faces  # type: ignore[return-value]
    raise ValueError(f"prop must be one of {', '.join(PROPS)} or None, not {prop!r}")


def render(
    pose: ArmPose,
    camera: Camera,
    background: tuple[int, int, int] = (80, 120, 100),
    prop: str | None = None,
    *,
    shirt: tuple[int, int, int] = _CLOTH,
) -> np.ndarray:
    """A BGR image of the skeleton drawn as a flat-shaded figure, with an optional prop.

    Limbs are thick lines of plausible widths, drawn far-to-near only roughly (legs,
    torso, arms, head), so it is a cartoon: good enough for BlazePose to find at moderate
    sizes, not a stand-in for real people. A prop is built in 3-D in the body frame and
    projected with ``camera.project``, so it foreshortens with the view; its parts are
    drawn before the figure when behind the body's frontal plane as the camera sees it,
    after it when in front (farthest first within each group), and the hands are drawn
    again on top of a held sign or box (they grip it).

    Parameters
    ----------
    pose
        Arm angles and kneeling (see :data:`safeconduct.signals.synthetic.ArmPose`).
    camera
        The viewpoint; the image is ``camera.height`` x ``camera.width`` pixels.
    background
        Plain background colour, BGR 0-255.
    prop
        None, or one of :data:`PROPS`: ``"sign"`` a white 0.6 x 0.4 m rectangle held between
        both hands; ``"cloth"`` a white 0.4 x 0.3 m cloth hanging from the right hand;
        ``"rifle"`` a dark 1 m rifle slung diagonally across the back; ``"box"`` a
        light-brown 0.4 m box held between the hands (carried overhead with arms up).
    shirt
        Shirt and sleeve colour, BGR 0-255 (a white shirt is a sign's look-alike).

    Raises
    ------
    MissingExtraError
        If OpenCV is not installed.
    ValueError
        If ``prop`` is not one of :data:`PROPS`.
    """
    cv2 = require_cv2()
    joints = skeleton(pose)
    parts = [] if prop is None else _prop_parts(prop, joints)
    xy = camera.project(joints)
    img = np.full((camera.height, camera.width, 3), background, np.uint8)
    px_per_m = camera.person_px / 1.75
    eye = camera_position(camera)
    # The body's frontal plane (through the torso's centre, normal forwards) splits the
    # props into those behind the figure (a slung rifle) and those in front of it.
    centre = (joints[g.L_SHOULDER] + joints[g.R_HIP]) / 2
    eye_side = float(eye[1] - centre[1])

    def pt(i: int) -> tuple[int, int]:
        return int(xy[i, 0]), int(xy[i, 1])

    def limb(a: int, b: int, width_m: float, color: tuple[int, int, int]) -> None:
        cv2.line(img, pt(a), pt(b), color, max(1, int(width_m * px_per_m)), cv2.LINE_AA)

    def draw_parts(near: bool) -> None:
        # Farthest first within the group, so a box's hidden faces are painted over.
        group = []
        for pts, colour, kind in parts:
            depth = float(np.mean(np.linalg.norm(pts - eye, axis=1)))
            in_front = bool((float(np.mean(pts[:, 1])) - centre[1]) * eye_side > 0)
            if in_front is near:
                group.append((depth, pts, colour, kind))
        for _, pts, colour, kind in sorted(group, key=lambda p: -p[0]):
            uv = np.round(camera.project(pts)).astype(np.int32)
            if kind == "poly":
                cv2.fillConvexPoly(img, uv, colour, cv2.LINE_AA)
            else:
                width = max(1, int(float(kind.split(":")[1]) * px_per_m))
                cv2.line(img, tuple(uv[0]), tuple(uv[1]), colour, width, cv2.LINE_AA)

    draw_parts(near=False)
    for a, b, w in ((g.L_HIP, g.L_KNEE, 0.15), (g.L_KNEE, g.L_ANKLE, 0.12),
                    (g.R_HIP, g.R_KNEE, 0.15), (g.R_KNEE, g.R_ANKLE, 0.12)):  # fmt: skip
        limb(a, b, w, _TROUSERS)
    limb(29, 31, 0.08, _BOOTS)
    limb(30, 32, 0.08, _BOOTS)
    torso = np.array([xy[g.L_SHOULDER], xy[g.R_SHOULDER], xy[g.R_HIP], xy[g.L_HIP]], np.int32)
    cv2.fillConvexPoly(img, torso, shirt, cv2.LINE_AA)
    limb(g.L_SHOULDER, g.R_SHOULDER, 0.12, shirt)
    limb(g.L_HIP, g.R_HIP, 0.14, _TROUSERS)
    for a, b, w in ((g.L_SHOULDER, g.L_ELBOW, 0.10), (g.L_ELBOW, g.L_WRIST, 0.08),
                    (g.R_SHOULDER, g.R_ELBOW, 0.10), (g.R_ELBOW, g.R_WRIST, 0.08)):  # fmt: skip
        limb(a, b, w, shirt)
    limb(g.L_WRIST, 19, 0.07, _SKIN)
    limb(g.R_WRIST, 20, 0.07, _SKIN)
    neck = ((xy[g.L_SHOULDER] + xy[g.R_SHOULDER]) / 2).astype(int)
    cv2.line(img, (int(neck[0]), int(neck[1])), pt(0), _SKIN, max(1, int(0.09 * px_per_m)))
    head = (xy[7] + xy[8]) / 2
    cv2.circle(img, (int(head[0]), int(head[1])), max(2, int(0.11 * px_per_m)), _SKIN, -1)
    for eye_idx in (2, 5):
        cv2.circle(img, pt(eye_idx), max(1, int(0.012 * px_per_m)), (30, 30, 30), -1)
    cv2.line(img, pt(9), pt(10), (60, 60, 150), max(1, int(0.01 * px_per_m)))
    draw_parts(near=True)
    if prop in ("sign", "box"):
        limb(g.L_WRIST, 19, 0.07, _SKIN)  # the hands grip the prop: always on top
        limb(g.R_WRIST, 20, 0.07, _SKIN)
    return img
