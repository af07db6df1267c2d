"""Ctrl-C: exit status 130, one line saying what was interrupted, nothing written (issue 18,
item 13). Each command runs in a child process that gets a real SIGINT once its long work
has begun (its staged outputs have appeared), as a user's Ctrl-C would arrive."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safeconduct.services.operation import REHEARSAL_STAGING_PREFIX

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

START = "48.59252,38.01946"


def interrupt_once_started(args: list[str], started, limit_s: float = 240.0):
    """Run ``safeconduct ARGS``; send SIGINT as soon as ``started()`` is true; return the run.

    Returns None if the command ended before its work was seen to begin (nothing to test).
    """
    code = "from safeconduct.entrypoints.cli.app import main; main()"
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + limit_s
    try:
        while not started():
            if child.poll() is not None or time.monotonic() > deadline:
                child.communicate()
                return None
            time.sleep(0.01)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=limit_s)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    return child.returncode, out, err


def hidden(folder: Path, prefix: str) -> bool:
    return any(p.name.startswith(prefix) for p in folder.iterdir())


def test_ctrl_c_during_rehearse_exits_130_saying_what_was_interrupted(
    sample_area: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = interrupt_once_started(
        ["rehearse", "--area", str(sample_area), "--out", str(out)],
        lambda: hidden(tmp_path, REHEARSAL_STAGING_PREFIX),
    )
    if result is None:
        pytest.skip("the rehearsal ended before it could be interrupted")
    code, _out, err = result
    assert code == 130
    assert err.strip().splitlines() == [
        "safeconduct: rehearse interrupted before it finished; nothing was written "
        "(outputs appear only when a command completes)"
    ]
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_route_leaves_neither_route_nor_map(
    sample_area: Path, tmp_path: Path
) -> None:
    args = ["route", "--dem", str(sample_area / "dem.tif"), "--start", START,
            "--reception", str(sample_area / "reception.geojson"),
            "--out", str(tmp_path / "r.geojson"), "--map", str(tmp_path / "r.png")]  # fmt: skip
    result = interrupt_once_started(args, lambda: hidden(tmp_path, ".r.geojson."))
    if result is None:
        pytest.skip("the route was planned before it could be interrupted")
    code, _out, err = result
    assert code == 130
    assert "route interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_demo_leaves_no_half_area(tmp_path: Path) -> None:
    result = interrupt_once_started(
        ["demo", "--out", str(tmp_path / "d")],
        lambda: hidden(tmp_path, REHEARSAL_STAGING_PREFIX),
    )
    if result is None:
        pytest.skip("the demo ended before it could be interrupted")
    code, _out, err = result
    assert code == 130
    assert "demo interrupted" in err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_on_a_command_that_runs_until_stopped_says_it_stopped() -> None:
    import select

    code = "from safeconduct.entrypoints.cli.app import main; main()"
    child = subprocess.Popen(
        [sys.executable, "-c", code, "intake", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 240)  # the bot's first words
        assert ready, "the chat did not start"
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=240)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130
    assert err.strip().splitlines() == ["safeconduct: intake stopped (Ctrl-C)"]


def test_ctrl_c_at_a_password_prompt_is_an_interruption_not_aborted(tmp_path: Path) -> None:
    import os
    import pty
    import select

    args = ["export", "--out", str(tmp_path / "e.zip"), "--purpose", "test",
            "--case-code", "ABCD-EFGH", "--data", str(tmp_path / "data")]  # fmt: skip
    code = "from safeconduct.entrypoints.cli.app import main; main()"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command at a terminal, as a user runs it
        os.execv(sys.executable, [sys.executable, "-c", code, *args])
    seen = b""
    try:
        while b"Password for the archive" not in seen:
            ready, _, _ = select.select([fd], [], [], 240)
            assert ready, "no prompt"
            seen += os.read(fd, 4096)
        os.kill(pid, signal.SIGINT)
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closed with the child
                break
            if not chunk:
                break
            seen += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = seen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 130
    assert "Aborted!" not in text
    assert "safeconduct: export interrupted before it finished; nothing was written" in text
    assert list(tmp_path.iterdir()) == []
