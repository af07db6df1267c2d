"""Guidance sorties: from a walking route to the drone missions that lead the person.

The public names of the mission planner, gathered in one import path. Each lives in the
module of its job:

- :mod:`~safeconduct.mission.lead_route`: the route to lead (:class:`LeadRoute`,
  :class:`RouteLeg`);
- :mod:`~safeconduct.mission.settings`: how the sorties fly (:class:`MissionSettings`,
  :class:`Release`, the firmware limits and parameters);
- :mod:`~safeconduct.mission.builder`: one sortie's items, clock and energy, step by
  step (:func:`waypoint_holds`);
- :mod:`~safeconduct.mission.planner`: relays and the clock (:func:`plan_sorties`,
  :func:`items_for_upload`);
- :mod:`~safeconduct.mission.sorties`: the results (:class:`Sortie`, :class:`Phase`,
  :class:`MissionPlan`);
- :mod:`~safeconduct.mission.schedule`: the schedule as plain data
  (:func:`schedule_document`);
- :mod:`~safeconduct.mission.timing`: ArduCopter's motion rules, the clock
  (:class:`FlightParameters`, :data:`ARDUPILOT_DEFAULTS`);
- :mod:`~safeconduct.mission.parameters`: the parameter file's values
  (:func:`vehicle_parameters`).

No I/O here: :mod:`safeconduct.services.mission` reads the inputs and the adapters write
the mission files.
"""

from __future__ import annotations

from safeconduct.mission.builder import waypoint_holds
from safeconduct.mission.items import ITEM_DECIMALS
from safeconduct.mission.lead_route import LeadRoute, RouteLeg
from safeconduct.mission.parameters import vehicle_parameters
from safeconduct.mission.planner import items_for_upload, plan_sorties
from safeconduct.mission.schedule import schedule_document
from safeconduct.mission.settings import (
    FIRMWARE_MAX_ITEMS,
    FIRMWARES,
    VEHICLE_PARAMETERS,
    Firmware,
    MissionSettings,
    Release,
)
from safeconduct.mission.sorties import MissionPlan, Phase, Sortie
from safeconduct.mission.timing import ARDUPILOT_DEFAULTS, FlightParameters

__all__ = [
    "ARDUPILOT_DEFAULTS",
    "FIRMWARES",
    "FIRMWARE_MAX_ITEMS",
    "ITEM_DECIMALS",
    "VEHICLE_PARAMETERS",
    "Firmware",
    "FlightParameters",
    "LeadRoute",
    "MissionPlan",
    "MissionSettings",
    "Phase",
    "Release",
    "RouteLeg",
    "Sortie",
    "items_for_upload",
    "plan_sorties",
    "schedule_document",
    "vehicle_parameters",
    "waypoint_holds",
]
