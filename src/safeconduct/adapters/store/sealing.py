"""Sealed columns in one session: data keys looked up, created and cached, values sealed
under them and opened again (revisions 0009 and 0011).

A sealed value is a JSON document encrypted by the field cipher under the data key of its
owner (``prisoner:<...>``, ``case:<id>``) and bound, as associated data, to its table,
column and row id: moved to another row or column it no longer opens. The row keeps the id
of its data key in a ``data_key_id`` column; destroying that key (a purge) leaves the value
unreadable in every copy of the database.

:class:`Sealer` is shared by the repositories of one unit of work, so that a data key is
read (and unwrapped) once per transaction, however many rows it seals.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from safeconduct.adapters.store.models import DataKeyRow
from safeconduct.errors import BadFileError
from safeconduct.services.ports import FieldCipher, WrappedDataKey


def case_code_index(cipher: FieldCipher, case_code: str) -> str:
    """The keyed blind index a case is found by (revision 0012): the first 96 bits of the
    HMAC-SHA256 of its canonical code, in 16 URL-safe base64 characters.

    Sixteen characters because the index took the place, in place, of the 16-character
    ``case_code`` column; 96 bits make two codes sharing an index (a new case refused as
    existing) about as likely as 10^-19 among a million cases.
    """
    digest = bytes.fromhex(cipher.blind_index("case_code", case_code)[:24])
    return base64.urlsafe_b64encode(digest).decode("ascii")


def case_owner(case_id: int) -> str:
    """The owner name of a case's data key: everything case-level is sealed under it."""
    return f"case:{case_id}"


def _wrapped(row: DataKeyRow) -> WrappedDataKey:
    assert row.wrapped_key is not None  # only live keys are read
    return WrappedDataKey(
        id=row.id, owner=row.owner, wrapped=bytes(row.wrapped_key), master_key_id=row.master_key_id
    )


class Sealer:
    """Seals and opens JSON values with the data keys of one session.

    Parameters
    ----------
    session
        The unit of work's session: new data keys are added to it and commit (or roll
        back) with the rows they seal.
    cipher
        The field cipher of the key file; None: the store was opened without it, and every
        sealed read or write is refused (``BadFileError``, ``field="key_file"``).
    """

    def __init__(self, session: Session, cipher: FieldCipher | None) -> None:
        self._session = session
        self._given = cipher
        self._keys: dict[str, WrappedDataKey] = {}
        self._owners: dict[str, WrappedDataKey] = {}

    @property
    def cipher(self) -> FieldCipher:
        """The field cipher; refused when the store was opened without its key file."""
        if self._given is None:
            raise BadFileError(
                "personal data is encrypted: open the store with its key file",
                field="key_file",
            )
        return self._given

    # -------------------------------------------------------------- data keys

    def add_key(self, owner: str) -> WrappedDataKey:
        """A new data key for ``owner``, added to the session (commits with the rows)."""
        key = self.cipher.new_data_key(owner)
        self._session.add(
            DataKeyRow(
                id=key.id,
                owner=key.owner,
                wrapped_key=key.wrapped,
                master_key_id=key.master_key_id,
                created_at=datetime.now(UTC),
            )
        )
        self._keys[key.id] = key
        return key

    def owner_key(self, owner: str) -> WrappedDataKey:
        """The live data key of ``owner`` (the oldest, if two writers made one each);
        made when it has none yet (a case's key is made with its first sealed value)."""
        found = self._owners.get(owner)
        if found is None:
            row = self._session.scalars(
                sa.select(DataKeyRow)
                .where(DataKeyRow.owner == owner, DataKeyRow.destroyed_at.is_(None))
                .order_by(DataKeyRow.created_at, DataKeyRow.id)
                .limit(1)
            ).first()
            found = self.add_key(owner) if row is None else _wrapped(row)
            self._keys[found.id] = found
            self._owners[owner] = found
        return found

    def key(self, key_id: str) -> WrappedDataKey:
        """The data key ``key_id``.

        Raises
        ------
        BadFileError
            ``field="ciphertext"``: the key was destroyed (its values are gone).
        """
        key = self._keys.get(key_id)
        if key is None:
            row = self._session.get(DataKeyRow, key_id)
            if row is None or row.wrapped_key is None:
                raise BadFileError(
                    f"data key {key_id} was destroyed: its records are gone", field="ciphertext"
                )
            key = _wrapped(row)
            self._keys[key_id] = key
        return key

    def prime(self, key_ids: Iterable[str]) -> None:
        """Read the data keys ``key_ids`` in one query (not one per row)."""
        wanted = set(key_ids) - self._keys.keys()
        if wanted:
            found = self._session.scalars(
                sa.select(DataKeyRow).where(
                    DataKeyRow.id.in_(wanted), DataKeyRow.wrapped_key.is_not(None)
                )
            )
            for row in found:
                self._keys[row.id] = _wrapped(row)

    # -------------------------------------------------------------- values

    def seal(self, value: Any, *, table: str, column: str, row_id: int, key_id: str) -> bytes:
        """``value`` (JSON-able) as JSON, sealed under ``key_id`` and bound to
        ``table``/``column``/``row_id``."""
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return self.cipher.encrypt(
            plain.encode("utf-8"), table=table, column=column, row=str(row_id), key=self.key(key_id)
        )

    def open(self, blob: bytes, *, table: str, column: str, row_id: int, key_id: str) -> Any:
        """The JSON value sealed in ``blob``.

        Raises
        ------
        BadFileError
            ``field="key_file"``: no key file, or one that does not open the key;
            ``field="ciphertext"``: the key was destroyed, or ``blob`` was altered or moved
            from another row or column.
        """
        plain = self.cipher.decrypt(
            bytes(blob), table=table, column=column, row=str(row_id), key=self.key(key_id)
        )
        return json.loads(plain.decode("utf-8"))


class SessionDataKeys:
    """The ``data_keys`` table inside one unit of work (``uow.data_keys``): the key
    operations then commit together with their audit entry, or not at all.

    Parameters
    ----------
    session
        The unit of work's session.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def live(self) -> list[WrappedDataKey]:
        """Every data key not destroyed, oldest first."""
        rows = self._session.scalars(
            sa.select(DataKeyRow)
            .where(DataKeyRow.destroyed_at.is_(None))
            .order_by(DataKeyRow.created_at, DataKeyRow.id)
        )
        return [_wrapped(row) for row in rows]

    def add(self, key: WrappedDataKey, *, at: datetime) -> None:
        """Keep a new data key, wrapped."""
        self._session.add(
            DataKeyRow(
                id=key.id,
                owner=key.owner,
                wrapped_key=key.wrapped,
                master_key_id=key.master_key_id,
                created_at=at,
            )
        )
        self._session.flush()

    def rewrap_all(self, rewrap: Callable[[WrappedDataKey], WrappedDataKey]) -> int:
        """Replace every live key by ``rewrap(key)``; return how many. On PostgreSQL the
        table is locked against writes until the transaction ends (reads go on); SQLite's
        writing unit of work holds the database's write lock already."""
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(sa.text("LOCK TABLE data_keys IN EXCLUSIVE MODE"))
        rows = list(
            self._session.scalars(
                sa.select(DataKeyRow)
                .where(DataKeyRow.destroyed_at.is_(None))
                .order_by(DataKeyRow.id)
            )
        )
        for row in rows:
            new = rewrap(_wrapped(row))
            row.wrapped_key = new.wrapped
            row.master_key_id = new.master_key_id
        self._session.flush()
        return len(rows)
