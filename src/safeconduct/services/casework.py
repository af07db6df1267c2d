"""The casework use cases: users, sign-in, and cases moving from first contact to custody.

Each use case takes a :class:`CaseworkPorts` bundle first and the acting user (``actor``,
an :class:`Actor`) last; it checks the access table of GUIDE §2
(:func:`safeconduct.casework.roles.can`) *before* it reads or writes anything the actor may
not see, and refuses with :class:`PermissionDeniedError` (the default is nothing). It opens
one unit of work on its database and returns plain values (:class:`UserInfo`,
:class:`CaseInfo`): a password hash never leaves this module. Everything a use case writes
is committed together or not at all; a refused step writes nothing.

- :func:`add_user`, :func:`list_users`: the people who sign in and their roles (admin);
- :func:`issue_token`, :func:`actor_for_token`, :func:`revoke_token`: signing in to the
  web API, with slow-down and lock-out after repeated failures (:class:`AuthPolicy`);
- :func:`open_case`, :func:`list_cases`, :func:`get_case`, :func:`transition_case`: cases,
  scoped by role ("own" cases: those the actor opened; assignments come later);
- :func:`case_change_filter`, :func:`case_abilities`, :func:`transitions_for`: what a live
  board may show and offer the actor. Every committed change of a case is announced on
  ``ports.events`` (:class:`~safeconduct.services.ports.CaseChanges`) after it committed.

The local console
-----------------
The command line acts as :data:`CONSOLE`, which it names as the ``actor`` of each use case
(every use case asks for one, so that no caller acts as the console by forgetting). Whoever
runs ``safeconduct users``/``cases`` on the machine holds the database itself (the SQLite
file, or the PostgreSQL credentials) and could read and change every table directly, so the
access table, which governs the users of the service, does not restrict it; its changes are
recorded as ``console``. No web request can act as the console: the web API always passes
the actor of the request's token (:func:`actor_for_token`), and ``console`` is not a user
name anyone can sign in with.

Nothing here names a command-line flag: errors carry the field they concern (``name``,
``role``, ``password``, ``language``, ``channel``, ``case_code``, ``id``, ``transition``,
``token``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from safeconduct.casework.assignment import ASSIGNABLE_ROLES, Assignment, assignable_role
from safeconduct.casework.case import Case, CaseEvent
from safeconduct.casework.roles import Role, can, parse_role
from safeconduct.casework.status import CaseStatus, InvalidTransitionError, allowed_transitions
from safeconduct.casework.visibility import field_class, visible
from safeconduct.errors import (
    AuthenticationError,
    InvalidValueError,
    LoginLockedError,
    NotFoundError,
    PermissionDeniedError,
)
from safeconduct.note.casecode import format_case_code, parse_case_code
from safeconduct.services import audit
from safeconduct.services.ports import (
    CaseChange,
    CaseChanges,
    CaseSummary,
    CaseworkDatabase,
    CaseworkUnitOfWork,
    PasswordHasher,
    StoredCase,
    StoredToken,
    StoredUser,
)

#: Failed and refused sign-ins go here (user name and reason; never a password or token).
auth_log = logging.getLogger("safeconduct.auth")
#: Case changes that could not be announced to live boards (the change itself stands).
events_log = logging.getLogger("safeconduct.events")

#: Fewest characters a password may have (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD_LENGTH = 10
#: Most characters a password may have: hashing a huge one would be a denial of service.
MAX_PASSWORD_LENGTH = 1024
#: How often a freshly drawn case code may collide with a stored one before giving up.
_CODE_ATTEMPTS = 5

_USER_NAME = re.compile(r"[^\W_][\w.-]{0,63}")


# ----------------------------------------------------------------- ports and actors


@dataclass(frozen=True)
class AuthPolicy:
    """How sign-ins slow down and lock, and how long a token lasts.

    After ``free_failures`` failed sign-ins in a row, each further failure refuses the next
    attempt for 1, 2, 4, ... seconds (an online guesser gets a few dozen tries an hour);
    at ``lock_after`` failures in a row the user is locked for ``lock_for``. A refused
    attempt is not checked and does not count. A successful sign-in clears the count.

    Attributes
    ----------
    free_failures
        Failures in a row allowed without delay (typing mistakes).
    lock_after
        Failures in a row that lock the user.
    lock_for
        How long a locked user waits.
    token_lifetime
        How long an issued bearer token is accepted (a shift and some).
    """

    free_failures: int = 3
    lock_after: int = 10
    lock_for: timedelta = timedelta(minutes=15)
    token_lifetime: timedelta = timedelta(hours=12)

    def refuse_for(self, failures: int) -> timedelta | None:
        """How long sign-ins are refused after ``failures`` failures in a row (None: not)."""
        if failures >= self.lock_after:
            return self.lock_for
        if failures > self.free_failures:
            return min(timedelta(seconds=2 ** (failures - self.free_failures - 1)), self.lock_for)
        return None


@dataclass(frozen=True)
class CaseworkPorts:
    """The edges casework reaches: its database and a password hasher; the sign-in
    policy (:class:`AuthPolicy`); and where committed case changes are announced (None:
    nowhere, e.g. a test or a one-off command)."""

    database: CaseworkDatabase
    passwords: PasswordHasher
    auth: AuthPolicy = field(default_factory=AuthPolicy)
    events: CaseChanges | None = None


@dataclass(frozen=True)
class Actor:
    """Who acts in a use case: a signed-in user's name and roles, or the local console.

    Attributes
    ----------
    name
        The user name, recorded in timelines and as the opener of cases.
    roles
        Every role held; the actor gets the union of what each grants.
    console
        The local command line (see the module docstring): not restricted by the access
        table. Only :data:`CONSOLE` and :func:`console_as` set it.
    """

    name: str
    roles: tuple[Role, ...]
    console: bool = False


#: The user name the console records, which no user may take.
CONSOLE_NAME = "console"
#: The local command line as an actor (see the module docstring).
CONSOLE = Actor(name=CONSOLE_NAME, roles=(), console=True)


def console_as(name: str) -> Actor:
    """The console recording its changes under ``name`` (a person at the command line)."""
    return Actor(name=name, roles=(), console=True)


def _as_actor(actor: Actor | str) -> Actor:
    # A bare name is the console acting under that name (the command line's old signature).
    return console_as(actor) if isinstance(actor, str) else actor


def require_right(
    actor: Actor, action: str, data_classes: Iterable[str], *, own: bool, what: str
) -> None:
    """Refuse unless one of ``data_classes`` grants ``action`` to the actor."""
    if actor.console:
        return
    if not any(can(actor.roles, action, d, own=own) for d in data_classes):  # type: ignore[arg-type]
        roles = ", ".join(actor.roles) or "no role"
        raise PermissionDeniedError(f"{actor.name} ({roles}) may not {what}")


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
    opened_by
        The user who opened it (whose "own" case it is), or None when not known.
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
    opened_by: str | None = None

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
    actor: Actor,
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
    actor
        Who adds the user: an administrator, or the console.

    Raises
    ------
    PermissionDeniedError
        The actor may not manage users.
    InvalidValueError
        ``field="name"``: malformed, reserved (``console``), or a user of that name
        exists; ``field="role"``; ``field="password"``: empty or too weak.
    """
    require_right(actor, "write", ("administration",), own=False, what="add users")
    user_name = normalise_user_name(name)
    if user_name == CONSOLE_NAME:
        raise InvalidValueError(
            f"the name {CONSOLE_NAME!r} is reserved for changes made at the command line; "
            "choose another",
            field="name",
        )
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
        audit.record(
            uow,
            actor,
            "user.add",
            f"user:{user_name}",
            changed={"name": user_name, "roles": list(roles)},
            at=created_at,
        )
    return _user_info(user)


