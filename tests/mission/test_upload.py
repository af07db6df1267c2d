"""Mission upload over MAVLink, against real peers on loopback.

The main peer is MAVSDK's MissionRawServer (an independent C++ implementation of the vehicle
side) in its own process; faults it will not produce on demand come from a small pymavlink
vehicle (:class:`FakeVehicle`) and a lossy UDP relay in front of MAVSDK.
"""

from __future__ import annotations

import math
import pickle
import struct
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymavlink.dialects.v20 import common as mavlink2
from typer.testing import CliRunner

from safeconduct.adapters.mavlink.upload import (
    BadConnectionError,
    MissionLink,
    MissionUploadError,
    compare_missions,
    download_mission,
    mission_result_name,
    parse_connection,
    upload_and_verify,
    upload_mission,
)
from safeconduct.entrypoints.cli.upload import upload_command
from safeconduct.errors import BadFileError, InvalidValueError
from safeconduct.mission.firmware_storage import (
    ARDUPILOT,
    ARDUPILOT_LOCATION_COMMANDS,
    PX4,
    ardupilot_altitude,
    ardupilot_keeps,
    px4_keeps,
)
from safeconduct.mission.items import Command, Frame, MissionItem
from safeconduct.mission.transfer import MissionMismatchError
from tests.mission.mavlink_peers import (
    ArduPilotVehicle,
    FakeVehicle,
    MavsdkVehicle,
    Px4Vehicle,
    UdpDropProxy,
    free_port,
)

NAN = math.nan
FAST = {"timeout_s": 0.2, "heartbeat_timeout_s": 2.0}
#: "Not a hang": far above the sub-second timeouts given, far below any test limit, so a
#: loaded CI machine cannot fail a test that only checks the call gives up by itself.
NO_HANG_S = 15.0


def leading_mission(n: int = 6) -> list[MissionItem]:
    """A small mission shaped like a leading sortie."""
    items = [
        MissionItem(Command.NAV_TAKEOFF, Frame.GLOBAL_RELATIVE_ALT, (0, 0, 0, NAN), alt=30),
        MissionItem(Command.DO_CHANGE_SPEED, Frame.MISSION, (1, 1.2, -1, 0)),
    ]
    for i in range(n - 3):
        items.append(
            MissionItem(
                Command.NAV_WAYPOINT,
                Frame.GLOBAL_RELATIVE_ALT,
                (2.0, 0, 0, NAN),
                lat=48.8566 + i * 1.234567e-4,
                lon=2.3522 - i * 7.654321e-5,
                alt=15.5 + i,
            )
        )
    items.append(MissionItem(Command.NAV_RETURN_TO_LAUNCH, Frame.MISSION))
    return items


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ----------------------------------------------------------------------------- peers


@pytest.fixture(scope="module")
def mavsdk_vehicle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MavsdkVehicle]:
    """MAVSDK MissionRawServer listening on udpin://127.0.0.1:<free port>."""
    vehicle = MavsdkVehicle("udp", tmp_path_factory.mktemp("mavsdk") / "vehicle.log")
    try:
        yield vehicle
    finally:
        vehicle.stop()


@pytest.fixture(scope="module")
def mavsdk_link(mavsdk_vehicle: MavsdkVehicle) -> Iterator[MissionLink]:
    """One open link to the MAVSDK vehicle, for many transfers."""
    with MissionLink(mavsdk_vehicle.url, timeout_s=2.0) as link:
        yield link


# ----------------------------------------------------------------------------- MAVSDK


def test_upload_and_verify_against_mavsdk(mavsdk_vehicle: MavsdkVehicle) -> None:
    items = leading_mission(8)
    seen: list[tuple[int, int]] = []
    report = upload_and_verify(
        mavsdk_vehicle.url, items, timeout_s=2.0, progress=lambda d, t: seen.append((d, t))
    )
    assert report.ok, report.describe()
    assert report.describe() == "8 items sent, 8 read back, all match"
    assert seen[-1] == (16, 16) and len(seen) == 16
    # What the vehicle itself says it received, field by field.
    got = mavsdk_vehicle.next_mission()
    assert got["result"] == "SUCCESS"
    for seq, (item, row) in enumerate(zip(items, got["items"], strict=True)):
        s, frame, command, _current, auto, p1, p2, p3, p4, x, y, z, mtype = row
        assert (s, frame, command, auto, mtype) == (seq, item.frame, item.command, 1, 0)
        assert (x, y) == (round(item.lat * 1e7), round(item.lon * 1e7))
        assert z == f32(item.alt)
        for sent, held in zip(item.params, (p1, p2, p3, p4), strict=True):
            assert (math.isnan(sent) and math.isnan(held)) or held == f32(sent)


def test_upload_then_download_separately(mavsdk_vehicle: MavsdkVehicle) -> None:
    items = leading_mission(4)
    upload_mission(mavsdk_vehicle.url, items, timeout_s=2.0)
    back = download_mission(mavsdk_vehicle.url, timeout_s=2.0)
    assert compare_missions(items, back).ok


