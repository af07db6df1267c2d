"""The use cases on fake ports: no mediapipe, no OpenCV, no files but the ones asked for."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from safeconduct.adapters.files.atomic import AtomicFiles
from safeconduct.errors import BadFileError, InvalidValueError, MissingExtraError
from safeconduct.services.ports import GimbalSeries
from safeconduct.services.signals import (
    Note,
    SignalPipeline,
    SignalsPorts,
    choose_model,
    detect_signals,
    iter_alerts,
)
from safeconduct.signals import synthetic as syn
from safeconduct.signals.detector import AlertKind
from safeconduct.signals.gestures import Keypoints
from safeconduct.signals.view import CameraView

FPS = 10.0
SIGNAL = syn.keyframes(
    [(0, syn.DOWN), (1, syn.DOWN), (1.5, syn.UP), (3.0, syn.UP), (3.5, syn.OUT),
     (5.0, syn.OUT), (5.5, syn.DOWN), (6.0, syn.DOWN)]
)  # fmt: skip


class FakePose:
    """Reads the frame number stamped into pixel (0, 0) and reports the synthetic pose then,
    seen by ``camera``; finds nobody in a frame of another size (a sweep's tile)."""

    closed = 0

    def __init__(self, model: str, camera: syn.Camera, size: tuple[int, int]) -> None:
        self.model, self.camera, self.size = model, camera, size

    def estimate(self, frame_bgr: np.ndarray, *, upscale: float = 1.0) -> Keypoints | None:
        if frame_bgr.shape[:2] != self.size:
            return None
        t = float(frame_bgr[0, 0, 0]) / FPS
        return syn.observe(SIGNAL(t), self.camera)

    def close(self) -> None:
        FakePose.closed += 1


class FakePoses:
    def __init__(
        self,
        installed: bool = True,
        models: tuple[str, ...] = ("full",),
        camera: syn.Camera | None = None,
    ) -> None:
        self.installed, self.models = installed, models
        self.camera = camera or syn.Camera()
        self.made: list[tuple[bool, str]] = []

    def require(self) -> None:
        if not self.installed:
            raise MissingExtraError("signal recognition needs mediapipe")

    def available(self) -> tuple[str, ...]:
        return self.models

    def estimator(self, *, static: bool, model: str = "full") -> FakePose:
        assert model in self.models, "a model that is not installed was asked for"
        self.made.append((static, model))
        return FakePose(model, self.camera, (self.camera.height, self.camera.width))


class FakeFrames:
    def __init__(self, camera: syn.Camera | None = None) -> None:
        self.camera = camera or syn.Camera()

    def frame_rate(self, source: object, fps: float | None) -> float:
        return fps or FPS

    def read_frames(self, source: object, fps: float | None) -> Iterator[tuple[float, np.ndarray]]:
        for i in range(int(6 * FPS)):
            frame = np.zeros((self.camera.height, self.camera.width, 3), np.uint8)
            frame[0, 0, 0] = i
            yield i / FPS, frame


class FakeImaging:
    def __init__(self, sign: bool = False) -> None:
        self.calls: list[str] = []
        self.banners: list[str] = []
        self.sign = sign

    def bright_patch(self, frame: np.ndarray, center: tuple[float, float], r: float) -> bool:
        return False

    def sign_between(
        self,
        frame: np.ndarray,
        left_wrist: tuple[float, float],
        right_wrist: tuple[float, float],
        torso_px: float,
    ) -> bool:
        self.calls.append("sign")
        return self.sign

    def protect(self, frame: np.ndarray, people: Sequence[Keypoints]) -> np.ndarray:
        self.calls.append("protect")
        return frame

    def draw_person(self, frame: np.ndarray, keypoints: Keypoints, label: str, alert: bool) -> None:
        self.calls.append("person")

    def draw_banner(self, frame: np.ndarray, text: str, alert: bool) -> None:
        self.calls.append("banner")
        self.banners.append(text)


class FakeSink:
    def __init__(self, path: Path) -> None:
        self.path, self.frames = path, 0

    def write(self, frame: np.ndarray) -> None:
        self.frames += 1

    def close(self) -> None:
        self.path.write_bytes(b"video")


class FakeVideos:
    def __init__(self) -> None:
        self.sinks: list[FakeSink] = []

    def open(self, path: Path, fps: float) -> FakeSink:
        self.sinks.append(FakeSink(Path(path)))
        return self.sinks[-1]


class FakeGimbal:
    """A telemetry log whose gimbal looks ``elevation`` degrees down all along."""

    def __init__(self, elevation: float | None) -> None:
        self.elevation = elevation
        self.read_paths: list[str] = []

    def read(self, path: object, *, start_unix_s: float | None = None) -> GimbalSeries:
        self.read_paths.append(str(path))
        if self.elevation is None:
            raise BadFileError(f"{path} holds no gimbal attitude", field="tlog")
        return GimbalSeries((0.0, 10.0), (self.elevation, self.elevation))


def ports(
    installed: bool = True,
    models: tuple[str, ...] = ("full",),
    camera: syn.Camera | None = None,
    imaging: FakeImaging | None = None,
    gimbal: FakeGimbal | None = None,
) -> SignalsPorts:
    return SignalsPorts(
        FakePoses(installed, models, camera),
        FakeFrames(camera),
        imaging or FakeImaging(),
        FakeVideos(),
        AtomicFiles(),
        gimbal,
    )


def test_detect_signals_on_fake_ports(tmp_path: Path) -> None:
    p = ports()
    out = tmp_path / "out"
    summary = detect_signals(p, "clip.mp4", out_dir=out, blur=True, sweep=False)
    assert [a.kind for a in summary.alerts] == [AlertKind.SURRENDER_SIGNAL]
    assert summary.frames == 60 and summary.people_tracked == 1 and summary.out_dir == out
    assert p.poses.made == [(False, "full")]  # type: ignore[attr-defined]
    assert p.videos.sinks[0].frames == 60  # type: ignore[attr-defined]
    assert p.imaging.calls.count("protect") == 60  # type: ignore[attr-defined]
    assert sorted(x.name for x in out.iterdir()) == [
        "alerts.jsonl",
        "annotated.mp4",
        "summary.json",
    ]
    (line,) = (out / "alerts.jsonl").read_text().splitlines()
    alert = json.loads(line)
    assert alert["kind"] == "SURRENDER_SIGNAL" and alert["model"] == "BlazePose Full"
    data = json.loads((out / "summary.json").read_text())
    assert data["people_tracked"] == 1
    assert data["model_name"] == "BlazePose Full" and data["sweep"] is False
    # No elevation given, and 60 frames are too few for the scene's estimate at first.
    assert data["elevation_frames"]["unknown"] >= 1
    assert data["geometry"]["image_person_frames"] >= 1
    assert "BlazePose Full" in p.imaging.banners[0]  # type: ignore[attr-defined]


def test_no_blur_no_output_folder() -> None:
    p = ports()
    summary = detect_signals(p, "clip.mp4", blur=False, sweep=False)
    assert summary.out_dir is None and p.videos.sinks == []  # type: ignore[attr-defined]
    assert "protect" not in p.imaging.calls  # type: ignore[attr-defined]


def test_missing_extra_comes_first() -> None:
    with pytest.raises(MissingExtraError):
        detect_signals(ports(installed=False), "clip.mp4", fps=-1.0, camera_elevation_deg=99)


def test_iter_alerts_closes_its_models() -> None:
    before = FakePose.closed
    alerts = list(iter_alerts(ports(), FakeFrames().read_frames("x", None), sweep=False))
    assert [a.kind for a in alerts] == [AlertKind.SURRENDER_SIGNAL]
    assert FakePose.closed == before + 1


def test_pipeline_without_ports_takes_keypoints_only() -> None:
    pipe = SignalPipeline()
    assert pipe.process_people(0.0, [syn.observe(syn.DOWN, syn.Camera())]).people
    with pytest.raises(TypeError, match="process_people"):
        pipe.process(0.0, np.zeros((8, 8, 3), np.uint8))


# -- which model runs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "installed", "runs", "level"),
    [
        ("auto", ("full", "heavy"), "heavy", None),
        ("auto", ("full",), "full", "info"),
        ("heavy", ("full", "heavy"), "heavy", None),
        ("heavy", ("full",), "full", "warning"),
        ("full", ("full", "heavy"), "full", None),
    ],
)
def test_model_choice(
    requested: str, installed: tuple[str, ...], runs: str, level: str | None
) -> None:
    model, notes = choose_model(requested, installed)
    assert model == runs
    assert [n.level for n in notes] == ([level] if level else [])
    p = ports(models=installed)
    said: list[Note] = []
    summary = detect_signals(p, "clip.mp4", model=requested, sweep=False, notify=said.append)
    assert summary.model == runs
    assert {m for _, m in p.poses.made} == {runs}  # type: ignore[attr-defined]
    assert said[0] == Note("info", f"pose model: BlazePose {runs.title()}")
    assert said == summary.notes
    if level == "warning":
        assert said[1].text.startswith("BlazePose Heavy is not installed: running BlazePose Full")
        assert "nothing is downloaded" in said[1].text


