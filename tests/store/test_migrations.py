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
from safeconduct.adapters.store.models import Base, UtcDateTime
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.errors import BadFileError
from tests.conftest import TEST_CIPHER
from tests.store.conftest import Store

TABLES = {
    "users", "user_roles", "cases", "case_events", "api_tokens", "operations", "plan_jobs",
    "case_assignments", "prisoners", "prisoner_events", "arrivals", "receipts", "number_series",
    "case_prisoners", "audit_entries", "data_keys", "case_messages",
    "intake_conversations", "intake_outbox", "intake_received", "intake_pending_media",
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
        "0005_case_last_change.py",
        "0006_case_assignments.py",
        "0007_custody.py",
        "0008_audit_trail.py",
        "0009_keys.py",
        "0010_case_messages.py",
        "0011_sealed_custody_fields.py",
        "0012_sealed_case_codes.py",
        "0013_intake.py",
        "0014_intake_pending_media.py",
    ]
    assert head_revision() == "0014"


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


def test_0005_from_0004_fills_in_when_each_case_last_changed(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0004")
    opened = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    scheduled, planned = opened.replace(hour=9), opened.replace(hour=10, microsecond=250)

    def at(moment: datetime) -> datetime:
        return moment.replace(tzinfo=None) if store.backend == "sqlite" else moment

    with engine.begin() as connection:
        for case_id, code, status in ((1, "7KDMTW3A", "planned"), (2, "22222222", "contacted")):
            connection.execute(
                sa.text(
                    "INSERT INTO cases (id, case_code, language, channel, status, created_at, "
                    "opened_by) VALUES (:id, :code, 'ru', 'hotline', :status, :at, 'olga')"
                ),
                {"id": case_id, "code": code, "status": status, "at": at(opened)},
            )
        for moment, name, before, after in (
            (scheduled, "schedule", "contacted", "scheduled"),
            (planned, "plan", "scheduled", "planned"),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO case_events (case_id, at, actor, transition, from_status, "
                    "to_status) VALUES (1, :at, 'petro', :name, :before, :after)"
                ),
                {"at": at(moment), "name": name, "before": before, "after": after},
            )
        connection.execute(
            sa.text(
                "INSERT INTO operations (id, case_id, area, meeting_lat, meeting_lon, "
                "window_start, window_end, plan_status, artifacts, events, created_at, "
                "updated_at) VALUES (1, 1, 'sample', 48.5, 38.0, :at, :at, 'none', '[]', "
                "'[]', :at, :at)"
            ),
            {"at": at(opened)},
        )
    upgrade(engine, "0005")
    changed = sa.table("cases", sa.column("id"), sa.column("last_changed_at", UtcDateTime()))
    with engine.connect() as connection:
        rows = connection.execute(sa.select(changed).order_by(changed.c.id)).all()
        kept = [
            connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar()
            for name in ("case_events", "operations")
        ]
    # The latest event's time, or the opening's; nothing cascaded away on the way.
    assert [tuple(r) for r in rows] == [(1, planned), (2, opened)]
    assert kept == [2, 1]
    indexes = {i["name"] for i in sa.inspect(engine).get_indexes("cases")}
    assert {"ix_cases_last_changed_at_id", "ix_cases_opened_by_last_changed_at_id"} <= indexes
    assert "ix_cases_opened_by" not in indexes
    downgrade(engine, "0004")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("cases")}
    assert "last_changed_at" not in columns and "opened_by" in columns
    assert "ix_cases_opened_by" in {i["name"] for i in sa.inspect(engine).get_indexes("cases")}
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM case_events")).scalar() == 2


def test_0006_from_0005_adds_assignments_and_keeps_the_cases(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0005")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO cases (id, case_code, language, channel, status, created_at, "
                "opened_by, last_changed_at) VALUES (1, '7KDMTW3A', 'ru', 'hotline', "
                "'contacted', :at, 'olga', :at)"
            ),
            {"at": datetime(2024, 5, 1, 8, 30, tzinfo=None if store.backend == "sqlite" else UTC)},
        )
    upgrade(engine, "0006")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM cases")).scalar() == 1
        assert connection.execute(sa.text("SELECT count(*) FROM case_assignments")).scalar() == 0
    downgrade(engine, "0005")
    assert "case_assignments" not in _tables(engine) and "cases" in _tables(engine)


