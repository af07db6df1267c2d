"""The store as a whole, for backups: consistent snapshots, loads into an empty database.

SQLite: the online backup API (:meth:`sqlite3.Connection.backup`) copies the database in
one step under a read transaction, so writers (WAL) carry on and the copy is one moment;
the copy, a single file, is the dump. A restore writes it beside the target under a
temporary name, checks it (``PRAGMA integrity_check``) and renames it into place.

PostgreSQL: ``pg_dump`` (plain SQL) reads a snapshot exported by a REPEATABLE READ
transaction of ours, in which the tables' row counts and digests are taken too, so that
the dump and its manifest are the same moment. Only the store's schema is dumped (its
tables, procrastinate's job tables, sequences, functions and triggers), without owners or
grants. A restore feeds the dump to ``psql --single-transaction``: all of it or nothing.
Passwords go to the tools through ``PGPASSWORD``, never on their command line.

Row digests: SHA-256 over each table's rows in primary-key order, each value in a
canonical text form; the same code on the same kind of database gives the same digest
for the same rows, which is what a restore checks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Engine

from safeconduct.adapters.files.atomic import (
    interrupts_deferred,
    remove_files_of_dead_runs,
    write_refused,
)
from safeconduct.adapters.store.engine import database_errors, describe, sqlite_copy_prefix
from safeconduct.adapters.store.migrate import MIGRATIONS, CipherSource, current_revision, upgrade
from safeconduct.errors import DISK_FULL_ERRNOS, BadFileError, MissingExtraError
from safeconduct.services.ports import TableDigest

#: Rows a digest reads at a time (server-side cursor on PostgreSQL).
ROWS_AT_ONCE = 16
#: Bytes read from ``pg_dump`` (or the SQLite copy) at a time.
READ_BYTES = 1 << 20
_CLIENT_HINT = (
    "install the PostgreSQL client tools of the server's major version or newer "
    "(e.g. apt install postgresql-client-{major}) and put them first on PATH"
)


def _new_copy(folder: Path, prefix: str, made: list[Path]) -> Path:
    """Create an empty file ``<prefix><pid>-*`` in ``folder`` and add it to ``made`` (which
    the caller removes at the end) with Ctrl-C held back, so that none is left unrecorded."""
    with interrupts_deferred():
        fd, name = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}-", dir=folder)
        os.close(fd)
        made.append(Path(name))
    return made[-1]


def known_revisions() -> tuple[str, ...]:
    """Every schema revision this release ships, oldest first."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    return tuple(reversed([script.revision for script in scripts.walk_revisions()]))


