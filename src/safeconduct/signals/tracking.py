"""People across frames: a small IoU tracker, and finding people with a single-person pose model.

The tracker is a greedy intersection-over-union matcher: enough for the few, slowly
moving people a hovering drone sees, deterministic, and free of extra dependencies
(norfair would add filterpy and pin rich). A track survives ``max_missed`` frames unseen
so that a brief pose dropout keeps the same id and the signal's timing.

BlazePose finds one person per image, and only a person filling a fair share of it (its
detector sees the image at 224 pixels: a 60 px person in a 640 px frame shrinks to 21 px).
:class:`PersonFinder` sweeps the frame and overlapping, enlarged tiles now and then to
find people, small ones included, and follows each between sweeps on an enlarged crop
around them. Pure: it only slices arrays; the pose model does the enlarging.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from safeconduct.signals.gestures import Keypoints

Box = tuple[float, float, float, float]


class PoseEstimator(Protocol):
    """What :class:`PersonFinder` needs of a pose model (the port of the same name in
    :mod:`safeconduct.services.ports`): one person's landmarks in pixels of the image it
    is given, whatever ``upscale`` (>= 1) it enlarges that image by first."""

    def estimate(self, frame_bgr: np.ndarray, *, upscale: float = 1.0) -> Keypoints | None: ...

    def close(self) -> None: ...


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    """One tracked person."""

    track_id: int
    bbox: Box
    missed: int = 0


class IoUTracker:
    """Greedy IoU tracker.

    Parameters
    ----------
    min_iou
        Boxes overlapping less than this never match.
    max_missed
        Frames a track may go unmatched before it is dropped.
    """

    def __init__(self, min_iou: float = 0.2, max_missed: int = 15) -> None:
        self.min_iou = min_iou
        self.max_missed = max_missed
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(self, boxes: Sequence[Box]) -> list[int]:
        """Assign a track id to each box of this frame (same order as ``boxes``)."""
        pairs = sorted(
            ((iou(t.bbox, b), ti, bi) for ti, t in enumerate(self.tracks)
             for bi, b in enumerate(boxes)),
            reverse=True,
        )  # fmt: skip
        ids: list[int | None] = [None] * len(boxes)
        used_tracks: set[int] = set()
        for score, ti, bi in pairs:
            if score < self.min_iou:
                break
            if ti in used_tracks or ids[bi] is not None:
                continue
            used_tracks.add(ti)
            track = self.tracks[ti]
            track.bbox, track.missed = boxes[bi], 0
            ids[bi] = track.track_id
        for ti, track in enumerate(self.tracks):
            if ti not in used_tracks:
                track.missed += 1
        self.tracks = [t for t in self.tracks if t.missed <= self.max_missed]
        for bi, box in enumerate(boxes):
            if ids[bi] is None:
                self.tracks.append(Track(self._next_id, box))
                ids[bi] = self._next_id
                self._next_id += 1
        return [i for i in ids if i is not None]


# ----------------------------------------------------------------- finding small people


@dataclass(frozen=True)
class SweepSettings:
    """How :class:`PersonFinder` looks for people, and how it follows them.

    BlazePose's person detector sees the image at 224 pixels, so a person must fill a fair
    share of the image it is given: about a quarter of a tile, or more. A sweep therefore
    runs the model on the whole frame and on a grid of overlapping tiles; between sweeps
    each person found is followed on a crop around them.

    Parameters
    ----------
    every_s
        Seconds of frame time between sweeps (0: every frame). The first frame is swept.
    columns, rows
        The smallest tile grid; a larger frame gets more tiles (see :func:`sweep_tiles`).
    tile_px
        Wanted tile side, pixels of the frame. BlazePose finds a person about a quarter
        of the tile's longer side tall or taller, so 200 (4 x 3 tiles at 640 x 480) finds
        60 px figures at 0-60 degrees and most 40 px ones at 0-30; 256 (3 x 2) misses some
        60 px ones and all at 60 degrees, for 40 % less sweep time.
    upscale
        Each tile is enlarged by this factor before the model sees it. It helps the
        landmarks a little, not the finding: the detector shrinks every image to 224
        pixels, so only the person's share of the tile counts.
    overlap
        Fraction of a tile shared with its neighbour, 0-0.9: a person narrower than the
        overlap is whole in at least one tile.
    crop_target_px
        A followed person's crop is enlarged until the person is about this tall, pixels
        (at most ``max_upscale`` times, never shrunk).
    max_tiles
        Cap on the tiles of one sweep; a larger frame gets larger tiles beyond it, so the
        cost of a sweep stays about ``(1 + max_tiles)`` static model runs.
    crop_scale
        Side of a followed person's square crop over the person's size (the larger of the
        box's height and width): 2.2 leaves room for arms raised above the head.
    max_upscale
        Largest enlargement of a crop.
    lost_frames
        Frames a followed person may go unseen on their crop before they are dropped.
    large_frac
        A person taller than this fraction of the frame height is followed on the whole
        frame (upscale 1) rather than on a crop.
    max_people
        At most this many people are followed (each costs one model run per frame).
    merge_iou
        Two boxes overlapping more than this (or one mostly inside the other) are the
        same person.
    following_every_s
        Seconds between sweeps while somebody is already followed (their crop runs every
        frame, so the sweep only looks for newcomers): 1.0 by default, which keeps one
        person at 640 x 480 near 15 frames per second with BlazePose Full on 2 cores,
        where a sweep every half second (about 13 static model runs) held it near 10.
    spread_frames
        A sweep's model runs are shared out over this many frames (1: all on one frame),
        so that no single frame of a live feed waits for a whole sweep; the first sweep
        is always made at once. Keep it below ``every_s`` times the frame rate.
    """

    every_s: float = 0.5
    columns: int = 3
    rows: int = 2
    tile_px: int = 200
    upscale: float = 1.5
    overlap: float = 0.25
    crop_target_px: int = 256
    max_tiles: int = 12
    crop_scale: float = 2.2
    max_upscale: float = 4.0
    lost_frames: int = 5
    large_frac: float = 0.5
    max_people: int = 6
    merge_iou: float = 0.3
    spread_frames: int = 1
    following_every_s: float = 1.0

    def __post_init__(self) -> None:
        checks = (
            (self.every_s >= 0 and self.following_every_s >= 0, "every_s must be >= 0 seconds"),
            (self.columns >= 1 and self.rows >= 1, "columns and rows must be >= 1"),
            (self.tile_px >= 32, "tile_px must be >= 32 pixels"),
            (self.upscale >= 1 and self.max_upscale >= 1, "upscales must be >= 1"),
            (0 <= self.overlap <= 0.9, "overlap must be in 0-0.9"),
            (self.crop_target_px >= 32, "crop_target_px must be >= 32 pixels"),
            (self.max_tiles >= self.columns * self.rows, "max_tiles must be >= columns * rows"),
            (self.crop_scale >= 1, "crop_scale must be >= 1"),
            (self.lost_frames >= 0 and self.max_people >= 1, "lost_frames/max_people too small"),
            (self.spread_frames >= 1, "spread_frames must be >= 1"),
            (0 < self.large_frac <= 1 and 0 < self.merge_iou < 1, "fractions must be in 0-1"),
        )
        for ok, why in checks:
            if not ok:
                raise ValueError(f"SweepSettings: {why}")


def _tile_side(length: float, n: int, overlap: float) -> float:
    # n tiles of side t sharing ``overlap`` cover t * (n - (n - 1) * overlap).
    return min(float(length), length / (n - (n - 1) * overlap))


def _axis_windows(length: float, n: int, overlap: float) -> list[tuple[float, float]]:
    size = _tile_side(length, n, overlap)
    step = (length - size) / (n - 1) if n > 1 else 0.0
    return [(k * step, min(float(length), k * step + size)) for k in range(n)]


def sweep_tiles(width: int, height: int, sweep: SweepSettings) -> list[Box]:
    """The tiles of one sweep over a ``width`` x ``height`` frame, ``(x0, y0, x1, y1)`` pixels.

    At least ``columns`` x ``rows`` tiles overlapping by ``overlap``; among the grids of at
    most ``max_tiles`` whose tiles are not much smaller than ``tile_px`` (0.9 of it), the
    one with the smallest largest tile side, then the fewest tiles. With the defaults
    (``tile_px`` 200, at most 12 tiles) 640 x 480 gives 4 x 3 tiles of 197 x 192,
    1280 x 720 4 x 3 of 394 x 288, 1920 x 1080 4 x 3 of 591 x 432, 3840 x 2160 4 x 3 of
    1182 x 864 (``tile_px`` 256: 640 x 480 gives 3 x 2 of 256 x 274). A larger tile only
    finds larger people (about a quarter of its longer side and up, since BlazePose's
    detector sees it at 224 pixels): about 150 px at 1920 x 1080 and 300 px at 4K, unless
    ``max_tiles`` is raised. A sweep costs at most ``1 + max_tiles`` model runs whatever
    the frame's size (measured at 640 x 480, BlazePose Full: 12 tiles about 215 ms of
    CPU, 6 tiles about 145 ms).
    """
    best: tuple[float, int, int, int] | None = None
    for nx in range(sweep.columns, sweep.max_tiles + 1):
        for ny in range(sweep.rows, sweep.max_tiles // nx + 1):
            tw, th = _tile_side(width, nx, sweep.overlap), _tile_side(height, ny, sweep.overlap)
            minimal = (nx, ny) == (sweep.columns, sweep.rows)
            if not minimal and min(tw, th) < 0.9 * sweep.tile_px:
                continue  # more tiles than the frame needs
            key = (round(max(tw, th), 6), nx * ny, nx, ny)
            if best is None or key < best:
                best = key
    assert best is not None  # the minimal grid always qualifies (max_tiles >= its size)
    xs = _axis_windows(width, best[2], sweep.overlap)
    ys = _axis_windows(height, best[3], sweep.overlap)
    return [(x0, y0, x1, y1) for y0, y1 in ys for x0, x1 in xs]


def _extent(kp: Keypoints) -> Box | None:
    # Every landmark the model placed, however unsure: BlazePose places hidden or cut-off
    # limbs plausibly, and a crop must leave room for them.
    box = kp.bbox(min_visibility=0.0)
    return None if box is None else (box[0], box[1], box[2], box[3])


def _same_person(a: Box, b: Box, min_iou: float) -> bool:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    inside = ix * iy / smaller if smaller > 0 else 0.0
    return iou(a, b) > min_iou or inside > 0.6  # a cut-off part lies inside the whole


@dataclass
class _Followed:
    """One person followed between sweeps."""

    estimator: PoseEstimator
    box: Box  # full-frame pixels, every landmark
    window: Box | None = None  # crop in full-frame pixels; None: the whole frame
    upscale: float = 1.0
    missed: int = 0
    zoom: float = 1.0  # crop side over crop_scale x size: changed when the crop loses them
    sticky: bool = False  # the window the sweep found them in: kept while they stay inside


@dataclass(frozen=True)
class _Found:
    kp: Keypoints
    box: Box
    whole: bool
    score: float
    frame: int  # the frame it was found on
    window: Box  # where, and enlarged how much
    upscale: float


class PersonFinder:
    """Every person in a video, small ones included, with BlazePose (one person per image).

    A *sweep* (on the first frame, then every ``sweep.every_s`` seconds of frame time)
    runs a static model on the whole frame and on the tiles of :func:`sweep_tiles`, each
    enlarged by ``sweep.upscale``; detections are merged (a person cut by a tile's edge is
    taken from the tile where they are whole) and each one not already followed becomes a
    followed person. On every frame each followed person is run once with their own
    video-mode model, which tracks them from frame to frame: first on the window the sweep
    found them in, then, once they near its edge, on a square crop around their last
    position (``crop_scale`` times their size, enlarged so that they are about
    ``crop_target_px`` tall), other followed people blanked out; a person taller than
    ``large_frac`` of the frame is run on the whole frame instead. Someone the crop loses
    for more than ``lost_frames`` frames is dropped (a sweep may find them again).

    Cost per frame: one model run per followed person, plus, every ``every_s``, a sweep of
    ``1 + tiles`` static runs (13 at 640 x 480, at most ``1 + max_tiles``). Measured at
    640 x 480 on this 2-core machine (CPU time, the machine shared): a followed crop 22 ms
    with BlazePose Full, 78 ms with Heavy; a sweep with Full about 215 ms.

    Parameters
    ----------
    make_estimator
        ``make_estimator(static)``: a new estimator (see
        :class:`safeconduct.services.ports.PoseEstimator`); video mode for followed people.
    sweep
        None: the whole frame only, one video-mode model run per frame (the fastest, for a
        single large person).
    make_sweep_estimator
        Factory for the sweep's static estimators, when they should differ (a faster model
        for searching while a better one follows); default ``make_estimator``.
    """

    def __init__(
        self,
        make_estimator: Callable[[bool], PoseEstimator],
        *,
        sweep: SweepSettings | None = SweepSettings(),  # frozen: safe to share
        make_sweep_estimator: Callable[[bool], PoseEstimator] | None = None,
    ) -> None:
        self.sweep = sweep
        self._make = make_estimator
        self._make_sweep = make_sweep_estimator or make_estimator
        self._whole: PoseEstimator | None = None  # sweep=None's video model
        # One static model serves every window of a sweep: in static mode each image is
        # judged afresh, whatever its size (checked against one model per window).
        self._searcher: PoseEstimator | None = None
        self._followed: list[_Followed] = []
        self._idle: list[PoseEstimator] = []  # video models of dropped people, for reuse
        self._last_sweep_t: float | None = None
        self._pending: list[tuple[Box | None, float]] = []  # windows of this sweep left
        self._per_frame = 1  # of those, run on each frame
        self._found: list[_Found] = []  # this sweep's detections so far
        self._frame = 0  # frames seen

    # ------------------------------------------------------------ per frame

    def people(self, t_s: float, frame: np.ndarray) -> list[Keypoints]:
        """Everyone found in ``frame`` (BGR, at ``t_s`` seconds), landmarks in its pixels.

        ``Keypoints.world`` is kept as the model gave it. Followed people come first, in
        the order they were first found.
        """
        if self.sweep is None:
            if self._whole is None:
                self._whole = self._make(False)
            kp = self._whole.estimate(frame)
            return [] if kp is None else [kp]
        self._frame += 1
        out = self._follow(frame)
        if not self._pending and self._sweep_due(t_s):
            h, w = frame.shape[:2]
            self._pending = [(None, 1.0)]
            self._pending += [(tile, self.sweep.upscale) for tile in sweep_tiles(w, h, self.sweep)]
            first = self._frame == 1
            spread = 1 if first else self.sweep.spread_frames
            self._per_frame = -(-len(self._pending) // spread)
        if self._pending:
            batch = self._pending[: self._per_frame]
            self._pending = self._pending[self._per_frame :]
            # The model reports one person per image: hide those already followed, or a
            # tile would keep finding them instead of someone smaller beside them.
            seen = [p.box for p in self._followed if not p.missed]
            self._found += self._search(_hidden(frame, seen), batch)
            if not self._pending:
                out += self._add_new(self._merged(self._found))
                self._found = []
        return out

    def _sweep_due(self, t_s: float) -> bool:
        assert self.sweep is not None
        last = self._last_sweep_t
        following = any(not p.missed for p in self._followed)
        every = self.sweep.following_every_s if following else self.sweep.every_s
        if last is None or t_s < last or t_s - last >= every - 1e-9:
            self._last_sweep_t = t_s
            return True
        return False

    def _follow(self, frame: np.ndarray) -> list[Keypoints]:
        """Run each followed person's crop once; drop the lost and the duplicates."""
        assert self.sweep is not None
        h, w = frame.shape[:2]
        out: list[Keypoints] = []
        kept: list[_Followed] = []
        for person in self._followed:
            self._place(person, w, h)
            # Blank the others out of this crop, so the model stays on its own person.
            others = [o.box for o in self._followed if o is not person]
            kp = _run(person.estimator, frame, person.window, person.upscale, others, person.box)
            box = None if kp is None else _extent(kp)
            if (
                kp is None
                or box is None
                or any(
                    _same_person(box, other.box, self.sweep.merge_iou)
                    for other in kept
                    if not other.missed
                )
            ):  # lost, or now on someone an earlier track follows this frame
                person.missed += 1
                if person.missed > self.sweep.lost_frames:
                    self._retire(person)
                    continue
            else:
                person.box, person.missed = box, 0
                out.append(kp)
            kept.append(person)
        self._followed = kept
        return out

    def _place(self, person: _Followed, width: int, height: int) -> None:
        """Choose the person's crop; keep the last one while they stay well inside it.

        The first is the window the sweep found them in: the very image BlazePose's
        detector has just succeeded on (at 60 degrees a 60 px figure is followed on 81 %
        of frames so, on 64 % when a centred crop is made at once). Once they near its edge,
        or a crop loses them, a square crop is centred on them.
        """
        assert self.sweep is not None
        s = self.sweep
        x0, y0, x1, y1 = person.box
        size = max(x1 - x0, y1 - y0, 8.0)
        if y1 - y0 > s.large_frac * height:
            person.window, person.upscale = None, 1.0
            return
        if person.missed:
            # BlazePose's detector is fickle for small people seen from above: a crop a
            # little larger or smaller often finds the person again (one try per frame).
            person.zoom = _RETRY_ZOOM[(person.missed - 1) % len(_RETRY_ZOOM)]
        elif person.window is not None and _settled(person.box, person.window, width, height):
            side = max(person.window[2] - person.window[0], person.window[3] - person.window[1])
            if person.sticky or 0.75 <= s.crop_scale * person.zoom * size / side <= 1.33:
                return  # a still crop lets the video model track and smooth steadily
        person.sticky = False
        side = s.crop_scale * person.zoom * size
        (wx0, wx1), (wy0, wy1) = (
            _span((x0 + x1) / 2, side, width),
            _span((y0 + y1) / 2, side, height),
        )
        person.window = (wx0, wy0, wx1, wy1)
        person.upscale = float(np.clip(s.crop_target_px / size, 1.0, s.max_upscale))

    def _search(self, frame: np.ndarray, windows: list[tuple[Box | None, float]]) -> list[_Found]:
        """Part of a sweep: the static model on each ``(window, upscale)``."""
        assert self.sweep is not None
        h, w = frame.shape[:2]
        found: list[_Found] = []
        if self._searcher is None:
            self._searcher = self._make_sweep(True)
        for win, upscale in windows:
            kp = _run(self._searcher, frame, win, upscale)
            box = None if kp is None else _extent(kp)
            if kp is None or box is None:
                continue
            whole = win is None or _within(box, win, w, h)
            score = float(np.nanmean(kp.visibility))
            where = (0.0, 0.0, float(w), float(h)) if win is None else win
            found.append(_Found(kp, box, whole, score, self._frame, where, upscale))
        return found

    def _merged(self, found: list[_Found]) -> list[_Found]:
        """A sweep's detections, one per person."""
        assert self.sweep is not None
        # A person whole in a tile beats a piece of them cut by another tile's edge; then
        # the more confident detection wins.
        found.sort(key=lambda f: (f.whole, f.score), reverse=True)
        merged: list[_Found] = []
        for f in found:
            if not any(_same_person(f.box, m.box, self.sweep.merge_iou) for m in merged):
                merged.append(f)
        return merged

    def _add_new(self, found: list[_Found]) -> list[Keypoints]:
        """Follow the people a sweep found that nobody follows yet; their landmarks, for
        those found on this frame (the others appear from the next one, on their crop)."""
        assert self.sweep is not None
        out: list[Keypoints] = []
        for f in found:
            match = next(
                (p for p in self._followed if _same_person(f.box, p.box, self.sweep.merge_iou)),
                None,
            )
            if match is not None:
                if match.missed:  # the crop lost them but the sweep has them: re-anchor
                    match.box, match.missed = f.box, 0
                    match.window, match.upscale, match.sticky = f.window, f.upscale, True
                    if f.frame == self._frame:
                        out.append(f.kp)
                continue
            if len(self._followed) >= self.sweep.max_people:
                continue
            est = self._idle.pop() if self._idle else self._make(False)
            self._followed.append(_Followed(est, f.box, f.window, f.upscale, sticky=True))
            if f.frame == self._frame:
                out.append(f.kp)
        return out

    def _retire(self, person: _Followed) -> None:
        assert self.sweep is not None
        if len(self._idle) < self.sweep.max_people:
            self._idle.append(person.estimator)
        else:
            person.estimator.close()

    def close(self) -> None:
        """Release every model made."""
        models = [p.estimator for p in self._followed] + self._idle
        models += [m for m in (self._searcher, self._whole) if m is not None]
        self._followed, self._idle, self._searcher, self._whole = [], [], None, None
        for est in models:
            est.close()


