"""A route as a polyline measured by distance along it (metres, map coordinates)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class RoutePath:
    """A polyline in map metres, parameterised by the distance ``s`` along it.

    Attributes
    ----------
    xy
        ``(n, 2)`` vertices ``[x, y]`` in metres (a projected CRS), start first.
    """

    xy: np.ndarray
    _s: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        xy = np.asarray(self.xy, dtype=np.float64).reshape(-1, 2)
        if len(xy) < 2:
            raise ValueError("a route path needs at least two vertices")
        seg = np.hypot(*np.diff(xy, axis=0).T)
        object.__setattr__(self, "xy", xy)
        object.__setattr__(self, "_s", np.concatenate(([0.0], np.cumsum(seg))))

    @property
    def length(self) -> float:
        """Total length in metres."""
        return float(self._s[-1])

    @property
    def vertex_s(self) -> np.ndarray:
        """Distance along the path of each vertex, metres."""
        return self._s

    def point_at(self, s: float) -> np.ndarray:
        """The ``[x, y]`` point at distance ``s`` (clamped to the ends)."""
        s = min(max(s, 0.0), self.length)
        i = int(np.searchsorted(self._s, s, side="right")) - 1
        i = min(max(i, 0), len(self.xy) - 2)
        span = self._s[i + 1] - self._s[i]
        t = 0.0 if span == 0 else (s - self._s[i]) / span
        return self.xy[i] + t * (self.xy[i + 1] - self.xy[i])

    def heading_at(self, s: float) -> float:
        """Direction of travel at ``s``, degrees clockwise from grid north."""
        i = int(np.searchsorted(self._s, min(max(s, 0.0), self.length), side="right")) - 1
        i = min(max(i, 0), len(self.xy) - 2)
        dx, dy = self.xy[i + 1] - self.xy[i]
        return float(np.degrees(np.arctan2(dx, dy)) % 360.0)

    def project(self, point: np.ndarray, near_s: float | None = None, window: float = 200.0):
        """Distance along the path of the closest point to ``point``, and how far off it is.

        Parameters
        ----------
        point
            ``[x, y]`` in metres.
        near_s
            If given, search only the vertices within ``window`` metres of this distance,
            so a path that doubles back cannot make the projection jump ahead.

        Returns
        -------
        (float, float)
            ``(s, offset_m)``.
        """
        p = np.asarray(point, dtype=np.float64)
        lo, hi = 0, len(self.xy) - 1
        if near_s is not None:
            lo = max(int(np.searchsorted(self._s, near_s - window)) - 1, 0)
            hi = min(int(np.searchsorted(self._s, near_s + window)) + 1, len(self.xy) - 1)
        a = self.xy[lo:hi]
        b = self.xy[lo + 1 : hi + 1]
        ab = b - a
        denom = np.einsum("ij,ij->i", ab, ab)
        t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.where(denom == 0, 1, denom), 0, 1)
        closest = a + t[:, None] * ab
        d = np.hypot(*(closest - p).T)
        k = int(np.argmin(d))
        s = self._s[lo + k] + t[k] * np.sqrt(denom[k])
        return float(s), float(d[k])
