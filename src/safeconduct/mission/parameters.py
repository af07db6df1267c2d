"""The vehicle parameters a sortie's timing assumes: what the crew loads before flying.

The planner's clock (:mod:`~safeconduct.mission.timing`) is computed with the profile's
flight figures; the drone flies them only if its parameters say the same. Each sortie
therefore comes with a parameter file (``sortie-N.parm``) setting them, and the crew
summary lists them. If the crew does not load it, ArduCopter flies its defaults (30
degree tilt, 2.5 m/s up, 1.5 m/s down): the sortie then runs late, by about 110 s on the
demo's first sortie, so loading the file is a pre-flight check, not an option.

Values are in the firmware's own units (ArduPilot: cm/s, cm/s^2, centidegrees, ms;
PX4: m/s, m/s^2, degrees). No I/O here.
"""

from __future__ import annotations

from safeconduct.mission.profiles import DroneProfile
from safeconduct.mission.settings import VEHICLE_PARAMETERS, Release
from safeconduct.mission.timing import FlightParameters

#: ArduPilot's ``SERVOn_FUNCTION`` value for a gripper.
SERVO_FUNCTION_GRIPPER = 28
#: ``GRIP_TYPE`` 1: a servo gripper.
GRIP_TYPE_SERVO = 1
#: ArduPilot's default gripper pulse widths, microseconds (``GRIP_GRAB``, ``GRIP_RELEASE``).
GRIP_GRAB_PWM = 1900
GRIP_RELEASE_PWM = 1100


def flight_parameters(profile: DroneProfile) -> FlightParameters:
    """The :class:`FlightParameters` the parameter file sets for ``profile``."""
    return FlightParameters(
        speed_ms=profile.cruise_speed_ms,
        speed_up_ms=profile.climb_rate_ms,
        speed_down_ms=profile.descent_rate_ms,
        accel_ms2=profile.accel_ms2,
        angle_max_deg=profile.max_tilt_deg,
        land_speed_ms=profile.land_speed_ms,
        land_speed_high_ms=profile.descent_rate_ms,
    )


def vehicle_parameters(
    firmware: str, profile: DroneProfile, release: Release
) -> dict[str, tuple[float, str]]:
    """Every parameter the sorties need, ``{name: (value, why)}``, in the file's order.

    Parameters
    ----------
    firmware
        ``"ardupilot"`` or ``"px4"``.
    profile
        The drone profile (flight figures).
    release
        How the note is released (the gripper's parameters when it is a gripper).
    """
    fp = flight_parameters(profile)
    out: dict[str, tuple[float, str]] = {}
    if firmware == "ardupilot":
        out.update(VEHICLE_PARAMETERS["ardupilot"])
        cm = 100.0
        out.update(
            {
                "WPNAV_SPEED": (round(fp.speed_ms * cm), "cruise speed, cm/s"),
                "WPNAV_SPEED_UP": (round(fp.speed_up_ms * cm), "climb speed, cm/s"),
                "WPNAV_SPEED_DN": (round(fp.speed_down_ms * cm), "descent speed, cm/s"),
                "WPNAV_ACCEL": (round(fp.accel_ms2 * cm), "horizontal acceleration, cm/s/s"),
                "WPNAV_ACCEL_Z": (round(fp.accel_z_ms2 * cm), "vertical acceleration, cm/s/s"),
                "ANGLE_MAX": (
                    round(fp.angle_max_deg * cm),
                    "tilt limit, centidegrees: enough to hold the cruise speed",
                ),
                "LAND_SPEED_HIGH": (
                    round(fp.land_descent_ms * cm),
                    "landing descent above LAND_ALT_LOW, cm/s",
                ),
                "LAND_ALT_LOW": (round(fp.land_alt_low_m * cm), "slow landing below this, cm"),
                "LAND_SPEED": (round(fp.land_speed_ms * cm), "final landing speed, cm/s"),
                "RTL_LOITER_TIME": (
                    round(fp.rtl_loiter_s * 1000),
                    "hover over home before landing, ms",
                ),
            }
        )
        if release.kind == "gripper":
            out.update(
                {
                    "GRIP_ENABLE": (1, "gripper on: without it DO_GRIPPER does nothing"),
                    "GRIP_TYPE": (GRIP_TYPE_SERVO, "servo gripper"),
                    f"SERVO{release.gripper_channel}_FUNCTION": (
                        SERVO_FUNCTION_GRIPPER,
                        f"the gripper on servo output {release.gripper_channel}",
                    ),
                    "GRIP_GRAB": (GRIP_GRAB_PWM, "closed (holding the note), microseconds"),
                    "GRIP_RELEASE": (GRIP_RELEASE_PWM, "open (note released), microseconds"),
                }
            )
        return out
    out.update(VEHICLE_PARAMETERS.get(firmware, {}))
    out.update(
        {
            "MPC_XY_CRUISE": (round(fp.speed_ms, 2), "cruise speed, m/s"),
            "MPC_Z_V_AUTO_UP": (round(fp.speed_up_ms, 2), "climb speed, m/s"),
            "MPC_Z_V_AUTO_DN": (round(fp.speed_down_ms, 2), "descent speed, m/s"),
            "MPC_ACC_HOR": (round(fp.accel_ms2, 2), "horizontal acceleration, m/s/s"),
            "MPC_TILTMAX_AIR": (round(fp.angle_max_deg, 1), "tilt limit, degrees"),
            "MPC_LAND_SPEED": (round(fp.land_speed_ms, 2), "final landing speed, m/s"),
        }
    )
    if release.kind == "gripper":
        out.update(
            {
                "PD_GRIPPER_EN": (1, "gripper on: without it DO_GRIPPER does nothing"),
                "PD_GRIPPER_TYPE": (0, "servo gripper"),
            }
        )
    return out


__all__ = [
    "GRIP_GRAB_PWM",
    "GRIP_RELEASE_PWM",
    "SERVO_FUNCTION_GRIPPER",
    "flight_parameters",
    "vehicle_parameters",
]
