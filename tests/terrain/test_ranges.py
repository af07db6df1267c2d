"""Issue 18, items 6 and 7: heights, ranges and weights are checked against one range each
(:mod:`safeconduct.limits`), as options and as layer attributes; a refusal is one line that
names the option, or the file, the feature and the attribute, and nothing is written."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.entrypoints.cli.app import main
from safeconduct.errors import InvalidValueError
from safeconduct.limits import Range, check_range
from safeconduct.terrain.visibility import OBSERVER_HEIGHT, TARGET_HEIGHT

OBSERVER = "48.60,38.05"


def _refused(capsys: pytest.CaptureFixture[str], out_dir: Path, *args: str) -> tuple[int, str]:
    """Run the real entry point; its exit status and its one error line, nothing written."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and "Warning" not in captured.err
    assert list(out_dir.iterdir()) == [], "nothing may be written"
    return int(info.value.code or 0), lines[0]


def test_negative_observer_height_is_refused_before_the_viewshed(
    capsys: pytest.CaptureFixture[str], sample_area: Path, tmp_path: Path
) -> None:
    out = tmp_path / "v.tif"
    code, line = _refused(capsys, tmp_path, "viewshed", "--dem", str(sample_area / "dem.tif"),
                          "--observer", OBSERVER, "--out", str(out),
                          "--observer-height", "-5")  # fmt: skip
    assert code == 2
    assert line == (
        "safeconduct: error: --observer-height: -5 m is out of range; give an observer height "
        "(eye above the ground) from 0 to 1,000 m"
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--observer-height", "1e9"),
        ("--observer-height", "nan"),
        ("--observer-height", "inf"),
        ("--target-height", "-1"),
        ("--target-height", "11"),
        ("--target-height", "nan"),
        ("--max-distance", "0"),
        ("--max-distance", "-1"),
        ("--max-distance", "nan"),
        ("--max-distance", "1e300"),
    ],
)
def test_viewshed_settings_out_of_range_are_refused_naming_the_option(
    capsys: pytest.CaptureFixture[str], sample_area: Path, tmp_path: Path, option: str, value: str
) -> None:
    code, line = _refused(capsys, tmp_path, "viewshed", "--dem", str(sample_area / "dem.tif"),
                          "--observer", OBSERVER, "--out", str(tmp_path / "v.tif"),
                          option, value)  # fmt: skip
    assert code == 2
    assert line.startswith(f"safeconduct: error: {option}: ")
    assert "give " in line


def test_negative_target_height_is_refused_by_exposure(
    capsys: pytest.CaptureFixture[str], sample_area: Path, tmp_path: Path
) -> None:
    code, line = _refused(capsys, tmp_path, "exposure", "--dem", str(sample_area / "dem.tif"),
                          "--observers", str(sample_area / "observers.geojson"),
                          "--out", str(tmp_path / "e.tif"), "--target-height", "-1")  # fmt: skip
    assert code == 2
    assert line.startswith("safeconduct: error: --target-height: -1 m is out of range")


