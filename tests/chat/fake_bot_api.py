"""A fake Telegram Bot API on 127.0.0.1 for the tests: scripted users, scripted failures,
and a record of every call.

It is a real HTTP server (the standard library's, one thread per request) that answers
``/bot<token>/<method>`` as https://core.telegram.org/bots/api describes: ``getMe``,
``deleteWebhook``, ``getUpdates`` (long poll up to ``timeout`` seconds; an ``offset``
confirms, and forgets, every update below it), ``sendMessage``, ``getFile`` and the file
download ``/file/bot<token>/<file_path>`` (files added by :meth:`FakeBotApi.add_file` or
``FakeUser.photo(data=...)``); a wrong token gets 401.
A scripted failure answers the next call(s) of a method with 429 (``retry_after``), 502,
or holds the request without answering (a hang) for ``hang_s`` seconds.

Users write to the bot with :meth:`FakeUser.say` (and ``sticker``, ``photo``,
``location``, ``command`` ...); :meth:`FakeUser.said` waits until the bot confirmed the
update (a ``getUpdates`` with a higher offset, which the adapter sends only once the intake
committed it and the replies went out) and returns the replies sent to that user since.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

BOT_ID = 7000001
BOT_USERNAME = "safeconduct_test_bot"


@dataclass
class Call:
    """One request the server received: the method, its parameters, when, and the HTTP
    status it answered (0 for a hang)."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class Failure:
    """A scripted failure for the next ``times`` calls of ``method``."""

    method: str
    kind: str  # "429" | "502" | "hang"
    times: int = 1
    retry_after: int = 1
    hang_s: float = 3.0


@dataclass
class Sent:
    """A message the bot sent."""

    chat_id: int
    text: str
    quick_replies: tuple[str, ...]
    message_id: int
    update_seen: int  # the highest update id the server had issued when it was sent


@dataclass
class FakeUser:
    """A person writing to the bot from a private chat."""

    server: FakeBotApi
    chat_id: int
    first_name: str = "Ivan"
    language_code: str = "ru"
    _next_message: int = field(default=1)

    def _post(self, body: dict[str, Any], at: float | None = None) -> int:
        message = {
            "message_id": self._next_message,
            "date": int(time.time() if at is None else at),
            "chat": {"id": self.chat_id, "type": "private", "first_name": self.first_name},
            "from": {
                "id": self.chat_id,
                "is_bot": False,
                "first_name": self.first_name,
                "language_code": self.language_code,
            },
            **body,
        }
        self._next_message += 1
        return self.server.push_update({"message": message})

    def say(self, text: str, at: float | None = None) -> int:
        """Write ``text`` (dated ``at``, a Unix time: now by default); the update's id."""
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            if text.startswith("/") and text.split()
            else []
        )
        return self._post({"text": text, **({"entities": entities} if entities else {})}, at)

    def sticker(self, emoji: str = "🙂") -> int:
        return self._post(
            {
                "sticker": {
                    "file_id": "sticker-file",
                    "file_unique_id": "st1",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": emoji,
                }
            }
        )

    def photo(
        self, caption: str | None = None, data: bytes | None = None, size: int | None = None
    ) -> int:
        """Send a photo; with ``data`` the server serves those bytes by ``getFile`` and the
        file download URL; ``size`` the ``file_size`` told (default: the bytes' length)."""
        file_id = "photo-file"
        if data is not None:
            file_id = self.server.add_file(data)
        told = size if size is not None else (None if data is None else len(data))
        photo = {"file_id": file_id, "file_unique_id": "ph1", "width": 90, "height": 60}
        if told is not None:
            photo["file_size"] = told
        return self._post({"photo": [photo], **({"caption": caption} if caption else {})})

    def document(self, name: str = "map.pdf") -> int:
        return self._post(
            {
                "document": {
                    "file_id": "doc-file",
                    "file_unique_id": "doc1",
                    "file_name": name,
                    "mime_type": "application/pdf",
                }
            }
        )

    def location(self, latitude: float = 48.01, longitude: float = 37.80) -> int:
        return self._post({"location": {"latitude": latitude, "longitude": longitude}})

    def voice(self) -> int:
        return self._post(
            {
                "voice": {
                    "file_id": "v",
                    "file_unique_id": "v1",
                    "duration": 3,
                    "mime_type": "audio/ogg",
                }
            }
        )

    def replies(self) -> list[Sent]:
        """Every message the bot sent this user, in order."""
        return [s for s in self.server.sent_messages() if s.chat_id == self.chat_id]

    def said(self, update_id: int, timeout_s: float = 20.0) -> list[Sent]:
        """Wait until the bot confirmed update ``update_id``; the messages it sent this user
        while handling it (sent after the update was issued)."""
        self.server.wait_confirmed(update_id, timeout_s)
        return [s for s in self.replies() if s.update_seen >= update_id]

    def chat(self, text: str, timeout_s: float = 20.0) -> list[str]:
        """Say ``text`` and return the texts of the bot's replies to it."""
        return [s.text for s in self.said(self.say(text), timeout_s)]


