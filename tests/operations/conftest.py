"""Operations tests: the store tests' databases (SQLite and a PostgreSQL schema), the sample
area written once per session, and module-scoped databases for the slow plan runs.

``area_root`` holds ``areas/sample/`` (the bundled 8 x 8 km sample area); each test's data
folder links to it, so the area is generated once and every test has its own plans.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeconduct import bootstrap
from safeconduct.adapters.files.area_uploads import FolderAreaLibrary
from safeconduct.adapters.store.engine import create_store_engine
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.services.casework import CaseworkPorts
from safeconduct.services.operations import OperationsPorts
from safeconduct.terrain.coords import GeoPoint
from tests.conftest import TEST_CIPHER
from tests.store import conftest as store_conftest
from tests.store.conftest import FAST_PASSWORDS

store = store_conftest.store
engine = store_conftest.engine
_no_database_from_the_environment = store_conftest._no_database_from_the_environment

#: A meeting window in the future, time-zone aware.
WINDOW_START = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(hours=1)


class RecordingQueue:
    """A job queue that only records what was enqueued (the tests run jobs themselves)."""

    def __init__(self) -> None:
        self.enqueued: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.enqueued.append(job_id)


@pytest.fixture(scope="session")
def area_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``areas/sample/``: the sample area, written once."""
    root = tmp_path_factory.mktemp("areas-root")
    bootstrap.areas().write_sample_area(root / "areas" / "sample")
    return root


@pytest.fixture(scope="session")
def meeting(area_root: Path) -> GeoPoint:
    """The sample area's own meeting point."""
    doc = json.loads((area_root / "areas" / "sample" / "meeting.geojson").read_text())
    lon, lat = doc["features"][0]["geometry"]["coordinates"][:2]
    return GeoPoint(lat, lon)


@pytest.fixture(scope="session")
def pipeline():
    return bootstrap.operation_ports()


def data_folder(base: Path, area_root: Path) -> Path:
    """A data folder whose ``areas`` is the shared sample areas."""
    data = base / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "areas").symlink_to(area_root / "areas", target_is_directory=True)
    return data


@pytest.fixture
def casework_ports(engine: Engine) -> CaseworkPorts:
    return CaseworkPorts(
        database=SqlCaseworkDatabase(engine, cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )


@pytest.fixture
def ops_ports(
    casework_ports: CaseworkPorts, tmp_path: Path, area_root: Path, pipeline: object
) -> OperationsPorts:
    """Operations ports on the test database whose queue only records."""
    return OperationsPorts(
        database=casework_ports.database,  # type: ignore[arg-type]
        pipeline=pipeline,  # type: ignore[arg-type]
        jobs=RecordingQueue(),
        folders=FolderAreaLibrary(),
        data_dir=data_folder(tmp_path, area_root),
    )


@pytest.fixture(scope="module", params=store_conftest.BACKENDS)
def module_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A migrated database shared by a module's tests: (backend, url, engine)."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("module-db")
        url = f"sqlite+pysqlite:///{folder / 'data' / 'safeconduct.db'}"
        eng = create_store_engine(url)
        upgrade(eng)
        yield "sqlite", url, eng
        eng.dispose()
        return
    error = store_conftest._postgres_error()
    if error is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL operations tests: {error}", pytrace=False)
        pytest.skip(error)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    base = store_conftest._postgres["url"]
    assert isinstance(base, sa.URL)
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    eng = create_store_engine(text)
    upgrade(eng)
    try:
        yield "postgresql", text, eng
    finally:
        eng.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def operation_body(meeting: GeoPoint, **changes: object) -> dict[str, object]:
    """The JSON of POST /api/cases/{id}/operation on the sample area."""
    body: dict[str, object] = {
        "area": "sample",
        "meeting_lat": meeting.lat,
        "meeting_lon": meeting.lon,
        "window_start": WINDOW_START.isoformat(),
        "window_end": WINDOW_END.isoformat(),
    }
    body.update(changes)
    return body
