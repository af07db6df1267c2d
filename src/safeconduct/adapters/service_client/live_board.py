"""The board's live map as the ``lead`` command sees it: :class:`HttpLiveBoard`, over the
coordination service's web API (:mod:`safeconduct.entrypoints.web.live`) with httpx.

The control loop calls :meth:`HttpLiveBoard.publish`, :meth:`~HttpLiveBoard.crew_taps`
and :meth:`~HttpLiveBoard.engaged` many times a second and must never wait on the
network nor see an exception from it: those calls only read and write what this object
holds, and one background thread talks to the service (a post of the newest positions
when there is one, else a read of the map, every ``poll_s`` seconds), each request with
short timeouts. Trouble on the link is counted in :attr:`HttpLiveBoard.problems` and
described in :attr:`HttpLiveBoard.last_problem`, never raised.

What "engaged" means when the service cannot be reached: the last answer holds for
``hold_s`` seconds, then the board reads as not engaged (the leader stops sending
targets and the vehicle holds where it is), as it does at once when the service refuses
the token or the operation (401, 403, 404).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

from safeconduct.services.ports import LivePosition

#: Seconds between two requests of the background thread.
POLL_S = 0.5
#: Seconds to connect, and to wait for an answer.
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
#: Seconds the last "engaged" answer holds while the service cannot be reached.
HOLD_S = 10.0
#: The longest status the board takes (``safeconduct.services.live.MAX_STATUS``).
MAX_STATUS = 200
#: Answers that say the board will not take this client at all.
_REFUSALS = (401, 403, 404)


class HttpLiveBoard:
    """The live map of operation ``operation_id`` on the service at ``server_url``.

    Parameters
    ----------
    server_url
        The service's base address, e.g. ``https://board.example:8000``.
    operation_id
        The operation being led.
    token
        A bearer token of a crew member of that operation (``SAFECONDUCT_TOKEN``).
    poll_s, hold_s
        See :data:`POLL_S`, :data:`HOLD_S`.
    transport
        An httpx transport (tests); None: the network.

    Implements :class:`~safeconduct.services.ports.LiveBoard`. Call :meth:`close` at the
    end (or use it as a context manager).
    """

    def __init__(
        self,
        server_url: str,
        operation_id: int,
        token: str,
        *,
        poll_s: float = POLL_S,
        hold_s: float = HOLD_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.operation_id = int(operation_id)
        self.poll_s = float(poll_s)
        self.hold_s = float(hold_s)
        self._http = httpx.Client(
            base_url=server_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            transport=transport,
        )
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending: dict[str, Any] | None = None
        self._engaged = False
        self._engaged_seen_at: float | None = None  # monotonic time of the last answer
        # Refusals of reading the map, and of posting to it (a token that is not the
        # operation's crew's reads as not engaged even where it may read the map).
        self._refused = {"read": False, "write": False}
        self._taps: list[LivePosition] = []
        self._seen_taps: set[str] = set()
        #: Requests that failed (no answer, or an error answer) since the start.
        self.problems = 0
        #: The last failure, in one line ("" none).
        self.last_problem = ""
        #: Answers received.
        self.answers = 0

    # ------------------------------------------------------------- the port

    def publish(self, positions: Sequence[LivePosition], *, status: str = "") -> None:
        """Queue ``positions`` and ``status`` for the next post (a newer call replaces a
        post not yet sent: only the latest positions matter)."""
        body = {
            "positions": [
                {
                    "kind": p.kind,
                    "lat": p.lat,
                    "lon": p.lon,
                    "at": p.at,
                    "source": p.source,
                    "label": p.label,
                }
                for p in positions
            ],
            # The board refuses a longer status, and with it the positions: cut it instead.
            "status": " ".join(status.split())[:MAX_STATUS],
        }
        with self._lock:
            self._pending = body
        self._start()
        self._wake.set()

    def crew_taps(self) -> list[LivePosition]:
        """The crew's taps heard since the last call, oldest first."""
        self._start()
        with self._lock:
            taps, self._taps = self._taps, []
        return taps

    def engaged(self) -> bool:
        """Whether the crew has engaged (see the module docstring for a lost link)."""
        self._start()
        with self._lock:
            if any(self._refused.values()) or self._engaged_seen_at is None:
                return False
            if time.monotonic() - self._engaged_seen_at > self.hold_s:
                return False
            return self._engaged

    # ------------------------------------------------------------- the thread

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="safeconduct-live-board", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        path = f"/api/operations/{self.operation_id}/live"
        while not self._stop.is_set():
            with self._lock:
                body, self._pending = self._pending, None
            try:
                if body is not None:
                    self._take(self._http.post(path + "/positions", json=body), "write")
                else:
                    self._take(self._http.get(path), "read")
            except httpx.HTTPError as error:
                self._problem(f"{type(error).__name__}: {error}".strip())
            except Exception as error:  # never let the thread die silently
                self._problem(f"{type(error).__name__}: {error}")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems += 1
            self.last_problem = " ".join(text.split())[:200]

    def _take(self, answer: httpx.Response, what: str) -> None:
        if answer.status_code >= 400:
            try:
                detail = str(answer.json().get("detail", ""))
            except ValueError:
                detail = answer.text[:120]
            self._problem(f"the board answered {answer.status_code}: {detail}")
            if answer.status_code in _REFUSALS:
                with self._lock:
                    self._refused[what] = True
            return
        data = answer.json()
        with self._lock:
            self.answers += 1
            self._refused[what] = False
            if what == "write":  # who may post may read
                self._refused["read"] = False
            self._engaged = bool(data.get("engaged", False))
            self._engaged_seen_at = time.monotonic()
            for tap in data.get("taps", []):
                tap_id = str(tap.get("id", ""))
                if not tap_id or tap_id in self._seen_taps:
                    continue
                self._seen_taps.add(tap_id)
                self._taps.append(
                    LivePosition(
                        kind="person",
                        lat=float(tap["lat"]),
                        lon=float(tap["lon"]),
                        at=str(tap["at"]),
                        source="crew_tap",
                    )
                )
            self._taps.sort(key=lambda p: p.at)

    # ------------------------------------------------------------- closing

    def close(self) -> None:
        """Stop the thread (a post still queued is dropped) and close the connection."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=CONNECT_TIMEOUT_S + READ_TIMEOUT_S + 1.0)
        self._http.close()

    def __enter__(self) -> HttpLiveBoard:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
