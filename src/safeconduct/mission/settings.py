"""How the sorties fly: the settings, the note's release, and what each firmware stores.

Plain values checked when built; heights in metres above the ground, times in seconds.
No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from safeconduct.errors import InvalidValueError
from safeconduct.limits import Range
from safeconduct.mission.items import Command, Frame, MissionItem

Firmware = Literal["ardupilot", "px4"]
FIRMWARES: tuple[str, ...] = ("ardupilot", "px4")

#: Mission storage of common flight controllers, items (home included on ArduPilot):
#: ArduPilot keeps about 700 on a 16 KB storage board, PX4's dataman 2000. A profile's
#: ``max_mission_items`` may be lower, and then it is the limit.
FIRMWARE_MAX_ITEMS: Mapping[str, int] = {"ardupilot": 700, "px4": 2000}

#: Parameters each firmware must hold for the missions to fly as planned, with why.
#: ArduPilot resets the heading at each new waypoint to its ``WP_YAW_BEHAVIOR`` unless
#: that is 0 ("never change yaw"); only then does the heading each leading leg sets with
#: ``CONDITION_YAW`` hold along the leg (inserted terrain points included).
VEHICLE_PARAMETERS: Mapping[str, Mapping[str, tuple[float, str]]] = {
    "ardupilot": {
        "WP_YAW_BEHAVIOR": (
            0,
            "never change yaw, so the heading set along each leading leg holds",
        ),
    },
    "px4": {},
}

#: Least room between the transit height and the maximum height above ground, metres.
_HEIGHT_ROOM_M = 10.0
#: A forecast wind, m/s (each profile then sets its own lower limit to fly in).
WIND = Range(0.0, 100.0, "m/s", "a forecast wind speed")


def check_firmware(firmware: str) -> str:
    """Return ``firmware`` if it is one of :data:`FIRMWARES`.

    Raises
    ------
    InvalidValueError
        Another name (field ``firmware``).
    """
    if firmware not in FIRMWARES:
        raise InvalidValueError(
            f"unknown {firmware!r}; choose {' or '.join(FIRMWARES)}", field="firmware"
        )
    return firmware


#: Servo output of the gripper when ``--release gripper`` names none (AUX 1 on a Pixhawk).
GRIPPER_DEFAULT_CHANNEL = 9


@dataclass(frozen=True)
class Release:
    """How the note is released: a gripper, or a servo moved to a PWM value.

    Attributes
    ----------
    kind
        ``"gripper"`` (``DO_GRIPPER`` gripper 1: grab before take-off, release over the
        meeting point) or ``"servo"`` (``DO_SET_SERVO``).
    channel, pwm
        Servo output channel (1-32) and pulse width in microseconds (500-2500); for a
        gripper, the servo output it is wired to (0: :data:`GRIPPER_DEFAULT_CHANNEL`).
    """

    kind: Literal["gripper", "servo"] = "gripper"
    channel: int = 0
    pwm: int = 0

    @property
    def gripper_channel(self) -> int:
        """The gripper's servo output (``SERVOn_FUNCTION`` = 28 in the parameter file)."""
        return self.channel or GRIPPER_DEFAULT_CHANNEL

    @classmethod
    def parse(cls, text: str) -> Release:
        """Read ``gripper``, ``gripper:CHANNEL`` or ``servo:CHANNEL:PWM`` (``servo:9:1900``).

        Raises
        ------
        InvalidValueError
            None of these forms, or a channel or PWM out of range (field ``release``).
        """
        spec = text.strip().lower()
        if spec == "gripper":
            return cls("gripper")
        parts = spec.split(":")
        if len(parts) == 2 and parts[0] == "gripper" and parts[1].isdigit():
            channel = int(parts[1])
            if not 1 <= channel <= 32:
                raise InvalidValueError(f"servo channel {channel} is not 1-32", field="release")
            return cls("gripper", channel)
        if len(parts) == 3 and parts[0] == "servo" and parts[1].isdigit() and parts[2].isdigit():
            channel, pwm = int(parts[1]), int(parts[2])
            if not 1 <= channel <= 32:
                raise InvalidValueError(f"servo channel {channel} is not 1-32", field="release")
            if not 500 <= pwm <= 2500:
                raise InvalidValueError(f"PWM {pwm} is not 500-2500 microseconds", field="release")
            return cls("servo", channel, pwm)
        raise InvalidValueError(
            f"cannot read {text!r}; give gripper, gripper:CHANNEL or servo:CHANNEL:PWM "
            "(e.g. servo:9:1900)",
            field="release",
        )

    def item(self) -> MissionItem:
        """The mission item that drops the note."""
        if self.kind == "gripper":
            return MissionItem(Command.DO_GRIPPER, Frame.MISSION, (1.0, 0.0, 0.0, 0.0))
        return MissionItem(
            Command.DO_SET_SERVO, Frame.MISSION, (float(self.channel), float(self.pwm), 0.0, 0.0)
        )

    def grab_item(self) -> MissionItem | None:
        """The item that closes the gripper on the note before take-off (None for a servo).

        ArduPilot runs the one DO command before the first NAV command when the mission
        starts (``AP_Mission::advance_current_nav_cmd``), and still counts the mission as
        starting with a take-off (``AP_Mission::starts_with_takeoff_cmd`` skips DO items):
        so the release later is the one the plan means, not a no-op on an open gripper.
        """
        if self.kind != "gripper":
            return None
        return MissionItem(Command.DO_GRIPPER, Frame.MISSION, (1.0, 1.0, 0.0, 0.0))

    def __str__(self) -> str:
        if self.kind == "gripper":
            return f"gripper:{self.channel}" if self.channel else "gripper"
        return f"servo:{self.channel}:{self.pwm}"


