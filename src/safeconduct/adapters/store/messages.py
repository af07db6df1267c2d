"""A case's messages in the database (revision 0010), each sealed under its own data key.

A message's text, attachment name and attachment bytes are encrypted under the data key of
owner ``message:<id>`` and bound, as associated data, to ``case_messages``, their column and
the row's id; the attachment's MIME type stays in the clear. Deleting a message destroys
its key and its row, and leaves the case and the other messages. The repository never
commits: the unit of work owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from safeconduct.adapters.store.keys import destroy_keys
from safeconduct.adapters.store.models import CaseMessageRow, DataKeyRow
from safeconduct.adapters.store.sealing import Sealer
from safeconduct.casework.message import CaseMessage, message_key_owner
from safeconduct.errors import InvalidValueError

_TABLE = "case_messages"


class SqlMessages:
    """The ``case_messages`` table.

    Parameters
    ----------
    sealer
        Seals and opens values with the unit of work's data keys.
    session
        The unit of work's session.
    """

    def __init__(self, sealer: Sealer, session: Session) -> None:
        self._sealer = sealer
        self._session = session

    def _next_id(self) -> int:
        # The id names the data key (message:<id>), so it is known before the row is
        # written. PostgreSQL: the column's own sequence. SQLite (the write lock held from
        # BEGIN): past every id used before, a deleted message's included, so that a key
        # owner is never taken twice.
        if self._session.get_bind().dialect.name == "postgresql":
            return int(
                self._session.execute(
                    sa.text("SELECT nextval(pg_get_serial_sequence('case_messages', 'id'))")
                ).scalar_one()
            )
        highest_row = self._session.scalar(sa.select(sa.func.max(CaseMessageRow.id))) or 0
        highest_key = (
            self._session.scalar(
                sa.select(
                    sa.func.max(sa.cast(sa.func.substr(DataKeyRow.owner, 9), sa.Integer))
                ).where(DataKeyRow.owner.like("message:%"))
            )
            or 0
        )
        return max(int(highest_row), int(highest_key)) + 1

    def _seal(self, value: bytes, column: str, row_id: int, key_id: str) -> bytes:
        return self._sealer.cipher.encrypt(
            value, table=_TABLE, column=column, row=str(row_id), key=self._sealer.key(key_id)
        )

    def _open(self, blob: bytes, column: str, row_id: int, key_id: str) -> bytes:
        return self._sealer.cipher.decrypt(
            bytes(blob), table=_TABLE, column=column, row=str(row_id), key=self._sealer.key(key_id)
        )

    def add(self, message: CaseMessage) -> CaseMessage:
        """Store ``message`` (its ``id`` None) under a new data key; the stored message."""
        if message.attachment_name is not None and message.attachment is None:
            raise InvalidValueError("an attachment is stored with its bytes", field="attachment")
        message_id = self._next_id()
        key = self._sealer.add_key(message_key_owner(message_id))
        self._session.flush()  # the key row before the message that names it
        has_file = message.attachment_name is not None
        row = CaseMessageRow(
            id=message_id,
            case_id=message.case_id,
            at=message.at,
            author=message.author,
            direction=message.direction,
            data_key_id=key.id,
            sealed_text=self._seal(message.text.encode("utf-8"), "text", message_id, key.id),
            attachment_type=message.attachment_type,
            sealed_attachment_name=(
                self._seal(
                    (message.attachment_name or "").encode("utf-8"),
                    "attachment_name",
                    message_id,
                    key.id,
                )
                if has_file
                else None
            ),
            sealed_attachment=(
                self._seal(message.attachment or b"", "attachment", message_id, key.id)
                if has_file
                else None
            ),
        )
        self._session.add(row)
        self._session.flush()
        return self._message(row, with_attachment=True)

    def _message(self, row: CaseMessageRow, *, with_attachment: bool) -> CaseMessage:
        name = attachment = None
        if row.sealed_attachment_name is not None:
            name = self._open(
                row.sealed_attachment_name, "attachment_name", row.id, row.data_key_id
            ).decode("utf-8")
        if with_attachment and row.sealed_attachment is not None:
            attachment = self._open(row.sealed_attachment, "attachment", row.id, row.data_key_id)
        return CaseMessage(
            id=row.id,
            case_id=row.case_id,
            at=row.at,
            author=row.author,
            direction=row.direction,
            text=self._open(row.sealed_text, "text", row.id, row.data_key_id).decode("utf-8"),
            attachment_name=name,
            attachment_type=row.attachment_type if name is not None else None,
            attachment=attachment if with_attachment else None,
        )

    def list_for_case(self, case_id: int, *, attachments: bool = True) -> list[CaseMessage]:
        """The case's messages in order, opened; ``attachments=False`` leaves the
        attachments' bytes out (``attachment`` None, name and type kept)."""
        rows = list(
            self._session.scalars(
                sa.select(CaseMessageRow)
                .where(CaseMessageRow.case_id == case_id)
                .order_by(CaseMessageRow.id)
            )
        )
        self._sealer.prime(row.data_key_id for row in rows)
        return [self._message(row, with_attachment=attachments) for row in rows]

    def get(self, message_id: int) -> CaseMessage | None:
        """Message ``message_id``, opened, or None."""
        row = self._session.get(CaseMessageRow, message_id)
        return None if row is None else self._message(row, with_attachment=True)

    def case_of(self, message_id: int) -> int | None:
        """The case message ``message_id`` belongs to (no decryption), or None."""
        return self._session.scalar(
            sa.select(CaseMessageRow.case_id).where(CaseMessageRow.id == message_id)
        )

    def ids_for_case(self, case_id: int) -> list[int]:
        """The ids of the case's messages (no decryption)."""
        return list(
            self._session.scalars(
                sa.select(CaseMessageRow.id).where(CaseMessageRow.case_id == case_id)
            )
        )

    def delete_attachment(self, message_id: int, *, at: datetime) -> bool:
        """Delete the message's attachment alone: its text is sealed again under a new data
        key of the same owner and the old key destroyed, so the attachment (sealed under the
        old key only) opens nowhere; whether there was one to delete."""
        row = self._session.get(CaseMessageRow, message_id)
        if row is None or row.sealed_attachment is None:
            return False
        text = self._open(row.sealed_text, "text", row.id, row.data_key_id)
        destroy_keys(self._session, message_key_owner(message_id), at=at)
        key = self._sealer.add_key(message_key_owner(message_id))
        self._session.flush()
        row.data_key_id = key.id
        row.sealed_text = self._seal(text, "text", row.id, key.id)
        row.sealed_attachment = None
        row.sealed_attachment_name = None
        row.attachment_type = None
        self._session.flush()
        return True

    def delete(self, message_id: int, *, at: datetime) -> bool:
        """Destroy the message's data key and delete its row; whether there was one."""
        row = self._session.get(CaseMessageRow, message_id)
        if row is None:
            return False
        destroy_keys(self._session, message_key_owner(message_id), at=at)
        self._session.delete(row)
        self._session.flush()
        return True
