"""The flow engine: pure functions from a flow, a run state and a reply to the next state.

:func:`start` enters the flow's first node; :func:`resume` routes a reply from the node the run
waits at and walks on to the next waiting node (or the end); :func:`timeout_if_due` follows a
wait's ``timeout`` category and :func:`expire_if_due` marks a run quiet for longer than the
flow's ``expire_after_minutes``. The run state
(:class:`FlowRun`) is a frozen value the service seals and stores; :func:`run_to_json` /
:func:`run_from_json` carry it.

Guarantees (tests/intake check them, the last by a hypothesis property)
-----------------------------------------------------------------------
- No input raises: empty, 10,000 characters, emoji only, any script, control characters.
- The run never leaves the node graph: an exit to an unknown node, or more than
  :data:`MAX_STEPS` nodes walked for one input (a loop with no wait), ends in a handover to an
  operator.
- The only substitution is ``@case.code`` in ``issue_case_code``; the person's words are never
  echoed. A text that looks like a location (:func:`~safeconduct.intake.safety.looks_like_location`)
  is dropped and the conversation handed over, so no flow can make the bot send one.

Results
-------
A router with a ``result_name`` records, under that name: the number for ``has_number`` and
``has_number_between`` (``"3"``), the ISO date for ``has_date``, the text for ``has_text``, the
matching category's (base-language) name for word, phrase and pattern cases, and the text
itself (cut to :data:`MAX_RESULT` characters) for the default category.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from safeconduct.intake.flow import (
    CASE_CODE_PLACEHOLDER,
    Case,
    Flow,
    Handover,
    IssueCaseCode,
    Node,
    SendMsg,
    SetContactField,
    SetContactLanguage,
    SetRunResult,
)
from safeconduct.intake.safety import looks_like_location, slow_pattern
from safeconduct.note.casecode import CODE_LENGTH, format_case_code

#: Nodes walked for one input before the engine gives up and hands over.
MAX_STEPS = 100
#: Characters of a reply the routers read (the rest is ignored).
MAX_INPUT = 4000
#: Characters of a free-text result kept.
MAX_RESULT = 500
#: Characters a regular expression case reads (bounds a flow author's slow pattern).
MAX_PATTERN_INPUT = 1000


class RunStatus(StrEnum):
    """Where a run stands."""

    WAITING = "waiting"
    COMPLETED = "completed"
    EXPIRED = "expired"
    HANDED_OVER = "handed_over"


@dataclass(frozen=True)
class FlowRun:
    """One conversation's place in a flow.

    ``node_uuid`` is the node the run waits at (None when it ended); ``expires_at`` the time
    after which a waiting run expires (None when the flow never expires or the run ended).
    Times are timezone-aware UTC.
    """

    flow_uuid: str
    node_uuid: str | None
    language: str
    results: Mapping[str, str]
    fields: Mapping[str, str]
    status: RunStatus
    started_at: datetime
    last_input_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class Reply:
    """One message from the bot to the person."""

    text: str
    quick_replies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """What one call of :func:`start` or :func:`resume` did."""

    run: FlowRun
    replies: tuple[Reply, ...]
    revealed_case_code: bool
    handover: bool


# -- reading the input ----------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\d.,])-?\d+(?:[.,]\d+)?")
_WORD = re.compile(r"\w+")
# The number words one to ten (and collective forms) in ru, uk and en.
_NUMBER_WORDS: dict[str, int] = {}
for _value, _words in {
    1: "one alone один одна одно одну один одна одне сам сама",
    2: "two two двое два две двоє дві",
    3: "three трое три троє",
    4: "four четверо четыре четверо чотири",
    5: "five пятеро пять пятеро пять п'ятеро п'ять пʼятеро пʼять",
    6: "six шестеро шесть шість",
    7: "seven семеро семь сім",
    8: "eight восемь восьмеро вісім",
    9: "nine девять девятеро дев'ять",
    10: "ten десять десятеро",
}.items():
    for _w in _words.split():
        _NUMBER_WORDS.setdefault(_w, _value)
_DATES = (
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), (1, 2, 3)),
    (re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b"), (3, 2, 1)),
)


def clean_input(text: Any) -> str:
    """The reply as the routers read it: control characters dropped, spaces collapsed, cut."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[: MAX_INPUT * 2]
    kept = [
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in text
        if unicodedata.category(ch) not in ("Cs", "Co", "Cn")
    ]
    return " ".join("".join(kept).split())[:MAX_INPUT]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("\u2019", "'"))


