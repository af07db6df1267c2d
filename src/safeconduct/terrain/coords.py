"""The one coordinate parser every command uses: ``LAT,LON`` or an MGRS grid reference.

Accepted forms
--------------
- ``LAT,LON`` in decimal degrees on WGS84, latitude first as people say it
  (``48.61,38.02``; spaces allowed around the comma; signs for south and west).
- MGRS grid references in the UTM bands, 10 km to 1 m precision, spaces optional:
  ``37U DQ 12345 67890``, ``37UDQ1234567890``, ``37U DQ 1 6`` (10 km).

An MGRS reference names a square, not a point; we return the centre of the square, so the
parsed point is within half a square's diagonal of anything the reference could mean.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safeconduct.errors import BadCoordinateError

if TYPE_CHECKING:
    import mgrs
    from pyproj import Transformer

ACCEPTED_FORMS = "LAT,LON in decimal degrees (e.g. 48.61,38.02) or MGRS (e.g. 37U DQ 12345 67890)"

_NUMBER = r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))"
_LATLON = re.compile(rf"^\s*{_NUMBER}\s*,\s*{_NUMBER}\s*$")
# Zone 1-60, latitude band C-X without I and O, 100 km square letters without I and O.
_MGRS = re.compile(
    r"^\s*(?P<zone>\d{1,2})\s*(?P<band>[C-HJ-NP-X])\s*(?P<square>[A-HJ-NP-Z]{2})"
    r"\s*(?P<digits>(?:\d+\s*)*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class GeoPoint:
    """A point on WGS84.

    Attributes
    ----------
    lat, lon
        Latitude and longitude in decimal degrees (north and east positive).
    """

    lat: float
    lon: float

    def __str__(self) -> str:
        return f"{self.lat:.6f},{self.lon:.6f}"

    def to_mgrs(self, precision: int = 5) -> str:
        """Format as an MGRS reference, ``"37U DQ 12345 67890"`` style.

        Parameters
        ----------
        precision
            Digits per easting/northing: 1 (10 km) to 5 (1 m).
        """
        return to_mgrs(self.lat, self.lon, precision)


@functools.lru_cache(maxsize=8)
def _utm_transformer(epsg: int) -> Transformer:
    from pyproj import Transformer  # loaded on first use: `safeconduct --help` needs none

    return Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)


@functools.cache
def _mgrs_lib() -> mgrs.MGRS:
    import mgrs  # loaded on first use, as pyproj above

    return mgrs.MGRS()


def to_mgrs(lat: float, lon: float, precision: int = 5) -> str:
    """Return the MGRS reference of ``(lat, lon)`` degrees with spaces between its parts."""
    if not 1 <= precision <= 5:
        raise ValueError("MGRS precision is 1 (10 km) to 5 (1 m) digits")
    if not -80.0 <= lat <= 84.0:
        raise BadCoordinateError(
            f"latitude {lat} is outside the UTM bands (80S to 84N) that MGRS here covers"
        )
    # MGRS truncates, but the library rounds to the nearest unit of the precision asked
    # for; just south of the equator that even wraps into the wrong 100 km square. So ask
    # for 1 m at a quarter metre inside the point's own 1 m cell (where rounding and
    # truncation agree), then truncate to the precision wanted.
    first = _MGRS.match(_mgrs_lib().toMGRS(lat, lon, MGRSPrecision=5))
    assert first is not None
    zone_crs = (32600 if first["band"].upper() >= "N" else 32700) + int(first["zone"])
    utm = _utm_transformer(zone_crs)
    e, n = utm.transform(lon, lat)
    lon_in, lat_in = utm.transform(math.floor(e) + 0.25, math.floor(n) + 0.25, direction="INVERSE")
    raw = _mgrs_lib().toMGRS(lat_in, lon_in, MGRSPrecision=5)
    m = _MGRS.match(raw)
    assert m is not None, raw  # the library's own output always matches
    digits = m["digits"].replace(" ", "")
    easting, northing = digits[:5][:precision], digits[5:][:precision]
    zone = int(m["zone"])
    return f"{zone}{m['band'].upper()} {m['square'].upper()} {easting} {northing}"


def parse_point(text: str, field: str = "point") -> GeoPoint:
    """Parse ``LAT,LON`` or MGRS into a :class:`GeoPoint`.

    Parameters
    ----------
    text
        What the user typed.
    field
        The name of the input the text came from (e.g. ``"start"``); the error carries it.

    Returns
    -------
    GeoPoint
        For MGRS, the centre of the referenced square.

    Raises
    ------
    BadCoordinateError
        One line saying what is wrong, and the accepted forms.
    """
    if not isinstance(text, str) or not text.strip():
        raise BadCoordinateError(f"empty point; give {ACCEPTED_FORMS}", field=field)
    m = _LATLON.match(text)
    if m:
        return _checked_latlon(float(m[1]), float(m[2]), text, field)
    m = _MGRS.match(text)
    if m:
        return _parse_mgrs(m, text, field)
    raise BadCoordinateError(f"cannot read {text.strip()!r}; give {ACCEPTED_FORMS}", field=field)


def _checked_latlon(lat: float, lon: float, text: str, field: str) -> GeoPoint:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise BadCoordinateError(
            f"latitude {lat:g} in {text.strip()!r} is outside -90..90 "
            f"(latitude comes first); give {ACCEPTED_FORMS}",
            field=field,
        )
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise BadCoordinateError(
            f"longitude {lon:g} in {text.strip()!r} is outside -180..180; give {ACCEPTED_FORMS}",
            field=field,
        )
    return GeoPoint(lat=lat, lon=lon)


_BANDS = "CDEFGHJKLMNPQRSTUVWX"


def _band_latitudes(band: str) -> tuple[float, float]:
    """South and north latitude (degrees) of an MGRS latitude band; X spans 12 degrees."""
    south = -80.0 + 8.0 * _BANDS.index(band)
    return south, (84.0 if band == "X" else south + 8.0)


def _parse_mgrs(m: re.Match[str], text: str, field: str) -> GeoPoint:
    zone = int(m["zone"])
    shown = text.strip()
    if not 1 <= zone <= 60:
        raise BadCoordinateError(f"MGRS zone {zone} in {shown!r} is not 1..60", field=field)
    groups = m["digits"].split()
    digits = "".join(groups)
    if len(groups) == 2 and len(groups[0]) != len(groups[1]):
        raise BadCoordinateError(
            f"MGRS easting and northing in {shown!r} have different lengths; "
            "give both with the same number of digits (1 to 5)",
            field=field,
        )
    if len(digits) % 2 or not 2 <= len(digits) <= 10:
        raise BadCoordinateError(
            f"MGRS {shown!r} needs an even number of digits, 2 (10 km) to 10 (1 m); "
            f"give {ACCEPTED_FORMS}",
            field=field,
        )
    band = m["band"].upper()
    compact = f"{zone:02d}{band}{m['square'].upper()}{digits}"
    try:
        # The library returns the centre of the referenced square. It warns (rather than
        # fails) when the square lies outside the band; the band check below says so.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lat, lon = _mgrs_lib().toLatLon(compact)
    except Exception as exc:  # the C library raises bare exceptions for impossible squares
        raise BadCoordinateError(
            f"MGRS {shown!r} names no square in zone {zone}{band}; check the letters", field=field
        ) from exc
    # A square may reach past its zone or band edge (its centre can then lie just outside),
    # so allow one square's size of slack before calling the band letter wrong.
    south, north = _band_latitudes(band)
    slack_deg = 10 ** (5 - len(digits) // 2) / 110_000.0
    if not south - slack_deg <= lat <= north + slack_deg:
        raise BadCoordinateError(
            f"MGRS {shown!r} lies outside latitude band {band} of zone {zone}; "
            "check the band letter",
            field=field,
        )
    return GeoPoint(lat=float(lat), lon=float(lon))
