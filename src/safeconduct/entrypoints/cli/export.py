"""``safeconduct export``: a case's or a prisoner's personal data as an encrypted archive.

The archive is an AES-256 ZIP (7-Zip opens it) with a ``manifest.json`` saying who exported
it, when, why and until when it may be kept; pictures have their faces blurred unless
``--no-blur`` is given with a ``--reason`` (for an authority: audited). The password is
read from ``--password-file`` (its first line) or asked for, never given on the command
line (it would stay in the shell's history and the process list). Acting as the console,
on the database ``--data``/``--db`` name, opened with its key file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeconduct.entrypoints.cli.cases import DataOption, DbOption
from safeconduct.entrypoints.cli.keys import KeyFileOption
from safeconduct.errors import BadFileError, InvalidValueError, SafeconductError

#: Fields of the use cases' refusals named as this command's options name them.
_OWN_FIELDS: dict[str, str | None] = {
    "password": "password_file",
    "id": "case_code",
    "prisoner_number": "prisoner",
    "attachment": None,
}


def read_password(path: Path | None) -> str:
    """The export's password: the first line of ``path``, or typed twice at a prompt."""
    if path is None:
        try:
            password: str = typer.prompt(
                "Password for the archive", hide_input=True, confirmation_prompt=True
            )
        except typer.Abort as abort:
            # The prompt turns Ctrl-C and end of input into Abort ("Aborted!", exit 1);
            # Ctrl-C goes on as itself (exit 130, saying nothing was written).
            if isinstance(abort.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            raise InvalidValueError(
                "no password typed (end of input); type it at the prompt or give a file",
                field="password_file",
            ) from None
        return password
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadFileError(f"there is no password file {path}", field="password_file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadFileError(f"cannot read {path}: {error}", field="password_file") from None
    lines = text.splitlines()
    return lines[0] if lines else ""


def export_command(
    out: Annotated[Path, typer.Option("--out", help="The archive to write (.zip); mode 0600.")],
    purpose: Annotated[
        str,
        typer.Option(
            "--purpose", help="Why it is exported (recorded in the archive and the audit trail)."
        ),
    ],
    case_code: Annotated[
        str | None, typer.Option("--case-code", help="Export this case.", show_default=False)
    ] = None,
    prisoner: Annotated[
        str | None,
        typer.Option("--prisoner", help="Export this prisoner (his number).", show_default=False),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            help="A file whose first line is the archive's password (default: asked for).",
            show_default=False,
        ),
    ] = None,
    expires_days: Annotated[
        int,
        typer.Option("--expires-days", help="Days the recipient may keep it (1 to 90)."),
    ] = 7,
    no_blur: Annotated[
        bool,
        typer.Option(
            "--no-blur",
            help="Leave faces in pictures unblurred, for an authority (needs --reason).",
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why pictures go out unblurred.", show_default=False),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="Languages of the capture card besides his own.")
    ] = "en",
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Export a case's or a prisoner's personal data as an AES-256 encrypted ZIP."""
    from safeconduct import bootstrap
    from safeconduct.adapters.formats.export_archive import AesZipArchives
    from safeconduct.entrypoints.cli.cases import open_database
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.exports import export_case, export_prisoner

    if (case_code is None) == (prisoner is None):
        raise InvalidValueError("give either --case-code or --prisoner", field="case_code")
    if reason is not None and not no_blur:
        raise InvalidValueError("--reason goes with --no-blur", field="reason")
    password = read_password(password_file)
    casework = open_database(data, db, key_file)
    try:
        bootstrap.unlock_store(casework, key_file)
        ports = bootstrap.export_ports(casework)
        options = {
            "password": password,
            "purpose": purpose,
            "actor": CONSOLE,
            "expires_days": expires_days,
            "blur": not no_blur,
            "reason": reason,
        }
        if case_code is not None:
            made = export_case(ports, case_code, **options)  # type: ignore[arg-type]
        else:
            assert prisoner is not None
            langs = tuple(p.strip() for p in lang.split(",") if p.strip())
            made = export_prisoner(ports, prisoner, langs=langs, **options)  # type: ignore[arg-type]
    except SafeconductError as error:
        if error.field in _OWN_FIELDS:
            error.field = _OWN_FIELDS[error.field]
        raise
    finally:
        casework.database.close()
    AesZipArchives().write(out, made.archive)
    files = len(made.manifest["files"]) + 1
    typer.echo(
        f"wrote {out}: {files} file{'' if files == 1 else 's'}, AES-256; keep it until "
        f"{made.expires_at:%Y-%m-%d %H:%M} UTC"
        + ("" if made.manifest["faces_blurred"] else "; pictures NOT blurred")
    )