def test_unknown_model_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValueError) as info:
        detect_signals(ports(), "clip.mp4", model="huge")
    assert info.value.field == "model"


# -- where the camera looks -------------------------------------------------------------------


STEEP = syn.Camera(elevation_deg=50, yaw_deg=10)


def test_given_elevation_judges_in_the_world() -> None:
    summary = detect_signals(ports(camera=STEEP), "clip.mp4", camera_elevation_deg=50, sweep=False)
    assert [a.kind for a in summary.alerts] == [AlertKind.SURRENDER_SIGNAL]
    assert summary.elevation_source == "given"
    assert summary.world_share == 1.0
    assert "geometry: world 100%" in summary.describe()


def test_gimbal_log_wins_over_the_given_elevation() -> None:
    gimbal = FakeGimbal(50.0)
    p = ports(camera=STEEP, gimbal=gimbal)
    summary = detect_signals(p, "clip.mp4", camera_elevation_deg=10, tlog="f.tlog", sweep=False)
    assert gimbal.read_paths == ["f.tlog"]
    assert summary.elevation_source == "gimbal"
    assert [a.kind for a in summary.alerts] == [AlertKind.SURRENDER_SIGNAL]
    assert summary.to_dict()["elevation_frames"] == {"gimbal": 60}


@pytest.mark.parametrize(
    ("requested", "given", "tlog", "runs"),
    [
        ("auto", 50.0, None, "full"),  # steep, told: Full reads arms from above better
        ("auto", None, 50.0, "full"),  # steep, from the gimbal's median
        ("auto", 20.0, None, "heavy"),  # level enough: the better model
        ("auto", None, None, "heavy"),  # unknown before the first frame
        ("heavy", 50.0, None, "heavy"),  # asked for: obeyed
    ],
)
def test_auto_runs_full_for_a_steep_view(
    requested: str, given: float | None, tlog: float | None, runs: str
) -> None:
    p = ports(models=("full", "heavy"), camera=STEEP, gimbal=FakeGimbal(tlog))
    summary = detect_signals(
        p, "clip.mp4", model=requested, camera_elevation_deg=given,
        tlog="f.tlog" if tlog is not None else None, sweep=False,
    )  # fmt: skip
    assert summary.model == runs
    assert {m for _, m in p.poses.made} == {runs}  # type: ignore[attr-defined]
    if runs == "full":
        assert any("50 degrees down" in n.text for n in summary.notes)


