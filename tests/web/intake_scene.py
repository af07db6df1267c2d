"""Conversations for the web tests: a person writes to the bot through the app's intake
ports, and (by default) olga, an operator, takes the conversation over."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from safeconduct.casework.roles import Role
from safeconduct.entrypoints.web.intake import intake_ports_of
from safeconduct.services import intake
from safeconduct.services.casework import Actor

OLGA = Actor(name="olga", roles=(Role.OPERATOR,))
_senders = itertools.count(1)


def new_conversation(app: Any, *, take: bool = True) -> int:
    """A new conversation (its case id): a person's first message, taken over by olga."""
    assert isinstance(app, FastAPI)
    ports = intake_ports_of(app)
    sender = f"tg-scene-{next(_senders)}"
    intake.receive(
        ports,
        intake.IncomingMessage(
            channel="telegram",
            sender=sender,
            message_id="1",
            text="/start",
            kind="command",
            media=None,
            media_type=None,
            received_at=datetime.now(UTC),
        ),
    )
    with ports.database.unit_of_work(read_only=True) as uow:
        found = uow.intake.find_open("telegram", sender)
    assert found is not None
    if take:
        intake.take_over(ports, found.case_id, OLGA)
    return int(found.case_id)


def meeting_body() -> dict[str, str]:
    """A proposal of the sample area's meeting point, in an hour."""
    start = datetime.now(UTC) + timedelta(hours=1)
    return {
        "option": "sample",
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=1)).isoformat(),
    }


#: A photo a person sends in the web tests (its bytes never shown anywhere).
PHOTO = b"\xff\xd8\xff\xe0" + b"SCENE-PHOTO-BYTES" * 8


def new_media(app: Any) -> tuple[int, int]:
    """A new conversation whose first message is a photo, held pending, taken over by olga;
    its case id and the held file's id."""
    assert isinstance(app, FastAPI)
    ports = intake_ports_of(app)
    sender = f"tg-scene-{next(_senders)}"
    intake.receive(
        ports,
        intake.IncomingMessage(
            channel="telegram",
            sender=sender,
            message_id="1",
            text="",
            kind="photo",
            media=PHOTO,
            media_type="image/jpeg",
            received_at=datetime.now(UTC),
        ),
    )
    with ports.database.unit_of_work(read_only=True) as uow:
        found = uow.intake.find_open("telegram", sender)
        assert found is not None
        (held,) = uow.intake.media_list(found.case_id)
    intake.take_over(ports, found.case_id, OLGA)
    return int(found.case_id), held.id


def media_url(app: Any, action: str) -> str:
    """The address of ``action`` (keep, discard) on a new held photo."""
    case_id, media_id = new_media(app)
    return f"/api/intake/conversations/{case_id}/media/{media_id}/{action}"
