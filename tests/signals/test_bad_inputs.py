"""Issue 18, item 10: ``signals`` refuses a frame rate out of range in one line naming
``--fps``, never drops frames without a word, leaves no staging folder a later run cannot
clean, and stops on Ctrl-C with nothing written."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from safeconduct.adapters.files.atomic import atomic_folder
from safeconduct.entrypoints.cli.app import main

#: The quickest model set-up, for refusals reached after some frames were analysed.
CHEAP = ("--model", "full", "--no-sweep")


def _refused(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(["signals", *args])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return int(info.value.code or 0), lines[0]


def _frames(folder: Path, sizes: list[tuple[int, int]]) -> Path:
    """Write one grey PNG per ``(width, height)``, named in order."""
    cv2 = pytest.importorskip("cv2")
    folder.mkdir()
    for i, (w, h) in enumerate(sizes):
        img = np.full((h, w, 3), 90, np.uint8)
        cv2.circle(img, (w // 2, h // 2), h // 8, (200, 200, 200), -1)
        cv2.imwrite(str(folder / f"{i:04d}.png"), img)
    return folder


@pytest.mark.parametrize("fps", ["inf", "nan", "-inf", "0", "1e6"])
def test_fps_inf_and_nan_are_refused_naming_the_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fps: str
) -> None:
    pytest.importorskip("mediapipe")
    frames = _frames(tmp_path / "frames", [(64, 48)] * 2)
    out = tmp_path / "out"
    code, line = _refused(capsys, str(frames), "--out", str(out), "--fps", fps)
    assert code == 2
    assert line.startswith("safeconduct: error: --fps: ")
    assert line.endswith("give a frame rate over 0, up to 240 frames per second")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


def test_folder_of_frames_of_mixed_sizes_is_refused_naming_the_frame(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe")
    frames = _frames(tmp_path / "frames", [(160, 120)] * 3 + [(320, 240)] * 3)
    code, line = _refused(capsys, str(frames), "--out", str(tmp_path / "out"), *CHEAP)
    assert code == 1
    assert line == (
        f"safeconduct: error: {frames / '0003.png'} is 320 x 240 px but 0000.png is "
        "160 x 120 px; give frames of one size (resize them first)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


def test_video_writer_scales_a_frame_of_another_size_instead_of_dropping_it(
    tmp_path: Path,
) -> None:
    cv2 = pytest.importorskip("cv2")
    from safeconduct.adapters.vision.video import VideoWriter

    writer = VideoWriter(tmp_path / "v.mp4", 5.0)
    for w, h in [(160, 120), (320, 240), (160, 120), (80, 60)]:
        writer.write(np.full((h, w, 3), 128, np.uint8))
    writer.close()
    cap = cv2.VideoCapture(str(tmp_path / "v.mp4"))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    assert count == writer.frames == 4


def test_staging_folder_of_a_killed_run_is_removed_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # A run killed outright (SIGKILL) inside its staging folder: no clean-up of its own.
    code = (
        "import os, signal, sys\n"
        "from safeconduct.adapters.files.atomic import atomic_folder\n"
        "with atomic_folder(sys.argv[1]) as stage:\n"
        "    (stage / 'alerts.jsonl').write_text('half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", code, str(out)], timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".staging-"), left
    # The next run on the same folder removes it, and its own outputs arrive.
    with atomic_folder(out) as stage:
        (stage / "summary.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in out.iterdir()] == ["summary.json"]


def test_staging_folder_of_a_running_process_is_left_alone(tmp_path: Path) -> None:
    import os

    mine = tmp_path / f".staging-{os.getpid()}-abc"
    mine.mkdir()
    foreign = tmp_path / ".staging-notapid"
    foreign.mkdir()
    with atomic_folder(tmp_path / "out") as stage:
        (stage / "x").write_text("x")
    assert mine.is_dir() and foreign.is_dir()


def test_ctrl_c_stops_a_long_signals_run_and_leaves_nothing(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    video = tmp_path / "long.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 25, (160, 120))
    for i in range(3000):  # about a minute of work: surely still running when interrupted
        img = np.full((120, 160, 3), 90, np.uint8)
        cv2.circle(img, (80, 60), 10 + i % 40, (200, 200, 200), -1)
        writer.write(img)
    writer.release()
    out = tmp_path / "out"
    code = "from safeconduct.entrypoints.cli.app import main; main()"
    run = subprocess.Popen(
        [sys.executable, "-c", code, "signals", str(video), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Interrupt once the run is under way: its staging folder exists.
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(f".staging-{run.pid}-*")):
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.1)
        time.sleep(0.5)
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4"]


# -- issue 16: bad videos, huge frames, mixed folders ---------------------------------------


def _mjpeg_avi(path: Path, frames: int) -> Path:
    cv2 = pytest.importorskip("cv2")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), 20 * i, np.uint8))
    writer.release()
    return path


def _no_output(tmp_path: Path, *inputs: str) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(inputs)


def test_video_with_no_frames(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    video = _mjpeg_avi(tmp_path / "empty.avi", 0)
    code, line = _refused(capsys, str(video), "--out", str(tmp_path / "out"))
    assert code == 1
    assert line == (
        f"safeconduct: error: video {video} holds no frames; give a recording with at "
        "least one frame"
    )
    _no_output(tmp_path, "empty.avi")


def test_corrupt_video(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    video = tmp_path / "clip.mp4"
    video.write_bytes(np.random.default_rng(1).integers(0, 255, 4000, np.uint8).tobytes())
    code, line = _refused(capsys, str(video), "--out", str(tmp_path / "out"))
    assert code == 1
    assert line.startswith(f"safeconduct: error: cannot read video {video}: damaged, cut short")
    assert line.endswith(f"convert it: ffmpeg -i {video} -c:v libx264 OUT.mp4")
    _no_output(tmp_path, "clip.mp4")


def test_unsupported_codec_names_the_fourcc(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """OpenCV opens the file but decodes no frame: the FourCC and the conversion are named
    (an Indeo 5 tag over MJPEG data: a container OpenCV opens, a stream it cannot decode)."""
    pytest.importorskip("mediapipe")
    good = _mjpeg_avi(tmp_path / "good.avi", 5)
    video = tmp_path / "indeo.avi"
    video.write_bytes(good.read_bytes().replace(b"MJPG", b"IV50"))
    good.unlink()
    code, line = _refused(capsys, str(video), "--out", str(tmp_path / "out"))
    assert code == 1
    assert line == (
        f"safeconduct: error: cannot decode video {video}: its codec (IV50) is one OpenCV "
        f"cannot decode here; convert it: ffmpeg -i {video} -c:v libx264 OUT.mp4"
    )
    _no_output(tmp_path, "indeo.avi")


def test_frame_over_8192_px_is_refused_saying_to_downscale(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe")
    frames = _frames(tmp_path / "frames", [(8200, 16)])
    code, line = _refused(capsys, str(frames), "--out", str(tmp_path / "out"))
    assert code == 1
    assert line == (
        f"safeconduct: error: {frames / '0000.png'}: it is 8200 x 16 px, over the 8192 px "
        "analysed on the long side; downscale it first (ffmpeg -i IN -vf scale=3840:-2 OUT)"
    )
    _no_output(tmp_path, "frames")


def test_folder_ignores_other_files_and_names_an_unreadable_image(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe")
    from safeconduct.adapters.vision.video import read_frames

    frames = _frames(tmp_path / "frames", [(64, 48)] * 2)
    (frames / "notes.txt").write_text("taken at dawn")
    (frames / ".DS_Store").write_bytes(b"\0\1")
    assert len(list(read_frames(frames))) == 2
    (frames / "0002.jpg").write_bytes(b"not a picture")
    code, line = _refused(capsys, str(frames), "--out", str(tmp_path / "out"), *CHEAP)
    assert code == 1
    assert line == (
        f"safeconduct: error: cannot read image {frames / '0002.jpg'}; is it a valid picture?"
    )
    _no_output(tmp_path, "frames")


def test_frame_size_limit_and_fourcc_names() -> None:
    cv2 = pytest.importorskip("cv2")
    from safeconduct.adapters.vision.video import fourcc_text, frame_size_problem

    assert frame_size_problem(3840, 2160) is None  # 4K
    assert frame_size_problem(7680, 4320) is None  # 8K UHD
    assert frame_size_problem(8192, 4320) is None  # 8K DCI
    tall = frame_size_problem(4320, 8200)
    assert tall is not None and "scale=-2:3840" in tall
    assert fourcc_text(cv2.VideoWriter_fourcc(*"avc1")) == "avc1"
    assert fourcc_text(0) == "0x00000000"
