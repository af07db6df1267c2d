"""An operation end to end: plan the route, the sorties and the note, then rehearse it.

This is the service layer of ``safeconduct rehearse`` and ``safeconduct demo``: it reads
the area's files, calls the planners, turns their results into what the rehearsal
simulator needs, runs it, and hands everything to the report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from safeconduct.adapters.files.atomic import atomic_folder, write_text_atomic
from safeconduct.adapters.formats.layers import (
    read_hazards,
    read_meeting,
    read_observers,
    read_reception,
)
from safeconduct.adapters.gis.geotiff import read_dem
from safeconduct.adapters.gis.rasterize import rasterize_hazards
from safeconduct.entrypoints.cli.display import format_duration
from safeconduct.errors import BadFileError
from safeconduct.guidance.path import RoutePath
from safeconduct.guidance.rehearsal import (
    LeadingSortie,
    PersonProfile,
    RehearsalResult,
    TerrainAlong,
    rehearse,
)
from safeconduct.routing.kernels import SearchGrids
from safeconduct.routing.models import ToblerModel
from safeconduct.routing.route import (
    Route,
    observer_specs,
    plan_route,
    prepare_search_grids,
    straight_leg_steps,
)
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import Observer
from safeconduct.terrain.visibility import VISIBLE, viewshed


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


AREA_LAYERS = ("dem.tif", "hazards.geojson", "observers.geojson", "reception.geojson",
               "meeting.geojson")  # fmt: skip


@dataclass(frozen=True)
class OperationResult:
    """What ``rehearse`` produced: the figures and where the files are."""

    out_dir: Path
    summary: dict[str, Any]
    route: Route
    rehearsal: RehearsalResult

    def describe(self) -> str:
        """A few lines for the terminal."""
        s = self.summary
        rt, mi, rh = s["route"], s["mission"], s["rehearsal"]
        t = format_duration
        reached = "reached" if rh["reached"] else "did NOT reach"
        return "\n".join([
            f"route: {rt['length_m'] / 1000:.2f} km to {rt['reception']}, expected walking "
            f"{t(rt['walking_time_s'])}, {t(rt['exposed_time_s'])} in view",
            f"mission: {mi['sorties']} sorties on {mi['airframes']} drones ({mi['drone']}), "
            f"lowest reserve at landing {mi['lowest_reserve_wh']:.1f} Wh",
            f"rehearsal ({s['person']}): {reached} the reception point in "
            f"{t(rh['duration_s'])}; the drone waited {rh['drone_waits']} times "
            f"({t(rh['drone_wait_s'])}), relay waits {t(rh['relay_wait_s'])}, "
            f"{t(rh['exposed_any_s'])} in view",
            f"report: {self.out_dir / 'report.html'}",
        ])  # fmt: skip


def _check_area(area_dir: Path) -> None:
    if not area_dir.is_dir():
        raise BadFileError(f"area folder {area_dir} does not exist")
    missing = [name for name in AREA_LAYERS if not (area_dir / name).is_file()]
    if missing:
        raise BadFileError(
            f"area folder {area_dir} lacks {', '.join(missing)}; an area needs "
            f"{', '.join(AREA_LAYERS)} (safeconduct sample --out DIR writes one)"
        )


def rehearse_operation(
    area_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    injured: bool = False,
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
        ``schedule.json``), ``note.pdf`` with its preview, ``map.png``.
    seed
        Seed of the rehearsal: the same seed gives the same summary.
    injured
        Plan for an injured person (0.4 of a fit pace, rests included) and rehearse one
        (half pace, frequent rests).
    lang
        Language of the dropped note.
    drone
        Drone profile name or file.
    now
        The planning clock (time-zone aware); defaults to now.
    """
    from safeconduct.adapters.formats.route_geojson import write_route
    from safeconduct.services.mission import plan_mission_files
    from safeconduct.services.note import make_note

    area = Path(area_dir)
    say = progress or (lambda _msg: None)
    _check_area(area)
    now = now or datetime.now(UTC).replace(second=0, microsecond=0)
    dem = read_dem(area / "dem.tif")
    hazards = read_hazards(area / "hazards.geojson")
    observers = read_observers(area / "observers.geojson")
    reception = read_reception(area / "reception.geojson")
    meeting = read_meeting(area / "meeting.geojson")
    # An injured person walks at about half pace and rests about a fifth of the time, so
    # the plan (route times, leading speed, relay timing) assumes 0.4 of a fit pace.
    pace = 0.4 if injured else 1.0

    with atomic_folder(out_dir, prefix=".rehearse-") as out:
        say("exposure and hazards")
        grids = prepare_search_grids(dem, rasterize_hazards(hazards, dem), observers)
        say("route")
        route = plan_route(
            dem, GeoPoint(meeting.lat, meeting.lon), reception,
            observers=observers, pace_factor=pace, search_grids=grids,
        )  # fmt: skip
        write_route(route, out / "route.geojson")
        launch = _launch_point(area, route)
        say("mission sorties")
        (out / "mission").mkdir()
        mission = plan_mission_files(
            out / "route.geojson", launch, out / "mission", dem_path=area / "dem.tif",
            drone=drone, now=now,
        )  # fmt: skip
        say("the note")
        note = make_note(out / "note.pdf", langs=[lang], kind="drop", png=True)
        say("rehearsal")
        visibility = observer_visibility(dem, observers)
        path, terrain = terrain_along_route(dem, grids, route, visibility)
        sorties = _leading_sorties(mission.plan.sorties)
        person = PersonProfile.injured() if injured else PersonProfile()
        result = rehearse(
            path, terrain, sorties, person, seed=seed, planned_pace=pace,
            time_limit_s=2 * sorties[-1].leave_t + 3600.0,
        )  # fmt: skip
        summary = _summary(route, mission.plan, result, observers, injured, seed)
        write_text_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n")
        say("report")
        _write_report(out, dem, grids, route, observers, mission.plan, sorties, note, path,
                      terrain, result, summary)  # fmt: skip
    return OperationResult(Path(out_dir), summary, route, result)


