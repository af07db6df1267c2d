"""Upload a mission to a vehicle over MAVLink, read it back, and compare.

This is the ground-station side of the MAVLink mission protocol
(https://mavlink.io/en/services/mission.html), spoken with pymavlink:

* upload: ``MISSION_COUNT`` -> the vehicle asks for each item with ``MISSION_REQUEST_INT``
  (or the deprecated ``MISSION_REQUEST``) -> we answer ``MISSION_ITEM_INT`` -> the vehicle
  ends with ``MISSION_ACK``;
* download: ``MISSION_REQUEST_LIST`` -> ``MISSION_COUNT`` -> for each item we send
  ``MISSION_REQUEST_INT`` and get ``MISSION_ITEM_INT`` -> we end with ``MISSION_ACK``.

Whatever we sent last is sent again when no answer comes within ``timeout_s`` seconds, at
most ``retries`` times per step; then the transfer is cancelled and a one-line
:class:`MissionUploadError` says which step failed.

What we send
------------
The items exactly as given, item ``i`` as sequence number ``i``; nothing is inserted. ArduPilot
treats item 0 as home: it overwrites it with its own home position and returns that home on
download, so a mission for ArduPilot must carry a placeholder home as item 0 (a ``.waypoints``
file does; :func:`safeconduct.adapters.formats.mission_files.read_mission_file` inserts the
planned home of an ArduPilot ``.plan``, as QGroundControl does).
PX4 and others fly item 0 like any other.
:func:`upload_and_verify` therefore leaves item 0 out of the comparison when the vehicle's
heartbeat says ArduPilot, and compares the rest with what the vehicle's firmware keeps of
each item (:mod:`safeconduct.mission.firmware_storage`), chosen from the same heartbeat.
Every request, the deprecated ``MISSION_REQUEST`` included, is answered with
``MISSION_ITEM_INT`` (latitude and longitude as degrees x 1e7): the float32 ``MISSION_ITEM``
would cost about half a metre, and every current autopilot accepts the integer form. We
speak MAVLink 2 (``mission_type`` is a MAVLink 2 extension field) as system 255, component
190 (``MAV_COMP_ID_MISSIONPLANNER``), and send a GCS heartbeat once a second while we wait,
so that a vehicle listening on ``udpin`` learns where to answer.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pymavlink.dialects.v20 import common as mavlink2

from safeconduct.adapters.mavlink.connections import (
    ACCEPTED_CONNECTIONS,
    BadConnectionError,
    parse_connection,
)
from safeconduct.adapters.mavlink.opening import GCS_SYSTEM_ID, open_gcs_link
from safeconduct.limits import check_range
from safeconduct.mission.firmware_storage import StorageRule, storage_for
from safeconduct.mission.items import MissionItem
from safeconduct.mission.transfer import (
    ALT_TOLERANCE_M,
    LATLON_QUANTUM_DEG,
    ItemDifference,
    MissionUploadError,
    Progress,
    VerifyReport,
    check_mavlink_id,
    compare_missions,
)

#: Our identity on the link: a ground station (system 255, MAV_COMP_ID_MISSIONPLANNER).

#: Seconds between the GCS heartbeats we send while waiting.
HEARTBEAT_PERIOD_S = 1.0

#: Shortest default wait for the vehicle's first heartbeat, seconds (vehicles beat at 1 Hz).
MIN_HEARTBEAT_WAIT_S = 2.0

_FLOAT32_MAX = 3.4028234663852886e38


def mission_result_name(result: int) -> str:
    """``4`` -> ``"MAV_MISSION_NO_SPACE (mission items exceed storage space)"``."""
    entry = mavlink2.enums["MAV_MISSION_RESULT"].get(result)
    if entry is None or entry.name.endswith("ENUM_END"):
        return f"unknown MAV_MISSION_RESULT {result}"
    description = entry.description.strip().rstrip(".")
    return f"{entry.name} ({description[:1].lower()}{description[1:]})"


# ----------------------------------------------------------------------------- encoding


@dataclass(frozen=True)
class _Wire:
    """One item as MISSION_ITEM_INT carries it."""

    frame: int
    command: int
    autocontinue: int
    params: tuple[float, float, float, float]
    x: int
    y: int
    z: float


def _check_float32(value: float, what: str, seq: int) -> float:
    if math.isinf(value) or (not math.isnan(value) and abs(value) > _FLOAT32_MAX):
        raise MissionUploadError(f"item {seq}: {what} {value!r} does not fit a float32")
    return float(value)


def _encode(item: MissionItem, seq: int) -> _Wire:
    """Check one item against what MISSION_ITEM_INT can carry and convert it."""
    if not 0 <= int(item.command) <= 65535:
        raise MissionUploadError(f"item {seq}: command {item.command} is outside 0-65535")
    if not 0 <= int(item.frame) <= 255:
        raise MissionUploadError(f"item {seq}: frame {item.frame} is outside 0-255")
    for name, value, limit in (("latitude", item.lat, 90.0), ("longitude", item.lon, 180.0)):
        if not math.isfinite(value) or abs(value) > limit:
            raise MissionUploadError(
                f"item {seq}: {name} {value!r} is outside -{limit:g}..{limit:g} degrees"
            )
    params = tuple(
        _check_float32(p, f"param{i + 1}", seq) for i, p in enumerate(item.params)
    )
    return _Wire(
        frame=int(item.frame),
        command=int(item.command),
        autocontinue=1 if item.autocontinue else 0,
        params=params,  # type: ignore[arg-type]
        # Round, not truncate (as int() would): the nearest of the 1e-7 degree steps.
        x=round(item.lat * 1e7),
        y=round(item.lon * 1e7),
        z=_check_float32(item.alt, "altitude", seq),
    )


def _decode(msg: Any) -> MissionItem:
    """A MISSION_ITEM_INT (or legacy float MISSION_ITEM) as a :class:`MissionItem`."""
    if msg.get_type() == "MISSION_ITEM_INT":
        lat, lon = msg.x / 1e7, msg.y / 1e7
    else:
        lat, lon = float(msg.x), float(msg.y)
    return MissionItem(
        command=int(msg.command),
        frame=int(msg.frame),
        params=(msg.param1, msg.param2, msg.param3, msg.param4),
        lat=lat,
        lon=lon,
        alt=float(msg.z),
        autocontinue=bool(msg.autocontinue),
    )


# ----------------------------------------------------------------------------- the link


class MissionLink:
    """A MAVLink connection to one vehicle, for mission transfers.

    Opening it waits for a heartbeat from the vehicle; use it as a context manager so the
    connection is closed. :func:`upload_mission`, :func:`download_mission` and
    :func:`upload_and_verify` open one for a single job; keep one open to run many.

    Parameters
    ----------
    connection
        One of :data:`ACCEPTED_CONNECTIONS`.
    timeout_s
        Seconds to wait for each answer before sending our last message again.
    retries
        How many times one unanswered message is sent again before giving up.
    target_system, target_component
        The vehicle's MAVLink system and component ids (an autopilot is usually 1, 1).
    heartbeat_timeout_s
        Seconds to wait for the vehicle's first heartbeat; by default ``timeout_s`` but at
        least :data:`MIN_HEARTBEAT_WAIT_S`, since vehicles beat only once a second.

    Attributes
    ----------
    autopilot
        ``MAV_AUTOPILOT`` of the vehicle's heartbeat (3 ArduPilot, 12 PX4, 0 generic).

    Raises
    ------
    BadConnectionError
        If ``connection`` is malformed.
    InvalidValueError
        If the timeout, the retries or an id is out of range (ids are 1-255), before
        anything is opened.
    MissionUploadError
        If the connection cannot be opened or no heartbeat comes in time.
    """

    def __init__(
        self,
        connection: str,
        *,
        timeout_s: float = 5.0,
        retries: int = 3,
        target_system: int = 1,
        target_component: int = 1,
        heartbeat_timeout_s: float | None = None,
    ) -> None:
        # An infinite or absurd wait would hang the upload with no word (issue 18).
        check_range(timeout_s, field="timeout_s", lo=0.0, hi=600.0, unit="s",
                    what="a timeout", lo_open=True)  # fmt: skip
        check_range(retries, field="retries", lo=0, hi=100, unit="", what="a number of retries")
        check_mavlink_id(target_system, "target_system")
        check_mavlink_id(target_component, "target_component")
        self.connection = connection
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.target_system = int(target_system)
        self.target_component = int(target_component)
        self.autopilot: int = mavlink2.MAV_AUTOPILOT_GENERIC
        self._next_heartbeat = 0.0
        self._conn = _open(parse_connection(connection), connection)
        try:
            with self._guard():
                self._wait_heartbeat(
                    max(self.timeout_s, MIN_HEARTBEAT_WAIT_S)
                    if heartbeat_timeout_s is None
                    else heartbeat_timeout_s
                )
        except BaseException:
            self.close()
            raise

    # -- plumbing

    def close(self) -> None:
        """Close the connection (idempotent)."""
        conn, self._conn = getattr(self, "_conn", None), None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def __enter__(self) -> MissionLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn a broken link (socket errors, a closed TCP peer) into a one-line error."""
        try:
            yield
        except OSError as exc:
            raise MissionUploadError(
                f"lost the link to the vehicle on {self.connection}: {exc.strerror or exc}"
            ) from exc

    @property
    def item0_is_home(self) -> bool:
        """Whether the vehicle keeps its home in item 0 (ArduPilot)."""
        return self.autopilot == mavlink2.MAV_AUTOPILOT_ARDUPILOTMEGA

    @property
    def storage(self) -> StorageRule:
        """How the vehicle's firmware keeps mission items, from its heartbeat's autopilot."""
        return storage_for(self.autopilot)

    @property
    def _mav(self) -> Any:
        if self._conn is None:
            raise MissionUploadError("the MAVLink connection is closed")
        return self._conn.mav

    def _heartbeat_if_due(self) -> None:
        now = time.monotonic()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_PERIOD_S
            self._mav.heartbeat_send(
                mavlink2.MAV_TYPE_GCS, mavlink2.MAV_AUTOPILOT_INVALID, 0, 0, 0
            )

    def _messages(self, deadline: float) -> Iterator[Any]:
        """Yield every message that arrives before ``deadline`` (``time.monotonic``)."""
        while True:
            self._heartbeat_if_due()
            msg = self._conn.recv_msg() if self._conn is not None else None
            if msg is not None:
                if msg.get_type() != "BAD_DATA":
                    yield msg
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            # Wake at least once a second to keep our heartbeat going.
            self._conn.select(min(remaining, HEARTBEAT_PERIOD_S / 2))

    def _recv(self, types: frozenset[str], deadline: float, mission_type: int) -> Any | None:
        """The next mission message of ``types`` from our vehicle to us, or None."""
        for msg in self._messages(deadline):
            if msg.get_type() not in types or msg.get_srcSystem() != self.target_system:
                continue
            if getattr(msg, "target_system", 0) not in (0, GCS_SYSTEM_ID):
                continue  # meant for another ground station on the same link
            if getattr(msg, "mission_type", 0) != mission_type:
                continue
            return msg
        return None

    def _drain(self) -> None:
        """Drop what is already queued (late answers from an earlier transfer)."""
        with contextlib.suppress(Exception):
            while self._conn is not None and self._conn.recv_msg() is not None:
                pass

    def _wait_heartbeat(self, timeout_s: float) -> None:
        others: set[int] = set()
        for msg in self._messages(time.monotonic() + timeout_s):
            if msg.get_type() != "HEARTBEAT" or msg.autopilot == mavlink2.MAV_AUTOPILOT_INVALID:
                continue  # not a vehicle: another ground station, a radio, a camera
            if msg.get_srcSystem() == self.target_system:
                self.autopilot = int(msg.autopilot)
                return
            others.add(msg.get_srcSystem())
        if others:
            heard = ", ".join(str(s) for s in sorted(others))
            raise MissionUploadError(
                f"no heartbeat from system {self.target_system} on {self.connection} within "
                f"{timeout_s:g} s, only from system {heard}; give that as the target system"
            )
        raise MissionUploadError(
            f"no heartbeat from the vehicle on {self.connection} within {timeout_s:g} s; "
            "check the connection URL and that the vehicle is powered"
        )

    def _cancel(self, mission_type: int) -> None:
        """Tell the vehicle we gave up, so it does not wait for us (best effort)."""
        with contextlib.suppress(Exception):
            self._mav.mission_ack_send(
                self.target_system,
                self.target_component,
                mavlink2.MAV_MISSION_OPERATION_CANCELLED,
                mission_type,
            )

    # -- the transfers

    def upload(
        self,
        items: Sequence[MissionItem],
        *,
        mission_type: int = mavlink2.MAV_MISSION_TYPE_MISSION,
        progress: Progress | None = None,
    ) -> None:
        """Send ``items`` to the vehicle, replacing its mission.

        Parameters
        ----------
        items
            The mission, item ``i`` sent as sequence number ``i`` (see the module notes on
            item 0 and ArduPilot).
        mission_type
            ``MAV_MISSION_TYPE``: 0 mission, 1 fence, 2 rally points.
        progress
            Called as ``progress(items_sent, total)`` after each item.

        Raises
        ------
        MissionUploadError
            If an item cannot be encoded, the vehicle stops answering for
            ``timeout_s x (retries + 1)`` seconds, or it answers with an error
            ``MISSION_ACK`` (named in the message).
        """
        wires = [_encode(item, seq) for seq, item in enumerate(items)]
        with self._guard():
            self._upload(wires, mission_type, progress)

    def _upload(self, wires: list[_Wire], mission_type: int, progress: Progress | None) -> None:
        n = len(wires)
        if n > 65535:
            raise MissionUploadError(f"{n} items are more than MAVLink can count (65535)")
        mav = self._mav
        self._drain()

        def send_count() -> None:
            mav.mission_count_send(self.target_system, self.target_component, n, mission_type)

        def send_item(seq: int) -> None:
            w = wires[seq]
            mav.mission_item_int_send(
                self.target_system, self.target_component, seq, w.frame, w.command,
                0,  # current: not used in uploads
                w.autocontinue, *w.params, w.x, w.y, w.z, mission_type,
            )

        types = frozenset({"MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"})
        resend: Callable[[], None] = send_count
        last_seq = -1  # the item sent last; -1 while we wait for the first request
        highest = -1
        send_count()
        tries = 0
        deadline = time.monotonic() + self.timeout_s
        while True:
            msg = self._recv(types, deadline, mission_type)
            if msg is None:
                tries += 1
                if tries > self.retries:
                    self._cancel(mission_type)
                    raise MissionUploadError(self._upload_timeout_message(last_seq, n))
                resend()
                deadline = time.monotonic() + self.timeout_s
                continue
            if msg.get_type() == "MISSION_ACK":
                if msg.type == mavlink2.MAV_MISSION_ACCEPTED:
                    if highest == n - 1:
                        return
                    continue  # a late acceptance of an earlier upload
                at = f" at item {last_seq}" if last_seq >= 0 else ""
                raise MissionUploadError(
                    f"the vehicle refused the mission{at}: {mission_result_name(msg.type)}"
                )
            seq = int(msg.seq)
            if not 0 <= seq < n:
                continue  # a late request from an earlier, longer upload
            send_item(seq)
            last_seq, highest = seq, max(highest, seq)
            resend = lambda seq=seq: send_item(seq)  # noqa: E731
            tries = 0
            deadline = time.monotonic() + self.timeout_s
            if progress is not None:
                progress(highest + 1, n)

    def _upload_timeout_message(self, last_seq: int, n: int) -> str:
        waited = f"{self.timeout_s:g} s x {self.retries + 1} tries"
        if last_seq < 0:
            return (
                f"the vehicle never asked for the {n} items after MISSION_COUNT ({waited}); "
                "it may be busy, armed, or not accept missions from this link"
            )
        return (
            f"the vehicle stopped answering after item {last_seq} of {n} ({waited}); "
            "the upload was cancelled"
        )

    def download(
        self,
        *,
        mission_type: int = mavlink2.MAV_MISSION_TYPE_MISSION,
        progress: Progress | None = None,
    ) -> list[MissionItem]:
        """Read the vehicle's mission.

        Parameters
        ----------
        mission_type
            ``MAV_MISSION_TYPE``: 0 mission, 1 fence, 2 rally points.
        progress
            Called as ``progress(items_received, total)`` after each item.

        Returns
        -------
        list of MissionItem
            Latitude and longitude in degrees (multiples of 1e-7), altitude in metres,
            params as the vehicle's float32 values.

        Raises
        ------
        MissionUploadError
            If the vehicle stops answering or answers with an error ``MISSION_ACK``.
        """
        with self._guard():
            return self._download(mission_type, progress)

    def _download(self, mission_type: int, progress: Progress | None) -> list[MissionItem]:
        mav = self._mav
        self._drain()

        def ask(send: Callable[[], None], types: frozenset[str], accept: Callable[[Any], bool],
                what: str) -> Any:
            send()
            for _ in range(self.retries + 1):
                deadline = time.monotonic() + self.timeout_s
                while (msg := self._recv(types | {"MISSION_ACK"}, deadline, mission_type)):
                    if msg.get_type() == "MISSION_ACK":
                        if msg.type == mavlink2.MAV_MISSION_ACCEPTED:
                            continue  # belongs to an earlier transfer
                        raise MissionUploadError(
                            f"the vehicle refused to send {what}: {mission_result_name(msg.type)}"
                        )
                    if accept(msg):
                        return msg
                send()
            self._cancel(mission_type)
            raise MissionUploadError(
                f"the vehicle did not send {what} ({self.timeout_s:g} s x {self.retries + 1} "
                "tries); the download was cancelled"
            )

        count_msg = ask(
            lambda: mav.mission_request_list_send(
                self.target_system, self.target_component, mission_type
            ),
            frozenset({"MISSION_COUNT"}),
            lambda m: True,
            "its mission item count",
        )
        n = int(count_msg.count)
        items: list[MissionItem] = []
        for seq in range(n):
            msg = ask(
                lambda seq=seq: mav.mission_request_int_send(
                    self.target_system, self.target_component, seq, mission_type
                ),
                frozenset({"MISSION_ITEM_INT", "MISSION_ITEM"}),
                lambda m, seq=seq: m.seq == seq,
                f"item {seq} of {n}",
            )
            items.append(_decode(msg))
            if progress is not None:
                progress(seq + 1, n)
        mav.mission_ack_send(
            self.target_system, self.target_component, mavlink2.MAV_MISSION_ACCEPTED,
            mission_type,
        )
        return items


