"""Hostile input, on SQLite and PostgreSQL: the web tests' clients and users, and what
every attack test checks afterwards.

Each attack is refused cleanly (a 4xx with a message, never a 500), written to the
``safeconduct.security`` log (its kind, the route, the user when known; never the
payload's secret) and changes nothing else: :func:`database_rows` taken before and after
shows every table as it was, and the service still answers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.operations.test_area_library import sample_files
from tests.web import conftest as web_conftest

# The web tests' fixtures: a migrated database on SQLite and on PostgreSQL (a schema of its
# own), a TestClient on it, and one user per role.
store = web_conftest.store
engine = web_conftest.engine
_no_database_from_the_environment = web_conftest._no_database_from_the_environment
area_root = web_conftest.area_root
meeting = web_conftest.meeting
pipeline = web_conftest.pipeline
ports = web_conftest.ports
client_for = web_conftest.client_for
client = web_conftest.client
users = web_conftest.users
__all__ = ["sample_files"]

#: Tables whose rows an attack must never change (others' data, the audit trail, keys).
#: ``users`` is left out: a failed sign-in counts on its user row, by design.
WATCHED = (
    "cases",
    "case_events",
    "case_messages",
    "case_assignments",
    "operations",
    "audit_entries",
    "api_tokens",
)

#: SQL injection strings: each is stored and shown as the text it is, never run.
SQL_INJECTIONS = (
    "'; DROP TABLE cases; --",
    "1' OR '1'='1",
    "\" OR 1=1 --",
    "x'); DELETE FROM audit_entries; --",
    "1; SELECT pg_sleep(5)",
    "' UNION SELECT password_hash FROM users --",
)
#: Template (Jinja) and markup injection: shown escaped, never evaluated.
TEMPLATE_INJECTIONS = (
    "{{ 7*7 }}",
    "{{ config.__class__.__init__.__globals__ }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
)
INJECTIONS = SQL_INJECTIONS + TEMPLATE_INJECTIONS


def table_names(engine: Engine) -> set[str]:
    """The tables of the test's database (its own schema on PostgreSQL)."""
    return set(sa.inspect(engine).get_table_names())


def database_rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the :data:`WATCHED` tables that exist, in order of their first column:
    the state an attack must leave alone."""
    present = table_names(engine)
    rows: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for table in WATCHED:
            if table in present:
                found = connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1")).all()
                rows[table] = [tuple(row) for row in found]
    return rows


def assert_unchanged(
    before: dict[str, list[tuple[object, ...]]],
    after: dict[str, list[tuple[object, ...]]],
    *,
    grows: tuple[str, ...] = ("audit_entries",),
) -> None:
    """Every watched table as it was; those in ``grows`` (the audit trail, which records a
    refused sign-in or access) may only have gained rows at their end."""
    assert after.keys() == before.keys(), "an attack dropped or made a table"
    for table, rows in before.items():
        if table in grows:
            assert after[table][: len(rows)] == rows, f"{table}: an earlier row changed"
        else:
            assert after[table] == rows, f"{table}: changed by a refused attack"


@pytest.fixture
def security_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The ``safeconduct.security`` lines a test causes."""
    caplog.set_level(logging.WARNING, logger="safeconduct.security")
    caplog.clear()
    yield caplog


def attacks_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The security log's lines so far."""
    return [r.getMessage() for r in caplog.records if r.name == "safeconduct.security"]


def still_answers(client: TestClient, headers: dict[str, str]) -> None:
    """The service answers a plain request after the attack."""
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/cases", headers=headers).status_code == 200
