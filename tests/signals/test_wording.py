"""Wording: alerts say a person is hors de combat; nothing ever reads as clear to engage."""

from __future__ import annotations

import json
import re

import pytest

from safeconduct.services.signals import SignalsSummary
from safeconduct.signals import detector as d

FORBIDDEN = [
    r"no threat", r"\bclear\b", r"not surrender", r"\bweapon", r"\bshoot", r"\bfire\b",
    r"\btarget", r"\bhostile", r"\bkill", r"\bthreat", r"\bsafe to\b", r"(?<!not )\bengage",
    r"\bdanger", r"\bfake\b", r"\bfeign", r"\bruse\b",
]  # fmt: skip


def assert_clean(text: str) -> None:
    for pattern in FORBIDDEN:
        assert not re.search(pattern, text, re.IGNORECASE), (pattern, text)


def test_alert_texts() -> None:
    for kind in d.AlertKind:
        text = d.alert_text(kind)
        assert_clean(text)
        assert "hors de combat" in text and "do not engage" in text
        assert "rise and descend a few metres" in text
    assert d.ACTION_TEXT.startswith("surrender signalled")
    assert "possible" in d.alert_text(d.AlertKind.POSSIBLE_WHITE_CLOTH)
    assert "possible" in d.alert_text(d.AlertKind.POSSIBLE_SIGN)


def test_no_signal_wording() -> None:
    assert d.NO_SIGNAL_TEXT == "no signal detected (system limited)"
    assert d.status_line([]) == d.NO_SIGNAL_TEXT


@pytest.mark.parametrize("alerts", [0, 1])
def test_summary_json_clean(alerts: int) -> None:
    found = [d.Alert(d.AlertKind.SURRENDER_SIGNAL, 3, 4.2, (1, 2, 3, 4), 0.8)][:alerts]
    summary = SignalsSummary("x.mp4", 10, 1.0, 10.0, 1, 10, found)
    text = json.dumps(summary.to_dict()) + summary.status
    text += "".join(json.dumps(a.to_dict(), ensure_ascii=False) for a in found)
    assert_clean(text)
    if not alerts:
        assert summary.status == d.NO_SIGNAL_TEXT


def test_source_has_no_negative_outputs() -> None:
    # Belt and braces: no module of the package contains a phrase that could read as a
    # clearance, in code or in docs (except this list and the detector's explanation).
    from pathlib import Path

    import safeconduct.signals as pkg

    root = Path(pkg.__file__).parent
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"no threat", r"not surrendering", r"clear to", r"\bweapons? use"):
            assert not re.search(pattern, text, re.IGNORECASE), (path.name, pattern)
