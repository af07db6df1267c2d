"""The validator names the node and the field of every error; the default flow passes."""

from __future__ import annotations

from typing import Any

import pytest

from safeconduct.errors import InvalidValueError
from safeconduct.intake.flow import flow_from_json
from safeconduct.intake.validate import flow_schema, validate_flow
from tests.intake.conftest import default_data, small_flow


def messages(data: dict[str, Any]) -> list[str]:
    return [str(e) for e in validate_flow(data)]


def test_the_default_flow_is_sound() -> None:
    assert validate_flow(default_data()) == []
    flow = flow_from_json(default_data())
    assert flow.languages == ("ru", "uk", "en")
    assert flow.expire_after_minutes > 0


def test_the_schema_is_2020_12() -> None:
    assert flow_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_an_exit_to_an_unknown_node() -> None:
    data = small_flow()
    data["nodes"][0]["exits"][0]["destination_uuid"] = "n-gone"
    errors = messages(data)
    assert any(
        e.startswith("node n-ask: nodes[0].exits[0].destination_uuid: exit goes to node n-gone")
        for e in errors
    ), errors


def test_an_unreachable_node() -> None:
    data = small_flow()
    data["nodes"].append(
        {"uuid": "n-lost", "actions": [], "exits": [{"uuid": "x-lost", "destination_uuid": None}]}
    )
    assert "node n-lost: nodes[2]: no path from the first node reaches this node" in messages(data)


def test_a_loop_with_no_way_out() -> None:
    data = small_flow()
    data["nodes"][1]["exits"][0]["destination_uuid"] = "n-ask"  # the end leads back to the question
    errors = messages(data)
    assert any("a loop with no way out" in e and e.startswith("node n-ask:") for e in errors), (
        errors
    )


def test_a_loop_with_no_waiting_node() -> None:
    data = small_flow()
    data["nodes"][1]["exits"] = [{"uuid": "x-end", "destination_uuid": "n-end"}]
    errors = messages(data)
    assert any("node n-end: nodes[1].exits: a loop with no node that waits" in e for e in errors)


def test_a_text_missing_in_a_declared_language() -> None:
    data = small_flow()
    del data["localization"]["uk"]["a-ask"]
    assert "node n-ask: localization.uk.a-ask.text: the text has no uk version" in messages(data)


def test_an_unknown_action_type_is_a_schema_error() -> None:
    data = small_flow()
    data["nodes"][1]["actions"].append({"uuid": "a-loc", "type": "send_location", "lat": 1})
    errors = messages(data)
    assert any(e.startswith("node n-end: nodes[1].actions[1]") for e in errors), errors


def test_a_missing_field_is_a_schema_error() -> None:
    data = small_flow()
    del data["nodes"][0]["router"]["default_category_uuid"]
    errors = messages(data)
    assert any(
        e.startswith("node n-ask: nodes[0].router:") and "default_category_uuid" in e
        for e in errors
    ), errors


def test_a_category_leaving_by_a_missing_exit() -> None:
    data = small_flow()
    data["nodes"][0]["router"]["categories"][1]["exit_uuid"] = "x-nope"
    errors = messages(data)
    assert any("nodes[0].router.categories[1].exit_uuid" in e for e in errors), errors
    assert any("node n-ask: nodes[0].exits[1]: no category leaves" in e for e in errors)


def test_the_code_only_from_issue_case_code() -> None:
    data = small_flow()
    data["nodes"][0]["actions"][0]["text"] = "Your code is @case.code"
    data["localization"]["uk"]["a-ask"]["text"] = ["Код @case.code"]
    assert any("only issue_case_code may reveal" in e for e in messages(data))
    data = small_flow()
    data["localization"]["uk"]["a-code"]["text"] = ["Код"]
    assert any(
        "localization.uk.a-code.text: issue_case_code text lacks @case.code" in e
        for e in messages(data)
    )


@pytest.mark.parametrize(
    "text",
    ["Go to 48.5123, 37.9876", "Meet at 37U DQ 12345 67890", "see geo:48.5,37.9", "48°30'N"],
)
def test_a_text_that_looks_like_a_place_is_refused(text: str) -> None:
    data = small_flow()
    data["nodes"][0]["actions"][0]["text"] = text
    assert any("looks like a location" in e for e in messages(data))


def test_flow_from_json_raises_naming_node_and_field() -> None:
    data = small_flow()
    data["nodes"][0]["exits"][0]["destination_uuid"] = "n-gone"
    with pytest.raises(InvalidValueError) as caught:
        flow_from_json(data)
    assert caught.value.field == "flow"
    assert "node n-ask" in caught.value.message and "destination_uuid" in caught.value.message


@pytest.mark.parametrize("data", [None, [], "flow", {"nodes": []}, {"uuid": 1}])
def test_not_a_flow_at_all(data: Any) -> None:
    assert validate_flow(data)
    with pytest.raises(InvalidValueError):
        flow_from_json(data)


def test_a_pattern_that_can_take_exponential_time_is_refused() -> None:
    data = small_flow()
    data["nodes"][0]["router"]["cases"][0].update(type="has_pattern", arguments=["(a+)+$"])
    assert any(
        "nodes[0].router.cases[0].arguments: has_pattern needs a regular expression "
        "(nested quantifiers" in e
        for e in messages(data)
    )
