"""mediapipe's native log lines never reach the ``signals`` output; our own lines all do.

mediapipe 0.10.21 writes Abseil and TensorFlow Lite log lines from C++ straight to file
descriptor 2 ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", "W0000 ...
inference_feedback_manager.cc:114] ..."), so only a real process shows them: the command
runs here in a subprocess, exactly as a user starts it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from safeconduct.adapters.vision.native_logs import QUIET_ENV, drop_chatter, quiet_native_logs
from safeconduct.signals.detector import ACTION_TEXT, NO_SIGNAL_TEXT, AlertKind

KINDS = "|".join(k.value for k in AlertKind)
OURS = [
    re.compile(rf"^ *\d+\.\d\d s  person #\d+  (?:{KINDS})  \(confidence \d\.\d\d\)$"),
    re.compile(rf"^(?:{KINDS})(?:, (?:{KINDS}))* — {re.escape(ACTION_TEXT)}$"),
    re.compile(rf"^{re.escape(NO_SIGNAL_TEXT)}$"),
    re.compile(r"^wrote .+/alerts\.jsonl, annotated\.mp4, summary\.json$"),
    re.compile(r"^pose model: BlazePose (?:Full|Heavy)$"),
    re.compile(r"^BlazePose Heavy is not installed: running BlazePose Full .*$"),
    re.compile(r"^model: BlazePose (?:Full|Heavy); geometry: world \d+% .*; camera elevation: .+$"),
]


def run_signals(*args: str) -> subprocess.CompletedProcess[str]:
    """``safeconduct signals ARGS`` in a fresh process, without any log-quietening env."""
    env = {k: v for k, v in os.environ.items() if k not in QUIET_ENV}
    code = "from safeconduct.entrypoints.cli.app import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "signals", *args],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip


def assert_ours(text: str) -> None:
    for line in text.splitlines():
        assert any(p.match(line) for p in OURS), f"not a line of ours: {line!r}"


@pytest.fixture(scope="module")
def signal_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    from tests.signals.inputs import render_signal_video

    return render_signal_video(tmp_path_factory.mktemp("video") / "signal.mp4")


def test_video_output_is_ours_only(signal_video: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_signals(str(signal_video), "--out", str(out), "--model", "full", "--no-sweep")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert_ours(result.stdout)
    lines = result.stdout.splitlines()
    assert any("SURRENDER_SIGNAL" in line and "person #" in line for line in lines)
    assert lines[-2].startswith("SURRENDER_SIGNAL") and "hors de combat" in lines[-2]
    assert json.loads((out / "summary.json").read_text())["alert_counts"]["SURRENDER_SIGNAL"]


def test_folder_error_still_shown_and_alone(tmp_path: Path) -> None:
    # The model has run (and logged) on good frames before our error: the user sees only it.
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    from tests.signals.inputs import render_frames_folder

    folder = render_frames_folder(tmp_path / "frames", 3)
    (folder / "0003.png").write_bytes(b"not a picture")
    result = run_signals(str(folder), "--no-blur", "--model", "full", "--no-sweep")
    assert result.returncode == 1
    assert result.stdout == "pose model: BlazePose Full\n"  # said before the work starts
    assert result.stderr.splitlines() == [
        f"safeconduct: error: cannot read image {folder / '0003.png'}; is it a valid picture?"
    ]


def test_fps_error_names_the_flag(tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    result = run_signals(str(tmp_path), "--fps", "-1")
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "safeconduct: error: --fps: -1 frames per second is out of range; "
        "give a frame rate over 0, up to 240 frames per second"
    ]
    assert result.returncode == 2


def test_chatter_dropped_everything_else_kept() -> None:
    noise = (
        b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
        b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        b"W0000 00:00:1795781554.786218   13224 inference_feedback_manager.cc:114] Feedback "
        b"manager requires a model with a single signature inference.\n"
        b"I0412 10:01:02.123456  77 gl_context.cc:357] GL version: 3.2\n"
    )
    kept = (
        b"E0000 00:00:1795781554.859757   13224 graph.cc:1] a real failure\n"
        b"ERROR: tflite could not allocate tensors\n"
        b"Traceback (most recent call last):\n"
    )
    assert drop_chatter(noise + kept) == kept


def test_quiet_block_passes_other_writes_on(capfd: pytest.CaptureFixture[str]) -> None:
    with quiet_native_logs():
        os.write(2, b"W0000 00:00:1.5  1 calculator.cc:9] chatter\n")
        os.write(2, b"something else\n")
        print("stdout untouched")
    captured = capfd.readouterr()
    assert captured.err == "something else\n"
    assert captured.out == "stdout untouched\n"
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"  # fd 2 is back where it was


def test_nested_blocks_restore_fd2_once(capfd: pytest.CaptureFixture[str]) -> None:
    with quiet_native_logs():
        with quiet_native_logs():
            os.write(2, b"I0000 00:00:2.0  1 a.cc:1] inner chatter\ninner kept\n")
        os.write(2, b"outer kept\n")
    assert capfd.readouterr().err == "inner kept\nouter kept\n"
    with quiet_native_logs():  # the reused capture file starts empty again
        os.write(2, b"again\n")
    assert capfd.readouterr().err == "again\n"
