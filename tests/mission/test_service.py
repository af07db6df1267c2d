"""The mission use cases and the ``mission`` command: in memory, and the files all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from safeconduct import bootstrap
from safeconduct.adapters.formats.qgc_plan import read_qgc_plan
from safeconduct.adapters.formats.qgc_wpl import read_wpl
from safeconduct.entrypoints.cli.app import main
from safeconduct.entrypoints.cli.mission import mission_app, sortie_table
from safeconduct.errors import (
    BadFileError,
    InvalidValueError,
    OutOfRangeError,
    SafeconductError,
    UnreachableError,
)
from safeconduct.services import mission as service
from safeconduct.services.mission import parse_meeting_time
from safeconduct.terrain.coords import GeoPoint
from tests.mission.mission_helpers import load_route, offset, sample_route_path

PORTS = bootstrap.mission_ports()


def plan_mission_files(*args, **kw):
    """The use case on the real adapters."""
    return service.plan_mission_files(PORTS, *args, **kw)

NOW = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
MEETING = NOW + timedelta(hours=1)


@pytest.fixture(scope="module")
def route_path(sample_area: Path) -> Path:
    return sample_route_path(str(sample_area))


@pytest.fixture(scope="module")
def launch(route_path: Path) -> GeoPoint:
    """A launch point 800 m west of the route, a third of the way along it."""
    lon, lat = offset(load_route(route_path).point_at(2000.0), 270.0, 800.0)
    return GeoPoint(lat=lat, lon=lon)


@pytest.fixture(scope="module")
def written(sample_area: Path, route_path: Path, launch: GeoPoint, tmp_path_factory):
    out = tmp_path_factory.mktemp("mission") / "out"  # created by the command
    summary = plan_mission_files(
        route_path, launch, out, dem_path=sample_area / "dem.tif",
        meeting_time=MEETING, now=NOW,
    )  # fmt: skip
    return summary, out


def test_writes_every_file_of_every_sortie(written) -> None:
    summary, out = written
    n = len(summary.plan.sorties)
    assert n > 1
    expected = {
        f"sortie-{i}.{ext}" for i in range(1, n + 1) for ext in ("plan", "waypoints", "parm")
    }
    expected |= {"mission.geojson", "schedule.json"}
    assert {p.name for p in out.iterdir()} == expected
    assert {p.name for p in summary.files} == expected
    for s in summary.plan.sorties:
        plan = read_qgc_plan(out / f"sortie-{s.number}.plan")
        assert plan.items == s.items and plan.firmware == "ardupilot"
        home = summary.plan.home_item()
        assert plan.home == (home.lat, home.lon, home.alt)
        assert home.alt == pytest.approx(summary.plan.home_amsl_m, abs=1e-6)
        assert read_wpl(out / f"sortie-{s.number}.waypoints") == [home, *s.items]


def test_schedule_json_matches_the_plan(written) -> None:
    summary, out = written
    doc = json.loads((out / "schedule.json").read_text())
    assert doc["meeting_time"] == MEETING.isoformat(timespec="seconds")
    assert doc["terrain"] == "dem"
    assert len(doc["sorties"]) == len(summary.plan.sorties)
    for row, s in zip(doc["sorties"], summary.plan.sorties, strict=True):
        assert datetime.fromisoformat(row["landing"]) == s.landing_time.replace(microsecond=0)
        assert row["energy_used_wh"] == round(s.energy_used_wh, 2)
        assert row["reserve_left_wh"] >= doc["drone"]["reserve_required_wh"] - 0.01
        assert row["min_clearance_m"] >= 14.9


def test_mission_geojson_holds_every_sortie_in_lon_lat(written) -> None:
    summary, out = written
    doc = json.loads((out / "mission.geojson").read_text())
    assert doc["type"] == "FeatureCollection"
    feats = doc["features"]
    lines = [f for f in feats if f["geometry"]["type"] == "LineString"]
    assert [f["properties"]["sortie"] for f in lines] == [s.number for s in summary.plan.sorties]
    roles = [f["properties"]["role"] for f in feats if f["geometry"]["type"] == "Point"]
    n = len(summary.plan.sorties)
    assert roles.count("launch") == roles.count("drop") == roles.count("reception") == 1
    assert roles.count("waiting") == roles.count("relief_hold") == n - 1
    for f in lines:
        for lon, lat in f["geometry"]["coordinates"]:
            assert 37.9 < lon < 38.1 and 48.5 < lat < 48.7  # lon first
        assert f["geometry"]["coordinates"][0] == pytest.approx(
            [summary.plan.launch.lon, summary.plan.launch.lat], abs=1e-6
        )


def test_summary_and_table(written) -> None:
    from rich.console import Console

    summary, out = written
    text = summary.describe()
    assert f"{len(summary.plan.sorties)} sorties" in text
    assert f"wrote {len(summary.files)} files to {out}" in text
    console = Console(width=100, record=True)
    console.print(sortie_table(summary))
    shown = console.export_text()
    assert "reserve required" in shown and "rec." in shown


def test_without_a_dem_it_says_so(route_path: Path, launch: GeoPoint, tmp_path: Path) -> None:
    summary = plan_mission_files(route_path, launch, tmp_path / "m", meeting_time=MEETING, now=NOW)
    assert "warning: no DEM" in summary.describe()
    doc = json.loads((tmp_path / "m" / "schedule.json").read_text())
    assert doc["terrain"].startswith("none")
    assert all(s["min_clearance_m"] is None for s in doc["sorties"])


def test_px4_files_have_no_home_line(route_path: Path, launch: GeoPoint, tmp_path: Path) -> None:
    summary = plan_mission_files(route_path, launch, tmp_path, firmware="px4",
                                 release="servo:9:1900", meeting_time=MEETING, now=NOW)  # fmt: skip
    s = summary.plan.sorties[0]
    assert read_wpl(tmp_path / "sortie-1.waypoints") == list(s.items)
    assert read_qgc_plan(tmp_path / "sortie-1.plan").firmware == "px4"


def test_stale_sorties_of_an_earlier_plan_are_removed(
    route_path: Path, launch: GeoPoint, tmp_path: Path
) -> None:
    (tmp_path / "sortie-30.plan").write_text("old")
    (tmp_path / "sortie-30.waypoints").write_text("old")
    (tmp_path / "notes.txt").write_text("keep me")
    summary = plan_mission_files(route_path, launch, tmp_path, meeting_time=MEETING, now=NOW)
    assert {p.name for p in summary.removed} == {"sortie-30.plan", "sortie-30.waypoints"}
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert not list(tmp_path.glob(".mission-*"))


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"drone": "racer"}, InvalidValueError, "unknown profile 'racer'"),
        ({"meeting_time": NOW - timedelta(hours=1)}, OutOfRangeError, "already past"),
        ({"meeting_time": NOW + timedelta(minutes=1)}, OutOfRangeError, "cannot be reached"),
        ({"launch": GeoPoint(48.9, 38.0)}, OutOfRangeError, "lies outside the DEM"),
        ({"route_path": "missing"}, BadFileError, "does not exist"),
        ({"route_path": "broken"}, BadFileError, "not valid JSON"),
        ({"firmware": "inav"}, InvalidValueError, "unknown 'inav'; choose ardupilot or px4"),
        ({"release": "magnet"}, InvalidValueError, "cannot read 'magnet'"),
    ],
)
def test_errors_are_one_line_and_write_nothing(
    sample_area: Path, route_path: Path, launch: GeoPoint, tmp_path: Path,
    change: dict, error: type, message: str,
) -> None:  # fmt: skip
    kw = {"dem_path": sample_area / "dem.tif", "meeting_time": MEETING, "now": NOW}
    args = {"route_path": route_path, "launch": launch}
    kw.update({k: v for k, v in change.items() if k not in args})
    args.update({k: v for k, v in change.items() if k in args})
    if args["route_path"] == "broken":
        args["route_path"] = tmp_path / "broken.geojson"
        args["route_path"].write_text("{")
    elif args["route_path"] == "missing":
        args["route_path"] = tmp_path / "missing.geojson"
    out = tmp_path / "out"
    with pytest.raises(error) as info:
        plan_mission_files(args["route_path"], args["launch"], out, **kw)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not info.value.message.startswith("-") and " --" not in info.value.message
    if "route_path" not in change:  # a file error names the file, not a field
        assert info.value.field == next(iter(change))
    assert not out.exists()
    assert not list(tmp_path.glob(".mission-*"))


def test_unreachable_route_writes_nothing(route_path: Path, tmp_path: Path) -> None:
    far = GeoPoint(48.2, 38.0)  # 45 km south
    with pytest.raises(UnreachableError, match="beyond reach"):
        plan_mission_files(route_path, far, tmp_path, meeting_time=MEETING + timedelta(hours=2),
                           now=NOW)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_meeting_time_parsing() -> None:
    t = parse_meeting_time("2024-05-01T05:30+03:00")
    assert t == datetime(2024, 5, 1, 2, 30, tzinfo=UTC)
    assert parse_meeting_time("2024-05-01T02:30Z") == t
    with pytest.raises(InvalidValueError, match="no time zone"):
        parse_meeting_time("2024-05-01T05:30")
    with pytest.raises(InvalidValueError, match="cannot read"):
        parse_meeting_time("half past five")


# --------------------------------------------------------------------------- command


def _invoke(*args: str):
    app = typer.Typer()
    app.add_typer(mission_app, name="mission")
    return CliRunner().invoke(app, ["mission", *args])


def test_command_plans_and_prints_the_schedule(
    sample_area: Path, route_path: Path, launch: GeoPoint, tmp_path: Path
) -> None:
    result = _invoke(
        "--route", str(route_path), "--launch", str(launch), "--dem", str(sample_area / "dem.tif"),
        "--meeting-time", "2099-05-01T05:30+03:00", "--out", str(tmp_path / "m"),
        "--firmware", "px4", "--signal-wait", "120",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Sorties (camera-900g)" in result.output
    assert "wrote " in result.output and "sortie-1.plan" in result.output
    assert (tmp_path / "m" / "sortie-1.waypoints").is_file()
    doc = json.loads((tmp_path / "m" / "schedule.json").read_text())
    assert doc["firmware"] == "px4"
    assert doc["meeting_time"] == "2099-05-01T05:30:00+03:00"


def test_the_ardupilot_summary_names_the_yaw_parameter(
    route_path: Path, launch: GeoPoint, tmp_path: Path
) -> None:
    result = _invoke("--route", str(route_path), "--launch", str(launch),
                     "--out", str(tmp_path / "m"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "set on every drone (ArduPilot, in sortie-N.parm): WP_YAW_BEHAVIOR = 0 (never " in (
        result.output
    )


def test_command_help_and_missing_options(route_path: Path) -> None:
    result = _invoke("--help")
    assert result.exit_code == 0
    for option in ("--route", "--launch", "--dem", "--drone", "--meeting-time", "--firmware",
                   "--release", "--out"):  # fmt: skip
        assert option in result.output
    result = _invoke("--route", str(route_path), "--launch", "48.6,38.0")
    assert isinstance(result.exception, InvalidValueError)
    assert "--out is required" in str(result.exception)
    result = _invoke("--route", str(route_path), "--launch", "48.6,38.0", "--out", "x",
                     "--meeting-time", "2099-05-01T05:30")  # fmt: skip
    assert isinstance(result.exception, InvalidValueError)
    assert "no time zone" in str(result.exception)


def test_a_sub_command_skips_the_planning() -> None:
    seen = []

    @mission_app.command("probe-test-only")
    def probe() -> None:
        seen.append(True)

    try:
        result = _invoke("probe-test-only")
        assert result.exit_code == 0, result.output
        assert seen == [True]
        assert not isinstance(result.exception, SafeconductError)
    finally:
        mission_app.registered_commands.pop()


# --------------------------------------------------------------------------- in memory


@pytest.fixture(scope="module")
def camera():
    return service.load_drone(PORTS, "camera-900g")


def test_a_plan_from_the_route_in_memory_equals_the_plan_from_its_file(
    sample_area: Path, route_path: Path, launch: GeoPoint, camera
) -> None:
    from safeconduct.adapters.gis.geotiff import read_dem
    from tests.mission.mission_helpers import sample_route

    route = sample_route(str(sample_area))  # the Route object the file was written from
    lead = service.lead_route_from(route)
    from_file = load_route(route_path)
    assert lead.waypoints == from_file.waypoints
    assert lead.legs == from_file.legs and lead.reception == from_file.reception
    dem = read_dem(sample_area / "dem.tif")
    kw = {"dem": dem, "drone": camera, "meeting_time": MEETING, "now": NOW}
    in_memory = service.plan_mission(route, launch, **kw)
    on_file = service.plan_mission(from_file, launch, **kw)
    assert in_memory.schedule() == on_file.schedule()
    assert [s.items for s in in_memory.sorties] == [s.items for s in on_file.sorties]
    assert len(in_memory.sorties) > 1


def test_rounding_as_the_file_does_matters(camera) -> None:
    """A route off the file's grid (1e-9 degrees) still plans as its file does."""
    from safeconduct.routing.route import Route, RouteSegment
    from safeconduct.terrain.layers import ReceptionPoint

    wps = [(38.0 + 1.23e-9, 48.6 - 4.56e-9, 150.004), (37.99 + 7.8e-9, 48.6, 151.006)]
    seg = RouteSegment(0, 737.0049, 600.0051, 0.0, 1.0049, 0.0)
    route = Route(wps, ReceptionPoint("A", 48.6, 37.99), 737.0, 600.0, 0.0, 1.0, 1.0, 1.0,
                  "tobler", [seg])  # fmt: skip
    lead = service.lead_route_from(route)
    assert lead.waypoints == ((38.0, 48.6, 150.0), (37.99, 48.6, 151.01))
    assert (lead.legs[0].distance_m, lead.legs[0].time_s, lead.legs[0].ascent_m) == (
        737.0, 600.01, 1.0,
    )  # fmt: skip
    assert lead.reception == "A"


