"""The route as GeoJSON: the one module that writes and reads ``route.geojson``.

The file is an RFC 7946 FeatureCollection (``[lon, lat, elevation]``, WGS84 degrees and
metres): the route LineString with the route's figures and one ``segments`` entry per
leg, then the start and the reception point as Points, and the foreign member
``"safeconduct": {"kind": "route", "version": 1}``. Coordinates keep 7 decimals (about
1 cm), elevations and the segments' figures 2.

:func:`write_route` writes it; :func:`read_lead_route` reads it back as the
:class:`~safeconduct.mission.lead_route.LeadRoute` the mission planner leads (a file
written by hand or by another version is checked, and named in one-line errors).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from safeconduct.adapters.files.atomic import write_text_atomic
from safeconduct.errors import BadFileError
from safeconduct.mission.lead_route import LeadRoute, RouteLeg
from safeconduct.routing.route import (
    COORD_DECIMALS,
    ELEVATION,
    ELEVATION_DECIMALS,
    LEG_DECIMALS,
    LEG_RANGES,
    Route,
)

PathLike = str | os.PathLike[str]


def route_to_geojson(route: Route) -> dict[str, Any]:
    """Return an RFC 7946 FeatureCollection: the route line, its start and its end."""
    line_props = {
        "role": "route",
        "reception": route.reception.name,
        "length_m": round(route.length_m, 1),
        "walking_time_s": round(route.walking_time_s, 1),
        "exposed_time_s": round(route.exposed_time_s, 1),
        "max_slope_deg": round(route.max_slope_deg, 2),
        "total_ascent_m": round(route.total_ascent_m, 1),
        "cost": route.cost,
        "model": route.model,
        **route.parameters,
        "segments": [_rounded(asdict(s)) for s in route.segments],
    }
    coords = [
        [round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS), round(z, ELEVATION_DECIMALS)]
        for lon, lat, z in route.waypoints
    ]
    start, end = coords[0], coords[-1]
    return {
        "type": "FeatureCollection",
        "features": [
            _feature("LineString", coords, line_props),
            _feature("Point", start, {"role": "start"}),
            _feature("Point", end, {"role": "reception", "name": route.reception.name}),
        ],
        "safeconduct": {"kind": "route", "version": 1},
    }


def write_route(route: Route, path: PathLike) -> None:
    """Write ``route`` as GeoJSON to ``path``, atomically."""
    write_text_atomic(path, json.dumps(route_to_geojson(route), indent=1) + "\n")


def read_lead_route(path: PathLike) -> LeadRoute:
    """Read a route GeoJSON written by :func:`write_route` as the route to lead.

    Parameters
    ----------
    path
        The ``route.geojson`` file.

    Returns
    -------
    LeadRoute
        Waypoints ``(lon, lat, elevation)`` and one leg per ``segments`` entry; the
        reception's name (``"reception point"`` when the file has none).

    Raises
    ------
    BadFileError
        The file is missing, not JSON, or not a route: one line naming what is wrong.
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
    return lead_route_from_geojson(doc, str(p))


def lead_route_from_geojson(doc: Any, source: str) -> LeadRoute:
    """Build the route to lead from a parsed route GeoJSON document.

    Parameters
    ----------
    doc
        The parsed JSON document.
    source
        How to name it in messages (the file name).

    Raises
    ------
    BadFileError
        One line naming what is missing or malformed.
    """
    hint = "plan it with `safeconduct route`"
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise BadFileError(f"route {source} is not a GeoJSON FeatureCollection; {hint}")
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats or not isinstance(feats[0], dict):
        raise BadFileError(f"route {source} has no features; {hint}")
    first = feats[0]
    geom = first.get("geometry") or {}
    props = first.get("properties") or {}
    if not isinstance(geom, dict) or geom.get("type") != "LineString":
        raise BadFileError(f"route {source}: features[0] is not the route LineString; {hint}")
    coords = geom.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise BadFileError(f"route {source}: the route line needs at least two positions")
    waypoints = []
    for i, c in enumerate(coords):
        if (
            not isinstance(c, list)
            or len(c) not in (2, 3)
            or not all(_is_number(v) for v in c)
            or not (-180 <= c[0] <= 180 and -90 <= c[1] <= 90)
        ):
            raise BadFileError(
                f"route {source}: position {i} is not [lon, lat, elevation] in degrees"
            )
        if len(c) == 3 and (problem := ELEVATION.problem(c[2])) is not None:
            raise BadFileError(f"route {source}: position {i} elevation: {problem}")
        waypoints.append((float(c[0]), float(c[1]), float(c[2]) if len(c) == 3 else 0.0))
    segments = props.get("segments") if isinstance(props, dict) else None
    if not isinstance(segments, list):
        raise BadFileError(
            f"route {source}: the route line has no 'segments' property (walking time per "
            f"leg); {hint}"
        )
    if len(segments) != len(waypoints) - 1:
        raise BadFileError(
            f"route {source}: {len(segments)} segments for {len(waypoints)} positions; "
            f"there must be one segment per leg; {hint}"
        )
    legs = []
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict):
            raise BadFileError(f"route {source}: segments[{i}] is not an object")
        values = {}
        for key, required in (
            ("distance_m", True),
            ("time_s", True),
            ("exposed_time_s", False),
            ("ascent_m", False),
            ("descent_m", False),
        ):
            v = seg.get(key, None if required else 0.0)
            if not _is_number(v) or v < 0:
                raise BadFileError(
                    f"route {source}: segments[{i}].{key} must be a number >= 0, got {v!r}"
                )
            if (problem := LEG_RANGES[key].problem(v)) is not None:
                raise BadFileError(f"route {source}: segments[{i}].{key}: {problem}")
            values[key] = float(v)
        if values["distance_m"] > 0 and values["time_s"] <= 0:
            raise BadFileError(f"route {source}: segments[{i}].time_s must be > 0")
        legs.append(RouteLeg(**values))
    name = props.get("reception") if isinstance(props.get("reception"), str) else None
    return LeadRoute(tuple(waypoints), tuple(legs), name or "reception point")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _feature(kind: str, coordinates: Any, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": properties,
    }


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, LEG_DECIMALS) if isinstance(v, float) else v for k, v in row.items()}


class GeoJsonRouteFiles:
    """Route files as GeoJSON: the planner's ``RouteFiles`` and the mission's ``LeadRouteFiles``.

    (:mod:`safeconduct.services.ports`.)
    """

    def write_route(self, route: Route, path: PathLike) -> None:
        write_route(route, path)

    def read_lead_route(self, path: PathLike) -> LeadRoute:
        return read_lead_route(path)
