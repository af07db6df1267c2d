"""GeoJSON (RFC 7946) input and output for the layer files.

Every layer safeconduct reads or writes (hazards, observers, reception and meeting
points, routes) is a GeoJSON ``FeatureCollection`` as RFC 7946 defines it:

- positions are ``[lon, lat]`` in WGS84 degrees (longitude first); a third number
  (altitude) is accepted on input and ignored;
- there is no ``crs`` member (a legacy one naming WGS84/CRS84 is tolerated on input);
- polygon exterior rings run counter-clockwise and holes clockwise (we write them so;
  on input either winding is accepted and normalised);
- we write coordinates rounded to 7 decimals (about 1 cm), one feature per line.

Reading is strict: each problem raises a one-line :class:`~safeconduct.errors.BadFileError`
naming the file, the feature index (``features[i]``, 0-based) and what to do.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import (
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from safeconduct.adapters.files.atomic import write_text_atomic
from safeconduct.errors import BadFileError

#: Decimal places of written coordinates: 1e-7 degree is about 1 cm on the ground.
COORDINATE_PRECISION = 7

#: Top-level members RFC 7946 defines for a FeatureCollection; anything else is foreign.
_RESERVED_MEMBERS = frozenset({"type", "features", "bbox", "crs"})

#: Legacy ``crs`` names that mean WGS84 lon/lat, which we accept on input.
_WGS84_NAMES = frozenset(
    {
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "epsg:4326",
        "urn:ogc:def:crs:epsg::4326",
        "urn:ogc:def:crs:epsg:4326",
    }
)

_GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
)


# --------------------------------------------------------------------------- writing


def geometry_to_geojson(
    geometry: BaseGeometry, *, precision: int = COORDINATE_PRECISION
) -> dict[str, Any]:
    """Return the RFC 7946 ``geometry`` object of a lon/lat shapely geometry.

    Parameters
    ----------
    geometry
        A Point, LineString, Polygon or their Multi- forms, with coordinates
        ``(lon, lat)`` in WGS84 degrees. Any Z coordinate is dropped.
    precision
        Decimal places kept (7 = about 1 cm).

    Returns
    -------
    dict
        ``{"type": ..., "coordinates": ...}`` with polygon exterior rings
        counter-clockwise and holes clockwise, as RFC 7946 section 3.1.6 asks.
    """
    gtype = geometry.geom_type
    if gtype not in _GEOMETRY_TYPES:
        raise ValueError(f"cannot write a {gtype} as a GeoJSON layer geometry")
    if geometry.is_empty:
        raise ValueError(f"cannot write an empty {gtype}")

    def pos(coord: Sequence[float]) -> list[float]:
        lon, lat = float(coord[0]), float(coord[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise ValueError(f"non-finite coordinate ({lon}, {lat})")
        return [round(lon, precision) + 0.0, round(lat, precision) + 0.0]  # +0.0: no "-0.0"

    def line(coords: Iterable[Sequence[float]]) -> list[list[float]]:
        return [pos(c) for c in coords]

    def poly(p: Polygon) -> list[list[list[float]]]:
        p = orient(p, 1.0)
        return [line(p.exterior.coords), *(line(r.coords) for r in p.interiors)]

    if isinstance(geometry, Point):
        coords: Any = pos(geometry.coords[0])
    elif isinstance(geometry, LineString):
        coords = line(geometry.coords)
    elif isinstance(geometry, Polygon):
        coords = poly(geometry)
    elif isinstance(geometry, MultiPoint):
        coords = [pos(g.coords[0]) for g in geometry.geoms]
    elif isinstance(geometry, MultiLineString):
        coords = [line(g.coords) for g in geometry.geoms]
    else:
        assert isinstance(geometry, MultiPolygon)
        coords = [poly(g) for g in geometry.geoms]
    return {"type": gtype, "coordinates": coords}


def make_feature(geometry: BaseGeometry, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Return a GeoJSON Feature; ``None`` property values are left out."""
    props = {k: v for k, v in properties.items() if v is not None}
    return {"type": "Feature", "properties": props, "geometry": geometry_to_geojson(geometry)}