def _open(device: str, connection: str) -> Any:
    """Open a pymavlink connection that speaks MAVLink 2 from the start."""
    return open_gcs_link(device, connection, dialect=mavlink2, fail=MissionUploadError)


# ----------------------------------------------------------------------------- verifying


# ----------------------------------------------------------------------------- one-shot API


def upload_mission(
    connection: str,
    items: Sequence[MissionItem],
    *,
    timeout_s: float = 5.0,
    retries: int = 3,
    target_system: int = 1,
    target_component: int = 1,
    mission_type: int = mavlink2.MAV_MISSION_TYPE_MISSION,
    heartbeat_timeout_s: float | None = None,
    progress: Progress | None = None,
) -> None:
    """Upload a mission to the vehicle on ``connection``.

    Parameters
    ----------
    connection
        One of :data:`ACCEPTED_CONNECTIONS`, e.g. ``udpout:127.0.0.1:14540``.
    items
        The mission; item ``i`` is sent as sequence number ``i``, nothing is added.
    timeout_s
        Seconds to wait for each answer before resending.
    retries
        Resends of one unanswered message before giving up.
    target_system, target_component
        The vehicle's MAVLink ids.
    mission_type
        ``MAV_MISSION_TYPE`` (0 mission, 1 fence, 2 rally).
    heartbeat_timeout_s
        Seconds to wait for the vehicle's first heartbeat (see :class:`MissionLink`).
    progress
        ``progress(items_sent, total)``.

    Raises
    ------
    BadConnectionError
        If ``connection`` is malformed.
    MissionUploadError
        If the vehicle cannot be reached, stops answering, or refuses the mission.
    """
    with MissionLink(
        connection, timeout_s=timeout_s, retries=retries,
        target_system=target_system, target_component=target_component,
        heartbeat_timeout_s=heartbeat_timeout_s,
    ) as link:
        link.upload(items, mission_type=mission_type, progress=progress)


