"""Sealed case codes: a case is found by the keyed blind index of its code, never the code.

Revision ID: 0012
Revises: 0011

``cases.case_code`` goes. In its place:

- ``code_index``: the keyed blind index of the canonical code (the first 96 bits of its
  HMAC-SHA256 under the key file's index key, 16 characters; unique), the only way a case
  is looked up by its code;
- ``sealed_code``: the code sealed under the case's data key (owner ``case:<id>``), bound to
  ``cases``/``case_code``/the row id, for showing it;
- ``data_key_id``: that key.

Unlike revisions 0009 and 0011, this one can convert the rows already there, because the
upgrade is given the field cipher of ``$SAFECONDUCT_KEY_FILE`` when it is set (see
:func:`safeconduct.adapters.store.migrate.upgrade`). Without it, a database holding cases
is refused with a message and left as it was. A downgrade needs the cipher too, to write
the codes back in the clear.

Every change is made in place (``ADD COLUMN``, ``RENAME COLUMN``), never by copying the
table as SQLite's batch mode would: dropping ``cases`` during a copy would cascade to every
table that names a case (events, operations, teams, custody, messages) while foreign keys
are enforced. So ``case_code`` is renamed to ``code_index``, keeping its type (16
characters) and its unique constraint (and that constraint's name), and ``data_key_id``
names its key without a foreign key (SQLite cannot drop a column that has one in place;
data keys are destroyed, never deleted, so it cannot dangle).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from safeconduct.adapters.store.sealing import case_code_index
from safeconduct.errors import BadFileError

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TABLE, _COLUMN = "cases", "case_code"  # the associated data of a sealed code


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
    sqlite = bind.dialect.name == "sqlite"
    rows = bind.execute(sa.text("SELECT id, case_code FROM cases ORDER BY id")).all()
    cipher = _cipher("seals", len(rows)) if rows else None
    op.add_column("cases", sa.Column("data_key_id", sa.String(length=32), nullable=True))
    # SQLite adds a NOT NULL column only with a default: a placeholder the fill overwrites
    # at once (the store gives every new row its sealed code).
    op.add_column(
        "cases",
        sa.Column(
            "sealed_code",
            sa.LargeBinary(),
            server_default=sa.text("X''") if sqlite else None,
            nullable=not sqlite,
        ),
    )
    op.alter_column(
        "cases",
        "case_code",
        new_column_name="code_index",
        existing_type=sa.String(length=16),
        existing_nullable=False,
    )
    if cipher is not None:
        _seal_rows(bind, cipher, rows)
    if not sqlite:
        op.alter_column("cases", "sealed_code", existing_type=sa.LargeBinary(), nullable=False)


def _seal_rows(bind: sa.Connection, cipher: Any, rows: list[Any]) -> None:
    """Give each case of ``rows`` (id, code) a data key, its sealed code and blind index."""
    keys = sa.table(
        "data_keys",
        sa.column("id"),
        sa.column("owner"),
        sa.column("wrapped_key"),
        sa.column("master_key_id"),
        sa.column("created_at"),
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
                created_at=now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now,
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
                "index": case_code_index(cipher, code),
                "key": key.id,
                "sealed": sealed,
                "id": case_id,
            },
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
    if cipher is not None:
        from safeconduct.services.ports import WrappedDataKey

        for case_id, sealed, key_id, owner, wrapped, master in rows:
            if wrapped is None:
                raise BadFileError(
                    f"case {case_id}'s data key was destroyed: its code cannot be written "
                    "back; purge the case first",
                    field="key_file",
                )
            key = WrappedDataKey(
                id=key_id, owner=owner, wrapped=bytes(wrapped), master_key_id=master
            )
            code = json.loads(
                cipher.decrypt(
                    bytes(sealed), table=_TABLE, column=_COLUMN, row=str(case_id), key=key
                ).decode("utf-8")
            )
            bind.execute(
                sa.text("UPDATE cases SET code_index = :code WHERE id = :id"),
                {"code": code, "id": case_id},
            )
    op.alter_column(
        "cases",
        "code_index",
        new_column_name="case_code",
        existing_type=sa.String(length=16),
        existing_nullable=False,
    )
    # SQLite >= 3.35 drops these in place (no index, key or constraint names them).
    op.drop_column("cases", "sealed_code")
    op.drop_column("cases", "data_key_id")
