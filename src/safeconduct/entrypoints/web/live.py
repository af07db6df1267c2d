"""The live map of a leading, in the API and as Server-Sent Events.

- ``POST /api/operations/{operation_id}/live/positions``: the leader's positions and status
  (the operation's crew);
- ``GET /api/operations/{operation_id}/live``: the latest positions, status, engaged flag
  and the crew's recent taps (planners; the operation's crew and reception team);
- ``POST /api/operations/{operation_id}/live/taps`` (201): a tap marking the person (crew);
- ``POST /api/operations/{operation_id}/live/engage`` and ``.../disengage``: "Start
  leading" and "Stop" (crew);
- ``GET /api/operations/{operation_id}/live/events``: the map as Server-Sent Events,
  ``event: live`` with the whole map (as ``GET .../live`` answers it) each time it
  changes, first when the stream opens; keep-alive comments and the stream's lifetime as
  ``/api/events``.

Signed in with a bearer token (the ``lead`` command) or, for the board's map, the session
cookie; a POST with the cookie must carry the page's CSRF token in ``X-CSRF-Token``. The
use cases in :mod:`safeconduct.services.live` decide who may do what; nothing of it is
stored in the database.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from safeconduct.entrypoints.web.deps import unicode_json_text
from safeconduct.entrypoints.web.events import (
    format_event,
    woken_stream,
)
from safeconduct.entrypoints.web.fields import answer, shown
from safeconduct.entrypoints.web.pages import session as web_session
from safeconduct.entrypoints.web.pages.routes import templates
from safeconduct.entrypoints.web.schemas import Problem, RecordId
from safeconduct.errors import PermissionDeniedError, SafeconductError
from safeconduct.services import casework
from safeconduct.services import live as live_service
from safeconduct.services.casework import Actor, AuthenticationError, CaseworkPorts
from safeconduct.services.ports import LivePosition

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in, or the token is not valid"},
    403: {"model": Problem, "description": "The user's roles do not allow this"},
    404: {"model": Problem, "description": "No such operation"},
    422: {"model": Problem, "description": "A value in the request is not acceptable"},
}

_build_lock = threading.Lock()


def live_ports(app: FastAPI) -> live_service.LivePorts:
    """The app's live-map ports (``app.state.live``), built at first use on its casework
    database, with the relay :func:`safeconduct.bootstrap.live_relay` picks for it."""
    found = getattr(app.state, "live", None)
    if found is None:
        with _build_lock:
            found = getattr(app.state, "live", None)
            if found is None:
                from safeconduct import bootstrap

                ports: CaseworkPorts = app.state.ports
                engine = getattr(ports.database, "engine", None)
                found = live_service.connect(
                    live_service.LivePorts(
                        database=ports.database,  # type: ignore[arg-type]
                        maps=live_service.LiveMaps(),
                        relay=bootstrap.live_relay(getattr(engine, "url", "sqlite://")),
                    )
                )
                app.state.live = found
    return found


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Close the relay (its listening connection) when the app stops."""
    try:
        yield
    finally:
        found = getattr(app.state, "live", None)
        if found is not None and found.relay is not None:
            found.relay.close()


router = APIRouter(
    prefix="/api", tags=["live"], lifespan=lifespan, dependencies=[Depends(unicode_json_text)]
)


def _actor(request: Request, *, writes: bool) -> Actor:
    """The bearer token's user, else the session cookie's (whose POSTs need the CSRF
    header: a page of another site could otherwise post with the browser's cookie)."""
    ports: CaseworkPorts = request.app.state.ports
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return casework.actor_for_token(ports, credentials.strip())
    token = web_session.session_token(request)
    if token is None:
        raise AuthenticationError(
            "not signed in; get a token from POST /api/auth/token and send it as "
            "'Authorization: Bearer <token>'",
            field="token",
        )
    actor = casework.actor_for_token(ports, token)
    if writes:
        try:
            web_session.check_csrf(
                web_session.csrf_for(token), request.headers.get(web_session.CSRF_HEADER)
            )
        except web_session.CsrfRefusedError:
            raise PermissionDeniedError(
                "the page's CSRF token is missing or wrong; reload the page and try again"
            ) from None
    return actor


