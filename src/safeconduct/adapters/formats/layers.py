"""The area's vector layers as GeoJSON files: hazards, observers, reception and meeting points.

The files and their properties are described in :mod:`safeconduct.terrain.layers`. Readers
raise one-line :class:`~safeconduct.errors.BadFileError` messages that name the file, the
feature (``features[i]``, 0-based) and the fix.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from shapely.geometry import Point

from safeconduct.adapters.formats.geojson import (
    make_feature,
    parse_geometry,
    read_feature_collection,
    write_feature_collection,
)
from safeconduct.errors import BadFileError
from safeconduct.terrain.layers import (
    _KIND_GEOMETRIES,
    DEFAULT_OBSERVER_HEIGHT_M,
    DEFAULT_OBSERVER_RANGE_M,
    HAZARD_KINDS,
    Hazard,
    MeetingPoint,
    Observer,
    ReceptionPoint,
)


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


class GeoJsonLayers:
    """:class:`~safeconduct.services.ports.Layers` as GeoJSON files."""

    def read_hazards(self, path: str | os.PathLike[str]) -> list[Hazard]:
        return read_hazards(path)

    def read_observers(self, path: str | os.PathLike[str]) -> list[Observer]:
        return read_observers(path)

    def read_reception(self, path: str | os.PathLike[str]) -> list[ReceptionPoint]:
        return read_reception(path)

    def read_meeting(self, path: str | os.PathLike[str]) -> MeetingPoint:
        return read_meeting(path)

    def write_hazards(self, path: str | os.PathLike[str], hazards: Iterable[Hazard]) -> None:
        write_hazards(path, hazards)

    def write_observers(self, path: str | os.PathLike[str], observers: Iterable[Observer]) -> None:
        write_observers(path, observers)