def test_write_mission_writes_the_plan_planned_in_memory(
    route_path: Path, launch: GeoPoint, camera, tmp_path: Path
) -> None:
    plan = service.plan_mission(load_route(route_path), launch, drone=camera,
                                meeting_time=MEETING, now=NOW)  # fmt: skip
    summary = service.write_mission(PORTS, plan, tmp_path / "m")
    assert summary.plan is plan and summary.out_dir == tmp_path / "m"
    doc = json.loads((tmp_path / "m" / "schedule.json").read_text())
    assert doc == json.loads(json.dumps(plan.schedule()))
    assert {p.name for p in summary.files} == {p.name for p in (tmp_path / "m").iterdir()}


def test_the_use_case_reaches_files_only_through_its_ports(
    route_path: Path, launch: GeoPoint, camera, tmp_path: Path
) -> None:
    route = load_route(route_path)
    calls: list[tuple] = []

    class Fake:
        def read_lead_route(self, path):
            calls.append(("route", path))
            return route

        def read_dem(self, path):  # pragma: no cover - not asked without a DEM
            raise AssertionError("no DEM was given")

        def load_profile(self, spec):
            calls.append(("profile", spec))
            return camera

        def builtin_names(self):
            return ["camera-900g"]

        def write_mission(self, plan, out_dir):
            calls.append(("write", out_dir))
            return (Path(out_dir) / "sortie-1.plan",), ()

    fake = Fake()
    ports = service.MissionPorts(routes=fake, dems=fake, profiles=fake, folders=fake)
    summary = service.plan_mission_files(ports, "r.geojson", launch, "nowhere", drone="x",
                                         meeting_time=MEETING, now=NOW)  # fmt: skip
    assert calls == [("profile", "x"), ("route", "r.geojson"), ("write", "nowhere")]
    assert summary.files == (Path("nowhere") / "sortie-1.plan",)
    assert not (tmp_path / "nowhere").exists()


