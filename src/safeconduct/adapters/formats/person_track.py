"""A recorded walk of the person: the CSV ``--person-track`` reads.

The file has the header ``time,lat,lon`` and one row per fix:

- ``time``: seconds from the start of leading (``0``, ``12.5``), or an ISO 8601 time with
  its zone (``2026-11-27T21:00:05Z``, ``...+02:00``); in the second form the first row is
  the start of leading, so a track recorded on one day replays on another. One file uses
  one form.
- ``lat``, ``lon``: WGS84 degrees.

Rows come in time order (equal times allowed). Every mistake is refused in one line
naming the file, the row (1 is the header) and the column; nothing is returned half-read.
"""

from __future__ import annotations

import csv
import math
import os
from datetime import datetime
from pathlib import Path

from safeconduct.errors import BadFileError

PathLike = str | os.PathLike[str]

#: The header the file must start with.
HEADER = ("time", "lat", "lon")


def _number(text: str, where: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadFileError(
            f"{where}: {text!r} is not a number; write {what}", field="person_track"
        ) from None
    if not math.isfinite(value):
        raise BadFileError(
            f"{where}: {text!r} is not a finite number; write {what}", field="person_track"
        )
    return value


def _iso(text: str, where: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadFileError(
            f"{where}: {text!r} is neither seconds nor an ISO 8601 time; write e.g. 12.5 "
            "or 2026-11-27T21:00:05Z",
            field="person_track",
        ) from None
    if when.tzinfo is None:
        raise BadFileError(
            f"{where}: {text!r} has no time zone; add Z or +HH:MM", field="person_track"
        )
    return when


def read_person_track(path: PathLike) -> list[tuple[float, float, float]]:
    """Read a person track CSV.

    Parameters
    ----------
    path
        The CSV file (UTF-8, header ``time,lat,lon``).

    Returns
    -------
    list of (float, float, float)
        ``(t_s, lat, lon)``: seconds from the start of leading, WGS84 degrees, in time order.

    Raises
    ------
    BadFileError
        Missing or unreadable file, wrong header, or a bad row (named by row and column).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadFileError(f"person track {p} does not exist", field="person_track") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadFileError(f"cannot read person track {p}: {exc}", field="person_track") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or tuple(c.strip().lower() for c in rows[0]) != HEADER:
        raise BadFileError(
            f"person track {p}: row 1 must be the header 'time,lat,lon'", field="person_track"
        )
    out: list[tuple[float, float, float]] = []
    iso_start: datetime | None = None
    form: str | None = None
    for n, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != 3:
            raise BadFileError(
                f"person track {p} row {n}: {len(row)} columns; write time,lat,lon",
                field="person_track",
            )
        t_text, lat_text, lon_text = (c.strip() for c in row)
        where = f"person track {p} row {n} column"
        try:
            t = float(t_text)
            row_form = "seconds"
        except ValueError:
            row_form = "iso"
            when = _iso(t_text, f"{where} time")
            iso_start = iso_start or when
            t = (when - iso_start).total_seconds()
        if form is not None and row_form != form:
            raise BadFileError(
                f"{where} time: mixes seconds and ISO 8601 times; use one form in a file",
                field="person_track",
            )
        form = row_form
        if not math.isfinite(t) or t < 0:
            raise BadFileError(f"{where} time: {t_text!r} must be >= 0", field="person_track")
        if out and t < out[-1][0]:
            raise BadFileError(
                f"{where} time: {t_text!r} is earlier than the row before; sort rows by time",
                field="person_track",
            )
        lat = _number(lat_text, f"{where} lat", "degrees such as 48.61")
        lon = _number(lon_text, f"{where} lon", "degrees such as 38.02")
        if not -90 <= lat <= 90:
            raise BadFileError(f"{where} lat: {lat_text} is outside -90..90", field="person_track")
        if not -180 <= lon <= 180:
            raise BadFileError(
                f"{where} lon: {lon_text} is outside -180..180", field="person_track"
            )
        out.append((t, lat, lon))
    if not out:
        raise BadFileError(f"person track {p} has no rows after the header", field="person_track")
    return out


class CsvPersonTracks:
    """:class:`~safeconduct.services.ports.PersonTracks` reading CSV files."""

    def read_person_track(self, path: PathLike) -> list[tuple[float, float, float]]:
        """See :func:`read_person_track`."""
        return read_person_track(path)


def write_person_track(path: PathLike, rows: list[tuple[float, float, float]]) -> None:
    """Write ``(t_s, lat, lon)`` rows as a person track CSV (seconds form), atomically."""
    from safeconduct.adapters.files.atomic import write_text_atomic

    lines = ["time,lat,lon"] + [f"{t:.3f},{lat:.7f},{lon:.7f}" for t, lat, lon in rows]
    write_text_atomic(Path(path), "\n".join(lines) + "\n")


__all__ = ["HEADER", "CsvPersonTracks", "read_person_track", "write_person_track"]
