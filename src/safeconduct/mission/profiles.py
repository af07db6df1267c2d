"""Drone profiles: what one airframe can carry, how fast it flies and how long it lasts.

A profile is a small TOML document. Two are built in (``camera-900g`` and
``heavy-lift-3kg``, shipped in ``safeconduct/mission/drone_profiles/``); one's own is a
``.toml`` file. Here they are parsed and checked (:func:`parse_profile`); finding and
reading them is :mod:`safeconduct.adapters.files.drone_profiles`'s job. Every field is
required, so a profile says everything the energy model assumes::

    name = "camera-900g"
    description = "900 g camera quadcopter, 77 Wh pack, about 40 min hover"
    mass_kg = 0.9               # take-off mass, kg
    battery_wh = 77.0           # usable pack energy, Wh (what the rated hover time uses up)
    rated_hover_min = 40.0      # hover time on a full pack in still, mild air, minutes
    cruise_speed_ms = 12.0      # transit speed, m/s
    cruise_power_factor = 1.1   # power in transit / power in hover
    lead_power_factor = 1.0     # power leading at walking pace / power in hover
    reserve_fraction = 0.25     # share of the derated energy left at landing, 0.25-0.9
    derating = 0.85             # share of battery_wh available today (cold, wind, pack age)
    max_wind_ms = 12.0          # strongest wind the airframe may fly in, m/s
    max_mission_items = 700     # most mission items the vehicle stores
    climb_rate_ms = 3.0         # vertical speeds used in missions, m/s
    descent_rate_ms = 2.0
    max_tilt_deg = 45.0         # tilt limit the crew sets (ArduPilot ANGLE_MAX), degrees
    accel_ms2 = 2.5             # horizontal acceleration in missions (WPNAV_ACCEL), m/s^2
    land_speed_ms = 0.5         # the last 10 m of a landing (LAND_SPEED), m/s
    drag_area_m2 = 0.082        # drag coefficient x frontal area, m^2 (sets the top speed)

The last four are optional (older profiles lack them): they default to ArduPilot's own
defaults (30 degrees, 2.5 m/s^2, 0.5 m/s) and a pessimistic 0.1 m^2 of drag area. The
flight parameters (``climb_rate_ms`` to ``land_speed_ms``) are what the sortie's parameter
file sets on the drone, and what the planner's clock assumes
(:mod:`~safeconduct.mission.timing`).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields
from typing import Any

from safeconduct.errors import BadFileError
from safeconduct.limits import Range

#: Name of the profile used when none is given.
DEFAULT_PROFILE = "camera-900g"


@dataclass(frozen=True)
class DroneProfile:
    """One airframe's figures; see the module docstring for the TOML form.

    Attributes
    ----------
    name, description
        Short identifier and one line for people.
    mass_kg
        Take-off mass, kilograms (for the energy of climbing).
    battery_wh
        Usable pack energy, watt-hours: the energy the rated hover time uses up.
    rated_hover_min
        Hover time on a full, new pack in still, mild air, minutes.
    cruise_speed_ms
        Transit speed, metres per second.
    cruise_power_factor, lead_power_factor
        Power in transit and when leading at walking pace, as multiples of hover power.
    reserve_fraction
        Share of the derated energy that must be left at landing, 0.25 to 0.9.
    derating
        Share of ``battery_wh`` available on the day (cold, wind, pack age), in (0, 1].
    max_wind_ms
        Strongest wind the airframe may fly in, metres per second.
    max_mission_items
        Most mission items the vehicle stores (home included on ArduPilot).
    climb_rate_ms, descent_rate_ms
        Vertical speeds used in missions, metres per second (``WPNAV_SPEED_UP``,
        ``WPNAV_SPEED_DN`` and ``LAND_SPEED_HIGH`` in the parameter file).
    max_tilt_deg
        The tilt limit (``ANGLE_MAX``), degrees: with ``drag_area_m2`` it caps the speed
        the drone can hold.
    accel_ms2
        Horizontal acceleration in missions (``WPNAV_ACCEL``), m/s^2.
    land_speed_ms
        Descent speed of the last 10 m of a landing (``LAND_SPEED``), m/s.
    drag_area_m2
        Drag coefficient times frontal area, square metres: at the tilt limit the drag
        equals the thrust's horizontal part, which sets the fastest speed held.
    """

    name: str
    description: str
    mass_kg: float
    battery_wh: float
    rated_hover_min: float
    cruise_speed_ms: float
    cruise_power_factor: float
    lead_power_factor: float
    reserve_fraction: float
    derating: float
    max_wind_ms: float
    max_mission_items: int
    climb_rate_ms: float
    descent_rate_ms: float
    max_tilt_deg: float = 30.0
    accel_ms2: float = 2.5
    land_speed_ms: float = 0.5
    drag_area_m2: float = 0.1


#: Fields a profile may leave out, with the value then used (see the module docstring).
OPTIONAL_FIELDS = ("max_tilt_deg", "accel_ms2", "land_speed_ms", "drag_area_m2")


# Accepted ranges: (low, high, low inclusive). Loose enough for any small multirotor,
# tight enough to catch a unit slip (grams for kilograms, mAh for Wh, seconds for minutes).
_RANGES: dict[str, tuple[float, float, bool]] = {
    "mass_kg": (0.05, 50.0, True),
    "battery_wh": (1.0, 5000.0, True),
    "rated_hover_min": (1.0, 180.0, True),
    "cruise_speed_ms": (1.0, 40.0, True),
    "cruise_power_factor": (0.5, 3.0, True),
    "lead_power_factor": (0.5, 3.0, True),
    # The guide asks for a 25-30 % reserve; less is refused, more is allowed.
    "reserve_fraction": (0.25, 0.9, True),
    "derating": (0.0, 1.0, False),
    "max_wind_ms": (0.0, 40.0, True),
    "max_mission_items": (10, 65535, True),
    "climb_rate_ms": (0.2, 10.0, True),
    "descent_rate_ms": (0.2, 10.0, True),
    # ArduPilot's ANGLE_MAX range is 10-80 degrees; above 70 no multirotor holds height.
    "max_tilt_deg": (10.0, 70.0, True),
    "accel_ms2": (0.5, 10.0, True),
    # ArduPilot's LAND_SPEED range: 30-200 cm/s.
    "land_speed_ms": (0.3, 2.0, True),
    "drag_area_m2": (0.001, 5.0, True),
}


def parse_profile(text: str, source: str) -> DroneProfile:
    """Build a :class:`DroneProfile` from TOML text.

    Parameters
    ----------
    text
        The TOML document.
    source
        How to name it in messages (a path or ``"built-in profile X"``).

    Raises
    ------
    BadFileError
        One line naming ``source`` and the first bad field: invalid TOML, a missing or
        unknown field, a wrong type or a value out of range.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadFileError(f"drone profile {source} is not valid TOML: {exc}") from exc
    known = {f.name: f for f in fields(DroneProfile)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise BadFileError(
            f"drone profile {source}: unknown field {unknown[0]!r}; "
            f"the fields are {', '.join(known)}"
        )
    values: dict[str, Any] = {}
    for name in known:
        if name not in data:
            if name in OPTIONAL_FIELDS:
                continue
            raise BadFileError(f"drone profile {source}: field {name!r} is missing; add it")
        values[name] = _checked(name, data[name], source)
    return DroneProfile(**values)


def _checked(name: str, value: Any, source: str) -> Any:
    where = f"drone profile {source}: field {name!r}"
    if name in ("name", "description"):
        if not isinstance(value, str) or not value.strip():
            raise BadFileError(f"{where} must be a non-empty string")
        return value.strip()
    if name == "max_mission_items":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadFileError(f"{where} must be a whole number, got {value!r}")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise BadFileError(f"{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise BadFileError(f"{where} must be finite, got {value!r}")
    low, high, low_inclusive = _RANGES[name]
    if not Range(low, high, "", name, lo_open=not low_inclusive).contains(value):
        bracket = "[" if low_inclusive else "("
        raise BadFileError(f"{where} is {value:g}, outside {bracket}{low:g}, {high:g}]")
    return value if name == "max_mission_items" else float(value)


__all__ = ["DEFAULT_PROFILE", "OPTIONAL_FIELDS", "DroneProfile", "parse_profile"]