def write_feature_collection(
    path: str | os.PathLike[str],
    features: Iterable[Mapping[str, Any]],
    *,
    foreign_members: Mapping[str, Any] | None = None,
) -> Path:
    """Write a GeoJSON FeatureCollection atomically, one feature per line.

    Parameters
    ----------
    path
        Output file (conventionally ``*.geojson``); written under a temporary name and
        renamed when complete.
    features
        GeoJSON Feature objects, e.g. from :func:`make_feature`. Geometries must already
        be RFC 7946 (``[lon, lat]`` WGS84); :func:`make_feature` guarantees that.
    foreign_members
        Extra top-level members (RFC 7946 section 6.1), e.g.
        ``{"safeconduct": {"synthetic": True}}``. They are written before ``features``
        in the given order. ``type``, ``features``, ``bbox`` and ``crs`` are refused.

    Returns
    -------
    Path
        ``path``.
    """
    foreign = dict(foreign_members or {})
    clash = _RESERVED_MEMBERS.intersection(foreign)
    if clash:
        raise ValueError(f"foreign members may not be named {sorted(clash)}")

    def dump(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))

    head = ['"type": "FeatureCollection"'] + [f"{dump(k)}: {dump(v)}" for k, v in foreign.items()]
    lines = [dump(dict(f)) for f in features]
    body = ",\n".join(lines)
    text = "{" + ", ".join(head) + ', "features": [\n' + body + ("\n" if lines else "") + "]}\n"
    return write_text_atomic(path, text)


# --------------------------------------------------------------------------- reading


def read_feature_collection(path: str | os.PathLike[str], *, what: str) -> list[dict[str, Any]]:
    """Load a FeatureCollection and check its envelope.

    Parameters
    ----------
    path
        The GeoJSON file.
    what
        What the file should hold, for messages (e.g. ``"observation posts"``).

    Returns
    -------
    list of dict
        The features, each checked to be a ``Feature`` object with an object (or null)
        ``properties`` member. Geometries are not parsed yet; see :func:`parse_geometry`.

    Raises
    ------
    BadFileError
        Missing or unreadable file, invalid JSON, not a FeatureCollection, a ``crs``
        member naming anything but WGS84, no features, or a malformed feature.
    """
    p = Path(path)
    if not p.is_file():
        raise BadFileError(
            f"{p} does not exist (or is not a file); give the path of a GeoJSON file of {what}"
        )
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadFileError(f"cannot read {p}: {exc}; check the file is UTF-8 GeoJSON") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadFileError(
            f"{p} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            f"it must be a GeoJSON FeatureCollection of {what}"
        ) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        found = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise BadFileError(
            f"{p} is not a GeoJSON FeatureCollection (top-level type is {found!r}); "
            'wrap the features in {"type": "FeatureCollection", "features": [...]}'
        )
    if "crs" in doc and not _crs_is_wgs84(doc["crs"]):
        raise BadFileError(
            f"{p} declares a non-WGS84 'crs'; GeoJSON (RFC 7946) must be lon/lat WGS84: "
            "reproject it, e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson"
        )
    features = doc.get("features")
    if not isinstance(features, list):
        raise BadFileError(f"{p} has no 'features' list; add a list of {what} features")
    if not features:
        raise BadFileError(f"{p} has no features; add at least one feature of {what}")
    for i, feat in enumerate(features):
        where = f"{p} features[{i}]"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise BadFileError(f'{where} is not a GeoJSON Feature; give it "type": "Feature"')
        props = feat.get("properties")
        if props is not None and not isinstance(props, dict):
            raise BadFileError(f"{where}: 'properties' must be an object or null")
    return features


def _crs_is_wgs84(crs: Any) -> bool:
    try:
        name = str(crs["properties"]["name"]).lower()
    except (TypeError, KeyError):
        return False
    return name in _WGS84_NAMES


