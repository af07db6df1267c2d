"""``safeconduct keys``: the master key file of field encryption.

``keys init`` makes a key file (readable by its owner only) and, given the database, ties
it to the file; ``keys rotate`` makes a new one and re-wraps every data key in the database
under it, in one transaction. Each key operation is audited (``key_init``, ``key_rotate``,
and ``key_unlock`` at every start). ``serve``,
``worker`` and ``custody`` take the key file with ``--key-file`` (or
``$SAFECONDUCT_KEY_FILE``) and refuse to start without it once the database holds
encrypted data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeconduct.entrypoints.cli.cases import (  # KeyFileOption: the other commands' import
    DataOption,
    DbOption,
    KeyFileOption,
    open_database,
)

__all__ = ["KeyFileOption", "keys_app"]

keys_app = typer.Typer(
    help="The key file that protects personal data: make one, rotate it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)



@keys_app.command("init")
def init_command(
    key_file: Annotated[
        Path,
        typer.Option(
            "--key-file",
            help="Where to write the new key file (mode 0600; an existing file is never "
            "overwritten). Keep it off the database's machine and back it up: without it "
            "no record can be read.",
        ),
    ],
    data: DataOption = None,
    db: DbOption = None,
) -> None:
    """Make a new key file: a master key and a blind-index key, 256 bits each.

    With ``--data`` or ``--db`` the database is tied to it at once (audited as
    ``key_init``); otherwise at its first start with the key file.
    """
    from safeconduct.adapters.crypto.keyfile import new_master_key, write_key_file

    key = new_master_key()
    write_key_file(key_file, key)
    tied = ""
    if data is not None or db is not None:
        from safeconduct import bootstrap
        from safeconduct.adapters.crypto.envelope import AesGcmFieldCipher
        from safeconduct.services.casework import CONSOLE
        from safeconduct.services.keys import init

        casework = open_database(data, db)
        try:
            init(bootstrap.keys_ports(casework), AesGcmFieldCipher(key), actor=CONSOLE)
        except BaseException:
            key_file.unlink(missing_ok=True)  # refused: no key file that opens nothing
            raise
        finally:
            casework.database.close()
        tied = "; the database is tied to it"
    typer.echo(f"wrote {key_file} (master key {key.key_id}), readable by you only{tied}")


@keys_app.command("rotate")
def rotate_command(
    key_file: Annotated[
        Path, typer.Option("--key-file", help="The current key file.", show_default=False)
    ],
    new_key_file: Annotated[
        Path,
        typer.Option(
            "--new-key-file",
            help="Where to write the new key file (must not exist); it replaces the old one.",
            show_default=False,
        ),
    ],
    data: DataOption = None,
    db: DbOption = None,
) -> None:
    """Re-wrap every data key under a new master key, in one transaction.

    Afterwards every record reads with the new key file and the old one opens nothing;
    restart the service and workers with the new file.
    """
    from safeconduct import bootstrap
    from safeconduct.adapters.crypto.envelope import AesGcmFieldCipher
    from safeconduct.adapters.crypto.keyfile import new_master_key, read_key_file, write_key_file
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.keys import rotate

    old_key = read_key_file(key_file)
    casework = open_database(data, db)
    try:
        # The new file first (the blind-index key carried over, so look-ups keep working);
        # removed again if the database refuses, so that the old file stays the only one.
        new_key = new_master_key(index_key=old_key.index_key)
        write_key_file(new_key_file, new_key)
        try:
            count = rotate(
                bootstrap.keys_ports(casework),
                AesGcmFieldCipher(old_key),
                AesGcmFieldCipher(new_key),
                actor=CONSOLE,
            )
        except BaseException:
            new_key_file.unlink(missing_ok=True)
            raise
    finally:
        casework.database.close()
    typer.echo(
        f"re-wrapped {count} data key{'' if count == 1 else 's'} under master key "
        f"{new_key.key_id} ({new_key_file}); the old key file {key_file} opens nothing now"
    )
