"""The audit trail in the database (revision 0008), and its signed checkpoints on disk.

:class:`SqlAuditTrail` appends hash-chained entries (``safeconduct.audit.chain``) to the
append-only ``audit_entries`` table and streams them back in order. Appends are serialised
so that two transactions never chain onto the same last entry: on PostgreSQL by a
transaction-scoped advisory lock taken before the last row is read (held until commit or
rollback); on SQLite by the write lock every writing unit of work takes at ``BEGIN
IMMEDIATE``. A rolled-back transaction takes its entry with it, so the numbers stay
gap-free.

:class:`Ed25519Checkpoints` writes and reads checkpoints signed with Ed25519
(``cryptography``): a JSON file ``{"checkpoint": {"at", "head", "seq"}, "public_key",
"signature"}`` whose signature covers the checkpoint's canonical bytes
(:meth:`~safeconduct.audit.chain.Checkpoint.canonical_bytes`). The signing key is a PEM
file (PKCS #8, unencrypted) readable only by its owner (mode 0600), created on first use.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from safeconduct.adapters.files.atomic import create_once, write_refused
from safeconduct.adapters.store.models import AuditEntryRow
from safeconduct.audit.chain import (
    GENESIS,
    AuditEntry,
    ChainedEntry,
    Checkpoint,
    chain_hash,
    is_sha256_hex,
)
from safeconduct.errors import BadFileError

#: The advisory lock key that serialises appends on PostgreSQL ("audit" in ASCII).
ADVISORY_LOCK_KEY = 0x61756469740000
#: Rows fetched per round trip when streaming the trail.
STREAM_BATCH = 5000

_COLUMNS = (
    AuditEntryRow.seq,
    AuditEntryRow.at,
    AuditEntryRow.user_name,
    AuditEntryRow.roles,
    AuditEntryRow.action,
    AuditEntryRow.record,
    AuditEntryRow.purpose,
    AuditEntryRow.digest,
    AuditEntryRow.prev_hash,
    AuditEntryRow.hash,
)


def _row(stored: ChainedEntry) -> dict[str, object]:
    entry = stored.entry
    return {
        "seq": entry.seq,
        "at": entry.at,
        "user_name": entry.user,
        "roles": ",".join(entry.roles),
        "action": entry.action,
        "record": entry.record,
        "purpose": entry.purpose,
        "digest": entry.digest,
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }


def _chained(row: sa.Row) -> ChainedEntry:
    seq, at, user, roles, action, record, purpose, digest, prev_hash, own = row
    entry = AuditEntry.__new__(AuditEntry)
    # Read back as stored, without the constructor's checks: verification, not the
    # constructor, is what judges a stored entry (an edited one may break those rules).
    for name, value in (
        ("seq", seq),
        ("at", at),
        ("user", user),
        ("roles", tuple(roles.split(",")) if roles else ()),
        ("action", action),
        ("record", record),
        ("purpose", purpose),
        ("digest", digest),
    ):
        object.__setattr__(entry, name, value)
    return ChainedEntry(entry=entry, prev_hash=prev_hash, hash=own)


class SqlAuditTrail:
    """:class:`~safeconduct.services.ports.AuditTrail` on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _lock(self) -> None:
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))

    def head(self) -> tuple[int, str]:
        """The last entry's sequence number and hash; ``(0, GENESIS)`` when empty."""
        last = self._session.execute(
            sa.select(AuditEntryRow.seq, AuditEntryRow.hash)
            .order_by(AuditEntryRow.seq.desc())
            .limit(1)
        ).first()
        return (0, GENESIS) if last is None else (int(last[0]), str(last[1]))

    def append(
        self,
        *,
        at: datetime,
        user: str,
        roles: tuple[str, ...],
        action: str,
        record: str,
        purpose: str | None = None,
        digest: str | None = None,
    ) -> ChainedEntry:
        """Number, chain and insert one entry after the current last one.

        Raises
        ------
        InvalidValueError
            A field is malformed (``field`` names it).
        """
        self._lock()
        seq, previous = self.head()
        entry = AuditEntry(
            seq=seq + 1,
            at=at,
            user=user,
            roles=roles,
            action=action,
            record=record,
            purpose=purpose,
            digest=digest,
        )
        stored = ChainedEntry(entry=entry, prev_hash=previous, hash=chain_hash(previous, entry))
        self._session.execute(sa.insert(AuditEntryRow), [_row(stored)])
        return stored

    def append_chained(self, entries: list[ChainedEntry]) -> None:
        """Insert entries chained already (a restore, a benchmark); no check is made."""
        if entries:
            self._session.execute(sa.insert(AuditEntryRow), [_row(e) for e in entries])

    def iter_from(self, seq: int = 1) -> Iterator[ChainedEntry]:
        """The entries from sequence number ``seq`` on, in order, fetched in batches."""
        result = self._session.execute(
            sa.select(*_COLUMNS)
            .where(AuditEntryRow.seq >= seq)
            .order_by(AuditEntryRow.seq)
            .execution_options(yield_per=STREAM_BATCH)
        )
        for row in result:
            yield _chained(row)

    def all(self) -> Iterator[ChainedEntry]:
        """Every entry, in order."""
        return self.iter_from(1)

    def count(self) -> int:
        """How many entries there are."""
        return int(self._session.scalar(sa.select(sa.func.count()).select_from(AuditEntryRow)))


