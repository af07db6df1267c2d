"""The unit of work: one session and one transaction per use case.

:meth:`SqlCaseworkDatabase.unit_of_work` opens a session; the use case reads and writes
through ``uow.users``, ``uow.cases``, ``uow.tokens``, ``uow.operations``,
``uow.plan_jobs`` and ``uow.assignments``, and custody's ``uow.prisoners``,
``uow.number_series``, ``uow.arrivals``, ``uow.receipts`` and ``uow.case_prisoners``, and
the audit trail ``uow.audit``; the transaction commits when the block ends normally and
rolls back when it raises, so a refused step leaves nothing written. A database that does
not answer becomes a one-line :class:`~safeconduct.errors.BadFileError` with
``field="db"``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safeconduct.adapters.store.assignments import SqlAssignments
from safeconduct.adapters.store.audit import SqlAuditTrail
from safeconduct.adapters.store.custody import (
    SealedPrisoners,
    SqlArrivals,
    SqlCasePrisoners,
    SqlNumberSeries,
    SqlPrisoners,
    SqlReceipts,
)
from safeconduct.adapters.store.engine import database_errors
from safeconduct.adapters.store.intake import SqlIntake
from safeconduct.adapters.store.messages import SqlMessages
from safeconduct.adapters.store.operations import SqlOperations, SqlPlanJobs
from safeconduct.adapters.store.repositories import SqlCases, SqlTokens, SqlUsers
from safeconduct.adapters.store.retention import SqlRetention
from safeconduct.adapters.store.sealing import SessionDataKeys
from safeconduct.services.ports import FieldCipher


class SqlUnitOfWork:
    """The repositories of one open transaction."""

    def __init__(
        self, session: Session, *, read_only: bool = False, cipher: FieldCipher | None = None
    ) -> None:
        self.session = session
        self.users = SqlUsers(session)
        self.tokens = SqlTokens(session)
        # Revision 0004: operations and their plan jobs.
        self.operations = SqlOperations(session, lock=not read_only)
        self.plan_jobs = SqlPlanJobs(session)
        # Revision 0006: the crews and reception teams assigned to cases.
        self.assignments = SqlAssignments(session)
        # Revision 0007: custody (prisoners of war).
        # Revision 0009: prisoners' records sealed with the key file's cipher.
        sealed = SealedPrisoners(session, cipher)
        # Revision 0012: case codes sealed under each case's key, found by blind index.
        self.cases = SqlCases(session, sealed, lock=not read_only)
        self.prisoners = SqlPrisoners(sealed, session, lock=not read_only)
        self.number_series = SqlNumberSeries(session)
        self.arrivals = SqlArrivals(sealed, session)  # 0011: sealed under the case's key
        self.receipts = SqlReceipts(sealed, session)
        self.case_prisoners = SqlCasePrisoners(sealed, session)
        # Revision 0008: the audit trail (append-only, hash-chained).
        self.audit = SqlAuditTrail(session)
        # Key operations in the transaction of their audit entry (services/keys.py).
        self.data_keys = SessionDataKeys(session)
        # Revision 0010: case messages, each sealed under its own data key; what a purge
        # deletes (adapters/store/retention.py).
        self.messages = SqlMessages(sealed, session)
        self.retention = SqlRetention(session)
        # Revision 0013: the intake's conversations, outbox and processed messages.
        self.intake = SqlIntake(sealed, session)


class SqlCaseworkDatabase:
    """The casework database on one SQLAlchemy engine (SQLite or PostgreSQL).

    Parameters
    ----------
    engine
        The store's engine.
    cipher
        The field cipher of the key file (revision 0009): prisoners' records are sealed and
        opened with it; None refuses every prisoner read or write. Set later, once the key
        file is checked against the database (``bootstrap.unlock_store``).
    """

    def __init__(self, engine: Engine, *, cipher: FieldCipher | None = None) -> None:
        self.engine = engine
        self.cipher = cipher
        postgresql = engine.dialect.name == "postgresql"
        # A read-only unit of work on PostgreSQL reads one snapshot for every statement, so
        # that a case and its events read in two queries agree even while others commit,
        # and refuses any write. Set on the connection (psycopg then sends "BEGIN ISOLATION
        # LEVEL REPEATABLE READ READ ONLY") rather than by a SET TRANSACTION statement of
        # its own: one round trip less for every read. SQLite's read transaction holds one
        # snapshot already.
        self._reader = (
            engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            if postgresql
            else engine
        )
        # SQLite: take the write lock at BEGIN ("BEGIN IMMEDIATE"): a transaction that read
        # first and then wrote would fail outright if another writer committed in between.
        self._writer = (
            engine if postgresql else engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        )

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
        engine = self._reader if read_only else self._writer
        with (
            database_errors(self.engine.url),
            Session(engine, expire_on_commit=False, autoflush=True) as session,
            session.begin(),
        ):
            yield SqlUnitOfWork(session, read_only=read_only, cipher=self.cipher)

    def close(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()
