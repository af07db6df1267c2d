"""The Telegram channel: python-telegram-bot's :class:`telegram.Bot` on long polling.

The Bot API keeps every update until a ``getUpdates`` call names a higher ``offset``
(https://core.telegram.org/bots/api#getupdates): this channel raises its offset only when
the intake acknowledged an update, so an update whose message the intake did not commit
comes back on the next poll. A ``429`` answer carries ``parameters.retry_after`` (seconds):
the channel waits that long; a ``5xx``, a refused connection or a request that times out is
retried after a growing pause (1 s, 2 s, 4 s ... up to ``max_backoff_s``).

The bot token is never logged: httpx logs each request's URL (which holds the token) at
INFO, so the ``httpx`` and ``httpcore`` loggers are held at WARNING and every record of the
``telegram``, ``httpx`` and ``httpcore`` loggers has the token replaced by ``<token>``.

The coroutine API of python-telegram-bot runs on an event loop of this object's own, so
the port stays synchronous: each call runs to completion before it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, timedelta
from typing import Any

from telegram import (
    Bot,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from safeconduct.errors import BadFileError
from safeconduct.services.ports import ChatInput, ChatMessage

_log = logging.getLogger(__name__)

#: Largest file fetched from the Bot API, in bytes (a case message's attachment limit);
#: a bigger one is not fetched, its size recorded from ``file_size``.
MAX_MEDIA = 10 * 1024 * 1024

#: The updates the bot asks for: a person's messages (new and edited).
ALLOWED_UPDATES = ("message", "edited_message")

SENT, RETRY, REFUSED = "sent", "retry", "refused"


class _TokenFilter(logging.Filter):
    """Replaces the bot token in every record's message and arguments."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg = message.replace(self.token, "<token>")
                record.args = None
        return True


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait a 429 answer asked for, in seconds (an int or a timedelta by PTB version)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def message_kind(message: Message) -> str:
    """The intake's kind of a Telegram message: text, command, sticker, photo, document,
    location, voice, video or other."""
    if message.sticker is not None:
        return "sticker"
    if message.photo:
        return "photo"
    if message.location is not None or message.venue is not None:
        return "location"
    if message.voice is not None or message.audio is not None:
        return "voice"
    if message.video is not None or message.video_note is not None:
        return "video"
    if message.document is not None or message.animation is not None:
        return "document"
    if message.text is not None:
        return "command" if message.text.startswith("/") else "text"
    return "other"


def to_chat_input(update: Update, channel: str = "telegram") -> ChatInput:
    """The update as the intake reads it; ``message`` None for an update from anything but
    a private chat, or one that carries no message.

    ``message_id`` is ``"<chat id>:<message id>"`` (Telegram numbers messages per chat), an
    edit's ``"<chat id>:<message id>:edit:<unix time>"``; a location's coordinates are
    dropped; a sticker's text is its emoji; a photo's or a file's, its caption.
    """
    edited = update.edited_message is not None and update.message is None
    message = update.message or update.edited_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return ChatInput(position=update.update_id, message=None)
    kind = message_kind(message)
    if kind == "location":
        text = ""
    elif kind == "sticker":
        text = (message.sticker.emoji if message.sticker else None) or ""
    else:
        text = message.text or message.caption or ""
    media_type = None
    if message.document is not None:
        media_type = message.document.mime_type
    elif message.photo:
        media_type = "image/jpeg"
    elif message.voice is not None:
        media_type = message.voice.mime_type
    elif message.video is not None:
        media_type = message.video.mime_type
    message_id = f"{message.chat.id}:{message.message_id}"
    at = message.date
    if edited and message.edit_date is not None:
        message_id += f":edit:{int(message.edit_date.timestamp())}"
        at = message.edit_date
    return ChatInput(
        position=update.update_id,
        message=ChatMessage(
            channel=channel,
            sender=str(message.chat.id),
            message_id=message_id,
            text=text,
            kind=kind,
            media=None,
            media_type=media_type,
            received_at=at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC),
        ),
    )


def media_file(message: Message) -> tuple[str, int | None] | None:
    """The file id and told size (bytes, None: not told) of the file a message carries (a
    photo's largest size), or None when it carries none a person would send as a file."""
    if message.photo:
        largest = message.photo[-1]
        return largest.file_id, largest.file_size
    for item in (
        message.document,
        message.voice,
        message.audio,
        message.video,
        message.video_note,
        message.animation,
    ):
        if item is not None:
            return item.file_id, item.file_size
    return None


