"""Per-person arm and body states from keypoints (pure geometry, no I/O).

Keypoints follow BlazePose's 33-landmark indexing (mediapipe ``solutions.pose``). Every
length is divided by the person's torso size, so the thresholds hold for a person 60 or
600 pixels tall.

Two geometries, one rule (:func:`classify_arm`):

* **world** (preferred): BlazePose's metric world landmarks, measured against world-up
  given in the camera's axes (:func:`safeconduct.signals.view.up_in_camera`): a wrist's
  height above its shoulder is that of a straight arm pointing from the shoulder to the
  wrist (its angle above the horizontal, in torso lengths: :data:`ARM_REACH`), and its
  distance out is metric, along the horizontal shoulder line, in shoulder widths. "Arms
  up" then means above the head in the world, whatever the camera's elevation; the
  model's own torso axis is never trusted for "up" (from above it often leans the wrong
  way). The thresholds loosen between a level and a steep view (:func:`world_thresholds`),
  because the model's depth, which carries most of world-up when the camera looks down,
  is poorest there.
* **image** (fallback, no world landmarks or no camera elevation): the 2-D skeleton,
  measured in the body's own frame (the hip-to-shoulder axis) rather than the image's,
  so a tilted camera or a leaning person still reads right.

A state that cannot be judged (keypoints missing or below the visibility threshold) is
``UNKNOWN``; the classifier never guesses. :class:`GestureClassifier` adds hysteresis:
entering a state needs a clearer pose than staying in it, so a person holding their arms
near a threshold does not flicker between states.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

# BlazePose landmark indices.
NOSE = 0
FACE = tuple(range(0, 11))  # nose, eyes, ears, mouth
L_SHOULDER, R_SHOULDER = 11, 12
L_ELBOW, R_ELBOW = 13, 14
L_WRIST, R_WRIST = 15, 16
L_HIP, R_HIP = 23, 24
L_KNEE, R_KNEE = 25, 26
L_ANKLE, R_ANKLE = 27, 28
N_LANDMARKS = 33

#: Skeleton edges drawn on annotated video.
SKELETON_EDGES = (
    (L_SHOULDER, R_SHOULDER), (L_SHOULDER, L_ELBOW), (L_ELBOW, L_WRIST),
    (R_SHOULDER, R_ELBOW), (R_ELBOW, R_WRIST), (L_SHOULDER, L_HIP), (R_SHOULDER, R_HIP),
    (L_HIP, R_HIP), (L_HIP, L_KNEE), (L_KNEE, L_ANKLE), (R_HIP, R_KNEE), (R_KNEE, R_ANKLE),
)  # fmt: skip

#: Landmarks below this visibility (mediapipe's 0-1 score) count as missing.
DEFAULT_MIN_VISIBILITY = 0.5


class ArmState(enum.Enum):
    """State of one arm."""

    DOWN = "down"
    UP = "up"
    OUT = "out"  # out to the side, roughly horizontal
    OTHER = "other"  # judged, but none of the above (e.g. hand at the chest, mid-swing)
    UNKNOWN = "unknown"


class ArmsState(enum.Enum):
    """State of both arms together."""

    DOWN = "down"
    UP = "up"
    OUT = "out"
    MIXED = "mixed"  # judged, but the arms disagree (one raised, waving, mid-transition)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Keypoints:
    """One person's landmarks in one image.

    Parameters
    ----------
    xy
        ``(33, 2)`` image coordinates in pixels (x to the right, y downwards).
    visibility
        ``(33,)`` scores in 0-1; NaN coordinates also count as missing.
    world
        ``(33, 3)`` metric landmarks in metres, or None when the model gives none:
        BlazePose's world landmarks, origin between the hips, axes those of the camera
        (x to the image's right, y to the image's bottom, z away from the camera). Turned
        upright by the camera's elevation they say where the wrists are in the world.
    """

    xy: np.ndarray
    visibility: np.ndarray
    world: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.xy.shape != (N_LANDMARKS, 2) or self.visibility.shape != (N_LANDMARKS,):
            raise ValueError("Keypoints need xy of shape (33, 2) and visibility of shape (33,)")
        if self.world is not None and self.world.shape != (N_LANDMARKS, 3):
            raise ValueError("Keypoints need world of shape (33, 3) or None")

    def shifted(self, dx: float, dy: float) -> Keypoints:
        """The same landmarks moved by ``(dx, dy)`` pixels (a crop back into its frame)."""
        return Keypoints(self.xy + np.array([dx, dy]), self.visibility, self.world)

    def visible(self, idx: int, min_visibility: float = DEFAULT_MIN_VISIBILITY) -> bool:
        """Whether landmark ``idx`` is present and visible enough to use."""
        return bool(self.visibility[idx] >= min_visibility and np.all(np.isfinite(self.xy[idx])))

    def bbox(self, min_visibility: float = DEFAULT_MIN_VISIBILITY) -> tuple[float, ...] | None:
        """``(x0, y0, x1, y1)`` in pixels around the visible landmarks, or None."""
        ok = (self.visibility >= min_visibility) & np.all(np.isfinite(self.xy), axis=1)
        if not ok.any():
            return None
        pts = self.xy[ok]
        return (
            float(pts[:, 0].min()), float(pts[:, 1].min()),
            float(pts[:, 0].max()), float(pts[:, 1].max()),
        )  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    """Geometry thresholds with separate enter and stay values.

    Heights are in torso lengths (shoulders to hips, about 0.5 m; a straight arm is about
    1.15), sideways distances in shoulder widths (about 0.38 m; a straight arm is about 1.5).
    ``up``: the wrist is at least this far above its shoulder (0.6: a straight arm more
    than about 30 degrees above horizontal in the torso's plane; an arm raised forwards,
    seen from above, looks lower, hence the margin). ``out``: the wrist is at least this
    far out (0.7 shoulder widths) and within ``out_band`` of shoulder height (0.5: about
    25 degrees). ``down``: at least this far
    below. ``kneel``: a knee at most this far above its ankle (standing: about 0.85).
    The ``*_stay`` values are looser: they only keep a state already entered.
    """

    up_enter: float = 0.6
    up_stay: float = 0.45
    out_enter: float = 0.7
    out_stay: float = 0.5
    out_band_enter: float = 0.5
    out_band_stay: float = 0.6
    down_enter: float = 0.6
    down_stay: float = 0.45
    kneel_enter: float = 0.35
    kneel_stay: float = 0.5


#: A straight arm's reach from the shoulder to the wrist, torso lengths. The world rules
#: measure a wrist's height as that of a straight arm pointing from the shoulder towards
#: the wrist (``ARM_REACH`` times the sine of its angle above the horizontal), so heights
#: keep the 2-D meaning without dividing by the model's own bone lengths, which shrink
#: along the viewing ray at steep views (the world torso read 0.53 m level, 0.43 m at 60
#: degrees, on the rendered figure).
ARM_REACH = 1.15

#: World-frame thresholds for a level view (camera elevation up to 30 degrees). Chosen on
#: the rendered figure through BlazePose Full and Heavy (crops upscaled to 256 px, 0-30
#: degrees): the shoulder-to-wrist direction of raised arms is 45-85 degrees above the
#: horizontal, of arms out -35..+30 degrees, so "up" from about 34 degrees (0.65) and a
#: band of about 37 degrees (0.7) for "out".
WORLD_LEVEL = Thresholds(up_enter=0.65, up_stay=0.5, out_band_enter=0.7, out_band_stay=0.8)
#: World-frame thresholds for a steep view (60 degrees and more). Measured the same way at
#: 60 degrees, BlazePose's depth errors spread the directions: raised arms 30-80 degrees
#: (5th-95th percentile, Full), arms out -20..+30 degrees (the sideways extent stays 1.1-1.7
#: shoulder widths: it is not foreshortened for a person facing the camera), arms down
#: as high as -10 degrees, and arms stretched forwards up to 1.3 shoulder widths out. So:
#: "up" from about 29 degrees (0.55), "out" within about 31 degrees (0.6) and at least 0.9
#: shoulder widths out, "down" below about 15 degrees (0.3).
WORLD_STEEP = Thresholds(
    up_enter=0.55,
    up_stay=0.45,
    out_enter=0.9,
    out_stay=0.7,
    out_band_enter=0.6,
    out_band_stay=0.7,
    down_enter=0.3,
    down_stay=0.2,
)
#: Landmarks scored below this count as missing for the world rules (see GestureClassifier).
WORLD_MIN_VISIBILITY = 0.3
#: Kneeling needs the hips at least this far above the knees (torso lengths): 0.4 in the
#: image, 0.15 in the world, where BlazePose squashes a kneeling figure's thighs (hips
#: -0.35..+0.65 above the knees on the rendered figure at 0-30 degrees, standing
#: 0.45-0.77; kneeling is seldom recognised there either way). Sitting on the ground
#: (hips level with the knees) stays out.
KNEEL_HIP_ABOVE_KNEE, WORLD_KNEEL_HIP_ABOVE_KNEE = 0.4, 0.15
#: Camera elevations (degrees) between which the world thresholds go from level to steep.
WORLD_LEVEL_DEG, WORLD_STEEP_DEG = 30.0, 60.0


def world_thresholds(
    elevation_deg: float, level: Thresholds = WORLD_LEVEL, steep: Thresholds = WORLD_STEEP
) -> Thresholds:
    """World-frame thresholds for a view ``elevation_deg`` below the horizon (degrees).

    ``level`` up to 30 degrees, ``steep`` from 60, linearly in between.
    """
    span = WORLD_STEEP_DEG - WORLD_LEVEL_DEG
    t = float(np.clip((elevation_deg - WORLD_LEVEL_DEG) / span, 0.0, 1.0))
    if t in (0.0, 1.0):
        return level if t == 0.0 else steep
    return Thresholds(
        **{
            f.name: getattr(level, f.name) + t * (getattr(steep, f.name) - getattr(level, f.name))
            for f in fields(Thresholds)
        }
    )


@dataclass(frozen=True)
class PoseState:
    """What the classifier judged for one person in one frame.

    ``geometry`` says how: ``"world"`` (world landmarks against world-up) or ``"image"``
    (the 2-D skeleton in the body's frame).
    """

    arms: ArmsState
    left: ArmState
    right: ArmState
    kneeling: bool | None  # None: could not be judged
    torso_px: float | None  # torso size in pixels, None when unknown
    geometry: str = "image"


@dataclass(frozen=True)
class BodyFrame:
    """The body's own (affine) frame in the image.

    Coordinates are taken in the basis ``side`` (right shoulder to left shoulder) and
    ``up`` (mid-hips to mid-shoulders), both in pixels and generally not perpendicular.
    The signal's arm positions lie in the plane of the torso, and a camera maps that plane
    to the image almost affinely, so these coordinates hardly change with the camera's
    elevation or the person's yaw: the geometry is normalised by the torso itself.
    """

    up: np.ndarray  # mid-hips to mid-shoulders, pixels
    side: np.ndarray  # right shoulder to left shoulder, pixels
    scale: float  # torso size, pixels: max(torso length, 1.2 shoulder widths)

    def coords(self, rel: np.ndarray) -> tuple[float, float]:
        """``rel`` (pixels) as ``(shoulder widths towards the left, torso lengths up)``."""
        a, b = np.linalg.solve(np.column_stack([self.side, self.up]), rel)
        return float(a), float(b)


#: The torso must look at least this "square" (sine of the angle between the shoulder line
#: and the torso axis, and ratio of their lengths) to be judged; else side-on or overhead.
MIN_SKEW_SINE = 0.3
MIN_ASPECT = 0.2


def body_frame(kp: Keypoints, min_visibility: float = DEFAULT_MIN_VISIBILITY) -> BodyFrame | None:
    """The torso's frame, or None when shoulders or hips are missing or seen edge-on.

    A person seen from the side (shoulders overlap) or from straight above (the torso
    shrinks to a line) cannot be judged from 2-D keypoints: the result is None, which
    the classifier reports as unknown.
    """
    need = (L_SHOULDER, R_SHOULDER, L_HIP, R_HIP)
    if not all(kp.visible(i, min_visibility) for i in need):
        return None
    ls, rs, lh, rh = (kp.xy[i].astype(float) for i in need)
    up = (ls + rs) / 2 - (lh + rh) / 2
    side = ls - rs
    torso_len, shoulder_w = float(np.hypot(*up)), float(np.hypot(*side))
    if torso_len <= 1e-6 or shoulder_w <= 1e-6:
        return None
    if min(torso_len / shoulder_w, shoulder_w / torso_len) < MIN_ASPECT:
        return None
    if abs(float(np.cross(side, up))) / (torso_len * shoulder_w) < MIN_SKEW_SINE:
        return None
    return BodyFrame(up=up, side=side, scale=max(torso_len, 1.2 * shoulder_w))


def _torso_px(kp: Keypoints, min_visibility: float) -> float | None:
    """Torso size in pixels without the 2-D frame's squareness checks (world geometry)."""
    need = (L_SHOULDER, R_SHOULDER, L_HIP, R_HIP)
    if not all(kp.visible(i, min_visibility) for i in need):
        return None
    ls, rs, lh, rh = (kp.xy[i].astype(float) for i in need)
    size = max(float(np.hypot(*((ls + rs - lh - rh) / 2))), 1.2 * float(np.hypot(*(ls - rs))))
    return size if size > 1e-6 else None


@dataclass(frozen=True)
class WorldFrame:
    """A gravity-aligned frame on the person's world landmarks (metres, camera axes).

    ``up`` is the unit world-up, ``side`` the unit horizontal direction from the right
    shoulder to the left one (the shoulder line with its vertical part removed).
    Heights are measured along ``up`` in the person's own torso length (mid-hips to
    mid-shoulders, 3-D), sideways distances along ``side`` in the horizontal shoulder width.
    """

    up: np.ndarray
    side: np.ndarray
    torso_m: float
    shoulder_m: float

    def coords(self, rel: np.ndarray) -> tuple[float, float]:
        """``rel`` (metres) as ``(shoulder widths towards the left, torso lengths up)``."""
        return float(rel @ self.side) / self.shoulder_m, float(rel @ self.up) / self.torso_m


#: The horizontal shoulder width must be at least this fraction of the torso length: a
#: person lying on their side, or a bad fit, has no horizontal shoulder line to measure along.
MIN_WORLD_SHOULDER = 0.25


def world_frame(
    kp: Keypoints, up: np.ndarray, min_visibility: float = DEFAULT_MIN_VISIBILITY
) -> WorldFrame | None:
    """The gravity-aligned frame of ``kp.world``, or None when it cannot be built.

    Parameters
    ----------
    kp
        Landmarks with world landmarks (metres, camera axes: x right, y image-down,
        z away from the camera).
    up
        World-up in the same axes (normalised here).
    min_visibility
        Shoulders and hips below this visibility count as missing.

    Raises
    ------
    ValueError
        ``up`` is not a finite, non-zero 3-vector (a programming error).
    """
    if kp.world is None:
        return None
    need = (L_SHOULDER, R_SHOULDER, L_HIP, R_HIP)
    w = kp.world.astype(float)
    if not all(kp.visibility[i] >= min_visibility and np.all(np.isfinite(w[i])) for i in need):
        return None
    u = np.asarray(up, dtype=float)
    if u.shape != (3,) or not np.all(np.isfinite(u)) or np.linalg.norm(u) < 1e-9:
        raise ValueError("up must be a finite non-zero 3-vector")
    u = u / np.linalg.norm(u)
    ls, rs, lh, rh = (w[i] for i in need)
    torso_m = float(np.linalg.norm((ls + rs - lh - rh) / 2))
    side = ls - rs
    side_h = side - float(side @ u) * u
    shoulder_m = float(np.linalg.norm(side_h))
    if torso_m <= 1e-6 or shoulder_m < MIN_WORLD_SHOULDER * torso_m:
        return None
    return WorldFrame(up=u, side=side_h / shoulder_m, torso_m=torso_m, shoulder_m=shoulder_m)


def _world_arm_coords(
    world: np.ndarray, frame: WorldFrame, shoulder: int, wrist: int, outward: float
) -> tuple[float, float]:
    """Wrist relative to its shoulder in the world: (torso lengths up, shoulder widths out).

    The height is that of a straight arm of :data:`ARM_REACH` pointing at the wrist (the
    direction's angle, not the model's arm length, decides); the outward distance is
    metric, along the horizontal shoulder line.
    """
    rel = world[wrist] - world[shoulder]
    length = float(np.linalg.norm(rel))
    if length < 1e-9:
        return 0.0, 0.0
    a, _ = frame.coords(rel)
    return ARM_REACH * float(rel @ frame.up) / length, outward * a


def _arm_coords(
    kp: Keypoints, frame: BodyFrame, shoulder: int, wrist: int, outward: float
) -> tuple[float, float]:
    """Wrist relative to its shoulder: (torso lengths up, shoulder widths outwards)."""
    a, b = frame.coords(kp.xy[wrist].astype(float) - kp.xy[shoulder].astype(float))
    return b, outward * a


def classify_arm(
    height: float,
    outward: float,
    previous: ArmState,
    th: Thresholds = Thresholds(),
    *,
    out_after_up: bool = False,
) -> ArmState:
    """One arm's state from its wrist position (torso units), with hysteresis.

    Parameters
    ----------
    height
        Wrist height above the shoulder along the body axis (or world-up), torso lengths.
    outward
        Wrist distance out from the shoulder, away from the body, shoulder widths.
    previous
        The arm's state in the previous frame; its looser ``*_stay`` threshold applies.
    out_after_up
        An arm that was up and now meets the *entering* rule for "out" while below the
        entering height for "up" is out, although it is still above ``up_stay``. Used by
        the world rules at steep views, where the height band of "out" and the stay band
        of "up" overlap and the sideways extent is the better witness.
    """
    if (
        out_after_up
        and previous is ArmState.UP
        and height < th.up_enter
        and outward >= th.out_enter
        and abs(height) <= th.out_band_enter
    ):
        return ArmState.OUT
    if previous is ArmState.UP and height >= th.up_stay:
        return ArmState.UP
    if previous is ArmState.OUT and outward >= th.out_stay and abs(height) <= th.out_band_stay:
        return ArmState.OUT
    if previous is ArmState.DOWN and height <= -th.down_stay:
        return ArmState.DOWN
    if height >= th.up_enter:
        return ArmState.UP
    if outward >= th.out_enter and abs(height) <= th.out_band_enter:
        return ArmState.OUT
    if height <= -th.down_enter:
        return ArmState.DOWN
    return ArmState.OTHER


def combine_arms(left: ArmState, right: ArmState) -> ArmsState:
    """Both arms' state: agreed states pass through, any unknown arm makes it unknown."""
    if ArmState.UNKNOWN in (left, right):
        return ArmsState.UNKNOWN
    if left is right and left is not ArmState.OTHER:
        return ArmsState(left.value)
    return ArmsState.MIXED


class GestureClassifier:
    """Per-person state classifier with hysteresis; keep one instance per tracked person.

    A frame where a needed landmark is missing reports that part as unknown. The last
    judged state is remembered across up to ``memory_frames`` such frames, so that the
    hysteresis survives a flickering landmark; after a longer gap a state must be
    entered afresh.

    Parameters
    ----------
    thresholds
        Geometry thresholds of the image rules (torso lengths, shoulder widths).
    world_level, world_steep
        Thresholds of the world rules for a level and a steep view (see
        :func:`world_thresholds`).
    min_visibility
        Landmarks scored below this are treated as missing (image rules).
    world_min_visibility
        The same for the world rules. Lower: seen from above, a raised hand in front of
        the head is scored 0.2-0.5 by BlazePose although its world position is right
        (rendered figure at 45-60 degrees); below about 0.2 the positions are noise.
    memory_frames
        Frames of missing landmarks after which the history is forgotten.
    smoothing
        Weight of the newest frame in an exponential average of each landmark, image and
        world alike (1: none). Keypoint jitter, not motion, is what makes a pose flicker
        near a threshold.
    fill_frames
        A landmark missing for at most this many consecutive frames keeps its last
        position; longer, and it is missing (the state becomes unknown).
    """

    def __init__(
        self,
        thresholds: Thresholds = Thresholds(),
        min_visibility: float = DEFAULT_MIN_VISIBILITY,
        memory_frames: int = 8,
        smoothing: float = 0.5,
        fill_frames: int = 2,
        world_level: Thresholds = WORLD_LEVEL,
        world_steep: Thresholds = WORLD_STEEP,
        world_min_visibility: float = WORLD_MIN_VISIBILITY,
    ) -> None:
        self.smoothing = smoothing
        self.fill_frames = fill_frames
        self._missing = np.zeros(N_LANDMARKS, dtype=int)
        # Last smoothed landmarks: (33, 2) pixels, or (33, 5) pixels then world metres.
        self._pts: np.ndarray | None = None
        self.th = thresholds
        self.world_level, self.world_steep = world_level, world_steep
        self.min_visibility = min_visibility
        self.world_min_visibility = world_min_visibility
        self.memory_frames = memory_frames
        # Last judged state of each arm and its age in frames (for the hysteresis).
        self._last = {L_WRIST: ArmState.UNKNOWN, R_WRIST: ArmState.UNKNOWN}
        self._age = {L_WRIST: 0, R_WRIST: 0}
        self._kneeling: bool | None = None

    def _smooth(self, kp: Keypoints | None, min_visibility: float) -> Keypoints | None:
        """Average jitter away, and bridge a landmark missing for a frame or two."""
        if kp is None:
            return None
        # Image and world coordinates of a landmark are smoothed and filled together.
        pts = kp.xy.astype(float)
        if kp.world is not None:
            pts = np.hstack([pts, kp.world.astype(float)])
        vis = kp.visibility.astype(float)
        ok = np.all(np.isfinite(pts), axis=1) & (vis >= min_visibility)
        prev = self._pts
        if prev is not None and prev.shape[1] > pts.shape[1]:
            prev = prev[:, : pts.shape[1]]  # world landmarks gone: smooth the image part
        if prev is not None and prev.shape == pts.shape:
            prev_ok = np.all(np.isfinite(prev), axis=1)
            mix = ok & prev_ok
            pts[mix] = self.smoothing * pts[mix] + (1 - self.smoothing) * prev[mix]
            # A landmark lost for at most fill_frames keeps its last position: a single
            # dropped wrist should not turn a held pose into "unknown".
            fill = ~ok & prev_ok & (self._missing < self.fill_frames)
            pts[fill] = prev[fill]
            vis[fill] = max(min_visibility, self.min_visibility)
            self._missing = np.where(ok, 0, self._missing + 1)
            ok = ok | fill
        else:
            self._missing = np.where(ok, 0, 1)
        self._pts = np.where(ok[:, None], pts, np.nan)
        world = pts[:, 2:] if kp.world is not None else None
        return Keypoints(xy=pts[:, :2], visibility=vis, world=world)

    def _previous(self, wrist: int) -> ArmState:
        return self._last[wrist] if self._age[wrist] <= self.memory_frames else ArmState.UNKNOWN

    def update(self, kp: Keypoints | None, up: np.ndarray | None = None) -> PoseState:
        """Classify one frame; ``None`` (person not seen) yields all-unknown.

        Parameters
        ----------
        kp
            The person's landmarks, or None.
        up
            Unit world-up in the camera's axes (x right, y image-down, z forwards), e.g.
            :func:`safeconduct.signals.view.up_in_camera` of the ray's elevation. With it
            and ``kp.world`` the world rules judge (``geometry == "world"``); otherwise, or
            when the world torso cannot be measured, the image rules do.
        """
        world = kp is not None and kp.world is not None and up is not None
        kp = self._smooth(kp, self.world_min_visibility if world else self.min_visibility)
        if kp is not None and kp.world is not None and up is not None:
            wframe = world_frame(kp, up, self.world_min_visibility)
            if wframe is not None:
                return self._update_world(kp, wframe)
        frame = body_frame(kp, self.min_visibility) if kp is not None else None
        arms = {}
        for wrist, shoulder, outward in ((L_WRIST, L_SHOULDER, 1.0), (R_WRIST, R_SHOULDER, -1.0)):
            self._age[wrist] += 1
            if kp is None or frame is None or not kp.visible(wrist, self.min_visibility):
                arms[wrist] = ArmState.UNKNOWN
                continue
            height, out = _arm_coords(kp, frame, shoulder, wrist, outward)
            arms[wrist] = classify_arm(height, out, self._previous(wrist), self.th)
            self._last[wrist], self._age[wrist] = arms[wrist], 0
        if kp is None or frame is None:
            return PoseState(ArmsState.UNKNOWN, ArmState.UNKNOWN, ArmState.UNKNOWN, None, None)
        kneeling = self._kneel(kp, frame.coords, kp.xy, self.min_visibility, KNEEL_HIP_ABOVE_KNEE)
        left, right = arms[L_WRIST], arms[R_WRIST]
        return PoseState(combine_arms(left, right), left, right, kneeling, frame.scale)

    def _update_world(self, kp: Keypoints, frame: WorldFrame) -> PoseState:
        assert kp.world is not None
        world = kp.world
        elevation = float(np.degrees(np.arcsin(np.clip(-frame.up[2], -1.0, 1.0))))
        th = world_thresholds(elevation, self.world_level, self.world_steep)
        arms = {}
        for wrist, shoulder, outward in ((L_WRIST, L_SHOULDER, 1.0), (R_WRIST, R_SHOULDER, -1.0)):
            self._age[wrist] += 1
            seen = kp.visibility[wrist] >= self.world_min_visibility
            if not (seen and np.all(np.isfinite(world[wrist]))):
                arms[wrist] = ArmState.UNKNOWN
                continue
            height, out = _world_arm_coords(world, frame, shoulder, wrist, outward)
            arms[wrist] = classify_arm(height, out, self._previous(wrist), th, out_after_up=True)
            self._last[wrist], self._age[wrist] = arms[wrist], 0
        kneeling = self._kneel(
            kp, frame.coords, world, self.world_min_visibility, WORLD_KNEEL_HIP_ABOVE_KNEE
        )
        left, right = arms[L_WRIST], arms[R_WRIST]
        return PoseState(
            combine_arms(left, right),
            left,
            right,
            kneeling,
            _torso_px(kp, self.world_min_visibility),
            geometry="world",
        )

    def _kneel(
        self,
        kp: Keypoints,
        coords: Callable[[np.ndarray], tuple[float, float]],
        pts: np.ndarray,
        min_visibility: float,
        min_hip_above_knee: float,
    ) -> bool | None:
        # Kneeling: knees down near the ankles (shins on the ground) while the hips stay
        # well above the knees (not sitting or lying). ``coords`` gives (sideways, torso
        # lengths up) of a difference of ``pts`` (image pixels or world metres).
        gaps = []
        for hip, knee, ankle in ((L_HIP, L_KNEE, L_ANKLE), (R_HIP, R_KNEE, R_ANKLE)):
            if not all(
                kp.visibility[i] >= min_visibility and np.all(np.isfinite(pts[i]))
                for i in (hip, knee, ankle)
            ):
                continue
            knee_above_ankle = coords(pts[knee] - pts[ankle])[1]
            hip_above_knee = coords(pts[hip] - pts[knee])[1]
            gaps.append((knee_above_ankle, hip_above_knee))
        if not gaps:
            return None
        limit = self.th.kneel_stay if self._kneeling else self.th.kneel_enter
        kneeling = all(k <= limit and h >= min_hip_above_knee for k, h in gaps)
        self._kneeling = kneeling
        return kneeling