def reader(request: Request) -> Actor:
    return _actor(request, writes=False)


def writer(request: Request) -> Actor:
    return _actor(request, writes=True)


def get_live(request: Request) -> live_service.LivePorts:
    return live_ports(request.app)


Reader = Annotated[Actor, Depends(reader)]
Writer = Annotated[Actor, Depends(writer)]
Live = Annotated[live_service.LivePorts, Depends(get_live)]


# ----------------------------------------------------------------- shapes


class LivePositionIO(BaseModel):
    """A drone's or the person's position (WGS84 degrees) and when it was taken."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="drone or person.")
    lat: float = Field(description="Latitude, WGS84 degrees.")
    lon: float = Field(description="Longitude, WGS84 degrees.")
    at: str = Field(description="When, ISO 8601 with a zone (answered in UTC).")
    source: str = Field(description="vehicle, crew_tap, track or detector.")
    label: str = Field("", description="Tells drones apart: lead, relief.")

    def value(self) -> LivePosition:
        return LivePosition(self.kind, self.lat, self.lon, self.at, self.source, self.label)

    @classmethod
    def of(cls, position: LivePosition) -> LivePositionIO:
        return cls(
            kind=position.kind,
            lat=position.lat,
            lon=position.lon,
            at=position.at,
            source=position.source,
            label=position.label,
        )


class LivePost(BaseModel):
    """What the leader posts about once a second."""

    model_config = ConfigDict(extra="forbid")

    positions: list[LivePositionIO] = Field(
        description=f"At most {live_service.MAX_POSITIONS} positions."
    )
    status: str = Field("", description="The leader's one-line status.")


class TapIn(BaseModel):
    """Where a crew member tapped the person on the live map."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(description="Latitude, WGS84 degrees.")
    lon: float = Field(description="Longitude, WGS84 degrees.")


class TapOut(BaseModel):
    """A crew tap marking the person."""

    id: str
    lat: float
    lon: float
    at: str

    @classmethod
    def of(cls, tap: live_service.LiveTap) -> TapOut:
        return cls(id=tap.id, lat=tap.lat, lon=tap.lon, at=tap.at)


class LiveOut(BaseModel):
    """An operation's live map."""

    operation_id: int
    positions: list[LivePositionIO] = Field(description="The latest of each drone and the person.")
    status: str = Field(description="The leader's last status.")
    engaged: bool = Field(description="The crew pressed Start leading and did not stop it.")
    taps: list[TapOut] = Field(description="The crew's recent taps, oldest first.")
    updated_at: str = Field(description="When the map last changed (UTC); empty: never.")

    @classmethod
    def of(cls, view: live_service.LiveView) -> LiveOut:
        return cls(
            operation_id=view.operation_id,
            positions=[LivePositionIO.of(p) for p in view.positions],
            status=view.status,
            engaged=view.engaged,
            taps=[TapOut.of(t) for t in view.taps],
            updated_at=view.updated_at,
        )


def _shown(view: live_service.LiveView, actor: Actor) -> dict[str, Any]:
    # The use case refused the map unless the actor may read it (own where that counts).
    return shown("live_map", LiveOut.of(view), actor, own=True)


# ----------------------------------------------------------------- routes

_MAP = {**_ERRORS, **answer(LiveOut)}


@router.post("/operations/{operation_id}/live/positions", response_model=None, responses=_MAP)
def post_positions(
    live: Live, actor: Writer, operation_id: RecordId, body: LivePost
) -> dict[str, Any]:
    """Show the leader's positions and status on the operation's live map (its crew)."""
    view = live_service.post_positions(
        live, operation_id, [p.value() for p in body.positions], status=body.status, actor=actor
    )
    return _shown(view, actor)


