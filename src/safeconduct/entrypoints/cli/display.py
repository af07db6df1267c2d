"""How the command line shows things: summary tables, status lines and progress bars (rich).

Every console here prints text as given: names, paths and options come from users and
from layer files, so rich must never read ``[...]`` as markup or ``:name:`` as an emoji
code (``[/x]`` would end in a traceback, ``:cross_mark:`` would print a cross).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from safeconduct.formatting import format_duration

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from safeconduct.routing.route import Route


def plain_console(*, stderr: bool = False) -> Console:
    """A console that prints text verbatim: no markup, no emoji codes, no highlighting."""
    from rich.console import Console

    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


@contextlib.contextmanager
def status_line(console: Console, what: str) -> Iterator[Callable[[str], None]]:
    """Show a spinner with ``what``; yield ``say(stage)``, which shows ``what: stage``.

    rich parses a status's text as markup whatever the console says, so both are handed
    over as :class:`rich.text.Text` (a path or a name in them is shown as it is).
    """
    from rich.text import Text

    with console.status(Text(what)) as status:

        def say(stage: str) -> None:
            status.update(Text(f"{what}: {stage}"))

        yield say


#: What ``route --legs`` accepts: legs as a walker follows them, or every leg.
LEG_VIEWS = ("walker", "all")


def route_table(route: Route, legs: str = "walker") -> Table:
    """A summary of a route: one row per stretch a walker follows (or per leg), then totals.

    Parameters
    ----------
    legs
        ``"walker"``: neighbouring legs merged so the route fits one screen
        (:func:`~safeconduct.routing.legs.walking_legs`); ``"all"``: every leg between
        two waypoints, as the GeoJSON keeps them.
    """
    from rich.table import Table  # only commands that show a route pay for it

    from safeconduct.routing.legs import walking_legs

    table = Table(title=f"Route to {route.reception.name} ({route.model})", show_lines=False)
    table.add_column("leg", justify="right")
    table.add_column("waypoints", justify="right")
    table.add_column("heading")
    table.add_column("distance", justify="right")
    table.add_column("walking time", justify="right")
    table.add_column("in view", justify="right")
    table.add_column("climb", justify="right")
    if legs == "all":
        stretches = walking_legs(
            route, max_legs=len(route.segments), min_leg_m=0.0, straight_deg=0.0
        )
    else:
        stretches = walking_legs(route)
    for i, leg in enumerate(stretches, start=1):
        table.add_row(
            str(i),
            f"{leg.first_waypoint + 1}-{leg.last_waypoint + 1}",
            leg.heading,
            f"{leg.distance_m:,.0f} m",
            format_duration(leg.time_s),
            format_duration(leg.exposed_time_s) if leg.exposed_time_s else "-",
            f"{leg.ascent_m:.0f} m",
        )
    table.add_section()
    table.add_row(
        "total",
        "",
        "",
        f"{route.length_m:,.0f} m",
        format_duration(route.walking_time_s),
        format_duration(route.exposed_time_s) if route.exposed_time_s else "-",
        f"{route.total_ascent_m:.0f} m",
    )
    shown = (
        f"{len(stretches)} stretches merged from {len(route.segments)} legs (--legs all lists "
        "every leg)"
        if len(stretches) < len(route.segments)
        else f"{len(route.segments)} legs"
    )
    table.caption = (
        f"{shown}; steepest step {route.max_slope_deg:.1f}°, {len(route.waypoints)} waypoints, "
        f"cost {route.cost:,.1f}"
    )
    return table


@contextlib.contextmanager
def progress_bar(what: str) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``progress(done, total)`` callback drawing a bar on stderr."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = plain_console(stderr=True)
    columns = (
        TextColumn(what, markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # Only on a terminal: into a file or a pipe a bar is noise (and leaves an empty line).
    disable = not console.is_terminal
    with Progress(*columns, console=console, transient=True, disable=disable) as bar:
        task = bar.add_task(what, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