def _user_exists(name: str) -> InvalidValueError:
    return InvalidValueError(f"a user called {name!r} exists already", field="name")


def list_users(ports: CaseworkPorts, *, actor: Actor) -> list[UserInfo]:
    """Every user, by name, without password hashes (an administrator, or the console).

    Raises
    ------
    PermissionDeniedError
        The actor may not manage users.
    """
    require_right(actor, "read", ("administration",), own=False, what="list users")
    with ports.database.unit_of_work(read_only=True) as uow:
        return [_user_info(u) for u in uow.users.list_all()]


# ----------------------------------------------------------------- sign-in


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@functools.lru_cache(maxsize=4)
def _decoy_hash(passwords: PasswordHasher) -> str:
    # Checked against when the user does not exist, so that the answer takes as long.
    return passwords.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class IssuedToken:
    """A bearer token, shown once to its user; the store keeps only its SHA-256 hash.

    Attributes
    ----------
    token
        The token: 43 URL-safe characters (256 random bits).
    user
        Whom it signs in.
    expires_at
        Until when it is accepted, time-zone aware (UTC).
    """

    token: str = field(repr=False)
    user: UserInfo
    expires_at: datetime


def issue_token(
    ports: CaseworkPorts, name: str, password: str, *, now: datetime | None = None
) -> IssuedToken:
    """Check a user name and password and issue a bearer token for the web API.

    Why opaque random tokens, stored hashed, and not signed ones (JWT): a token in the
    ``api_tokens`` table can be revoked at once (signing out, a lost phone, a user removed),
    there is no signing key to keep secret, rotate and share between server processes,
    and a stolen copy of the database holds only SHA-256 hashes, which are useless as
    tokens (256 random bits need no slow hash). The price is one indexed read per request.

    Failures follow :class:`AuthPolicy`: after a few in a row, further attempts are
    refused for a growing while, and then the user is locked. Every failure is logged to
    ``safeconduct.auth`` with the user name and the reason, never the password.

    Raises
    ------
    LoginLockedError
        Sign-ins for this user are refused for now (too many failures); nothing is checked.
    AuthenticationError
        Wrong user name or password (the message does not say which).
    """
    at = _now(now)
    policy = ports.auth
    try:
        user_name = normalise_user_name(name)
    except InvalidValueError:
        user_name = None
    with ports.database.unit_of_work(read_only=True) as uow:
        user = uow.users.get(user_name) if user_name else None
    if user is not None and user.locked_until is not None and user.locked_until > at:
        wait = max(1, int((user.locked_until - at).total_seconds() + 0.999))
        with ports.database.unit_of_work() as uow:
            audit.record(uow, _signing_in(user), "login_refused", f"user:{user.name}", at=at)
        auth_log.warning("sign-in refused for user %r: locked for %d s more", user.name, wait)
        raise LoginLockedError(
            f"too many failed sign-ins for {user.name}; try again in {_duration(wait)}",
            retry_after_s=wait,
        )
    valid = isinstance(password, str) and 0 < len(password) <= MAX_PASSWORD_LENGTH
    # argon2 runs outside any transaction: it is slow on purpose and must hold no lock.
    if user is None:
        if valid:
            ports.passwords.verify(_decoy_hash(ports.passwords), password)
        # The name typed is not kept: it may be a password typed in the wrong field.
        unknown = Actor(name=audit.UNKNOWN_USER, roles=())
        with ports.database.unit_of_work() as uow:
            audit.record(uow, unknown, "login_failed", f"user:{audit.UNKNOWN_USER}", at=at)
        auth_log.warning("failed sign-in for unknown user %r", name)
        raise _bad_credentials()
    if not (valid and ports.passwords.verify(user.password_hash, password)):
        with ports.database.unit_of_work() as uow:
            failures = uow.users.record_failed_login(user.name)
            refuse = policy.refuse_for(failures)
            if refuse is not None:
                uow.users.lock(user.name, at + refuse)
            audit.record(uow, _signing_in(user), "login_failed", f"user:{user.name}", at=at)
            if failures >= policy.lock_after:
                audit.record(uow, _signing_in(user), "user.lock", f"user:{user.name}", at=at)
        auth_log.warning(
            "failed sign-in for user %r: wrong password (%d in a row%s)",
            user.name,
            failures,
            f"; refused for {_duration(int(refuse.total_seconds()))}" if refuse else "",
        )
        raise _bad_credentials()
    token = secrets.token_urlsafe(32)
    expires_at = at + policy.token_lifetime
    with ports.database.unit_of_work() as uow:
        uow.users.record_login(user.name)
        uow.tokens.delete_expired(at)
        uow.tokens.add(
            StoredToken(
                token_hash=_token_hash(token),
                user_name=user.name,
                created_at=at,
                expires_at=expires_at,
            )
        )
        audit.record(uow, _signing_in(user), "login", f"user:{user.name}", at=at)
    auth_log.info("user %r signed in", user.name)
    return IssuedToken(token=token, user=_user_info(user), expires_at=expires_at)


