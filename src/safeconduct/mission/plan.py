"""Guidance sorties: from a walking route to the drone missions that lead the person.

:func:`plan_sorties` turns a :class:`LeadRoute` (the route ``safeconduct route`` wrote)
into one or more :class:`Sortie` objects: plain values holding the mission items, the
flight phases with their times and energy, and the schedule. No I/O here; the service
layer reads the files and the exporters write the missions.

The first sortie flies the procedure of the guide (section 1):

1. ``NAV_TAKEOFF`` to the transit height; ``DO_CHANGE_SPEED`` to cruise speed;
2. transit to the meeting point at a safe height, arriving ``arrival_margin_s`` before
   the meeting time (points inserted where the ground rises, when a DEM is given);
3. descend to the drop height and release the note (``DO_GRIPPER`` or ``DO_SET_SERVO``),
   wait a moment (``NAV_DELAY``) for it to fall;
4. climb to the leading height and wait for the surrender signal (``NAV_LOITER_TIME``);
5. acknowledge: rise and descend ``ack_rise_m``, twice;
6. lead: per route leg a ``DO_CHANGE_SPEED`` to the leg's expected walking speed, the
   heading along the route (``CONDITION_YAW`` before each leg on ArduPilot, waypoint
   ``param4`` yaw on PX4), and ``NAV_WAYPOINT`` with a hold time (``param1``) where the
   route turns sharply or the next leg climbs (ArduPilot resets the heading at each new
   waypoint unless ``WP_YAW_BEHAVIOR`` is 0; its default, "face the next waypoint", also
   faces along the route);
7. hover over the reception point (``NAV_LOITER_TIME``);
8. return: climb to the transit height, fly home over the terrain at cruise speed, and
   ``NAV_RETURN_TO_LAUNCH`` to land. (Plain RTL flies straight at a fixed height above
   home and does not follow the ground; the explicit return leg keeps the clearance.)

Relay. When one sortie cannot lead the whole route and land with the reserve kept, it
leads only to a *waiting point* (the note tells the person to stop and wait for the next
drone), hovers there and leaves. A relief sortie launches so that it is in place
``relief_margin_s`` before the first drone reaches the waiting point, and so before the
first must leave: it holds ``handover_offset_m`` further along the route at leading
height (clear of the departing drone, which climbs straight up), waits until the first
leaves, acknowledges like the first sortie, and leads on. Waiting points are chosen as
far along as the energy allows, preferring a point out of every observer's view.

Note on the signal wait: a mission cannot see the signal. The loiter ends after
``signal_wait_s`` whether or not the person has signalled; the crew watching the video
must hold the drone (LOITER or GUIDED) if they have not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal

import numpy as np
from pyproj import Geod

from safeconduct.errors import (
    BadFileError,
    InvalidValueError,
    OutOfRangeError,
    UnreachableError,
)
from safeconduct.mission.clearance import FlatTerrain, Position, Terrain
from safeconduct.mission.energy import EnergyModel, furthest_affordable
from safeconduct.mission.items import NAV_COMMANDS, Command, Frame, MissionItem
from safeconduct.mission.profiles import DroneProfile
from safeconduct.terrain.coords import GeoPoint

Firmware = Literal["ardupilot", "px4"]
FIRMWARES: tuple[str, ...] = ("ardupilot", "px4")

#: Mission storage of common flight controllers, items (home included on ArduPilot):
#: ArduPilot keeps about 700 on a 16 KB storage board, PX4's dataman 2000. A profile's
#: ``max_mission_items`` may be lower, and then it is the limit.
FIRMWARE_MAX_ITEMS: Mapping[str, int] = {"ardupilot": 700, "px4": 2000}

#: Decimal places kept in mission items: what ``QGC WPL 110`` holds (pymavlink writes
#: ``%f``); 1e-6 degree is at most 11 cm. Items are rounded once, here, so that every
#: export and every read-back holds exactly the same numbers.
ITEM_DECIMALS = 6

_GEOD = Geod(ellps="WGS84")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Release:
    """How the note is released: a gripper, or a servo moved to a PWM value.

    Attributes
    ----------
    kind
        ``"gripper"`` (``DO_GRIPPER`` 1, release) or ``"servo"`` (``DO_SET_SERVO``).
    channel, pwm
        Servo output channel (1-32) and pulse width in microseconds (500-2500).
    """

    kind: Literal["gripper", "servo"] = "gripper"
    channel: int = 0
    pwm: int = 0

    @classmethod
    def parse(cls, text: str) -> Release:
        """Read ``gripper`` or ``servo:CHANNEL:PWM`` (e.g. ``servo:9:1900``)."""
        spec = text.strip().lower()
        if spec == "gripper":
            return cls("gripper")
        parts = spec.split(":")
        if len(parts) == 3 and parts[0] == "servo" and parts[1].isdigit() and parts[2].isdigit():
            channel, pwm = int(parts[1]), int(parts[2])
            if not 1 <= channel <= 32:
                raise InvalidValueError(f"--release: servo channel {channel} is not 1-32")
            if not 500 <= pwm <= 2500:
                raise InvalidValueError(f"--release: PWM {pwm} is not 500-2500 microseconds")
            return cls("servo", channel, pwm)
        raise InvalidValueError(
            f"--release: cannot read {text!r}; give gripper or servo:CHANNEL:PWM "
            "(e.g. servo:9:1900)"
        )

    def item(self) -> MissionItem:
        """The mission item that drops the note."""
        if self.kind == "gripper":
            return MissionItem(Command.DO_GRIPPER, Frame.MISSION, (1.0, 0.0, 0.0, 0.0))
        return MissionItem(
            Command.DO_SET_SERVO, Frame.MISSION, (float(self.channel), float(self.pwm), 0.0, 0.0)
        )

    def __str__(self) -> str:
        return "gripper" if self.kind == "gripper" else f"servo:{self.channel}:{self.pwm}"


@dataclass(frozen=True)
class RouteLeg:
    """One leg of the walking route, as ``safeconduct route`` measured it.

    Attributes
    ----------
    distance_m, time_s
        Horizontal length (metres) and expected walking time (seconds).
    exposed_time_s
        Seconds of the leg in view of at least one observer.
    ascent_m, descent_m
        Climb and drop along the leg, metres.
    """

    distance_m: float
    time_s: float
    exposed_time_s: float = 0.0
    ascent_m: float = 0.0
    descent_m: float = 0.0

    @property
    def speed_ms(self) -> float:
        """Expected walking speed, metres per second."""
        return self.distance_m / self.time_s if self.time_s > 0 else 0.0


@dataclass(frozen=True, eq=False)
class LeadRoute:
    """The route to lead: waypoints and the legs between them.

    Attributes
    ----------
    waypoints
        ``(lon, lat, elevation_m)``: WGS84 degrees and metres, from the meeting point
        (the route's start) to the reception point.
    legs
        One :class:`RouteLeg` per pair of consecutive waypoints.
    reception
        The reception point's name.
    """

    waypoints: tuple[tuple[float, float, float], ...]
    legs: tuple[RouteLeg, ...]
    reception: str = "reception point"

    def __post_init__(self) -> None:
        if len(self.waypoints) < 2:
            raise ValueError("a route has at least two waypoints")
        if len(self.legs) != len(self.waypoints) - 1:
            raise ValueError("a route has one leg per pair of consecutive waypoints")

    @classmethod
    def from_geojson(cls, doc: Any, source: str) -> LeadRoute:
        """Read the FeatureCollection ``safeconduct route`` writes.

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
                values[key] = float(v)
            if values["distance_m"] > 0 and values["time_s"] <= 0:
                raise BadFileError(f"route {source}: segments[{i}].time_s must be > 0")
            legs.append(RouteLeg(**values))
        name = props.get("reception") if isinstance(props.get("reception"), str) else None
        return cls(tuple(waypoints), tuple(legs), name or "reception point")

    @cached_property
    def stations_m(self) -> np.ndarray:
        """Distance along the route of each waypoint, metres (0 at the start)."""
        return np.concatenate([[0.0], np.cumsum([leg.distance_m for leg in self.legs])])

    @cached_property
    def times_s(self) -> np.ndarray:
        """Walking time from the start to each waypoint, seconds."""
        return np.concatenate([[0.0], np.cumsum([leg.time_s for leg in self.legs])])

    @property
    def length_m(self) -> float:
        """Route length, metres."""
        return float(self.stations_m[-1])

    @property
    def walking_time_s(self) -> float:
        """Expected walking time of the whole route, seconds."""
        return float(self.times_s[-1])

    def locate(self, s: float) -> tuple[int, float]:
        """``(leg index, fraction 0..1)`` of the point ``s`` metres along the route."""
        st = self.stations_m
        s = min(max(s, 0.0), float(st[-1]))
        i = min(max(int(np.searchsorted(st, s, side="right")) - 1, 0), len(self.legs) - 1)
        length = st[i + 1] - st[i]
        return i, float((s - st[i]) / length) if length > 0 else 0.0

    def point_at(self, s: float) -> tuple[float, float]:
        """``(lon, lat)`` degrees of the point ``s`` metres along the route."""
        i, f = self.locate(s)
        (x0, y0, _), (x1, y1, _) = self.waypoints[i], self.waypoints[i + 1]
        return x0 + f * (x1 - x0), y0 + f * (y1 - y0)

    def time_at(self, s: float) -> float:
        """Walking time from the start to ``s`` metres along the route, seconds."""
        i, f = self.locate(s)
        return float(self.times_s[i] + f * self.legs[i].time_s)

    def ascent_between(self, s0: float, s1: float) -> float:
        """Climb between ``s0`` and ``s1`` metres along the route, metres (legs pro rata)."""
        i0, f0 = self.locate(s0)
        i1, f1 = self.locate(s1)
        total = sum(leg.ascent_m for leg in self.legs[i0:i1])
        return total - f0 * self.legs[i0].ascent_m + f1 * self.legs[i1].ascent_m

    def is_hidden(self, s: float) -> bool:
        """True if a person waiting ``s`` metres along the route is in no observer's view.

        A point inside a leg is hidden when that leg has no exposed time; a waypoint when
        both legs meeting there have none (the route only knows exposure per leg).
        """
        st = self.stations_m
        j = int(np.searchsorted(st, s))
        if j < len(st) and abs(st[j] - s) < 1e-6:
            around = [k for k in (j - 1, j) if 0 <= k < len(self.legs)]
            return all(self.legs[k].exposed_time_s <= 0 for k in around)
        i, _ = self.locate(s)
        return self.legs[i].exposed_time_s <= 0


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class MissionSettings:
    """How the sorties fly; heights in metres above the ground, times in seconds.

    Attributes
    ----------
    transit_height_m
        Height above the ground in transit, and the least clearance kept along it.
    lead_height_m
        Height above the ground when leading (and the least clearance kept along the
        leading legs): 15 m by default, low enough to be seen and followed.
    drop_height_m
        Height above the ground at which the note is released.
    drop_hold_s, after_release_s
        Hover before releasing the note (to steady) and after it (to let it fall).
    signal_wait_s
        How long the drone waits for the surrender signal at leading height.
    ack_rise_m, ack_hold_s
        The acknowledgement: rise this much and come back, twice, pausing this long.
    arrival_margin_s
        The first sortie is over the meeting point this long before the meeting time.
    relief_margin_s
        A relief is in place this long before the drone it relieves reaches the
        waiting point.
    handover_settle_s
        After the person reaches a waiting point, the drone there stays this long
        (the relief is in place) before leaving.
    handover_offset_m
        The relief holds this far beyond the waiting point along the route, metres.
    handover_step_m
        Spacing of the candidate waiting points along the route, metres.
    reception_hover_s
        Hover over the reception point before returning.
    sharp_turn_deg, turn_hold_s
        Hold this long at a waypoint where the route turns by more than this.
    climb_grade, climb_ascent_m, climb_hold_s
        Hold this long before a leg that climbs more than ``climb_ascent_m`` metres or
        steeper than ``climb_grade`` (rise over run).
    wind_ms
        Forecast wind, metres per second (checked against the profile's maximum), or
        None if unknown.
    max_sorties
        More sorties than this make the route unreachable.
    turnaround_s
        Time to land, change the pack and check an airframe before its next sortie.
    """

    transit_height_m: float = 60.0
    lead_height_m: float = 15.0
    drop_height_m: float = 8.0
    drop_hold_s: float = 3.0
    after_release_s: float = 3.0
    signal_wait_s: float = 300.0
    ack_rise_m: float = 3.0
    ack_hold_s: float = 1.0
    arrival_margin_s: float = 60.0
    relief_margin_s: float = 120.0
    handover_settle_s: float = 30.0
    handover_offset_m: float = 25.0
    handover_step_m: float = 25.0
    reception_hover_s: float = 120.0
    sharp_turn_deg: float = 60.0
    turn_hold_s: float = 5.0
    climb_grade: float = 0.12
    climb_ascent_m: float = 10.0
    climb_hold_s: float = 10.0
    wind_ms: float | None = None
    max_sorties: int = 20
    turnaround_s: float = 600.0

    def __post_init__(self) -> None:
        checks = {
            "transit_height_m": (self.transit_height_m, 5.0, 500.0),
            "lead_height_m": (self.lead_height_m, 3.0, 120.0),
            "drop_height_m": (self.drop_height_m, 2.0, 60.0),
            "signal_wait_s": (self.signal_wait_s, 0.0, 3600.0),
            "ack_rise_m": (self.ack_rise_m, 1.0, 20.0),
            "reception_hover_s": (self.reception_hover_s, 0.0, 3600.0),
            "handover_offset_m": (self.handover_offset_m, 5.0, 200.0),
            "handover_step_m": (self.handover_step_m, 5.0, 500.0),
        }
        for name, (value, low, high) in checks.items():
            if not (math.isfinite(value) and low <= value <= high):
                raise InvalidValueError(f"{name} = {value:g} is outside {low:g}-{high:g}")
        if self.wind_ms is not None and not (math.isfinite(self.wind_ms) and self.wind_ms >= 0):
            raise InvalidValueError(f"wind_ms = {self.wind_ms:g} must be a speed >= 0 m/s")
        if self.transit_height_m < self.lead_height_m:
            raise InvalidValueError("the transit height must not be lower than the leading height")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Phase:
    """One part of a sortie.

    Attributes
    ----------
    name
        ``"take off"``, ``"transit"``, ``"drop note"``, ``"wait for signal"``,
        ``"acknowledge"``, ``"lead"``, ``"hand over"``, ``"hover at reception"``,
        ``"return"``, ``"land"`` (a relief has ``"descend"`` and ``"wait for handover"``).
    start_s, end_s
        Seconds after the sortie's launch.
    energy_wh
        Energy spent in the phase, watt-hours.
    """

    name: str
    start_s: float
    end_s: float
    energy_wh: float


@dataclass(frozen=True)
class Sortie:
    """One drone flight: its mission and its schedule.

    Attributes
    ----------
    number
        1 for the first sortie, 2 for the first relief, ...
    airframe
        Which drone flies it (1, 2, ...): an airframe flies again once it has landed
        and been turned around.
    launch
        Launch point (home).
    launch_time, arrival_time, lead_start_time, lead_end_time, leave_time, landing_time
        Take-off; over the meeting point (first) or the relief's holding point; start
        of leading (after the acknowledgement); the drone reaches the waiting point or
        the reception point; it leaves for home; it lands. Time-zone aware.
    latest_leave_time
        The latest it could leave the end point and still land with the reserve.
    lead_from_m, lead_to_m
        The stretch of the route it leads, metres from the start.
    lead_start, lead_end
        ``(lon, lat)`` where it starts leading and where it leaves the person.
    ends_at_reception
        True for the last sortie.
    person_waits_s
        For a sortie that ends at a waiting point: how long the person waits there
        before the relief leads on, seconds.
    items
        The mission, without ArduPilot's home item (see :meth:`MissionPlan.home_item`).
    phases
        The flight's parts with their times and energy.
    energy_used_wh, reserve_left_wh, reserve_required_wh
        Energy spent, energy left at landing, and the reserve the profile requires, Wh.
    min_clearance_m
        Lowest height above the DEM along the transit and leading legs (None without a DEM).
    """

    number: int
    airframe: int
    launch: GeoPoint
    launch_time: datetime
    arrival_time: datetime
    lead_start_time: datetime
    lead_end_time: datetime
    leave_time: datetime
    landing_time: datetime
    latest_leave_time: datetime
    lead_from_m: float
    lead_to_m: float
    lead_start: tuple[float, float]
    lead_end: tuple[float, float]
    ends_at_reception: bool
    person_waits_s: float
    items: tuple[MissionItem, ...]
    phases: tuple[Phase, ...]
    energy_used_wh: float
    reserve_left_wh: float
    reserve_required_wh: float
    min_clearance_m: float | None

    @property
    def role(self) -> str:
        """``"first"`` or ``"relief"``."""
        return "first" if self.number == 1 else "relief"

    @property
    def path(self) -> list[Position]:
        """The flown positions ``(lon, lat, alt above home)``, launch to landing."""
        pts: list[Position] = [(self.launch.lon, self.launch.lat, 0.0)]
        for it in self.items:
            if it.command in (Command.NAV_WAYPOINT, Command.NAV_TAKEOFF, Command.NAV_LOITER_TIME):
                p = (it.lon, it.lat, it.alt)
                if p != pts[-1]:
                    pts.append(p)
        pts.append((self.launch.lon, self.launch.lat, 0.0))
        return pts


@dataclass(frozen=True)
class MissionPlan:
    """Every sortie of one guidance operation.

    Attributes
    ----------
    route
        The route led.
    launch
        The launch point (home) of every sortie.
    home_amsl_m
        Ground height at the launch point, metres above the DEM datum (None: no DEM).
    profile
        The drone profile.
    firmware
        ``"ardupilot"`` or ``"px4"``.
    release
        How the note is released.
    settings
        The flight settings.
    meeting_time
        When the person is at the meeting point.
    sorties
        In launch order.
    warnings
        Things the crew must know (no DEM, a waiting point in view, ...).
    """

    route: LeadRoute
    launch: GeoPoint
    home_amsl_m: float | None
    profile: DroneProfile
    firmware: str
    release: Release
    settings: MissionSettings
    meeting_time: datetime
    sorties: tuple[Sortie, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def energy(self) -> EnergyModel:
        """The energy model of the profile."""
        return EnergyModel(self.profile)

    @property
    def airframes(self) -> int:
        """How many drones the sorties need."""
        return max(s.airframe for s in self.sorties)

    @property
    def arrival_at_reception(self) -> datetime:
        """When the last drone (and soon after, the person) reaches the reception point."""
        return self.sorties[-1].lead_end_time

    def home_item(self) -> MissionItem:
        """The home position as a mission item (ArduPilot's item 0): frame GLOBAL, AMSL."""
        return _round_item(
            MissionItem(
                Command.NAV_WAYPOINT,
                Frame.GLOBAL,
                lat=self.launch.lat,
                lon=self.launch.lon,
                alt=self.home_amsl_m or 0.0,
            )
        )

    def schedule(self) -> dict[str, Any]:
        """The schedule as a JSON-ready dict (times ISO 8601, energies in Wh)."""
        model = self.energy

        def iso(t: datetime) -> str:
            return t.isoformat(timespec="seconds")

        return {
            "safeconduct": {"kind": "mission-schedule", "version": 1},
            "meeting_time": iso(self.meeting_time),
            "arrival_at_reception": iso(self.arrival_at_reception),
            "launch": {"lat": self.launch.lat, "lon": self.launch.lon,
                       "ground_amsl_m": self.home_amsl_m},
            "route": {"length_m": round(self.route.length_m, 1),
                      "walking_time_s": round(self.route.walking_time_s, 1),
                      "reception": self.route.reception},
            "drone": {"profile": self.profile.name,
                      "hover_power_w": round(model.hover_power_w, 1),
                      "available_wh": round(model.available_wh, 2),
                      "reserve_required_wh": round(model.reserve_wh, 2),
                      "budget_wh": round(model.budget_wh, 2)},
            "firmware": self.firmware,
            "release": str(self.release),
            "terrain": "dem" if self.home_amsl_m is not None else "none (relative heights)",
            "airframes": self.airframes,
            "sorties": [
                {
                    "sortie": s.number,
                    "airframe": s.airframe,
                    "role": s.role,
                    "launch": iso(s.launch_time),
                    "arrival": iso(s.arrival_time),
                    "lead_start": iso(s.lead_start_time),
                    "lead_end": iso(s.lead_end_time),
                    "handover": None if s.ends_at_reception else iso(s.leave_time),
                    "reception": iso(s.lead_end_time) if s.ends_at_reception else None,
                    "leave": iso(s.leave_time),
                    "latest_leave": iso(s.latest_leave_time),
                    "landing": iso(s.landing_time),
                    "lead_from_m": round(s.lead_from_m, 1),
                    "lead_to_m": round(s.lead_to_m, 1),
                    "end_point": {"lon": round(s.lead_end[0], 7), "lat": round(s.lead_end[1], 7)},
                    "person_waits_s": round(s.person_waits_s, 1),
                    "energy_used_wh": round(s.energy_used_wh, 2),
                    "reserve_left_wh": round(s.reserve_left_wh, 2),
                    "reserve_left_fraction": round(s.reserve_left_wh / model.available_wh, 3),
                    "min_clearance_m": None if s.min_clearance_m is None
                    else round(s.min_clearance_m, 1),
                    "mission_items": len(s.items) + (self.firmware == "ardupilot"),
                    "phases": [
                        {"name": p.name,
                         "start": iso(s.launch_time + timedelta(seconds=p.start_s)),
                         "duration_s": round(p.end_s - p.start_s, 1),
                         "energy_wh": round(p.energy_wh, 2)}
                        for p in s.phases
                    ],
                }
                for s in self.sorties
            ],
            "warnings": list(self.warnings),
        }  # fmt: skip


# --------------------------------------------------------------------------- building


def _r(value: float) -> float:
    return round(float(value), ITEM_DECIMALS) + 0.0  # + 0.0: no "-0.0"


def _round_item(item: MissionItem) -> MissionItem:
    return replace(
        item,
        params=tuple(_r(p) for p in item.params),  # type: ignore[arg-type]
        lat=_r(item.lat),
        lon=_r(item.lon),
        alt=_r(item.alt),
    )


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    az, _, _ = _GEOD.inv(a[0], a[1], b[0], b[1])
    return round(az % 360.0, 2) % 360.0


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(_GEOD.inv(a[0], a[1], b[0], b[1])[2])


@dataclass
class _Context:
    route: LeadRoute
    launch: GeoPoint
    profile: DroneProfile
    energy: EnergyModel
    terrain: Terrain
    firmware: str
    release: Release
    settings: MissionSettings
    holds: list[float]


class _SortieBuilder:
    """Appends mission items and keeps the clock and the energy meter in step with them."""

    def __init__(
        self,
        ctx: _Context,
        start: Position | None = None,
        *,
        track_clearance: bool = True,
    ) -> None:
        self.ctx = ctx
        launch = ctx.launch
        self.lon, self.lat, self.alt = start or (_r(launch.lon), _r(launch.lat), 0.0)
        self.items: list[MissionItem] = []
        self.t = 0.0
        self.e = 0.0
        self.heading = 0.0
        self.speed: float | None = None
        self.marks: dict[str, float] = {}
        self.phases: list[Phase] = []
        self._open: tuple[str, float, float] | None = None
        self.track_clearance = track_clearance
        self.min_clearance: float | None = None

    # bookkeeping
    def phase(self, name: str) -> None:
        self.close()
        self._open = (name, self.t, self.e)

    def close(self) -> None:
        if self._open is not None:
            name, t0, e0 = self._open
            self.phases.append(Phase(name, t0, self.t, self.e - e0))
            self._open = None

    def mark(self, key: str) -> None:
        self.marks[key] = self.t

    def _spend(self, seconds: float, power_w: float, climb_m: float = 0.0) -> None:
        self.t += seconds
        self.e += self.ctx.energy.energy_wh(power_w, seconds) + self.ctx.energy.climb_wh(climb_m)

    def _add(self, item: MissionItem) -> None:
        self.items.append(_round_item(item))

    def _nav(self, command: Command, params: tuple[float, float, float, float]) -> None:
        self._add(MissionItem(command, Frame.GLOBAL_RELATIVE_ALT, params,
                              self.lat, self.lon, self.alt))  # fmt: skip

    def _yaw_param(self) -> float:
        # PX4 takes the heading at a waypoint in param4; ArduPilot ignores it (0).
        return self.heading if self.ctx.firmware == "px4" else 0.0

    def _vertical_time(self, dz: float) -> float:
        p = self.ctx.profile
        return dz / p.climb_rate_ms if dz >= 0 else -dz / p.descent_rate_ms

    # flight
    def takeoff(self, agl_m: float, towards: tuple[float, float]) -> None:
        self.heading = _bearing((self.lon, self.lat), towards)
        alt = self.ctx.terrain.altitude(self.lon, self.lat, agl_m)
        dz = alt - self.alt
        self.alt = alt
        self._nav(Command.NAV_TAKEOFF, (0.0, 0.0, 0.0, self._yaw_param()))
        self._spend(self._vertical_time(dz), self.ctx.energy.hover_power_w, dz)

    def set_speed(self, speed_ms: float) -> None:
        speed_ms = _r(speed_ms)
        if speed_ms != self.speed:
            self._add(MissionItem(Command.DO_CHANGE_SPEED, Frame.MISSION,
                                  (1.0, speed_ms, -1.0, 0.0)))  # fmt: skip
            self.speed = speed_ms

    def fly_to(
        self,
        lon: float,
        lat: float,
        agl_m: float,
        *,
        power_w: float,
        duration_s: float | None = None,
        hold_s: float = 0.0,
        face_along: bool = False,
    ) -> None:
        """Fly a straight leg keeping ``agl_m`` of clearance all along it.

        The horizontal time is ``duration_s`` when given (leading: the route's walking
        time), else distance / the current speed; a steep sub-leg takes as long as its
        climb or descent at the profile's vertical rates.
        """
        ctx = self.ctx
        target = (_r(lon), _r(lat))
        here = (self.lon, self.lat)
        if _distance(here, target) > 0.5:
            self.heading = _bearing(here, target)
        if face_along and ctx.firmware == "ardupilot":
            # Before the leg's first NAV item: the heading holds while flying the leg.
            self._add(MissionItem(Command.CONDITION_YAW, Frame.MISSION,
                                  (self.heading, 0.0, 0.0, 0.0)))  # fmt: skip
        end = (target[0], target[1], ctx.terrain.altitude(target[0], target[1], agl_m))
        start = (self.lon, self.lat, self.alt)
        inserted = [(_r(p[0]), _r(p[1]), p[2]) for p in ctx.terrain.leg_points(start, end, agl_m)]
        points = [*inserted, end]
        froms = [start, *points[:-1]]
        dists = [_distance(a[:2], b[:2]) for a, b in zip(froms, points, strict=True)]
        total = sum(dists)
        prev = start
        for k, (p, d) in enumerate(zip(points, dists, strict=True)):
            last = k == len(points) - 1
            if duration_s is not None:
                horizontal = duration_s * (d / total if total > 0 else 1.0 / len(points))
            else:
                horizontal = d / (self.speed or ctx.profile.cruise_speed_ms)
            dz = p[2] - prev[2]
            if self.track_clearance:
                low = ctx.terrain.min_clearance(prev, p)
                if low is not None:
                    self.min_clearance = (
                        low if self.min_clearance is None else min(self.min_clearance, low)
                    )
            self.lon, self.lat, self.alt = p
            hold = hold_s if last else 0.0
            self._nav(Command.NAV_WAYPOINT, (hold, 0.0, 0.0, self._yaw_param()))
            self._spend(max(horizontal, self._vertical_time(dz)), power_w, dz)
            if hold:
                self._spend(hold, ctx.energy.lead_power_w)
            prev = p

    def vertical(self, agl_m: float, hold_s: float = 0.0) -> None:
        """Climb or descend over the current point to ``agl_m`` above the ground."""
        alt = self.ctx.terrain.altitude(self.lon, self.lat, agl_m)
        dz = alt - self.alt
        self.alt = alt
        self._nav(Command.NAV_WAYPOINT, (hold_s, 0.0, 0.0, self._yaw_param()))
        power = self.ctx.energy.hover_power_w
        self._spend(self._vertical_time(dz), power, dz)
        if hold_s:
            self._spend(hold_s, power)

    def loiter(self, seconds: float) -> None:
        seconds = _r(max(seconds, 0.0))
        self._nav(Command.NAV_LOITER_TIME, (seconds, 0.0, 0.0, 0.0))
        self._spend(seconds, self.ctx.energy.lead_power_w)

    def delay(self, seconds: float) -> None:
        self._add(MissionItem(Command.NAV_DELAY, Frame.MISSION, (seconds, -1.0, -1.0, -1.0)))
        self._spend(seconds, self.ctx.energy.hover_power_w)

    def release(self) -> None:
        self._add(self.ctx.release.item())

    def acknowledge(self) -> None:
        s = self.ctx.settings
        for _ in range(2):
            self.vertical(s.lead_height_m + s.ack_rise_m, s.ack_hold_s)
            self.vertical(s.lead_height_m, s.ack_hold_s)

    def return_home(self) -> None:
        ctx, s = self.ctx, self.ctx.settings
        self.phase("return")
        self.vertical(s.transit_height_m)
        self.set_speed(ctx.profile.cruise_speed_ms)
        self.fly_to(ctx.launch.lon, ctx.launch.lat, s.transit_height_m,
                    power_w=ctx.energy.cruise_power_w)  # fmt: skip
        self.phase("land")
        self._add(MissionItem(Command.NAV_RETURN_TO_LAUNCH, _frame(Command.NAV_RETURN_TO_LAUNCH)))
        self._spend(self._vertical_time(-self.alt), ctx.energy.hover_power_w)
        self.alt = 0.0
        self.close()

    def lead(self, s_from: float, s_to: float) -> None:
        """Lead along the route from ``s_from`` to ``s_to`` metres, at walking pace."""
        ctx = self.ctx
        route, st = ctx.route, ctx.route.stations_m
        lead_h = ctx.settings.lead_height_m
        inner = range(1, len(st) - 1)
        stops = [(float(st[j]), j) for j in inner if s_from + 0.5 < st[j] < s_to - 0.5]
        stops.append((s_to, -1))
        here = s_from
        for s, j in stops:
            leg, _ = route.locate((here + s) / 2.0)
            self.set_speed(max(route.legs[leg].speed_ms, 0.2))
            lon, lat = route.waypoints[j][:2] if j >= 0 else route.point_at(s)
            self.fly_to(
                lon, lat, lead_h,
                power_w=ctx.energy.lead_power_w,
                duration_s=route.time_at(s) - route.time_at(here),
                hold_s=ctx.holds[j] if j >= 0 else 0.0,
                face_along=True,
            )  # fmt: skip
            here = s


def _frame(command: Command) -> Frame:
    return Frame.GLOBAL_RELATIVE_ALT if command in NAV_COMMANDS else Frame.MISSION


def waypoint_holds(route: LeadRoute, settings: MissionSettings) -> list[float]:
    """Hold time at each route waypoint, seconds: where it turns sharply or climbs next.

    The first and last waypoints get 0 (the drone is over the person at the start, and
    hovers over the reception point anyway).
    """
    wps = route.waypoints
    holds = [0.0] * len(wps)
    for j in range(1, len(wps) - 1):
        a, b, c = wps[j - 1][:2], wps[j][:2], wps[j + 1][:2]
        turn = abs((_bearing(b, c) - _bearing(a, b) + 180.0) % 360.0 - 180.0)
        leg = route.legs[j]
        grade = leg.ascent_m / leg.distance_m if leg.distance_m > 0 else 0.0
        hold = settings.turn_hold_s if turn > settings.sharp_turn_deg else 0.0
        if leg.ascent_m >= settings.climb_ascent_m or grade >= settings.climb_grade:
            hold = max(hold, settings.climb_hold_s)
        holds[j] = hold
    return holds


def _launch_and_transit(ctx: _Context, point: tuple[float, float]) -> _SortieBuilder:
    """Take off and fly at cruise speed and transit height to ``point``; mark the arrival."""
    s = ctx.settings
    b = _SortieBuilder(ctx)
    b.phase("take off")
    b.takeoff(s.transit_height_m, point)
    b.phase("transit")
    b.set_speed(ctx.profile.cruise_speed_ms)
    b.fly_to(*point, s.transit_height_m, power_w=ctx.energy.cruise_power_w)
    b.mark("arrival")
    return b


def _start_first(ctx: _Context) -> _SortieBuilder:
    s = ctx.settings
    b = _launch_and_transit(ctx, ctx.route.point_at(0.0))
    b.phase("drop note")
    b.vertical(s.drop_height_m, s.drop_hold_s)
    b.release()
    b.delay(s.after_release_s)
    b.phase("wait for signal")
    b.vertical(s.lead_height_m)
    b.loiter(s.signal_wait_s)
    b.phase("acknowledge")
    b.acknowledge()
    b.mark("lead_start")
    return b


def _start_relief(ctx: _Context, hold_at_m: float, wait_after_arrival_s: float) -> _SortieBuilder:
    s = ctx.settings
    b = _launch_and_transit(ctx, ctx.route.point_at(hold_at_m))
    b.phase("descend")
    b.vertical(s.lead_height_m)
    b.phase("wait for handover")
    b.loiter(b.marks["arrival"] + wait_after_arrival_s - b.t)
    b.phase("acknowledge")
    b.acknowledge()
    b.mark("lead_start")
    return b


def _finish(b: _SortieBuilder, s_from: float, s_to: float, end_hold_s: float, last: bool) -> None:
    b.phase("lead")
    b.lead(s_from, s_to)
    b.mark("lead_end")
    b.phase("hover at reception" if last else "hand over")
    b.loiter(end_hold_s)
    b.mark("leave")
    b.return_home()
    b.mark("landing")


class _ReturnCosts:
    """Energy to hover at, and return home from, points along the route (cached)."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self._cache: dict[float, float] = {}

    def __call__(self, s: float) -> float:
        if s not in self._cache:
            ctx = self.ctx
            lon, lat = (_r(v) for v in ctx.route.point_at(s))
            alt = ctx.terrain.altitude(lon, lat, ctx.settings.lead_height_m)
            b = _SortieBuilder(ctx, (lon, lat, alt), track_clearance=False)
            b.return_home()
            self._cache[s] = b.e
        return self._cache[s]


def _candidates(route: LeadRoute, s_from: float, s_until: float, step: float) -> list[float]:
    """Waypoints and points every ``step`` metres in ``(s_from, s_until]``."""
    st = route.stations_m
    out: set[float] = {float(v) for v in st if s_from + step / 2 < v <= s_until}
    for i in range(len(route.legs)):
        a, b = float(st[i]), float(st[i + 1])
        k = 1
        while a + k * step < b - step / 2:
            v = a + k * step
            if s_from + step / 2 < v <= s_until:
                out.add(round(v, 3))
            k += 1
    return sorted(out)


def plan_sorties(
    route: LeadRoute,
    launch: GeoPoint,
    profile: DroneProfile,
    *,
    terrain: Terrain | None = None,
    meeting_time: datetime | None = None,
    now: datetime | None = None,
    firmware: str = "ardupilot",
    release: Release | None = None,
    settings: MissionSettings | None = None,
) -> MissionPlan:
    """Plan the sorties that lead ``route``, with relays where one sortie is not enough.

    Parameters
    ----------
    route
        The walking route, meeting point first.
    launch
        Launch point (home) of every sortie, WGS84.
    profile
        The drone profile.
    terrain
        :class:`~safeconduct.mission.clearance.DemTerrain` to keep the clearance over a
        DEM; None flies heights relative to the launch point (and says so in warnings).
    meeting_time
        When the person will be at the meeting point (time-zone aware). None: as soon as
        possible, the first sortie launching at ``now`` rounded up to the minute.
    now
        The current time (time-zone aware); defaults to the clock.
    firmware
        ``"ardupilot"`` or ``"px4"``.
    release
        How the note is released (default: gripper).
    settings
        Heights, waits and margins (defaults: :class:`MissionSettings`).

    Returns
    -------
    MissionPlan

    Raises
    ------
    InvalidValueError
        Unknown firmware, a meeting time without a time zone.
    OutOfRangeError
        The meeting time is past or cannot be reached in time, the wind is over the
        profile's limit, a sortie has more items than the vehicle stores, the flight
        leaves the DEM.
    UnreachableError
        The route is beyond reach even with relays.
    """
    if firmware not in FIRMWARES:
        raise InvalidValueError(
            f"unknown {firmware!r}; choose {' or '.join(FIRMWARES)}", field="firmware"
        )
    settings = settings or MissionSettings()
    release = release or Release()
    terrain = FlatTerrain() if terrain is None else terrain
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise InvalidValueError("now must be time-zone aware")
    if meeting_time is not None and meeting_time.tzinfo is None:
        raise InvalidValueError(
            "--meeting-time has no time zone; add one, e.g. 2024-05-01T05:30+03:00 or ...Z"
        )
    if meeting_time is not None and meeting_time <= now:
        raise OutOfRangeError(
            f"--meeting-time {meeting_time.isoformat(timespec='minutes')} is already past "
            f"(now {now.astimezone(meeting_time.tzinfo).isoformat(timespec='minutes')}); "
            "agree a new time"
        )
    wind = settings.wind_ms
    if wind is not None and wind > profile.max_wind_ms:
        raise OutOfRangeError(
            f"wind {wind:g} m/s is over the {profile.name} profile's limit of "
            f"{profile.max_wind_ms:g} m/s; do not fly, or use a drone rated for it"
        )
    energy = EnergyModel(profile)
    ctx = _Context(route, launch, profile, energy, terrain, firmware, release, settings,
                   waypoint_holds(route, settings))  # fmt: skip
    warnings: list[str] = []
    if not terrain.has_dem:
        warnings.append(
            "no DEM: heights are relative to the launch point with no terrain compensation "
            "and the clearance is not checked; give --dem to keep the clearance over the ground"
        )

    legs = _split(ctx, warnings)
    sorties = _schedule(ctx, legs, meeting_time, now)
    limit = min(profile.max_mission_items, FIRMWARE_MAX_ITEMS[firmware])
    for so in sorties:
        count = len(so.items) + (firmware == "ardupilot")
        if count > limit:
            raise OutOfRangeError(
                f"sortie {so.number} has {count} mission items; the {profile.name} profile and "
                f"{firmware} accept at most {limit}; plan a simpler route or a coarser DEM"
            )
    return MissionPlan(
        route=route,
        launch=launch,
        home_amsl_m=terrain.home_amsl_m,
        profile=profile,
        firmware=firmware,
        release=release,
        settings=settings,
        meeting_time=meeting_time
        or sorties[0].arrival_time + timedelta(seconds=settings.arrival_margin_s),
        sorties=tuple(sorties),
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class _Leg:
    """The stretch one sortie leads, and its built mission (times relative to launch)."""

    s_from: float
    s_to: float
    last: bool
    lag_s: float  # how far behind the drone the person walks, seconds
    end_hold_s: float
    builder: _SortieBuilder


def _start_sortie(ctx: _Context, legs: list[_Leg], s_from: float) -> _SortieBuilder:
    """Build a sortie up to the start of leading: the first, or a relief for ``legs[-1]``."""
    if not legs:
        return _start_first(ctx)
    s = ctx.settings
    wait = s.relief_margin_s + legs[-1].lag_s + s.handover_settle_s
    return _start_relief(ctx, s_from, wait)


def _estimate(
    ctx: _Context,
    returns: _ReturnCosts,
    prefix_wh: float,
    s_from: float,
    s_to: float,
    end_hold_s: float,
) -> float:
    """Energy of a sortie that leads ``s_from``-``s_to``, holds, and returns, Wh (estimate)."""
    route = ctx.route
    holds = sum(
        ctx.holds[j] for j, v in enumerate(route.stations_m) if s_from + 0.5 < v < s_to - 0.5
    )
    seconds = route.time_at(s_to) - route.time_at(s_from) + holds + end_hold_s
    return (
        prefix_wh
        + ctx.energy.energy_wh(ctx.energy.lead_power_w, seconds)
        + ctx.energy.climb_wh(route.ascent_between(s_from, s_to))
        + returns(s_to)
    )


def _split(ctx: _Context, warnings: list[str]) -> list[_Leg]:
    """Cut the route into the stretches successive sorties lead, within the energy budget.

    Each sortie leads as far as its energy allows. The search prices every candidate
    waiting point with a quick estimate, then builds the chosen sortie in full and
    checks the real figure, stepping back if the estimate was short.
    """
    route, s = ctx.route, ctx.settings
    budget = ctx.energy.budget_wh
    returns = _ReturnCosts(ctx)
    length = route.length_m
    legs: list[_Leg] = []
    s_from, lag = 0.0, 0.0
    while True:
        number = len(legs) + 1
        if number > s.max_sorties:
            raise UnreachableError(
                f"the route is beyond reach: leading its {length / 1000:.1f} km would take "
                f"more than {s.max_sorties} sorties of the {ctx.profile.name} profile; launch "
                "closer to the route or use a drone with more endurance"
            )
        prefix_wh = _start_sortie(ctx, legs, s_from).e
        hold_last = max(s.reception_hover_s, lag + s.handover_settle_s)
        hold_wait = lag + s.handover_settle_s
        # Can this sortie finish the route?
        if _estimate(ctx, returns, prefix_wh, s_from, length, hold_last) <= budget:
            b = _start_sortie(ctx, legs, s_from)
            _finish(b, s_from, length, hold_last, last=True)
            if b.e <= budget:
                legs.append(_Leg(s_from, length, True, lag, hold_last, b))
                return legs
        until = length - s.handover_offset_m - s.handover_step_m
        cands = _candidates(route, s_from, until, s.handover_step_m)
        costs = [_estimate(ctx, returns, prefix_wh, s_from, c, hold_wait) for c in cands]
        hidden = [route.is_hidden(c) for c in cands]
        chosen: _Leg | None = None
        while cands:
            k = furthest_affordable(costs, budget, hidden=hidden, stations_m=cands,
                                    lead_from_m=s_from)  # fmt: skip
            if k is None:
                break
            b = _start_sortie(ctx, legs, s_from)
            _finish(b, s_from, cands[k], hold_wait, last=False)
            if b.e <= budget:
                chosen = _Leg(s_from, cands[k], False, lag, hold_wait, b)
                break
            costs[k] = math.inf  # the estimate was a little short: try the next one back
        if chosen is None:
            where = "the meeting point" if number == 1 else f"the waiting point at {s_from:.0f} m"
            raise UnreachableError(
                f"the route is beyond reach even with relays: a {ctx.profile.name} sortie from "
                f"the launch point cannot fly to {where}, lead on and return with the "
                f"{ctx.profile.reserve_fraction:.0%} reserve kept; launch closer to the route "
                "or use a drone with more endurance"
            )
        legs.append(chosen)
        if not route.is_hidden(chosen.s_to):
            warnings.append(
                f"sortie {number} leaves the person waiting {chosen.s_to:.0f} m along the "
                "route, in view of an observer (no hidden point within reach)"
            )
        hold_at = min(chosen.s_to + s.handover_offset_m, length)
        lag = route.time_at(hold_at) - route.time_at(chosen.s_to)
        s_from = hold_at


def _schedule(
    ctx: _Context, legs: list[_Leg], meeting_time: datetime | None, now: datetime
) -> list[Sortie]:
    """Put the sorties on the clock: the first by the meeting time, each relief in time."""
    s = ctx.settings
    first = legs[0].builder
    to_meeting = first.marks["arrival"]
    if meeting_time is None:
        start = now.replace(second=0, microsecond=0)
        if start < now:
            start += timedelta(minutes=1)
        launch0 = start
    else:
        launch0 = meeting_time - timedelta(seconds=s.arrival_margin_s + to_meeting)
        if launch0 < now:
            due = launch0.astimezone(meeting_time.tzinfo).isoformat(timespec="seconds")
            raise OutOfRangeError(
                f"--meeting-time {meeting_time.isoformat(timespec='minutes')} cannot be reached: "
                f"the flight to the meeting point takes {to_meeting / 60:.1f} min, so the drone "
                f"must launch by {due}, which is past; agree a later time"
            )
    sorties: list[Sortie] = []
    launch_at = launch0
    for n, leg in enumerate(legs, start=1):
        b = leg.builder
        if n > 1:
            prev_end = sorties[-1].lead_end_time
            arrive = prev_end - timedelta(seconds=s.relief_margin_s)
            launch_at = arrive - timedelta(seconds=b.marks["arrival"])

        def at(key: str, base: datetime = launch_at, b: _SortieBuilder = b) -> datetime:
            return base + timedelta(seconds=b.marks[key])

        spare_s = ctx.energy.hover_seconds(max(ctx.energy.budget_wh - b.e, 0.0))
        sorties.append(
            Sortie(
                number=n,
                airframe=0,
                launch=ctx.launch,
                launch_time=launch_at,
                arrival_time=at("arrival"),
                lead_start_time=at("lead_start"),
                lead_end_time=at("lead_end"),
                leave_time=at("leave"),
                landing_time=at("landing"),
                latest_leave_time=at("leave") + timedelta(seconds=spare_s),
                lead_from_m=leg.s_from,
                lead_to_m=leg.s_to,
                lead_start=ctx.route.point_at(leg.s_from),
                lead_end=ctx.route.point_at(leg.s_to),
                ends_at_reception=leg.last,
                person_waits_s=0.0,
                items=tuple(b.items),
                phases=tuple(b.phases),
                energy_used_wh=b.e,
                reserve_left_wh=ctx.energy.available_wh - b.e,
                reserve_required_wh=ctx.energy.reserve_wh,
                min_clearance_m=b.min_clearance,
            )
        )
    # How long the person waits at each waiting point: from reaching it (lag behind the
    # drone) until the relief leads on.
    for k in range(len(sorties) - 1):
        arrive_person = sorties[k].lead_end_time + timedelta(seconds=legs[k].lag_s)
        wait = (sorties[k + 1].lead_start_time - arrive_person).total_seconds()
        sorties[k] = replace(sorties[k], person_waits_s=max(wait, 0.0))
    return _assign_airframes(sorties, s.turnaround_s)


def _assign_airframes(sorties: Sequence[Sortie], turnaround_s: float) -> list[Sortie]:
    """Give each sortie a drone: the first one landed and turned around, else a new one."""
    free_at: list[datetime] = []  # per airframe, when it can fly again
    out = []
    for so in sorties:
        ready = [i for i, t in enumerate(free_at) if t <= so.launch_time]
        if ready:
            i = min(ready, key=lambda i: free_at[i])
        else:
            free_at.append(so.launch_time)
            i = len(free_at) - 1
        free_at[i] = so.landing_time + timedelta(seconds=turnaround_s)
        out.append(replace(so, airframe=i + 1))
    return out


def items_for_upload(
    home: MissionItem, items: Sequence[MissionItem], firmware: str
) -> list[MissionItem]:
    """The item list the MAVLink mission protocol carries for ``firmware``.

    ArduPilot stores home as mission item 0 (it overwrites it with the real home on
    arming), so the upload starts with it; PX4 keeps home apart, so its upload starts
    with the first real item.
    """
    if firmware not in FIRMWARES:
        raise InvalidValueError(f"unknown firmware {firmware!r}; choose {' or '.join(FIRMWARES)}")
    return [home, *items] if firmware == "ardupilot" else list(items)


__all__ = [
    "FIRMWARES",
    "FIRMWARE_MAX_ITEMS",
    "ITEM_DECIMALS",
    "LeadRoute",
    "MissionPlan",
    "MissionSettings",
    "Phase",
    "Release",
    "RouteLeg",
    "Sortie",
    "items_for_upload",
    "plan_sorties",
    "waypoint_holds",
]
