"""An operation end to end: plan the route, the sorties and the note, rehearse it, report it.

This is the use case behind ``safeconduct rehearse`` and ``safeconduct demo``. Everything
runs in memory on values: the area is read once through the :class:`OperationPorts`, the
route object goes straight to the mission planner, the rehearsal simulates the plan, and
only at the end are the artifacts written, together, into the output folder (all or
nothing). :class:`OperationSummary` holds the figures; ``summary.json`` is its JSON form.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from safeconduct.formatting import format_duration
from safeconduct.guidance.path import RoutePath
from safeconduct.guidance.rehearsal import (
    LeadingSortie,
    PersonProfile,
    RehearsalResult,
    TerrainAlong,
    rehearse,
)
from safeconduct.limits import Range
from safeconduct.mission.crew import clearance_lines, preflight_checks, signal_lines
from safeconduct.mission.profiles import DroneProfile
from safeconduct.mission.sorties import MissionPlan
from safeconduct.note.catalog import parse_languages
from safeconduct.routing.kernels import SearchGrids
from safeconduct.routing.models import ToblerModel
from safeconduct.routing.route import Route, observer_specs, straight_leg_steps
from safeconduct.services.areas import check_seed
from safeconduct.services.mission import MissionPorts, load_drone, plan_mission, write_mission
from safeconduct.services.note import NotePorts, make_note
from safeconduct.services.planning import PlanningPorts, RouteRequest, plan_route_on, search_grids
from safeconduct.services.ports import Areas, Figures, ReportContent, Reports
from safeconduct.terrain.area import Area
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import Observer
from safeconduct.terrain.visibility import VISIBLE, viewshed

PathLike = str | os.PathLike[str]

#: The name prefix of the hidden folder beside the output where a rehearsal's files are
#: staged until they replace the output folder together.
REHEARSAL_STAGING_PREFIX = ".rehearse-"

#: The pace, as a fraction of a fit person's, that an operation for an injured person is
#: planned at: route times, the leading speed and the relay timing all assume it. An
#: injured person walks at about half pace and rests about a fifth of the time
#: (:meth:`PersonProfile.injured`), so 0.5 x 0.8 = 0.4 on average. Planning at 0.5 let the
#: rehearsed person outlast the relief drones; plan lower, never higher, when unsure.
INJURED_PLANNING_PACE = 0.4


@dataclass(frozen=True)
class OperationPorts:
    """Every edge an operation reaches: areas, planning files, missions, notes, pictures."""

    areas: Areas
    planning: PlanningPorts
    mission: MissionPorts
    note: NotePorts
    figures: Figures
    reports: Reports


def observer_visibility(
    dem: Dem, observers: Sequence[Observer], *, target_height: float = 1.7
) -> list[np.ndarray]:
    """One bool grid per observer: where a standing person is in its view and range."""
    grids = []
    for spec in observer_specs(dem, observers):
        vis = viewshed(
            dem,
            (spec.x, spec.y),
            observer_height=spec.height_m,
            target_height=target_height,
            max_distance=spec.range_m,
        )
        grids.append(vis == VISIBLE)
    return grids


def terrain_along_route(
    dem: Dem,
    grids: SearchGrids,
    route: Route,
    visibility: Sequence[np.ndarray] = (),
    *,
    step_m: float = 5.0,
) -> tuple[RoutePath, TerrainAlong]:
    """Sample what a walker meets along ``route`` every ``step_m`` metres.

    The speeds are those the route's own figures come from (Tobler for a fit person, with
    the off-path factor and woodland), taken step by step over the cells each straight leg
    crosses, so that the rehearsal and the plan agree on the expected time.

    Returns
    -------
    (RoutePath, TerrainAlong)
        The route in map metres, and the samples.
    """
    model = ToblerModel()
    cells = np.array(
        [dem.cell_of_lonlat(lon, lat, what="route waypoint") for lon, lat, _ in route.waypoints]
    )
    xs, ys = dem.rowcol_to_xy(cells[:, 0], cells[:, 1])
    path = RoutePath(np.column_stack([xs, ys]))
    s_ends: list[np.ndarray] = []
    speeds: list[np.ndarray] = []
    step_cells: list[np.ndarray] = []
    for i in range(len(cells) - 1):
        leg, lengths, times = straight_leg_steps(grids, model, cells[i], cells[i + 1])
        s_ends.append(path.vertex_s[i] + np.cumsum(lengths))
        speeds.append(lengths / times)
        step_cells.append(leg[1:])
    s_end = np.concatenate(s_ends)
    speed = np.concatenate(speeds)
    where = np.concatenate(step_cells)

    samples = np.arange(0.0, path.length + step_m, step_m)
    k = np.minimum(np.searchsorted(s_end, samples), len(s_end) - 1)
    seen = np.zeros((len(visibility), len(samples)), dtype=bool)
    for j, vis in enumerate(visibility):
        seen[j] = vis[where[k, 0], where[k, 1]]
    return path, TerrainAlong(step_m=step_m, speed_ms=speed[k], seen_by=seen)


def _r1(value: float) -> float:
    return round(value, 1)


@dataclass(frozen=True)
class RouteFigures:
    """The route's figures as reported (metres, seconds, degrees; one decimal)."""

    reception: str
    length_m: float
    walking_time_s: float
    exposed_time_s: float
    total_ascent_m: float
    max_slope_deg: float
    waypoints: int

    @classmethod
    def of(cls, route: Route) -> RouteFigures:
        return cls(
            reception=route.reception.name,
            length_m=_r1(route.length_m),
            walking_time_s=_r1(route.walking_time_s),
            exposed_time_s=_r1(route.exposed_time_s),
            total_ascent_m=_r1(route.total_ascent_m),
            max_slope_deg=_r1(route.max_slope_deg),
            waypoints=len(route.waypoints),
        )