def _signing_in(user: StoredUser) -> Actor:
    return Actor(name=user.name, roles=user.roles)


def _bad_credentials() -> AuthenticationError:
    return AuthenticationError("wrong user name or password")


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    return f"{(seconds + 59) // 60} min"


def actor_for_token(ports: CaseworkPorts, token: str, *, now: datetime | None = None) -> Actor:
    """The signed-in user a bearer token stands for, with the roles they hold now.

    Raises
    ------
    AuthenticationError
        ``field="token"``: no such token, or it has expired (sign in again).
    """
    at = _now(now)
    if not isinstance(token, str) or not 0 < len(token) <= 256:
        raise AuthenticationError("not signed in; sign in for a token", field="token")
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = uow.tokens.get(_token_hash(token))
        user = uow.users.get(stored.user_name) if stored is not None else None
    if stored is None or user is None:
        raise AuthenticationError("this token is not valid; sign in again", field="token")
    if stored.expires_at <= at:
        raise AuthenticationError("this token has expired; sign in again", field="token")
    return Actor(name=user.name, roles=user.roles)


def revoke_token(ports: CaseworkPorts, token: str) -> None:
    """Forget a bearer token (signing out); unknown tokens are ignored."""
    if isinstance(token, str) and 0 < len(token) <= 256:
        with ports.database.unit_of_work() as uow:
            uow.tokens.delete(_token_hash(token))


