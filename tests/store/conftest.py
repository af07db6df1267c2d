"""Every store test runs twice: on SQLite (a temporary folder) and on a real PostgreSQL.

PostgreSQL is ``$SAFECONDUCT_TEST_DB`` if set, else the local server
(``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test gets a schema of its own,
named at random and dropped afterwards, and its URL selects that schema through
``search_path``, so tests never see each other's tables.

Where no server answers, the PostgreSQL half fails when the environment variable ``CI`` is
set (CI must run it) and is skipped otherwise; the pytest summary says so in one line.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeconduct.adapters.store.engine import create_store_engine, parse_database_url
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.passwords import Argon2Passwords
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.services.casework import CaseworkPorts
from tests.conftest import POSTGRES_ERROR, POSTGRES_RAN, TEST_CIPHER

#: The server the PostgreSQL half uses when ``SAFECONDUCT_TEST_DB`` is not set.
DEFAULT_TEST_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")

_postgres: dict[str, object] = {}  # "url", "error": the server probed once per session


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
    # Noted in the test's report for the summary line (tests/conftest.py), which the xdist
    # controller prints from the reports alone.
    if error is not None:
        request.node.user_properties.append((POSTGRES_ERROR, error))
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL store tests: {error}", pytrace=False)
        pytest.skip(error)
    base = _postgres["url"]
    assert isinstance(base, sa.URL)
    request.node.user_properties.append((POSTGRES_RAN, base.render_as_string(hide_password=True)))
    schema = f"test_{uuid.uuid4().hex[:12]}"
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
    """An engine on the test's database, migrated to the newest revision.

    The revisions run for real once per session (per xdist worker) and backend; each test's
    database is then made from that run (:func:`_migrate_quickly`), and ``upgrade`` must
    find it at the newest revision already. Tests of the revisions themselves start from
    ``store`` (empty) and run them.
    """
    _migrate_quickly(store)
    engine = store.engine()
    upgrade(engine)  # a no-op at the newest revision, which it checks
    return engine


# ---- migrated databases without running the revisions in every test -----------------------
#
# Running the revisions costs about half a second a database, and most tests of the suite
# want a migrated one: that was most of the suite's time. So they run once per session:
# on SQLite into a file that each test then copies; on PostgreSQL with every statement they
# send recorded, and each test's schema gets the same statements (the SELECTs that only
# looked, at an empty database, left out). A replayed schema is checked once, against the
# real run: same tables, columns, constraints, indexes, triggers and rows.

_migrated: dict[str, object] = {}  # "sqlite": the migrated file; "postgresql": the statements


def _migrate_quickly(store: Store) -> None:
    """Bring ``store``'s empty database to the newest revision as the revisions would."""
    if store.backend == "sqlite":
        target = Path(str(sa.make_url(store.url).database))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_migrated(), target)
    else:
        _replay(store.url, _postgres_statements())


def _sqlite_migrated() -> Path:
    """A SQLite file the revisions brought to the newest one, made once per session."""
    if "sqlite" not in _migrated:
        folder = Path(tempfile.mkdtemp(prefix="safeconduct-test-migrated-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "safeconduct.db"
        engine = create_store_engine(f"sqlite+pysqlite:///{path}")
        upgrade(engine)
        engine.dispose()  # the last connection folds the WAL into the file
        assert not path.with_name(path.name + "-wal").exists()
        _migrated["sqlite"] = path
    return Path(str(_migrated["sqlite"]))


#: One recorded statement: its SQL, its parameters, and whether it ran with executemany.
Statement = tuple[str, Any, bool]


def _postgres_statements() -> list[Statement]:
    """What the revisions send to an empty PostgreSQL schema (less the pure SELECTs),
    recorded once per session and checked by replaying them into a second schema."""
    if "postgresql" not in _migrated:
        recorded: list[Statement] = []

        def record(_c: Any, _cur: Any, statement: str, parameters: Any, _x: Any, many: bool):
            if not statement.lstrip().upper().startswith("SELECT"):
                recorded.append((statement, parameters, many))

        with _schema() as migrated, _schema() as replayed:
            engine = create_store_engine(migrated)
            sa.event.listen(engine, "before_cursor_execute", record)
            upgrade(engine)
            engine.dispose()
            _replay(replayed, recorded)
            assert _fingerprint(replayed) == _fingerprint(migrated), (
                "replaying the recorded revisions gave another schema than running them"
            )
        _migrated["postgresql"] = recorded
    return list(_migrated["postgresql"])  # type: ignore[call-overload]


def _replay(url: str, statements: list[Statement]) -> None:
    """Send ``statements`` to the schema of ``url``, in one transaction."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            cursor = connection.connection.cursor()
            for statement, parameters, many in statements:
                if many:
                    cursor.executemany(statement, parameters)
                else:
                    # as SQLAlchemy sent it: an empty mapping too (psycopg then reads %% as %)
                    cursor.execute(
                        statement,
                        dict(parameters) if isinstance(parameters, Mapping) else parameters,
                    )
    finally:
        engine.dispose()


@contextlib.contextmanager
def _schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards: its URL."""
    base = _postgres["url"]
    assert isinstance(base, sa.URL)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _fingerprint(url: str) -> list[object]:
    """What a schema holds, its name left out: tables, columns, constraints, indexes,
    triggers, functions, sequences and every table's rows."""
    queries = (
        "SELECT table_name, column_name, data_type, is_nullable, column_default, "
        "character_maximum_length FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY 1, 2",
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2",
        "SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '') "
        "FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1, 2",
        "SELECT tgrelid::regclass::text, tgname, "
        "replace(pg_get_triggerdef(t.oid), current_schema() || '.', '') FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal "
        "ORDER BY 1, 2",
        "SELECT proname, prosrc FROM pg_proc "
        "WHERE pronamespace = current_schema()::regnamespace ORDER BY 1",
        "SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences "
        "WHERE sequence_schema = current_schema() ORDER BY 1",
    )
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found: list[object] = [list(connection.exec_driver_sql(q)) for q in queries]
            for table in sorted(sa.inspect(connection).get_table_names()):
                rows = connection.exec_driver_sql(f'SELECT * FROM "{table}"')
                found.append((table, sorted(map(repr, rows))))
    finally:
        engine.dispose()
    return found


#: Cheap argon2 parameters: the tests check behaviour, not the cost.
FAST_PASSWORDS = Argon2Passwords(time_cost=1, memory_cost_kib=1024, parallelism=1)


@pytest.fixture
def ports(engine: Engine) -> CaseworkPorts:
    """The casework ports on the migrated test database."""
    return CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
