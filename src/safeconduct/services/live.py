"""The board's live map of a leading: where the drone and the person are, the crew's taps
marking the person, and whether the crew has engaged the leader.

Where a surrendering person walks is the most sensitive fact of all, and worthless a
minute later, so none of it is written to the database: each server process keeps the
latest state of every operation in memory (:class:`LiveMaps`) and sends every change to
the others through a :class:`~safeconduct.services.ports.LiveRelay`, so two processes
behind one address show the same map. A restarted process starts empty: the map fills
again with the leader's next positions (every second), and the engaged flag reads False
until the crew engages again or another process's newer setting reaches it (the safe
way round: a leader that reads False stops sending targets).

Who may do what is the access table's row ``live_positions`` (GUIDE §2): planners read
every operation's map, a crew reads and writes its own operations' (assigned to its
case), a reception team reads its own; nobody else. The crew's actions, engaging,
stopping and tapping, are audited in the usual transaction, before they take effect;
telemetry positions are never audited one by one (one a second from the leader: the
trail would hold nothing else), and neither are reads of the map.

Coordinates are WGS84 degrees (lat, lon); times ISO 8601 UTC.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from safeconduct.casework.roles import can
from safeconduct.errors import InvalidValueError, NotFoundError, PermissionDeniedError
from safeconduct.services import audit
from safeconduct.services.casework import Actor
from safeconduct.services.ports import (
    LiveDatabase,
    LivePosition,
    LiveRelay,
    LiveUnitOfWork,
    LiveUpdate,
    StoredOperation,
)

log = logging.getLogger("safeconduct.live")

#: The data class of everything here (GUIDE §2 row "live positions of drone and person").
DATA_CLASS = "live_positions"
#: What a position may be, and where it may come from.
KINDS = ("drone", "person")
SOURCES = ("vehicle", "crew_tap", "track", "detector")
#: The most positions one post may carry (a lead drone, a relief, the person, spares).
MAX_POSITIONS = 8
#: The longest leading status, characters.
MAX_STATUS = 200
#: The longest label, characters.
MAX_LABEL = 32
#: Seconds a position's time may be ahead of the board's clock (clocks drift a little).
MAX_AHEAD_S = 120.0
#: Seconds after which a position or a tap is no longer shown (stale, and sensitive).
STALE_S = 600.0
#: Taps kept per operation (the newest).
MAX_TAPS = 50
#: Seconds without any update after which an operation's map is forgotten altogether.
FORGET_S = 3600.0
#: Update ids remembered, so an update heard twice (own, relayed back) applies once.
_SEEN = 4096


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _stamp(moment: datetime) -> str:
    # One fixed form, so that stamps compare as text in every process.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


# ----------------------------------------------------------------- values


@dataclass(frozen=True)
class LiveTap:
    """A crew tap marking where the person is: ``id``, WGS84 ``lat``/``lon`` degrees, and
    ``at`` (ISO 8601 UTC)."""

    id: str
    lat: float
    lon: float
    at: str


@dataclass(frozen=True)
class LiveView:
    """An operation's live map as shown.

    Attributes
    ----------
    operation_id
        The operation.
    positions
        The latest position of each drone and of the person (by kind and label, in that
        order), not older than :data:`STALE_S`.
    status
        The leader's last one-line status (``""`` none).
    engaged
        Whether the crew pressed "Start leading" and did not stop it.
    taps
        The crew's taps of the last :data:`STALE_S` seconds, oldest first (the leader
        takes those it has not seen).
    updated_at
        When the map last changed (ISO 8601 UTC; ``""`` never).
    version
        Counts this process's changes of the map (the event stream sends a new view when
        it grows).
    """

    operation_id: int
    positions: tuple[LivePosition, ...] = ()
    status: str = ""
    engaged: bool = False
    taps: tuple[LiveTap, ...] = ()
    updated_at: str = ""
    version: int = 0


@dataclass
class _Map:
    positions: dict[tuple[str, str], LivePosition] = field(default_factory=dict)
    status: str = ""
    status_of: tuple[str, str] = ("", "")  # (at, id) of the update that set the status
    engaged: bool = False
    engaged_at: str = ""
    taps: dict[str, LiveTap] = field(default_factory=dict)
    updated_at: str = ""
    version: int = 0


def _order(position: LivePosition) -> tuple[str, float, float, str]:
    # Newest first; a tie (two reports of one instant) broken by value, the same everywhere.
    return (position.at, position.lat, position.lon, position.source)


class LiveMaps:
    """Every operation's live map in this process's memory; thread-safe.

    Updates come from this process's requests and from the relay's listener thread;
    :meth:`apply` takes each once (by its id), whichever way it arrives first. Every rule
    of the merge is an order (the newest position of each drone, the status of the newest
    update, the newest taps, the newest setting of the flag, a stop winning a tie), so
    processes that heard the same updates in any order show the same map.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._maps: dict[int, _Map] = {}
        self._seen: set[str] = set()
        self._order: deque[str] = deque()
        self._wakers: set[Callable[[], None]] = set()

    def apply(self, update: LiveUpdate) -> bool:
        """Apply ``update`` unless it was already; whether it was new."""
        with self._lock:
            if update.id in self._seen:
                return False
            self._seen.add(update.id)
            self._order.append(update.id)
            if len(self._order) > _SEEN:
                self._seen.discard(self._order.popleft())
            self._forget_old(update.at)
            live = self._maps.setdefault(update.operation_id, _Map())
            if update.kind == "positions":
                for position in update.positions:
                    key = (position.kind, position.label)
                    known = live.positions.get(key)
                    if known is None or _order(known) < _order(position):
                        live.positions[key] = position
                if live.status_of < (update.at, update.id):
                    live.status, live.status_of = update.status, (update.at, update.id)
            elif update.kind == "tap" and update.positions:
                tap = update.positions[0]
                live.taps[update.id] = LiveTap(update.id, tap.lat, tap.lon, tap.at)
                if len(live.taps) > MAX_TAPS:
                    newest = sorted(live.taps.values(), key=lambda t: (t.at, t.id))[-MAX_TAPS:]
                    live.taps = {t.id: t for t in newest}
            # The newest setting of the flag wins, whichever update carried it; of two
            # settings made at the same instant, the stop.
            if update.engaged_at > live.engaged_at or (
                update.engaged_at == live.engaged_at and live.engaged and not update.engaged
            ):
                live.engaged, live.engaged_at = update.engaged, update.engaged_at
            live.updated_at = max(live.updated_at, update.at)
            live.version += 1
            wakers = list(self._wakers)
        for wake in wakers:
            try:
                wake()
            except Exception:  # a closed event loop must not stop the others' news
                log.debug("a live-map subscriber could not be woken", exc_info=True)
        return True

    def _forget_old(self, at: str) -> None:
        now = _parse_time(at)
        if now is None:
            return
        cutoff = _stamp(now - timedelta(seconds=FORGET_S))
        for key in [k for k, m in self._maps.items() if m.updated_at and m.updated_at < cutoff]:
            del self._maps[key]

    def engaged(self, operation_id: int) -> tuple[bool, str]:
        """The engaged flag of an operation and when it was set (``""``: never)."""
        with self._lock:
            live = self._maps.get(operation_id)
            return (live.engaged, live.engaged_at) if live is not None else (False, "")

    def view(self, operation_id: int, *, now: datetime | None = None) -> LiveView:
        """The operation's map as shown at ``now`` (stale positions and taps left out)."""
        cutoff = _stamp(_now(now) - timedelta(seconds=STALE_S))
        with self._lock:
            live = self._maps.get(operation_id)
            if live is None:
                return LiveView(operation_id)
            return LiveView(
                operation_id=operation_id,
                positions=tuple(
                    live.positions[k]
                    for k in sorted(live.positions)
                    if live.positions[k].at >= cutoff
                ),
                status=live.status,
                engaged=live.engaged,
                taps=tuple(
                    sorted(
                        (t for t in live.taps.values() if t.at >= cutoff),
                        key=lambda t: (t.at, t.id),
                    )
                ),
                updated_at=live.updated_at,
                version=live.version,
            )

    def version(self, operation_id: int) -> int:
        """How many changes this process has applied to the operation's map."""
        with self._lock:
            live = self._maps.get(operation_id)
            return live.version if live is not None else 0

    def add_waker(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` (from any thread; it must return at once) after every change."""
        with self._lock:
            self._wakers.add(wake)

    def remove_waker(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wakers.discard(wake)


@dataclass(frozen=True)
class LivePorts:
    """What the live map reaches: the database (operations, assignments, audit), this
    process's maps, and the relay to the other processes (None: this process alone)."""

    database: LiveDatabase
    maps: LiveMaps
    relay: LiveRelay | None = None


def connect(ports: LivePorts) -> LivePorts:
    """Subscribe ``ports.maps`` to ``ports.relay`` (once per process, at start)."""
    if ports.relay is not None:
        ports.relay.subscribe(ports.maps.apply)
    return ports


# ----------------------------------------------------------------- access


def _may(actor: Actor, action: str, *, own: bool) -> bool:
    return actor.console or can(actor.roles, action, DATA_CLASS, own=own)  # type: ignore[arg-type]


def _refuse(actor: Actor, what: str) -> PermissionDeniedError:
    roles = ", ".join(actor.roles) or "no role"
    return PermissionDeniedError(f"{actor.name} ({roles}) may not {what}")


def _owns(actor: Actor, stored: StoredOperation, uow: LiveUnitOfWork) -> bool:
    # As for operations: "own" is the case's opener's and its assigned teams'.
    if stored.case_opened_by == actor.name:
        return True
    return uow.assignments.is_assigned(stored.operation.case_id, actor.name)


def _check(uow: LiveUnitOfWork, operation_id: int, actor: Actor, action: str) -> None:
    what = "see live positions" if action == "read" else "lead or mark the person"
    if not _may(actor, action, own=True):
        raise _refuse(actor, what)
    stored = uow.operations.get(operation_id)
    if stored is None:
        raise NotFoundError(f"there is no operation with id {operation_id}", field="id")
    if not _may(actor, action, own=_owns(actor, stored, uow)):
        raise _refuse(actor, f"{what} of operation {operation_id}")


def rights(ports: LivePorts, operation_id: int, *, actor: Actor) -> tuple[bool, bool]:
    """Whether ``actor`` may (read, write) the operation's live map (for the board's
    buttons; every use case checks again)."""
    if not _may(actor, "read", own=True):
        return False, False
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = uow.operations.get(operation_id)
        own = stored is not None and _owns(actor, stored, uow)
    if stored is None:
        return False, False
    return _may(actor, "read", own=own), _may(actor, "write", own=own)


def operation_of_case(ports: LivePorts, case_id: int) -> int | None:
    """The id of case ``case_id``'s operation, or None (no access check: callers pass it
    to :func:`rights`)."""
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = uow.operations.get_for_case(case_id)
    return stored.id if stored is not None else None


def require(ports: LivePorts, operation_id: int, *, actor: Actor, action: str = "read") -> None:
    """Refuse unless ``actor`` may ``action`` the operation's live map.

    Raises
    ------
    PermissionDeniedError, NotFoundError
    """
    with ports.database.unit_of_work(read_only=True) as uow:
        _check(uow, operation_id, actor, action)


# ----------------------------------------------------------------- values in


def _finite(value: object, low: float, high: float, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidValueError(f"{where}: {name} must be a number", field="positions")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidValueError(
            f"{where}: {name} {number!r} is not between {low:g} and {high:g} degrees",
            field="positions",
        )
    return number


def check_position(
    position: LivePosition, *, where: str = "position", now: datetime | None = None
) -> LivePosition:
    """``position`` checked (kind, source, finite WGS84 degrees, a time with its zone, not
    more than :data:`MAX_AHEAD_S` ahead of ``now``) and its time in the one UTC form the
    maps compare. (A time far ahead would hold its place on the map against every true
    position after it.)

    Raises
    ------
    InvalidValueError
        ``field="positions"``, naming what is wrong.
    """
    if position.kind not in KINDS:
        raise InvalidValueError(
            f"{where}: kind {position.kind!r} is not one of {', '.join(KINDS)}",
            field="positions",
        )
    if position.source not in SOURCES:
        raise InvalidValueError(
            f"{where}: source {position.source!r} is not one of {', '.join(SOURCES)}",
            field="positions",
        )
    lat = _finite(position.lat, -90.0, 90.0, "lat", where)
    lon = _finite(position.lon, -180.0, 180.0, "lon", where)
    moment = _parse_time(position.at)
    if moment is None:
        raise InvalidValueError(
            f"{where}: at {position.at!r} is not an ISO 8601 time with a zone",
            field="positions",
        )
    ahead = (moment - _now(now)).total_seconds()
    if ahead > MAX_AHEAD_S:
        raise InvalidValueError(
            f"{where}: at {position.at!r} is {ahead:.0f} s ahead of the board's clock; "
            "set the leader's clock right (NTP)",
            field="positions",
        )
    label = position.label.strip()
    if len(label) > MAX_LABEL:
        raise InvalidValueError(
            f"{where}: label is longer than {MAX_LABEL} characters", field="positions"
        )
    return replace(position, lat=lat, lon=lon, at=_stamp(moment), label=label)


def _update(
    ports: LivePorts, operation_id: int, kind: str, at: datetime, **values: object
) -> LiveUpdate:
    engaged, engaged_at = ports.maps.engaged(operation_id)
    fields: dict[str, object] = {"engaged": engaged, "engaged_at": engaged_at} | values
    return LiveUpdate(
        id=secrets.token_hex(8),
        operation_id=operation_id,
        kind=kind,
        at=_stamp(at),
        **fields,  # type: ignore[arg-type]
    )


def _spread(ports: LivePorts, update: LiveUpdate) -> None:
    """Apply ``update`` here at once (a reader right after sees it), then tell the others;
    the relay failing leaves this process right and is only logged."""
    ports.maps.apply(update)
    if ports.relay is None:
        return
    try:
        ports.relay.publish(update)
    except Exception as error:  # the relay is best effort; this process is up to date
        log.warning(
            "could not relay a live-map update of operation %d: %s", update.operation_id, error
        )


# ----------------------------------------------------------------- use cases


def post_positions(
    ports: LivePorts,
    operation_id: int,
    positions: Sequence[LivePosition],
    *,
    status: str = "",
    actor: Actor,
    now: datetime | None = None,
) -> LiveView:
    """Show the leader's ``positions`` and ``status`` on the operation's map (its crew).

    Not audited: one post a second carries telemetry, not a decision (the crew's
    decisions, :func:`engage`, :func:`disengage`, :func:`add_tap`, are).

    Raises
    ------
    PermissionDeniedError, NotFoundError
    InvalidValueError
        ``field="positions"`` (too many, or one malformed) or ``"status"`` (too long).
    """
    require(ports, operation_id, actor=actor, action="write")
    at = _now(now)
    if len(positions) > MAX_POSITIONS:
        raise InvalidValueError(
            f"{len(positions)} positions in one post; send at most {MAX_POSITIONS}",
            field="positions",
        )
    checked = tuple(
        check_position(p, where=f"position {n}", now=at) for n, p in enumerate(positions, start=1)
    )
    text = " ".join(status.split())
    if len(text) > MAX_STATUS:
        raise InvalidValueError(
            f"the status is longer than {MAX_STATUS} characters; shorten it", field="status"
        )
    _spread(ports, _update(ports, operation_id, "positions", at, positions=checked, status=text))
    return ports.maps.view(operation_id, now=at)


def live_view(
    ports: LivePorts, operation_id: int, *, actor: Actor, now: datetime | None = None
) -> LiveView:
    """The operation's live map (planners; its crew and reception team).

    Raises
    ------
    PermissionDeniedError, NotFoundError
    """
    require(ports, operation_id, actor=actor, action="read")
    return ports.maps.view(operation_id, now=now)


def add_tap(
    ports: LivePorts,
    operation_id: int,
    lat: float,
    lon: float,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> LiveTap:
    """Mark where the person is (a crew member's tap on the live map); audited.

    Raises
    ------
    PermissionDeniedError, NotFoundError
    InvalidValueError
        ``field="positions"``: a coordinate that is not finite WGS84 degrees.
    """
    at = _now(now)
    tap = check_position(LivePosition("person", lat, lon, _stamp(at), "crew_tap"), where="tap")
    with ports.database.unit_of_work() as uow:
        _check(uow, operation_id, actor, "write")
        # The trail says a tap was made; the place is only digested (GUIDE §3).
        audit.record(
            uow, actor, "live.tap", f"operation:{operation_id}",
            changed={"lat": tap.lat, "lon": tap.lon, "at": tap.at}, at=at,
        )  # fmt: skip
    update = _update(ports, operation_id, "tap", at, positions=(tap,))
    _spread(ports, update)
    return LiveTap(update.id, tap.lat, tap.lon, tap.at)


def _set_engaged(
    ports: LivePorts, operation_id: int, engaged: bool, actor: Actor, now: datetime | None
) -> LiveView:
    at = _now(now)
    action = "live.engage" if engaged else "live.disengage"
    with ports.database.unit_of_work() as uow:
        _check(uow, operation_id, actor, "write")
        audit.record(uow, actor, action, f"operation:{operation_id}", at=at)
    # The setting's own time decides against any other process's (the newest wins); it is
    # never older than this process's last one, even with a clock stepped back.
    stamp = _later(ports, operation_id, at)
    update = _update(ports, operation_id, "engaged", at, engaged=engaged, engaged_at=stamp)
    _spread(ports, update)
    return ports.maps.view(operation_id, now=at)


def _later(ports: LivePorts, operation_id: int, at: datetime) -> str:
    """A setting time after both ``at`` and the flag's last setting here."""
    last = _parse_time(ports.maps.engaged(operation_id)[1] or "")
    if last is not None and last >= at:
        at = last + timedelta(microseconds=1)
    return _stamp(at)


def engage(
    ports: LivePorts, operation_id: int, *, actor: Actor, now: datetime | None = None
) -> LiveView:
    """The crew's "Start leading": the leader may send targets; audited.

    Raises
    ------
    PermissionDeniedError, NotFoundError
    """
    return _set_engaged(ports, operation_id, True, actor, now)


def disengage(
    ports: LivePorts, operation_id: int, *, actor: Actor, now: datetime | None = None
) -> LiveView:
    """The crew's "Stop": the leader stops sending targets at once; audited.

    Raises
    ------
    PermissionDeniedError, NotFoundError
    """
    return _set_engaged(ports, operation_id, False, actor, now)
