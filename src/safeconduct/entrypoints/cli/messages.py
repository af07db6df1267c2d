"""``safeconduct cases message``: a case's conversation at the console.

``add`` records a message (the person's words with ``--direction in``), with an attached
file if given; ``list`` prints the case's messages; ``delete`` deletes one message and its
attachment (its data key destroyed), leaving the case and the other messages. The store is
opened with its key file (``--key-file`` or ``$SAFECONDUCT_KEY_FILE``).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safeconduct.entrypoints.cli.cases import (
    DataOption,
    DbOption,
    format_time,
    open_database,
    plain_table,
)
from safeconduct.entrypoints.cli.keys import KeyFileOption
from safeconduct.errors import BadFileError
from safeconduct.services.messages import MessagesPorts

message_app = typer.Typer(
    help="A case's messages: add, list, delete one.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)

CaseArgument = Annotated[str, typer.Argument(help="The case code (XXXX-XXXX) or id.")]


def _case(text: str) -> int | str:
    return int(text) if text.strip().isdigit() else text


@contextmanager
def _ports(data: Path | None, db: str | None, key_file: Path | None) -> Iterator[MessagesPorts]:
    from safeconduct import bootstrap

    casework = open_database(data, db, key_file)
    try:
        bootstrap.unlock_store(casework, key_file)
        yield MessagesPorts(database=casework.database)  # type: ignore[arg-type]
    finally:
        casework.database.close()


@message_app.command("add")
def add_command(
    case: CaseArgument,
    text: Annotated[str, typer.Option("--text", help="The words.")] = "",
    direction: Annotated[
        str,
        typer.Option("--direction", help="in (the person's words), out (to them) or note."),
    ] = "out",
    attach: Annotated[
        Path | None, typer.Option("--attach", help="A file to attach (at most 10 MiB).")
    ] = None,
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Add a message to a case; print its id."""
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.messages import add_message

    content = name = kind = None
    if attach is not None:
        try:
            content = attach.read_bytes()
        except OSError as error:
            raise BadFileError(f"cannot read {attach}: {error.strerror}", field="attach") from None
        name = attach.name
        kind = mimetypes.guess_type(attach.name)[0] or "application/octet-stream"
    with _ports(data, db, key_file) as ports:
        stored = add_message(
            ports,
            _case(case),
            text=text,
            direction=direction,
            attachment_name=name,
            attachment_type=kind,
            attachment=content,
            actor=CONSOLE,
        )
    _out.print(f"added message {stored.id}")


@message_app.command("list")
def list_command(
    case: CaseArgument,
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Print a case's messages in order."""
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.messages import list_messages

    with _ports(data, db, key_file) as ports:
        found = list_messages(ports, _case(case), actor=CONSOLE)
    if not found:
        _out.print("no messages")
        return
    table = plain_table(
        f"{len(found)} message{'s' if len(found) != 1 else ''}",
        ("id", "at (UTC)", "author", "way", "text", "attachment"),
    )
    for m in found:
        attached = f"{m.attachment_name} ({m.attachment_type})" if m.attachment_name else ""
        table.add_row(str(m.id), format_time(m.at), m.author, m.direction, m.text, attached)
    _out.print(table)


@message_app.command("delete")
def delete_command(
    case: CaseArgument,
    message_id: Annotated[int, typer.Argument(help="The message's id (see list).")],
    attachment_only: Annotated[
        bool,
        typer.Option("--attachment-only", help="Delete the attachment alone; keep the text."),
    ] = False,
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Delete one message and its attachment (or the attachment alone); the case and its
    other messages stay."""
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.messages import delete_attachment, delete_message

    with _ports(data, db, key_file) as ports:
        if attachment_only:
            delete_attachment(ports, _case(case), message_id, actor=CONSOLE)
            _out.print(f"deleted the attachment of message {message_id} (its key destroyed)")
            return
        delete_message(ports, _case(case), message_id, actor=CONSOLE)
    _out.print(f"deleted message {message_id} (its key destroyed)")
