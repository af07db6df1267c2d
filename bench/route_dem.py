"""Seeded synthetic terrain for the routing benchmarks.

Fractal (spectral) terrain: white noise shaped by a 1/f^beta power spectrum, plus a gentle
regional tilt, scaled to a chosen relief. It has the slope distribution of real hilly
ground (mostly 0-20 %, some steeper flanks), which is what makes anisotropic walking costs
interesting, and it is the same for a given seed on every machine.
"""

from __future__ import annotations

import numpy as np


def synthetic_dem(
    size: int, *, seed: int = 7, cell: float = 5.0, median_slope: float = 0.07, beta: float = 3.4
) -> np.ndarray:
    """Return a ``size`` x ``size`` float64 DEM in metres.

    Parameters
    ----------
    size
        Rows and columns.
    seed
        Random seed.
    cell
        Cell size in metres (sets the physical wavelengths).
    median_slope
        The heights are scaled so that the median slope (rise over run) is this.
    beta
        Spectral exponent: larger is smoother.
    """
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((size, size)).astype(np.float32)
    spec = np.fft.rfft2(noise)
    fy = np.fft.fftfreq(size, d=cell)[:, None]
    fx = np.fft.rfftfreq(size, d=cell)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = np.inf
    # Cut wavelengths below ~30 m: DEM-like smoothness at the cell scale.
    spec *= (f ** (-beta / 2.0)) * np.exp(-((f * 30.0) ** 2))
    z = np.fft.irfft2(spec, s=(size, size))
    rows = np.linspace(0.0, 1.0, size)[:, None]
    cols = np.linspace(0.0, 1.0, size)[None, :]
    z /= max(float(z.std()), 1e-12)
    z += 0.002 * size * (rows + 0.5 * cols) / z.std()  # a gentle regional tilt
    gy, gx = np.gradient(z, cell)
    z *= median_slope / float(np.median(np.hypot(gx, gy)))
    z -= z.min()
    return (z + 120.0).astype(np.float64)
