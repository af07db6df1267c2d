"""Oversize bodies and uploads: each route's limit holds before the body is read.

- a declared ``Content-Length`` over the limit: 413 at once, the app not called (in a real
  ``safeconduct serve``, without one byte of the body sent);
- a chunked body with no length: counted while it streams, 413 when it passes the limit,
  the rest never read;
- per route: JSON and board forms 1 MiB, a message (its attachment at most 10 MiB) 11 MiB,
  an area upload the sum of its files' limits;
- more than 1 MiB only from a signed-in user: declared without a valid sign-in, 401 unread;
  streamed without one, the 1 MiB limit.

Every refusal is a ``safeconduct.security`` line (``attack=oversize-body``), nothing is
written, and the service answers afterwards.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import time
from collections.abc import Coroutine
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from safeconduct.casework.message import MAX_ATTACHMENT
from safeconduct.entrypoints.web import body_limit
from safeconduct.entrypoints.web.body_limit import (
    AREA_UPLOAD_LIMIT,
    DEFAULT_LIMIT,
    MESSAGE_LIMIT,
    limit_for,
)
from safeconduct.services.casework import CaseworkPorts, revoke_token
from tests.reliability.hostile.conftest import (
    assert_unchanged,
    attacks_logged,
    database_rows,
    still_answers,
)
from tests.served import served
from tests.web.board_helpers import browser_sign_in
from tests.web.conftest import bearer, sign_in

# The limits hold before any database is touched: SQLite alone (the injection and
# session tests run on both), which keeps the suite in its time budget.
sqlite_only = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

_MiB = 1024 * 1024
_CHUNK = 64 * 1024
#: A multipart body's start: a file part (files have no size limit of their own in the
#: form parser: only the body's limit stops them).
_FILE_PART = (
    b'--x\r\nContent-Disposition: form-data; name="attachment"; filename="a.bin"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n"
)


def run_apart(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` to its end in a thread of its own, with a loop of its own: the
    test's thread may have a loop running already (Playwright's sync API keeps one while a
    browser test's session-wide Chromium lives on the same xdist worker)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def stream_chunked(app: Any, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """Drive ``app`` as a server does with a multipart body of no length sent to ``path``:
    a file part, then 64 KiB chunks (1 GiB if it were read to its end). The answer's
    status and how many bytes the app asked for."""
    received = 0

    async def receive() -> dict[str, object]:
        nonlocal received
        if received >= 1024 * _MiB:
            return {"type": "http.request", "body": b"", "more_body": False}
        body = _FILE_PART if received == 0 else b"y" * _CHUNK
        received += len(body)
        return {"type": "http.request", "body": body, "more_body": True}

    answers: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        answers.append(message)

    sent = [(b"content-type", b"multipart/form-data; boundary=x"),
            (b"transfer-encoding", b"chunked"),
            *((k.lower().encode(), v.encode()) for k, v in headers.items())]  # fmt: skip
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": sent,
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "state": {}}  # fmt: skip
    run_apart(app(scope, receive, send))
    assert answers and answers[0]["type"] == "http.response.start", answers
    return int(answers[0]["status"]), received  # type: ignore[call-overload]


def test_each_route_has_its_limit() -> None:
    assert limit_for("POST", "/api/cases") == DEFAULT_LIMIT == _MiB
    assert limit_for("POST", "/api/cases/7/messages") == MESSAGE_LIMIT == MAX_ATTACHMENT + _MiB
    assert limit_for("POST", "/api/areas") == AREA_UPLOAD_LIMIT
    assert limit_for("POST", "/board/areas") == AREA_UPLOAD_LIMIT
    assert limit_for("POST", "/board/cases") == DEFAULT_LIMIT
    assert limit_for("GET", "/api/areas") == DEFAULT_LIMIT  # a GET with a body: small too


def _oversize(answer: httpx.Response, limit: int) -> None:
    assert answer.status_code == 413, answer.text[:300]
    assert answer.json()["detail"].startswith("the request body is larger than"), answer.text
    assert f"{limit / _MiB:g} MiB" in answer.json()["detail"]


@sqlite_only
def test_a_json_body_over_its_limit_is_refused_and_nothing_written(
    client: TestClient,
    users: dict[str, str],
    engine: Engine,
    security_log: pytest.LogCaptureFixture,
) -> None:
    olga = bearer(sign_in(client, "olga"))
    before = database_rows(engine)
    padding = "x" * (DEFAULT_LIMIT + 1)
    answer = client.post("/api/cases", json={"language": "ru", "channel": padding}, headers=olga)
    _oversize(answer, DEFAULT_LIMIT)
    assert_unchanged(before, database_rows(engine))
    logged = attacks_logged(security_log)
    assert any("attack=oversize-body route=POST '/api/cases' user='olga'" in x for x in logged)
    assert not any(padding[:100] in line for line in logged), "the payload reached the log"
    still_answers(client, olga)


@sqlite_only
def test_a_message_attachment_is_bounded_by_its_route(
    client: TestClient, users: dict[str, str], engine: Engine
) -> None:
    olga = bearer(sign_in(client, "olga"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    url = f"/api/cases/{case['id']}/messages"
    at_limit = client.post(
        url, files={"attachment": ("a.bin", bytes(MAX_ATTACHMENT), "application/zip")},
        headers=olga,
    )  # fmt: skip
    assert at_limit.status_code == 201, at_limit.text[:300]
    before = database_rows(engine)
    over = client.post(
        url, files={"attachment": ("b.bin", bytes(MESSAGE_LIMIT), "application/zip")},
        headers=olga,
    )  # fmt: skip
    _oversize(over, MESSAGE_LIMIT)
    assert_unchanged(before, database_rows(engine))
    still_answers(client, olga)


@sqlite_only
def test_a_declared_length_over_an_upload_limit_is_refused_unread(
    client: TestClient, users: dict[str, str], security_log: pytest.LogCaptureFixture
) -> None:
    """Only the header says how large: the app answers 413 without asking for the body
    (here a small body declared as larger than any area may be)."""
    petro = bearer(sign_in(client, "petro"))
    declared = {"Content-Length": str(AREA_UPLOAD_LIMIT + 1),
                "Content-Type": "multipart/form-data; boundary=x"}  # fmt: skip
    _oversize(client.post("/api/areas", content=b"--x--", headers={**petro, **declared}),
              AREA_UPLOAD_LIMIT)  # fmt: skip
    browser_sign_in(client, "petro")
    _oversize(client.post("/board/areas", content=b"--x--", headers=declared), AREA_UPLOAD_LIMIT)
    assert len([x for x in attacks_logged(security_log) if "refused unread" in x]) == 2


@sqlite_only
def test_a_chunked_body_is_refused_when_it_passes_the_limit_not_read_to_its_end(
    client: TestClient, users: dict[str, str], engine: Engine
) -> None:
    """The app itself, driven as a server drives it: a body with no length arrives in
    64 KiB chunks (1 GiB if it were read to its end); the 413 comes once the route's
    limit is passed and no further chunk is asked for. (The TestClient reads a streamed
    body whole before it calls the app, so it cannot show this; the real server test
    below shows it on a socket.)"""
    olga = bearer(sign_in(client, "olga"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    path = f"/api/cases/{case['id']}/messages"
    before = database_rows(engine)
    status, received = stream_chunked(client.app, path, olga)
    assert status == 413, status
    assert received <= MESSAGE_LIMIT + _CHUNK, f"{received} bytes were read past the limit"
    assert_unchanged(before, database_rows(engine))
    still_answers(client, olga)


@sqlite_only
def test_only_a_signed_in_user_may_send_more_than_a_small_body(
    client: TestClient,
    ports: CaseworkPorts,
    users: dict[str, str],
    engine: Engine,
    security_log: pytest.LogCaptureFixture,
) -> None:
    """Once: a message form (up to 11 MiB) and an area upload were read whole, files
    spooled to disk, before the route found there was no sign-in. Now a body declared
    over the default limit without a valid token or session is answered 401 unread (no
    token, a forged one, a revoked one; the API and the board alike); streamed without a
    length, it gets the default limit. A signed-in user still sends a full attachment."""
    olga = bearer(sign_in(client, "olga"))
    case = client.post("/api/cases", json={"language": "ru"}, headers=olga).json()
    url = f"/api/cases/{case['id']}/messages"
    declared = {"Content-Length": str(DEFAULT_LIMIT + 1),
                "Content-Type": "multipart/form-data; boundary=x"}  # fmt: skip
    revoked = sign_in(client, "olga")
    revoke_token(ports, revoked)
    before = database_rows(engine)
    for who, headers in (("nobody", {}), ("forged", bearer("not.a.token")),
                         ("revoked", bearer(revoked))):  # fmt: skip
        for route in (url, "/api/areas", "/board/areas"):
            answer = client.post(route, content=b"--x--", headers={**headers, **declared})
            assert answer.status_code == 401, (who, route, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert answer.json()["field"] == "token" and "not signed in" in answer.json()["detail"]
    assert_unchanged(before, database_rows(engine))
    logged = [x for x in attacks_logged(security_log) if "attack=anonymous-upload" in x]
    assert len(logged) == 9 and all("refused unread" in x for x in logged), logged

    # Below the default limit the route answers as it always did: 401 from its own check.
    small = client.post(url, data={"text": "hi", "direction": "in"})
    assert small.status_code == 401, small.text
    # Signed in, a full attachment passes.
    full = client.post(
        url, files={"attachment": ("a.bin", bytes(2 * _MiB), "application/zip")}, headers=olga
    )
    assert full.status_code == 201, full.text[:300]


@sqlite_only
def test_an_anonymous_chunked_body_gets_the_default_limit(
    client: TestClient, users: dict[str, str]
) -> None:
    """Streamed without a length and without a sign-in, a message body is refused (413)
    once it passes the default limit, not the message route's 11 MiB."""
    status, received = stream_chunked(client.app, "/api/cases/1/messages", {})
    assert status == 413, status
    assert received <= DEFAULT_LIMIT + _CHUNK, f"{received} bytes were read past the limit"


