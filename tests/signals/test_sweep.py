"""PersonFinder: sweeps, tiles and followed crops, with a fake pose model.

The fake model stands in for BlazePose's two stages: its person detector sees the image it
is given at 224 pixels, so it finds a person only when they are at least ``DETECT_PX``
tall in that 224-pixel view; once it has found someone in video mode it keeps them while
they stay big enough to follow. People are boxes painted with their id in channel 0.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.signals import synthetic as syn
from safeconduct.signals.gestures import N_LANDMARKS, Keypoints
from safeconduct.signals.tracking import PersonFinder, PoseEstimator, SweepSettings, sweep_tiles

DETECT_PX = 25.0  # person height in the detector's 224-pixel view needed to be found
TEMPLATE = syn.observe(syn.DOWN, syn.Camera(person_px=100.0)).xy
TEMPLATE = (TEMPLATE - TEMPLATE.min(axis=0)) / np.ptp(TEMPLATE, axis=0)  # unit box
WORLD = np.arange(N_LANDMARKS * 3, dtype=float).reshape(N_LANDMARKS, 3) / 100.0


class FakeModel:
    """One person per image: the largest painted box the 224-pixel detector would see."""

    def __init__(self, static: bool, log: list[dict]) -> None:
        self.static, self.log, self.closed = static, log, False
        self.following = False

    def estimate(self, frame: np.ndarray, *, upscale: float = 1.0) -> Keypoints | None:
        h, w = frame.shape[:2]
        self.log.append({"static": self.static, "upscale": upscale, "shape": (h, w)})
        best = None
        for pid in np.unique(frame[..., 0]):
            if pid == 0:
                continue
            ys, xs = np.nonzero(frame[..., 0] == pid)
            x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
            seen = (y1 - y0) * 224.0 / max(h, w)  # the detector's view
            cut = x0 == 0 or y0 == 0 or x1 == w or y1 == h
            # video mode keeps following a person it found at half the size it needs to find one
            need = DETECT_PX / 2 if self.following and not self.static else DETECT_PX
            if seen >= need and (best is None or y1 - y0 > best[3] - best[1]):
                best = (x0, y0, x1, y1, cut)
        self.following = best is not None
        if best is None:
            return None
        x0, y0, x1, y1, cut = best
        xy = TEMPLATE * [x1 - x0, y1 - y0] + [x0, y0]
        vis = np.full(N_LANDMARKS, 0.6 if cut else 0.95)
        return Keypoints(xy, vis, WORLD.copy())

    def close(self) -> None:
        self.closed = True


class Models:
    """The factory handed to PersonFinder; keeps every model and every call."""

    def __init__(self) -> None:
        self.log: list[dict] = []
        self.made: list[FakeModel] = []

    def __call__(self, static: bool) -> FakeModel:
        m = FakeModel(static, self.log)
        self.made.append(m)
        return m

    def take(self) -> list[dict]:
        out, self.log[:] = list(self.log), []
        return out


def scene(*people: tuple[int, float, float, float], size: tuple[int, int] = (640, 480)):
    """A frame with people ``(id, centre x, centre y, height px)``, 0.4 as wide as tall."""
    w, h = size
    img = np.zeros((h, w, 3), np.uint8)
    for pid, cx, cy, ph in people:
        pw = 0.4 * ph
        img[int(cy - ph / 2) : int(cy + ph / 2), int(cx - pw / 2) : int(cx + pw / 2), 0] = pid
    return img


def boxes(people: list[Keypoints]) -> list[tuple[float, ...]]:
    return sorted(kp.bbox() for kp in people)  # type: ignore[type-var]


def test_tiles_at_640x480_are_4x3_of_about_200_px_or_3x2_of_256() -> None:
    tiles = sweep_tiles(640, 480, SweepSettings())
    assert len(tiles) == 12
    assert all(190 <= t[2] - t[0] <= 200 and 190 <= t[3] - t[1] <= 200 for t in tiles)
    larger = sweep_tiles(640, 480, SweepSettings(tile_px=256))
    assert len(larger) == 6
    assert all(250 <= t[2] - t[0] <= 280 and 250 <= t[3] - t[1] <= 280 for t in larger)
    assert min(t[0] for t in tiles) == 0 and max(t[2] for t in tiles) == 640
    assert min(t[1] for t in tiles) == 0 and max(t[3] for t in tiles) == 480


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(16, 8192),
    height=st.integers(16, 8192),
    tile_px=st.integers(32, 600),
    overlap=st.floats(0.0, 0.5),
)
def test_tiles_cover_any_frame_within_the_cap(
    width: int, height: int, tile_px: int, overlap: float
) -> None:
    s = SweepSettings(tile_px=tile_px, overlap=overlap)
    tiles = sweep_tiles(width, height, s)
    assert s.columns * s.rows <= len(tiles) <= s.max_tiles
    xs = sorted({(t[0], t[2]) for t in tiles})
    ys = sorted({(t[1], t[3]) for t in tiles})
    for spans, length in ((xs, width), (ys, height)):
        assert spans[0][0] == 0 and spans[-1][1] == pytest.approx(length)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start <= end + 1e-9  # neighbours meet or overlap: no gap


def test_a_40px_person_is_found_by_the_sweep_not_by_the_whole_frame() -> None:
    frame = scene((1, 300, 200, 40))
    whole = PersonFinder(Models(), sweep=None)
    assert whole.people(0.0, frame) == []
    models = Models()
    finder = PersonFinder(models, sweep=SweepSettings())
    found = finder.people(0.0, frame)
    assert len(found) == 1
    x0, y0, x1, y1 = found[0].bbox()  # type: ignore[misc]
    assert (x0, y0, x1, y1) == pytest.approx((292, 180, 308, 220), abs=1)  # full-frame pixels
    calls = models.take()
    assert len(calls) == 13 and all(c["static"] for c in calls)  # whole frame + 4 x 3 tiles
    assert calls[0]["upscale"] == 1.0 and calls[0]["shape"] == (480, 640)
    assert all(c["upscale"] == 1.5 for c in calls[1:])


def test_between_sweeps_one_crop_per_person_landmarks_in_frame_pixels() -> None:
    models = Models()
    s = SweepSettings()
    finder = PersonFinder(models, sweep=s)
    frame = scene((1, 300, 200, 40), (2, 520, 380, 60))
    assert len(finder.people(0.0, frame)) == 2
    models.take()
    for k in range(1, 5):  # 0.1 s apart: no sweep yet
        cx = 300 + 2 * k  # the first person walks right
        found = finder.people(0.1 * k, scene((1, cx, 200, 40), (2, 520, 380, 60)))
        calls = models.take()
        assert len(calls) == 2 and not any(c["static"] for c in calls)  # one crop each
        for c in calls:
            assert max(c["shape"]) < 200  # a crop, not the frame
        assert boxes(found)[0] == pytest.approx((cx - 8, 180, cx + 8, 220), abs=1)
        assert all(kp.world is not None and np.allclose(kp.world, WORLD) for kp in found)


def test_a_person_leaving_their_tile_gets_a_crop_enlarged_to_the_target() -> None:
    s = SweepSettings(every_s=100.0, following_every_s=100.0)
    for max_upscale in (s.max_upscale, 10.0):
        models = Models()
        once = SweepSettings(every_s=100.0, following_every_s=100.0, max_upscale=max_upscale)
        finder = PersonFinder(models, sweep=once)
        finder.people(0.0, scene((1, 100, 100, 40)))
        models.take()
        finder.people(0.1, scene((1, 100, 100, 40)))
        (first,) = models.take()
        assert first["upscale"] == s.upscale  # still on the tile it was found in
        for k in range(2, 20):  # walks right, out of that tile
            (kp,) = finder.people(0.1 * k, scene((1, 100 + 8 * k, 100, 40)))
            assert kp.bbox()[0] == pytest.approx(92 + 8 * k, abs=1)
            (last,) = models.take()
        assert last["upscale"] == pytest.approx(min(s.crop_target_px / 40, max_upscale), rel=0.1)
        assert max(last["shape"]) == pytest.approx(s.crop_scale * 40, abs=2)


def test_sweep_cadence_follows_frame_time() -> None:
    models = Models()
    finder = PersonFinder(models, sweep=SweepSettings(every_s=0.5, following_every_s=0.5))
    frame = scene((1, 300, 200, 40))
    swept = []
    for t in np.arange(0.0, 2.0, 0.1):  # 10 frames a second of frame time
        finder.people(float(t), frame)
        swept.append(any(c["static"] for c in models.take()))
    assert [round(t, 1) for t, s in zip(np.arange(0.0, 2.0, 0.1), swept, strict=True) if s] == [
        0.0,
        0.5,
        1.0,
        1.5,
    ]
    # frame time, not the number of frames: at 2 frames a second every frame sweeps
    finder.people(2.0, frame)
    models.take()
    finder.people(2.5, frame)
    assert any(c["static"] for c in models.take())


def test_sweeps_come_less_often_while_somebody_is_followed() -> None:
    # Searching: every every_s; once a person is followed (their crop runs every frame),
    # every following_every_s, so the sweep costs less of each second.
    models = Models()
    finder = PersonFinder(models, sweep=SweepSettings(every_s=0.5, following_every_s=1.0))
    empty, someone = scene(), scene((1, 300, 200, 40))
    times = np.round(np.arange(0.0, 3.0, 0.1), 1)
    swept = []
    for t in times:
        finder.people(float(t), empty if t < 1.0 else someone)
        swept.append(any(c["static"] for c in models.take()))
    assert [float(t) for t, s in zip(times, swept, strict=True) if s] == [0.0, 0.5, 1.0, 2.0]


def test_a_sweep_spread_over_frames_bounds_each_frame() -> None:
    models = Models()
    finder = PersonFinder(models, sweep=SweepSettings(spread_frames=4, following_every_s=0.5))
    frame = scene((1, 300, 200, 40))
    finder.people(0.0, frame)
    assert sum(c["static"] for c in models.take()) == 13  # the first sweep: all at once
    finder.people(0.1, frame)
    models.take()
    late = scene((1, 300, 200, 40), (2, 80, 400, 50))  # someone new walks in
    per_frame, found = [], []
    for k in range(5):
        found.append(len(finder.people(0.5 + 0.1 * k, late)))
        per_frame.append(sum(c["static"] for c in models.take()))
    assert per_frame == [4, 4, 4, 1, 0]  # 13 runs over 4 frames
    assert found == [1, 1, 1, 1, 2]  # the newcomer, followed once the sweep is done


def test_two_people_give_two_tracks_kept_in_order() -> None:
    models = Models()
    finder = PersonFinder(models, sweep=SweepSettings())
    first = finder.people(0.0, scene((1, 100, 100, 50), (2, 500, 350, 50)))
    assert len(first) == 2
    video = [m for m in models.made if not m.static]
    assert len(video) == 2  # one video-mode model per person
    later = finder.people(0.1, scene((1, 104, 100, 50), (2, 496, 350, 50)))
    assert [kp.bbox()[0] < 320 for kp in later] == [kp.bbox()[0] < 320 for kp in first]


def test_a_later_sweep_finds_someone_beside_a_followed_person() -> None:
    # The small person is only in tiles where the larger one is too, and the model
    # reports one person per image: the second sweep hides the followed one and finds them.
    models = Models()
    finder = PersonFinder(models, sweep=SweepSettings(following_every_s=0.5))
    frame = scene((1, 100, 100, 40), (2, 150, 110, 80))
    assert len(finder.people(0.0, frame)) == 1
    assert len(finder.people(0.1, frame)) == 1
    assert len(finder.people(0.5, frame)) == 2
    assert len(finder.people(0.6, frame)) == 2  # both followed from now on
    models.take()
    finder.people(0.7, frame)
    assert len(models.take()) == 2


def test_duplicates_across_overlapping_tiles_are_merged() -> None:
    # At x = 320, y = 240 the person lies in the overlap of several tiles.
    tiles = sweep_tiles(640, 480, SweepSettings())
    inside = [t for t in tiles if t[0] < 312 and t[2] > 328 and t[1] < 215 and t[3] > 265]
    assert len(inside) >= 2
    models = Models()
    found = PersonFinder(models, sweep=SweepSettings()).people(0.0, scene((1, 320, 240, 50)))
    assert len(found) == 1


def test_a_person_cut_by_a_tile_edge_is_taken_from_the_tile_where_whole() -> None:
    # Centred on a tile boundary only the overlap keeps them whole: the result is whole.
    tiles = sweep_tiles(640, 480, SweepSettings())
    edge = tiles[0][2]  # right edge of the first tile
    found = PersonFinder(Models(), sweep=SweepSettings()).people(0.0, scene((1, edge - 4, 130, 50)))
    assert len(found) == 1
    assert found[0].bbox()[2] - found[0].bbox()[0] == pytest.approx(20, abs=1)
    assert found[0].visibility.min() > 0.9  # the whole one, not a cut piece


def test_a_lost_person_is_dropped_after_the_grace_frames() -> None:
    models = Models()
    s = SweepSettings(every_s=100.0, following_every_s=100.0, lost_frames=3)
    finder = PersonFinder(models, sweep=s)
    finder.people(0.0, scene((1, 300, 200, 40)))
    models.take()
    empty = scene()
    shapes = set()
    for k in range(1, s.lost_frames + 2):
        assert finder.people(0.1 * k, empty) == []
        (call,) = models.take()  # the crop is still tried during the grace frames,
        shapes.add(call["shape"])
    assert len(shapes) >= 3  # larger and smaller each time
    assert finder.people(1.0, empty) == []
    assert models.take() == []  # dropped: nothing runs until the next sweep
    # a person back within the grace frames is kept
    finder2 = PersonFinder(Models(), sweep=s)
    finder2.people(0.0, scene((1, 300, 200, 40)))
    finder2.people(0.1, empty)
    assert len(finder2.people(0.2, scene((1, 300, 200, 40)))) == 1


def test_a_large_person_is_followed_on_the_whole_frame() -> None:
    models = Models()
    finder = PersonFinder(models, sweep=SweepSettings())
    frame = scene((1, 320, 240, 300))
    assert len(finder.people(0.0, frame)) == 1
    models.take()
    assert len(finder.people(0.1, frame)) == 1
    (call,) = models.take()
    assert call == {"static": False, "upscale": 1.0, "shape": (480, 640)}


def test_no_sweep_runs_one_video_estimate_on_the_whole_frame_per_frame() -> None:
    models = Models()
    finder = PersonFinder(models, sweep=None)
    frame = scene((1, 320, 240, 200))
    for k in range(5):
        assert len(finder.people(0.1 * k, frame)) == 1
        assert models.take() == [{"static": False, "upscale": 1.0, "shape": (480, 640)}]
    assert len(models.made) == 1
    finder.close()
    assert models.made[0].closed


def test_the_sweep_may_use_its_own_models_and_close_releases_all() -> None:
    follow, search = Models(), Models()
    finder = PersonFinder(follow, sweep=SweepSettings(), make_sweep_estimator=search)
    finder.people(0.0, scene((1, 300, 200, 40)))
    finder.people(0.1, scene((1, 300, 200, 40)))
    assert [m.static for m in search.made] == [True]  # one static model for every window
    assert [m.static for m in follow.made] == [False]
    finder.close()
    assert all(m.closed for m in follow.made + search.made)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        SweepSettings(overlap=0.95)
    with pytest.raises(ValueError, match="every_s"):
        SweepSettings(every_s=-1.0)


def test_the_real_model_finds_a_60px_figure_the_whole_frame_misses() -> None:
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    from safeconduct.adapters.vision.pose import MediapipePoseModels
    from safeconduct.adapters.vision.synthetic_render import render

    models = MediapipePoseModels()
    frame = render(syn.UP, syn.Camera(person_px=60))  # 640 x 480, the figure at the centre

    def make(static: bool) -> PoseEstimator:
        return models.estimator(static=static, model="full")

    whole = PersonFinder(make, sweep=None)
    finder = PersonFinder(make, sweep=SweepSettings())
    try:
        assert whole.people(0.0, frame) == []  # BlazePose alone: 60 px is too small
        for k in range(3):  # the sweep finds the figure, then its crop follows it
            (kp,) = finder.people(0.1 * k, frame)
            x0, y0, x1, y1 = kp.bbox()  # type: ignore[misc]
            assert x0 < 320 < x1 and y0 < 240 < y1  # full-frame pixels
            assert 40 < y1 - y0 < 100
            assert kp.world is not None
    finally:
        whole.close()
        finder.close()
