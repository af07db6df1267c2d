"""Shared helpers: the default flow, a tiny flow builder, a fixed clock."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from safeconduct.intake.flow import Flow, flow_from_json

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
CODE = "7KDMTW3A"


def default_data() -> dict[str, Any]:
    """A fresh copy of the default flow's JSON."""
    text = resources.files("safeconduct.intake").joinpath("flows/default.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.fixture(scope="session")
def default_flow() -> Flow:
    return flow_from_json(default_data())


def small_flow() -> dict[str, Any]:
    """A two-language flow: ask a number, thank, end."""
    return copy.deepcopy(
        {
            "uuid": "f1",
            "name": "small",
            "language": "en",
            "expire_after_minutes": 60,
            "nodes": [
                {
                    "uuid": "n-ask",
                    "actions": [{"uuid": "a-ask", "type": "send_msg", "text": "How many?"}],
                    "router": {
                        "type": "switch",
                        "operand": "@input.text",
                        "result_name": "group_size",
                        "cases": [
                            {
                                "uuid": "k-num",
                                "type": "has_number",
                                "arguments": [],
                                "category_uuid": "c-num",
                            }
                        ],
                        "categories": [
                            {"uuid": "c-num", "name": "number", "exit_uuid": "x-num"},
                            {"uuid": "c-other", "name": "other", "exit_uuid": "x-other"},
                        ],
                        "default_category_uuid": "c-other",
                        "wait": {"type": "msg"},
                    },
                    "exits": [
                        {"uuid": "x-num", "destination_uuid": "n-end"},
                        {"uuid": "x-other", "destination_uuid": "n-ask"},
                    ],
                },
                {
                    "uuid": "n-end",
                    "actions": [
                        {"uuid": "a-code", "type": "issue_case_code", "text": "Code @case.code"}
                    ],
                    "exits": [{"uuid": "x-end", "destination_uuid": None}],
                },
            ],
            "localization": {
                "uk": {
                    "a-ask": {"text": ["Скільки?"]},
                    "a-code": {"text": ["Код @case.code"]},
                }
            },
        }
    )
