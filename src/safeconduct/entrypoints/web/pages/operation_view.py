"""A case's operation on its page: the facts, the plan job's progress, the files and the map.

What is shown comes from the operations use cases, which check the access table: a user
who may not read plan data gets no operation section at all (no link, no map). The map's
data are the plan's own files, served to the signed-in browser by
``/board/operations/{id}/files/{name}`` (the API's file route wants a bearer token).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request

from safeconduct.casework.operation import PlanStatus
from safeconduct.casework.roles import can
from safeconduct.entrypoints.web.operations import get_operations
from safeconduct.errors import (
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
    SafeconductError,
)
from safeconduct.services import area_library
from safeconduct.services import operations as ops
from safeconduct.services.area_library import AreaInfo
from safeconduct.services.casework import Actor
from safeconduct.terrain.coords import ACCEPTED_FORMS, GeoPoint, parse_point

log = logging.getLogger("safeconduct.web")

#: The map's pictures, drawn once per plan into its folder (bounds beside each, in ``.json``):
#: the area DEM's hillshade and the plan's exposure.
HILLSHADE = "hillshade.png"
EXPOSURE = "exposure.png"
OVERLAYS = (HILLSHADE, EXPOSURE)
_drawing = threading.Lock()

#: The plan files offered for download, in this order, with what they are.
DOWNLOADS: tuple[tuple[str, str], ...] = (
    ("route.geojson", "Route (GeoJSON)"),
    ("mission/mission.geojson", "Sorties (GeoJSON)"),
    ("note.pdf", "Note (PDF)"),
    ("report.html", "Report (HTML)"),
    ("summary.json", "Summary (JSON)"),
    ("mission/schedule.json", "Sortie schedule (JSON)"),
    ("hazards.geojson", "Hazards (GeoJSON)"),
    ("observers.geojson", "Observers (GeoJSON)"),
    ("exposure.tif", "Exposure (GeoTIFF)"),
)
#: The map's layers: plan files drawn on the map (the route and sorties are needed; plans
#: made before the plan folder kept its area's layers have no hazards or observers).
MAP_FILES = ("route.geojson", "mission/mission.geojson")
AREA_LAYERS = ("hazards.geojson", "observers.geojson")


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


def stamp(info: ops.OperationInfo | None) -> str:
    """What the operation section shows, in short: a board asks again with it and gets
    nothing (204) when it is unchanged, so a case change that leaves the operation as it was
    neither redraws the map nor wipes a half-filled form."""
    if info is None:
        return "none"
    return f"{info.id}-{info.plan_status}-{len(info.events)}"


def context(request: Request, case_id: int, actor: Actor) -> dict[str, Any]:
    """The template values of a case's operation section.

    ``show_operation`` is False when the actor may not read this case's plan (no section,
    no link, no map); ``operation`` is None when the case has none yet (the section is
    then an empty place the board fills when one is made). Planners get the new-operation
    form there (see :func:`new_operation`, added by the routes).
    """
    try:
        info = ops.operation_for_case(get_operations(request), case_id, actor=actor)
    except PermissionDeniedError:
        return {"operation": None, "show_operation": False}
    except NotFoundError:
        return {"operation": None, "show_operation": True, "stamp": stamp(None)}
    done = info.plan_status == PlanStatus.DONE
    has_map = done and all(name in info.artifacts for name in MAP_FILES)
    return {
        "operation": info,
        "show_operation": True,
        "stamp": stamp(info),
        "plan_stage": stage(info),
        "running": info.plan_status in (PlanStatus.QUEUED, PlanStatus.RUNNING),
        "may_plan": may_plan(actor) and info.plan_status in (PlanStatus.NONE, PlanStatus.FAILED),
        "downloads": downloads(info) if done else [],
        "has_map": has_map,
        "layers": [n for n in AREA_LAYERS if n in info.artifacts] if has_map else [],
        "hillshade": overlay(request, info, HILLSHADE) if has_map else None,
        "exposure": overlay(request, info, EXPOSURE) if has_map else None,
    }


def overlay_path(request: Request, info: ops.OperationInfo, name: str) -> Path:
    """Where the operation's picture ``name`` (one of :data:`OVERLAYS`) is kept: in its
    plan's folder, so a new plan (which replaces the folder) gets new ones."""
    return get_operations(request).plan_dir(info.id) / name


def overlay(request: Request, info: ops.OperationInfo, name: str) -> dict[str, str] | None:
    """A map picture (``url``, and ``bounds`` ``"west,south,east,north"`` in degrees):
    :data:`HILLSHADE` from the area's DEM, :data:`EXPOSURE` from the plan's
    ``exposure.tif``, drawn once per plan; None when it cannot be (the map does without)."""
    from safeconduct.adapters.report.overlays import (
        read_overlay_bounds,
        write_exposure_overlay,
        write_hillshade_overlay,
    )

    path = overlay_path(request, info, name)
    try:
        with _drawing:  # one drawing at a time; the others then find it drawn
            bounds = read_overlay_bounds(path)
            if bounds is None and name == HILLSHADE:
                dem = get_operations(request).area_dir(info.area) / "dem.tif"
                bounds = write_hillshade_overlay(dem, path, max_px=1000)
            elif bounds is None and name == EXPOSURE:
                if "exposure.tif" not in info.artifacts:
                    return None  # a plan made before plans kept their exposure
                grid = get_operations(request).plan_dir(info.id) / "exposure.tif"
                bounds = write_exposure_overlay(grid, path, max_px=1000)
            elif bounds is None:
                return None
    except Exception:
        log.exception("no %s for operation %d", name, info.id)
        return None
    return {
        "url": f"/board/operations/{info.id}/{name}",
        "bounds": ",".join(f"{v:.7f}" for v in bounds),
    }


