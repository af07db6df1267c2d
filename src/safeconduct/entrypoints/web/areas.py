"""The REST API of the server's areas of operations.

- ``GET /api/areas``: every area, with its bounds, grid, meeting and reception points;
- ``GET /api/areas/{area}``: one area, by name;
- ``POST /api/areas`` (201): add an area from a ``multipart/form-data`` upload: the field
  ``name`` and the files ``dem`` (GeoTIFF), ``hazards``, ``observers``, ``reception``,
  ``meeting`` and, optionally, ``launch`` (GeoJSON).

The routes are thin: :mod:`safeconduct.services.area_library` checks who may do what and
every file. An upload is refused (403) before its body is read when the user may not add
areas, and (413) from its ``Content-Length`` when it is larger than the files may be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from safeconduct.entrypoints.web.deps import CurrentActor
from safeconduct.entrypoints.web.fields import answer, shown, shown_all
from safeconduct.entrypoints.web.operations import OpsPorts
from safeconduct.entrypoints.web.schemas import Problem
from safeconduct.errors import BadFileError
from safeconduct.services import area_library
from safeconduct.services.area_library import (
    LAYERS,
    MAX_DEM_BYTES,
    MAX_LAYER_BYTES,
    REQUIRED_LAYERS,
    AreaInfo,
)

#: The largest upload body accepted, in bytes: every file at its limit, and room for the
#: multipart framing and the name.
MAX_UPLOAD_BYTES = MAX_DEM_BYTES + (len(LAYERS) - 1) * MAX_LAYER_BYTES + 1024 * 1024

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in, or the token is not valid"},
    403: {"model": Problem, "description": "The user's roles do not allow this"},
    404: {"model": Problem, "description": "No such area"},
    422: {"model": Problem, "description": "A value in the request is not acceptable"},
}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    400: {"model": Problem, "description": "A file is empty, too large or malformed"},
    409: {"model": Problem, "description": "The server has an area of that name already"},
    413: {"model": Problem, "description": "The upload is larger than its files may be"},
}

#: The upload's body in the OpenAPI document (the route reads the form itself, after the
#: sign-in and the access check, so FastAPI does not describe it).
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["name", *REQUIRED_LAYERS],
                    "properties": {
                        "name": {
                            "type": "string",
                            "description": "The new area's name: 1-64 letters, digits, "
                            "'_', '.' or '-', starting with a letter or digit.",
                        },
                        "dem": {
                            "type": "string",
                            "format": "binary",
                            "description": "GeoTIFF of ground heights in metres, with a "
                            f"CRS (at most {MAX_DEM_BYTES // 2**20} MiB).",
                        },
                        **{
                            layer: {
                                "type": "string",
                                "format": "binary",
                                "description": f"GeoJSON {layer} layer, WGS84 "
                                f"(at most {MAX_LAYER_BYTES // 2**20} MiB)"
                                + ("; optional." if layer not in REQUIRED_LAYERS else "."),
                            }
                            for layer in LAYERS
                            if layer != "dem"
                        },
                    },
                }
            }
        },
    }
}

router = APIRouter(prefix="/api", tags=["areas"])


class Bounds(BaseModel):
    """A box in WGS84 degrees."""

    west: float
    south: float
    east: float
    north: float


class AreaOut(BaseModel):
    """One of the server's areas, as a planner picks it for an operation."""

    name: str = Field(description="The name an operation gives (its `area`).")
    bounds: Bounds = Field(description="The DEM's extent, WGS84 degrees.")
    cell_size_m: float = Field(description="The DEM's cell width in metres.")
    rows: int = Field(description="The DEM's rows.")
    cols: int = Field(description="The DEM's columns.")
    meeting_lat: float = Field(description="The area's own meeting point, latitude.")
    meeting_lon: float = Field(description="The area's own meeting point, longitude.")
    reception: list[str] = Field(description="The names of the area's reception points.")
    hazards: int = Field(description="Features in the hazards layer.")
    observers: int = Field(description="Observation posts in the observers layer.")
    launch_lat: float | None = Field(None, description="Where drones take off, if given.")
    launch_lon: float | None = None
    synthetic: bool = Field(description="The terrain is made up (the sample area).")

    @classmethod
    def of(cls, info: AreaInfo) -> AreaOut:
        west, south, east, north = info.bounds
        launch = info.launch_point
        return cls(
            name=info.name,
            bounds=Bounds(west=west, south=south, east=east, north=north),
            cell_size_m=info.cell_size_m,
            rows=info.size[0],
            cols=info.size[1],
            meeting_lat=info.meeting_point.lat,
            meeting_lon=info.meeting_point.lon,
            reception=list(info.reception),
            hazards=info.hazards,
            observers=info.observers,
            launch_lat=None if launch is None else launch.lat,
            launch_lon=None if launch is None else launch.lon,
            synthetic=info.synthetic,
        )


