"""``safeconduct worker`` runs its plans below the service's CPU priority.

A plan keeps the cores busy for seconds; at equal priority the service beside it on a
small machine answered the crews' live positions several times slower
(bench/bench_load.py, planning mix). The worker raises its niceness (``--nice``, default
10) before any thread starts, and never lowers one it was started with. Each check runs in
a fresh interpreter: niceness cannot be lowered again in this one.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from safeconduct.entrypoints.cli.worker import DEFAULT_NICE

pytestmark = pytest.mark.skipif(not hasattr(os, "nice"), reason="the OS has no niceness")

_PROBE = """
import os, sys
from safeconduct.entrypoints.cli.worker import lower_priority
os.nice({start})
lower_priority({asked})
print(os.nice(0))
"""


def _niceness_after(start: int, asked: int) -> int:
    code = _PROBE.format(start=start, asked=asked)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return int(proc.stdout.split()[-1])


def test_the_worker_raises_its_niceness_to_the_asked_one() -> None:
    base = os.nice(0)
    assert _niceness_after(0, DEFAULT_NICE) == max(base, DEFAULT_NICE)
    assert DEFAULT_NICE > 0


def test_a_niceness_already_higher_is_kept() -> None:
    base = os.nice(0)
    assert _niceness_after(15, 5) == min(19, base + 15)


def test_the_worker_command_offers_the_option(cli) -> None:
    run = cli("worker", "--help")
    assert run.code == 0 and "--nice" in run.out
