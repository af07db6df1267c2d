"""What a route receives through FastAPI's dependencies: the ports and the acting user.

As in the FastAPI full-stack template's ``deps.py``, the session and the current user come
in here; unlike it, no route checks a role: the use case does (GUIDE §5), so a route
cannot forget to.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

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
