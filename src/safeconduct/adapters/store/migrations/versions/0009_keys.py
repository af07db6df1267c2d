"""Data keys: the wrapped keys of field encryption.

Revision ID: 0009
Revises: 0008

``data_keys`` holds each data key wrapped by the master key of the key file (never the key
itself), the id of that master key, and, once destroyed, no key and the time it was
destroyed.

``prisoners`` loses its plain ``prisoner_number`` and ``registration``: the number is kept
as a keyed blind index (``number_index``), the registration sealed under the prisoner's data
key (``sealed_registration``, ``data_key_id``). A migration runs without the key file, so it
cannot encrypt rows already there: a database holding registered prisoners is refused with
a message, never half converted (none existed in a release before this revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from safeconduct.errors import BadFileError

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
    _refuse_registered_prisoners("encrypt")
    with op.batch_alter_table("prisoners") as batch:
        batch.drop_constraint("uq_prisoners_prisoner_number", type_="unique")
        batch.drop_column("prisoner_number")
        batch.drop_column("registration")
        batch.add_column(sa.Column("number_index", sa.String(length=64), nullable=False))
        batch.add_column(sa.Column("data_key_id", sa.String(length=32), nullable=False))
        batch.add_column(sa.Column("sealed_registration", sa.LargeBinary(), nullable=False))
        batch.create_unique_constraint("uq_prisoners_number_index", ["number_index"])
        batch.create_foreign_key(
            "fk_prisoners_data_key_id_data_keys", "data_keys", ["data_key_id"], ["id"]
        )


def _refuse_registered_prisoners(what: str) -> None:
    count = op.get_bind().execute(sa.text("SELECT count(*) FROM prisoners")).scalar_one()
    if count:
        raise BadFileError(
            f"this database holds {count} registered prisoner{'' if count == 1 else 's'}: "
            f"revision 0009 cannot {what} them without the key file; export them (custody "
            "nib-export), move them to a new database, and register them again there",
            field="db",
        )


def downgrade() -> None:
    _refuse_registered_prisoners("decrypt")
    with op.batch_alter_table("prisoners") as batch:
        batch.drop_constraint("fk_prisoners_data_key_id_data_keys", type_="foreignkey")
        batch.drop_constraint("uq_prisoners_number_index", type_="unique")
        batch.drop_column("sealed_registration")
        batch.drop_column("data_key_id")
        batch.drop_column("number_index")
        batch.add_column(sa.Column("prisoner_number", sa.String(length=32), nullable=False))
        batch.add_column(sa.Column("registration", sa.JSON(), nullable=False))
        batch.create_unique_constraint("uq_prisoners_prisoner_number", ["prisoner_number"])
    op.drop_index("ix_data_keys_owner", table_name="data_keys")
    op.drop_table("data_keys")
