"""Conversation flows as data: a documented subset of the RapidPro / goflow flow format.

A flow is a JSON object (goflow "spec_version 13" style)::

    {"uuid": "...", "name": "...", "language": "ru", "expire_after_minutes": 1440,
     "nodes": [{"uuid": "...", "actions": [...], "router": {...} | absent,
                "exits": [{"uuid": "...", "destination_uuid": "..." | null}]}],
     "localization": {"uk": {"<action/case/category uuid>": {"text": ["..."],
                                                            "quick_replies": ["..."],
                                                            "arguments": ["..."],
                                                            "name": ["..."]}}}}

What we keep of goflow
----------------------
- Actions ``send_msg`` (``text``, ``quick_replies``), ``set_contact_field`` (``field``:
  ``{"key", "name"}``, ``value``), ``set_contact_language`` (``language``) and
  ``set_run_result`` (``name``, ``value``, ``category``).
- Routers of type ``switch`` on the operand ``@input.text`` with ``cases`` (``uuid``,
  ``type``, ``arguments``, ``category_uuid``), ``categories`` (``uuid``, ``name``,
  ``exit_uuid``), ``default_category_uuid``, ``result_name`` and an optional ``wait``
  (``{"type": "msg", "timeout": {"seconds": N, "category_uuid": "..."}}``).
- Case types ``has_any_word``, ``has_all_words``, ``has_phrase``, ``has_number``,
  ``has_number_between``, ``has_date``, ``has_pattern``, ``has_text``.
- ``localization`` per language, keyed by the uuid of an action (``text``,
  ``quick_replies``), a case (``arguments``) or a category (``name``).
- ``expire_after_minutes``: a run waiting longer than this for a reply expires.

Our differences
---------------
- Languages are the two-letter codes the rest of the service uses (``ru``, ``uk``, ``en``),
  not goflow's ISO 639-3 codes; ``language`` is the flow's base language, the languages of
  ``localization`` are the others.
- Two extension actions: ``issue_case_code`` (``text``, ``quick_replies``) sends its text with
  ``@case.code`` replaced by the conversation's case code — the only substitution the engine
  makes, and the only action that may reveal the code; ``handover`` (``reason``) ends the bot's
  part and puts the conversation to an operator.
- ``has_number`` also reads the number words one to ten in ru, uk and en ("нас трое").
- No action can send a location, and no text may contain coordinates (the validator refuses a
  flow whose text looks like one, and the engine would drop it).

:func:`flow_from_json` checks the whole file (schema and graph, see
:mod:`safeconduct.intake.validate`) and raises :class:`InvalidValueError` naming the node
uuid and the field path of the first error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from safeconduct.errors import InvalidValueError

#: The case types a switch router understands.
CASE_TYPES = (
    "has_any_word",
    "has_all_words",
    "has_phrase",
    "has_number",
    "has_number_between",
    "has_date",
    "has_pattern",
    "has_text",
)
#: The action types of the subset.
ACTION_TYPES = (
    "send_msg",
    "set_contact_field",
    "set_contact_language",
    "set_run_result",
    "issue_case_code",
    "handover",
)
#: The only operand a router may read.
OPERAND = "@input.text"
#: The placeholder ``issue_case_code`` replaces with the case code.
CASE_CODE_PLACEHOLDER = "@case.code"


@dataclass(frozen=True)
class SendMsg:
    """Send ``text`` (localized by the action's uuid) with optional quick replies."""

    uuid: str
    text: str
    quick_replies: tuple[str, ...] = ()
    type: str = "send_msg"


@dataclass(frozen=True)
class IssueCaseCode:
    """Send ``text`` with ``@case.code`` replaced by the case code (our extension)."""

    uuid: str
    text: str
    quick_replies: tuple[str, ...] = ()
    type: str = "issue_case_code"


@dataclass(frozen=True)
class SetContactField:
    """Set the contact field ``key`` to ``value``."""

    uuid: str
    key: str
    name: str
    value: str
    type: str = "set_contact_field"


@dataclass(frozen=True)
class SetContactLanguage:
    """Set the run's language (one of the flow's languages)."""

    uuid: str
    language: str
    type: str = "set_contact_language"


@dataclass(frozen=True)
class SetRunResult:
    """Record the result ``name`` as ``value`` (``category`` for display only)."""

    uuid: str
    name: str
    value: str
    category: str = ""
    type: str = "set_run_result"


@dataclass(frozen=True)
class Handover:
    """End the bot's part: the conversation goes to an operator (our extension)."""

    uuid: str
    reason: str = ""
    type: str = "handover"


Action = SendMsg | IssueCaseCode | SetContactField | SetContactLanguage | SetRunResult | Handover


@dataclass(frozen=True)
class Case:
    """One test of a switch router: ``type`` applied to the input with ``arguments``."""

    uuid: str
    type: str
    arguments: tuple[str, ...]
    category_uuid: str


@dataclass(frozen=True)
class Category:
    """A named outcome of a router, leaving by the exit ``exit_uuid``."""

    uuid: str
    name: str
    exit_uuid: str


@dataclass(frozen=True)
class Timeout:
    """A wait's timeout: after ``seconds`` without a reply, the category ``category_uuid``."""

    seconds: int
    category_uuid: str


@dataclass(frozen=True)
class Wait:
    """The router waits for a message (``type`` "msg") before it routes."""

    type: str = "msg"
    timeout: Timeout | None = None


@dataclass(frozen=True)
class Router:
    """A ``switch`` router on ``@input.text``."""

    type: str
    operand: str
    cases: tuple[Case, ...]
    categories: tuple[Category, ...]
    default_category_uuid: str
    result_name: str = ""
    wait: Wait | None = None


@dataclass(frozen=True)
class Exit:
    """A way out of a node; ``destination_uuid`` None ends the flow."""

    uuid: str
    destination_uuid: str | None


@dataclass(frozen=True)
class Node:
    """Actions run in order, then the router (if any) picks an exit; else the only exit (a
    node without a router or exits ends the flow, as in goflow)."""

    uuid: str
    actions: tuple[Action, ...]
    router: Router | None
    exits: tuple[Exit, ...]


@dataclass(frozen=True)
class Flow:
    """A whole flow: ``languages[0]`` is the base language, the first node starts it.

    ``localization`` maps a language to a uuid (action, case or category) to its localized
    fields (``text``, ``quick_replies``, ``arguments``, ``name``), each a list of strings.
    """

    uuid: str
    name: str
    languages: tuple[str, ...]
    expire_after_minutes: int
    nodes: tuple[Node, ...]
    localization: Mapping[str, Mapping[str, Mapping[str, tuple[str, ...]]]] = field(
        default_factory=dict, hash=False
    )

    @property
    def base_language(self) -> str:
        """The language the texts in the nodes are written in."""
        return self.languages[0]

    def node(self, uuid: str | None) -> Node | None:
        """The node ``uuid``, or None when the flow has none by that uuid."""
        if uuid is None:
            return None
        return self._index().get(uuid)

    def _index(self) -> dict[str, Node]:
        cached = self.__dict__.get("_node_index")
        if cached is None:
            cached = {n.uuid: n for n in self.nodes}
            object.__setattr__(self, "_node_index", cached)
        return cached

    def localized(self, language: str, uuid: str, key: str) -> tuple[str, ...] | None:
        """The localized ``key`` of the item ``uuid`` in ``language``, or None."""
        return self.localization.get(language, {}).get(uuid, {}).get(key)


# -- parsing --------------------------------------------------------------------------------


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def _action(a: Mapping[str, Any]) -> Action:
    kind = a["type"]
    uuid = a["uuid"]
    if kind == "send_msg":
        return SendMsg(uuid, a["text"], _strs(a.get("quick_replies")))
    if kind == "issue_case_code":
        return IssueCaseCode(uuid, a["text"], _strs(a.get("quick_replies")))
    if kind == "set_contact_field":
        f = a["field"]
        return SetContactField(uuid, f["key"], f.get("name", f["key"]), str(a.get("value", "")))
    if kind == "set_contact_language":
        return SetContactLanguage(uuid, a["language"])
    if kind == "set_run_result":
        return SetRunResult(uuid, a["name"], str(a.get("value", "")), a.get("category", ""))
    if kind == "handover":
        return Handover(uuid, a.get("reason", ""))
    raise KeyError(kind)  # the schema refuses it first


def _router(r: Mapping[str, Any]) -> Router:
    wait = None
    if r.get("wait") is not None:
        w = r["wait"]
        timeout = None
        if w.get("timeout") is not None:
            timeout = Timeout(int(w["timeout"]["seconds"]), w["timeout"]["category_uuid"])
        wait = Wait(w.get("type", "msg"), timeout)
    return Router(
        type=r["type"],
        operand=r["operand"],
        cases=tuple(
            Case(c["uuid"], c["type"], _strs(c.get("arguments")), c["category_uuid"])
            for c in r.get("cases", ())
        ),
        categories=tuple(Category(c["uuid"], c["name"], c["exit_uuid"]) for c in r["categories"]),
        default_category_uuid=r["default_category_uuid"],
        result_name=r.get("result_name", "") or "",
        wait=wait,
    )


def parse_flow(data: Mapping[str, Any]) -> Flow:
    """Build the :class:`Flow` of ``data`` assuming it passed the schema (no graph checks)."""
    localization = {
        lang: {
            uuid: {key: _strs(values) for key, values in item.items()}
            for uuid, item in items.items()
        }
        for lang, items in (data.get("localization") or {}).items()
    }
    base = data["language"]
    languages = (base, *(lang for lang in localization if lang != base))
    nodes = tuple(
        Node(
            uuid=n["uuid"],
            actions=tuple(_action(a) for a in n.get("actions", ())),
            router=_router(n["router"]) if n.get("router") is not None else None,
            exits=tuple(Exit(e["uuid"], e.get("destination_uuid")) for e in n.get("exits", ())),
        )
        for n in data["nodes"]
    )
    return Flow(
        uuid=data["uuid"],
        name=data["name"],
        languages=languages,
        expire_after_minutes=int(data.get("expire_after_minutes", 0) or 0),
        nodes=nodes,
        localization=localization,
    )


def flow_from_json(data: Any) -> Flow:
    """The flow in the decoded JSON ``data``, checked by schema and graph.

    Raises
    ------
    InvalidValueError
        On the first error (``field`` "flow"), its message naming the node uuid and the
        field path; ``detail`` lists every error, one a line.
    """
    from safeconduct.intake.validate import validate_flow

    errors = validate_flow(data)
    if errors:
        raise InvalidValueError(
            str(errors[0]),
            field="flow",
            detail="\n".join(str(e) for e in errors),
        )
    return parse_flow(data)
