"""Key use cases: open the store with its key file, and rotate the master key.

The master key lives in a key file outside the database; the database keeps only data keys
wrapped by it (:class:`~safeconduct.services.ports.DataKeys`). The first start with a key
file ties the database to it by a check key (a data key that encrypts nothing): from then
on a start without the key file, or with another one, is refused before anything is
written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from safeconduct.errors import BadFileError, PermissionDeniedError
from safeconduct.services.casework import Actor
from safeconduct.services.ports import DataKeys, FieldCipher, WrappedDataKey

#: The owner of the check key: the data key by which a key file is recognised.
CHECK_KEY_OWNER = "service:key-check"


@dataclass(frozen=True)
class KeysPorts:
    """The edges the key use cases reach.

    Attributes
    ----------
    data_keys
        The wrapped data keys in the database.
    clock
        The current time (UTC, aware).
    """

    data_keys: DataKeys
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


def _console_only(actor: Actor, what: str) -> None:
    # The key file is read from this machine's disk: only its owner, at the console.
    if not actor.console:
        raise PermissionDeniedError(f"{what} is done at the console only", field="key_file")


def _opens(cipher: FieldCipher, key: WrappedDataKey) -> None:
    """Raise ``BadFileError`` unless ``cipher``'s master key unwraps ``key``."""
    cipher.encrypt(b"", table="data_keys", column="check", row=key.id, key=key)


def unlock(ports: KeysPorts, cipher: FieldCipher | None, *, actor: Actor) -> None:
    """Check that ``cipher`` (the key file given, or None) is the one this database needs.

    Nothing is changed when it is refused. Given a key file and holding no data key yet,
    the database is tied to that key file by a new check key.

    Raises
    ------
    BadFileError
        ``field="key_file"``: the database holds data keys and no key file was given, or
        the key file given does not open them.
    """
    _console_only(actor, "opening the store with its key file")
    keys = ports.data_keys.live()
    if cipher is None:
        if keys:
            raise BadFileError(
                "this database holds encrypted data: give its key file (or set "
                "SAFECONDUCT_KEY_FILE)",
                field="key_file",
            )
        return
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
    if not checks:
        ports.data_keys.add(cipher.new_data_key(CHECK_KEY_OWNER), at=ports.clock())


def rotate(ports: KeysPorts, old: FieldCipher, new: FieldCipher, *, actor: Actor) -> int:
    """Re-wrap every data key under ``new``'s master key, in one transaction.

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
    unlock(ports, old, actor=actor)
    return ports.data_keys.rewrap_all(lambda key: old.rewrap(key, new))
