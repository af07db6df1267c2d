"""The vector layers of an operation, and burning hazards onto a DEM's grid.

Four GeoJSON (RFC 7946, ``[lon, lat]`` WGS84 degrees) FeatureCollections describe an
area besides its DEM:

``hazards.geojson``
    Features with ``properties.kind`` one of :data:`HAZARD_KINDS`:

    ============  ==========================================  =================================
    kind          geometry                                    effect
    ============  ==========================================  =================================
    minefield     Polygon/MultiPolygon, or Point/LineString   barrier (never crossed, even by
                  (Multi-) with ``buffer_m`` > 0              a road or path)
    impassable    as minefield                                barrier
    water         LineString/Polygon (Multi-)                 barrier, except where a road or
                                                              path crosses it (a bridge, ford)
    woodland      as minefield                                walking speed x ``speed_factor``
                                                              (default 0.7)
    road, path    LineString/MultiLineString                  on-path walking (the routing
                                                              model's off-path factor is not
                                                              applied there)
    ============  ==========================================  =================================

    Optional properties: ``name`` (string), ``buffer_m`` (metres >= 0, default 0: the
    geometry is widened by this much on every side; for water and roads give half the
    width), ``speed_factor`` (woodland only; in (0, 1]).

``observers.geojson``
    Hostile observation posts: Points with ``name``, ``height_m`` (eye height above
    ground, metres, default 1.75), ``range_m`` (metres, default 5000) and ``weight``
    (relative importance >= 0, default 1).

``reception.geojson``
    Reception points: Points with ``name``.

``meeting.geojson``
    The meeting point: a Point with ``name`` (the first feature is used).

Readers raise one-line :class:`~safeconduct.errors.BadFileError` messages that name the
file, the feature (``features[i]``, 0-based) and the fix.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from rasterio.features import rasterize
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from safeconduct.errors import BadFileError
from safeconduct.terrain.geojson import (
    make_feature,
    parse_geometry,
    read_feature_collection,
    write_feature_collection,
)
from safeconduct.terrain.raster import Dem

#: Accepted ``properties.kind`` values of a hazard feature.
HAZARD_KINDS: tuple[str, ...] = ("minefield", "impassable", "water", "woodland", "road", "path")
#: Kinds that are barriers everywhere.
BARRIER_KINDS: tuple[str, ...] = ("minefield", "impassable")
#: Kinds that are walked on (and bridge water).
PATH_KINDS: tuple[str, ...] = ("road", "path")

#: Walking-speed multiplier in woodland when the feature gives none.
DEFAULT_WOODLAND_SPEED_FACTOR = 0.7
#: Observer eye height above ground (metres) when not given: a standing person.
DEFAULT_OBSERVER_HEIGHT_M = 1.75
#: Observer range (metres) when not given.
DEFAULT_OBSERVER_RANGE_M = 5000.0

_AREAL = ("Polygon", "MultiPolygon")
_LINEAR = ("LineString", "MultiLineString")
_PUNCTUAL = ("Point", "MultiPoint")
#: Geometry types each kind accepts; points and lines of areal kinds need buffer_m > 0.
_KIND_GEOMETRIES: dict[str, tuple[str, ...]] = {
    "minefield": _AREAL + _LINEAR + _PUNCTUAL,
    "impassable": _AREAL + _LINEAR + _PUNCTUAL,
    "woodland": _AREAL + _LINEAR + _PUNCTUAL,
    "water": _LINEAR + _AREAL,
    "road": _LINEAR,
    "path": _LINEAR,
}


def _check_lonlat(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError(f"coordinates must be finite (got {lon}, {lat})")
    if not -180.0 <= lon <= 180.0 or not -90.0 <= lat <= 90.0:
        raise ValueError(f"({lon}, {lat}) is outside lon [-180, 180] / lat [-90, 90]")


def _check_nonneg(name: str, value: float, *, strict: bool = False) -> None:
    if not math.isfinite(value) or value < 0 or (strict and value == 0):
        bound = "> 0" if strict else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound} (got {value})")


@dataclass(frozen=True)
class Observer:
    """A hostile observation post.

    Attributes
    ----------
    name
        Label for reports.
    lon, lat
        Position in WGS84 degrees.
    height_m
        Eye height above the ground, metres (>= 0).
    range_m
        Distance beyond which it is taken not to see, metres (> 0).
    weight
        Relative importance in exposure sums (>= 0; 0 ignores it).
    """

    name: str
    lon: float
    lat: float
    height_m: float = DEFAULT_OBSERVER_HEIGHT_M
    range_m: float = DEFAULT_OBSERVER_RANGE_M
    weight: float = 1.0

    def __post_init__(self) -> None:
        _check_lonlat(self.lon, self.lat)
        _check_nonneg("height_m", self.height_m)
        _check_nonneg("range_m", self.range_m, strict=True)
        _check_nonneg("weight", self.weight)


@dataclass(frozen=True)
class NamedPoint:
    """A named place; ``lon``, ``lat`` in WGS84 degrees."""

    name: str
    lon: float
    lat: float

    def __post_init__(self) -> None:
        _check_lonlat(self.lon, self.lat)


class ReceptionPoint(NamedPoint):
    """Where the person is received on the friendly side; ``lon``, ``lat`` in degrees."""


class MeetingPoint(NamedPoint):
    """Where the drone meets the person; ``lon``, ``lat`` in degrees."""


@dataclass(frozen=True)
class Hazard:
    """One feature of the hazards layer.

    Attributes
    ----------
    kind
        One of :data:`HAZARD_KINDS`.
    geometry
        Shapely geometry with ``(lon, lat)`` WGS84 degree coordinates.
    buffer_m
        Widening on every side, metres (>= 0).
    name
        Optional label.
    speed_factor
        Woodland only: walking-speed multiplier in (0, 1]; ``None`` means
        :data:`DEFAULT_WOODLAND_SPEED_FACTOR`.
    """

    kind: str
    geometry: BaseGeometry
    buffer_m: float = 0.0
    name: str | None = None
    speed_factor: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in HAZARD_KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; use one of {', '.join(HAZARD_KINDS)}")
        _check_nonneg("buffer_m", self.buffer_m)
        gtype = self.geometry.geom_type
        allowed = _KIND_GEOMETRIES[self.kind]
        if gtype not in allowed:
            raise ValueError(f"a {self.kind} cannot be a {gtype}; use {', '.join(allowed)}")
        areal_kind = self.kind in ("minefield", "impassable", "woodland")
        if areal_kind and gtype not in _AREAL and self.buffer_m <= 0:
            raise ValueError(
                f"a {self.kind} given as a {gtype} needs buffer_m > 0 (its radius or "
                "half-width in metres), or draw it as a Polygon"
            )
        if self.speed_factor is not None:
            if self.kind != "woodland":
                raise ValueError(f"speed_factor applies to woodland only, not to {self.kind}")
            if not (math.isfinite(self.speed_factor) and 0 < self.speed_factor <= 1):
                raise ValueError(f"speed_factor must be in (0, 1] (got {self.speed_factor})")

    @property
    def effective_speed_factor(self) -> float:
        """Walking-speed multiplier inside this feature (1.0 for non-woodland kinds)."""
        if self.kind != "woodland":
            return 1.0
        return DEFAULT_WOODLAND_SPEED_FACTOR if self.speed_factor is None else self.speed_factor


# --------------------------------------------------------------------------- reading


def _where(path: Path, i: int, props: Mapping[str, Any] | None) -> str:
    name = (props or {}).get("name")
    return f"{path} features[{i}]" + (f" ({name!r})" if isinstance(name, str) else "")


def _number(props: Mapping[str, Any], key: str, default: float | None, where: str) -> float | None:
    if key not in props or props[key] is None:
        return default
    value = props[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadFileError(f"{where}: {key} must be a number (got {value!r}); write e.g. 3.5")
    return float(value)


def _name(props: Mapping[str, Any], default: str | None, where: str) -> str | None:
    value = props.get("name")
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadFileError(f"{where}: name must be a string (got {value!r})")
    return value


def _build(cls: type, where: str, **kwargs: Any) -> Any:
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise BadFileError(f"{where}: {exc}") from None


def _points(path: str | os.PathLike[str], what: str):
    """Yield ``(where, props, lon, lat, index)`` for each Point feature of a layer."""
    p = Path(path)
    for i, feat in enumerate(read_feature_collection(p, what=what)):
        props = feat.get("properties") or {}
        where = _where(p, i, props)
        geom = parse_geometry(feat.get("geometry"), where=where, allowed=("Point",))
        assert isinstance(geom, Point)
        yield where, props, geom.x, geom.y, i


def read_observers(path: str | os.PathLike[str]) -> list[Observer]:
    """Read hostile observation posts (Point features) from a GeoJSON file.

    Properties: ``name`` (default ``"observer <i+1>"``), ``height_m`` (metres, default
    1.75), ``range_m`` (metres, default 5000), ``weight`` (default 1).

    Raises
    ------
    BadFileError
        On any malformed file or feature (one line naming file and feature).
    """
    out = []
    for where, props, lon, lat, i in _points(path, "observation posts"):
        out.append(
            _build(
                Observer,
                where,
                name=_name(props, f"observer {i + 1}", where),
                lon=lon,
                lat=lat,
                height_m=_number(props, "height_m", DEFAULT_OBSERVER_HEIGHT_M, where),
                range_m=_number(props, "range_m", DEFAULT_OBSERVER_RANGE_M, where),
                weight=_number(props, "weight", 1.0, where),
            )
        )
    return out


def read_reception(path: str | os.PathLike[str]) -> list[ReceptionPoint]:
    """Read reception points (Point features, ``name`` optional) from a GeoJSON file."""
    return [
        _build(
            ReceptionPoint,
            where,
            name=_name(props, f"reception point {i + 1}", where),
            lon=lon,
            lat=lat,
        )
        for where, props, lon, lat, i in _points(path, "reception points")
    ]


def read_meeting(path: str | os.PathLike[str]) -> MeetingPoint:
    """Read the meeting point: the first feature (a Point) of a GeoJSON file.

    Later features are checked too but ignored, so that a file keeping alternatives
    is still accepted; the first one is the meeting point.
    """
    points = [
        _build(MeetingPoint, where, name=_name(props, "meeting point", where), lon=lon, lat=lat)
        for where, props, lon, lat, _ in _points(path, "the meeting point")
    ]
    return points[0]


def read_hazards(path: str | os.PathLike[str]) -> list[Hazard]:
    """Read the hazards layer (see the module docstring for its schema).

    Raises
    ------
    BadFileError
        Missing/invalid file, unknown ``kind`` (the message lists the accepted ones),
        a geometry type the kind does not take, negative ``buffer_m``, a bad
        ``speed_factor``, or coordinates outside lon/lat range.
    """
    p = Path(path)
    out = []
    for i, feat in enumerate(read_feature_collection(p, what="hazards")):
        props = feat.get("properties") or {}
        where = _where(p, i, props)
        kind = props.get("kind")
        if kind not in HAZARD_KINDS:
            shown = "missing" if kind is None else repr(kind)
            raise BadFileError(
                f"{where}: kind is {shown}; set properties.kind to one of {', '.join(HAZARD_KINDS)}"
            )
        geom = parse_geometry(feat.get("geometry"), where=where, allowed=_KIND_GEOMETRIES[kind])
        out.append(
            _build(
                Hazard,
                where,
                kind=kind,
                geometry=geom,
                buffer_m=_number(props, "buffer_m", 0.0, where),
                name=_name(props, None, where),
                speed_factor=_number(props, "speed_factor", None, where),
            )
        )
    return out


# --------------------------------------------------------------------------- writing


def write_hazards(
    path: str | os.PathLike[str],
    hazards: Iterable[Hazard],
    *,
    foreign_members: Mapping[str, Any] | None = None,
) -> Path:
    """Write hazards as an RFC 7946 FeatureCollection, atomically (inverse of read_hazards)."""
    feats = [
        make_feature(
            h.geometry,
            {
                "kind": h.kind,
                "name": h.name,
                "buffer_m": h.buffer_m if h.buffer_m else None,
                "speed_factor": h.speed_factor,
            },
        )
        for h in hazards
    ]
    return write_feature_collection(path, feats, foreign_members=foreign_members)


def write_observers(
    path: str | os.PathLike[str],
    observers: Iterable[Observer],
    *,
    foreign_members: Mapping[str, Any] | None = None,
) -> Path:
    """Write observation posts as Point features, atomically (inverse of read_observers)."""
    feats = [
        make_feature(
            Point(o.lon, o.lat),
            {"name": o.name, "height_m": o.height_m, "range_m": o.range_m, "weight": o.weight},
        )
        for o in observers
    ]
    return write_feature_collection(path, feats, foreign_members=foreign_members)


def write_reception(
    path: str | os.PathLike[str],
    points: Iterable[ReceptionPoint],
    *,
    foreign_members: Mapping[str, Any] | None = None,
) -> Path:
    """Write reception points as Point features, atomically (inverse of read_reception)."""
    feats = [make_feature(Point(r.lon, r.lat), {"name": r.name}) for r in points]
    return write_feature_collection(path, feats, foreign_members=foreign_members)


def write_meeting(
    path: str | os.PathLike[str],
    point: MeetingPoint,
    *,
    foreign_members: Mapping[str, Any] | None = None,
) -> Path:
    """Write the meeting point as a one-feature collection, atomically."""
    feats = [make_feature(Point(point.lon, point.lat), {"name": point.name})]
    return write_feature_collection(path, feats, foreign_members=foreign_members)


# --------------------------------------------------------------------------- rasterizing


@dataclass(frozen=True, eq=False)
class HazardGrids:
    """Hazards burnt onto a :class:`Dem`'s grid (arrays ``[row, col]``, ``dem.shape``).

    Attributes
    ----------
    barrier
        ``bool``: never enter. Minefields and impassable areas (with their buffers), and
        water (with its buffer) except cells a road or path crosses. Rasterized with
        every touched cell, so a barrier never shrinks and a step between two cells
        cannot slip diagonally through a corner of one.
    on_path
        ``bool``: road or path cells (with buffers; at least every cell the centreline
        touches). The routing model walks these without its off-path factor.
    speed_factor
        ``float32``: multiplier on walking speed from woodland (1.0 elsewhere; the
        slowest where woodlands overlap). The off-path factor is not in here.
    """

    barrier: np.ndarray
    on_path: np.ndarray
    speed_factor: np.ndarray


def project_geometry(geometry: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    """Return ``geometry`` with every coordinate passed through ``transformer`` (x, y order)."""

    def fn(xy: np.ndarray) -> np.ndarray:
        if len(xy) == 1:  # pyproj treats one-element arrays as scalars (and warns)
            x, y = transformer.transform(float(xy[0, 0]), float(xy[0, 1]))
            return np.array([[x, y]], dtype="float64")
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, fn)


def rasterize_hazards(hazards: Sequence[Hazard], dem: Dem) -> HazardGrids:
    """Burn hazards onto ``dem``'s grid.

    Geometries are projected from lon/lat to ``dem.crs``, widened by ``buffer_m``
    metres, and rasterized. Barriers and paths use every cell the shape touches
    (``all_touched``: erring on the safe side for barriers, and keeping a thin path
    connected); woodland uses the cells whose centre is inside.

    Parameters
    ----------
    hazards
        From :func:`read_hazards`.
    dem
        The grid to burn onto. Features outside it are simply not burnt.

    Returns
    -------
    HazardGrids
    """
    to_map = Transformer.from_crs("EPSG:4326", dem.crs, always_xy=True)
    shape = dem.shape
    barrier_shapes: list[BaseGeometry] = []
    water_shapes: list[BaseGeometry] = []
    path_shapes: list[BaseGeometry] = []
    wood: list[tuple[BaseGeometry, float]] = []
    for h in hazards:
        geom = project_geometry(h.geometry, to_map)
        if h.buffer_m > 0:
            geom = geom.buffer(h.buffer_m, quad_segs=16)
        if geom.is_empty:
            continue
        if h.kind in BARRIER_KINDS:
            barrier_shapes.append(geom)
        elif h.kind == "water":
            water_shapes.append(geom)
        elif h.kind in PATH_KINDS:
            path_shapes.append(geom)
        else:
            wood.append((geom, h.effective_speed_factor))

    def burn(shapes: list[BaseGeometry], *, all_touched: bool) -> np.ndarray:
        if not shapes:
            return np.zeros(shape, dtype=bool)
        return rasterize(
            [(g, 1) for g in shapes],
            out_shape=shape,
            transform=dem.transform,
            fill=0,
            all_touched=all_touched,
            dtype="uint8",
        ).astype(bool)

    on_path = burn(path_shapes, all_touched=True)
    water = burn(water_shapes, all_touched=True)
    barrier = burn(barrier_shapes, all_touched=True) | (water & ~on_path)

    speed = np.ones(shape, dtype="float32")
    if wood:
        # Later shapes overwrite earlier ones: burn the slowest last so overlaps keep it.
        wood.sort(key=lambda gs: -gs[1])
        speed = rasterize(wood, out_shape=shape, transform=dem.transform, fill=1.0, dtype="float32")
    return HazardGrids(barrier=barrier, on_path=on_path, speed_factor=speed)
