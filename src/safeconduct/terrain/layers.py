"""The vector layers of an operation as values: hazards, observers, reception and meeting points.

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

    Optional properties: ``name`` (string), ``buffer_m`` (metres, 0 to 10 000, default 0: the
    geometry is widened by this much on every side; for water and roads give half the
    width), ``speed_factor`` (woodland only; in (0, 1]).

``observers.geojson``
    Hostile observation posts: Points with ``name``, ``height_m`` (eye height above
    ground, metres, 0 to 1000, default 1.75), ``range_m`` (metres, over 0 up to 1000 km,
    default 5000) and ``weight`` (relative importance, 0 to 1000, default 1).

``reception.geojson``
    Reception points: Points with ``name``.

``meeting.geojson``
    The meeting point: a Point with ``name`` (the first feature is used).

Reading and writing these files is :mod:`safeconduct.adapters.formats.layers`'s job;
burning hazards onto a DEM's grid is :mod:`safeconduct.adapters.gis.rasterize`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from safeconduct.limits import Range
from safeconduct.terrain.visibility import OBSERVER_HEIGHT, OBSERVER_RANGE, OBSERVER_WEIGHT

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


#: Widening of a hazard on every side, metres (10 km is wider than any front line's belt).
BUFFER = Range(0.0, 10_000.0, "m", "a buffer width")
#: Walking-speed multiplier inside woodland.
SPEED_FACTOR = Range(0.0, 1.0, "", "a walking-speed factor", lo_open=True)


def _check(name: str, value: float, rng: Range) -> None:
    """Refuse an attribute out of its range; the reader adds the file and the feature."""
    problem = rng.problem(value)
    if problem is not None:
        raise ValueError(f"{name}: {problem}")


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
        _check("height_m", self.height_m, OBSERVER_HEIGHT)
        _check("range_m", self.range_m, OBSERVER_RANGE)
        _check("weight", self.weight, OBSERVER_WEIGHT)


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
        _check("buffer_m", self.buffer_m, BUFFER)
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
            _check("speed_factor", self.speed_factor, SPEED_FACTOR)

    @property
    def effective_speed_factor(self) -> float:
        """Walking-speed multiplier inside this feature (1.0 for non-woodland kinds)."""
        if self.kind != "woodland":
            return 1.0
        return DEFAULT_WOODLAND_SPEED_FACTOR if self.speed_factor is None else self.speed_factor


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
