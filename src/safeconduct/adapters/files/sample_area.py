"""A seeded, synthetic sample area: DEM plus layers, for demos, tests and benchmarks.

The area is 8 km x 8 km of eastern-European farmland (UTM zone 37N, around
48.6 N 38.0 E), at 5 m resolution. It is invented, not real terrain, and every file
says so. The story it tells, west to east (``u`` is metres east of the area's west
edge, ``v`` metres north of its south edge):

- friendly side (west, ``u`` < 3 km): fields, tree lines, two reception points, a
  farm track, a ruined farm (impassable);
- the middle: a meandering stream in a shallow valley, running north to south,
  impassable except at the one bridge where the east-west road crosses it;
- hostile side (east): open fields, a belt of minefields with gaps about 300-480 m in
  front of the forward trench, two trench lines, and a ridge (60-120 m relief) running
  north-south with observation posts on its crest.

The meeting point lies between the minefield belt and the forward trench, so a route
must find a gap in the mines, then the bridge, to reach a reception point.

Everything derives from the seed through :func:`numpy.random.default_rng`, so one seed
always gives byte-identical GeoJSON and an identical DEM array.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.features import rasterize
from scipy import ndimage
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from safeconduct.adapters.files.atomic import atomic_folder
from safeconduct.adapters.formats.layers import (
    write_hazards,
    write_meeting,
    write_observers,
    write_reception,
)
from safeconduct.adapters.gis.geotiff import write_raster
from safeconduct.errors import BadFileError, InvalidValueError
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import (
    Hazard,
    MeetingPoint,
    Observer,
    ReceptionPoint,
    project_geometry,
)

#: The seed of the sample area the tests and documentation use.
DEFAULT_SEED = 20221101
#: CRS of the sample DEM: WGS84 / UTM zone 37N.
SAMPLE_CRS = "EPSG:32637"
#: Approximate centre of the area, ``(lon, lat)`` degrees.
CENTRE_LONLAT = (38.0, 48.6)
#: Side of the square area in metres, and the cell size in metres.
SIZE_M = 8000.0
CELL_M = 5.0
#: Nodata value declared in the DEM (no cell holds it).
NODATA = -9999.0

DEM_NAME = "dem.tif"
HAZARDS_NAME = "hazards.geojson"
OBSERVERS_NAME = "observers.geojson"
RECEPTION_NAME = "reception.geojson"
MEETING_NAME = "meeting.geojson"
LAUNCH_NAME = "launch.geojson"
_AREA_FILES = frozenset(
    (DEM_NAME, HAZARDS_NAME, OBSERVERS_NAME, RECEPTION_NAME, MEETING_NAME, LAUNCH_NAME)
)
#: The drone team launches on the friendly side, this far west of the bridge (metres).
_LAUNCH_WEST_OF_BRIDGE_M = 400.0

SYNTHETIC_NOTE = (
    "Synthetic sample area made by safeconduct's seeded generator; "
    "not real terrain, positions or minefields."
)

_N = int(SIZE_M / CELL_M)  # 1600 cells a side
_EXTEND_M = 10.0  # lines run this far past the area's edges so they span it fully


@dataclass(frozen=True)
class SampleAreaSummary:
    """What :func:`generate_sample_area` wrote, with a few figures.

    Attributes
    ----------
    folder, dem_path, hazards_path, observers_path, reception_path, meeting_path, launch_path
        The output folder and files.
    seed
        The generator seed.
    crs
        The DEM's CRS (``"EPSG:32637"``).
    shape
        ``(rows, cols)`` of the DEM.
    cell_size_m, width_m, height_m
        Cell size and extent, metres.
    elevation_min_m, elevation_max_m
        Lowest and highest ground, metres.
    ridge_relief_m
        Height of the ridge crest above the fields at its western foot, metres.
    hazard_counts
        ``(kind, count)`` pairs of the hazards layer.
    n_observers, n_reception
        Number of observation posts and reception points.
    meeting_lonlat, bridge_lonlat
        The meeting point and the bridge (road over stream), ``(lon, lat)`` degrees.
    meeting_to_trench_m
        Distance from the meeting point to the forward trench line, metres.
    """

    folder: Path
    dem_path: Path
    hazards_path: Path
    observers_path: Path
    reception_path: Path
    meeting_path: Path
    launch_path: Path
    seed: int
    crs: str
    shape: tuple[int, int]
    cell_size_m: float
    width_m: float
    height_m: float
    elevation_min_m: float
    elevation_max_m: float
    ridge_relief_m: float
    hazard_counts: tuple[tuple[str, int], ...]
    n_observers: int
    n_reception: int
    meeting_lonlat: tuple[float, float]
    bridge_lonlat: tuple[float, float]
    meeting_to_trench_m: float

    def hazard_count(self, kind: str) -> int:
        """Number of hazards of ``kind``."""
        return dict(self.hazard_counts).get(kind, 0)

    def describe(self) -> str:
        """A short multi-line human summary."""
        rows, cols = self.shape
        counts = ", ".join(f"{n} {k}" for k, n in self.hazard_counts)
        mlon, mlat = self.meeting_lonlat
        blon, blat = self.bridge_lonlat
        return "\n".join(
            [
                f"Synthetic sample area, seed {self.seed} (not real terrain) in {self.folder}",
                f"  DEM: {self.dem_path.name}, {cols} x {rows} cells of {self.cell_size_m:g} m "
                f"({self.width_m / 1000:g} x {self.height_m / 1000:g} km), {self.crs}",
                f"  ground {self.elevation_min_m:.0f}-{self.elevation_max_m:.0f} m; "
                f"ridge relief {self.ridge_relief_m:.0f} m (hostile side, east)",
                f"  hazards: {counts}",
                f"  {self.n_observers} observation posts on the ridge; "
                f"{self.n_reception} reception points (west)",
                f"  meeting point {mlat:.5f},{mlon:.5f} "
                f"({self.meeting_to_trench_m:.0f} m in front of the forward trench)",
                f"  bridge {blat:.5f},{blon:.5f}",
            ]
        )


# --------------------------------------------------------------------------- layout


class _Layout:
    """The area's linear features as functions of local metres (u east, v north).

    Each line is a function of one coordinate (streams, ridge and trenches of ``v``;
    road of ``u``) so that distances to it can be computed for every cell at once:
    ``|u - f(v)| / sqrt(1 + f'(v)^2)`` is the perpendicular distance near the line.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        ph = rng.uniform(0.0, 2.0 * math.pi, size=16)
        self.ph = ph
        self.stream_u0 = 3500.0 + rng.uniform(-100.0, 100.0)
        self.road_v0 = 4200.0 + rng.uniform(-100.0, 100.0)
        self.ridge_u0 = 6750.0 + rng.uniform(-80.0, 80.0)
        self.trench_u0 = 5650.0 + rng.uniform(-60.0, 60.0)

    # Stream: meanders of 3.1, 1.3 and 0.56 km, single-valued in v (it never loops back).
    def stream(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = np.full_like(v, self.stream_u0, dtype="float64")
        du = np.zeros_like(u)
        for (period, amp), ph in zip(
            ((3100.0, 170.0), (1300.0, 70.0), (560.0, 18.0)), self.ph[0:3], strict=True
        ):
            k = 2 * math.pi / period
            u += amp * np.sin(k * v + ph)
            du += amp * k * np.cos(k * v + ph)
        return u, du

    # Road: gentle bends, nearly east-west, so it crosses the stream exactly once.
    def road(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k1, k2 = 2 * math.pi / 6500.0, 2 * math.pi / 2300.0
        a1, a2 = 90.0, 30.0
        v = self.road_v0 + a1 * np.sin(k1 * u + self.ph[3]) + a2 * np.sin(k2 * u + self.ph[9])
        dv = a1 * k1 * np.cos(k1 * u + self.ph[3]) + a2 * k2 * np.cos(k2 * u + self.ph[9])
        return v, dv

    # Ridge crest line and crest height (metres above the plain).
    def ridge(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = 2 * math.pi / 7000.0
        u = self.ridge_u0 + 200.0 * np.sin(k * v + self.ph[4])
        du = 200.0 * k * np.cos(k * v + self.ph[4])
        return u, du

    def ridge_height(self, v: np.ndarray) -> np.ndarray:
        return 60.0 + 8.0 * np.sin(2 * math.pi * v / 3100.0 + self.ph[5])

    # Trench lines: a smooth trace plus a zigzag of fire bays (6 m, every 50 m).
    def trench_base(self, v: np.ndarray, which: int) -> tuple[np.ndarray, np.ndarray]:
        k = 2 * math.pi / 5200.0
        u = self.trench_u0 + 110.0 * np.sin(k * v + self.ph[6])
        du = 110.0 * k * np.cos(k * v + self.ph[6])
        if which == 1:
            k2 = 2 * math.pi / 2900.0
            u = u + 280.0 + 40.0 * np.sin(k2 * v + self.ph[7])
            du = du + 40.0 * k2 * np.cos(k2 * v + self.ph[7])
        return u, du

    def trench(self, v: np.ndarray, which: int) -> tuple[np.ndarray, np.ndarray]:
        u, du = self.trench_base(v, which)
        period, amp = 50.0, 6.0
        phase = (v / period + 0.5 * which) % 1.0
        tri = amp * (4.0 * np.abs(phase - 0.5) - 1.0)  # triangle wave in [-amp, amp]
        dtri = np.where(phase < 0.5, -4.0 * amp / period, 4.0 * amp / period)
        return u + tri, du + dtri

    TRENCH_V = (700.0, 7300.0)
    #: Minefield segments along v; the gaps between them are the way through.
    MINE_SEGMENTS = ((600.0, 2150.0), (2450.0, 3700.0), (3950.0, 5300.0), (5600.0, 7400.0))
    MINE_BELT = (-480.0, -300.0)  # u offsets from the forward trench's trace
    MINE_BUFFER_M = 20.0
    GAP_PATH_V = 2300.0  # the field track runs through the southern gap
    MEETING_V = 3150.0
    MEETING_OFFSET_U = -190.0  # in front (west) of the forward trench

    # Dry gullies (balkas) running down to the stream: (v at head, u at head, depth m).
    GULLIES = ((1700.0, 250.0, 8.0), (6450.0, 450.0, 7.0), (1000.0, 6250.0, 9.0))


def _perp_distance(a: np.ndarray, f: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Distance from points at coordinate ``a`` to a line ``a = f(b)`` (near the line)."""
    return np.abs(a - f) / np.sqrt(1.0 + df * df)


def _spectral_noise(
    rng: np.random.Generator,
    n: int,
    cell: float,
    *,
    beta: float,
    longest_m: float,
    shortest_m: float,
    stretch: float = 1.0,
) -> np.ndarray:
    """Zero-mean, unit-variance fractal noise: power ~ f**-beta between two wavelengths.

    ``stretch`` > 1 elongates the features east-west by that factor (side valleys
    running down a north-south ridge).
    """
    white = rng.standard_normal((n, n))
    spec = np.fft.rfft2(white)
    fy = np.fft.fftfreq(n, d=cell)[:, None]
    fx = np.fft.rfftfreq(n, d=cell)[None, :] * stretch
    f2 = fx * fx + fy * fy
    amp = (f2 + (1.0 / longest_m) ** 2) ** (-beta / 4.0) * np.exp(-f2 * shortest_m**2)
    amp[0, 0] = 0.0
    out = np.fft.irfft2(spec * amp, s=(n, n))
    out -= out.mean()
    out /= out.std()
    return out


# --------------------------------------------------------------------------- generator


def generate_sample_area(
    out_dir: str | os.PathLike[str], *, seed: int = DEFAULT_SEED
) -> SampleAreaSummary:
    """Write the synthetic sample area (DEM and four layers) into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into; created if missing. Existing files of the same names
        are replaced (atomically, one by one).
    seed
        Generator seed; the same seed gives byte-identical GeoJSON and an identical
        DEM array.

    Returns
    -------
    SampleAreaSummary
        Paths and figures; ``describe()`` gives a human summary.

    Notes
    -----
    Files written (all atomically):

    ``dem.tif``
        1600 x 1600 float32 heights in metres at 5 m, EPSG:32637, nodata -9999
        (never present), tagged ``SYNTHETIC=yes``. Bare earth: the ground under the
        woodland is a little hummocky, but there is no canopy.
    ``hazards.geojson``, ``observers.geojson``, ``reception.geojson``, ``meeting.geojson``
        RFC 7946, as :mod:`safeconduct.terrain.layers` describes, each with a top-level
        ``"safeconduct": {"synthetic": true, "seed": N, "note": ...}`` member.
    """
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadFileError(f"cannot create folder {folder}: {exc.strerror}") from exc

    rng = np.random.default_rng(seed)
    lay = _Layout(rng)

    crs = CRS.from_user_input(SAMPLE_CRS)
    to_map = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    cx, cy = to_map.transform(*CENTRE_LONLAT)
    left = float(round(cx - SIZE_M / 2))  # whole metres
    bottom = float(round(cy - SIZE_M / 2))
    top = bottom + SIZE_M
    transform = Affine(CELL_M, 0.0, left, 0.0, -CELL_M, top)

    # Vector geometry first (local metres), because the DEM is shaped around it.
    geo = _vector_layout(lay, rng)
    elevation = _terrain(lay, rng, geo, transform, left, bottom)

    dem = Dem(elevation.astype("float64"), transform, crs)
    tags = {
        "SYNTHETIC": "yes",
        "SEED": str(seed),
        "GENERATOR": "safeconduct.adapters.files.sample_area.generate_sample_area",
        "UNITS": "metre",
        "DESCRIPTION": (
            f"Synthetic sample area made by safeconduct's seeded generator (seed {seed}); "
            "not real terrain."
        ),
    }
    dem_path = write_raster(
        folder / DEM_NAME,
        elevation,
        dem,
        nodata=NODATA,
        tags=tags,
        description="ground elevation (m), synthetic",
    )

    # Local metres -> map metres -> lon/lat.
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def ll(g: BaseGeometry) -> BaseGeometry:
        return project_geometry(affinity.translate(g, left, bottom), to_lonlat)

    def ll_point(p: Point) -> tuple[float, float]:
        q = ll(p)
        return round(q.x, 7), round(q.y, 7)

    foreign = {"safeconduct": {"synthetic": True, "seed": seed, "note": SYNTHETIC_NOTE}}
    hazards = [
        Hazard(kind, ll(g), buffer_m=buf, name=name, speed_factor=sf)
        for kind, g, buf, name, sf in geo.hazards
    ]
    hazards_path = write_hazards(folder / HAZARDS_NAME, hazards, foreign_members=foreign)

    observers = []
    for name, pt, height, rng_m, weight in geo.observers:
        lon, lat = ll_point(pt)
        observers.append(Observer(name, lon, lat, height, rng_m, weight))
    observers_path = write_observers(folder / OBSERVERS_NAME, observers, foreign_members=foreign)

    reception = [ReceptionPoint(name, *ll_point(pt)) for name, pt in geo.reception]
    reception_path = write_reception(folder / RECEPTION_NAME, reception, foreign_members=foreign)

    meeting = MeetingPoint(geo.meeting[0], *ll_point(geo.meeting[1]))
    meeting_path = write_meeting(folder / MEETING_NAME, meeting, foreign_members=foreign)
    launch_pt = affinity.translate(geo.bridge, -_LAUNCH_WEST_OF_BRIDGE_M, 40.0)
    launch = MeetingPoint("Drone team (launch point)", *ll_point(launch_pt))
    launch_path = write_meeting(folder / LAUNCH_NAME, launch, foreign_members=foreign)

    counts: dict[str, int] = {}
    for h in hazards:
        counts[h.kind] = counts.get(h.kind, 0) + 1
    return SampleAreaSummary(
        folder=folder,
        dem_path=dem_path,
        hazards_path=hazards_path,
        observers_path=observers_path,
        reception_path=reception_path,
        meeting_path=meeting_path,
        launch_path=launch_path,
        seed=seed,
        crs=SAMPLE_CRS,
        shape=(_N, _N),
        cell_size_m=CELL_M,
        width_m=SIZE_M,
        height_m=SIZE_M,
        elevation_min_m=float(elevation.min()),
        elevation_max_m=float(elevation.max()),
        ridge_relief_m=_ridge_relief(lay, elevation),
        hazard_counts=tuple(counts.items()),
        n_observers=len(observers),
        n_reception=len(reception),
        meeting_lonlat=(meeting.lon, meeting.lat),
        bridge_lonlat=ll_point(geo.bridge),
        meeting_to_trench_m=float(geo.meeting[1].distance(geo.forward_trench)),
    )


@dataclass(frozen=True)
class _Geo:
    """The vector layout in local metres (u east, v north of the area's SW corner)."""

    hazards: list[tuple[str, BaseGeometry, float, str | None, float | None]]
    observers: list[tuple[str, Point, float, float, float]]
    reception: list[tuple[str, Point]]
    meeting: tuple[str, Point]
    bridge: Point
    forward_trench: LineString
    woodland: list[BaseGeometry]


def _sample_line(
    fn: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    lo: float,
    hi: float,
    step: float,
    *,
    along_v: bool,
) -> LineString:
    t = np.arange(lo, hi + step / 2, step)
    w, _ = fn(t)
    return LineString(np.column_stack([w, t]) if along_v else np.column_stack([t, w]))


def _blob(rng: np.random.Generator, cu: float, cv: float, radius: float) -> Polygon:
    """An irregular copse outline: a circle with smooth random radial wobble."""
    theta = np.linspace(0.0, 2 * math.pi, 40, endpoint=False)
    wobble = np.zeros_like(theta)
    for harmonic in (2, 3, 5):
        a, ph = rng.uniform(0.04, 0.12), rng.uniform(0, 2 * math.pi)
        wobble += a * np.sin(harmonic * theta + ph)
    r = radius * (1.0 + wobble)
    return Polygon(np.column_stack([cu + r * np.cos(theta), cv + r * np.sin(theta)]))


def _strip(
    rng: np.random.Generator, a: tuple[float, float], b: tuple[float, float], half_width: float
) -> Polygon:
    """A tree line (windbreak): a slightly wavy strip between two points."""
    t = np.linspace(0.0, 1.0, 12)
    pts = np.outer(1 - t, a) + np.outer(t, b)
    normal = np.array([a[1] - b[1], b[0] - a[0]]) / math.dist(a, b)
    pts += np.outer(rng.uniform(-4.0, 4.0, size=t.size), normal)
    return LineString(pts).buffer(half_width, cap_style="flat")


def _vector_layout(lay: _Layout, rng: np.random.Generator) -> _Geo:
    lo, hi = -_EXTEND_M, SIZE_M + _EXTEND_M
    stream = _sample_line(lay.stream, lo, hi, 20.0, along_v=True)
    road = _sample_line(lay.road, lo, hi, 25.0, along_v=False)
    crossing = stream.intersection(road)
    if not isinstance(crossing, Point):  # by construction: both lines are monotone
        raise RuntimeError(f"sample layout: road meets stream as {crossing.geom_type}")

    def trench_u(v: float) -> float:
        return float(lay.trench_base(np.array([v]), 0)[0][0])

    hz: list[tuple[str, BaseGeometry, float, str | None, float | None]] = []

    # Minefield belt in front of the forward trench, with gaps between segments.
    for i, (va, vb) in enumerate(lay.MINE_SEGMENTS):
        vs = np.linspace(va, vb, max(3, int((vb - va) / 100.0) + 1))
        base, _ = lay.trench_base(vs, 0)
        east = base + lay.MINE_BELT[1] + rng.uniform(-15.0, 15.0, vs.size)
        west = base + lay.MINE_BELT[0] + rng.uniform(-15.0, 15.0, vs.size)
        ring = np.concatenate([np.column_stack([east, vs]), np.column_stack([west, vs])[::-1]])
        hz.append(("minefield", Polygon(ring), lay.MINE_BUFFER_M, f"minefield M{i + 1}", None))
    # A reported mine cluster known only as a point and a radius.
    hz.append(("minefield", Point(4800.0, 6000.0), 120.0, "reported mines (point, 120 m)", None))

    farm = affinity.rotate(
        Polygon([(-75, -50), (75, -50), (75, 50), (-75, 50)]), 20.0, origin=(0, 0)
    )
    hz.append(
        (
            "impassable",
            affinity.translate(farm, 2700.0, 5400.0),
            0.0,
            "ruined farm (rubble, unexploded ordnance)",
            None,
        )
    )
    hz.append(("water", stream, 4.0, "stream", None))

    woods: list[tuple[BaseGeometry, str, float | None]] = [
        (_strip(rng, (4100.0, 2900.0), (4950.0, 2920.0), 12.0), "tree line", 0.6),
        (_strip(rng, (4300.0, 4650.0), (4320.0, 6200.0), 12.0), "tree line", 0.6),
        (_strip(rng, (600.0, 3300.0), (2600.0, 3320.0), 12.0), "tree line", 0.6),
        (_strip(rng, (2450.0, 4700.0), (2430.0, 6900.0), 12.0), "tree line", 0.6),
        (_strip(rng, (300.0, 5800.0), (2200.0, 5790.0), 12.0), "tree line", 0.6),
        (_blob(rng, 5000.0, 6500.0, 220.0), "copse", None),
        (_blob(rng, 1000.0, 1400.0, 260.0), "copse", None),
        (_blob(rng, 7300.0, 2600.0, 300.0), "wood on the ridge", None),
        (
            _sample_line(lay.stream, 5300.0, 6900.0, 20.0, along_v=True).buffer(40.0),
            "riparian scrub",
            0.5,
        ),
    ]
    for g, name, sf in woods:
        hz.append(("woodland", g, 0.0, name, sf))

    hz.append(("road", road, 3.0, "road", None))
    v_road = float(lay.road(np.array([4350.0]))[0][0])
    gap_v = lay.GAP_PATH_V
    track = LineString(
        [
            (trench_u(gap_v) - 20.0, gap_v),
            (5000.0, gap_v + 5.0),
            (4700.0, gap_v - 10.0),
            (4450.0, 3000.0),
            (4350.0, v_road),
        ]
    )
    hz.append(("path", track, 1.5, "field track", None))
    rb = Point(1600.0, 2450.0)
    v_road_w = float(lay.road(np.array([1900.0]))[0][0])
    farm_track = LineString(
        [(1900.0, v_road_w), (1820.0, 3600.0), (1700.0, 3000.0), (rb.x, rb.y + 15.0)]
    )
    hz.append(("path", farm_track, 1.5, "farm track", None))

    # Observation posts on the crest; eye heights are towers or roofs.
    ops = []
    specs = (
        ("OP 1 (south)", 1300.0, 3.0, 3000.0, 1.0),
        ("OP 2", 3100.0, 5.0, 4000.0, 1.5),
        ("OP 3", 4900.0, 2.5, 3500.0, 1.0),
        ("OP 4 (north)", 6700.0, 4.0, 2500.0, 1.0),
    )
    for name, v, height, rng_m, weight in specs:
        v = v + float(rng.uniform(-120.0, 120.0))
        u = float(lay.ridge(np.array([v]))[0][0])
        ops.append((name, Point(u, v), height, rng_m, weight))

    ua = 1250.0
    reception = [
        (
            "Reception point A (road checkpoint)",
            Point(ua, float(lay.road(np.array([ua]))[0][0]) + 30.0),
        ),
        ("Reception point B (farm)", rb),
    ]
    mv = lay.MEETING_V
    meeting = (
        "Meeting point (in front of the forward trench)",
        Point(trench_u(mv) + lay.MEETING_OFFSET_U, mv),
    )
    forward = _sample_line(lambda v: lay.trench(v, 0), *lay.TRENCH_V, 5.0, along_v=True)
    return _Geo(
        hazards=hz,
        observers=ops,
        reception=reception,
        meeting=meeting,
        bridge=crossing,
        forward_trench=forward,
        woodland=[g for g, _, _ in woods],
    )


def _terrain(
    lay: _Layout, rng: np.random.Generator, geo: _Geo, transform: Affine, left: float, bottom: float
) -> np.ndarray:
    """Heights (float32 metres) on the 1600 x 1600 grid, row 0 at the north edge."""
    n, cell = _N, CELL_M
    u1 = (np.arange(n) + 0.5) * cell
    v1 = SIZE_M - (np.arange(n) + 0.5) * cell
    U, V = u1[None, :], v1[:, None]

    s_u, s_du = lay.stream(v1[:, None])
    d_stream = _perp_distance(U, s_u, s_du)

    # Rolling fields: fractal noise, calmer on the flood plain; a gentle fall to the
    # south (the stream flows south) and up out of the valley on both sides.
    fields = _spectral_noise(rng, n, cell, beta=3.6, longest_m=3500.0, shortest_m=80.0)
    swales = _spectral_noise(rng, n, cell, beta=3.0, longest_m=800.0, shortest_m=60.0)
    micro = _spectral_noise(rng, n, cell, beta=2.2, longest_m=100.0, shortest_m=8.0)
    plain = 1.0 - 0.85 * np.exp(-((d_stream / 250.0) ** 2))
    z = 150.0 + 0.003 * V + 0.011 * np.minimum(np.maximum(d_stream - 60.0, 0.0), 1700.0)
    z = z + plain * (13.0 * fields + 0.8 * swales) + 0.08 * micro

    # The ridge: asymmetric (steeper to the west), its crest height wandering; side
    # valleys cut into the flanks along the zero lines of east-west-stretched noise
    # (|noise| is V-shaped there), so they run downslope like real drainage.
    r_u, r_du = lay.ridge(v1[:, None])
    side = U - r_u
    width = np.where(side < 0, 430.0, 620.0)
    shape = np.exp(-((side / np.sqrt(1.0 + r_du * r_du) / width) ** 2))
    spurs = _spectral_noise(rng, n, cell, beta=3.4, longest_m=2000.0, shortest_m=150.0, stretch=3.0)
    creases = _spectral_noise(
        rng, n, cell, beta=3.0, longest_m=1200.0, shortest_m=40.0, stretch=4.0
    )
    flank = 4.0 * shape * (1.0 - shape)
    z = z + lay.ridge_height(v1[:, None]) * shape * (1.0 + 0.08 * spurs)
    z = z + 12.0 * flank * (1.0 + 0.4 * spurs) * (np.abs(creases) - 0.8)

    # Dry gullies (balkas) down to the stream, widening and deepening downstream and
    # opening onto the flood plain.
    for i, (v_head, u_head, depth) in enumerate(lay.GULLIES):
        u_end = float(lay.stream(np.array([v_head]))[0][0])
        t_raw = (U - u_head) / (u_end - u_head)
        t = np.clip(t_raw, 0.0, 1.0)
        g_v = np.full_like(U, v_head)
        g_dv = np.zeros_like(U)
        for period, amp, ph in ((1700.0, 70.0, lay.ph[10 + i]), (610.0, 22.0, lay.ph[13 + i])):
            k = 2 * math.pi / period
            g_v = g_v + amp * np.sin(k * U + ph)
            g_dv = g_dv + amp * k * np.cos(k * U + ph)
        d = _perp_distance(V, g_v, g_dv)
        half_width = 30.0 + 50.0 * t
        across = np.cos(0.5 * math.pi * np.minimum(d / half_width, 1.0)) ** 2
        along = np.clip(t / 0.3, 0.0, 1.0) ** 0.7 * np.clip((d_stream - 40.0) / 250.0, 0.0, 1.0)
        z = z - depth * along * across * ((t_raw > 0) & (t_raw < 1))

    # Road: graded (heavily smoothed ground) on a low embankment, blended into the verge.
    r_v, r_dv = lay.road(u1[None, :])
    d_road = _perp_distance(V, r_v, r_dv)
    graded = ndimage.gaussian_filter(z, sigma=10.0, mode="nearest")
    w = np.clip((12.0 - d_road) / 8.0, 0.0, 1.0)
    z = (1.0 - w) * z + w * (graded + 0.35 * np.clip((6.0 - d_road) / 3.0, 0.0, 1.0))

    # Stream channel, 2.5 m deep and ~8 m wide, except under the bridge deck.
    channel = 2.5 * np.clip((9.0 - d_stream) / 5.5, 0.0, 1.0)
    deck = np.clip((14.0 - d_road) / 6.0, 0.0, 1.0)
    z = z - channel * (1.0 - deck)

    # Trench lines: 1.8 m cuts (a 5 m cell holds the 2 m trench) with a spoil
    # parapet on the enemy-facing (west) side; they do cut the road.
    v_lo, v_hi = lay.TRENCH_V
    ends = np.clip(np.minimum(V - v_lo, v_hi - V) / 30.0, 0.0, 1.0)
    for which in (0, 1):
        t_u, t_du = lay.trench(v1[:, None], which)
        d = _perp_distance(U, t_u, t_du)
        cut = 1.8 * np.clip((5.0 - d) / 2.5, 0.0, 1.0)
        west = U - t_u < 0
        parapet = 0.5 * np.clip(1.0 - np.abs(d - 7.0) / 3.0, 0.0, 1.0) * west
        z = z + ends * (parapet - cut)

    # Woodland floor: slightly hummocky so patches show in a hillshade (no canopy).
    wood_map = [affinity.translate(g, left, bottom) for g in geo.woodland]
    in_wood = rasterize(
        [(g, 1) for g in wood_map], out_shape=(n, n), transform=transform, fill=0, dtype="uint8"
    ).astype(bool)
    hummocks = ndimage.gaussian_filter(rng.standard_normal((n, n)), sigma=1.0)
    z = z + 0.6 * hummocks * in_wood
    return z.astype("float32")


def _ridge_relief(lay: _Layout, elevation: np.ndarray) -> float:
    """Crest height above the fields 0.9-1.3 km west of it, metres."""
    n, cell = _N, CELL_M
    u1 = (np.arange(n) + 0.5) * cell
    v1 = SIZE_M - (np.arange(n) + 0.5) * cell
    r_u, _ = lay.ridge(v1[:, None])
    side = u1[None, :] - r_u
    crest = np.abs(side) < 150.0
    foot = (side < -900.0) & (side > -1300.0)
    return float(np.percentile(elevation[crest], 99.5) - np.median(elevation[foot]))


AREAS = ("synthetic", "jacksboro")


def write_area(
    out_dir: str | os.PathLike[str], *, area: str = "synthetic", seed: int = DEFAULT_SEED
) -> str:
    """Write a sample area into ``out_dir`` and return a short human summary.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing).
    area
        ``"synthetic"``: the seeded 8 x 8 km area with its GeoJSON layers;
        ``"jacksboro"``: the real Jacksboro fault DEM (geographic GeoTIFF) alone.
    seed
        Seed of the synthetic generator.
    """
    if area not in AREAS:
        raise InvalidValueError(
            f"unknown area {area!r}; choose one of {', '.join(AREAS)}", field="area"
        )
    if seed < 0:
        raise InvalidValueError(f"give a whole number 0 or more, not {seed}", field="seed")
    folder = Path(out_dir)
    try:  # as before: missing folders above the area are made
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadFileError(f"cannot create folder {folder.parent}: {exc.strerror}") from exc
    # The area is one set: written into a staging folder and moved into place at the end, so
    # an error or Ctrl-C leaves an earlier area in ``folder`` whole, never half replaced.
    with atomic_folder(folder, prefix=".sample-") as staging:
        if area == "synthetic":
            summary = generate_sample_area(staging, seed=seed)
            text = dataclasses.replace(summary, folder=folder).describe()
        else:
            from safeconduct.adapters.files.jacksboro import write_jacksboro_dem

            write_jacksboro_dem(staging / DEM_NAME)
            text = (
                f"wrote {folder / DEM_NAME}: the Jacksboro fault DEM (USGS, via matplotlib's "
                "sample data), 344 x 403 cells of 3 arc-seconds on WGS84; commands reproject "
                "it to UTM 16N"
            )
        written = {item.name for item in staging.iterdir()}
    # Layers of an earlier area that this one lacks would be read with the new DEM.
    for name in sorted(_AREA_FILES - written):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    return text
