"""When each case last changed, and the indexes the paged case list reads.

Revision ID: 0005
Revises: 0004

``cases.last_changed_at`` is the time of the case's latest event, or of its opening when it
has none; existing cases get it from their timelines. The case list pages newest change
first by ``(last_changed_at, id)``, read backwards from an index on those two columns (every
case) or on ``(opened_by, last_changed_at, id)`` (one opener's cases), which also serves
every look-up by opener and so replaces ``ix_cases_opened_by``.

The column is added in place (``ADD COLUMN``), never by copying the table: dropping
``cases`` during a copy would cascade to ``case_events`` and ``operations`` while foreign
keys are enforced. SQLite cannot make an added column NOT NULL afterwards, so there it is
added NOT NULL with a placeholder default that the back-fill overwrites at once (every new
row is given its time by the store); PostgreSQL adds it nullable, back-fills it, and then
forbids NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Every event is at or after its case's opening (the domain checks it), so the latest
# event, when there is one, is the last change.
_BACKFILL = """
UPDATE cases SET last_changed_at = COALESCE(
    (SELECT max(case_events.at) FROM case_events WHERE case_events.case_id = cases.id),
    created_at
)
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        column = sa.Column(
            "last_changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("'1970-01-01 00:00:00.000000'"),
            nullable=False,
        )
    else:
        column = sa.Column("last_changed_at", sa.DateTime(timezone=True), nullable=True)
    op.add_column("cases", column)
    op.execute(_BACKFILL)
    if not sqlite:
        op.alter_column("cases", "last_changed_at", nullable=False)
    op.drop_index("ix_cases_opened_by", table_name="cases")
    op.create_index("ix_cases_last_changed_at_id", "cases", ["last_changed_at", "id"])
    op.create_index(
        "ix_cases_opened_by_last_changed_at_id", "cases", ["opened_by", "last_changed_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_cases_opened_by_last_changed_at_id", table_name="cases")
    op.drop_index("ix_cases_last_changed_at_id", table_name="cases")
    op.create_index("ix_cases_opened_by", "cases", ["opened_by"])
    # SQLite >= 3.35 drops a column in place; batch mode would copy (and cascade) instead.
    op.drop_column("cases", "last_changed_at")