def test_the_crew_is_told_the_ardupilot_yaw_parameter(
    route_path: Path, launch: GeoPoint, camera
) -> None:
    route = load_route(route_path)
    ardu = service.plan_mission(route, launch, drone=camera, meeting_time=MEETING, now=NOW)
    text = service.MissionSummary(Path("m"), (), (), ardu).describe()
    assert "WP_YAW_BEHAVIOR = 0" in text
    params = ardu.schedule()["vehicle_parameters"]
    assert params["WP_YAW_BEHAVIOR"] == 0
    # The flight figures the clock assumes (issue 19), in ArduPilot's units, and the gripper.
    assert params["WPNAV_SPEED_UP"] == 300 and params["ANGLE_MAX"] == 4500
    assert params["GRIP_ENABLE"] == 1 and params["SERVO9_FUNCTION"] == 28
    px4 = service.plan_mission(route, launch, drone=camera, firmware="px4",
                               meeting_time=MEETING, now=NOW)  # fmt: skip
    assert "WP_YAW_BEHAVIOR" not in service.MissionSummary(Path("m"), (), (), px4).describe()
    assert "WP_YAW_BEHAVIOR" not in px4.schedule()["vehicle_parameters"]
    assert px4.schedule()["vehicle_parameters"]["MPC_TILTMAX_AIR"] == 45.0


