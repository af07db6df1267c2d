"""An ASGI app served by uvicorn in a thread of the test process, on a free port of
127.0.0.1: a real HTTP server (sockets, streaming, chunked bodies) without the half minute a
``safeconduct serve`` subprocess takes to start on a loaded machine."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


def free_port() -> int:
    """A TCP port of 127.0.0.1 free just now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class ThreadServer:
    """A running server: its port, its base URL, and how to stop it before the block ends
    (stopping twice is harmless)."""

    port: int
    url: str
    stop: Callable[[], None]


@contextlib.contextmanager
def served(
    app: Any, what: str = "the test server", *, start_s: float = 15.0, **config: Any
) -> Iterator[ThreadServer]:
    """``app`` behind uvicorn in a thread until the block ends; ``config`` goes to
    :class:`uvicorn.Config` (``log_level`` "warning" unless given).

    Raises
    ------
    RuntimeError
        The server did not start within ``start_s`` seconds (``what`` names it).
    """
    import uvicorn

    port = free_port()
    config.setdefault("log_level", "warning")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=20)

    try:
        deadline = time.monotonic() + start_s
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"{what} did not start")
            time.sleep(0.05)
        yield ThreadServer(port=port, url=f"http://127.0.0.1:{port}", stop=stop)
    finally:
        stop()
