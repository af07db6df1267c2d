"""``safeconduct serve``: the coordination service's web API on uvicorn.

The database is the one ``users`` and ``cases`` use (``--data DIR``, ``--db URL`` or
``$SAFECONDUCT_DB``); its migrations run before the server listens. FastAPI, uvicorn and
the store load only when the command runs, so ``safeconduct --help`` stays fast.

``--demo`` serves a throw-away data folder instead (removed on exit) filled by
:func:`safeconduct.services.demo.fill_demo`: the sample area, one user per role with a
random password printed here, and a case planned end to end.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from safeconduct.entrypoints.cli.cases import DataOption, DbOption, open_database
from safeconduct.entrypoints.cli.keys import KeyFileOption
from safeconduct.errors import InvalidValueError
from safeconduct.limits import check_range


def serve_command(
    data: DataOption = None,
    db: DbOption = None,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. The default serves this machine only; give 0.0.0.0 "
            "(behind a TLS proxy) to serve the network.",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="TCP port to listen on.")
    ] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Serve a throw-away demo (removed on exit): the sample area, one user per "
            "role with passwords printed here, and a case planned end to end.",
        ),
    ] = False,
    key_file: KeyFileOption = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="Folder, kept elsewhere, for signed audit checkpoints written on a schedule "
            "(see --checkpoint-minutes); `safeconduct audit verify --checkpoints DIR` then "
            "catches a trail rolled back or cut behind one.",
        ),
    ] = None,
    checkpoint_minutes: Annotated[
        float,
        typer.Option("--checkpoint-minutes", min=0.1, help="Minutes between audit checkpoints."),
    ] = 15.0,
    checkpoint_key: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint-key",
            help="Ed25519 signing key of the checkpoints, created owner-only if missing "
            "(default: as `safeconduct audit checkpoint`).",
        ),
    ] = None,
    purge_hours: Annotated[
        float,
        typer.Option(
            "--purge-hours",
            min=0.0,
            help="Hours between scheduled purges of cases whose retention period is over "
            "(as `safeconduct purge`; the key file is rotated in place after each); 0: none.",
        ),
    ] = 24.0,
    retention_settings: Annotated[
        Path | None,
        typer.Option(
            "--retention-settings",
            help="Retention settings of the scheduled purge (default: retention.toml in the "
            "data folder, else the defaults).",
        ),
    ] = None,
) -> None:
    """Run the coordination service (web API under /api, OpenAPI at /openapi.json)."""
    # NaN and infinity pass typer's min=; a schedule needs a finite interval.
    check_range(checkpoint_minutes, field="checkpoint_minutes", lo=0.1, hi=7 * 24 * 60,
                unit="min", what="a checkpoint interval")  # fmt: skip
    check_range(purge_hours, field="purge_hours", lo=0.0, hi=24 * 366, unit="h",
                what="a purge interval (0: none)")  # fmt: skip
    import uvicorn

    from safeconduct.entrypoints.web.app import create_app

    if demo:
        if data is not None or db is not None:
            raise InvalidValueError(
                "the demo runs on a throw-away data folder of its own; give either --demo "
                "or --data/--db, not both",
                field="demo",
            )
        _serve_demo(host, port)
        return
    from safeconduct import bootstrap

    ports = open_database(data, db, key_file)  # migrates to the newest revision first
    try:
        # Refused before listening when the database holds encrypted data and the key file
        # is missing or another one; nothing is changed then.
        bootstrap.unlock_store(ports, key_file)
        # Settings checked before listening: a wrong file refuses the start.
        retention = bootstrap.retention_ports(
            ports, key_file=key_file, settings=retention_settings, data=data, db=db
        )
        stop_checkpoints = _start_checkpoints(
            data, db, checkpoints, checkpoint_key, minutes=checkpoint_minutes
        )
        stop_purges = lambda: None  # noqa: E731
        if purge_hours > 0:
            stop_purges = bootstrap.start_purge_job(
                retention,
                every_s=purge_hours * 3600.0,
                exports=bootstrap.export_ports(ports, data),
            )
            _say(f"purge of cases whose retention period is over every {purge_hours:g} h")
        try:
            uvicorn.run(create_app(ports), host=host, port=port, log_level="info")
        finally:
            stop_purges()
            stop_checkpoints()
    finally:
        ports.database.close()


def _start_checkpoints(
    data: Path | None,
    db: str | None,
    folder: Path | None,
    key: Path | None,
    *,
    minutes: float,
) -> Callable[[], None]:
    """Start the scheduled audit checkpoints when a folder is given; the stop function."""
    if folder is None:
        return lambda: None
    from safeconduct import bootstrap
    from safeconduct.entrypoints.cli.audit import signing_key_path

    ports = bootstrap.audit_ports(data=data, db=db)
    stop = bootstrap.start_audit_checkpoints(
        ports, folder, signing_key_path(key), every_s=minutes * 60.0
    )
    _say(f"audit checkpoints every {minutes:g} min into {folder}")

    def stop_all() -> None:
        stop()
        ports.database.close()

    return stop_all


def _say(line: str) -> None:
    print(line, flush=True)


def _serve_demo(host: str, port: int) -> None:
    """Fill a temporary data folder with the demo, print the users, serve it, remove it."""
    import uvicorn

    from safeconduct import bootstrap
    from safeconduct.entrypoints.web.demo import demo_service

    with tempfile.TemporaryDirectory(prefix="safeconduct-demo-") as folder:
        _say(f"demo: a throw-away data folder {folder} (removed on exit)")
        # A throw-away key file beside the throw-away data, gone with it.
        key_file = f"{folder}/demo.key"
        bootstrap.write_new_key_file(key_file)
        started = time.monotonic()
        demo = demo_service(folder, key_file, progress=lambda line: _say(f"demo: {line}"))
        try:
            made = demo.made
            _say(f"demo: ready in {time.monotonic() - started:.1f} s")
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            _say("")
            _say(f"  open http://{shown}:{port}/ and sign in as one of (user  password):")
            for user in made.users:
                _say(f"    {user.name:<10} {user.password}")
            _say(
                f"  the demo case {made.case.printed_code} is {made.case.status}: "
                f"http://{shown}:{port}/board/cases/{made.case.id}"
            )
            _say("")
            uvicorn.run(demo.app, host=host, port=port, log_level="info")
        finally:
            demo.close()
    sys.stdout.flush()
