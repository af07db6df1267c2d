"""The coordination service's database: SQLAlchemy 2 on SQLite (default) or PostgreSQL.

- :mod:`.engine` turns ``--data DIR`` / ``--db URL`` into an engine (SQLite in WAL mode with
  foreign keys on, or PostgreSQL through psycopg 3) and database failures into
  :class:`~safeconduct.errors.SafeconductError` with ``field="db"``;
- :mod:`.models` holds the tables, :mod:`.migrate` and ``migrations/`` the Alembic revisions,
  run programmatically on start-up;
- :mod:`.repositories` maps rows to the domain's values, :mod:`.unit_of_work` gives a use case
  one transaction (commit on success, rollback on error);
- :mod:`.passwords` hashes passwords with argon2.
"""
