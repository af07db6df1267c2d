"""Intake: the chat conversations a bot holds with people, and the messages waiting to go out.

Revision ID: 0013
Revises: 0012

New tables only (no existing table is touched, see revision 0012 on why a copy of
``cases`` must never be made):

- ``intake_conversations``: one per case opened by a first message on a chat channel.
  The sender is found by ``sender_index``, the keyed blind index of ``channel:handle``;
  the handle itself (``sealed_sender``), the flow run (``sealed_run``) and the meeting
  proposed by an operator (``sealed_meeting``) are sealed under the case's data key
  (owner ``case:<id>``), bound to this table, their column and the case id. ``status``,
  ``flagged_reason`` (a short code, never content), ``operator`` and the times stay in
  the clear: the inbox is sorted and filtered on them.
- ``intake_outbox``: what the channel adapter has to deliver (the bot's replies, an
  operator's replies, reminders), sealed under the case key; ``sent_at`` set once
  delivered.
- ``intake_received``: the keyed blind index of every (channel, handle, message id)
  processed, so that a message delivered twice by the channel is processed once.

Everything goes with its case (``ON DELETE CASCADE``): a purged case leaves no
conversation, and its data key's destruction leaves nothing readable in copies.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_conversations",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sender_index", sa.String(length=64), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed_sender", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_run", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_meeting", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("flagged_reason", sa.String(length=32), nullable=True),
        sa.Column("operator", sa.String(length=64), nullable=True),
        sa.Column("last_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name="fk_intake_conversations_case_id_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name="pk_intake_conversations"),
    )
    op.create_index(
        "ix_intake_conversations_sender_index", "intake_conversations", ["sender_index"]
    )
    op.create_index("ix_intake_conversations_status", "intake_conversations", ["status"])
    op.create_table(
        "intake_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed_text", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_intake_outbox_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_intake_outbox"),
    )
    op.create_index("ix_intake_outbox_channel_sent_at", "intake_outbox", ["channel", "sent_at"])
    op.create_table(
        "intake_received",
        sa.Column("message_index", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name="fk_intake_received_case_id_cases",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_index", name="pk_intake_received"),
    )


def downgrade() -> None:
    op.drop_table("intake_received")
    op.drop_index("ix_intake_outbox_channel_sent_at", table_name="intake_outbox")
    op.drop_table("intake_outbox")
    op.drop_index("ix_intake_conversations_status", table_name="intake_conversations")
    op.drop_index("ix_intake_conversations_sender_index", table_name="intake_conversations")
    op.drop_table("intake_conversations")
