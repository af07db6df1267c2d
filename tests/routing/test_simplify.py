"""Path simplification: few straight legs, never through a barrier, at most 1 % dearer."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.errors import UnreachableError
from safeconduct.routing.kernels import SearchGrids, least_cost_path, step_costs_along
from safeconduct.routing.models import RWalkModel, ToblerModel
from safeconduct.routing.simplify import (
    crossed_cells,
    leg_cost,
    path_cells_between,
    simplify_path,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(st.integers(-30, 30), st.integers(-30, 30))
def test_line_is_8_connected_and_straight(dr, dc):
    line = path_cells_between((5, 7), (5 + dr, 7 + dc))
    assert tuple(line[0]) == (5, 7) and tuple(line[-1]) == (5 + dr, 7 + dc)
    steps = np.diff(line, axis=0)
    if sorted(map(abs, (dr, dc))) == [1, 2]:
        assert len(line) == 2  # a knight's move stays one move
        return
    assert (np.abs(steps) <= 1).all() and (np.abs(steps).sum(axis=1) > 0).all()
    assert len(line) == max(abs(dr), abs(dc)) + 1
    # every cell is within half a cell of the true segment
    if dr or dc:
        p = line - (5, 7)
        dist = np.abs(p[:, 0] * dc - p[:, 1] * dr) / np.hypot(dr, dc)
        assert (dist <= 0.5 * max(abs(dr), abs(dc)) / np.hypot(dr, dc) + 1e-9).all()


def test_crossed_cells_and_corners():
    cells, corners = crossed_cells((0, 0), (2, 2))
    assert cells.tolist() == [[0, 0], [1, 1], [2, 2]]
    assert corners.tolist() == [[0, 1, 1, 0], [1, 2, 2, 1]]
    cells, corners = crossed_cells((0, 0), (1, 3))  # through the corner at (0.5, 1.5)
    assert cells.tolist() == [[0, 0], [0, 1], [1, 2], [1, 3]]
    assert corners.tolist() == [[0, 2, 1, 1]]
    cells, corners = crossed_cells((3, 3), (1, 2))  # a knight's move crosses both cells
    assert cells.tolist() == [[3, 3], [2, 3], [2, 2], [1, 2]] and len(corners) == 0


def entered_cells(a, b, per_cell=200):
    """Independent check: cells containing dense sample points of the segment, and the
    cell corners it passes through exactly."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    n = int(per_cell * max(1.0, np.abs(b - a).sum())) + 1
    pts = a + np.linspace(0.0, 1.0, n)[:, None] * (b - a)
    frac = pts + 0.5 - np.floor(pts + 0.5)
    on_edge = (np.abs(frac) < 1e-9) | (np.abs(frac - 1) < 1e-9)
    inside = ~on_edge.any(axis=1)
    cells = {tuple(c) for c in np.floor(pts[inside] + 0.5).astype(int)}
    corners = []
    d = b - a
    for r in range(int(min(a[0], b[0])), int(max(a[0], b[0]))):
        for c in range(int(min(a[1], b[1])) - 1, int(max(a[1], b[1])) + 1):
            p = np.array([r + 0.5, c + 0.5])
            if abs(d[0] * (p[1] - a[1]) - d[1] * (p[0] - a[0])) < 1e-9:
                sr, sc = int(np.sign(d[0])), int(np.sign(d[1]))
                before = np.floor(p - 0.01 * np.array([sr, sc]) + 0.5).astype(int)
                corners.append(((before[0], before[1] + sc), (before[0] + sr, before[1])))
    return cells, corners


def assert_legs_safe(cells, keep, barred):
    pts = cells[keep]
    for a, b in pairwise(pts):
        entered, corners = entered_cells(a, b)
        assert not (entered & barred), (a, b)
        for s1, s2 in corners:
            assert not (s1 in barred and s2 in barred), (a, b)


