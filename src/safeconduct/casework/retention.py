"""How long a case is kept, by what became of it: the retention rules, as data and pure
functions (issue 13, "deletion on schedule").

Each case falls under one rule (:func:`rule_of`), counted from its last activity (its last
status change or its last message, whichever is later):

- ``contact``: the case never became an operation (no meeting was ever scheduled) and is
  not active: purged ``contact_days`` after its last activity.
- ``ended_operation``: it had an operation that ended before anyone arrived (aborted, lost
  contact, closed): purged ``ended_operation_days`` after.
- ``registration``: someone arrived, was received or registered (registered, transferred,
  released, deceased; or any case with an arrival, a receipt or a prisoner) and it is not
  active: reported as due for hand-over ``registration_handover_days`` after, never purged.
- ``active``: scheduled, planned, underway, arrived, in custody (work in progress): kept.

Registration data is kept as the law requires (GC III Art. 122-123: it goes to the
Information Bureau and the Central Tracing Agency) and handed over by people, never deleted
by a schedule: the purge only reports it as due for hand-over.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum

from safeconduct.casework.status import CaseStatus
from safeconduct.errors import InvalidValueError


class RetentionRule(StrEnum):
    """The rule a case falls under; the value is the word reports and settings use."""

    CONTACT = "contact"
    ENDED_OPERATION = "ended_operation"
    REGISTRATION = "registration"
    ACTIVE = "active"


class RetentionAction(StrEnum):
    """What a purge does with a case."""

    PURGE = "purge"  # delete it (its data keys destroyed)
    HAND_OVER = "hand_over"  # report it as due for hand-over; keep it
    KEEP = "keep"  # not due yet, or active


#: Work in progress: never due, whatever its age.
ACTIVE_STATUSES: frozenset[CaseStatus] = frozenset(
    {
        CaseStatus.SCHEDULED,
        CaseStatus.PLANNED,
        CaseStatus.UNDERWAY,
        CaseStatus.ARRIVED,
        CaseStatus.IN_CUSTODY,
    }
)
#: A person registered as a prisoner of war: registration data.
REGISTRATION_STATUSES: frozenset[CaseStatus] = frozenset(
    {CaseStatus.REGISTERED, CaseStatus.TRANSFERRED, CaseStatus.RELEASED, CaseStatus.DECEASED}
)

#: The longest period a setting may give, in days (100 years).
MAX_DAYS = 36_500


@dataclass(frozen=True)
class RetentionSettings:
    """The retention periods, in days after a case's last activity.

    Attributes
    ----------
    contact_days
        A contact that never became an operation is purged after this many days (30).
    ended_operation_days
        An operation aborted, lost or closed before anyone arrived is purged after this many
        days (90).
    registration_handover_days
        Registration data is reported as due for hand-over after this many days (365); it is
        never purged by the schedule.
    """

    contact_days: int = 30
    ended_operation_days: int = 90
    registration_handover_days: int = 365

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidValueError(
                    f"{item.name} must be a whole number of days, not {value!r}",
                    field=item.name,
                )
            if not 1 <= value <= MAX_DAYS:
                raise InvalidValueError(
                    f"{item.name} must be 1 to {MAX_DAYS} days, not {value}", field=item.name
                )

    def days(self, rule: RetentionRule) -> int | None:
        """The period of ``rule`` in days; None for active cases (no period)."""
        return {
            RetentionRule.CONTACT: self.contact_days,
            RetentionRule.ENDED_OPERATION: self.ended_operation_days,
            RetentionRule.REGISTRATION: self.registration_handover_days,
            RetentionRule.ACTIVE: None,
        }[rule]


@dataclass(frozen=True)
class CaseFacts:
    """What the retention rules look at of one case (nothing personal).

    Attributes
    ----------
    case_id
        The store's id.
    status
        The case's status.
    last_activity
        Its last status change or message, whichever is later (aware).
    had_operation
        A meeting was scheduled at some time (an operation existed).
    has_custody
        An arrival, a receipt or a registered prisoner is recorded for it.
    """

    case_id: int
    status: CaseStatus
    last_activity: datetime
    had_operation: bool
    has_custody: bool


@dataclass(frozen=True)
class Decision:
    """What a purge at a given time does with one case.

    Attributes
    ----------
    rule
        The rule the case falls under.
    action
        Purge it, report it for hand-over, or keep it.
    due_at
        When its period ends (None for an active case).
    """

    rule: RetentionRule
    action: RetentionAction
    due_at: datetime | None


def rule_of(facts: CaseFacts) -> RetentionRule:
    """The rule ``facts``'s case falls under (see the module's table)."""
    if facts.status in ACTIVE_STATUSES:
        return RetentionRule.ACTIVE
    if facts.status in REGISTRATION_STATUSES or facts.has_custody:
        return RetentionRule.REGISTRATION
    if facts.had_operation:
        return RetentionRule.ENDED_OPERATION
    return RetentionRule.CONTACT


def decide(facts: CaseFacts, settings: RetentionSettings, now: datetime) -> Decision:
    """What a purge at ``now`` (aware) does with the case of ``facts``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidValueError("the purge's time needs a time zone", field="now")
    rule = rule_of(facts)
    days = settings.days(rule)
    if days is None:
        return Decision(rule, RetentionAction.KEEP, None)
    due_at = facts.last_activity + timedelta(days=days)
    if now < due_at:
        return Decision(rule, RetentionAction.KEEP, due_at)
    action = (
        RetentionAction.HAND_OVER if rule is RetentionRule.REGISTRATION else RetentionAction.PURGE
    )
    return Decision(rule, action, due_at)
