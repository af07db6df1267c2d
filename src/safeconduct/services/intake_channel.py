"""The intake on a chat channel: the loop that a bot process runs.

Each round: take the channel's next updates (a long poll); hand each person's message to
:func:`safeconduct.services.intake.receive`, which commits it (with the flow's replies) in
one transaction; acknowledge the update to the channel only then; send the replies; deliver
what waits in the outbox (operators' replies, reminders), marking each one sent once the
channel took it; and, once a minute, queue the reminders that fell due.

Nothing the channel delivered is acknowledged before the intake committed it, so a crash,
a database outage or a bug in between leaves the update with the channel, which delivers it
again (the intake drops a message it already has, by its channel and message id). A message
that fails ``max_attempts`` times in a row while the store still answers a read is
acknowledged and counted as dropped (an error in the log, with its position and kind, never
its content), so that one bad message cannot stop the hotline for everyone else; while the
store does not answer, nothing is dropped and the loop backs off (up to 30 s) until it does.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from safeconduct.services.intake import IntakePorts, OutgoingMessage
    from safeconduct.services.ports import ChatChannel, ChatInput

_log = logging.getLogger(__name__)

SENT, RETRY, REFUSED = "sent", "retry", "refused"


@dataclass
class ChannelCounts:
    """What a bot process did, as counts (no content, no handle)."""

    received: int = 0  # person's messages the intake committed
    ignored: int = 0  # updates with no message for the intake (groups, buttons)
    failed: int = 0  # tries of receive() that raised
    dropped: int = 0  # messages acknowledged after max_attempts failures
    replies_sent: int = 0
    outbox_sent: int = 0
    refused: int = 0  # messages the channel will never deliver (bot blocked)
    reminders: int = 0
    rounds: int = 0


@dataclass
class _State:
    calls: IntakeCalls
    counts: ChannelCounts = field(default_factory=ChannelCounts)
    attempts: dict[int, int] = field(default_factory=dict)
    unsent: deque[OutgoingMessage] = field(default_factory=deque)
    refused_outbox: set[int] = field(default_factory=set)
    reminders_at: float | None = None
    channel_down: bool = False  # the channel answered "retry" in this round
    backlog: bool = False  # messages wait in the outbox since a "retry": they go first
    failures: int = 0


@dataclass(frozen=True)
class IntakeCalls:
    """The intake's use cases the loop calls (:mod:`safeconduct.services.intake`'s by
    default; a test may run the loop on a service of its own)."""

    receive: Callable[[Any, Any], list[Any]]
    pending_outbox: Callable[[Any, str], list[Any]]
    mark_sent: Callable[[Any, int], Any]
    due_reminders: Callable[[Any, datetime], int]


def intake_calls() -> IntakeCalls:
    """The use cases of :mod:`safeconduct.services.intake`."""
    from safeconduct.services import intake

    return IntakeCalls(
        receive=intake.receive,
        pending_outbox=intake.pending_outbox,
        mark_sent=intake.mark_sent,
        due_reminders=intake.due_reminders,
    )


@dataclass(frozen=True)
class ChannelPorts:
    """The intake's ports and the channel it talks through.

    ``sleep`` waits seconds (``time.sleep``); ``monotonic`` reads a clock in seconds for the
    reminders' schedule (``time.monotonic``); ``calls`` the intake's use cases (None:
    :func:`intake_calls`).
    """

    intake: IntakePorts
    channel: ChatChannel
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    calls: IntakeCalls | None = None


def _now(intake: Any) -> datetime:
    clock = getattr(intake, "clock", None)
    if clock is None:
        return datetime.now(UTC)
    now = clock() if callable(clock) else clock.now()
    return now if isinstance(now, datetime) else datetime.now(UTC)


def _deliver(ports: ChannelPorts, state: _State, reply: OutgoingMessage, *, reply_to: bool) -> str:
    """Send ``reply``; mark it sent in the outbox when it has an id there. A channel that
    answered "retry" is not tried again before the next round (the order of the messages
    is kept: the outbox gives them oldest first)."""
    if state.channel_down:
        return RETRY
    outcome = ports.channel.send(reply.recipient, reply.text, tuple(reply.quick_replies))
    if outcome == SENT:
        if reply_to:
            state.counts.replies_sent += 1
        else:
            state.counts.outbox_sent += 1
        if reply.outbox_id is not None:
            try:
                state.calls.mark_sent(ports.intake, reply.outbox_id)
            except Exception as error:  # sent twice at worst, once the outbox gives it again
                _log.warning("could not mark outbox message sent: %s", type(error).__name__)
    elif outcome == REFUSED:
        state.counts.refused += 1
        if reply.outbox_id is not None:
            state.refused_outbox.add(reply.outbox_id)
        _log.warning("the channel refused a message for good (the person blocked the bot?)")
    else:
        state.channel_down = state.backlog = True
    return outcome


def _store_answers(ports: ChannelPorts, state: _State) -> bool:
    """Whether the intake's store answers a read (the outbox): a message that fails while
    the store is down is the outage's, not its own, and is never dropped."""
    try:
        state.calls.pending_outbox(ports.intake, ports.channel.name)
    except Exception as error:
        _log.warning("the intake's store does not answer (%s)", type(error).__name__)
        return False
    return True


