"""The processes the fault tests start, kill and start again.

- :class:`Served`: one ``safeconduct serve`` command on a free port of 127.0.0.1, started
  again with the very same command after it was killed;
- :class:`Worker`: one ``safeconduct worker`` command (plan jobs on PostgreSQL);
- :class:`PrivateCluster`: a PostgreSQL cluster of the test's own (``initdb`` as the
  ``postgres`` OS user, a free port, its socket in a temporary folder), which a test may
  crash and start again: the shared server of the suite is never touched.

Every process is stopped by its owner in a ``finally`` (or a fixture's teardown); the logs
go to files, so that a failure can say what the process said.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from tests.served import free_port

#: The command every process runs: the console script of the interpreter running the tests.
SAFECONDUCT = str(Path(sys.executable).with_name("safeconduct"))
#: Seconds a ``serve`` may take to answer ``/api/health`` (it migrates first).
START_TIMEOUT_S = 60.0
#: Seconds a stopped process may take to end before it is killed.
STOP_TIMEOUT_S = 20.0


def child_env() -> dict[str, str]:
    """The environment of a child: ours (the session's key file included), without a
    developer's ``SAFECONDUCT_DB``, which would redirect it."""
    return {k: v for k, v in os.environ.items() if k != "SAFECONDUCT_DB"}


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ("" when there is none)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _end(process: subprocess.Popen[bytes], first: int = signal.SIGINT) -> None:
    """Stop ``process``: ``first`` (a clean stop), then SIGKILL after a while."""
    if process.poll() is None:
        process.send_signal(first)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Served:
    """One ``safeconduct serve`` command on its own port; start it again after a kill.

    Parameters
    ----------
    database
        The options that name the database (``["--data", DIR]`` or ``["--db", URL]``).
    logs
        Folder for the process's output (``serve-<n>.log``, one per start).
    """

    def __init__(self, database: list[str], logs: Path) -> None:
        self.port = free_port()
        self.command = [SAFECONDUCT, "serve", *database, "--port", str(self.port)]
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.logs / f"serve-{self.starts}.log"

    def start(self) -> Served:
        """Run the command and wait until the service answers ``/api/health``."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, env=child_env()
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"`{' '.join(self.command)}` did not answer within "
                    f"{START_TIMEOUT_S:.0f} s; it said:\n{tail(self.log)}"
                )
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)

    def kill9(self) -> None:
        """SIGKILL, as a power cut of the process: no handler runs, nothing is flushed."""
        assert self.process is not None and self.process.poll() is None, "not running"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """Stop it cleanly (SIGINT, as Ctrl-C), killed when it takes too long."""
        if self.process is not None:
            _end(self.process)


class Worker:
    """One ``safeconduct worker`` command (procrastinate) on a PostgreSQL database."""

    def __init__(self, url: str, data: Path, log: Path) -> None:
        # --nice 0: the tests' own processes compete with the plan, not a service.
        self.command = [SAFECONDUCT, "worker", "--db", url, "--data", str(data), "--nice", "0"]
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, env=child_env()
            )

    def kill9(self) -> None:
        """SIGKILL: the job it holds stays ``running`` with no heartbeat."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        _end(self.process, signal.SIGTERM)


# ---- a private PostgreSQL cluster ----------------------------------------------------------

#: The OS user that owns a cluster (initdb refuses to run as root).
POSTGRES_USER = "postgres"


def postgres_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL's server programs, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(found[-1]).parent if found else None


def why_no_private_cluster() -> str | None:
    """Why this machine cannot run a private cluster (None: it can)."""
    if os.geteuid() != 0:
        return "a private PostgreSQL cluster is started as the postgres OS user: run as root"
    if postgres_bin() is None:
        return "no PostgreSQL server programs in /usr/lib/postgresql/*/bin (apt install postgresql)"
    try:
        pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        return f"no {POSTGRES_USER!r} OS user to own a private PostgreSQL cluster"
    return None


class PrivateCluster:
    """A PostgreSQL cluster of the tests' own in ``root`` (owned by the ``postgres`` user).

    It listens on 127.0.0.1 at a free port with its socket in ``root``. ``fsync`` is off:
    the faults here kill processes, not the machine, and the operating system keeps
    what a killed server wrote; a power cut is not simulated.
    """

    def __init__(self, root: Path) -> None:
        bindir = postgres_bin()
        assert bindir is not None
        self.bin = bindir
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.log = root / "postgres.log"
        owner = pwd.getpwnam(POSTGRES_USER)
        os.chown(root, owner.pw_uid, owner.pw_gid)

    def _run(self, *command: str, timeout: float = 60) -> None:
        done = subprocess.run(
            ["runuser", "-u", POSTGRES_USER, "--", str(self.bin / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n"
                f"{tail(self.log)}"
            )

    def initdb(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", POSTGRES_USER,
                  "-E", "UTF8", "--no-sync")  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c shared_buffers=16MB -c max_connections=100")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def crash(self) -> None:
        """Stop it as a crash does (``pg_ctl stop -m immediate``: no checkpoint, every
        connection cut); the next start recovers from the WAL."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        done = subprocess.run(
            ["runuser", "-u", POSTGRES_USER, "--", str(self.bin / "pg_ctl"), "-D",
             str(self.data), "status"],
            capture_output=True,
        )  # fmt: skip
        return done.returncode == 0

    def stop(self) -> None:
        """Stop it (fast: connections cut, a clean shutdown) if it runs."""
        if self.running():
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql+psycopg`` URL of a database of this cluster."""
        return f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
