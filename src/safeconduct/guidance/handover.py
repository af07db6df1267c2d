"""When the leading drone must hand over to the relief, and where the person waits for it.

The leading loop asks :meth:`HandoverPlanner.assess` once a second or so with the battery
level the vehicle reports, its distance from home and the person's progress. The answer is
worked out from the airframe's energy model (:class:`~safeconduct.mission.energy.EnergyModel`
fits :class:`EnergyFigures`), deliberately simply and on the safe side:

- energy above the reserve now: ``available_wh * battery_pct / 100 - reserve_wh`` (the
  derated pack, as the mission plan uses it, scaled by what the autopilot says is left);
- the way home costs ``cruise_power_w * distance / cruise_speed_ms``; while leading the
  drone is assumed to move *away* from home at the walking pace, so the way home grows;
- seconds of leading left, ``leave_in_s``, solve
  ``usable - lead_power_w * t - cruise_power_w * (distance_home + pace * t) / cruise = 0``;
  at zero the drone must leave (``must_leave``);
- the relief needs ``relief_eta_s``: its launch time plus the flight to the person at cruise
  speed, lengthened by the person's walking on meanwhile;
- the relief is called (``call_relief``) once ``leave_in_s`` is no more than its ETA plus the
  handover time plus a margin, unless the person reaches the route's end before the drone
  must leave;
- the relay point (``relay_s``) is where the person will be when the handover happens: when
  the relief arrives, or when the drone must leave if that comes first. The person is told
  to wait there.

Pure arithmetic: no I/O, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from safeconduct.errors import InvalidValueError
from safeconduct.guidance.path import RoutePath


class EnergyFigures(Protocol):
    """The figures of an energy model the planner needs (``mission.energy.EnergyModel``)."""

    @property
    def lead_power_w(self) -> float:
        """Power while leading at walking pace, watts."""
        ...

    @property
    def cruise_power_w(self) -> float:
        """Power in transit at cruise speed, watts."""
        ...

    @property
    def available_wh(self) -> float:
        """Energy in a full pack on the day, watt-hours."""
        ...

    @property
    def reserve_wh(self) -> float:
        """Energy that must be left at landing, watt-hours."""
        ...


@dataclass(frozen=True)
class HandoverDecision:
    """The planner's answer for one moment.

    Attributes
    ----------
    usable_wh
        Energy above the landing reserve now, watt-hours (negative when already below).
    return_wh
        Energy the flight home from here takes, watt-hours.
    leave_in_s
        Seconds of leading left before the drone must turn for home (0 when it must now).
    must_leave
        True when the drone must stop leading and return now.
    relief_needed
        True when the person will not reach the route's end before ``leave_in_s``.
    relief_eta_s
        Seconds from calling the relief to its arrival over the person.
    call_relief_in_s
        Seconds until the relief must be called (0 or less: now); None when none is needed.
    call_relief
        True when the relief must be called now.
    relay_s, relay_xy
        Where along the route (metres) and on the map (``[x, y]`` metres) the person will
        wait for the relief; None when no relief is needed.
    relief_late_s
        How long the person waits alone if the relief is called now: the seconds between the
        drone having to leave and the relief arriving (0 when the relief is in time).
    reason
        One line for the crew.
    """

    usable_wh: float
    return_wh: float
    leave_in_s: float
    must_leave: bool
    relief_needed: bool
    relief_eta_s: float
    call_relief_in_s: float | None
    call_relief: bool
    relay_s: float | None
    relay_xy: np.ndarray | None
    relief_late_s: float
    reason: str


def _check(value: float, field: str, low: float = 0.0, high: float = math.inf) -> float:
    value = float(value)
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidValueError(
            f"{field} must be a finite number from {low:g} to {high:g}, not {value}", field=field
        )
    return value


class HandoverPlanner:
    """Decides when to call the relief drone and when the leading drone must leave.

    Parameters
    ----------
    energy
        The leading airframe's energy model.
    cruise_speed_ms
        Transit speed of both drones, m/s (the profile's ``cruise_speed_ms``).
    return_speed_ms
        Speed of the leading drone's way home, m/s, when it differs from the transit speed
        (ArduCopter's RTL flies at ``RTL_SPEED``, while a relief in GUIDED is held to
        ``WPNAV_SPEED``); default ``cruise_speed_ms``.
    relief_launch_s
        From calling the relief to its being in the air at cruise, seconds.
    handover_s
        Over the person: the relief acknowledges and takes over, seconds.
    margin_s
        Extra time the relief is called early by, seconds (wind, a slow launch).
    """

    def __init__(
        self,
        energy: EnergyFigures,
        *,
        cruise_speed_ms: float,
        relief_launch_s: float = 90.0,
        handover_s: float = 60.0,
        margin_s: float = 120.0,
        return_speed_ms: float | None = None,
    ) -> None:
        self.energy = energy
        self.cruise_speed_ms = _check(cruise_speed_ms, "cruise_speed_ms", 0.1)
        self.return_speed_ms = (
            self.cruise_speed_ms
            if return_speed_ms is None
            else _check(return_speed_ms, "return_speed_ms", 0.1)
        )
        self.relief_launch_s = _check(relief_launch_s, "relief_launch_s")
        self.handover_s = _check(handover_s, "handover_s")
        self.margin_s = _check(margin_s, "margin_s")

    def leave_in_s(self, usable_wh: float, distance_home_m: float, pace_ms: float) -> float:
        """Seconds of leading left (see the module docstring), never negative."""
        e = self.energy
        v = self.return_speed_ms
        spare_wh = usable_wh - e.cruise_power_w * distance_home_m / v / 3600.0
        drain_w = e.lead_power_w + e.cruise_power_w * pace_ms / v
        return max(0.0, spare_wh * 3600.0 / drain_w)

    def relief_eta_s(self, relief_distance_m: float, pace_ms: float) -> float:
        """Seconds from the call to the relief being over the person.

        ``relief_distance_m`` is the straight distance from the relief's launch point to the
        person now; the person walks on at ``pace_ms`` meanwhile (taken as straight away from
        the relief: the safe side).
        """
        v = self.cruise_speed_ms
        closing = max(v - pace_ms, 0.1 * v)
        return self.relief_launch_s + (relief_distance_m + pace_ms * self.relief_launch_s) / closing

    def assess(
        self,
        *,
        battery_pct: float,
        distance_home_m: float,
        path: RoutePath,
        person_s: float,
        pace_ms: float,
        relief_distance_m: float,
    ) -> HandoverDecision:
        """Where the leading drone stands on energy, and what to do about the relief.

        Parameters
        ----------
        battery_pct
            Remaining battery as the vehicle reports it, percent (0 to 100).
        distance_home_m
            Straight distance from the leading drone to its home (landing point), metres.
        path
            The route being led, map metres.
        person_s
            The person's distance along the route, metres.
        pace_ms
            The person's walking pace, m/s (0 while they stand).
        relief_distance_m
            Distance from the relief's launch point to the person now, metres.

        Raises
        ------
        InvalidValueError
            For a number out of range or not finite (the field names the parameter).
        """
        pct = _check(battery_pct, "battery_pct", 0.0, 100.0)
        home = _check(distance_home_m, "distance_home_m")
        s = _check(person_s, "person_s")
        pace = _check(pace_ms, "pace_ms")
        relief_d = _check(relief_distance_m, "relief_distance_m")
        e = self.energy
        usable = e.available_wh * pct / 100.0 - e.reserve_wh
        return_wh = e.cruise_power_w * home / self.return_speed_ms / 3600.0
        leave_in = self.leave_in_s(usable, home, pace)
        must_leave = leave_in <= 0.0
        left_m = max(path.length - s, 0.0)
        finish_s = 0.0 if left_m <= 0.0 else (math.inf if pace <= 0.0 else left_m / pace)
        relief_needed = finish_s > leave_in
        eta = self.relief_eta_s(relief_d, pace)
        if not relief_needed:
            return HandoverDecision(
                usable, return_wh, leave_in, must_leave, False, eta, None, False, None, None,
                0.0,
                f"{leave_in / 60:.0f} min of leading left; the person finishes in "
                f"{finish_s / 60:.0f} min: no relief needed",
            )  # fmt: skip
        call_in = leave_in - (eta + self.handover_s + self.margin_s)
        call = call_in <= 0.0
        # The handover happens when the relief arrives, or when this drone must leave.
        handover_t = min(max(call_in, 0.0) + eta, leave_in)
        relay_s = min(s + pace * handover_t, path.length)
        late = max(eta - leave_in, 0.0) if call else 0.0
        if must_leave:
            reason = "battery at the return reserve: leave now; the person waits for the relief"
        elif call:
            reason = (
                f"call the relief now: {leave_in / 60:.0f} min of leading left, relief needs "
                f"{eta / 60:.0f} min; the person will wait at {relay_s:,.0f} m"
            )
            if late > 0:
                reason += f" (alone for about {late / 60:.0f} min)"
        else:
            reason = (
                f"{leave_in / 60:.0f} min of leading left; call the relief in "
                f"{call_in / 60:.0f} min"
            )
        return HandoverDecision(
            usable, return_wh, leave_in, must_leave, True, eta, call_in, call, relay_s,
            path.point_at(relay_s), late, reason,
        )  # fmt: skip


__all__ = ["EnergyFigures", "HandoverDecision", "HandoverPlanner"]
