"""Casework: surrender cases, their status, and who may see what. Pure: no I/O.

A case moves from first contact to custody through named transitions
(:mod:`.status`); a :class:`Case` is an immutable value holding its code, language, channel,
status and timeline (:mod:`.case`); :mod:`.roles` holds the roles and the access table of
GUIDE §2 as data. Storing cases is the store adapter's job; use cases that check the
policy and write the audit trail live in ``safeconduct.services``.

This package imports only the standard library, :mod:`safeconduct.errors` and the case codes
of :mod:`safeconduct.note.casecode` (which load no Babel), so it is cheap to import on
every request.

Public API
----------
- :class:`CaseStatus`, :data:`TRANSITIONS`, :func:`allowed_transitions`,
  :func:`apply_transition`, :class:`InvalidTransitionError`.
- :class:`Case`, :class:`CaseEvent`, :data:`CHANNELS`.
- :class:`Role`, :func:`parse_role`, :data:`POLICY`, :data:`DATA_CLASSES`, :func:`can`.
"""

from __future__ import annotations

from safeconduct.casework.case import CHANNELS, Case, CaseEvent
from safeconduct.casework.roles import DATA_CLASSES, POLICY, Role, can, parse_role
from safeconduct.casework.status import (
    TRANSITIONS,
    CaseStatus,
    InvalidTransitionError,
    allowed_transitions,
    apply_transition,
)

__all__ = [
    "CHANNELS",
    "DATA_CLASSES",
    "POLICY",
    "TRANSITIONS",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "InvalidTransitionError",
    "Role",
    "allowed_transitions",
    "apply_transition",
    "can",
    "parse_role",
]
