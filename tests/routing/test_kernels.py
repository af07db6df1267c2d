"""Search kernels: exact against scikit-image, a pure-Python Dijkstra and GRASS r.walk."""

from __future__ import annotations

import importlib.util
import math
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skimage.graph import MCP_Geometric

from safeconduct.errors import OutOfRangeError, UnreachableError
from safeconduct.routing import kernels
from safeconduct.routing.kernels import (
    SearchGrids,
    accumulated_cost,
    isotropic_accumulated_cost,
    isotropic_cost_path,
    least_cost_path,
    step_costs_along,
)
from safeconduct.routing.models import RWalkModel, ToblerModel
from tests.routing import reference

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RTOL = 1e-9
TOBLER_FLAT_OFF_PATH = math.exp(3.5 * 0.05)  # seconds per metre, pace 1, off-path 0.6


def close(a, b, rtol=RTOL):
    a, b = np.asarray(a, float), np.asarray(b, float)
    same_inf = np.array_equal(np.isinf(a), np.isinf(b))
    fin = np.isfinite(a)
    return same_inf and np.allclose(a[fin], b[fin], rtol=rtol, atol=1e-9)


# ---------------------------------------------------------------------------------------
# Isotropic mode against MCP_Geometric


@st.composite
def cost_grids(draw):
    rows, cols = draw(st.integers(2, 14)), draw(st.integers(2, 14))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    costs = rng.uniform(0.1, 5.0, (rows, cols))
    dx, dy = draw(st.sampled_from([(1.0, 1.0), (5.0, 5.0), (2.0, 3.5)]))
    start = (int(rng.integers(rows)), int(rng.integers(cols)))
    end = (int(rng.integers(rows)), int(rng.integers(cols)))
    return costs, (dx, dy), start, end


@SETTINGS
@given(cost_grids())
def test_isotropic_equals_mcp_geometric(case):
    costs, (dx, dy), start, end = case
    mcp = MCP_Geometric(costs, sampling=(dy, dx))
    cum, _ = mcp.find_costs([start])
    assert close(isotropic_accumulated_cost(costs, start, (dx, dy)), cum)
    found = isotropic_cost_path(costs, start, [end], (dx, dy))
    assert found.cost == pytest.approx(cum[end], rel=RTOL, abs=1e-9)
    assert tuple(found.cells[0]) == start and tuple(found.cells[-1]) == end


@pytest.mark.parametrize(
    ("model", "per_metre"),
    [
        (ToblerModel(), TOBLER_FLAT_OFF_PATH),
        (ToblerModel(pace_factor=0.5), 2 * TOBLER_FLAT_OFF_PATH),
        (RWalkModel(), 0.72),
    ],
)
def test_walking_models_on_flat_ground_equal_mcp(model, per_metre):
    rng = np.random.default_rng(3)
    flat = np.full((17, 23), 250.0)
    grids = SearchGrids(flat, (5.0, 4.0))
    mcp = MCP_Geometric(np.full(flat.shape, per_metre), sampling=(4.0, 5.0))
    cum, _ = mcp.find_costs([(3, 4)])
    assert close(accumulated_cost(grids, (3, 4), model), cum)
    for _ in range(5):
        end = (int(rng.integers(17)), int(rng.integers(23)))
        assert least_cost_path(grids, (3, 4), [end], model).cost == pytest.approx(cum[end])


# ---------------------------------------------------------------------------------------
# Anisotropic: against the pure-Python reference Dijkstra


