"""A small, slow, obviously-correct Dijkstra: the oracle for the numba kernels.

It shares nothing with :mod:`safeconduct.routing.kernels` but the models' pure-Python
``step_cost`` and the documented rules:

- moves: 8 neighbours, plus knight's moves with ``knight=True``;
- a cell is impassable if its elevation is not finite, it is a barrier, or (r.walk with a
  friction grid) its friction is not finite;
- a diagonal move is barred if both orthogonal cells beside it are impassable (or off the
  grid); a knight's move needs both cells it passes between to be passable;
- per-cell layers (friction, speed factor, exposure) are averaged over the two cells of a
  move, or over four (the ends and the two passed between) for a knight's move;
- time /= mean speed factor (a mean <= 0 bars the step); cost = time * (1 + risk_weight *
  mean exposure); Tobler's off-path factor is waived only if both cells are on a path.
"""

from __future__ import annotations

import heapq
import math
from itertools import pairwise

import numpy as np

from safeconduct.routing.kernels import SearchGrids
from safeconduct.routing.models import RWalkModel, ToblerModel

MOVES_8 = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
MOVES_KNIGHT = [(-2, -1), (-2, 1), (2, 1), (2, -1), (-1, -2), (-1, 2), (1, 2), (1, -2)]


def passable(grids: SearchGrids, model, r: int, c: int) -> bool:
    rows, cols = grids.shape
    if not (0 <= r < rows and 0 <= c < cols):
        return False
    if not math.isfinite(grids.elevation[r, c]):
        return False
    if grids.barrier is not None and grids.barrier[r, c]:
        return False
    return not (
        isinstance(model, RWalkModel)
        and grids.friction is not None
        and not math.isfinite(grids.friction[r, c])
    )


def step(
    grids: SearchGrids, model, risk_weight: float, r: int, c: int, dr: int, dc: int
) -> tuple[float, float] | None:
    """``(time, cost)`` of the move, or ``None`` if it is barred."""
    nr, nc = r + dr, c + dc
    if not passable(grids, model, nr, nc):
        return None
    cells = [(r, c), (nr, nc)]
    if abs(dr) == 1 and abs(dc) == 1:
        if not passable(grids, model, r + dr, c) and not passable(grids, model, r, c + dc):
            return None
    elif abs(dr) + abs(dc) == 3:
        if abs(dr) == 2:
            sides = [(r + dr // 2, c), (r + dr // 2, c + dc)]
        else:
            sides = [(r, c + dc // 2), (r + dr, c + dc // 2)]
        if not all(passable(grids, model, *s) for s in sides):
            return None
        cells += sides
    dx, dy = grids.cell_size
    dS = math.hypot(dr * dy, dc * dx)
    dH = float(grids.elevation[nr, nc]) - float(grids.elevation[r, c])

    def mean(layer) -> float:
        return sum(float(layer[p]) for p in cells) / len(cells)

    if isinstance(model, ToblerModel):
        on_path = grids.on_path is not None and bool(grids.on_path[r, c] and grids.on_path[nr, nc])
        t = model.step_cost(dS, dH, on_path=on_path)
    else:
        fric = mean(grids.friction) if grids.friction is not None else 0.0
        t = model.step_cost(dS, dH, friction=fric)
    if math.isinf(t):
        return None
    if grids.speed_factor is not None:
        sm = mean(grids.speed_factor)
        if not sm > 0:
            return None
        t /= sm
    cost = t
    if grids.exposure is not None and risk_weight > 0:
        cost = t * (1.0 + risk_weight * mean(grids.exposure))
    return t, cost


def dijkstra(
    grids: SearchGrids,
    model: ToblerModel | RWalkModel,
    start: tuple[int, int],
    *,
    risk_weight: float = 0.0,
    knight: bool = False,
) -> np.ndarray:
    """Accumulated cost from ``start`` to every cell (``inf`` where unreachable)."""
    rows, cols = grids.shape
    best = np.full((rows, cols), np.inf)
    if not passable(grids, model, *start):
        return best
    moves = MOVES_8 + (MOVES_KNIGHT if knight else [])
    best[start] = 0.0
    heap = [(0.0, start)]
    done = set()
    while heap:
        g, (r, c) = heapq.heappop(heap)
        if (r, c) in done:
            continue
        done.add((r, c))
        for dr, dc in moves:
            s = step(grids, model, risk_weight, r, c, dr, dc)
            if s is None:
                continue
            nd = g + s[1]
            if nd < best[r + dr, c + dc]:
                best[r + dr, c + dc] = nd
                heapq.heappush(heap, (nd, (r + dr, c + dc)))
    return best


def path_cost(
    grids: SearchGrids, model, cells: np.ndarray, *, risk_weight: float = 0.0
) -> float:
    """Sum of the step costs along a cell path (``inf`` if a step is barred)."""
    total = 0.0
    for (r, c), (nr, nc) in pairwise(cells):
        s = step(grids, model, risk_weight, int(r), int(c), int(nr - r), int(nc - c))
        if s is None:
            return math.inf
        total += s[1]
    return total
