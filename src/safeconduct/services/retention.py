"""The purge: cases whose retention period is over are deleted by destroying their data
keys (crypto-shredding) and their rows, and the purge is logged without their content.

For each case (:mod:`safeconduct.casework.retention` says which rule and when), in a
transaction of its own: the case is locked and decided again (a message or a status change
since the first look keeps it), its data keys (``case:<id>`` and each message's) destroyed,
its rows deleted (messages, arrivals and receipts of the case, assignments, operation and
plan jobs, timeline, the case; then the operation's plan files), and one audit entry
``purge`` appended with the record ``case:<id>`` and the digest of the counts.
Registration data is never deleted: it is counted as due for hand-over.

When any key was destroyed under the current master key (by this purge, an earlier one
whose rotation failed, or a deleted message), the master key is rotated right after
(:class:`~safeconduct.services.ports.MasterKeyRotation`) and ``key_rotate_after_purge``
logged: a copy of the database taken before the purge no longer opens with the current
key file, so the purged records are gone from backups too.

A dry run decides the same and changes nothing; it is not audited (it reads no personal
content). A purge run twice finds nothing more to do the second time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from safeconduct.casework.retention import (
    RetentionAction,
    RetentionRule,
    RetentionSettings,
    decide,
)
from safeconduct.errors import InvalidValueError
from safeconduct.services import audit
from safeconduct.services.casework import Actor, require_right
from safeconduct.services.ports import MasterKeyRotation, OperationFiles, RetentionDatabase


@dataclass(frozen=True)
class RetentionPorts:
    """What the purge reaches.

    Attributes
    ----------
    database
        The casework database.
    settings
        The retention periods.
    rotation
        Rotates the master key after keys were destroyed; None: no rotation (then copies
        taken before the purge still open with the key file: say so to the administrator).
    operation_files
        Removes a purged operation's plan files from the data folder; None: none to remove.
    clock
        The current time (UTC, aware).
    """

    database: RetentionDatabase
    settings: RetentionSettings = field(default_factory=RetentionSettings)
    rotation: MasterKeyRotation | None = None
    operation_files: OperationFiles | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


@dataclass(frozen=True)
class PurgeReport:
    """What a purge did (or, in a dry run, would do).

    Attributes
    ----------
    at
        The purge's time.
    dry_run
        Nothing was changed.
    purged
        Cases purged, per rule (``contact``, ``ended_operation``).
    handover_due
        Cases of registration data whose hand-over is due (kept).
    kept
        Cases kept, per rule (not due, or active).
    deleted
        Rows deleted and data keys destroyed, per kind (``cases``, ``messages``,
        ``data_keys``...); empty in a dry run.
    purged_case_ids
        The ids of the cases purged.
    rotated_to
        The new master key id when the master key was rotated, else None.
    rotation_owed
        Keys were destroyed under the current master key and it was not rotated (a dry
        run, or no rotation given): copies taken before still open them.
    """

    at: datetime
    dry_run: bool
    purged: dict[str, int]
    handover_due: int
    kept: dict[str, int]
    deleted: dict[str, int]
    purged_case_ids: tuple[int, ...]
    rotated_to: str | None = None
    rotation_owed: bool = False

    @property
    def total_purged(self) -> int:
        """How many cases were purged."""
        return sum(self.purged.values())


def _require(actor: Actor) -> None:
    # Retention settings and the purge are administration (GUIDE §2); the console may.
    require_right(actor, "write", ("administration",), own=False, what="purge cases")


def purge(
    ports: RetentionPorts,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    actor: Actor,
) -> PurgeReport:
    """Purge every case whose period is over at ``now``; see the module docstring.

    Parameters
    ----------
    now
        The time the periods are measured to (aware); by default the ports' clock.
    dry_run
        Decide and count only; change nothing.
    actor
        The console, or an administrator.

    Raises
    ------
    PermissionDeniedError
        The actor is no administrator.
    BadFileError
        ``field="key_file"``: the rotation after the purge failed (the purge itself is
        committed; run the purge again, which retries the rotation).
    """
    _require(actor)
    at = ports.clock() if now is None else now
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValueError("the purge's time needs a time zone", field="now")
    settings = ports.settings
    with ports.database.unit_of_work(read_only=True) as uow:
        facts = uow.retention.all_facts()
    purged: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    deleted: Counter[str] = Counter()
    handover = 0
    ids: list[int] = []
    for case in facts:
        decision = decide(case, settings, at)
        if decision.action is RetentionAction.HAND_OVER:
            handover += 1
            continue
        if decision.action is RetentionAction.KEEP:
            kept[decision.rule.value] += 1
            continue
        if dry_run:
            purged[decision.rule.value] += 1
            ids.append(case.case_id)
            continue
        with ports.database.unit_of_work() as uow:
            again = uow.retention.facts_of(case.case_id)
            if again is None:
                continue  # gone meanwhile
            decision = decide(again, settings, at)
            if decision.action is not RetentionAction.PURGE:
                kept[decision.rule.value] += 1
                continue
            operations = uow.retention.operation_ids(case.case_id)
            counts = uow.retention.purge_case(case.case_id, at=at)
            audit.record(
                uow,
                actor,
                "purge",
                f"case:{case.case_id}",
                changed={"rule": decision.rule.value, "counts": counts},
                at=at,
            )
        if ports.operation_files is not None:
            # After the commit: files left by a crash here hold no identity (route, note).
            counts["plan_folders"] = sum(ports.operation_files.remove(o) for o in operations)
        purged[decision.rule.value] += 1
        deleted.update(counts)
        ids.append(case.case_id)
    rotated_to = None
    owed = ports.rotation is not None and ports.rotation.owed()
    if owed and not dry_run and ports.rotation is not None:
        # Also owed after a rotation that failed before, or after messages deleted.
        old_id, rotated_to, count = ports.rotation.rotate()
        with ports.database.unit_of_work() as uow:
            audit.record(
                uow,
                actor,
                "key_rotate_after_purge",
                f"key:{rotated_to}",  # as every key operation (services.keys.key_record)
                changed={"from": old_id, "to": rotated_to, "rewrapped": count},
                at=at,
            )
    return PurgeReport(
        at=at,
        dry_run=dry_run,
        purged={rule.value: purged[rule.value] for rule in _PURGED_RULES},
        handover_due=handover,
        kept={rule.value: kept[rule.value] for rule in RetentionRule},
        deleted=dict(sorted(deleted.items())),
        purged_case_ids=tuple(ids),
        rotated_to=rotated_to,
        rotation_owed=owed and rotated_to is None,
    )


_PURGED_RULES = (RetentionRule.CONTACT, RetentionRule.ENDED_OPERATION)
