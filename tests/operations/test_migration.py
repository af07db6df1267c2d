"""Revision 0004 from 0003 with data: cases kept, operations and plan jobs added, and back."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from safeconduct.adapters.store.migrate import current_revision, downgrade, upgrade
from tests.conftest import TEST_CIPHER
from tests.store.conftest import Store


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_0004_from_0003_keeps_the_cases_and_adds_operations(store: Store) -> None:
    engine = store.engine()
    upgrade(engine, "0003")
    created = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    at = created.replace(tzinfo=None) if store.backend == "sqlite" else created
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO cases (id, case_code, language, channel, status, created_at, "
                "opened_by) VALUES (7, '7KDMTW3A', 'ru', 'hotline', 'scheduled', :at, 'olga')"
            ),
            {"at": at},
        )
    upgrade(engine, "0004")
    assert current_revision(engine) == "0004"
    assert {"operations", "plan_jobs"} <= _tables(engine)
    with engine.begin() as connection:
        assert connection.execute(sa.text("SELECT case_code FROM cases")).scalar() == "7KDMTW3A"
        connection.execute(
            sa.text(
                "INSERT INTO operations (id, case_id, area, meeting_lat, meeting_lon, "
                "window_start, window_end, plan_status, artifacts, events, created_at, "
                "updated_at) VALUES (1, 7, 'sample', 48.5, 38.0, :at, :at, 'none', '[]', "
                "'[]', :at, :at)"
            ),
            {"at": at},
        )
        connection.execute(
            sa.text(
                "INSERT INTO plan_jobs (operation_id, status, requested_by, created_at) "
                "VALUES (1, 'queued', 'petro', :at)"
            ),
            {"at": at},
        )
        attempts = connection.execute(sa.text("SELECT attempts FROM plan_jobs")).scalar()
    assert attempts == 0
    # Revision 0005 adds a column to cases in place: the operation and its job stay.
    upgrade(engine, cipher=TEST_CIPHER)  # 0012 seals the case codes kept
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM plan_jobs")).scalar() == 1
    downgrade(engine, "0003", cipher=TEST_CIPHER)
    assert "operations" not in _tables(engine) and "plan_jobs" not in _tables(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM cases")).scalar() == 1
