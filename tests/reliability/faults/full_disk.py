"""A small disk that can be filled and freed: a size-limited tmpfs, and ballast on it.

``small_disk(mib)`` mounts a tmpfs of that size in a fresh temporary folder and unmounts it
afterwards (mounting needs root: without it the test is skipped with the reason, or fails
when ``$CI`` is set, since CI must run it). :class:`Ballast` takes all but a few bytes of
the free space and gives it back on demand: the disk is full at a moment the test
chooses, and freed without touching the service's own files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Files that a write cut short must never leave behind in the data folder: atomic_path's
#: and output_set's temporary files, atomic_folder's staging folders, SQLite's rollback
#: journal (WAL mode keeps none).
LEFTOVER_PATTERNS = (".*.tmp", ".*.staged*", ".staging-*", "*-journal")


def refuse(reason: str) -> None:
    """Skip the test for ``reason``, or fail it when ``$CI`` is set (CI must run it)."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the full-disk test: {reason}", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def small_disk(mib: int) -> Iterator[Path]:
    """A tmpfs of ``mib`` MiB mounted on a new temporary folder; unmounted afterwards."""
    if os.name != "posix" or os.geteuid() != 0:
        refuse("a size-limited tmpfs needs root (mount -t tmpfs); run as root to test a full disk")
    mount = shutil.which("mount")
    if mount is None:
        refuse("no mount command here")
    where = Path(tempfile.mkdtemp(prefix="safeconduct-full-disk-"))
    done = subprocess.run(
        # 0755: a private PostgreSQL cluster on it runs as the postgres user.
        [str(mount), "-t", "tmpfs", "-o", f"size={mib}m,mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        where.rmdir()
        refuse(f"cannot mount a tmpfs ({done.stderr.strip() or done.returncode})")
    try:
        yield where
    finally:
        # Lazy: a file the service still holds open must not leave the mount behind.
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)
        with contextlib.suppress(OSError):
            where.rmdir()


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer could still put on ``path``'s file system."""
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


class Ballast:
    """Files that take a disk's free space, all but ``leave`` bytes, until :meth:`free`."""

    def __init__(self, disk: Path) -> None:
        self.folder = disk / "ballast"
        self.folder.mkdir()
        self._count = 0

    def fill(self, *, leave: int = 0) -> None:
        """Take the free space of the disk but ``leave`` bytes (0: every byte)."""
        size = free_bytes(self.folder) - leave
        if size <= 0:
            return
        self._count += 1
        path = self.folder / f"ballast-{self._count}"
        with path.open("wb") as file:
            try:
                os.posix_fallocate(file.fileno(), 0, size)
            except OSError:  # a file system without fallocate: write it
                chunk = b"\0" * (1 << 20)
                with contextlib.suppress(OSError):
                    while size > 0:
                        size -= file.write(chunk[: min(size, len(chunk))])

    def free(self) -> None:
        """Give back every byte the ballast took."""
        for path in self.folder.iterdir():
            path.unlink()


def leftovers(folder: Path) -> list[str]:
    """What a write cut short left in ``folder`` (see :data:`LEFTOVER_PATTERNS`)."""
    found: set[str] = set()
    for pattern in LEFTOVER_PATTERNS:
        found.update(str(p.relative_to(folder)) for p in folder.rglob(pattern))
    return sorted(found)
