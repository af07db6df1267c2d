"""The master key file: created once, readable by its owner only, kept outside the database.

It is a small JSON object::

    {"format": "safeconduct-key/1", "key_id": "<32 hex digits>",
     "master_key": "<base64 of 32 bytes>", "index_key": "<base64 of 32 bytes>"}

``master_key`` wraps the data keys (AES-256-GCM); ``index_key`` keys the blind indexes
(HMAC-SHA256), a separate key so that neither use weakens the other. A rotation writes a
new file with a new ``master_key`` and ``key_id`` and carries ``index_key`` over: the blind
indexes stored in the database stay valid.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from safeconduct.adapters.files.atomic import create_once, write_refused
from safeconduct.errors import BadFileError

#: The ``format`` of the files this version reads and writes.
KEY_FILE_FORMAT = "safeconduct-key/1"
#: The environment variable naming the key file when ``--key-file`` is not given.
KEY_FILE_VARIABLE = "SAFECONDUCT_KEY_FILE"
_KEY_BYTES = 32  # AES-256 and HMAC-SHA256 keys


@dataclass(frozen=True)
class MasterKey:
    """The secrets of one key file.

    Attributes
    ----------
    key_id
        32 hex digits naming this master key; stored beside every data key it wraps.
    master_key
        32 bytes: wraps and unwraps the data keys.
    index_key
        32 bytes: keys the blind indexes.
    """

    key_id: str
    master_key: bytes
    index_key: bytes

    def __repr__(self) -> str:  # never print the secrets
        return f"MasterKey(key_id={self.key_id!r})"


def new_master_key(*, index_key: bytes | None = None) -> MasterKey:
    """A fresh random master key; ``index_key`` carried over by a rotation (default: new)."""
    return MasterKey(
        key_id=secrets.token_hex(16),
        master_key=secrets.token_bytes(_KEY_BYTES),
        index_key=index_key if index_key is not None else secrets.token_bytes(_KEY_BYTES),
    )


def write_key_file(path: str | os.PathLike[str], key: MasterKey) -> None:
    """Write ``key`` to a new file at ``path``, mode 0600, never over an existing file.

    Raises
    ------
    BadFileError
        ``field="key_file"``: the file exists already, or cannot be written.
    """
    target = Path(path)
    text = json.dumps(
        {
            "format": KEY_FILE_FORMAT,
            "key_id": key.key_id,
            "master_key": base64.b64encode(key.master_key).decode("ascii"),
            "index_key": base64.b64encode(key.index_key).decode("ascii"),
        },
        indent=2,
    )
    try:
        # Refused if anything is there, even a link; 0600 from the first byte; whole or not
        # at all (a cut key file would lock every record it protects away).
        create_once(target, (text + "\n").encode("utf-8"), mode=0o600)
    except FileExistsError:
        raise BadFileError(
            f"{target} exists already; a key file is never overwritten (losing it loses "
            "every record it protects)",
            field="key_file",
        ) from None
    except OSError as error:
        raise write_refused(f"the key file {target}", error, field="key_file") from error


def resolve_key_file(path: str | os.PathLike[str] | None) -> Path | None:
    """The key file given, else the one ``$SAFECONDUCT_KEY_FILE`` names, else None."""
    if path is not None:
        return Path(path)
    named = os.environ.get(KEY_FILE_VARIABLE)
    return Path(named) if named else None


def read_key_file(path: str | os.PathLike[str]) -> MasterKey:
    """The master key in the file at ``path``.

    Raises
    ------
    BadFileError
        ``field="key_file"``: the file is missing, readable by its group or by others,
        or not a key file.
    """
    target = Path(path)
    try:
        descriptor = os.open(target, os.O_RDONLY)
    except FileNotFoundError:
        raise BadFileError(f"there is no key file {target}", field="key_file") from None
    except OSError as error:
        raise BadFileError(
            f"cannot read the key file {target}: {error.strerror}", field="key_file"
        ) from error
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise BadFileError(f"the key file {target} is not a file", field="key_file")
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise BadFileError(
                f"the key file {target} is open to its group or to others "
                f"(mode {stat.S_IMODE(mode):04o}); make it readable by its owner only "
                f"(chmod 600 {target})",
                field="key_file",
            )
        raw = handle.read(4096)
    return _parse(raw, target)


def _parse(raw: bytes, target: Path) -> MasterKey:
    malformed = BadFileError(
        f"{target} is not a safeconduct key file (made by `safeconduct keys init`)",
        field="key_file",
    )
    try:
        document = json.loads(raw.decode("utf-8"))
        if not isinstance(document, dict) or document.get("format") != KEY_FILE_FORMAT:
            raise malformed
        key_id = document["key_id"]
        master = base64.b64decode(document["master_key"], validate=True)
        index = base64.b64decode(document["index_key"], validate=True)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error):
        raise malformed from None
    valid_id = (
        isinstance(key_id, str)
        and len(key_id) == 32
        and all(c in "0123456789abcdef" for c in key_id)
    )
    if not valid_id or len(master) != _KEY_BYTES or len(index) != _KEY_BYTES:
        raise malformed
    return MasterKey(key_id=key_id, master_key=master, index_key=index)
