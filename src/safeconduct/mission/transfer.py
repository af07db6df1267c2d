"""A mission on its way to a vehicle: the file read, the item-by-item check, the error.

What a ground station sends is a list of :class:`~safeconduct.mission.items.MissionItem`
(:class:`MissionFile` when read from a file); what it reads back is compared with
:func:`compare_missions` against what the vehicle's firmware *keeps* of each item
(:mod:`safeconduct.mission.firmware_storage`: ArduPilot keeps whole centimetres, whole
seconds of loiter, frame 0 for commands without a position, ...), so that only a real
change is reported. The transfer itself is the MAVLink adapter's job
(:mod:`safeconduct.adapters.mavlink.upload`); a failed one raises
:class:`MissionUploadError`. No I/O here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from safeconduct.errors import InvalidValueError, SafeconductError
from safeconduct.mission.firmware_storage import (
    ECHO,
    LATLON_QUANTUM_DEG,
    StorageRule,
    float32,
    same_frame,
)
from safeconduct.mission.items import MissionItem

#: Altitude tolerance of a vehicle we know nothing of, metres (it may keep centimetres).
ALT_TOLERANCE_M = ECHO.alt_tolerance_m

#: ``progress(done, total)``: items transferred so far, of how many.
Progress = Callable[[int, int], None]


def check_mavlink_id(value: int, field: str) -> int:
    """``value`` if it is a MAVLink system or component id (1-255), else an error.

    Raises
    ------
    InvalidValueError
        Naming ``field``; 0 is the broadcast address, not a vehicle, and MAVLink carries
        ids in one byte.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 255:
        raise InvalidValueError(
            f"must be a MAVLink id from 1 to 255, not {value}; the vehicle's SYSID_THISMAV "
            "(ArduPilot) or MAV_SYS_ID (PX4) parameter holds it",
            field=field,
        )
    return value


class MissionUploadError(SafeconductError):
    """The vehicle could not be reached, stopped answering, or refused the mission."""


class MissionMismatchError(MissionUploadError):
    """The vehicle took the mission but holds something else than what it would keep.

    Parameters
    ----------
    report
        The item-by-item comparison; every difference, one per line, is the detail.
    """

    def __init__(self, report: VerifyReport) -> None:
        super().__init__(
            f"the vehicle does not hold the mission sent: {report.describe()}; upload it "
            "again, and if it persists do not fly it",
            detail="\n".join(str(d) for d in report.differences) or None,
        )
        self.report = report

    def __reduce__(self) -> tuple[type[MissionMismatchError], tuple[VerifyReport]]:
        # Rebuilt from its report (pickle, copy): the default would pass the message.
        return (type(self), (self.report,))


#: File name endings we read, and what they hold.
MISSION_FILE_KINDS = {".waypoints": "QGC WPL 110 waypoints", ".plan": "QGroundControl plan"}


@dataclass(frozen=True)
class MissionFile:
    """A mission read from a file.

    Attributes
    ----------
    path
        The file read.
    kind
        ``"waypoints"`` or ``"plan"``.
    items
        The items to upload, in order (item ``i`` goes as sequence number ``i``).
    home_inserted
        True when item 0 is a ``.plan``'s planned home, added for ArduPilot.
    """

    path: Path
    kind: str
    items: tuple[MissionItem, ...]
    home_inserted: bool = False

    def describe(self) -> str:
        """One line: ``"12 items from m.plan (QGroundControl plan; item 0 = planned home)"``."""
        what = MISSION_FILE_KINDS[f".{self.kind}"]
        home = "; item 0 = planned home, for ArduPilot" if self.home_inserted else ""
        return f"{len(self.items)} items from {self.path.name} ({what}{home})"


