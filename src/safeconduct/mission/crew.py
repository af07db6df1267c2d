"""What the crew must know before and during a sortie, as plain sentences.

The command line's summary, ``schedule.json`` and the report say the same things from
here: the pre-flight checks (parameter file loaded, gripper loaded and closed), how to
advance the mission once the signal is confirmed on each firmware, the signal-wait
budget, and the clearance with the deliberate drop height apart. No I/O here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safeconduct.mission.items import whole_seconds

if TYPE_CHECKING:
    from safeconduct.mission.sorties import MissionPlan

#: How a crew advances a mission past the loiter at the meeting point, per firmware. Both
#: keep loitering on ``NAV_LOITER_UNLIM`` until told: ArduCopter's ``verify_loiter_unlimited``
#: never completes, PX4's ``MissionBlock::is_mission_item_reached`` returns false for
#: ``NAV_CMD_LOITER_UNLIMITED``; ``MISSION_SET_CURRENT`` to the next item moves on.
ADVANCE_INSTRUCTIONS: dict[str, str] = {
    "ardupilot": (
        "ArduPilot: in Mission Planner right-click the next item > Set WP (or Actions > "
        "Set WP), in QGroundControl click the next item > Set as current waypoint "
        "(MISSION_SET_CURRENT); or run safeconduct lead, which takes over in GUIDED"
    ),
    "px4": (
        "PX4: in QGroundControl click the next item > Set as current waypoint "
        "(MISSION_SET_CURRENT; the vehicle stays in Mission mode); or run safeconduct lead"
    ),
}


def advance_instruction(firmware: str) -> str:
    """How the crew advances the mission after confirming the signal on ``firmware``."""
    return ADVANCE_INSTRUCTIONS.get(firmware, ADVANCE_INSTRUCTIONS["ardupilot"])


def signal_lines(plan: MissionPlan) -> list[str]:
    """What the first sortie does at the meeting point, plainly (one or two lines)."""
    s = plan.settings
    wait = whole_seconds(s.signal_wait_s)
    if s.timed_acknowledge:
        return [
            f"TIMED ACKNOWLEDGEMENT: sortie 1 waits {wait:.0f} s at the meeting point and then "
            "rises and dips and starts leading WITHOUT anyone confirming the signal; the "
            "note tells the person that rise and dip means they were seen, so the crew must "
            "hold the drone (LOITER) if no signal was seen"
        ]
    return [
        "sortie 1 loiters at the meeting point until the crew confirms the surrender signal "
        "on the video; only then advance the mission: the drone rises and dips "
        '("you have been seen") and starts leading',
        f"to advance: {advance_instruction(plan.firmware)}",
        f"the schedule and the energy allow {wait:.0f} s of waiting for the signal; if it "
        "takes longer, every later time slips by as much (launch the reliefs by the first "
        "drone's progress, not the clock) and the first drone has less reserve",
    ]


def preflight_checks(plan: MissionPlan, parameter_file: str = "sortie-N.parm") -> list[str]:
    """The checks before each launch, in order."""
    checks = [
        f"parameters loaded from {parameter_file} (Mission Planner: Config > Full Parameter "
        "List > Load from file, then Write Params; MAVProxy: param load; QGroundControl "
        "reads only its own parameter files: set the values listed by hand in Vehicle "
        "Setup > Parameters) and read back: the times are planned with them",
    ]
    if plan.release.kind == "gripper":
        checks.append(
            "gripper wired to servo output "
            f"{plan.release.gripper_channel}, note loaded and the gripper closed (the mission "
            "grabs again before take-off); test release and grab once on the ground: "
            "'Gripper Released' is printed even with no gripper configured, so only the "
            "gripper moving proves it"
        )
    else:
        checks.append(
            f"note loaded on the servo release (output {plan.release.channel}); test it once "
            "on the ground"
        )
    if not plan.settings.timed_acknowledge:
        checks.append(
            "the crew knows how to advance the mission after the signal: "
            + advance_instruction(plan.firmware)
        )
    return checks


def clearance_lines(plan: MissionPlan) -> list[str]:
    """The clearance of the legs, and the deliberate drop height, said apart."""
    s = plan.settings
    lows = [so.min_clearance_m for so in plan.sorties if so.min_clearance_m is not None]
    lines = []
    if lows:
        lines.append(
            f"clearance: transit and leading legs keep at least {min(lows):.1f} m above the "
            f"ground (DEM; leading at {s.lead_height_m:g} m, transit at {s.transit_height_m:g} m)"
        )
    lines.append(
        f"note drop: sortie 1 descends deliberately to {s.drop_height_m:g} m above the ground "
        "over the meeting point to release the note; that is below the leading clearance"
    )
    return lines


__all__ = [
    "ADVANCE_INSTRUCTIONS",
    "advance_instruction",
    "clearance_lines",
    "preflight_checks",
    "signal_lines",
]
