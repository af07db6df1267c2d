"""Custody: prisoners, their NIB events, arrivals, receipts, number series, case links.

Revision ID: 0007
Revises: 0006

New tables only. A prisoner's registration is one JSON column read and written whole; the
prisoner number (unique) and the status are columns of their own. ``number_series`` hands
out gap-free prisoner and receipt numbers: each registration takes the next one with a
single ``UPDATE ... RETURNING`` inside its own transaction, so a rolled-back registration
gives its number back. ``case_prisoners`` is the only place a prisoner meets a case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prisoners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prisoner_number", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("registration", sa.JSON(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prisoners"),
        sa.UniqueConstraint("prisoner_number", name="uq_prisoners_prisoner_number"),
    )
    op.create_table(
        "prisoner_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prisoner_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["prisoner_id"],
            ["prisoners.id"],
            name="fk_prisoner_events_prisoner_id_prisoners",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_prisoner_events"),
    )
    # A prisoner's events in order; the Bureau's export of what was recorded since a time.
    op.create_index("ix_prisoner_events_prisoner_id_id", "prisoner_events", ["prisoner_id", "id"])
    op.create_index("ix_prisoner_events_recorded_at", "prisoner_events", ["recorded_at"])
    op.create_table(
        "arrivals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("escorts", sa.JSON(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("health", sa.String(length=24), nullable=False),
        sa.Column("medical_priority", sa.Boolean(), nullable=False),
        sa.Column("effects_kept", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_arrivals_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_arrivals"),
        sa.UniqueConstraint("case_id", name="uq_arrivals_case_id"),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("prisoner_name", sa.String(length=410), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("prisoner_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_receipts_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["prisoner_id"],
            ["prisoners.id"],
            name="fk_receipts_prisoner_id_prisoners",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_receipts"),
        sa.UniqueConstraint("number", name="uq_receipts_number"),
    )
    op.create_index("ix_receipts_case_id", "receipts", ["case_id"])
    op.create_index("ix_receipts_prisoner_id", "receipts", ["prisoner_id"])
    op.create_table(
        "number_series",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("next_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_number_series"),
    )
    op.create_table(
        "case_prisoners",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("prisoner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_prisoners_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["prisoner_id"],
            ["prisoners.id"],
            name="fk_case_prisoners_prisoner_id_prisoners",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "prisoner_id", name="pk_case_prisoners"),
        sa.UniqueConstraint("prisoner_id", name="uq_case_prisoners_prisoner_id"),
    )


def downgrade() -> None:
    op.drop_table("case_prisoners")
    op.drop_table("number_series")
    op.drop_index("ix_receipts_prisoner_id", table_name="receipts")
    op.drop_index("ix_receipts_case_id", table_name="receipts")
    op.drop_table("receipts")
    op.drop_table("arrivals")
    op.drop_index("ix_prisoner_events_recorded_at", table_name="prisoner_events")
    op.drop_index("ix_prisoner_events_prisoner_id_id", table_name="prisoner_events")
    op.drop_table("prisoner_events")
    op.drop_table("prisoners")