@dataclass(frozen=True)
class MissionFigures:
    """The sorties' figures as reported (watt-hours; one decimal)."""

    drone: str
    sorties: int
    airframes: int
    reserve_at_landing_wh: tuple[float, ...]
    reserve_required_wh: float
    lowest_reserve_wh: float

    @classmethod
    def of(cls, plan: MissionPlan) -> MissionFigures:
        return cls(
            drone=plan.profile.name,
            sorties=len(plan.sorties),
            airframes=plan.airframes,
            reserve_at_landing_wh=tuple(_r1(s.reserve_left_wh) for s in plan.sorties),
            reserve_required_wh=_r1(plan.sorties[0].reserve_required_wh),
            lowest_reserve_wh=_r1(min(s.reserve_left_wh for s in plan.sorties)),
        )


@dataclass(frozen=True)
class RehearsalFigures:
    """What happened in the rehearsal (seconds; one decimal)."""

    reached: bool
    duration_s: float
    walking_s: float
    person_rest_s: float
    relay_wait_s: float
    drone_wait_s: float
    drone_waits: int
    exposed_any_s: float
    exposed_by_observer_s: dict[str, float]

    @classmethod
    def of(cls, result: RehearsalResult, observers: Sequence[Observer]) -> RehearsalFigures:
        return cls(
            reached=result.reached,
            duration_s=_r1(result.duration_s),
            walking_s=_r1(result.walking_s),
            person_rest_s=_r1(result.person_rest_s),
            relay_wait_s=_r1(result.relay_wait_s),
            drone_wait_s=_r1(result.drone_wait_s),
            drone_waits=result.drone_waits,
            exposed_any_s=_r1(result.exposed_any_s),
            exposed_by_observer_s={
                ob.name: _r1(t) for ob, t in zip(observers, result.exposed_s, strict=True)
            },
        )


