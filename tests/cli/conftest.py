"""Helpers for the command-line tests: run ``main()`` as a user would, read its output."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from safeconduct.entrypoints.cli.app import main


@dataclass(frozen=True)
class Run:
    """What a command did: exit status, stdout and stderr."""

    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return self.err.strip().splitlines()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``safeconduct ARGS...`` in this process; return its :class:`Run`."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def run_process(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the console entry point in a child process, exactly as a user would."""
    code = "from safeconduct.entrypoints.cli.app import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout
    )
