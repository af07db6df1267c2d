"""The unit of work: one session and one transaction per use case.

:meth:`SqlCaseworkDatabase.unit_of_work` opens a session; the use case reads and writes
through ``uow.users``, ``uow.cases``, ``uow.tokens``, ``uow.operations`` and
``uow.plan_jobs``; the transaction commits when the
block ends normally and rolls back when it raises, so a refused step leaves nothing
written. A database that does not answer becomes a one-line
:class:`~safeconduct.errors.BadFileError` with ``field="db"``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safeconduct.adapters.store.engine import database_errors
from safeconduct.adapters.store.operations import SqlOperations, SqlPlanJobs
from safeconduct.adapters.store.repositories import SqlCases, SqlTokens, SqlUsers


class SqlUnitOfWork:
    """The repositories of one open transaction."""

    def __init__(self, session: Session, *, read_only: bool = False) -> None:
        self.session = session
        self.users = SqlUsers(session)
        self.cases = SqlCases(session, lock=not read_only)
        self.tokens = SqlTokens(session)
        # Revision 0004: operations and their plan jobs.
        self.operations = SqlOperations(session, lock=not read_only)
        self.plan_jobs = SqlPlanJobs(session)


class SqlCaseworkDatabase:
    """The casework database on one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def unit_of_work(self, *, read_only: bool = False) -> Iterator[SqlUnitOfWork]:
        """A transaction: committed when the block ends normally, rolled back if it raises.

        Parameters
        ----------
        read_only
            The block only reads: SQLite then does not take the write lock up front;
            PostgreSQL reads one snapshot and refuses any write. Otherwise a case read is
            locked until the end (see :class:`~.repositories.SqlCases`).
        """
        engine = self.engine
        if engine.dialect.name == "sqlite" and not read_only:
            # Take SQLite's write lock at BEGIN: a transaction that read first and then
            # wrote would fail outright if another writer committed in between.
            engine = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        with (
            database_errors(self.engine.url),
            Session(engine, expire_on_commit=False, autoflush=True) as session,
            session.begin(),
        ):
            if read_only and engine.dialect.name == "postgresql":
                # One snapshot for every statement, so that a case and its events read in
                # two queries agree even while others commit (SQLite's read transaction
                # holds one snapshot already).
                session.execute(
                    sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                )
            yield SqlUnitOfWork(session, read_only=read_only)

    def close(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()
