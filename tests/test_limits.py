"""Issue 18, items 4, 5 and 8: one reading and one rule for meeting times, shared by the
note and the mission (:mod:`safeconduct.limits`), so both refuse the same times alike."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.entrypoints.cli.app import main
from safeconduct.errors import InvalidValueError, OutOfRangeError
from safeconduct.limits import (
    MEETING_HORIZON,
    check_meeting_time,
    parse_meeting_time,
    parse_time_zone,
)
from safeconduct.services import mission as mission_service
from safeconduct.services import note as note_service

NOW = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)


def _refused(capsys: pytest.CaptureFixture[str], out_dir: Path, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert not out_dir.exists(), "nothing may be written"
    return int(info.value.code or 0), lines[0]


@pytest.mark.parametrize(
    ("when", "code", "says"),
    [
        ("9999-12-31T23:59+00:00", 1, "9999-12-31T23:59+00:00 is more than a century ahead"),
        ("9999-12-31T23:59-05:00", 2, "out of the calendar's range; check the year"),
        ("0001-01-01T00:00+05:00", 2, "out of the calendar's range; check the year"),
        ("2020-03-01T05:30+02:00", 1, "2020-03-01T05:30+02:00 is already past (now "),
    ],
)
def test_mission_meeting_time_in_year_9999_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
    sample_area: Path,
    tmp_path: Path,
    when: str,
    code: int,
    says: str,
) -> None:
    from tests.mission.mission_helpers import sample_route_path

    route = sample_route_path(str(sample_area))
    out = tmp_path / "m"
    got, line = _refused(capsys, out, "mission", "--route", str(route),
                         "--launch", "48.59,38.00", "--out", str(out),
                         "--meeting-time", when)  # fmt: skip
    assert got == code
    assert line.startswith("safeconduct: error: --meeting-time: ")
    assert says in line


def test_note_and_mission_read_a_meeting_time_alike() -> None:
    text = "2025-03-14T06:30+02:00"
    assert note_service.parse_meeting_time(text) == mission_service.parse_meeting_time(text)
    for bad in ("tomorrow at six", "2025-03-14T06:30", "0001-01-01T00:00+01:00"):
        with pytest.raises(InvalidValueError) as from_note:
            note_service.parse_meeting_time(bad)
        with pytest.raises(InvalidValueError) as from_mission:
            mission_service.parse_meeting_time(bad)
        assert from_note.value.message == from_mission.value.message
        assert from_note.value.field == from_mission.value.field == "meeting_time"


@given(minutes=st.integers(-(10**7), 10**7))
def test_one_rule_for_past_and_far_meeting_times(minutes: int) -> None:
    moment = (NOW + dt.timedelta(minutes=minutes)).astimezone(ZoneInfo("Europe/Kyiv"))
    if minutes <= 0:
        with pytest.raises(OutOfRangeError, match="is already past") as info:
            check_meeting_time(moment, NOW)
        assert info.value.field == "meeting_time"
    elif dt.timedelta(minutes=minutes) > MEETING_HORIZON:
        with pytest.raises(OutOfRangeError, match="more than a century ahead"):
            check_meeting_time(moment, NOW)
    else:
        assert check_meeting_time(moment, NOW) is moment


def test_a_local_time_is_read_in_the_zone_named() -> None:
    kyiv = parse_time_zone("Europe/Kyiv")
    moment = parse_meeting_time("2025-03-14T06:30", kyiv)
    assert moment.utcoffset() == dt.timedelta(hours=2)
    with pytest.raises(InvalidValueError, match="does not exist in Europe/Kyiv"):
        parse_meeting_time("2025-03-30T03:30", kyiv)
    with pytest.raises(InvalidValueError, match="happens twice in Europe/Kyiv"):
        parse_meeting_time("2025-10-26T03:30", kyiv)


# -- the same rule on the other commands (siblings) -------------------------------------------


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--checkpoint-minutes", "nan"], "--checkpoint-minutes"),
        (["--checkpoint-minutes", "inf"], "--checkpoint-minutes"),
        (["--purge-hours", "nan"], "--purge-hours"),
        (["--purge-hours", "inf"], "--purge-hours"),
    ],
)
def test_serve_intervals_that_are_no_number_are_refused_before_starting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], flag: str
) -> None:
    out = tmp_path / "data"
    code, line = _refused(capsys, out, "serve", "--data", str(out), *args)
    assert code == 2
    assert line.startswith(f"safeconduct: error: {flag}: ")
    assert " give a " in line


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timeout_s": float("inf")}, "timeout_s"),
        ({"timeout_s": float("nan")}, "timeout_s"),
        ({"timeout_s": 0.0}, "timeout_s"),
        ({"retries": -1}, "retries"),
        ({"retries": 10**9}, "retries"),
    ],
)
def test_mission_upload_waits_that_would_hang_are_refused_before_connecting(
    kwargs: dict[str, float], field: str
) -> None:
    from safeconduct.adapters.mavlink.upload import MissionLink

    with pytest.raises(InvalidValueError) as info:
        MissionLink("udpout:127.0.0.1:9", **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize("wind", [float("inf"), float("nan"), 1e308, -3.0])
def test_mission_wind_out_of_range_is_refused_naming_the_setting(wind: float) -> None:
    from safeconduct.mission.settings import MissionSettings

    with pytest.raises(InvalidValueError, match="give a forecast wind speed from 0 to 100 m/s"):
        MissionSettings(wind_ms=wind)
