"""Viewsheds and exposure: geometry with known answers, symmetries, and two references.

The references are a brute-force walk of the same (r.viewshed) model along every line of sight
(``_compute(..., reference=True)``), which the sweep must match cell for cell, and a plain
numpy line-of-sight sampler over a bilinear surface, which it must match wherever the answer is
clear-cut. GRASS ``r.viewshed`` itself is compared when GRASS is installed.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import CRS

from safeconduct.errors import InvalidValueError, OutOfRangeError
from safeconduct.terrain.dem import Dem
from safeconduct.terrain.visibility import (
    EARTH_RADIUS_M,
    HIDDEN,
    OUTSIDE,
    VISIBLE,
    ObserverSpec,
    _compute,
    exposure,
    viewshed,
)

X0, Y0 = 500_000.0, 5_400_000.0
HYPO = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_dem(z: np.ndarray, cell: float = 5.0) -> Dem:
    """A Dem on EPSG:32637 with square ``cell`` metre cells; row 0 at the top."""
    return Dem(np.asarray(z, dtype=np.float64), Affine(cell, 0, X0, 0, -cell, Y0), CRS(32637))


def xy_of(dem: Dem, row: int, col: int) -> tuple[float, float]:
    x, y = dem.rowcol_to_xy(row, col)
    return float(x), float(y)


def hills(rng: np.random.Generator, rows: int, cols: int, n: int = 6) -> np.ndarray:
    """Smooth random terrain: a tilted plane plus Gaussian hills and hollows (metres)."""
    r, c = np.mgrid[0:rows, 0:cols].astype(float)
    z = 100.0 + rng.uniform(-0.2, 0.2) * r + rng.uniform(-0.2, 0.2) * c
    for _ in range(n):
        r0, c0 = rng.uniform(0, rows), rng.uniform(0, cols)
        s = rng.uniform(3.0, 10.0)
        z += rng.uniform(-25.0, 25.0) * np.exp(-((r - r0) ** 2 + (c - c0) ** 2) / (2 * s * s))
    return z


# --- known geometry -------------------------------------------------------------------------


def test_flat_ground_is_all_visible_without_curvature() -> None:
    dem = make_dem(np.zeros((31, 47)))
    vis = viewshed(dem, xy_of(dem, 12, 30), curvature=False)
    assert vis.dtype == np.uint8
    assert (vis == VISIBLE).all()


def test_curvature_hides_targets_beyond_the_horizon() -> None:
    # A long strip of flat ground: the closed-form horizon for an eye h_o and a target h_t over
    # a sphere of effective radius R / (1 - k) is sqrt(2 R' h_o) + sqrt(2 R' h_t).
    cell, h_o, h_t, k = 20.0, 1.75, 0.5, 0.14
    dem = make_dem(np.zeros((3, 700)), cell)
    vis = viewshed(dem, xy_of(dem, 1, 0), observer_height=h_o, target_height=h_t)
    r_eff = EARTH_RADIUS_M / (1.0 - k)
    horizon = math.sqrt(2 * r_eff * h_o) + math.sqrt(2 * r_eff * h_t)
    d = np.arange(700) * cell
    row = vis[1]
    assert (row[d < 0.99 * horizon] == VISIBLE).all()
    assert (row[d > 1.01 * horizon] == HIDDEN).all()
    # Without curvature the whole strip is in view.
    assert (viewshed(dem, xy_of(dem, 1, 0), curvature=False) == VISIBLE).all()


def test_refraction_pushes_the_horizon_out() -> None:
    dem = make_dem(np.zeros((3, 700)), 20.0)
    seen = [
        int((viewshed(dem, xy_of(dem, 1, 0), refraction_coeff=k) == VISIBLE).sum())
        for k in (0.0, 0.14, 0.3)
    ]
    assert seen[0] < seen[1] < seen[2]


def test_a_wall_casts_the_analytic_shadow() -> None:
    # Flat ground, an eye 30 m up, a wall 10 m high, three cells thick, its cell centres at
    # 100, 105 and 110 m. Heights sit at cell centres, so the top's far edge is at 110 m and the
    # sight line over it reaches a 1.7 m target at 110 * (30 - 1.7) / (30 - 10) = 155.65 m: the
    # same x on every row, as the wall is straight.
    cell, h_o, h_t, wall = 5.0, 30.0, 1.7, 10.0
    z = np.zeros((81, 61))
    z[:, 20:23] = wall  # cells centred at x = 100, 105, 110 m from the observer's column
    dem = make_dem(z, cell)
    vis = viewshed(dem, xy_of(dem, 40, 0), observer_height=h_o, target_height=h_t, curvature=False)
    end = 110.0 * (h_o - h_t) / (h_o - wall)
    x = np.arange(61) * cell
    on_axis = vis[40]
    assert (on_axis[(x > 110) & (x < end)] == HIDDEN).all()
    assert (on_axis[x > end] == VISIBLE).all()
    assert (on_axis[:20] == VISIBLE).all() and (on_axis[20:23] == VISIBLE).all()
    # Off the axis the corners' interpolation moves the edge by under two cells.
    for r in range(81):
        assert (vis[r, (x > 110) & (x < end - 2 * cell)] == HIDDEN).all(), r
        assert (vis[r, x > end + 2 * cell] == VISIBLE).all(), r


def test_target_height_reveals_more() -> None:
    z = hills(np.random.default_rng(3), 41, 41)
    dem = make_dem(z)
    xy = xy_of(dem, 20, 20)
    low = viewshed(dem, xy, target_height=0.0)
    high = viewshed(dem, xy, target_height=5.0)
    assert ((low == VISIBLE) <= (high == VISIBLE)).all()
    assert (high == VISIBLE).sum() > (low == VISIBLE).sum()


# --- symmetries and edges -------------------------------------------------------------------


@HYPO
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 40),
    cols=st.integers(1, 40),
    cell=st.tuples(st.sampled_from([1.0, 5.0, 30.0]), st.sampled_from([1.0, 5.0, 12.5])),
)
def test_viewshed_turns_with_the_grid(
    seed: int, rows: int, cols: int, cell: tuple[float, float]
) -> None:
    # Transposing or mirroring the terrain and the observer transposes or mirrors the answer:
    # each cell is computed in exactly one of the eight octants, and they must agree.
    rng = np.random.default_rng(seed)
    z = hills(rng, rows, cols)
    r0, c0 = int(rng.integers(0, rows)), int(rng.integers(0, cols))
    dx, dy = cell
    base = _compute(z, (dx, dy), (r0, c0), 1.75, 1.7, None, True, 0.14)
    for zz, sz, rc, back in (
        (z.T.copy(), (dy, dx), (c0, r0), lambda v: v.T),
        (z[::-1].copy(), (dx, dy), (rows - 1 - r0, c0), lambda v: v[::-1]),
        (z[:, ::-1].copy(), (dx, dy), (r0, cols - 1 - c0), lambda v: v[:, ::-1]),
    ):
        got = _compute(zz, sz, rc, 1.75, 1.7, None, True, 0.14)
        np.testing.assert_array_equal(back(got), base)


def test_radially_symmetric_terrain_gives_a_symmetric_viewshed() -> None:
    r, c = np.mgrid[-30:31, -30:31].astype(float)
    d = np.hypot(r, c)
    z = 8.0 * np.sin(d / 4.0) + 0.05 * d**1.5
    dem = make_dem(z)
    vis = viewshed(dem, xy_of(dem, 30, 30))
    for v in (vis.T, vis[::-1], vis[:, ::-1], np.rot90(vis)):
        np.testing.assert_array_equal(v, vis)
    assert 0 < (vis == HIDDEN).sum() < vis.size


def test_observer_off_the_grid_or_on_nodata_is_refused() -> None:
    z = np.zeros((10, 10))
    z[4, 4] = np.nan
    dem = make_dem(z)
    with pytest.raises(OutOfRangeError, match="outside"):
        viewshed(dem, (X0 - 10.0, Y0 - 10.0))
    with pytest.raises(OutOfRangeError, match="nodata"):
        viewshed(dem, xy_of(dem, 4, 4))
    with pytest.raises(OutOfRangeError):
        exposure(dem, [ObserverSpec(*xy_of(dem, 4, 4), height_m=2.0, range_m=100.0)])


def test_unusable_numbers_are_refused() -> None:
    dem = make_dem(np.zeros((10, 10)))
    xy = xy_of(dem, 5, 5)
    # Settings out of their range are usage errors naming the setting (safeconduct.limits).
    with pytest.raises(InvalidValueError, match="range") as info:
        viewshed(dem, xy, max_distance=-1.0)
    assert info.value.field == "max_distance"
    with pytest.raises(InvalidValueError, match="observer height"):
        viewshed(dem, xy, observer_height=float("nan"))
    with pytest.raises(InvalidValueError, match="observer 1: range_m"):
        exposure(dem, [ObserverSpec(*xy, height_m=2.0, range_m=float("nan"))])
    # An unlimited range is the whole grid.
    whole = exposure(dem, [ObserverSpec(*xy, height_m=2.0, range_m=float("inf"))])
    assert (whole == 1.0).all()


def test_max_distance_and_nodata_are_outside() -> None:
    z = np.zeros((41, 41))
    z[5:8, 5:8] = np.nan
    dem = make_dem(z)
    vis = viewshed(dem, xy_of(dem, 20, 20), max_distance=52.0, curvature=False)
    r, c = np.mgrid[0:41, 0:41]
    d = 5.0 * np.hypot(r - 20, c - 20)
    assert (vis[d > 52.0] == OUTSIDE).all()
    assert (vis[d <= 52.0] == VISIBLE).all()
    full = viewshed(dem, xy_of(dem, 20, 20), curvature=False)
    assert (full[5:8, 5:8] == OUTSIDE).all()
    assert (full[np.isfinite(z)] == VISIBLE).all()


def test_nodata_does_not_block() -> None:
    # A wall of nodata between observer and a low target: r.viewshed ignores nodata cells, so
    # the target stays in view; the same wall with a height hides it.
    z = np.zeros((21, 41))
    z[:, 15] = np.nan
    dem = make_dem(z)
    vis = viewshed(dem, xy_of(dem, 10, 0), curvature=False)
    assert (vis[:, 16:] == VISIBLE).all()
    z[:, 15] = 20.0
    vis = viewshed(make_dem(z), xy_of(dem, 10, 0), curvature=False)
    assert (vis[:, 20:] == HIDDEN).all()


def test_cells_beyond_range_do_not_block() -> None:
    # r.viewshed leaves cells beyond max_distance out of the sweep entirely.
    z = np.zeros((3, 40))
    z[1, 20] = 50.0
    dem = make_dem(z)
    vis = viewshed(dem, xy_of(dem, 1, 0), max_distance=300.0, curvature=False)
    assert (vis[1, 21:] == HIDDEN).all()
    assert vis[1, 20] == VISIBLE


# --- references -----------------------------------------------------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 45),
    cols=st.integers(1, 45),
    terrain=st.sampled_from(["hills", "steps", "rough"]),
    holes=st.booleans(),
    cell=st.tuples(st.sampled_from([1.0, 5.0, 30.0]), st.sampled_from([1.0, 3.0, 5.0])),
    heights=st.tuples(st.sampled_from([0.0, 1.0, 1.75, 10.0]), st.sampled_from([0.0, 1.0, 1.7])),
    reach=st.one_of(st.none(), st.floats(20.0, 800.0)),
    curvature=st.booleans(),
)
def test_sweep_matches_the_brute_force_walk_of_the_model(
    seed: int,
    rows: int,
    cols: int,
    terrain: str,
    holes: bool,
    cell: tuple[float, float],
    heights: tuple[float, float],
    reach: float | None,
    curvature: bool,
) -> None:
    # The sweep's envelope must give exactly what walking every line of sight gives: on smooth
    # hills, on terraced ground (whole metres, so many sight lines graze exactly), on rough
    # ground, around nodata, with non-square cells and a range.
    rng = np.random.default_rng(seed)
    if terrain == "steps":
        z = rng.integers(0, 4, (rows, cols)).astype(float)
    elif terrain == "rough":
        z = rng.normal(0.0, 3.0, (rows, cols)).cumsum(axis=0).cumsum(axis=1) / 10.0
    else:
        z = hills(rng, rows, cols, n=8) + rng.normal(0.0, 0.5, (rows, cols))
    r0, c0 = int(rng.integers(0, rows)), int(rng.integers(0, cols))
    if holes:
        z[rng.random((rows, cols)) < 0.1] = np.nan
        z[r0, c0] = 1.0
    args = (z, cell, (r0, c0), *heights, reach, curvature, 0.14)
    sweep = _compute(*args)
    ref = _compute(*args, reference=True)
    np.testing.assert_array_equal(sweep, ref)


def _los_clearance(z: np.ndarray, cell: float, rc: tuple[int, int], h_o: float, h_t: float):
    """Pure numpy: for every cell, the least height (m) by which the straight sight line from
    the eye to the target clears a bilinear surface through the cell centres, sampled finely
    between the observer's and the target's own cells."""
    rows, cols = z.shape
    r0, c0 = rc
    eye = z[r0, c0] + h_o
    rr, cc = np.mgrid[0:rows, 0:cols]
    tgt = z + h_t
    f = np.linspace(0.0, 1.0, 8 * max(rows, cols) + 1)[None, None, :]
    pr = r0 + (rr[..., None] - r0) * f
    pc = c0 + (cc[..., None] - c0) * f
    dist = np.hypot(rr - r0, cc - c0)[..., None] * f
    total = np.hypot(rr - r0, cc - c0)[..., None]
    inside = (dist > 0.75) & (dist < total - 0.75)  # outside both end cells
    i0 = np.clip(np.floor(pr).astype(int), 0, rows - 2)
    j0 = np.clip(np.floor(pc).astype(int), 0, cols - 2)
    fr, fc = pr - i0, pc - j0
    ground = (
        z[i0, j0] * (1 - fr) * (1 - fc)
        + z[i0 + 1, j0] * fr * (1 - fc)
        + z[i0, j0 + 1] * (1 - fr) * fc
        + z[i0 + 1, j0 + 1] * fr * fc
    )
    line = eye + (tgt[..., None] - eye) * f
    gap = np.where(inside, line - ground, np.inf)
    return gap.min(axis=-1)


@HYPO
@given(seed=st.integers(0, 2**32 - 1))
def test_agrees_with_plain_line_of_sight_where_clear_cut(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, cell, h_o, h_t, margin = 41, 5.0, 1.75, 1.7, 0.5
    z = hills(rng, n, n)
    rc = (int(rng.integers(5, n - 5)), int(rng.integers(5, n - 5)))
    dem = make_dem(z, cell)
    vis = viewshed(dem, xy_of(dem, *rc), observer_height=h_o, target_height=h_t, curvature=False)
    gap = _los_clearance(z, cell, rc, h_o, h_t)
    clearly_seen = gap > margin
    clearly_hidden = gap < -margin
    # The unsafe error: calling hidden a cell that is plainly in view.
    assert not (clearly_seen & (vis == HIDDEN)).any()
    assert not (clearly_hidden & (vis == VISIBLE)).any()


# --- exposure -------------------------------------------------------------------------------


def test_exposure_sums_weights_within_each_range() -> None:
    z = hills(np.random.default_rng(11), 61, 61)
    dem = make_dem(z)
    a = ObserverSpec(*xy_of(dem, 10, 12), height_m=2.0, range_m=120.0, weight=1.0)
    b = ObserverSpec(*xy_of(dem, 45, 50), height_m=6.0, range_m=200.0, weight=2.5)
    calls: list[tuple[int, int]] = []
    got = exposure(dem, [a, b], progress=lambda i, n: calls.append((i, n)))
    assert got.dtype == np.float32
    assert calls == [(1, 2), (2, 2)]
    want = np.zeros(dem.shape, dtype=np.float32)
    for o in (a, b):
        v = viewshed(dem, (o.x, o.y), observer_height=o.height_m, max_distance=o.range_m)
        want += np.where(v == VISIBLE, np.float32(o.weight), np.float32(0))
    np.testing.assert_array_equal(got, want)
    r, c = np.mgrid[0:61, 0:61]
    far_from_a = 5.0 * np.hypot(r - 10, c - 12) > a.range_m
    far_from_b = 5.0 * np.hypot(r - 45, c - 50) > b.range_m
    assert (got[far_from_a & far_from_b] == 0).all()
    assert set(np.unique(got)) <= {0.0, 1.0, 2.5, 3.5}
    # Two posts on the same spot add up.
    twice = exposure(dem, [a, a])
    np.testing.assert_array_equal(twice, 2 * exposure(dem, [a]))


def test_exposure_of_no_observers_is_zero() -> None:
    dem = make_dem(np.zeros((5, 5)))
    assert (exposure(dem, []) == 0).all()


# --- GRASS r.viewshed itself, when installed ------------------------------------------------


@pytest.mark.skipif(shutil.which("grass") is None, reason="GRASS GIS is not installed")
def test_agrees_with_grass_r_viewshed(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from safeconduct.adapters.gis.geotiff import write_raster
    from viewshed_dem import observer_on_high_ground, synthetic_dem
    from viewshed_peers import r_viewshed

    dem = synthetic_dem(150, seed=5)
    xy = observer_on_high_ground(dem, window=40)
    tif = write_raster(tmp_path / "dem.tif", dem.elevation.astype(np.float32), dem)
    try:
        grass, _ = r_viewshed(
            tif, xy, observer_height=1.75, target_height=1.7, curvature=True, refraction_coeff=0.14
        )
    except subprocess.CalledProcessError as exc:  # a broken GRASS install is not our failure
        pytest.skip(f"r.viewshed failed: {exc.stderr[-300:]!r}")
    ours = viewshed(dem, xy) == VISIBLE
    theirs = grass == 1
    assert (ours == theirs).mean() >= 0.999
    assert (theirs & ~ours).sum() <= 0.002 * theirs.sum()