@dataclass(frozen=True)
class OperationSummary:
    """The figures of one rehearsed operation; :meth:`to_json` is ``summary.json``."""

    seed: int
    person: str
    route: RouteFigures
    mission: MissionFigures
    rehearsal: RehearsalFigures

    def to_json(self) -> dict[str, Any]:
        """The JSON document (``"safeconduct": {"kind": "rehearsal-summary", "version": 1}``)."""
        mission = self.mission
        return {
            "safeconduct": {"kind": "rehearsal-summary", "version": 1},
            "seed": self.seed,
            "person": self.person,
            "route": vars(self.route).copy(),
            "mission": {
                **vars(mission),
                "reserve_at_landing_wh": list(mission.reserve_at_landing_wh),
            },
            "rehearsal": {
                **vars(self.rehearsal),
                "exposed_by_observer_s": dict(self.rehearsal.exposed_by_observer_s),
            },
        }

    def describe(self) -> str:
        """A few lines for the terminal."""
        rt, mi, rh = self.route, self.mission, self.rehearsal
        t = format_duration
        reached = "reached" if rh.reached else "did NOT reach"
        return "\n".join([
            f"route: {rt.length_m / 1000:.2f} km to {rt.reception}, expected walking "
            f"{t(rt.walking_time_s)}, {t(rt.exposed_time_s)} in view",
            f"mission: {mi.sorties} sorties on {mi.airframes} drones ({mi.drone}), "
            f"lowest reserve at landing {mi.lowest_reserve_wh:.1f} Wh",
            f"rehearsal ({self.person}): {reached} the reception point in "
            f"{t(rh.duration_s)}; the drone waited {rh.drone_waits} times "
            f"({t(rh.drone_wait_s)}), relay waits {t(rh.relay_wait_s)}, "
            f"{t(rh.exposed_any_s)} in view",
        ])  # fmt: skip


@dataclass(frozen=True)
class OperationResult:
    """What ``rehearse`` produced: the figures, the plan itself, and where the files are."""

    out_dir: Path
    summary: OperationSummary
    route: Route
    plan: MissionPlan
    rehearsal: RehearsalResult

    def describe(self) -> str:
        """A few lines for the terminal."""
        return self.summary.describe() + f"\nreport: {self.out_dir / 'report.html'}"


#: The pace an injured person's operation may be planned at, as a fraction of a fit pace.
INJURED_PACE = Range(0.05, 1.0, "", "a planning pace (a fraction of a fit pace)")


def _check_pace(injured_pace: float) -> None:
    INJURED_PACE.check(injured_pace, field="injured_pace")