class FakeBotApi:
    """The fake server; use as a context manager (starts on a free port of 127.0.0.1)."""

    def __init__(self, token: str = "123456:TEST-token-never-real") -> None:
        self.token = token
        self.calls: list[Call] = []
        self._failures: list[Failure] = []
        self._updates: list[dict[str, Any]] = []  # issued, not yet confirmed
        self._next_update = 100
        self._confirmed_below = 0
        self._sent: list[Sent] = []
        self._next_sent = 1
        self._cond = threading.Condition()
        self._users: dict[int, FakeUser] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.closing = threading.Event()
        self.blocked: set[int] = set()  # chats whose user blocked the bot (sendMessage: 403)
        self.files: dict[str, bytes] = {}  # file id -> bytes, served by getFile + download

    # ------------------------------------------------------------ life cycle

    def __enter__(self) -> FakeBotApi:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                server._handle(self)

            do_GET = do_POST  # noqa: N815 (the standard library's name)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        with self._cond:
            self._cond.notify_all()
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------ scripting

    def user(self, chat_id: int, first_name: str = "Ivan", language_code: str = "ru") -> FakeUser:
        found = self._users.get(chat_id)
        if found is None:
            found = self._users[chat_id] = FakeUser(self, chat_id, first_name, language_code)
        return found

    def fail(
        self, method: str, kind: str, *, times: int = 1, retry_after: int = 1, hang_s: float = 3.0
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with a failure of ``kind``."""
        with self._cond:
            self._failures.append(Failure(method, kind, times, retry_after, hang_s))

    def push_update(self, body: dict[str, Any]) -> int:
        """Queue an update (``body`` without ``update_id``); its id."""
        with self._cond:
            update_id = self._next_update
            self._next_update += 1
            self._updates.append({"update_id": update_id, **body})
            self._cond.notify_all()
        return update_id

    def wait_confirmed(self, update_id: int, timeout_s: float = 20.0) -> None:
        """Wait until a ``getUpdates`` named an offset above ``update_id``."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._confirmed_below <= update_id:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"update {update_id} not confirmed in {timeout_s} s")
                self._cond.wait(left)

    def sent_messages(self) -> list[Sent]:
        with self._cond:
            return list(self._sent)

    def pending_updates(self) -> list[int]:
        """The ids of updates issued and not yet confirmed."""
        with self._cond:
            return [u["update_id"] for u in self._updates]

    def calls_of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    # ------------------------------------------------------------ serving

    def add_file(self, data: bytes) -> str:
        """Hold ``data`` as a file the bot may fetch; its file id."""
        with self._cond:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = data
        return file_id

    def _download(self, request: BaseHTTPRequestHandler, parts: list[str]) -> None:
        # GET /file/bot<token>/files/<file id>: the file's bytes.
        call = Call(method="download", params={"path": "/".join(parts[2:])}, at=time.monotonic())
        with self._cond:
            self.calls.append(call)
        data = self.files.get(parts[-1]) if parts[1] == f"bot{self.token}" else None
        if data is None:
            call.status = 404
            self._answer(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        call.status = 200
        request.send_response(200)
        request.send_header("Content-Type", "application/octet-stream")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        params = self._params(request.headers.get("Content-Type") or "", raw)
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[0] == "file":
            self._download(request, [unquote(part) for part in parts])
            return
        method = parts[-1] if len(parts) == 2 else ""
        call = Call(method=method, params=params, at=time.monotonic())
        with self._cond:
            self.calls.append(call)
        if len(parts) != 2 or parts[0] != f"bot{self.token}":
            call.status = 401
            self._answer(
                request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return
        failure = self._take_failure(method)
        if failure is not None:
            if failure.kind == "429":
                call.status = 429
                self._answer(
                    request,
                    429,
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {failure.retry_after}",
                        "parameters": {"retry_after": failure.retry_after},
                    },
                )
            elif failure.kind == "502":
                call.status = 502
                body = b"<html><body>502 Bad Gateway</body></html>"
                request.send_response(502)
                request.send_header("Content-Type", "text/html")
                request.send_header("Content-Length", str(len(body)))
                request.end_headers()
                request.wfile.write(body)
            else:  # hang: never answer; drop the connection later
                call.status = 0
                self.closing.wait(failure.hang_s)
                request.close_connection = True
            return
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            call.status = 404
            self._answer(
                request,
                404,
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
            )
            return
        status, result = handler(params)
        call.status = status
        if status == 200:
            self._answer(request, 200, {"ok": True, "result": result})
        else:
            self._answer(
                request, status, {"ok": False, "error_code": status, "description": str(result)}
            )

    def _take_failure(self, method: str) -> Failure | None:
        with self._cond:
            for failure in self._failures:
                if failure.method == method and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    @staticmethod
    def _params(content_type: str, raw: bytes) -> dict[str, Any]:
        if not raw:
            return {}
        if content_type.startswith("application/json"):
            return dict(json.loads(raw))
        params: dict[str, Any] = {}
        for key, value in parse_qsl(raw.decode(), keep_blank_values=True):
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                params[key] = value
        return params

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    # ------------------------------------------------------------ methods

    def _api_getFile(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        file_id = str(params.get("file_id", ""))
        data = self.files.get(file_id)
        if data is None:
            return 400, "Bad Request: invalid file_id"
        return 200, {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(data),
            "file_path": f"files/{file_id}",
        }

    def _api_getMe(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        return 200, {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Safe conduct",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        return 200, True

    def _api_getUpdates(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = float(params.get("timeout") or 0)
        deadline = time.monotonic() + wait
        with self._cond:
            if offset > self._confirmed_below:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self._confirmed_below = offset
                self._cond.notify_all()
            while True:
                ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
                left = deadline - time.monotonic()
                if ready or left <= 0 or self.closing.is_set():
                    return 200, ready
                self._cond.wait(left)

    def _api_sendMessage(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        chat_id = int(params["chat_id"])
        text = str(params.get("text") or "")
        if not text:
            return 400, "Bad Request: message text is empty"
        if len(text) > 4096:
            return 400, "Bad Request: message is too long"
        if chat_id not in self._users:
            return 400, "Bad Request: chat not found"
        if chat_id in self.blocked:
            return 403, "Forbidden: bot was blocked by the user"
        markup = params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        quick = tuple(
            (button["text"] if isinstance(button, dict) else str(button))
            for row in markup.get("keyboard", [])
            for button in row
        )
        with self._cond:
            seen = self._next_update - 1
            message_id = self._next_sent
            self._next_sent += 1
            self._sent.append(Sent(chat_id, text, quick, message_id, seen))
        user = self._users[chat_id]
        return 200, {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": user.first_name},
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Safe conduct",
                "username": BOT_USERNAME,
            },
            "text": text,
        }
