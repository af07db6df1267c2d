"""The audit chain as values: its canonical form, and that any single tampering of a valid
chain is found (property test), named by the first bad entry and why."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from safeconduct.audit.chain import (
    CUT_BACK,
    DELETED,
    EDITED,
    GENESIS,
    INSERTED,
    REORDERED,
    ROLLED_BACK,
    AuditEntry,
    ChainedEntry,
    Checkpoint,
    canonical_bytes,
    chain,
    chain_hash,
    content_digest,
    verify_chain,
)
from safeconduct.errors import InvalidValueError

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ACTIONS = ("login", "case.open", "case.read", "prisoner.register", "export.nib")


def entries(n: int, start: int = 1) -> list[AuditEntry]:
    return [
        AuditEntry(
            seq=i,
            at=T0 + timedelta(seconds=i),
            user=f"user{i % 3}",
            roles=("registrar",) if i % 2 else ("operator", "planner"),
            action=ACTIONS[i % len(ACTIONS)],
            record=f"case:{i}",
            purpose="NIB" if i % 4 == 0 else None,
            digest=content_digest({"i": i}) if i % 2 == 0 else None,
        )
        for i in range(start, start + n)
    ]


def log(n: int) -> list[ChainedEntry]:
    return list(chain(entries(n)))


def head_checkpoint(stored: list[ChainedEntry]) -> Checkpoint:
    return Checkpoint(seq=stored[-1].seq, head=stored[-1].hash, at=T0 + timedelta(days=1))


def test_the_canonical_form_is_sorted_compact_json_in_utc() -> None:
    entry = AuditEntry(
        seq=3,
        at=datetime(2026, 11, 27, 14, 0, 0, 5, tzinfo=UTC).astimezone(),
        user="anna",
        roles=("registrar", "auditor"),
        action="prisoner.read",
        record="prisoner:7",
    )
    text = canonical_bytes(entry).decode()
    assert text == (
        '{"action":"prisoner.read","at":"2026-11-27T14:00:00.000005Z","digest":null,'
        '"purpose":null,"record":"prisoner:7","roles":["auditor","registrar"],"seq":3,'
        '"user":"anna"}'
    )
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_the_first_entry_follows_the_genesis_hash() -> None:
    first = log(1)[0]
    assert first.prev_hash == GENESIS == "0" * 64
    assert first.hash == chain_hash(GENESIS, first.entry)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"seq": 0}, "seq"),
        ({"at": datetime(2026, 1, 1)}, "at"),  # naive
        ({"user": ""}, "user"),
        ({"digest": "ABC"}, "digest"),
    ],
)
def test_a_malformed_entry_is_refused(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = dict(
        seq=1, at=T0, user="anna", roles=(), action="login", record="user:anna"
    )
    values.update(changes)
    with pytest.raises(InvalidValueError) as caught:
        AuditEntry(**values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_an_intact_chain_verifies_with_and_without_checkpoints() -> None:
    stored = log(20)
    result = verify_chain(stored)
    assert result.ok and result.entries == 20 and result.head == stored[-1].hash
    assert result.message == f"20 entries, chain intact, head {stored[-1].hash}"
    mid = Checkpoint(seq=10, head=stored[9].hash, at=T0)
    assert verify_chain(stored, checkpoints=[mid, head_checkpoint(stored)]).ok
    assert verify_chain([], checkpoints=[Checkpoint(0, GENESIS, T0)]).ok


def test_each_tampering_is_named_with_its_first_bad_entry() -> None:
    stored = log(10)
    cp = [head_checkpoint(stored)]

    edited = list(stored)
    edited[4] = replace(edited[4], entry=replace(edited[4].entry, record="case:99"))
    assert (verify_chain(edited).bad_seq, verify_chain(edited).reason) == (5, EDITED)

    deleted = stored[:4] + stored[5:]
    assert (verify_chain(deleted).bad_seq, verify_chain(deleted).reason) == (5, DELETED)

    swapped = list(stored)
    swapped[3], swapped[6] = swapped[6], swapped[3]
    assert (verify_chain(swapped).bad_seq, verify_chain(swapped).reason) == (4, REORDERED)

    # A forged entry chained properly onto entry 4, the later ones renumbered.
    forged = AuditEntry(seq=5, at=T0, user="mallory", roles=(), action="login", record="user:x")
    forged_row = ChainedEntry(forged, stored[3].hash, chain_hash(stored[3].hash, forged))
    renumbered = [replace(r, entry=replace(r.entry, seq=r.seq + 1)) for r in stored[4:]]
    inserted = [*stored[:4], forged_row, *renumbered]
    result = verify_chain(inserted)
    assert (result.bad_seq, result.reason) == (5, INSERTED)

    cut = stored[:7]
    assert verify_chain(cut).ok  # a chain alone cannot tell
    result = verify_chain(cut, checkpoints=cp)
    assert (result.bad_seq, result.reason) == (8, CUT_BACK)
    assert "entries 8 to 10 were cut away" in result.message

    # Rolled back to entry 6, then the service went on: a different entry 10.
    later = [replace(e, action="case.read") for e in entries(4, start=7)]
    rolled = stored[:6] + list(chain(later, stored[5].hash))
    result = verify_chain(rolled, checkpoints=cp)
    assert (result.bad_seq, result.reason) == (10, ROLLED_BACK)


def _tamper(stored: list[ChainedEntry], kind: str, data: st.DataObject) -> list[ChainedEntry]:
    n = len(stored)
    out = list(stored)
    if kind == "edit":
        i = data.draw(st.integers(0, n - 1))
        row = out[i]
        which = data.draw(
            st.sampled_from(
                [
                    "seq",
                    "at",
                    "user",
                    "roles",
                    "action",
                    "record",
                    "purpose",
                    "digest",
                    "prev_hash",
                    "hash",
                ]
            )
        )
        entry = row.entry
        if which == "seq":
            new = replace(row, entry=replace(entry, seq=data.draw(st.integers(1, 10 * n))))
        elif which == "at":
            new = replace(
                row,
                entry=replace(
                    entry, at=entry.at + timedelta(microseconds=data.draw(st.integers(1, 10**9)))
                ),
            )
        elif which == "roles":
            new = replace(
                row,
                entry=replace(
                    entry,
                    roles=tuple(
                        data.draw(
                            st.lists(
                                st.sampled_from(["admin", "auditor", "crew", "registrar"]),
                                max_size=3,
                            )
                        )
                    ),
                ),
            )
        elif which in ("user", "action", "record"):
            new = replace(
                row, entry=replace(entry, **{which: data.draw(st.text(min_size=1, max_size=12))})
            )
        elif which == "purpose":
            new = replace(
                row, entry=replace(entry, purpose=data.draw(st.none() | st.text(max_size=12)))
            )
        elif which == "digest":
            new = replace(
                row,
                entry=replace(
                    entry,
                    digest=data.draw(
                        st.none() | st.text("0123456789abcdef", min_size=64, max_size=64)
                    ),
                ),
            )
        else:
            new = replace(
                row, **{which: data.draw(st.text("0123456789abcdef", min_size=64, max_size=64))}
            )
        assume(new != row)
        out[i] = new
    elif kind == "delete":
        del out[data.draw(st.integers(0, n - 1))]
    elif kind == "insert":
        i = data.draw(st.integers(0, n - 1))  # before an existing entry
        seq = data.draw(st.integers(1, n + 1))
        previous = out[i - 1].hash if i else GENESIS
        forged = AuditEntry(
            seq=seq, at=T0, user="mallory", roles=(), action="login", record="user:x"
        )
        out.insert(i, ChainedEntry(forged, previous, chain_hash(previous, forged)))
    elif kind == "swap":
        i, j = data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        out[i], out[j] = out[j], out[i]
    else:  # truncate
        del out[data.draw(st.integers(0, n - 1)) :]
    return out


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(2, 12),
    kind=st.sampled_from(["edit", "delete", "insert", "swap", "truncate"]),
    data=st.data(),
)
def test_any_single_tampering_is_detected(n: int, kind: str, data: st.DataObject) -> None:
    stored = log(n)
    tampered = _tamper(stored, kind, data)
    result = verify_chain(tampered, checkpoints=[head_checkpoint(stored)])
    assert not result.ok
    assert result.reason in (EDITED, DELETED, INSERTED, REORDERED, CUT_BACK, ROLLED_BACK)
    assert result.bad_seq is not None and 1 <= result.bad_seq <= n + 1
    assert str(result.bad_seq) in result.message
