"""The audit trail's use cases: recording entries, verifying the chain, signed checkpoints.

Every read and change of personal data, every sign-in (and failed one) and every export
appends one entry (:mod:`safeconduct.audit.chain`) through :func:`record`, which a use case
calls *inside its own unit of work*: the change and its entry commit together, and a
refused or failed change leaves no entry. A read-only unit of work cannot write, so a read
is recorded in a short writing unit of work of its own right after the read succeeded and
before its data leaves the use case (:func:`record_read`).

Entries name records by their store id (``case:12``, ``prisoner:7``, ``user:anna``) and keep
only the SHA-256 digest of what changed: no name, number or handle of a person.

:func:`verify` recomputes the chain and checks it against the signed checkpoints of a
folder; :func:`write_checkpoint` signs the current head (sequence number, hash, time).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from safeconduct.audit.chain import (
    GENESIS,
    ChainedEntry,
    Checkpoint,
    VerifyResult,
    content_digest,
    verify_chain,
)
from safeconduct.services.ports import (
    AuditCheckpoints,
    AuditDatabase,
    AuditUnitOfWork,
)

#: The user recorded for a sign-in attempt under a name nobody holds (the name typed is
#: not kept: it may be a mistyped password).
UNKNOWN_USER = "-"


class Acting(Protocol):
    """Whoever acts: a :class:`~safeconduct.services.casework.Actor` or a signed-in user."""

    @property
    def name(self) -> str: ...

    @property
    def roles(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class AuditPorts:
    """The audit trail's database and, for checkpoints, where they are signed and read."""

    database: AuditDatabase
    checkpoints: AuditCheckpoints | None = None


def record(
    uow: AuditUnitOfWork,
    actor: Acting,
    action: str,
    record: str,
    *,
    purpose: str | None = None,
    changed: Any = None,
    at: datetime | None = None,
) -> ChainedEntry:
    """Append one entry inside ``uow`` (it commits, or rolls back, with the change).

    Parameters
    ----------
    uow
        The writing unit of work of the use case being recorded.
    actor
        Who acted (its ``name`` and ``roles``).
    action
        A short verb: ``login``, ``case.open``, ``prisoner.read``, ``export.nib``...
    record
        The record's id: ``case:12``, ``prisoner:7``, ``user:anna``; never personal content.
    purpose
        Why, where the action needs a reason.
    changed
        What the change wrote (any JSON-able value): only its SHA-256 digest is kept.
    at
        When (time-zone aware); by default now.
    """
    return uow.audit.append(
        at=datetime.now(UTC) if at is None else at,
        user=actor.name,
        roles=tuple(str(getattr(r, "value", r)) for r in actor.roles),
        action=action,
        record=record,
        purpose=purpose,
        digest=None if changed is None else content_digest(changed),
    )


def record_read(
    database: AuditDatabase,
    actor: Acting,
    action: str,
    record_id: str,
    *,
    purpose: str | None = None,
) -> ChainedEntry:
    """Record a read that a read-only unit of work made, in a writing one of its own."""
    with database.unit_of_work() as uow:
        return record(uow, actor, action, record_id, purpose=purpose)


def read_checkpoints(
    ports: AuditPorts, folder: str | os.PathLike[str], *, public_key: str | None = None
) -> list[Checkpoint]:
    """The signed checkpoints of ``folder`` (signatures checked), by sequence number.

    Raises
    ------
    BadFileError
        ``field="checkpoints"``: no such folder, an unreadable or forged checkpoint.
    """
    if ports.checkpoints is None:
        raise RuntimeError("these audit ports cannot read checkpoints")
    return ports.checkpoints.read_folder(folder, public_key=public_key)


def verify(
    ports: AuditPorts,
    checkpoints_dir: str | os.PathLike[str] | None = None,
    *,
    public_key: str | None = None,
) -> VerifyResult:
    """Recompute the whole chain and check it against the checkpoints in ``checkpoints_dir``.

    Parameters
    ----------
    checkpoints_dir
        A folder of signed checkpoints; None: the chain alone (which cannot tell a log
        cut back or rewritten as a whole).
    public_key
        The audit key's public key (base64); None: the key the checkpoints name, which
        must be one and the same for all of them.

    Raises
    ------
    BadFileError
        A checkpoint is forged or unreadable (``field="checkpoints"``); the database
        cannot be read (``field="db"``).
    """
    marks = (
        []
        if checkpoints_dir is None
        else read_checkpoints(ports, checkpoints_dir, public_key=public_key)
    )
    with ports.database.unit_of_work(read_only=True) as uow:
        return verify_chain(uow.audit.all(), checkpoints=marks)


@dataclass(frozen=True)
class CheckpointWritten:
    """A checkpoint written: what it says, and whether its signing key was created."""

    checkpoint: Checkpoint
    key_created: bool
    public_key: str


def write_checkpoint(
    ports: AuditPorts,
    out_file: str | os.PathLike[str],
    signing_key: str | os.PathLike[str],
    *,
    now: datetime | None = None,
) -> CheckpointWritten:
    """Sign the trail's head (sequence number, hash, time) with Ed25519 into ``out_file``.

    Parameters
    ----------
    out_file
        The checkpoint file (JSON), written whole or not at all; keep it elsewhere.
    signing_key
        The Ed25519 signing key file; created (readable by its owner only) when missing.
    """
    if ports.checkpoints is None:
        raise RuntimeError("these audit ports cannot write checkpoints")
    with ports.database.unit_of_work(read_only=True) as uow:
        seq, head = uow.audit.head()
    checkpoint = Checkpoint(
        seq=seq, head=head or GENESIS, at=datetime.now(UTC) if now is None else now
    )
    created = ports.checkpoints.write(checkpoint, out_file, signing_key)
    return CheckpointWritten(
        checkpoint=checkpoint,
        key_created=created,
        public_key=ports.checkpoints.public_key(signing_key),
    )


def write_periodic_checkpoint(
    ports: AuditPorts,
    folder: str | os.PathLike[str],
    signing_key: str | os.PathLike[str],
    *,
    now: datetime | None = None,
) -> Path | None:
    """The scheduled checkpoint: ``folder/checkpoint-<seq>.json`` for the trail's current
    head, unless that head has a checkpoint there already (nothing happened since); the
    path written, or None.

    The folder is meant to be kept elsewhere (another disk, machine or custodian), so
    that a database rolled back or cut behind a checkpoint is caught by ``audit verify
    --checkpoints``.
    """
    with ports.database.unit_of_work(read_only=True) as uow:
        seq, _head = uow.audit.head()
    out = Path(folder) / f"checkpoint-{seq:012d}.json"
    if out.exists():
        return None
    write_checkpoint(ports, out, signing_key, now=now)
    return out