def _observers_with(sample_area: Path, folder: Path, **props: object) -> Path:
    """The sample's observers with ``props`` set on the second one (``OP 2``)."""
    data = json.loads((sample_area / "observers.geojson").read_text())
    data["features"][1]["properties"].update(props)
    path = folder / "observers.geojson"
    path.write_text(json.dumps(data))  # NaN and Infinity as Python's json writes them
    return path


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"weight": 1e308, "height_m": 1e308}, "height_m: 1e+308 m is out of range"),
        ({"weight": 1e308}, "weight: 1e+308 is out of range"),
        ({"height_m": -3}, "height_m: -3 m is out of range"),
        ({"range_m": 0}, "range_m: 0 m is out of range"),
        ({"weight": float("nan")}, "weight must be a number (got nan)"),
        ({"height_m": float("inf")}, "height_m must be a number (got inf)"),
        ({"weight": "heavy"}, "weight must be a number (got 'heavy')"),
    ],
    ids=["1e308-both", "1e308-weight", "negative-height", "zero-range", "nan", "inf", "string"],
)
@pytest.mark.parametrize("command", ["exposure", "route"])
def test_observer_with_weight_and_height_1e308_is_refused_naming_the_feature(
    capsys: pytest.CaptureFixture[str],
    sample_area: Path,
    tmp_path: Path,
    props: dict[str, object],
    expected: str,
    command: str,
) -> None:
    layers = tmp_path / "in"
    layers.mkdir()
    observers = _observers_with(sample_area, layers, **props)
    out = tmp_path / "out"
    out.mkdir()
    dem = str(sample_area / "dem.tif")
    if command == "exposure":
        args = ["exposure", "--dem", dem, "--observers", str(observers),
                "--out", str(out / "e.tif")]  # fmt: skip
    else:
        args = ["route", "--dem", dem, "--start", OBSERVER, "--observers", str(observers),
                "--reception", str(sample_area / "reception.geojson"),
                "--out", str(out / "r.geojson")]  # fmt: skip
    code, line = _refused(capsys, out, *args)
    assert code == 1
    assert f"{observers} features[1] ('OP 2'): {expected}" in line


def test_hazard_buffer_out_of_range_names_the_feature(
    capsys: pytest.CaptureFixture[str], sample_area: Path, tmp_path: Path
) -> None:
    data = json.loads((sample_area / "hazards.geojson").read_text())
    data["features"][0]["properties"]["buffer_m"] = 1e12
    hazards = tmp_path / "hazards.geojson"
    hazards.write_text(json.dumps(data))
    out = tmp_path / "out"
    out.mkdir()
    code, line = _refused(capsys, out, "route", "--dem", str(sample_area / "dem.tif"),
                          "--start", OBSERVER, "--hazards", str(hazards),
                          "--reception", str(sample_area / "reception.geojson"),
                          "--out", str(out / "r.geojson"))  # fmt: skip
    assert code == 1
    assert f"{hazards} features[0]" in line and "buffer_m: 1e+12 m is out of range" in line


# -- the one helper ---------------------------------------------------------------------------

bounds = st.floats(-1e6, 1e6, allow_nan=False)
anything = st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.text(max_size=3)


@given(lo=bounds, span=st.floats(0, 1e6), lo_open=st.booleans(), hi_open=st.booleans(),
       value=anything)  # fmt: skip
def test_range_admits_exactly_the_finite_numbers_within_it(
    lo: float, span: float, lo_open: bool, hi_open: bool, value: object
) -> None:
    rng = Range(lo, lo + span, "m", "a length", lo_open, hi_open)
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    inside = (
        is_number
        and math.isfinite(float(value))  # type: ignore[arg-type]
        and (lo < value if lo_open else lo <= value)  # type: ignore[operator]
        and (value < lo + span if hi_open else value <= lo + span)  # type: ignore[operator]
    )
    assert rng.contains(value) == inside
    if inside:
        assert rng.problem(value) is None
        assert rng.check(value, field="length") == float(value)  # type: ignore[arg-type]
    else:
        problem = rng.problem(value)
        assert problem is not None and "\n" not in problem
        assert problem.endswith(f"give a length {rng.describe()}")
        with pytest.raises(InvalidValueError) as info:
            rng.check(value, field="length")
        assert info.value.field == "length" and info.value.message == problem


def test_range_messages_read_as_people_write_them() -> None:
    assert OBSERVER_HEIGHT.describe() == "from 0 to 1,000 m"
    assert TARGET_HEIGHT.problem(float("nan")) == (
        "nan is not a number; give a target height (the person's head above the ground) "
        "from 0 to 10 m"
    )
    assert Range(0, 240, "frames per second", "a frame rate", lo_open=True).describe() == (
        "over 0, up to 240 frames per second"
    )
    assert Range(0, 90, "degrees", "a slope", lo_open=True, hi_open=True).describe() == (
        "over 0, under 90 degrees"
    )
    with pytest.raises(InvalidValueError, match=r"^x: True is not a number") as info:
        check_range(True, field="x", lo=0, hi=1, unit="", what="a share")
    assert info.value.field == "x"