# ----------------------------------------------------------------- signed checkpoints

_KEY_MODE = 0o600


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Ed25519Checkpoints:
    """Checkpoints signed with Ed25519, one JSON file each
    (:class:`~safeconduct.services.ports.AuditCheckpoints`)."""

    def load_or_create_key(
        self, key_file: str | os.PathLike[str]
    ) -> tuple[Ed25519PrivateKey, bool]:
        """The signing key in ``key_file``, created (mode 0600) when missing; and whether
        it was created."""
        path = Path(key_file)
        if not path.exists():
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                create_once(path, pem, mode=_KEY_MODE)
            except FileExistsError:
                pass  # someone created it meanwhile: theirs is read below
            except OSError as error:
                raise write_refused(f"the signing key {path}", error, field="key") from error
            else:
                return key, True
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except OSError as error:
            raise BadFileError(
                f"cannot read the signing key {path}: {error.strerror or error}", field="key"
            ) from error
        except (ValueError, TypeError) as error:
            raise BadFileError(f"{path} is not an Ed25519 signing key", field="key") from error
        if not isinstance(key, Ed25519PrivateKey):
            raise BadFileError(f"{path} is not an Ed25519 signing key", field="key")
        if os.name == "posix" and path.stat().st_mode & 0o077:
            raise BadFileError(
                f"the signing key {path} is readable by others; make it the owner's only "
                f"(chmod 600 {path})",
                field="key",
            )
        return key, False

    def public_key(self, key_file: str | os.PathLike[str]) -> str:
        """The public key (base64 of its 32 raw bytes) of the signing key in ``key_file``."""
        key, _created = self.load_or_create_key(key_file)
        return _b64(key.public_key().public_bytes_raw())

    def write(
        self,
        checkpoint: Checkpoint,
        out_file: str | os.PathLike[str],
        key_file: str | os.PathLike[str],
    ) -> bool:
        """Sign ``checkpoint`` and write it to ``out_file`` atomically; whether the key was
        created."""
        key, created = self.load_or_create_key(key_file)
        document = {
            "checkpoint": json.loads(checkpoint.canonical_bytes()),
            "public_key": _b64(key.public_key().public_bytes_raw()),
            "signature": _b64(key.sign(checkpoint.canonical_bytes())),
        }
        path = Path(out_file)
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            os.replace(temporary, path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise BadFileError(
                f"cannot write the checkpoint {path}: {error.strerror or error}", field="out"
            ) from error
        return created

    def read(self, path: str | os.PathLike[str], *, public_key: str | None = None) -> Checkpoint:
        """A checkpoint file whose signature holds (by ``public_key`` when given, else by
        the key it names).

        Raises
        ------
        BadFileError
            ``field="checkpoints"``: unreadable, malformed, or the signature does not hold.
        """
        path = Path(path)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            fields = document["checkpoint"]
            checkpoint = Checkpoint(
                seq=int(fields["seq"]),
                head=str(fields["head"]),
                at=datetime.fromisoformat(str(fields["at"]).replace("Z", "+00:00")),
            )
            named = str(document["public_key"])
            signature = base64.b64decode(document["signature"], validate=True)
        except OSError as error:
            raise BadFileError(
                f"cannot read the checkpoint {path}: {error.strerror or error}",
                field="checkpoints",
            ) from error
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise BadFileError(f"{path} is not a checkpoint", field="checkpoints") from error
        if not is_sha256_hex(checkpoint.head) or checkpoint.seq < 0:
            raise BadFileError(f"{path} is not a checkpoint", field="checkpoints")
        trusted = public_key if public_key is not None else named
        try:
            verifier = Ed25519PublicKey.from_public_bytes(base64.b64decode(trusted, validate=True))
            verifier.verify(signature, checkpoint.canonical_bytes())
        except (InvalidSignature, ValueError, binascii.Error) as error:
            raise BadFileError(
                f"the checkpoint {path} is not signed by the audit key: forged or altered",
                field="checkpoints",
            ) from error
        if public_key is not None and named != public_key:
            raise BadFileError(
                f"the checkpoint {path} names another key than the audit key",
                field="checkpoints",
            )
        return checkpoint

    def read_folder(
        self, folder: str | os.PathLike[str], *, public_key: str | None = None
    ) -> list[Checkpoint]:
        """Every ``*.json`` checkpoint in ``folder``, by sequence number. Without
        ``public_key`` they must all be signed by one key (the first file's).

        Raises
        ------
        BadFileError
            ``field="checkpoints"``: no such folder, a bad file, or two signing keys.
        """
        root = Path(folder)
        if not root.is_dir():
            raise BadFileError(f"there is no checkpoint folder {root}", field="checkpoints")
        found: list[Checkpoint] = []
        key = public_key
        for path in sorted(root.glob("*.json")):
            if key is None:
                try:
                    key = str(json.loads(path.read_text(encoding="utf-8"))["public_key"])
                except (OSError, ValueError, KeyError, TypeError) as error:
                    raise BadFileError(
                        f"{path} is not a checkpoint", field="checkpoints"
                    ) from error
            found.append(self.read(path, public_key=key))
        return sorted(found, key=lambda c: (c.seq, c.at))