def _number(text: str) -> float | None:
    m = _NUMBER.search(text)
    if m is not None:
        try:
            return float(m.group(0).replace(",", "."))
        except ValueError:  # pragma: no cover - the pattern admits only numbers
            return None
    folded = text.casefold().replace("\u2019", "'")
    for word in re.findall("[\\w'\u02bc]+", folded):
        if word in _NUMBER_WORDS:
            return float(_NUMBER_WORDS[word])
    return None


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _date(text: str) -> date | None:
    for pattern, (y, mo, d) in _DATES:
        for m in pattern.finditer(text):
            try:
                return date(int(m.group(y)), int(m.group(mo)), int(m.group(d)))
            except ValueError:
                continue
    return None


def _arguments(flow: Flow, case: Case, language: str) -> tuple[str, ...]:
    localized = flow.localized(language, case.uuid, "arguments")
    return localized if localized else case.arguments


def _test(flow: Flow, case: Case, language: str, text: str) -> str | None:
    """The value ``case`` matches in ``text``, or None."""
    args = _arguments(flow, case, language)
    kind = case.type
    if kind in ("has_any_word", "has_all_words"):
        said = set(_words(text))
        wanted = [w for a in args for w in _words(a)]
        if not wanted:
            return None
        hits = [w for w in wanted if w in said]
        ok = bool(hits) if kind == "has_any_word" else len(hits) == len(wanted)
        return " ".join(hits) if ok else None
    if kind == "has_phrase":
        said = _words(text)
        for a in args:
            phrase = _words(a)
            n = len(phrase)
            if n and any(said[i : i + n] == phrase for i in range(len(said) - n + 1)):
                return " ".join(phrase)
        return None
    if kind in ("has_number", "has_number_between"):
        value = _number(text)
        if value is None:
            return None
        if kind == "has_number_between":
            try:
                low, high = float(args[0]), float(args[1])
            except (IndexError, ValueError):
                return None
            if not low <= value <= high:
                return None
        return _number_text(value)
    if kind == "has_date":
        found = _date(text)
        return found.isoformat() if found is not None else None
    if kind == "has_pattern":
        if not args or slow_pattern(args[0]):
            return None
        try:
            m = re.search(args[0], text[:MAX_PATTERN_INPUT], re.IGNORECASE)
        except re.error:
            return None
        return m.group(0) if m is not None else None
    if kind == "has_text":
        return text[:MAX_RESULT] if text.strip() else None
    return None


# -- walking the graph ----------------------------------------------------------------------


def _text(flow: Flow, language: str, uuid: str, base: str) -> str:
    localized = flow.localized(language, uuid, "text")
    return localized[0] if localized and localized[0] else base


def _quick_replies(flow: Flow, language: str, uuid: str, base: tuple[str, ...]) -> tuple[str, ...]:
    localized = flow.localized(language, uuid, "quick_replies")
    return tuple(localized) if localized else base


def _printed_code(case_code: str) -> str:
    code = case_code.strip()
    if len(code) == CODE_LENGTH and "-" not in code:
        return format_case_code(code)
    return code


def _expiry(flow: Flow, now: datetime) -> datetime | None:
    if flow.expire_after_minutes <= 0:
        return None
    return now + timedelta(minutes=flow.expire_after_minutes)


