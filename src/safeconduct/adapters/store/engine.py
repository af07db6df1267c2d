"""Where the database lives, and one SQLAlchemy engine for it.

With no options everything stays in one folder (``./safeconduct-data``): a SQLite file
``safeconduct.db`` in WAL mode, so that readers never wait for the one writer, with foreign
keys enforced. ``--db URL`` (or the environment variable ``SAFECONDUCT_DB``) puts it on
PostgreSQL instead, through psycopg 3: ``postgresql+psycopg://user@host:5432/name``.

Failures a user can correct leave as one line with ``field="db"`` (or ``"data"``): a
malformed URL or an unsupported database is an :class:`~safeconduct.errors.InvalidValueError`,
a database that does not answer a :class:`~safeconduct.errors.BadFileError`. The message
never shows a password given in the URL. When no pooled connection comes free within
:data:`POOL_TIMEOUT_S` seconds, or (PostgreSQL) a lock another transaction holds is not
granted within :data:`LOCK_TIMEOUT_S`, the unit of work is refused, with nothing done, as a
:class:`~safeconduct.errors.ServiceBusyError` (the web answers 503 with ``Retry-After``)
rather than queueing longer; a write refused by a full disk is a
:class:`~safeconduct.errors.DiskFullError` (a ServiceBusyError too: nothing was written).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Engine

from safeconduct.adapters.files.atomic import remove_files_of_dead_runs
from safeconduct.errors import BadFileError, DiskFullError, InvalidValueError, ServiceBusyError

#: The folder used when neither a folder nor a database URL is given.
DEFAULT_DATA_DIR = Path("safeconduct-data")
#: The SQLite file inside the data folder.
SQLITE_FILE = "safeconduct.db"
#: The environment variable that names a database URL.
DB_ENV = "SAFECONDUCT_DB"
#: Seconds to wait for a database server to answer before giving up.
CONNECT_TIMEOUT_S = 10
#: Seconds a SQLite writer waits for another writer's lock before failing.
SQLITE_BUSY_TIMEOUT_S = 15
#: Connections kept open, and more opened under load (closed when returned).
#: Together they match the 40 threads in which the web server runs its routes (AnyIO's
#: default), each holding at most one connection at a time, so a route does not wait for
#: a connection while its own server has a thread free to run it.
POOL_SIZE, POOL_OVERFLOW = 20, 20
#: Seconds a unit of work waits for a free pooled connection before it is refused as busy.
POOL_TIMEOUT_S = 5
#: What a refusal for a busy pool advises: seconds before trying again.
BUSY_RETRY_AFTER_S = 1
#: PostgreSQL: seconds a statement waits for a lock another transaction holds (a row, a
#: table, the audit trail's append lock) before the unit of work is refused as busy.
#: Without it a request waited as long as the holder: for ever if it never let go.
LOCK_TIMEOUT_S = 5
#: SQLSTATEs of a lock not granted in time and of a statement cancelled (lock_timeout,
#: statement_timeout): the database is busy, not broken, and nothing was done.
_BUSY_SQLSTATES = ("55P03", "57014")

# Plain "postgresql://" would pick psycopg2, which we do not ship; psycopg 3 serves both.
_POSTGRES_ALIASES = ("postgresql", "postgres", "postgresql+psycopg")


def resolve_database_url(
    data: str | os.PathLike[str] | None = None,
    db: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> URL:
    """The database a command should use.

    Parameters
    ----------
    data
        A data folder: the SQLite file ``safeconduct.db`` inside it (created when missing).
    db
        A database URL (``sqlite:///path.db``, ``postgresql+psycopg://...``).
    environ
        Where to look for ``SAFECONDUCT_DB`` (default: ``os.environ``); used only when
        neither ``data`` nor ``db`` is given.

    Raises
    ------
    InvalidValueError
        Both ``data`` and ``db`` are given, or the URL is malformed or names a database
        other than SQLite or PostgreSQL.
    """
    if data is not None and db is not None:
        raise InvalidValueError("give a data folder or a database URL, not both", field="db")
    if db is None and data is None:
        db = (environ if environ is not None else os.environ).get(DB_ENV) or None
    if db is not None:
        return parse_database_url(db)
    folder = Path(data) if data is not None else DEFAULT_DATA_DIR
    return URL.create("sqlite+pysqlite", database=str(folder / SQLITE_FILE))


def parse_database_url(text: str) -> URL:
    """Read a database URL; ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    try:
        url = sa.make_url(text.strip())
    except (exc.ArgumentError, ValueError) as error:
        raise InvalidValueError(
            "cannot read this database URL; give e.g. "
            "postgresql+psycopg://user@host:5432/name or sqlite:///path/to/file.db",
            field="db",
        ) from error
    if url.drivername in _POSTGRES_ALIASES:
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+pysqlite")
    if url.drivername not in ("postgresql+psycopg", "sqlite+pysqlite"):
        raise InvalidValueError(
            f"{url.drivername!r} is not supported; give a postgresql+psycopg:// or sqlite:/// URL",
            field="db",
        )
    if url.drivername == "sqlite+pysqlite" and url.database in (None, "", ":memory:"):
        raise InvalidValueError(
            "an in-memory SQLite database keeps nothing; give sqlite:///path/to/file.db",
            field="db",
        )
    return url


def describe(url: URL) -> str:
    """The URL as shown to people: the password hidden."""
    return url.render_as_string(hide_password=True)


def create_store_engine(url: URL | str) -> Engine:
    """An engine for ``url`` (as from :func:`resolve_database_url`); it connects lazily.

    SQLite: the folder is created, each connection turns on WAL and foreign keys and waits
    for a busy writer. PostgreSQL: a connection attempt gives up after
    :data:`CONNECT_TIMEOUT_S` seconds. Both pool :data:`POOL_SIZE` connections (and
    :data:`POOL_OVERFLOW` more at busy times) and wait at most :data:`POOL_TIMEOUT_S` for
    one.

    Raises
    ------
    BadFileError
        The SQLite file's folder cannot be created (``field="data"``).
    """
    url = parse_database_url(url) if isinstance(url, str) else url
    if url.drivername.startswith("sqlite"):
        return _sqlite_engine(url)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    engine = sa.create_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Once per connection, not per transaction: a lock held elsewhere is waited for
        # LOCK_TIMEOUT_S at most, then refused as busy (database_errors).
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
        finally:
            dbapi_connection.autocommit = autocommit

    return engine


def sqlite_copy_prefix(database: Path, purpose: str) -> str:
    """The name prefix of a whole copy of the SQLite file ``database`` made beside it for
    ``purpose`` ("backup", "restore"), before the process id (``.<file>.<purpose>-``)."""
    return f".{database.name}.{purpose}-"


#: What whole copies of the database are made beside it for (see :func:`sqlite_copy_prefix`).
SQLITE_COPY_PURPOSES = ("backup", "restore")


def _sqlite_engine(url: URL) -> Engine:
    path = Path(str(url.database))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadFileError(
            f"cannot create the data folder {path.parent}: {error.strerror or error}",
            field="data",
        ) from error
    # A backup or restore killed outright leaves its whole copy of the database beside it,
    # personal data the scheduled deletion would never reach: whoever opens the store next
    # removes it (a copy whose process still runs is left).
    for purpose in SQLITE_COPY_PURPOSES:
        remove_files_of_dead_runs(path.parent, sqlite_copy_prefix(path, purpose))
    engine = sa.create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite opens transactions itself; let SQLAlchemy's BEGIN (below) do it instead,
        # so that a PRAGMA runs outside any transaction and a rollback undoes DDL too.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")  # safe in WAL mode; far fewer fsyncs
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # "BEGIN IMMEDIATE" (an execution option) takes the write lock at once.
        connection.exec_driver_sql(connection.get_execution_options().get("sqlite_begin", "BEGIN"))

    return engine


@contextlib.contextmanager
def database_errors(url: URL) -> Iterator[None]:
    """Turn a database that cannot be reached or read into one line with ``field="db"``.

    Connection failures, a server gone away, a locked or corrupt SQLite file: these are the
    operator's to fix. Errors of a statement itself (an integrity or programming error) are
    left alone: the caller either expects them or they are bugs. No pooled connection
    free in time is a :class:`~safeconduct.errors.ServiceBusyError`: the service is
    overloaded, not broken, and nothing was done.
    """
    try:
        yield
    except exc.TimeoutError as error:  # the pool's, not a statement's
        raise ServiceBusyError(
            "the service is busy; every database connection is in use. "
            f"Try again in {BUSY_RETRY_AFTER_S} s",
            field="db",
            detail=str(error),
            retry_after_s=BUSY_RETRY_AFTER_S,
        ) from error
    except exc.DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) in _BUSY_SQLSTATES:
            raise ServiceBusyError(
                "the database is busy; another transaction holds what this one needs. "
                f"Nothing was done; try again in {BUSY_RETRY_AFTER_S} s",
                field="db",
                detail=str(error),
                retry_after_s=BUSY_RETRY_AFTER_S,
            ) from error
        if _disk_full(error):
            # Not a broken database: the transaction was rolled back whole, and the same
            # request succeeds once space is freed (no restart).
            raise DiskFullError(
                "the disk holding the database is full: nothing was written; "
                "free space on it, then try again",
                field="db",
                detail=str(error),
            ) from error
        unusable = (
            isinstance(error, exc.OperationalError | exc.InterfaceError)
            or type(error) is exc.DatabaseError  # SQLite: "file is not a database"
            or error.connection_invalidated
        )
        if not unusable:
            raise
        raise BadFileError(
            f"cannot use the database {describe(url)}: {_first_line(error.orig)}",
            field="db",
            detail=str(error),
        ) from error


def _disk_full(error: exc.DBAPIError) -> bool:
    """Whether the database refused a write for want of space: SQLite's SQLITE_FULL,
    PostgreSQL's ``disk_full`` (SQLSTATE 53100)."""
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        return getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
            "database or disk is full" in str(orig)
        )
    return getattr(orig, "sqlstate", None) == "53100"


def _first_line(error: BaseException | None) -> str:
    text = str(error or "").strip()
    return (text.splitlines() or ["no reason given"])[0]
