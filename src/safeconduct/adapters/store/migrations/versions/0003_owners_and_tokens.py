"""Who opened each case (an operator's "own" cases), and the web API's bearer tokens.

Revision ID: 0003
Revises: 0002

``cases.opened_by`` is added with the default ``'console'``: before this revision cases were
opened only at the command line. The column is added in place (SQLite's ``ADD COLUMN``),
never by copying the table, because dropping ``cases`` during a copy would cascade to
``case_events`` while foreign keys are enforced.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column("opened_by", sa.String(length=64), server_default="console", nullable=False),
    )
    op.create_index("ix_cases_opened_by", "cases", ["opened_by"])
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_api_tokens"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_user_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("ix_cases_opened_by", table_name="cases")
    # SQLite >= 3.35 drops a column in place; batch mode would copy (and cascade) instead.
    op.drop_column("cases", "opened_by")
