"""The ``mission`` use cases: plan the sorties that lead a route, write them, upload one.

In memory, :func:`plan_mission` plans the sorties for a
:class:`~safeconduct.routing.route.Route` (or a
:class:`~safeconduct.mission.lead_route.LeadRoute`) with a loaded
:class:`~safeconduct.mission.profiles.DroneProfile`, and returns the
:class:`~safeconduct.mission.sorties.MissionPlan`; :func:`write_mission` writes its files
through :class:`MissionPorts` (``sortie-N.plan`` and ``sortie-N.waypoints`` per sortie,
``mission.geojson``, ``schedule.json``), all or nothing, removing stale sortie files of an
earlier, longer plan. :func:`plan_mission_files` is what the command line calls: route
file, DEM file and profile name in, files out.

:func:`upload_mission` sends a mission file to a vehicle through :class:`UploadPorts`
and checks, item by item, that the vehicle holds what was sent.

Nothing here names a command-line flag: errors carry the field they concern.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from safeconduct import limits
from safeconduct.mission.clearance import DemTerrain
from safeconduct.mission.crew import clearance_lines, preflight_checks, signal_lines
from safeconduct.mission.lead_route import LeadRoute, RouteLeg
from safeconduct.mission.planner import plan_sorties
from safeconduct.mission.profiles import DEFAULT_PROFILE, DroneProfile
from safeconduct.mission.settings import VEHICLE_PARAMETERS, MissionSettings, Release
from safeconduct.mission.sorties import MissionPlan
from safeconduct.mission.transfer import MissionFile, MissionMismatchError, Progress, VerifyReport
from safeconduct.routing.route import COORD_DECIMALS, ELEVATION_DECIMALS, LEG_DECIMALS, Route
from safeconduct.services.ports import (
    DemFiles,
    DroneProfiles,
    LeadRouteFiles,
    MissionFiles,
    MissionFolders,
    VehicleLinks,
)
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem

PathLike = str | os.PathLike[str]

@dataclass(frozen=True)
class MissionPorts:
    """The edges the mission reaches: route files, DEM files, drone profiles, mission folders."""

    routes: LeadRouteFiles
    dems: DemFiles
    profiles: DroneProfiles
    folders: MissionFolders


@dataclass(frozen=True)
class UploadPorts:
    """The edges an upload reaches: mission files and vehicle links."""

    mission_files: MissionFiles
    vehicles: VehicleLinks


# --------------------------------------------------------------------------- values in


def lead_route_from(route: Route) -> LeadRoute:
    """The route to lead, from a planned route in memory, rounded as the route file keeps it.

    Coordinates are rounded to 7 decimals, elevations to 2 and each leg's distance, times,
    ascent and descent to 2, as :func:`~safeconduct.adapters.formats.route_geojson.write_route`
    writes them; so a plan from this route equals a plan from the route file.

    Parameters
    ----------
    route
        A route from :func:`~safeconduct.routing.route.plan_route`.

    Returns
    -------
    LeadRoute
    """

    def leg_value(v: float) -> float:
        return float(round(v, LEG_DECIMALS)) if isinstance(v, float) else float(v)

    waypoints = tuple(
        (
            float(round(lon, COORD_DECIMALS)),
            float(round(lat, COORD_DECIMALS)),
            float(round(z, ELEVATION_DECIMALS)),
        )
        for lon, lat, z in route.waypoints
    )
    legs = tuple(
        RouteLeg(
            distance_m=leg_value(s.distance_m),
            time_s=leg_value(s.time_s),
            exposed_time_s=leg_value(s.exposed_time_s),
            ascent_m=leg_value(s.ascent_m),
            descent_m=leg_value(s.descent_m),
        )
        for s in route.segments
    )
    return LeadRoute(waypoints, legs, route.reception.name or "reception point")


def parse_meeting_time(text: str) -> datetime:
    """Read an ISO 8601 time with a time zone (``2024-05-01T05:30+03:00``, ``...Z``).

    The note reads its meeting time the same way (:func:`safeconduct.limits.parse_meeting_time`).

    Raises
    ------
    InvalidValueError
        Not ISO 8601, no time zone (a meeting time must not depend on the laptop's clock
        setting), or out of the calendar's range; field ``meeting_time``.
    """
    return limits.parse_meeting_time(text)


def load_drone(
    ports: MissionPorts, drone: str | os.PathLike[str] = DEFAULT_PROFILE
) -> DroneProfile:
    """The drone profile ``drone``: a built-in name or the path of a profile ``.toml`` file.

    Raises
    ------
    InvalidValueError
        Neither a built-in name nor an existing file (field ``drone``).
    BadFileError
        The file cannot be read or is malformed.
    """
    return ports.profiles.load_profile(drone)


# --------------------------------------------------------------------------- planning


def plan_mission(
    route: Route | LeadRoute,
    launch: GeoPoint,
    *,
    dem: Dem | None = None,
    drone: DroneProfile,
    meeting_time: datetime | None = None,
    firmware: str = "ardupilot",
    release: str | Release = "gripper",
    now: datetime | None = None,
    settings: MissionSettings | None = None,
) -> MissionPlan:
    """Plan the guidance sorties for a route, in memory.

    Parameters
    ----------
    route
        The walking route, meeting point first: a planned
        :class:`~safeconduct.routing.route.Route` (rounded as its file would be, see
        :func:`lead_route_from`) or a :class:`~safeconduct.mission.lead_route.LeadRoute`.
    launch
        Launch point (home) of every sortie, WGS84.
    dem
        The terrain, to keep the clearance over the ground; None: heights relative to
        the launch point (the plan warns).
    drone
        The drone profile (:func:`load_drone`).
    meeting_time
        When the person is at the meeting point, time-zone aware; None: as soon as
        possible.
    firmware
        ``"ardupilot"`` or ``"px4"``.
    release
        ``"gripper"``, ``"servo:CHANNEL:PWM"`` or a :class:`Release`.
    now
        The current time (time-zone aware); defaults to the clock.
    settings
        Heights, waits and margins (:class:`~safeconduct.mission.settings.MissionSettings`).

    Returns
    -------
    MissionPlan

    Raises
    ------
    SafeconductError
        Any user error, as one line naming its field (``firmware``, ``release``,
        ``meeting_time``, ``launch``, ...).
    """
    rel = release if isinstance(release, Release) else Release.parse(release)
    lead = route if isinstance(route, LeadRoute) else lead_route_from(route)
    terrain = None if dem is None else DemTerrain(dem, launch)
    return plan_sorties(
        lead,
        launch,
        drone,
        terrain=terrain,
        meeting_time=meeting_time,
        now=now,
        firmware=firmware,
        release=rel,
        settings=settings,
    )


@dataclass(frozen=True)
class MissionSummary:
    """What ``mission`` planned and wrote.

    Attributes
    ----------
    out_dir
        The output folder.
    files
        The files written, in the folder.
    removed
        Stale sortie files of an earlier plan that were removed.
    plan
        The plan itself.
    """

    out_dir: Path
    files: tuple[Path, ...]
    removed: tuple[Path, ...]
    plan: MissionPlan

    @property
    def warnings(self) -> tuple[str, ...]:
        """Things the crew must know."""
        return self.plan.warnings

    def describe(self) -> str:
        """A few lines: the sorties, the key times, the files, the drone settings, warnings."""
        plan = self.plan
        tz = plan.meeting_time.tzinfo
        first = plan.sorties[0]
        n = len(plan.sorties)
        lines = [
            f"{n} sortie{'s' * (n != 1)} on {plan.airframes} drone"
            f"{'s' * (plan.airframes != 1)} ({plan.profile.name}, {plan.firmware}) lead the "
            f"{plan.route.length_m / 1000:.1f} km route to {plan.route.reception}: first launch "
            f"{first.launch_time.astimezone(tz):%H:%M}, meeting "
            f"{plan.meeting_time.astimezone(tz):%H:%M}, reception "
            f"{plan.arrival_at_reception.astimezone(tz):%H:%M} "
            f"({plan.arrival_at_reception.astimezone(tz).isoformat(timespec='minutes')})",
            f"wrote {len(self.files)} files to {self.out_dir}: "
            + ", ".join(p.name for p in self.files),
        ]
        if self.removed:
            lines.append("removed stale " + ", ".join(p.name for p in self.removed))
        lines += signal_lines(plan)
        lines += clearance_lines(plan)
        lines += [f"before each launch: {c}" for c in preflight_checks(plan)]
        lines += vehicle_parameter_lines(plan)
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def vehicle_parameter_lines(plan: MissionPlan | str) -> list[str]:
    """One line per parameter every drone must hold for these missions, for the crew.

    ``["set on every drone (ArduPilot, in sortie-N.parm): WP_YAW_BEHAVIOR = 0 (never
    change yaw, ...)", ...]``; given only a firmware name, its fixed parameters.
    """
    if isinstance(plan, str):
        firmware, params = plan, dict(VEHICLE_PARAMETERS.get(plan, {}))
    else:
        firmware, params = plan.firmware, plan.vehicle_parameters
    name = {"ardupilot": "ArduPilot", "px4": "PX4"}.get(firmware, firmware)
    return [
        f"set on every drone ({name}, in sortie-N.parm): {param} = {value:g} ({why})"
        for param, (value, why) in params.items()
    ]


def write_mission(ports: MissionPorts, plan: MissionPlan, out_dir: PathLike) -> MissionSummary:
    """Write the files of ``plan`` into ``out_dir``, all or nothing.

    ``sortie-N.plan``, ``sortie-N.waypoints`` and ``sortie-N.parm`` (the vehicle
    parameters) per sortie, ``mission.geojson`` and ``schedule.json``; sortie files of an
    earlier, longer plan in the folder are removed.

    Raises
    ------
    BadFileError
        ``out_dir`` cannot be written; nothing is written then.
    """
    files, removed = ports.folders.write_mission(plan, out_dir)
    return MissionSummary(Path(out_dir), tuple(files), tuple(removed), plan)


def plan_mission_files(
    ports: MissionPorts,
    route_path: PathLike,
    launch: GeoPoint,
    out_dir: PathLike,
    *,
    dem_path: PathLike | None = None,
    drone: str | os.PathLike[str] = DEFAULT_PROFILE,
    meeting_time: datetime | None = None,
    firmware: str = "ardupilot",
    release: str | Release = "gripper",
    now: datetime | None = None,
    settings: MissionSettings | None = None,
) -> MissionSummary:
    """Plan the guidance sorties for a route file and write their files, all or nothing.

    Parameters
    ----------
    ports
        Route files, DEM files, drone profiles and the mission folder writer.
    route_path
        Route GeoJSON from ``safeconduct route`` (meeting point first).
    launch
        Launch point (home) of every sortie, WGS84.
    out_dir
        Output folder; created if missing (its parent must exist).
    dem_path
        DEM for the clearance over the ground; without it heights are relative to the
        launch point and the summary warns.
    drone
        A built-in profile name or a profile ``.toml`` file.
    meeting_time, firmware, release, now, settings
        As for :func:`plan_mission`.

    Returns
    -------
    MissionSummary

    Raises
    ------
    SafeconductError
        Any user error, as one line; nothing is written then.
    """
    rel = release if isinstance(release, Release) else Release.parse(release)
    profile = load_drone(ports, drone)
    route = ports.routes.read_lead_route(route_path)
    dem = None if dem_path is None else ports.dems.read_dem(dem_path)
    plan = plan_mission(
        route,
        launch,
        dem=dem,
        drone=profile,
        meeting_time=meeting_time,
        firmware=firmware,
        release=rel,
        now=now,
        settings=settings,
    )
    return write_mission(ports, plan, out_dir)


# --------------------------------------------------------------------------- upload


def read_mission(ports: UploadPorts, mission_file: PathLike) -> MissionFile:
    """Read a ``.waypoints`` or ``.plan`` file: the items exactly as they go to the vehicle.

    Raises
    ------
    BadFileError
        Unknown ending, missing or malformed file, or no item.
    """
    return ports.mission_files.read_mission_file(mission_file)


def upload_mission(
    ports: UploadPorts,
    mission: MissionFile,
    connection: str,
    *,
    timeout_s: float = 5.0,
    retries: int = 3,
    target_system: int = 1,
    progress: Progress | None = None,
) -> VerifyReport:
    """Send ``mission`` to the vehicle on ``connection``, read it back, compare item by item.

    Parameters
    ----------
    ports
        Mission files and vehicle links.
    mission
        From :func:`read_mission`.
    connection
        The link to the vehicle (``udpout:HOST:PORT``, ``tcp:HOST:PORT``, a serial
        device, ...), as the vehicle link accepts it.
    timeout_s, retries
        Seconds to wait for the vehicle's heartbeat and each answer; resends of an
        unanswered message.
    target_system
        The vehicle's MAVLink system id.
    progress
        ``progress(done, total)`` over the upload and the read-back.

    Returns
    -------
    VerifyReport
        The comparison; its ``notes`` say what was compared leniently.

    Raises
    ------
    MissionUploadError
        The vehicle cannot be reached or refuses the mission; its subclass
        :class:`~safeconduct.mission.transfer.MissionMismatchError` (with the report)
        when it holds something else than what was sent.
    InvalidValueError
        A malformed connection (field ``connection``), timeout or retries.
    """
    report = ports.vehicles.upload_and_verify(
        connection,
        mission.items,
        timeout_s=timeout_s,
        retries=retries,
        target_system=target_system,
        progress=progress,
    )
    if not report.ok:
        raise MissionMismatchError(report)
    return report


__all__ = [
    "MissionPorts",
    "MissionSummary",
    "UploadPorts",
    "lead_route_from",
    "load_drone",
    "parse_meeting_time",
    "plan_mission",
    "plan_mission_files",
    "read_mission",
    "upload_mission",
    "vehicle_parameter_lines",
    "write_mission",
]
