"""Alembic's environment: run the revisions on the connection the caller hands in.

:func:`safeconduct.adapters.store.migrate.upgrade` puts an open connection (inside its
transaction) in ``config.attributes["connection"]``; there is no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context

from safeconduct.adapters.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run the store's migrations through safeconduct.adapters.store.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