def test_gimbal_log_without_gimbal_is_refused_before_any_output(tmp_path: Path) -> None:
    p = ports(gimbal=FakeGimbal(None))
    with pytest.raises(BadFileError) as info:
        detect_signals(p, "clip.mp4", tlog="f.tlog", out_dir=tmp_path / "out")
    assert info.value.field == "tlog"
    assert list(tmp_path.iterdir()) == []


def test_scene_estimate_takes_over_once_it_has_evidence() -> None:
    summary = detect_signals(ports(camera=STEEP), "clip.mp4", sweep=False)
    frames = summary.elevation_sources
    assert frames["unknown"] >= 1 and frames["scene"] >= 1, frames
    assert summary.elevation_source.startswith(("scene", "unknown"))
    assert 0 < summary.world_share < 1


@pytest.mark.parametrize("elevation", [-1.0, 90.5, math.nan, math.inf])
def test_camera_elevation_out_of_range_names_the_field(elevation: float) -> None:
    with pytest.raises(InvalidValueError) as info:
        detect_signals(ports(), "clip.mp4", camera_elevation_deg=elevation)
    assert info.value.field == "camera_elevation_deg"
    assert "give a camera elevation from 0 to 90 degrees" in info.value.message


def test_live_frames_may_carry_their_own_elevation() -> None:
    pipe = SignalPipeline(ports(camera=STEEP), sweep=False)
    try:
        frames = list(FakeFrames(STEEP).read_frames("x", None))
        res = pipe.process(*frames[0], view=CameraView(50.0, "gimbal"))
        assert res.view.source == "gimbal" and res.people[0].state.geometry == "world"
        res = pipe.process(*frames[1])
        assert res.view.source == "unknown" and res.people[0].state.geometry == "image"
    finally:
        pipe.close()
    stream = ((t, f, 50.0) for t, f in FakeFrames(STEEP).read_frames("x", None))
    alerts = list(iter_alerts(ports(camera=STEEP), stream, sweep=False))
    assert [a.kind for a in alerts] == [AlertKind.SURRENDER_SIGNAL]
    with pytest.raises(InvalidValueError) as info:
        list(iter_alerts(ports(), [(0.0, frames[0][1], 120.0)], sweep=False))
    assert info.value.field == "camera_elevation_deg"


