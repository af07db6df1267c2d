"""Case messages: the conversation with the person of a case, sealed message by message.

Revision ID: 0010
Revises: 0009

New table only. Each message (its text, and an attachment when there is one) is sealed
under the message's own data key (owner ``message:<id>``), so that one message can be
crypto-shredded without its case; the attachment's MIME type is kept in the clear (it says
nothing of the person), its file name sealed. A case's messages go with the case
(``ON DELETE CASCADE``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed_text", sa.LargeBinary(), nullable=False),
        sa.Column("attachment_type", sa.String(length=128), nullable=True),
        sa.Column("sealed_attachment_name", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_attachment", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_messages_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_keys.id"], name="fk_case_messages_data_key_id_data_keys"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_messages"),
    )
    # A case's messages in order.
    op.create_index("ix_case_messages_case_id_id", "case_messages", ["case_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_case_messages_case_id_id", table_name="case_messages")
    op.drop_table("case_messages")
