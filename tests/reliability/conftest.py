"""The reliability suite (issue 17): the API fuzzed from its OpenAPI document per role
(``fuzz/``), faults injected into running services (``faults/``), and hostile input
(``hostile/``). ``pytest -m reliability`` runs only these; ``make test`` runs them with the
rest, and the summary line says how long they took together (budget: five minutes)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith("tests/reliability/"):
            item.add_marker(pytest.mark.reliability)
