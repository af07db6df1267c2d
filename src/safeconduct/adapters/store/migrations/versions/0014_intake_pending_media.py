"""Intake: files a person sent, held sealed until an operator keeps or discards them.

Revision ID: 0014
Revises: 0013

A new table only (no existing table is touched, see revision 0012):

- ``intake_pending_media``: one row per photo, document, voice or video the channel
  fetched, its bytes (``sealed_media``) sealed under a data key of its own (owner
  ``key_owner``), so that discarding it destroys that key. Kept by an operator, the file
  becomes a case message's attachment and the row goes; not kept within 24 hours, the row
  goes and its key is destroyed. ``ON DELETE CASCADE`` with its case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_pending_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("key_owner", sa.String(length=64), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed_media", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name="fk_intake_pending_media_case_id_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_intake_pending_media"),
    )
    op.create_index("ix_intake_pending_media_case_id", "intake_pending_media", ["case_id"])
    op.create_index("ix_intake_pending_media_received_at", "intake_pending_media", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_intake_pending_media_received_at", table_name="intake_pending_media")
    op.drop_index("ix_intake_pending_media_case_id", table_name="intake_pending_media")
    op.drop_table("intake_pending_media")
