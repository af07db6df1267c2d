"""Sealed case codes: a case is found by the keyed blind index of its code, never the code.

Revision ID: 0012
Revises: 0011

``cases.case_code`` goes. In its place:

- ``code_index``: HMAC-SHA256 of the canonical code under the key file's index key
  (unique), the only way a case is looked up by its code;
- ``sealed_code``: the code sealed under the case's data key (owner ``case:<id>``), bound to
  ``cases``/``case_code``/the row id, for showing it;
- ``data_key_id``: that key.

Unlike revisions 0009 and 0011, this one can convert the rows already there, because the
upgrade is given the field cipher of ``$SAFECONDUCT_KEY_FILE`` when it is set (see
:func:`safeconduct.adapters.store.migrate.upgrade`). Without it, a database holding cases
is refused with a message and left as it was. A downgrade needs the cipher too, to write
the codes back in the clear.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from safeconduct.errors import BadFileError

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TABLE, _COLUMN = "cases", "case_code"  # the associated data of a sealed code
_INDEX_KIND = "case_code"  # the blind index's kind (kept in step with SqlCases)


def _cipher(what: str, cases: int) -> Any:
    """The field cipher given to the upgrade, or a refusal naming what to do."""
    source = context.config.attributes.get("field_cipher")
    cipher = source() if callable(source) else source
    if cipher is None:
        raise BadFileError(
            f"this database holds {cases} case(s): revision 0012 {what} their codes and needs "
            "the key file for it; set SAFECONDUCT_KEY_FILE to this database's key file "
            "(or to a new one from `safeconduct keys init` if it has none) and start again",
            field="key_file",
        )
    bind = op.get_bind()
    foreign = bind.execute(
        sa.text(
            "SELECT master_key_id FROM data_keys WHERE destroyed_at IS NULL "
            "AND master_key_id <> :ours LIMIT 1"
        ),
        {"ours": cipher.master_key_id},
    ).scalar()
    if foreign is not None:
        raise BadFileError(
            f"SAFECONDUCT_KEY_FILE holds master key {cipher.master_key_id}, but this "
            f"database's data keys are wrapped by {foreign}: give that key file",
            field="key_file",
        )
    return cipher


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, case_code FROM cases ORDER BY id")).all()
    cipher = _cipher("seals", len(rows)) if rows else None
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("code_index", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("data_key_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("sealed_code", sa.LargeBinary(), nullable=True))
    if cipher is not None:
        keys = sa.table(
            "data_keys",
            sa.column("id"),
            sa.column("owner"),
            sa.column("wrapped_key"),
            sa.column("master_key_id"),
            sa.column("created_at", sa.DateTime(timezone=True)),
        )
        now = datetime.now(UTC)
        for case_id, code in rows:
            key = cipher.new_data_key(f"case:{case_id}")
            bind.execute(
                keys.insert().values(
                    id=key.id,
                    owner=key.owner,
                    wrapped_key=key.wrapped,
                    master_key_id=key.master_key_id,
                    created_at=now if bind.dialect.name != "sqlite" else now.replace(tzinfo=None),
                )
            )
            sealed = cipher.encrypt(
                json.dumps(code).encode("utf-8"),
                table=_TABLE,
                column=_COLUMN,
                row=str(case_id),
                key=key,
            )
            bind.execute(
                sa.text(
                    "UPDATE cases SET code_index = :index, data_key_id = :key, "
                    "sealed_code = :sealed WHERE id = :id"
                ),
                {
                    "index": cipher.blind_index(_INDEX_KIND, code),
                    "key": key.id,
                    "sealed": sealed,
                    "id": case_id,
                },
            )
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("uq_cases_case_code", type_="unique")
        batch.drop_column("case_code")
        batch.alter_column("code_index", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("sealed_code", existing_type=sa.LargeBinary(), nullable=False)
        batch.create_unique_constraint("uq_cases_code_index", ["code_index"])
        batch.create_foreign_key(
            "fk_cases_data_key_id_data_keys", "data_keys", ["data_key_id"], ["id"]
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.sealed_code, k.id, k.owner, k.wrapped_key, k.master_key_id "
            "FROM cases c JOIN data_keys k ON k.id = c.data_key_id ORDER BY c.id"
        )
    ).all()
    cipher = _cipher("writes back", len(rows)) if rows else None
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("case_code", sa.String(length=16), nullable=True))
    if cipher is not None:
        from safeconduct.services.ports import WrappedDataKey

        for case_id, sealed, key_id, owner, wrapped, master in rows:
            key = WrappedDataKey(
                id=key_id, owner=owner, wrapped=bytes(wrapped), master_key_id=master
            )
            code = json.loads(
                cipher.decrypt(
                    bytes(sealed), table=_TABLE, column=_COLUMN, row=str(case_id), key=key
                ).decode("utf-8")
            )
            bind.execute(
                sa.text("UPDATE cases SET case_code = :code WHERE id = :id"),
                {"code": code, "id": case_id},
            )
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("fk_cases_data_key_id_data_keys", type_="foreignkey")
        batch.drop_constraint("uq_cases_code_index", type_="unique")
        batch.drop_column("sealed_code")
        batch.drop_column("data_key_id")
        batch.drop_column("code_index")
        batch.alter_column("case_code", existing_type=sa.String(length=16), nullable=False)
        batch.create_unique_constraint("uq_cases_case_code", ["case_code"])
