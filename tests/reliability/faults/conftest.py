"""Fixtures of the fault tests: the store tests' databases (SQLite and a schema of the
shared PostgreSQL, migrated), and a private PostgreSQL cluster that a test may crash.

The private cluster is one per test session (per xdist worker), started on first use;
each test takes a database of its own in it (:func:`private_database`), dropped afterwards.
Where it cannot run (not root, no server programs) its tests skip saying why, and fail
when ``$CI`` is set: CI must run them.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.reliability.faults.processes import PrivateCluster, why_no_private_cluster
from tests.store import conftest as store_conftest

store = store_conftest.store
engine = store_conftest.engine
_no_database_from_the_environment = store_conftest._no_database_from_the_environment


@pytest.fixture(scope="session")
def private_cluster() -> Iterator[PrivateCluster]:
    """A PostgreSQL cluster of this session's own, running; removed at the end."""
    why = why_no_private_cluster()
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL fault tests: {why}", pytrace=False)
        pytest.skip(why)
    cluster = PrivateCluster(Path(tempfile.mkdtemp(prefix="safeconduct-faults-pg-")))
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def private_database(private_cluster: PrivateCluster) -> Iterator[str]:
    """A new, empty database in the private cluster (running again if a test left it
    down): its URL. Dropped afterwards, connections and all."""
    if not private_cluster.running():
        private_cluster.start()
    name = f"faults_{uuid.uuid4().hex[:12]}"
    # No pool: a connection kept from before a test crashed the server would be dead.
    admin = sa.create_engine(
        private_cluster.url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield private_cluster.url(name)
        if not private_cluster.running():
            private_cluster.start()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
