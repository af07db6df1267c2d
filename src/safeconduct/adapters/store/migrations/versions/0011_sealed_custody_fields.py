"""Sealed custody fields: the personal data of events, arrivals and receipts encrypted.

Revision ID: 0011
Revises: 0010

Revision 0009 sealed registrations; what custody kept in the clear besides goes now:

- ``prisoner_events``: ``place`` and ``details`` (free text) become ``sealed_details``,
  under the prisoner's data key;
- ``arrivals``: ``place`` and ``effects_kept`` become ``sealed_arrival``, under the case's
  data key (owner ``case:<id>``);
- ``receipts``: ``prisoner_name``, ``items`` and ``place`` become ``sealed_receipt``, under
  the prisoner's data key, or the case's before registration.

Each row names its data key (``data_key_id``). A migration runs without the key file, so it
cannot encrypt rows already there: a database holding any of them is refused with a
message, never half converted (as revision 0009 did for registrations).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from safeconduct.errors import BadFileError

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_SEALED = {
    "prisoner_events": "sealed_details",
    "arrivals": "sealed_arrival",
    "receipts": "sealed_receipt",
}


def _refuse_custody_rows(what: str) -> None:
    bind = op.get_bind()
    counts = {
        table: bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
        for table in _SEALED
    }
    held = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in counts.items() if n)
    if held:
        raise BadFileError(
            f"this database holds custody records ({held}): revision 0011 cannot {what} them "
            "without the key file; export them (custody nib-export, receipts), move them to a "
            "new database, and record them again there",
            field="db",
        )


def upgrade() -> None:
    _refuse_custody_rows("encrypt")
    with op.batch_alter_table("prisoner_events") as batch:
        batch.drop_column("place")
        batch.drop_column("details")
    with op.batch_alter_table("arrivals") as batch:
        batch.drop_column("place")
        batch.drop_column("effects_kept")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("items")
        batch.drop_column("place")
        batch.drop_column("prisoner_name")
    for table, column in _SEALED.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("data_key_id", sa.String(length=32), nullable=False))
            batch.add_column(sa.Column(column, sa.LargeBinary(), nullable=False))
            batch.create_foreign_key(
                f"fk_{table}_data_key_id_data_keys", "data_keys", ["data_key_id"], ["id"]
            )


def downgrade() -> None:
    _refuse_custody_rows("decrypt")
    for table, column in _SEALED.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_data_key_id_data_keys", type_="foreignkey")
            batch.drop_column(column)
            batch.drop_column("data_key_id")
    with op.batch_alter_table("prisoner_events") as batch:
        batch.add_column(sa.Column("place", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("details", sa.Text(), nullable=True))
    with op.batch_alter_table("arrivals") as batch:
        batch.add_column(sa.Column("place", sa.String(length=200), nullable=False))
        batch.add_column(sa.Column("effects_kept", sa.JSON(), nullable=False))
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("items", sa.JSON(), nullable=False))
        batch.add_column(sa.Column("place", sa.String(length=200), nullable=False))
        batch.add_column(sa.Column("prisoner_name", sa.String(length=410), nullable=False))
