"""The one place the API's answers lose the fields the user may not read.

Each route builds its answer's full shape (a pydantic model), then answers
:func:`shown` of it: the fields :mod:`safeconduct.casework.visibility` lets the user's roles
read, by :func:`safeconduct.services.casework.visible_record`. The OpenAPI document still
describes the full shape (:func:`answer`), every field of which a user may or may not get.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from safeconduct.services import casework
from safeconduct.services.casework import Actor

#: What the OpenAPI document says of every answer that is filtered.
FILTERED = "The fields the user's roles may read (any other is left out)."


def shown(kind: str, model: BaseModel, actor: Actor, *, own: bool) -> dict[str, Any]:
    """``model`` as JSON, with only the fields of a ``kind`` record the actor may read.

    Parameters
    ----------
    own
        Whether the record's case is the actor's own; True where the use case already
        refused the record unless it is, or where no field's class is scoped to own cases.
    """
    return casework.visible_record(kind, model.model_dump(mode="json"), actor=actor, own=own)


def shown_all(kind: str, models: list[Any], actor: Actor, *, own: bool) -> list[dict[str, Any]]:
    """:func:`shown` of each model (records the use case has already scoped)."""
    return [shown(kind, m, actor, own=own) for m in models]


def answer(model: Any, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of a filtered answer of shape ``model`` (a pydantic model, or a
    ``list`` of one)."""
    return {status: {"model": model, "description": FILTERED}}
