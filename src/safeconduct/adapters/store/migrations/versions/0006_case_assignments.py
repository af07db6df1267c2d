"""Case assignments: the crews and reception teams who work a case.

Revision ID: 0006
Revises: 0005

A new table only: existing cases have nobody assigned, as before (crews and reception teams
saw none of them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_assignments",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name="fk_case_assignments_case_id_cases",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_name"],
            ["users.name"],
            name="fk_case_assignments_user_name_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "user_name", "role", name="pk_case_assignments"),
    )
    # A crew's or reception team's own cases: looked up by user for every list and check.
    op.create_index(
        "ix_case_assignments_user_name_case_id", "case_assignments", ["user_name", "case_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_case_assignments_user_name_case_id", table_name="case_assignments")
    op.drop_table("case_assignments")
