"""The one place the API's answers lose the fields the user may not read.

Each route builds its answer's full shape (a pydantic model), then answers
:func:`shown` of it: the fields :mod:`safeconduct.casework.visibility` lets the user's roles
read, by :func:`safeconduct.services.casework.visible_record`. The OpenAPI document still
describes the full shape (:func:`answer`), every field of which a user may or may not get.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, Field, create_model

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
    ``list`` of one): the same shape with every field optional (:func:`partial`)."""
    return {status: {"model": partial(model), "description": FILTERED}}


_partials: dict[Any, Any] = {}


def partial(shape: Any) -> Any:
    """``shape`` with every field of every model in it optional (``Shown`` models).

    Why: :func:`shown` leaves out the fields the user may not read, so a field the full
    shape requires may be absent from an answer; an OpenAPI document that called it
    required would be wrong for every user but the most privileged (the API fuzzing found
    it). A field present keeps its type, so the document still checks what is sent.
    """
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        if shape not in _partials:
            fields: dict[str, Any] = {
                name: (partial(info.annotation), Field(None, description=info.description))
                for name, info in shape.model_fields.items()
            }
            _partials[shape] = create_model(
                f"{shape.__name__}Shown", __doc__=shape.__doc__, **fields
            )
        return _partials[shape]
    origin, args = get_origin(shape), get_args(shape)
    if origin is list and args:
        return list[partial(args[0])]  # type: ignore[misc]
    if origin in (Union, UnionType) and args:
        return Union[tuple(partial(a) for a in args)]  # noqa: UP007 (built from parts)
    return shape