#: Crop sizes (times the usual) tried in turn on the frames after a crop lost its person.
_RETRY_ZOOM = (1.5, 0.7, 2.0, 1.0)


def _settled(box: Box, win: Box, width: int, height: int) -> bool:
    """Whether ``box`` stays clear of ``win``'s edges (12 % of its side) inside the frame."""
    margin = 0.12 * max(win[2] - win[0], win[3] - win[1])
    return _within(box, win, width, height, margin)


def _hidden(
    image: np.ndarray, boxes: Sequence[Box], keep: Box | None = None, at: tuple[int, int] = (0, 0)
) -> np.ndarray:
    """A copy of ``image`` with each box (grown by a tenth a side) filled with the image's
    mean colour, except where it overlaps ``keep``; boxes in frame pixels, ``image`` a
    crop whose top-left corner is at ``at`` (x, y) in the frame."""
    h, w = image.shape[:2]

    def rows_cols(box: Box) -> tuple[int, int, int, int]:
        gx, gy = 0.1 * (box[2] - box[0]), 0.1 * (box[3] - box[1])
        c0, r0 = max(0, int(box[0] - gx) - at[0]), max(0, int(box[1] - gy) - at[1])
        c1 = min(w, int(np.ceil(box[2] + gx)) - at[0])
        r1 = min(h, int(np.ceil(box[3] + gy)) - at[1])
        return r0, r1, c0, c1

    blanks = [rc for rc in map(rows_cols, boxes) if rc[1] > rc[0] and rc[3] > rc[2]]
    if not blanks:  # nobody else in this window: no copy (a fifth of a frame's time)
        return image
    out = image.copy()
    # The mean colour of every fourth pixel each way: as good a fill, 16 times cheaper.
    sample = image[::4, ::4]
    fill = sample.reshape(-1, image.shape[-1]).mean(axis=0).astype(image.dtype)
    for r0, r1, c0, c1 in blanks:
        out[r0:r1, c0:c1] = fill
    if keep is not None:
        r0, r1, c0, c1 = rows_cols(keep)
        if r1 > r0 and c1 > c0:
            out[r0:r1, c0:c1] = image[r0:r1, c0:c1]
    return out


