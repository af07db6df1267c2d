"""The ``safeconduct users`` commands: add a user, list the users.

Thin wrappers over :mod:`safeconduct.services.casework`. A password is read from standard
input only (``--password-stdin``), never from an argument, which other users of the machine
could read in the process list or the shell history; it is never printed.
"""

from __future__ import annotations

import sys
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
from safeconduct.errors import InvalidValueError

users_app = typer.Typer(
    name="users",
    help="People who sign in to the coordination service, and their roles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)

_ROLES = "operator, planner, crew, reception, registrar, auditor, admin"


def read_password(name: str) -> str:
    """The password on standard input, without its line ending.

    From a terminal it is asked for without echo; from a pipe or a file the whole input is
    the password, less one trailing newline.
    """
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"password for {name}: ")
    text = sys.stdin.read()
    return text.removesuffix("\n").removesuffix("\r")


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="User name: letters, digits, '.', '_' or '-'.")],
    role: Annotated[
        list[str],
        typer.Option("--role", help=f"Role ({_ROLES}); repeat it, or separate with commas."),
    ],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from standard input (required: it is never an argument).",
        ),
    ] = False,
    data: DataOption = None,
    db: DbOption = None,
) -> None:
    """Add a user who signs in with a password (read from standard input) and holds roles."""
    from safeconduct.services.casework import CONSOLE, add_user

    if not password_stdin:
        raise InvalidValueError(
            "required: give the password on standard input, e.g. "
            "`safeconduct users add NAME --role ROLE --password-stdin < file`; it is never "
            "taken as an argument, where others could read it",
            field="password_stdin",
        )
    password = read_password(name)
    ports = open_database(data, db)
    try:
        user = add_user(ports, name, role, password, actor=CONSOLE)
    finally:
        ports.database.close()
    _out.print(f"added {user.name} ({', '.join(user.roles)})")


@users_app.command("list")
def list_command(data: DataOption = None, db: DbOption = None) -> None:
    """List the users and their roles (never their passwords)."""
    from safeconduct.services.casework import CONSOLE, list_users

    ports = open_database(data, db)
    try:
        users = list_users(ports, actor=CONSOLE)
    finally:
        ports.database.close()
    if not users:
        _out.print(
            "no users yet; add one with: safeconduct users add NAME --role ROLE --password-stdin"
        )
        return
    table = plain_table(
        f"{len(users)} user{'s' if len(users) != 1 else ''}",
        ("name", "roles", "added (UTC)", "locked until (UTC)"),
    )
    for user in users:
        table.add_row(
            user.name,
            ", ".join(user.roles),
            format_time(user.created_at),
            format_time(user.locked_until) if user.locked_until else "-",
        )
    _out.print(table)