@dataclass
class _Snapshot:
    tables: tuple[TableDigest, ...]
    _pieces: Any
    _opened: list[Any] = field(default_factory=list)

    def chunks(self) -> Iterator[bytes]:
        pieces = self._pieces()
        self._opened.append(pieces)
        return pieces  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop every dump still running (a backup that failed half-way)."""
        for pieces in self._opened:
            pieces.close()


class SqlDatabaseDumps:
    """:class:`~safeconduct.services.ports.DatabaseDumps` on a SQLite file or PostgreSQL.

    Parameters
    ----------
    engine
        The store's engine (as ``create_store_engine`` makes it).
    cipher
        For :meth:`upgrade`: revisions that seal rows already there need the key file's
        cipher (``migrate.upgrade``).
    """

    def __init__(self, engine: Engine, *, cipher: CipherSource | None = None) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        self._cipher = cipher

    # ------------------------------------------------------------------ common

    def describe(self) -> str:
        if self.backend == "sqlite":
            return str(self._sqlite_path())
        return describe(self.engine.url)

    def schema(self) -> str | None:
        if self.backend == "sqlite":
            return None
        with database_errors(self.engine.url), self.engine.connect() as connection:
            found = connection.execute(sa.text("SELECT current_schema()")).scalar()
            if found:
                return str(found)
            # The search path names a schema not there yet (a restore creates it).
            path = str(connection.execute(sa.text("SHOW search_path")).scalar() or "")
        for part in path.split(","):
            name = part.strip().strip('"')
            if name and name != "$user":
                return name
        return "public"

    def revisions(self) -> tuple[str, ...]:
        return known_revisions()

    def revision(self) -> str | None:
        if self.backend == "sqlite" and not self.contents():
            return None  # do not create the file by looking
        return current_revision(self.engine)

    def tables(self) -> tuple[TableDigest, ...]:
        with database_errors(self.engine.url), self.engine.connect() as connection:
            return _digests(connection, self.schema())

    def upgrade(self) -> None:
        upgrade(self.engine, cipher=self._cipher)

    def contents(self) -> list[str]:
        if self.backend == "sqlite":
            return _sqlite_contents(self._sqlite_path())
        schema = self.schema()
        with database_errors(self.engine.url), self.engine.connect() as connection:
            rows = connection.execute(sa.text(_PG_CONTENTS), {"schema": schema}).scalars()
            return sorted(str(name) for name in rows)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[_Snapshot]:
        if self.backend == "sqlite":
            with self._sqlite_snapshot() as snap:
                yield snap
        else:
            with self._postgres_snapshot() as snap:
                yield snap

    def load(self, chunks: Iterable[bytes]) -> None:
        if self.backend == "sqlite":
            self._sqlite_load(chunks)
        else:
            self._postgres_load(chunks)

    # ------------------------------------------------------------------ SQLite

    def _sqlite_path(self) -> Path:
        return Path(str(self.engine.url.database))

    @contextlib.contextmanager
    def _sqlite_snapshot(self) -> Iterator[_Snapshot]:
        source_path = self._sqlite_path()
        # The copy lies beside the database (same disk, same protection), removed at the end;
        # one left by a backup killed outright is removed by the next backup or store opened
        # (it holds personal data that the scheduled deletion would not reach).
        prefix = sqlite_copy_prefix(source_path, "backup")
        remove_files_of_dead_runs(source_path.parent, prefix)
        made: list[Path] = []
        try:
            copy = _new_copy(source_path.parent, prefix, made)
            with database_errors(self.engine.url):
                source = sqlite3.connect(source_path, timeout=15)
                target = sqlite3.connect(copy)
                try:
                    source.backup(target)  # pages=-1: one step, one moment
                    target.execute("PRAGMA journal_mode=DELETE")  # the copy is one file
                finally:
                    target.close()
                    source.close()
            reader = sa.create_engine(URL.create("sqlite+pysqlite", database=str(copy)))
            try:
                with reader.connect() as connection:
                    tables = _digests(connection, None)
            finally:
                reader.dispose()
            snapshot = _Snapshot(tables, lambda: _file_pieces(copy))
            try:
                yield snapshot
            finally:
                snapshot.close()
        finally:
            for leftover in made:
                leftover.unlink(missing_ok=True)

    def _sqlite_load(self, chunks: Iterable[bytes]) -> None:
        target = self._sqlite_path()
        prefix = sqlite_copy_prefix(target, "restore")
        made: list[Path] = []
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            remove_files_of_dead_runs(target.parent, prefix)
            staged = _new_copy(target.parent, prefix, made)
        except OSError as error:
            raise BadFileError(
                f"cannot write into {target.parent}: {error.strerror or error}", field="data"
            ) from error
        try:
            with staged.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            _check_sqlite_file(staged)
            if _sqlite_contents(target):  # someone filled it meanwhile
                raise BadFileError(
                    f"the database {target} is not empty any more; nothing was restored",
                    field="data",
                )
            self.engine.dispose()  # no pooled connection on the file being replaced
            for leftover in (target.with_name(target.name + s) for s in ("-wal", "-shm")):
                leftover.unlink(missing_ok=True)
            os.replace(staged, target)
        except OSError as error:
            if error.errno in DISK_FULL_ERRNOS:  # the same restore succeeds once space is freed
                raise write_refused(target, error, field="data") from error
            raise BadFileError(
                f"cannot write {target}: {error.strerror or error}; nothing was restored",
                field="data",
            ) from error
        finally:
            staged.unlink(missing_ok=True)

    # ------------------------------------------------------------------ PostgreSQL

    @contextlib.contextmanager
    def _postgres_snapshot(self) -> Iterator[_Snapshot]:
        schema = self.schema()
        tool = _client_tool("pg_dump", self._server_major())
        reader = self.engine.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        with (
            database_errors(self.engine.url),
            reader.connect() as connection,
            connection.begin(),
        ):
            exported = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
            tables = _digests(connection, schema)
            arguments = [
                tool, "--format=plain", "--no-owner", "--no-privileges", "--no-comments",
                f"--snapshot={exported}", f"--schema={schema}",
            ]  # fmt: skip
            # The transaction stays open while pg_dump reads: the snapshot lives with it.
            snapshot = _Snapshot(tables, lambda: self._run_dump(arguments))
            try:
                yield snapshot
            finally:
                snapshot.close()  # a pg_dump still running is killed (its finally)

    def _server_major(self) -> int:
        with database_errors(self.engine.url), self.engine.connect() as connection:
            number = connection.execute(sa.text("SHOW server_version_num")).scalar()
        return int(number or 0) // 10000

    def _run_dump(self, arguments: list[str]) -> Iterator[bytes]:
        env, dbname = _libpq(self.engine.url)
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(
                [*arguments, "--dbname", dbname],
                stdout=subprocess.PIPE,
                stderr=errors,
                env=env,
            )
            assert process.stdout is not None
            try:
                yield from _schema_if_missing(_pipe_pieces(process.stdout))
                code = process.wait()
            finally:
                if process.poll() is None:  # the caller stopped reading: stop the dump
                    process.kill()
                    process.wait()
            if code != 0:
                raise BadFileError(
                    f"pg_dump failed on {describe(self.engine.url)}: {_first_error(errors)}",
                    field="db",
                )

    def _postgres_load(self, chunks: Iterable[bytes]) -> None:
        tool = _client_tool("psql", self._server_major())
        env, dbname = _libpq(self.engine.url)
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(
                [tool, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                 "-f", "-", "--dbname", dbname],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors, env=env,
            )  # fmt: skip
            assert process.stdin is not None
            try:
                for chunk in chunks:
                    process.stdin.write(chunk)
                process.stdin.close()
            except BrokenPipeError:
                pass  # psql stopped at an error: its status and message say which
            except BaseException:
                # The dump failed its authentication (or we were interrupted): psql must
                # not reach the end of its input, where it would commit. Killed, its
                # connection drops and the server rolls the transaction back.
                process.kill()
                process.wait()
                raise
            if process.wait() != 0:
                raise BadFileError(
                    f"cannot restore into {describe(self.engine.url)}: {_first_error(errors)}; "
                    "nothing was restored",
                    field="db",
                )


# ---------------------------------------------------------------------- helpers

_PG_CONTENTS = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = :schema
UNION ALL
SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = :schema AND t.typtype IN ('e', 'd')
"""