def _launch_point(area: Path, route: Route) -> GeoPoint:
    launch_file = area / "launch.geojson"
    if launch_file.is_file():
        p = read_meeting(launch_file)  # the same shape: one named point
        return GeoPoint(p.lat, p.lon)
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


def _summary(
    route: Route,
    plan: Any,
    result: RehearsalResult,
    observers: Sequence[Observer],
    injured: bool,
    seed: int,
) -> dict[str, Any]:
    r1 = partial(round, ndigits=1)
    return {
        "safeconduct": {"kind": "rehearsal-summary", "version": 1},
        "seed": seed,
        "person": "injured (half pace, frequent rests)" if injured else "fit",
        "route": {
            "reception": route.reception.name,
            "length_m": r1(route.length_m),
            "walking_time_s": r1(route.walking_time_s),
            "exposed_time_s": r1(route.exposed_time_s),
            "total_ascent_m": r1(route.total_ascent_m),
            "max_slope_deg": r1(route.max_slope_deg),
            "waypoints": len(route.waypoints),
        },
        "mission": {
            "drone": plan.profile.name,
            "sorties": len(plan.sorties),
            "airframes": plan.airframes,
            "reserve_at_landing_wh": [r1(s.reserve_left_wh) for s in plan.sorties],
            "reserve_required_wh": r1(plan.sorties[0].reserve_required_wh),
            "lowest_reserve_wh": r1(min(s.reserve_left_wh for s in plan.sorties)),
        },
        "rehearsal": {
            "reached": result.reached,
            "duration_s": r1(result.duration_s),
            "walking_s": r1(result.walking_s),
            "person_rest_s": r1(result.person_rest_s),
            "relay_wait_s": r1(result.relay_wait_s),
            "drone_wait_s": r1(result.drone_wait_s),
            "drone_waits": result.drone_waits,
            "exposed_any_s": r1(result.exposed_any_s),
            "exposed_by_observer_s": {
                ob.name: r1(t) for ob, t in zip(observers, result.exposed_s, strict=True)
            },
        },
    }


