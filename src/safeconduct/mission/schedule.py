"""The mission schedule as plain data: what ``schedule.json`` holds.

One document per plan: the meeting and arrival times, the launch point, the route's
figures, the drone's energy budget, and per sortie its times, the stretch it leads, its
energy and reserve, its clearance and its phases. The file writer only serialises it.
No I/O here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from safeconduct.mission.items import whole_seconds

if TYPE_CHECKING:
    from safeconduct.mission.sorties import MissionPlan


def schedule_document(plan: MissionPlan) -> dict[str, Any]:
    """The schedule of ``plan`` as JSON-ready plain data.

    Times are ISO 8601 with the zone they were given in (to the second), energies
    watt-hours, distances and heights metres, points ``lon``/``lat`` WGS84 degrees.
    ``vehicle_parameters`` lists what every drone must be set to (``{name: value}``, as
    each sortie's ``parameter_file`` sets it); ``signal`` says whether the first sortie
    waits for the crew's confirmation (``"confirmed by the crew"``, the mission advanced
    by hand) or acknowledges after a fixed wait (``"timed, without confirmation"``), and
    the wait the times allow; ``preflight_checks`` and ``clearance`` are the crew's lines.
    """
    from safeconduct.mission.crew import clearance_lines, preflight_checks, signal_lines

    model = plan.energy
    st = plan.settings

    def iso(t: datetime) -> str:
        return t.isoformat(timespec="seconds")

    return {
        "safeconduct": {"kind": "mission-schedule", "version": 1},
        "meeting_time": iso(plan.meeting_time),
        "arrival_at_reception": iso(plan.arrival_at_reception),
        "launch": {"lat": plan.launch.lat, "lon": plan.launch.lon,
                   "ground_amsl_m": plan.home_amsl_m},
        "route": {"length_m": round(plan.route.length_m, 1),
                  "walking_time_s": round(plan.route.walking_time_s, 1),
                  "reception": plan.route.reception},
        "drone": {"profile": plan.profile.name,
                  "hover_power_w": round(model.hover_power_w, 1),
                  "available_wh": round(model.available_wh, 2),
                  "reserve_required_wh": round(model.reserve_wh, 2),
                  "budget_wh": round(model.budget_wh, 2)},
        "firmware": plan.firmware,
        "release": str(plan.release),
        "terrain": "dem" if plan.home_amsl_m is not None else "none (relative heights)",
        "airframes": plan.airframes,
        "signal": {"acknowledge": "timed, without confirmation" if st.timed_acknowledge
                   else "confirmed by the crew",
                   "wait_allowed_s": int(whole_seconds(st.signal_wait_s)),
                   "notes": signal_lines(plan)},
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
                "max_height_agl_m": None if s.max_height_agl_m is None
                else round(s.max_height_agl_m, 1),
                "drop_height_agl_m": s.drop_height_agl_m,
                "parameter_file": f"sortie-{s.number}.parm",
                "mission_items": len(s.items) + (plan.firmware == "ardupilot"),
                "phases": [
                    {"name": p.name,
                     "start": iso(s.launch_time + timedelta(seconds=p.start_s)),
                     "duration_s": round(p.end_s - p.start_s, 1),
                     "energy_wh": round(p.energy_wh, 2)}
                    for p in s.phases
                ],
            }
            for s in plan.sorties
        ],
        "vehicle_parameters": {k: v for k, (v, _) in plan.vehicle_parameters.items()},
        "preflight_checks": preflight_checks(plan),
        "clearance": clearance_lines(plan),
        "warnings": list(plan.warnings),
    }  # fmt: skip


__all__ = ["schedule_document"]