# ----------------------------------------------------------------- cases

#: Transition -> the data classes (GUIDE §2) of which a write grant allows it; any one will
#: do. The status is part of the case summary, which only the opening operator writes; the
#: other teams move a case where the step is theirs: a meeting is agreed by its operator or
#: the planner, a plan is the planner's, the flight and the arrival are the crew's and the
#: reception team's, custody the reception team's; registration and what follows it (a
#: transfer, a release, a death) are the registrar's, who writes the identity record.
#: Transitions that follow the custody record (services/custody.py moves the case when a
#: prisoner is registered, transferred, released or dies): a user never makes them on the
#: case alone, and no button offers them.
CUSTODY_TRANSITIONS = frozenset({"register", "transfer", "release", "record_death"})

TRANSITION_RIGHTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "schedule": ("meeting",),
        "plan": ("plan",),
        "launch": ("live_positions",),
        "arrive": ("live_positions", "reception"),
        "take_into_custody": ("reception",),
        "register": ("identity",),
        "transfer": ("identity",),
        "release": ("identity",),
        "record_death": ("identity",),
        "abort": ("meeting", "live_positions"),
        "lose_contact": ("case_summary", "live_positions"),
        "recontact": ("case_summary",),
        "close": ("case_summary",),
    }
)


def case_info(stored: StoredCase) -> CaseInfo:
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
        opened_by=stored.opened_by,
    )


def announce_case(
    events: CaseChanges | None, info: CaseInfo, *, at: datetime | None = None
) -> None:
    """Tell live boards that case ``info`` changed (at ``at``, by default its last change);
    after the commit, and never failing it. Every use case that changes a case, its
    operation or its custody announces through this."""
    if events is None:
        return
    change = CaseChange(
        case_id=info.id,
        case_code=info.case_code,
        status=str(info.status),
        at=info.last_changed_at if at is None else at,
    )
    try:
        events.publish(change)
    except Exception as error:  # the change is committed; boards catch up on reload
        events_log.warning("could not announce the change of case %d: %s", info.id, error)


def _announce(ports: CaseworkPorts, info: CaseInfo) -> None:
    announce_case(ports.events, info)


def owns_case(actor: Actor, stored: StoredCase, uow: CaseworkUnitOfWork) -> bool:
    # "Own" cases: those the actor opened (an operator's), and those they are assigned to
    # (a crew's or a reception team's). The assignment is looked up only when needed.
    if stored.opened_by == actor.name:
        return True
    return not actor.console and uow.assignments.is_assigned(stored.id, actor.name)


def owns_case_id(ports: CaseworkPorts, case_id: int, *, actor: Actor) -> bool:
    """Whether case ``case_id`` is the actor's own (opened by them, or assigned to them);
    False for a case that does not exist. Reads no personal data (nothing audited)."""
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = uow.cases.get_by_id(case_id)
        return stored is not None and owns_case(actor, stored, uow)