@dataclass(frozen=True)
class MissionSettings:
    """How the sorties fly; heights in metres above the ground, times in seconds.

    Attributes
    ----------
    transit_height_m
        Height above the ground in transit, and the least clearance kept along it.
    max_height_agl_m
        Most height above the ground anywhere on a straight leg, metres: where the ground
        falls away under a leg (a valley), points are inserted so that the drone follows
        it down. 120 m by default: the ceiling of open-category drone flight in the EU
        (Regulation 2019/947) and about the 400 ft of the US and UK rules; low enough to
        stay under manned aircraft. At least 10 m above ``transit_height_m``, so that the
        points have room between the two.
    lead_height_m
        Height above the ground when leading (and the least clearance kept along the
        leading legs): 15 m by default, low enough to be seen and followed.
    drop_height_m
        Height above the ground at which the note is released.
    drop_hold_s, after_release_s
        Hover before releasing the note (to steady) and after it (to let it fall).
    signal_wait_s
        How long the drone may wait for the surrender signal at leading height, seconds.
        By default the drone loiters until the crew confirms the signal
        (``NAV_LOITER_UNLIM``) and this is the wait the energy and the clock allow for;
        with ``timed_acknowledge`` it is the loiter's fixed length.
    timed_acknowledge
        False (default): wait for the crew to confirm the signal (they advance the
        mission), then acknowledge. True: acknowledge after ``signal_wait_s`` whether or
        not anyone saw a signal (the rise and dip then does not mean "you were seen").
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
    max_height_agl_m: float = 120.0
    lead_height_m: float = 15.0
    drop_height_m: float = 8.0
    drop_hold_s: float = 3.0
    after_release_s: float = 3.0
    signal_wait_s: float = 300.0
    timed_acknowledge: bool = False
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
            "max_height_agl_m": (self.max_height_agl_m, 15.0, 500.0),
            "lead_height_m": (self.lead_height_m, 3.0, 120.0),
            "drop_height_m": (self.drop_height_m, 2.0, 60.0),
            "signal_wait_s": (self.signal_wait_s, 0.0, 3600.0),
            "ack_rise_m": (self.ack_rise_m, 1.0, 20.0),
            "reception_hover_s": (self.reception_hover_s, 0.0, 3600.0),
            "handover_offset_m": (self.handover_offset_m, 5.0, 200.0),
            "handover_step_m": (self.handover_step_m, 5.0, 500.0),
        }
        for name, (value, low, high) in checks.items():
            unit = "s" if name.endswith("_s") else "m"
            if not Range(low, high, unit, name).contains(value):  # the one rule (limits)
                raise InvalidValueError(
                    f"{value:g} {unit} is outside {low:g}-{high:g} {unit}; give a value in that "
                    "range",
                    field=name,
                )
        if self.wind_ms is not None:
            WIND.check(self.wind_ms, field="wind_ms")
        if self.transit_height_m < self.lead_height_m:
            raise InvalidValueError(
                f"{self.transit_height_m:g} m is lower than the leading height "
                f"({self.lead_height_m:g} m)",
                field="transit_height_m",
            )
        if self.max_height_agl_m < self.transit_height_m + _HEIGHT_ROOM_M:
            raise InvalidValueError(
                f"{self.max_height_agl_m:g} m leaves less than {_HEIGHT_ROOM_M:g} m above the "
                f"transit height ({self.transit_height_m:g} m) to follow the ground",
                field="max_height_agl_m",
            )


__all__ = [
    "FIRMWARES",
    "FIRMWARE_MAX_ITEMS",
    "VEHICLE_PARAMETERS",
    "Firmware",
    "MissionSettings",
    "Release",
    "check_firmware",
]