def _sqlite_contents(path: Path) -> list[str]:
    """The tables (and views, indexes, triggers) of the SQLite file; [] when none is there."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=15)
        try:
            names = connection.execute(
                "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            ).fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BadFileError(
            f"{path} is there and is not a database I can read ({error}); "
            "restore into an empty data folder",
            field="data",
        ) from error
    return sorted(str(n) for (n,) in names)


def _check_sqlite_file(path: Path) -> None:
    try:
        connection = sqlite3.connect(path)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BadFileError(
            f"the backup's database does not open ({error}); nothing was restored",
            field="backup_file",
        ) from error
    if result != [("ok",)]:
        raise BadFileError(
            f"the backup's database fails its integrity check ({result[0][0]}); "
            "nothing was restored",
            field="backup_file",
        )


def _file_pieces(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while piece := handle.read(READ_BYTES):
            yield piece


def _pipe_pieces(pipe: IO[bytes]) -> Iterator[bytes]:
    while piece := pipe.read(READ_BYTES):
        yield piece


_CREATE_SCHEMA = re.compile(rb"^CREATE SCHEMA ", re.MULTILINE)


def _schema_if_missing(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """pg_dump writes ``CREATE SCHEMA x;`` for the dumped schema, which an empty target
    may already have (``public`` always does): make it ``IF NOT EXISTS``. It comes in the
    first lines, before any data."""
    head = b""
    for piece in pieces:
        head += piece
        if len(head) >= 64 * 1024:
            break
    yield _CREATE_SCHEMA.sub(b"CREATE SCHEMA IF NOT EXISTS ", head, count=1)
    yield from pieces


def _client_tool(name: str, server_major: int) -> str:
    """The PostgreSQL client ``name`` on PATH, refused when missing or older than the server.

    Raises
    ------
    MissingExtraError
        One line: what is missing and what to install.
    """
    hint = _CLIENT_HINT.format(major=server_major or "15")
    path = shutil.which(name)
    if path is None:
        raise MissingExtraError(f"{name} is not installed (backups of PostgreSQL use it); {hint}")
    try:
        shown = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise MissingExtraError(f"{name} at {path} does not run ({error}); {hint}") from error
    found = re.search(r"(\d+)(?:\.\d+)*", shown)
    major = int(found.group(1)) if found else 0
    if major < server_major:
        raise MissingExtraError(
            f"{name} {found.group(0) if found else '?'} at {path} is older than the "
            f"PostgreSQL {server_major} server; {hint}"
        )
    return path


def _libpq(url: URL) -> tuple[dict[str, str], str]:
    """The environment and ``--dbname`` (a URI without its password) for a client tool."""
    env = dict(os.environ)
    for variable in ("PGPASSWORD", "PGOPTIONS", "PGSERVICE", "PGDATABASE"):
        env.pop(variable, None)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    dbname = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return env, dbname


def _first_error(errors: IO[bytes]) -> str:
    errors.seek(0)
    text = errors.read(64 * 1024).decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wanted = [line for line in lines if "ERROR" in line or "error" in line]
    return (wanted or lines or ["no reason given"])[0]


def _digests(connection: sa.Connection, schema: str | None) -> tuple[TableDigest, ...]:
    """Row count and digest of every table in ``schema`` (SQLite: the file's), by name."""
    inspector = sa.inspect(connection)
    names = sorted(
        name for name in inspector.get_table_names(schema=schema) if not name.startswith("sqlite_")
    )
    quote = connection.dialect.identifier_preparer.quote
    found = []
    for name in names:
        keys = inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or []
        table = (f"{quote(schema)}." if schema else "") + quote(name)
        order = ", ".join(quote(k) for k in keys) if keys else _all_columns(inspector, name, schema)
        digest, rows = hashlib.sha256(), 0
        # Few rows at a time: a message row may carry a 10 MiB attachment.
        result = connection.execution_options(stream_results=True, yield_per=ROWS_AT_ONCE).execute(
            sa.text(f"SELECT * FROM {table} ORDER BY {order}")  # names quoted above
        )
        for row in result:
            digest.update(json.dumps([_canonical(v) for v in row], ensure_ascii=True).encode())
            digest.update(b"\n")
            rows += 1
        found.append(TableDigest(name=name, rows=rows, digest=digest.hexdigest()))
    return tuple(found)


def _all_columns(inspector: Any, name: str, schema: str | None) -> str:
    count = len(inspector.get_columns(name, schema=schema))
    return ", ".join(str(i) for i in range(1, count + 1))


def _canonical(value: Any) -> Any:
    """A JSON-able, exact form of a column value (bytes as hex, times in UTC)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date | time | Decimal | uuid.UUID | timedelta):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return repr(value)
