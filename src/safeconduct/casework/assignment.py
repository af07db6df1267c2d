"""Who works on a case besides its opener: the drone crews and reception teams assigned.

GUIDE §2 gives crews and reception teams their "own" cases only: the cases they are
assigned to. A planner assigns them (a crew flies the operation, a reception team meets the
person at the reception point); an assignment names one user and the role they work the
case in, which that user must hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from safeconduct.casework.roles import Role, parse_role
from safeconduct.errors import InvalidValueError

#: The roles a case is assigned to; every other role sees cases by its own rule.
ASSIGNABLE_ROLES: tuple[Role, ...] = (Role.CREW, Role.RECEPTION)


@dataclass(frozen=True)
class Assignment:
    """One user assigned to a case in one role.

    Attributes
    ----------
    user
        The assigned user's name.
    role
        :data:`ASSIGNABLE_ROLES`: the role they work the case in.
    assigned_at
        When, time-zone aware.
    assigned_by
        Who assigned them (a planner's name, or ``"console"``).
    """

    user: str
    role: Role
    assigned_at: datetime
    assigned_by: str

    def __post_init__(self) -> None:
        if self.assigned_at.tzinfo is None or self.assigned_at.utcoffset() is None:
            raise InvalidValueError("an assignment's time needs a time zone", field="assigned_at")
        assignable_role(self.role)


def assignable_role(text: str) -> Role:
    """The role ``text`` names, if a case can be assigned in it.

    Raises
    ------
    InvalidValueError
        ``field="role"``: not a role, or one that is not assigned to cases (the message
        names the roles that are).
    """
    role = parse_role(text)
    if role not in ASSIGNABLE_ROLES:
        raise InvalidValueError(
            f"a case is not assigned to a {role.value}; assign a "
            f"{' or a '.join(r.value for r in ASSIGNABLE_ROLES)}",
            field="role",
        )
    return role
