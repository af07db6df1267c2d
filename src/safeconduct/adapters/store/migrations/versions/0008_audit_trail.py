"""The audit trail: an append-only table of hash-chained entries.

Revision ID: 0008
Revises: 0007

``audit_entries`` holds one row per entry (``safeconduct.audit.chain``): its sequence
number (the primary key, given by the writer, not the database), the entry's fields, the
hash it follows and its own hash. The database itself refuses to change or remove a row:
triggers raise on UPDATE and DELETE (and, on PostgreSQL, TRUNCATE), so that a bug or a
careless hand cannot rewrite history; someone who drops the triggers can, and the chain and
the signed checkpoints are what then show it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: The message both databases give for a refused change (tests look for "append-only").
REFUSAL = "audit_entries is append-only"

_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: UPDATE refused'); END""",
    f"""CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE refused'); END""",
)

_POSTGRESQL_TRIGGERS = (
    f"""CREATE FUNCTION audit_entries_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$""",
    """CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse()""",
    """CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse()""",
)


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("record", sa.String(length=96), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entries"),
    )
    statements = (
        _POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else _SQLITE_TRIGGERS
    )
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries")
        op.drop_table("audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_refuse()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        op.drop_table("audit_entries")
