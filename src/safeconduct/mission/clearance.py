"""Height above ground: altitudes relative to the launch point that keep a clearance.

Missions fly in MAV_FRAME_GLOBAL_RELATIVE_ALT (frame 3): altitude in metres above the
launch point (home). With a DEM, :class:`DemTerrain` turns "so many metres above the
ground here" into that frame, and :meth:`DemTerrain.leg_points` inserts points where the
ground rises between two waypoints, so that along the straight leg the drone flies
(altitude changing linearly with distance) the clearance never falls below the minimum;
given a maximum height above the ground, it also inserts points where the ground falls
away (a valley), so that the drone follows it down instead of crossing high above it.

How "never" is made true: the leg is followed through every DEM cell it crosses (exact
grid traversal, not sampling at an interval that could step over a crest), and each
cell's ground is taken as the highest of the 3 x 3 cells around it (the lowest, for the
maximum height). That bounds the terrain whether one reads the DEM as flat cells or
interpolates bilinearly between cell centres, and absorbs the centimetres by which
coordinates are rounded. Where the two bounds leave no room (a cliff within a cell or two)
the clearance wins: the drone never flies lower than the minimum to stay under the maximum.

Without a DEM, :class:`FlatTerrain` flies heights relative to the launch point with no
terrain compensation; the mission summary says so. No I/O here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np
from scipy import ndimage

from safeconduct.errors import OutOfRangeError
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.dem import Dem

#: A flown position: ``(lon, lat, alt)`` in WGS84 degrees and metres above home.
Position = tuple[float, float, float]

#: Violations smaller than this (metres) are rounding noise, not terrain.
_TOLERANCE_M = 1e-6


def ceil_cm(metres: float) -> float:
    """Round ``metres`` up to the next centimetre (altitudes are written to 1 cm)."""
    return math.ceil(round(metres * 100.0, 6)) / 100.0


def floor_cm(metres: float) -> float:
    """Round ``metres`` down to the centimetre below."""
    return math.floor(round(metres * 100.0, 6)) / 100.0


class Terrain(Protocol):
    """What the mission planner needs to know about the ground."""

    #: True when altitudes follow a DEM; False for flat, relative-only heights.
    has_dem: bool

    @property
    def home_amsl_m(self) -> float | None:
        """Ground height at the launch point, metres above the DEM datum (None: unknown)."""
        ...

    def altitude(self, lon: float, lat: float, agl_m: float) -> float:
        """Altitude above home (frame 3), metres, that is ``agl_m`` above the ground here."""
        ...

    def leg_points(
        self,
        a: Position,
        b: Position,
        min_clearance_m: float,
        *,
        max_height_m: float | None = None,
    ) -> list[Position]:
        """Points to insert between ``a`` and ``b`` to keep within the two heights."""
        ...

    def min_clearance(self, a: Position, b: Position) -> float | None:
        """Lowest height above the DEM along the straight leg ``a``-``b``, metres."""
        ...

    def max_height(self, a: Position, b: Position) -> float | None:
        """Highest height above the DEM along the straight leg ``a``-``b``, metres."""
        ...

    def height_range(self, a: Position, b: Position) -> tuple[float, float] | None:
        """``(lowest, highest)`` height above the DEM along the leg ``a``-``b``, metres."""
        ...


@dataclass(frozen=True)
class FlatTerrain:
    """No DEM: heights are above the launch point, with no terrain compensation."""

    has_dem: bool = False

    @property
    def home_amsl_m(self) -> float | None:
        return None

    def altitude(self, lon: float, lat: float, agl_m: float) -> float:
        return ceil_cm(agl_m)

    def leg_points(
        self,
        a: Position,
        b: Position,
        min_clearance_m: float,
        *,
        max_height_m: float | None = None,
    ) -> list[Position]:
        return []

    def min_clearance(self, a: Position, b: Position) -> float | None:
        return None

    def max_height(self, a: Position, b: Position) -> float | None:
        return None

    def height_range(self, a: Position, b: Position) -> tuple[float, float] | None:
        return None


class DemTerrain:
    """Altitudes above the launch point's ground that keep a clearance over a DEM.

    Parameters
    ----------
    dem
        The terrain on a projected metric grid.
    launch
        The launch point (home); it must lie on a DEM cell with a height.

    Raises
    ------
    OutOfRangeError
        The launch point lies outside the DEM or on nodata.
    """

    has_dem = True

    def __init__(self, dem: Dem, launch: GeoPoint) -> None:
        self.dem = dem
        row, col = dem.cell_of_lonlat(
            launch.lon, launch.lat, what="the launch point", field="launch"
        )
        # Home is where the drone stands: its own cell, not the conservative envelope.
        self._home = float(dem.elevation[row, col])
        self._inv = ~dem.transform

    @property
    def home_amsl_m(self) -> float | None:
        return self._home

    @cached_property
    def _envelope(self) -> np.ndarray:
        """Highest ground of the 3 x 3 cells around each cell (NaN where nodata)."""
        z = self.dem.elevation
        filled = np.where(np.isfinite(z), z, -np.inf)
        env = ndimage.maximum_filter(filled, size=3, mode="nearest")
        return np.where(np.isfinite(z), env, np.nan)

    @cached_property
    def _floor(self) -> np.ndarray:
        """Lowest ground of the 3 x 3 cells around each cell (NaN where nodata)."""
        z = self.dem.elevation
        filled = np.where(np.isfinite(z), z, np.inf)
        env = ndimage.minimum_filter(filled, size=3, mode="nearest")
        return np.where(np.isfinite(z), env, np.nan)

    def _ground_envelope_at(self, x: float, y: float) -> float:
        # A point exactly on a cell edge touches the cells on both sides: take the highest.
        col, row = self._inv @ (x, y)
        rows = {math.floor(row - 1e-6), math.floor(row + 1e-6)}
        cols = {math.floor(col - 1e-6), math.floor(col + 1e-6)}
        env = self._envelope
        heights = []
        for r in rows:
            for c in cols:
                if not self.dem.contains_rowcol(r, c):
                    continue
                heights.append(env[r, c])
        if not heights or not all(np.isfinite(heights)):
            raise OutOfRangeError(
                f"the flight path leaves the DEM (or meets nodata) at {self._lonlat(x, y)}; "
                "use a DEM covering the launch point and the whole route, or plan without a DEM"
            )
        return float(max(heights))

    def _lonlat(self, x: float, y: float) -> str:
        lon, lat = self.dem.xy_to_lonlat(x, y)
        return f"{lat:.6f},{lon:.6f}"

    def ground(self, lon: float, lat: float) -> float:
        """Conservative ground height at ``(lon, lat)``, metres above the DEM datum."""
        return self._ground_envelope_at(*self.dem.lonlat_to_xy(lon, lat))

    def altitude(self, lon: float, lat: float, agl_m: float) -> float:
        """Altitude above home (frame 3), metres, at least ``agl_m`` above the ground here."""
        return ceil_cm(self.ground(lon, lat) + agl_m - self._home)

    def _cells(
        self, a: Position, b: Position
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float, float, float]]:
        """Cells the straight leg ``a``-``b`` crosses.

        Returns
        -------
        t, rows, cols, (xa, ya, xb, yb)
            ``t``: the ``n + 1`` fractions of the leg (0 to 1) where it enters and leaves
            each of the ``n`` cells; the ``n`` cells' rows and columns; and the leg's ends
            in map metres.

        Raises
        ------
        OutOfRangeError
            The leg leaves the DEM or crosses nodata.
        """
        xa, ya = self.dem.lonlat_to_xy(a[0], a[1])
        xb, yb = self.dem.lonlat_to_xy(b[0], b[1])
        ca, ra = self._inv @ (xa, ya)
        cb, rb = self._inv @ (xb, yb)
        ts = [np.array([0.0, 1.0])]
        for u0, u1 in ((ca, cb), (ra, rb)):
            du = u1 - u0
            if abs(du) > 1e-12:
                lines = np.arange(math.ceil(min(u0, u1)), math.floor(max(u0, u1)) + 1)
                ts.append((lines - u0) / du)
        t = np.unique(np.clip(np.concatenate(ts), 0.0, 1.0))
        mid = (t[:-1] + t[1:]) / 2.0  # t holds 0 and 1, so at least one cell
        rows = np.floor(ra + mid * (rb - ra)).astype(np.int64)
        cols = np.floor(ca + mid * (cb - ca)).astype(np.int64)
        n_rows, n_cols = self.dem.shape
        inside = (rows >= 0) & (rows < n_rows) & (cols >= 0) & (cols < n_cols)
        if not inside.all():
            bad = int(np.argmin(inside))
            raise OutOfRangeError(
                "the flight path leaves the DEM near "
                f"{self._lonlat(xa + mid[bad] * (xb - xa), ya + mid[bad] * (yb - ya))}; "
                "use a DEM covering the launch point and the whole route"
            )
        finite = np.isfinite(self.dem.elevation[rows, cols])
        if not finite.all():
            bad = int(np.argmin(finite))
            raise OutOfRangeError(
                "the flight path crosses nodata on the DEM near "
                f"{self._lonlat(xa + mid[bad] * (xb - xa), ya + mid[bad] * (yb - ya))}; "
                "the clearance cannot be kept there"
            )
        return t, rows, cols, (xa, ya, xb, yb)

    def leg_points(
        self,
        a: Position,
        b: Position,
        min_clearance_m: float,
        *,
        max_height_m: float | None = None,
        margin_m: float = 1.0,
    ) -> list[Position]:
        """Points to insert between ``a`` and ``b`` to keep the leg between two heights.

        Parameters
        ----------
        a, b
            The leg's ends, ``(lon, lat, alt)``: degrees and metres above home.
        min_clearance_m
            Lowest height above the ground allowed anywhere on the leg, metres.
        max_height_m
            Highest height above the ground allowed on the leg between its ends, metres;
            None: no maximum. The ends themselves are where the caller put them.
        margin_m
            Inserted points are this much inside the band (higher than the clearance
            needs, lower than the maximum allows), metres: the line then clears the small
            bumps nearby, and the mission needs far fewer points.

        Returns
        -------
        list of (lon, lat, alt)
            In flight order, without ``a`` and ``b``; empty when the straight leg already
            keeps within the heights. Each point is placed where the line breaks a bound
            by the most, ``margin_m`` inside it (rounded to 1 cm), and the two halves are
            checked again, so the points trace the ground the drone must climb over or
            follow down. Where the two bounds leave no room, the clearance wins.

        Raises
        ------
        OutOfRangeError
            The leg leaves the DEM or crosses nodata.
        ValueError
            ``a`` or ``b`` itself is lower than the clearance (the caller's mistake).
        """
        t_cells, rows, cols, (xa, ya, xb, yb) = self._cells(a, b)
        # Each cell constrains the line where it enters and where it leaves the cell.
        t = np.repeat(t_cells, 2)[1:-1]
        need = np.repeat(self._envelope[rows, cols] + min_clearance_m - self._home, 2)
        if max_height_m is None:
            cap = np.full_like(need, np.inf)
        else:
            cap = np.repeat(self._floor[rows, cols] + max_height_m - self._home, 2)
        inserted: list[tuple[float, float]] = []
        stack = [(0.0, a[2], 1.0, b[2], 0, len(t))]
        while stack:
            t0, z0, t1, z1, lo, hi = stack.pop()
            if hi <= lo:
                continue
            tt = t[lo:hi]
            line = z0 + (z1 - z0) * (tt - t0) / (t1 - t0) if t1 > t0 else np.full_like(tt, z0)
            low = need[lo:hi] - line
            # Above the maximum counts only inside the leg, and only where there is room.
            inner = (tt > t0 + 1e-12) & (tt < t1 - 1e-12) & (cap[lo:hi] >= need[lo:hi])
            high = np.where(inner, line - cap[lo:hi], -np.inf)
            j_low, j_high = int(np.argmax(low)), int(np.argmax(high))
            if max(low[j_low], high[j_high]) <= _TOLERANCE_M:
                continue
            j = j_low if low[j_low] >= high[j_high] else j_high
            tj = float(tt[j])
            split = lo + int(np.searchsorted(tt, tj, side="left"))
            after = lo + int(np.searchsorted(tt, tj, side="right"))
            # Two cells meet at tj: the point must suit both.
            need_j, cap_j = float(need[split:after].max()), float(cap[split:after].min())
            if j == j_low:
                if tj <= t0 + 1e-12 or tj >= t1 - 1e-12:
                    raise ValueError(
                        f"a leg end is {low[j]:.2f} m lower than the {min_clearance_m:g} m "
                        "clearance asked along the leg"
                    )
                zj = ceil_cm(need_j + margin_m)
                if zj > cap_j:
                    zj = max(floor_cm(cap_j), ceil_cm(need_j))
            else:
                zj = max(floor_cm(cap_j - margin_m), ceil_cm(need_j))
            inserted.append((tj, zj))
            stack.append((t0, z0, tj, zj, lo, split))
            stack.append((tj, zj, t1, z1, after, hi))
        inserted.sort()
        points: list[Position] = []
        for tj, zj in inserted:
            lon, lat = self.dem.xy_to_lonlat(xa + tj * (xb - xa), ya + tj * (yb - ya))
            points.append((float(lon), float(lat), zj))
        return points

    def _line_over_cells(self, a: Position, b: Position) -> tuple[np.ndarray, np.ndarray]:
        """Height above each crossed DEM cell where the leg enters and where it leaves it."""
        t, rows, cols, _ = self._cells(a, b)
        ground = self.dem.elevation[rows, cols] - self._home
        z0, z1 = a[2], b[2]
        return z0 + (z1 - z0) * t[:-1] - ground, z0 + (z1 - z0) * t[1:] - ground

    def min_clearance(self, a: Position, b: Position) -> float | None:
        """Lowest height above the DEM's own cells along the straight leg ``a``-``b``, metres.

        This is the plain DEM, not the conservative envelope, so it reports what the
        drone will actually have below it.
        """
        enter, leave = self._line_over_cells(a, b)
        return float(np.minimum(enter, leave).min())

    def max_height(self, a: Position, b: Position) -> float | None:
        """Highest height above the DEM's own cells along the straight leg ``a``-``b``, metres."""
        enter, leave = self._line_over_cells(a, b)
        return float(np.maximum(enter, leave).max())

    def height_range(self, a: Position, b: Position) -> tuple[float, float] | None:
        """``(lowest, highest)`` height above the DEM's own cells along ``a``-``b``, metres."""
        enter, leave = self._line_over_cells(a, b)
        return float(np.minimum(enter, leave).min()), float(np.maximum(enter, leave).max())


__all__ = ["DemTerrain", "FlatTerrain", "Position", "Terrain", "ceil_cm", "floor_cm"]
