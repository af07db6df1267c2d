"""The wrapped data keys of field encryption in the database (revision 0009).

:class:`SqlDataKeys` implements :class:`~safeconduct.services.ports.DataKeys` on the store's
engine; each call runs its own transaction, so a rotation re-wraps every key or none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safeconduct.adapters.store.engine import database_errors
from safeconduct.adapters.store.models import DataKeyRow
from safeconduct.services.ports import WrappedDataKey


def _key(row: DataKeyRow) -> WrappedDataKey:
    assert row.wrapped_key is not None  # only live keys are read
    return WrappedDataKey(
        id=row.id, owner=row.owner, wrapped=bytes(row.wrapped_key), master_key_id=row.master_key_id
    )


_LIVE = sa.select(DataKeyRow).where(DataKeyRow.destroyed_at.is_(None))


class SqlDataKeys:
    """The ``data_keys`` table.

    Parameters
    ----------
    engine
        The store's engine (SQLite or PostgreSQL), migrated to revision 0009 or later.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # SQLite: the write lock from BEGIN, so that a rotation and a new key take turns.
        self._writer = (
            engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            if engine.dialect.name == "sqlite"
            else engine
        )

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        with (
            database_errors(self._engine.url),
            Session(self._writer if write else self._engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    def live(self) -> list[WrappedDataKey]:
        """Every data key not destroyed, oldest first."""
        with self._session(write=False) as session:
            rows = session.scalars(_LIVE.order_by(DataKeyRow.created_at, DataKeyRow.id))
            return [_key(row) for row in rows]

    def get(self, key_id: str) -> WrappedDataKey | None:
        """The live data key ``key_id``, or None."""
        with self._session(write=False) as session:
            row = session.scalars(_LIVE.where(DataKeyRow.id == key_id)).one_or_none()
            return None if row is None else _key(row)

    def add(self, key: WrappedDataKey, *, at: datetime) -> None:
        """Keep a new data key, wrapped."""
        with self._session(write=True) as session:
            session.add(
                DataKeyRow(
                    id=key.id,
                    owner=key.owner,
                    wrapped_key=key.wrapped,
                    master_key_id=key.master_key_id,
                    created_at=at,
                )
            )

    def rewrap_all(
        self,
        rewrap: Callable[[WrappedDataKey], WrappedDataKey],
        *,
        only_master: str | None = None,
    ) -> int:
        """Replace every live key by ``rewrap(key)``, all in one transaction; on PostgreSQL
        the table is locked against writes meanwhile (SQLite holds its write lock).

        Parameters
        ----------
        only_master
            Re-wrap only the keys wrapped by this master key id (a sweep after a rotation).
        """
        with self._session(write=True) as session:
            if session.get_bind().dialect.name == "postgresql":
                # No key may be added meanwhile under the old master key; reads go on.
                session.execute(sa.text("LOCK TABLE data_keys IN EXCLUSIVE MODE"))
            query = _LIVE.order_by(DataKeyRow.id)
            if only_master is not None:
                query = query.where(DataKeyRow.master_key_id == only_master)
            rows = list(session.scalars(query))
            for row in rows:
                new = rewrap(_key(row))
                row.wrapped_key = new.wrapped
                row.master_key_id = new.master_key_id
            return len(rows)

    def destroy(self, owners: str | Iterable[str], *, at: datetime) -> int:
        """Clear the wrapped bytes of the live keys of ``owners`` (one owner name, or
        several) and mark them destroyed, in one transaction; return how many."""
        with self._session(write=True) as session:
            return destroy_keys(session, owners, at=at)

    def master_key_ids(self) -> set[str]:
        """The master key ids that wrap live keys (one, except in a rotation's moment)."""
        with self._session(write=False) as session:
            found = session.scalars(
                sa.select(DataKeyRow.master_key_id).where(DataKeyRow.destroyed_at.is_(None))
            )
            return set(found)

    def destroyed_under(self, master_key_id: str) -> int:
        """How many destroyed keys were wrapped by ``master_key_id`` when destroyed: copies
        of the database taken before still hold them, openable with that master key."""
        with self._session(write=False) as session:
            return int(
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(DataKeyRow)
                    .where(
                        DataKeyRow.destroyed_at.is_not(None),
                        DataKeyRow.master_key_id == master_key_id,
                    )
                )
                or 0
            )


def destroy_keys(session: Session, owners: str | Iterable[str], *, at: datetime) -> int:
    """Destroy the live keys of ``owners`` inside ``session``'s transaction (a purge destroys
    a case's keys in the transaction that deletes its rows); return how many.

    The wrapped bytes are overwritten with NULL and the row kept (``destroyed_at``): the
    ciphertexts it opened open for nobody now, here and, once the master key is rotated,
    in every copy of the database taken before (crypto-shredding).
    """
    names = [owners] if isinstance(owners, str) else sorted(set(owners))
    if not names:
        return 0
    done = 0
    for start in range(0, len(names), 500):  # bounded IN lists
        result = session.execute(
            sa.update(DataKeyRow)
            .where(
                DataKeyRow.owner.in_(names[start : start + 500]),
                DataKeyRow.destroyed_at.is_(None),
            )
            .values(wrapped_key=None, destroyed_at=at)
            .execution_options(synchronize_session=False)
        )
        done += int(result.rowcount)
    return done
