"""Running ``lead`` against simulated copters: the harness the scenario tests share."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from safeconduct.adapters.clock import ScaledClock
from safeconduct.adapters.files.drone_profiles import DroneProfileFiles
from safeconduct.adapters.formats.person_track import CsvPersonTracks
from safeconduct.adapters.formats.route_geojson import GeoJsonRouteFiles
from safeconduct.adapters.gis.geotiff import RasterioRasters
from safeconduct.adapters.mavlink.guided import MavlinkGuidedVehicles
from safeconduct.adapters.mavlink.simulated_copter import SAFE_LEADING_PARAMS, SimulatedCopter
from safeconduct.guidance.path import RoutePath
from safeconduct.services.leading import LeadPorts, LeadRequest, LeadSummary, lead
from tests.leading.area import CRS37, route_points, write_dem, write_route

#: Simulated seconds per wall second in the scenarios (the loop runs at 5 Hz simulated).
SCALE = 8.0
_TO = Transformer.from_crs("EPSG:4326", CRS37, always_xy=True)


@dataclass
class Area:
    folder: Path
    points: list[tuple[float, float]]
    route: Path
    dem: Path
    path: RoutePath  # the route in UTM metres

    def s_of(self, lat: float, lon: float) -> tuple[float, float]:
        """Distance along the route and offset from it, metres."""
        return self.path.project(np.array(_TO.transform(lon, lat)))


def make_area(folder: Path, legs=((0.0, 150.0), (90.0, 100.0))) -> Area:
    pts = route_points(legs)
    write_dem(folder / "dem.tif")
    write_route(folder / "route.geojson", pts)
    xy = np.array([_TO.transform(lon, lat) for lon, lat in pts])
    return Area(folder, pts, folder / "route.geojson", folder / "dem.tif", RoutePath(xy))


def start_sim(area: Area, *, offset_m: tuple[float, float] = (0.0, 0.0), **kw: Any):
    """A copter hovering 20 m over the route's start (``offset_m`` north, east of it)."""
    lon, lat = area.points[0]
    lat += offset_m[0] / 111_320.0
    lon += offset_m[1] / (111_320.0 * math.cos(math.radians(lat)))
    params = dict(SAFE_LEADING_PARAMS)
    params.update(kw.pop("params", {}))
    sim = SimulatedCopter(home=(lat, lon, 150.0), params=params, time_scale=SCALE, **kw)
    return sim.start()


class Sampler:
    """Records the simulator's true state every few simulated tenths of a second."""

    def __init__(self, sims: list[SimulatedCopter]) -> None:
        self.sims = sims
        self.rows: list[list[Any]] = [[] for _ in sims]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for i, sim in enumerate(self.sims):
                self.rows[i].append(sim.state())
            time.sleep(0.2 / SCALE)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    summary: LeadSummary
    lines: list[str] = field(default_factory=list)


def ports(with_profiles: bool = False) -> LeadPorts:
    return LeadPorts(
        vehicles=MavlinkGuidedVehicles(),
        routes=GeoJsonRouteFiles(),
        dems=RasterioRasters(),
        clock=ScaledClock(SCALE),
        tracks=CsvPersonTracks(),
        profiles=DroneProfileFiles() if with_profiles else None,
    )


def run_lead(
    area: Area,
    sim: SimulatedCopter,
    track: list[tuple[float, float, float]],
    *,
    with_profiles: bool = False,
    **overrides: Any,
) -> Run:
    """Run ``lead`` to its end against ``sim`` with the walker ``track``."""
    lines: list[str] = []
    settings: dict[str, Any] = {"linger_s": 0.0, "arrive_hold_s": 5.0, "max_duration_s": 400.0}
    settings.update(overrides)
    request = LeadRequest(
        connection=sim.connection,
        route_path=area.route,
        dem_path=area.dem,
        assume_yes=True,
        connect_timeout_s=5.0 * SCALE,
        **settings,
    )
    summary = lead(ports(with_profiles), request, confirm=None, report=lines.append, track=track)
    return Run(summary, lines)


def first_target_time(sim: SimulatedCopter) -> float:
    """Simulated time of the first target: the start of leading, as the vehicle saw it."""
    targets = sim.targets_received()
    assert targets, "the vehicle received no target"
    return targets[0].time_s
