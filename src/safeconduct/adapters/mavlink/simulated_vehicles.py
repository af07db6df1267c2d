"""Start :class:`~.simulated_copter.SimulatedCopter` vehicles for ``rehearse --live``.

Implements :class:`~safeconduct.services.ports.SimulatedVehicles`: each copter hovers in
GUIDED over its home on 127.0.0.1, with the fence and failsafe parameters leading demands
(:data:`~.simulated_copter.SAFE_LEADING_PARAMS`) unless ``safe=False``.
"""

from __future__ import annotations

from typing import Any


class SimulatedCopters:
    """Starts simulated ArduCopters (see the module docstring)."""

    def start(
        self, *, home: tuple[float, float, float], time_scale: float, safe: bool = True,
        battery_drain_pct_per_s: float | None = None, params: dict[str, float] | None = None,
    ) -> Any:  # fmt: skip
        """Start one copter; the returned simulator has ``connection`` and ``stop()``."""
        from safeconduct.adapters.mavlink.simulated_copter import (
            SAFE_LEADING_PARAMS,
            SimulatedCopter,
        )

        settings = {**(SAFE_LEADING_PARAMS if safe else {}), **(params or {})}
        kwargs: dict[str, Any] = {
            "home": home,
            "time_scale": time_scale,
            "params": settings or None,
        }
        if battery_drain_pct_per_s is not None:
            kwargs["battery_drain_pct_per_s"] = battery_drain_pct_per_s
        sim = SimulatedCopter(**kwargs)
        sim.start()
        return sim


__all__ = ["SimulatedCopters"]