def download_mission(
    connection: str,
    *,
    timeout_s: float = 5.0,
    retries: int = 3,
    target_system: int = 1,
    target_component: int = 1,
    mission_type: int = mavlink2.MAV_MISSION_TYPE_MISSION,
    heartbeat_timeout_s: float | None = None,
    progress: Progress | None = None,
) -> list[MissionItem]:
    """Read the mission held by the vehicle on ``connection``.

    Parameters are as for :func:`upload_mission`.

    Returns
    -------
    list of MissionItem
        Degrees (multiples of 1e-7), metres, float32 params.
    """
    with MissionLink(
        connection, timeout_s=timeout_s, retries=retries,
        target_system=target_system, target_component=target_component,
        heartbeat_timeout_s=heartbeat_timeout_s,
    ) as link:
        return link.download(mission_type=mission_type, progress=progress)


def upload_and_verify(
    connection: str,
    items: Sequence[MissionItem],
    *,
    timeout_s: float = 5.0,
    retries: int = 3,
    target_system: int = 1,
    target_component: int = 1,
    mission_type: int = mavlink2.MAV_MISSION_TYPE_MISSION,
    item0_is_home: bool | None = None,
    storage: StorageRule | None = None,
    heartbeat_timeout_s: float | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Upload a mission, read it back over the same link, and compare item by item.

    Parameters
    ----------
    connection, items, timeout_s, retries, target_system, target_component, mission_type, \
heartbeat_timeout_s
        As for :func:`upload_mission`.
    item0_is_home
        Leave item 0 out of the comparison; ``None`` decides from the vehicle's heartbeat
        (true for ArduPilot, which keeps its home there).
    storage
        What the vehicle keeps of each item (whole centimetres, whole seconds, ...);
        ``None`` decides from the vehicle's heartbeat (ArduPilot, PX4, or an echo).
    progress
        ``progress(done, total)`` over both passes: total is twice the item count.

    Returns
    -------
    VerifyReport
        ``report.ok`` says whether the vehicle holds the mission sent; a mismatch is not
        raised, so the caller decides.
    """
    n = len(items)
    with MissionLink(
        connection, timeout_s=timeout_s, retries=retries,
        target_system=target_system, target_component=target_component,
        heartbeat_timeout_s=heartbeat_timeout_s,
    ) as link:
        link.upload(
            items,
            mission_type=mission_type,
            progress=None if progress is None else lambda done, total: progress(done, 2 * total),
        )
        received = link.download(
            mission_type=mission_type,
            progress=None if progress is None else lambda done, total: progress(n + done, 2 * n),
        )
        home = link.item0_is_home if item0_is_home is None else item0_is_home
        rule = link.storage if storage is None else storage
    return compare_missions(items, received, item0_is_home=home, storage=rule)


class MavlinkVehicleLinks:
    """:class:`~safeconduct.services.ports.VehicleLinks` over MAVLink (pymavlink)."""

    def upload_and_verify(
        self,
        connection: str,
        items: Sequence[MissionItem],
        *,
        timeout_s: float = 5.0,
        retries: int = 3,
        target_system: int = 1,
        progress: Progress | None = None,
    ) -> VerifyReport:
        return upload_and_verify(
            connection,
            items,
            timeout_s=timeout_s,
            retries=retries,
            target_system=target_system,
            progress=progress,
        )


__all__ = [
    "ACCEPTED_CONNECTIONS",
    "ALT_TOLERANCE_M",
    "LATLON_QUANTUM_DEG",
    "BadConnectionError",
    "ItemDifference",
    "MavlinkVehicleLinks",
    "MissionLink",
    "MissionUploadError",
    "Progress",
    "VerifyReport",
    "compare_missions",
    "download_mission",
    "mission_result_name",
    "parse_connection",
    "upload_and_verify",
    "upload_mission",
]
