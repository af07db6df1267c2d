"""The use cases on fake ports: no mediapipe, no OpenCV, no files but the ones asked for."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from safeconduct.adapters.files.atomic import AtomicFiles
from safeconduct.errors import MissingExtraError
from safeconduct.services.signals import SignalPipeline, SignalsPorts, detect_signals, iter_alerts
from safeconduct.signals import synthetic as syn
from safeconduct.signals.detector import AlertKind
from safeconduct.signals.gestures import Keypoints

FPS = 10.0
SIGNAL = syn.keyframes(
    [(0, syn.DOWN), (1, syn.DOWN), (1.5, syn.UP), (3.0, syn.UP), (3.5, syn.OUT),
     (5.0, syn.OUT), (5.5, syn.DOWN), (6.0, syn.DOWN)]
)  # fmt: skip


class FakePose:
    """Reads the time stamped into pixel (0, 0) and reports the synthetic pose then."""

    closed = 0

    def estimate(self, frame_bgr: np.ndarray) -> Keypoints | None:
        t = float(frame_bgr[0, 0, 0]) / FPS
        return syn.observe(SIGNAL(t), syn.Camera())

    def close(self) -> None:
        FakePose.closed += 1


class FakePoses:
    def __init__(self, installed: bool = True) -> None:
        self.installed = installed
        self.made: list[bool] = []

    def require(self) -> None:
        if not self.installed:
            raise MissingExtraError("signal recognition needs mediapipe")

    def estimator(self, *, static: bool) -> FakePose:
        self.made.append(static)
        return FakePose()


class FakeFrames:
    def frame_rate(self, source: object, fps: float | None) -> float:
        return fps or FPS

    def read_frames(self, source: object, fps: float | None) -> Iterator[tuple[float, np.ndarray]]:
        for i in range(int(6 * FPS)):
            frame = np.zeros((48, 64, 3), np.uint8)
            frame[0, 0, 0] = i
            yield i / FPS, frame


class FakeImaging:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def bright_patch(self, frame: np.ndarray, center: tuple[float, float], r: float) -> bool:
        return False

    def protect(self, frame: np.ndarray, people: Sequence[Keypoints]) -> np.ndarray:
        self.calls.append("protect")
        return frame

    def draw_person(self, frame: np.ndarray, keypoints: Keypoints, label: str, alert: bool) -> None:
        self.calls.append("person")

    def draw_banner(self, frame: np.ndarray, text: str, alert: bool) -> None:
        self.calls.append("banner")


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


def ports(installed: bool = True) -> SignalsPorts:
    return SignalsPorts(
        FakePoses(installed), FakeFrames(), FakeImaging(), FakeVideos(), AtomicFiles()
    )


def test_detect_signals_on_fake_ports(tmp_path: Path) -> None:
    poses, imaging, videos = FakePoses(), FakeImaging(), FakeVideos()
    p = SignalsPorts(poses, FakeFrames(), imaging, videos, AtomicFiles())
    out = tmp_path / "out"
    summary = detect_signals(p, "clip.mp4", out_dir=out, blur=True)
    assert [a.kind for a in summary.alerts] == [AlertKind.SURRENDER_SIGNAL]
    assert summary.frames == 60 and summary.people_tracked == 1 and summary.out_dir == out
    assert poses.made == [False]  # one video-mode model for the whole frame
    assert videos.sinks[0].frames == 60
    assert imaging.calls.count("protect") == 60
    assert sorted(x.name for x in out.iterdir()) == [
        "alerts.jsonl",
        "annotated.mp4",
        "summary.json",
    ]
    (line,) = (out / "alerts.jsonl").read_text().splitlines()
    assert json.loads(line)["kind"] == "SURRENDER_SIGNAL"
    assert json.loads((out / "summary.json").read_text())["people_tracked"] == 1


def test_no_blur_no_output_folder() -> None:
    imaging, videos = FakeImaging(), FakeVideos()
    p = SignalsPorts(FakePoses(), FakeFrames(), imaging, videos, AtomicFiles())
    summary = detect_signals(p, "clip.mp4", blur=False)
    assert summary.out_dir is None and videos.sinks == []
    assert "protect" not in imaging.calls


def test_missing_extra_comes_first() -> None:
    with pytest.raises(MissingExtraError):
        detect_signals(ports(installed=False), "clip.mp4", fps=-1.0)


def test_iter_alerts_closes_its_models() -> None:
    before = FakePose.closed
    alerts = list(iter_alerts(ports(), FakeFrames().read_frames("x", None)))
    assert [a.kind for a in alerts] == [AlertKind.SURRENDER_SIGNAL]
    assert FakePose.closed == before + 1


def test_pipeline_without_ports_takes_keypoints_only() -> None:
    pipe = SignalPipeline()
    assert pipe.process_people(0.0, [syn.observe(syn.DOWN, syn.Camera())]).people
    with pytest.raises(TypeError, match="process_people"):
        pipe.process(0.0, np.zeros((8, 8, 3), np.uint8))
