"""Walking-cost models: how long one step between two grid cells takes.

A model is a small frozen dataclass. It gives the search kernel what it needs as plain
floats (:meth:`kernel_params`, :attr:`model_id`), a lower bound on the cost of a metre for
the A* heuristic (:meth:`min_cost_per_metre`), and a pure-Python :meth:`step_cost` that the
reference search in the tests and any reader can check the kernel against.

Conventions shared by every model
---------------------------------
- A *step* goes from one cell centre to a neighbouring cell centre. ``dS`` is its
  horizontal length in metres, ``dH`` the height of the destination minus the height of
  the origin in metres, i.e. signed **in the direction of travel** (positive = climbing).
- Costs are seconds (for :class:`RWalkModel`, r.walk's own units, which are seconds with
  its default coefficients) and never negative, so Dijkstra and A* are exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

#: Number of floats in :meth:`ToblerModel.kernel_params` / :meth:`RWalkModel.kernel_params`;
#: a fixed length lets one compiled kernel serve every model.
N_KERNEL_PARAMS = 8

#: Model ids the kernel dispatches on.
TOBLER_ID = 0
RWALK_ID = 1
ISOTROPIC_ID = 2


@dataclass(frozen=True)
class ToblerModel:
    """Tobler's hiking function, anisotropic, with pace, off-path and slope limits.

    Walking speed on a step of slope ``s = dH / dS`` is
    ``v = 6 * exp(-3.5 * |s + 0.05|)`` km/h: 5.04 km/h on the flat, fastest (6 km/h) on a
    gentle 5 % descent, and different uphill and downhill, so the cost from A to B differs
    from B to A. The step time is ``dS / v``: Tobler published the function against map
    (horizontal) distance, so we divide the horizontal length by it rather than the slope
    length; the slope's extra length is already inside his fit.

    Parameters
    ----------
    pace_factor
        Multiplier on speed: 1 for a fit walker, about 0.5 for an injured or exhausted one.
    off_path_factor
        Multiplier on speed off roads and paths (0.6 is the usual cross-country figure).
        A step counts as on a path only if both of its cells are path cells; with no path
        grid every step is off-path.
    max_slope_deg
        Steps steeper than this, uphill or downhill, are impassable (``None``: no limit).
        The slope is ``atan(|dH| / dS)`` of the step itself.
    """

    pace_factor: float = 1.0
    off_path_factor: float = 0.6
    max_slope_deg: float | None = None

    model_id: ClassVar[int] = TOBLER_ID
    name: ClassVar[str] = "tobler"

    def __post_init__(self) -> None:
        if not (self.pace_factor > 0.0 and math.isfinite(self.pace_factor)):
            raise ValueError(f"pace_factor must be a positive number, got {self.pace_factor!r}")
        if not (0.0 < self.off_path_factor <= 1.0):
            raise ValueError(f"off_path_factor must be in (0, 1], got {self.off_path_factor!r}")
        if self.max_slope_deg is not None and not (0.0 < self.max_slope_deg < 90.0):
            raise ValueError(f"max_slope_deg must be in (0, 90), got {self.max_slope_deg!r}")

    @property
    def max_grade(self) -> float:
        """Steepest passable ``|dH| / dS`` (``inf`` without a slope limit)."""
        if self.max_slope_deg is None:
            return math.inf
        return math.tan(math.radians(self.max_slope_deg))

    def kernel_params(self) -> tuple[float, ...]:
        """``(seconds per metre at exp(0), off_path_factor, max grade, 0, ...)`` for the kernel.

        The first value is ``3.6 / (6 * pace_factor)``: 6 km/h is ``6 / 3.6`` m/s.
        """
        p = (0.6 / self.pace_factor, self.off_path_factor, self.max_grade)
        return p + (0.0,) * (N_KERNEL_PARAMS - len(p))

    def min_cost_per_metre(self, *, on_path_possible: bool = True) -> float:
        """Fewest seconds one horizontal metre can take (admissible A* heuristic).

        That is the 6 km/h peak on a 5 % descent, on a path if any step can be on-path.
        """
        per_m = 0.6 / self.pace_factor
        return per_m if on_path_possible else per_m / self.off_path_factor

    def step_cost(self, dS: float, dH: float, *, on_path: bool = False) -> float:
        """Seconds to walk one step; ``inf`` if it is steeper than the slope limit.

        Parameters
        ----------
        dS
            Horizontal step length, metres (> 0).
        dH
            Destination height minus origin height, metres.
        on_path
            Whether the step is on a road or path (both cells on a path).
        """
        s = dH / dS
        if abs(s) > self.max_grade:
            return math.inf
        speed_kmh = 6.0 * math.exp(-3.5 * abs(s + 0.05)) * self.pace_factor
        if not on_path:
            speed_kmh *= self.off_path_factor
        return dS / (speed_kmh / 3.6)


@dataclass(frozen=True)
class RWalkModel:
    """GRASS GIS ``r.walk``: Aitken/Langmuir's correction of Naismith's rule, exactly.

    For a step of horizontal length ``dS`` and height change ``dH`` (destination minus
    origin) r.walk adds::

        a * dS + b * dH            if dH / dS >= 0               (climbing)
        a * dS + c * dH            if slope_factor <= dH / dS < 0  (gentle descent: faster)
        a * dS + d * dH            if dH / dS < slope_factor      (steep descent: slower)
        + lambda_ * friction * dS

    ``friction`` is the mean of the two cells' friction (of four cells, the two ends and the
    two cells it passes between, for a knight's move). This is ``raster/r.walk/main.c`` of
    GRASS 7 and 8 term by term; its default ``lambda`` is 1.0, but with the all-zero
    friction map we compare against the friction term vanishes, hence our default 0.

    Parameters
    ----------
    a
        Seconds per horizontal metre on the flat.
    b, c, d
        Seconds per metre of climb, of gentle descent, and of steep descent. ``c`` is
        positive, so a gentle descent *saves* time; ``d`` is negative, so a steep one costs.
    slope_factor
        The (negative) grade ``dH / dS`` below which a descent counts as steep.
    lambda_
        Weight of the friction term.
    """

    a: float = 0.72
    b: float = 6.0
    c: float = 1.9998
    d: float = -1.9998
    slope_factor: float = -0.2125
    lambda_: float = 0.0

    model_id: ClassVar[int] = RWALK_ID
    name: ClassVar[str] = "rwalk"

    def __post_init__(self) -> None:
        values = (self.a, self.b, self.c, self.d, self.slope_factor, self.lambda_)
        if not all(math.isfinite(v) for v in values):
            raise ValueError("r.walk coefficients must be finite numbers")
        # Negative step costs would break Dijkstra (and mean walking earns time).
        if self.b < 0 or self.d > 0 or self.lambda_ < 0 or self._min_grade_term() + self.a <= 0:
            raise ValueError(
                "these r.walk coefficients give zero or negative step costs; "
                "use b >= 0, d <= 0, lambda >= 0 and a + min(0, c*slope_factor, "
                "d*slope_factor) > 0"
            )

    def _min_grade_term(self) -> float:
        # Smallest value of (height term / dS) over all grades: at grade 0 or at the
        # slope_factor break (from either side).
        cands = [0.0]
        if self.slope_factor < 0:
            cands += [self.c * self.slope_factor, self.d * self.slope_factor]
        return min(cands)

    def kernel_params(self) -> tuple[float, ...]:
        """``(a, b, c, d, slope_factor, lambda_, 0, 0)`` for the kernel."""
        p = (self.a, self.b, self.c, self.d, self.slope_factor, self.lambda_)
        return p + (0.0,) * (N_KERNEL_PARAMS - len(p))

    def min_cost_per_metre(self, *, on_path_possible: bool = True) -> float:
        """Smallest cost of one horizontal metre over all grades, friction aside.

        With the defaults that is ``0.72 - 1.9998 * 0.2125 = 0.295`` on a descent right at
        the slope-factor break. ``on_path_possible`` is accepted for symmetry and ignored.
        """
        del on_path_possible
        return self.a + self._min_grade_term()

    def step_cost(self, dS: float, dH: float, *, friction: float = 0.0) -> float:
        """r.walk's cost of one step.

        Parameters
        ----------
        dS
            Horizontal step length, metres (> 0).
        dH
            Destination height minus origin height, metres.
        friction
            Mean friction of the cells the step joins (see the class docstring).
        """
        grade = dH / dS
        if grade >= 0:
            climb = dH * self.b
        elif grade < self.slope_factor:
            climb = dH * self.d
        else:
            climb = dH * self.c
        return climb + dS * self.a + self.lambda_ * friction * dS


WalkingModel = ToblerModel | RWalkModel

__all__ = ["RWalkModel", "ToblerModel", "WalkingModel"]
