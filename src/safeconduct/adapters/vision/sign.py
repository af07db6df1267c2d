"""A held sign or a taut white cloth between two hands, judged in one frame (OpenCV).

The question :func:`sign_between` answers is narrow on purpose: is there a bright,
low-saturation (white-ish) region, roughly rectangular, of a sign's size relative to the
person, lying between and filling the space between the two wrists? The detector
(:mod:`safeconduct.signals.detector`) then asks for that over a hold with both arms
raised. Everything here is in pixels of the frame; sizes are scaled by the person's
torso size in pixels (``torso_px``: the classifier's ``max(torso length, 1.2 shoulder
widths)``, about 0.5 m), so the same rule holds for a person 60 or 600 pixels tall.

What it refuses, and why:

* a white background or sky: the white region runs out of the search window around the
  hands (it is not bounded there), so it is not an object held between them;
* a white shirt or sleeves: thin limbs are opened away (morphological openings of 0.2,
  then 0.32 torso sizes) and the shirt runs out of the window's lower edge;
* a brown box or any coloured object: not low-saturation;
* hands apart with nothing between them: the space between the wrists is not filled.

Measured on rendered figures with both arms up (elevation 0-60 degrees, people 30-240 px
tall, yaw up to 60 degrees either way, 5 yaws a cell). With the skeleton's exact
landmarks: a held sign is seen in 172 of 175 cases, 18 of 35 at 75 degrees; false
positives: none of 210 without a prop, with a box, a rifle or on a white background,
2 of 210 with a white shirt. With BlazePose Full's landmarks (one static 256 px crop per
frame, 0-60 degrees, yaw 0/±30): 22 of 22 judged at 120-240 px up to 45 degrees, 2 of 4
at 60, 5 of 13 at 60 px (the model's wrists stray); none of 166 look-alike frames (no
prop, box, white shirt, white background).

Limits: a white sign in front of a white or very bright background merges with it and is
missed; a sign in front of a white shirt is missed about a third of the time (the sleeves
join them); a sign held edge-on to the camera is too thin to be seen; a white cloth held
at one hand can pass for a sign when the view puts it between the hands (it is a white
flag too); image-up is taken as the person's up (little camera roll); the test knows
nothing of the body, so a white shirt between the hands of a small person with arms out
can pass (the detector also asks for raised arms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from safeconduct.adapters.vision.pose import require_cv2


@dataclass(frozen=True)
class SignThresholds:
    """What counts as a held sign; lengths in torso sizes, colours in OpenCV's HSV (0-255).

    ``min_value``/``max_saturation``: white-ish pixels (the idea of ``bright_patch``, a
    little looser for a sign in shade). ``min_span``/``max_span``: wrists at least / at
    most this far apart (a 0.6 m sign held at its edges: about 1.1 torso sizes).
    ``margin_along``/``margin_above``/``margin_below``: the search window extends this far
    beyond the wrists along their line, above it and below it (image-up is taken as the
    person's up: a camera with little roll; more room above, where a sign is held).
    ``min_area``/``max_area``: the white region's area (torso sizes squared; a 0.6 x 0.4 m
    sign faced square-on is about 1).
    ``min_solidity``/``min_quad_fit``: its shape (see :func:`_shape`; a sign in perspective
    is a four-sided convex region, not a rectangle).
    ``min_fill``: the share of the strip between the wrists (``fill_half_width`` either
    side of a line parallel to theirs, the middle ``fill_middle`` of their distance, the
    line moved up by at most ``fill_max_offset`` or down by ``fill_max_drop``) it covers
    at best.
    ``open_fracs``: the openings' kernels, torso sizes, tried in turn.
    """

    min_value: int = 175
    max_saturation: int = 60
    min_span: float = 0.5
    max_span: float = 3.0
    margin_along: float = 0.6
    margin_above: float = 1.8
    margin_below: float = 1.2
    min_area: float = 0.2
    max_area: float = 4.0
    min_solidity: float = 0.7
    min_quad_fit: float = 0.9
    min_fill: float = 0.6
    fill_half_width: float = 0.15
    fill_middle: float = 0.6
    fill_max_offset: float = 0.6
    fill_max_drop: float = 0.2
    open_fracs: tuple[float, ...] = (0.2, 0.32)


def sign_between(
    frame: np.ndarray,
    left_wrist: tuple[float, float],
    right_wrist: tuple[float, float],
    torso_px: float,
    thresholds: SignThresholds = SignThresholds(),
) -> bool:
    """Whether a white-ish, roughly rectangular region is held between the two wrists.

    Parameters
    ----------
    frame
        BGR image, ``(height, width, 3)`` uint8.
    left_wrist, right_wrist
        Wrist positions ``(x, y)`` in pixels of ``frame`` (x to the right, y downwards).
    torso_px
        The person's torso size in pixels; every length threshold is a multiple of it.
    thresholds
        What counts as a sign (see :class:`SignThresholds`).

    Returns
    -------
    bool
        True when one white connected region, after opening, lies inside the search
        window around the wrists without touching its edge, is of a sign's size and
        shape (four-sided), and covers at least ``min_fill`` of the strip between the wrists.
    """
    th = thresholds
    if not torso_px or not np.isfinite(torso_px) or torso_px <= 0:
        return False
    lw, rw = np.asarray(left_wrist, float), np.asarray(right_wrist, float)
    if not (np.all(np.isfinite(lw)) and np.all(np.isfinite(rw))):
        return False
    span = float(np.linalg.norm(rw - lw))
    if not th.min_span * torso_px <= span <= th.max_span * torso_px:
        return False
    cv2 = require_cv2()
    along = (rw - lw) / span
    across = np.array([-along[1], along[0]])
    mid = (lw + rw) / 2

    # Image-up is taken as the person's up (a camera with little roll): ``up`` is the unit
    # normal to the wrists' line that points up the image.
    up = across if across[1] <= 0 else -across

    # The search window: the wrists' segment grown along it, and above and below it, as a
    # rotated box; everything is measured in its axis-aligned bounding crop with a mask.
    half_along = span / 2 + th.margin_along * torso_px
    above, below = th.margin_above * torso_px, th.margin_below * torso_px
    corners = np.array(
        [mid + sa * half_along * along + d * up
         for sa, d in ((-1, -below), (1, -below), (1, above), (-1, above))]
    )  # fmt: skip
    h, w = frame.shape[:2]
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if cx1 - cx0 < 3 or cy1 - cy0 < 3:
        return False
    crop = frame[cy0:cy1, cx0:cx1]
    window = np.zeros(crop.shape[:2], np.uint8)
    cv2.fillConvexPoly(window, np.round(corners - [cx0, cy0]).astype(np.int32), 1)

    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    white = ((hsv[..., 2] >= th.min_value) & (hsv[..., 1] <= th.max_saturation)).astype(np.uint8)

    # The window's rim (and the frame's edge, which bounds nothing): a region reaching it
    # is not bounded there, e.g. the background, the sky, a shirt continuing below.
    inside = cv2.erode(window, np.ones((3, 3), np.uint8))
    rim = (window > 0) & (inside == 0)
    for edge in (rim[0], rim[-1], rim[:, 0], rim[:, -1]):
        edge |= True
    rim &= window > 0

    # The strip between the wrists that a held sign must fill: the middle of their span,
    # ``fill_half_width`` either side of a line parallel to theirs. Held by its lower edge
    # (the sign above the hands), or with the pose model's wrists placed below the hands
    # (BlazePose Full did that at 45 degrees), the sign is not centred on the wrists'
    # line: the strip slides, and the best fill counts. Not far down: the body is there.
    ys, xs = np.mgrid[cy0:cy1, cx0:cx1]
    rel_x, rel_y = xs - mid[0], ys - mid[1]
    middle = np.abs(rel_x * along[0] + rel_y * along[1]) <= th.fill_middle * span / 2
    offset_px = rel_x * up[0] + rel_y * up[1]
    sw = th.fill_half_width * torso_px
    strip_px = th.fill_middle * span * 2 * sw
    hi, lo = th.fill_max_offset * torso_px, th.fill_max_drop * torso_px
    step = max(0.5, sw / 2)
    centres = np.arange(-lo, hi + step, step)

    def fill(region: np.ndarray) -> float:
        """The region's best share of a strip between the wrists."""
        off = np.sort(offset_px[region & middle])
        inside = np.searchsorted(off, centres + sw, "right") - np.searchsorted(off, centres - sw)
        return float(inside.max()) / strip_px if strip_px > 0 else 0.0

    # Opened at each size in turn: the smaller keeps a thin, foreshortened sign; the larger
    # cuts it from white sleeves that join it to a white shirt.
    for frac in th.open_fracs:
        k = max(1, round(frac * torso_px))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        opened = cv2.morphologyEx(white, cv2.MORPH_OPEN, kernel)
        if _bounded_quad_between(cv2, opened & window, rim, fill, torso_px, th):
            return True
    return False


