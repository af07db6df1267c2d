"""Repositories: the casework values in and out of the tables, inside one session.

They map rows to the domain's values (:class:`~safeconduct.casework.case.Case` with its
events, :class:`~safeconduct.services.ports.StoredUser`) and back, and never commit: the
unit of work (:mod:`.unit_of_work`) owns the transaction.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from safeconduct.adapters.store.models import (
    ApiTokenRow,
    CaseAssignmentRow,
    CaseEventRow,
    CaseRow,
    UserRoleRow,
    UserRow,
    UtcDateTime,
)
from safeconduct.adapters.store.sealing import Sealer, case_code_index, case_owner
from safeconduct.casework.case import Case, CaseEvent
from safeconduct.casework.roles import Role
from safeconduct.casework.status import CaseStatus
from safeconduct.errors import InvalidValueError
from safeconduct.note.casecode import format_case_code
from safeconduct.services.ports import CaseSummary, StoredCase, StoredToken, StoredUser


def _user(row: UserRow) -> StoredUser:
    roles = sorted({Role(r.role) for r in row.roles}, key=list(Role).index)
    return StoredUser(
        name=row.name,
        roles=tuple(roles),
        password_hash=row.password_hash,
        created_at=row.created_at,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
    )


#: A user and each role it holds (a row per role; one row with no role if none).
_USER_WITH_ROLES = (
    sa.select(
        UserRow.name,
        UserRow.password_hash,
        UserRow.created_at,
        UserRow.failed_logins,
        UserRow.locked_until,
        UserRoleRow.role,
    )
    .outerjoin(UserRoleRow, UserRoleRow.user_id == UserRow.id)
    .where(UserRow.name == sa.bindparam("name"))
)


class SqlUsers:
    """The users in the ``users`` and ``user_roles`` tables."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, user: StoredUser) -> None:
        row = UserRow(
            name=user.name,
            password_hash=user.password_hash,
            failed_logins=user.failed_logins,
            locked_until=user.locked_until,
            created_at=user.created_at,
            roles=[UserRoleRow(role=str(role)) for role in user.roles],
        )
        try:
            # A savepoint, so that losing a race for the name leaves the transaction usable.
            with self._session.begin_nested():
                self._session.add(row)
        except exc.IntegrityError as error:
            raise InvalidValueError(
                f"a user called {user.name!r} exists already", field="name"
            ) from error

    def get(self, name: str) -> StoredUser | None:
        # Every request's token check asks for its user: one prepared column query, a row
        # per role, instead of loading ORM objects and their roles in a second query.
        rows = self._session.execute(_USER_WITH_ROLES, {"name": name}).all()
        if not rows:
            return None
        first = rows[0]
        held = {Role(r.role) for r in rows if r.role is not None}
        return StoredUser(
            name=first.name,
            roles=tuple(sorted(held, key=list(Role).index)),
            password_hash=first.password_hash,
            created_at=first.created_at,
            failed_logins=first.failed_logins,
            locked_until=first.locked_until,
        )

    def list_all(self) -> list[StoredUser]:
        return [_user(r) for r in self._session.scalars(sa.select(UserRow).order_by(UserRow.name))]

    def record_failed_login(self, name: str) -> int:
        # One UPDATE ... RETURNING: concurrent failures each count (no read-modify-write).
        count = self._session.scalar(
            sa.update(UserRow)
            .where(UserRow.name == name)
            .values(failed_logins=UserRow.failed_logins + 1)
            .returning(UserRow.failed_logins)
            .execution_options(synchronize_session=False)
        )
        return int(count or 0)

    def lock(self, name: str, until: datetime) -> None:
        self._session.execute(
            sa.update(UserRow)
            .where(UserRow.name == name)
            .values(locked_until=until)
            .execution_options(synchronize_session=False)
        )

    def record_login(self, name: str) -> None:
        self._session.execute(
            sa.update(UserRow)
            .where(UserRow.name == name)
            .values(failed_logins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )


def _event(row: CaseEventRow) -> CaseEvent:
    return CaseEvent(
        at=row.at,
        actor=row.actor,
        transition=row.transition,
        from_status=CaseStatus(row.from_status),
        to_status=CaseStatus(row.to_status),
    )


def _event_row(event: CaseEvent) -> CaseEventRow:
    return CaseEventRow(
        at=event.at,
        actor=event.actor,
        transition=event.transition,
        from_status=str(event.from_status),
        to_status=str(event.to_status),
    )


#: The associated data of a sealed case code (revision 0012).
_CODE_TABLE, _CODE_COLUMN = "cases", "case_code"


class SqlCases:
    """The cases in the ``cases`` table, their timelines in ``case_events``.

    Revision 0012: a case code is kept only as its keyed blind index (``code_index``: a case
    is found by exact match, never by a plaintext column) and sealed under the case's data
    key (``case:<id>``); every read opens it again.

    Parameters
    ----------
    session
        The unit of work's session.
    sealer
        The unit of work's sealer (the key file's cipher and the data keys it opened).
    lock
        Lock each case read (``SELECT ... FOR UPDATE`` on PostgreSQL) until the transaction
        ends: a unit of work that may change a case then reads its row and its events as
        one consistent state, and other writers of that case wait for it.
    """

    def __init__(self, session: Session, sealer: Sealer, *, lock: bool = False) -> None:
        self._session = session
        self._sealer = sealer
        self._lock = lock

    def _index(self, case_code: str) -> str:
        return case_code_index(self._sealer.cipher, case_code)

    def _code(self, case_id: int, key_id: str | None, sealed: bytes) -> str:
        if key_id is None:  # only inside add(), before the key is made
            raise InvalidValueError(f"case {case_id} has no sealed code", field="case_code")
        code = self._sealer.open(
            sealed, table=_CODE_TABLE, column=_CODE_COLUMN, row_id=case_id, key_id=key_id
        )
        return str(code)

    def _case(self, row: CaseRow) -> StoredCase:
        case = Case(
            case_code=self._code(row.id, row.data_key_id, row.sealed_code),
            language=row.language,
            channel=row.channel,
            status=CaseStatus(row.status),
            created_at=row.created_at,
            events=tuple(_event(e) for e in row.events),
        )
        return StoredCase(id=row.id, case=case, opened_by=row.opened_by)

    def add(self, case: Case, *, opened_by: str = "console") -> StoredCase:
        row = CaseRow(
            code_index=self._index(case.case_code),
            sealed_code=b"",  # sealed below, once the row has the id it is bound to
            opened_by=opened_by,
            language=case.language,
            channel=case.channel,
            status=str(case.status),
            created_at=case.created_at,
            last_changed_at=case.last_changed_at,
            events=[_event_row(e) for e in case.events],
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except exc.IntegrityError as error:
            raise InvalidValueError(
                f"case {format_case_code(case.case_code)} exists already", field="case_code"
            ) from error
        key = self._sealer.owner_key(case_owner(row.id))
        self._session.flush()  # the key's row first: the case's points to it
        row.data_key_id = key.id
        row.sealed_code = self._sealer.seal(
            case.case_code, table=_CODE_TABLE, column=_CODE_COLUMN, row_id=row.id, key_id=key.id
        )
        self._session.flush()
        return self._case(row)

    def _row(self, case_code: str) -> CaseRow | None:
        query = sa.select(CaseRow).where(CaseRow.code_index == self._index(case_code))
        if self._lock:
            # Without the lock, PostgreSQL (read committed) could show the row before another
            # writer's commit and its events after it: a status and a timeline that disagree.
            query = query.with_for_update()
        return self._session.scalars(query).one_or_none()

    def get(self, case_code: str) -> StoredCase | None:
        row = self._row(case_code)
        return None if row is None else self._case(row)

    def get_by_id(self, case_id: int) -> StoredCase | None:
        query = sa.select(CaseRow).where(CaseRow.id == case_id)
        if self._lock:
            query = query.with_for_update()
        row = self._session.scalars(query).one_or_none()
        return None if row is None else self._case(row)

    def save(self, case: Case) -> StoredCase:
        row = self._row(case.case_code)
        if row is None:
            raise InvalidValueError(
                f"there is no case {format_case_code(case.case_code)}", field="case_code"
            )
        stored = len(row.events)
        if case.events[:stored] != self._case(row).case.events:
            raise _changed_meanwhile()
        # Compare-and-set on the status: of two writers that read the same case, the second
        # finds the status changed (PostgreSQL re-checks the row after the first commits).
        result = self._session.execute(
            sa.update(CaseRow)
            .where(CaseRow.id == row.id, CaseRow.status == row.status)
            .values(status=str(case.status), last_changed_at=case.last_changed_at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _changed_meanwhile()
        new_events = [_event_row(e) for e in case.events[stored:]]
        for event in new_events:
            event.case_id = row.id
        self._session.add_all(new_events)
        self._session.flush()
        self._session.expire(row)
        return self._case(row)

    def list_page(
        self,
        *,
        limit: int,
        after: tuple[datetime, int] | None = None,
        owner: str | None = None,
    ) -> list[CaseSummary]:
        # One column query, no timeline: a keyset page read backwards along
        # ix_cases_last_changed_at_id, so a page far down the list costs what the first one
        # does (OFFSET would not).
        params: dict[str, object] = {"limit": limit}
        if owner is not None:
            params["owner"] = owner
        if after is not None:
            params["changed"], params["case_id"] = after
        query = _page_query(scoped=owner is not None, after=after is not None)
        rows = list(self._session.execute(query, params))
        self._sealer.prime(row.data_key_id for row in rows)  # one query for the page's keys
        return [
            CaseSummary(
                id=row.id,
                case_code=self._code(row.id, row.data_key_id, row.sealed_code),
                language=row.language,
                channel=row.channel,
                status=CaseStatus(row.status),
                created_at=row.created_at,
                last_changed_at=row.last_changed_at,
                opened_by=row.opened_by,
            )
            for row in rows
        ]


@functools.cache
def _page_query(*, scoped: bool, after: bool) -> sa.Select[Any]:
    """The case list's page query, built once for each of its four shapes: every case, or
    one owner's (``:owner``); from the newest change, or after the key
    ``(:changed, :case_id)``; at most ``:limit`` cases, newest change first."""

    def newest_first(query: sa.Select[Any]) -> sa.Select[Any]:
        if after:
            key = sa.tuple_(
                sa.bindparam("changed", type_=UtcDateTime()),
                sa.bindparam("case_id", type_=sa.Integer()),
            )
            query = query.where(sa.tuple_(CaseRow.last_changed_at, CaseRow.id) < key)
        return query.order_by(CaseRow.last_changed_at.desc(), CaseRow.id.desc()).limit(
            sa.bindparam("limit", type_=sa.Integer())
        )

    if not scoped:
        return newest_first(sa.select(*_SUMMARY_COLUMNS))
    # An owner's cases are those they opened and those they are assigned to. Each half is
    # its own ordered, limited scan (ix_cases_opened_by_last_changed_at_id; the owner's few
    # assignments), merged: an OR of the two would read every case to sort them.
    owner = sa.bindparam("owner", type_=sa.String())
    opened = newest_first(sa.select(*_SUMMARY_COLUMNS).where(CaseRow.opened_by == owner))
    assigned = newest_first(
        sa.select(*_SUMMARY_COLUMNS).where(
            CaseRow.id.in_(
                sa.select(CaseAssignmentRow.case_id).where(CaseAssignmentRow.user_name == owner)
            )
        )
    )
    both = sa.union(sa.select(opened.subquery()), sa.select(assigned.subquery())).subquery()
    return (
        sa.select(*both.c)
        .order_by(both.c.last_changed_at.desc(), both.c.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


#: The columns of a :class:`CaseSummary`.
_SUMMARY_COLUMNS = (
    CaseRow.id,
    CaseRow.data_key_id,
    CaseRow.sealed_code,
    CaseRow.language,
    CaseRow.channel,
    CaseRow.status,
    CaseRow.created_at,
    CaseRow.last_changed_at,
    CaseRow.opened_by,
)


#: A token by its hash, with its user's name.
_TOKEN_BY_HASH = (
    sa.select(ApiTokenRow.token_hash, UserRow.name, ApiTokenRow.created_at, ApiTokenRow.expires_at)
    .join(UserRow, UserRow.id == ApiTokenRow.user_id)
    .where(ApiTokenRow.token_hash == sa.bindparam("token_hash"))
)


class SqlTokens:
    """The web API's bearer tokens in ``api_tokens``: hashes only, each tied to a user."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, token: StoredToken) -> None:
        user_id = self._session.scalar(sa.select(UserRow.id).where(UserRow.name == token.user_name))
        if user_id is None:
            raise InvalidValueError(f"there is no user {token.user_name!r}", field="name")
        self._session.add(
            ApiTokenRow(
                token_hash=token.token_hash,
                user_id=user_id,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
        )
        self._session.flush()

    def get(self, token_hash: str) -> StoredToken | None:
        # Every request asks: one prepared column query on the primary key.
        found = self._session.execute(_TOKEN_BY_HASH, {"token_hash": token_hash}).one_or_none()
        if found is None:
            return None
        return StoredToken(
            token_hash=found.token_hash,
            user_name=found.name,
            created_at=found.created_at,
            expires_at=found.expires_at,
        )

    def delete(self, token_hash: str) -> None:
        self._session.execute(sa.delete(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))

    def delete_expired(self, now: datetime) -> int:
        result = self._session.execute(sa.delete(ApiTokenRow).where(ApiTokenRow.expires_at <= now))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _changed_meanwhile() -> InvalidValueError:
    return InvalidValueError(
        "the case changed while this transition was being made; look at it again and retry",
        field="transition",
    )
