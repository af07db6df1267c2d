"""A seeded synthetic terrain for the viewshed benchmark.

Fractal (spectral-synthesis) hills with a few ridge lines and an incised valley network, on a
5 m UTM grid (EPSG:32637). The relief is kept in the range of the rolling steppe and river
breaks that front lines run through: a few hundred metres over twenty kilometres, local
slopes mostly under 30 degrees.
"""

from __future__ import annotations

import numpy as np
from affine import Affine
from pyproj import CRS

from safeconduct.terrain.dem import Dem

CELL_M = 5.0
CRS_EPSG = 32637


def synthetic_dem(size: int, *, seed: int = 7, cell: float = CELL_M) -> Dem:
    """Return a ``size`` x ``size`` synthetic :class:`Dem` with ``cell`` metre square cells.

    The values are rounded through float32, as a GeoTIFF written by the benchmark holds them,
    so that every tool reads the same heights.
    """
    rng = np.random.default_rng(seed)
    ky = np.fft.fftfreq(size)[:, None]
    kx = np.fft.rfftfreq(size)[None, :]
    k = np.hypot(kx, ky)
    k[0, 0] = 1.0
    # Power spectrum ~ k^-beta with beta 3.4: hills on all scales, smooth at the small ones.
    amp = k ** (-1.7)
    amp[0, 0] = 0.0
    phase = rng.uniform(0.0, 2.0 * np.pi, size=amp.shape)
    field = np.fft.irfft2(amp * np.exp(1j * phase), s=(size, size))
    field = (field - field.mean()) / field.std()
    # Metres of relief scale with the map's extent, like real landscapes.
    extent_km = size * cell / 1000.0
    relief = 10.0 + 2.5 * extent_km
    z = 180.0 + relief * field

    # Ridges: a few long, gently curving crests (the kind observation posts sit on).
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    for _ in range(3):
        ang = rng.uniform(0.0, np.pi)
        off = rng.uniform(0.2, 0.8) * size
        wav = rng.uniform(0.05, 0.15) * size
        d = (cols - size / 2) * np.sin(ang) - (rows - size / 2) * np.cos(ang) + size / 2 - off
        d += wav * np.sin(2 * np.pi * ((cols * np.cos(ang) + rows * np.sin(ang)) / size))
        width = rng.uniform(0.03, 0.08) * size
        z += rng.uniform(0.3, 0.6) * relief * np.exp(-((d / width) ** 2))
    # Valleys: incise where a second, rougher field crosses zero (a braided drainage pattern).
    phase2 = rng.uniform(0.0, 2.0 * np.pi, size=amp.shape)
    field2 = np.fft.irfft2(k ** (-1.5) * np.exp(1j * phase2) * (k > 0), s=(size, size))
    field2 /= field2.std()
    z -= 0.25 * relief * np.exp(-((field2 / 0.08) ** 2))
    # Micro-relief: banks, hedgerows, shell craters (a metre or so).
    z += rng.normal(0.0, 0.3, size=z.shape)

    transform = Affine(cell, 0.0, 500_000.0, 0.0, -cell, 5_400_000.0)
    elevation = z.astype(np.float32).astype(np.float64)
    return Dem(elevation, transform, CRS.from_epsg(CRS_EPSG), {"SYNTHETIC": "viewshed-bench"})


def observer_on_high_ground(dem: Dem, *, window: int = 200) -> tuple[float, float]:
    """Map ``(x, y)`` metres of the highest cell in a central window (an observation post)."""
    rows, cols = dem.shape
    r0, c0 = rows // 2 - window // 2, cols // 2 - window // 2
    sub = dem.elevation[max(r0, 0) : r0 + window, max(c0, 0) : c0 + window]
    r, c = np.unravel_index(np.nanargmax(sub), sub.shape)
    x, y = dem.rowcol_to_xy(max(r0, 0) + r, max(c0, 0) + c)
    return float(x), float(y)
