"""The status of a surrender case and the named transitions that move it.

A case runs ``contacted → scheduled → planned → underway → arrived → in_custody →
registered`` when all goes well, and on to ``transferred``, ``released`` or ``deceased`` as
the prisoner's captivity goes on (Art. 122 GC III); ``aborted``, ``lost_contact`` and
``closed`` when it does not. Every move is a
named transition (:data:`TRANSITIONS`); a move not allowed from the current status is refused
with :class:`InvalidTransitionError`, whose message names the moves that are allowed.

Why these transitions (GUIDE §1)
--------------------------------
The happy path, one step at a time, none skipped:

- ``schedule``: a meeting time and point are agreed with the person (hotline, chat, or a
  crew that saw someone signalling). Also allowed from ``scheduled`` and ``planned``, because
  the person often asks to move the meeting ("not at five, at six"); the plan's sorties are
  timed to the old window, so a planned case goes back to ``scheduled`` and is planned again.
  And from ``aborted``: an operation called off by our side (shelling, weather, no drone)
  leaves a person who still wants to come, and a new time is agreed with them.
- ``plan``: route, sorties and note computed for the agreed meeting. Only from ``scheduled``.
- ``launch``: the first drone is out and leading starts. Only from ``planned``: nobody flies
  without a plan. A drone relay (GUIDE §1 step 6: the person waits, the next drone takes
  over) is *not* a transition; the case stays ``underway``.
- ``arrive``: the person reached the reception point and the escorts. Only from ``underway``.
- ``take_into_custody``: searched and received; from now on a prisoner of war. Only from
  ``arrived``, so ``in_custody`` is never reached any other way. The reception team's
  record of the arrival makes it.
- ``register``: the registrar has recorded the Art. 17 fields (or that the prisoner declined
  to give them) and issued a prisoner number. Only from ``in_custody``: nobody is registered
  who was not received.

After registration the prisoner's own record (:mod:`safeconduct.custody.status`) follows
the captivity; the case follows the three outcomes the operation record needs to know of,
each only from ``registered`` (a prisoner is registered before leaving our hands):

- ``transfer``: handed over to another power (Art. 12). A move between our own camps is no
  transition.
- ``release``: released or repatriated.
- ``record_death``: died in captivity (Art. 120-121).

An escape or a hospital admission is notified to the Information Bureau but leaves the case
``registered``.

=====================  =====================================  ===============
transition             from                                   to
=====================  =====================================  ===============
``schedule``           contacted, scheduled, planned,         scheduled
                       aborted
``plan``               scheduled                              planned
``launch``             planned                                underway
``arrive``             underway                               arrived
``take_into_custody``  arrived                                in_custody
``register``           in_custody                             registered
``transfer``           registered                             transferred
``release``            registered                             released
``record_death``       registered                             deceased
``abort``              scheduled, planned, underway           aborted
``lose_contact``       contacted, scheduled, planned,         lost_contact
                       underway, aborted
``recontact``          lost_contact                           contacted
``close``              every status but underway and closed   closed
=====================  =====================================  ===============

When it goes wrong:

- ``abort``: our side calls the operation off. There is an operation to call off only from
  ``scheduled``, ``planned`` or ``underway``; a merely ``contacted`` case has none (close it
  instead), and once the person has ``arrived`` they stand with the escorts, so there is
  nothing left to call off.
- ``lose_contact``: the person goes silent or is not seen again (a missed meeting, a relief
  drone that finds nobody). Possible wherever we depend on hearing from them: ``contacted``,
  ``scheduled``, ``planned``, ``underway``, and ``aborted`` (waiting for a new time). Not once
  they have ``arrived`` or are ``in_custody``: they are physically with our people.
- ``recontact``: a person who went silent gets in touch again, or a crew sees them signalling
  again. It leads back to ``contacted``, not to where contact was lost: the agreed time and
  place are stale and the person may have moved, so a new meeting is agreed and planned. (A
  status has no memory of what came before it; a shortcut back to ``underway`` would also let
  a case that lost contact before any plan skip planning.)
- ``close``: the case ends. From ``in_custody``, ``registered``, ``transferred``,
  ``released`` and ``deceased`` (the normal ends: the operation record is done; the
  prisoner's record lives on apart from it) and from every status where no operation is
  live: ``contacted``, ``scheduled``, ``planned`` (the
  person withdraws or is screened out), ``aborted``, ``lost_contact`` (given up), and
  ``arrived`` (the person turned out not to be a combatant, or died of wounds before being
  received; why goes in the timeline). Never straight from ``underway``: a live operation
  must first say how it ended (arrived, aborted or lost contact), so the record keeps it.
  ``closed`` is terminal: no transition leaves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from safeconduct.errors import InvalidValueError


class CaseStatus(StrEnum):
    """Where a case stands. The value is the stored and displayed word."""

    CONTACTED = "contacted"
    SCHEDULED = "scheduled"
    PLANNED = "planned"
    UNDERWAY = "underway"
    ARRIVED = "arrived"
    IN_CUSTODY = "in_custody"
    REGISTERED = "registered"
    TRANSFERRED = "transferred"
    RELEASED = "released"
    DECEASED = "deceased"
    ABORTED = "aborted"
    LOST_CONTACT = "lost_contact"
    CLOSED = "closed"


_S = CaseStatus

#: The status every new case starts in.
INITIAL_STATUS = CaseStatus.CONTACTED

#: Statuses no transition leaves.
TERMINAL_STATUSES: frozenset[CaseStatus] = frozenset({CaseStatus.CLOSED})

#: Transition name -> (statuses it may start from, status it leads to). The reasons are in
#: the module docstring.
TRANSITIONS: Mapping[str, tuple[frozenset[CaseStatus], CaseStatus]] = MappingProxyType(
    {
        "schedule": (frozenset({_S.CONTACTED, _S.SCHEDULED, _S.PLANNED, _S.ABORTED}), _S.SCHEDULED),
        "plan": (frozenset({_S.SCHEDULED}), _S.PLANNED),
        "launch": (frozenset({_S.PLANNED}), _S.UNDERWAY),
        "arrive": (frozenset({_S.UNDERWAY}), _S.ARRIVED),
        "take_into_custody": (frozenset({_S.ARRIVED}), _S.IN_CUSTODY),
        "register": (frozenset({_S.IN_CUSTODY}), _S.REGISTERED),
        "transfer": (frozenset({_S.REGISTERED}), _S.TRANSFERRED),
        "release": (frozenset({_S.REGISTERED}), _S.RELEASED),
        "record_death": (frozenset({_S.REGISTERED}), _S.DECEASED),
        "abort": (frozenset({_S.SCHEDULED, _S.PLANNED, _S.UNDERWAY}), _S.ABORTED),
        "lose_contact": (
            frozenset({_S.CONTACTED, _S.SCHEDULED, _S.PLANNED, _S.UNDERWAY, _S.ABORTED}),
            _S.LOST_CONTACT,
        ),
        "recontact": (frozenset({_S.LOST_CONTACT}), _S.CONTACTED),
        "close": (frozenset(CaseStatus) - {_S.UNDERWAY, _S.CLOSED}, _S.CLOSED),
    }
)


class InvalidTransitionError(InvalidValueError):
    """A transition that is unknown, or not allowed from the case's current status.

    Its ``field`` is ``"transition"``; its message names the transitions allowed from the
    current status (or says the case is closed), or, for an unknown name, the known ones.

    Attributes
    ----------
    status
        The case's current status.
    transition
        The transition asked for, as given.
    allowed
        The transition names that would have been accepted, sorted.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = "transition",
        detail: str | None = None,
        status: CaseStatus | None = None,
        transition: str | None = None,
        allowed: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, field=field, detail=detail)
        self.status = status
        self.transition = transition
        self.allowed = allowed


