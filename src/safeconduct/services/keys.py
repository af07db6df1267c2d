"""Key use cases: open the store with its key file, and rotate the master key.

The master key lives in a key file outside the database; the database keeps only data keys
wrapped by it (:class:`~safeconduct.services.ports.DataKeys`). The first start with a key
file ties the database to it by a check key (a data key that encrypts nothing): from then
on a start without the key file, or with another one, is refused before anything is
written.

Every key operation is audited in the transaction that makes it: ``key_init`` (a database
tied to a key file), ``key_unlock`` (a start with it), ``key_rotate``; the record is
``key:<master key id>``, never a key.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from safeconduct.errors import BadFileError, PermissionDeniedError
from safeconduct.services import audit
from safeconduct.services.casework import Actor
from safeconduct.services.ports import AuditTrail, DataKeys, FieldCipher, WrappedDataKey

#: The owner of the check key: the data key by which a key file is recognised.
CHECK_KEY_OWNER = "service:key-check"


class DataKeyRepository(Protocol):
    """The wrapped data keys inside one unit of work (``uow.data_keys``)."""

    def live(self) -> list[WrappedDataKey]:
        """Every data key not destroyed, oldest first."""
        ...

    def add(self, key: WrappedDataKey, *, at: datetime) -> None:
        """Keep a new data key."""
        ...

    def rewrap_all(self, rewrap: Callable[[WrappedDataKey], WrappedDataKey]) -> int:
        """Replace every live key by ``rewrap(key)``; return how many there were."""
        ...


class KeysUnitOfWork(Protocol):
    """One transaction over the data keys and the audit trail: a key operation commits
    with its audit entry, or neither does."""

    data_keys: DataKeyRepository
    audit: AuditTrail


class KeysDatabase(Protocol):
    """The database whose data keys the key file opens (the casework database)."""

    def unit_of_work(
        self, *, read_only: bool = False
    ) -> contextlib.AbstractContextManager[KeysUnitOfWork]:
        """A transaction: committed when the block ends normally, rolled back if it raises."""
        ...


@dataclass(frozen=True)
class KeysPorts:
    """The edges the key use cases reach.

    Attributes
    ----------
    data_keys
        The wrapped data keys in the database, each call its own transaction (what a
        purge destroys; the key use cases here use ``database``).
    database
        The same database by unit of work: key changes and their audit entries.
    clock
        The current time (UTC, aware).
    """

    data_keys: DataKeys
    database: KeysDatabase
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


def _console_only(actor: Actor, what: str) -> None:
    # The key file is read from this machine's disk: only its owner, at the console.
    if not actor.console:
        raise PermissionDeniedError(f"{what} is done at the console only", field="key_file")


def _opens(cipher: FieldCipher, key: WrappedDataKey) -> None:
    """Raise ``BadFileError`` unless ``cipher``'s master key unwraps ``key``."""
    cipher.encrypt(b"", table="data_keys", column="check", row=key.id, key=key)


def key_record(cipher: FieldCipher) -> str:
    """The audit record of a key operation: ``key:<master key id>`` (never the key)."""
    return f"key:{cipher.master_key_id}"


def _check(uow: KeysUnitOfWork, cipher: FieldCipher | None, at: datetime) -> str:
    """Check ``cipher`` against the database's keys in ``uow``; tie the database to it by
    a new check key when it holds none. Returns ``"key_init"`` when it was tied now,
    ``"key_unlock"`` when it was tied before."""
    keys = uow.data_keys.live()
    if cipher is None:
        # Every case's code is sealed (revision 0012): without a key file the store can
        # hold no case, so it is refused from the first start, not at the first case.
        if keys:
            raise BadFileError(
                "this database holds encrypted data: give its key file (or set "
                "SAFECONDUCT_KEY_FILE)",
                field="key_file",
            )
        raise BadFileError(
            "personal data is kept encrypted and this database has no key file yet: make "
            "one with `safeconduct keys init --key-file FILE`, keep a copy somewhere safe, "
            "and give it (or set SAFECONDUCT_KEY_FILE)",
            field="key_file",
        )
    foreign = [key for key in keys if key.master_key_id != cipher.master_key_id]
    if foreign:
        raise BadFileError(
            f"this key file holds master key {cipher.master_key_id}, but the database's "
            f"data keys are wrapped by {foreign[0].master_key_id}: give that key file "
            "(after a rotation, the new one)",
            field="key_file",
        )
    checks = [key for key in keys if key.owner == CHECK_KEY_OWNER]
    for key in checks or keys[:1]:
        _opens(cipher, key)  # same key id, other secret: refused here
    if checks:
        return "key_unlock"
    uow.data_keys.add(cipher.new_data_key(CHECK_KEY_OWNER), at=at)
    return "key_init"


def unlock(ports: KeysPorts, cipher: FieldCipher | None, *, actor: Actor) -> None:
    """Check that ``cipher`` (the key file given, or None) is the one this database needs.

    Nothing is changed when it is refused. Given a key file and holding no check key yet,
    the database is tied to that key file by a new check key, audited as ``key_init``;
    every later unlock with it is audited as ``key_unlock`` (record ``key:<master key
    id>``), in the transaction that checked it.

    Raises
    ------
    BadFileError
        ``field="key_file"``: no key file was given (every case code is sealed, so even a
        new database needs one), or the key file given does not open the database's keys.
    PermissionDeniedError
        Not at the console.
    """
    _console_only(actor, "opening the store with its key file")
    at = ports.clock()
    with ports.database.unit_of_work() as uow:
        action = _check(uow, cipher, at)
        assert cipher is not None  # refused above otherwise
        audit.record(uow, actor, action, key_record(cipher), at=at)


def init(ports: KeysPorts, cipher: FieldCipher, *, actor: Actor) -> bool:
    """Tie a database holding no encrypted data yet to a new key file (``keys init
    --data/--db``); audited as ``key_init``. Whether it was tied now (False: it was tied
    to this key file already, recorded as an unlock).

    Raises
    ------
    BadFileError
        ``field="key_file"``: the database is tied to another key file (nothing changed).
    """
    _console_only(actor, "making a key file")
    at = ports.clock()
    with ports.database.unit_of_work() as uow:
        action = _check(uow, cipher, at)
        audit.record(uow, actor, action, key_record(cipher), at=at)
    return action == "key_init"


def rotate(ports: KeysPorts, old: FieldCipher, new: FieldCipher, *, actor: Actor) -> int:
    """Re-wrap every data key under ``new``'s master key, in one transaction with its
    audit entry (``key_rotate``, record ``key:<new master key id>``, the digest of the
    old and new key ids and the count).

    Afterwards every record reads with the new key file and the old one opens nothing.
    Returns the number of data keys re-wrapped (the check key included).

    Raises
    ------
    BadFileError
        ``field="key_file"``: ``old`` is not this database's key file (nothing changed).
    """
    _console_only(actor, "rotating the master key")
    if old.master_key_id == new.master_key_id:
        raise BadFileError("the new key file holds the same master key", field="new_key_file")
    at = ports.clock()
    with ports.database.unit_of_work() as uow:
        _check(uow, old, at)
        count = uow.data_keys.rewrap_all(lambda key: old.rewrap(key, new))
        audit.record(
            uow,
            actor,
            "key_rotate",
            key_record(new),
            changed={"from": old.master_key_id, "to": new.master_key_id, "keys": count},
            at=at,
        )
    return count