class _Walk:
    """The mutable state of one step, frozen into a :class:`Step` at the end."""

    def __init__(self, flow: Flow, run: FlowRun, case_code: str) -> None:
        self.flow = flow
        self.run = run
        self.case_code = case_code
        self.language = run.language
        self.results = dict(run.results)
        self.fields = dict(run.fields)
        self.replies: list[Reply] = []
        self.revealed = False
        self.handover = False

    def finish(
        self, node_uuid: str | None, status: RunStatus, now: datetime, *, handover: bool = False
    ) -> Step:
        self.handover = self.handover or handover
        if self.handover:
            status = RunStatus.HANDED_OVER
        run = replace(
            self.run,
            node_uuid=node_uuid if status is RunStatus.WAITING else None,
            language=self.language,
            results=self.results,
            fields=self.fields,
            status=status,
            last_input_at=now,
            expires_at=_expiry(self.flow, now) if status is RunStatus.WAITING else None,
        )
        return Step(run, tuple(self.replies), self.revealed, self.handover)

    def act(self, node: Node) -> None:
        """Run ``node``'s actions in order."""
        for action in node.actions:
            if isinstance(action, SendMsg | IssueCaseCode):
                template = _text(self.flow, self.language, action.uuid, action.text)
                if looks_like_location(template):
                    self.handover = True  # never sent; an operator takes over
                    continue
                text = template
                if isinstance(action, IssueCaseCode):
                    text = template.replace(CASE_CODE_PLACEHOLDER, _printed_code(self.case_code))
                    self.revealed = True
                qr = _quick_replies(self.flow, self.language, action.uuid, action.quick_replies)
                self.replies.append(Reply(text, tuple(q for q in qr if not looks_like_location(q))))
            elif isinstance(action, SetContactLanguage):
                if action.language in self.flow.languages:
                    self.language = action.language
            elif isinstance(action, SetContactField):
                self.fields[action.key] = action.value
            elif isinstance(action, SetRunResult):
                self.results[action.name] = action.value
            elif isinstance(action, Handover):
                self.handover = True

    def route(self, node: Node, text: str) -> str | None:
        """The exit uuid ``node`` leaves by for ``text`` (its router, else its only exit)."""
        router = node.router
        if router is None:
            return node.exits[0].uuid if node.exits else None
        categories = {c.uuid: c for c in router.categories}
        chosen = None
        value = None
        for case in router.cases:
            value = _test(self.flow, case, self.language, text)
            if value is not None:
                chosen = categories.get(case.category_uuid)
                if case.type in ("has_any_word", "has_all_words", "has_phrase", "has_pattern"):
                    value = chosen.name if chosen is not None else value
                break
        if chosen is None:
            chosen = categories.get(router.default_category_uuid)
            value = text[:MAX_RESULT]
        if chosen is None:
            return None
        if router.result_name:
            self.results[router.result_name] = value or ""
        return chosen.exit_uuid

    def follow(self, node: Node, exit_uuid: str | None, now: datetime) -> Step:
        """Leave ``node`` by ``exit_uuid`` and walk on from its destination."""
        exit_ = next((e for e in node.exits if e.uuid == exit_uuid), None)
        if exit_ is None:
            return self.finish(None, RunStatus.HANDED_OVER, now, handover=True)
        if exit_.destination_uuid is None:
            return self.finish(None, RunStatus.COMPLETED, now)
        return self.walk(self.flow.node(exit_.destination_uuid), "", now, arrived=True)

    def walk(self, node: Node | None, text: str, now: datetime, *, arrived: bool) -> Step:
        """Walk from ``node``: run its actions unless the run already waits there
        (``arrived`` False), route, and go on until a wait, the end or the guard."""
        for _ in range(MAX_STEPS):
            if node is None:
                return self.finish(None, RunStatus.HANDED_OVER, now, handover=True)
            if arrived:
                self.act(node)
                if self.handover:
                    return self.finish(None, RunStatus.HANDED_OVER, now)
                if node.router is not None and node.router.wait is not None:
                    return self.finish(node.uuid, RunStatus.WAITING, now)
            arrived = True
            if node.router is None and not node.exits:
                return self.finish(None, RunStatus.COMPLETED, now)
            exit_uuid = self.route(node, text)
            exit_ = next((e for e in node.exits if e.uuid == exit_uuid), None)
            if exit_ is None:
                return self.finish(None, RunStatus.HANDED_OVER, now, handover=True)
            if exit_.destination_uuid is None:
                return self.finish(None, RunStatus.COMPLETED, now)
            node = self.flow.node(exit_.destination_uuid)
        return self.finish(None, RunStatus.HANDED_OVER, now, handover=True)


def start(flow: Flow, *, language: str, now: datetime, case_code: str) -> Step:
    """Start ``flow`` for a new conversation in ``language`` (the base language when the flow
    has no such language) at ``now``; ``case_code`` is revealed only by ``issue_case_code``."""
    run = FlowRun(
        flow_uuid=flow.uuid,
        node_uuid=None,
        language=language if language in flow.languages else flow.base_language,
        results={},
        fields={},
        status=RunStatus.WAITING,
        started_at=now,
        last_input_at=now,
        expires_at=None,
    )
    first = flow.nodes[0] if flow.nodes else None
    return _Walk(flow, run, case_code).walk(first, "", now, arrived=True)


