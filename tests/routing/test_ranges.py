"""Issue 18, item 6 on ``route`` and ``rehearse``: every setting is checked against its one
range (:mod:`safeconduct.limits`) before any file is read, with or without observers."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeconduct.entrypoints.cli.app import main
from safeconduct.errors import InvalidValueError
from safeconduct.routing.route import check_settings
from safeconduct.services.planning import RouteRequest

START = "48.60,38.05"


def _refused(capsys: pytest.CaptureFixture[str], out_dir: Path, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert list(out_dir.iterdir()) == [], "nothing may be written"
    return int(info.value.code or 0), lines[0]


def test_negative_target_height_is_refused_by_route_without_observers(
    capsys: pytest.CaptureFixture[str], sample_area: Path, tmp_path: Path
) -> None:
    code, line = _refused(capsys, tmp_path, "route", "--dem", str(sample_area / "dem.tif"),
                          "--start", START, "--reception", str(sample_area / "reception.geojson"),
                          "--out", str(tmp_path / "r.geojson"),
                          "--target-height", "-3")  # fmt: skip
    assert code == 2
    assert line.startswith("safeconduct: error: --target-height: -3 m is out of range; give ")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--pace-factor", "0"),
        ("--pace-factor", "nan"),
        ("--pace-factor", "inf"),
        ("--pace-factor", "3"),
        ("--risk-weight", "-1"),
        ("--risk-weight", "inf"),
        ("--risk-weight", "1e300"),
        ("--max-slope", "0"),
        ("--max-slope", "90"),
        ("--max-slope", "nan"),
        ("--target-height", "nan"),
        ("--target-height", "1e9"),
    ],
)
def test_route_settings_out_of_range_are_refused_naming_the_option(
    capsys: pytest.CaptureFixture[str], sample_area: Path, tmp_path: Path, option: str, value: str
) -> None:
    code, line = _refused(capsys, tmp_path, "route", "--dem", str(sample_area / "dem.tif"),
                          "--start", START, "--reception", str(sample_area / "reception.geojson"),
                          "--observers", str(sample_area / "observers.geojson"),
                          "--out", str(tmp_path / "r.geojson"), option, value)  # fmt: skip
    assert code == 2
    assert line.startswith(f"safeconduct: error: {option}: ")
    assert " give " in line


@pytest.mark.parametrize("pace", ["nan", "inf", "0.01", "1.5"])
def test_injured_pace_out_of_range_is_refused_before_any_folder(
    capsys: pytest.CaptureFixture[str], sample_area: Path, tmp_path: Path, pace: str
) -> None:
    code, line = _refused(capsys, tmp_path, "rehearse", "--area", str(sample_area),
                          "--out", str(tmp_path / "r"), "--injured",
                          "--injured-pace", pace)  # fmt: skip
    assert code == 2
    assert line.startswith("safeconduct: error: --injured-pace: ")
    assert "give a planning pace (a fraction of a fit pace) from 0.05 to 1" in line


def test_route_request_checks_its_settings_when_made() -> None:
    with pytest.raises(InvalidValueError) as info:
        RouteRequest(target_height=-3.0)
    assert info.value.field == "target_height"
    check_settings()  # the defaults are admitted
    with pytest.raises(InvalidValueError) as info:
        check_settings(model="tobler", risk_weight=float("nan"))
    assert info.value.field == "risk_weight"


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("distance_m", 1e300, "distance_m: 1e+300 m is out of range; give a leg length"),
        ("time_s", 1e308, "time_s: 1e+308 s is out of range; give a leg's walking time"),
        ("ascent_m", 1e12, "ascent_m: 1e+12 m is out of range"),
    ],
)
def test_route_file_with_a_leg_of_1e300_metres_is_refused_not_planned_forever(
    capsys: pytest.CaptureFixture[str],
    sample_area: Path,
    tmp_path: Path,
    key: str,
    value: float,
    says: str,
) -> None:
    import json

    from tests.mission.mission_helpers import sample_route_path

    doc = json.loads(sample_route_path(str(sample_area)).read_text())
    doc["features"][0]["properties"]["segments"][-1][key] = value
    route = tmp_path / "route.geojson"
    route.write_text(json.dumps(doc))
    out = tmp_path / "out"
    out.mkdir()
    code, line = _refused(capsys, out, "mission", "--route", str(route),
                          "--launch", "48.59,38.00", "--out", str(out / "m"))  # fmt: skip
    assert code == 1
    assert f"route {route}: segments[" in line and says in line
