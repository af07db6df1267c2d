"""Figures for the report, rendered to PNG bytes (matplotlib's object API, no display).

- :func:`profile_png`: elevation along the route, with the stretches in view of hostile
  observers shaded.
- :func:`timeline_png`: the operation over time: distance walked, which drone leads, when
  the drone waits, when the person rests or waits for a relay.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure

from safeconduct.guidance.rehearsal import RehearsalResult, TerrainAlong

_IN_VIEW = "#f4a261"
_ROUTE = "#023e8a"


def _png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def profile_png(distance_m: np.ndarray, elevation_m: np.ndarray, terrain: TerrainAlong) -> bytes:
    """Elevation profile with exposure shading.

    Parameters
    ----------
    distance_m, elevation_m
        The profile: distance along the route and ground height, metres.
    terrain
        Samples along the route; those seen by any observer are shaded.
    """
    fig = Figure(figsize=(8, 2.6))
    ax = fig.subplots()
    ax.plot(distance_m / 1000.0, elevation_m, color=_ROUTE, linewidth=1.8)
    seen = terrain.seen_by.any(axis=0) if terrain.seen_by.size else np.zeros(0, dtype=bool)
    s = np.arange(len(seen)) * terrain.step_m / 1000.0
    low, high = float(np.nanmin(elevation_m)), float(np.nanmax(elevation_m))
    pad = max(5.0, 0.1 * (high - low))
    ax.fill_between(
        s, low - pad, high + pad, where=seen, color=_IN_VIEW, alpha=0.45, linewidth=0,
        label="in view of a hostile observer", step="mid",
    )  # fmt: skip
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlim(0, distance_m[-1] / 1000.0)
    ax.set_xlabel("distance along the route (km)")
    ax.set_ylabel("elevation (m)")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def timeline_png(result: RehearsalResult, sortie_spans: list[tuple[float, float]]) -> bytes:
    """The rehearsal over time.

    Parameters
    ----------
    result
        The rehearsal.
    sortie_spans
        ``(arrive_t, leave_t)`` of each drone over the person, seconds from the start.
    """
    track = result.track
    t0 = float(track["t_s"][0]) if len(track["t_s"]) else 0.0
    minutes = (track["t_s"] - t0) / 60.0
    fig = Figure(figsize=(8, 3.2))
    ax, bars = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot(minutes, track["person_s"] / 1000.0, color=_ROUTE, label="person")
    ax.plot(minutes, track["drone_s"] / 1000.0, color="#6c757d", linewidth=1, label="drone")
    ax.set_ylabel("km along route")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)

    palette = ["#2a9d8f", "#e9c46a", "#8ecae6", "#b5838d"]
    for i, (arrive, leave) in enumerate(sortie_spans):
        a = (arrive - t0) / 60.0
        b = min(leave - t0, float(track["t_s"][-1]) - t0 if len(track["t_s"]) else 0) / 60.0
        if b > a:
            bars.broken_barh([(a, b - a)], (1.1, 0.8), color=palette[i % len(palette)])
            bars.text(a + 0.5, 1.5, f"drone {i + 1}", va="center", fontsize=8)
    waiting = track["mode"] == 1
    no_drone = track["mode"] == 3
    for flags, y, colour in ((waiting, 0.1, "#d62828"), (no_drone, 0.1, "#6c757d")):
        starts = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8)))) == 1)
        ends = np.flatnonzero(np.diff(np.concatenate((flags.astype(np.int8), [0]))) == -1)
        spans = [
            (minutes[a], max(minutes[b] - minutes[a], 0.2))
            for a, b in zip(starts, ends, strict=True)
        ]
        if spans:
            bars.broken_barh(spans, (y, 0.8), color=colour)
    bars.set_yticks([0.5, 1.5], ["waits", "leads"])
    bars.set_ylim(0, 2)
    bars.set_xlabel("minutes since the first drone arrived (red: drone waits; grey: no drone)")
    return _png(fig)