def rehearse_operation(
    ports: OperationPorts,
    area_dir: PathLike,
    out_dir: PathLike,
    *,
    seed: int = 0,
    injured: bool = False,
    injured_pace: float | None = None,
    lang: str = "ru",
    drone: str = "camera-900g",
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> OperationResult:
    """Plan an operation on an area, rehearse it, and write the report, all or nothing.

    Parameters
    ----------
    area_dir
        Folder with ``dem.tif``, ``hazards.geojson``, ``observers.geojson``,
        ``reception.geojson`` and ``meeting.geojson``; an optional ``launch.geojson``
        (one point) says where the drones take off, else the reception point.
    out_dir
        Output folder: ``report.html``, ``summary.json``, ``route.geojson``,
        ``mission/`` (per-sortie ``.plan`` and ``.waypoints``, ``mission.geojson``,
        ``schedule.json``), ``note.pdf`` with its preview, ``map.png``, and what the plan
        was made on: ``hazards.geojson`` and ``observers.geojson`` (the area's layers,
        lon/lat) and ``exposure.tif`` (the weighted number of observers that see each
        cell of the DEM's grid, float32, nodata -1).
    seed
        Seed of the rehearsal: the same seed gives the same summary.
    injured
        Plan for an injured person (at ``injured_pace`` of a fit pace) and rehearse one
        (half pace, frequent rests).
    injured_pace
        The planning pace for an injured person, a fraction of a fit pace in [0.05, 1];
        None: :data:`INJURED_PLANNING_PACE`.
    lang
        Language of the dropped note.
    drone
        Drone profile name or file.
    now
        The planning clock (time-zone aware); defaults to now.
    """
    # The report folder may not be the area's folder: its hazards and observers would be
    # replaced (the staging folder also refuses any output landing on an area file).
    ports.planning.files.check_not_inputs({"out_dir": out_dir}, {"area_dir": area_dir})
    return _rehearse(
        ports, lambda: ports.areas.load_area(area_dir), out_dir, seed=seed, injured=injured,
        injured_pace=injured_pace, lang=lang, drone=drone, now=now, progress=progress,
        protect={"area_dir": area_dir},
    )  # fmt: skip


def rehearse_area(
    ports: OperationPorts,
    area: Area,
    out_dir: PathLike,
    *,
    seed: int = 0,
    injured: bool = False,
    injured_pace: float | None = None,
    lang: str = "ru",
    drone: str = "camera-900g",
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> OperationResult:
    """:func:`rehearse_operation` on an area already in memory (its meeting point is the
    route's start), for a caller that changed it, e.g. to the meeting point agreed for a case.
    """
    return _rehearse(
        ports, lambda: area, out_dir, seed=seed, injured=injured, injured_pace=injured_pace,
        lang=lang, drone=drone, now=now, progress=progress,
    )  # fmt: skip


def _rehearse(
    ports: OperationPorts,
    area_of: Callable[[], Area],
    out_dir: PathLike,
    *,
    seed: int,
    injured: bool,
    injured_pace: float | None,
    lang: str,
    drone: str,
    now: datetime | None,
    progress: Callable[[str], None] | None,
    protect: Mapping[str, PathLike | None] | None = None,
) -> OperationResult:
    # Every setting is checked before the area is read, and the area before the long work.
    check_seed(seed)
    if injured_pace is None:
        injured_pace = INJURED_PLANNING_PACE
    _check_pace(injured_pace)
    parse_languages([lang])  # an unknown language is refused now, not after the long work
    say = progress or (lambda _msg: None)
    now = now or datetime.now(UTC).replace(second=0, microsecond=0)
    profile = load_drone(ports.mission, drone)
    area = area_of()
    pace = injured_pace if injured else 1.0
    files = ports.planning.files
    # The staging folder opens first, so an output that cannot be written is refused before
    # the long work; its files replace the output folder together at the end, or none do.
    with files.staging_folder(out_dir, prefix=REHEARSAL_STAGING_PREFIX, protect=protect) as out:
        result = _plan_and_rehearse(ports, area, out, profile, pace, injured, seed, lang, now, say)
    return OperationResult(Path(out_dir), *result)


def _plan_and_rehearse(
    ports: OperationPorts,
    area: Area,
    out: Path,
    profile: DroneProfile,
    pace: float,
    injured: bool,
    seed: int,
    lang: str,
    now: datetime,
    say: Callable[[str], None],
) -> tuple[OperationSummary, Route, MissionPlan, RehearsalResult]:
    """Plan and rehearse on values, then write every artifact into the staging ``out``."""
    say("exposure and hazards")
    grids = search_grids(ports.planning, area.dem, area.hazards, area.observers)
    say("route")
    route = plan_route_on(
        area.dem, grids, area.start, area.reception, area.observers,
        RouteRequest(pace_factor=pace),
    )  # fmt: skip
    say("mission sorties")
    plan = plan_mission(route, _launch_point(area, route), dem=area.dem, drone=profile, now=now)
    say("rehearsal")
    visibility = observer_visibility(area.dem, area.observers)
    path, terrain = terrain_along_route(area.dem, grids, route, visibility)
    sorties = _leading_sorties(plan.sorties)
    person = PersonProfile.injured() if injured else PersonProfile()
    result = rehearse(
        path, terrain, sorties, person, seed=seed, planned_pace=pace,
        time_limit_s=2 * sorties[-1].leave_t + 3600.0,
    )  # fmt: skip
    summary = OperationSummary(
        seed=seed,
        person="injured (half pace, frequent rests)" if injured else "fit",
        route=RouteFigures.of(route),
        mission=MissionFigures.of(plan),
        rehearsal=RehearsalFigures.of(result, area.observers),
    )

    say("writing the route, sorties and note")
    ports.planning.routes.write_route(route, out / "route.geojson")
    _write_area_layers(ports.planning, area, grids, out)
    write_mission(ports.mission, plan, out / "mission")
    note = make_note(ports.note, out / "note.pdf", langs=[lang], kind="drop", png=True)
    ports.planning.files.write_text(out / "summary.json", json_text(summary.to_json()))
    say("report")
    _write_report(ports, out, area, grids, route, plan, sorties, note.png_paths, path,
                  terrain, result, summary)  # fmt: skip
    return summary, route, plan, result


def _write_area_layers(planning: PlanningPorts, area: Area, grids: SearchGrids, out: Path) -> None:
    """Write what the plan was made on, so that the plan folder explains itself: the
    hazards and observers (GeoJSON, lon/lat) and the exposure grid (GeoTIFF on the DEM's
    grid: the weighted number of observers that see a standing person in each cell, -1
    where the DEM has no data), as the board's map draws them."""
    planning.layers.write_hazards(out / "hazards.geojson", area.hazards)
    planning.layers.write_observers(out / "observers.geojson", area.observers)
    dem = area.dem
    seen = grids.exposure if grids.exposure is not None else np.zeros(dem.shape, np.float32)
    grid = np.where(np.isfinite(dem.elevation), seen, np.float32(-1)).astype("float32")
    planning.rasters.write_raster(
        out / "exposure.tif",
        grid,
        dem,
        nodata=-1.0,
        description="weighted number of observers that see a standing person here",
        tags={
            "TARGET_HEIGHT_M": f"{RouteRequest().target_height:g}",
            "OBSERVERS": str(len(area.observers)),
        },
    )


def json_text(doc: Any) -> str:
    """``doc`` as the indented JSON text our files use."""
    return json.dumps(doc, indent=1) + "\n"


def run_demo(
    ports: OperationPorts,
    out_dir: PathLike,
    *,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> OperationResult:
    """The main job on the bundled sample area: plan an operation, rehearse it, report it.

    Writes the sample area into ``out_dir/area/`` and the rehearsal (``report.html``,
    ``summary.json``, route, mission files, note, map) into ``out_dir``; see
    :func:`rehearse_operation`.
    """
    check_seed(seed)
    say = progress or (lambda _msg: None)
    folder = Path(out_dir)
    # One set: the area and the rehearsal are staged together and arrive together, so an
    # error or Ctrl-C leaves no area without its report (and nothing at all in a new folder).
    with ports.planning.files.staging_folder(folder, prefix=REHEARSAL_STAGING_PREFIX) as stage:
        say("generating the sample area")
        staged_area = ports.areas.write_sample_area(stage / "area")
        result = rehearse_operation(ports, staged_area, stage, seed=seed, progress=say)
    return dataclasses.replace(result, out_dir=folder)


def _launch_point(area: Area, route: Route) -> GeoPoint:
    if area.launch is not None:
        return GeoPoint(area.launch.lat, area.launch.lon)
    return GeoPoint(route.reception.lat, route.reception.lon)


def _leading_sorties(plan_sorties: Sequence[Any]) -> list[LeadingSortie]:
    """The mission schedule as the simulator sees it, in seconds from the first lead."""
    first = plan_sorties[0]
    t0 = first.lead_start_time
    out = []
    for i, s in enumerate(plan_sorties):
        arrive = s.lead_start_time if i == 0 else s.arrival_time
        out.append(
            LeadingSortie(
                arrive_t=(arrive - t0).total_seconds(),
                leave_t=(s.latest_leave_time - t0).total_seconds(),
                handover_s=s.lead_to_m,
            )
        )
    return out


def _write_report(
    ports: OperationPorts,
    out: Path,
    area: Area,
    grids: SearchGrids,
    route: Route,
    plan: MissionPlan,
    sorties: Sequence[LeadingSortie],
    note_pngs: Sequence[Path],
    path: RoutePath,
    terrain: TerrainAlong,
    result: RehearsalResult,
    summary: OperationSummary,
) -> None:
    dem, observers, files = area.dem, area.observers, ports.planning.files
    handovers = [s.lead_end for s in plan.sorties if not s.ends_at_reception]
    ports.planning.maps.render_route_map(
        out / "map.png", dem, grids, route, observers,
        sorties=[[(lon, lat) for lon, lat, _ in s.path] for s in plan.sorties],
        handovers=handovers, title="Route, exposure and sorties",
    )  # fmt: skip
    s_prof = np.linspace(0.0, path.length, 400)
    xy = np.array([path.point_at(s) for s in s_prof])
    rows, cols = np.floor((~dem.transform) @ (xy[:, 0], xy[:, 1]))[::-1].astype(int)
    elevation = dem.elevation[rows, cols]
    spans = [(s.arrive_t, s.leave_t) for s in sorties]
    images = {
        "map": files.read_bytes(out / "map.png"),
        "profile": ports.figures.profile_png(s_prof, elevation, terrain),
        "timeline": ports.figures.timeline_png(result, spans),
    }
    if note_pngs:
        images["note"] = files.read_bytes(note_pngs[0])
    rh, rt, mi = summary.rehearsal, summary.route, summary.mission
    t0 = plan.sorties[0].lead_start_time

    def clock(seconds: float) -> str:
        return (t0 + timedelta(seconds=seconds)).strftime("%H:%M:%S")

    content = ReportContent(
        title=f"Operation rehearsal: {rt.reception}",
        subtitle=f"{summary.person} person, seed {summary.seed}, "
        f"planned {plan.meeting_time:%Y-%m-%d %H:%M %Z}",
        images=images,
        summary=[
            ("Distance", f"{rt.length_m / 1000:.2f} km", ""),
            ("Expected walking time", format_duration(rt.walking_time_s), ""),
            (
                "Rehearsed time to reception",
                format_duration(rh.duration_s),
                "ok" if rh.reached else "bad",
            ),
            (
                "Reached the reception point",
                "yes" if rh.reached else "no",
                "ok" if rh.reached else "bad",
            ),
            (
                "Time in view (plan / rehearsal)",
                f"{format_duration(rt.exposed_time_s)} / {format_duration(rh.exposed_any_s)}",
                "",
            ),
            (
                "Drone waited for the person",
                f"{rh.drone_waits} times, {format_duration(rh.drone_wait_s)}",
                "",
            ),
            ("Person waited for a relay", format_duration(rh.relay_wait_s), ""),
            ("Sorties / drones", f"{mi.sorties} / {mi.airframes} ({mi.drone})", ""),
            # What the crew must do for the plan's times to hold (issue 19).
            ("At the meeting point", "; ".join(signal_lines(plan)), ""),
            ("Before each launch", "; ".join(preflight_checks(plan)), ""),
            (
                "Parameters to load (sortie-N.parm)",
                ", ".join(f"{k} = {v:g}" for k, (v, _) in plan.vehicle_parameters.items()),
                "",
            ),
            ("Clearance", "; ".join(clearance_lines(plan)), ""),
            (
                "Battery reserve at each landing (Wh)",
                ", ".join(f"{w:.1f}" for w in mi.reserve_at_landing_wh)
                + f" (required {mi.reserve_required_wh:.1f})",
                "",
            ),
        ],
        sortie_header=[
            "sortie",
            "drone",
            "launch",
            "over person",
            "leads (km)",
            "leaves",
            "lands",
            "used Wh",
            "left Wh",
        ],
        sortie_rows=[
            [
                str(s.number),
                str(s.airframe),
                f"{s.launch_time:%H:%M}",
                f"{(s.lead_start_time if s.number == 1 else s.arrival_time):%H:%M}",
                f"{s.lead_from_m / 1000:.2f}-{s.lead_to_m / 1000:.2f}",
                f"{s.leave_time:%H:%M}",
                f"{s.landing_time:%H:%M}",
                f"{s.energy_used_wh:.1f}",
                f"{s.reserve_left_wh:.1f}",
            ]
            for s in plan.sorties
        ],
        events=[(clock(t), text) for t, text in result.events],
        artifacts=[
            ("route.geojson", "route.geojson", "the route, lon/lat/elevation, with its figures"),
            (
                "mission/",
                "mission/schedule.json",
                "per-sortie .plan, .waypoints and .parm (the parameters to load), "
                "mission.geojson, schedule.json",
            ),
            ("note.pdf", "note.pdf", "the note the drone drops (print-ready)"),
            ("map.png", "map.png", "the map above"),
            ("summary.json", "summary.json", "these figures for machines"),
            ("hazards.geojson", "hazards.geojson", "the area's hazards the route avoids"),
            ("observers.geojson", "observers.geojson", "the observation posts it hides from"),
            ("exposure.tif", "exposure.tif", "how many observers see each cell (GeoTIFF)"),
        ],
        caveats=_caveats(area, result),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    ports.reports.render_report(out / "report.html", content)


def _caveats(area: Area, result: RehearsalResult) -> list[str]:
    notes = [
        "A rehearsal is a simulation: the walker follows a pace model with random "
        "variation, not a real person. Use it to check the plan's margins, not as a promise."
    ]
    if area.synthetic:
        notes.insert(0, "Synthetic sample area: the terrain and every layer are made up.")
    if not result.reached:
        notes.insert(0, "The rehearsed person did not reach the reception point: see the "
                     "timeline; the plan needs more sorties or a shorter route.")  # fmt: skip
    return notes
