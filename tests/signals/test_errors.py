"""One-line errors: unreadable video, empty folder, missing extra."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

import pytest

from safeconduct.adapters.vision import pose
from safeconduct.bootstrap import signals_ports
from safeconduct.errors import BadFileError, InvalidValueError, SafeconductError

pytest.importorskip("cv2")


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text
    return text


@pytest.fixture
def no_mediapipe(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "mediapipe" or name.startswith("mediapipe."):
            raise ImportError("No module named 'mediapipe'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delitem(sys.modules, "mediapipe", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_missing_extra_says_how_to_install(no_mediapipe: None, tmp_path: Path) -> None:
    from safeconduct.services.signals import detect_signals

    with pytest.raises(pose.MissingExtraError) as info:
        detect_signals(signals_ports(), tmp_path)
    assert isinstance(info.value, SafeconductError)
    assert "pip install 'safeconduct[vision]'" in _one_line(info.value)
    with pytest.raises(pose.MissingExtraError):
        pose.PoseEstimator()


def test_empty_folder(tmp_path: Path) -> None:
    from safeconduct.adapters.vision.video import read_frames

    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(BadFileError) as info:
        next(read_frames(tmp_path))
    assert "holds no images" in _one_line(info.value)


def test_unreadable_video(tmp_path: Path) -> None:
    from safeconduct.adapters.vision.video import read_frames

    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"this is not a video")
    with pytest.raises(BadFileError) as info:
        list(read_frames(bad))
    assert "clip.mp4" in _one_line(info.value)


def test_missing_source(tmp_path: Path) -> None:
    from safeconduct.adapters.vision.video import read_frames

    with pytest.raises(BadFileError) as info:
        next(read_frames(tmp_path / "nope.mp4"))
    _one_line(info.value)


def test_bad_image_in_folder(tmp_path: Path) -> None:
    from safeconduct.adapters.vision.video import read_frames

    (tmp_path / "0001.png").write_bytes(b"garbage")
    with pytest.raises(BadFileError):
        list(read_frames(tmp_path))


def test_bad_fps(tmp_path: Path) -> None:
    from safeconduct.adapters.vision.video import source_fps

    with pytest.raises(InvalidValueError) as info:
        source_fps(tmp_path, -1.0)
    assert info.value.field == "fps" and not info.value.message.startswith("--")


@pytest.mark.parametrize("fps", [0.0, -2.0, float("nan"), float("inf"), 1000.0])
def test_detect_signals_rejects_bad_fps_before_reading(tmp_path: Path, fps: float) -> None:
    from safeconduct.services.signals import detect_signals

    pytest.importorskip("mediapipe")
    with pytest.raises(InvalidValueError) as info:
        detect_signals(signals_ports(), tmp_path / "missing.mp4", fps=fps)
    assert info.value.field == "fps"
    assert _one_line(info.value).startswith("fps: ")
    assert "give a frame rate over 0, up to 240 frames per second" in info.value.message


def test_missing_source_through_the_service(tmp_path: Path) -> None:
    from safeconduct.services.signals import detect_signals

    pytest.importorskip("mediapipe")
    out = tmp_path / "out"
    with pytest.raises(BadFileError) as info:
        detect_signals(signals_ports(), tmp_path / "nope.mp4", out_dir=out)
    assert "does not exist" in _one_line(info.value)
    assert not out.exists()
