"""The intake tables (revision 0013) on SQLite and PostgreSQL: sealed handle, run and
outbox, the sender found by blind index, a message remembered once, all gone with the case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from safeconduct.casework.case import Case
from safeconduct.services.casework import CaseworkPorts
from safeconduct.services.ports import IntakeConversation

AT = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
HANDLE = "tg-user-5550173"


def _conversation(ports: CaseworkPorts) -> int:
    with ports.database.unit_of_work() as uow:
        stored = uow.cases.add(Case.open(language="ru", channel="chat", now=AT), opened_by="bot")
        uow.intake.add(
            IntakeConversation(
                case_id=stored.id,
                channel="telegram",
                sender=HANDLE,
                run={"node": "n1", "results": {"wounded": "да, двое"}},
                status="bot",
                created_at=AT,
            )
        )
        return int(stored.id)


def test_a_conversation_is_found_by_its_sender_and_reads_back(ports: CaseworkPorts) -> None:
    case_id = _conversation(ports)
    with ports.database.unit_of_work() as uow:
        found = uow.intake.find_open("telegram", HANDLE)
        assert found is not None and found.case_id == case_id
        assert found.run["results"] == {"wounded": "да, двое"}
        assert uow.intake.find_open("telegram", "someone-else") is None
        assert uow.intake.find_open("signal", HANDLE) is None


def test_the_handle_and_the_run_are_sealed(ports: CaseworkPorts) -> None:
    _conversation(ports)
    with ports.database.unit_of_work(read_only=True) as uow:
        row = uow.session.execute(
            sa.text("SELECT sender_index, sealed_sender, sealed_run FROM intake_conversations")
        ).one()
    assert HANDLE not in row.sender_index
    assert HANDLE.encode() not in bytes(row.sealed_sender)
    assert "двое".encode() not in bytes(row.sealed_run)


def test_a_message_id_is_remembered_per_sender(ports: CaseworkPorts) -> None:
    case_id = _conversation(ports)
    with ports.database.unit_of_work() as uow:
        assert not uow.intake.seen("telegram", HANDLE, "1")
        uow.intake.remember("telegram", HANDLE, "1", case_id=case_id, at=AT)
    with ports.database.unit_of_work() as uow:
        assert uow.intake.seen("telegram", HANDLE, "1")
        assert not uow.intake.seen("telegram", "other", "1")


def test_the_outbox_is_pending_until_marked_sent(ports: CaseworkPorts) -> None:
    case_id = _conversation(ports)
    with ports.database.unit_of_work() as uow:
        first = uow.intake.outbox_add(
            case_id, channel="telegram", kind="bot", text="Привет", quick_replies=("ru",), at=AT
        )
        uow.intake.outbox_add(
            case_id, channel="telegram", kind="bot", text="Второе", quick_replies=(), at=AT
        )
    with ports.database.unit_of_work(read_only=True) as uow:
        pending = uow.intake.outbox_pending("telegram")
        assert [(p.text, p.recipient, p.quick_replies) for p in pending] == [
            ("Привет", HANDLE, ("ru",)),
            ("Второе", HANDLE, ()),
        ]
        assert uow.intake.outbox_pending("signal") == []
    with ports.database.unit_of_work() as uow:
        assert uow.intake.outbox_mark_sent(first, at=AT) == case_id
        assert uow.intake.outbox_mark_sent(first, at=AT) == case_id  # again: no change
        assert uow.intake.outbox_mark_sent(99999, at=AT) is None
    with ports.database.unit_of_work(read_only=True) as uow:
        assert [p.text for p in uow.intake.outbox_pending("telegram")] == ["Второе"]


def test_flood_count_and_status_lists(ports: CaseworkPorts) -> None:
    case_id = _conversation(ports)
    with ports.database.unit_of_work() as uow:
        found = uow.intake.get(case_id)
        assert found is not None
        uow.intake.save(replace(found, status="waiting_operator", last_in_at=AT))
    with ports.database.unit_of_work(read_only=True) as uow:
        assert [c.case_id for c in uow.intake.list_by_status(("waiting_operator",))] == [case_id]
        assert uow.intake.list_by_status(("flagged",)) == []
        assert uow.intake.messages_in_since(case_id, AT - timedelta(minutes=1)) == 0


def test_everything_goes_with_its_case(ports: CaseworkPorts) -> None:
    case_id = _conversation(ports)
    with ports.database.unit_of_work() as uow:
        uow.intake.outbox_add(
            case_id, channel="telegram", kind="bot", text="x", quick_replies=(), at=AT
        )
        uow.intake.remember("telegram", HANDLE, "7", case_id=case_id, at=AT)
    with ports.database.unit_of_work() as uow:
        uow.retention.purge_case(case_id, at=AT)
    with ports.database.unit_of_work(read_only=True) as uow:
        for table in ("intake_conversations", "intake_outbox", "intake_received"):
            assert uow.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 0
