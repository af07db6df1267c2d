"""Where a prisoner stands, and the named transitions that move the record.

A prisoner record starts ``in_custody`` (taken and received) and is ``registered`` once the
registrar has issued a prisoner number. From there it leaves our custody by being
``transferred`` (handed to another power: Art. 12 GC III), ``released`` or ``deceased``, or
by an ``escaped`` prisoner. A move to another camp of the same power is not a transition:
the record stays ``registered`` with its new present address. Those four are terminal here:
what happens after a hand-over is the other power's record, and a recaptured prisoner is
registered again under the rules of Art. 92 (not modelled).

======================  ==================  =============
transition              from                to
======================  ==================  =============
``register``            ``in_custody``      ``registered``
``transfer``            ``registered``      ``transferred``
``release``             ``registered``      ``released``
``record_death``        ``registered``      ``deceased``
``record_escape``       ``registered``      ``escaped``
======================  ==================  =============
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from safeconduct.errors import InvalidValueError


class CustodyStatus(StrEnum):
    """Where a prisoner stands. The value is the stored and displayed word."""

    IN_CUSTODY = "in_custody"
    REGISTERED = "registered"
    TRANSFERRED = "transferred"
    RELEASED = "released"
    DECEASED = "deceased"
    ESCAPED = "escaped"


_S = CustodyStatus

#: The status a prisoner record starts in.
INITIAL_STATUS = CustodyStatus.IN_CUSTODY

#: Statuses no transition leaves.
TERMINAL_STATUSES: frozenset[CustodyStatus] = frozenset(
    {_S.TRANSFERRED, _S.RELEASED, _S.DECEASED, _S.ESCAPED}
)

#: Transition name -> (statuses it may start from, status it leads to).
TRANSITIONS: Mapping[str, tuple[frozenset[CustodyStatus], CustodyStatus]] = MappingProxyType(
    {
        "register": (frozenset({_S.IN_CUSTODY}), _S.REGISTERED),
        "transfer": (frozenset({_S.REGISTERED}), _S.TRANSFERRED),
        "release": (frozenset({_S.REGISTERED}), _S.RELEASED),
        "record_death": (frozenset({_S.REGISTERED}), _S.DECEASED),
        "record_escape": (frozenset({_S.REGISTERED}), _S.ESCAPED),
    }
)


class CustodyTransitionError(InvalidValueError):
    """A custody transition that is unknown or not allowed from the prisoner's status.

    Its ``field`` is ``"transition"``; ``allowed`` holds the names that would have been
    accepted, sorted.
    """

    def __init__(
        self,
        message: str,
        *,
        status: CustodyStatus,
        transition: str,
        allowed: tuple[str, ...],
    ) -> None:
        super().__init__(message, field="transition")
        self.status = status
        self.transition = transition
        self.allowed = allowed


def allowed_transitions(status: CustodyStatus) -> tuple[str, ...]:
    """The names of the transitions allowed from ``status``, sorted."""
    status = CustodyStatus(status)
    return tuple(sorted(name for name, (sources, _) in TRANSITIONS.items() if status in sources))


def apply_transition(status: CustodyStatus, name: str) -> CustodyStatus:
    """The status transition ``name`` leads to from ``status``.

    Raises
    ------
    CustodyTransitionError
        ``name`` is unknown (the message lists the known ones) or not allowed from
        ``status`` (the message names the allowed ones, or says nothing may change).
    """
    status = CustodyStatus(status)
    allowed = allowed_transitions(status)
    if name not in TRANSITIONS:
        raise CustodyTransitionError(
            f"unknown transition {name!r}; known transitions: {', '.join(sorted(TRANSITIONS))}",
            status=status,
            transition=str(name),
            allowed=allowed,
        )
    sources, target = TRANSITIONS[name]
    if status in sources:
        return target
    if allowed:
        message = (
            f"cannot {name} a prisoner who is {status.value}; from {status.value} the allowed "
            f"transitions are: {', '.join(allowed)}"
        )
    else:
        message = (
            f"cannot {name}: the prisoner is {status.value}, and a {status.value} record "
            "cannot change any more"
        )
    raise CustodyTransitionError(message, status=status, transition=name, allowed=allowed)
