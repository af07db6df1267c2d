"""The one place where values a user gives are checked against what they may be.

Every physical quantity a command, a layer file or the web API takes (heights, distances,
speeds, factors, seconds, frame rates) is checked by :meth:`Range.check` or
:meth:`Range.problem`: a number, finite, within ``[lo, hi]`` in its unit. Each package
declares the ranges of its own quantities (``terrain.layers.OBSERVER_HEIGHT``, ...) with
:class:`Range`, so an option and the same attribute in a file share one rule.

Meeting times are read here too, for the note and the mission alike
(:func:`parse_time_zone`, :func:`parse_meeting_time`), and judged by one rule
(:func:`check_meeting_time`): not past, and not so far ahead that it is surely a typo (a
year centuries ahead would also overflow the calendar's arithmetic). Every refusal is an
:class:`~safeconduct.errors.InvalidValueError` or
:class:`~safeconduct.errors.OutOfRangeError` whose ``field`` names the input.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from safeconduct.errors import InvalidValueError, OutOfRangeError, SafeconductError

#: A meeting time further ahead than this is refused: surely a mistyped year (and one near
#: 9999 overflows the schedule's arithmetic). Generous, so that examples and tests may name
#: a far year such as 2099.
MEETING_HORIZON = dt.timedelta(days=100 * 366)
#: The example of a meeting time shown in messages.
ISO_EXAMPLE = "2025-03-14T06:30+02:00"


def _shown(value: float) -> str:
    if value.is_integer() and abs(value) < 1e12:
        return f"{value:,.0f}"
    return f"{value:g}"


@dataclass(frozen=True)
class Range:
    """The values a physical quantity may take: a finite number in ``[lo, hi]``.

    Attributes
    ----------
    lo, hi
        The bounds, in ``unit``.
    unit
        ``"m"``, ``"s"``, ``"m/s"``, ``"degrees"``, ``"frames per second"``, or ``""`` for a
        plain factor.
    what
        What the quantity is, for the message (``"an eye height above the ground"``).
    lo_open, hi_open
        The bound itself is excluded (``lo_open``: a range of 0 m is no range).
    """

    lo: float
    hi: float
    unit: str
    what: str
    lo_open: bool = False
    hi_open: bool = False

    def describe(self) -> str:
        """The admitted values for people: ``"from 0 to 1,000 m"``, ``"over 0, up to 240 ..."``."""
        unit = f" {self.unit}" if self.unit else ""
        lo, hi = _shown(float(self.lo)), _shown(float(self.hi))
        if not (self.lo_open or self.hi_open):
            return f"from {lo} to {hi}{unit}"
        low = f"over {lo}" if self.lo_open else f"from {lo}"
        high = f"under {hi}" if self.hi_open else f"up to {hi}"
        return f"{low}, {high}{unit}"

    def contains(self, value: object) -> bool:
        """Whether ``value`` is a finite number (not a bool) within the range."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        v = float(value)
        if not math.isfinite(v):
            return False
        above = v > self.lo if self.lo_open else v >= self.lo
        below = v < self.hi if self.hi_open else v <= self.hi
        return above and below

    def problem(self, value: object) -> str | None:
        """What is wrong with ``value`` in one phrase, or ``None`` when it is admitted.

        For values read from files, where the caller names the file, the feature and the
        attribute (``raise ValueError(f"height_m: {problem}")``).
        """
        if self.contains(value):
            return None
        wanted = f"give {self.what} {self.describe()}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{value!r} is not a number; {wanted}"
        if math.isnan(value):
            return f"nan is not a number; {wanted}"
        unit = f" {self.unit}" if self.unit and math.isfinite(value) else ""
        return f"{float(value):g}{unit} is out of range; {wanted}"

    def check(
        self, value: object, *, field: str, error: type[SafeconductError] = InvalidValueError
    ) -> float:
        """Return ``value`` as a float, or raise ``error`` naming ``field``.

        Raises
        ------
        InvalidValueError
            ``value`` is not a number, not finite, or out of range (``field`` names it).
        """
        message = self.problem(value)
        if message is not None:
            raise error(message, field=field)
        return float(value)  # type: ignore[arg-type]


