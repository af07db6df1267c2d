"""Viewsheds: where a person standing on the ground can be seen from an observer.

The model is GRASS ``r.viewshed``'s, so that the two agree and can be compared (GRASS source,
``raster/r.viewshed``: ``grass.cpp`` ``init_event_list_in_memory`` / ``calculate_event_elevation``
/ ``adjust_for_curvature``, ``eventlist.cpp`` ``calculate_event_position`` and
``RadialCompare``, ``viewshed.cpp`` ``viewshed_in_memory``, ``statusstructure.cpp``
``calculate_dist_n_gradient`` / ``calculate_event_gradient``, ``rbbst.cpp``
``find_max_value_within_key``):

* The observer's eye is at the ground of the observer's cell plus ``observer_height``; the
  target point of a cell is its ground plus ``target_height``; both at cell centres.
* With curvature on, every height (cell centres and the corner heights below) is lowered by
  ``d**2 / (2 R) * (1 - refraction_coeff)``, ``d`` the horizontal distance in metres from the
  observer's cell centre and ``R = 6 378 137 m`` (the WGS84 semi-major axis, which GRASS takes
  from the location's ellipsoid).
* A target cell T is visible when no *blocker* rises above the straight line from the eye to
  T's target point (ties are visible). The blockers are the cells nearer than T (centre
  distances) whose square the ray from the observer's centre through T's centre crosses; a ray
  through a cell's corner does not count. A blocker's height on the ray is not its centre
  height: r.viewshed gives each cell three gradients (elevation angles), at its centre and at the
  two corners that bound it as seen from the observer -- a corner's height is the mean of the
  four cells around it, or the cell's own height when one of them is nodata or off the grid --
  and interpolates linearly in the ray's direction between the centre and the corner on the
  ray's side.
* Nodata cells do not block (r.viewshed makes no events for them) and are :data:`OUTSIDE`, as are
  cells beyond ``max_distance`` (also left out of r.viewshed's sweep, so they do not block).

r.viewshed evaluates this with a radial sweep, but then scans the active blockers one by one for
every visible target, which is slow on large rasters (about 40 s on 4000 x 4000 here). Here each
of the eight octants is swept outwards one column at a time (the cells at the same distance along
the octant's major axis), carrying the *horizon*: the largest blocker gradient as an exact
function of the ray's direction, a piecewise-linear upper envelope. Each column's targets are
looked up in it, then the column's cells that rise above it are merged in. A column costs time
in proportion to its length plus the envelope's (about three times the column on rough
terrain), so a viewshed costs O(n) in the number of cells times that small factor: 0.3-0.5 s on
4000 x 4000 with two threads, close to ``gdal_viewshed``'s time. Directions and gradients are
angles, interpolated as r.viewshed does, so the answer is r.viewshed's own: the tests check it
cell for cell against a brute-force walk of every line of sight, and ``bench/bench_viewshed.py``
against ``r.viewshed`` itself (on its 4000 x 4000 terrain, no cell r.viewshed sees is called
hidden, and 14 near-ties of 16 million cells are called visible; see :data:`_TIE`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numba
import numpy as np

from safeconduct.errors import InvalidValueError
from safeconduct.limits import Range
from safeconduct.terrain.dem import Dem

VISIBLE: int = 1
HIDDEN: int = 0
OUTSIDE: int = 255

#: Earth radius (metres) for the curvature drop: the WGS84 semi-major axis, as r.viewshed uses.
EARTH_RADIUS_M: float = 6_378_137.0

#: Elevation angles (radians) closer than this count as a tie, and ties are visible
#: (r.viewshed's rule, leaning to the safe side). It absorbs the last-digit differences from
#: r.viewshed, which holds heights in single precision (``grid.h``: ``surface_type`` float):
#: 1e-8 rad is 0.1 mm at 10 km.
_TIE = 1e-8

#: The eight octants as (swap, sx, sy): local (x, y) is the cell (row, col) = (r0 + sy*y,
#: c0 + sx*x), or with ``swap`` (r0 + sx*x, c0 + sy*y); x >= 1 runs along the major axis and
#: 0 <= y <= x along the minor one.
_OCTANTS = np.array([(s, a, b) for s in (0, 1) for a in (1, -1) for b in (1, -1)], dtype=np.int64)

#: An observer's eye above the ground, metres: a negative one under-reports exposure (the
#: unsafe direction); 1000 m covers a mast, a tower block or a tethered balloon.
OBSERVER_HEIGHT = Range(0.0, 1000.0, "m", "an observer height (eye above the ground)")
#: The watched person's head above the ground, metres (1.7 standing, 0 lying down).
TARGET_HEIGHT = Range(0.0, 10.0, "m", "a target height (the person's head above the ground)")
#: An observer's range, metres (beyond the horizon of any mast; unlimited is ``inf``/None).
OBSERVER_RANGE = Range(0.0, 1_000_000.0, "m", "an observer range", lo_open=True)
#: How much being in view of one observer counts; kept small so that sums of many stay
#: far from float32's overflow.
OBSERVER_WEIGHT = Range(0.0, 1000.0, "", "an observer weight (relative importance)")


@dataclass(frozen=True)
class ObserverSpec:
    """One hostile observation post, for :func:`exposure`.

    Attributes
    ----------
    x, y
        Position in map metres of the DEM's CRS (easting, northing).
    height_m
        Eye height above the ground, metres.
    range_m
        How far the post can see, metres; cells farther away are not exposed to it.
    weight
        How much being in view of this post counts (e.g. a threat rating).
    """

    x: float
    y: float
    height_m: float
    range_m: float
    weight: float = 1.0


# --------------------------------------------------------------------------------------------
# Kernels. In an octant's local frame, column x holds the cells (x, 0..x). A direction from the
# observer is the angle theta = atan(minor / major) in cell units (r.viewshed's angles are
# cell-index angles too); a gradient is the elevation angle atan(rise / run), run in metres
# (ax, ay: metres per cell along the major and the minor axis). Every angle goes through
# _atan, so that equal ratios give equal angles: the test "does this ray pass exactly through
# that corner" is then an exact comparison of floats, as in r.viewshed.

# Cephes' atan (S. L. Moshier): range reduction to |x| <= 0.66 and a rational approximation,
# within an ulp or so of the C library's; written without calls so that loops vectorise.
_P0, _P1, _P2, _P3, _P4 = (
    -8.750608600031904122785e-1,
    -1.615753718733365076637e1,
    -7.500855792314704667340e1,
    -1.228866684490136173410e2,
    -6.485021904942025371773e1,
)
_Q0, _Q1, _Q2, _Q3, _Q4 = (
    2.485846490142306297962e1,
    1.650270098316988542046e2,
    4.328810604912902668951e2,
    4.853903996359136964868e2,
    1.945506571482613964425e2,
)
_T3P8 = 2.41421356237309504880  # tan(3 pi / 8)
_MOREBITS = 6.123233995736765886130e-17


@numba.njit(cache=True, inline="always", error_model="numpy")
def _atan(v):
    s = -1.0 if v < 0.0 else 1.0
    a = abs(v)
    y0 = 0.0
    extra = 0.0
    w = a
    if a > _T3P8:
        y0 = 0.5 * math.pi
        extra = _MOREBITS
        w = -1.0 / a
    elif a > 0.66:
        y0 = 0.25 * math.pi
        extra = 0.5 * _MOREBITS
        w = (a - 1.0) / (a + 1.0)
    zz = w * w
    p = (((_P0 * zz + _P1) * zz + _P2) * zz + _P3) * zz + _P4
    q = ((((zz + _Q0) * zz + _Q1) * zz + _Q2) * zz + _Q3) * zz + _Q4
    return s * (y0 + (w * zz * p / q + w) + extra)


@numba.njit(cache=True, error_model="numpy")
def _load_line(z, r0, c0, swap, sx, sy, x, ytop, out):
    """Copy local column ``x``, rows -1..ytop, into ``out[0..ytop+1]`` (NaN off the grid)."""
    rows, cols = z.shape
    for y in range(-1, ytop + 1):
        if swap:
            r = r0 + sx * x
            c = c0 + sy * y
        else:
            r = r0 + sy * y
            c = c0 + sx * x
        if 0 <= r < rows and 0 <= c < cols:
            out[y + 1] = z[r, c]
        else:
            out[y + 1] = np.nan


@numba.njit(cache=True, error_model="numpy")
def _corner_line(la, lb, xc, ytop, ax, ay, z_eye, kc, grad, theta):
    """Corners (xc, y + 1/2), y = -1..ytop-1, between lines ``la`` and ``lb``: their gradients
    (``grad``) and directions (``theta``).

    A corner's height is the mean of its four cells (NaN if one is missing: the caller then
    falls back to the cell's own height, as r.viewshed does).
    """
    dxc = (xc * ax) ** 2
    for i in range(ytop + 1):
        zc = 0.25 * (la[i] + la[i + 1] + lb[i] + lb[i + 1])
        d2 = dxc + ((i - 0.5) * ay) ** 2
        grad[i] = _atan((zc - kc * d2 - z_eye) / math.sqrt(d2))
        theta[i] = _atan((i - 0.5) / xc)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _own_corner(zc, cx, cy, ax, ay, z_eye, kc):
    d2 = (cx * ax) ** 2 + (cy * ay) ** 2
    return _atan((zc - kc * d2 - z_eye) / math.sqrt(d2))


@numba.njit(cache=True, error_model="numpy")
def _column_terms(
    x, ylim, line, cm, cp, tm, tp, ax, ay, z_eye, th, kc, maxd2,
    valid, sc, tc, dlo, dhi, st, cmax,
):  # fmt: skip
    """Per-cell terms of column ``x`` (rows 0..ylim) from its line and both corner lines.

    ``cm``/``tm`` and ``cp``/``tp`` are the corner gradients and directions at x - 1/2 and
    x + 1/2. Out: ``sc`` the centre gradient and ``tc`` the centre direction, ``dlo``/``dhi``
    the change of the blocker gradient per radian of direction below/above the centre, ``cmax``
    the largest blocker gradient over the cell's span, ``st`` the target's gradient; ``valid``
    false for nodata and for cells beyond range.
    """
    dx2 = (x * ax) ** 2
    missing = False
    # Rows >= 1 without branches, so that the loop vectorises; corner fallbacks afterwards.
    for y in range(1, ylim + 1):
        zc = line[y + 1]
        d2 = dx2 + (y * ay) ** 2
        valid[y] = (d2 <= maxd2) & (zc == zc)
        d = math.sqrt(d2)
        rise = zc - kc * d2 - z_eye
        g = _atan(rise / d)
        t = _atan(y / x)
        gh = cm[y + 1]  # corner (x - 1/2, y + 1/2): the direction maximum
        gl = cp[y]  # corner (x + 1/2, y - 1/2): the direction minimum
        sc[y] = g
        tc[y] = t
        st[y] = _atan((rise + th) / d)
        dhi[y] = (gh - g) / (tm[y + 1] - t)
        dlo[y] = (g - gl) / (t - tp[y])
        cmax[y] = max(g, max(gl, gh))
        missing |= (gh != gh) | (gl != gl)
    if missing:
        for y in range(1, ylim + 1):
            gh = cm[y + 1]
            gl = cp[y]
            if valid[y] and (gh != gh or gl != gl):
                zc = line[y + 1]
                g = sc[y]
                if gh != gh:
                    gh = _own_corner(zc, x - 0.5, y + 0.5, ax, ay, z_eye, kc)
                if gl != gl:
                    gl = _own_corner(zc, x + 0.5, y - 0.5, ax, ay, z_eye, kc)
                dhi[y] = (gh - g) / (tm[y + 1] - tc[y])
                dlo[y] = (g - gl) / (tc[y] - tp[y])
                cmax[y] = max(g, max(gl, gh))
    # The axis row: its lower corner is (x - 1/2, -1/2).
    zc = line[1]
    tc[0] = 0.0
    valid[0] = dx2 <= maxd2 and zc == zc
    if valid[0]:
        d = math.sqrt(dx2)
        rise = zc - kc * dx2 - z_eye
        g = _atan(rise / d)
        gh = cm[1]
        if gh != gh:
            gh = _own_corner(zc, x - 0.5, 0.5, ax, ay, z_eye, kc)
        gl = cm[0]
        if gl != gl:
            gl = _own_corner(zc, x - 0.5, -0.5, ax, ay, z_eye, kc)
        sc[0] = g
        st[0] = _atan((rise + th) / d)
        dhi[0] = (gh - g) / tm[1]
        dlo[0] = (g - gl) / (0.0 - tm[0])
        cmax[0] = max(g, max(gl, gh))


@numba.njit(cache=True, inline="always", error_model="numpy")
def _line_at(a, b, t):
    # An empty stretch is a = -inf with b = 0, so this stays -inf there.
    return a + b * t


@numba.njit(cache=True, inline="always", error_model="numpy")
def _emit(o, n, t, pv, a, b):
    # Append breakpoint t (value pv exactly there) and the line a + b*t after it, unless the
    # previous line simply continues through t.
    if n > 0 and o[n - 1, 2] == a and o[n - 1, 3] == b and pv == _line_at(a, b, t):
        return n
    o[n, 0] = t
    o[n, 1] = pv
    o[n, 2] = a
    o[n, 3] = b
    return n + 1


@numba.njit(cache=True, error_model="numpy")
def _merge(f, g, o, end):
    """Upper envelope of two piecewise-linear functions on [0, end]; returns its length.

    A function is rows (t, p, a, b): breakpoints ``t`` (the first 0, the last ``end``) with the
    value ``p`` exactly at each, and the line ``a + b*t`` on the open interval to the next one.
    Keeping the points apart keeps r.viewshed's rule that a blocker does not count on the ray
    through its bounding corner.
    """
    # Flat views for the bulk copies (rows are contiguous).
    f1 = f.reshape(-1)
    g1 = g.reshape(-1)
    o1 = o.reshape(-1)
    i = 0
    j = 0
    n = 0
    t = 0.0
    while True:
        vf = f[i, 1] if f[i, 0] == t else _line_at(f[i, 2], f[i, 3], t)
        vg = g[j, 1] if g[j, 0] == t else _line_at(g[j, 2], g[j, 3], t)
        pv = max(vf, vg)
        if t >= end:
            o[n, 0] = end
            o[n, 1] = pv
            o[n, 2] = -np.inf
            o[n, 3] = 0.0
            return n + 1
        tf = f[i + 1, 0]
        tg = g[j + 1, 0]
        a1 = f[i, 2]
        b1 = f[i, 3]
        a2 = g[j, 2]
        b2 = g[j, 3]
        if a2 == -np.inf:
            # g is empty on (t, tg): copy f's breakpoints there as they are.
            n = _emit(o, n, t, pv, a1, b1)
            e = i + 1
            while f[e, 0] < tg:
                e += 1
            o1[4 * n : 4 * (n + e - i - 1)] = f1[4 * (i + 1) : 4 * e]
            n += e - i - 1
            i = e
            if f[i, 0] > tg:
                i -= 1
            j += 1
            t = tg
            continue
        if a1 == -np.inf:
            n = _emit(o, n, t, pv, a2, b2)
            e = j + 1
            while g[e, 0] < tf:
                e += 1
            o1[4 * n : 4 * (n + e - j - 1)] = g1[4 * (j + 1) : 4 * e]
            n += e - j - 1
            j = e
            if g[j, 0] > tf:
                j -= 1
            i += 1
            t = tf
            continue
        tn = min(tf, tg)
        dl = (a1 + b1 * t) - (a2 + b2 * t)
        dr = (a1 + b1 * tn) - (a2 + b2 * tn)
        if dl >= 0.0 and dr >= 0.0:
            n = _emit(o, n, t, pv, a1, b1)
        elif dl <= 0.0 and dr <= 0.0:
            n = _emit(o, n, t, pv, a2, b2)
        else:
            ts = (a2 - a1) / (b1 - b2)
            if not t < ts < tn:
                # Rounding put the crossing at an end: one line is on top all along.
                tm_ = 0.5 * (t + tn)
                if a1 + b1 * tm_ >= a2 + b2 * tm_:
                    n = _emit(o, n, t, pv, a1, b1)
                else:
                    n = _emit(o, n, t, pv, a2, b2)
            elif dl > 0.0:
                n = _emit(o, n, t, pv, a1, b1)
                n = _emit(o, n, ts, a1 + b1 * ts, a2, b2)
            else:
                n = _emit(o, n, t, pv, a2, b2)
                n = _emit(o, n, ts, a2 + b2 * ts, a1, b1)
        if tf == tn:
            i += 1
        if tg == tn:
            j += 1
        t = tn


@numba.njit(cache=True, error_model="numpy")
def _column_fn(x, ylim, valid, sc, tc, dlo, dhi, tm, tp, o, end):
    """The blocker function of the column's ``valid`` cells on [0, end]; returns its length.

    Cell r blocks on the open span of directions (tp[r], tm[r+1]) of the rays that cross it;
    its gradient is linear in the direction, from its centre (tc, sc) with slope ``dlo`` below
    and ``dhi`` above. Neighbours' spans overlap: tc[r] < tp[r+1] < tm[r+1] <= tc[r+1].
    """
    ninf = -np.inf
    # Direction 0 is the centre of the axis row's cell.
    n = _emit(o, 0, 0.0, sc[0], sc[0], dhi[0]) if valid[0] else _emit(o, 0, 0.0, ninf, ninf, 0.0)
    for r in range(min(ylim, x - 1) + 1):
        nx = r + 1
        t_h = tm[r + 1]
        a2 = sc[r] - dhi[r] * tc[r]
        b2 = dhi[r]
        if nx > ylim or not valid[nx]:
            if t_h >= end:
                break
            n = _emit(o, n, t_h, ninf, ninf, 0.0)
            if nx > ylim:
                break
            n = _emit(o, n, tc[nx], ninf, ninf, 0.0)
            continue
        t_l = tp[nx]
        t_cn = tc[nx]
        a1 = sc[nx] - dlo[nx] * t_cn
        b1 = dlo[nx]
        if valid[r]:
            # Both block on (t_l, t_h): the upper of the two lines, split where they cross.
            dl = (a2 + b2 * t_l) - (a1 + b1 * t_l)
            dr = (a2 + b2 * t_h) - (a1 + b1 * t_h)
            if dl >= 0.0 and dr >= 0.0:
                n = _emit(o, n, t_l, a2 + b2 * t_l, a2, b2)
            elif dl <= 0.0 and dr <= 0.0:
                n = _emit(o, n, t_l, a2 + b2 * t_l, a1, b1)
            else:
                ts = (a1 - a2) / (b2 - b1)
                if not t_l < ts < t_h:
                    # Rounding put the crossing at an end: one line is on top all along.
                    tm_ = 0.5 * (t_l + t_h)
                    if a2 + b2 * tm_ >= a1 + b1 * tm_:
                        n = _emit(o, n, t_l, a2 + b2 * t_l, a2, b2)
                    else:
                        n = _emit(o, n, t_l, a2 + b2 * t_l, a1, b1)
                elif dl > 0.0:
                    n = _emit(o, n, t_l, a2 + b2 * t_l, a2, b2)
                    n = _emit(o, n, ts, a2 + b2 * ts, a1, b1)
                else:
                    n = _emit(o, n, t_l, a2 + b2 * t_l, a1, b1)
                    n = _emit(o, n, ts, a1 + b1 * ts, a2, b2)
        else:
            n = _emit(o, n, t_l, ninf, a1, b1)
        if t_h < t_cn:
            n = _emit(o, n, t_h, a1 + b1 * t_h, a1, b1)
        if t_cn >= end:
            break
        n = _emit(o, n, t_cn, sc[nx], sc[nx] - dhi[nx] * t_cn, dhi[nx])
    # The diagonal (direction end) is blocked only by the diagonal cell's centre.
    o[n, 0] = end
    o[n, 1] = sc[x] if (x <= ylim and valid[x]) else ninf
    o[n, 2] = ninf
    o[n, 3] = 0.0
    return n + 1


@numba.njit(cache=True, inline="always", error_model="numpy")
def _hmin(h, nh, k, u, v):
    """Lower bound of the horizon on [u, v], ``h[k, 0] <= u``; returns it and the index at v."""
    m = _line_at(h[k, 2], h[k, 3], u)
    if h[k, 0] == u:
        m = min(m, h[k, 1])
    while k + 1 < nh and h[k + 1, 0] <= v:
        m = min(m, _line_at(h[k, 2], h[k, 3], h[k + 1, 0]))
        k += 1
        m = min(m, min(h[k, 1], _line_at(h[k, 2], h[k, 3], h[k, 0])))
    return min(m, _line_at(h[k, 2], h[k, 3], v)), k


@numba.njit(cache=True, error_model="numpy")
def _octant(z, vis, r0, c0, swap, sx, sy, X, Ymax, ax, ay, z_eye, th, kc, maxd2):
    """Sweep one octant, writing VISIBLE/HIDDEN for the cells it owns.

    Axis cells are owned by the ``sy = +1`` octant and diagonal cells by the ``swap = 0`` one,
    so that every cell is written once (both octants would compute the same answer).
    """
    n = Ymax + 4
    valid = np.zeros(n, dtype=np.bool_)
    flag = np.zeros(n, dtype=np.bool_)
    sc = np.zeros(n)
    tc = np.zeros(n)
    dlo = np.zeros(n)
    dhi = np.zeros(n)
    st = np.zeros(n)
    cmax = np.zeros(n)
    la = np.zeros(n)  # local column x
    lb = np.zeros(n)  # local column x + 1
    cm = np.zeros(n)  # corner gradients at x - 1/2
    cp = np.zeros(n)  # corner gradients at x + 1/2
    tm = np.zeros(n)  # corner directions at x - 1/2
    tp = np.zeros(n)  # corner directions at x + 1/2
    end = _atan(1.0)  # the diagonal
    # The horizon h (double-buffered with u) and the current column's blocker function c, as
    # rows (direction, value there, a, b): see _merge.
    h = np.empty((8 * n + 16, 4))
    u = np.empty((8 * n + 16, 4))
    c = np.empty((4 * n + 8, 4))
    h[0, 0] = 0.0
    h[0, 1] = -np.inf
    h[0, 2] = -np.inf
    h[0, 3] = 0.0
    h[1, 0] = end
    h[1, 1] = -np.inf
    h[1, 2] = -np.inf
    h[1, 3] = 0.0
    nh = 2
    y0 = 0 if sy > 0 else 1
    _load_line(z, r0, c0, swap, sx, sy, 0, min(2, Ymax) + 1, la)
    _load_line(z, r0, c0, swap, sx, sy, 1, min(3, Ymax) + 1, lb)
    _corner_line(la, lb, 0.5, min(1, Ymax) + 1, ax, ay, z_eye, kc, cm, tm)
    for x in range(1, X + 1):
        ylim = min(x, Ymax)
        la, lb = lb, la
        _load_line(z, r0, c0, swap, sx, sy, x + 1, min(x + 3, Ymax) + 1, lb)
        _corner_line(la, lb, x + 0.5, min(x + 1, Ymax) + 1, ax, ay, z_eye, kc, cp, tp)
        _column_terms(
            x, ylim, la, cm, cp, tm, tp, ax, ay, z_eye, th, kc, maxd2,
            valid, sc, tc, dlo, dhi, st, cmax,
        )  # fmt: skip
        # One walk along the horizon of the nearer columns: judge this column's targets, and
        # find the cells that rise above it somewhere near their span (only those can raise
        # it). Cell r's span lies within [tc[r-1], tc[r+1]].
        yend = ylim if (swap == 0 or ylim < x) else x - 1
        k = 0
        m_prev = np.inf
        raised = False
        for y in range(ylim + 1):
            t = tc[y]
            while k + 1 < nh and h[k + 1, 0] <= t:
                k += 1
            if valid[y] and y0 <= y <= yend:
                hq = h[k, 1] if h[k, 0] == t else _line_at(h[k, 2], h[k, 3], t)
                v = 1 if st[y] + _TIE >= hq else 0
                if swap:
                    vis[r0 + sx * x, c0 + sy * y] = v
                else:
                    vis[r0 + sy * y, c0 + sx * x] = v
            t_next = tc[y + 1] if y < ylim else tm[y + 1]
            m_here, k = _hmin(h, nh, k, t, min(t_next, end))
            up_ = valid[y] and cmax[y] > min(m_prev, m_here)
            flag[y] = up_
            raised = raised or up_
            m_prev = m_here
        if raised:
            # Raise the horizon by the cells that can.
            nc = _column_fn(x, ylim, flag, sc, tc, dlo, dhi, tm, tp, c, end)
            if 2 * (nh + nc) + 4 > u.shape[0]:
                u = np.empty((4 * (nh + nc) + 16, 4))
            nh = _merge(h, c, u, end)
            h, u = u, h
        cm, cp = cp, cm
        tm, tp = tp, tm


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _sweep(z, vis, r0, c0, order, X8, Y8, ax8, ay8, z_eye, th, kc, maxd2):
    for i in numba.prange(8):
        k = order[i]
        if X8[k] >= 1:
            _octant(
                z, vis, r0, c0, _OCTANTS[k, 0], _OCTANTS[k, 1], _OCTANTS[k, 2], X8[k], Y8[k],
                ax8[k], ay8[k], z_eye, th, kc, maxd2,
            )  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def _octant_reference(z, vis, r0, c0, swap, sx, sy, X, Ymax, ax, ay, z_eye, th, kc, maxd2):
    """The same model by brute force: walk the ray through every target's centre.

    O(n^1.5); a check on :func:`_octant` for the tests and the benchmark, not for use.
    """
    n = Ymax + 4
    valid = np.zeros((X + 1, n), dtype=np.bool_)
    sc = np.zeros((X + 1, n))
    tc = np.zeros((X + 1, n))
    dlo = np.zeros((X + 1, n))
    dhi = np.zeros((X + 1, n))
    st = np.zeros((X + 1, n))
    cmax = np.empty(n)
    la = np.empty(n)
    lb = np.empty(n)
    cm = np.empty(n)
    cp = np.empty(n)
    tm = np.empty(n)
    tp = np.empty(n)
    _load_line(z, r0, c0, swap, sx, sy, 0, min(2, Ymax) + 1, la)
    _load_line(z, r0, c0, swap, sx, sy, 1, min(3, Ymax) + 1, lb)
    _corner_line(la, lb, 0.5, min(1, Ymax) + 1, ax, ay, z_eye, kc, cm, tm)
    for x in range(1, X + 1):
        la, lb = lb, la
        _load_line(z, r0, c0, swap, sx, sy, x + 1, min(x + 3, Ymax) + 1, lb)
        _corner_line(la, lb, x + 0.5, min(x + 1, Ymax) + 1, ax, ay, z_eye, kc, cp, tp)
        _column_terms(
            x, min(x, Ymax), la, cm, cp, tm, tp, ax, ay, z_eye, th, kc, maxd2,
            valid[x], sc[x], tc[x], dlo[x], dhi[x], st[x], cmax,
        )  # fmt: skip
        cm, cp = cp, cm
        tm, tp = tp, tm
    for x in range(1, X + 1):
        for y in range(min(x, Ymax) + 1):
            if not valid[x, y]:
                continue
            t = tc[x, y]
            h = -np.inf
            for i in range(1, x):
                # Rows the ray y/x may cross in column i; keep those it crosses strictly:
                # (r - 1/2)/(i + 1/2) < y/x < (r + 1/2)/(i - 1/2), or r = 0 below the axis.
                r1 = (2 * y * i + x) // (2 * x)
                for r in range(max(r1 - 1, 0), min(r1 + 1, min(i, Ymax)) + 1):
                    if not valid[i, r] or y * (2 * i - 1) >= (2 * r + 1) * x:
                        continue
                    if r >= 1 and (2 * r - 1) * x >= y * (2 * i + 1):
                        continue
                    dt = t - tc[i, r]
                    v = sc[i, r] + dt * (dhi[i, r] if dt >= 0.0 else dlo[i, r])
                    if v > h:
                        h = v
            v8 = 1 if st[x, y] + _TIE >= h else 0
            if swap:
                vis[r0 + sx * x, c0 + sy * y] = max(vis[r0 + sx * x, c0 + sy * y], v8)
            else:
                vis[r0 + sy * y, c0 + sx * x] = max(vis[r0 + sy * y, c0 + sx * x], v8)


# --------------------------------------------------------------------------------------------


def _observer_cell(dem: Dem, observer_xy: tuple[float, float]) -> tuple[int, int]:
    x, y = observer_xy
    return dem.cell_of_xy(x, y, what=f"observer ({x:.1f}, {y:.1f})")


def check_view(
    observer_height: float, target_height: float, max_distance: float | None = None
) -> None:
    """Check a viewshed's heights and range, metres, before any work.

    Raises
    ------
    InvalidValueError
        Out of :data:`OBSERVER_HEIGHT`, :data:`TARGET_HEIGHT` or :data:`OBSERVER_RANGE`
        (``max_distance`` None or ``inf`` is unlimited); ``field`` names the setting.
    """
    OBSERVER_HEIGHT.check(observer_height, field="observer_height")
    TARGET_HEIGHT.check(target_height, field="target_height")
    if max_distance is not None and max_distance != math.inf:  # inf: unlimited, as None
        OBSERVER_RANGE.check(max_distance, field="max_distance")


def _check_observer(i: int, o: ObserverSpec) -> None:
    """Check observer ``i`` (0-based) of an exposure sum; the error names it."""
    checks = ((OBSERVER_HEIGHT, o.height_m, "height_m"), (OBSERVER_WEIGHT, o.weight, "weight"))
    if o.range_m != math.inf:
        checks += ((OBSERVER_RANGE, o.range_m, "range_m"),)
    for rng, value, name in checks:
        problem = rng.problem(value)
        if problem is not None:
            raise InvalidValueError(f"observer {i + 1}: {name}: {problem}", field="observers")


def _compute(
    elevation: np.ndarray,
    cell: tuple[float, float],
    rc: tuple[int, int],
    observer_height: float,
    target_height: float,
    max_distance: float | None,
    curvature: bool,
    refraction_coeff: float,
    *,
    reference: bool = False,
) -> np.ndarray:
    """The viewshed of the observer at cell ``rc`` of ``elevation`` (C-contiguous float64)."""
    rows, cols = elevation.shape
    r0, c0 = rc
    dx, dy = cell
    reach = math.inf if max_distance is None else float(max_distance)
    X8 = np.zeros(8, dtype=np.int64)
    Y8 = np.zeros(8, dtype=np.int64)
    ax8 = np.zeros(8)
    ay8 = np.zeros(8)
    for k, (swap, sx, sy) in enumerate(_OCTANTS):
        # Extent in cells along the major and the minor axis: to the grid edge or the range.
        if swap:
            major, minor = (rows - 1 - r0 if sx > 0 else r0), (cols - 1 - c0 if sy > 0 else c0)
            ax8[k], ay8[k] = dy, dx
        else:
            major, minor = (cols - 1 - c0 if sx > 0 else c0), (rows - 1 - r0 if sy > 0 else r0)
            ax8[k], ay8[k] = dx, dy
        if math.isfinite(reach):
            major = min(major, int(reach // ax8[k]))
            minor = min(minor, int(reach // ay8[k]))
        X8[k], Y8[k] = major, min(minor, major)
    maxd2 = reach * reach
    z_eye = float(elevation[r0, c0]) + float(observer_height)
    kc = (1.0 - refraction_coeff) / (2.0 * EARTH_RADIUS_M) if curvature else 0.0
    th = float(target_height)

    vis = np.full((rows, cols), OUTSIDE, dtype=np.uint8)
    if reference:
        vis[np.isfinite(elevation)] = HIDDEN
        for k, (swap, sx, sy) in enumerate(_OCTANTS):
            if X8[k] >= 1:
                _octant_reference(
                    elevation, vis, r0, c0, swap, sx, sy, X8[k], Y8[k], ax8[k], ay8[k],
                    z_eye, th, kc, maxd2,
                )  # fmt: skip
        rr = np.arange(rows)[:, None] - r0
        cc = np.arange(cols)[None, :] - c0
        vis[((rr * dy) ** 2 + (cc * dx) ** 2 > maxd2) & np.isfinite(elevation)] = OUTSIDE
    else:
        # Largest octants first, one at a time per thread: the threads finish together.
        order = np.argsort(-(X8 * X8)).astype(np.int64)
        with numba.parallel_chunksize(1):
            _sweep(elevation, vis, r0, c0, order, X8, Y8, ax8, ay8, z_eye, th, kc, maxd2)
    vis[r0, c0] = VISIBLE
    return vis


def viewshed(
    dem: Dem,
    observer_xy: tuple[float, float],
    *,
    observer_height: float = 1.75,
    target_height: float = 1.7,
    max_distance: float | None = None,
    curvature: bool = True,
    refraction_coeff: float = 0.14,
) -> np.ndarray:
    """Return where a person standing on the ground is in view of the observer.

    Parameters
    ----------
    dem
        The terrain: heights in metres, ``NaN`` for nodata.
    observer_xy
        Observer position ``(x, y)`` in map metres of ``dem.crs``; the observer stands at the
        centre of the cell that contains it.
    observer_height
        The observer's eye above the ground, metres.
    target_height
        Height above the ground of the point that must stay out of sight, metres (a standing
        person's head: about 1.7).
    max_distance
        Range in metres, centre to centre; cells farther away are :data:`OUTSIDE`. ``None``:
        unlimited.
    curvature
        Lower distant heights for the earth's curvature.
    refraction_coeff
        Atmospheric refraction: the curvature drop is multiplied by ``1 - refraction_coeff``.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array on ``dem``'s grid, indexed ``[row, col]``: :data:`VISIBLE` (1),
        :data:`HIDDEN` (0), or :data:`OUTSIDE` (255) for nodata cells and cells beyond
        ``max_distance``. The observer's own cell is visible. Nodata cells never block a view.

    Raises
    ------
    OutOfRangeError
        If the observer lies off the grid or on a nodata cell.
    InvalidValueError
        A height or the range is not a number within :data:`OBSERVER_HEIGHT`,
        :data:`TARGET_HEIGHT` or :data:`OBSERVER_RANGE` (``field`` names it).

    Notes
    -----
    Agrees with GRASS ``r.viewshed -b`` (``-c -r`` when ``curvature``) on the same heights; see
    the module docstring for the model.
    """
    check_view(observer_height, target_height, max_distance)
    rc = _observer_cell(dem, observer_xy)
    return _compute(
        np.ascontiguousarray(dem.elevation, dtype=np.float64),
        dem.cell_size,
        rc,
        observer_height,
        target_height,
        max_distance,
        curvature,
        refraction_coeff,
    )


def exposure(
    dem: Dem,
    observers: Sequence[ObserverSpec],
    *,
    target_height: float = 1.7,
    curvature: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Sum, per cell, the weights of the observers in whose view a person standing there is.

    Parameters
    ----------
    dem
        The terrain: heights in metres, ``NaN`` for nodata.
    observers
        The observation posts (map metres, eye height, range, weight).
    target_height
        Height above the ground of the point that must stay out of sight, metres.
    curvature
        Lower distant heights for the earth's curvature (refraction coefficient 0.14).
    progress
        Called as ``progress(done, total)`` after each observer.

    Returns
    -------
    numpy.ndarray
        ``float32`` array on ``dem``'s grid, indexed ``[row, col]``: the sum of ``weight`` over
        the observers that see the cell within their range; 0 where none does and on nodata.

    Raises
    ------
    OutOfRangeError
        If an observer lies off the grid or on a nodata cell.
    InvalidValueError
        The target height, or an observer's height, range or weight, is out of its range
        (:data:`TARGET_HEIGHT`, ...; an observer's error names it, ``field="observers"``).
    """
    TARGET_HEIGHT.check(target_height, field="target_height")
    for i, o in enumerate(observers):
        _check_observer(i, o)
    cells = [_observer_cell(dem, (o.x, o.y)) for o in observers]
    total = np.zeros(dem.shape, dtype=np.float32)
    rows, cols = dem.shape
    dx, dy = dem.cell_size
    for i, (o, (r0, c0)) in enumerate(zip(observers, cells, strict=True)):
        # Only the range window matters: cells beyond range neither count nor block. One cell
        # of margin keeps the corner heights of the outermost cells the same as on the full grid.
        if math.isfinite(o.range_m):
            hr, hc = int(o.range_m // dy) + 2, int(o.range_m // dx) + 2
        else:
            hr, hc = rows, cols
        ra, rb = max(r0 - hr, 0), min(r0 + hr + 1, rows)
        ca, cb = max(c0 - hc, 0), min(c0 + hc + 1, cols)
        window = np.ascontiguousarray(dem.elevation[ra:rb, ca:cb], dtype=np.float64)
        vis = _compute(
            window, (dx, dy), (r0 - ra, c0 - ca), o.height_m, target_height, o.range_m,
            curvature, 0.14,
        )  # fmt: skip
        total[ra:rb, ca:cb][vis == VISIBLE] += np.float32(o.weight)
        if progress is not None:
            progress(i + 1, len(observers))
    return total