def test_tcp_link_to_mavsdk(tmp_path: Path) -> None:
    vehicle = MavsdkVehicle("tcp", tmp_path / "vehicle.log")
    try:
        with MissionLink(vehicle.url, timeout_s=2.0) as link:
            link.upload(leading_mission(5))
            assert compare_missions(leading_mission(5), link.download()).ok
            vehicle.stop()  # the vehicle hangs up: a one-line error, not a hang
            start = time.monotonic()
            with pytest.raises(MissionUploadError, match="the vehicle closed the connection"):
                link.download()
            assert time.monotonic() - start < NO_HANG_S
    finally:
        vehicle.stop()


mission_items = st.builds(
    MissionItem,
    command=st.one_of(st.sampled_from(list(Command)), st.integers(0, 65535)),
    frame=st.sampled_from([0, 2, 3, 5, 6, 10, 11]),
    params=st.tuples(*[st.floats(width=32, allow_infinity=False)] * 4),
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    alt=st.floats(-1000, 20000),
    autocontinue=st.booleans(),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(mission_items, min_size=1, max_size=50))
def test_round_trip_of_random_missions(mavsdk_link: MissionLink, items: list[MissionItem]) -> None:
    """Upload then download gives the same items: degrees within 1e-7, float32 params."""
    mavsdk_link.upload(items)
    back = mavsdk_link.download()
    assert len(back) == len(items)
    for a, b in zip(items, back, strict=True):
        assert (b.command, b.frame, b.autocontinue) == (a.command, a.frame, a.autocontinue)
        assert b.lat == round(a.lat * 1e7) / 1e7 and b.lon == round(a.lon * 1e7) / 1e7
        assert abs(b.lat - a.lat) <= 0.5e-7 + 1e-12 and abs(b.lon - a.lon) <= 0.5e-7 + 1e-12
        assert b.alt == f32(a.alt)
        for pa, pb in zip(a.params, b.params, strict=True):
            assert (math.isnan(pa) and math.isnan(pb)) or pb == f32(pa)
    assert compare_missions(items, back).ok


def test_losses_between_us_and_mavsdk_are_recovered(mavsdk_vehicle: MavsdkVehicle) -> None:
    """Lose the count, the first request each way and the list request: resends recover."""
    port = int(mavsdk_vehicle.url.rsplit(":", 1)[1])
    with UdpDropProxy(
        port,
        drop_to_vehicle=["MISSION_COUNT", "MISSION_REQUEST_LIST", "MISSION_REQUEST_INT"],
        drop_to_gcs=["MISSION_REQUEST_INT"],
    ) as proxy:
        report = upload_and_verify(proxy.url, leading_mission(6), timeout_s=0.3)
    assert report.ok, report.describe()
    assert sorted(proxy.dropped) == sorted(
        mavlink2.MAVLINK_MSG_ID_MISSION_COUNT if n == "c" else
        mavlink2.MAVLINK_MSG_ID_MISSION_REQUEST_LIST if n == "l" else
        mavlink2.MAVLINK_MSG_ID_MISSION_REQUEST_INT
        for n in "clrr"
    )


