"""``safeconduct intake``: the chat intake's flows at the console.

``check FLOW.json`` validates a flow file (one line per error, naming the node and field, exit
status 1; else ``ok: N nodes, languages ru, uk, en``). ``chat [FLOW.json] --lang ru`` rehearses
a flow (the package's default flow when none is given) with no messenger and no database: each
line read on standard input is the person's message, each bot reply is printed as
``bot: TEXT`` (and its quick replies as ``     [1 Русский] [2 Українська]``). A fresh case code
is drawn for the run (``--seed`` makes it reproducible). A line ``::wait MINUTES`` lets that
much time pass without a message (to rehearse a wait's timeout or the flow's expiry). At the
end of the input the run's status and its answers, as an operator would see them, are printed.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from safeconduct.errors import BadFileError, InvalidValueError

intake_app = typer.Typer(
    help="The chat intake: check a flow, rehearse a conversation, run a channel.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)

_WAIT = "::wait"


def read_flow_json(path: Path | None) -> tuple[Any, str]:
    """The decoded JSON of the flow file ``path`` (the package's default flow when None) and
    a name for it; ``BadFileError`` (field ``flow``) when it cannot be read or is not JSON."""
    if path is None:
        text = (
            resources.files("safeconduct.intake")
            .joinpath("flows/default.json")
            .read_text(encoding="utf-8")
        )
        source = "default flow"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise BadFileError(f"cannot read {path}: {reason}", field="flow") from None
        source = str(path)
    try:
        return json.loads(text), source
    except json.JSONDecodeError as error:
        raise BadFileError(f"{source} is not JSON: {error}", field="flow") from None


def load_flow(path: Path | None) -> Any:
    """The checked :class:`~safeconduct.intake.flow.Flow` in ``path`` (the default flow when
    None); ``InvalidValueError`` (field ``flow``) naming the first error's node and field."""
    from safeconduct.intake.flow import flow_from_json

    data, _ = read_flow_json(path)
    return flow_from_json(data)


@intake_app.command("check")
def check_command(
    flow: Annotated[Path, typer.Argument(help="The flow file (JSON) to check.")],
) -> None:
    """Check a flow file: schema, graph and translations; one line per error."""
    from safeconduct.intake.flow import parse_flow
    from safeconduct.intake.validate import validate_flow

    data, source = read_flow_json(flow)
    errors = validate_flow(data)
    if errors:
        for error in errors:
            _out.print(f"{source}: {error}")
        raise typer.Exit(1)
    parsed = parse_flow(data)
    _out.print(
        f"ok: {len(parsed.nodes)} nodes, languages {', '.join(parsed.languages)}, "
        f"expires after {parsed.expire_after_minutes} minutes"
    )


def _print_step(step: Any) -> None:
    for reply in step.replies:
        for i, line in enumerate(reply.text.splitlines() or [""]):
            _out.print(("bot: " if i == 0 else "     ") + line)
        if reply.quick_replies:
            _out.print("     " + " ".join(f"[{q}]" for q in reply.quick_replies))
    if step.handover:
        _out.print("-- handed over to an operator")


def _wait_minutes(line: str) -> float:
    arg = line[len(_WAIT) :].strip()
    try:
        minutes = float(arg)
    except ValueError:
        raise InvalidValueError(
            f"'{_WAIT} MINUTES' needs a number of minutes, not {arg!r}", field="wait"
        ) from None
    if not 0 <= minutes <= 60 * 24 * 365:
        raise InvalidValueError("minutes must be between 0 and a year", field="wait")
    return minutes


@intake_app.command("chat")
def chat_command(
    flow: Annotated[
        Path | None,
        typer.Argument(help="The flow file (JSON); the package's default flow when left out."),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="The person's language until the flow sets one.")
    ] = "ru",
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Draw the case code from this seed (for scripted tests)."),
    ] = None,
) -> None:
    """Rehearse a conversation: your lines on standard input, the bot's replies printed."""
    from safeconduct.intake import engine
    from safeconduct.note.casecode import format_case_code, generate_case_code

    chosen = load_flow(flow)
    code = generate_case_code(random.Random(seed) if seed is not None else None)
    now = datetime.now(UTC)
    step = engine.start(chosen, language=lang, now=now, case_code=code)
    _print_step(step)
    run = step.run
    revealed = step.revealed_case_code
    for raw in sys.stdin:
        line = raw.rstrip("\r\n")
        if line.startswith(_WAIT):
            now += timedelta(minutes=_wait_minutes(line))
            timed_out = engine.timeout_if_due(chosen, run, now=now, case_code=code)
            if timed_out is not None:
                _print_step(timed_out)
                run = timed_out.run
                revealed = revealed or timed_out.revealed_case_code
                continue
            expired = engine.expire_if_due(run, now)
            if expired.status is not run.status:
                _out.print("-- expired: no reply in time")
            run = expired
            continue
        now += timedelta(seconds=1)
        step = engine.resume(chosen, run, line, now=now, case_code=code)
        _print_step(step)
        run = step.run
        revealed = revealed or step.revealed_case_code
    _out.print(f"-- status: {run.status.value}")
    _out.print(f"-- case code: {format_case_code(code)} ({'told' if revealed else 'not told'})")
    for name, value in engine.summary(chosen, run).items():
        _out.print(f"-- {name}: {value}")
