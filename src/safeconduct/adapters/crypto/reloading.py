"""A key file that can change under a running service: the reloading field cipher, and the
rotation of the master key that a purge makes (crypto-shredding against copies).

Destroying a data key clears its wrapped bytes in the database, but a copy of the database
taken before still holds them wrapped by the master key; whoever has that copy and the key
file could open them. So after a purge destroyed keys, :class:`KeyFileRotation` replaces
the master key: the key file's new master key re-wraps every live data key, and the old
master key is gone from the disk, so that no copy taken before opens anything with the
current key file (nor the purged records with any).

The rotation, step by step, and what a crash at each step leaves:

1. A new key file is written beside the old one, ``<key file>.next`` (mode 0600, the
   blind-index key carried over). A crash now leaves the old state plus an unused
   ``.next``, which the next rotation replaces.
2. Every live data key is re-wrapped under the new master key, in one transaction. A
   crash before the commit changes nothing.
3. ``.next`` atomically replaces the key file. A crash between the commit and this step
   leaves the database wrapped under the ``.next`` file: the service's reloading cipher
   finds it there, and ``unlock`` (a restart) explains which file to move into place
   (:func:`explain_interrupted_rotation`).
4. Keys added by a writer that wrapped them under the old master key during the rotation
   are re-wrapped (a sweep, twice, a moment apart).

A running service keeps working: its :class:`ReloadingFieldCipher` reads the key file again
when it meets a data key wrapped by a master key it does not hold, and before wrapping a new
data key when the key file changed on disk.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from safeconduct.adapters.crypto.envelope import AesGcmFieldCipher
from safeconduct.adapters.crypto.keyfile import (
    MasterKey,
    new_master_key,
    read_key_file,
    write_key_file,
)
from safeconduct.errors import BadFileError
from safeconduct.services.ports import DataKeys, FieldCipher, WrappedDataKey


def pending_key_file(key_file: str | os.PathLike[str]) -> Path:
    """Where a rotation writes the new key file before it replaces ``key_file``."""
    path = Path(key_file)
    return path.with_name(path.name + ".next")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_ino, found.st_mtime_ns, found.st_size)


class ReloadingFieldCipher(FieldCipher):
    """The field cipher of a key file that a rotation may replace while the service runs.

    Parameters
    ----------
    key_file
        The key file's path; read now (``BadFileError`` as :func:`.keyfile.read_key_file`).
    """

    def __init__(self, key_file: str | os.PathLike[str]) -> None:
        self._path = Path(key_file)
        self._lock = threading.Lock()
        self._stamp = _stamp(self._path)
        self._current = AesGcmFieldCipher(read_key_file(self._path))

    @property
    def current(self) -> AesGcmFieldCipher:
        """The cipher of the master key held now."""
        return self._current

    @property
    def master_key_id(self) -> str:
        return self._current.master_key_id

    def _reload_if_changed(self) -> None:
        stamp = _stamp(self._path)
        if stamp is not None and stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._current = AesGcmFieldCipher(read_key_file(self._path))
                    self._stamp = stamp

    def _for(self, key: WrappedDataKey) -> AesGcmFieldCipher:
        """The cipher whose master key wraps ``key``: the one held, else the key file read
        again, else the ``.next`` file of a rotation caught between its two last steps."""
        current = self._current
        if key.master_key_id == current.master_key_id:
            return current
        self._reload_if_changed()
        if key.master_key_id == self._current.master_key_id:
            return self._current
        pending = pending_key_file(self._path)
        if pending.exists():
            try:
                candidate = read_key_file(pending)
            except BadFileError:
                candidate = None
            if candidate is not None and candidate.key_id == key.master_key_id:
                return AesGcmFieldCipher(candidate)
        return self._current  # refuses, naming the master key it needs

    def new_data_key(self, owner: str) -> WrappedDataKey:
        self._reload_if_changed()
        return self._current.new_data_key(owner)

    def encrypt(
        self, value: bytes, *, table: str, column: str, row: str, key: WrappedDataKey
    ) -> bytes:
        return self._for(key).encrypt(value, table=table, column=column, row=row, key=key)

    def decrypt(
        self, blob: bytes, *, table: str, column: str, row: str, key: WrappedDataKey
    ) -> bytes:
        return self._for(key).decrypt(blob, table=table, column=column, row=row, key=key)

    def rewrap(self, key: WrappedDataKey, new: FieldCipher) -> WrappedDataKey:
        target = new.current if isinstance(new, ReloadingFieldCipher) else new
        return self._for(key).rewrap(key, target)

    def blind_index(self, kind: str, value: str) -> str:
        # The blind-index key never changes in a rotation.
        return self._current.blind_index(kind, value)


class KeyFileRotation:
    """Rotates the master key of ``key_file`` over the data keys of the database (see the
    module docstring for the steps and what a crash leaves).

    Parameters
    ----------
    key_file
        The key file in use (it is replaced in place, keeping its mode 0600).
    data_keys
        The database's data keys.
    settle_s
        Seconds between the two sweeps for keys a writer wrapped under the old master key.
    """

    def __init__(
        self, key_file: str | os.PathLike[str], data_keys: DataKeys, *, settle_s: float = 1.0
    ) -> None:
        self._path = Path(key_file)
        self._keys = data_keys
        self._settle_s = settle_s

    def _finish_interrupted(self) -> None:
        """Complete a rotation interrupted after its commit, or drop an unused ``.next``."""
        pending = pending_key_file(self._path)
        if not pending.exists():
            return
        found = read_key_file(pending)
        if found.key_id in self._keys.master_key_ids():
            os.replace(pending, self._path)  # step 3 of the interrupted rotation
            _sync_folder(self._path.parent)
        else:
            pending.unlink()

    def owed(self) -> bool:
        """Whether a data key was destroyed under the key file's master key (so that copies
        taken before still open it): then a rotation is owed."""
        self._finish_interrupted()
        return self._keys.destroyed_under(read_key_file(self._path).key_id) > 0

    def rotate(self) -> tuple[str, str, int]:
        """Rotate; the old and new master key ids and how many data keys were re-wrapped.

        Raises
        ------
        BadFileError
            ``field="key_file"``: the key file is missing, or does not open the database's
            keys (nothing changed then).
        """
        self._finish_interrupted()
        old_key = read_key_file(self._path)
        new_key: MasterKey = new_master_key(index_key=old_key.index_key)
        old, new = AesGcmFieldCipher(old_key), AesGcmFieldCipher(new_key)
        foreign = self._keys.master_key_ids() - {old_key.key_id}
        if foreign:
            raise BadFileError(
                f"the database's data keys are wrapped by {sorted(foreign)[0]}, not by this "
                f"key file's {old_key.key_id}: give the current key file",
                field="key_file",
            )
        pending = pending_key_file(self._path)
        write_key_file(pending, new_key)  # step 1
        try:
            count = self._keys.rewrap_all(lambda key: old.rewrap(key, new))  # step 2
        except BaseException:
            pending.unlink(missing_ok=True)
            raise
        os.replace(pending, self._path)  # step 3
        _sync_folder(self._path.parent)
        for pause in (0.0, self._settle_s):  # step 4
            time.sleep(pause)
            count += self._keys.rewrap_all(
                lambda key: old.rewrap(key, new), only_master=old_key.key_id
            )
        return old_key.key_id, new_key.key_id, count


def explain_interrupted_rotation(
    key_file: str | os.PathLike[str] | None, master_key_ids: set[str]
) -> str | None:
    """What to do when the database's keys are wrapped by the ``.next`` file beside
    ``key_file`` (a rotation interrupted between its commit and the file's replacement);
    None when that is not the case."""
    if key_file is None:
        return None
    pending = pending_key_file(key_file)
    try:
        found = read_key_file(pending)
    except BadFileError:
        return None
    if found.key_id not in master_key_ids:
        return None
    return (
        f"a key rotation (after a purge) was interrupted: the database's data keys are "
        f"wrapped by the new key file {pending}, which did not yet replace {key_file}; "
        f"move it into place (mv {pending} {key_file}) and start again"
    )


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the system allows it)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
