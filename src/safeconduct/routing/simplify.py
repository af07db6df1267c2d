"""Turn a least-cost cell path into few waypoints joined by straight legs.

A walker led by a drone follows straight legs, not a staircase of cells. The simplifier
keeps the first and last cell and greedily replaces runs of cells by the longest straight
leg that is still safe and cheap:

- *safe*: the straight segment between the two cell centres enters no impassable cell
  (barrier or nodata): every cell whose interior it crosses is checked, and where it
  passes exactly through a cell corner the two cells beside the corner may not both be
  impassable (the search's rule for a diagonal step: no squeezing through a barrier drawn
  as an 8-connected line); and every step of its rasterized line
  (:func:`path_cells_between`) is admissible (slope limit, corner rule);
- *cheap*: the leg's cost, summed over the steps of its rasterized line, is at most
  ``1 + max_cost_increase`` times the cost of the cells it replaces.

Every leg obeying the second rule, the whole simplified route costs at most
``1 + max_cost_increase`` times the optimum.
"""

from __future__ import annotations

import numpy as np

# The compiled parts live in kernels.py with the step cost they inline: numba's on-disk
# cache only notices changes to a function's own file.
from safeconduct.routing.kernels import (
    SearchGrids,
    _crop,
    _greedy,
    _leg_cost,
    _line,
    _path_steps,
    _prepare,
    _Prepared,
    _traverse,
)
from safeconduct.routing.models import RWalkModel, ToblerModel


def _lut(prep: _Prepared) -> np.ndarray:
    lut = np.full((5, 5), -1, np.int64)
    for k in range(len(prep.m_dr)):
        lut[prep.m_dr[k] + 2, prep.m_dc[k] + 2] = k
    return lut


def _fields(prep: _Prepared) -> tuple:
    return (
        prep.rec, prep.W, prep.pad, _lut(prep), prep.m_off, prep.m_len, prep.m_kind,
        prep.m_s1, prep.m_s2, prep.model_id, prep.params, prep.has_path, prep.on_path,
        prep.has_speed, prep.speed, prep.has_expo, prep.expo, prep.has_fric, prep.fric,
        prep.risk_weight,
    )  # fmt: skip


Cell = np.ndarray | tuple[int, int]


def path_cells_between(a: Cell, b: Cell) -> np.ndarray:
    """Cells of the straight leg from cell ``a`` to cell ``b``, both included.

    The 8-connected Bresenham line (a knight's move stays one move), so that consecutive
    cells are one search move apart and :func:`~safeconduct.routing.kernels.step_costs_along`
    can cost the leg.

    Returns
    -------
    numpy.ndarray
        int64 ``(n, 2)`` ``[row, col]``.
    """
    return _line(int(a[0]), int(a[1]), int(b[0]), int(b[1]))


def crossed_cells(a: Cell, b: Cell) -> tuple[np.ndarray, np.ndarray]:
    """What the segment between the centres of cells ``a`` and ``b`` passes through.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The cells whose interior it crosses, int64 ``(n, 2)`` ``[row, col]`` from ``a`` to
        ``b``; and for each cell corner it passes exactly through, the two cells beside the
        corner that it does not enter, int64 ``(m, 4)`` ``[row, col, row, col]``. A leg is
        safe if no crossed cell is impassable and no corner has both side cells impassable
        (the search's own rule for a diagonal step).
    """
    return _traverse(int(a[0]), int(a[1]), int(b[0]), int(b[1]))


def leg_cost(
    grids: SearchGrids,
    a: tuple[int, int],
    b: tuple[int, int],
    model: ToblerModel | RWalkModel,
    *,
    risk_weight: float = 0.0,
) -> float:
    """Cost of walking the straight leg ``a -> b`` (``inf`` if it touches anything impassable).

    The same rule the simplifier applies (see :func:`crossed_cells`); the cost is summed
    over :func:`path_cells_between`'s steps.
    """
    sub, local = _crop(grids, np.array([a, b], dtype=np.int64).reshape(2, 2))
    prep = _prepare(sub, model, risk_weight=risk_weight, knight=True)
    (r0, c0), (r1, c1) = local
    return float(_leg_cost(r0, c0, r1, c1, *_fields(prep)))


def simplify_path(
    cells: np.ndarray,
    grids: SearchGrids,
    model: ToblerModel | RWalkModel,
    *,
    risk_weight: float = 0.0,
    max_cost_increase: float = 0.01,
    max_misses: int = 32,
) -> np.ndarray:
    """Pick the waypoints of a cell path: few straight legs, safe and nearly as cheap.

    Parameters
    ----------
    cells
        ``(n, 2)`` ``[row, col]`` path from the search (start first).
    grids, model, risk_weight
        As given to the search; the legs are costed the same way.
    max_cost_increase
        Each leg may cost at most this fraction more than the cells it replaces, so the
        whole route costs at most ``(1 + max_cost_increase)`` times the optimum.
    max_misses
        How many further cells to try past the last acceptable leg end before settling;
        bounds the work on long paths.

    Returns
    -------
    numpy.ndarray
        int64 indices into ``cells`` of the waypoints, increasing, starting at 0 and ending
        at ``n - 1``. ``cells[result]`` are the waypoints.
    """
    cells = np.ascontiguousarray(np.asarray(cells, dtype=np.int64).reshape(-1, 2))
    n = len(cells)
    if n <= 2:
        return np.arange(n, dtype=np.int64)
    if max_cost_increase < 0:
        raise ValueError("max_cost_increase must be >= 0")
    # Knight's moves on: the path may contain them, and a leg may be one.
    sub, cells = _crop(grids, cells)
    prep = _prepare(sub, model, risk_weight=risk_weight, knight=True)
    _times, costs = _path_steps(
        cells, prep.rec, prep.W, prep.pad, prep.m_dr, prep.m_dc, prep.m_off, prep.m_len,
        prep.m_kind, prep.m_s1, prep.m_s2, prep.model_id, prep.params, prep.has_path,
        prep.on_path, prep.has_speed, prep.speed, prep.has_expo, prep.expo, prep.has_fric,
        prep.fric, prep.risk_weight,
    )  # fmt: skip
    if (costs < 0).any():
        raise ValueError("consecutive path cells must be neighbours or a knight's move apart")
    if not np.isfinite(costs).all():
        raise ValueError("the path crosses an impassable step; simplify only a found path")
    prefix = np.concatenate(([0.0], np.cumsum(costs)))
    return _greedy(cells, prefix, float(max_cost_increase), int(max_misses), *_fields(prep))


__all__ = ["crossed_cells", "leg_cost", "path_cells_between", "simplify_path"]
