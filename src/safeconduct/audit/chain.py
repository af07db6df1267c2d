"""Audit entries chained by SHA-256, and the check that finds the first bad one.

Each entry records who (``user``, ``roles``) did what (``action``) to which record
(``record``: an id such as ``case:12``, ``prisoner:7``, ``user:anna``; never a name or a
number of a person), why (``purpose``, where the action needs one), and the SHA-256
``digest`` of what changed (never the content itself, so that a purge keeps the chain
whole). Entry ``n`` carries ``hash(n) = SHA-256(hash(n-1) || "\\n" || canonical(n))``,
starting from :data:`GENESIS` (64 zeros).

Canonical form
--------------
:func:`canonical_bytes` is the UTF-8 JSON object of the entry's eight fields, keys sorted,
no spaces (``separators=(",", ":")``), non-ASCII kept as is (``ensure_ascii=False``)::

    {"action":..,"at":"2026-11-27T15:50:15.123456Z","digest":..|null,"purpose":..|null,
     "record":..,"roles":[..],"seq":1,"user":..}

``at`` is UTC with six decimals and a ``Z``; ``roles`` is the sorted list of role names.

What a chain proves
-------------------
Anyone who can write the table can also recompute every hash after a change: a chain kept
in the same database alone proves only that nobody edited it *carelessly*. Checkpoints
(:class:`Checkpoint`: sequence number, head hash, time), signed and kept elsewhere, are
what catch a log rewritten, cut back or rolled back to an older state before them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from safeconduct.errors import InvalidValueError

#: The hash before the first entry.
GENESIS = "0" * 64

_HEX = frozenset("0123456789abcdef")


def _utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_sha256_hex(text: object) -> bool:
    """Whether ``text`` is 64 lower-case hex digits (a SHA-256 as this module writes it)."""
    return isinstance(text, str) and len(text) == 64 and set(text) <= _HEX


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry, before it is chained.

    Attributes
    ----------
    seq
        Sequence number, 1 for the first entry, each next one more by 1.
    at
        When it happened: time-zone aware, kept in UTC (microseconds).
    user
        Who acted: a user name, ``console``, or ``-`` for a sign-in by an unknown name.
    roles
        The roles the user acted in, sorted (empty for the console).
    action
        A short verb: ``login``, ``case.read``, ``prisoner.register``, ``export.nib``...
    record
        Which record: ``case:12``, ``prisoner:7``, ``user:anna``; no personal content.
    purpose
        Why, where the action needs a reason (an override, an export); else None.
    digest
        SHA-256 hex of the canonical form of what changed (:func:`content_digest`); None
        for a read or a sign-in.
    """

    seq: int
    at: datetime
    user: str
    roles: tuple[str, ...]
    action: str
    record: str
    purpose: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 1:
            raise InvalidValueError(
                f"an entry's sequence number starts at 1, not {self.seq!r}", field="seq"
            )
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            raise InvalidValueError("an entry's time must be time-zone aware", field="at")
        object.__setattr__(self, "at", self.at.astimezone(UTC))
        object.__setattr__(self, "roles", tuple(sorted(str(r) for r in self.roles)))
        for name in ("user", "action", "record"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InvalidValueError(f"an entry's {name} must be a non-empty text", field=name)
        if self.digest is not None and not is_sha256_hex(self.digest):
            raise InvalidValueError("an entry's digest is 64 lower-case hex digits", field="digest")


def canonical_bytes(entry: AuditEntry) -> bytes:
    """The entry's canonical form (see the module docstring): sorted-key compact JSON."""
    return json.dumps(
        {
            "action": entry.action,
            "at": _utc_text(entry.at),
            "digest": entry.digest,
            "purpose": entry.purpose,
            "record": entry.record,
            "roles": list(entry.roles),
            "seq": entry.seq,
            "user": entry.user,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def chain_hash(previous_hash: str, entry: AuditEntry) -> str:
    """SHA-256 hex over the previous entry's hash, a newline, and the canonical entry."""
    digest = hashlib.sha256(previous_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_bytes(entry))
    return digest.hexdigest()


def content_digest(changed: Any) -> str:
    """SHA-256 hex of the canonical JSON of ``changed`` (what a change wrote): keys sorted,
    compact; dates, times and other values as their ``str``/ISO form."""

    def default(value: Any) -> Any:
        if hasattr(value, "isoformat"):  # dates and times
            return value.isoformat()
        if isinstance(value, set | frozenset):
            return sorted(value, key=str)
        return str(value)

    text = json.dumps(
        changed, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainedEntry:
    """An entry as stored: with the hash it follows and its own hash."""

    entry: AuditEntry
    prev_hash: str
    hash: str

    @property
    def seq(self) -> int:
        return self.entry.seq


def chain(entries: Iterable[AuditEntry], previous_hash: str = GENESIS) -> Iterator[ChainedEntry]:
    """Chain ``entries`` (already numbered) after ``previous_hash``."""
    for entry in entries:
        own = chain_hash(previous_hash, entry)
        yield ChainedEntry(entry=entry, prev_hash=previous_hash, hash=own)
        previous_hash = own


@dataclass(frozen=True)
class Checkpoint:
    """A statement, signed elsewhere, that the log had entry ``seq`` with hash ``head``.

    Attributes
    ----------
    seq
        The sequence number of the head entry (0: the log was empty).
    head
        The head entry's hash (:data:`GENESIS` for an empty log).
    at
        When the checkpoint was taken, time-zone aware (UTC).
    """

    seq: int
    head: str
    at: datetime

    def canonical_bytes(self) -> bytes:
        """The bytes a signature covers: sorted-key compact JSON of the three fields."""
        return json.dumps(
            {"at": _utc_text(self.at), "head": self.head, "seq": self.seq},
            sort_keys=True,
            separators=(",", ":"),
        ).encode("ascii")


#: Why an entry is bad (:attr:`VerifyResult.reason`).
EDITED = "edited"
DELETED = "deleted"
INSERTED = "inserted"
REORDERED = "reordered"
CUT_BACK = "cut back"
ROLLED_BACK = "rolled back"


@dataclass(frozen=True)
class VerifyResult:
    """What verifying a chain found.

    Attributes
    ----------
    ok
        The chain is whole and agrees with every checkpoint.
    entries
        How many entries were read.
    head
        The last good entry's hash (:data:`GENESIS` when none).
    bad_seq
        The first bad entry's sequence number, or None.
    reason
        One of :data:`EDITED`, :data:`DELETED`, :data:`INSERTED`, :data:`REORDERED`,
        :data:`CUT_BACK`, :data:`ROLLED_BACK`; None when ``ok``.
    message
        One line for people.
    checkpoints
        How many checkpoints were checked.
    """

    ok: bool
    entries: int
    head: str
    bad_seq: int | None = None
    reason: str | None = None
    message: str = ""
    checkpoints: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)


def verify_chain(
    entries: Iterable[ChainedEntry], *, checkpoints: Sequence[Checkpoint] = ()
) -> VerifyResult:
    """Recompute the chain over ``entries`` (in the order stored) and check it against the
    signed ``checkpoints``; name the first bad entry and why.

    Streams: only the last two hashes are kept while the chain is good; after the first
    bad entry the rest is read to tell a reordering from a deletion or an insertion.

    Parameters
    ----------
    entries
        The stored entries, in sequence order as read.
    checkpoints
        Checkpoints whose signatures were already checked.
    """
    marks: dict[int, Checkpoint] = {}
    for cp in sorted(checkpoints, key=lambda c: (c.seq, c.at)):
        marks.setdefault(cp.seq, cp)
    previous, before_previous = GENESIS, None
    expected = 1
    count = 0
    iterator = iter(entries)
    zero = marks.get(0)
    if zero is not None and zero.head != GENESIS:
        return _bad(
            0,
            0,
            GENESIS,
            ROLLED_BACK,
            "the checkpoint of the empty log has a head hash other than the start",
            len(marks),
        )
    for row in iterator:
        count += 1
        seq = row.entry.seq
        if (
            seq != expected
            or row.prev_hash != previous
            or chain_hash(previous, row.entry) != row.hash
        ):
            rest = [row, *iterator]
            return _classify(
                rest, expected, previous, before_previous, count - 1 + len(rest), len(marks)
            )
        before_previous, previous = previous, row.hash
        mark = marks.get(seq)
        if mark is not None and mark.head != row.hash:
            return _bad(
                seq,
                count,
                before_previous,
                ROLLED_BACK,
                f"entry {seq} differs from the checkpoint of {_utc_text(mark.at)}: the log was "
                "rewritten or rolled back to an older state at or before it",
                len(marks),
            )
        expected += 1
    last = expected - 1
    beyond = [cp for cp in marks.values() if cp.seq > last]
    if beyond:
        cp = max(beyond, key=lambda c: c.seq)
        return _bad(
            last + 1,
            count,
            previous,
            CUT_BACK,
            f"the log ends at entry {last} but the checkpoint of {_utc_text(cp.at)} signed "
            f"entry {cp.seq}: entries {last + 1} to {cp.seq} were cut away",
            len(marks),
        )
    return VerifyResult(
        ok=True,
        entries=count,
        head=previous,
        message=f"{count} entries, chain intact, head {previous}",
        checkpoints=len(marks),
    )


def _bad(seq: int, count: int, head: str, reason: str, message: str, checked: int) -> VerifyResult:
    return VerifyResult(
        ok=False,
        entries=count,
        head=head,
        bad_seq=seq,
        reason=reason,
        message=f"entry {seq} {reason}: {message}" if seq else message,
        checkpoints=checked,
    )


def _classify(
    rest: list[ChainedEntry],
    expected: int,
    previous: str,
    before_previous: str | None,
    count: int,
    checked: int,
) -> VerifyResult:
    """Why ``rest[0]`` (found at the place of entry ``expected``) breaks the chain."""
    row = rest[0]
    seq = row.entry.seq
    later = {r.entry.seq for r in rest[1:]}
    hashes_later = {r.hash for r in rest[1:]}
    if seq != expected:
        if expected in later or (seq < expected and seq + 1 != expected and seq in later):
            return _bad(
                expected,
                count,
                previous,
                REORDERED,
                f"entry {seq} stands where entry {expected} belongs, which comes later",
                checked,
            )
        if seq > expected:
            gone = (
                f"entry {expected}" if seq == expected + 1 else f"entries {expected} to {seq - 1}"
            )
            return _bad(
                expected, count, previous, DELETED, f"{gone} missing (the next is {seq})", checked
            )
        return _bad(
            expected,
            count,
            previous,
            INSERTED,
            f"a second entry numbered {seq} stands after entry {expected - 1}",
            checked,
        )
    if row.prev_hash != previous:
        if row.prev_hash in hashes_later:
            return _bad(
                expected, count, previous, REORDERED, "it follows an entry stored after it", checked
            )
        if before_previous is not None and row.prev_hash == before_previous and expected > 1:
            return _bad(
                expected - 1,
                count,
                before_previous,
                INSERTED,
                f"entry {expected} follows entry {expected - 2}, not this one",
                checked,
            )
        if chain_hash(row.prev_hash, row.entry) == row.hash and before_previous is not None:
            # A whole entry consistent with another predecessor: one was put in between.
            return _bad(
                expected - 1,
                count,
                before_previous,
                INSERTED,
                f"entry {expected} does not follow it",
                checked,
            )
        return _bad(
            expected, count, previous, EDITED, "its link to the entry before was changed", checked
        )
    if row.hash in hashes_later or any(r.prev_hash == row.hash for r in rest[2:]):
        return _bad(
            expected, count, previous, REORDERED, "its hash belongs elsewhere in the log", checked
        )
    return _bad(expected, count, previous, EDITED, "it does not match its hash", checked)