def route_cost(grids, cells, keep, model, risk):
    pts = cells[keep]
    total = 0.0
    for a, b in pairwise(pts):
        _, costs = step_costs_along(grids, path_cells_between(a, b), model, risk_weight=risk)
        total += costs.sum()
    return total


@st.composite
def landscapes(draw):
    rows, cols = draw(st.integers(6, 24)), draw(st.integers(6, 24))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    z = 50.0 + draw(st.sampled_from([0.0, 1.0, 4.0])) * rng.normal(0, 1, (rows, cols)).cumsum(0)
    barrier = rng.random((rows, cols)) < draw(st.sampled_from([0.0, 0.1, 0.25]))
    exposure = (rng.random((rows, cols)) < 0.3).astype(np.float32) * 2
    grids = SearchGrids(z, (5.0, 5.0), barrier=barrier, exposure=exposure)
    model = draw(st.sampled_from([ToblerModel(), ToblerModel(max_slope_deg=25.0), RWalkModel()]))
    start = (int(rng.integers(rows)), int(rng.integers(cols)))
    end = (int(rng.integers(rows)), int(rng.integers(cols)))
    barrier[start] = barrier[end] = False
    return grids, model, start, end, draw(st.sampled_from([0.0, 3.0])), draw(st.booleans())


@SETTINGS
@given(landscapes())
def test_simplified_route_is_safe_and_nearly_optimal(case):
    grids, model, start, end, risk, knight = case
    try:
        found = least_cost_path(grids, start, [end], model, risk_weight=risk, knight=knight)
    except UnreachableError:  # enclosed layouts are not this test's business
        return
    keep = simplify_path(found.cells, grids, model, risk_weight=risk)
    assert keep[0] == 0 and keep[-1] == len(found.cells) - 1
    assert (np.diff(keep) > 0).all()
    barred = {tuple(c) for c in np.argwhere(grids.barrier | ~np.isfinite(grids.elevation))}
    assert_legs_safe(found.cells, keep, barred)
    cost = route_cost(grids, found.cells, keep, model, risk)
    assert cost <= found.cost * 1.01 + 1e-9


def test_straight_valley_becomes_one_leg():
    z = np.zeros((30, 40))
    grids = SearchGrids(z, (5.0, 5.0))
    found = least_cost_path(grids, (3, 2), [(25, 37)], RWalkModel())
    keep = simplify_path(found.cells, grids, RWalkModel())
    assert len(keep) <= 3  # an 8-connected staircase on the flat: one or two legs


def test_legs_go_round_a_wall():
    z = np.zeros((20, 20))
    wall = np.zeros(z.shape, bool)
    wall[2:18, 10] = True
    grids = SearchGrids(z, (5.0, 5.0), barrier=wall)
    found = least_cost_path(grids, (10, 2), [(10, 17)], ToblerModel())
    keep = simplify_path(found.cells, grids, ToblerModel())
    assert 3 <= len(keep) <= 5
    assert_legs_safe(found.cells, keep, {tuple(c) for c in np.argwhere(wall)})
    assert leg_cost(grids, (10, 2), (10, 17), ToblerModel()) == np.inf


def test_zero_tolerance_keeps_the_optimum():
    rng = np.random.default_rng(4)
    z = rng.normal(0, 3, (15, 15)).cumsum(0)
    grids = SearchGrids(z, (5.0, 5.0))
    found = least_cost_path(grids, (0, 0), [(14, 14)], RWalkModel())
    keep = simplify_path(found.cells, grids, RWalkModel(), max_cost_increase=0.0)
    # never dearer; can be cheaper where a leg is a knight's move the 8-neighbour search
    # did not have
    assert route_cost(grids, found.cells, keep, RWalkModel(), 0.0) <= found.cost + 1e-9


def test_short_paths_are_kept_whole():
    grids = SearchGrids(np.zeros((3, 3)), (5.0, 5.0))
    assert simplify_path(np.array([[0, 0]]), grids, ToblerModel()).tolist() == [0]
    assert simplify_path(np.array([[0, 0], [1, 1]]), grids, ToblerModel()).tolist() == [0, 1]
