"""An area of operations as one value: the terrain and every layer planned on it."""

from __future__ import annotations

from dataclasses import dataclass

from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.layers import Hazard, MeetingPoint, NamedPoint, Observer, ReceptionPoint


@dataclass(frozen=True, eq=False)
class Area:
    """The terrain and layers of one operation.

    Attributes
    ----------
    dem
        The terrain on a metric grid.
    hazards, observers, reception
        The vector layers (WGS84).
    meeting
        Where the person is met: the route's start.
    launch
        Where the drones take off, if the area says; else the reception point is used.
    name
        How to name the area in messages and reports (its folder, say).
    """

    dem: Dem
    hazards: tuple[Hazard, ...]
    observers: tuple[Observer, ...]
    reception: tuple[ReceptionPoint, ...]
    meeting: MeetingPoint
    launch: NamedPoint | None = None
    name: str = "area"

    @property
    def start(self) -> GeoPoint:
        """The meeting point as a route start."""
        return GeoPoint(self.meeting.lat, self.meeting.lon)

    @property
    def synthetic(self) -> bool:
        """True for a made-up area (the DEM is tagged ``SYNTHETIC``)."""
        tag = str((self.dem.tags or {}).get("SYNTHETIC", "")).lower()
        return tag in ("yes", "true", "1")