def test_0007_from_0006_adds_the_custody_tables_and_keeps_the_cases(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0006")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO cases (id, case_code, language, channel, status, created_at, "
                "opened_by, last_changed_at) VALUES (1, '7KDMTW3A', 'ru', 'hotline', "
                "'in_custody', :at, 'olga', :at)"
            ),
            {"at": datetime(2024, 5, 1, 8, 30, tzinfo=None if store.backend == "sqlite" else UTC)},
        )
    upgrade(engine, "0007")
    custody = {"prisoners", "prisoner_events", "arrivals", "receipts", "number_series",
               "case_prisoners"}  # fmt: skip
    assert custody <= _tables(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT status FROM cases")).scalar() == "in_custody"
        assert connection.execute(sa.text("SELECT count(*) FROM prisoners")).scalar() == 0
    downgrade(engine, "0006")
    assert not custody & _tables(engine) and "case_assignments" in _tables(engine)


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


def test_0012_seals_the_case_codes_already_there_and_refuses_without_the_key(
    store: Store,
) -> None:
    engine = store.engine()
    upgrade(engine, "0011")
    opened = datetime(2024, 5, 1, 8, 30, tzinfo=None if store.backend == "sqlite" else UTC)
    with engine.begin() as connection:
        for case_id, code in ((1, "7KDMTW3A"), (2, "22222222")):
            connection.execute(
                sa.text(
                    "INSERT INTO cases (id, case_code, language, channel, status, created_at, "
                    "opened_by, last_changed_at) VALUES (:id, :code, 'ru', 'hotline', "
                    "'contacted', :at, 'olga', :at)"
                ),
                {"id": case_id, "code": code, "at": opened},
            )
        connection.execute(
            sa.text(
                "INSERT INTO case_events (case_id, at, actor, transition, from_status, "
                "to_status) VALUES (1, :at, 'petro', 'schedule', 'contacted', 'scheduled')"
            ),
            {"at": opened},
        )
        connection.execute(sa.text("UPDATE cases SET status = 'scheduled' WHERE id = 1"))
        connection.execute(
            sa.text(
                "INSERT INTO operations (id, case_id, area, meeting_lat, meeting_lon, "
                "window_start, window_end, plan_status, artifacts, events, created_at, "
                "updated_at) VALUES (1, 1, 'sample', 48.5, 38.0, :at, :at, 'none', '[]', "
                "'[]', :at, :at)"
            ),
            {"at": opened},
        )
    # Without the key file: refused, naming it, and the database is left at 0011.
    with pytest.raises(BadFileError) as refused:
        upgrade(engine, "0012")
    assert refused.value.field == "key_file" and "2 case(s)" in str(refused.value)
    assert current_revision(engine) == "0011"
    # With it: the codes are sealed, each under its case's own key, found by blind index.
    upgrade(engine, "0012", cipher=lambda: TEST_CIPHER)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(engine).get_columns("cases")}
        owners = connection.execute(sa.text("SELECT owner FROM data_keys ORDER BY owner")).all()
        # Changed in place: nothing that names a case cascaded away (a table copy would).
        kept = [
            connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar()
            for name in ("case_events", "operations")
        ]
    assert "case_code" not in columns and kept == [1, 1]
    assert [o for (o,) in owners] == ["case:1", "case:2"]
    database = SqlCaseworkDatabase(engine, cipher=TEST_CIPHER)
    with database.unit_of_work(read_only=True) as uow:
        found = uow.cases.get("22222222")
        assert found is not None and found.id == 2
        assert [s.case_code for s in uow.cases.list_page(limit=10)] == ["22222222", "7KDMTW3A"]
    # And back: the codes written in the clear again.
    downgrade(engine, "0011", cipher=TEST_CIPHER)
    with engine.connect() as connection:
        codes = connection.execute(sa.text("SELECT case_code FROM cases ORDER BY id")).all()
    assert [c for (c,) in codes] == ["7KDMTW3A", "22222222"]
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM operations")).scalar() == 1
