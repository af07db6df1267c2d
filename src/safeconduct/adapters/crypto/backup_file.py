"""Backup files: a plain header, then the dump in AES-256-GCM chunks (streamed).

Layout (bytes)::

    "SAFECONDUCT-BACKUP\\n" | header length (4, big-endian) | header (UTF-8 JSON)
    | record 0 (the table manifest, JSON) | records 1..n (the dump) | final record (empty)

Each record is ``length (4, big-endian) || AES-GCM(key, piece, nonce, AD = header)``.
The key is derived from the key file's master key with HKDF-SHA256 and a random salt kept
in the header (``info = "safeconduct-backup/1"``): a fresh key per file, never the master
key itself, so nonces can be the record's number (8 bytes) and a final flag (4 bytes).
The header is the associated data of every record, so a changed header (another revision,
backend or key id) fails the first tag; the numbering refuses records reordered, dropped
or repeated; the flagged final record refuses a file cut short, and nothing may follow it.

The header (format, backend, schema revision, creation time, master key id, salt) is not
secret; the manifest (table names, row counts, digests) and the dump are.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from safeconduct.adapters.crypto.keyfile import MasterKey, read_key_file
from safeconduct.adapters.files.atomic import atomic_path, write_refused
from safeconduct.errors import DISK_FULL_ERRNOS, BadFileError
from safeconduct.services.ports import BackupHeader, TableDigest

MAGIC = b"SAFECONDUCT-BACKUP\n"
#: The container format this version writes and reads (a newer one is refused).
FORMAT_VERSION = 1
#: Plain bytes per record: bounds the memory a backup or restore needs (1 MiB).
CHUNK_BYTES = 1 << 20
_TAG = 16
_INFO = b"safeconduct-backup/1"
_MAX_HEADER = 64 * 1024  # a damaged length must not make us read gigabytes


class BackupFileCipher:
    """Writes and reads backup files with one key file's master key.

    Parameters
    ----------
    key
        The master key (``read_key_file``); only a key derived from it per file encrypts.
    """

    def __init__(self, key: MasterKey) -> None:
        self._key = key
        self.key_id = key.key_id

    @classmethod
    def from_key_file(cls, path: str | os.PathLike[str]) -> BackupFileCipher:
        """The cipher of the key file at ``path`` (``BadFileError``, ``field="key_file"``)."""
        return cls(read_key_file(path))

    # ------------------------------------------------------------------ writing

    def write(
        self,
        path: str | os.PathLike[str],
        header: BackupHeader,
        tables: Sequence[TableDigest],
        chunks: Iterable[bytes],
    ) -> int:
        """Encrypt ``chunks`` into ``path``, atomically (mode 0600); return its size, bytes.

        Raises
        ------
        DiskFullError
            ``field="out"``: the disk is full; nothing was written.
        BadFileError
            ``field="out"``: the file cannot be written (a missing or read-only folder).
        """
        salt = os.urandom(32)
        head = _encode_header(header, salt)
        aead = AESGCM(self._derive(salt))
        try:
            with atomic_path(path) as tmp:
                os.chmod(tmp, 0o600)  # ciphertext only, but nobody else's business
                with open(tmp, "wb") as out:
                    out.write(MAGIC + struct.pack(">I", len(head)) + head)
                    manifest = json.dumps(
                        [[t.name, t.rows, t.digest] for t in tables], separators=(",", ":")
                    ).encode("utf-8")
                    number = 0
                    _write_record(out, aead, number, manifest, head, final=False)
                    for piece in _rechunk(chunks):
                        number += 1
                        _write_record(out, aead, number, piece, head, final=False)
                    _write_record(out, aead, number + 1, b"", head, final=True)
                    out.flush()
                    os.fsync(out.fileno())
                return os.stat(tmp).st_size
        except BadFileError as error:
            raise BadFileError(error.message, field=error.field or "out") from error
        except OSError as error:
            if error.errno in DISK_FULL_ERRNOS:  # the same backup succeeds once space is freed
                raise write_refused(path, error, field="out") from error
            raise BadFileError(
                f"cannot write {path}: {error.strerror or error}; nothing was written",
                field="out",
            ) from error

    # ------------------------------------------------------------------ reading

    def read_header(self, path: str | os.PathLike[str]) -> BackupHeader:
        """The header of the backup at ``path`` (checked only for its form here).

        Raises
        ------
        BadFileError
            ``field="backup_file"``: missing, not a backup, or of a newer format.
        """
        with _open(path) as handle:
            return _decode_header(_read_header_bytes(handle, path), path)[0]

    def verify(self, path: str | os.PathLike[str]) -> tuple[TableDigest, ...]:
        """Authenticate every record of ``path``; return the manifest's tables.

        Raises
        ------
        BadFileError
            ``field="key_file"``: made with another key file; ``field="backup_file"``:
            damaged, truncated or extended.
        """
        tables: tuple[TableDigest, ...] = ()
        for number, piece in self._records(path):
            if number == 0:
                tables = _decode_manifest(piece, path)
        return tables

    def read(self, path: str | os.PathLike[str]) -> Iterator[bytes]:
        """The dump's pieces, each authenticated; raises before the end if any is not."""
        for number, piece in self._records(path):
            if number > 0 and piece:
                yield piece

    def _records(self, path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes]]:
        damaged = BadFileError(
            f"{path} is damaged or cut short (a record fails its authentication); "
            "nothing was restored from it",
            field="backup_file",
        )
        with _open(path) as handle:
            head = _read_header_bytes(handle, path)
            header, salt = _decode_header(head, path)
            if header.key_id != self.key_id:
                raise BadFileError(
                    f"{path} was made with the key file of master key {header.key_id}, not "
                    f"this one ({self.key_id}); give the key file it was made with (one taken "
                    "before a purge's key rotation opens with none, by design)",
                    field="key_file",
                )
            aead = AESGCM(self._derive(salt))
            number = 0
            while True:
                raw = handle.read(4)
                if len(raw) != 4:
                    raise damaged
                (length,) = struct.unpack(">I", raw)
                if length < _TAG or length > CHUNK_BYTES + _TAG:
                    raise damaged
                sealed = handle.read(length)
                if len(sealed) != length:
                    raise damaged
                piece, final = None, False
                for flag in (False, True):
                    with contextlib.suppress(InvalidTag):
                        piece = aead.decrypt(_nonce(number, flag), sealed, head)
                        final = flag
                        break
                if piece is None or (final and number == 0):
                    raise damaged
                if final:
                    if handle.read(1):
                        raise damaged  # anything after the final record
                    return
                yield number, piece
                number += 1

    def _derive(self, salt: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(
            self._key.master_key
        )


def _nonce(number: int, final: bool) -> bytes:
    return struct.pack(">QI", number, 1 if final else 0)


def _write_record(
    out: IO[bytes], aead: AESGCM, number: int, piece: bytes, head: bytes, *, final: bool
) -> None:
    sealed = aead.encrypt(_nonce(number, final), piece, head)
    out.write(struct.pack(">I", len(sealed)) + sealed)


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Pieces of at most :data:`CHUNK_BYTES`, whatever sizes the dump came in."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer[:CHUNK_BYTES])
            del buffer[:CHUNK_BYTES]
    if buffer:
        yield bytes(buffer)


def _encode_header(header: BackupHeader, salt: bytes) -> bytes:
    document = {
        "format": "safeconduct-backup",
        "version": FORMAT_VERSION,
        "backend": header.backend,
        "revision": header.revision,
        "created_at": header.created_at.isoformat(),
        "key_id": header.key_id,
        "schema": header.schema,
        "made_by": header.made_by,
        "salt": base64.b64encode(salt).decode("ascii"),
        "chunk_bytes": CHUNK_BYTES,
        "cipher": "AES-256-GCM, key HKDF-SHA256(master key, salt)",
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


@contextlib.contextmanager
def _open(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    try:
        handle = open(Path(path), "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise BadFileError(f"there is no backup file {path}", field="backup_file") from None
    except OSError as error:
        raise BadFileError(
            f"cannot read {path}: {error.strerror or error}", field="backup_file"
        ) from error
    with handle:
        yield handle


def _read_header_bytes(handle: IO[bytes], path: str | os.PathLike[str]) -> bytes:
    not_backup = BadFileError(
        f"{path} is not a safeconduct backup (made by `safeconduct backup`)", field="backup_file"
    )
    if handle.read(len(MAGIC)) != MAGIC:
        raise not_backup
    raw = handle.read(4)
    if len(raw) != 4:
        raise not_backup
    (length,) = struct.unpack(">I", raw)
    if length > _MAX_HEADER:
        raise not_backup
    head = handle.read(length)
    if len(head) != length:
        raise not_backup
    return head


def _decode_header(head: bytes, path: str | os.PathLike[str]) -> tuple[BackupHeader, bytes]:
    not_backup = BadFileError(
        f"{path} is not a safeconduct backup, or its header is damaged", field="backup_file"
    )
    try:
        document: dict[str, Any] = json.loads(head.decode("utf-8"))
        if document.get("format") != "safeconduct-backup":
            raise not_backup
        version = document["version"]
        if not isinstance(version, int):
            raise not_backup
        if version > FORMAT_VERSION:
            raise BadFileError(
                f"{path} was made by a newer safeconduct (backup format {version}; this "
                f"release reads format {FORMAT_VERSION}); upgrade safeconduct first",
                field="backup_file",
            )
        header = BackupHeader(
            backend=str(document["backend"]),
            revision=None if document["revision"] is None else str(document["revision"]),
            created_at=datetime.fromisoformat(document["created_at"]),
            key_id=str(document["key_id"]),
            schema=None if document.get("schema") is None else str(document["schema"]),
            made_by=str(document.get("made_by", "")),
        )
        salt = base64.b64decode(document["salt"], validate=True)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error):
        raise not_backup from None
    return header, salt


def _decode_manifest(piece: bytes, path: str | os.PathLike[str]) -> tuple[TableDigest, ...]:
    try:
        rows = json.loads(piece.decode("utf-8"))
        return tuple(TableDigest(str(n), int(r), str(d)) for n, r, d in rows)
    except (UnicodeDecodeError, ValueError, TypeError) as error:
        raise BadFileError(f"{path}: its table list cannot be read", field="backup_file") from error
