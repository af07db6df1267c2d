"""Exports of personal data as AES-256 encrypted ZIP archives, and the folder that keeps
the web's exports until they expire.

The archive is a WinZip AES ZIP (AE-2, AES-256, each file deflated then encrypted) made by
pyzipper: 7-Zip, WinZip, macOS's Archive Utility (recent) and pyzipper open it with the
password. A ZIP encrypts the files' contents, not their names: the service names files
neutrally (``messages.json``, ``attachments/3.jpg``) and keeps what a name could reveal
inside them.

:class:`FolderExports` keeps an export as ``<id>.zip`` (the archive, mode 0600) and
``<id>.json`` (when it expires, who made it, the record: no personal content), so that a
purge deletes what is due without opening anything.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyzipper

from safeconduct.adapters.files.atomic import (
    atomic_path,
    remove_temporaries_of_dead_runs,
    write_refused,
)
from safeconduct.errors import BadFileError, NotFoundError

_ID = re.compile(r"^[0-9a-f]{32}$")


class AesZipArchives:
    """The archive port: files in, an AES-256 encrypted ZIP's bytes out."""

    def build(self, files: Sequence[tuple[str, bytes]], password: str) -> bytes:
        """A ZIP of ``files`` (name, bytes), every file AES-256 encrypted with ``password``."""
        buffer = io.BytesIO()
        with pyzipper.AESZipFile(
            buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
        ) as archive:
            archive.setpassword(password.encode("utf-8"))
            archive.setencryption(pyzipper.WZ_AES, nbits=256)
            for name, data in files:
                archive.writestr(name, data)
        return buffer.getvalue()

    def write(self, path: str | os.PathLike[str], archive: bytes) -> Path:
        """Write ``archive`` to ``path`` atomically, readable by its owner only (0600)."""
        return _write_private(Path(path), archive)


def _write_private(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        os.chmod(tmp, 0o600)
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise write_refused(path, exc, field="out") from exc
    return path


def read_archive(data: bytes, password: str) -> dict[str, bytes]:
    """Every file of an encrypted export (for tests and checks): name -> bytes.

    Raises
    ------
    BadFileError
        ``field="password"``: a wrong password; ``field="archive"``: not a ZIP.
    """
    try:
        with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
            archive.setpassword(password.encode("utf-8"))
            return {name: archive.read(name) for name in archive.namelist()}
    except RuntimeError as error:
        raise BadFileError("wrong password for this export", field="password") from error
    except pyzipper.BadZipFile as error:
        raise BadFileError("this is not an export archive", field="archive") from error


class FolderExports:
    """Exports kept for download in one folder (``<data dir>/exports``).

    Parameters
    ----------
    folder
        Made (mode 0700) when the first export is kept.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def _paths(self, export_id: str) -> tuple[Path, Path]:
        if not _ID.match(export_id):
            raise NotFoundError("there is no such export", field="export")
        return self.folder / f"{export_id}.zip", self.folder / f"{export_id}.json"

    def keep(self, export_id: str, archive: bytes, meta: dict[str, Any]) -> None:
        """Keep ``archive`` and its ``meta`` (JSON-able, no personal content)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        data, info = self._paths(export_id)
        _write_private(data, archive)
        try:
            _write_private(info, json.dumps(meta, sort_keys=True).encode("utf-8"))
        except BaseException:
            # Both or neither: an archive without its meta would never expire.
            data.unlink(missing_ok=True)
            raise

    def meta(self, export_id: str) -> dict[str, Any] | None:
        """The meta of a kept export, or None."""
        _, info = self._paths(export_id)
        try:
            found: dict[str, Any] = json.loads(info.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return found

    def archive(self, export_id: str) -> bytes | None:
        """The archive of a kept export, or None."""
        data, _ = self._paths(export_id)
        try:
            return data.read_bytes()
        except FileNotFoundError:
            return None

    def expiries(self) -> list[tuple[str, datetime | None]]:
        """Every kept export's id and expiry (None: its meta is unreadable). Archives half
        written by a process that has ended (killed outright) are removed first: they have
        no id to expire by."""
        if not self.folder.is_dir():
            return []
        remove_temporaries_of_dead_runs(self.folder)
        found: list[tuple[str, datetime | None]] = []
        ids = {p.stem for p in self.folder.iterdir() if _ID.match(p.stem)}
        for export_id in sorted(ids):
            meta = None
            with contextlib.suppress(OSError, ValueError):
                meta = self.meta(export_id)
            when = None
            if meta is not None:
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    when = datetime.fromisoformat(meta["expires_at"])
            found.append((export_id, when))
        return found

    def delete(self, export_id: str) -> None:
        """Delete a kept export (the archive first); nothing when it is gone already."""
        for path in self._paths(export_id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
