"""Atomic file output: write under a temporary name, then rename.

A reader (or a crash) never sees a half-written file: the final name appears only once
the content is complete, and a failure leaves whatever was there before untouched.
A write refused for want of space is a :class:`~safeconduct.errors.DiskFullError`
(:func:`write_refused`), any other a :class:`~safeconduct.errors.BadFileError`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from safeconduct.errors import (
    DISK_FULL_ERRNOS,
    BadFileError,
    DiskFullError,
    SafeconductError,
    SameFileError,
)


def write_refused(
    what: str | os.PathLike[str], error: OSError, *, field: str | None = None
) -> SafeconductError:
    """The error to raise for a write of ``what`` refused with ``error``.

    A full disk (or quota) is a :class:`~safeconduct.errors.DiskFullError`: the output
    itself is fine and the same write succeeds once space is freed (the web answers 503
    with ``Retry-After``, not 400). Anything else is a :class:`BadFileError`.
    """
    if error.errno in DISK_FULL_ERRNOS:
        return DiskFullError(
            f"cannot write {what}: the disk is full; nothing was written. "
            "Free space on it, then try again",
            field=field,
        )
    return BadFileError(f"cannot write {what}: {error.strerror}", field=field)


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
    # Permissions do not tell everything (/proc, a read-only mount, root): try it. Ctrl-C
    # waits until the probe is gone again.
    with interrupts_deferred():
        try:
            fd, probe = tempfile.mkstemp(prefix=".safeconduct-probe-", dir=parent)
        except OSError as exc:
            raise write_refused(final, exc) from exc
        os.close(fd)
        os.unlink(probe)
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
    made: list[Path] = []
    try:
        # Ctrl-C is held back until the file is recorded in ``made``, so it is always removed.
        with interrupts_deferred():
            made.append(_temporary_beside(final, suffix=".tmp"))
        yield made[0]
        os.replace(made[0], final)
    except BaseException:
        for tmp in made:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise


def _temporary_beside(final: Path, suffix: str) -> Path:
    """Create an empty file ``.<name>.<pid>-*<suffix>`` in ``final``'s folder, moded as
    ``final`` will be, after removing the temporary files that ended processes left there.

    The process id in the name lets a later run remove the file if this one is killed
    outright (SIGKILL, a power cut): an encrypted export or backup half-written would
    otherwise stay beside its folder's files for good, never reached by their deletion.

    Raises
    ------
    BadFileError
        The folder cannot be written.
    """
    parent = final.parent if str(final.parent) else Path(".")
    remove_temporaries_of_dead_runs(parent)
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{final.name}.{os.getpid()}-", suffix=suffix, dir=parent
        )
    except OSError as exc:
        raise write_refused(final, exc) from exc
    os.close(fd)
    # mkstemp creates 0600; give the file the mode an ordinary open() would (umask applies).
    os.chmod(name, 0o666 & ~_umask())
    return Path(name)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def atomic_folder(
    out_dir: str | os.PathLike[str],
    prefix: str = ".staging-",
    protect: Mapping[str, str | os.PathLike[str] | None] | None = None,
) -> Iterator[Path]:
    """Yield a hidden staging folder; move what was written there into ``out_dir`` on success.

    For commands that write several files: either all of them arrive, or (on any error)
    none does and ``out_dir`` is left as it was. ``out_dir`` is created if missing (its
    parent must exist); existing files of the same names are replaced.

    Parameters
    ----------
    protect
        The command's inputs (library field to path): if a file about to be moved into
        ``out_dir`` would replace one of them (or a folder holding one), nothing moves.

    Raises
    ------
    BadFileError
        If ``out_dir`` is a file, or it (or its parent) cannot be written.
    SameFileError
        An output would replace an input in ``protect`` (``field="out_dir"``).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BadFileError(f"{out} is a file; give a folder")
    parent = out if out.is_dir() else out.parent
    if not parent.is_dir():
        raise BadFileError(f"cannot write {out}: folder {parent} does not exist; create it first")
    _remove_stale_staging(parent, prefix)
    made: list[Path] = []
    try:
        # Ctrl-C is held back until the folder is recorded in ``made``, so it is always removed.
        with interrupts_deferred():
            try:
                # The process id in the name lets a later run remove it if this one is killed.
                made.append(Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent)))
            except OSError as exc:
                raise write_refused(f"to {parent}", exc) from exc
        staging = made[0]
        yield staging
        if out.is_dir() and protect:
            _refuse_replacing_inputs(out, staging, protect)
        with interrupts_deferred():
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
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _remove_stale_staging(parent: Path, prefix: str) -> None:
    """Remove staging folders ``<prefix><pid>-*`` in ``parent`` left by dead processes.

    A process killed outright (SIGKILL, a power cut) cannot clean up; the next run on the
    same folder does. A folder whose process still runs, or that is not ours, is left.
    """
    for entry in _left_by_dead_runs(parent, prefix):
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def remove_files_of_dead_runs(parent: Path, prefix: str) -> None:
    """Remove files ``<prefix><pid>-*`` in ``parent`` whose process ``pid`` has ended.

    For temporary files named with their process id (a backup's copy of the database):
    one left by a process killed outright is removed by the next that looks.
    """
    for entry in _left_by_dead_runs(parent, prefix):
        if entry.is_file():
            with contextlib.suppress(OSError):
                entry.unlink()


