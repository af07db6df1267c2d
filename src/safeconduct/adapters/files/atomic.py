"""Atomic file output: write under a temporary name, then rename.

A reader (or a crash) never sees a half-written file: the final name appears only once
the content is complete, and a failure leaves whatever was there before untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from safeconduct.errors import BadFileError


def check_writable(path: str | os.PathLike[str], *, example: str | None = None) -> Path:
    """Fail early, before long work, if ``path`` could not be written later.

    Parameters
    ----------
    example
        A file name to suggest when ``path`` is a folder (``"note.pdf"``).

    Raises
    ------
    BadFileError
        If the parent folder is missing or not writable, or ``path`` is a folder.
    """
    final = Path(path)
    parent = final.parent if str(final.parent) else Path(".")
    if not parent.is_dir():
        raise BadFileError(f"cannot write {final}: folder {parent} does not exist; create it first")
    if final.is_dir():
        such_as = f" such as {example}" if example else ""
        raise BadFileError(f"cannot write {final}: it is a folder; give a file name{such_as}")
    # Creating a file in a folder needs both write and search (execute) permission on it.
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadFileError(f"cannot write {final}: folder {parent} is not writable")
    return final


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary file lives in the same directory so that the final ``os.replace`` is
    atomic on POSIX file systems. On any exception the temporary file is removed and
    ``path`` is left as it was.

    Parameters
    ----------
    path
        The final output path. Its parent directory must exist and be writable.

    Raises
    ------
    BadFileError
        If the parent directory does not exist or cannot be written.
    """
    final = check_writable(path)
    parent = final.parent if str(final.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise BadFileError(f"cannot write {final}: {exc.strerror}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600; give the file the mode an ordinary open() would (umask applies).
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def atomic_folder(out_dir: str | os.PathLike[str], prefix: str = ".staging-") -> Iterator[Path]:
    """Yield a hidden staging folder; move what was written there into ``out_dir`` on success.

    For commands that write several files: either all of them arrive, or (on any error)
    none does and ``out_dir`` is left as it was. ``out_dir`` is created if missing (its
    parent must exist); existing files of the same names are replaced.

    Raises
    ------
    BadFileError
        If ``out_dir`` is a file, or it (or its parent) cannot be written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BadFileError(f"{out} is a file; give a folder")
    parent = out if out.is_dir() else out.parent
    if not parent.is_dir():
        raise BadFileError(f"cannot write {out}: folder {parent} does not exist; create it first")
    try:
        staging = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as exc:
        raise BadFileError(f"cannot write to {parent}: {exc.strerror}") from exc
    try:
        yield staging
        if out.is_dir():
            for item in sorted(staging.iterdir()):
                target = out / item.name
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                os.replace(item, target)
            staging.rmdir()
        else:
            os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes 0700
            os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Check that ``path`` can be written, write ``data`` there atomically, return the path.

    Raises
    ------
    BadFileError
        The folder is missing, ``path`` is a folder, or the write fails (nothing is left).
    """
    final = check_writable(path)
    with atomic_path(final) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise BadFileError(f"cannot write {final}: {exc.strerror}") from exc
    return final


class AtomicFiles:
    """:class:`~safeconduct.services.ports.Files` on the local file system, atomically."""

    def check_writable(self, path: str | os.PathLike[str]) -> Path:
        return check_writable(path)

    def staging_folder(
        self, out_dir: str | os.PathLike[str], prefix: str = ".staging-"
    ) -> contextlib.AbstractContextManager[Path]:
        return atomic_folder(out_dir, prefix=prefix)

    def write_text(self, path: str | os.PathLike[str], text: str) -> Path:
        return write_text_atomic(path, text)

    def read_bytes(self, path: str | os.PathLike[str]) -> bytes:
        return Path(path).read_bytes()
