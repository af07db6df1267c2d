"""The unit of work's transactions: a read-only one reads one snapshot and cannot write
(PostgreSQL, set on the connection, undone when it goes back to the pool), and no pooled
connection free in time is a ServiceBusyError, with nothing done."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from safeconduct.adapters.store import engine as store_engine
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.errors import ServiceBusyError
from tests.conftest import TEST_CIPHER
from tests.store.conftest import Store


@pytest.fixture
def one_connection(store: Store, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    """A migrated engine whose pool holds one connection and waits a tenth of a second."""
    monkeypatch.setattr(store_engine, "POOL_SIZE", 1)
    monkeypatch.setattr(store_engine, "POOL_OVERFLOW", 0)
    monkeypatch.setattr(store_engine, "POOL_TIMEOUT_S", 0.1)
    engine = store.engine()
    upgrade(engine)
    return engine


def _transaction(uow: object) -> tuple[str, str]:
    session = uow.session  # type: ignore[attr-defined]
    level = session.execute(sa.text("SHOW transaction_isolation")).scalar()
    read_only = session.execute(sa.text("SHOW transaction_read_only")).scalar()
    return str(level), str(read_only)


def test_a_read_only_unit_of_work_is_one_read_only_snapshot_on_postgresql(
    one_connection: sa.Engine,
) -> None:
    if one_connection.dialect.name != "postgresql":
        pytest.skip("SQLite's read transaction holds one snapshot by itself")
    database = SqlCaseworkDatabase(one_connection, cipher=TEST_CIPHER)
    with database.unit_of_work(read_only=True) as uow:
        assert _transaction(uow) == ("repeatable read", "on")
    # The same pooled connection, given back: a writing unit of work is read committed.
    with database.unit_of_work() as uow:
        assert _transaction(uow) == ("read committed", "off")
    with database.unit_of_work(read_only=True) as uow:
        assert _transaction(uow) == ("repeatable read", "on")


def test_no_free_connection_is_a_busy_service_and_nothing_is_done(
    one_connection: sa.Engine,
) -> None:
    database = SqlCaseworkDatabase(one_connection, cipher=TEST_CIPHER)
    with (
        one_connection.connect(),  # someone holds the only connection
        pytest.raises(ServiceBusyError) as caught,
        database.unit_of_work() as uow,
    ):
        uow.session.execute(sa.text("DELETE FROM users"))
    assert caught.value.field == "db" and caught.value.retry_after_s >= 1
    assert "busy" in caught.value.message
    with database.unit_of_work(read_only=True) as uow:  # free again: it works
        assert uow.session.execute(sa.text("SELECT count(*) FROM users")).scalar() == 0
