"""The intake's conversations, outbox and processed messages in the database (revision 0013).

The handle of the sender, the flow run, the proposed meeting and every text waiting to go
out are sealed under the case's data key (owner ``case:<id>``) and bound, as associated
data, to their table, column and row; a conversation is found by the keyed blind index of
``channel:handle``, never the handle. The repository never commits: the unit of work owns
the transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from safeconduct.adapters.store.keys import destroy_keys
from safeconduct.adapters.store.models import (
    CaseMessageRow,
    CaseRow,
    IntakeConversationRow,
    IntakeOutboxRow,
    IntakePendingMediaRow,
    IntakeReceivedRow,
)
from safeconduct.adapters.store.sealing import Sealer, case_owner
from safeconduct.services.ports import IntakeConversation as Conversation
from safeconduct.services.ports import OutboxItem, PendingMedia

_CONVERSATIONS = "intake_conversations"
_OUTBOX = "intake_outbox"
_MEDIA = "intake_pending_media"

#: The statuses in which a conversation is still going on (a new message joins it).
OPEN_STATUSES: tuple[str, ...] = ("bot", "waiting_operator", "operator", "flagged")


class SqlIntake:
    """The intake tables in one session.

    Parameters
    ----------
    sealer
        Seals and opens values with the unit of work's data keys.
    session
        The unit of work's session.
    """

    def __init__(self, sealer: Sealer, session: Session) -> None:
        self._sealer = sealer
        self._session = session

    # ------------------------------------------------------------ indexes

    def _sender_index(self, channel: str, sender: str) -> str:
        return self._sealer.cipher.blind_index("chat_sender", f"{channel}:{sender}")

    def _message_index(self, channel: str, sender: str, message_id: str) -> str:
        return self._sealer.cipher.blind_index("chat_message", f"{channel}:{sender}:{message_id}")

    def lock_sender(self, channel: str, sender: str) -> None:
        """Hold the sender's lock until the transaction ends, so that two messages of one
        new sender processed at once open one conversation, not two. PostgreSQL: a
        transaction-level advisory lock on the sender's index; SQLite's writing unit of
        work holds the database's write lock already."""
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtext(:index))"),
                {"index": self._sender_index(channel, sender)},
            )

    # ------------------------------------------------------------ processed messages

    def seen(self, channel: str, sender: str, message_id: str) -> bool:
        """Whether the message (channel, sender, id) was processed already."""
        index = self._message_index(channel, sender, message_id)
        return self._session.get(IntakeReceivedRow, index) is not None

    def remember(
        self, channel: str, sender: str, message_id: str, *, case_id: int, at: datetime
    ) -> None:
        """Record the message (channel, sender, id) as processed."""
        self._session.add(
            IntakeReceivedRow(
                message_index=self._message_index(channel, sender, message_id),
                case_id=case_id,
                received_at=at,
            )
        )
        self._session.flush()

    # ------------------------------------------------------------ conversations

    def _seal(self, value: Any, column: str, case_id: int, key_id: str) -> bytes:
        return self._sealer.seal(
            value, table=_CONVERSATIONS, column=column, row_id=case_id, key_id=key_id
        )

    def _open(self, blob: bytes, column: str, case_id: int, key_id: str) -> Any:
        return self._sealer.open(
            blob, table=_CONVERSATIONS, column=column, row_id=case_id, key_id=key_id
        )

    def _conversation(self, row: IntakeConversationRow) -> Conversation:
        meeting = (
            None
            if row.sealed_meeting is None
            else self._open(row.sealed_meeting, "meeting", row.case_id, row.data_key_id)
        )
        return Conversation(
            case_id=row.case_id,
            channel=row.channel,
            sender=self._open(row.sealed_sender, "sender", row.case_id, row.data_key_id),
            run=self._open(row.sealed_run, "run", row.case_id, row.data_key_id),
            meeting=meeting,
            status=row.status,
            flagged_reason=row.flagged_reason,
            operator=row.operator,
            last_in_at=row.last_in_at,
            last_out_at=row.last_out_at,
            created_at=row.created_at,
        )

    def find_open(self, channel: str, sender: str) -> Conversation | None:
        """The sender's conversation still going on (the newest), or None."""
        row = self._session.scalars(
            sa.select(IntakeConversationRow)
            .where(
                IntakeConversationRow.sender_index == self._sender_index(channel, sender),
                IntakeConversationRow.status.in_(OPEN_STATUSES),
            )
            .order_by(IntakeConversationRow.created_at.desc(), IntakeConversationRow.case_id)
            .limit(1)
        ).first()
        return None if row is None else self._conversation(row)

    def get(self, case_id: int) -> Conversation | None:
        """The conversation of case ``case_id``, opened, or None."""
        row = self._session.get(IntakeConversationRow, case_id)
        return None if row is None else self._conversation(row)

    def add(self, conversation: Conversation) -> Conversation:
        """Store a new conversation (its case exists already and has its data key)."""
        key = self._sealer.owner_key(case_owner(conversation.case_id))
        row = IntakeConversationRow(
            case_id=conversation.case_id,
            channel=conversation.channel,
            sender_index=self._sender_index(conversation.channel, conversation.sender),
            data_key_id=key.id,
            sealed_sender=self._seal(conversation.sender, "sender", conversation.case_id, key.id),
            sealed_run=self._seal(conversation.run, "run", conversation.case_id, key.id),
            sealed_meeting=None,
            status=conversation.status,
            flagged_reason=conversation.flagged_reason,
            operator=conversation.operator,
            last_in_at=conversation.last_in_at,
            last_out_at=conversation.last_out_at,
            created_at=conversation.created_at,
        )
        self._session.add(row)
        self._session.flush()
        return self._conversation(row)

    def save(self, conversation: Conversation) -> None:
        """Write back what changed of a stored conversation (not its channel or sender)."""
        row = self._session.get(IntakeConversationRow, conversation.case_id)
        if row is None:
            raise KeyError(conversation.case_id)
        row.sealed_run = self._seal(conversation.run, "run", row.case_id, row.data_key_id)
        row.sealed_meeting = (
            None
            if conversation.meeting is None
            else self._seal(conversation.meeting, "meeting", row.case_id, row.data_key_id)
        )
        row.status = conversation.status
        row.flagged_reason = conversation.flagged_reason
        row.operator = conversation.operator
        row.last_in_at = conversation.last_in_at
        row.last_out_at = conversation.last_out_at
        self._session.flush()

    def list_by_status(
        self, statuses: Iterable[str], *, operator: str | None = None
    ) -> list[Conversation]:
        """The conversations in ``statuses`` (and, given, also those of ``operator`` in any
        open status), oldest last message first, opened."""
        wanted = sa.or_(
            IntakeConversationRow.status.in_(tuple(statuses)),
            sa.and_(
                IntakeConversationRow.operator == operator,
                IntakeConversationRow.status.in_(OPEN_STATUSES),
            )
            if operator is not None
            else sa.false(),
        )
        rows = list(
            self._session.scalars(
                sa.select(IntakeConversationRow)
                .where(wanted)
                .order_by(IntakeConversationRow.last_in_at, IntakeConversationRow.case_id)
            )
        )
        self._sealer.prime(row.data_key_id for row in rows)
        return [self._conversation(row) for row in rows]

    def with_meeting(self) -> list[Conversation]:
        """The open conversations with a meeting proposed, opened."""
        rows = list(
            self._session.scalars(
                sa.select(IntakeConversationRow)
                .where(
                    IntakeConversationRow.sealed_meeting.is_not(None),
                    IntakeConversationRow.status.in_(OPEN_STATUSES),
                )
                .order_by(IntakeConversationRow.case_id)
            )
        )
        self._sealer.prime(row.data_key_id for row in rows)
        return [self._conversation(row) for row in rows]

    def messages_in_since(self, case_id: int, since: datetime) -> int:
        """How many messages the person sent in case ``case_id`` since ``since``."""
        return int(
            self._session.scalar(
                sa.select(sa.func.count())
                .select_from(CaseMessageRow)
                .where(
                    CaseMessageRow.case_id == case_id,
                    CaseMessageRow.direction == "in",
                    CaseMessageRow.at >= since,
                )
            )
            or 0
        )

    # ------------------------------------------------------------ outbox

    def outbox_add(
        self,
        case_id: int,
        *,
        channel: str,
        kind: str,
        text: str,
        quick_replies: tuple[str, ...],
        at: datetime,
    ) -> int:
        """Queue a message for the person of case ``case_id``; its outbox id."""
        key = self._sealer.owner_key(case_owner(case_id))
        row = IntakeOutboxRow(
            case_id=case_id,
            channel=channel,
            kind=kind,
            data_key_id=key.id,
            sealed_text=b"",  # sealed below, once the row has its id
            created_at=at,
            sent_at=None,
            attempts=0,
        )
        self._session.add(row)
        self._session.flush()
        row.sealed_text = self._sealer.seal(
            {"text": text, "quick_replies": list(quick_replies)},
            table=_OUTBOX,
            column="text",
            row_id=row.id,
            key_id=key.id,
        )
        self._session.flush()
        return row.id

    def outbox_pending(self, channel: str, *, limit: int = 100) -> list[OutboxItem]:
        """The messages not yet sent on ``channel``, oldest first, with their recipient."""
        rows = list(
            self._session.scalars(
                sa.select(IntakeOutboxRow)
                .where(IntakeOutboxRow.channel == channel, IntakeOutboxRow.sent_at.is_(None))
                .order_by(IntakeOutboxRow.id)
                .limit(limit)
            )
        )
        self._sealer.prime(row.data_key_id for row in rows)
        found: list[OutboxItem] = []
        senders: dict[int, str] = {}
        for row in rows:
            if row.case_id not in senders:
                conversation = self._session.get(IntakeConversationRow, row.case_id)
                if conversation is None:
                    continue
                senders[row.case_id] = self._open(
                    conversation.sealed_sender, "sender", row.case_id, conversation.data_key_id
                )
            value = self._sealer.open(
                row.sealed_text, table=_OUTBOX, column="text", row_id=row.id, key_id=row.data_key_id
            )
            found.append(
                OutboxItem(
                    id=row.id,
                    case_id=row.case_id,
                    channel=row.channel,
                    kind=row.kind,
                    recipient=senders[row.case_id],
                    text=str(value["text"]),
                    quick_replies=tuple(str(q) for q in value["quick_replies"]),
                    created_at=row.created_at,
                    attempts=row.attempts,
                )
            )
        return found

    def outbox_mark_sent(self, outbox_id: int, *, at: datetime) -> int | None:
        """Mark a queued message sent; its case id, or None when there is no such message.
        Marking one already sent changes nothing."""
        row = self._session.get(IntakeOutboxRow, outbox_id)
        if row is None:
            return None
        if row.sent_at is None:
            row.sent_at = at
            row.attempts += 1
            self._session.flush()
        return row.case_id

    def set_case_language(self, case_id: int, language: str) -> None:
        """Set the case's language to the one the person chose in the flow (ISO 639-1)."""
        self._session.execute(
            sa.update(CaseRow)
            .where(CaseRow.id == case_id, CaseRow.language != language)
            .values(language=language)
            .execution_options(synchronize_session=False)
        )

    # ------------------------------------------------------------ pending media (0014)

    def media_add(
        self,
        case_id: int,
        *,
        kind: str,
        media_type: str,
        data: bytes,
        at: datetime,
    ) -> int:
        """Hold a file the person sent, sealed under a data key of its own; its id."""
        owner = f"intake_media:{case_id}:{secrets.token_hex(8)}"
        key = self._sealer.add_key(owner)
        self._session.flush()  # the key row before the row that names it
        row = IntakePendingMediaRow(
            case_id=case_id,
            kind=kind,
            media_type=media_type,
            size=len(data),
            key_owner=owner,
            data_key_id=key.id,
            sealed_media=b"",  # sealed below, once the row has its id
            received_at=at,
        )
        self._session.add(row)
        self._session.flush()
        row.sealed_media = self._sealer.cipher.encrypt(
            data, table=_MEDIA, column="media", row=str(row.id), key=key
        )
        self._session.flush()
        return row.id

    @staticmethod
    def _media(row: IntakePendingMediaRow, data: bytes | None = None) -> PendingMedia:
        return PendingMedia(
            id=row.id,
            case_id=row.case_id,
            kind=row.kind,
            media_type=row.media_type,
            size=row.size,
            received_at=row.received_at,
            data=data,
        )

    def media_list(self, case_id: int) -> list[PendingMedia]:
        """The files held for case ``case_id``, oldest first, without their bytes."""
        rows = self._session.scalars(
            sa.select(IntakePendingMediaRow)
            .where(IntakePendingMediaRow.case_id == case_id)
            .order_by(IntakePendingMediaRow.id)
        )
        return [self._media(row) for row in rows]

    def media_get(self, media_id: int) -> PendingMedia | None:
        """The held file ``media_id`` with its bytes, opened, or None."""
        row = self._session.get(IntakePendingMediaRow, media_id)
        if row is None:
            return None
        data = self._sealer.cipher.decrypt(
            bytes(row.sealed_media),
            table=_MEDIA,
            column="media",
            row=str(row.id),
            key=self._sealer.key(row.data_key_id),
        )
        return self._media(row, data)

    def media_delete(self, media_id: int, *, at: datetime) -> bool:
        """Destroy the held file's key and delete its row; whether there was one."""
        row = self._session.get(IntakePendingMediaRow, media_id)
        if row is None:
            return False
        destroy_keys(self._session, row.key_owner, at=at)
        self._session.delete(row)
        self._session.flush()
        return True

    def media_older_than(self, before: datetime) -> list[PendingMedia]:
        """The held files received before ``before``, without their bytes."""
        rows = self._session.scalars(
            sa.select(IntakePendingMediaRow)
            .where(IntakePendingMediaRow.received_at < before)
            .order_by(IntakePendingMediaRow.id)
        )
        return [self._media(row) for row in rows]
