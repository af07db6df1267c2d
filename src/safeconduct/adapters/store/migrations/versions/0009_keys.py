"""Data keys: the wrapped keys of field encryption.

Revision ID: 0009
Revises: 0008

``data_keys`` holds each data key wrapped by the master key of the key file (never the key
itself), the id of that master key, and, once destroyed, no key and the time it was
destroyed. A new table only: nothing existing is encrypted by this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("master_key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_data_keys"),
    )
    # A purge destroys the keys of one owner.
    op.create_index("ix_data_keys_owner", "data_keys", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_data_keys_owner", table_name="data_keys")
    op.drop_table("data_keys")
