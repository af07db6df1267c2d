"""The casework use cases: users, and cases moving from first contact to custody.

Each use case takes a :class:`CaseworkPorts` bundle first, opens one unit of work on its
database, and returns plain values (:class:`UserInfo`, :class:`CaseInfo`): a password hash
never leaves this module. Everything a use case writes is committed together or not at all;
a refused transition writes nothing.

- :func:`add_user`, :func:`list_users`: the people who sign in and their roles;
- :func:`open_case`, :func:`list_cases`, :func:`get_case`, :func:`transition_case`: cases.

Nothing here names a command-line flag: errors carry the field they concern (``name``,
``role``, ``password``, ``language``, ``channel``, ``case_code``, ``transition``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from safeconduct.casework.case import Case, CaseEvent
from safeconduct.casework.roles import Role, parse_role
from safeconduct.casework.status import CaseStatus, allowed_transitions
from safeconduct.errors import InvalidValueError
from safeconduct.note.casecode import format_case_code, parse_case_code
from safeconduct.services.ports import (
    CaseworkDatabase,
    PasswordHasher,
    StoredCase,
    StoredUser,
)

#: Fewest characters a password may have (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD_LENGTH = 10
#: Most characters a password may have: hashing a huge one would be a denial of service.
MAX_PASSWORD_LENGTH = 1024
#: How often a freshly drawn case code may collide with a stored one before giving up.
_CODE_ATTEMPTS = 5

_USER_NAME = re.compile(r"[^\W_][\w.-]{0,63}")


@dataclass(frozen=True)
class CaseworkPorts:
    """The edges casework reaches: its database and a password hasher."""

    database: CaseworkDatabase
    passwords: PasswordHasher


@dataclass(frozen=True)
class UserInfo:
    """What may be shown of a user: never the password or its hash.

    Attributes
    ----------
    name
        User name, lower case.
    roles
        The roles held, sorted.
    created_at
        When the user was added, time-zone aware (UTC).
    locked_until
        Sign-ins are refused until then, or None.
    """

    name: str
    roles: tuple[Role, ...]
    created_at: datetime
    locked_until: datetime | None = None


@dataclass(frozen=True)
class CaseInfo:
    """A case as listed and shown.

    Attributes
    ----------
    id
        The store's id (the web API's ``id``).
    case_code
        Canonical case code, no hyphen; :attr:`printed_code` is the ``XXXX-XXXX`` form.
    language, channel, status
        As in :class:`~safeconduct.casework.case.Case`.
    created_at, last_changed_at
        When the case was opened and last changed, time-zone aware (UTC).
    allowed
        Names of the transitions allowed from the current status, sorted.
    events
        The timeline, oldest first.
    """

    id: int
    case_code: str
    language: str
    channel: str
    status: CaseStatus
    created_at: datetime
    last_changed_at: datetime
    allowed: tuple[str, ...]
    events: tuple[CaseEvent, ...] = ()

    @property
    def printed_code(self) -> str:
        """The case code as printed and spoken: ``7KDM-TW3A``."""
        return format_case_code(self.case_code)


# ----------------------------------------------------------------- users


def normalise_user_name(name: str) -> str:
    """A user name as stored: stripped and lower case (names match whatever the case typed).

    Raises
    ------
    InvalidValueError
        With ``field="name"``, unless 1 to 64 letters, digits, ``.``, ``_`` or ``-``
        starting with a letter or digit.
    """
    text = name.strip().lower() if isinstance(name, str) else ""
    if not _USER_NAME.fullmatch(text):
        raise InvalidValueError(
            f"{name!r} is not a user name; give 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="name",
        )
    return text


def check_password(password: str, *, name: str = "") -> None:
    """Refuse a password that is empty, short, one repeated character, or the user name.

    Raises
    ------
    InvalidValueError
        With ``field="password"``; the message never contains the password.
    """
    if not isinstance(password, str) or not password:
        raise InvalidValueError("no password given", field="password")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValueError(
            f"the password is too short; give at least {MIN_PASSWORD_LENGTH} characters "
            "(a few unrelated words make a good one)",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValueError(
            f"the password is too long; give at most {MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    if len(set(password)) == 1 or (name and name.lower() in password.lower()):
        raise InvalidValueError(
            "the password is too easy to guess (one repeated character, or the user name); "
            "choose another",
            field="password",
        )


def parse_roles(role: str | Sequence[str]) -> tuple[Role, ...]:
    """Roles from one name, a comma-separated list, or several names; sorted, no repeats.

    Raises
    ------
    InvalidValueError
        With ``field="role"``: an unknown role (the message lists the roles), or none.
    """
    texts = [role] if isinstance(role, str) else list(role)
    words = [w for text in texts for w in text.split(",") if w.strip()]
    if not words:
        raise InvalidValueError(
            f"no role given; give one of {', '.join(r.value for r in Role)}", field="role"
        )
    return tuple(sorted({parse_role(w) for w in words}, key=list(Role).index))


def _user_info(user: StoredUser) -> UserInfo:
    return UserInfo(
        name=user.name,
        roles=user.roles,
        created_at=user.created_at,
        locked_until=user.locked_until,
    )


def add_user(
    ports: CaseworkPorts,
    name: str,
    role: str | Sequence[str],
    password: str,
    *,
    now: datetime | None = None,
) -> UserInfo:
    """Add a user who signs in with ``password`` and holds ``role``.

    Parameters
    ----------
    ports
        The database and the password hasher.
    name
        User name (stored lower case; see :func:`normalise_user_name`).
    role
        A role name, a comma-separated list, or a sequence of names
        (:class:`~safeconduct.casework.roles.Role`).
    password
        The password; only its argon2 hash is stored.
    now
        When the user is added (time-zone aware); by default the current time.

    Raises
    ------
    InvalidValueError
        ``field="name"``: malformed, or a user of that name exists; ``field="role"``;
        ``field="password"``: empty or too weak.
    """
    user_name = normalise_user_name(name)
    roles = parse_roles(role)
    check_password(password, name=user_name)
    created_at = _now(now)
    # Hash before the transaction opens: argon2 takes a while and must not hold a lock.
    password_hash = ports.passwords.hash(password)
    user = StoredUser(
        name=user_name, roles=roles, password_hash=password_hash, created_at=created_at
    )
    with ports.database.unit_of_work() as uow:
        if uow.users.get(user_name) is not None:
            raise _user_exists(user_name)
        uow.users.add(user)
    return _user_info(user)


def _user_exists(name: str) -> InvalidValueError:
    return InvalidValueError(f"a user called {name!r} exists already", field="name")


def list_users(ports: CaseworkPorts) -> list[UserInfo]:
    """Every user, by name, without password hashes."""
    with ports.database.unit_of_work(read_only=True) as uow:
        return [_user_info(u) for u in uow.users.list_all()]


# ----------------------------------------------------------------- cases


def _case_info(stored: StoredCase) -> CaseInfo:
    case = stored.case
    return CaseInfo(
        id=stored.id,
        case_code=case.case_code,
        language=case.language,
        channel=case.channel,
        status=case.status,
        created_at=case.created_at,
        last_changed_at=case.last_changed_at,
        allowed=allowed_transitions(case.status),
        events=case.events,
    )


def open_case(
    ports: CaseworkPorts,
    *,
    language: str,
    channel: str = "hotline",
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> CaseInfo:
    """Open a new case, ``contacted``, with a fresh case code.

    Parameters
    ----------
    ports
        The database.
    language
        ISO 639-1 code of the language to talk to the person in (``"ru"``).
    channel
        How the first contact came in: ``hotline``, ``chat`` or ``drone``.
    now
        When the case is opened (time-zone aware); by default the current time.
    rng
        A seeded generator for reproducible codes in tests; by default the system's
        secure source.

    Raises
    ------
    InvalidValueError
        ``field="language"`` or ``field="channel"``.
    """
    opened = _now(now)
    with ports.database.unit_of_work() as uow:
        for _ in range(_CODE_ATTEMPTS):
            case = Case.open(language=language, channel=channel, now=opened, rng=rng)
            if uow.cases.get(case.case_code) is None:
                return _case_info(uow.cases.add(case))
    # 19**7 codes: five collisions in a row mean a broken random source, not bad luck.
    raise RuntimeError(f"drew {_CODE_ATTEMPTS} case codes that were all taken")


def list_cases(ports: CaseworkPorts) -> list[CaseInfo]:
    """Every case, oldest first."""
    with ports.database.unit_of_work(read_only=True) as uow:
        return [_case_info(c) for c in uow.cases.list_all()]


def get_case(ports: CaseworkPorts, case_code: str) -> CaseInfo:
    """The case with ``case_code`` (as typed: case, spaces and hyphens ignored) and its timeline.

    Raises
    ------
    InvalidValueError
        ``field="case_code"``: malformed, or no such case.
    """
    code = parse_case_code(case_code, field="case_code")
    with ports.database.unit_of_work(read_only=True) as uow:
        return _case_info(_require_case(uow.cases.get(code), code))


def _require_case(stored: StoredCase | None, code: str) -> StoredCase:
    if stored is None:
        raise InvalidValueError(f"there is no case {format_case_code(code)}", field="case_code")
    return stored


def transition_case(
    ports: CaseworkPorts,
    case_code: str,
    transition: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> CaseInfo:
    """Move a case by a named transition and record who did it, in one transaction.

    Parameters
    ----------
    ports
        The database.
    case_code
        The case (as typed: case, spaces and hyphens ignored).
    transition
        A transition name (:data:`~safeconduct.casework.status.TRANSITIONS`).
    actor
        The user name of whoever makes the change.
    now
        When it happens (time-zone aware); by default the current time.

    Raises
    ------
    InvalidValueError
        ``field="case_code"``: malformed or no such case; ``field="transition"``
        (:class:`~safeconduct.casework.status.InvalidTransitionError`): not allowed from the
        current status (the message names the allowed ones), or the case changed meanwhile.
        Nothing is written.
    """
    code = parse_case_code(case_code, field="case_code")
    at = _now(now)
    with ports.database.unit_of_work() as uow:
        stored = _require_case(uow.cases.get(code), code)
        moved = stored.case.apply(transition, at=at, actor=actor)
        return _case_info(uow.cases.save(moved))


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now
