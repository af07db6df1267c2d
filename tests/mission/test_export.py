"""QGroundControl .plan and QGC WPL 110 files: structure, round trips, and pymavlink's mavwp."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.adapters.files.drone_profiles import load_profile
from safeconduct.adapters.formats.qgc_plan import plan_document, read_qgc_plan, write_qgc_plan
from safeconduct.adapters.formats.qgc_wpl import read_wpl, write_wpl
from safeconduct.errors import BadFileError
from safeconduct.mission.items import Command, Frame, MissionItem
from safeconduct.mission.plan import MissionPlan, plan_sorties
from safeconduct.terrain.coords import GeoPoint
from tests.mission.mission_helpers import ORIGIN, offset, straight_route

NOW = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=2)
def planned(firmware: str) -> MissionPlan:
    lon, lat = offset(ORIGIN, 270.0, 1500.0)
    return plan_sorties(
        straight_route(4000.0, leg_m=200.0),
        GeoPoint(lat=lat, lon=lon),
        load_profile("camera-900g"),
        now=NOW,
        meeting_time=NOW + timedelta(hours=1),
        firmware=firmware,
    )


def six(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Numbers on the 1e-6 grid QGC WPL 110 keeps (pymavlink writes %f)."""
    return st.integers(round(lo * 1e6), round(hi * 1e6)).map(lambda k: k / 1e6)


mission_items = st.builds(
    MissionItem,
    command=st.sampled_from([int(c) for c in Command]),
    frame=st.sampled_from([int(f) for f in Frame]),
    params=st.tuples(six(-1e4, 1e4), six(-1e4, 1e4), six(-1e4, 1e4), six(-360, 360)),
    lat=six(-90, 90),
    lon=six(-180, 180),
    alt=six(-500, 5000),
    autocontinue=st.booleans(),
)


# --------------------------------------------------------------------------- QGC WPL 110


@SETTINGS
@given(items=st.lists(mission_items, min_size=1, max_size=30), home=mission_items)
def test_waypoints_round_trip(tmp_path_factory, items, home) -> None:
    folder = tmp_path_factory.mktemp("wpl")
    write_wpl(folder / "a.waypoints", items, home=home)
    assert read_wpl(folder / "a.waypoints") == [home, *items]
    write_wpl(folder / "b.waypoints", items)  # PX4: no home line
    assert read_wpl(folder / "b.waypoints") == items


@SETTINGS
@given(items=st.lists(mission_items, min_size=1, max_size=10))
def test_waypoints_round_trip_rounds_to_what_the_format_keeps(tmp_path_factory, items) -> None:
    jitter = [
        MissionItem(it.command, it.frame, tuple(p + 1.7e-7 for p in it.params),  # type: ignore[arg-type]
                    it.lat + 2.2e-7, it.lon - 3.1e-7, it.alt + 4e-7, it.autocontinue)
        for it in items
    ]  # fmt: skip
    path = tmp_path_factory.mktemp("wpl") / "j.waypoints"
    write_wpl(path, jitter)
    for got, want in zip(read_wpl(path), jitter, strict=True):
        assert got.lat == pytest.approx(want.lat, abs=5e-7)
        assert got.alt == pytest.approx(want.alt, abs=5e-7)


@pytest.mark.parametrize("firmware", ["ardupilot", "px4"])
def test_planned_waypoints_load_unchanged_with_mavwp(tmp_path: Path, firmware: str) -> None:
    from pymavlink import mavwp

    plan = planned(firmware)
    for s in plan.sorties:
        home = plan.home_item() if firmware == "ardupilot" else None
        path = tmp_path / f"sortie-{s.number}.waypoints"
        write_wpl(path, s.items, home=home)
        text = path.read_text()
        assert text.startswith("QGC WPL 110\n")
        assert all(len(line.split("\t")) == 12 for line in text.splitlines()[1:])
        loader = mavwp.MAVWPLoader()
        assert loader.load(str(path)) == len(s.items) + (home is not None)
        first = loader.wp(0)
        if home is not None:  # ArduPilot: item 0 is home, AMSL, current
            assert (first.command, first.frame, first.current) == (16, 0, 1)
            assert (first.x, first.y) == pytest.approx((plan.launch.lat, plan.launch.lon), abs=1e-6)
        elif s.number == 1:  # PX4: the first item grabs the note, the second takes off
            assert first.command == Command.DO_GRIPPER and first.param2 == 1.0
            assert loader.wp(1).command == Command.NAV_TAKEOFF
        else:  # a relief carries no note
            assert first.command == Command.NAV_TAKEOFF
        # mavwp writes back exactly what it read: the file is in its own format.
        again = tmp_path / "again.waypoints"
        loader.save(str(again))
        assert again.read_text() == text
        # and the items read back are the planned items, unrounded by the format
        items = read_wpl(path)
        assert items[1 if home else 0 :] == list(s.items)


