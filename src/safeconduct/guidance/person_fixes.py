"""Where the person is: fixes from several sources, gated before they may move the leader.

Three sources say where the person is, in decreasing order of trust:

- ``crew_tap``: a crew member marks the person on the board's live map (a human looked);
- ``track``: a recorded or live position track (a rehearsal walker, a GPS);
- ``detector``: the signal detector's person, its camera ray cast onto the DEM (a machine
  guessed, and a ray at a shallow angle can land far off).

Every fix is gated by :class:`FixGate` before it reaches the leading controller, because the
controller only ever moves the drone on (``person_s`` never decreases): a fix that lands
300 m ahead would send the drone 300 m ahead and leave the person behind. The rules:

1. A fix with a non-finite field, from the future (beyond ``future_tolerance_s``), older than
   ``max_age_s``, older than the newest accepted fix, or further than ``max_offset_m`` from
   the route, is rejected.
2. Plausibility: a fix is accepted only if it is within walking reach of *every* fix accepted
   in the last ``history_s`` seconds and of the newest accepted fix, however old:
   ``distance <= max_speed_ms * dt + tolerance_m`` (``tolerance_m`` absorbs the jitter of a
   tap or a GPS). Checking the whole window, not only the newest fix, stops a chain of small
   jumps from walking the estimate away faster than a person can.
3. Anchoring: before any fix is accepted, a crew tap or a track fix anchors the estimate on its
   own; a detector fix needs a second, consistent detector fix at least ``confirm_s`` later.
4. Re-anchoring (the earlier fixes were wrong, or the person was lost for a while): a fix that
   fails rule 2 is remembered as a candidate. A later fix consistent with such a candidate
   (``confirm_s`` or more apart) re-anchors the estimate at the pair if the less trusted of
   the two is *more* trusted than the newest accepted fix, or *as* trusted and the newest
   accepted fix is ``reanchor_gap_s`` old or more. A single fix therefore never moves the
   estimate beyond walking reach, whatever its source.

Coordinates are map metres ``(x, y)`` on the DEM's projected grid, the frame
:class:`~safeconduct.guidance.path.RoutePath` uses; times are seconds on the control loop's
clock. Pure computation: no I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from safeconduct.guidance.path import RoutePath


class FixSource(StrEnum):
    """Where a person fix came from (see the module docstring for the trust order)."""

    CREW_TAP = "crew_tap"
    TRACK = "track"
    DETECTOR = "detector"

    @property
    def trust(self) -> int:
        """Rank of trust: 2 for a crew tap, 1 for a track, 0 for the detector."""
        return _TRUST[self]


_TRUST = {FixSource.CREW_TAP: 2, FixSource.TRACK: 1, FixSource.DETECTOR: 0}


@dataclass(frozen=True)
class PersonFix:
    """One report of where the person is.

    Attributes
    ----------
    time_s
        When the person was there, seconds on the control loop's clock.
    x, y
        Map metres on the DEM's projected grid (the RoutePath's frame).
    source
        Where the fix came from.
    """

    time_s: float
    x: float
    y: float
    source: FixSource

    @property
    def xy(self) -> np.ndarray:
        """The position as ``[x, y]`` metres."""
        return np.array([self.x, self.y], dtype=np.float64)

    def distance_to(self, other: PersonFix) -> float:
        """Straight-line distance to ``other``, metres."""
        return math.hypot(self.x - other.x, self.y - other.y)


class RejectReason(StrEnum):
    """Why a fix was not accepted."""

    NOT_FINITE = "not_finite"
    FROM_FUTURE = "from_future"
    TOO_OLD = "too_old"
    SUPERSEDED = "superseded"
    OFF_CORRIDOR = "off_corridor"
    IMPLAUSIBLE_SPEED = "implausible_speed"
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class FixVerdict:
    """The gate's answer to one fix.

    Attributes
    ----------
    accepted
        True if the fix now counts for the estimate.
    reason
        Why it was rejected (``None`` when accepted).
    detail
        One line for a report: what was wrong, with the figures.
    reanchored
        True when this fix, with an earlier consistent candidate, replaced the estimate's
        history (rule 4 of the module docstring).
    """

    accepted: bool
    reason: RejectReason | None = None
    detail: str = ""
    reanchored: bool = False


def _reject(reason: RejectReason, detail: str) -> FixVerdict:
    return FixVerdict(False, reason, detail)


class FixGate:
    """Gate person fixes by age, route corridor, walking speed and source trust.

    Parameters
    ----------
    max_age_s
        A fix older than this (against ``now_s``) is refused, and the estimate lapses when its
        newest fix is this old, seconds.
    max_speed_ms
        Fastest plausible movement of the person, m/s (2.5: a brisk walk or a slow jog).
    tolerance_m
        Position error allowed on top of the walking reach, metres (a tap on a map, a GPS).
    history_s
        Window of accepted fixes a new fix must be consistent with, seconds.
    path, max_offset_m
        The route, and how far from it (metres) a fix may lie. Without a path, no
        corridor check is made.
    confirm_s
        Least time between two fixes for the second to confirm the first, seconds (two
        detections in the same burst of frames confirm nothing).
    reanchor_gap_s
        How old the newest accepted fix must be before an equally trusted pair of fixes may
        re-anchor the estimate, seconds.
    future_tolerance_s
        How far ahead of ``now_s`` a fix may be stamped (clock skew between sources), seconds.
    initial
        A fix to start from (e.g. the meeting point when leading starts), or None.

    Attributes
    ----------
    counts
        How many fixes were accepted (key ``"accepted"``) and rejected per
        :class:`RejectReason` value, for the closing report.
    """

    def __init__(
        self,
        *,
        max_age_s: float = 10.0,
        max_speed_ms: float = 2.5,
        tolerance_m: float = 5.0,
        history_s: float = 30.0,
        path: RoutePath | None = None,
        max_offset_m: float = 60.0,
        confirm_s: float = 1.0,
        reanchor_gap_s: float = 5.0,
        future_tolerance_s: float = 1.0,
        initial: PersonFix | None = None,
    ) -> None:
        figures = {
            "max_age_s": max_age_s,
            "max_speed_ms": max_speed_ms,
            "history_s": history_s,
            "max_offset_m": max_offset_m,
        }
        for name, value in figures.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, not {value!r}")
        for name, value in {
            "tolerance_m": tolerance_m,
            "confirm_s": confirm_s,
            "reanchor_gap_s": reanchor_gap_s,
            "future_tolerance_s": future_tolerance_s,
        }.items():
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be zero or more, not {value!r}")
        self.max_age_s = max_age_s
        self.max_speed_ms = max_speed_ms
        self.tolerance_m = tolerance_m
        self.history_s = history_s
        self.path = path
        self.max_offset_m = max_offset_m
        self.confirm_s = confirm_s
        self.reanchor_gap_s = reanchor_gap_s
        self.future_tolerance_s = future_tolerance_s
        self.counts: Counter[str] = Counter()
        self._history: list[PersonFix] = []  # accepted, oldest first; the newest is kept always
        self._candidates: list[PersonFix] = []  # rejected as implausible, kept to confirm
        if initial is not None:
            self._history.append(initial)

    @property
    def newest(self) -> PersonFix | None:
        """The newest accepted fix, however old, or None before any."""
        return self._history[-1] if self._history else None

    def estimate(self, now_s: float) -> PersonFix | None:
        """The person's position: the newest accepted fix, unless it is ``max_age_s`` old.

        Parameters
        ----------
        now_s
            Current time, seconds on the control loop's clock.
        """
        last = self.newest
        if last is None or now_s - last.time_s > self.max_age_s:
            return None
        return last

    def offer(self, fix: PersonFix, now_s: float) -> FixVerdict:
        """Judge ``fix`` at time ``now_s``; if it is accepted it becomes the estimate.

        Parameters
        ----------
        fix
            The reported position.
        now_s
            Current time, seconds on the control loop's clock.

        Returns
        -------
        FixVerdict
            Accepted, or rejected with the reason (the module docstring lists the rules).
        """
        verdict = self._judge(fix, now_s)
        self.counts["accepted" if verdict.accepted else str(verdict.reason)] += 1
        return verdict

    # -- the rules, in order --------------------------------------------------------------

    def _judge(self, fix: PersonFix, now_s: float) -> FixVerdict:
        if not all(math.isfinite(v) for v in (fix.time_s, fix.x, fix.y, now_s)):
            return _reject(RejectReason.NOT_FINITE, "a person fix with a non-finite number")
        age = now_s - fix.time_s
        if age < -self.future_tolerance_s:
            return _reject(RejectReason.FROM_FUTURE, f"fix stamped {-age:.1f} s in the future")
        if age > self.max_age_s:
            return _reject(
                RejectReason.TOO_OLD, f"fix {age:.1f} s old (limit {self.max_age_s:g} s)"
            )
        last = self.newest
        if last is not None and fix.time_s < last.time_s:
            return _reject(
                RejectReason.SUPERSEDED,
                f"fix {last.time_s - fix.time_s:.1f} s older than the one already held",
            )
        if self.path is not None:
            _s, offset = self.path.project(fix.xy)
            if offset > self.max_offset_m:
                return _reject(
                    RejectReason.OFF_CORRIDOR,
                    f"fix {offset:.0f} m off the route (limit {self.max_offset_m:g} m)",
                )
        self._forget_candidates(fix.time_s)
        if last is None:
            return self._anchor_first(fix)
        worst = self._worst_inconsistency(fix)
        if worst is None:
            self._accept(fix)
            return FixVerdict(True)
        partner = self._confirming_candidate(fix, last)
        if partner is not None:
            self._history = [partner, fix]
            self._candidates.clear()
            return FixVerdict(
                True,
                detail=f"re-anchored on two consistent {partner.source}/{fix.source} fixes",
                reanchored=True,
            )
        self._candidates.append(fix)
        distance, dt = worst
        return _reject(
            RejectReason.IMPLAUSIBLE_SPEED,
            f"fix {distance:.0f} m from one {dt:.1f} s earlier "
            f"(walking reach {self.max_speed_ms * dt + self.tolerance_m:.0f} m)",
        )

    def _anchor_first(self, fix: PersonFix) -> FixVerdict:
        if fix.source is not FixSource.DETECTOR:
            self._accept(fix)
            return FixVerdict(True)
        for cand in reversed(self._candidates):
            if self._consistent(cand, fix) and fix.time_s - cand.time_s >= self.confirm_s:
                self._history = [cand, fix]
                self._candidates.clear()
                return FixVerdict(True, detail="anchored on two consistent detections")
        self._candidates.append(fix)
        return _reject(RejectReason.UNCONFIRMED, "a lone detection waits for a second one")

    def _accept(self, fix: PersonFix) -> None:
        self._history.append(fix)
        cutoff = fix.time_s - self.history_s
        # Keep the window, and always the newest fix (walking reach is checked against it).
        self._history = [f for f in self._history[:-1] if f.time_s >= cutoff] + [fix]

    def _forget_candidates(self, t: float) -> None:
        self._candidates = [c for c in self._candidates if t - c.time_s <= self.max_age_s]

    def _reach(self, dt: float) -> float:
        return self.max_speed_ms * dt + self.tolerance_m

    def _consistent(self, a: PersonFix, b: PersonFix) -> bool:
        return a.distance_to(b) <= self._reach(abs(b.time_s - a.time_s))

    def _worst_inconsistency(self, fix: PersonFix) -> tuple[float, float] | None:
        """The accepted fix ``fix`` is furthest out of walking reach of, as (metres, seconds)."""
        cutoff = fix.time_s - self.history_s
        worst: tuple[float, float] | None = None
        excess = 0.0
        for i, old in enumerate(self._history):
            if old.time_s < cutoff and i < len(self._history) - 1:
                continue
            dt = fix.time_s - old.time_s
            d = fix.distance_to(old)
            if d - self._reach(dt) > excess:
                excess = d - self._reach(dt)
                worst = (d, dt)
        return worst

    def _confirming_candidate(self, fix: PersonFix, last: PersonFix) -> PersonFix | None:
        """An earlier rejected fix that, with ``fix``, may re-anchor the estimate (rule 4)."""
        gap = fix.time_s - last.time_s
        for cand in reversed(self._candidates):
            if fix.time_s - cand.time_s < self.confirm_s or not self._consistent(cand, fix):
                continue
            pair_trust = min(cand.source.trust, fix.source.trust)
            if pair_trust > last.source.trust or (
                pair_trust == last.source.trust and gap >= self.reanchor_gap_s
            ):
                return cand
        return None


__all__ = ["FixGate", "FixSource", "FixVerdict", "PersonFix", "RejectReason"]
