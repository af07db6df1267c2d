"""What the planner returns: each sortie's mission and schedule, and the whole plan.

Plain values (times are time-zone aware datetimes, energies watt-hours, heights metres).
No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from safeconduct.mission.clearance import Position
from safeconduct.mission.energy import EnergyModel
from safeconduct.mission.items import Command, Frame, MissionItem, round_item
from safeconduct.mission.lead_route import LeadRoute
from safeconduct.mission.profiles import DroneProfile
from safeconduct.mission.settings import MissionSettings, Release
from safeconduct.mission.timing import FlightParameters
from safeconduct.terrain.coords import GeoPoint


@dataclass(frozen=True)
class Phase:
    """One part of a sortie.

    Attributes
    ----------
    name
        ``"take off"``, ``"transit"``, ``"drop note"``, ``"wait for signal"``,
        ``"acknowledge"``, ``"lead"``, ``"hand over"``, ``"hover at reception"``,
        ``"return"``, ``"land"`` (a relief has ``"descend"`` and ``"wait for handover"``).
    start_s, end_s
        Seconds after the sortie's launch.
    energy_wh
        Energy spent in the phase, watt-hours.
    """

    name: str
    start_s: float
    end_s: float
    energy_wh: float


@dataclass(frozen=True)
class Sortie:
    """One drone flight: its mission and its schedule.

    Attributes
    ----------
    number
        1 for the first sortie, 2 for the first relief, ...
    airframe
        Which drone flies it (1, 2, ...): an airframe flies again once it has landed
        and been turned around.
    launch
        Launch point (home).
    launch_time, arrival_time, lead_start_time, lead_end_time, leave_time, landing_time
        Take-off; over the meeting point (first) or the relief's holding point; start
        of leading (after the acknowledgement); the drone reaches the waiting point or
        the reception point; it leaves for home; it lands. Time-zone aware.
    latest_leave_time
        The latest it could leave the end point and still land with the reserve.
    lead_from_m, lead_to_m
        The stretch of the route it leads, metres from the start.
    lead_start, lead_end
        ``(lon, lat)`` where it starts leading and where it leaves the person.
    ends_at_reception
        True for the last sortie.
    person_waits_s
        For a sortie that ends at a waiting point: how long the person waits there
        before the relief leads on, seconds.
    items
        The mission, without ArduPilot's home item (see :meth:`MissionPlan.home_item`).
    phases
        The flight's parts with their times and energy.
    energy_used_wh, reserve_left_wh, reserve_required_wh
        Energy spent, energy left at landing, and the reserve the profile requires, Wh.
    min_clearance_m
        Lowest height above the DEM along the transit and leading legs (None without a DEM).
    max_height_agl_m
        Highest height above the DEM along the transit, leading and return legs, metres
        (None without a DEM); at most ``MissionSettings.max_height_agl_m`` unless the plan
        warns.
    drop_height_agl_m
        Height above the ground at which the note is released (the first sortie; None
        for a relief): a deliberate descent below the clearance of the legs, metres.
    """

    number: int
    airframe: int
    launch: GeoPoint
    launch_time: datetime
    arrival_time: datetime
    lead_start_time: datetime
    lead_end_time: datetime
    leave_time: datetime
    landing_time: datetime
    latest_leave_time: datetime
    lead_from_m: float
    lead_to_m: float
    lead_start: tuple[float, float]
    lead_end: tuple[float, float]
    ends_at_reception: bool
    person_waits_s: float
    items: tuple[MissionItem, ...]
    phases: tuple[Phase, ...]
    energy_used_wh: float
    reserve_left_wh: float
    reserve_required_wh: float
    min_clearance_m: float | None
    max_height_agl_m: float | None = None
    drop_height_agl_m: float | None = None

    @property
    def role(self) -> str:
        """``"first"`` or ``"relief"``."""
        return "first" if self.number == 1 else "relief"

    @property
    def path(self) -> list[Position]:
        """The flown positions ``(lon, lat, alt above home)``, launch to landing."""
        pts: list[Position] = [(self.launch.lon, self.launch.lat, 0.0)]
        for it in self.items:
            if it.command in (Command.NAV_WAYPOINT, Command.NAV_TAKEOFF, Command.NAV_LOITER_TIME,
                              Command.NAV_LOITER_UNLIM):  # fmt: skip
                p = (it.lon, it.lat, it.alt)
                if p != pts[-1]:
                    pts.append(p)
        pts.append((self.launch.lon, self.launch.lat, 0.0))
        return pts


@dataclass(frozen=True)
class MissionPlan:
    """Every sortie of one guidance operation.

    Attributes
    ----------
    route
        The route led.
    launch
        The launch point (home) of every sortie.
    home_amsl_m
        Ground height at the launch point, metres above the DEM datum (None: no DEM).
    profile
        The drone profile.
    firmware
        ``"ardupilot"`` or ``"px4"``.
    release
        How the note is released.
    settings
        The flight settings.
    meeting_time
        When the person is at the meeting point.
    sorties
        In launch order.
    warnings
        Things the crew must know (no DEM, a waiting point in view, ...).
    flight
        The vehicle parameters the clock was computed with (None: those the parameter
        file sets, from the profile).
    """

    route: LeadRoute
    launch: GeoPoint
    home_amsl_m: float | None
    profile: DroneProfile
    firmware: str
    release: Release
    settings: MissionSettings
    meeting_time: datetime
    sorties: tuple[Sortie, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)
    flight: FlightParameters | None = None

    @property
    def energy(self) -> EnergyModel:
        """The energy model of the profile."""
        return EnergyModel(self.profile)

    @property
    def airframes(self) -> int:
        """How many drones the sorties need."""
        return max(s.airframe for s in self.sorties)

    @property
    def arrival_at_reception(self) -> datetime:
        """When the last drone (and soon after, the person) reaches the reception point."""
        return self.sorties[-1].lead_end_time

    def home_item(self) -> MissionItem:
        """The home position as a mission item (ArduPilot's item 0): frame GLOBAL, AMSL."""
        return round_item(
            MissionItem(
                Command.NAV_WAYPOINT,
                Frame.GLOBAL,
                lat=self.launch.lat,
                lon=self.launch.lon,
                alt=self.home_amsl_m or 0.0,
            )
        )

    @property
    def vehicle_parameters(self) -> dict[str, tuple[float, str]]:
        """Parameters every drone must hold for these missions: ``{name: (value, why)}``.

        What each sortie's parameter file sets: the flight figures the clock assumes,
        ``WP_YAW_BEHAVIOR`` and the gripper's (see :mod:`~safeconduct.mission.parameters`).
        """
        from safeconduct.mission.parameters import vehicle_parameters

        return vehicle_parameters(self.firmware, self.profile, self.release)

    def schedule(self) -> dict[str, Any]:
        """The schedule as JSON-ready plain data; see :func:`~.schedule.schedule_document`."""
        from safeconduct.mission.schedule import schedule_document

        return schedule_document(self)


__all__ = ["MissionPlan", "Phase", "Sortie"]
