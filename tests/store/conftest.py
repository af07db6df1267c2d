"""Every store test runs twice: on SQLite (a temporary folder) and on a real PostgreSQL.

PostgreSQL is ``$SAFECONDUCT_TEST_DB`` if set, else the local server
(``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test gets a schema of its own,
named at random and dropped afterwards, and its URL selects that schema through
``search_path``, so tests never see each other's tables.

Where no server answers, the PostgreSQL half fails when the environment variable ``CI`` is
set (CI must run it) and is skipped otherwise; the pytest summary says so in one line.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeconduct.adapters.store.engine import create_store_engine, parse_database_url
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.passwords import Argon2Passwords
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.services.casework import CaseworkPorts
from tests.conftest import TEST_CIPHER

#: The server the PostgreSQL half uses when ``SAFECONDUCT_TEST_DB`` is not set.
DEFAULT_TEST_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")

_postgres: dict[str, object] = {}  # "url", "error": the server probed once per session
_ran_on_postgres: list[str] = []


def postgres_url() -> str:
    """The PostgreSQL server of the tests, as given (``$SAFECONDUCT_TEST_DB`` or the default)."""
    return os.environ.get("SAFECONDUCT_TEST_DB") or DEFAULT_TEST_DB


def _postgres_error() -> str | None:
    """Why the test server cannot be used, or None; asked once per session."""
    if "error" not in _postgres:
        url = parse_database_url(postgres_url())
        _postgres["url"] = url
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            _postgres["error"] = None
        except Exception as error:  # any failure: unreachable, refused, bad credentials
            first = (str(getattr(error, "orig", error)).strip().splitlines() or ["?"])[0]
            _postgres["error"] = (
                f"PostgreSQL at {url.render_as_string(hide_password=True)} does not answer "
                f"({first}); set SAFECONDUCT_TEST_DB or start the server "
                "(`.ci/run` starts the local one)"
            )
        finally:
            engine.dispose()
    error = _postgres["error"]
    return None if error is None else str(error)


@dataclass
class Store:
    """One test's database: its URL, the CLI options that name it, and engines to close."""

    backend: str
    url: str
    cli_args: list[str]
    _engines: list[Engine] = field(default_factory=list)

    def engine(self) -> Engine:
        """A fresh engine on this test's database (closed when the test ends)."""
        engine = create_store_engine(self.url)
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own ``SAFECONDUCT_DB`` must not redirect the tests."""
    monkeypatch.delenv("SAFECONDUCT_DB", raising=False)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty database on each backend (SQLite in ``tmp_path``, a PostgreSQL schema)."""
    if request.param == "sqlite":
        data = tmp_path / "data"
        url = f"sqlite+pysqlite:///{data / 'safeconduct.db'}"
        store = Store("sqlite", url, ["--data", str(data)])
        yield store
        store.close()
        return
    error = _postgres_error()
    if error is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL store tests: {error}", pytrace=False)
        pytest.skip(error)
    _ran_on_postgres.append(request.node.nodeid)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    base = _postgres["url"]
    assert isinstance(base, sa.URL)
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    store = Store("postgresql", text, ["--db", text])
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(store: Store) -> Engine:
    """An engine on the test's database, migrated to the newest revision."""
    engine = store.engine()
    upgrade(engine)
    return engine


#: Cheap argon2 parameters: the tests check behaviour, not the cost.
FAST_PASSWORDS = Argon2Passwords(time_cost=1, memory_cost_kib=1024, parallelism=1)


@pytest.fixture
def ports(engine: Engine) -> CaseworkPorts:
    """The casework ports on the migrated test database."""
    return CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: whether the PostgreSQL half of the store tests ran, and if not, why."""
    if "error" not in _postgres:
        return  # no store test asked for PostgreSQL
    error = _postgres["error"]
    if error is None:
        url = _postgres["url"]
        assert isinstance(url, sa.URL)
        where = url.render_as_string(hide_password=True)
        terminalreporter.write_line(
            f"store tests: {len(_ran_on_postgres)} ran on PostgreSQL ({where}) as well as SQLite",
            green=True,
            bold=True,
        )
    else:
        what = "FAILED (CI)" if os.environ.get("CI") else "skipped"
        terminalreporter.write_line(
            f"store tests: the PostgreSQL half {what}: {error}", yellow=True, bold=True
        )
