"""How the command line shows things: summary tables and progress bars (rich)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from safeconduct.routing.route import Route


def format_duration(seconds: float) -> str:
    """``3725`` -> ``"1 h 02 min"``; ``125`` -> ``"2 min 05 s"``."""
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


def route_table(route: Route) -> Table:
    """A short summary of a route, then one row per leg."""
    table = Table(title=f"Route to {route.reception.name} ({route.model})", show_lines=False)
    table.add_column("leg", justify="right")
    table.add_column("distance", justify="right")
    table.add_column("walking time", justify="right")
    table.add_column("in view", justify="right")
    table.add_column("climb", justify="right")
    for seg in route.segments:
        table.add_row(
            str(seg.index + 1),
            f"{seg.distance_m:,.0f} m",
            format_duration(seg.time_s),
            format_duration(seg.exposed_time_s) if seg.exposed_time_s else "-",
            f"{seg.ascent_m:.0f} m",
        )
    table.add_section()
    table.add_row(
        "total",
        f"{route.length_m:,.0f} m",
        format_duration(route.walking_time_s),
        format_duration(route.exposed_time_s) if route.exposed_time_s else "-",
        f"{route.total_ascent_m:.0f} m",
    )
    table.caption = (
        f"steepest step {route.max_slope_deg:.1f}°, {len(route.waypoints)} waypoints, "
        f"cost {route.cost:,.1f}"
    )
    return table


@contextlib.contextmanager
def progress_bar(what: str) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``progress(done, total)`` callback drawing a bar on stderr."""
    console = Console(stderr=True)
    columns = (
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(what, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
