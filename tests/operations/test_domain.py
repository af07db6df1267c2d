"""The Operation value: what it refuses, by field, and how its plan status may move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from safeconduct.casework.operation import (
    Operation,
    PlanStatus,
    check_artifact_name,
    normalise_area_name,
)
from safeconduct.errors import InvalidValueError
from safeconduct.terrain.coords import GeoPoint

T0 = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
POINT = GeoPoint(48.59, 38.02)


def _new(**changes: object) -> Operation:
    kwargs: dict[str, object] = {
        "case_id": 1,
        "area": "sample",
        "meeting_point": POINT,
        "window_start": T0,
        "window_end": T0 + timedelta(hours=1),
        "actor": "petro",
        "now": T0 - timedelta(days=1),
    }
    kwargs.update(changes)
    return Operation.create(**kwargs)  # type: ignore[arg-type]


def test_a_new_operation_has_no_plan_and_one_event() -> None:
    op = _new(area=" sample ", reception="  ")
    assert op.area == "sample" and op.reception is None
    assert op.plan_status is PlanStatus.NONE and op.artifacts == ()
    assert [e.kind for e in op.events] == ["created"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"case_id": 0}, "case_id"),
        ({"case_id": True}, "case_id"),
        ({"area": "../etc"}, "area"),
        ({"area": "a/b"}, "area"),
        ({"area": ""}, "area"),
        ({"meeting_point": GeoPoint(91.0, 0.0)}, "meeting_point"),
        ({"meeting_point": GeoPoint(float("nan"), 0.0)}, "meeting_point"),
        ({"window_start": datetime(2026, 12, 1, 5)}, "window_start"),
        ({"window_end": T0}, "window_end"),
        ({"window_end": T0 - timedelta(minutes=1)}, "window_end"),
        ({"window_end": T0 + timedelta(days=2)}, "window_end"),
        ({"actor": " "}, "actor"),
        ({"now": datetime(2026, 1, 1)}, "now"),
    ],
)
def test_refusals_name_their_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        _new(**changes)
    assert caught.value.field == field
    assert not caught.value.message.startswith("--")


def test_the_plan_moves_queued_running_done_and_may_be_asked_again() -> None:
    op = _new()
    op = op.queue_plan(at=T0, actor="petro")
    with pytest.raises(InvalidValueError) as caught:
        op.queue_plan(at=T0, actor="petro")  # not twice while queued
    assert caught.value.field == "plan_status" and "queued" in caught.value.message
    op = op.plan_stage("route", at=T0).plan_stage("report", at=T0)
    op = op.plan_done(["route.geojson", "mission/sortie-1.plan"], at=T0)
    assert op.plan_status is PlanStatus.DONE
    assert op.artifacts == ("mission/sortie-1.plan", "route.geojson")
    op = op.queue_plan(at=T0, actor="petro").plan_failed("boom\nsecond line", at=T0)
    assert op.plan_status is PlanStatus.FAILED
    assert op.events[-1].text == "boom"
    assert [e.kind for e in op.events][-2:] == ["plan_queued", "plan_failed"]


def test_a_plan_not_asked_for_cannot_finish() -> None:
    with pytest.raises(InvalidValueError) as caught:
        _new().plan_done(["route.geojson"], at=T0)
    assert caught.value.field == "plan_status"


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../b", "a//b", "", "a\\b", "./x"])
def test_artifact_names_never_leave_the_plan_folder(name: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        check_artifact_name(name)
    assert caught.value.field == "name"


def test_area_names_are_folder_names() -> None:
    assert normalise_area_name(" sample-2 ") == "sample-2"
    with pytest.raises(InvalidValueError):
        normalise_area_name("..")