def _handle(ports: ChannelPorts, state: _State, batch: list[ChatInput], max_attempts: int) -> bool:
    """Handle ``batch`` in order; False when an update failed and was left with the
    channel (the rest of the batch comes again with it)."""

    for item in batch:
        if item.message is None:
            ports.channel.acknowledge(item.position)
            state.counts.ignored += 1
            continue
        try:
            replies = state.calls.receive(ports.intake, item.message)
        except Exception as error:
            state.counts.failed += 1
            tries = state.attempts.get(item.position, 0) + 1
            state.attempts[item.position] = tries
            if tries >= max_attempts and _store_answers(ports, state):
                _log.error(
                    "dropped update %d (%s) after %d failures (%s)",
                    item.position,
                    item.message.kind,
                    tries,
                    type(error).__name__,
                )
                ports.channel.acknowledge(item.position)
                state.attempts.pop(item.position, None)
                state.counts.dropped += 1
                continue
            _log.warning(
                "the intake failed on update %d (%s, try %d): %s; it stays with the channel",
                item.position,
                item.message.kind,
                tries,
                type(error).__name__,
            )
            return False
        ports.channel.acknowledge(item.position)
        state.attempts.pop(item.position, None)
        state.counts.received += 1
        for reply in replies:
            if reply.outbox_id is None and state.unsent:
                state.unsent.append(reply)  # keep the order behind what waits already
            elif _deliver(ports, state, reply, reply_to=True) == RETRY and reply.outbox_id is None:
                state.unsent.append(reply)
    return True


def _flush(ports: ChannelPorts, state: _State) -> None:
    """Send the replies kept after a failed send, then the outbox, until the channel fails."""

    while state.unsent:
        if _deliver(ports, state, state.unsent[0], reply_to=True) == RETRY:
            return
        state.unsent.popleft()
    for reply in state.calls.pending_outbox(ports.intake, ports.channel.name):
        if reply.outbox_id in state.refused_outbox:
            continue
        if _deliver(ports, state, reply, reply_to=False) == RETRY:
            return


def run_round(
    ports: ChannelPorts,
    state: _State,
    *,
    poll_timeout_s: float,
    reminders_every_s: float,
    max_attempts: int,
) -> None:
    """One round of the loop (see the module's description)."""

    state.counts.rounds += 1
    state.channel_down = False
    batch = list(ports.channel.receive(poll_timeout_s))
    if state.backlog and batch:
        state.backlog = False
        try:
            _flush(ports, state)
        except Exception as error:
            _log.warning("the outbox failed: %s", type(error).__name__)
        state.channel_down = False
    if _handle(ports, state, batch, max_attempts):
        state.failures = 0
    else:
        state.failures += 1
        ports.sleep(min(30.0, 0.5 * 2 ** (state.failures - 1)))
    now = ports.monotonic()
    if state.reminders_at is None or now >= state.reminders_at:
        try:
            state.counts.reminders += state.calls.due_reminders(ports.intake, _now(ports.intake))
        except Exception as error:
            _log.warning("reminders failed: %s", type(error).__name__)
        state.reminders_at = now + reminders_every_s
    try:
        _flush(ports, state)
    except Exception as error:
        _log.warning("the outbox failed: %s", type(error).__name__)


def run(
    ports: ChannelPorts,
    *,
    stop: Callable[[], bool],
    poll_timeout_s: float = 25.0,
    reminders_every_s: float = 60.0,
    max_attempts: int = 5,
) -> ChannelCounts:
    """Run rounds until ``stop()`` is true (checked between rounds: a long poll of
    ``poll_timeout_s`` seconds ends first); the counts. The channel is closed at the end,
    which confirms the acknowledged updates to its service."""
    state = _State(calls=ports.calls or intake_calls())
    try:
        while not stop():
            run_round(
                ports,
                state,
                poll_timeout_s=poll_timeout_s,
                reminders_every_s=reminders_every_s,
                max_attempts=max_attempts,
            )
    finally:
        ports.channel.close()
    return state.counts
