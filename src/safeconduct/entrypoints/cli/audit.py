"""The ``safeconduct audit`` commands: verify the audit trail, write a signed checkpoint.

Thin wrappers over :mod:`safeconduct.services.audit`. ``verify`` exits 0 when the chain is
whole and agrees with every checkpoint, and 1 naming the first bad entry and why.
``checkpoint`` signs the trail's head with an Ed25519 key file, created (readable by its
owner only) on first use; keep the checkpoints, and the key, away from the database.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from safeconduct.entrypoints.cli.cases import DataOption, DbOption
from safeconduct.errors import BadFileError

if TYPE_CHECKING:
    from safeconduct.services.audit import AuditPorts

audit_app = typer.Typer(
    name="audit",
    help="The tamper-evident audit trail: verify it, sign checkpoints of it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
_err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)

#: The environment variable naming the checkpoint signing key file.
KEY_ENV = "SAFECONDUCT_AUDIT_KEY"
#: The signing key file when neither ``--key`` nor the variable names one.
DEFAULT_KEY = Path("~/.safeconduct/audit-signing.key")


def signing_key_path(key: Path | None) -> Path:
    """The checkpoint signing key file: ``key``, else ``$SAFECONDUCT_AUDIT_KEY``, else
    the default."""
    if key is not None:
        return key
    named = os.environ.get(KEY_ENV)
    return Path(named) if named else DEFAULT_KEY.expanduser()


def _ports(data: Path | None, db: str | None) -> tuple[AuditPorts, object]:
    """The audit ports on the database the options name, and that database (to close)."""
    from safeconduct import bootstrap

    ports = bootstrap.audit_ports(data=data, db=db)
    return ports, ports.database


@audit_app.command("verify")
def verify_command(
    data: DataOption = None,
    db: DbOption = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="Folder of signed checkpoints (*.json) to check the trail against; without "
            "it a log cut back or rewritten as a whole goes unnoticed.",
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="The checkpoint signing key file: checkpoints must be signed by it "
            "(default: the one key the checkpoints name).",
        ),
    ] = None,
) -> None:
    """Recompute the hash chain; exit 1 naming the first bad entry and why."""
    from safeconduct.services.audit import verify

    if key is not None and not key.is_file():
        raise BadFileError(f"there is no signing key {key}", field="key")
    ports, database = _ports(data, db)
    try:
        checkpoints_files = ports.checkpoints
        public_key = (
            None if key is None or checkpoints_files is None else checkpoints_files.public_key(key)
        )
        result = verify(ports, checkpoints, public_key=public_key)
    finally:
        database.close()  # type: ignore[attr-defined]
    against = f" (checked against {result.checkpoints} checkpoints)" if checkpoints else ""
    if result.ok:
        _out.print(result.message + against)
        return
    _err.print(f"safeconduct: audit trail NOT intact: {result.message}{against}")
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint_command(
    out: Annotated[
        Path, typer.Option("--out", help="The checkpoint file to write (JSON); keep it elsewhere.")
    ],
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help=f"Ed25519 signing key file, created (mode 0600) if missing "
            f"(default: ${KEY_ENV}, else {DEFAULT_KEY}).",
        ),
    ] = None,
    data: DataOption = None,
    db: DbOption = None,
) -> None:
    """Sign the trail's head (sequence number, head hash, time) into a checkpoint file."""
    from safeconduct.services.audit import write_checkpoint

    key_file = signing_key_path(key)
    ports, database = _ports(data, db)
    try:
        written = write_checkpoint(ports, out, key_file)
    finally:
        database.close()  # type: ignore[attr-defined]
    if written.key_created:
        _out.print(
            f"created the signing key {key_file} (readable by you only); keep it, and a copy, "
            "away from the database"
        )
    cp = written.checkpoint
    _out.print(f"checkpoint {out}: entry {cp.seq}, head {cp.head}, key {written.public_key}")
