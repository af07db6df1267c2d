"""``mission.geojson``: every sortie's flight path and the operation's key points.

An RFC 7946 FeatureCollection (``[lon, lat]``, WGS84 degrees) for maps: one LineString
per sortie (its flown positions, launch to landing, with its times, stretch and energy),
then Points for the launch, the drop (meeting point), each waiting point and relief
hold, and the reception; the foreign member ``"safeconduct": {"kind": "mission",
"version": 1}``.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Point

from safeconduct.adapters.formats.geojson import make_feature, write_feature_collection
from safeconduct.mission.sorties import MissionPlan


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


def write_mission_geojson(path: str | os.PathLike[str], plan: MissionPlan) -> Path:
    """Write :func:`mission_features` of ``plan`` to ``path`` atomically."""
    return write_feature_collection(
        path,
        mission_features(plan),
        foreign_members={"safeconduct": {"kind": "mission", "version": 1}},
    )


__all__ = ["mission_features", "write_mission_geojson"]
