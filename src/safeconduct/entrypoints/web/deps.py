"""What a route receives through FastAPI's dependencies: the ports and the acting user.

As in the FastAPI full-stack template's ``deps.py``, the session and the current user come
in here; unlike it, no route checks a role: the use case does (GUIDE §5), so a route
cannot forget to.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from safeconduct.errors import InvalidValueError
from safeconduct.services.casework import (
    Actor,
    AuthenticationError,
    CaseworkPorts,
    actor_for_token,
)

#: Reads ``Authorization: Bearer ...``; a missing header is refused by :func:`current_actor`
#: (not by FastAPI) so that every 401 has the same shape.
bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_ports(request: Request) -> CaseworkPorts:
    """The casework ports the app was built on."""
    ports: CaseworkPorts = request.app.state.ports
    return ports


Ports = Annotated[CaseworkPorts, Depends(get_ports)]


def current_actor(ports: Ports, token: Annotated[str | None, Depends(bearer)]) -> Actor:
    """The signed-in user of this request (an :class:`AuthenticationError`: 401)."""
    if not token:
        raise AuthenticationError(
            "not signed in; get a token from POST /api/auth/token and send it as "
            "'Authorization: Bearer <token>'",
            field="token",
        )
    return actor_for_token(ports, token)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def _lone_surrogate(value: Any, where: str = "") -> str | None:
    """Where in a parsed JSON value a string holds a lone surrogate, or None."""
    if isinstance(value, str):
        return where if any("\ud800" <= c <= "\udfff" for c in value) else None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, inner in items:
        name = f"{where}.{key}" if where else str(key)
        found = _lone_surrogate(key, name) if isinstance(key, str) else None
        found = found or _lone_surrogate(inner, name)
        if found is not None:
            return found
    return None


async def unicode_json_text(request: Request) -> None:
    """Refuse a JSON body whose text holds a lone surrogate (an escaped ``\\ud800``).

    Why: such a body is valid JSON but its strings are no Unicode text; they passed every
    check and failed where the text is encoded (sealing, the audit digest, the export
    archive), a 500 (the API fuzzing found it). A router depending on this answers 422,
    naming the field, before any use case runs.
    """
    if "json" not in request.headers.get("content-type", ""):
        return
    body = await request.body()  # read once by FastAPI already: cached
    if b"\\u" not in body:  # the escape is the only way JSON carries one
        return
    try:
        data = json.loads(body)
    except ValueError:
        return  # malformed: the body's own validation answers it
    where = _lone_surrogate(data)
    if where is not None:
        raise InvalidValueError(
            f"{where or 'the body'} is not Unicode text (it holds a lone surrogate escape); "
            "send UTF-8 text",
            # as errors.py names a field of the body: its names, not its list indexes
            field=".".join(p for p in where.split(".") if not p.isdigit()) or None,
        )
