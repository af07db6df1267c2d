"""The rehearsal simulator: a drone leads a simulated person along the planned route.

Time-stepped (1 s by default) and deterministic for a seed. The person is an agent who
walks behind the drone at their Tobler pace (times a personal factor, with random variation
and short stops; an injured person is slower and rests). The drone is driven by the same
:class:`~safeconduct.guidance.leader.LeadController` a real vehicle would use. At a relay
the person sits and waits until the relief drone arrives and acknowledges. Time in view of
each hostile observer accumulates along the way.

Everything here is pure computation on arrays; the caller supplies the terrain samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from safeconduct.guidance.leader import LeadController, LeadMode, LeadSettings
from safeconduct.guidance.path import RoutePath


@dataclass(frozen=True)
class LeadingSortie:
    """One drone's share of the leading, as the mission schedule plans it.

    Attributes
    ----------
    arrive_t
        When the drone is over the person, seconds from the start of the operation.
    leave_t
        When it must leave to land with its reserve, seconds from the start.
    handover_s
        Distance along the route where it plans to hand over (the route's length for the
        last sortie), metres.
    """

    arrive_t: float
    leave_t: float
    handover_s: float


@dataclass(frozen=True)
class PersonProfile:
    """How the simulated person walks.

    Attributes
    ----------
    pace_factor
        Multiplier on Tobler speed (1 fit, 0.5 or less injured).
    variation
        Relative standard deviation of the slowly varying speed factor.
    stop_every_s, stop_s
        Mean interval between short stops, and their (min, max) length, seconds.
    follow_m
        The person keeps at least this far behind the drone, metres.
    """

    pace_factor: float = 1.0
    variation: float = 0.12
    stop_every_s: float = 600.0
    stop_s: tuple[float, float] = (10.0, 40.0)
    follow_m: float = 5.0

    @classmethod
    def injured(cls) -> PersonProfile:
        """A wounded or exhausted person: half pace, and rests about a fifth of the time."""
        return cls(pace_factor=0.5, variation=0.2, stop_every_s=300.0, stop_s=(30.0, 120.0))


@dataclass(frozen=True)
class TerrainAlong:
    """What the walker meets along the route, sampled every ``step_m`` metres.

    Attributes
    ----------
    step_m
        Sample spacing, metres.
    speed_ms
        Expected walking speed at each sample for a fit person (Tobler, off-path factor and
        woodland included), m/s.
    seen_by
        ``(n_observers, n_samples)`` bool: which observers see a standing person there.
    """

    step_m: float
    speed_ms: np.ndarray
    seen_by: np.ndarray

    def at(self, s: float) -> int:
        return min(int(s / self.step_m), len(self.speed_ms) - 1)


@dataclass
class RehearsalResult:
    """What happened, for the report.

    Attributes
    ----------
    reached
        The person reached the reception point before the simulation's time limit.
    duration_s
        From the first drone's arrival to arrival at the reception point, seconds.
    walking_s
        Seconds the person was moving.
    person_rest_s
        Seconds the person stopped on their own (rests, short stops).
    relay_wait_s
        Seconds the person sat waiting for a relief drone.
    drone_wait_s, drone_waits
        Seconds, and how many times, the leading drone hovered waiting for the person.
    exposed_s
        Seconds in view of each observer, in observer order.
    exposed_any_s
        Seconds in view of at least one observer.
    events
        ``(t_s, text)`` timeline.
    track
        Columns ``t_s``, ``person_s``, ``drone_s`` (NaN when no drone leads), ``mode``
        (0 lead, 1 wait, 2 arrived, 3 no drone).
    """

    reached: bool
    duration_s: float
    walking_s: float
    person_rest_s: float
    relay_wait_s: float
    drone_wait_s: float
    drone_waits: int
    exposed_s: list[float]
    exposed_any_s: float
    events: list[tuple[float, str]] = field(default_factory=list)
    track: dict[str, np.ndarray] = field(default_factory=dict)


def _relief_as_launched(
    relief: LeadingSortie, needed_t: float, early_s: float | None
) -> LeadingSortie:
    """The relief's window if the crew launched it to arrive ``early_s`` before it is needed."""
    if early_s is None:
        return relief
    delay = max(0.0, needed_t - early_s - relief.arrive_t)
    return LeadingSortie(relief.arrive_t + delay, relief.leave_t + delay, relief.handover_s)


_MODE_CODE = {LeadMode.LEAD: 0, LeadMode.WAIT: 1, LeadMode.ARRIVED: 2}
_NO_DRONE = 3