def visible_record(
    kind: str, record: Mapping[str, object], *, actor: Actor, own: bool
) -> dict[str, object]:
    """``record`` (a ``kind`` record of :data:`~safeconduct.casework.visibility.FIELD_CLASSES`
    as a JSON-like mapping) with only the fields the actor's roles read; the console reads
    every field. The use case that gave the record has already refused a record the actor
    may not read at all.

    Parameters
    ----------
    own
        Whether the record's case is the actor's own (:func:`owns_case_id`).

    Raises
    ------
    ValueError
        A field of ``record`` has no data class in the table (a mistake in the code).
    """
    if actor.console:
        for name in record:
            field_class(kind, name)
        return dict(record)
    return visible(kind, record, actor.roles, own=own)


def open_case(
    ports: CaseworkPorts,
    *,
    language: str,
    channel: str = "hotline",
    now: datetime | None = None,
    rng: random.Random | None = None,
    actor: Actor,
) -> CaseInfo:
    """Open a new case, ``contacted``, with a fresh case code; it is the actor's own.

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
    actor
        Who opens it (an operator, or the console); recorded as its opener.

    Raises
    ------
    PermissionDeniedError
        The actor may not open cases.
    InvalidValueError
        ``field="language"`` or ``field="channel"``.
    """
    require_right(actor, "write", ("case_summary",), own=True, what="open cases")
    opened = _now(now)
    info: CaseInfo | None = None
    with ports.database.unit_of_work() as uow:
        for _ in range(_CODE_ATTEMPTS):
            case = Case.open(language=language, channel=channel, now=opened, rng=rng)
            if uow.cases.get(case.case_code) is None:
                info = case_info(uow.cases.add(case, opened_by=actor.name))
                audit.record(
                    uow,
                    actor,
                    "case.open",
                    f"case:{info.id}",
                    changed=_case_digest_source(info),
                    at=opened,
                )
                break
    if info is None:
        # 19**7 codes: five collisions in a row mean a broken random source, not bad luck.
        raise RuntimeError(f"drew {_CODE_ATTEMPTS} case codes that were all taken")
    _announce(ports, info)
    return info


def _case_digest_source(info: CaseInfo) -> dict[str, object]:
    # What a case change wrote, for the audit entry's digest (the entry keeps the digest only).
    # Not the case code: the trail is kept in the clear and outlives a purge, and a code is
    # short enough that its digest would confirm a guessed one (the record names the case).
    return {
        "language": info.language,
        "channel": info.channel,
        "status": info.status.value,
        "events": len(info.events),
    }


