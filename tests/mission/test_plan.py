"""The sorties as domain objects: command sequence, timing, relays, and the planner's errors."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from safeconduct.adapters.files.drone_profiles import load_profile
from safeconduct.adapters.formats.layers import read_reception
from safeconduct.adapters.formats.route_geojson import lead_route_from_geojson, read_lead_route
from safeconduct.errors import BadFileError, InvalidValueError, OutOfRangeError, UnreachableError
from safeconduct.mission.items import Command, Frame, MissionItem
from safeconduct.mission.plan import (
    LeadRoute,
    MissionSettings,
    Release,
    items_for_upload,
    plan_sorties,
    waypoint_holds,
)
from safeconduct.terrain.coords import GeoPoint
from tests.mission.mission_helpers import (
    GEOD,
    ORIGIN,
    load_route,
    offset,
    route_from_points,
    sample_route_path,
    straight_route,
)

NOW = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
MEETING = NOW + timedelta(hours=1)
CAMERA = load_profile("camera-900g")


def along(metres: float, bearing_deg: float = 270.0) -> GeoPoint:
    """A point ``metres`` from the meeting point (the routes run west, 270 degrees)."""
    lon, lat = offset(ORIGIN, bearing_deg, metres)
    return GeoPoint(lat=lat, lon=lon)


LAUNCH = along(300.0)  # the crew stands 300 m along the route
MIDDLE = along(2500.0)  # for the 6 km route

TOKENS = {
    Command.NAV_TAKEOFF: "T",
    Command.DO_CHANGE_SPEED: "S",
    Command.NAV_WAYPOINT: "W",
    Command.DO_GRIPPER: "G",
    Command.DO_SET_SERVO: "V",
    Command.NAV_DELAY: "D",
    Command.NAV_LOITER_TIME: "L",
    Command.NAV_LOITER_UNLIM: "U",
    Command.CONDITION_YAW: "Y",
    Command.NAV_RETURN_TO_LAUNCH: "R",
}

# Grab the note, take off, cruise speed, transit; drop (descend, release, wait); climb and
# wait until the crew confirms the signal; acknowledge (up, down, up, down); lead leg by
# leg (speed, heading, waypoints); hover at the end; climb, cruise speed, fly home; RTL.
FIRST_ARDUPILOT = r"GTSW+WGDWUWWWW(S?YW+)+LWSW+R"
RELIEF_ARDUPILOT = r"TSW+WLWWWW(S?YW+)+LWSW+R"
FIRST_PX4 = r"GTSW+WGDWUWWWW(S?W+)+LWSW+R"


def tokens(items: tuple[MissionItem, ...] | list[MissionItem]) -> str:
    return "".join(TOKENS[Command(it.command)] for it in items)


def plan(route: LeadRoute, **kw):
    kw.setdefault("meeting_time", MEETING)
    kw.setdefault("now", NOW)
    return plan_sorties(route, kw.pop("launch", LAUNCH), kw.pop("profile", CAMERA), **kw)


# --------------------------------------------------------------------------- sequence


def test_first_sortie_flies_the_procedure_in_order() -> None:
    p = plan(straight_route(500.0))
    (s,) = p.sorties
    items = s.items
    assert re.fullmatch(FIRST_ARDUPILOT, tokens(items)), tokens(items)
    grab, take_off, cruise = items[0], items[1], items[2]
    assert grab.params[:2] == (1.0, 1.0)  # gripper 1: grab, before take-off
    assert take_off.alt == 60.0 and take_off.frame == Frame.GLOBAL_RELATIVE_ALT
    assert cruise.params[:2] == (1.0, CAMERA.cruise_speed_ms)
    meet = p.route.point_at(0.0)
    drop_i = next(i for i, it in enumerate(items) if it.command == Command.DO_GRIPPER and i > 0)
    drop = items[drop_i - 1]
    assert (drop.lon, drop.lat) == pytest.approx(meet, abs=1e-6)
    assert drop.alt == 8.0 and drop.params[0] == 3.0  # drop height, steady 3 s
    assert items[drop_i].params[:2] == (1.0, 0.0)  # gripper 1: release
    assert items[drop_i + 1].command == Command.NAV_DELAY
    climb, wait = items[drop_i + 2], items[drop_i + 3]
    assert climb.alt == 15.0
    # Until the crew confirms the signal and advances the mission.
    assert wait.command == Command.NAV_LOITER_UNLIM and (wait.lon, wait.lat) == (drop.lon, drop.lat)
    ack = items[drop_i + 4 : drop_i + 8]
    assert [it.alt for it in ack] == [18.0, 15.0, 18.0, 15.0]  # rise and descend, twice
    assert all((it.lon, it.lat) == (wait.lon, wait.lat) for it in ack)
    walk = items[drop_i + 8]
    assert walk.command == Command.DO_CHANGE_SPEED
    assert walk.params[1] == pytest.approx(1.1, abs=1e-6)  # the route's walking speed
    end_hover = next(it for it in reversed(items) if it.command == Command.NAV_LOITER_TIME)
    end = p.route.point_at(p.route.length_m)
    assert (end_hover.lon, end_hover.lat) == pytest.approx(end, abs=1e-6)
    assert end_hover.params[0] == 120.0 and end_hover.alt == 15.0
    assert items[-1].command == Command.NAV_RETURN_TO_LAUNCH
    assert items[-2].alt == 60.0 and (items[-2].lon, items[-2].lat) == pytest.approx(
        (LAUNCH.lon, LAUNCH.lat), abs=1e-6
    )
    assert [ph.name for ph in s.phases] == [
        "take off", "transit", "drop note", "wait for signal", "acknowledge", "lead",
        "hover at reception", "return", "land",
    ]  # fmt: skip


def test_leading_faces_along_the_route_per_firmware() -> None:
    route = straight_route(500.0, bearing_deg=300.0)
    ardu = plan(route).sorties[0].items
    yaws = [it for it in ardu if it.command == Command.CONDITION_YAW]
    assert yaws and all(it.params[0] == pytest.approx(300.0, abs=0.05) for it in yaws)
    assert all(it.params[3] == 0.0 for it in yaws)  # absolute heading
    px4 = plan(route, firmware="px4").sorties[0].items
    assert re.fullmatch(FIRST_PX4, tokens(px4)), tokens(px4)
    lead = px4[next(i for i, it in enumerate(px4) if it.params[1] == 1.1) + 1 :]
    first_lead_wp = next(it for it in lead if it.command == Command.NAV_WAYPOINT)
    assert first_lead_wp.params[3] == pytest.approx(300.0, abs=0.05)  # waypoint yaw
    # ArduPilot ignores waypoint yaw; we write 0 rather than NaN.
    assert all(it.params[3] == 0.0 for it in ardu if it.command == Command.NAV_WAYPOINT)


def test_servo_release() -> None:
    items = plan(straight_route(500.0), release=Release.parse("servo:9:1900")).sorties[0].items
    servo = [it for it in items if it.command == Command.DO_SET_SERVO]
    assert len(servo) == 1 and servo[0].params[:2] == (9.0, 1900.0)
    assert servo[0].frame == Frame.MISSION


@pytest.mark.parametrize("text", ["servo", "servo:0:1500", "servo:9:3000", "magnet", "servo:a:b"])
def test_bad_release_is_a_usage_error(text: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        Release.parse(text)
    assert info.value.field == "release"
    assert not info.value.message.startswith("-") and "--" not in info.value.message


def test_speed_per_leg_and_holds_where_it_turns_or_climbs() -> None:
    a = ORIGIN
    b = offset(a, 270.0, 200.0)
    c = offset(b, 0.0, 200.0)  # a right-angle turn at b
    d = offset(c, 0.0, 200.0)  # the leg c-d climbs 15 m
    e = offset(d, 0.0, 100.0)
    route = route_from_points([a, b, c, d, e], ascents=[0, 0, 15, 0])
    route = LeadRoute(
        route.waypoints,
        tuple(
            type(leg)(leg.distance_m, leg.time_s * f, ascent_m=leg.ascent_m)
            for leg, f in zip(route.legs, [1.0, 1.0, 1.5, 1.0], strict=True)
        ),
    )
    assert waypoint_holds(route, MissionSettings()) == [0.0, 5.0, 10.0, 0.0, 0.0]
    items = plan(route).sorties[0].items
    lead_wps = {
        (round(it.lon, 6), round(it.lat, 6)): it.params[0]
        for it in items
        if it.command == Command.NAV_WAYPOINT and it.alt == 15.0
    }
    assert lead_wps[tuple(round(v, 6) for v in b)] == 5.0
    assert lead_wps[tuple(round(v, 6) for v in c)] == 10.0
    speeds = [it.params[1] for it in items if it.command == Command.DO_CHANGE_SPEED]
    # cruise, walking speed, slower on the climbing leg, walking speed again, cruise home
    assert speeds == pytest.approx([12.0, 1.1, 1.1 / 1.5, 1.1, 12.0], abs=1e-6)


# --------------------------------------------------------------------------- timing


def test_the_first_sortie_arrives_before_the_meeting_time() -> None:
    p = plan(straight_route(500.0))
    s = p.sorties[0]
    settings = MissionSettings()
    assert s.arrival_time == MEETING - timedelta(seconds=settings.arrival_margin_s)
    transit = next(ph for ph in s.phases if ph.name == "transit")
    assert s.launch_time + timedelta(seconds=transit.end_s) == s.arrival_time
    assert s.launch_time < s.arrival_time < s.lead_start_time < s.lead_end_time
    assert s.lead_end_time < s.leave_time < s.landing_time
    # The person walks 500 m at 1.1 m/s behind the drone.
    lead = next(ph for ph in s.phases if ph.name == "lead")
    assert lead.end_s - lead.start_s == pytest.approx(500 / 1.1, rel=1e-3)
    assert p.meeting_time == MEETING


def test_without_a_meeting_time_the_first_sortie_launches_now() -> None:
    now = datetime(2024, 5, 1, 3, 0, 20, tzinfo=UTC)
    p = plan(straight_route(500.0), meeting_time=None, now=now)
    assert p.sorties[0].launch_time == datetime(2024, 5, 1, 3, 1, tzinfo=UTC)
    assert p.meeting_time == p.sorties[0].arrival_time + timedelta(seconds=60)


def test_relief_sorties_are_in_place_before_the_first_must_leave() -> None:
    p = plan(straight_route(6000.0), launch=MIDDLE)
    settings = MissionSettings()
    assert len(p.sorties) > 1
    for a, b in zip(p.sorties, p.sorties[1:], strict=False):
        assert re.fullmatch(RELIEF_ARDUPILOT, tokens(b.items)), tokens(b.items)
        assert b.role == "relief"
        assert b.arrival_time <= a.lead_end_time - timedelta(seconds=settings.relief_margin_s)
        assert b.arrival_time < a.leave_time <= a.latest_leave_time
        wait = next(ph for ph in b.phases if ph.name == "wait for handover")
        wait_ends = b.launch_time + timedelta(seconds=wait.end_s)
        assert abs((wait_ends - a.leave_time).total_seconds()) < 1  # relief takes over
        assert b.lead_start_time >= a.leave_time
        assert 0 < a.person_waits_s < 120
        hold = next(it for it in b.items if it.command == Command.NAV_LOITER_TIME)
        assert (hold.lon, hold.lat) == pytest.approx(b.lead_start, abs=1e-6)
        gap = GEOD.inv(a.lead_end[0], a.lead_end[1], hold.lon, hold.lat)[2]
        assert gap == pytest.approx(settings.handover_offset_m, abs=0.5)
    assert p.sorties[-1].person_waits_s == 0.0


def test_relay_stretches_are_balanced_not_greedy() -> None:
    # Leading each stretch as far as the energy allows gives 1050 m, 1075 m and 75 m here:
    # the last relief would fly out to lead 75 m. Balanced, the three are about even.
    route = straight_route(2250.0)
    p = plan(route, launch=along(-300.0))  # the crew stands 300 m behind the meeting point
    stretches = [s.lead_to_m - s.lead_from_m for s in p.sorties]
    assert len(stretches) == 3
    assert min(stretches) >= 0.85 * max(stretches), stretches
    assert sum(stretches) + 2 * MissionSettings().handover_offset_m == pytest.approx(2250.0)
    # ... and no fewer sorties could lead it.
    with pytest.raises(UnreachableError, match="more than 2 sorties"):
        plan(route, launch=along(-300.0), settings=MissionSettings(max_sorties=2))


def test_airframes_fly_again_only_after_landing_and_turnaround() -> None:
    p = plan(straight_route(6000.0), launch=MIDDLE)
    turnaround = timedelta(seconds=MissionSettings().turnaround_s)
    by_frame: dict[int, list] = {}
    for s in p.sorties:
        by_frame.setdefault(s.airframe, []).append(s)
    assert p.airframes == len(by_frame) >= 2
    for flights in by_frame.values():
        for x, y in itertools.pairwise(flights):
            assert y.launch_time >= x.landing_time + turnaround


def test_upload_order_puts_home_first_only_for_ardupilot() -> None:
    p = plan(straight_route(500.0))
    home = p.home_item()
    assert home.frame == Frame.GLOBAL and home.command == Command.NAV_WAYPOINT
    items = p.sorties[0].items
    assert items_for_upload(home, items, "ardupilot") == [home, *items]
    assert items_for_upload(home, items, "px4") == list(items)


def test_schedule_is_json_ready() -> None:
    p = plan(straight_route(6000.0), launch=MIDDLE)
    doc = json.loads(json.dumps(p.schedule()))
    assert [s["sortie"] for s in doc["sorties"]] == list(range(1, len(p.sorties) + 1))
    first = doc["sorties"][0]
    for key in ("launch", "arrival", "handover", "landing", "energy_used_wh", "reserve_left_wh"):
        assert first[key] is not None
    assert first["reception"] is None
    assert doc["sorties"][-1]["handover"] is None and doc["sorties"][-1]["reception"]
    assert datetime.fromisoformat(first["handover"]) == p.sorties[0].leave_time.replace(
        microsecond=0
    )
    assert datetime.fromisoformat(first["launch"]) == p.sorties[0].launch_time.replace(
        microsecond=0
    )
    assert doc["drone"]["profile"] == "camera-900g"
    assert doc["warnings"] and "no DEM" in doc["warnings"][0]


# --------------------------------------------------------------------------- sample area


def test_the_sample_route_needs_relays_with_the_900_g_drone(sample_area: Path) -> None:
    route = load_route(sample_route_path(str(sample_area)))
    assert route.length_m > 6000
    reception = read_reception(sample_area / "reception.geojson")[0]
    launch = GeoPoint(reception.lat, reception.lon)  # the crew flies from the reception point
    p = plan(route, launch=launch)
    assert len(p.sorties) > 1
    assert p.sorties[-1].lead_to_m == pytest.approx(route.length_m)
    assert all(s.reserve_left_wh >= p.energy.reserve_wh - 1e-9 for s in p.sorties)


# --------------------------------------------------------------------------- errors


def test_meeting_time_in_the_past() -> None:
    with pytest.raises(OutOfRangeError, match="is already past") as info:
        plan(straight_route(500.0), meeting_time=NOW - timedelta(minutes=5))
    assert info.value.field == "meeting_time" and "--" not in info.value.message


def test_meeting_time_too_soon_to_fly_there() -> None:
    far = along(5000.0, 90.0)
    expected = "cannot be reached: the flight to the meeting"
    with pytest.raises(OutOfRangeError, match=expected) as info:
        plan(straight_route(500.0), launch=far, meeting_time=NOW + timedelta(minutes=3))
    assert info.value.field == "meeting_time" and "--" not in info.value.message


def test_meeting_time_needs_a_time_zone() -> None:
    with pytest.raises(InvalidValueError, match="no time zone") as info:
        plan(straight_route(500.0), meeting_time=datetime(2024, 5, 1, 5, 0))
    assert info.value.field == "meeting_time" and "--" not in info.value.message


def test_meeting_time_in_another_zone_is_the_same_instant() -> None:
    kyiv = timezone(timedelta(hours=3))
    p = plan(straight_route(500.0), meeting_time=MEETING.astimezone(kyiv))
    assert p.sorties[0].arrival_time == MEETING - timedelta(seconds=60)


def test_route_beyond_reach_even_with_relays() -> None:
    far = along(40_000.0, 90.0)
    with pytest.raises(UnreachableError, match="beyond reach even with relays"):
        plan(straight_route(500.0), launch=far, meeting_time=NOW + timedelta(hours=3))


def test_too_many_sorties_is_beyond_reach() -> None:
    with pytest.raises(UnreachableError, match="more than 3 sorties"):
        plan(straight_route(6000.0), launch=MIDDLE, settings=MissionSettings(max_sorties=3))


def test_more_items_than_the_vehicle_stores() -> None:
    small = dataclasses.replace(CAMERA, max_mission_items=20)
    with pytest.raises(OutOfRangeError, match=r"sortie 1 has \d+ mission items; .* at most 20"):
        plan(straight_route(2000.0, leg_m=50.0), profile=small)


def test_wind_over_the_profile_limit() -> None:
    with pytest.raises(OutOfRangeError, match="over the camera-900g profile's limit"):
        plan(straight_route(500.0), settings=MissionSettings(wind_ms=15.0))


def test_unknown_firmware() -> None:
    with pytest.raises(InvalidValueError, match="unknown 'inav'") as info:
        plan(straight_route(500.0), firmware="inav")
    assert info.value.field == "firmware"


GOOD = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "LineString",
                         "coordinates": [[38.0, 48.6, 150], [37.99, 48.6, 151]]},
            "properties": {
                "reception": "A",
                "segments": [{"index": 0, "distance_m": 737.0, "time_s": 600.0,
                              "exposed_time_s": 0.0, "ascent_m": 1.0, "descent_m": 0.0}],
            },
        }
    ],
}  # fmt: skip


def test_route_from_geojson() -> None:
    route = lead_route_from_geojson(GOOD, "r.geojson")
    assert route.reception == "A"
    assert route.length_m == 737.0 and route.walking_time_s == 600.0
    assert route.point_at(368.5) == pytest.approx((37.995, 48.6))


def _broken(path: list, value) -> dict:
    doc = copy.deepcopy(GOOD)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([1, 2], "not a GeoJSON FeatureCollection"),
        (_broken(["features"], []), "has no features"),
        (_broken(["features", 0, "geometry", "type"], "Point"), "not the route LineString"),
        (_broken(["features", 0, "geometry", "coordinates"], [[38.0, 48.6]]), "at least two"),
        (_broken(["features", 0, "geometry", "coordinates", 1], [38.0, 95.0]), "position 1"),
        (_broken(["features", 0, "properties", "segments"], KeyError), "no 'segments'"),
        (_broken(["features", 0, "properties", "segments"], []), "0 segments for 2 positions"),
        (_broken(["features", 0, "properties", "segments", 0, "time_s"], -1), "time_s must be"),
        (_broken(["features", 0, "properties", "segments", 0, "distance_m"], "x"), "distance_m"),
    ],
)
def test_malformed_route_is_one_line(doc, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "r.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(BadFileError) as info:
        read_lead_route(path)
    assert expected in str(info.value) and f"route {path}" in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_route_files_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(BadFileError, match="does not exist; plan one with `safeconduct route`"):
        read_lead_route(tmp_path / "missing.geojson")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{")
    with pytest.raises(BadFileError, match=r"is not valid JSON \(.* at line 1 column 2\)"):
        read_lead_route(broken)
