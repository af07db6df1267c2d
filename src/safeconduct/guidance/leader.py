"""The leading controller: where the drone should be, given where the person is.

It knows nothing about vehicles or simulation. Fed the person's and the drone's positions,
it returns a target position and a mode; the rehearsal simulator feeds it simulated
positions, and a vehicle adapter can feed it real ones and send the target as
``SET_POSITION_TARGET_GLOBAL_INT`` in GUIDED mode.

Behaviour
---------
- Lead: fly on along the route at the expected walking pace (``pace_ms``, as the mission's
  DO_CHANGE_SPEED sets it), never less than ``lead_m`` metres ahead of the person (catching
  up at up to ``max_speed_ms`` if they walk faster).
- Wait: when the person falls more than ``max_gap_m`` behind, hover where the drone is
  until the gap closes to ``lead_m`` again (hysteresis, so it does not flicker).
- Arrived: hover over the end of the route once the person is within ``arrive_m`` of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from safeconduct.guidance.path import RoutePath


class LeadMode(StrEnum):
    """What the drone is doing."""

    LEAD = "lead"
    WAIT = "wait"
    ARRIVED = "arrived"


@dataclass(frozen=True)
class LeadSettings:
    """How the drone paces the person.

    Attributes
    ----------
    lead_m
        Distance ahead of the person along the route to hold, metres.
    max_gap_m
        Gap (drone ahead of person, metres along the route) beyond which the drone stops
        and waits.
    max_speed_ms
        Fastest the drone moves while leading, m/s.
    pace_ms
        The expected walking speed the drone leads at, m/s, unless an update gives one.
    arrive_m
        The person is "arrived" within this distance of the route's end, metres.
    """

    lead_m: float = 15.0
    max_gap_m: float = 30.0
    max_speed_ms: float = 3.0
    arrive_m: float = 8.0
    pace_ms: float = 0.8

    def __post_init__(self) -> None:
        if not 0 < self.lead_m < self.max_gap_m:
            raise ValueError("need 0 < lead_m < max_gap_m")
        if min(self.max_speed_ms, self.arrive_m, self.pace_ms) <= 0:
            raise ValueError("max_speed_ms, arrive_m and pace_ms must be positive")


@dataclass(frozen=True)
class LeadCommand:
    """The controller's answer for one update.

    Attributes
    ----------
    mode
        Lead, wait or arrived.
    target_s
        Where the drone should be, metres along the route.
    target_xy
        The same as a map point ``[x, y]`` in metres.
    heading_deg
        Which way the drone should face, degrees clockwise from grid north (along the route).
    gap_m
        Drone ahead of person along the route, metres.
    """

    mode: LeadMode
    target_s: float
    target_xy: np.ndarray
    heading_deg: float
    gap_m: float


class LeadController:
    """Stateful leading controller for one route (see the module docstring)."""

    def __init__(self, path: RoutePath, settings: LeadSettings | None = None) -> None:
        self.path = path
        self.settings = settings or LeadSettings()
        self._mode = LeadMode.LEAD
        self._person_s = 0.0

    @property
    def person_s(self) -> float:
        """The person's last known distance along the route, metres."""
        return self._person_s

    def update(
        self, person_xy: np.ndarray, drone_s: float, dt: float, pace_ms: float | None = None
    ) -> LeadCommand:
        """Advance the controller by ``dt`` seconds.

        Parameters
        ----------
        person_xy
            The person's position, ``[x, y]`` map metres.
        drone_s
            The drone's current distance along the route, metres.
        dt
            Seconds since the last update (> 0).
        pace_ms
            Expected walking speed here, m/s (default: the settings' ``pace_ms``).
        """
        cfg = self.settings
        person_s, _offset = self.path.project(person_xy, near_s=self._person_s)
        # The person only ever moves on along the route; a noisy fix must not pull us back.
        self._person_s = max(self._person_s, person_s)
        gap = drone_s - self._person_s
        end = self.path.length

        if self.path.length - self._person_s <= cfg.arrive_m:
            self._mode = LeadMode.ARRIVED
        elif self._mode is LeadMode.WAIT and gap <= cfg.lead_m:
            self._mode = LeadMode.LEAD
        elif self._mode is LeadMode.LEAD and gap > cfg.max_gap_m:
            self._mode = LeadMode.WAIT

        if self._mode is LeadMode.WAIT:
            target = drone_s
        else:
            if self._mode is LeadMode.ARRIVED:
                wanted = end
            else:
                ahead = drone_s + (cfg.pace_ms if pace_ms is None else pace_ms) * dt
                wanted = min(max(ahead, self._person_s + cfg.lead_m), end)
            step = cfg.max_speed_ms * dt
            target = drone_s + float(np.clip(wanted - drone_s, -step, step))
        return LeadCommand(
            mode=self._mode,
            target_s=target,
            target_xy=self.path.point_at(target),
            heading_deg=self.path.heading_at(target),
            gap_m=gap,
        )
