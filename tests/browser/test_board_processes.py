"""On PostgreSQL, two ``safeconduct serve`` processes share one board: a case opened in a
browser on one appears, without reloading, in a browser on the other (LISTEN/NOTIFY)."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa

from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from tests.browser.conftest import PASSWORD, Server
from tests.browser.test_board_live import LIVE_MS, _sign_in
from tests.conftest import TEST_CIPHER
from tests.served import free_port
from tests.store import conftest as store_conftest
from tests.store.conftest import FAST_PASSWORDS, Store

store = store_conftest.store
engine = store_conftest.engine
_SERVE = "import sys; from safeconduct.entrypoints.cli.app import main; main(sys.argv[1:])"


@contextlib.contextmanager
def _serve(url: str, ports: CaseworkPorts) -> Iterator[Server]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start:\n{process.communicate()[0]}")
            try:
                httpx.get(f"{base}/api/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield Server(url=base, ports=ports)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_a_case_opened_on_one_server_appears_on_another(
    chromium: Any, store: Store, engine: sa.Engine
) -> None:
    if store.backend != "postgresql":
        pytest.skip("several server processes share a board on PostgreSQL")
    from playwright.sync_api import expect

    ports = CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    add_user(ports, "olga", "operator", PASSWORD, actor=CONSOLE)
    add_user(ports, "petro", "planner", PASSWORD, actor=CONSOLE)
    with _serve(store.url, ports) as first, _serve(store.url, ports) as second:
        planner, operator = chromium.new_context(), chromium.new_context()
        try:
            board = planner.new_page()
            _sign_in(board, second, "petro")
            expect(board.locator("#live")).to_have_attribute("data-state", "on")
            page = operator.new_page()
            _sign_in(page, first, "olga")
            page.goto(f"{first.url}/board/cases/new")
            page.fill("input[name=language]", "ru")
            page.click("button:has-text('Open case')")
            page.wait_for_url(re.compile(r".*/board/cases/\d+$"))
            code = page.locator("h1.code").inner_text()
            # Nothing but NOTIFY brings it: the board's stream would not end for 300 s.
            expect(board.locator("#case-rows")).to_contain_text(code, timeout=LIVE_MS)
        finally:
            planner.close()
            operator.close()