def parse_geometry(
    obj: Any, *, where: str, allowed: Sequence[str] = _GEOMETRY_TYPES
) -> BaseGeometry:
    """Build a lon/lat shapely geometry from a GeoJSON geometry object, checking it.

    Parameters
    ----------
    obj
        The feature's ``geometry`` member.
    where
        Prefix for messages, e.g. ``"hazards.geojson features[3]"``.
    allowed
        Geometry types accepted here.

    Returns
    -------
    BaseGeometry
        Coordinates ``(lon, lat)`` in degrees, Z dropped; polygons oriented with
        counter-clockwise exterior rings and made valid (a self-intersecting ring is
        repaired keeping all of its area, never dropping any).

    Raises
    ------
    BadFileError
        Missing geometry, a type not in ``allowed``, malformed coordinates, non-numbers,
        or longitude outside [-180, 180] / latitude outside [-90, 90].
    """
    if not isinstance(obj, dict):
        raise BadFileError(f"{where} has no geometry; give it a {_or_list(allowed)} geometry")
    gtype = obj.get("type")
    if gtype not in allowed:
        raise BadFileError(f"{where} has geometry type {gtype!r}; use {_or_list(allowed)}")
    coords = obj.get("coordinates")
    try:
        geom = _build(gtype, coords)
    except _CoordError as exc:
        raise BadFileError(f"{where}: {exc}") from None
    return geom


def _or_list(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


class _CoordError(Exception):
    """A malformed coordinate array (message completed by :func:`parse_geometry`)."""


def _position(p: Any) -> tuple[float, float]:
    if not isinstance(p, list | tuple) or len(p) not in (2, 3):
        raise _CoordError(
            f"position {_short(p)} is not [lon, lat]; write each position as [lon, lat] degrees"
        )
    for v in p:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise _CoordError(f"position {_short(p)} holds a non-number; use decimal degrees")
    lon, lat = float(p[0]), float(p[1])
    if not -180.0 <= lon <= 180.0 or not -90.0 <= lat <= 90.0:
        raise _CoordError(
            f"position [{lon}, {lat}] is outside lon [-180, 180] / lat [-90, 90]; "
            "positions must be [lon, lat] WGS84 degrees (longitude first; projected "
            "coordinates must be converted)"
        )
    return lon, lat


def _positions(seq: Any, min_len: int, what: str) -> list[tuple[float, float]]:
    if not isinstance(seq, list | tuple) or len(seq) < min_len:
        raise _CoordError(f"a {what} needs a list of at least {min_len} [lon, lat] positions")
    return [_position(p) for p in seq]


def _ring(seq: Any) -> list[tuple[float, float]]:
    ring = _positions(seq, 4, "polygon ring")
    if ring[0] != ring[-1]:
        raise _CoordError("a polygon ring is not closed; repeat its first position at the end")
    return ring


def _polygon(rings: Any) -> Polygon:
    if not isinstance(rings, list | tuple) or not rings:
        raise _CoordError("a Polygon needs a list of rings (exterior first)")
    return Polygon(_ring(rings[0]), [_ring(r) for r in rings[1:]])


def _parts(seq: Any, what: str) -> list[Any]:
    if not isinstance(seq, list | tuple) or not seq:
        raise _CoordError(f"a {what} needs a non-empty list of parts")
    return list(seq)


def _build(gtype: str, coords: Any) -> BaseGeometry:
    geom: BaseGeometry
    if gtype == "Point":
        geom = Point(_position(coords))
    elif gtype == "MultiPoint":
        geom = MultiPoint([_position(p) for p in _parts(coords, "MultiPoint")])
    elif gtype == "LineString":
        geom = LineString(_positions(coords, 2, "LineString"))
    elif gtype == "MultiLineString":
        geom = MultiLineString(
            [_positions(c, 2, "LineString") for c in _parts(coords, "MultiLineString")]
        )
    elif gtype == "Polygon":
        geom = _valid_polygonal(_polygon(coords))
    else:
        geom = _valid_polygonal(MultiPolygon([_polygon(c) for c in _parts(coords, "MultiPolygon")]))
    return geom


def _valid_polygonal(geom: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    if not geom.is_valid:
        # make_valid keeps every part of a bow-tie or overlapping parts (buffer(0) may drop
        # some), so a sloppily drawn minefield never shrinks.
        fixed = shapely.make_valid(geom)
        parts: list[Polygon] = []
        for g in getattr(fixed, "geoms", [fixed]):
            if isinstance(g, MultiPolygon):
                parts.extend(g.geoms)
            elif isinstance(g, Polygon):
                parts.append(g)
        if not parts:
            raise _CoordError("the polygon has no area; check its coordinates")
        geom = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    if isinstance(geom, Polygon):
        return orient(geom, 1.0)
    return MultiPolygon([orient(g, 1.0) for g in geom.geoms])


def _short(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
