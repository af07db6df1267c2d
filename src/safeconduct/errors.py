"""The user-facing error family.

Every mistake a user can make (a malformed coordinate, an unreadable file, a destination
that cannot be reached) raises one of these. The command line turns them into a one-line
message and a non-zero exit status; a Python caller can catch :class:`SafeconductError`.
Anything else that escapes is a bug in safeconduct, not a user error.
"""

from __future__ import annotations


class SafeconductError(Exception):
    """Base class of every error a user can cause and correct.

    Parameters
    ----------
    message
        One line saying what is wrong and what to do about it.
    detail
        Optional longer explanation, shown only with ``--verbose``.
    """

    #: Process exit status the command line uses for this error.
    exit_code: int = 1

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class UsageError(SafeconductError):
    """A command-line argument is malformed or missing."""

    exit_code = 2


class BadCoordinateError(UsageError):
    """A point given as ``LAT,LON`` or MGRS cannot be parsed or is out of range."""


class BadFileError(SafeconductError):
    """An input file is missing, unreadable, empty or malformed, or an output cannot be written."""


class OutOfRangeError(SafeconductError):
    """A value or a point lies outside what the data or the model covers."""


class UnreachableError(SafeconductError):
    """No admissible route exists (barriers, slope limits, or an enclosed destination)."""