def _write_report(
    out: Path,
    dem: Dem,
    grids: SearchGrids,
    route: Route,
    observers: Sequence[Observer],
    plan: Any,
    sorties: Sequence[LeadingSortie],
    note: Any,
    path: RoutePath,
    terrain: TerrainAlong,
    result: RehearsalResult,
    summary: dict[str, Any],
) -> None:
    from safeconduct.adapters.report.figures import profile_png, timeline_png
    from safeconduct.adapters.report.html import ReportContent, render_report
    from safeconduct.adapters.report.maps import render_route_map

    handovers = [s.lead_end for s in plan.sorties if not s.ends_at_reception]
    render_route_map(
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
        "map": (out / "map.png").read_bytes(),
        "profile": profile_png(s_prof, elevation, terrain),
        "timeline": timeline_png(result, spans),
    }
    if note.png_paths:
        images["note"] = Path(note.png_paths[0]).read_bytes()
    rh, rt, mi = summary["rehearsal"], summary["route"], summary["mission"]
    t0 = plan.sorties[0].lead_start_time

    def clock(seconds: float) -> str:
        return (t0 + timedelta(seconds=seconds)).strftime("%H:%M:%S")

    content = ReportContent(
        title=f"Operation rehearsal: {rt['reception']}",
        subtitle=f"{summary['person']} person, seed {summary['seed']}, "
        f"planned {plan.meeting_time:%Y-%m-%d %H:%M %Z}",
        images=images,
        summary=[
            ("Distance", f"{rt['length_m'] / 1000:.2f} km", ""),
            ("Expected walking time", format_duration(rt["walking_time_s"]), ""),
            (
                "Rehearsed time to reception",
                format_duration(rh["duration_s"]),
                "ok" if rh["reached"] else "bad",
            ),
            (
                "Reached the reception point",
                "yes" if rh["reached"] else "no",
                "ok" if rh["reached"] else "bad",
            ),
            (
                "Time in view (plan / rehearsal)",
                f"{format_duration(rt['exposed_time_s'])} / {format_duration(rh['exposed_any_s'])}",
                "",
            ),
            (
                "Drone waited for the person",
                f"{rh['drone_waits']} times, {format_duration(rh['drone_wait_s'])}",
                "",
            ),
            ("Person waited for a relay", format_duration(rh["relay_wait_s"]), ""),
            ("Sorties / drones", f"{mi['sorties']} / {mi['airframes']} ({mi['drone']})", ""),
            (
                "Battery reserve at each landing (Wh)",
                ", ".join(f"{w:.1f}" for w in mi["reserve_at_landing_wh"])
                + f" (required {mi['reserve_required_wh']:.1f})",
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
                "per-sortie .plan and .waypoints, mission.geojson, schedule.json",
            ),
            ("note.pdf", "note.pdf", "the note the drone drops (print-ready)"),
            ("map.png", "map.png", "the map above"),
            ("summary.json", "summary.json", "these figures for machines"),
        ],
        caveats=_caveats(dem, result),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    render_report(out / "report.html", content)


def _caveats(dem: Dem, result: RehearsalResult) -> list[str]:
    notes = [
        "A rehearsal is a simulation: the walker follows a pace model with random "
        "variation, not a real person. Use it to check the plan's margins, not as a promise."
    ]
    if dem.tags and str(dem.tags.get("SYNTHETIC", "")).lower() in ("yes", "true", "1"):
        notes.insert(0, "Synthetic sample area: the terrain and every layer are made up.")
    if not result.reached:
        notes.insert(0, "The rehearsed person did not reach the reception point: see the "
                     "timeline; the plan needs more sorties or a shorter route.")  # fmt: skip
    return notes
