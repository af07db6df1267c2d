"""Run the store's Alembic revisions programmatically: on start-up, and in tests.

The revisions ship inside the package (``migrations/``); their location is found from this
file, never from the working directory, and no ``alembic.ini`` is read. An upgrade runs in
one transaction (PostgreSQL and SQLite both roll DDL back) under a lock, so that two
processes starting at once do not both create the tables.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from safeconduct.adapters.store.engine import database_errors
from safeconduct.services.ports import FieldCipher

#: The field cipher, or a function that reads it when a revision needs it (None: none).
CipherSource = FieldCipher | Callable[[], FieldCipher | None]

#: The folder holding ``env.py`` and ``versions/``.
MIGRATIONS = Path(__file__).resolve().with_name("migrations")

# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises upgrades.
_UPGRADE_LOCK = 0x5AFEC0D0


def _config(connection: sa.Connection | None = None, cipher: CipherSource | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    # A revision that must seal (or open) rows already there asks for the cipher, and only
    # then: a missing or unreadable key file matters only to such an upgrade.
    config.attributes["field_cipher"] = cipher
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of safeconduct."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # the package ships at least one revision
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it is empty)."""
    with database_errors(engine.url), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", *, cipher: CipherSource | None = None) -> None:
    """Bring the database up to ``revision`` (default: the newest); a no-op when it is there.

    ``cipher`` (the key file's field cipher, or a function returning it) is given to the
    revisions that seal rows already in the database (0012: case codes); without it such
    a revision refuses a database holding those rows, and nothing is changed.

    Raises
    ------
    BadFileError
        The database does not answer or cannot be read (``field="db"``), or a revision
        needs the key file (``field="key_file"``).
    """
    if revision == "head" and current_revision(engine) == head_revision():
        return
    with database_errors(engine.url), _locked(engine) as connection:
        command.upgrade(_config(connection, cipher), revision)


def downgrade(engine: Engine, revision: str, *, cipher: CipherSource | None = None) -> None:
    """Take the database back to ``revision`` (``"base"``: empty); for tests and repairs."""
    with database_errors(engine.url), _locked(engine) as connection:
        command.downgrade(_config(connection, cipher), revision)


@contextlib.contextmanager
def _locked(engine: Engine) -> Iterator[sa.Connection]:
    """A connection in a transaction that holds the upgrade lock until it ends."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # BEGIN IMMEDIATE takes SQLite's write lock now, not at the first write.
            connection = connection.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK}
                )
            yield connection
