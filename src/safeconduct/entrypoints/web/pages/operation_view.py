"""A case's operation on its page: the facts, the plan job's progress, the files and the map.

What is shown comes from the operations use cases, which check the access table: a user
who may not read plan data gets no operation section at all (no link, no map). The map's
data are the plan's own files, served to the signed-in browser by
``/board/operations/{id}/files/{name}`` (the API's file route wants a bearer token).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from fastapi import Request

from safeconduct.casework.operation import PlanStatus
from safeconduct.casework.roles import can
from safeconduct.entrypoints.web.operations import get_operations
from safeconduct.errors import NotFoundError, PermissionDeniedError
from safeconduct.services import operations as ops
from safeconduct.services.casework import Actor

log = logging.getLogger("safeconduct.web")

#: The hillshade picture's name in a plan's folder (its bounds beside it, in ``.json``).
HILLSHADE = "hillshade.png"
_drawing = threading.Lock()

#: The plan files offered for download, in this order, with what they are.
DOWNLOADS: tuple[tuple[str, str], ...] = (
    ("route.geojson", "Route (GeoJSON)"),
    ("mission/mission.geojson", "Sorties (GeoJSON)"),
    ("note.pdf", "Note (PDF)"),
    ("report.html", "Report (HTML)"),
    ("summary.json", "Summary (JSON)"),
    ("mission/schedule.json", "Sortie schedule (JSON)"),
)
#: The map's layers: plan files drawn on the map.
MAP_FILES = ("route.geojson", "mission/mission.geojson")


def may_plan(actor: Actor) -> bool:
    """Whether the board offers ``actor`` the Plan button (the use case checks again)."""
    return actor.console or can(actor.roles, "write", "plan", own=False)


def downloads(info: ops.OperationInfo) -> list[tuple[str, str]]:
    """(name, label) of the plan's files: the main ones first, then the sorties' files."""
    listed = set(info.artifacts)
    main = [(name, label) for name, label in DOWNLOADS if name in listed]
    named = {name for name, _ in main}
    rest = [
        (name, name.removeprefix("mission/"))
        for name in info.artifacts
        if name not in named and name.endswith((".plan", ".waypoints"))
    ]
    return main + rest


def stage(info: ops.OperationInfo) -> str | None:
    """The plan job's latest step, from the operation's timeline, while it runs."""
    if info.plan_status not in (PlanStatus.QUEUED, PlanStatus.RUNNING):
        return None
    return info.events[-1].text if info.events else None


def context(request: Request, case_id: int, actor: Actor) -> dict[str, Any]:
    """The template values of a case's operation section: ``operation`` (None when the
    case has none or the actor may not read plans) and what goes with it."""
    try:
        info = ops.operation_for_case(get_operations(request), case_id, actor=actor)
    except (PermissionDeniedError, NotFoundError):
        return {"operation": None}
    done = info.plan_status == PlanStatus.DONE
    return {
        "operation": info,
        "plan_stage": stage(info),
        "running": info.plan_status in (PlanStatus.QUEUED, PlanStatus.RUNNING),
        "may_plan": may_plan(actor) and info.plan_status in (PlanStatus.NONE, PlanStatus.FAILED),
        "downloads": downloads(info) if done else [],
        "has_map": done and all(name in info.artifacts for name in MAP_FILES),
        "hillshade": hillshade(request, info) if done else None,
    }


def hillshade_path(request: Request, info: ops.OperationInfo) -> Path:
    """Where the operation's hillshade picture is kept: in its plan's folder, so a new plan
    (which replaces the folder) gets a new one."""
    return get_operations(request).plan_dir(info.id) / HILLSHADE


def hillshade(request: Request, info: ops.OperationInfo) -> dict[str, str] | None:
    """The map's hillshade overlay (``url`` and ``bounds`` ``"west,south,east,north"``),
    drawn from the area's DEM once per plan; None when it cannot be (the map does without)."""
    from safeconduct.adapters.report.overlays import read_overlay_bounds, write_hillshade_overlay

    path = hillshade_path(request, info)
    try:
        with _drawing:  # one drawing at a time; the others then find it drawn
            bounds = read_overlay_bounds(path)
            if bounds is None:
                dem = get_operations(request).area_dir(info.area) / "dem.tif"
                bounds = write_hillshade_overlay(dem, path, max_px=1000)
    except Exception:
        log.exception("no hillshade for operation %d", info.id)
        return None
    return {
        "url": f"/board/operations/{info.id}/{HILLSHADE}",
        "bounds": ",".join(f"{v:.7f}" for v in bounds),
    }
