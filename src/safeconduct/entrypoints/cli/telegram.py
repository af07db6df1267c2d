"""``safeconduct intake telegram``: the intake bot on Telegram, until stopped.

The bot token is read from ``--token-file`` (never from the command line, where ``ps`` and
the shell's history would show it, and never logged). ``--api-url`` points the bot at
another Bot API server (a local ``telegram-bot-api``, or the tests' fake one). The store is
opened with its key file, as every command that reads personal data. The bot long-polls
the Bot API; SIGINT or SIGTERM stops it after the current poll (at most
``--poll-timeout`` seconds), once every message it took is committed and acknowledged.
"""

from __future__ import annotations

import signal
import stat
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from safeconduct.entrypoints.cli.cases import DataOption, DbOption, open_store
from safeconduct.entrypoints.cli.intake import load_flow
from safeconduct.entrypoints.cli.keys import KeyFileOption
from safeconduct.errors import BadFileError

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
_err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def read_token(path: Path) -> str:
    """The bot token in ``path`` (its first line, stripped); ``BadFileError`` naming the
    field ``token_file`` when it cannot be read or is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise BadFileError(f"cannot read {path}: {reason}", field="token_file") from None
    lines = text.strip().splitlines()
    token = lines[0].strip() if lines else ""
    if not token or any(c.isspace() for c in token):
        raise BadFileError(f"{path} holds no bot token", field="token_file")
    try:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            _err.print(f"safeconduct: warning: {path} can be read by others; chmod 600 it")
    except OSError:
        pass
    return token


def intake_ports(database: Any, flow: Any) -> Any:
    """The intake's ports on ``database`` with ``flow``: the system clock, no seeded
    random, the default limits."""
    from safeconduct.services import intake

    return intake.IntakePorts(database=database, flow=flow)


def telegram_command(
    token_file: Annotated[
        Path,
        typer.Option(
            "--token-file",
            help="A file holding the bot token (from @BotFather); chmod 600. Never on the "
            "command line.",
        ),
    ],
    api_url: Annotated[
        str,
        typer.Option("--api-url", help="The Bot API server.", show_default=True),
    ] = "https://api.telegram.org",
    flow: Annotated[
        Path | None,
        typer.Option("--flow", help="A flow file (JSON) instead of the default flow."),
    ] = None,
    poll_timeout: Annotated[
        float,
        typer.Option("--poll-timeout", help="Seconds one long poll waits for a message.", min=0),
    ] = 25.0,
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Run the intake bot on Telegram (long polling) until interrupted."""
    from safeconduct.adapters.chat.telegram import TelegramChannel
    from safeconduct.services.intake_channel import ChannelPorts, run

    token = read_token(token_file)
    chosen = load_flow(flow)
    casework = open_store(data, db, key_file)
    stop = threading.Event()

    def stop_on(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {s: signal.signal(s, stop_on) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        channel = TelegramChannel(token, api_url=api_url)
        name = channel.start()
        _out.print(f"telegram: @{name} on {api_url}; stop with Ctrl-C")
        sys.stdout.flush()
        counts = run(
            ChannelPorts(intake=intake_ports(casework.database, chosen), channel=channel),
            stop=stop.is_set,
            poll_timeout_s=poll_timeout,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        casework.database.close()
    _out.print(
        f"stopped: {counts.received} messages taken, {counts.replies_sent} replies and "
        f"{counts.outbox_sent} outbox messages sent, {counts.reminders} reminders queued, "
        f"{counts.dropped} dropped, {counts.refused} refused by Telegram"
    )
