"""Case assignments in the database: who, in which role, on which case (revision 0006)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from safeconduct.adapters.store.models import CaseAssignmentRow
from safeconduct.casework.assignment import Assignment
from safeconduct.casework.roles import Role


def _assignment(row: CaseAssignmentRow) -> Assignment:
    return Assignment(
        user=row.user_name,
        role=Role(row.role),
        assigned_at=row.assigned_at,
        assigned_by=row.assigned_by,
    )


class SqlAssignments:
    """:class:`~safeconduct.services.ports.CaseAssignments` on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, case_id: int, assignment: Assignment) -> bool:
        """Record ``assignment``; False (and nothing written) when it exists already."""
        key = (case_id, assignment.user, assignment.role.value)
        if self._session.get(CaseAssignmentRow, key) is not None:
            return False
        self._session.add(
            CaseAssignmentRow(
                case_id=case_id,
                user_name=assignment.user,
                role=assignment.role.value,
                assigned_at=assignment.assigned_at,
                assigned_by=assignment.assigned_by,
            )
        )
        self._session.flush()
        return True

    def remove(self, case_id: int, user: str, role: Role) -> bool:
        """Remove one assignment; whether there was one."""
        row = self._session.get(CaseAssignmentRow, (case_id, user, role.value))
        if row is None:
            return False
        self._session.delete(row)
        self._session.flush()
        return True

    def for_case(self, case_id: int) -> list[Assignment]:
        """The case's assignments, by role then user."""
        rows = self._session.scalars(
            sa.select(CaseAssignmentRow)
            .where(CaseAssignmentRow.case_id == case_id)
            .order_by(CaseAssignmentRow.role, CaseAssignmentRow.user_name)
        )
        return [_assignment(row) for row in rows]

    def is_assigned(self, case_id: int, user: str) -> bool:
        """Whether ``user`` is assigned to the case in any role."""
        found = self._session.scalar(
            sa.select(CaseAssignmentRow.case_id)
            .where(CaseAssignmentRow.case_id == case_id, CaseAssignmentRow.user_name == user)
            .limit(1)
        )
        return found is not None
