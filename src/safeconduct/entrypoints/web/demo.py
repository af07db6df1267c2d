"""The demo service: a data folder filled with the demo (its users, a case planned on the
sample area) and the web app on it, as ``safeconduct serve --demo`` serves it and the tests
that drive the demo build it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI

from safeconduct import bootstrap
from safeconduct.entrypoints.web.app import create_app
from safeconduct.services.casework import CaseworkPorts
from safeconduct.services.demo import Demo, fill_demo
from safeconduct.services.operations import OperationsPorts


@dataclass
class DemoService:
    """The demo's web app, what the demo made, and the ports behind the app."""

    app: FastAPI
    made: Demo
    casework: CaseworkPorts
    operations: OperationsPorts

    def close(self) -> None:
        """Close the database (the data folder is the caller's)."""
        self.casework.database.close()


def demo_service(
    folder: str | os.PathLike[str],
    key_file: str | os.PathLike[str],
    *,
    progress: Callable[[str], None] | None = None,
) -> DemoService:
    """Fill the empty data ``folder`` with the demo (its case codes sealed with the key in
    ``key_file``; the route is planned, which takes seconds) and build the app on it.

    ``progress`` is told each step of the filling. Close the result when done.
    """
    ports = bootstrap.casework_ports(data=folder)
    try:
        bootstrap.unlock_store(ports, key_file)
        operations = bootstrap.operations_ports(ports, folder)
        made = fill_demo(ports, operations, progress=progress)
    except BaseException:
        ports.database.close()
        raise
    app = create_app(ports)
    app.state.operations = operations
    return DemoService(app=app, made=made, casework=ports, operations=operations)