def test_waypoints_reader_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.waypoints"
    bad.write_text("QGC WPL 100 something\n")
    with pytest.raises(BadFileError, match="not 'QGC WPL 110'"):
        read_wpl(bad)
    bad.write_text("QGC WPL 110\n0\t1\t0\t16\t0\n")
    with pytest.raises(BadFileError, match="malformed waypoints file"):
        read_wpl(bad)
    with pytest.raises(BadFileError, match="cannot read"):
        read_wpl(tmp_path / "missing.waypoints")


# --------------------------------------------------------------------------- QGC .plan


floats = st.floats(-1e6, 1e6, allow_nan=False)
plan_items = st.builds(
    MissionItem,
    command=st.sampled_from([int(c) for c in Command]),
    frame=st.sampled_from([int(f) for f in Frame]),
    params=st.tuples(floats, floats, floats, floats),
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    alt=floats,
    autocontinue=st.booleans(),
)


@SETTINGS
@given(
    items=st.lists(plan_items, min_size=1, max_size=30),
    home=st.tuples(st.floats(-90, 90), st.floats(-180, 180), floats),
    firmware=st.sampled_from(["ardupilot", "px4"]),
)
def test_plan_round_trip(tmp_path_factory, items, home, firmware) -> None:
    path = tmp_path_factory.mktemp("plan") / "m.plan"
    write_qgc_plan(path, items, home=home, firmware=firmware, cruise_speed_ms=12.0,
                   hover_speed_ms=12.0)  # fmt: skip
    got = read_qgc_plan(path)
    assert got.items == tuple(items)
    assert got.home == home
    assert got.firmware == firmware
    assert got.cruise_speed_ms == got.hover_speed_ms == 12.0


@pytest.mark.parametrize(("firmware", "code"), [("ardupilot", 3), ("px4", 12)])
def test_plan_file_has_the_qgroundcontrol_layout(tmp_path: Path, firmware: str, code: int) -> None:
    plan = planned(firmware)
    s = plan.sorties[0]
    path = tmp_path / "sortie-1.plan"
    home = (plan.launch.lat, plan.launch.lon, 0.0)
    write_qgc_plan(path, s.items, home=home, firmware=firmware, cruise_speed_ms=12.0,
                   hover_speed_ms=12.0)  # fmt: skip
    doc = json.loads(path.read_text())
    assert doc["fileType"] == "Plan" and doc["version"] == 1
    assert doc["groundStation"] == "QGroundControl"
    assert doc["geoFence"] == {"circles": [], "polygons": [], "version": 2}
    assert doc["rallyPoints"] == {"points": [], "version": 2}
    m = doc["mission"]
    assert m["version"] == 2 and m["firmwareType"] == code and m["vehicleType"] == 2
    assert m["plannedHomePosition"] == list(home)
    assert m["cruiseSpeed"] == 12.0 and m["hoverSpeed"] == 12.0
    assert [it["doJumpId"] for it in m["items"]] == list(range(1, len(s.items) + 1))
    for raw, it in zip(m["items"], s.items, strict=True):
        assert raw["type"] == "SimpleItem" and raw["autoContinue"] is True
        assert raw["command"] == it.command and raw["frame"] == it.frame
        assert raw["params"] == [*it.params, it.lat, it.lon, it.alt]
        has_alt = it.command in (Command.NAV_WAYPOINT, Command.NAV_TAKEOFF,
                                 Command.NAV_LOITER_TIME, Command.NAV_LOITER_UNLIM)  # fmt: skip
        assert ("Altitude" in raw) == has_alt
        if has_alt:
            assert raw["AltitudeMode"] == 1 and raw["Altitude"] == it.alt  # relative to home
            assert raw["AMSLAltAboveTerrain"] is None
    # The planned mission comes back item for item.
    assert read_qgc_plan(path).items == s.items


def test_plan_writes_nan_as_null_like_qgroundcontrol() -> None:
    it = MissionItem(Command.NAV_WAYPOINT, params=(0.0, 0.0, 0.0, math.nan), lat=1.0, lon=2.0)
    doc = plan_document([it], home=(1.0, 2.0, 3.0), firmware="px4", cruise_speed_ms=5.0,
                        hover_speed_ms=5.0)  # fmt: skip
    assert doc["mission"]["items"][0]["params"][3] is None


def test_plan_reader_errors(tmp_path: Path) -> None:
    p = tmp_path / "x.plan"
    p.write_text("{nope")
    with pytest.raises(BadFileError, match="not valid JSON"):
        read_qgc_plan(p)
    p.write_text(json.dumps({"fileType": "Mission"}))
    with pytest.raises(BadFileError, match="not a QGroundControl plan"):
        read_qgc_plan(p)
    doc = plan_document([MissionItem(Command.NAV_TAKEOFF, alt=30.0)], home=(1.0, 2.0, 3.0),
                        firmware="ardupilot", cruise_speed_ms=5.0, hover_speed_ms=5.0)  # fmt: skip
    doc["mission"]["items"].append({"type": "ComplexItem", "complexItemType": "survey"})
    p.write_text(json.dumps(doc))
    with pytest.raises(BadFileError, match=r"items\[1\] is a 'ComplexItem'"):
        read_qgc_plan(p)
