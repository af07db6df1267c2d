"""The board's areas page: the server's areas of operations, and a form to upload one.

Operators and planners see the list; planners also get the upload form. The use cases in
:mod:`safeconduct.services.area_library` decide: a refused upload (a file that is no
GeoTIFF, a malformed layer, a meeting point off the DEM, a name taken) is shown on the
form, which comes back with its message (422); nothing of it is kept. The upload is read
only after the session and the user's right to add areas are checked, and its CSRF token
before any file is looked at.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safeconduct.entrypoints.web.areas import read_upload, upload_files, upload_name
from safeconduct.entrypoints.web.operations import get_operations
from safeconduct.entrypoints.web.pages import session as web_session
from safeconduct.entrypoints.web.pages.routes import (
    board_ports,
    refusal_page,
    render_page,
    templates,
)
from safeconduct.entrypoints.web.pages.session import check_csrf, csrf_for
from safeconduct.errors import SafeconductError
from safeconduct.services import area_library
from safeconduct.services.area_library import (
    LAYERS,
    MAX_DEM_BYTES,
    MAX_LAYER_BYTES,
    REQUIRED_LAYERS,
)
from safeconduct.services.casework import Actor, PermissionDeniedError

router = APIRouter(include_in_schema=False)

# The page header offers the link to whoever may see the areas (base.html asks).
templates.env.globals["may_see_areas"] = area_library.may_read_areas

#: The upload form's file inputs: (layer, label, accepted file types).
UPLOAD_FIELDS: tuple[tuple[str, str, str], ...] = tuple(
    (
        layer,
        "Elevation model (GeoTIFF)" if layer == "dem" else f"{layer.capitalize()} (GeoJSON)",
        ".tif,.tiff" if layer == "dem" else ".geojson,.json",
    )
    for layer in LAYERS
)


def _page(
    request: Request,
    actor: Actor,
    token: str,
    *,
    error: SafeconductError | None = None,
    name: str = "",
    added: str | None = None,
) -> HTMLResponse:
    areas = area_library.list_areas(get_operations(request), actor=actor)
    context: dict[str, Any] = {
        "areas": areas,
        "may_add": area_library.may_add_areas(actor),
        "fields": UPLOAD_FIELDS,
        "required": REQUIRED_LAYERS,
        "max_dem_mib": MAX_DEM_BYTES // 2**20,
        "max_layer_mib": MAX_LAYER_BYTES // 2**20,
        "name": name,
        "added": added if added in {a.name for a in areas} else None,
        "error": error.message if error else None,
        "error_field": error.field if error else None,
    }
    status = 422 if error else 200
    return render_page(request, "areas.html", context, status=status, actor=actor, token=token)


@router.get("/board/areas")
def areas_page(request: Request, added: str | None = None) -> HTMLResponse:
    """The server's areas (operators, planners) and, for planners, the upload form."""
    actor, token = web_session.session_actor(board_ports(request), request)
    try:
        return _page(request, actor, token, added=added)
    except SafeconductError as error:
        return refusal_page(request, error, actor, token)


@router.post("/board/areas")
async def upload_area(request: Request) -> Response:
    """Add an area from the upload form; on success back to the list, which shows it."""
    actor, token = await run_in_threadpool(web_session.session_actor, board_ports(request), request)
    if not area_library.may_add_areas(actor):
        error = PermissionDeniedError(f"{actor.name} may not add areas of operations")
        return refusal_page(request, error, actor, token)
    form = await read_upload(request)
    try:
        sent = request.headers.get(web_session.CSRF_HEADER) or form.get(web_session.CSRF_FIELD)
        check_csrf(csrf_for(token), sent if isinstance(sent, str) else None)
        name = upload_name(form)
        try:
            info = await run_in_threadpool(
                area_library.add_area,
                get_operations(request),
                name,
                upload_files(form, besides=(web_session.CSRF_FIELD,)),
                actor=actor,
            )
        except PermissionDeniedError as error:
            return refusal_page(request, error, actor, token)
        except SafeconductError as error:
            return await run_in_threadpool(_page, request, actor, token, error=error, name=name)
    finally:
        await form.close()
    return RedirectResponse(f"/board/areas?added={info.name}", status_code=303)
