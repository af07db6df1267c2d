"""The retention settings file (TOML), read and checked.

The file holds one table, every key optional (a missing key keeps its default)::

    # Retention: days after a case's last activity (status change or message).
    [retention]
    contact_days = 30                  # a contact that never became an operation: purged
    ended_operation_days = 90          # aborted / lost / closed before arrival: purged
    registration_handover_days = 365   # registration data: reported for hand-over, kept

An unknown key is refused (a misspelt period must not fall back silently to its default),
naming the key (``field="settings"``); so is a value that is not a whole number of days
from 1 to 36,500 (``field`` the key).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from pathlib import Path

from safeconduct.casework.retention import RetentionSettings
from safeconduct.errors import BadFileError, InvalidValueError

#: The settings file's name inside a data folder.
SETTINGS_NAME = "retention.toml"

#: What ``safeconduct purge --write-settings`` and the README show: the defaults, commented.
SETTINGS_TEMPLATE = """\
# safeconduct retention settings: days after a case's last activity (its last status
# change or message, whichever is later). See README, "Retention".
[retention]
contact_days = 30                  # a contact that never became an operation: purged
ended_operation_days = 90          # aborted / lost / closed before anyone arrived: purged
registration_handover_days = 365   # registration data: reported for hand-over, never purged
"""


def read_retention_settings(
    path: str | os.PathLike[str] | None, *, required: bool = True
) -> RetentionSettings:
    """The settings in the TOML file at ``path``.

    Parameters
    ----------
    path
        The settings file; None: the defaults.
    required
        Whether a missing file is an error; when False (the data folder's default file) a
        missing file gives the defaults.

    Raises
    ------
    BadFileError
        ``field="settings"``: the file is missing (when required), unreadable or not TOML.
    InvalidValueError
        ``field="settings"``: an unknown key (named in the message); ``field`` the key at
        fault (``contact_days``...): a period that is no whole number from 1 to 36,500.
    """
    if path is None:
        return RetentionSettings()
    target = Path(path)
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        if not required:
            return RetentionSettings()
        raise BadFileError(
            f"there is no retention settings file {target}", field="settings"
        ) from None
    except OSError as error:
        raise BadFileError(
            f"cannot read the retention settings {target}: {error.strerror}", field="settings"
        ) from error
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BadFileError(
            f"{target} is not a TOML settings file: {error}", field="settings"
        ) from None
    unknown_top = sorted(set(document) - {"retention"})
    if unknown_top:
        raise InvalidValueError(
            f"{target}: unknown table or key {unknown_top[0]!r}; the settings are in [retention]",
            field="settings",
        )
    table = document.get("retention", {})
    if not isinstance(table, dict):
        raise InvalidValueError(f"{target}: retention must be a table", field="settings")
    known = {item.name for item in fields(RetentionSettings)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InvalidValueError(
            f"{target}: unknown setting retention.{unknown[0]}; give some of "
            f"{', '.join(sorted(known))}",
            field="settings",
        )
    try:
        return RetentionSettings(**table)
    except InvalidValueError as error:
        raise InvalidValueError(f"{target}: {error.message}", field=error.field) from None