@router.get("/operations/{operation_id}/live", response_model=None, responses=_MAP)
def get_live_map(live: Live, actor: Reader, operation_id: RecordId) -> dict[str, Any]:
    """The operation's live map: positions, status, engaged, the crew's recent taps."""
    return _shown(live_service.live_view(live, operation_id, actor=actor), actor)


@router.post(
    "/operations/{operation_id}/live/taps",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={**_ERRORS, **answer(TapOut, 201)},
)
def add_tap(live: Live, actor: Writer, operation_id: RecordId, body: TapIn) -> dict[str, Any]:
    """Mark where the person is (a crew member's tap on the map); audited."""
    tap = live_service.add_tap(live, operation_id, body.lat, body.lon, actor=actor)
    return shown("live_tap", TapOut.of(tap), actor, own=True)


@router.post("/operations/{operation_id}/live/engage", response_model=None, responses=_MAP)
def engage(live: Live, actor: Writer, operation_id: RecordId) -> dict[str, Any]:
    """Start leading (the crew's confirmation on the board); audited."""
    return _shown(live_service.engage(live, operation_id, actor=actor), actor)


@router.post("/operations/{operation_id}/live/disengage", response_model=None, responses=_MAP)
def disengage(live: Live, actor: Writer, operation_id: RecordId) -> dict[str, Any]:
    """Stop leading: the leader stops sending targets; audited."""
    return _shown(live_service.disengage(live, operation_id, actor=actor), actor)


def _stream(
    request: Request, live: live_service.LivePorts, operation_id: RecordId, actor: Actor
) -> AsyncIterator[str]:
    sent = -1

    async def emit() -> list[str]:
        nonlocal sent
        version = live.maps.version(operation_id)
        if version == sent:
            return []
        sent = version
        return [format_event("live", _shown(live.maps.view(operation_id), actor))]

    return woken_stream(request, live.maps.add_waker, live.maps.remove_waker, emit)


@router.get(
    "/operations/{operation_id}/live/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
        **_ERRORS,
    },
)
async def live_events(request: Request, operation_id: RecordId) -> StreamingResponse:
    """The operation's live map as Server-Sent Events (``event: live``, the whole map)."""
    actor = await run_in_threadpool(_actor, request, writes=False)
    live = live_ports(request.app)
    await run_in_threadpool(live_service.require, live, operation_id, actor=actor)
    return StreamingResponse(
        _stream(request, live, operation_id, actor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# ----------------------------------------------------------------- the board's section


def live_section(request: Request, actor: Actor, case: Any) -> dict[str, Any] | None:
    """What the case page's live map shows (``_live.html``), or None when the case has no
    operation or the actor may not read its live map: ``operation_id``, ``may_write`` (the
    crew's taps and buttons), ``route`` (the plan's route file, when planned) and
    ``center`` (the meeting point, lat, lon, where the map opens)."""
    from safeconduct.entrypoints.web.operations import get_operations
    from safeconduct.services import operations as ops

    # Only the database is read here: a page view starts no relay listener.
    found = getattr(request.app.state, "live", None)
    live = found or live_service.LivePorts(
        database=request.app.state.ports.database, maps=live_service.LiveMaps()
    )
    operation_id = live_service.operation_of_case(live, int(case.id))
    if operation_id is None:
        return None
    may_read, may_write = live_service.rights(live, operation_id, actor=actor)
    if not may_read:
        return None
    route = center = None
    try:  # whoever reads the live map reads the plan too (GUIDE §2)
        info = ops.get_operation(get_operations(request), operation_id, actor=actor)
    except SafeconductError:
        info = None
    if info is not None:
        center = (info.meeting_point.lat, info.meeting_point.lon)
        if "route.geojson" in info.artifacts:
            route = f"/board/operations/{operation_id}/files/route.geojson"
    return {"operation_id": operation_id, "may_write": may_write, "route": route, "center": center}


templates.env.globals["live_section"] = live_section