#: A temporary file of :func:`atomic_path` or :func:`output_set`: ``.<name>.<pid>-*.tmp``
#: or ``.<name>.<pid>-*.staged<suffix>``.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)-[^.]+(\.tmp|\.staged(\.[^.]*)?)")


def remove_temporaries_of_dead_runs(folder: Path) -> None:
    """Remove the temporary files of atomic writes in ``folder`` whose process has ended.

    A write killed outright (SIGKILL, a power cut) cannot clean up; any later write in the
    folder, or a caller that keeps a folder tidy (the kept exports' expiry), does.
    """
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        found = _TEMPORARY.fullmatch(entry.name)
        if found and entry.is_file() and not entry.is_symlink() and not _alive(int(found["pid"])):
            with contextlib.suppress(OSError):
                entry.unlink()


def _left_by_dead_runs(parent: Path, prefix: str) -> list[Path]:
    """Entries ``<prefix><pid>-*`` of ``parent`` (not links) whose process has ended."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        pid, dash, _ = entry.name.removeprefix(prefix).partition("-")
        if not (entry.name.startswith(prefix) and dash and pid.isdigit()) or entry.is_symlink():
            continue
        if not _alive(int(pid)):
            found.append(entry)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or not a process id we can judge: keep it
    return True


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C back while files are made or move into place, then deliver it.

    So a set arrives whole or not at all, and nothing made is left unrecorded. A Ctrl-C
    held back goes afterwards to whatever handler was there (Python's raises
    KeyboardInterrupt; a server's own handler shuts it down gracefully). Only the main
    thread can set signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if not caught:
        return
    if callable(previous):
        previous(signal.SIGINT, None)
    elif previous != signal.SIG_IGN:
        raise KeyboardInterrupt


@contextlib.contextmanager
def output_set(*paths: str | os.PathLike[str]) -> Iterator[tuple[Path, ...]]:
    """Yield a staged path for each output; on success all move into place, else none does.

    Each staged file is created at once beside its final path (same folder, same suffix),
    so an output that cannot be written (a missing or read-only folder, ``/proc``) is
    refused before any work, and the final ``os.replace`` of each is atomic.

    Raises
    ------
    BadFileError
        An output cannot be written, or two outputs are the same file.
    """
    finals = [check_writable(p) for p in paths]
    seen: dict[str, Path] = {}
    for final in finals:
        key = os.path.realpath(final)
        if key in seen:
            raise BadFileError(f"{seen[key]} and {final} are the same file; give two names")
        seen[key] = final
    staged: list[Path] = []
    try:
        # Ctrl-C is held back while the staged files are made: arriving between a file's
        # creation and its entry in ``staged`` it would leave that file behind.
        with interrupts_deferred():
            for final in finals:
                staged.append(_temporary_beside(final, suffix=f".staged{final.suffix}"))
        yield tuple(staged)
        with interrupts_deferred():
            for tmp, final in zip(staged, finals, strict=True):
                os.replace(tmp, final)
    except BaseException:
        for tmp in staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name one file or folder (links and ``..`` resolved)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist yet: compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def check_not_inputs(
    outputs: Mapping[str, str | os.PathLike[str] | None],
    inputs: Mapping[str, str | os.PathLike[str] | None],
) -> None:
    """Refuse an output that is one of the inputs (the same file or folder, however named).

    ``outputs`` and ``inputs`` map each library field to its path (None: not given).

    Raises
    ------
    SameFileError
        Naming the output's field and the input's field.
    """
    for out_field, out_path in outputs.items():
        if out_path is None:
            continue
        for in_field, in_path in inputs.items():
            if in_path is not None and same_file(out_path, in_path):
                raise SameFileError(str(out_path), field=out_field, input_field=in_field)


def _refuse_replacing_inputs(
    out: Path, staging: Path, protect: Mapping[str, str | os.PathLike[str] | None]
) -> None:
    for item in staging.iterdir():
        target = os.path.realpath(out / item.name)
        for field, path in protect.items():
            if path is None:
                continue
            where = os.path.realpath(path)
            if where == target or where.startswith(target + os.sep):
                raise SameFileError(str(out / item.name), field="out_dir", input_field=field)


def create_once(path: Path, content: bytes, *, mode: int = 0o600) -> None:
    """Create ``path`` (``mode`` from the first byte) holding ``content``, whole or not at
    all, never over anything someone created meanwhile.

    For keys: the content is written and synced under a temporary name first, then linked
    to ``path`` (a link, unlike a rename, refuses an existing name): a full disk or a kill
    while writing leaves no empty or cut key that every later use would refuse.

    Raises
    ------
    FileExistsError
        ``path`` exists (nothing is written).
    OSError
        The folder cannot be written, or the disk is full (nothing is left).
    """
    remove_temporaries_of_dead_runs(path.parent)  # a copy of a key a killed run left
    made: list[str] = []
    try:
        with interrupts_deferred():  # the temporary is recorded before a Ctrl-C can strike
            fd, name = tempfile.mkstemp(
                prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent
            )
            made.append(name)
            out = os.fdopen(fd, "wb")
        with out:
            os.fchmod(out.fileno(), mode)
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(name, path)
        except OSError as error:
            if error.errno not in _NO_HARD_LINKS:
                raise
            _create_exclusively(path, content, mode)  # FAT (a key on a USB stick): no links
    finally:
        for leftover in made:
            os.unlink(leftover)


#: What a file system without hard links (FAT, some network shares) answers ``link`` with.
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK})


def _create_exclusively(path: Path, content: bytes, mode: int) -> None:
    """Create ``path`` with ``O_EXCL`` and write ``content``; removed again if the write
    fails (a kill in between can still leave it cut: :func:`create_once` avoids that where
    the file system has links)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise write_refused(path, exc) from exc
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
            raise write_refused(final, exc) from exc
    return final


class AtomicFiles:
    """:class:`~safeconduct.services.ports.Files` on the local file system, atomically."""

    def check_writable(self, path: str | os.PathLike[str]) -> Path:
        return check_writable(path)

    def staging_folder(
        self,
        out_dir: str | os.PathLike[str],
        prefix: str = ".staging-",
        protect: Mapping[str, str | os.PathLike[str] | None] | None = None,
    ) -> contextlib.AbstractContextManager[Path]:
        return atomic_folder(out_dir, prefix=prefix, protect=protect)

    def check_not_inputs(
        self,
        outputs: Mapping[str, str | os.PathLike[str] | None],
        inputs: Mapping[str, str | os.PathLike[str] | None],
    ) -> None:
        check_not_inputs(outputs, inputs)

    def output_set(
        self, *paths: str | os.PathLike[str]
    ) -> contextlib.AbstractContextManager[tuple[Path, ...]]:
        return output_set(*paths)

    def write_text(self, path: str | os.PathLike[str], text: str) -> Path:
        return write_text_atomic(path, text)

    def read_bytes(self, path: str | os.PathLike[str]) -> bytes:
        return Path(path).read_bytes()
