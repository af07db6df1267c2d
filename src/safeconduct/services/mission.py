"""The ``mission`` use case: from a route file to the sortie files, all or nothing.

:func:`plan_mission_files` reads the route (and the DEM), plans the sorties with
:func:`safeconduct.mission.plan.plan_sorties`, and writes into the output folder:

- ``sortie-N.plan`` (QGroundControl) and ``sortie-N.waypoints`` (``QGC WPL 110``) per
  sortie, planned home = the launch point;
- ``mission.geojson``: every sortie's flight path, the launch, drop, waiting and
  reception points, for maps (RFC 7946, lon/lat);
- ``schedule.json``: launch, arrival, handover, landing, energy used and reserve left
  per sortie.

Everything is planned and checked before anything is written; the files are written into
a hidden folder beside their destination and only then moved into place, so a failing
command leaves no partial output. Sortie files of an earlier, longer plan in the same
folder (``sortie-7.plan`` when this plan has 5 sorties) are removed, so that no crew
loads a stale sortie.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shapely.geometry import LineString, Point

from safeconduct.adapters.files.atomic import atomic_folder
from safeconduct.adapters.formats.geojson import make_feature, write_feature_collection
from safeconduct.adapters.formats.qgc_plan import write_qgc_plan
from safeconduct.adapters.formats.qgc_wpl import write_wpl
from safeconduct.adapters.gis.geotiff import read_dem
from safeconduct.errors import BadFileError, InvalidValueError
from safeconduct.mission.clearance import DemTerrain, Terrain
from safeconduct.mission.plan import (
    LeadRoute,
    MissionPlan,
    MissionSettings,
    Release,
    plan_sorties,
)
from safeconduct.mission.profiles import DEFAULT_PROFILE, load_profile
from safeconduct.terrain.coords import GeoPoint

if TYPE_CHECKING:
    from rich.table import Table

PathLike = str | os.PathLike[str]

_SORTIE_FILE = re.compile(r"^sortie-(\d+)\.(plan|waypoints)$")


def read_route(path: PathLike) -> LeadRoute:
    """Read a route GeoJSON written by ``safeconduct route``.

    Raises
    ------
    BadFileError
        The file is missing, not JSON, or not a route (one line naming what is wrong).
    """
    p = Path(path)
    if not p.is_file():
        raise BadFileError(f"route {p} does not exist; plan one with `safeconduct route`")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadFileError(f"cannot read route {p}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise BadFileError(
            f"route {p} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    return LeadRoute.from_geojson(doc, str(p))


def parse_meeting_time(text: str) -> datetime:
    """Read an ISO 8601 time with a time zone (``2024-05-01T05:30+03:00``, ``...Z``).

    Raises
    ------
    InvalidValueError
        Not ISO 8601, or no time zone (a meeting time must not depend on the laptop's
        clock setting).
    """
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidValueError(
            f"--meeting-time: cannot read {text!r}; give ISO 8601 with a time zone, "
            "e.g. 2024-05-01T05:30+03:00 or 2024-05-01T02:30Z"
        ) from exc
    if t.tzinfo is None or t.utcoffset() is None:
        raise InvalidValueError(
            f"--meeting-time {text!r} has no time zone; add one, e.g. {text.strip()}+03:00 "
            f"or {text.strip()}Z"
        )
    return t


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

    def _tz(self) -> tzinfo | None:
        return self.plan.meeting_time.tzinfo

    def describe(self) -> str:
        """A few lines: the sorties, the key times, the files, the warnings."""
        plan = self.plan
        tz = self._tz()
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
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def table(self) -> Table:
        """The schedule as a rich Table, one row per sortie (times in the meeting's zone)."""
        from rich import box
        from rich.table import Table

        plan, tz = self.plan, self._tz()
        available = plan.energy.available_wh
        table = Table(title=f"Sorties ({plan.profile.name})", box=box.SIMPLE_HEAD, pad_edge=False)
        for name in ("#", "drone", "launch", "ready", "leads km", "until", "lands"):
            table.add_column(name, justify="right" if name in ("#", "drone") else "left")
        table.add_column("used Wh", justify="right")
        table.add_column("left Wh", justify="right")

        def hm(t: datetime) -> str:
            return f"{t.astimezone(tz):%H:%M}"

        for s in plan.sorties:
            table.add_row(
                str(s.number),
                str(s.airframe),
                hm(s.launch_time),
                hm(s.arrival_time),
                f"{s.lead_from_m / 1000:.2f}-{s.lead_to_m / 1000:.2f}",
                hm(s.lead_end_time) + (" rec." if s.ends_at_reception else ""),
                hm(s.landing_time),
                f"{s.energy_used_wh:.1f}",
                f"{s.reserve_left_wh:.1f}",
            )
        table.caption = (
            "ready: over the meeting point (sortie 1) or the relief's holding point; until: "
            "reaches the waiting point, where the relief takes over, or reception (rec.); "
            f"reserve required {plan.energy.reserve_wh:.1f} Wh of {available:.1f} Wh"
        )
        return table


def plan_mission_files(
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
    """Plan the guidance sorties for a route and write their files, all or nothing.

    Parameters
    ----------
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
    meeting_time
        When the person is at the meeting point, time-zone aware; None: as soon as
        possible.
    firmware
        ``"ardupilot"`` or ``"px4"``.
    release
        ``"gripper"`` or ``"servo:CHANNEL:PWM"``.
    now
        The current time (time-zone aware), for testing; defaults to the clock.
    settings
        Heights, waits and margins (:class:`~safeconduct.mission.plan.MissionSettings`).

    Returns
    -------
    MissionSummary

    Raises
    ------
    SafeconductError
        Any user error, as one line; nothing is written then.
    """
    rel = release if isinstance(release, Release) else Release.parse(release)
    profile = load_profile(drone)
    route = read_route(route_path)
    terrain: Terrain | None = None
    if dem_path is not None:
        terrain = DemTerrain(read_dem(dem_path), launch)
    plan = plan_sorties(
        route,
        launch,
        profile,
        terrain=terrain,
        meeting_time=meeting_time,
        now=now,
        firmware=firmware,
        release=rel,
        settings=settings,
    )
    files, removed = _write_all(plan, Path(out_dir))
    return MissionSummary(Path(out_dir), files, removed, plan)


def _write_all(plan: MissionPlan, out: Path) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """Write every file into a hidden staging folder, then move them into ``out``."""
    with atomic_folder(out, prefix=".mission-") as staging:
        names = _write_files(plan, staging)
    keep = set(names)
    removed = []
    for p in sorted(out.iterdir()):
        m = _SORTIE_FILE.match(p.name)
        if m and p.name not in keep and int(m[1]) > len(plan.sorties):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed.append(p)
    return tuple(out / n for n in names), tuple(removed)


def _write_files(plan: MissionPlan, folder: Path) -> list[str]:
    # One home, rounded as the items are, so the .plan and .waypoints agree to the digit.
    home_item = plan.home_item()
    home = (home_item.lat, home_item.lon, home_item.alt)
    wpl_home = home_item if plan.firmware == "ardupilot" else None
    speed = plan.profile.cruise_speed_ms
    names = []
    for s in plan.sorties:
        plan_name, wpl_name = f"sortie-{s.number}.plan", f"sortie-{s.number}.waypoints"
        write_qgc_plan(folder / plan_name, s.items, home=home, firmware=plan.firmware,
                       cruise_speed_ms=speed, hover_speed_ms=speed)  # fmt: skip
        write_wpl(folder / wpl_name, s.items, home=wpl_home)
        names += [plan_name, wpl_name]
    write_feature_collection(
        folder / "mission.geojson",
        mission_features(plan),
        foreign_members={"safeconduct": {"kind": "mission", "version": 1}},
    )
    text = json.dumps(plan.schedule(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    (folder / "schedule.json").write_text(text, encoding="utf-8")
    return [*names, "mission.geojson", "schedule.json"]


def mission_features(plan: MissionPlan) -> list[dict[str, Any]]:
    """GeoJSON features of a plan: one flight path per sortie and the key points (lon/lat)."""

    def iso(t: datetime) -> str:
        return t.isoformat(timespec="seconds")

    feats: list[dict[str, Any]] = []
    for s in plan.sorties:
        coords: list[tuple[float, float]] = []
        for lon, lat, _ in s.path:
            if not coords or coords[-1] != (lon, lat):
                coords.append((lon, lat))
        if len(coords) < 2:
            continue
        feats.append(
            make_feature(
                LineString(coords),
                {
                    "role": "sortie",
                    "sortie": s.number,
                    "airframe": s.airframe,
                    "launch_time": iso(s.launch_time),
                    "landing_time": iso(s.landing_time),
                    "lead_from_m": round(s.lead_from_m, 1),
                    "lead_to_m": round(s.lead_to_m, 1),
                    "energy_used_wh": round(s.energy_used_wh, 2),
                    "reserve_left_wh": round(s.reserve_left_wh, 2),
                    "max_alt_above_launch_m": round(max(p[2] for p in s.path), 1),
                },
            )
        )
    feats.append(make_feature(Point(plan.launch.lon, plan.launch.lat), {"role": "launch"}))
    meet = plan.route.point_at(0.0)
    feats.append(
        make_feature(Point(meet), {"role": "drop", "meeting_time": iso(plan.meeting_time)})
    )
    for a, b in zip(plan.sorties, plan.sorties[1:], strict=False):
        feats.append(
            make_feature(
                Point(a.lead_end),
                {
                    "role": "waiting",
                    "sortie": a.number,
                    "relief": b.number,
                    "drone_arrives": iso(a.lead_end_time),
                    "person_waits_s": round(a.person_waits_s, 1),
                    "hidden": plan.route.is_hidden(a.lead_to_m),
                },
            )
        )
        feats.append(
            make_feature(
                Point(b.lead_start),
                {"role": "relief_hold", "sortie": b.number, "in_place": iso(b.arrival_time)},
            )
        )
    end = plan.route.point_at(plan.route.length_m)
    feats.append(
        make_feature(
            Point(end),
            {
                "role": "reception",
                "name": plan.route.reception,
                "arrival": iso(plan.arrival_at_reception),
            },
        )
    )
    return feats


__all__ = [
    "MissionSummary",
    "mission_features",
    "parse_meeting_time",
    "plan_mission_files",
    "read_route",
]
