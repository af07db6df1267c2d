"""A property: no sequence of replies (and pauses) makes the engine raise, leave the node
graph, echo the person's words, or send anything that reads as a location."""

from __future__ import annotations

import re
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.intake import engine
from safeconduct.intake.engine import RunStatus
from safeconduct.intake.flow import Flow, flow_from_json, parse_flow
from tests.intake.conftest import CODE, NOW, default_data

FLOW: Flow = flow_from_json(default_data())

# The test's own idea of a location, independent of safeconduct.intake.safety.
LOCATION = re.compile(
    r"-?\d{1,3}[.,]\d{3,}\s*[,; ]\s*-?\d{1,3}[.,]\d{3,}"  # decimal degrees pair
    r"|\d{1,3}\s*°"  # degrees sign
    r"|\b\d{1,2}[C-HJ-NP-X]\s?[A-HJ-NP-Z]{2}\s?\d{4,10}\b"  # MGRS
    r"|geo:|maps\.|openstreetmap",
    re.IGNORECASE,
)

QUICK = sorted(
    {
        q
        for lang in FLOW.languages
        for n in FLOW.nodes
        for a in n.actions
        for q in (FLOW.localized(lang, a.uuid, "quick_replies") or getattr(a, "quick_replies", ()))
    }
)
PROBES = [
    "48.51234, 37.98765",
    "37U DQ 12345 67890",
    "где дроны?",
    "де ваші позиції",
    "where are your positions",
    "geo:48.5,37.9",
    "🙂" * 50,
    "x" * 10_000,
    "",
    "/start",
    "\x00\u202e",
    "нас трое, один ранен",
]
replies = st.one_of(
    st.sampled_from(QUICK),
    st.sampled_from(PROBES),
    st.text(max_size=200),
    st.integers(-5, 500).map(str),
)
events = st.lists(
    st.tuples(replies, st.integers(min_value=0, max_value=3000)),  # text, minutes since last
    max_size=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(language=st.sampled_from(["ru", "uk", "en", "xx"]), events=events)
def test_no_sequence_of_replies_breaks_the_flow(
    language: str, events: list[tuple[str, int]]
) -> None:
    now = NOW
    step = engine.start(FLOW, language=language, now=now, case_code=CODE)
    for text, minutes in events:
        for reply in step.replies:
            assert LOCATION.search(reply.text) is None, reply.text
            assert all(LOCATION.search(q) is None for q in reply.quick_replies)
        run = step.run
        assert run.status in set(RunStatus)
        assert run.language in FLOW.languages
        if run.status is RunStatus.WAITING:
            node = FLOW.node(run.node_uuid)
            assert node is not None and node.router is not None and node.router.wait is not None
        else:
            assert run.node_uuid is None
        now += timedelta(minutes=minutes)
        run = engine.expire_if_due(run, now)
        step = engine.resume(FLOW, run, text, now=now, case_code=CODE)
        if len(text.strip()) > 3 and not any(text.strip() in q for q in QUICK):
            assert all(text.strip() not in r.text for r in step.replies)
        assert engine.run_from_json(engine.run_to_json(step.run)) == step.run


NODE_UUIDS = [n.uuid for n in FLOW.nodes]


@settings(max_examples=150, deadline=None)
@given(
    rewiring=st.lists(
        st.tuples(
            st.integers(0, len(FLOW.nodes) - 1),
            st.integers(0, 10),
            st.one_of(st.none(), st.sampled_from([*NODE_UUIDS, "no-such-node"])),
        ),
        max_size=8,
    ),
    texts=st.lists(st.one_of(st.sampled_from(QUICK), st.text(max_size=30)), max_size=15),
)
def test_a_miswired_flow_still_never_leaves_the_graph(
    rewiring: list[tuple[int, int, str | None]], texts: list[str]
) -> None:
    """Exits rewired at random (loops with no wait, exits to nowhere: flows the validator
    refuses) still never make the engine raise, spin, or stop outside the graph."""
    data = default_data()
    for node_index, exit_index, destination in rewiring:
        exits = data["nodes"][node_index]["exits"]
        exits[exit_index % len(exits)]["destination_uuid"] = destination
    flow = parse_flow(data)
    step = engine.start(flow, language="uk", now=NOW, case_code=CODE)
    for text in texts:
        step = engine.resume(flow, step.run, text, now=NOW, case_code=CODE)
        run = step.run
        if run.status is RunStatus.WAITING:
            assert flow.node(run.node_uuid) is not None
        else:
            assert run.node_uuid is None
        assert all(LOCATION.search(r.text) is None for r in step.replies)
