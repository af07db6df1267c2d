"""The user-facing error family, shared by every layer and free of any entry point.

Every mistake a user can make (a malformed coordinate, an unreadable file, a destination
that cannot be reached) raises one of these. Each carries a message for people and, where
the mistake concerns one input, the name of that input as the library calls it
(``field="pace_factor"``). Entry points translate: the command line turns ``field`` into
its flag and the class into an exit status (:mod:`safeconduct.entrypoints.cli.errors`);
the web app will turn them into an HTTP status and a JSON body. No message here names a
command-line flag. Anything else that escapes is a bug in safeconduct, not a user error.
"""

from __future__ import annotations

import errno


class SafeconductError(Exception):
    """Base class of every error a user can cause and correct.

    Parameters
    ----------
    message
        One line saying what is wrong and what to do about it, without naming the
        input (``field`` does that) or any command-line flag.
    field
        The input the error concerns, as the library's parameter name
        (``"pace_factor"``, ``"meeting_time"``), or None when it concerns no single input.
    detail
        Optional longer explanation, shown only on request (``--verbose``).
    """

    def __init__(self, message: str, *, field: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidValueError(SafeconductError):
    """A value given is malformed, missing, or outside what it may be."""


class SameFileError(InvalidValueError):
    """An output names a file (or folder) that is also an input: writing it would destroy
    the input. ``field`` is the output, ``input_field`` the input it would overwrite."""

    def __init__(self, path: str, *, field: str, input_field: str) -> None:
        super().__init__(
            f"{path} is also the input {input_field}; writing it would destroy that input: "
            "give another output",
            field=field,
        )
        self.path = path
        self.input_field = input_field


class BadCoordinateError(InvalidValueError):
    """A point given as ``LAT,LON`` or MGRS cannot be parsed or is out of range."""


class BadFileError(SafeconductError):
    """An input file is missing, unreadable, empty or malformed, or an output cannot be written."""


class OutOfRangeError(SafeconductError):
    """A value or a point lies outside what the data or the model covers."""


class UnreachableError(SafeconductError):
    """No admissible route exists (barriers, slope limits, or an enclosed destination)."""


class MissingExtraError(SafeconductError):
    """An optional capability needs a package that is not installed (an extra)."""


class RetryLaterError(SafeconductError):
    """A refusal that passes with time: ``retry_after_s`` says when trying again makes sense
    (the web answers it as ``Retry-After``)."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        detail: str | None = None,
        retry_after_s: int = 1,
    ) -> None:
        super().__init__(message, field=field, detail=detail)
        self.retry_after_s = retry_after_s


class PermissionDeniedError(SafeconductError):
    """The acting user's roles do not allow this (GUIDE §2; the default is nothing)."""


class AuthenticationError(SafeconductError):
    """No valid sign-in: a wrong user name or password, or a missing, unknown or expired
    token. The message never says which of name and password was wrong."""


class LoginLockedError(RetryLaterError, AuthenticationError):
    """Sign-ins for this user are refused for a while after repeated failures.

    Attributes
    ----------
    retry_after_s
        Whole seconds until the next sign-in may be tried (at least 1).
    """


class NotFoundError(InvalidValueError):
    """The case (or other record) asked for does not exist. An :class:`InvalidValueError`,
    so that the command line treats it as before; the web API answers 404."""


class ServiceBusyError(RetryLaterError):
    """The service has more work than it can take just now (every database connection is
    in use, and none came free in time); nothing was done, so the same request may simply
    be sent again.

    Attributes
    ----------
    retry_after_s
        Whole seconds after which trying again is sensible (at least 1).
    """


class DiskFullError(ServiceBusyError):
    """The disk that holds the data (the database, or a file of the data folder) is full:
    the write was refused whole, nothing was written, and the same request may be sent
    again once space is freed (the service needs no restart). A :class:`ServiceBusyError`,
    so the web answers 503 with ``Retry-After``; the message says the disk is full.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        detail: str | None = None,
        retry_after_s: int = 60,  # freeing a disk takes a person, not a second
    ) -> None:
        super().__init__(message, field=field, detail=detail, retry_after_s=retry_after_s)


#: The ``errno`` values of a write refused for want of space (a full disk, a quota).
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