def _show(value: object) -> str:
    """A number as people read it: ``19.21``, ``19.1999989``, ``3``, ``nan``."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.9g}"
    return str(value)


@dataclass(frozen=True)
class ItemDifference:
    """One field of one item that the vehicle holds differently from what it would keep.

    Attributes
    ----------
    seq
        The item's sequence number.
    field
        ``command``, ``frame``, ``autocontinue``, ``param1``-``param4``, ``lat``, ``lon``
        or ``alt``.
    sent
        What was sent.
    received
        What the vehicle sent back.
    expected
        What the vehicle's firmware keeps of what was sent, when that is not ``sent``.
    firmware
        Whose storage rule gave ``expected`` (``"ArduPilot"``).
    """

    seq: int
    field: str
    sent: object
    received: object
    expected: object = None
    firmware: str = ""

    def __str__(self) -> str:
        kept = ""
        if self.firmware and _show(self.expected) != _show(self.sent):
            kept = f" ({self.firmware} keeps {_show(self.expected)})"
        return (
            f"item {self.seq}: {self.field} sent {_show(self.sent)}{kept}, "
            f"the vehicle has {_show(self.received)}"
        )


@dataclass(frozen=True)
class VerifyReport:
    """The item-by-item comparison of a mission sent and the mission read back.

    Attributes
    ----------
    sent, received
        Number of items sent and read back.
    differences
        Every field that differs from what the firmware keeps, beyond its quantum.
    notes
        Things compared leniently and why (ArduPilot's home in item 0).
    firmware
        Whose storage rule the comparison applied (``"ArduPilot"``, ``"PX4"``).
    """

    sent: int
    received: int
    differences: tuple[ItemDifference, ...] = ()
    notes: tuple[str, ...] = ()
    firmware: str = ""

    @property
    def ok(self) -> bool:
        """True when the vehicle holds what it keeps of the mission sent."""
        return self.sent == self.received and not self.differences

    def describe(self) -> str:
        """One line: ``"45 items sent, 45 read back, all match"`` or the first difference."""
        head = f"{self.sent} items sent, {self.received} read back"
        if self.ok:
            kept = f" as {self.firmware} keeps them" if self.firmware else ""
            return f"{head}, all match{kept}"
        parts = []
        if self.sent != self.received:
            parts.append("counts differ")
        n = len(self.differences)
        if n == 1:
            parts.append(f"1 difference: {self.differences[0]}")
        elif n:
            parts.append(f"{n} differences, the first: {self.differences[0]}")
        return f"{head}, " + "; ".join(parts)


def _same_param(expected: float, got: float, *, angle: bool, angle_tol: float) -> bool:
    a, b = float32(expected), float(got)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if angle:
        return abs((a - b + 180.0) % 360.0 - 180.0) <= angle_tol
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def compare_missions(
    sent: Sequence[MissionItem],
    received: Sequence[MissionItem],
    *,
    item0_is_home: bool = False,
    storage: StorageRule = ECHO,
    alt_tolerance_m: float | None = None,
) -> VerifyReport:
    """Compare what the vehicle would keep of the mission sent with what it sent back.

    Each sent item goes through ``storage.keeps`` (what the firmware stores and sends
    back: :mod:`safeconduct.mission.firmware_storage`), then is compared field by field:
    command, frame (the deprecated ``*_INT`` frames equal their plain forms) and
    autocontinue equal; params equal as float32 (NaN equals NaN; yaw angles modulo 360
    degrees where the rule says so); latitude and longitude within one 1e-7 degree step;
    altitude within ``alt_tolerance_m``.

    Parameters
    ----------
    sent, received
        The two missions.
    item0_is_home
        Leave item 0 out (ArduPilot replaces it with the vehicle's home); a note says so.
    storage
        The firmware's storage rule; :data:`~safeconduct.mission.firmware_storage.ECHO`
        (the vehicle echoes the message) by default.
    alt_tolerance_m
        Largest altitude difference taken as equal, metres; by default the rule's own
        (half of ArduPilot's centimetre, 1 mm for PX4's float32, 1 cm otherwise).

    Returns
    -------
    VerifyReport
    """
    tol = storage.alt_tolerance_m if alt_tolerance_m is None else alt_tolerance_m
    # An echo changes only float32 rounding: not worth a "keeps" in the messages.
    named = "" if storage is ECHO else storage.name
    diffs: list[ItemDifference] = []
    notes: list[str] = []
    for seq, (a, b) in enumerate(zip(sent, received, strict=False)):
        if seq == 0 and item0_is_home:
            notes.append(
                f"item 0 is the vehicle's home (ArduPilot) and was not compared: sent "
                f"{a.lat:.7f}, {a.lon:.7f}, {a.alt:g} m; the vehicle has {b.lat:.7f}, "
                f"{b.lon:.7f}, {b.alt:g} m"
            )
            continue
        kept = storage.keeps(a)

        def differ(field: str, s: object, k: object, r: object, seq: int = seq) -> None:
            diffs.append(ItemDifference(seq, field, s, r, k if named else None, named))

        if int(kept.command) != int(b.command):
            differ("command", int(a.command), int(kept.command), int(b.command))
        if not same_frame(kept.frame, b.frame):
            differ("frame", int(a.frame), int(kept.frame), int(b.frame))
        if bool(kept.autocontinue) != bool(b.autocontinue):
            differ("autocontinue", a.autocontinue, kept.autocontinue, b.autocontinue)
        angles = storage.angle_params.get(int(a.command), ())
        for i, (pa, pk, pb) in enumerate(zip(a.params, kept.params, b.params, strict=True)):
            if not _same_param(pk, pb, angle=i in angles, angle_tol=storage.angle_tolerance_deg):
                differ(f"param{i + 1}", pa, pk, pb)
        for name, va, vk, vb in (("lat", a.lat, kept.lat, b.lat), ("lon", a.lon, kept.lon, b.lon)):
            if abs(round(vk / LATLON_QUANTUM_DEG) - round(vb / LATLON_QUANTUM_DEG)) > 1:
                differ(name, va, vk, vb)
        alt_k, alt_b = float(kept.alt), float(b.alt)
        if not ((math.isnan(alt_k) and math.isnan(alt_b)) or abs(alt_k - alt_b) <= tol):
            differ("alt", a.alt, kept.alt, b.alt)
    return VerifyReport(len(sent), len(received), tuple(diffs), tuple(notes), named)


__all__ = [
    "ALT_TOLERANCE_M",
    "LATLON_QUANTUM_DEG",
    "MISSION_FILE_KINDS",
    "ItemDifference",
    "MissionFile",
    "MissionMismatchError",
    "MissionUploadError",
    "Progress",
    "VerifyReport",
    "check_mavlink_id",
    "compare_missions",
    "float32",
]