def check_range(
    value: object,
    *,
    field: str,
    lo: float,
    hi: float,
    unit: str,
    what: str,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Check one quantity without declaring its :class:`Range` first (see :meth:`Range.check`)."""
    return Range(lo, hi, unit, what, lo_open, hi_open).check(value, field=field)


def parse_time_zone(name: str, *, field: str = "tz") -> ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Kyiv``).

    Raises
    ------
    InvalidValueError
        Not a zone: unknown, a folder of zones (``Europe``), too long, a path; ``field``.
    """
    text = name.strip()
    try:
        if not text or len(text) > 64 or text.startswith(("/", ".")) or ".." in text:
            raise ValueError(text)
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # IsADirectoryError (``Europe``) and "file name too long" are OSErrors.
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise InvalidValueError(
            f"unknown time zone {shown!r}; give an IANA name such as Europe/Kyiv or Europe/Moscow",
            field=field,
        ) from None


def parse_meeting_time(
    value: str | dt.datetime,
    zone: ZoneInfo | None = None,
    *,
    field: str = "meeting_time",
) -> dt.datetime:
    """Read a meeting time into an aware datetime (in ``zone`` when given).

    A time with an offset is converted to ``zone`` when given, else kept at its offset; a
    time without one is local time in ``zone``. Local times that a clock change skips or
    repeats are refused (give the offset to say which is meant).

    Raises
    ------
    InvalidValueError
        Unreadable, no zone at all, a local time that does not exist or is ambiguous in
        ``zone``, or a date the calendar cannot convert (year 1 or 9999 at an edge);
        ``field``.
    """
    if isinstance(value, dt.datetime):
        moment, shown = value, value.isoformat()
    else:
        shown = value.strip()
        try:
            moment = dt.datetime.fromisoformat(shown)
        except ValueError:
            raise InvalidValueError(
                f"cannot read {shown!r}; give ISO 8601 with a time zone, such as {ISO_EXAMPLE}",
                field=field,
            ) from None
    try:
        if moment.tzinfo is None or moment.utcoffset() is None:
            if zone is None:
                raise InvalidValueError(
                    f"{shown!r} has no time zone; add an offset ({ISO_EXAMPLE}) "
                    "or name the time zone it is in (such as Europe/Kyiv)",
                    field=field,
                )
            local = moment.replace(tzinfo=zone)
            round_trip = local.astimezone(dt.UTC).astimezone(zone)
            if round_trip.replace(tzinfo=None) != moment:
                raise InvalidValueError(
                    f"{shown!r} does not exist in {zone.key} (the clocks skip it); "
                    "give another time",
                    field=field,
                )
            if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
                raise InvalidValueError(
                    f"{shown!r} happens twice in {zone.key} (the clocks go back); "
                    f"add the offset to say which, as in {ISO_EXAMPLE}",
                    field=field,
                )
            return local
        moment.astimezone(dt.UTC)  # a time at the calendar's edge overflows here
        return moment.astimezone(zone) if zone is not None else moment
    except OverflowError:
        raise InvalidValueError(
            f"{shown!r} is out of the calendar's range; check the year", field=field
        ) from None


def check_meeting_time(
    moment: dt.datetime, now: dt.datetime, *, field: str = "meeting_time"
) -> dt.datetime:
    """The one rule for a meeting time, shared by the note and the mission.

    Raises
    ------
    InvalidValueError
        ``moment`` has no time zone.
    OutOfRangeError
        ``moment`` is not after ``now`` (a note or a sortie for a past time would send the
        person to a meeting no one keeps), or more than :data:`MEETING_HORIZON` (a century)
        ahead.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValueError(
            f"has no time zone; add one, e.g. {ISO_EXAMPLE} or ...Z", field=field
        )
    shown = moment.isoformat(timespec="minutes")
    try:
        past = moment <= now
        late = moment - now > MEETING_HORIZON
        now_shown = now.astimezone(moment.tzinfo).isoformat(timespec="minutes")
    except OverflowError:
        raise OutOfRangeError(f"{shown} is out of the calendar's range; check the year",
                              field=field) from None  # fmt: skip
    if past:
        raise OutOfRangeError(
            f"{shown} is already past (now {now_shown}); agree a new time", field=field
        )
    if late:
        raise OutOfRangeError(
            f"{shown} is more than a century ahead (now {now_shown}); check the year",
            field=field,
        )
    return moment


__all__ = [
    "ISO_EXAMPLE",
    "MEETING_HORIZON",
    "Range",
    "check_meeting_time",
    "check_range",
    "parse_meeting_time",
    "parse_time_zone",
]
