"""Clocks for the leading control loop: the wall clock, and an accelerated one.

Both implement :class:`~safeconduct.services.ports.Clock`. :class:`ScaledClock` runs
``scale`` times faster than the wall clock, for ``rehearse --live`` and the scenario tests:
pair it with a :class:`~safeconduct.adapters.mavlink.simulated_copter.SimulatedCopter`
started with the same ``time_scale``, so the loop's seconds and the vehicle's agree.
"""

from __future__ import annotations

import time


class WallClock:
    """Real time: :func:`time.monotonic` seconds."""

    def now(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` real seconds (nothing for zero or less)."""
        if seconds > 0:
            time.sleep(seconds)


class ScaledClock:
    """Accelerated time: ``scale`` clock seconds pass in each wall second.

    Parameters
    ----------
    scale
        How much faster than real time (> 0; 10 runs ten simulated seconds a second).
    """

    def __init__(self, scale: float) -> None:
        if not scale > 0:
            raise ValueError("a clock's scale must be positive")
        self.scale = float(scale)
        self._wall0 = time.monotonic()

    def now(self) -> float:
        """Simulated seconds since the clock was made."""
        return (time.monotonic() - self._wall0) * self.scale

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` simulated seconds (``seconds / scale`` real ones)."""
        if seconds > 0:
            time.sleep(seconds / self.scale)


__all__ = ["ScaledClock", "WallClock"]