def test_command_uploads_a_waypoints_file(mavsdk_vehicle: MavsdkVehicle, tmp_path: Path) -> None:
    path = tmp_path / "sortie.waypoints"
    path.write_text(
        "QGC WPL 110\n"
        "0\t1\t0\t16\t0\t0\t0\t0\t48.8566000\t2.3522000\t35.000000\t1\n"
        "1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t30.000000\t1\n"
        "2\t0\t3\t16\t3\t0\t0\t0\t48.8570000\t2.3530000\t30.000000\t1\n"
        "3\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1\n",
        encoding="utf-8",
    )
    app = typer.Typer()
    app.command("upload")(upload_command)
    result = CliRunner().invoke(
        app, ["--connection", mavsdk_vehicle.url, str(path), "--timeout", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "read 4 items from sortie.waypoints" in result.output
    assert "verified: 4 items sent, 4 read back, all match" in result.output


def test_command_refuses_a_bad_file_before_connecting(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("upload")(upload_command)
    args = ["--connection", "udpout:127.0.0.1:9", str(tmp_path / "x.kml")]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, BadFileError)


# ----------------------------------------------------------------------------- faults


def test_no_vehicle_is_a_quick_one_line_error() -> None:
    url = f"udpout:127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(MissionUploadError) as info:
        upload_mission(url, leading_mission(), timeout_s=0.3, heartbeat_timeout_s=0.3)
    assert time.monotonic() - start < NO_HANG_S
    assert str(info.value) == (
        f"no heartbeat from the vehicle on {url} within 0.3 s; check the connection URL and "
        "that the vehicle is powered"
    )


def test_nothing_listening_on_tcp() -> None:
    start = time.monotonic()
    with pytest.raises(MissionUploadError, match=r"cannot open tcp:127\.0\.0\.1:\d+: "):
        download_mission(f"tcp:127.0.0.1:{free_port()}", timeout_s=0.3)
    assert time.monotonic() - start < NO_HANG_S


def test_vehicle_with_another_system_id_is_named() -> None:
    with FakeVehicle(system_id=42) as vehicle, pytest.raises(MissionUploadError) as info:
        upload_mission(vehicle.url, leading_mission(), timeout_s=0.5, heartbeat_timeout_s=0.5)
    assert "only from system 42; give that as the target system" in str(info.value)


def test_lost_count_item_list_and_request_are_resent() -> None:
    ignore = ["MISSION_COUNT", "MISSION_ITEM_INT", "MISSION_REQUEST_LIST", "MISSION_REQUEST_INT"]
    items = leading_mission(5)
    with FakeVehicle(ignore_first=ignore) as vehicle:
        # Long enough that a busy machine causes no resend beyond the four provoked ones.
        report = upload_and_verify(vehicle.url, items, timeout_s=0.4)
        assert report.ok, report.describe()
        assert vehicle.received.count("MISSION_COUNT") == 2
        assert vehicle.received.count("MISSION_ITEM_INT") == len(items) + 1
        assert vehicle.received.count("MISSION_REQUEST_LIST") == 2
        assert vehicle.received.count("MISSION_REQUEST_INT") == len(items) + 1


def test_legacy_mission_request_is_answered_with_mission_item_int() -> None:
    items = leading_mission(5)
    with FakeVehicle(legacy_requests=True) as vehicle:
        assert upload_and_verify(vehicle.url, items, **FAST).ok
        assert "MISSION_ITEM" not in vehicle.received
        assert vehicle.mission[2]["x"] == round(items[2].lat * 1e7)


def test_error_ack_names_the_mission_result() -> None:
    refusing = FakeVehicle(refuse_count=mavlink2.MAV_MISSION_NO_SPACE)
    with refusing as vehicle, pytest.raises(MissionUploadError) as info:
        upload_mission(vehicle.url, leading_mission(), **FAST)
    assert str(info.value) == (
        "the vehicle refused the mission: MAV_MISSION_NO_SPACE "
        "(mission items exceed storage space)"
    )


def test_error_ack_on_an_item_says_which() -> None:
    refusing = FakeVehicle(refuse_item=(3, mavlink2.MAV_MISSION_UNSUPPORTED))
    with refusing as vehicle, pytest.raises(MissionUploadError) as info:
        upload_mission(vehicle.url, leading_mission(), **FAST)
    assert "refused the mission at item 3: MAV_MISSION_UNSUPPORTED" in str(info.value)


def test_silent_vehicle_gives_up_after_the_retries_and_cancels() -> None:
    with FakeVehicle(answer=False) as vehicle:
        start = time.monotonic()
        with pytest.raises(MissionUploadError, match="never asked for the 6 items"):
            upload_mission(vehicle.url, leading_mission(), timeout_s=0.2, retries=2)
        assert 0.55 < time.monotonic() - start < NO_HANG_S  # three waits of 0.2 s, then gives up
        deadline = time.monotonic() + 2.0
        while "MISSION_ACK" not in vehicle.received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert vehicle.received == ["MISSION_COUNT"] * 3 + ["MISSION_ACK"]


def test_ardupilot_home_in_item_0_is_not_a_difference() -> None:
    items = leading_mission(5)
    with ArduPilotVehicle(home=(1.5, 2.5, 100)) as v:
        report = upload_and_verify(v.url, items, **FAST)
    assert report.ok, report.describe()
    assert report.notes and report.notes[0].startswith("item 0 is the vehicle's home")


def test_a_vehicle_holding_something_else_is_reported() -> None:
    def tamper(seq: int, fields: dict) -> None:
        if seq == 2:
            fields["z"] += 5.0

    items = leading_mission(5)
    with FakeVehicle(tamper=tamper) as vehicle:
        report = upload_and_verify(vehicle.url, items, **FAST)
    assert not report.ok
    (diff,) = report.differences
    assert (diff.seq, diff.field) == (2, "alt")
    assert report.describe() == (
        "5 items sent, 5 read back, 1 difference: item 2: alt sent 15.5, the vehicle has 20.5"
    )


# ----------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("url", "device"),
    [
        ("udpout:127.0.0.1:14540", "udpout:127.0.0.1:14540"),
        ("udpin://0.0.0.0:14550", "udpin:0.0.0.0:14550"),
        ("tcp:localhost:5760", "tcp:localhost:5760"),
        ("tcpin:127.0.0.1:5760", "tcpin:127.0.0.1:5760"),
        ("/dev/ttyUSB0,57600", "/dev/ttyUSB0,57600"),
        ("/dev/serial/by-id/usb-ArduPilot", "/dev/serial/by-id/usb-ArduPilot"),
        ("COM3,115200", "COM3,115200"),
    ],
)
def test_accepted_connections(url: str, device: str) -> None:
    assert parse_connection(url) == device


@pytest.mark.parametrize(
    "url", ["", "127.0.0.1:14540", "udpoot:1.2.3.4:5", "udp:host", "tcp:h:70000", "/usr/bin/x"]
)
def test_rejected_connections_list_the_forms(url: str) -> None:
    with pytest.raises(BadConnectionError) as info:
        parse_connection(url)
    message = str(info.value)
    assert "\n" not in message
    assert "udpout:HOST:PORT" in message or "outside 1-65535" in message


def test_items_that_do_not_fit_the_message_are_refused_before_sending() -> None:
    with FakeVehicle() as vehicle, MissionLink(vehicle.url, **FAST) as link:
        with pytest.raises(MissionUploadError, match=r"item 1: latitude 91\.0 is outside"):
            link.upload([MissionItem(16), MissionItem(16, lat=91.0)])
        with pytest.raises(MissionUploadError, match=r"item 0: param2 1e\+39 does not fit"):
            link.upload([MissionItem(16, params=(0, 1e39, 0, 0))])
        assert "MISSION_COUNT" not in vehicle.received


def test_compare_missions_tolerances() -> None:
    a = MissionItem(16, 6, (1.0, 0.1, NAN, 0), lat=10.0, lon=20.0, alt=30.0)
    same = MissionItem(16, 3, (1.0, f32(0.1), NAN, 0), lat=10.0 + 1e-7, lon=20.0, alt=30.004)
    assert compare_missions([a], [same]).ok
    worse = MissionItem(17, 6, (1.5, 0.1, 0.0, 0), lat=10.0 + 3e-7, lon=20.0, alt=30.5)
    report = compare_missions([a], [worse])
    assert [d.field for d in report.differences] == ["command", "param1", "param3", "lat", "alt"]
    assert not compare_missions([a, a], [a]).ok
    assert compare_missions([a], [worse], item0_is_home=True).ok


def test_mission_result_names() -> None:
    assert mission_result_name(13) == (
        "MAV_MISSION_INVALID_SEQUENCE (mission item received out of sequence)"
    )
    assert mission_result_name(200) == "unknown MAV_MISSION_RESULT 200"


# ----------------------------------------------------------------------------- the use case


class _FakeLinks:
    """A vehicle that holds ``held`` whatever it is sent."""

    def __init__(self, held: list[MissionItem] | None = None) -> None:
        self.held = held
        self.sent: list[tuple] = []

    def upload_and_verify(self, connection, items, **kw):
        self.sent.append((connection, list(items), kw))
        held = list(items) if self.held is None else self.held
        return compare_missions(items, held, item0_is_home=True)


def test_upload_use_case_goes_through_its_ports(tmp_path: Path) -> None:
    from safeconduct.adapters.formats.mission_files import MissionFileReader
    from safeconduct.mission.transfer import MissionMismatchError
    from safeconduct.services.mission import UploadPorts, read_mission, upload_mission

    path = tmp_path / "m.waypoints"
    path.write_text(
        "QGC WPL 110\n"
        "0\t1\t0\t16\t0\t0\t0\t0\t48.8566000\t2.3522000\t35.000000\t1\n"
        "1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t30.000000\t1\n",
        encoding="utf-8",
    )
    links = _FakeLinks()
    ports = UploadPorts(mission_files=MissionFileReader(), vehicles=links)
    mission = read_mission(ports, path)
    report = upload_mission(ports, mission, "udpout:127.0.0.1:9", timeout_s=0.5, retries=1)
    assert report.ok and len(report.notes) == 1
    assert links.sent[0][0] == "udpout:127.0.0.1:9"
    assert links.sent[0][2]["timeout_s"] == 0.5 and links.sent[0][2]["retries"] == 1
    other = UploadPorts(
        mission_files=MissionFileReader(), vehicles=_FakeLinks([mission.items[0]])
    )
    with pytest.raises(MissionMismatchError, match="counts differ") as info:
        upload_mission(other, mission, "udpout:127.0.0.1:9")
    assert isinstance(info.value, MissionUploadError) and not info.value.report.ok


# ----------------------------------------------------------------------------- firmware storage


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``safeconduct ARGS`` through the console entry point: exit status, stdout, stderr."""
    from safeconduct.entrypoints.cli.app import main

    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    code = info.value.code
    # The transient progress bar leaves an empty line on a stderr that is not a terminal.
    err = "\n".join(line for line in captured.err.splitlines() if line.strip())
    return (0 if code is None else int(code)), captured.out, err


NOW = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample_sortie_files(
    sample_area: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """Every sortie file (.waypoints and .plan) of the sample area's mission, as
    ``safeconduct mission`` writes them for ArduPilot, launched from the reception point."""
    from safeconduct import bootstrap
    from safeconduct.adapters.formats.layers import read_reception
    from safeconduct.services.mission import plan_mission_files
    from safeconduct.terrain.coords import GeoPoint
    from tests.mission.mission_helpers import sample_route_path

    reception = read_reception(sample_area / "reception.geojson")[0]
    out = tmp_path_factory.mktemp("sample-mission") / "mission"
    plan_mission_files(
        bootstrap.mission_ports(),
        sample_route_path(str(sample_area)),
        GeoPoint(reception.lat, reception.lon),
        out,
        dem_path=sample_area / "dem.tif",
        meeting_time=NOW + timedelta(hours=1),
        now=NOW,
    )
    files = sorted(out.glob("sortie-*.waypoints")) + sorted(out.glob("sortie-*.plan"))
    assert len(files) >= 4
    return files


def test_the_sample_mission_passes_against_a_vehicle_that_stores_as_ardupilot(
    sample_sortie_files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 19: "45 items sent, 45 read back, 17 differences" against ArduCopter 4.6."""
    from safeconduct.adapters.formats.mission_files import read_mission_file

    with ArduPilotVehicle() as vehicle:
        for path in sample_sortie_files:
            n = len(read_mission_file(path).items)
            code, out, err = run_cli(
                ["mission", "upload", "--connection", vehicle.url, str(path), "--timeout", "1"],
                capsys,
            )
            assert code == 0, err
            assert f"{n} items sent, {n} read back, all match as ArduPilot keeps them" in out
        # What it holds is not what was sent: compared as an echo, the storage shows.
        items = read_mission_file(sample_sortie_files[0]).items
        held = download_mission(vehicle.url, timeout_s=1.0)
    echo = compare_missions(items, held, item0_is_home=True)
    assert {d.field for d in echo.differences} >= {"frame", "param3"}


def first_seq(path: Path, command: int) -> int:
    from safeconduct.adapters.formats.mission_files import read_mission_file

    items = read_mission_file(path).items
    return next(i for i, it in enumerate(items) if i > 0 and it.command == command)


def test_a_changed_altitude_fails_in_one_line(
    sample_sortie_files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = sample_sortie_files[0]
    seq = first_seq(path, Command.NAV_WAYPOINT)

    def higher(s: int, fields: dict) -> None:
        if s == seq:
            fields["z"] += 5.0

    with ArduPilotVehicle(tamper=higher) as vehicle:
        code, out, err = run_cli(
            ["mission", "upload", "--connection", vehicle.url, str(path), "--timeout", "1"],
            capsys,
        )
    assert code == 1
    assert "Traceback" not in out + err
    (line,) = err.splitlines()
    assert line.startswith("safeconduct: error: the vehicle does not hold the mission sent: ")
    assert f", 1 difference: item {seq}: alt sent " in line
    assert line.endswith("; upload it again, and if it persists do not fly it")


def test_a_changed_command_fails_in_one_line_and_every_difference_is_listed(
    sample_sortie_files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = sample_sortie_files[0]
    speed = first_seq(path, Command.DO_CHANGE_SPEED)
    seq = first_seq(path, Command.NAV_WAYPOINT)

    def changed(s: int, fields: dict) -> None:
        if s == speed:
            fields["command"] = int(Command.DO_SET_SERVO)
        if s == seq:
            fields["y"] += 20  # 2e-6 degree: about 15 cm east

    with ArduPilotVehicle(tamper=changed) as vehicle:
        code, out, err = run_cli(
            ["mission", "upload", "--connection", vehicle.url, str(path), "--timeout", "1"],
            capsys,
        )
    assert code == 1 and "Traceback" not in out + err
    (line,) = err.splitlines()
    first = min(seq, speed)
    assert ", 2 differences, the first: " in line
    assert "the vehicle holds 2 differences:" in out
    assert f"  item {speed}: command sent 178, the vehicle has 183" in out
    assert f"  item {seq}: lon sent " in out
    assert line.count("item ") == 1 and f"the first: item {first}:" in line


@pytest.mark.parametrize("value", ["300", "0", "-1", "256"])
def test_target_system_outside_1_to_255_is_refused_in_one_line(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 18 item 14: ``--target-system 300`` was not checked (MAVLink ids are 1-255)."""
    missing = tmp_path / "none.waypoints"  # the id is checked before the file and the link
    code, _out, err = run_cli(
        ["mission", "upload", "--connection", "udpout:127.0.0.1:9", str(missing),
         "--target-system", value],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert err.splitlines() == [
        f"safeconduct: error: --target-system: must be a MAVLink id from 1 to 255, not {value}; "
        "the vehicle's SYSID_THISMAV (ArduPilot) or MAV_SYS_ID (PX4) parameter holds it"
    ]


def test_the_link_refuses_a_system_id_outside_1_to_255() -> None:
    with pytest.raises(InvalidValueError) as info:
        MissionLink("udpout:127.0.0.1:9", target_system=300)
    assert info.value.field == "target_system"


def test_a_mismatch_error_survives_pickling() -> None:
    """The error is rebuilt from its report, not from its message (copy, pickle, workers)."""
    report = compare_missions([MissionItem(16, alt=10.0)], [MissionItem(16, alt=12.0)])
    error = MissionMismatchError(report)
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.report == report
    assert again.detail == "item 0: alt sent 10, the vehicle has 12"


def test_ardupilot_keeps_what_the_issue_measured() -> None:
    """ArduCopter 4.6 sent back 19.1999989 for 19.21, 76.5099945 for 76.52, 127 s for
    127.5 s of loiter, 1 for a loiter's param3 of 0, and frame 0 without a position."""
    assert f32(ardupilot_altitude(19.21)) == f32(19.1999989)
    assert f32(ardupilot_altitude(76.52)) == f32(76.5099945)
    loiter = ardupilot_keeps(
        MissionItem(Command.NAV_LOITER_TIME, 3, (127.5, 0, 0, 0), lat=48.5, lon=37.9, alt=26.21)
    )
    assert loiter.params == (127.0, 0.0, 1.0, 0.0) and loiter.frame == 3
    for command in (Command.DO_CHANGE_SPEED, Command.CONDITION_YAW, Command.NAV_DELAY,
                    Command.DO_GRIPPER, Command.NAV_RETURN_TO_LAUNCH):  # fmt: skip
        kept = ardupilot_keeps(MissionItem(command, Frame.MISSION, (1, 2, 3, 4)))
        assert (kept.frame, kept.lat, kept.lon, kept.alt) == (0, 0.0, 0.0, 0.0)
    assert ardupilot_keeps(MissionItem(16, 6, (2.9, 5, 5, NAN), alt=10)).params == (2, 0, 0, 0)
    assert ardupilot_keeps(MissionItem(22, 10, alt=30)).frame == 10
    assert ardupilot_keeps(MissionItem(16, 2, alt=30)).frame == 0  # MISSION: absolute
    assert ardupilot_keeps(MissionItem(16, autocontinue=False)).autocontinue


def test_px4_keeps_its_own_way() -> None:
    """PX4 (mavlink_mission.cpp): *_INT frames back, yaw wrapped to 0-360, float seconds,
    and frame 2 items echoed."""
    wp = px4_keeps(MissionItem(16, 3, (2.5, 1.0, 7.0, -90.0), lat=48.5, lon=37.9, alt=26.21))
    assert wp.frame == 6 and wp.params == (2.5, 1.0, 0.0, 270.0) and wp.alt == f32(26.21)
    loiter = px4_keeps(MissionItem(19, 0, (127.5, 3, 0, -2), lat=1, lon=2, alt=3))
    assert loiter.frame == 5 and loiter.params == (127.5, 1.0, 0.0, 0.0)
    speed = px4_keeps(MissionItem(178, 2, (1, 0.93, -1, 0)))
    assert speed.frame == 2 and speed.params == (1.0, f32(0.93), -1.0, 0.0)
    back = MissionItem(16, 6, (2.5, 1.0, 0.0, 270.0004), lat=48.5, lon=37.9, alt=f32(26.21))
    sent = MissionItem(16, 3, (2.5, 1.0, 7.0, -90.0), lat=48.5, lon=37.9, alt=26.21)
    assert compare_missions([sent], [back], storage=PX4).ok
    report = compare_missions([sent], [replace(back, params=(2.5, 1.0, 0.0, 90.0))], storage=PX4)
    assert [d.field for d in report.differences] == ["param4"]


def test_the_ardupilot_vehicle_refuses_what_ap_mission_refuses() -> None:
    with ArduPilotVehicle() as vehicle, pytest.raises(MissionUploadError) as info:
        upload_mission(
            vehicle.url, [MissionItem(16), MissionItem(178, 2, (1, NAN, -1, 0))], **FAST
        )
    assert "at item 1: MAV_MISSION_INVALID_PARAM2" in str(info.value)


# Items the planner can build, for ArduPilot: its commands, with params in the ranges their
# fields hold (whole numbers where the firmware keeps an integer, NaN only as a waypoint's or
# take-off's yaw), degrees and metres on the 1e-6 grid the planner rounds to.
def _six(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.integers(round(lo * 1e6), round(hi * 1e6)).map(lambda k: k / 1e6)


_seconds = st.one_of(st.integers(0, 3600).map(float), _six(0, 3600))
_position = {
    "lat": _six(-89, 89),
    "lon": _six(-179, 179),
    "alt": _six(-400, 5000),
    "frame": st.sampled_from([0, 3, 6, 10]),
}
_anything = _six(-1e4, 1e4)
buildable_items = st.one_of(
    st.builds(MissionItem, command=st.just(16), params=st.tuples(
        _seconds, _anything, _anything, st.one_of(st.just(NAN), _six(-360, 360))), **_position),
    st.builds(MissionItem, command=st.just(19), params=st.tuples(
        _seconds, _anything, _anything, _anything), **_position),
    st.builds(MissionItem, command=st.just(17), params=st.tuples(
        _anything, _anything, _six(-500, 500), _anything), **_position),
    st.builds(MissionItem, command=st.just(22), params=st.tuples(
        st.integers(0, 90).map(float), _anything, _anything, st.just(NAN)), **_position),
    st.builds(MissionItem, command=st.just(195), params=st.tuples(
        _anything, _anything, _anything, _anything), **_position),
    st.builds(MissionItem, command=st.just(93), frame=st.just(2), params=st.tuples(
        _seconds, st.integers(-1, 23).map(float), st.integers(-1, 59).map(float),
        st.integers(-1, 59).map(float))),
    st.builds(MissionItem, command=st.just(115), frame=st.just(2), params=st.tuples(
        _six(0, 360), _six(0, 90), st.sampled_from([-1.0, 0.0, 1.0]), st.sampled_from([0.0, 1.0]))),
    st.builds(MissionItem, command=st.just(178), frame=st.just(2), params=st.tuples(
        st.sampled_from([0.0, 1.0]), _six(0, 30), st.sampled_from([-1.0, 0.0, 50.0]), _anything)),
    st.builds(MissionItem, command=st.just(183), frame=st.just(2), params=st.tuples(
        st.integers(1, 16).map(float), st.integers(800, 2200).map(float), _anything, _anything)),
    st.builds(MissionItem, command=st.just(211), frame=st.just(2), params=st.tuples(
        st.integers(1, 4).map(float), st.sampled_from([0.0, 1.0]), _anything, _anything)),
    st.builds(MissionItem, command=st.just(20), frame=st.sampled_from([2, 3])),
)  # fmt: skip


def _wire(item: MissionItem, seq: int) -> dict:
    return {
        "seq": seq, "frame": int(item.frame), "command": int(item.command), "current": 0,
        "autocontinue": int(item.autocontinue), "param1": f32(item.params[0]),
        "param2": f32(item.params[1]), "param3": f32(item.params[2]),
        "param4": f32(item.params[3]), "x": round(item.lat * 1e7), "y": round(item.lon * 1e7),
        "z": f32(item.alt), "mission_type": 0,
    }  # fmt: skip


def _unwire(f: dict) -> MissionItem:
    return MissionItem(
        f["command"], f["frame"], (f["param1"], f["param2"], f["param3"], f["param4"]),
        lat=f["x"] / 1e7, lon=f["y"] / 1e7, alt=f["z"], autocontinue=bool(f["autocontinue"]),
    )  # fmt: skip


@pytest.fixture(scope="module")
def ap_store() -> Iterator[ArduPilotVehicle]:
    """An ArduPilotVehicle used only for its storage (never started: no traffic)."""
    vehicle = ArduPilotVehicle()
    try:
        yield vehicle
    finally:
        vehicle.conn.close()


def held_by_ardupilot(vehicle: ArduPilotVehicle, item: MissionItem, seq: int = 1) -> MissionItem:
    kept = vehicle._store(_wire(item, seq))
    assert not isinstance(kept, int), f"AP_Mission refuses {item}: result {kept}"
    return _unwire(vehicle._load(seq, kept))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.lists(buildable_items, min_size=1, max_size=8))
def test_what_ardupilot_holds_is_no_difference(
    ap_store: ArduPilotVehicle, items: list[MissionItem]
) -> None:
    """The rule written down matches the independent AP_Mission peer, item by item."""
    held = [held_by_ardupilot(ap_store, it, seq) for seq, it in enumerate(items)]
    report = compare_missions(items, held, storage=ARDUPILOT)
    assert report.ok, report.describe()
    for item, h in zip(items, held, strict=True):
        kept = ardupilot_keeps(item)
        assert (kept.command, kept.frame, kept.autocontinue) == (h.command, h.frame, True)
        assert kept.alt == h.alt and kept.lat == h.lat and kept.lon == h.lon


_changes = st.one_of(
    st.tuples(st.just("alt"), st.integers(1, 10_000).map(lambda k: k / 100) | st.floats(0.02, 100)),
    st.tuples(st.just("lat"), st.integers(2, 10_000)),
    st.tuples(st.just("lon"), st.integers(2, 10_000)),
    st.tuples(st.just("command"), st.sampled_from([16, 19, 22, 93, 178, 211])),
    st.tuples(st.just("param"), st.integers(1, 100)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(buildable_items, _changes, st.booleans())
def test_a_change_beyond_the_firmware_quantum_is_reported(
    ap_store: ArduPilotVehicle, item: MissionItem, change: tuple[str, float], down: bool
) -> None:
    """Altitude by 1 cm or more, a position by 2e-7 degree or more, another command, a
    param the firmware keeps changed by 1 or more: each is a difference of that field."""
    held = held_by_ardupilot(ap_store, item)
    field, amount = change
    sign = -1 if down else 1
    has_position = item.command in ARDUPILOT_LOCATION_COMMANDS
    if field == "alt" and has_position:
        changed = replace(held, alt=held.alt + sign * amount)
    elif field in ("lat", "lon") and has_position:
        value = getattr(held, field) + sign * amount * 1e-7
        if abs(value) > (90 if field == "lat" else 180):
            return
        changed = replace(held, **{field: value})
    elif field == "command" and int(amount) != held.command:
        changed = replace(held, command=int(amount))
        field = "command"
    elif field == "param":
        i = next((i for i, p in enumerate(held.params) if p != 0 and not math.isnan(p)), 0)
        params = list(held.params)
        params[i] = (0.0 if math.isnan(params[i]) else params[i]) + sign * amount
        changed = replace(held, params=tuple(params))
        field = f"param{i + 1}"
    else:
        return
    report = compare_missions([item], [changed], storage=ARDUPILOT)
    assert not report.ok
    assert field in {d.field for d in report.differences}, report.describe()


# ----------------------------------------------------------------------------- PX4


def test_a_mission_passes_against_a_vehicle_that_stores_as_px4() -> None:
    items = [
        *leading_mission(6),
        MissionItem(Command.NAV_WAYPOINT, 3, (1.5, 2.0, 5.0, -90.0), lat=48.85, lon=2.35, alt=20),
        MissionItem(Command.NAV_LOITER_TIME, 3, (12.5, 0, 0, 0), lat=48.85, lon=2.35, alt=20),
    ]
    with Px4Vehicle() as vehicle:
        report = upload_and_verify(vehicle.url, items, **FAST)
        held = download_mission(vehicle.url, **FAST)
    assert report.ok, report.describe()
    assert report.describe().endswith("all match as PX4 keeps them")
    # PX4 sends back frame 6, the yaw as 270 and no param3 for the waypoint: not an echo.
    assert held[-2].frame == 6 and held[-2].params[2] == 0.0
    assert held[-2].params[3] == pytest.approx(270.0, abs=1e-3)


def test_px4_refuses_a_return_to_launch_with_a_position_frame() -> None:
    """parse_mavlink_mission_item takes NAV_RETURN_TO_LAUNCH only in frame 2 (MISSION)."""
    rtl = MissionItem(Command.NAV_RETURN_TO_LAUNCH, Frame.GLOBAL_RELATIVE_ALT)
    with Px4Vehicle() as vehicle, pytest.raises(MissionUploadError) as info:
        upload_mission(vehicle.url, [*leading_mission(4)[:-1], rtl], **FAST)
    assert "at item 3: MAV_MISSION_UNSUPPORTED" in str(info.value)


_px4_position = {
    "lat": _six(-89, 89),
    "lon": _six(-179, 179),
    "alt": _six(-400, 5000),
    "frame": st.sampled_from([0, 3, 5, 6]),
}
_yaw = st.one_of(st.just(NAN), _six(-720, 720))
px4_items = st.one_of(
    st.builds(MissionItem, command=st.just(16), params=st.tuples(
        _seconds, _six(0, 50), _anything, _yaw), **_px4_position),
    st.builds(MissionItem, command=st.just(17), params=st.tuples(
        _anything, _anything, _six(-500, 500), _yaw), **_px4_position),
    st.builds(MissionItem, command=st.just(19), params=st.tuples(
        _seconds, _anything, _six(-500, 500), _anything), **_px4_position),
    st.builds(MissionItem, command=st.just(22), params=st.tuples(
        _anything, _anything, _anything, _yaw), **_px4_position),
    st.builds(MissionItem, command=st.just(21), params=st.tuples(
        _anything, st.sampled_from([0.0, 1.0, 2.0]), _anything, _yaw), **_px4_position),
    st.builds(MissionItem, command=st.just(195), params=st.tuples(
        _anything, _anything, _anything, _anything), **_px4_position),
    st.builds(MissionItem, command=st.sampled_from([20, 93, 112, 178, 211]), frame=st.just(2),
              params=st.tuples(_anything, _anything, _anything, _anything)),
)  # fmt: skip


@pytest.fixture(scope="module")
def px4_store() -> Iterator[Px4Vehicle]:
    """A Px4Vehicle used only for its storage (never started: no traffic)."""
    vehicle = Px4Vehicle()
    try:
        yield vehicle
    finally:
        vehicle.conn.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.lists(px4_items, min_size=1, max_size=8))
def test_what_px4_holds_is_no_difference(px4_store: Px4Vehicle, items: list[MissionItem]) -> None:
    """The PX4 rule written down matches the independent mavlink_mission.cpp peer."""
    held = []
    for seq, item in enumerate(items):
        kept = px4_store._store(_wire(item, seq))
        assert not isinstance(kept, int), f"PX4 refuses {item}: result {kept}"
        held.append(_unwire(px4_store._load(seq, kept)))
    report = compare_missions(items, held, storage=PX4)
    assert report.ok, report.describe()


def test_a_planned_px4_sortie_passes_against_a_vehicle_that_stores_as_px4() -> None:
    from safeconduct.adapters.files.drone_profiles import load_profile
    from safeconduct.mission.plan import plan_sorties
    from safeconduct.mission.planner import items_for_upload
    from safeconduct.terrain.coords import GeoPoint
    from tests.mission.mission_helpers import ORIGIN, offset, straight_route

    lon, lat = offset(ORIGIN, 270.0, 1500.0)
    plan = plan_sorties(
        straight_route(3000.0, leg_m=200.0), GeoPoint(lat=lat, lon=lon),
        load_profile("camera-900g"), now=NOW, meeting_time=NOW + timedelta(hours=1),
        firmware="px4",
    )  # fmt: skip
    items = items_for_upload(plan.home_item(), plan.sorties[0].items, "px4")
    with Px4Vehicle() as vehicle:
        report = upload_and_verify(vehicle.url, items, **FAST)
    assert report.ok, report.describe()
