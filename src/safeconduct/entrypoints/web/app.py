"""The app factory: one FastAPI application on one set of casework ports."""

from __future__ import annotations

from fastapi import FastAPI

from safeconduct import __version__
from safeconduct.entrypoints.web.api import router
from safeconduct.entrypoints.web.areas import router as areas_router
from safeconduct.entrypoints.web.assignments import router as assignments_router
from safeconduct.entrypoints.web.body_limit import BodyLimit
from safeconduct.entrypoints.web.custody import router as custody_router
from safeconduct.entrypoints.web.errors import install_error_handlers
from safeconduct.entrypoints.web.exports import router as exports_router
from safeconduct.entrypoints.web.intake import router as intake_router
from safeconduct.entrypoints.web.live import router as live_router
from safeconduct.entrypoints.web.messages import router as messages_router
from safeconduct.entrypoints.web.operations import router as operations_router
from safeconduct.entrypoints.web.pages import mount_board
from safeconduct.entrypoints.web.pages.session import SameOriginForms
from safeconduct.services.casework import CaseworkPorts


def create_app(ports: CaseworkPorts) -> FastAPI:
    """The coordination service's web app on ``ports`` (its database, already migrated).

    The OpenAPI document is at ``/openapi.json``, the interactive one at ``/docs``. The
    caller owns ``ports`` and closes its database when the app stops.
    """
    app = FastAPI(
        title="safeconduct",
        version=__version__,
        description="The coordination service of drone-guided surrender: cases and their "
        "status, scoped by role.",
    )
    app.state.ports = ports
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(operations_router)
    app.include_router(areas_router)
    app.include_router(assignments_router)
    app.include_router(custody_router)
    app.include_router(messages_router)
    app.include_router(exports_router)
    app.include_router(intake_router)
    app.include_router(live_router)
    mount_board(app)
    # The last added runs first: a cross-site form, then an oversize body, refused unread.
    app.add_middleware(BodyLimit)
    app.add_middleware(SameOriginForms)
    return app
