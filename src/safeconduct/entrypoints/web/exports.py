"""The REST API of exports: a case's or a prisoner's personal data as an encrypted archive.

- ``POST /api/exports`` (201): make an export of a case (``case_id``) or a prisoner
  (``prisoner_id``) with a password, a purpose and an expiry; it is kept for download until
  it expires; answers its id, expiry and download address;
- ``GET /api/exports/{export_id}.zip``: the archive (AES-256 ZIP), for whoever made it,
  before it expires; each download audited.

The password travels in the request's body (never in an address: addresses end up in access
logs) and is kept nowhere. What goes into the archive, who may export, and the blurring of
pictures are the use cases' (:mod:`safeconduct.services.exports`).
"""

from __future__ import annotations

import re
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from safeconduct.entrypoints.web.deps import CurrentActor, unicode_json_text
from safeconduct.entrypoints.web.schemas import MAX_ID, Problem
from safeconduct.errors import InvalidValueError, NotFoundError
from safeconduct.services import custody, exports

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in, or the token is not valid"},
    403: {"model": Problem, "description": "The user's roles do not allow this"},
    404: {"model": Problem, "description": "No such case, prisoner or export (or expired)"},
    422: {"model": Problem, "description": "A value in the request is not acceptable"},
}
_ID = re.compile(r"^[0-9a-f]{32}$")
_build_lock = threading.Lock()


def export_ports_of(app: FastAPI) -> exports.ExportPorts:
    """The app's export ports on its casework database, built at first use (a test may
    give its own in ``app.state.exports``)."""
    found = getattr(app.state, "exports", None)
    if found is None:
        with _build_lock:
            found = getattr(app.state, "exports", None)
            if found is None:
                from safeconduct import bootstrap

                found = bootstrap.export_ports(app.state.ports)
                app.state.exports = found
    return found


def get_exports(request: Request) -> exports.ExportPorts:
    """The export ports of the request's app."""
    return export_ports_of(request.app)


ExportPortsDep = Annotated[exports.ExportPorts, Depends(get_exports)]

router = APIRouter(prefix="/api", tags=["exports"], dependencies=[Depends(unicode_json_text)])


class ExportIn(BaseModel):
    """What to export, why, and how it is protected."""

    model_config = ConfigDict(extra="forbid")

    case_id: int | None = Field(None, ge=1, le=MAX_ID, description="Export this case (its id).")
    prisoner_id: int | None = Field(None, ge=1, le=MAX_ID, description="Or this prisoner (his id).")
    purpose: str = Field(description="Why it is exported (in the archive and the audit trail).")
    password: str = Field(description="The archive's password (12 characters at least).")
    expires_days: int = Field(7, description="Days the recipient may keep it (1 to 90).")
    blur: bool = Field(True, description="Blur faces in pictures (off: a registrar, a reason).")
    reason: str | None = Field(None, description="Why pictures go out unblurred.")


class ExportOut(BaseModel):
    """An export made: where to download it, until when."""

    id: str = Field(description="The export's id.")
    record: str = Field(description="What was exported: case:<id> or prisoner:<id>.")
    expires_at: str = Field(description="When it expires and is deleted (ISO 8601, UTC).")
    faces_blurred: bool = Field(description="Whether pictures had their faces blurred.")
    files: list[str] = Field(description="The files in the archive besides manifest.json.")
    download: str = Field(description="The archive's address (GET).")


@router.post(
    "/exports", status_code=status.HTTP_201_CREATED, responses=_ERRORS, response_model=ExportOut
)
def make_export(
    request: Request, ports: ExportPortsDep, actor: CurrentActor, body: ExportIn
) -> ExportOut:
    """Export a case's or a prisoner's personal data as an AES-256 ZIP, kept for download."""
    if (body.case_id is None) == (body.prisoner_id is None):
        raise InvalidValueError("give either case_id or prisoner_id", field="case_id")
    options: dict[str, Any] = {
        "password": body.password,
        "purpose": body.purpose,
        "actor": actor,
        "expires_days": body.expires_days,
        "blur": body.blur,
        "reason": body.reason,
    }
    if body.case_id is not None:
        made = exports.export_case(ports, body.case_id, **options)
    else:
        assert body.prisoner_id is not None
        custody_ports = custody.CustodyPorts(
            database=ports.database, documents=ports.documents, series=ports.series
        )
        number = custody.prisoner_number_of(custody_ports, body.prisoner_id, actor=actor)
        made = exports.export_prisoner(ports, number, **options)
    export_id = exports.keep_export(ports, made)
    return ExportOut(
        id=export_id,
        record=made.record,
        expires_at=made.manifest["expires_at"],
        faces_blurred=made.manifest["faces_blurred"],
        files=[f["name"] for f in made.manifest["files"]],
        download=f"/api/exports/{export_id}.zip",
    )


@router.get(
    "/exports/{export_id}.zip",
    responses={**_ERRORS, 200: {"content": {"application/zip": {}}, "description": "The ZIP"}},
    response_class=Response,
)
def download(ports: ExportPortsDep, actor: CurrentActor, export_id: str) -> Response:
    """The encrypted archive of an export the user made, until it expires."""
    if not _ID.match(export_id):
        raise NotFoundError("there is no such export", field="export")
    content = exports.download_export(ports, export_id, actor=actor)
    return Response(
        content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="export-{export_id[:8]}.zip"',
            "Cache-Control": "no-store",
        },
    )