def rehearse(
    path: RoutePath,
    terrain: TerrainAlong,
    sorties: Sequence[LeadingSortie],
    person: PersonProfile,
    *,
    seed: int = 0,
    dt: float = 1.0,
    acknowledge_s: float = 20.0,
    lead: LeadSettings | None = None,
    planned_pace: float = 1.0,
    relief_early_s: float | None = 120.0,
    time_limit_s: float = 6 * 3600.0,
) -> RehearsalResult:
    """Simulate the leading of one person along ``path``.

    Parameters
    ----------
    path
        The route in map metres.
    terrain
        Speeds and observer visibility sampled along ``path``.
    sorties
        The drones in turn; the first arrives at ``arrive_t`` and acknowledges the signal.
    person
        The walker.
    seed
        Random seed: the same seed gives the same result.
    dt
        Time step, seconds.
    acknowledge_s
        How long each drone's "seen, understood" manoeuvre takes before it leads, seconds.
    lead
        The leading controller's settings.
    planned_pace
        The pace factor the mission was planned for: the drone leads at the expected
        walking speed of the terrain beneath it times this.
    relief_early_s
        The crew follows the actual progress: a relief that would arrive more than this
        many seconds before it is needed is launched later, keeping its whole endurance
        for leading (its window shifts). ``None`` keeps the planned times however far
        the person falls behind.
    time_limit_s
        Give up after this long, seconds from the first arrival.
    """
    if not sorties:
        raise ValueError("at least one sortie is needed to lead the person")
    rng = np.random.default_rng(seed)
    sorties = list(sorties)  # relief windows shift as the crew follows the actual progress
    ctl = LeadController(path, lead)
    result = RehearsalResult(False, 0.0, 0.0, 0.0, 0.0, 0.0, 0, [0.0] * len(terrain.seen_by), 0.0)
    say = result.events.append

    t = float(sorties[0].arrive_t)
    t0 = t
    person_s = 0.0
    drone_s = 0.0
    factor = 1.0  # slowly varying personal speed factor (AR(1))
    rest_left = 0.0
    k = 0  # current sortie
    leading_from = t + acknowledge_s
    say((t, "drone 1 over the meeting point; the person signals; drone acknowledges"))
    prev_mode: LeadMode | None = None
    announced = {0}
    rows: list[tuple[float, float, float, int]] = []
    end = path.length

    while t - t0 < time_limit_s:
        sortie = sorties[k]
        has_drone = sortie.arrive_t <= t < sortie.leave_t
        leading = has_drone and t >= leading_from
        mode_code = _NO_DRONE
        switch = ""
        if leading:
            pace = terrain.speed_ms[terrain.at(drone_s)] * planned_pace
            cmd = ctl.update(path.point_at(person_s), drone_s, dt, pace_ms=pace)
            drone_s = cmd.target_s
            mode_code = _MODE_CODE[cmd.mode]
            if cmd.mode is LeadMode.WAIT:
                result.drone_wait_s += dt
                if prev_mode is not LeadMode.WAIT:
                    result.drone_waits += 1
            prev_mode = cmd.mode
            # Hand over at the planned point when the relief is there (or is the plan).
            if k + 1 < len(sorties) and person_s >= sortie.handover_s:
                switch = f"drone {k + 1} hands over at {person_s:,.0f} m; the person waits"
        elif t >= sortie.leave_t:
            if k + 1 >= len(sorties):
                say((t, f"drone {k + 1} must leave and no relief is planned; operation stops"))
                break
            switch = f"drone {k + 1} must leave at {person_s:,.0f} m; the person sits and waits"
        if switch:
            say((t, switch))
            k += 1
            sorties[k] = _relief_as_launched(sorties[k], t, relief_early_s)
            leading_from = max(t, sorties[k].arrive_t) + acknowledge_s
            prev_mode = None
            continue
        if has_drone and k not in announced:
            announced.add(k)
            drone_s = person_s  # the relief comes to where the person waits
            say((t, f"drone {k + 1} arrives over the person and acknowledges"))

        # The person.
        i = terrain.at(person_s)
        seen = terrain.seen_by[:, i]
        if seen.any():
            result.exposed_any_s += dt
            for j in np.flatnonzero(seen):
                result.exposed_s[j] += dt
        if not leading:
            result.relay_wait_s += dt
        elif rest_left > 0:
            rest_left -= dt
            result.person_rest_s += dt
        elif rng.random() < dt / person.stop_every_s:
            rest_left = float(rng.uniform(*person.stop_s))
            say((t, f"the person stops for {rest_left:.0f} s"))
        else:
            factor = 1.0 + 0.98 * (factor - 1.0) + rng.normal(0.0, person.variation * 0.2)
            factor = float(np.clip(factor, 0.5, 1.5))
            v = terrain.speed_ms[i] * person.pace_factor * factor
            # Behind the drone, except under it at the end: the reception point is the goal.
            limit = end if drone_s >= end - 1e-6 else max(drone_s - person.follow_m, person_s)
            step = min(v * dt, limit - person_s, end - person_s)
            if step > 0:
                person_s += step
                result.walking_s += dt
        rows.append((t, person_s, drone_s if has_drone else math.nan, mode_code))
        if end - person_s < 1.0:
            result.reached = True
            say((t, "the person reaches the reception point: stops, hands raised, lies face down"))
            break
        t += dt

    result.duration_s = t - t0
    track = np.array(rows, dtype=np.float64).reshape(-1, 4)
    result.track = {
        "t_s": track[:, 0],
        "person_s": track[:, 1],
        "drone_s": track[:, 2],
        "mode": track[:, 3].astype(np.int8),
    }
    return result
