"""``safeconduct signals`` options of issue 16: --model, --camera-elevation, --tlog, --no-sweep.

Each refusal is one line naming its flag, with nothing written; a missing Heavy model runs
Full with a warning and never a download. Frames here are tiny and hold nobody, so the real
model runs in a fraction of a second.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.cli.conftest import Run

cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")


def _frames(folder: Path, n: int = 2, size: tuple[int, int] = (64, 48)) -> Path:
    folder.mkdir()
    for i in range(n):
        cv2.imwrite(str(folder / f"{i:04d}.png"), np.full((size[1], size[0], 3), 90, np.uint8))
    return folder


def _gimbal_tlog(path: Path, pitches_deg: list[float]) -> Path:
    from pymavlink.dialects.v20 import ardupilotmega as mavlink2

    mav = mavlink2.MAVLink(None, srcSystem=1, srcComponent=154)
    with path.open("wb") as f:
        for i, pitch in enumerate(pitches_deg):
            msg = mavlink2.MAVLink_mount_status_message(1, 1, int(pitch * 100), 0, 0)
            f.write(struct.pack(">Q", int((1.7e9 + i) * 1e6)) + msg.pack(mav))
    return path


def _error(run: Run) -> str:
    assert run.out.strip() in ("", "pose model: BlazePose Full", "pose model: BlazePose Heavy")
    (line,) = run.error_lines
    return line


@pytest.mark.parametrize(
    ("value", "said"),
    [("95", "95 degrees is out of range"), ("-5", "-5 degrees is out of range"),
     ("nan", "nan is not a number"), ("inf", "inf is out of range")],
)  # fmt: skip
def test_camera_elevation_outside_0_to_90_names_the_flag(
    cli, tmp_path: Path, value: str, said: str
) -> None:
    frames = _frames(tmp_path / "frames")
    run = cli("signals", str(frames), "--out", str(tmp_path / "out"), "--camera-elevation", value)
    assert run.code == 2
    assert _error(run) == (
        f"safeconduct: error: --camera-elevation: {said}; give a camera elevation from 0 to 90 "
        "degrees"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


def test_unknown_model_names_the_flag(cli, tmp_path: Path) -> None:
    frames = _frames(tmp_path / "frames")
    run = cli("signals", str(frames), "--model", "huge")
    assert run.code == 2
    assert _error(run) == (
        "safeconduct: error: --model: 'huge' is not a pose model; give one of auto, full, heavy"
    )


def test_tlog_without_gimbal_names_the_flag_and_the_file(cli, tmp_path: Path) -> None:
    frames = _frames(tmp_path / "frames")
    log = tmp_path / "flight.tlog"
    log.write_bytes(b"\0" * 64)
    run = cli("signals", str(frames), "--tlog", str(log), "--out", str(tmp_path / "out"))
    assert run.code == 1
    line = _error(run)
    assert line.startswith(f"safeconduct: error: --tlog: {log} holds no gimbal attitude")
    assert not (tmp_path / "out").exists()


def test_missing_heavy_runs_full_with_a_warning_and_no_download(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mediapipe.python.solutions import download_utils

    from safeconduct.adapters.vision.pose import MediapipePoseModels

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model download was attempted")

    monkeypatch.setattr(download_utils, "download_oss_model", no_download)
    monkeypatch.setattr(MediapipePoseModels, "available", lambda self: ("full",))
    frames = _frames(tmp_path / "frames")
    out = tmp_path / "out"
    run = cli("signals", str(frames), "--model", "heavy", "--no-sweep", "--out", str(out))
    assert run.code == 0, run.err
    assert run.error_lines == [
        "safeconduct: warning: BlazePose Heavy is not installed: running BlazePose Full "
        "instead (make vision-models installs Heavy; nothing is downloaded)"
    ]
    assert run.out.splitlines()[0] == "pose model: BlazePose Full"
    data = json.loads((out / "summary.json").read_text())
    assert data["model"] == "full" and data["sweep"] is False
    assert data["notes"][1].startswith("warning: BlazePose Heavy is not installed")


def test_tlog_gives_the_elevation_and_a_4k_frame_says_how_it_is_read(cli, tmp_path: Path) -> None:
    frames = _frames(tmp_path / "frames", n=1, size=(3840, 2160))
    log = _gimbal_tlog(tmp_path / "flight.tlog", [-40.0, -45.0])
    out = tmp_path / "out"
    run = cli(
        "signals", str(frames), "--tlog", str(log), "--model", "full", "--no-sweep",
        "--out", str(out), "--no-blur",
    )  # fmt: skip
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "pose model: BlazePose Full"
    assert lines[1].startswith("frames are 3840 x 2160 px: the pose model sees each whole frame")
    assert "camera elevation: gimbal" in run.out
    data = json.loads((out / "summary.json").read_text())
    assert data["elevation_source"] == "gimbal" and data["elevation_frames"] == {"gimbal": 1}


def test_help_lists_the_options(cli) -> None:
    run = cli("signals", "--help")
    assert run.code == 0
    for flag in ("--model", "--camera-elevation", "--tlog", "--no-sweep", "--out", "--fps"):
        assert flag in run.out
