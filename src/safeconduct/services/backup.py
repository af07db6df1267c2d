"""Backup and restore of the coordination service's database (use cases).

:func:`make_backup` takes one consistent snapshot of the store while the service runs
(SQLite's online backup, PostgreSQL's ``pg_dump`` on an exported snapshot) and writes it
encrypted and authenticated under the key file's key, with the tables' row counts and
digests of that same moment. It is recorded in the audit trail first (``backup.create``),
so the backup holds the entry of its own making.

:func:`restore_backup` refuses, before anything is written: a target that is not empty
(naming what it holds), a backup of the other kind of database, one made by a newer
release (a schema revision this one does not know), one made with another key file, and
a damaged or cut file (every record authenticated first). It then loads the dump (all or
nothing), checks every table's rows against the backup's counts and digests, migrates an
older revision to the newest, verifies the audit chain, and records ``backup.restore``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from safeconduct import __version__
from safeconduct.audit.chain import VerifyResult
from safeconduct.errors import BadFileError, InvalidValueError, PermissionDeniedError
from safeconduct.services import audit
from safeconduct.services.casework import Actor
from safeconduct.services.ports import (
    AuditDatabase,
    BackupFiles,
    BackupHeader,
    DatabaseDumps,
    TableDigest,
)

#: The audit trail's record for the database as a whole.
DATABASE_RECORD = "database"


@dataclass(frozen=True)
class BackupPorts:
    """The edges a backup or a restore reaches.

    Attributes
    ----------
    dumps
        The database as a whole (snapshot, load, digests, migrations).
    files
        Backup files under the key file's key.
    audit
        The audit trail of the same database (read and appended by unit of work).
    clock
        The current time (UTC, aware).
    """

    dumps: DatabaseDumps
    files: BackupFiles
    audit: AuditDatabase
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class BackupSummary:
    """A backup written: where, how big, and what it holds."""

    path: Path
    size_bytes: int
    header: BackupHeader
    tables: tuple[TableDigest, ...]

    def describe(self) -> str:
        """Lines for people: the file, its revision and key, and the rows it holds."""
        rows = sum(t.rows for t in self.tables)
        return "\n".join(
            [
                f"wrote {self.path} ({self.size_bytes / 1e6:.1f} MB, encrypted with master key "
                f"{self.header.key_id}): {self.header.backend} at schema revision "
                f"{self.header.revision}, taken {self.header.created_at:%Y-%m-%d %H:%M:%S} UTC",
                f"{len(self.tables)} tables, {rows} rows: {_counts(self.tables)}",
                "keep it with its key file apart from the database; restore it with "
                "`safeconduct restore FILE`",
            ]
        )


@dataclass(frozen=True)
class RestoreSummary:
    """A restore done: what the backup was, what came back, and what was checked."""

    header: BackupHeader
    target: str
    tables: tuple[TableDigest, ...]
    migrated_to: str | None
    chain: VerifyResult

    def describe(self) -> str:
        """Lines for people: what was restored, the checks made, the migration."""
        rows = sum(t.rows for t in self.tables)
        lines = [
            f"restored {self.target} from a {self.header.backend} backup at schema revision "
            f"{self.header.revision}, taken {self.header.created_at:%Y-%m-%d %H:%M:%S} UTC "
            f"(made by safeconduct {self.header.made_by or '?'})",
            f"{len(self.tables)} tables, {rows} rows, each table's rows equal to the backup's "
            f"(counts and digests): {_counts(self.tables)}",
        ]
        if self.migrated_to is not None:
            lines.append(f"migrated from revision {self.header.revision} to {self.migrated_to}")
        lines.append(f"audit chain verified: {self.chain.entries} entries, whole")
        return "\n".join(lines)


def _counts(tables: Sequence[TableDigest]) -> str:
    return ", ".join(f"{t.name} {t.rows}" for t in tables if t.rows) or "no rows"


def _console_only(actor: Actor, what: str) -> None:
    if not actor.console:
        raise PermissionDeniedError(f"{what} is done at the service's console only")


def make_backup(ports: BackupPorts, out: str | os.PathLike[str], *, actor: Actor) -> BackupSummary:
    """Write an encrypted backup of the whole database to ``out`` while others write.

    Parameters
    ----------
    out
        The backup file, written whole or not at all (mode 0600).
    actor
        The console (backups are made at the service's machine).

    Raises
    ------
    BadFileError
        ``field="out"``: the file cannot be written; ``field="db"``: the database or
        ``pg_dump`` failed.
    MissingExtraError
        ``pg_dump`` is missing or older than the PostgreSQL server.
    """
    _console_only(actor, "a backup")
    revision = ports.dumps.revision()
    with ports.audit.unit_of_work() as uow:
        audit.record(uow, actor, "backup.create", DATABASE_RECORD)
    with ports.dumps.snapshot() as snapshot:
        header = BackupHeader(
            backend=ports.dumps.backend,
            revision=revision,
            created_at=ports.clock(),
            key_id=ports.files.key_id,
            schema=ports.dumps.schema(),
            made_by=__version__,
        )
        size = ports.files.write(out, header, snapshot.tables, snapshot.chunks())
    return BackupSummary(path=Path(out), size_bytes=size, header=header, tables=snapshot.tables)


def restore_backup(
    ports: BackupPorts, backup_file: str | os.PathLike[str], *, actor: Actor
) -> RestoreSummary:
    """Restore ``backup_file`` into the (empty) database of ``ports``, then check it.

    Raises
    ------
    BadFileError
        ``field="backup_file"``: not a backup, made by a newer safeconduct, damaged or
        cut short (nothing restored); ``field="key_file"``: made with another key file;
        ``field="db"``/``"data"``: the target is not empty (named), or the load failed
        (nothing restored), or the restored rows differ from the backup's.
    InvalidValueError
        ``field="db"``: a backup of the other kind of database.
    """
    _console_only(actor, "a restore")
    dumps = ports.dumps
    target_field = "data" if dumps.backend == "sqlite" else "db"
    header = ports.files.read_header(backup_file)
    if header.backend != dumps.backend:
        raise InvalidValueError(
            f"{backup_file} is a backup of a {header.backend} database; restore it into a "
            f"{header.backend} one ({'a data folder' if header.backend == 'sqlite' else 'a URL'})",
            field=target_field,
        )
    known = dumps.revisions()
    if header.revision is not None and header.revision not in known:
        raise BadFileError(
            f"{backup_file} was made by a newer safeconduct (schema revision "
            f"{header.revision}; this release knows up to {known[-1]}); upgrade "
            "safeconduct first, nothing was restored",
            field="backup_file",
        )
    if dumps.backend == "postgresql" and header.schema != dumps.schema():
        raise InvalidValueError(
            f"{backup_file} holds the schema {header.schema!r}, the target's is "
            f"{dumps.schema()!r}; give a URL whose search_path is {header.schema!r}",
            field="db",
        )
    there = dumps.contents()
    if there:
        shown = ", ".join(there[:5]) + (f" and {len(there) - 5} more" if len(there) > 5 else "")
        raise BadFileError(
            f"{dumps.describe()} is not empty (it holds {shown}); a backup restores only "
            "into an empty database, nothing was restored",
            field=target_field,
        )
    # Every record authenticated before the first byte is loaded; the load reads the
    # file again and checks each record again, so a file changed since is refused too.
    tables = ports.files.verify(backup_file)
    dumps.load(ports.files.read(backup_file))
    restored = dumps.tables()
    _check_tables(tables, restored, dumps.describe(), target_field)
    migrated = None
    if header.revision != known[-1]:  # an older release's backup: brought up to date
        dumps.upgrade()
        migrated = known[-1]
    chain = audit.verify(audit.AuditPorts(database=ports.audit))
    if not chain.ok:
        raise BadFileError(
            f"the restored audit chain does not verify: {chain.message}", field=target_field
        )
    with ports.audit.unit_of_work() as uow:
        audit.record(uow, actor, "backup.restore", DATABASE_RECORD)
    return RestoreSummary(
        header=header, target=dumps.describe(), tables=tables, migrated_to=migrated, chain=chain
    )


def _check_tables(
    expected: Sequence[TableDigest], found: Sequence[TableDigest], target: str, field_: str
) -> None:
    """Refuse a restored database whose tables differ from the backup's in any row."""
    wanted = {t.name: t for t in expected}
    got = {t.name: t for t in found}
    for name in sorted(wanted.keys() | got.keys()):
        a, b = wanted.get(name), got.get(name)
        if a is None or b is None or a != b:
            what = (
                "missing" if b is None else "not in the backup" if a is None
                else f"{b.rows} rows, the backup {a.rows}" if a.rows != b.rows
                else "rows that differ from the backup's"
            )  # fmt: skip
            raise BadFileError(
                f"the restored {target} does not match the backup: table {name} {what}; "
                "do not use it (empty it and restore again)",
                field=field_,
            )
