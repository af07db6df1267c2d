"""Files a person sends are held sealed until an operator keeps or discards them (issue
14): pending, in no case message until kept; kept, a message's attachment; discarded or
not kept within 24 hours, gone with their key; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from safeconduct.errors import NotFoundError, PermissionDeniedError
from safeconduct.services import intake
from tests.store.test_intake_service import AT, IVAN, OLGA, _msg, clock, iports

__all__ = ["clock", "iports"]  # the fixtures, imported for pytest

PHOTO = b"\xff\xd8\xff\xe0" + b"PHOTO-OF-A-FACE-1d6c3" * 40


def _send_photo(ports: intake.IntakePorts, data: bytes = PHOTO) -> int:
    assert intake.receive(ports, _msg("", kind="photo", media=data)) == []
    (entry,) = intake.inbox(ports, OLGA)
    assert entry.flagged_reason == "file"  # files still flag the sender
    intake.take_over(ports, entry.case_id, OLGA)
    return entry.case_id


def _attachments(ports: intake.IntakePorts, case_id: int) -> list[bytes]:
    with ports.database.unit_of_work(read_only=True) as uow:
        return [
            m.attachment for m in uow.messages.list_for_case(case_id) if m.attachment is not None
        ]


def _actions(ports: intake.IntakePorts) -> list[str]:
    with ports.database.unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(sa.text("SELECT action FROM audit_entries ORDER BY seq")))


def test_a_photo_is_pending_and_in_no_message_until_kept(iports: intake.IntakePorts) -> None:
    case_id = _send_photo(iports)
    view = intake.conversation(iports, case_id, OLGA)
    (held,) = view.media
    assert (held.kind, held.media_type, held.size, held.data) == (
        "photo",
        "image/jpeg",
        len(PHOTO),
        None,
    )
    assert view.messages[0].text == f"[photo, {len(PHOTO)} bytes, held for an operator]"
    assert _attachments(iports, case_id) == []


def test_keep_makes_it_an_attachment(iports: intake.IntakePorts) -> None:
    case_id = _send_photo(iports)
    (held,) = intake.conversation(iports, case_id, OLGA).media
    kept = intake.keep_media(iports, case_id, held.id, OLGA)
    assert kept.attachment_type == "image/jpeg"
    assert kept.attachment_name == f"photo-{held.id}.jpg"
    assert _attachments(iports, case_id) == [PHOTO]
    assert intake.conversation(iports, case_id, OLGA).media == ()
    assert "intake.media_keep" in _actions(iports)
    with pytest.raises(NotFoundError) as kept_twice:
        intake.keep_media(iports, case_id, held.id, OLGA)
    assert kept_twice.value.field == "media_id"


def test_discard_destroys_it_and_its_key(iports: intake.IntakePorts) -> None:
    case_id = _send_photo(iports)
    (held,) = intake.conversation(iports, case_id, OLGA).media
    intake.discard_media(iports, case_id, held.id, OLGA)
    assert intake.conversation(iports, case_id, OLGA).media == ()
    assert _attachments(iports, case_id) == []
    with iports.database.unit_of_work(read_only=True) as uow:
        live = uow.session.scalar(
            sa.text(
                "SELECT count(*) FROM data_keys WHERE owner LIKE 'intake_media:%'"
                " AND destroyed_at IS NULL"
            )
        )
    assert live == 0
    assert "intake.media_discard" in _actions(iports)


def test_only_the_conversations_operator_keeps_or_discards(iports: intake.IntakePorts) -> None:
    case_id = _send_photo(iports)
    (held,) = intake.conversation(iports, case_id, OLGA).media
    with pytest.raises(PermissionDeniedError):
        intake.keep_media(iports, case_id, held.id, IVAN)
    with pytest.raises(PermissionDeniedError):
        intake.discard_media(iports, case_id, held.id, IVAN)
    assert len(intake.conversation(iports, case_id, OLGA).media) == 1


def test_media_not_kept_within_24_hours_is_destroyed(iports: intake.IntakePorts) -> None:
    case_id = _send_photo(iports)
    intake.due_reminders(iports, AT + timedelta(hours=23))
    assert len(intake.conversation(iports, case_id, OLGA).media) == 1
    intake.due_reminders(iports, AT + timedelta(hours=24, seconds=1))
    assert intake.conversation(iports, case_id, OLGA).media == ()
    assert _attachments(iports, case_id) == []
    assert _actions(iports).count("intake.media_expire") == 1
    intake.due_reminders(iports, AT + timedelta(hours=48))  # idempotent
    assert _actions(iports).count("intake.media_expire") == 1


def test_a_file_not_fetched_records_its_size_or_unknown(iports: intake.IntakePorts) -> None:
    big = intake.IncomingMessage(
        channel="telegram",
        sender="tg-1",
        message_id="big",
        text="",
        kind="video",
        media=None,
        media_type="video/mp4",
        received_at=AT,
        media_size=50_000_000,
    )
    intake.receive(iports, big)
    unknown = intake.IncomingMessage(
        channel="telegram",
        sender="tg-2",
        message_id="unknown",
        text="",
        kind="document",
        media=None,
        media_type=None,
        received_at=AT,
    )
    intake.receive(iports, unknown)
    texts = []
    for entry in intake.inbox(iports, OLGA):
        intake.take_over(iports, entry.case_id, OLGA)
        view = intake.conversation(iports, entry.case_id, OLGA)
        assert view.media == ()
        texts.append(view.messages[0].text)
    assert sorted(texts) == [
        "[document, size unknown, not kept]",
        "[video, 50000000 bytes, not kept]",
    ]


def test_the_bytes_are_not_in_the_sqlite_file_after_discard(
    iports: intake.IntakePorts, store: Any
) -> None:
    if store.backend != "sqlite":
        pytest.skip("a file only on SQLite")
    case_id = _send_photo(iports)
    (held,) = intake.conversation(iports, case_id, OLGA).media
    intake.discard_media(iports, case_id, held.id, OLGA)
    path = Path(sa.make_url(store.url).database or "")
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert b"PHOTO-OF-A-FACE" not in raw


def test_a_purged_case_takes_its_held_files_keys(iports: intake.IntakePorts) -> None:
    case_id = _send_photo(iports)
    with iports.database.unit_of_work() as uow:
        uow.retention.purge_case(case_id, at=AT + timedelta(days=31))
    with iports.database.unit_of_work(read_only=True) as uow:
        live = uow.session.scalar(
            sa.text(
                "SELECT count(*) FROM data_keys WHERE owner LIKE 'intake_media:%'"
                " AND destroyed_at IS NULL"
            )
        )
        held = uow.session.scalar(sa.text("SELECT count(*) FROM intake_pending_media"))
    assert (live, held) == (0, 0)
