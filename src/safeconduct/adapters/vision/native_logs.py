"""Keep mediapipe's native log lines out of the terminal, and only those.

mediapipe 0.10.21 logs from C++ straight to file descriptor 2: Abseil log lines
(``W0000 00:00:1795781554.786218  13224 inference_feedback_manager.cc:114] ...``, with the
preamble ``WARNING: All log messages before absl::InitializeLog() is called are written to
STDERR``) and TensorFlow Lite's minimal logger (``INFO: Created TensorFlow Lite XNNPACK
delegate for CPU.``). Neither reads ``GLOG_minloglevel`` or ``TF_CPP_MIN_LOG_LEVEL``, and
Python's ``sys.stderr`` is not involved, so the only robust cure is at the descriptor:
:func:`quiet_native_logs` points fd 2 at a temporary file around each call into the
model, then passes on every captured line that is not such informational chatter (errors,
fatal messages and anything unrecognised still reach the user, only later).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import BinaryIO

#: Environment read by builds of mediapipe and TensorFlow that log through glog or TF's own
#: logger (0.10.21 uses Abseil and ignores them); set before mediapipe loads, never
#: overriding a value the user chose.
QUIET_ENV = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}

#: Lines dropped: Abseil/glog INFO and WARNING lines, Abseil's pre-initialisation notice,
#: and TensorFlow Lite's ``INFO:`` / ``WARNING:`` / ``VERBOSE:`` lines; and, around OpenCV's
#: video and image calls, FFmpeg's lines (``[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55f3ec60a400] moov
#: atom not found``), OpenCV's own log lines (``[ WARN:0@0.012] global cap.cpp ...``) and
#: libpng's warnings: safeconduct says in its own one line what went wrong with the file.
#: Abseil ``E`` and ``F`` lines and TFLite ``ERROR:`` lines are kept: they may explain a
#: failure. ``--verbose`` (:func:`show_native_logs`) keeps every line.
CHATTER = re.compile(
    rb"^(?:[IW]\d{4} [\d:.]+\s+\d+ [^\]\s]+:\d+\] .*"
    rb"|(?:INFO|WARNING|VERBOSE): .*"
    rb"|\[[^\]@]+ @ 0x[0-9a-fA-F]+\] .*"
    rb"|\[ ?(?:WARN|INFO|DEBUG|ERROR|FATAL):\d+@[\d.]+\] .*"
    rb"|libpng (?:warning|error): .*)$"
)

_show_all = False


def show_native_logs(show: bool = True) -> None:
    """Pass every captured native line on, chatter included (the command line's
    ``--verbose``), so a failure inside FFmpeg or mediapipe can be diagnosed."""
    global _show_all
    _show_all = show


def quiet_env() -> None:
    """Set :data:`QUIET_ENV` in this process where not already set (call before import)."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)


def drop_chatter(captured: bytes) -> bytes:
    """``captured`` without the lines :data:`CHATTER` matches (line endings kept)."""
    kept = [line for line in captured.splitlines(keepends=True)
            if not CHATTER.match(line.rstrip(b"\r\n"))]  # fmt: skip
    return b"".join(kept)


class _Capture:
    """fd 2 pointed at one reusable temporary file while any quiet block is open.

    Blocks may nest or overlap across threads: fd 2 is process-wide, so the first block in
    redirects it and the last one out restores it and passes the captured lines on. The
    file is made once and emptied after each use (making one costs about 0.5 ms, a
    redirect about 15 us: this runs around every inference).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: int | None = None
        self._sink: BinaryIO | None = None

    def begin(self) -> bool:
        """Open a block; False (and nothing redirected) if fd 2 cannot be redirected."""
        with self._lock:
            if self._depth == 0:
                _flush_stderr()
                try:
                    if self._sink is None:
                        # Kept open for the life of the process, on purpose.
                        self._sink = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115
                    saved = os.dup(2)
                except OSError:
                    return False
                os.dup2(self._sink.fileno(), 2)
                self._saved = saved
            self._depth += 1
            return True

    def end(self) -> None:
        """Close a block; the last one restores fd 2 and re-emits all but chatter."""
        with self._lock:
            self._depth -= 1
            if self._depth or self._saved is None or self._sink is None:
                return
            _flush_stderr()
            os.dup2(self._saved, 2)
            os.close(self._saved)
            self._saved = None
            # fd 2 shared the sink's offset: rewind and empty it for the next block.
            self._sink.seek(0)
            captured = self._sink.read() or b""
            self._sink.seek(0)
            self._sink.truncate()
        _write_all(2, captured if _show_all else drop_chatter(captured))


_CAPTURE = _Capture()


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Capture what native code writes to fd 2 in the block; re-emit all but chatter.

    Only calls into the pose model run inside, so nothing of safeconduct's own is
    captured; anything else written meanwhile (another thread, a real error) is passed on
    after the block. Should fd 2 not be redirectable (closed, say), the block runs as is.
    A native crash inside the block loses what it wrote there.
    """
    if not _CAPTURE.begin():
        yield
        return
    try:
        yield
    finally:
        _CAPTURE.end()


def _flush_stderr() -> None:
    """Push Python's buffered stderr out first, so that it lands where it was meant to."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd``, giving up quietly if it is gone."""
    view = memoryview(data)
    with contextlib.suppress(OSError):
        while view:
            view = view[os.write(fd, view) :]