def _units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts a message's characters."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 code units (Telegram's 4096), cut at a
    line break or a space where there is one in the second half of a piece; pieces that
    are empty or blanks only are left out (Telegram refuses them)."""
    pieces: list[str] = []
    rest = text
    while _units(rest) > limit:
        n = units = 0
        for char in rest:
            width = 2 if ord(char) > 0xFFFF else 1
            if units + width > limit:
                break
            units += width
            n += 1
        head = rest[:n]
        cut = max(head.rfind("\n"), head.rfind(" "))
        if cut > 0 and cut >= n // 2:
            piece, rest = rest[:cut], rest[cut:].lstrip("\n ")
        else:
            piece, rest = head, rest[n:]
        if piece.strip():
            pieces.append(piece)
    if rest.strip():
        pieces.append(rest)
    return pieces


class TelegramChannel:
    """:class:`~safeconduct.services.ports.ChatChannel` on the Telegram Bot API.

    Parameters
    ----------
    token
        The bot token (from the token file; never logged).
    api_url
        The Bot API server, ``https://api.telegram.org`` by default; a local Bot API server
        or the tests' fake one otherwise.
    request_timeout_s
        Seconds one request may take beyond a long poll's own wait (read and connect), s.
    max_backoff_s
        The longest pause after repeated failures, s.
    send_attempts
        Tries of one message within :meth:`send` before it answers "retry".
    sleep
        Waits the given seconds (``time.sleep``; tests pass a recorder).
    """

    name = "telegram"

    def __init__(
        self,
        token: str,
        *,
        api_url: str = "https://api.telegram.org",
        request_timeout_s: float = 10.0,
        max_backoff_s: float = 60.0,
        send_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token.strip():
            raise BadFileError("the bot token is empty", field="token_file")
        self._token = token.strip()
        self._filter = _TokenFilter(self._token)
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._guard_loggers(
            "telegram",
            "telegram.Bot",
            "telegram.request",
            "telegram.request.BaseRequest",
            "telegram.request.HTTPXRequest",
            "httpx",
            "httpcore",
        )
        self._timeout = request_timeout_s
        self._max_backoff = max_backoff_s
        self._send_attempts = max(1, send_attempts)
        self._sleep = sleep
        self._failures = 0
        self._offset: int | None = None
        self._handled: int | None = None
        # The Bot API calls run on an event loop of the channel's own thread: the caller may
        # itself be inside a running loop (a web server, a test harness driving a browser),
        # where run_until_complete on its thread is refused.
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="telegram-channel", daemon=True
        )
        self._thread.start()
        base = api_url.rstrip("/")
        self._bot = Bot(
            self._token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=HTTPXRequest(
                connection_pool_size=4,
                read_timeout=request_timeout_s,
                write_timeout=request_timeout_s,
                connect_timeout=request_timeout_s,
            ),
            get_updates_request=HTTPXRequest(
                connection_pool_size=1,
                read_timeout=request_timeout_s,
                write_timeout=request_timeout_s,
                connect_timeout=request_timeout_s,
            ),
        )
        self.username: str | None = None
        # A logger filter does not act on its children's records: guard each one there is.
        self._guard_loggers(
            *(
                name
                for name in list(logging.root.manager.loggerDict)
                if name.split(".")[0] in ("telegram", "httpx", "httpcore")
            )
        )

    def _guard_loggers(self, *names: str) -> None:
        for name in names:
            logger = logging.getLogger(name)
            if self._filter not in logger.filters:
                logger.addFilter(self._filter)

    # ------------------------------------------------------------ life cycle

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def start(self) -> str:
        """Check the token (``getMe``) and drop a webhook, which would refuse long polling
        (``deleteWebhook``, pending updates kept); the bot's user name.

        Raises ``BadFileError`` (``field="token_file"``) when the server refuses the token;
        retries, as the server asks, while it is unavailable.
        """
        while True:
            try:
                self._run(self._bot.initialize())
                me = self._bot.bot
                self._run(self._bot.delete_webhook(drop_pending_updates=False))
            except InvalidToken:
                raise BadFileError(
                    "the Bot API refused the bot token", field="token_file"
                ) from None
            except RetryAfter as error:
                self._sleep(retry_after_seconds(error))
                continue
            except (TimedOut, NetworkError) as error:
                self._back_off("start", error)
                continue
            self._failures = 0
            self.username = me.username
            return me.username or ""

    def close(self) -> None:
        """Confirm the handled updates to the server (one ``getUpdates`` with the offset and
        no wait) and close the connections."""
        try:
            if self._handled is not None and self._handled + 1 != self._offset:
                self._run(
                    self._bot.get_updates(
                        offset=self._handled + 1,
                        timeout=0,
                        limit=1,
                        allowed_updates=ALLOWED_UPDATES,
                    )
                )
        except TelegramError as error:
            _log.warning("could not confirm the handled updates: %s", type(error).__name__)
        finally:
            with contextlib.suppress(TelegramError):
                self._run(self._bot.shutdown())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
            for logger in [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]:
                if isinstance(logger, logging.Logger) and self._filter in logger.filters:
                    logger.removeFilter(self._filter)
            for name in ("telegram", "httpx", "httpcore"):
                logging.getLogger(name).removeFilter(self._filter)

    def _back_off(self, what: str, error: Exception) -> None:
        self._failures += 1
        pause = min(self._max_backoff, 2.0 ** (self._failures - 1))
        _log.warning(
            "Bot API %s failed (%s); retrying in %.0f s", what, type(error).__name__, pause
        )
        self._sleep(pause)

    # ------------------------------------------------------------ the port

    def receive(self, timeout_s: float) -> list[ChatInput]:
        """The next updates after the last acknowledged one (long poll up to ``timeout_s``
        seconds); empty after a failure, once the channel waited as the server asked."""
        offset = None if self._handled is None else self._handled + 1
        try:
            updates = self._run(
                self._bot.get_updates(
                    offset=offset,
                    timeout=round(max(0.0, timeout_s)),
                    allowed_updates=ALLOWED_UPDATES,
                )
            )
        except RetryAfter as error:
            wait = retry_after_seconds(error)
            _log.warning("Bot API asked to wait %.0f s (429)", wait)
            self._sleep(wait)
            return []
        except Conflict as error:
            # Another poller or a webhook: wait as for an outage (the webhook is dropped
            # at start; another bot process with the same token must be stopped).
            self._back_off("getUpdates (conflict)", error)
            return []
        except InvalidToken:
            raise BadFileError("the Bot API refused the bot token", field="token_file") from None
        except (TimedOut, NetworkError) as error:
            self._back_off("getUpdates", error)
            return []
        self._failures = 0
        self._offset = offset
        return [self._with_media(update) for update in updates]

    def _with_media(self, update: Update) -> ChatInput:
        """The update as the intake reads it, with the file it carries fetched (``getFile``
        and the file download URL) when the Bot API tells it is at most :data:`MAX_MEDIA`
        bytes; otherwise, or when fetching fails, the size as told and no bytes."""
        found = to_chat_input(update, self.name)
        message = update.message or update.edited_message
        if found.message is None or message is None:
            return found
        carried = media_file(message)
        if carried is None:
            return found
        file_id, size = carried
        media: bytes | None = None
        if size is None or size <= MAX_MEDIA:
            try:
                file = self._run(self._bot.get_file(file_id))
                if file.file_size is not None:
                    size = file.file_size
                if size is None or size <= MAX_MEDIA:
                    data = bytes(self._run(file.download_as_bytearray()))
                    if len(data) <= MAX_MEDIA:
                        media, size = data, len(data)
                    else:
                        size = len(data)
            except TelegramError as error:
                _log.warning("could not fetch a file sent in: %s", type(error).__name__)
        return replace(found, message=replace(found.message, media=media, media_size=size))

    def acknowledge(self, position: int) -> None:
        """The intake committed every update up to ``position``: the next poll names
        ``position + 1`` as its offset, which tells the server to forget them."""
        if self._handled is None or position > self._handled:
            self._handled = position

    def send(self, recipient: str, text: str, quick_replies: Sequence[str] = ()) -> str:
        """Send ``text`` (split at 4096 characters) with ``quick_replies`` as a one-time
        reply keyboard (none: the keyboard is removed); "sent", "retry" or "refused"."""
        try:
            chat_id = int(recipient)
        except ValueError:
            return REFUSED
        pieces = split_text(text) if text else []
        if not pieces:
            return SENT
        for number, piece in enumerate(pieces):
            last = number == len(pieces) - 1
            markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None
            if last:
                markup = (
                    ReplyKeyboardMarkup(
                        [[KeyboardButton(choice)] for choice in quick_replies],
                        one_time_keyboard=True,
                        resize_keyboard=True,
                    )
                    if quick_replies
                    else ReplyKeyboardRemove()
                )
            outcome = self._send_one(chat_id, piece, markup)
            if outcome != SENT:
                return outcome
        return SENT

    def _send_one(
        self, chat_id: int, text: str, markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None
    ) -> str:
        for attempt in range(1, self._send_attempts + 1):
            try:
                self._run(self._bot.send_message(chat_id=chat_id, text=text, reply_markup=markup))
            except RetryAfter as error:
                wait = retry_after_seconds(error)
                _log.warning("Bot API asked to wait %.0f s (429) before sending", wait)
                self._sleep(wait)
            except (Forbidden, ChatMigrated):
                return REFUSED
            except BadRequest as error:
                _log.warning("Bot API refused a message: %s", type(error).__name__)
                return REFUSED
            except InvalidToken:
                raise BadFileError(
                    "the Bot API refused the bot token", field="token_file"
                ) from None
            except (TimedOut, NetworkError) as error:
                if attempt == self._send_attempts:
                    self._failures += 1
                    return RETRY
                self._back_off("sendMessage", error)
            else:
                self._failures = 0
                return SENT
        return RETRY
