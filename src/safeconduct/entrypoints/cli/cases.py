"""The ``safeconduct cases`` commands: open a case, list the cases, assign crews and
reception teams.

Thin wrappers over :mod:`safeconduct.services.casework`. The database is the coordination
service's: ``--data DIR`` (SQLite, default ``./safeconduct-data``) or ``--db URL`` (or the
environment variable ``SAFECONDUCT_DB``). The services, the store and SQLAlchemy load only
when a command runs, so ``safeconduct --help`` stays fast.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.table import Table

    from safeconduct.casework.assignment import Assignment
    from safeconduct.services.casework import CaseworkPorts

cases_app = typer.Typer(
    name="cases",
    help="Surrender cases in the coordination service's database: open one, list them, "
    "assign crews and reception teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)

#: ``--data DIR``, shared by every command that opens the database.
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Data folder: the SQLite database safeconduct.db and the service's files "
        "(default ./safeconduct-data).",
    ),
]
#: ``--db URL``, shared by every command that opens the database.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL instead of a data folder, e.g. "
        "postgresql+psycopg://user@host:5432/name (default: $SAFECONDUCT_DB if set).",
    ),
]
#: The key file of the commands that open the store's personal data (case codes are sealed).
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="The key file made by `safeconduct keys init` (default: $SAFECONDUCT_KEY_FILE). "
        "Personal data, case codes included, is encrypted with it.",
        show_default=False,
    ),
]


def open_database(data: Path | None, db: str | None, key_file: Path | None = None) -> CaseworkPorts:
    """The casework ports on the database the options name, migrated to the newest revision
    (with ``key_file``, else ``$SAFECONDUCT_KEY_FILE``, where a revision seals old rows)."""
    from safeconduct import bootstrap

    return bootstrap.casework_ports(data=data, db=db, key_file=key_file)


def open_store(data: Path | None, db: str | None, key_file: Path | None) -> CaseworkPorts:
    """:func:`open_database`, then opened with its key file (refused, and closed, when the
    key file is missing or another one)."""
    from safeconduct import bootstrap

    ports = open_database(data, db, key_file)
    try:
        bootstrap.unlock_store(ports, key_file)
    except BaseException:
        ports.database.close()
        raise
    return ports


def format_time(moment: datetime) -> str:
    """A stored time for a table: UTC (the column says so), to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def plain_table(title: str, columns: tuple[str, ...]) -> Table:
    """A table without vertical rules, so that a case list fits 80 columns uncut."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        show_edge=False,
        collapse_padding=True,
    )
    for column in columns:
        table.add_column(column, no_wrap=True)
    return table


@cases_app.command("new")
def new_command(
    lang: Annotated[
        str, typer.Option("--lang", help="Language to talk to the person in (ISO 639-1: ru, uk).")
    ],
    channel: Annotated[
        str, typer.Option(help="How the first contact came in: hotline, chat or drone.")
    ] = "hotline",
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Open a new case and print its case code (XXXX-XXXX)."""
    from safeconduct.services.casework import CONSOLE, open_case

    ports = open_store(data, db, key_file)
    try:
        case = open_case(ports, language=lang, channel=channel, actor=CONSOLE)
    finally:
        ports.database.close()
    _out.print(case.printed_code)


@cases_app.command("list")
def list_command(
    data: DataOption = None, db: DbOption = None, key_file: KeyFileOption = None
) -> None:
    """List every case, oldest first: code, language, channel, status, opened, last change."""
    from safeconduct.services.casework import CONSOLE, MAX_PAGE_SIZE, CaseSummary, list_cases

    ports = open_store(data, db, key_file)
    cases: list[CaseSummary] = []
    try:
        after: str | None = None
        while True:  # every page: the service pages its list, the console shows it all
            page = list_cases(ports, actor=CONSOLE, limit=MAX_PAGE_SIZE, after=after)
            cases.extend(page.items)
            if page.next is None:
                break
            after = page.next
    finally:
        ports.database.close()
    cases.sort(key=lambda c: (c.created_at, c.id))
    if not cases:
        _out.print("no cases yet; open one with: safeconduct cases new --lang ru")
        return
    table = plain_table(
        f"{len(cases)} case{'s' if len(cases) != 1 else ''}",
        ("case code", "lang", "channel", "status", "opened (UTC)", "changed (UTC)"),
    )
    for case in cases:
        table.add_row(
            case.printed_code,
            case.language,
            case.channel,
            str(case.status),
            format_time(case.created_at),
            format_time(case.last_changed_at),
        )
    _out.print(table)


def _print_team(assignments: list[Assignment]) -> None:
    """One line per assigned user, or that nobody is."""
    if not assignments:
        _out.print("nobody is assigned")
        return
    for a in assignments:
        _out.print(f"{a.user} ({a.role.value}), assigned by {a.assigned_by}")


def _change_team(
    case_code: str,
    user: str,
    role: str,
    data: Path | None,
    db: str | None,
    key_file: Path | None,
    *,
    add: bool,
) -> None:
    """Assign (or take off) ``user`` at the console, then print the case's team."""
    from safeconduct.services import casework

    change = casework.assign_to_case if add else casework.unassign_from_case
    ports = open_store(data, db, key_file)
    try:
        team = change(ports, case_code, user, role, actor=casework.CONSOLE)
    finally:
        ports.database.close()
    _print_team(team)


@cases_app.command("assign")
def assign_command(
    user: Annotated[str, typer.Argument(help="The user to assign; they must hold the role.")],
    case_code: Annotated[str, typer.Option("--case-code", help="The case code (XXXX-XXXX).")],
    role: Annotated[str, typer.Option("--role", help="crew or reception.")],
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Assign a crew member or a reception team member to a case; it becomes theirs to see.
    Prints everyone assigned."""
    _change_team(case_code, user, role, data, db, key_file, add=True)


@cases_app.command("unassign")
def unassign_command(
    user: Annotated[str, typer.Argument(help="The user to take off the case.")],
    case_code: Annotated[str, typer.Option("--case-code", help="The case code (XXXX-XXXX).")],
    role: Annotated[str, typer.Option("--role", help="crew or reception.")],
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Take a user off a case. Prints everyone still assigned."""
    _change_team(case_code, user, role, data, db, key_file, add=False)
