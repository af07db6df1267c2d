"""Least-cost search kernels on a DEM grid (numba).

One exact search serves every use: the least-cost path from a start to the cheapest of
several targets (:func:`least_cost_path`), the full accumulated-cost raster
(:func:`accumulated_cost`, what GRASS ``r.walk`` writes) and, for comparisons with
scikit-image's ``MCP_Geometric``, the same on a plain isotropic cost grid
(:func:`isotropic_cost_path`, :func:`isotropic_accumulated_cost`).

How it works
------------
- Cells are flat indices into a copy of the grid padded with an impassable border, so the
  inner loop needs no bounds checks. Each cell's accumulated cost and value (elevation,
  ``NaN`` where impassable: nodata or barrier) sit side by side in one record, so a
  neighbour visit touches one cache line; one more byte holds the cell's state and the
  move that reached it.
- Moves: the 8 neighbours, plus the 8 knight's moves with ``knight=True``. A diagonal move
  may not squeeze between two impassable cells (a barrier drawn as an 8-connected line
  stays closed; r.walk does let it through); a knight's move needs both cells it passes
  between to be passable, as r.walk does for its friction map.
- The priority queue is a bucket queue (Dial/Dinitz): keys are binned into buckets of width
  ``w`` no larger than the cheapest possible step, kept in a cyclic array of linked lists
  with an overflow list for far keys. With ``w`` at most the cheapest step, a bucket's
  cells can be settled in any order, which makes pushes and pops O(1), and working a
  bucket last-in first-out keeps neighbours close in memory.
- Point-to-point searches are A* with a consistent heuristic that knows the terrain: the
  cheapest walk to the target over the grid distance with the net height change, the
  walker free to pick any grade (see :func:`_heuristic`). The queue is then
  label-correcting: a cell improved inside the bucket being worked is simply reopened
  (narrow buckets keep that rare). The search stops once the best target's cost is no
  larger than the lower bound of every key still queued, so the result is exactly optimal.
- A short route on a large grid is searched in a window around its ends first, with an
  exactness check on the window's rim (:func:`_windowed`).
- Each model, with and without optional grids, has its own compiled search: constant
  model and layer switches let the per-step branches fold away.
- Costs accumulate in float64. Memory: 17 bytes per cell of the searched window plus a
  padded copy of each optional grid (1 or 4 bytes per cell); 4000 x 4000 needs 272 MiB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from safeconduct.errors import OutOfRangeError, UnreachableError
from safeconduct.routing.models import (
    ISOTROPIC_ID,
    N_KERNEL_PARAMS,
    RWALK_ID,
    TOBLER_ID,
    RWalkModel,
    ToblerModel,
)

# The 8 neighbours first (their order is fixed: simplify relies on it), then the knight's
# moves. (d_row, d_col).
_MOVES_8 = ((0, -1), (0, 1), (-1, 0), (1, 0), (-1, -1), (-1, 1), (1, 1), (1, -1))
_MOVES_KNIGHT = ((-2, -1), (-2, 1), (2, 1), (2, -1), (-1, -2), (-1, 2), (1, 2), (1, -2))

_STRAIGHT, _DIAGONAL, _KNIGHT = 0, 1, 2  # move kinds
_NBUCKETS = 1 << 16  # cyclic bucket window
_ISO_ASTAR_MIN_TIGHTNESS = 0.8  # isotropic grids: A* only if min cost >= 0.8 x median
_ASTAR_WIDTH = 0.05  # A* bucket width, as a fraction of the cheapest step (fewer reopenings)


@dataclass(frozen=True)
class SearchGrids:
    """Everything the search reads, on the DEM grid, indexed ``[row, col]``.

    Attributes
    ----------
    elevation
        float64 heights in metres; ``NaN`` is nodata and impassable.
    cell_size
        ``(dx, dy)``: cell width (along a row) and height (along a column) in metres.
    barrier
        bool, ``True`` = impassable (minefield, water, ...).
    on_path
        bool, road or path cells: a step between two of them escapes Tobler's off-path
        factor.
    speed_factor
        float32 speed multipliers (woodland 0.7 ...): a step's time is divided by the mean
        of its two cells' factors (of four cells for a knight's move: the ends and the two
        cells it passes between). A mean of 0 (or less) makes the step impassable.
    exposure
        float32 weighted count of observers that see each cell, >= 0: a step's cost is
        multiplied by ``1 + risk_weight * mean exposure`` (mean taken as for speed).
    friction
        float32 friction for :class:`~safeconduct.routing.models.RWalkModel`'s
        ``lambda_ * friction * dS`` term (r.walk's ``friction`` map; ``NaN`` is
        impassable). Ignored by Tobler.
    """

    elevation: np.ndarray
    cell_size: tuple[float, float]
    barrier: np.ndarray | None = None
    on_path: np.ndarray | None = None
    speed_factor: np.ndarray | None = None
    exposure: np.ndarray | None = None
    friction: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.elevation.ndim != 2:
            raise ValueError("elevation must be a 2-D array")
        for name in ("barrier", "on_path", "speed_factor", "exposure", "friction"):
            arr = getattr(self, name)
            if arr is not None and arr.shape != self.elevation.shape:
                raise ValueError(
                    f"{name} has shape {arr.shape}, the elevation grid {self.elevation.shape}"
                )
        dx, dy = self.cell_size
        if not (dx > 0 and dy > 0 and math.isfinite(dx) and math.isfinite(dy)):
            raise ValueError(f"cell_size must be two positive lengths, got {self.cell_size!r}")

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return self.elevation.shape  # type: ignore[return-value]


@dataclass(frozen=True)
class PathResult:
    """A least-cost path.

    Attributes
    ----------
    cells
        int64 ``(n, 2)`` ``[row, col]`` from the start to the reached target, inclusive.
    cost
        Accumulated cost at the target: seconds including risk weighting for Tobler,
        r.walk's units for r.walk, cost units times metres for an isotropic grid.
    target_index
        Position in the ``targets`` argument of the target reached (the cheapest).
    expanded
        Number of cell expansions the search made (for benchmarks).
    """

    cells: np.ndarray
    cost: float
    target_index: int
    expanded: int


# --------------------------------------------------------------------------------------
# Step cost, shared by the search, path evaluation and simplification
#
# ``rec`` is the padded grid as an (n, 2) float64 array: column 0 the accumulated cost,
# column 1 the cell's value (elevation, or cost for the isotropic mode; NaN = impassable).
# Keeping both in one record halves the cache lines a neighbour visit touches.
# ``meta`` is one byte per cell: the move that reached it (bits 0-3) and the state bits.

_MOVE_BITS = 0x0F
_OPEN = 0x10
_CLOSED = 0x20
_TARGET = 0x40
_NO_HEURISTIC, _H_LINEAR, _H_RWALK, _H_TOBLER = -1, 0, 1, 2
_TOBLER_BEST_GRADE = 1.0 / 3.5  # grade of the cheapest climb/descent per metre of height


@numba.njit(cache=True, inline="always")
def _mean(arr, u, v, s1, s2, knight):
    # np.float64, not float(): inlined, float() of a float32 stays float32.
    a = np.float64(arr[u]) + np.float64(arr[v])
    if knight:
        return (a + np.float64(arr[s1]) + np.float64(arr[s2])) * 0.25
    return a * 0.5


@numba.njit(cache=True, inline="always")
def _cost(
    u, v, s1, s2, kind, L, rec, model_id, plain, params,
    has_path, on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
):  # fmt: skip
    """Cost of the step ``u -> v`` (flat indices) of horizontal length ``L``; ``inf`` if barred.

    ``kind`` is 0 (straight), 1 (diagonal) or 2 (knight's move passing between ``s1`` and
    ``s2``); the caller has checked that ``v`` is passable and, for diagonal and knight's
    moves, the corner rule. The search passes ``kind``, ``model_id`` and ``plain`` (no
    optional grid) as compile-time constants so that each loop is specialised.
    """
    knight = kind == 2
    vu = rec[u, 1]
    vv = rec[v, 1]
    if model_id == 1:  # r.walk, raster/r.walk/main.c
        dH = vv - vu
        grade = dH / L
        if grade >= 0.0:
            t = dH * params[1]
        elif grade < params[4]:
            t = dH * params[3]
        else:
            t = dH * params[2]
        t += L * params[0]
        if not plain and has_fric:
            t += params[5] * _mean(fric, u, v, s1, s2, knight) * L
    elif model_id == 0:  # Tobler
        grade = (vv - vu) / L
        if abs(grade) > params[2]:
            return np.inf
        t = L * params[0] * math.exp(3.5 * abs(grade + 0.05))
        if plain or not (has_path and on_path[u] and on_path[v]):
            t = t / params[1]
    elif knight:  # isotropic cost grid, MCP_Geometric's convention (mean cost x length)
        t = (vu + vv + rec[s1, 1] + rec[s2, 1]) * 0.25 * L
    else:
        t = (vu + vv) * 0.5 * L
    if not plain:
        if has_speed:
            sm = _mean(speed, u, v, s1, s2, knight)
            if not sm > 0.0:
                return np.inf
            t = t / sm
        if has_expo:
            t = t * (1.0 + risk_weight * _mean(expo, u, v, s1, s2, knight))
    return t


@numba.njit(cache=True, inline="always")
def _step(
    u, k, rec, m_off, m_len, m_kind, m_s1, m_s2, model_id, params,
    has_path, on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
):  # fmt: skip
    """Cost of move ``k`` from ``u`` with every check, for path evaluation (not hot)."""
    v = u + m_off[k]
    if rec[v, 1] != rec[v, 1]:
        return np.inf
    kind = m_kind[k]
    s1 = u + m_s1[k]
    s2 = u + m_s2[k]
    nan1 = rec[s1, 1] != rec[s1, 1]
    nan2 = rec[s2, 1] != rec[s2, 1]
    # diagonal: may not squeeze between two impassable cells; knight's move: both cells
    # it passes between must be passable
    if (kind == 1 and nan1 and nan2) or (kind == 2 and (nan1 or nan2)):
        return np.inf
    return _cost(
        u, v, s1, s2, kind, m_len[k], rec, model_id, False, params,
        has_path, on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
    )  # fmt: skip


@numba.njit(cache=True, inline="always")
def _heuristic(r, c, z, t_row, t_col, t_z, hkind, hp, metric, dx, dy, dd, kx, ky):
    """Admissible, consistent lower bound on the cost from cell (r, c) at height z.

    For each target: ``D`` is the shortest flat grid distance (octile for 8 moves, its
    16-move analogue with knight's moves, else Euclidean), ``H`` the target's height
    minus ``z``. The bound is the cheapest walk of horizontal length ``L >= D`` and net
    climb ``H`` when the walker may pick any grade: ``min over L >= D of L * psi(H / L)``,
    ``psi`` the convex lower envelope of the model's cost per metre as a function of grade
    (by Jensen's inequality no path does better). Consistent because that is a convex,
    sub-additive function of ``(D, H)`` and every step costs at least ``dS * psi(dH/dS)``.

    - r.walk (``hp = [mult, a, b, c, slope_factor, alpha, d]``): ``a D + b H`` uphill;
      ``a D + c H`` for a descent gentle enough at grade ``H / D``; else the descent is
      best spread at the slope factor's grade: ``|H| (a / |sf| - c)`` (``alpha =
      a + (c - d) sf <= 0``, the default case) or ``alpha D + d H``.
    - Tobler (``hp = [mult, seconds per metre at exp(0)]``): ``D k exp(3.5 |H/D + 0.05|)``
      for grades within +-1/3.5, beyond which zig-zagging at +-1/3.5 is cheaper.
    - linear (``hp = [mult, cost per metre]``): ``cost per metre * D``.

    ``mult`` (``hp[0]``) is the least factor speed and exposure layers put on a step.
    """
    best = np.inf
    for i in range(t_row.shape[0]):
        R = abs(r - t_row[i]) * 1.0
        C = abs(c - t_col[i]) * 1.0
        if metric == 1:  # shortest 8-connected walk on the flat
            m = min(R, C)
            dist = m * dd + (R - m) * dy + (C - m) * dx
        elif metric == 2:  # shortest 16-connected walk: two adjacent move directions
            if C >= R:
                if 2.0 * R <= C:
                    dist = (C - 2.0 * R) * dx + R * kx
                else:
                    dist = (C - R) * kx + (2.0 * R - C) * dd
            elif 2.0 * C <= R:
                dist = (R - 2.0 * C) * dy + C * ky
            else:
                dist = (R - C) * ky + (2.0 * C - R) * dd
        else:
            dist = math.sqrt((R * dy) ** 2 + (C * dx) ** 2)
        if hkind == 0:
            h = hp[1] * dist
        elif hkind == 1:  # r.walk: a, b, c, slope_factor, alpha, d
            a = hp[1]
            dz = t_z[i] - z
            if dz >= 0.0:
                h = a * dist + hp[2] * dz
            elif dz >= hp[4] * dist:  # gentle enough to take at grades >= slope_factor
                h = a * dist + hp[3] * dz
            elif hp[5] <= 0.0:  # best spread over a longer walk at the slope_factor grade
                h = -dz * (a / -hp[4] - hp[3])
            else:
                h = hp[5] * dist + hp[6] * dz
        else:  # Tobler: k * exp(3.5 |s + 0.05|) per metre, best grade +-1/3.5
            k = hp[1]
            dz = t_z[i] - z
            G = _TOBLER_BEST_GRADE
            if dz > G * dist:
                h = dz / G * k * math.exp(3.5 * (G + 0.05))
            elif dz < -G * dist:
                h = -dz / G * k * math.exp(3.5 * (G - 0.05))
            elif dist > 0.0:
                h = dist * k * math.exp(3.5 * abs(dz / dist + 0.05))
            else:
                h = 0.0
        if h < best:
            best = h
    return best * hp[0]


@numba.njit(cache=True)
def _search(
    rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, model_id, plain, params,
    has_path, on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
    start, t_idx, t_row, t_col, t_z, hkind, hp, metric, dx, dy, w,
):  # fmt: skip
    """Bucket-queue Dijkstra / A* from ``start``; fills ``rec[:, 0]`` and ``meta``.

    Moves 0-3 are straight, 4-7 diagonal, 8-15 (if present) knight's moves.
    Returns ``(best target flat index or -1, its cost, expansions)``.
    """
    # Compiled once per (model, plain) from the wrappers below, which pass constants.
    numba.literally(model_id)
    numba.literally(plain)
    knight = m_off.shape[0] > 8
    cand_k = np.empty(16, np.int64)
    cand_d = np.empty(16, np.float64)
    dd = math.sqrt(dx * dx + dy * dy)
    kx = math.sqrt(4.0 * dx * dx + dy * dy)  # knight's move two columns across
    ky = math.sqrt(dx * dx + 4.0 * dy * dy)  # knight's move two rows across
    use_h = hkind >= 0 and t_idx.shape[0] > 0
    for i in range(t_idx.shape[0]):
        meta[t_idx[i]] |= _TARGET
    inv_w = 1.0 / w
    M = _NBUCKETS
    mask = M - 1
    heads = np.full(M, -1, np.int32)
    cap = 1 << 14
    e_node = np.empty(cap, np.int64)
    e_next = np.empty(cap, np.int32)
    free = -1
    top = 1
    far = np.int64(1) << 62

    base = 0.0
    if use_h:
        sr = start // W
        base = _heuristic(
            sr, start - sr * W, rec[start, 1], t_row, t_col, t_z, hkind, hp, metric, dx, dy,
            dd, kx, ky,
        )  # fmt: skip
    rec[start, 0] = 0.0
    meta[start] = (meta[start] & _TARGET) | _OPEN
    e_node[0] = start
    e_next[0] = -1
    heads[0] = 0
    nwin = 1
    ovf_head = -1
    ovf_min = far
    cur = np.int64(0)
    best = np.inf
    best_t = -1
    expanded = 0

    while True:
        slot = cur & mask
        e = heads[slot]
        if e == -1:
            if nwin == 0:
                if ovf_head == -1:
                    break
                cur = ovf_min
            else:
                cur += 1
            if best_t >= 0 and best <= base + cur * w:
                break  # every queued key is at least the best target's cost
            if ovf_head != -1 and ovf_min < cur + M:
                # Overflow entries whose bucket now falls inside the window move in.
                e2 = ovf_head
                ovf_head = -1
                ovf_min = far
                while e2 != -1:
                    nxt = e_next[e2]
                    v = e_node[e2]
                    f = rec[v, 0]
                    if use_h:
                        rv = v // W
                        f += _heuristic(
                            rv, v - rv * W, rec[v, 1], t_row, t_col, t_z, hkind, hp,
                            metric, dx, dy, dd, kx, ky,
                        )  # fmt: skip
                    b = np.int64(min((f - base) * inv_w, 4.0e18))
                    if b < cur:
                        b = cur
                    if b < cur + M:
                        e_next[e2] = heads[b & mask]
                        heads[b & mask] = e2
                        nwin += 1
                    else:
                        e_next[e2] = ovf_head
                        ovf_head = e2
                        if b < ovf_min:
                            ovf_min = b
                    e2 = nxt
            continue
        heads[slot] = e_next[e]
        nwin -= 1
        u = e_node[e]
        e_next[e] = free
        free = e
        st = meta[u]
        if not st & _OPEN:
            continue  # stale entry: already expanded with its current cost
        meta[u] = (st & ~_OPEN) | _CLOSED
        expanded += 1
        gu = rec[u, 0]
        if st & _TARGET and gu < best:
            best = gu
            best_t = u
        r = u // W
        c = u - r * W
        # Costs of the improving moves first (one specialised loop per move kind), then
        # the queue updates.
        nc = 0
        for k in range(4):
            v = u + m_off[k]
            gv = rec[v, 0]
            if gv > gu and rec[v, 1] == rec[v, 1]:
                nd = gu + _cost(
                    u, v, v, v, 0, m_len[k], rec, model_id, plain, params, has_path,
                    on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
                )  # fmt: skip
                if nd < gv:
                    cand_k[nc] = k
                    cand_d[nc] = nd
                    nc += 1
        for k in range(4, 8):
            v = u + m_off[k]
            gv = rec[v, 0]
            if gv > gu and rec[v, 1] == rec[v, 1]:
                s1 = u + m_s1[k]
                s2 = u + m_s2[k]
                if rec[s1, 1] == rec[s1, 1] or rec[s2, 1] == rec[s2, 1]:
                    nd = gu + _cost(
                        u, v, s1, s2, 1, m_len[k], rec, model_id, plain, params, has_path,
                        on_path, has_speed, speed, has_expo, expo, has_fric, fric,
                        risk_weight,
                    )  # fmt: skip
                    if nd < gv:
                        cand_k[nc] = k
                        cand_d[nc] = nd
                        nc += 1
        if knight:
            for k in range(8, 16):
                v = u + m_off[k]
                gv = rec[v, 0]
                if gv > gu and rec[v, 1] == rec[v, 1]:
                    s1 = u + m_s1[k]
                    s2 = u + m_s2[k]
                    if rec[s1, 1] == rec[s1, 1] and rec[s2, 1] == rec[s2, 1]:
                        nd = gu + _cost(
                            u, v, s1, s2, 2, m_len[k], rec, model_id, plain, params,
                            has_path, on_path, has_speed, speed, has_expo, expo, has_fric,
                            fric, risk_weight,
                        )  # fmt: skip
                        if nd < gv:
                            cand_k[nc] = k
                            cand_d[nc] = nd
                            nc += 1
        for i in range(nc):
            k = cand_k[i]
            nd = cand_d[i]
            v = u + m_off[k]
            rec[v, 0] = nd
            meta[v] = (meta[v] & _TARGET) | _OPEN | k
            f = nd
            if use_h:
                f += _heuristic(
                    r + m_dr[k], c + m_dc[k], rec[v, 1], t_row, t_col, t_z, hkind, hp,
                    metric, dx, dy, dd, kx, ky,
                )  # fmt: skip
            b = np.int64(min((f - base) * inv_w, 4.0e18))
            if b < cur:
                b = cur
            if free != -1:
                e2 = free
                free = e_next[e2]
            else:
                if top == cap:
                    cap *= 2
                    e_node = _grow(e_node, cap)
                    e_next = _grow(e_next, cap)
                e2 = top
                top += 1
            e_node[e2] = v
            if b < cur + M:
                e_next[e2] = heads[b & mask]
                heads[b & mask] = e2
                nwin += 1
            else:
                e_next[e2] = ovf_head
                ovf_head = e2
                if b < ovf_min:
                    ovf_min = b
    return best_t, best, expanded


# One compiled specialisation of the search per model and per "no optional grid" case:
# with ``model_id`` and ``plain`` compile-time constants (numba literals), the per-step
# branches fold away, which halves the time per cell. The wrappers keep the dispatch from
# Python cheap (calling ``_search`` with literal arguments from Python re-dispatches on
# every call).
@numba.njit(cache=True)
def _search_tobler_plain(
    rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, params, has_path, on_path,
    has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx, t_row, t_col,
    t_z, hkind, hp, metric, dx, dy, w,
):  # fmt: skip
    return _search(
        rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, 0, True, params, has_path,
        on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx,
        t_row, t_col, t_z, hkind, hp, metric, dx, dy, w,
    )  # fmt: skip


@numba.njit(cache=True)
def _search_tobler(
    rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, params, has_path, on_path,
    has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx, t_row, t_col,
    t_z, hkind, hp, metric, dx, dy, w,
):  # fmt: skip
    return _search(
        rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, 0, False, params, has_path,
        on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx,
        t_row, t_col, t_z, hkind, hp, metric, dx, dy, w,
    )  # fmt: skip


@numba.njit(cache=True)
def _search_rwalk_plain(
    rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, params, has_path, on_path,
    has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx, t_row, t_col,
    t_z, hkind, hp, metric, dx, dy, w,
):  # fmt: skip
    return _search(
        rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, 1, True, params, has_path,
        on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx,
        t_row, t_col, t_z, hkind, hp, metric, dx, dy, w,
    )  # fmt: skip


@numba.njit(cache=True)
def _search_rwalk(
    rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, params, has_path, on_path,
    has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx, t_row, t_col,
    t_z, hkind, hp, metric, dx, dy, w,
):  # fmt: skip
    return _search(
        rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, 1, False, params, has_path,
        on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx,
        t_row, t_col, t_z, hkind, hp, metric, dx, dy, w,
    )  # fmt: skip


@numba.njit(cache=True)
def _search_isotropic(
    rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, params, has_path, on_path,
    has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx, t_row, t_col,
    t_z, hkind, hp, metric, dx, dy, w,
):  # fmt: skip
    return _search(
        rec, meta, W, m_off, m_dr, m_dc, m_len, m_s1, m_s2, 2, True, params, has_path,
        on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight, start, t_idx,
        t_row, t_col, t_z, hkind, hp, metric, dx, dy, w,
    )  # fmt: skip


_SEARCHES = {
    (TOBLER_ID, True): _search_tobler_plain,
    (TOBLER_ID, False): _search_tobler,
    (RWALK_ID, True): _search_rwalk_plain,
    (RWALK_ID, False): _search_rwalk,
    (ISOTROPIC_ID, True): _search_isotropic,
}


@numba.njit(cache=True)
def _grow(a, cap):
    out = np.empty(cap, a.dtype)
    out[: a.shape[0]] = a
    return out


@numba.njit(cache=True)
def _trace(meta, m_off, start, end):
    """Flat indices from ``start`` to ``end`` following the recorded moves."""
    n = 1
    v = end
    while v != start:
        v -= m_off[meta[v] & _MOVE_BITS]
        n += 1
    out = np.empty(n, np.int64)
    v = end
    for i in range(n - 1, -1, -1):
        out[i] = v
        if i:
            v -= m_off[meta[v] & _MOVE_BITS]
    return out


@numba.njit(cache=True)
def _ring_min_f(
    rec, meta, W, pad, rows, cols, top, bottom, left, right, t_row, t_col, t_z, hkind, hp,
    metric, dx, dy,
):  # fmt: skip
    """Least ``g + h`` over expanded cells within ``pad`` of the window's open sides.

    A path that leaves the window must pass through such a cell (a move spans at most
    ``pad`` cells), so its cost is at least this; see :func:`_windowed`.
    """
    dd = math.sqrt(dx * dx + dy * dy)
    kx = math.sqrt(4.0 * dx * dx + dy * dy)
    ky = math.sqrt(dx * dx + 4.0 * dy * dy)
    best = np.inf
    for i in range(rows):
        near_row = (top and i < pad) or (bottom and i >= rows - pad)
        for j in range(cols):
            if not (near_row or (left and j < pad) or (right and j >= cols - pad)):
                continue
            v = (i + pad) * W + j + pad
            if not meta[v] & _CLOSED:
                continue
            f = rec[v, 0]
            if hkind >= 0:
                f += _heuristic(
                    i + pad, j + pad, rec[v, 1], t_row, t_col, t_z, hkind, hp, metric, dx, dy,
                    dd, kx, ky,
                )  # fmt: skip
            if f < best:
                best = f
    return best


@numba.njit(cache=True)
def _fill_record(src, pad, rec, barrier, has_barrier, fric, has_fric, nonneg):
    """Fill the padded record in one pass: cost ``inf``; value ``src``, ``NaN`` if impassable."""
    rows, cols = src.shape
    W = cols + 2 * pad
    n = rec.shape[0]
    for i in range(n):
        rec[i, 0] = np.inf
    for i in range(rows + 2 * pad):
        base = i * W
        inside = pad <= i < rows + pad
        for j in range(W):
            x = np.nan
            if inside and pad <= j < cols + pad:
                y = src[i - pad, j - pad]
                ok = np.isfinite(y)
                if nonneg and y < 0.0:
                    ok = False
                if has_barrier and barrier[i - pad, j - pad]:
                    ok = False
                if has_fric and not np.isfinite(fric[i - pad, j - pad]):
                    ok = False
                if ok:
                    x = y
            rec[base + j, 1] = x


@numba.njit(cache=True)
def _path_steps(
    cells, rec, W, pad, m_dr, m_dc, m_off, m_len, m_kind, m_s1, m_s2, model_id, params,
    has_path, on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
):  # fmt: skip
    """Per-step ``(time, cost)`` along ``cells`` ([row, col], unpadded); -1 = not a move."""
    n = cells.shape[0]
    times = np.empty(max(n - 1, 0), np.float64)
    costs = np.empty(max(n - 1, 0), np.float64)
    lut = _move_lut(m_dr, m_dc)
    for i in range(n - 1):
        r0 = cells[i, 0]
        c0 = cells[i, 1]
        dr = cells[i + 1, 0] - r0
        dc = cells[i + 1, 1] - c0
        if abs(dr) > 2 or abs(dc) > 2 or lut[dr + 2, dc + 2] < 0:
            times[i] = -1.0
            costs[i] = -1.0
            continue
        u = (r0 + pad) * W + c0 + pad
        k = lut[dr + 2, dc + 2]
        costs[i] = _step(
            u, k, rec, m_off, m_len, m_kind, m_s1, m_s2, model_id, params, has_path,
            on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
        )  # fmt: skip
        # The time is the cost without the risk weighting.
        times[i] = _step(
            u, k, rec, m_off, m_len, m_kind, m_s1, m_s2, model_id, params, has_path,
            on_path, has_speed, speed, has_expo, expo, has_fric, fric, 0.0,
        )  # fmt: skip
    return times, costs


@numba.njit(cache=True)
def _move_lut(m_dr, m_dc):
    """5x5 table: move index of (d_row + 2, d_col + 2), or -1."""
    lut = np.full((5, 5), -1, np.int64)
    for k in range(m_dr.shape[0]):
        lut[m_dr[k] + 2, m_dc[k] + 2] = k
    return lut


@numba.njit(cache=True)
def _finite_min_max(a):
    lo = np.inf
    hi = -np.inf
    for x in a.ravel():
        if x == x:
            lo = min(lo, x)
            hi = max(hi, x)
    return lo, hi


@numba.njit(cache=True)
def _all_equal(a, value):
    """True if every element of ``a`` equals ``value`` (so False if any is NaN)."""
    for x in a.ravel():  # noqa: SIM110 (numba compiles the loop, not all() of a generator)
        if x != value:
            return False
    return True


# --------------------------------------------------------------------------------------
# Straight legs, for :mod:`safeconduct.routing.simplify` (kept here, beside the step cost
# they inline, because numba's disk cache only notices changes to a function's own file)


@numba.njit(cache=True)
def _line(r0, c0, r1, c1):
    """8-connected Bresenham cells from (r0, c0) to (r1, c1) inclusive; a knight's move as is."""
    dr = r1 - r0
    dc = c1 - c0
    adr = abs(dr)
    adc = abs(dc)
    if (adr == 2 and adc == 1) or (adr == 1 and adc == 2):
        out = np.empty((2, 2), np.int64)
        out[0, 0], out[0, 1], out[1, 0], out[1, 1] = r0, c0, r1, c1
        return out
    n = max(adr, adc) + 1
    out = np.empty((n, 2), np.int64)
    sr = 1 if dr > 0 else -1
    sc = 1 if dc > 0 else -1
    r = r0
    c = c0
    if adc >= adr:
        err = 2 * adr - adc
        for i in range(n):
            out[i, 0] = r
            out[i, 1] = c
            if err > 0:
                r += sr
                err -= 2 * adc
            err += 2 * adr
            c += sc
    else:
        err = 2 * adc - adr
        for i in range(n):
            out[i, 0] = r
            out[i, 1] = c
            if err > 0:
                c += sc
                err -= 2 * adr
            err += 2 * adc
            r += sr
    return out


@numba.njit(cache=True)
def _traverse(r0, c0, r1, c1):
    """Cells whose interior the segment between two cell centres crosses, in order, and
    the side-cell pairs of the cell corners it passes exactly through.

    Returns ``(cells (n, 2), corners (m, 4) as [row_a, col_a, row_b, col_b])``.
    """
    ny = abs(r1 - r0)
    nx = abs(c1 - c0)
    sy = 1 if r1 > r0 else -1
    sx = 1 if c1 > c0 else -1
    cells = np.empty((nx + ny + 1, 2), np.int64)
    corners = np.empty((min(nx, ny) + 1, 4), np.int64)
    k = 0
    m = 0
    r = r0
    c = c0
    cells[k, 0], cells[k, 1] = r, c
    k += 1
    ix = 0
    iy = 0
    while ix < nx or iy < ny:
        # Compare where the segment next leaves the cell: across a column edge, a row edge,
        # or both at once (exactly through a corner).
        decision = (1 + 2 * ix) * ny - (1 + 2 * iy) * nx
        if decision == 0:
            corners[m, 0], corners[m, 1], corners[m, 2], corners[m, 3] = r, c + sx, r + sy, c
            m += 1
            r += sy
            c += sx
            ix += 1
            iy += 1
        elif decision < 0:
            c += sx
            ix += 1
        else:
            r += sy
            iy += 1
        cells[k, 0], cells[k, 1] = r, c
        k += 1
    return cells[:k], corners[:m]


@numba.njit(cache=True)
def _leg_cost(
    r0, c0, r1, c1, rec, W, pad, lut, m_off, m_len, m_kind, m_s1, m_s2, model_id, params,
    has_path, on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
):  # fmt: skip
    """Cost of the straight leg, or ``inf`` if it is not safe (see the module docstring)."""
    cells, corners = _traverse(r0, c0, r1, c1)
    for i in range(cells.shape[0]):
        v = (cells[i, 0] + pad) * W + cells[i, 1] + pad
        if rec[v, 1] != rec[v, 1]:
            return np.inf
    for i in range(corners.shape[0]):  # the search's diagonal rule, at every corner
        a = (corners[i, 0] + pad) * W + corners[i, 1] + pad
        b = (corners[i, 2] + pad) * W + corners[i, 3] + pad
        if rec[a, 1] != rec[a, 1] and rec[b, 1] != rec[b, 1]:
            return np.inf
    line = _line(r0, c0, r1, c1)
    total = 0.0
    for i in range(line.shape[0] - 1):
        u = (line[i, 0] + pad) * W + line[i, 1] + pad
        k = lut[line[i + 1, 0] - line[i, 0] + 2, line[i + 1, 1] - line[i, 1] + 2]
        total += _step(
            u, k, rec, m_off, m_len, m_kind, m_s1, m_s2, model_id, params, has_path,
            on_path, has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
        )  # fmt: skip
        if total == np.inf:
            return np.inf
    return total


@numba.njit(cache=True)
def _greedy(
    cells, prefix, eps, max_misses, rec, W, pad, lut, m_off, m_len, m_kind, m_s1, m_s2,
    model_id, params, has_path, on_path, has_speed, speed, has_expo, expo, has_fric, fric,
    risk_weight,
):  # fmt: skip
    n = cells.shape[0]
    keep = np.empty(n, np.int64)
    keep[0] = 0
    m = 1
    i = 0
    while i < n - 1:
        best = i + 1
        misses = 0
        for j in range(i + 2, n):
            budget = (prefix[j] - prefix[i]) * (1.0 + eps)
            cost = _leg_cost(
                cells[i, 0], cells[i, 1], cells[j, 0], cells[j, 1], rec, W, pad, lut,
                m_off, m_len, m_kind, m_s1, m_s2, model_id, params, has_path, on_path,
                has_speed, speed, has_expo, expo, has_fric, fric, risk_weight,
            )  # fmt: skip
            if cost <= budget:
                best = j
                misses = 0
            else:
                misses += 1
                if misses > max_misses:
                    break
        keep[m] = best
        m += 1
        i = best
    return keep[:m]


# --------------------------------------------------------------------------------------
# Preparation: padded copies, move tables, bounds


@dataclass(frozen=True)
class _Prepared:
    """Padded grids, move tables and bounds for searches and path costs."""

    rows: int
    cols: int
    pad: int
    W: int
    rec: np.ndarray
    m_off: np.ndarray
    m_dr: np.ndarray
    m_dc: np.ndarray
    m_len: np.ndarray
    m_kind: np.ndarray
    m_s1: np.ndarray
    m_s2: np.ndarray
    model_id: int
    params: np.ndarray
    has_path: bool
    on_path: np.ndarray
    has_speed: bool
    speed: np.ndarray
    has_expo: bool
    expo: np.ndarray
    has_fric: bool
    fric: np.ndarray
    risk_weight: float
    hkind: int  # heuristic family, see _heuristic
    hp: np.ndarray  # heuristic parameters
    min_cost_per_m: float  # lower bound on any step's cost per horizontal metre
    dx: float
    dy: float

    @property
    def step_args(self) -> tuple:
        """Arguments of ``_step`` after ``(u, k)``, in order."""
        return (
            self.rec, self.m_off, self.m_len, self.m_kind, self.m_s1, self.m_s2,
            self.model_id, self.params, self.has_path, self.on_path, self.has_speed,
            self.speed, self.has_expo, self.expo, self.has_fric, self.fric, self.risk_weight,
        )  # fmt: skip

    def flat(self, row: int, col: int) -> int:
        """Padded flat index of ``[row, col]``."""
        return (row + self.pad) * self.W + col + self.pad

    def unflat(self, idx: np.ndarray) -> np.ndarray:
        """``(n, 2)`` ``[row, col]`` of padded flat indices."""
        r, c = np.divmod(idx, self.W)
        return np.column_stack((r - self.pad, c - self.pad)).astype(np.int64)

    def passable(self, row: int, col: int) -> bool:
        """True if the cell is neither nodata nor a barrier."""
        return not math.isnan(self.rec[self.flat(row, col), 1])


def _padded(arr: np.ndarray | None, pad: int, dtype, fill) -> tuple[bool, np.ndarray]:
    if arr is None:
        return False, np.zeros(1, dtype)
    out = np.full((arr.shape[0] + 2 * pad, arr.shape[1] + 2 * pad), fill, dtype)
    out[pad:-pad, pad:-pad] = arr
    return True, out.ravel()


def _move_tables(W: int, dx: float, dy: float, knight: bool):
    moves = _MOVES_8 + (_MOVES_KNIGHT if knight else ())
    n = len(moves)
    m_off = np.empty(n, np.int64)
    m_dr = np.empty(n, np.int64)
    m_dc = np.empty(n, np.int64)
    m_len = np.empty(n, np.float64)
    m_kind = np.empty(n, np.int64)
    m_s1 = np.zeros(n, np.int64)
    m_s2 = np.zeros(n, np.int64)
    for k, (dr, dc) in enumerate(moves):
        m_dr[k], m_dc[k] = dr, dc
        m_off[k] = dr * W + dc
        # r.walk's lengths: ew_res, ns_res, sqrt(ns^2 + ew^2), sqrt(4 ns^2 + ew^2), ...
        m_len[k] = math.sqrt((dr * dy) ** 2 + (dc * dx) ** 2)
        if dr == 0 or dc == 0:
            m_kind[k] = _STRAIGHT
        elif abs(dr) == abs(dc):
            m_kind[k] = _DIAGONAL
            m_s1[k], m_s2[k] = dr * W, dc  # the two orthogonal neighbours
        else:
            m_kind[k] = _KNIGHT
            if abs(dr) == 2:  # passes between (r + dr/2, c) and (r + dr/2, c + dc)
                m_s1[k], m_s2[k] = (dr // 2) * W, (dr // 2) * W + dc
            else:  # passes between (r, c + dc/2) and (r + dr, c + dc/2)
                m_s1[k], m_s2[k] = dc // 2, dr * W + dc // 2
    return m_off, m_dr, m_dc, m_len, m_kind, m_s1, m_s2


def _heuristic_params(
    model: ToblerModel | RWalkModel | None, per_m: float, mult: float, fric_min: float,
    on_path_any: bool,
) -> tuple[int, np.ndarray]:  # fmt: skip
    """Heuristic family and parameters (see :func:`_heuristic`)."""
    hp = np.zeros(8)
    hp[0] = mult
    if isinstance(model, ToblerModel):
        hp[1] = model.min_cost_per_metre(on_path_possible=True) * (
            1.0 if on_path_any else 1.0 / model.off_path_factor
        )
        return _H_TOBLER, hp
    if isinstance(model, RWalkModel):
        a = model.a + model.lambda_ * fric_min
        b, c, d, sf = model.b, model.c, model.d, model.slope_factor
        if sf < 0 and d <= 0 <= c <= b:  # the shape the envelope derivation assumes
            hp[1:7] = (a, b, c, sf, a + (c - d) * sf, d)
            return _H_RWALK, hp
    if per_m > 0:
        hp[1] = per_m
        return _H_LINEAR, hp
    return _NO_HEURISTIC, hp


@dataclass(frozen=True)
class _Bounds:
    """Whole-grid extremes the heuristic's lower bound rests on.

    Taken over the whole grid even when a window is searched, so that the bound also
    holds for paths that leave the window.
    """

    on_path_any: bool = False
    fric_min: float = 0.0
    speed_max: float | None = None
    expo_min: float | None = None
    iso_min: float = 0.0
    iso_median: float = 0.0
    #: The speed grid is 1 everywhere (hazards without woodland): dividing by 1 changes no
    #: cost, so the search may leave it out, and with it the slower per-step layer code.
    speed_is_one: bool = False
    #: The exposure grid is 0 everywhere (no observer sees the area): likewise.
    expo_is_zero: bool = False


@numba.njit(cache=True)
def _passable_min(a):
    lo = np.inf
    for x in a.ravel():
        if x >= 0.0 and x < lo:  # False for NaN
            lo = x
    return lo


def _grid_bounds(
    grids: SearchGrids, model: ToblerModel | RWalkModel | None, risk_weight: float, iso: bool
) -> _Bounds:
    if iso:
        costs = grids.elevation
        sample = costs.ravel()[:: max(1, costs.size // 65_536)]
        sample = sample[np.isfinite(sample) & (sample >= 0)]
        lo = float(_passable_min(costs))
        return _Bounds(
            iso_min=lo if math.isfinite(lo) else 0.0,
            iso_median=float(np.median(sample)) if sample.size else 0.0,
        )
    fric_min = 0.0
    if isinstance(model, RWalkModel) and grids.friction is not None and model.lambda_ > 0:
        fric_min = max(float(_finite_min_max(grids.friction)[0]), 0.0)
    speed_max = expo_min = None
    speed_is_one = expo_is_zero = False
    if grids.speed_factor is not None:
        speed_max = float(_finite_min_max(grids.speed_factor)[1])
        speed_is_one = speed_max == 1.0 and bool(_all_equal(grids.speed_factor, 1.0))
    if grids.exposure is not None and risk_weight > 0:
        expo_min = float(_finite_min_max(grids.exposure)[0])
        if expo_min < 0:
            raise ValueError("exposure must be >= 0 everywhere")
        expo_is_zero = expo_min == 0.0 and bool(_all_equal(grids.exposure, 0.0))
    return _Bounds(
        on_path_any=isinstance(model, ToblerModel)
        and grids.on_path is not None
        and bool(grids.on_path.any()),
        fric_min=fric_min,
        speed_max=speed_max,
        expo_min=expo_min,
        speed_is_one=speed_is_one,
        expo_is_zero=expo_is_zero,
    )


def _prepare(
    grids: SearchGrids,
    model: ToblerModel | RWalkModel | None,
    *,
    risk_weight: float,
    knight: bool,
    iso_costs: np.ndarray | None = None,
    bounds: _Bounds | None = None,
) -> _Prepared:
    """Pad the grids, build the move tables and bound the cheapest step.

    ``bounds`` (whole-grid extremes, for a window) are computed from ``grids`` if omitted.
    """
    if not (risk_weight >= 0.0 and math.isfinite(risk_weight)):
        raise ValueError(f"risk_weight must be a finite number >= 0, got {risk_weight!r}")
    iso = iso_costs is not None
    if bounds is None:
        bounds = _grid_bounds(grids, model, risk_weight, iso)
    rows, cols = grids.shape
    dx, dy = (float(v) for v in grids.cell_size)
    pad = 2 if knight else 1
    W = cols + 2 * pad
    src = grids.elevation if iso_costs is None else iso_costs
    rec = np.empty(((rows + 2 * pad) * W, 2), np.float64)
    use_fric = isinstance(model, RWalkModel) and grids.friction is not None
    _fill_record(
        np.asarray(src, dtype=np.float64),
        pad,
        rec,
        grids.barrier if grids.barrier is not None else np.zeros((1, 1), np.bool_),
        grids.barrier is not None,
        grids.friction if use_fric else np.zeros((1, 1), np.float32),
        use_fric,
        iso,
    )
    if iso:
        model_id = ISOTROPIC_ID
        params = np.zeros(N_KERNEL_PARAMS)
        per_m = bounds.iso_min
    else:
        assert model is not None
        model_id = model.model_id
        params = np.asarray(model.kernel_params(), dtype=np.float64)
        per_m = model.min_cost_per_metre(on_path_possible=bounds.on_path_any)
        if use_fric and model_id == RWALK_ID:
            per_m += params[5] * bounds.fric_min
    has_path, on_path = _padded(
        grids.on_path if model_id == TOBLER_ID and bounds.on_path_any else None,
        pad, np.bool_, False,
    )  # fmt: skip
    # A speed grid of ones or an exposure grid of zeros changes no step's cost (x / 1,
    # x * (1 + w * 0)): leave them out, which also lets the plain search run.
    has_speed, speed = _padded(
        None if bounds.speed_is_one else grids.speed_factor, pad, np.float32, 0.0
    )
    has_expo, expo = _padded(
        grids.exposure if risk_weight > 0 and not bounds.expo_is_zero else None,
        pad, np.float32, 0.0,
    )  # fmt: skip
    has_fric, fric = _padded(grids.friction if use_fric else None, pad, np.float32, 0.0)
    # Every step costs at least `mult` times the plain model's cost.
    mult = 1.0
    if bounds.speed_max is not None and bounds.speed_max > 0:
        mult = 1.0 / bounds.speed_max
    if bounds.expo_min is not None:
        mult *= 1.0 + risk_weight * bounds.expo_min
    per_m *= mult
    hkind, hp = _heuristic_params(model, per_m, mult, bounds.fric_min, bounds.on_path_any)
    if iso and per_m < _ISO_ASTAR_MIN_TIGHTNESS * bounds.iso_median:
        # min cost x distance is a weak bound where costs vary: A* then prunes little but
        # loses the bucket order's locality, and plain Dijkstra is faster.
        hkind = _NO_HEURISTIC
    tables = _move_tables(W, dx, dy, knight)
    return _Prepared(
        rows, cols, pad, W, rec, *tables, model_id, params,
        has_path, on_path, has_speed, speed, has_expo, expo, has_fric, fric,
        float(risk_weight), hkind, hp, float(per_m) if math.isfinite(per_m) else 0.0, dx, dy,
    )  # fmt: skip


def _check_cell(cell: Sequence[int], shape: tuple[int, int], what: str) -> tuple[int, int]:
    r, c = int(cell[0]), int(cell[1])
    if not (0 <= r < shape[0] and 0 <= c < shape[1]):
        raise OutOfRangeError(
            f"{what} [row {r}, col {c}] lies outside the {shape[0]} x {shape[1]} grid"
        )
    return r, c


def _run(
    prep: _Prepared,
    start: tuple[int, int],
    targets: list[tuple[int, int]],
    sides: tuple[bool, bool, bool, bool] | None = None,
) -> tuple[np.ndarray, int, float, int, float]:
    """Run the kernel once on ``prep`` (it fills ``prep.rec[:, 0]``).

    Returns ``(meta, best target flat index, its cost, expansions, ring bound)``: the ring
    bound is :func:`_ring_min_f` over the open ``sides`` (top, bottom, left, right) of a
    window, ``inf`` without.
    """
    if not prep.passable(*start):
        raise UnreachableError(
            f"the start [row {start[0]}, col {start[1]}] lies on a barrier or a nodata cell; "
            "move it onto open ground"
        )
    meta = np.zeros(prep.rec.shape[0], np.uint8)
    t_idx = np.array([prep.flat(*t) for t in targets], dtype=np.int64)
    t_row = np.array([t[0] + prep.pad for t in targets], dtype=np.int64)
    t_col = np.array([t[1] + prep.pad for t in targets], dtype=np.int64)
    t_z = np.array([prep.rec[i, 1] for i in t_idx], dtype=np.float64)
    hkind = prep.hkind if targets else _NO_HEURISTIC
    metric = _flat_metric(len(prep.m_off) > 8, prep.dx, prep.dy)
    # Bucket width: the cheapest possible step, which makes Dijkstra exact with no cell
    # expanded twice; narrower under A*, whose reduced step costs can be near zero, to
    # keep reopening rare.
    w = prep.min_cost_per_m * min(prep.dx, prep.dy)
    if hkind != _NO_HEURISTIC:
        w *= _ASTAR_WIDTH
    if not (w > 0 and math.isfinite(w)):
        w = _fallback_width(prep)
    plain = not (prep.has_path or prep.has_speed or prep.has_expo or prep.has_fric)
    search = _SEARCHES[(prep.model_id, plain)]
    best_t, best, expanded = search(
        prep.rec, meta, prep.W, prep.m_off, prep.m_dr, prep.m_dc, prep.m_len, prep.m_s1,
        prep.m_s2, prep.params, prep.has_path, prep.on_path,
        prep.has_speed, prep.speed, prep.has_expo, prep.expo, prep.has_fric, prep.fric,
        prep.risk_weight, prep.flat(*start), t_idx, t_row, t_col, t_z, hkind, prep.hp,
        metric, prep.dx, prep.dy, w,
    )  # fmt: skip
    ring = math.inf
    if sides is not None and any(sides):
        ring = _ring_min_f(
            prep.rec, meta, prep.W, prep.pad, prep.rows, prep.cols, *sides, t_row, t_col,
            t_z, hkind, prep.hp, metric, prep.dx, prep.dy,
        )  # fmt: skip
    return meta, int(best_t), float(best), int(expanded), float(ring)


def _flat_metric(knight: bool, dx: float, dy: float) -> int:
    """Which exact flat grid distance the heuristic may use: 1 octile, 2 16-neighbour.

    The 16-neighbour distance splits a displacement between the two move directions
    either side of it; that is the shortest walk only if every knight's move direction is
    a vertex of the moves' unit polygon, which holds unless the cells are very elongated.
    Otherwise 0: the Euclidean distance (always a lower bound).
    """
    if not knight:
        return 1

    def outside(p, q, m) -> bool:  # is m beyond the chord p-q of the unit polygon?
        unit = [np.array(v) / math.hypot(*v) for v in (p, q, m)]
        a, b, x = unit
        return float(np.cross(b - a, x - a)) * float(np.cross(b - a, -a)) < 0

    straight_c, straight_r, diag = (dx, 0.0), (0.0, dy), (dx, dy)
    knight_c, knight_r = (2 * dx, dy), (dx, 2 * dy)
    if (
        outside(straight_c, diag, knight_c)
        and outside(diag, straight_r, knight_r)
        and outside(knight_c, knight_r, diag)
    ):
        return 2
    return 0


def _fallback_width(prep: _Prepared) -> float:
    # Zero-cost steps are possible (an isotropic grid with zeros): any positive width is
    # still exact (cells get reopened); take a quarter of a typical step.
    vals = prep.rec[:, 1]
    finite = vals[np.isfinite(vals)]
    typical = float(np.mean(np.abs(finite))) if finite.size else 1.0
    w = 0.25 * typical * min(prep.dx, prep.dy)
    return w if w > 0 and math.isfinite(w) else 1.0


def _path_result(
    prep: _Prepared,
    meta: np.ndarray,
    start: tuple[int, int],
    targets: list[tuple[int, int]],
    best_t: int,
    best: float,
    expanded: int,
) -> PathResult:
    if best_t < 0:
        raise UnreachableError(
            f"no admissible route from the start to any of the {len(targets)} target(s); "
            "barriers, nodata or the slope limit enclose the start or every target"
        )
    flat = _trace(meta, prep.m_off, prep.flat(*start), best_t)
    cells = prep.unflat(flat)
    target_cell = (int(cells[-1, 0]), int(cells[-1, 1]))
    return PathResult(cells, best, targets.index(target_cell), expanded)


def _unpad(prep: _Prepared) -> np.ndarray:
    p = prep.pad
    return prep.rec[:, 0].reshape(-1, prep.W)[p:-p, p:-p].copy()


#: Grids smaller than this are searched whole.
_WINDOW_MIN_CELLS = 1 << 20
#: A first window extends at least this many cells, and half the start-target span,
#: beyond the start and targets; each retry doubles the margin.
_WINDOW_MIN_MARGIN = 64


def _windowed(
    grids: SearchGrids,
    model: ToblerModel | RWalkModel | None,
    start: tuple[int, int],
    targets: list[tuple[int, int]],
    *,
    risk_weight: float,
    knight: bool,
    iso: bool = False,
) -> PathResult:
    """Least-cost path, searching a window around the start and targets first.

    Preparing the whole grid costs about as much as a short route's search, so a route of
    a few km on a large DEM is searched in a window around its ends, with the window's
    outside impassable. That answer is exact if every path leaving the window costs at
    least as much: any such path passes through a cell within one move of an open side,
    and costs at least ``g + h`` there (``g`` exact inside the window, ``h`` the
    admissible heuristic); cells A* never expanded have ``g + h`` above the answer
    already. Otherwise the margin doubles, up to the whole grid.
    """
    rows, cols = grids.shape
    pts = [start, *targets]
    r0, r1 = min(p[0] for p in pts), max(p[0] for p in pts)
    c0, c1 = min(p[1] for p in pts), max(p[1] for p in pts)
    margin = max(_WINDOW_MIN_MARGIN, max(r1 - r0, c1 - c0) // 2)
    bounds = _grid_bounds(grids, model, risk_weight, iso)
    expanded = 0
    while True:
        wr0, wr1 = max(0, r0 - margin), min(rows, r1 + margin + 1)
        wc0, wc1 = max(0, c0 - margin), min(cols, c1 + margin + 1)
        whole = rows * cols < _WINDOW_MIN_CELLS or (wr1 - wr0) * (wc1 - wc0) > rows * cols // 2
        if whole:
            wr0, wr1, wc0, wc1 = 0, rows, 0, cols
        sub = _window(grids, wr0, wr1, wc0, wc1)
        prep = _prepare(
            sub, model, risk_weight=risk_weight, knight=knight,
            iso_costs=sub.elevation if iso else None, bounds=bounds,
        )  # fmt: skip
        shift = [(p[0] - wr0, p[1] - wc0) for p in pts]
        sides = (wr0 > 0, wr1 < rows, wc0 > 0, wc1 < cols)
        meta, best_t, best, n, ring = _run(prep, shift[0], shift[1:], sides)
        expanded += n
        if whole or (best_t >= 0 and ring >= best * (1.0 - 1e-12)):
            found = _path_result(prep, meta, shift[0], shift[1:], best_t, best, expanded)
            cells = found.cells + np.array([wr0, wc0], dtype=np.int64)
            return PathResult(cells, found.cost, found.target_index, expanded)
        margin *= 2


def _window(grids: SearchGrids, r0: int, r1: int, c0: int, c1: int) -> SearchGrids:
    if (r0, c0) == (0, 0) and (r1, c1) == grids.shape:
        return grids

    def cut(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[r0:r1, c0:c1]

    return SearchGrids(
        grids.elevation[r0:r1, c0:c1], grids.cell_size, cut(grids.barrier), cut(grids.on_path),
        cut(grids.speed_factor), cut(grids.exposure), cut(grids.friction),
    )  # fmt: skip


# --------------------------------------------------------------------------------------
# Public API


def least_cost_path(
    grids: SearchGrids,
    start: tuple[int, int],
    targets: Sequence[tuple[int, int]],
    model: ToblerModel | RWalkModel,
    *,
    risk_weight: float = 0.0,
    knight: bool = False,
) -> PathResult:
    """Exact least-cost path from ``start`` to the cheapest of ``targets``.

    Parameters
    ----------
    grids
        The DEM and optional layers.
    start
        ``[row, col]`` of the walker.
    targets
        ``[row, col]`` of each reception point; the path ends at the cheapest one.
    model
        The walking-cost model; costs are for walking *from* ``start`` (dH is signed in the
        direction of travel).
    risk_weight
        Each step's cost is multiplied by ``1 + risk_weight * mean exposure`` (>= 0).
    knight
        Add knight's moves (16 neighbours), like r.walk ``-k``.

    Returns
    -------
    PathResult

    Raises
    ------
    OutOfRangeError
        If the start or a target lies off the grid.
    UnreachableError
        If the start is impassable or no target can be reached.
    """
    start = _check_cell(start, grids.shape, "the start")
    tlist = [_check_cell(t, grids.shape, f"target {i}") for i, t in enumerate(targets)]
    if not tlist:
        raise ValueError("least_cost_path needs at least one target")
    return _windowed(grids, model, start, tlist, risk_weight=risk_weight, knight=knight)


def accumulated_cost(
    grids: SearchGrids,
    start: tuple[int, int],
    model: ToblerModel | RWalkModel,
    *,
    risk_weight: float = 0.0,
    knight: bool = False,
) -> np.ndarray:
    """Cost of the cheapest walk from ``start`` to every cell (r.walk's output raster).

    Returns
    -------
    numpy.ndarray
        float64 ``[row, col]`` on the grid; 0 at the start, ``inf`` where unreachable.
    """
    start = _check_cell(start, grids.shape, "the start")
    prep = _prepare(grids, model, risk_weight=risk_weight, knight=knight)
    _run(prep, start, [])
    return _unpad(prep)


def step_costs_along(
    grids: SearchGrids,
    cells: np.ndarray,
    model: ToblerModel | RWalkModel,
    *,
    risk_weight: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-step walking time and cost along a cell path, for reporting.

    Parameters
    ----------
    cells
        ``(n, 2)`` ``[row, col]``; consecutive cells must be neighbours or a knight's move
        apart.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``n - 1`` times in seconds without risk weighting, and the costs the search
        summed (with risk weighting). ``inf`` for a barred step.
    """
    cells = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    if cells.shape[0] and (
        (cells.min(axis=0) < 0).any() or (cells.max(axis=0) >= np.array(grids.shape)).any()
    ):
        raise OutOfRangeError("the path leaves the grid")
    knight = bool(np.any(np.abs(np.diff(cells, axis=0)) == 2)) if len(cells) > 1 else False
    sub, local = _crop(grids, cells)
    prep = _prepare(sub, model, risk_weight=risk_weight, knight=knight)
    times, costs = _path_steps(
        local, prep.rec, prep.W, prep.pad, prep.m_dr, prep.m_dc, *_tables_and_fields(prep)
    )
    if (times < 0).any():
        raise ValueError("consecutive path cells must be neighbours or a knight's move apart")
    return times, costs


def _crop(grids: SearchGrids, cells: np.ndarray) -> tuple[SearchGrids, np.ndarray]:
    """The grids cut to the bounding box of ``cells``, and ``cells`` in the cut.

    Every step between the cells, straight legs between them, and the cells a diagonal or
    knight's move passes between, lie in that box; so evaluating steps there needs no
    preparation of the whole grid.
    """
    if not len(cells):
        return grids, cells
    (r0, c0), (r1, c1) = cells.min(axis=0), cells.max(axis=0) + 1
    return _window(grids, int(r0), int(r1), int(c0), int(c1)), cells - np.array([r0, c0])


def _tables_and_fields(prep: _Prepared) -> tuple:
    return (prep.m_off, prep.m_len, prep.m_kind, prep.m_s1, prep.m_s2, *prep.step_args[6:])


def _iso_grids(costs: np.ndarray, cell_size: tuple[float, float]) -> SearchGrids:
    costs = np.asarray(costs, dtype=np.float64)
    return SearchGrids(elevation=costs, cell_size=cell_size)


def isotropic_cost_path(
    costs: np.ndarray,
    start: tuple[int, int],
    targets: Sequence[tuple[int, int]],
    cell_size: tuple[float, float] = (1.0, 1.0),
    *,
    knight: bool = False,
) -> PathResult:
    """Least-cost path on an isotropic cost grid, scikit-image ``MCP_Geometric``'s way.

    A step costs the mean of its two cells' costs times its length (``cell_size`` units;
    the mean of four cells for a knight's move). Negative, ``NaN`` and infinite costs are
    impassable. Same search as :func:`least_cost_path`.

    Parameters
    ----------
    costs
        ``[row, col]`` cost per unit length.
    cell_size
        ``(dx, dy)``; ``MCP_Geometric(costs, sampling=(dy, dx))`` matches.
    """
    grids = _iso_grids(costs, cell_size)
    start = _check_cell(start, grids.shape, "the start")
    tlist = [_check_cell(t, grids.shape, f"target {i}") for i, t in enumerate(targets)]
    if not tlist:
        raise ValueError("isotropic_cost_path needs at least one target")
    return _windowed(grids, None, start, tlist, risk_weight=0.0, knight=knight, iso=True)


def isotropic_accumulated_cost(
    costs: np.ndarray,
    start: tuple[int, int],
    cell_size: tuple[float, float] = (1.0, 1.0),
    *,
    knight: bool = False,
) -> np.ndarray:
    """Accumulated cost from ``start`` on an isotropic grid (``MCP_Geometric.find_costs``).

    Returns
    -------
    numpy.ndarray
        float64 ``[row, col]``; 0 at the start, ``inf`` where unreachable.
    """
    grids = _iso_grids(costs, cell_size)
    start = _check_cell(start, grids.shape, "the start")
    prep = _prepare(grids, None, risk_weight=0.0, knight=knight, iso_costs=grids.elevation)
    _run(prep, start, [])
    return _unpad(prep)


__all__ = [
    "PathResult",
    "SearchGrids",
    "accumulated_cost",
    "isotropic_accumulated_cost",
    "isotropic_cost_path",
    "least_cost_path",
    "step_costs_along",
]