#: Cases in a page of the case list unless fewer are asked for.
DEFAULT_PAGE_SIZE = 50
#: The most cases one page of the case list holds.
MAX_PAGE_SIZE = 200
_PAGE_CURSOR = re.compile(r"(\d{1,19})\.(\d{1,19})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CasePage:
    """One page of the case list, newest change first.

    Attributes
    ----------
    items
        The cases, without their timelines (:func:`get_case` gives one with it).
    next
        Pass it back as ``after`` for the next (older) page; None on the last page.
    """

    items: tuple[CaseSummary, ...]
    next: str | None = None


def _page_cursor(case: CaseSummary) -> str:
    # The keyset of the last case shown: microseconds since 1970 (UTC) of its last change,
    # and its id. Opaque to clients; exact, so no case is skipped or shown twice.
    since = case.last_changed_at - _EPOCH
    micros = (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds
    return f"{micros}.{case.id}"


def _parse_page_cursor(after: str) -> tuple[datetime, int]:
    found = _PAGE_CURSOR.fullmatch(after) if isinstance(after, str) else None
    if found is None:
        raise InvalidValueError(
            "this is not a page cursor; pass back the 'next' of the previous page",
            field="after",
        )
    try:
        changed = _EPOCH + timedelta(microseconds=int(found[1]))
    except OverflowError:
        raise InvalidValueError("this page cursor is out of range", field="after") from None
    return changed, int(found[2])


def list_cases(
    ports: CaseworkPorts,
    *,
    actor: Actor,
    limit: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
) -> CasePage:
    """A page of the cases the actor may see, newest change first: all of them for a
    planner or a registrar (and the console), their own (opened, or assigned to them) for
    an operator, a crew or a reception team.

    Parameters
    ----------
    actor
        Who asks.
    limit
        The most cases on the page, 1 to :data:`MAX_PAGE_SIZE`.
    after
        The ``next`` of the previous page: the cases after it; None: the first page. A
        case that changes meanwhile moves to the top, out of the pages still to come.

    Raises
    ------
    PermissionDeniedError
        The actor may see no case at all (an auditor, an administrator).
    InvalidValueError
        ``field="limit"``: out of range; ``field="after"``: not a cursor of this list.
    """
    require_right(actor, "read", ("case_summary",), own=True, what="see cases")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidValueError(
            f"a page holds 1 to {MAX_PAGE_SIZE} cases, not {limit!r}", field="limit"
        )
    key = None if after is None else _parse_page_cursor(after)
    every = actor.console or can(actor.roles, "read", "case_summary", own=False)
    with ports.database.unit_of_work(read_only=True) as uow:
        # One case more than asked: whether there is a next page, without a second query.
        found = uow.cases.list_page(limit=limit + 1, after=key, owner=None if every else actor.name)
    items = tuple(found[:limit])
    return CasePage(items=items, next=_page_cursor(items[-1]) if len(found) > limit else None)


def find_case(uow: CaseworkUnitOfWork, ref: int | str) -> StoredCase:
    """The case by store id (an int) or case code (a str, as typed)."""
    cases = uow.cases
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        raise InvalidValueError(f"{ref!r} is neither a case id nor a case code", field="id")
    if isinstance(ref, int):
        found = cases.get_by_id(ref)
        if found is None:
            raise NotFoundError(f"there is no case with id {ref}", field="id")
        return found
    code = parse_case_code(ref, field="case_code")
    found = cases.get(code)
    if found is None:
        raise NotFoundError(f"there is no case {format_case_code(code)}", field="case_code")
    return found


def get_case(ports: CaseworkPorts, case: int | str, *, actor: Actor) -> CaseInfo:
    """A case and its timeline, if the actor may see it.

    Parameters
    ----------
    case
        The store's id (an int: the web API's ``id``) or the case code (a str, as typed:
        case, spaces and hyphens ignored).
    actor
        Who asks.

    Raises
    ------
    PermissionDeniedError
        The actor may not see cases, or not this one (not their own).
    NotFoundError
        No such case (``field="id"`` or ``"case_code"``).
    InvalidValueError
        ``field="case_code"``: a malformed case code.
    """
    require_right(actor, "read", ("case_summary",), own=True, what="see cases")
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = find_case(uow, case)
        own = owns_case(actor, stored, uow)
    require_right(actor, "read", ("case_summary",), own=own, what=f"see case {_as_asked(case)}")
    audit.record_read(ports.database, actor, "case.read", f"case:{stored.id}")
    return case_info(stored)


def transition_case(
    ports: CaseworkPorts,
    case: int | str,
    transition: str,
    *,
    actor: Actor | str,
    now: datetime | None = None,
) -> CaseInfo:
    """Move a case by a named transition and record who did it, in one transaction.

    Parameters
    ----------
    ports
        The database.
    case
        The store's id (an int) or the case code (a str, as typed).
    transition
        A transition name (:data:`~safeconduct.casework.status.TRANSITIONS`).
    actor
        Who makes the change (:data:`TRANSITION_RIGHTS` says who may); a bare name is the
        console acting under that name.
    now
        When it happens (time-zone aware); by default the current time.

    Raises
    ------
    PermissionDeniedError
        The actor may not see the case, or may not make this transition on it.
    NotFoundError
        No such case.
    InvalidValueError
        ``field="case_code"``: malformed; ``field="transition"``
        (:class:`~safeconduct.casework.status.InvalidTransitionError`): unknown, or not
        allowed from the current status (the message names the allowed ones), or the case
        changed meanwhile. Nothing is written.
    """
    who = _as_actor(actor)
    require_right(who, "read", ("case_summary",), own=True, what="see cases")
    rights = TRANSITION_RIGHTS.get(transition) if isinstance(transition, str) else None
    if rights is not None:
        require_right(who, "write", rights, own=True, what=f"{transition} cases")
    at = _now(now)
    with ports.database.unit_of_work() as uow:
        stored = find_case(uow, case)
        own = owns_case(who, stored, uow)
        printed = _as_asked(case)
        require_right(who, "read", ("case_summary",), own=own, what=f"see case {printed}")
        if rights is not None:
            require_right(who, "write", rights, own=own, what=f"{transition} case {printed}")
        if transition in CUSTODY_TRANSITIONS and not who.console:
            raise InvalidTransitionError(
                f"{transition} follows the custody record: register the prisoner, or record "
                "the transfer, release or death on the prisoner's page",
                status=stored.case.status,
                transition=transition,
            )
        # An unknown transition is refused here, naming the known ones.
        moved = stored.case.apply(transition, at=at, actor=who.name)
        info = case_info(uow.cases.save(moved))
        audit.record(
            uow,
            who,
            "case.transition",
            f"case:{info.id}",
            purpose=transition,
            changed=_case_digest_source(info),
            at=at,
        )
    _announce(ports, info)
    return info


def _as_asked(ref: int | str) -> str:
    """A case named in a refusal as the actor named it: its id, or the code they typed.
    Never the stored code of a case they may not see (that would leak it)."""
    return f"with id {ref}" if isinstance(ref, int) else format_case_code(parse_case_code(ref))


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now


# ----------------------------------------------------------------- live boards


@dataclass(frozen=True)
class CaseAbilities:
    """What a board offers an actor (links and buttons only; every use case checks again).

    Attributes
    ----------
    see_cases
        May see some cases (their own at least).
    see_all_cases
        May see every case (planners, registrars, the console).
    open_cases
        May open new cases (operators).
    """

    see_cases: bool
    see_all_cases: bool
    open_cases: bool


def case_abilities(actor: Actor) -> CaseAbilities:
    """What the board should offer ``actor``, from the access table."""
    if actor.console:
        return CaseAbilities(see_cases=True, see_all_cases=True, open_cases=True)
    roles = actor.roles
    return CaseAbilities(
        see_cases=can(roles, "read", "case_summary", own=True),
        see_all_cases=can(roles, "read", "case_summary", own=False),
        open_cases=can(roles, "write", "case_summary", own=True),
    )


def transitions_for(ports: CaseworkPorts, case: CaseInfo, *, actor: Actor) -> tuple[str, ...]:
    """The transitions allowed from the case's status that the actor may make on it
    (:data:`TRANSITION_RIGHTS`), sorted: the buttons a case page shows.

    "Own" is judged as :func:`transition_case` judges it (opened by the actor, or assigned
    to them); the assignment is looked up only when it would change the buttons.
    """
    if actor.console:
        return case.allowed

    def buttons(own: bool) -> tuple[str, ...]:
        return tuple(
            name
            for name in case.allowed
            if name not in CUSTODY_TRANSITIONS
            and any(can(actor.roles, "write", d, own=own) for d in TRANSITION_RIGHTS[name])
        )

    if case.opened_by == actor.name:
        return buttons(own=True)
    others, owners = buttons(own=False), buttons(own=True)
    if others == owners:
        return others
    with ports.database.unit_of_work(read_only=True) as uow:
        assigned = uow.assignments.is_assigned(case.id, actor.name)
    return owners if assigned else others


def case_change_filter(ports: CaseworkPorts, *, actor: Actor) -> Callable[[CaseChange], bool]:
    """Check that the actor may follow cases at all, and say which changes they may see.

    A planner or a registrar sees every change; an operator (or a crew, or a reception
    team) only those of their own cases, looked up in the database for each change
    (call the predicate off the event loop).

    Raises
    ------
    PermissionDeniedError
        The actor may see no case at all (an auditor, an administrator).
    """
    require_right(actor, "read", ("case_summary",), own=True, what="follow cases")
    if actor.console or can(actor.roles, "read", "case_summary", own=False):
        return lambda _change: True

    def visible(change: CaseChange) -> bool:
        with ports.database.unit_of_work(read_only=True) as uow:
            stored = uow.cases.get_by_id(change.case_id)
            own = stored is not None and owns_case(actor, stored, uow)
        return stored is not None and can(actor.roles, "read", "case_summary", own=own)

    return visible


# ----------------------------------------------------------------- assignments


@dataclass(frozen=True)
class TeamMember:
    """A user a planner may assign to cases: their name and the assignable roles they hold."""

    name: str
    roles: tuple[Role, ...]


def assignable_users(ports: CaseworkPorts, *, actor: Actor) -> list[TeamMember]:
    """The crews and reception team members a planner may assign, by name.

    Raises
    ------
    PermissionDeniedError
        The actor may not assign (only planners write plans).
    """
    require_right(actor, "write", ("plan",), own=False, what="assign crews and reception teams")
    with ports.database.unit_of_work(read_only=True) as uow:
        users = uow.users.list_all()
    members = []
    for user in users:
        roles = tuple(r for r in user.roles if r in ASSIGNABLE_ROLES)
        if roles:
            members.append(TeamMember(name=user.name, roles=roles))
    return members


def case_assignments(ports: CaseworkPorts, case: int | str, *, actor: Actor) -> list[Assignment]:
    """Who is assigned to the case, to whoever may see the case (as :func:`get_case`)."""
    require_right(actor, "read", ("case_summary",), own=True, what="see cases")
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = find_case(uow, case)
        own = owns_case(actor, stored, uow)
        found = uow.assignments.for_case(stored.id)
    require_right(actor, "read", ("case_summary",), own=own, what=f"see case {_as_asked(case)}")
    return found


def _assignee(user: str) -> str:
    try:
        return normalise_user_name(user)
    except InvalidValueError as error:
        raise InvalidValueError(error.message, field="user") from None


def assign_to_case(
    ports: CaseworkPorts,
    case: int | str,
    user: str,
    role: str,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> list[Assignment]:
    """Assign a crew member or a reception team member to a case (a planner); it becomes
    one of their "own" cases, which they see and work on. Announced to live boards, so
    the case appears on the assigned user's board at once.

    Parameters
    ----------
    case
        The store's id or the case code.
    user
        The user's name; they must hold ``role``.
    role
        ``crew`` or ``reception``.

    Returns
    -------
    list of Assignment
        Everyone now assigned to the case.

    Raises
    ------
    PermissionDeniedError
        The actor may not assign.
    NotFoundError
        No such case, or no such user (``field="user"``).
    InvalidValueError
        ``field="role"``: not an assignable role; ``field="user"``: the user does not hold
        the role, or is assigned already. Nothing is written.
    """
    require_right(actor, "write", ("plan",), own=False, what="assign crews and reception teams")
    as_role = assignable_role(role)
    name = _assignee(user)
    at = _now(now)
    with ports.database.unit_of_work() as uow:
        stored = find_case(uow, case)
        found = uow.users.get(name)
        if found is None:
            raise NotFoundError(f"there is no user {name!r}", field="user")
        if as_role not in found.roles:
            held = ", ".join(found.roles) or "no role"
            raise InvalidValueError(
                f"{name} is not a {as_role.value} ({held}); give them the role first "
                "(safeconduct users add) or assign someone who has it",
                field="user",
            )
        assignment = Assignment(user=name, role=as_role, assigned_at=at, assigned_by=actor.name)
        if not uow.assignments.add(stored.id, assignment):
            raise InvalidValueError(
                f"{name} is assigned to this case as {as_role.value} already", field="user"
            )
        everyone = uow.assignments.for_case(stored.id)
        audit.record(
            uow,
            actor,
            "case.assign",
            f"case:{stored.id}",
            changed={"user": name, "role": as_role.value},
            at=at,
        )
    _announce(ports, case_info(stored))
    return everyone


def unassign_from_case(
    ports: CaseworkPorts, case: int | str, user: str, role: str, *, actor: Actor
) -> list[Assignment]:
    """Take a user off a case (a planner); whoever else is assigned stays.

    Raises
    ------
    PermissionDeniedError, NotFoundError
        Also ``field="user"`` when the user is not assigned in that role.
    InvalidValueError
        ``field="role"``: not an assignable role.
    """
    require_right(actor, "write", ("plan",), own=False, what="assign crews and reception teams")
    as_role = assignable_role(role)
    name = _assignee(user)
    with ports.database.unit_of_work() as uow:
        stored = find_case(uow, case)
        if not uow.assignments.remove(stored.id, name, as_role):
            raise NotFoundError(
                f"{name} is not assigned to this case as {as_role.value}", field="user"
            )
        everyone = uow.assignments.for_case(stored.id)
        audit.record(
            uow,
            actor,
            "case.unassign",
            f"case:{stored.id}",
            changed={"user": name, "role": as_role.value},
        )
    _announce(ports, case_info(stored))
    return everyone
