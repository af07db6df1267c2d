"""The retention rules (pure) and the settings file: which rule a case falls under, when it
is due, what a purge does with it; a property that a purge never deletes a case that is not
due, nor registration data, nor active work, and that once due a case stays due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.adapters.files.retention_settings import (
    SETTINGS_TEMPLATE,
    read_retention_settings,
)
from safeconduct.casework.message import CaseMessage
from safeconduct.casework.retention import (
    ACTIVE_STATUSES,
    REGISTRATION_STATUSES,
    CaseFacts,
    RetentionAction,
    RetentionRule,
    RetentionSettings,
    decide,
    rule_of,
)
from safeconduct.casework.status import CaseStatus
from safeconduct.errors import BadFileError, InvalidValueError

T0 = datetime(2026, 3, 1, tzinfo=UTC)
S = CaseStatus


def _facts(status: CaseStatus, *, op: bool = False, custody: bool = False) -> CaseFacts:
    return CaseFacts(1, status, T0, had_operation=op, has_custody=custody)


@pytest.mark.parametrize(
    ("facts", "rule"),
    [
        (_facts(S.CONTACTED), RetentionRule.CONTACT),
        (_facts(S.LOST_CONTACT), RetentionRule.CONTACT),
        (_facts(S.CLOSED), RetentionRule.CONTACT),
        (_facts(S.ABORTED, op=True), RetentionRule.ENDED_OPERATION),
        (_facts(S.LOST_CONTACT, op=True), RetentionRule.ENDED_OPERATION),
        (_facts(S.CONTACTED, op=True), RetentionRule.ENDED_OPERATION),
        (_facts(S.CLOSED, op=True), RetentionRule.ENDED_OPERATION),
        (_facts(S.CLOSED, op=True, custody=True), RetentionRule.REGISTRATION),
        (_facts(S.REGISTERED, op=True, custody=True), RetentionRule.REGISTRATION),
        (_facts(S.DECEASED, op=True), RetentionRule.REGISTRATION),
        (_facts(S.SCHEDULED, op=True), RetentionRule.ACTIVE),
        (_facts(S.IN_CUSTODY, op=True, custody=True), RetentionRule.ACTIVE),
    ],
)
def test_each_case_falls_under_one_rule(facts: CaseFacts, rule: RetentionRule) -> None:
    assert rule_of(facts) is rule


def test_the_defaults_and_their_edges() -> None:
    settings = RetentionSettings()
    contact = _facts(S.CONTACTED)
    assert decide(contact, settings, T0 + timedelta(days=30) - timedelta(seconds=1)).action is (
        RetentionAction.KEEP
    )
    assert decide(contact, settings, T0 + timedelta(days=30)).action is RetentionAction.PURGE
    aborted = _facts(S.ABORTED, op=True)
    assert decide(aborted, settings, T0 + timedelta(days=89)).action is RetentionAction.KEEP
    assert decide(aborted, settings, T0 + timedelta(days=90)).action is RetentionAction.PURGE
    registered = _facts(S.REGISTERED, custody=True)
    later = decide(registered, settings, T0 + timedelta(days=365))
    assert later.action is RetentionAction.HAND_OVER and later.due_at == T0 + timedelta(days=365)
    assert decide(_facts(S.UNDERWAY, op=True), settings, T0 + timedelta(days=9999)).due_at is None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"contact_days": 0}, "contact_days"),
        ({"ended_operation_days": -3}, "ended_operation_days"),
        ({"registration_handover_days": 1.5}, "registration_handover_days"),
        ({"contact_days": True}, "contact_days"),
        ({"contact_days": 36_501}, "contact_days"),
    ],
)
def test_settings_name_the_field_at_fault(values: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        RetentionSettings(**values)  # type: ignore[arg-type]
    assert caught.value.field == field and field in caught.value.message


def test_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "retention.toml"
    path.write_text(SETTINGS_TEMPLATE, encoding="utf-8")
    assert read_retention_settings(path) == RetentionSettings()
    path.write_text("[retention]\ncontact_days = 14\n", encoding="utf-8")
    assert read_retention_settings(path) == RetentionSettings(contact_days=14)
    assert read_retention_settings(tmp_path / "none.toml", required=False) == RetentionSettings()
    with pytest.raises(BadFileError) as missing:
        read_retention_settings(tmp_path / "none.toml")
    assert missing.value.field == "settings"
    path.write_text("[retention]\ncontact_dayz = 14\n", encoding="utf-8")
    with pytest.raises(InvalidValueError) as misspelt:
        read_retention_settings(path)
    assert "retention.contact_dayz" in misspelt.value.message
    path.write_text("[retention]\ncontact_days = 0\n", encoding="utf-8")
    with pytest.raises(InvalidValueError) as zero:
        read_retention_settings(path)
    assert zero.value.field == "contact_days" and str(path) in zero.value.message
    path.write_text("[retention\n", encoding="utf-8")
    with pytest.raises(BadFileError) as broken:
        read_retention_settings(path)
    assert broken.value.field == "settings"


_settings = st.builds(
    RetentionSettings,
    contact_days=st.integers(1, 400),
    ended_operation_days=st.integers(1, 400),
    registration_handover_days=st.integers(1, 4000),
)
_case = st.builds(
    CaseFacts,
    case_id=st.integers(1, 10**6),
    status=st.sampled_from(list(CaseStatus)),
    last_activity=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    had_operation=st.booleans(),
    has_custody=st.booleans(),
)


@given(_case, _settings, st.integers(0, 10_000), st.integers(0, 10_000))
def test_a_purge_never_deletes_a_case_not_due(
    case: CaseFacts, settings: RetentionSettings, hours: int, more_hours: int
) -> None:
    now = case.last_activity + timedelta(hours=hours)
    decision = decide(case, settings, now)
    if decision.action is RetentionAction.PURGE:
        days = settings.days(decision.rule)
        assert days is not None and now - case.last_activity >= timedelta(days=days)
        assert case.status not in ACTIVE_STATUSES | REGISTRATION_STATUSES
        assert not case.has_custody
    if case.has_custody or case.status in REGISTRATION_STATUSES | ACTIVE_STATUSES:
        assert decision.action is not RetentionAction.PURGE
    # Once due, a case stays due (a later purge does what an earlier one would have done).
    later = decide(case, settings, now + timedelta(hours=more_hours))
    if decision.action is not RetentionAction.KEEP:
        assert later.action is decision.action


def test_a_message_checks_its_fields() -> None:
    base = {"id": None, "case_id": 1, "at": T0, "author": "olga", "direction": "out"}
    with pytest.raises(InvalidValueError) as empty:
        CaseMessage(**base, text="  ")  # type: ignore[arg-type]
    assert empty.value.field == "text"
    with pytest.raises(InvalidValueError) as way:
        CaseMessage(**{**base, "direction": "sideways"}, text="x")  # type: ignore[arg-type]
    assert way.value.field == "direction"
    with pytest.raises(InvalidValueError) as half:
        CaseMessage(**base, text="", attachment_name="a.jpg", attachment=b"x")  # type: ignore[arg-type]
    assert half.value.field == "attachment"
    with pytest.raises(InvalidValueError) as mime:
        CaseMessage(**base, text="", attachment_name="a", attachment_type="jpeg", attachment=b"x")  # type: ignore[arg-type]
    assert mime.value.field == "attachment_type"
    ok = CaseMessage(
        **base, text="", attachment_name="a.jpg", attachment_type="image/jpeg", attachment=b"x"
    )  # type: ignore[arg-type]
    assert ok.attachment == b"x"