def _bounded_quad_between(
    cv2: Any,
    white: np.ndarray,
    rim: np.ndarray,
    fill: Callable[[np.ndarray], float],
    torso_px: float,
    th: SignThresholds,
) -> bool:
    """Whether one white region avoids the rim, has a sign's size and shape, fills the strip."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(white, connectivity=8)
    touching = set(np.unique(labels[rim]).tolist())
    area_lo, area_hi = th.min_area * torso_px**2, th.max_area * torso_px**2
    for label in range(1, n):
        if label in touching:
            continue
        area = float(stats[label, cv2.CC_STAT_AREA])
        if not area_lo <= area <= area_hi:
            continue
        region = labels == label
        if fill(region) < th.min_fill:
            continue
        solidity, quad_fit = _shape(cv2, region)
        if solidity >= th.min_solidity and quad_fit >= th.min_quad_fit:
            return True
    return False


def _shape(cv2: Any, region: np.ndarray) -> tuple[float, float]:
    """``(solidity, quad_fit)`` of a region, each 0-1.

    A rectangle seen in perspective is a convex quadrilateral (a trapezium, or a sheared
    parallelogram at a yaw), not a rectangle, so the shape is not compared with the
    minimum-area rectangle. ``solidity``: the region's pixels over its convex hull's (hands
    notching a sign's sides cost a little; an L-shape or a blob with bays a lot).
    ``quad_fit``: the hull's area over that of a quadrilateral around it, found by cutting
    the hull down to four corners, repeatedly dropping the side whose neighbours, extended
    to meet, add the least area. Measured on rendered signs held up by people 60-240 px
    tall at 0-60 degrees elevation: solidity 0.80 or more, quad fit 0.96 or more; a disc or
    an ellipse fits a quadrilateral at 0.73-0.84 however small, an L-shape has solidity 0.6.
    Areas are in pixels; the hull runs through the boundary pixels' centres, so polygons are
    grown by half a pixel all round (a small sign is mostly edge).
    """
    contours, _ = cv2.findContours(
        region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
    )
    outline = max(contours, key=len)
    hull = cv2.convexHull(outline)
    if len(hull) > 24:  # within half a pixel of a long hull: far fewer corners to cut
        hull = cv2.approxPolyDP(hull, 0.5, True)
    hull = hull.reshape(-1, 2).astype(float)
    if len(hull) < 4:
        return 0.0, 0.0
    quad = _enclosing_quad(hull)
    if quad is None:
        return 0.0, 0.0
    hull_px = _pixel_area(hull)
    return float(np.count_nonzero(region)) / hull_px, hull_px / _pixel_area(quad)


def _pixel_area(poly: np.ndarray) -> float:
    """Area of a polygon through pixel centres, grown by half a pixel all round, pixels."""
    x, y = poly[:, 0], poly[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
    perimeter = float(np.sum(np.linalg.norm(poly - np.roll(poly, 1, axis=0), axis=1)))
    return area + 0.5 * perimeter + 1.0


def _enclosing_quad(poly: np.ndarray) -> np.ndarray | None:
    """A four-cornered convex polygon around the convex ``poly`` (``(n, 2)``), or None."""
    pts = [(float(x), float(y)) for x, y in poly]

    def cross(ux: float, uy: float, vx: float, vy: float) -> float:
        return ux * vy - uy * vx

    while len(pts) > 4:
        n = len(pts)
        best, best_area, best_x = -1, float("inf"), (0.0, 0.0)
        for i in range(n):
            (ax, ay), (bx, by) = pts[i - 1], pts[i]
            (cx, cy), (dx, dy) = pts[(i + 1) % n], pts[(i + 2) % n]
            # Extend edges a->b and d->c until they meet at x, replacing b and c.
            ux, uy, vx, vy = bx - ax, by - ay, cx - dx, cy - dy
            den = cross(ux, uy, vx, vy)
            if abs(den) < 1e-12:
                continue
            s = cross(dx - ax, dy - ay, vx, vy) / den
            t = cross(dx - ax, dy - ay, ux, uy) / den
            if s < 1.0 or t < 1.0:  # they meet behind the edge: not a corner to restore
                continue
            x = (ax + s * ux, ay + s * uy)
            added = 0.5 * abs(cross(cx - bx, cy - by, x[0] - bx, x[1] - by))
            if added < best_area:
                best, best_area, best_x = i, added, x
        if best < 0:
            return None
        pts[best] = best_x
        del pts[(best + 1) % n]
    return np.array(pts)
