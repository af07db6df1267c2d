"""The live maps of several server processes agree: whatever order the relay delivers the
same updates in, and however often one arrives, every process shows the same map (a
property test), and the engaged flag is the newest setting's, a stop winning a tie."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.adapters.events.live import decode, encode
from safeconduct.services.live import MAX_TAPS, LiveMaps
from safeconduct.services.ports import LivePosition, LiveUpdate

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _stamp(seconds: int) -> str:
    return (START + timedelta(seconds=seconds)).isoformat(timespec="microseconds")


@st.composite
def updates(draw: st.DrawFn) -> list[LiveUpdate]:
    made: list[LiveUpdate] = []
    for n in range(draw(st.integers(1, 30))):
        kind = draw(st.sampled_from(["positions", "tap", "engaged"]))
        second = draw(st.integers(0, 120))
        set_at = draw(st.sampled_from(["", _stamp(draw(st.integers(0, 120)))]))
        spots = tuple(
            LivePosition(
                draw(st.sampled_from(["drone", "person"])),
                draw(st.sampled_from([48.1, 48.2, 48.3])),
                37.5,
                _stamp(draw(st.integers(0, 120))),
                "vehicle",
                draw(st.sampled_from(["", "lead", "relief"])),
            )
            for _ in range(draw(st.integers(1 if kind == "tap" else 0, 3)))
        )
        made.append(
            LiveUpdate(
                id=f"u{n}",
                operation_id=draw(st.sampled_from([1, 2])),
                kind=kind,
                at=_stamp(second),
                positions=spots,
                status=draw(st.sampled_from(["", "leading", "waiting"])),
                engaged=draw(st.booleans()),
                engaged_at=set_at,
            )
        )
    return made


@settings(max_examples=150, deadline=None)
@given(updates(), st.randoms(use_true_random=False))
def test_every_process_shows_the_same_map_whatever_the_order(
    sent: list[LiveUpdate], shuffler: random.Random
) -> None:
    first, second = LiveMaps(), LiveMaps()
    for update in sent:
        first.apply(update)
    shuffled = sent + sent[: len(sent) // 2]  # some heard twice (own, relayed back)
    shuffler.shuffle(shuffled)
    for update in shuffled:
        second.apply(update)
    now = START + timedelta(seconds=130)
    for operation in (1, 2):
        one, two = first.view(operation, now=now), second.view(operation, now=now)
        assert (one.positions, one.status, one.engaged, one.taps) == (
            two.positions,
            two.status,
            two.engaged,
            two.taps,
        )
        assert len(one.taps) <= MAX_TAPS
        # The flag is the newest setting's (a stop winning a tie).
        settings_made = [(u.engaged_at, not u.engaged) for u in sent if u.operation_id == operation]
        newest = max(settings_made, default=("", True))
        assert one.engaged is (False if newest[0] == "" else not newest[1])


def test_an_update_survives_the_notification_text() -> None:
    update = LiveUpdate(
        id="ab12",
        operation_id=7,
        kind="positions",
        at=_stamp(1),
        positions=(LivePosition("drone", 48.123456, 37.654321, _stamp(1), "vehicle", "lead"),),
        status="leading, 22 m ahead",
        engaged=True,
        engaged_at=_stamp(0),
    )
    assert decode(encode(update)) == update
