"""The flow validator: the JSON Schema, then the checks a schema cannot make.

:func:`validate_flow` returns every error found, each naming the node uuid (when the error is
inside a node) and the field path (``nodes[3].router.categories[1].exit_uuid``):

- schema errors (``schemas/flow.schema.json``, JSON Schema 2020-12): a missing or unknown
  field, a wrong type, an action or case type outside the subset;
- duplicate uuids; an exit to a node the flow does not have; a category leaving by an exit its
  node lacks; a case or timeout naming an unknown category; a node without a router that has
  other than one exit;
- a node no path from the first node reaches; a loop that no path leaves (no way out to the
  end or to an operator), and a loop with no node waiting for a reply (it would spin);
- a text, quick reply or word list missing in a declared language (``localization``), a
  localization of a uuid the flow does not have, a language the flow does not declare;
- ``@case.code`` outside ``issue_case_code``, or an ``issue_case_code`` text without it; any
  text that looks like a location (coordinates, a grid reference, a map link).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from safeconduct.intake.flow import CASE_CODE_PLACEHOLDER, Flow, Node, parse_flow
from safeconduct.intake.safety import looks_like_location, slow_pattern

_WORD_CASES = ("has_any_word", "has_all_words", "has_phrase")


@dataclass(frozen=True)
class FlowError:
    """One error: ``node`` the node uuid (None outside any node), ``path`` the field path."""

    node: str | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"node {self.node}" if self.node else "flow"
        return f"{where}: {self.path or '(top)'}: {self.message}"


@lru_cache(maxsize=1)
def flow_schema() -> dict[str, Any]:
    """The flow JSON Schema shipped with the package."""
    text = (
        resources.files("safeconduct.intake")
        .joinpath("schemas/flow.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _node_of(data: Any, parts: list[Any]) -> str | None:
    if len(parts) >= 2 and parts[0] == "nodes" and isinstance(parts[1], int):
        try:
            uuid = data["nodes"][parts[1]].get("uuid")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return uuid if isinstance(uuid, str) else None
    return None


def _schema_errors(data: Any) -> list[FlowError]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(flow_schema())
    errors: list[FlowError] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        parts = list(error.absolute_path)
        # For an if/then failure, name the deepest reason.
        message = error.message
        if len(message) > 200:
            message = message[:200] + "..."
        errors.append(FlowError(_node_of(data, parts), _path(parts), message))
    return errors


def _texts(flow: Flow) -> Iterator[tuple[Node, int, Any]]:
    for node in flow.nodes:
        for i, action in enumerate(node.actions):
            yield node, i, action


def _graph_errors(flow: Flow) -> list[FlowError]:
    errors: list[FlowError] = []
    add = errors.append
    index = {n.uuid: i for i, n in enumerate(flow.nodes)}
    seen: dict[str, str] = {}

    def unique(uuid: str, node: str | None, path: str) -> None:
        if uuid in seen:
            add(FlowError(node, path, f"uuid {uuid} is used twice (also at {seen[uuid]})"))
        else:
            seen[uuid] = path

    item_uuids: set[str] = set()
    for i, node in enumerate(flow.nodes):
        at = f"nodes[{i}]"
        unique(node.uuid, node.uuid, f"{at}.uuid")
        for j, action in enumerate(node.actions):
            unique(action.uuid, node.uuid, f"{at}.actions[{j}].uuid")
            item_uuids.add(action.uuid)
        exits = {e.uuid for e in node.exits}
        for j, exit_ in enumerate(node.exits):
            unique(exit_.uuid, node.uuid, f"{at}.exits[{j}].uuid")
            if exit_.destination_uuid is not None and exit_.destination_uuid not in index:
                add(
                    FlowError(
                        node.uuid,
                        f"{at}.exits[{j}].destination_uuid",
                        f"exit goes to node {exit_.destination_uuid}, which the flow lacks",
                    )
                )
        router = node.router
        if router is None:
            if len(node.exits) > 1:
                add(
                    FlowError(
                        node.uuid,
                        f"{at}.exits",
                        f"a node without a router takes its only exit; it has {len(node.exits)}",
                    )
                )
            continue
        categories = {c.uuid for c in router.categories}
        used: set[str] = set()
        for j, cat in enumerate(router.categories):
            unique(cat.uuid, node.uuid, f"{at}.router.categories[{j}].uuid")
            item_uuids.add(cat.uuid)
            used.add(cat.exit_uuid)
            if cat.exit_uuid not in exits:
                add(
                    FlowError(
                        node.uuid,
                        f"{at}.router.categories[{j}].exit_uuid",
                        f"category {cat.name!r} leaves by exit {cat.exit_uuid}, "
                        "which the node lacks",
                    )
                )
        for j, exit_ in enumerate(node.exits):
            if exit_.uuid not in used:
                add(FlowError(node.uuid, f"{at}.exits[{j}]", "no category leaves by this exit"))
        for j, case in enumerate(router.cases):
            unique(case.uuid, node.uuid, f"{at}.router.cases[{j}].uuid")
            item_uuids.add(case.uuid)
            if case.category_uuid not in categories:
                add(
                    FlowError(
                        node.uuid,
                        f"{at}.router.cases[{j}].category_uuid",
                        f"case names category {case.category_uuid}, which the router lacks",
                    )
                )
            if case.type == "has_number_between":
                try:
                    low, high = float(case.arguments[0]), float(case.arguments[1])
                    if low > high:
                        raise ValueError
                except (IndexError, ValueError):
                    add(
                        FlowError(
                            node.uuid,
                            f"{at}.router.cases[{j}].arguments",
                            "has_number_between needs two numbers, the smaller first",
                        )
                    )
            elif case.type == "has_pattern":
                import re

                try:
                    re.compile(case.arguments[0] if case.arguments else "")
                    if not case.arguments:
                        raise re.error("missing")
                    if slow_pattern(case.arguments[0]):
                        raise re.error("nested quantifiers can take exponential time")
                except re.error as e:
                    add(
                        FlowError(
                            node.uuid,
                            f"{at}.router.cases[{j}].arguments",
                            f"has_pattern needs a regular expression ({e})",
                        )
                    )
            elif case.type in _WORD_CASES and not any(a.strip() for a in case.arguments):
                add(
                    FlowError(
                        node.uuid, f"{at}.router.cases[{j}].arguments", f"{case.type} needs words"
                    )
                )
        if router.default_category_uuid not in categories:
            add(
                FlowError(
                    node.uuid,
                    f"{at}.router.default_category_uuid",
                    f"default category {router.default_category_uuid} is not one of the router's",
                )
            )
        timeout = router.wait.timeout if router.wait is not None else None
        if timeout is not None and timeout.category_uuid not in categories:
            add(
                FlowError(
                    node.uuid,
                    f"{at}.router.wait.timeout.category_uuid",
                    "timeout names a category the router lacks",
                )
            )
    errors.extend(_reach_errors(flow, index))
    errors.extend(_text_errors(flow, item_uuids))
    return errors


def _successors(node: Node, index: Mapping[str, int]) -> list[str]:
    return [
        e.destination_uuid
        for e in node.exits
        if e.destination_uuid is not None and e.destination_uuid in index
    ]


def _reach_errors(flow: Flow, index: Mapping[str, int]) -> list[FlowError]:
    errors: list[FlowError] = []
    nodes = {n.uuid: n for n in flow.nodes}
    # Reachable from the first node.
    reached = {flow.nodes[0].uuid}
    stack = [flow.nodes[0].uuid]
    while stack:
        for nxt in _successors(nodes[stack.pop()], index):
            if nxt not in reached:
                reached.add(nxt)
                stack.append(nxt)
    for uuid, i in index.items():
        if uuid not in reached:
            errors.append(
                FlowError(uuid, f"nodes[{i}]", "no path from the first node reaches this node")
            )

    # A way out: an exit to the end, or a handover action.
    def terminal(n: Node) -> bool:
        return (
            not n.exits
            or any(e.destination_uuid is None for e in n.exits)
            or any(a.type == "handover" for a in n.actions)
        )

    can_end = {u for u, n in nodes.items() if terminal(n)}
    changed = True
    while changed:
        changed = False
        for u, n in nodes.items():
            if u not in can_end and any(s in can_end for s in _successors(n, index)):
                can_end.add(u)
                changed = True
    for comp in _components(nodes, index):
        first = min(comp, key=lambda u: index[u])
        looped = len(comp) > 1 or first in _successors(nodes[first], index)
        if not looped:
            continue
        members = ", ".join(sorted(comp, key=lambda u: index[u]))
        if not any(u in can_end for u in comp):
            errors.append(
                FlowError(
                    first,
                    f"nodes[{index[first]}].exits",
                    f"a loop with no way out to the end or an operator (nodes {members})",
                )
            )
        if not any(
            nodes[u].router is not None and nodes[u].router.wait is not None  # type: ignore[union-attr]
            for u in comp
        ):
            errors.append(
                FlowError(
                    first,
                    f"nodes[{index[first]}].exits",
                    f"a loop with no node that waits for a reply (nodes {members})",
                )
            )
    return errors


def _components(nodes: Mapping[str, Node], index: Mapping[str, int]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in order:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(_successors(nodes[root], index)))]
        order[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in order:
                    order[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(_successors(nodes[w], index))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], order[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == order[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


def _text_errors(flow: Flow, item_uuids: set[str]) -> list[FlowError]:
    errors: list[FlowError] = []
    add = errors.append
    others = [lang for lang in flow.languages[1:]]
    for node, j, action in _texts(flow):
        i = next(k for k, n in enumerate(flow.nodes) if n is node)
        at = f"nodes[{i}].actions[{j}]"
        if action.type == "set_contact_language" and action.language not in flow.languages:
            add(
                FlowError(
                    node.uuid,
                    f"{at}.language",
                    f"language {action.language!r} is not one of the flow's "
                    f"({', '.join(flow.languages)})",
                )
            )
        if action.type not in ("send_msg", "issue_case_code"):
            continue
        variants = [(f"{at}.text", action.text, action.quick_replies)]
        for lang in others:
            texts = flow.localized(lang, action.uuid, "text")
            loc_at = f"localization.{lang}.{action.uuid}"
            if not texts or not texts[0].strip():
                add(FlowError(node.uuid, f"{loc_at}.text", f"the text has no {lang} version"))
                continue
            qr = flow.localized(lang, action.uuid, "quick_replies")
            if action.quick_replies and (not qr or len(qr) != len(action.quick_replies)):
                add(
                    FlowError(
                        node.uuid,
                        f"{loc_at}.quick_replies",
                        f"the quick replies have no {lang} version "
                        f"({len(action.quick_replies)} needed)",
                    )
                )
            variants.append((f"{loc_at}.text", texts[0], qr or ()))
        for path, text, qr in variants:
            has_code = CASE_CODE_PLACEHOLDER in text
            if action.type == "issue_case_code" and not has_code:
                add(
                    FlowError(
                        node.uuid, path, f"issue_case_code text lacks {CASE_CODE_PLACEHOLDER}"
                    )
                )
            if action.type == "send_msg" and has_code:
                add(
                    FlowError(
                        node.uuid,
                        path,
                        f"only issue_case_code may reveal {CASE_CODE_PLACEHOLDER}",
                    )
                )
            if looks_like_location(text) or any(looks_like_location(q) for q in qr):
                add(
                    FlowError(
                        node.uuid, path, "text looks like a location; the bot never sends one"
                    )
                )
    for i, node in enumerate(flow.nodes):
        if node.router is None:
            continue
        for j, case in enumerate(node.router.cases):
            if case.type not in _WORD_CASES:
                continue
            for lang in others:
                if not flow.localized(lang, case.uuid, "arguments"):
                    add(
                        FlowError(
                            node.uuid,
                            f"localization.{lang}.{case.uuid}.arguments",
                            f"the words of case {j} (nodes[{i}].router.cases[{j}]) "
                            f"have no {lang} version",
                        )
                    )
    for lang, items in flow.localization.items():
        for uuid in items:
            if uuid not in item_uuids:
                add(
                    FlowError(
                        None,
                        f"localization.{lang}.{uuid}",
                        "localizes a uuid that no action, case or category has",
                    )
                )
    return errors


def validate_flow(data: Any) -> list[FlowError]:
    """Every error in the decoded flow JSON ``data``; empty when the flow is sound."""
    errors = _schema_errors(data)
    if errors:
        return errors
    try:
        flow = parse_flow(data)
    except (KeyError, TypeError, ValueError) as error:  # pragma: no cover - schema guards
        return [FlowError(None, "", f"cannot read the flow: {error}")]
    return _graph_errors(flow)
