"""The route as GeoJSON: the one module that writes and reads ``route.geojson``.

The file is an RFC 7946 FeatureCollection (``[lon, lat, elevation]``, WGS84 degrees and
metres): the route LineString with the route's figures and one ``segments`` entry per
leg, then the start and the reception point as Points, and the foreign member
``"safeconduct": {"kind": "route", "version": 1}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Any

from safeconduct.adapters.files.atomic import write_text_atomic
from safeconduct.routing.route import Route

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
    coords = [[round(lon, 7), round(lat, 7), round(z, 2)] for lon, lat, z in route.waypoints]
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


def _feature(kind: str, coordinates: Any, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": properties,
    }


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}


class GeoJsonRouteFiles:
    """:class:`~safeconduct.services.ports.RouteFiles` on GeoJSON files."""

    def write_route(self, route: Route, path: PathLike) -> None:
        write_route(route, path)
