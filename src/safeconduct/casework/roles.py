"""Roles and who may read or write which data: the access table of GUIDE §2, as data.

Every access rule lives in :data:`POLICY`, one entry per (data class, role) that grants
anything; whatever has no entry is refused (the default is nothing). :func:`can` answers one
question from it. Services check it before every read and write; routes and pages only hide
what the service would refuse anyway.

The table (R read; W write, which includes read; - nothing; "own": only for cases or
operations assigned to that user or team):

==================  ========  =======  =====  =========  =========  =======  =====
data class          operator  planner  crew   reception  registrar  auditor  admin
==================  ========  =======  =====  =========  =========  =======  =====
conversation        W own     -        -      -          -          -        -
case_summary        W own     R        R own  R own      R          -        -
meeting             W own     W        R own  R own      -          -        -
plan                R         W        R own  R own      -          -        -
live_positions      -         R        W own  R own      -          -        -
reception           -         -        -      W own      R          -        -
identity            -         -        -      -          W          -        -
pow_documents       -         -        -      -          W          -        -
audit               -         -        -      -          -          R        -
administration      -         -        -      -          -          -        W
==================  ========  =======  =====  =========  =========  =======  =====

A user with several roles gets the union of what each grants. Nobody, the administrator
included, reads everything by default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from safeconduct.errors import InvalidValueError


class Role(StrEnum):
    """What a user does (GUIDE §2). The value is the stored and typed word."""

    OPERATOR = "operator"  # hotline / chat operator
    PLANNER = "planner"
    CREW = "crew"  # drone crew
    RECEPTION = "reception"  # reception / escort team
    REGISTRAR = "registrar"  # registration officer
    AUDITOR = "auditor"
    ADMIN = "admin"


def parse_role(text: str) -> Role:
    """The role named by ``text`` (case and surrounding spaces ignored).

    Raises
    ------
    InvalidValueError
        With ``field="role"``, listing the roles, when ``text`` names none.
    """
    word = text.strip().lower() if isinstance(text, str) else ""
    try:
        return Role(word)
    except ValueError:
        raise InvalidValueError(
            f"unknown role {text!r}; give one of {', '.join(r.value for r in Role)}",
            field="role",
        ) from None


#: The data classes, in the order of the GUIDE §2 table, each with what it holds.
DATA_CLASSES: Mapping[str, str] = MappingProxyType(
    {
        "conversation": "conversation, contact handle, caller's own words",
        "case_summary": "case code, language, status, group size, wounded yes/no",
        "meeting": "meeting window and point (approved)",
        "plan": "area, route, exposure, sorties, note, report",
        "live_positions": "live positions of drone and person",
        "reception": "arrival, health category, effects, receipts",
        "identity": "identity (Art. 17), Annex IV B and Art. 122 fields, prisoner number",
        "pow_documents": "capture card, evacuation list, NIB notifications",
        "audit": "audit trail (who did what, when; no personal content)",
        "administration": "users, roles, keys, retention settings",
    }
)

Grant = Literal["R", "W", "R own", "W own"]
Action = Literal["read", "write"]

_O, _P, _C, _RC, _RG, _AU, _AD = Role

#: (data class, role) -> grant. A pair with no entry grants nothing.
POLICY: Mapping[tuple[str, Role], Grant] = MappingProxyType(
    {
        ("conversation", _O): "W own",
        ("case_summary", _O): "W own",
        ("case_summary", _P): "R",
        ("case_summary", _C): "R own",
        ("case_summary", _RC): "R own",
        ("case_summary", _RG): "R",
        ("meeting", _O): "W own",
        ("meeting", _P): "W",
        ("meeting", _C): "R own",
        ("meeting", _RC): "R own",
        ("plan", _O): "R",
        ("plan", _P): "W",
        ("plan", _C): "R own",
        ("plan", _RC): "R own",
        ("live_positions", _P): "R",
        ("live_positions", _C): "W own",
        ("live_positions", _RC): "R own",
        ("reception", _RC): "W own",
        ("reception", _RG): "R",
        ("identity", _RG): "W",
        ("pow_documents", _RG): "W",
        ("audit", _AU): "R",
        ("administration", _AD): "W",
    }
)


def _grants(grant: Grant | None, action: Action, own: bool) -> bool:
    if grant is None:
        return False
    level, _, scope = grant.partition(" ")
    if scope == "own" and not own:
        return False
    # Writing includes reading; reading does not include writing.
    return level == "W" or action == "read"


def can(roles: Iterable[Role], action: Action, data_class: str, *, own: bool) -> bool:
    """Whether a user holding ``roles`` may ``action`` data of ``data_class``.

    Parameters
    ----------
    roles
        Every role the user holds; the answer is the union of what each grants.
    action
        ``"read"`` or ``"write"`` (write includes read).
    data_class
        A key of :data:`DATA_CLASSES`.
    own
        Whether the case or operation is assigned to the user or their team; rows marked
        "own" grant only then.

    Raises
    ------
    ValueError
        ``action`` or ``data_class`` is unknown: a mistake in the calling code, not the
        user's, and refused rather than silently denied so that tests catch it.
    """
    if action not in ("read", "write"):
        raise ValueError(f"action must be 'read' or 'write', not {action!r}")
    if data_class not in DATA_CLASSES:
        raise ValueError(f"unknown data class {data_class!r}; known: {', '.join(DATA_CLASSES)}")
    return any(_grants(POLICY.get((data_class, Role(r))), action, own) for r in roles)