def resume(flow: Flow, run: FlowRun, text: str, *, now: datetime, case_code: str) -> Step:
    """Route the person's reply ``text`` from where ``run`` waits and walk on.

    An expired run (or one past its ``expires_at``) starts the flow again, keeping the
    language and contact fields; a completed or handed-over run is left as it is, with no
    reply (the conversation belongs to an operator). Never raises on any ``text``.
    """
    run = expire_if_due(run, now)
    if run.status is RunStatus.EXPIRED:
        step = start(flow, language=run.language, now=now, case_code=case_code)
        fields = {**run.fields, **step.run.fields}
        return replace(step, run=replace(step.run, fields=fields))
    if run.status is not RunStatus.WAITING:
        return Step(replace(run, last_input_at=now), (), False, False)
    node = flow.node(run.node_uuid)
    walk = _Walk(flow, run, case_code)
    if node is None or run.flow_uuid != flow.uuid:
        return walk.finish(None, RunStatus.HANDED_OVER, now, handover=True)
    return walk.walk(node, clean_input(text), now, arrived=False)


def timeout_if_due(flow: Flow, run: FlowRun, *, now: datetime, case_code: str) -> Step | None:
    """Follow the wait's timeout category when the run waits at a node whose ``wait`` has a
    ``timeout`` and that many seconds passed since the last input; None otherwise (no timeout,
    not yet due, or the run no longer waits). The reply, if any, is the timeout branch's."""
    run = expire_if_due(run, now)
    if run.status is not RunStatus.WAITING:
        return None
    node = flow.node(run.node_uuid)
    wait = node.router.wait if node is not None and node.router is not None else None
    if node is None or wait is None or wait.timeout is None or node.router is None:
        return None
    if now < run.last_input_at + timedelta(seconds=wait.timeout.seconds):
        return None
    category = next(
        (c for c in node.router.categories if c.uuid == wait.timeout.category_uuid), None
    )
    walk = _Walk(flow, run, case_code)
    if category is None:
        return walk.finish(None, RunStatus.HANDED_OVER, now, handover=True)
    if node.router.result_name:
        walk.results[node.router.result_name] = category.name
    return walk.follow(node, category.exit_uuid, now)


def expire_if_due(run: FlowRun, now: datetime) -> FlowRun:
    """``run`` with status EXPIRED when it waits and ``now`` is past its ``expires_at``."""
    if run.status is RunStatus.WAITING and run.expires_at is not None and now >= run.expires_at:
        return replace(run, status=RunStatus.EXPIRED, node_uuid=None, expires_at=None)
    return run


def run_to_json(run: FlowRun) -> dict[str, Any]:
    """``run`` as a JSON-able dict (ISO 8601 times)."""
    return {
        "flow_uuid": run.flow_uuid,
        "node_uuid": run.node_uuid,
        "language": run.language,
        "results": dict(run.results),
        "fields": dict(run.fields),
        "status": run.status.value,
        "started_at": run.started_at.isoformat(),
        "last_input_at": run.last_input_at.isoformat(),
        "expires_at": run.expires_at.isoformat() if run.expires_at is not None else None,
    }


def run_from_json(data: Mapping[str, Any]) -> FlowRun:
    """The run :func:`run_to_json` wrote."""
    expires = data.get("expires_at")
    return FlowRun(
        flow_uuid=str(data["flow_uuid"]),
        node_uuid=data.get("node_uuid"),
        language=str(data["language"]),
        results={str(k): str(v) for k, v in (data.get("results") or {}).items()},
        fields={str(k): str(v) for k, v in (data.get("fields") or {}).items()},
        status=RunStatus(data["status"]),
        started_at=datetime.fromisoformat(data["started_at"]),
        last_input_at=datetime.fromisoformat(data["last_input_at"]),
        expires_at=datetime.fromisoformat(expires) if expires else None,
    )


def result_names(flow: Flow) -> list[str]:
    """The result names the flow records, in node order."""
    names: list[str] = []
    for node in flow.nodes:
        for action in node.actions:
            if isinstance(action, SetRunResult) and action.name not in names:
                names.append(action.name)
        name = node.router.result_name if node.router is not None else ""
        if name and name not in names:
            names.append(name)
    return names


def summary(flow: Flow, run: FlowRun) -> dict[str, str]:
    """The run's answers as an operator reads them: ``language`` first, then each result in
    the flow's order (those not answered left out), then any other result and field."""
    out: dict[str, str] = {"language": run.language}
    for name in result_names(flow):
        if name in run.results:
            out[name] = run.results[name]
    for name, value in run.results.items():
        out.setdefault(name, value)
    for key, value in run.fields.items():
        out.setdefault(key, value)
    return out
