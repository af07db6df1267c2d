"""Web API tests run on SQLite and on PostgreSQL, on the store tests' databases.

``client_for(policy)`` builds a FastAPI ``TestClient`` on the test's migrated database,
with operations ports (``app.state.operations``) whose data folder holds the sample area
and whose job queue only records, so no plan runs in the web tests; ``users`` holds one
signed-up user per role (and a second operator).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from safeconduct.adapters.files.area_uploads import FolderAreaLibrary
from safeconduct.adapters.formats.export_archive import AesZipArchives, FolderExports
from safeconduct.adapters.pdf.custody_documents import ReportlabCustodyDocuments
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.entrypoints.web.app import create_app
from safeconduct.services.casework import CONSOLE, AuthPolicy, CaseworkPorts, add_user
from safeconduct.services.exports import ExportPorts
from safeconduct.services.operations import OperationsPorts
from tests.conftest import TEST_CIPHER
from tests.operations import conftest as operations_conftest
from tests.operations.conftest import RecordingQueue, data_folder
from tests.store import conftest as store_conftest
from tests.store.conftest import FAST_PASSWORDS

# The store tests' fixtures: an empty database on SQLite and on PostgreSQL (its own schema),
# migrated; and no SAFECONDUCT_DB from the developer's environment.
store = store_conftest.store
engine = store_conftest.engine
_no_database_from_the_environment = store_conftest._no_database_from_the_environment
# The operations tests' sample area (written once per session) and plan pipeline.
area_root = operations_conftest.area_root
meeting = operations_conftest.meeting
pipeline = operations_conftest.pipeline

PASSWORD = "correct horse battery staple"
#: User name -> roles: one user per role, and a second operator who owns nothing.
USERS: dict[str, str] = {
    "olga": "operator",
    "oleh": "operator",
    "petro": "planner",
    "kyrylo": "crew",
    "roman": "reception",
    "rita": "registrar",
    "anya": "auditor",
    "adam": "admin",
}

ClientFor = Callable[..., TestClient]


@pytest.fixture
def ports(engine: Engine) -> CaseworkPorts:
    """The casework ports on the migrated test database, with the default sign-in policy."""
    return CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )


@pytest.fixture
def client_for(
    engine: Engine, tmp_path: Path, area_root: Path, pipeline: object
) -> Iterator[ClientFor]:
    """Make a test client on the test database, optionally with its own sign-in policy.

    Its app's operations ports (``app.state.operations``) share the client's database; their
    data folder links the sample area, and their queue (a :class:`RecordingQueue`) only
    records the plan jobs asked for.
    """
    clients: list[TestClient] = []

    def make(policy: AuthPolicy | None = None) -> TestClient:
        ports = CaseworkPorts(
            database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER),
            passwords=FAST_PASSWORDS,
            auth=policy or AuthPolicy(),
        )
        app = create_app(ports)
        app.state.operations = OperationsPorts(
            database=ports.database,  # type: ignore[arg-type]
            pipeline=pipeline,  # type: ignore[arg-type]
            jobs=RecordingQueue(),
            folders=FolderAreaLibrary(),
            data_dir=data_folder(tmp_path / f"client-{len(clients)}", area_root),
        )
        # Exports kept in the test's own folder (never the default data folder).
        app.state.exports = ExportPorts(
            database=ports.database,  # type: ignore[arg-type]
            documents=ReportlabCustodyDocuments(),
            archives=AesZipArchives(),
            kept=FolderExports(tmp_path / f"exports-{len(clients)}"),
        )
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(client_for: ClientFor) -> TestClient:
    """A test client with the default sign-in policy."""
    return client_for()


@pytest.fixture
def users(ports: CaseworkPorts) -> dict[str, str]:
    """Every user of :data:`USERS`, added with :data:`PASSWORD`."""
    for name, role in USERS.items():
        add_user(ports, name, role, PASSWORD, actor=CONSOLE)
    return USERS


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """A bearer token for ``name`` through the API."""
    answer = client.post("/api/auth/token", data={"username": name, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    """The header that carries ``token``."""
    return {"Authorization": f"Bearer {token}"}
