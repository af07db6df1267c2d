"""A mission on its way to a vehicle: the file read, the item-by-item check, the error.

What a ground station sends is a list of :class:`~safeconduct.mission.items.MissionItem`
(:class:`MissionFile` when read from a file); what it reads back is compared with
:func:`compare_missions`, field by field within what the wire format can carry. The
transfer itself is the MAVLink adapter's job
(:mod:`safeconduct.adapters.mavlink.upload`); a failed one raises
:class:`MissionUploadError`. No I/O here.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from safeconduct.errors import SafeconductError
from safeconduct.mission.items import MissionItem

#: Tolerances of :func:`compare_missions`: one quantum of MISSION_ITEM_INT's degrees x 1e7
#: (about 1.1 cm; vehicles that truncate rather than round may be one off), and 1 cm of
#: altitude (ArduPilot stores centimetres).
LATLON_QUANTUM_DEG = 1e-7
ALT_TOLERANCE_M = 0.01

# The deprecated *_INT frames are the same frames; ArduPilot answers with the plain ones.
_FRAME_ALIASES = {5: 0, 6: 3, 11: 10}

#: ``progress(done, total)``: items transferred so far, of how many.
Progress = Callable[[int, int], None]


class MissionUploadError(SafeconductError):
    """The vehicle could not be reached, stopped answering, or refused the mission."""


class MissionMismatchError(MissionUploadError):
    """The vehicle took the mission but holds something else than what was sent.

    Parameters
    ----------
    report
        The item-by-item comparison; the differences are the error's detail.
    """

    def __init__(self, report: VerifyReport) -> None:
        super().__init__(
            f"the vehicle does not hold the mission sent: {report.describe()}",
            detail="\n".join(str(d) for d in report.differences),
        )
        self.report = report


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


@dataclass(frozen=True)
class ItemDifference:
    """One field of one item that the vehicle holds differently from what was sent."""

    seq: int
    field: str
    sent: object
    received: object

    def __str__(self) -> str:
        return f"item {self.seq}: {self.field} sent {self.sent!r}, vehicle has {self.received!r}"


@dataclass(frozen=True)
class VerifyReport:
    """The item-by-item comparison of a mission sent and the mission read back.

    Attributes
    ----------
    sent, received
        Number of items sent and read back.
    differences
        Every field that differs beyond the tolerances of :func:`compare_missions`.
    notes
        Things compared leniently and why (ArduPilot's home in item 0).
    """

    sent: int
    received: int
    differences: tuple[ItemDifference, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the vehicle holds exactly the mission that was sent."""
        return self.sent == self.received and not self.differences

    def describe(self) -> str:
        """One line: ``"12 items sent, 12 read back, all match"``."""
        head = f"{self.sent} items sent, {self.received} read back"
        if self.ok:
            return f"{head}, all match"
        parts = []
        if self.sent != self.received:
            parts.append("counts differ")
        if self.differences:
            parts.append(f"{len(self.differences)} differences, first: {self.differences[0]}")
        return f"{head}, " + "; ".join(parts)


def _same_param(sent: float, got: float) -> bool:
    a = float32(sent)
    if math.isnan(a) or math.isnan(got):
        return math.isnan(a) and math.isnan(got)
    return math.isclose(a, got, rel_tol=1e-6, abs_tol=1e-6)


def compare_missions(
    sent: Sequence[MissionItem],
    received: Sequence[MissionItem],
    *,
    item0_is_home: bool = False,
    alt_tolerance_m: float = ALT_TOLERANCE_M,
) -> VerifyReport:
    """Compare a mission sent with the one read back, item by item, field by field.

    Commands, frames (the deprecated ``*_INT`` frames equal their plain forms) and
    autocontinue must be equal; params equal as float32 (NaN equals NaN); latitude and
    longitude within one 1e-7 degree step; altitude within ``alt_tolerance_m`` metres.

    Parameters
    ----------
    sent, received
        The two missions.
    item0_is_home
        Leave item 0 out (ArduPilot replaces it with the vehicle's home); a note says so.
    alt_tolerance_m
        Largest altitude difference taken as equal, metres.

    Returns
    -------
    VerifyReport
    """
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
        if a.command != b.command:
            diffs.append(ItemDifference(seq, "command", int(a.command), int(b.command)))
        fa, fb = (_FRAME_ALIASES.get(int(f), int(f)) for f in (a.frame, b.frame))
        if fa != fb:
            diffs.append(ItemDifference(seq, "frame", int(a.frame), int(b.frame)))
        if bool(a.autocontinue) != bool(b.autocontinue):
            diffs.append(ItemDifference(seq, "autocontinue", a.autocontinue, b.autocontinue))
        for i, (pa, pb) in enumerate(zip(a.params, b.params, strict=True)):
            if not _same_param(pa, pb):
                diffs.append(ItemDifference(seq, f"param{i + 1}", pa, pb))
        for name, va, vb in (("lat", a.lat, b.lat), ("lon", a.lon, b.lon)):
            if abs(round(va * 1e7) - round(vb * 1e7)) > 1:
                diffs.append(ItemDifference(seq, name, va, vb))
        alt_a, alt_b = float32(a.alt), b.alt
        if not ((math.isnan(alt_a) and math.isnan(alt_b)) or abs(alt_a - alt_b) <= alt_tolerance_m):
            diffs.append(ItemDifference(seq, "alt", a.alt, b.alt))
    return VerifyReport(len(sent), len(received), tuple(diffs), tuple(notes))


def float32(value: float) -> float:
    """``value`` as the float32 a MAVLink message carries."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


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
    "compare_missions",
    "float32",
]
