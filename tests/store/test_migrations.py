"""The Alembic revisions: from an empty database, from the previous revision, and in step
with the models; run from the package wherever the command is started."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from safeconduct.adapters.store.engine import create_store_engine, resolve_database_url
from safeconduct.adapters.store.migrate import (
    MIGRATIONS,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from safeconduct.adapters.store.models import Base
from tests.store.conftest import Store

TABLES = {
    "users", "user_roles", "cases", "case_events", "api_tokens", "operations", "plan_jobs",
}  # fmt: skip


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_the_revisions_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert sorted(p.name for p in (MIGRATIONS / "versions").glob("0*.py")) == [
        "0001_users.py",
        "0002_cases.py",
        "0003_owners_and_tokens.py",
        "0004_operations_and_plan_jobs.py",
    ]
    assert head_revision() == "0004"


def test_upgrade_from_an_empty_database(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini here: the location comes from the package
    engine = store.engine()
    assert current_revision(engine) is None
    assert _tables(engine) == set()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _tables(engine) == TABLES


def test_upgrade_from_the_previous_revision_keeps_the_data(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    assert _tables(engine) == {"users", "user_roles"}
    created = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, name, password_hash, created_at) "
                "VALUES (1, 'anna', 'h', :at)"
            ),
            {"at": created.replace(tzinfo=None) if store.backend == "sqlite" else created},
        )
        connection.execute(sa.text("INSERT INTO user_roles (user_id, role) VALUES (1, 'crew')"))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _tables(engine) == TABLES
    with engine.connect() as connection:
        users = connection.execute(sa.text("SELECT name, failed_logins FROM users")).all()
        roles = connection.execute(sa.text("SELECT role FROM user_roles")).scalars().all()
    assert [tuple(u) for u in users] == [("anna", 0)]
    assert roles == ["crew"]


def test_downgrade_to_empty_and_up_again(engine: sa.Engine) -> None:
    downgrade(engine, "0001")
    assert _tables(engine) == {"users", "user_roles"}
    downgrade(engine, "base")
    assert _tables(engine) == set()
    upgrade(engine)
    assert _tables(engine) == TABLES


def test_upgrading_a_database_at_head_changes_nothing(engine: sa.Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_the_models_describe_the_migrated_schema(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = create_store_engine(resolve_database_url(tmp_path / "data"))
    try:
        upgrade(engine)
        assert (tmp_path / "data" / "safeconduct.db").is_file()
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO user_roles (user_id, role) VALUES (9, 'crew')"))
    finally:
        engine.dispose()