@st.composite
def problems(draw, rwalk: bool):
    rows, cols = draw(st.integers(3, 9)), draw(st.integers(3, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    relief = draw(st.sampled_from([0.0, 0.5, 3.0]))
    z = 100.0 + relief * rng.normal(0.0, 1.0, (rows, cols)).cumsum(axis=0)
    z[rng.random((rows, cols)) < draw(st.sampled_from([0.0, 0.1]))] = np.nan
    kw: dict = {}
    if draw(st.booleans()):
        kw["barrier"] = rng.random((rows, cols)) < draw(st.sampled_from([0.1, 0.3]))
    if draw(st.booleans()):
        kw["on_path"] = rng.random((rows, cols)) < 0.4
    if draw(st.booleans()):
        speed = rng.uniform(0.3, 1.5, (rows, cols))
        speed[rng.random((rows, cols)) < 0.1] = 0.0
        kw["speed_factor"] = speed.astype(np.float32)
    if draw(st.booleans()):
        kw["exposure"] = rng.integers(0, 4, (rows, cols)).astype(np.float32)
    if rwalk and draw(st.booleans()):
        kw["friction"] = rng.uniform(0.0, 2.0, (rows, cols)).astype(np.float32)
    cell = draw(st.sampled_from([(5.0, 5.0), (2.0, 3.5)]))
    grids = SearchGrids(z, cell, **kw)
    if rwalk:
        model = RWalkModel(lambda_=draw(st.sampled_from([0.0, 0.7])))
    else:
        model = ToblerModel(
            pace_factor=draw(st.sampled_from([1.0, 0.6])),
            max_slope_deg=draw(st.sampled_from([None, 15.0, 35.0])),
        )
    start = (int(rng.integers(rows)), int(rng.integers(cols)))
    targets = [
        (int(rng.integers(rows)), int(rng.integers(cols)))
        for _ in range(draw(st.integers(1, 3)))
    ]
    return grids, model, start, targets, draw(st.sampled_from([0.0, 2.0])), draw(st.booleans())


def check_against_reference(case):
    grids, model, start, targets, risk, knight = case
    ref = reference.dijkstra(grids, model, start, risk_weight=risk, knight=knight)
    if not reference.passable(grids, model, *start):
        with pytest.raises(UnreachableError):
            least_cost_path(grids, start, targets, model, risk_weight=risk, knight=knight)
        return
    assert close(accumulated_cost(grids, start, model, risk_weight=risk, knight=knight), ref)
    best = min(ref[t] for t in targets)
    if math.isinf(best):
        with pytest.raises(UnreachableError, match="no admissible route"):
            least_cost_path(grids, start, targets, model, risk_weight=risk, knight=knight)
        return
    found = least_cost_path(grids, start, targets, model, risk_weight=risk, knight=knight)
    assert found.cost == pytest.approx(best, rel=RTOL, abs=1e-9)
    assert tuple(found.cells[0]) == start
    assert tuple(found.cells[-1]) == targets[found.target_index]
    # the path is a real path of that cost, by the reference's own step rules ...
    assert reference.path_cost(grids, model, found.cells, risk_weight=risk) == pytest.approx(
        found.cost, rel=RTOL, abs=1e-9
    )
    # ... and by the kernel's per-step report
    times, costs = step_costs_along(grids, found.cells, model, risk_weight=risk)
    assert costs.sum() == pytest.approx(found.cost, rel=RTOL, abs=1e-9)
    assert (times <= costs + 1e-12).all()


@SETTINGS
@given(problems(rwalk=False))
def test_tobler_matches_reference(case):
    check_against_reference(case)


@SETTINGS
@given(problems(rwalk=True))
def test_rwalk_matches_reference(case):
    check_against_reference(case)


def test_direction_matters_on_a_slope():
    z = np.tile(np.arange(20, dtype=float) * 2.0, (5, 1))  # 40 % slope rising eastwards
    grids = SearchGrids(z, (5.0, 5.0))
    up = least_cost_path(grids, (2, 0), [(2, 19)], ToblerModel())
    down = least_cost_path(grids, (2, 19), [(2, 0)], ToblerModel())
    assert up.cost > 1.3 * down.cost
    rw_up = least_cost_path(grids, (2, 0), [(2, 19)], RWalkModel())
    rw_down = least_cost_path(grids, (2, 19), [(2, 0)], RWalkModel())
    assert rw_up.cost != pytest.approx(rw_down.cost)


def test_cheapest_of_several_targets():
    grids = SearchGrids(np.zeros((10, 10)), (5.0, 5.0))
    found = least_cost_path(grids, (0, 0), [(9, 9), (0, 3), (5, 5)], ToblerModel())
    assert found.target_index == 1
    assert found.cost == pytest.approx(3 * 5.0 * TOBLER_FLAT_OFF_PATH)


def test_on_path_waives_off_path_factor():
    z = np.zeros((3, 12))
    road = np.zeros(z.shape, bool)
    road[1, :] = True
    grids = SearchGrids(z, (5.0, 5.0), on_path=road)
    found = least_cost_path(grids, (1, 0), [(1, 11)], ToblerModel())
    assert found.cost == pytest.approx(11 * 5.0 * TOBLER_FLAT_OFF_PATH * 0.6)
    assert (found.cells[:, 0] == 1).all()


def test_exposure_makes_the_route_go_round():
    z = np.zeros((9, 15))
    seen = np.zeros(z.shape, np.float32)
    seen[:7, 5:10] = 3.0  # in view of three observers, leaving a gap on row 7-8
    grids = SearchGrids(z, (5.0, 5.0), exposure=seen)
    direct = least_cost_path(grids, (2, 0), [(2, 14)], ToblerModel())
    safe = least_cost_path(grids, (2, 0), [(2, 14)], ToblerModel(), risk_weight=5.0)
    assert (seen[direct.cells[:, 0], direct.cells[:, 1]] > 0).any()
    assert not (seen[safe.cells[:, 0], safe.cells[:, 1]] > 0).any()
    times, costs = step_costs_along(grids, safe.cells, ToblerModel(), risk_weight=5.0)
    assert np.allclose(times, costs)


# ---------------------------------------------------------------------------------------
# Barriers, slope limits and errors


def test_unreachable_target_raises():
    z = np.zeros((8, 8))
    wall = np.zeros(z.shape, bool)
    wall[2:6, 2] = wall[2:6, 5] = wall[2, 2:6] = wall[5, 2:6] = True  # a closed box
    grids = SearchGrids(z, (5.0, 5.0), barrier=wall)
    with pytest.raises(UnreachableError, match="no admissible route"):
        least_cost_path(grids, (0, 0), [(3, 3)], ToblerModel())
    assert np.isinf(accumulated_cost(grids, (0, 0), ToblerModel())[3:5, 3:5]).all()


def test_start_in_barrier_raises():
    wall = np.zeros((5, 5), bool)
    wall[2, 2] = True
    grids = SearchGrids(np.zeros((5, 5)), (5.0, 5.0), barrier=wall)
    with pytest.raises(UnreachableError, match="barrier or a nodata"):
        least_cost_path(grids, (2, 2), [(0, 0)], ToblerModel())


@pytest.mark.parametrize(
    ("start", "target"), [((-1, 0), (2, 2)), ((0, 0), (2, 5)), ((5, 0), (0, 0))]
)
def test_off_grid_raises(start, target):
    grids = SearchGrids(np.zeros((5, 5)), (5.0, 5.0))
    with pytest.raises(OutOfRangeError):
        least_cost_path(grids, start, [target], RWalkModel())


def test_diagonal_barrier_line_cannot_be_crossed():
    z = np.zeros((10, 10))
    wall = np.eye(10, dtype=bool)[:, ::-1]  # an 8-connected anti-diagonal line
    grids = SearchGrids(z, (5.0, 5.0), barrier=wall)
    with pytest.raises(UnreachableError):
        least_cost_path(grids, (0, 0), [(9, 9)], ToblerModel(), knight=True)


def test_knight_move_needs_both_cells_it_passes():
    z = np.zeros((3, 3))
    wall = np.zeros(z.shape, bool)
    wall[1, :] = True
    wall[1, 1] = False
    grids = SearchGrids(z, (5.0, 5.0), barrier=wall)
    found = least_cost_path(grids, (0, 0), [(2, 1)], RWalkModel(), knight=True)
    assert len(found.cells) == 3  # not the single knight's move over (1, 0)
    assert found.cost == pytest.approx(0.72 * (5.0 * math.sqrt(2) + 5.0))


def test_max_slope_makes_steep_steps_impassable():
    z = np.zeros((6, 12))
    z[:, 6:] = 10.0  # a 10 m step up: 63 degrees over 5 m
    grids = SearchGrids(z, (5.0, 5.0))
    assert math.isfinite(least_cost_path(grids, (0, 0), [(0, 11)], ToblerModel()).cost)
    with pytest.raises(UnreachableError, match="slope limit"):
        least_cost_path(grids, (0, 0), [(0, 11)], ToblerModel(max_slope_deg=30.0))
    # with a gentle ramp along one side, the route takes it
    z[5, :] = np.linspace(0.0, 10.0, 12)
    model = ToblerModel(max_slope_deg=30.0)
    found = least_cost_path(SearchGrids(z, (5.0, 5.0)), (0, 0), [(0, 11)], model)
    rise = np.abs(np.diff(z[found.cells[:, 0], found.cells[:, 1]]))
    run = np.hypot(*(np.diff(found.cells, axis=0) * 5.0).T)
    assert (np.degrees(np.arctan(rise / run)) <= 30.0).all()
    assert 5 in found.cells[:, 0]


def test_nodata_is_impassable():
    z = np.zeros((5, 7))
    z[:, 3] = np.nan
    with pytest.raises(UnreachableError):
        least_cost_path(SearchGrids(z, (5.0, 5.0)), (2, 0), [(2, 6)], RWalkModel())


def test_start_equals_target():
    grids = SearchGrids(np.zeros((4, 4)), (5.0, 5.0))
    found = least_cost_path(grids, (1, 1), [(3, 3), (1, 1)], ToblerModel())
    assert found.cost == 0.0 and found.target_index == 1 and found.cells.tolist() == [[1, 1]]


# ---------------------------------------------------------------------------------------
# GRASS r.walk itself, when it is installed


def _grass_helper():
    path = Path(__file__).resolve().parents[2] / "bench" / "route_grass.py"
    spec = importlib.util.spec_from_file_location("route_grass", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["route_grass"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


route_grass = _grass_helper()


@pytest.mark.skipif(not route_grass.grass_available(), reason="GRASS GIS not installed")
@pytest.mark.parametrize("knight", [False, True])
def test_rwalk_equals_grass_r_walk(knight):
    rng = np.random.default_rng(11)
    z = 100.0 + rng.normal(0.0, 2.0, (23, 17)).cumsum(axis=0) + rng.normal(0.0, 1.0, (23, 17))
    cell = (4.0, 6.0)
    run = route_grass.run_rwalk(z, cell, (5, 3), knight=knight, full_raster=True)
    ours = accumulated_cost(SearchGrids(z, cell), (5, 3), RWalkModel(), knight=knight)
    assert np.allclose(ours, run.raster, rtol=1e-9)


# ---------------------------------------------------------------------------------------
# Windowed search: exact even when the best route leaves the first window


@contextmanager
def small_windows():
    with (
        patch.object(kernels, "_WINDOW_MIN_CELLS", 0),
        patch.object(kernels, "_WINDOW_MIN_MARGIN", 1),
    ):
        yield


@SETTINGS
@given(problems(rwalk=False))
def test_windowed_tobler_matches_reference(case):
    with small_windows():
        check_against_reference(case)


@SETTINGS
@given(problems(rwalk=True))
def test_windowed_rwalk_matches_reference(case):
    with small_windows():
        check_against_reference(case)


@pytest.mark.parametrize("knight", [False, True])
def test_window_grows_round_a_long_wall(knight):
    rng = np.random.default_rng(8)
    z = rng.normal(0.0, 0.5, (80, 80)).cumsum(axis=0)
    wall = np.zeros(z.shape, bool)
    wall[:70, 40] = True  # the way from (30, 35) to (30, 45) goes round row 70
    road = np.zeros(z.shape, bool)
    road[75, :] = True  # a fast road even further out, outside every small window
    grids = SearchGrids(z, (5.0, 5.0), barrier=wall, on_path=road)
    whole = accumulated_cost(grids, (30, 35), ToblerModel(), knight=knight)
    with small_windows():
        found = least_cost_path(grids, (30, 35), [(30, 45)], ToblerModel(), knight=knight)
        iso = isotropic_cost_path(np.where(wall, -1.0, 1.0), (30, 35), [(30, 45)], (5.0, 5.0))
    assert found.cost == pytest.approx(whole[30, 45], rel=RTOL)
    assert found.cells[:, 0].max() >= 70
    assert iso.cost == pytest.approx(
        isotropic_accumulated_cost(np.where(wall, -1.0, 1.0), (30, 35), (5.0, 5.0))[30, 45]
    )
