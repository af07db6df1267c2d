"""One message of a case's conversation with the person: text, and perhaps one attachment.

A message is the unit that can be deleted on its own (issue 13: "one message or one
attachment can be deleted without deleting its case"): the store seals each under its own
data key, owner :func:`message_key_owner`, and deleting it destroys that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from safeconduct.errors import InvalidValueError

#: ``in``: the person's own words; ``out``: what the team sent; ``note``: internal only.
DIRECTIONS: tuple[str, ...] = ("in", "out", "note")

#: The author of a message the person wrote (direction ``in``).
PERSON = "person"

#: Longest text of one message, in characters.
MAX_TEXT = 20_000

#: Largest attachment, in bytes (10 MiB: a photograph from a phone).
MAX_ATTACHMENT = 10 * 1024 * 1024

#: Longest attachment file name and MIME type, in characters.
MAX_ATTACHMENT_NAME = 255
MAX_ATTACHMENT_TYPE = 128


@dataclass(frozen=True)
class CaseMessage:
    """One message of a case.

    Attributes
    ----------
    id
        The stored message's id; ``None`` before it is stored.
    case_id
        The case it belongs to.
    at
        When it was written or received, time-zone aware (stored in UTC).
    author
        A team user's name, or :data:`PERSON` for the person's own words.
    direction
        One of :data:`DIRECTIONS`.
    text
        The words; may be ``""`` when there is only an attachment.
    attachment_name, attachment_type, attachment
        The attached file's name, MIME type (``image/jpeg``) and bytes; all ``None`` when
        there is none. ``attachment`` alone may be ``None`` in a list read without the
        attachments' bytes.
    """

    id: int | None
    case_id: int
    at: datetime
    author: str
    direction: str
    text: str
    attachment_name: str | None = None
    attachment_type: str | None = None
    attachment: bytes | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvalidValueError("a message's time needs a time zone", field="at")
        if self.direction not in DIRECTIONS:
            raise InvalidValueError(
                f"unknown direction {self.direction!r}; give one of {', '.join(DIRECTIONS)}",
                field="direction",
            )
        if not self.author.strip() or len(self.author) > 64:
            raise InvalidValueError(
                "a message needs an author of 1 to 64 characters", field="author"
            )
        if len(self.text) > MAX_TEXT:
            raise InvalidValueError(
                f"a message's text is at most {MAX_TEXT} characters", field="text"
            )
        if (self.attachment_name is None) != (self.attachment_type is None):
            raise InvalidValueError("an attachment needs its name and its type", field="attachment")
        if self.attachment is not None and self.attachment_name is None:
            raise InvalidValueError("an attachment needs its name and its type", field="attachment")
        if self.attachment_name is None and not self.text.strip():
            raise InvalidValueError("a message needs a text or an attachment", field="text")
        if self.attachment_name is not None:
            assert self.attachment_type is not None
            if self.attachment is not None and len(self.attachment) > MAX_ATTACHMENT:
                raise InvalidValueError(
                    f"an attachment is at most {MAX_ATTACHMENT // (1024 * 1024)} MiB",
                    field="attachment",
                )
            if not self.attachment_name.strip() or len(self.attachment_name) > MAX_ATTACHMENT_NAME:
                raise InvalidValueError(
                    f"an attachment's name is 1 to {MAX_ATTACHMENT_NAME} characters",
                    field="attachment_name",
                )
            if (
                "/" not in self.attachment_type
                or len(self.attachment_type) > MAX_ATTACHMENT_TYPE
                or any(c.isspace() for c in self.attachment_type)
            ):
                raise InvalidValueError(
                    f"{self.attachment_type!r} is not a MIME type like image/jpeg",
                    field="attachment_type",
                )


def message_key_owner(message_id: int) -> str:
    """The owner name of the data key message ``message_id`` is sealed under."""
    return f"message:{message_id}"
