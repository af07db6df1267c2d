"""Layer files: strict readers, round trips, and rasterizing hazards onto a grid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import CRS, Transformer
from scipy import ndimage
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box
from shapely.geometry.polygon import orient

from safeconduct.adapters.formats.geojson import make_feature, write_feature_collection
from safeconduct.adapters.formats.layers import (
    read_hazards,
    read_meeting,
    read_observers,
    read_reception,
    write_hazards,
    write_meeting,
    write_observers,
    write_reception,
)
from safeconduct.adapters.gis.rasterize import rasterize_hazards
from safeconduct.errors import BadFileError
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import (
    DEFAULT_OBSERVER_HEIGHT_M,
    DEFAULT_OBSERVER_RANGE_M,
    DEFAULT_WOODLAND_SPEED_FACTOR,
    HAZARD_KINDS,
    Hazard,
    MeetingPoint,
    Observer,
    ReceptionPoint,
    project_geometry,
)

# --------------------------------------------------------------------------- helpers

SQUARE = [[[38.0, 48.6], [38.001, 48.6], [38.001, 48.601], [38.0, 48.601], [38.0, 48.6]]]


def fc(*features: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **extra}


def feat(geometry: dict[str, Any] | None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def pt(lon: float = 38.0, lat: float = 48.6) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def poly(coords: Any = SQUARE) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": coords}


def dump(path: Path, doc: Any) -> Path:
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- readers


def test_read_observers_defaults_and_values(tmp_path: Path) -> None:
    path = dump(
        tmp_path / "obs.geojson",
        fc(
            feat(pt(38.0, 48.6)),
            feat(pt(38.1, 48.7), name="OP", height_m=4, range_m=3000.5, weight=2),
        ),
    )
    a, b = read_observers(path)
    assert a == Observer(
        "observer 1", 38.0, 48.6, DEFAULT_OBSERVER_HEIGHT_M, DEFAULT_OBSERVER_RANGE_M, 1.0
    )
    assert b == Observer("OP", 38.1, 48.7, 4.0, 3000.5, 2.0)


def test_read_reception_and_meeting(tmp_path: Path) -> None:
    path = dump(tmp_path / "r.geojson", fc(feat(pt(38.0, 48.6), name="A"), feat(pt(38.2, 48.5))))
    assert read_reception(path) == [
        ReceptionPoint("A", 38.0, 48.6),
        ReceptionPoint("reception point 2", 38.2, 48.5),
    ]
    assert read_meeting(path) == MeetingPoint("A", 38.0, 48.6)  # the first feature


def test_read_hazards_all_kinds(tmp_path: Path) -> None:
    line = {"type": "LineString", "coordinates": [[38.0, 48.6], [38.01, 48.61]]}
    path = dump(
        tmp_path / "h.geojson",
        fc(
            feat(poly(), kind="minefield", buffer_m=25, name="M1"),
            feat(pt(), kind="minefield", buffer_m=100),
            feat(poly(), kind="impassable"),
            feat(line, kind="water", buffer_m=4),
            feat(poly(), kind="woodland", speed_factor=0.5),
            feat(poly(), kind="woodland"),
            feat(line, kind="road", buffer_m=3),
            feat(line, kind="path"),
            crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        ),
    )
    hz = read_hazards(path)
    assert [h.kind for h in hz] == [
        "minefield",
        "minefield",
        "impassable",
        "water",
        "woodland",
        "woodland",
        "road",
        "path",
    ]
    assert hz[0].buffer_m == 25.0 and hz[0].name == "M1"
    assert hz[4].effective_speed_factor == 0.5
    assert hz[5].speed_factor is None
    assert hz[5].effective_speed_factor == DEFAULT_WOODLAND_SPEED_FACTOR
    assert hz[6].effective_speed_factor == 1.0
    assert set(HAZARD_KINDS) == {h.kind for h in hz}


def test_clockwise_and_self_intersecting_polygons_are_normalised(tmp_path: Path) -> None:
    cw = [list(reversed(SQUARE[0]))]
    bowtie = [[[38.0, 48.6], [38.01, 48.61], [38.01, 48.6], [38.0, 48.61], [38.0, 48.6]]]
    path = dump(
        tmp_path / "h.geojson",
        fc(feat(poly(cw), kind="minefield"), feat(poly(bowtie), kind="minefield")),
    )
    square, tie = read_hazards(path)
    assert square.geometry.exterior.is_ccw
    # Both triangles of the bow-tie survive the repair: no area is lost.
    assert tie.geometry.is_valid
    assert tie.geometry.area == pytest.approx(0.5 * 0.01 * 0.01)


BAD_FILES: list[tuple[str, Any, str, str]] = [
    # (id, content, reader, text the message must contain)
    ("not-json", "{nope", "hazards", "not valid JSON"),
    ("not-a-collection", feat(pt(), kind="water"), "hazards", "not a GeoJSON FeatureCollection"),
    ("a-list", [1, 2], "hazards", "not a GeoJSON FeatureCollection"),
    ("no-features-member", {"type": "FeatureCollection"}, "hazards", "no 'features' list"),
    ("empty", fc(), "hazards", "has no features"),
    ("feature-not-object", fc(3), "hazards", "features[0] is not a GeoJSON Feature"),
    (
        "properties-list",
        fc({"type": "Feature", "properties": [], "geometry": pt()}),
        "observers",
        "'properties' must be an object",
    ),
    (
        "projected-crs",
        fc(feat(pt()), crs={"type": "name", "properties": {"name": "EPSG:32637"}}),
        "observers",
        "non-WGS84",
    ),
    (
        "unknown-kind",
        fc(feat(poly(), kind="minefield"), feat(poly(), kind="mines")),
        "hazards",
        "features[1]: kind is 'mines'; set properties.kind to one of minefield, impassable",
    ),
    ("missing-kind", fc(feat(poly())), "hazards", "kind is missing"),
    ("null-geometry", fc(feat(None, kind="minefield")), "hazards", "has no geometry"),
    ("road-polygon", fc(feat(poly(), kind="road")), "hazards", "geometry type 'Polygon'"),
    (
        "geometry-collection",
        fc(feat({"type": "GeometryCollection", "geometries": []}, kind="minefield")),
        "hazards",
        "geometry type 'GeometryCollection'",
    ),
    ("minefield-point-no-buffer", fc(feat(pt(), kind="minefield")), "hazards", "buffer_m > 0"),
    (
        "negative-buffer",
        fc(feat(poly(), kind="minefield", buffer_m=-5)),
        "hazards",
        "buffer_m: -5 m is out of range; give a buffer width",
    ),
    (
        "string-buffer",
        fc(feat(poly(), kind="minefield", buffer_m="25 m")),
        "hazards",
        "buffer_m must be a number",
    ),
    (
        "bool-buffer",
        fc(feat(poly(), kind="minefield", buffer_m=True)),
        "hazards",
        "buffer_m must be a number",
    ),
    (
        "speed-on-road",
        fc(
            feat(
                {"type": "LineString", "coordinates": [[38, 48], [38.1, 48]]},
                kind="road",
                speed_factor=0.5,
            )
        ),
        "hazards",
        "speed_factor applies to woodland only",
    ),
    (
        "speed-too-big",
        fc(feat(poly(), kind="woodland", speed_factor=1.5)),
        "hazards",
        "speed_factor: ",
    ),
    (
        "lat-lon-swapped",
        fc(feat(pt(48.6, 138.0), kind="minefield", buffer_m=5)),
        "hazards",
        "outside lon [-180, 180] / lat [-90, 90]",
    ),
    (
        "projected-coordinates",
        fc(feat(pt(430000.0, 5380000.0))),
        "observers",
        "outside lon [-180, 180]",
    ),
    (
        "string-coordinate",
        fc(feat({"type": "Point", "coordinates": ["38", 48]})),
        "observers",
        "non-number",
    ),
    (
        "short-position",
        fc(feat({"type": "Point", "coordinates": [38]})),
        "observers",
        "is not [lon, lat]",
    ),
    (
        "short-line",
        fc(feat({"type": "LineString", "coordinates": [[38, 48]]}, kind="road")),
        "hazards",
        "at least 2",
    ),
    (
        "open-ring",
        fc(feat(poly([[*SQUARE[0][:-1], [38.0, 48.6005]]]), kind="impassable")),
        "hazards",
        "not closed",
    ),
    (
        "negative-height",
        fc(feat(pt(), height_m=-2)),
        "observers",
        "height_m: -2 m is out of range; give an observer height",
    ),
    (
        "zero-range",
        fc(feat(pt(), range_m=0)),
        "observers",
        "range_m: 0 m is out of range; give an observer range",
    ),
    ("negative-weight", fc(feat(pt(), weight=-1)), "observers", "weight: -1 is out of range"),
    ("observer-polygon", fc(feat(poly())), "observers", "use Point"),
    ("name-number", fc(feat(pt(), name=5)), "reception", "name must be a string"),
    (
        "meeting-line",
        fc(feat({"type": "LineString", "coordinates": [[38, 48], [38.1, 48]]})),
        "meeting",
        "use Point",
    ),
]

READERS = {
    "hazards": read_hazards,
    "observers": read_observers,
    "reception": read_reception,
    "meeting": read_meeting,
}


@pytest.mark.parametrize(
    ("content", "reader", "expected"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_malformed_layers_raise_one_line_bad_file_errors(
    tmp_path: Path, content: Any, reader: str, expected: str
) -> None:
    path = dump(tmp_path / "layer.geojson", content)
    with pytest.raises(BadFileError) as info:
        READERS[reader](path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert expected in message


@pytest.mark.parametrize("reader", sorted(READERS))
def test_missing_file(tmp_path: Path, reader: str) -> None:
    with pytest.raises(BadFileError, match="does not exist"):
        READERS[reader](tmp_path / "nowhere.geojson")


def test_feature_errors_name_the_feature(tmp_path: Path) -> None:
    path = dump(tmp_path / "o.geojson", fc(feat(pt()), feat(pt(), name="OP 2", range_m=-1)))
    with pytest.raises(BadFileError, match=r"features\[1\] \('OP 2'\): range_m"):
        read_observers(path)


def test_dataclasses_validate_programmatic_use() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Hazard("mine", Point(38, 48))
    with pytest.raises(ValueError, match="cannot be a Point"):
        Hazard("road", Point(38, 48))
    with pytest.raises(ValueError):
        Observer("x", 200.0, 0.0)
    with pytest.raises(ValueError):
        ReceptionPoint("x", 0.0, float("nan"))


def test_foreign_members_are_written_and_reserved_names_refused(tmp_path: Path) -> None:
    path = write_feature_collection(
        tmp_path / "x.geojson",
        [make_feature(Point(38, 48), {"name": None, "a": 1})],
        foreign_members={"safeconduct": {"synthetic": True}},
    )
    doc = json.loads(path.read_text())
    assert doc["safeconduct"] == {"synthetic": True}
    assert doc["features"][0]["properties"] == {"a": 1}
    with pytest.raises(ValueError, match="crs"):
        write_feature_collection(tmp_path / "y.geojson", [], foreign_members={"crs": {}})


# --------------------------------------------------------------------------- round trips

lon_s = st.integers(-1_790_000_000, 1_790_000_000).map(lambda i: round(i * 1e-7, 7))
lat_s = st.integers(-890_000_000, 890_000_000).map(lambda i: round(i * 1e-7, 7))
text_s = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
names = st.none() | text_s
# Within the ranges a layer admits (safeconduct.limits): buffers to 10 km, eye heights to 1 km.
metres = st.floats(0.0, 999.0, allow_nan=False, allow_infinity=False)


@st.composite
def polygons(draw) -> Polygon:
    """A convex CCW polygon, coordinates on the 1e-7 degree grid (exactly writable)."""
    lon, lat = draw(lon_s), draw(lat_s)
    n = draw(st.integers(3, 8))
    radius = draw(st.floats(1e-3, 0.5))
    start = draw(st.floats(0, 2 * np.pi))
    angles = start + np.arange(n) * 2 * np.pi / n
    ring = [
        (round(lon + radius * np.cos(a), 7), round(lat + radius * np.sin(a), 7)) for a in angles
    ]
    return orient(Polygon(ring), 1.0)


@st.composite
def lines(draw) -> LineString:
    pts = draw(st.lists(st.tuples(lon_s, lat_s), min_size=2, max_size=6, unique=True))
    return LineString(pts)


@st.composite
def hazard_s(draw) -> Hazard:
    kind = draw(st.sampled_from(HAZARD_KINDS))
    if kind in ("road", "path"):
        geom = draw(lines())
    elif kind == "water":
        geom = draw(lines() | polygons())
    else:
        geom = draw(
            polygons()
            | st.tuples(lon_s, lat_s).map(Point)
            | st.lists(st.tuples(lon_s, lat_s), min_size=1, max_size=3, unique=True).map(MultiPoint)
        )
    buffer_m = draw(metres)
    if kind in ("minefield", "impassable", "woodland") and geom.geom_type != "Polygon":
        buffer_m = buffer_m + 1.0
    speed = draw(st.none() | st.floats(0.01, 1.0)) if kind == "woodland" else None
    return Hazard(kind, geom, buffer_m=buffer_m, name=draw(names), speed_factor=speed)


FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FAST
@given(hazards=st.lists(hazard_s(), min_size=1, max_size=6))
def test_hazards_round_trip(tmp_path: Path, hazards: list[Hazard]) -> None:
    path = write_hazards(tmp_path / "h.geojson", hazards)
    back = read_hazards(path)
    assert back == hazards
    # And writing what was read gives the same bytes.
    again = write_hazards(tmp_path / "h2.geojson", back)
    assert again.read_bytes() == path.read_bytes()


@FAST
@given(
    observers=st.lists(
        st.builds(
            Observer,
            name=st.text(max_size=10, alphabet="abc OP-1"),
            lon=lon_s,
            lat=lat_s,
            height_m=metres,
            range_m=st.floats(0.5, 1e5),
            weight=st.floats(0, 10),
        ),
        min_size=1,
        max_size=5,
    ),
    reception=st.lists(
        st.builds(ReceptionPoint, name=text_s, lon=lon_s, lat=lat_s), min_size=1, max_size=3
    ),
)
def test_points_round_trip(tmp_path: Path, observers, reception) -> None:
    assert read_observers(write_observers(tmp_path / "o.geojson", observers)) == observers
    assert read_reception(write_reception(tmp_path / "r.geojson", reception)) == reception
    meeting = MeetingPoint(reception[0].name, reception[0].lon, reception[0].lat)
    assert read_meeting(write_meeting(tmp_path / "m.geojson", meeting)) == meeting


# --------------------------------------------------------------------------- rasterizing

CRS_UTM = CRS.from_epsg(32637)
LEFT, TOP = 430_000.0, 5_384_000.0


@pytest.fixture(scope="module")
def small_dem() -> Dem:
    """A flat 100 x 100 grid of 10 m cells in UTM 37N."""
    return Dem(np.zeros((100, 100)), Affine(10.0, 0, LEFT, 0, -10.0, TOP), CRS_UTM)


def lonlat(dem: Dem, geom):
    """A map-metre geometry of the test grid as lon/lat."""
    return project_geometry(geom, Transformer.from_crs(dem.crs, "EPSG:4326", always_xy=True))


def cell(dem: Dem, x: float, y: float) -> tuple[int, int]:
    return dem.xy_to_rowcol(LEFT + x, TOP - y)


def test_minefield_buffer_is_barrier(small_dem: Dem) -> None:
    field = box(LEFT + 400, TOP - 600, LEFT + 600, TOP - 400)
    grids = rasterize_hazards(
        [Hazard("minefield", lonlat(small_dem, field), buffer_m=30.0)], small_dem
    )
    assert grids.barrier[cell(small_dem, 500, 500)]
    assert grids.barrier[cell(small_dem, 625, 500)]  # 25 m outside: in the buffer
    assert grids.barrier[cell(small_dem, 500, 372)]  # 28 m outside on the other side
    assert not grids.barrier[cell(small_dem, 655, 500)]  # 55 m outside
    assert not grids.on_path.any()
    assert (grids.speed_factor == 1.0).all()
    # Never smaller than the exact buffered area (all touched cells are in).
    area = grids.barrier.sum() * 100.0
    assert area >= field.buffer(30.0).area


def test_thin_diagonal_barrier_cannot_be_slipped_through(small_dem: Dem) -> None:
    wall = LineString([(LEFT + 3, TOP - 3), (LEFT + 997, TOP - 997)])  # corner to corner
    grids = rasterize_hazards(
        [Hazard("impassable", lonlat(small_dem, wall), buffer_m=0.5)], small_dem
    )
    labels, _ = ndimage.label(~grids.barrier, structure=np.ones((3, 3)))
    assert labels[cell(small_dem, 900, 100)] != labels[cell(small_dem, 100, 900)]


def test_water_is_barrier_except_where_a_road_crosses(small_dem: Dem) -> None:
    stream = LineString([(LEFT + 500, TOP + 10), (LEFT + 500, TOP - 1010)])  # north-south
    road = LineString([(LEFT - 10, TOP - 505), (LEFT + 1010, TOP - 505)])  # east-west
    hz = [
        Hazard("water", lonlat(small_dem, stream), buffer_m=4.0),
        Hazard("road", lonlat(small_dem, road), buffer_m=3.0),
    ]
    grids = rasterize_hazards(hz, small_dem)
    col = cell(small_dem, 500, 0)[1]
    assert grids.barrier[:, col].sum() == 100 - grids.on_path[:, col].sum()
    assert not grids.barrier[cell(small_dem, 500, 505)]
    assert grids.on_path[cell(small_dem, 100, 505)]
    assert grids.barrier[cell(small_dem, 500, 200)]
    labels, _ = ndimage.label(~grids.barrier, structure=np.ones((3, 3)))
    assert labels[cell(small_dem, 100, 100)] == labels[cell(small_dem, 900, 900)]
    # A minefield on the road still blocks it: paths open water, never mines.
    mines = box(LEFT + 700, TOP - 520, LEFT + 720, TOP - 490)
    mined = [*hz, Hazard("minefield", lonlat(small_dem, mines))]
    assert rasterize_hazards(mined, small_dem).barrier[cell(small_dem, 710, 505)]


def test_unbuffered_path_marks_centreline_cells(small_dem: Dem) -> None:
    track = LineString([(LEFT + 5, TOP - 5), (LEFT + 995, TOP - 600)])
    grids = rasterize_hazards([Hazard("path", lonlat(small_dem, track))], small_dem)
    for t in np.linspace(0.01, 0.99, 50):
        p = track.interpolate(t, normalized=True)
        assert grids.on_path[small_dem.xy_to_rowcol(p.x, p.y)]


def test_woodland_speed_factor_default_custom_and_overlap(small_dem: Dem) -> None:
    a = box(LEFT + 100, TOP - 300, LEFT + 300, TOP - 100)
    b = box(LEFT + 200, TOP - 400, LEFT + 400, TOP - 200)
    grids = rasterize_hazards(
        [
            Hazard("woodland", lonlat(small_dem, a)),
            Hazard("woodland", lonlat(small_dem, b), speed_factor=0.4),
        ],
        small_dem,
    )
    assert grids.speed_factor.dtype == np.float32
    assert grids.speed_factor[cell(small_dem, 150, 150)] == pytest.approx(0.7)
    assert grids.speed_factor[cell(small_dem, 250, 250)] == pytest.approx(0.4)  # slowest wins
    assert grids.speed_factor[cell(small_dem, 350, 350)] == pytest.approx(0.4)
    assert grids.speed_factor[cell(small_dem, 800, 800)] == 1.0
    assert not grids.barrier.any()


def test_no_hazards_gives_empty_grids(small_dem: Dem) -> None:
    grids = rasterize_hazards([], small_dem)
    assert grids.barrier.shape == grids.on_path.shape == grids.speed_factor.shape == (100, 100)
    assert not grids.barrier.any() and not grids.on_path.any()
