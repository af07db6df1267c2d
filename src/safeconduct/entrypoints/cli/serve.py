"""``safeconduct serve``: the coordination service's web API on uvicorn.

The database is the one ``users`` and ``cases`` use (``--data DIR``, ``--db URL`` or
``$SAFECONDUCT_DB``); its migrations run before the server listens. FastAPI, uvicorn and
the store load only when the command runs, so ``safeconduct --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from safeconduct.entrypoints.cli.cases import DataOption, DbOption, open_database


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
) -> None:
    """Run the coordination service (web API under /api, OpenAPI at /openapi.json)."""
    import uvicorn

    from safeconduct.entrypoints.web.app import create_app

    ports = open_database(data, db)  # migrates to the newest revision first
    try:
        uvicorn.run(create_app(ports), host=host, port=port, log_level="info")
    finally:
        ports.database.close()