# --------------------------------------------------------------------------- errors as printed


@pytest.mark.parametrize(
    ("args", "line", "status"),
    [
        (["--firmware", "inav"], "--firmware: unknown 'inav'; choose ardupilot or px4", 2),
        (["--release", "magnet"], "--release: cannot read 'magnet'", 2),
        (["--release", "servo:0:1500"], "--release: servo channel 0 is not 1-32", 2),
        (["--drone", "racer"], "--drone: unknown profile 'racer'", 2),
        (["--meeting-time", "2024-05-01T05:30"], "--meeting-time: '2024-05-01T05:30' has no", 2),
        (["--meeting-time", "2000-05-01T05:30Z"], "--meeting-time: 2000-05-01T05:30+00:00 is", 1),
        (["--launch", "48.9,38.0"], "--launch: the launch point (48.900000,38.000000) lies", 1),
        (["--signal-wait", "5000"], "--signal-wait: 5000 s is outside 0-3600 s", 2),
        (["--wind", "15"], "--wind: 15 m/s is over the camera-900g profile's limit", 1),
    ],
)
def test_the_command_prints_each_mistake_against_its_flag(
    sample_area: Path, route_path: Path, launch: GeoPoint, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], args: list[str], line: str, status: int,
) -> None:  # fmt: skip
    base = {"--route": str(route_path), "--launch": f"{launch.lat},{launch.lon}",
            "--dem": str(sample_area / "dem.tif"), "--out": str(tmp_path / "m")}  # fmt: skip
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    with pytest.raises(SystemExit) as info:
        main(["mission", *[x for kv in base.items() for x in kv]])
    assert info.value.code == status
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"safeconduct: error: {line}"), err
    assert "\n" not in err
    assert not (tmp_path / "m").exists()


def test_the_timed_acknowledgement_is_chosen_explicitly_and_said_plainly(
    route_path: Path, launch: GeoPoint, tmp_path: Path
) -> None:
    default = _invoke("--route", str(route_path), "--launch", str(launch),
                      "--out", str(tmp_path / "a"))  # fmt: skip
    assert default.exit_code == 0, default.output
    assert "until the crew confirms the surrender signal" in default.output
    assert "Set WP" in default.output and "WITHOUT" not in default.output
    assert "\t17\t" in (tmp_path / "a" / "sortie-1.waypoints").read_text()  # NAV_LOITER_UNLIM
    timed = _invoke("--route", str(route_path), "--launch", str(launch), "--signal-wait", "90",
                    "--timed-acknowledge", "--out", str(tmp_path / "b"))  # fmt: skip
    assert timed.exit_code == 0, timed.output
    assert "TIMED ACKNOWLEDGEMENT" in timed.output and "WITHOUT anyone confirming" in timed.output
    rows = [r.split("\t") for r in (tmp_path / "b" / "sortie-1.waypoints").read_text().splitlines()]
    assert not any(r[3] == "17" for r in rows[1:])
    assert ["19", "90.000000"] in [[r[3], r[4]] for r in rows[1:]]
