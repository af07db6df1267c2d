"""Drone profiles as files: the built-in ones shipped with safeconduct, or one's own TOML.

The built-in profiles are package data in ``safeconduct/mission/drone_profiles/``; a
profile of one's own is any ``.toml`` file. Both are parsed and checked by
:func:`safeconduct.mission.profiles.parse_profile`.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from safeconduct.errors import BadFileError, InvalidValueError
from safeconduct.mission.profiles import DroneProfile, parse_profile

#: The package holding the built-in profiles' folder.
_PACKAGE = "safeconduct.mission"
_FOLDER = "drone_profiles"


def builtin_profile_names() -> list[str]:
    """Names of the profiles shipped with safeconduct, sorted."""
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(spec: str | os.PathLike[str]) -> DroneProfile:
    """Return the built-in profile named ``spec``, or read ``spec`` as a TOML file.

    Parameters
    ----------
    spec
        A built-in name (``camera-900g``, ``heavy-lift-3kg``) or the path of a
        ``.toml`` file.

    Raises
    ------
    InvalidValueError
        ``spec`` is neither a built-in name nor an existing file (field ``drone``).
    BadFileError
        The file cannot be read or is malformed.
    """
    text_spec = os.fspath(spec)
    builtin = builtin_profile_names()
    if text_spec in builtin:
        res = resources.files(_PACKAGE).joinpath(_FOLDER, f"{text_spec}.toml")
        return parse_profile(res.read_text(encoding="utf-8"), f"built-in profile {text_spec}")
    path = Path(text_spec)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadFileError(f"cannot read drone profile {path}: {exc}") from exc
        return parse_profile(text, str(path))
    raise InvalidValueError(
        f"unknown profile {text_spec!r}; the built-in profiles are {', '.join(builtin)}, "
        "or give the path of a profile .toml file",
        field="drone",
    )


class DroneProfileFiles:
    """:class:`~safeconduct.services.ports.DroneProfiles` on package data and TOML files."""

    def load_profile(self, spec: str | os.PathLike[str]) -> DroneProfile:
        return load_profile(spec)

    def builtin_names(self) -> list[str]:
        return builtin_profile_names()


__all__ = ["DroneProfileFiles", "builtin_profile_names", "load_profile"]