def test_the_app_is_not_called_for_a_declared_oversize_body() -> None:
    """The middleware alone, on a stub app: a declared oversize body never reaches it."""
    called: list[str] = []

    async def app(scope: object, receive: object, send: object) -> None:
        called.append("app")

    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        raise AssertionError("the body was read")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/cases",
             "headers": [(b"content-length", str(10 * 2**30).encode())]}  # fmt: skip
    run_apart(body_limit.BodyLimit(app)(scope, receive, send))
    assert called == [] and sent[0]["status"] == 413


# ----------------------------------------------------------------- a real server


def _status_line(connection: socket.socket) -> str:
    """The answer's first line and the start of its body (what came before the server
    closed the connection)."""
    answer = b""
    connection.settimeout(10)
    with contextlib.suppress(ConnectionResetError, TimeoutError):
        while b"}" not in answer:  # the JSON body's end
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    status = answer.split(b"\r\n", 1)[0].decode()
    body = answer.split(b"\r\n\r\n", 1)[-1][:200]
    return f"{status} {body!r}"


@sqlite_only
def test_a_real_server_refuses_before_the_body_is_sent(client: TestClient) -> None:
    """The service behind uvicorn, on a socket: 10 GiB declared and nothing sent is
    answered 413 at once; a chunked body is answered 413 while it is still being sent,
    after about its limit (1 MiB: it comes with no sign-in); then the server answers as
    before."""
    # uvicorn in a thread: what ``safeconduct serve`` runs, without its start-up (a
    # subprocess takes half a minute on a loaded machine).
    with served(client.app, "uvicorn", start_s=30, lifespan="off", log_level="error") as running:
        port = running.port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(
                b"POST /api/cases HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n"
            )
            first = _status_line(connection)
            assert " 413 " in first, f"declared 10 GiB: {first}"

        path = "/api/cases/1/messages"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                "Transfer-Encoding: chunked\r\n\r\n".encode()
            )
            connection.sendall(f"{len(_FILE_PART):x}\r\n".encode() + _FILE_PART + b"\r\n")
            chunk = f"{_CHUNK:x}\r\n".encode() + b"z" * _CHUNK + b"\r\n"
            sent, answered, pending = len(_FILE_PART), False, b""
            connection.setblocking(False)
            while sent < 256 * _MiB:  # the server must answer long before this
                try:
                    if connection.recv(1, socket.MSG_PEEK):
                        answered = True
                        break
                except BlockingIOError:
                    pass
                try:
                    pending = pending or chunk  # a chunk may go out in parts
                    done = connection.send(pending)
                    pending, sent = pending[done:], sent + done
                except BlockingIOError:
                    time.sleep(0.01)
                except OSError:  # the server closed the connection after answering
                    answered = True
                    break
            connection.setblocking(True)
            assert answered, f"no answer after {sent} bytes"
            assert " 413 " in _status_line(connection)
            # Socket buffers on both sides hold a few MiB besides what the server counted.
            assert sent < MESSAGE_LIMIT + 16 * _MiB, f"{sent} bytes taken before the 413"
        assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200