# ----------------------------------------------------------------- uploads, for the board too


def check_upload_size(request: Request) -> None:
    """Refuse (413) an upload whose declared length is more than its files may be."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise HTTPException(
            413,
            f"the upload is larger than {MAX_UPLOAD_BYTES // 2**20} MiB: a DEM may be "
            f"{MAX_DEM_BYTES // 2**20} MiB and each layer {MAX_LAYER_BYTES // 2**20} MiB",
        )


async def read_upload(request: Request) -> FormData:
    """The request's form: the name and at most one file per layer (more is refused)."""
    check_upload_size(request)
    return await request.form(max_files=len(LAYERS) + 1, max_fields=len(LAYERS) + 4)


def upload_files(form: FormData, *, besides: tuple[str, ...] = ()) -> Mapping[str, Any]:
    """Layer -> its uploaded file's stream, from a form; every field but ``name`` and those
    named in ``besides`` counts as a layer (the use case refuses an unknown one). A file
    input left empty (no file chosen) is absent."""
    files: dict[str, Any] = {}
    for key in dict.fromkeys(form.keys()):
        if key == "name" or key in besides:
            continue
        values = form.getlist(key)
        if len(values) > 1:
            raise BadFileError(f"give one {key} file, not {len(values)}", field=key)
        value = values[0]
        if isinstance(value, UploadFile):
            if not value.filename and not value.size:
                continue
            files[key] = value.file
        elif value == "":
            continue
        else:
            raise BadFileError(f"the {key} layer must be sent as a file", field=key)
    return files


def upload_name(form: FormData) -> str:
    """The ``name`` field of an upload form ('' when missing or not text)."""
    value = form.get("name")
    return value if isinstance(value, str) else ""


# ----------------------------------------------------------------- routes


# Areas belong to no case: nobody reads them as their own (own=False).


@router.get("/areas", response_model=None, responses={**_ERRORS, **answer(list[AreaOut])})
def list_areas(ports: OpsPorts, actor: CurrentActor) -> list[dict[str, Any]]:
    """The server's areas of operations, by name (operators and planners)."""
    found = [AreaOut.of(info) for info in area_library.list_areas(ports, actor=actor)]
    return shown_all("area", found, actor, own=False)


@router.get("/areas/{area}", response_model=None, responses={**_ERRORS, **answer(AreaOut)})
def get_area(ports: OpsPorts, actor: CurrentActor, area: str) -> dict[str, Any]:
    """One of the server's areas, by name."""
    return shown(
        "area", AreaOut.of(area_library.get_area(ports, area, actor=actor)), actor, own=False
    )


@router.post(
    "/areas",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_UPLOAD_ERRORS, **answer(AreaOut, 201)},
    openapi_extra=_UPLOAD_BODY,
)
async def add_area(request: Request, ports: OpsPorts, actor: CurrentActor) -> dict[str, Any]:
    """Add an area of operations from a GeoTIFF and its GeoJSON layers (a planner).

    Every file is checked with the readers plans use; on any error (named by its ``field``)
    nothing is kept. An area's name is never reused (409).
    """
    area_library.require_add(actor)
    form = await read_upload(request)
    try:
        info = await run_in_threadpool(
            area_library.add_area, ports, upload_name(form), upload_files(form), actor=actor
        )
    finally:
        await form.close()
    return shown("area", AreaOut.of(info), actor, own=False)
