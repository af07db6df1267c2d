"""The coordinate parser: LAT,LON and MGRS, round trips and one-line errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from safeconduct.entrypoints.cli.errors import exit_code_for, message_for
from safeconduct.errors import BadCoordinateError, InvalidValueError
from safeconduct.terrain.coords import GeoPoint, parse_point, to_mgrs

GEOD = Geod(ellps="WGS84")
PRECISION_M = {1: 10_000.0, 2: 1_000.0, 3: 100.0, 4: 10.0, 5: 1.0}

# Inside the UTM bands, a hair away from their edges where a square can straddle two bands.
latitudes = st.floats(min_value=-79.9, max_value=83.9, allow_nan=False)
longitudes = st.floats(min_value=-179.999, max_value=179.999, allow_nan=False)


def distance_m(a: GeoPoint, lat: float, lon: float) -> float:
    return GEOD.inv(a.lon, a.lat, lon, lat)[2]


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("48.61,38.02", 48.61, 38.02),
        (" 48.61 , 38.02 ", 48.61, 38.02),
        ("-33.9,18.4", -33.9, 18.4),
        ("+.5,-3.", 0.5, -3.0),
        ("90,180", 90.0, 180.0),
    ],
)
def test_latlon_forms(text: str, lat: float, lon: float) -> None:
    assert parse_point(text) == GeoPoint(lat, lon)


@pytest.mark.parametrize(
    "text",
    ["37U DQ 12345 67890", "37UDQ1234567890", "37udq 12345 67890", "  37U  DQ 1234567890 "],
)
def test_mgrs_forms_agree(text: str) -> None:
    p = parse_point(text)
    assert p.to_mgrs(5) == "37U DQ 12345 67890"


def test_mgrs_returns_centre_of_square() -> None:
    corner = parse_point("37U DQ 1 6")  # a 10 km square
    fine = parse_point("37U DQ 15000 65000")
    assert distance_m(corner, fine.lat, fine.lon) < 1.0


@settings(max_examples=300, deadline=None)
@given(latitudes, longitudes, st.integers(min_value=1, max_value=5))
def test_mgrs_round_trip_stays_within_precision(lat: float, lon: float, digits: int) -> None:
    ref = to_mgrs(lat, lon, digits)
    back = parse_point(ref)
    # The reference names a square of the given precision and the parser returns its
    # centre, so the two points are within the square's diagonal (half of it away from zone
    # edges; on a zone edge the 1 m grid of the neighbouring zone may be the one named).
    # The UTM scale factor (0.9996 to about 1.001) allows a hair more.
    diagonal = PRECISION_M[digits] * math.sqrt(2)
    assert distance_m(back, lat, lon) <= diagonal * 1.002


@settings(max_examples=200, deadline=None)
@given(st.floats(-90, 90), st.floats(-180, 180))
def test_latlon_round_trip_keeps_nine_decimals(lat: float, lon: float) -> None:
    p = parse_point(f"{lat:.9f},{lon:.9f}")
    assert abs(p.lat - lat) <= 1e-9 and abs(p.lon - lon) <= 1e-9


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("foo", "cannot read"),
        ("48.61", "cannot read"),
        ("48.61;38.02", "cannot read"),
        ("1,2,3", "cannot read"),
        ("nan,1", "cannot read"),
        ("inf,1", "cannot read"),
        ("91,3", "latitude 91"),
        ("-90.5,3", "latitude -90.5"),
        ("45,181", "longitude 181"),
        ("37U DQ 123 4567", "different lengths"),
        ("37U DQ 12345", "even number of digits"),
        ("37U DQ 123456 123456", "even number of digits"),
        ("37U DQ", "even number of digits"),
        ("61U DQ 1 1", "zone 61"),
        ("0U DQ 1 1", "zone 0"),
        ("37I DQ 1 1", "cannot read"),
        ("37U DI 1 1", "cannot read"),
        ("37T DQ 1 6", "outside latitude band T"),
    ],
)
def test_malformed_points_give_one_line_error(text: str, says: str) -> None:
    with pytest.raises(BadCoordinateError) as info:
        parse_point(text, "start")
    assert info.value.field == "start"
    message = message_for(info.value)
    assert message.startswith("--start: ") and not info.value.message.startswith("-")
    assert says in message
    assert "\n" not in message
    assert isinstance(info.value, InvalidValueError) and exit_code_for(info.value) == 2


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_any_text_parses_or_gives_one_line_error(text: str) -> None:
    try:
        p = parse_point(text, "start")
    except BadCoordinateError as exc:
        assert exc.field == "start" and "\n" not in str(exc)
    else:
        assert -90 <= p.lat <= 90 and -180 <= p.lon <= 180


@pytest.mark.parametrize("digits", [1, 3, 5])
def test_just_south_of_the_equator_stays_in_its_square(digits: int) -> None:
    # The MGRS library rounds, and there rounding wraps to the next 100 km square.
    ref = to_mgrs(-1e-10, 3.0, digits)
    assert ref.startswith("31M ")
    back = parse_point(ref)
    assert back.lat < 0
    assert distance_m(back, -1e-10, 3.0) <= PRECISION_M[digits] * math.sqrt(2)
