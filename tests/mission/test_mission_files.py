"""Reading mission files: QGC WPL 110 waypoints (through pymavlink's mavwp) and .plan JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymavlink import mavutil, mavwp

from safeconduct.adapters.formats.mission_files import (
    read_mission_file,
    read_plan,
    read_waypoints,
)
from safeconduct.errors import BadFileError
from safeconduct.mission.items import Command, Frame, MissionItem

WPL = """QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t47.3976870\t8.5455940\t488.000000\t1
1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t30.000000\t1
2\t0\t3\t16\t5\t0\t0\tnan\t47.3980000\t8.5460000\t30.000000\t1
3\t0\t2\t178\t1\t1.2\t-1\t0\t0\t0\t0\t0
4\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1
"""


def plan_doc(items: list[dict[str, Any]], firmware: int = 12) -> dict[str, Any]:
    return {
        "fileType": "Plan",
        "version": 1,
        "groundStation": "QGroundControl",
        "geoFence": {"circles": [], "polygons": [], "version": 2},
        "rallyPoints": {"points": [], "version": 2},
        "mission": {
            "version": 2,
            "firmwareType": firmware,
            "vehicleType": 2,
            "cruiseSpeed": 15,
            "hoverSpeed": 5,
            "plannedHomePosition": [47.397687, 8.545594, 488.0],
            "items": items,
        },
    }


def simple(command: int, frame: int, params: list[Any], auto: bool = True) -> dict[str, Any]:
    return {
        "type": "SimpleItem",
        "command": command,
        "frame": frame,
        "params": params,
        "autoContinue": auto,
        "doJumpId": 1,
        "AMSLAltAboveTerrain": None,
        "Altitude": params[-1],
        "AltitudeMode": 1,
    }


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_waypoints_every_line_is_an_item(tmp_path: Path) -> None:
    items = read_waypoints(write(tmp_path / "m.waypoints", WPL))
    assert [i.command for i in items] == [16, 22, 16, 178, 20]
    assert items[0] == MissionItem(16, 0, (0, 0, 0, 0), 47.397687, 8.545594, 488.0)
    assert items[2].params[0] == 5 and math.isnan(items[2].params[3])
    assert items[3].frame == Frame.MISSION and items[3].params[:3] == (1.0, 1.2, -1.0)
    assert not items[3].autocontinue and items[4].autocontinue


def test_waypoints_written_by_mavwp_read_back(tmp_path: Path) -> None:
    loader = mavwp.MAVWPLoader()
    for seq, (lat, lon) in enumerate([(47.1, 8.5), (-33.8688197, 151.2092955)]):
        loader.add(
            mavutil.mavlink.MAVLink_mission_item_message(
                1, 1, seq, 3, 16, 0, 1, 2.5, 0, 0, 0, lat, lon, 25.0 + seq
            )
        )
    loader.save(str(tmp_path / "m.waypoints"))
    items = read_mission_file(tmp_path / "m.waypoints").items
    # mavwp saves with %f: six decimals, about 0.1 m.
    assert [(i.lat, i.lon, i.alt) for i in items] == [
        (47.1, 8.5, 25.0),
        (-33.86882, 151.209295, 26.0),
    ]
    assert items[0].params == (2.5, 0.0, 0.0, 0.0)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Command)),
            st.sampled_from(list(Frame)),
            st.lists(st.floats(-1e4, 1e4), min_size=4, max_size=4),
            st.floats(-90, 90),
            st.floats(-180, 180),
            st.floats(-500, 9000),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_waypoints_round_trip_through_mavwp(tmp_path: Path, rows: list[tuple]) -> None:
    """What mavwp saves we read back, to its printed precision (%f: six decimals)."""
    loader = mavwp.MAVWPLoader()
    for seq, (cmd, frame, params, lat, lon, alt, auto) in enumerate(rows):
        loader.add(
            mavutil.mavlink.MAVLink_mission_item_message(
                1, 1, seq, frame, cmd, 0, int(auto), *params, lat, lon, alt
            )
        )
    path = tmp_path / "r.waypoints"
    loader.save(str(path))
    items = read_waypoints(path)
    assert len(items) == len(rows)
    for item, (cmd, frame, params, lat, lon, alt, auto) in zip(items, rows, strict=True):
        assert (item.command, item.frame, item.autocontinue) == (cmd, frame, auto)
        assert item.params == pytest.approx(params, abs=1e-6)
        assert (item.lat, item.lon) == pytest.approx((lat, lon), abs=1e-6)
        assert item.alt == pytest.approx(alt, abs=1e-6)


def test_plan_for_px4_is_its_items(tmp_path: Path) -> None:
    doc = plan_doc(
        [
            simple(22, 3, [0, 0, 0, None, 47.3977, 8.5456, 30]),
            simple(16, 3, [4, 0, 0, None, 47.398, 8.546, 30]),
            simple(178, 2, [1, 1.2, -1, 0, 0, 0, 0], auto=False),
        ]
    )
    mission = read_mission_file(write(tmp_path / "m.plan", json.dumps(doc)))
    assert not mission.home_inserted
    items = mission.items
    assert [i.command for i in items] == [22, 16, 178]
    assert math.isnan(items[0].params[3])  # null: use the vehicle's default
    assert (items[1].lat, items[1].lon, items[1].alt, items[1].params[0]) == (
        47.398,
        8.546,
        30,
        4,
    )
    assert items[2].frame == 2 and not items[2].autocontinue
    assert "3 items from m.plan" in mission.describe()


def test_plan_for_ardupilot_sends_planned_home_as_item_0(tmp_path: Path) -> None:
    doc = plan_doc([simple(22, 3, [0, 0, 0, 0, 0, 0, 30])], firmware=3)
    mission = read_mission_file(write(tmp_path / "m.plan", json.dumps(doc)))
    assert mission.home_inserted
    assert mission.items[0] == MissionItem(
        Command.NAV_WAYPOINT, Frame.GLOBAL, lat=47.397687, lon=8.545594, alt=488.0
    )
    assert mission.items[1].command == Command.NAV_TAKEOFF
    assert "item 0 = planned home" in mission.describe()


def test_plan_null_position_is_zero(tmp_path: Path) -> None:
    doc = plan_doc([simple(20, 2, [None, None, None, None, None, None, None])])
    (item,) = read_plan(write(tmp_path / "m.plan", json.dumps(doc)))
    assert (item.lat, item.lon, item.alt) == (0.0, 0.0, 0.0)
    assert all(math.isnan(p) for p in item.params)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("m.kml", "<kml/>", "unknown mission file type '.kml'; use .waypoints"),
        ("m", "x", "unknown mission file type '(no ending)'"),
        ("m.waypoints", "QGC WPL 120\n", "not 'QGC WPL 110'"),
        ("m.waypoints", "", "not 'QGC WPL 110'"),
        ("m.waypoints", "QGC WPL 110\n", "holds no mission item"),
        ("m.waypoints", "QGC WPL 110\n0\t1\t0\t16\t0\t0\n", "invalid waypoint line with 6 values"),
        ("m.waypoints", "QGC WPL 110\n0 1 0 16 0 0 0 0 a 8.5 10 1\n", "malformed waypoints"),
        ("m.plan", "{not json", "not valid JSON"),
        ("m.plan", json.dumps({"fileType": "GeoFence"}), "not a QGroundControl plan"),
        ("m.plan", json.dumps({"fileType": "Plan", "mission": {}}), "no mission.items list"),
        ("m.plan", json.dumps(plan_doc([])), "holds no mission item"),
        (
            "m.plan",
            json.dumps(plan_doc([{"type": "ComplexItem", "complexItemType": "survey"}])),
            "is a 'ComplexItem'; only SimpleItem",
        ),
        ("m.plan", json.dumps(plan_doc([simple(16, 3, [0, 0, 0, 0, 1, 2])])), "list of 7"),
        (
            "m.plan",
            json.dumps(plan_doc([simple(16, 3, [0, 0, 0, 0, "a", 2, 3])])),
            "list of 7 numbers",
        ),
    ],
)
def test_bad_files_are_one_line_errors(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = write(tmp_path / name, text)
    with pytest.raises(BadFileError) as info:
        read_mission_file(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_ardupilot_plan_without_home_is_refused(tmp_path: Path) -> None:
    doc = plan_doc([simple(22, 3, [0, 0, 0, 0, 0, 0, 30])], firmware=3)
    del doc["mission"]["plannedHomePosition"]
    with pytest.raises(BadFileError, match="needs plannedHomePosition"):
        read_plan(write(tmp_path / "m.plan", json.dumps(doc)))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadFileError, match="no such file"):
        read_mission_file(tmp_path / "gone.plan")