# -- the sweep, the sign, large frames ------------------------------------------------------


def test_sweep_searches_with_static_models_and_follows_the_person() -> None:
    big = syn.Camera(person_px=400)  # over half the frame: followed on the whole frame
    p = ports(camera=big)
    summary = detect_signals(p, "clip.mp4")
    assert summary.sweep and [a.kind for a in summary.alerts] == [AlertKind.SURRENDER_SIGNAL]
    made = p.poses.made  # type: ignore[attr-defined]
    assert (True, "full") in made and (False, "full") in made
    assert summary.people_tracked == 1


def test_sign_is_asked_only_with_both_hands_raised() -> None:
    imaging = FakeImaging(sign=True)
    detect_signals(ports(imaging=imaging), "clip.mp4", sweep=False)
    asked = imaging.calls.count("sign")
    # Arms up from 1.5 s to 3.0 s (and on the way), at 10 frames per second.
    assert 10 <= asked <= 25, asked


def test_large_frame_says_how_it_is_swept_and_a_huge_one_is_refused() -> None:
    pipe = SignalPipeline(ports(), model="full")
    try:
        pipe.process(0.0, np.zeros((2160, 3840, 3), np.uint8))
    finally:
        pipe.close()
    (note,) = [n for n in pipe.notes if "3840 x 2160" in n.text]
    assert note.level == "info" and "tiles of about" in note.text
    with pytest.raises(InvalidValueError) as info:
        SignalPipeline(ports()).process(0.0, np.zeros((4, 8200, 3), np.uint8))
    assert info.value.field == "frame" and "downscale" in info.value.message


def test_gimbal_log_shorter_than_the_video_is_said(tmp_path: Path) -> None:
    class ShortGimbal(FakeGimbal):
        def read(self, path: object, *, start_unix_s: float | None = None) -> GimbalSeries:
            return GimbalSeries((0.0, 2.0), (50.0, 50.0))

    p = ports(camera=STEEP, gimbal=ShortGimbal(50.0))
    summary = detect_signals(p, "clip.mp4", tlog="f.tlog", sweep=False, out_dir=tmp_path / "o")
    (late,) = [n for n in summary.notes if n.level == "warning"]
    assert late.text.startswith("the telemetry log's gimbal attitude ends 2.0 s into the 5.9 s")
    data = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert str(late) in data["notes"]
