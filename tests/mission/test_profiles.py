"""Drone profiles: the built-ins, one's own TOML file, and one-line errors naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeconduct.adapters.files.drone_profiles import builtin_profile_names, load_profile
from safeconduct.errors import BadFileError, InvalidValueError
from safeconduct.mission.profiles import DEFAULT_PROFILE, parse_profile

CAMERA = """\
name = "my-quad"
description = "test quad"
mass_kg = 1.2
battery_wh = 90.0
rated_hover_min = 35
cruise_speed_ms = 10.0
cruise_power_factor = 1.1
lead_power_factor = 1.0
reserve_fraction = 0.3
derating = 0.8
max_wind_ms = 10.0
max_mission_items = 500
climb_rate_ms = 2.5
descent_rate_ms = 1.5
"""


def test_two_builtins_a_camera_quad_and_a_heavy_lifter() -> None:
    assert builtin_profile_names() == ["camera-900g", "heavy-lift-3kg"]
    assert DEFAULT_PROFILE == "camera-900g"
    camera = load_profile("camera-900g")
    assert (camera.mass_kg, camera.battery_wh, camera.rated_hover_min) == (0.9, 77.0, 40.0)
    assert 0.25 <= camera.reserve_fraction <= 0.30
    heavy = load_profile("heavy-lift-3kg")
    assert heavy.mass_kg == 3.0
    assert 0.25 <= heavy.reserve_fraction <= 0.30
    for p in (camera, heavy):
        assert 0 < p.derating < 1
        assert p.max_wind_ms > 0 and p.max_mission_items > 100


def test_own_profile_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "quad.toml"
    path.write_text(CAMERA, encoding="utf-8")
    p = load_profile(path)
    assert p.name == "my-quad"
    assert p.rated_hover_min == 35.0 and isinstance(p.rated_hover_min, float)
    assert p.max_mission_items == 500
    assert load_profile(str(path)) == p


def test_unknown_profile_lists_the_builtins() -> None:
    with pytest.raises(InvalidValueError) as info:
        load_profile("racer-250g")
    msg = str(info.value)
    assert "\n" not in msg
    assert "unknown profile 'racer-250g'" in msg
    assert "camera-900g, heavy-lift-3kg" in msg
    assert info.value.field == "drone" and not info.value.message.startswith("-")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("battery_wh = 90.0", 'battery_wh = "90"'), "field 'battery_wh' must be a number"),
        (("battery_wh = 90.0", ""), "field 'battery_wh' is missing"),
        (("derating = 0.8", "derating = 0.8\ncolour = 'red'"), "unknown field 'colour'"),
        (("reserve_fraction = 0.3", "reserve_fraction = 0.1"), "field 'reserve_fraction' is 0.1"),
        (("derating = 0.8", "derating = 0"), "field 'derating' is 0, outside (0, 1]"),
        (("max_mission_items = 500", "max_mission_items = 500.5"), "must be a whole number"),
        (("rated_hover_min = 35", "rated_hover_min = 2400"), "field 'rated_hover_min' is 2400"),
        (('name = "my-quad"', 'name = ""'), "field 'name' must be a non-empty string"),
        (("mass_kg = 1.2", "mass_kg = true"), "field 'mass_kg' must be a number"),
        (("mass_kg = 1.2", "mass_kg = = 1.2"), "is not valid TOML"),
    ],
)
def test_malformed_profile_is_one_line_naming_the_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(CAMERA.replace(*change), encoding="utf-8")
    with pytest.raises(BadFileError) as info:
        load_profile(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(path) in msg
    assert expected in msg


def test_parse_profile_names_its_source() -> None:
    with pytest.raises(BadFileError, match="drone profile inline: field 'mass_kg' is missing"):
        parse_profile(CAMERA.replace("mass_kg = 1.2", ""), "inline")


def test_older_profiles_fly_at_ardupilot_defaults_for_the_new_fields() -> None:
    p = parse_profile(CAMERA, "test")
    # ANGLE_MAX 30 degrees, WPNAV_ACCEL 2.5 m/s/s, LAND_SPEED 0.5 m/s, a pessimistic drag.
    assert (p.max_tilt_deg, p.accel_ms2, p.land_speed_ms, p.drag_area_m2) == (30.0, 2.5, 0.5, 0.1)
    mine = parse_profile(CAMERA + "max_tilt_deg = 40\ndrag_area_m2 = 0.05\n", "test")
    assert mine.max_tilt_deg == 40.0 and mine.drag_area_m2 == 0.05


@pytest.mark.parametrize(
    "line", ["max_tilt_deg = 85", "land_speed_ms = 0.1", "drag_area_m2 = 0", "accel_ms2 = 50"]
)
def test_flight_figures_out_of_range_are_refused(line: str) -> None:
    with pytest.raises(BadFileError) as info:
        parse_profile(CAMERA + line + "\n", "test")
    assert line.split()[0] in str(info.value) and "\n" not in str(info.value)


def test_the_camera_profile_holds_its_cruise_speed_only_past_30_degrees() -> None:
    from safeconduct.mission.timing import tilt_limited_speed

    camera = load_profile("camera-900g")
    assert camera.max_tilt_deg == 45.0
    assert tilt_limited_speed(camera.mass_kg, camera.drag_area_m2, 30.0) < camera.cruise_speed_ms
    for p in (camera, load_profile("heavy-lift-3kg")):
        assert tilt_limited_speed(p.mass_kg, p.drag_area_m2, p.max_tilt_deg) >= p.cruise_speed_ms
