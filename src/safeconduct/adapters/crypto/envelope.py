"""Envelope encryption of fields with AES-256-GCM, and keyed blind indexes.

A data key (256 bits, one per owner: a case, or a prisoner without a case) encrypts that
owner's fields; the master key of the key file wraps each data key. The database keeps only
wrapped data keys: a copy of it opens nothing without the key file, and destroying one data
key makes its ciphertexts unreadable in every copy (crypto-shredding).

Formats (bytes):

- wrapped data key: ``nonce (12) || AES-GCM(master key, data key, AD)`` with AD
  ``"safeconduct-data-key/1" | key id | owner | master key id``;
- field ciphertext: ``"SC1" || data key id (32 ASCII hex) || nonce (12) || AES-GCM(data
  key, value, AD)`` with AD ``"SC1" | table | column | row | data key id``: a ciphertext
  moved to another row, column or table, or given another key id, fails its tag.

Nonces are 96 random bits: far below the birthday bound for the number of fields one data
key encrypts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safeconduct.adapters.crypto.keyfile import MasterKey
from safeconduct.errors import BadFileError
from safeconduct.services.ports import FieldCipher, WrappedDataKey

_MAGIC = b"SC1"
_ID_LEN = 32  # hex digits of a data key id
_NONCE = 12
_SEP = b"\x1f"  # unit separator: no field of the associated data contains it
_CACHE_LIMIT = 4096  # unwrapped data keys kept in memory


def key_id_of(blob: bytes) -> str:
    """The data key id a field ciphertext carries.

    Raises
    ------
    BadFileError
        ``field="ciphertext"``: ``blob`` is not a field ciphertext.
    """
    if len(blob) < len(_MAGIC) + _ID_LEN + _NONCE + 16 or not blob.startswith(_MAGIC):
        raise BadFileError("this is not a field ciphertext", field="ciphertext")
    return blob[len(_MAGIC) : len(_MAGIC) + _ID_LEN].decode("ascii")


def _associated(*parts: str) -> bytes:
    for part in parts:
        if "\x1f" in part:
            raise ValueError(f"associated data may not contain a unit separator: {part!r}")
    return _SEP.join(part.encode("utf-8") for part in parts)


class AesGcmFieldCipher(FieldCipher):
    """:class:`~safeconduct.services.ports.FieldCipher` with one key file's master key.

    Parameters
    ----------
    key
        The master key read from the key file (:func:`.keyfile.read_key_file`).
    """

    def __init__(self, key: MasterKey) -> None:
        self._key = key
        self._wrapper = AESGCM(key.master_key)
        self._unwrapped: dict[tuple[str, bytes], AESGCM] = {}

    @property
    def master_key_id(self) -> str:
        """The id of the key file's master key."""
        return self._key.key_id

    def new_data_key(self, owner: str) -> WrappedDataKey:
        """A fresh random data key for ``owner`` (e.g. ``"prisoner:12"``), wrapped."""
        key_id = secrets.token_hex(_ID_LEN // 2)
        plain = AESGCM.generate_key(bit_length=256)
        wrapped = self._wrap(key_id, owner, plain)
        self._remember((key_id, wrapped), AESGCM(plain))
        return WrappedDataKey(
            id=key_id, owner=owner, wrapped=wrapped, master_key_id=self._key.key_id
        )

    def encrypt(
        self, value: bytes, *, table: str, column: str, row: str, key: WrappedDataKey
    ) -> bytes:
        """``value`` sealed under ``key`` and bound to ``table``, ``column`` and ``row``."""
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._open_key(key).encrypt(
            nonce, value, _associated("SC1", table, column, row, key.id)
        )
        return _MAGIC + key.id.encode("ascii") + nonce + sealed

    def decrypt(
        self, blob: bytes, *, table: str, column: str, row: str, key: WrappedDataKey
    ) -> bytes:
        """The value sealed in ``blob``.

        Raises
        ------
        BadFileError
            ``field="key_file"``: the key file does not open ``key``; ``field="ciphertext"``:
            ``blob`` was made with another data key, altered, or moved from elsewhere.
        """
        if key_id_of(blob) != key.id:
            raise BadFileError(
                f"the ciphertext of {table}.{column} row {row} was made with another data key",
                field="ciphertext",
            )
        start = len(_MAGIC) + _ID_LEN
        nonce, sealed = blob[start : start + _NONCE], blob[start + _NONCE :]
        try:
            return self._open_key(key).decrypt(
                nonce, sealed, _associated("SC1", table, column, row, key.id)
            )
        except InvalidTag:
            raise BadFileError(
                f"the ciphertext of {table}.{column} row {row} does not decrypt: altered, "
                "or moved from another row",
                field="ciphertext",
            ) from None

    def rewrap(self, key: WrappedDataKey, new: FieldCipher) -> WrappedDataKey:
        """``key`` wrapped by ``new``'s master key instead of this one (a rotation)."""
        if not isinstance(new, AesGcmFieldCipher):
            raise TypeError("a data key is re-wrapped only between AES-GCM field ciphers")
        plain = self._unwrap(key)
        return WrappedDataKey(
            id=key.id,
            owner=key.owner,
            wrapped=new._wrap(key.id, key.owner, plain),
            master_key_id=new.master_key_id,
        )

    def blind_index(self, kind: str, value: str) -> str:
        """HMAC-SHA256 of ``kind`` and ``value`` under the key file's index key (hex)."""
        message = _associated(kind, value)
        return hmac.new(self._key.index_key, message, hashlib.sha256).hexdigest()

    # -------------------------------------------------------------- data keys

    def _wrap(self, key_id: str, owner: str, plain: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        associated = _associated("safeconduct-data-key/1", key_id, owner, self._key.key_id)
        return nonce + self._wrapper.encrypt(nonce, plain, associated)

    def _unwrap(self, key: WrappedDataKey) -> bytes:
        if key.master_key_id != self._key.key_id:
            raise BadFileError(
                f"data key {key.id} is wrapped by master key {key.master_key_id}, not by "
                f"this key file's {self._key.key_id}: give the current key file",
                field="key_file",
            )
        associated = _associated("safeconduct-data-key/1", key.id, key.owner, key.master_key_id)
        nonce, sealed = key.wrapped[:_NONCE], key.wrapped[_NONCE:]
        try:
            return self._wrapper.decrypt(nonce, sealed, associated)
        except InvalidTag:
            raise BadFileError(
                f"this key file does not open data key {key.id}: a wrong key file of the "
                "same id, or an altered key",
                field="key_file",
            ) from None

    def _open_key(self, key: WrappedDataKey) -> AESGCM:
        found = self._unwrapped.get((key.id, key.wrapped))
        if found is None:
            found = AESGCM(self._unwrap(key))
            self._remember((key.id, key.wrapped), found)
        return found

    def _remember(self, cache_key: tuple[str, bytes], opened: AESGCM) -> None:
        if len(self._unwrapped) >= _CACHE_LIMIT:
            self._unwrapped.clear()
        self._unwrapped[cache_key] = opened
