"""Browser tests: Playwright drives Debian's Chromium (``/usr/bin/chromium``, or
``$SAFECONDUCT_CHROMIUM``) against a real server (uvicorn on 127.0.0.1, in a thread).

``playwright install`` cannot download browsers here, so the system's Chromium is used
through ``executable_path``; ``make test`` installs it with apt when it runs as root. Where
Chromium (or the playwright package) is missing, the tests skip with one reason, unless
the environment variable ``CI`` is set: CI must run them, so there they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from safeconduct.adapters.store.engine import create_store_engine
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.services.casework import CONSOLE, CaseworkPorts, add_user
from safeconduct.services.demo import Demo
from tests.conftest import TEST_CIPHER, TEST_KEY_FILE
from tests.served import served
from tests.store.conftest import FAST_PASSWORDS

PASSWORD = "correct horse battery staple"
USERS = {"olga": "operator", "petro": "planner", "kyrylo": "crew"}


def chromium_path() -> str | None:
    """The Chromium to drive, or None."""
    given = os.environ.get("SAFECONDUCT_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def why_not() -> str | None:
    """Why the browser tests cannot run here, or None (the summary line says it too)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "Chromium is not installed (apt-get install chromium; `make test` does it as root)"
    from safeconduct.entrypoints.web.pages.vendor import up_to_date

    if not up_to_date():
        return "htmx is not fetched into the package's static files (`make install`)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium browser for the session."""
    reason = why_not()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Server:
    """A running service: its base URL and its ports."""

    url: str
    ports: CaseworkPorts


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """``safeconduct serve`` on a fresh SQLite data folder, with :data:`USERS`, on
    127.0.0.1 and a free port."""

    from safeconduct.entrypoints.web.app import create_app

    monkeypatch.delenv("SAFECONDUCT_DB", raising=False)
    engine = create_store_engine(f"sqlite+pysqlite:///{tmp_path / 'safeconduct.db'}")
    upgrade(engine)
    ports = CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    for name, role in USERS.items():
        add_user(ports, name, role, PASSWORD, actor=CONSOLE)
    app = create_app(ports)
    app.state.event_stream_s = 30.0
    try:
        with served(app, "the test server") as running:
            yield Server(url=running.url, ports=app.state.ports)
    finally:
        engine.dispose()


@dataclass
class DemoServer:
    """The demo service running: its base URL and what the demo made."""

    url: str
    demo: Demo
    casework: Any
    operations: Any

    def password(self, name: str) -> str:
        return {u.name: u.password for u in self.demo.users}[name]


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """What ``safeconduct serve --demo`` serves, on 127.0.0.1 and a free port: one for the
    browser tests' session (they share a worker), since filling the demo plans its route."""

    from safeconduct.entrypoints.web.demo import demo_service

    demo = demo_service(tmp_path_factory.mktemp("demo"), TEST_KEY_FILE)
    demo.app.state.event_stream_s = 30.0
    try:
        with served(demo.app, "the demo server") as running:
            yield DemoServer(
                url=running.url, demo=demo.made, casework=demo.casework, operations=demo.operations
            )
    finally:
        demo.close()
