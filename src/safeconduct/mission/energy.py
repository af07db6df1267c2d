"""Endurance: an energy model from hover power, and the budget one sortie may spend.

The model is deliberately simple and conservative, and every figure comes from the
drone profile (:mod:`safeconduct.mission.profiles`):

- hover power ``P_h = battery_wh * 60 / rated_hover_min`` watts: the rated hover time
  uses up the whole usable pack;
- leading at walking pace costs about as much as hovering (``lead_power_factor`` ~ 1),
  transit at cruise speed a little more (``cruise_power_factor``);
- climbing adds the potential energy ``m g dh`` at :data:`CLIMB_EFFICIENCY`;
- on the day only ``battery_wh * derating`` is available (cold, wind, pack age), and
  ``reserve_fraction`` of that must still be in the pack at landing.

A sortie may therefore spend :attr:`EnergyModel.budget_wh`; the relay split in
:mod:`safeconduct.mission.plan` cuts the route wherever one sortie would spend more.
No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from safeconduct.mission.profiles import DroneProfile

#: Standard gravity, m/s^2.
G = 9.80665

#: Share of the extra electrical power in a climb that becomes height (rotor and motor
#: losses take the rest); 0.5 is a round, pessimistic figure for small multirotors.
CLIMB_EFFICIENCY = 0.5


@dataclass(frozen=True)
class EnergyModel:
    """Power and energy of one airframe, from its profile.

    Parameters
    ----------
    profile
        The drone profile.
    """

    profile: DroneProfile

    @property
    def hover_power_w(self) -> float:
        """Hover power, watts: usable Wh x 60 / rated hover minutes."""
        return self.profile.battery_wh * 60.0 / self.profile.rated_hover_min

    @property
    def lead_power_w(self) -> float:
        """Power while leading at walking pace (or loitering), watts."""
        return self.hover_power_w * self.profile.lead_power_factor

    @property
    def cruise_power_w(self) -> float:
        """Power in transit at cruise speed, watts."""
        return self.hover_power_w * self.profile.cruise_power_factor

    @property
    def available_wh(self) -> float:
        """Energy in a full pack on the day, watt-hours (``battery_wh * derating``)."""
        return self.profile.battery_wh * self.profile.derating

    @property
    def reserve_wh(self) -> float:
        """Energy that must be left at landing, watt-hours."""
        return self.available_wh * self.profile.reserve_fraction

    @property
    def budget_wh(self) -> float:
        """Energy one sortie may spend from launch to landing, watt-hours."""
        return self.available_wh - self.reserve_wh

    def energy_wh(self, power_w: float, seconds: float) -> float:
        """Energy of ``seconds`` at ``power_w`` watts, in watt-hours."""
        return power_w * seconds / 3600.0

    def climb_wh(self, metres: float) -> float:
        """Extra energy to gain ``metres`` of height (0 for a descent), watt-hours."""
        return max(metres, 0.0) * self.profile.mass_kg * G / CLIMB_EFFICIENCY / 3600.0

    def hover_seconds(self, energy_wh: float) -> float:
        """How long ``energy_wh`` lasts in a hover, seconds."""
        return energy_wh * 3600.0 / self.hover_power_w


def furthest_affordable(
    costs_wh: Sequence[float],
    budget_wh: float,
    *,
    hidden: Sequence[bool] | None = None,
    stations_m: Sequence[float] | None = None,
    lead_from_m: float = 0.0,
    prefer_hidden_within: float = 0.25,
) -> int | None:
    """Pick where a sortie hands over: the furthest candidate it can afford.

    Parameters
    ----------
    costs_wh
        Total energy of the sortie if it hands over at each candidate, watt-hours, in
        route order (candidates further along the route come later).
    budget_wh
        What the sortie may spend, watt-hours.
    hidden
        For each candidate, True if a person waiting there is out of view of every
        observer. When given, a hidden candidate is preferred to a visible one further
        on, as long as it gives up at most ``prefer_hidden_within`` of the distance the
        sortie could lead (needs ``stations_m``).
    stations_m
        Distance along the route of each candidate, metres.
    lead_from_m
        Where along the route the sortie starts leading, metres.
    prefer_hidden_within
        Share of the affordable leading distance that may be given up for a hidden
        waiting point, 0 to 1.

    Returns
    -------
    int or None
        Index of the chosen candidate, or None when none is affordable.
    """
    affordable = [i for i, c in enumerate(costs_wh) if c <= budget_wh]
    if not affordable:
        return None
    best = max(affordable)
    if hidden is None or stations_m is None or hidden[best]:
        return best
    floor_m = stations_m[best] - prefer_hidden_within * (stations_m[best] - lead_from_m)
    shelter = [i for i in affordable if hidden[i] and stations_m[i] >= floor_m]
    return max(shelter) if shelter else best


__all__ = ["CLIMB_EFFICIENCY", "EnergyModel", "G", "furthest_affordable"]