# ----------------------------------------------------------------- the new-operation form

#: The form's fields, as the use case names them: an error with one of these ``field``s
#: is shown next to it, any other above the form.
FORM_FIELDS = ("area", "meeting_point", "window_start", "window_end", "reception")
#: How the browser's ``datetime-local`` inputs write a time (minutes; read as UTC).
LOCAL_MINUTES = "%Y-%m-%dT%H:%M"
#: The meeting window offered by default: from the next whole hour, this long.
DEFAULT_WINDOW = timedelta(hours=2)


@dataclass(frozen=True)
class NewOperationForm:
    """What the new-operation form shows: the choices, the values (as typed, or the
    defaults) and the error messages by field (``""``: the form's own)."""

    areas: tuple[AreaInfo, ...]
    area: str
    meeting_point: str
    window_start: str
    window_end: str
    reception: str
    receptions: tuple[str, ...]
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def bounds_hint(self) -> str:
        """The chosen area's box, for the hint under the meeting point (lat, lon)."""
        chosen = next((a for a in self.areas if a.name == self.area), None)
        if chosen is None:
            return ""
        west, south, east, north = chosen.bounds
        return f"{south:.4f}..{north:.4f} N, {west:.4f}..{east:.4f} E"


def _point_text(point: GeoPoint) -> str:
    return f"{point.lat:.5f},{point.lon:.5f}"


def default_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The window offered by default: from the next whole hour (UTC) for two hours."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    start = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return start, start + DEFAULT_WINDOW


def new_operation(
    request: Request,
    actor: Actor,
    values: Mapping[str, str] | None = None,
    *,
    errors: Mapping[str, str] | None = None,
    area_changed: bool = False,
    now: datetime | None = None,
) -> NewOperationForm | None:
    """The new-operation form for ``actor``, or None when they may not plan.

    Parameters
    ----------
    values
        What was typed (a form sent back with errors, or re-drawn for another area); None
        for the defaults: the first area, its own meeting point, :func:`default_window`.
    area_changed
        The area was just chosen: its own meeting point and reception points replace
        what the form held for the area before.
    """
    if not may_plan(actor):
        return None
    try:
        areas = tuple(area_library.list_areas(get_operations(request), actor=actor))
    except PermissionDeniedError:
        return None
    given = dict(values or {})
    names = [a.name for a in areas]
    area = given.get("area", "").strip() or (names[0] if names else "")
    chosen = next((a for a in areas if a.name == area), None)
    start, end = default_window(now)
    meeting = given.get("meeting_point")
    reception = given.get("reception", "")
    if values is None or area_changed:
        meeting = _point_text(chosen.meeting_point) if chosen else ""
        reception = ""
    receptions = chosen.reception if chosen else ()
    return NewOperationForm(
        areas=areas,
        area=area,
        meeting_point=meeting or "",
        window_start=given.get("window_start") or start.strftime(LOCAL_MINUTES),
        window_end=given.get("window_end") or end.strftime(LOCAL_MINUTES),
        reception=reception if reception in receptions else "",
        receptions=receptions,
        errors=dict(errors or {}),
    )


@dataclass(frozen=True)
class OperationRequest:
    """The form's values, read: what :func:`~safeconduct.services.operations.create_operation`
    takes."""

    area: str
    meeting_point: GeoPoint
    window_start: datetime
    window_end: datetime
    reception: str | None


def _utc_time(text: str, field_name: str, what: str) -> datetime:
    """A ``datetime-local`` value (``YYYY-MM-DDTHH:MM``, seconds allowed) read as UTC; a
    time with its own offset is taken as given."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidValueError(
            f"give the {what} of the meeting window (UTC, YYYY-MM-DD HH:MM)", field=field_name
        )
    try:
        moment = datetime.fromisoformat(cleaned.replace(" ", "T", 1))
    except ValueError:
        raise InvalidValueError(
            f"{cleaned[:40]!r} is not a date and time; give the {what} of the meeting window "
            "as YYYY-MM-DD HH:MM (UTC)",
            field=field_name,
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def read_form(values: Mapping[str, str]) -> tuple[OperationRequest | None, dict[str, str]]:
    """Read the form: the request, or None and a message for every field that is wrong
    (all of them at once, so the planner fixes them in one go). Whether the point lies in
    the area, the area exists and the window is in order is the use case's to say."""
    errors: dict[str, str] = {}
    area = values.get("area", "").strip()
    if not area:
        errors["area"] = "choose an area"
    point = start = end = None
    try:
        point = parse_point(values.get("meeting_point", ""), "meeting_point")
    except SafeconductError as error:
        errors["meeting_point"] = error.message
    try:
        start = _utc_time(values.get("window_start", ""), "window_start", "start")
    except SafeconductError as error:
        errors["window_start"] = error.message
    try:
        end = _utc_time(values.get("window_end", ""), "window_end", "end")
    except SafeconductError as error:
        errors["window_end"] = error.message
    if errors or point is None or start is None or end is None:
        return None, errors
    reception = values.get("reception", "").strip() or None
    return OperationRequest(area, point, start, end, reception), {}


def form_error(error: SafeconductError) -> dict[str, str]:
    """A use case's refusal as form errors: next to its field, or above the form."""
    where = error.field if error.field in FORM_FIELDS else ""
    return {where: error.message}


#: Shown under the meeting point field.
POINT_FORMS = ACCEPTED_FORMS