def allowed_transitions(status: CaseStatus) -> tuple[str, ...]:
    """The names of the transitions allowed from ``status``, sorted (empty when closed)."""
    status = CaseStatus(status)
    return tuple(sorted(name for name, (sources, _) in TRANSITIONS.items() if status in sources))


def apply_transition(status: CaseStatus, name: str) -> CaseStatus:
    """The status that transition ``name`` leads to from ``status``.

    Parameters
    ----------
    status
        The case's current status.
    name
        A transition name from :data:`TRANSITIONS`, exactly as written there.

    Raises
    ------
    InvalidTransitionError
        ``name`` is not a known transition (the message lists the known ones), or it is not
        allowed from ``status`` (the message names the allowed ones, or says the case is
        closed and nothing may change it).
    """
    status = CaseStatus(status)
    if name not in TRANSITIONS:
        known = tuple(sorted(TRANSITIONS))
        raise InvalidTransitionError(
            f"unknown transition {name!r}; known transitions: {', '.join(known)}",
            status=status,
            transition=name,
            allowed=allowed_transitions(status),
        )
    sources, target = TRANSITIONS[name]
    if status in sources:
        return target
    allowed = allowed_transitions(status)
    if not allowed:
        message = (
            f"cannot {name}: the case is {status.value}, and a {status.value} case "
            "cannot change any more"
        )
    else:
        message = (
            f"cannot {name} a case that is {status.value}; from {status.value} the allowed "
            f"transitions are: {', '.join(allowed)}"
        )
    raise InvalidTransitionError(message, status=status, transition=name, allowed=allowed)