def _span(center: float, side: float, length: int) -> tuple[float, float]:
    """``[lo, hi)`` of ``side`` around ``center``, shifted (then clipped) into ``[0, length]``."""
    side = min(side, float(length))
    lo = min(max(0.0, center - side / 2), length - side)
    return lo, lo + side


def _within(box: Box, win: Box, width: int, height: int, margin: float = 2.0) -> bool:
    """Whether ``box`` lies inside ``win`` clear of every edge that is not the frame's."""
    return (
        (box[0] >= win[0] + margin or win[0] <= 0)
        and (box[1] >= win[1] + margin or win[1] <= 0)
        and (box[2] <= win[2] - margin or win[2] >= width)
        and (box[3] <= win[3] - margin or win[3] >= height)
    )


def _run(
    est: PoseEstimator,
    frame: np.ndarray,
    win: Box | None,
    upscale: float,
    hide: Sequence[Box] = (),
    keep: Box | None = None,
) -> Keypoints | None:
    """The model on ``win`` of ``frame`` (None: all of it), landmarks in frame pixels;
    ``hide``: other people's boxes to blank out first (``keep``: this person's)."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = (0, 0, w, h) if win is None else (round(v) for v in win)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = _hidden(frame[y0:y1, x0:x1], hide, keep, (x0, y0))
    kp = est.estimate(crop, upscale=upscale)
    return None if kp is None else kp.shifted(x0, y0)
