"""``safeconduct areas list`` and ``safeconduct areas add`` end to end, on SQLite and
PostgreSQL: the command line mirrors the upload, through the same use case and checks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from safeconduct.entrypoints.cli.errors import flag_for
from tests.operations import conftest as operations_conftest
from tests.operations.test_area_library import point_layer, snapshot
from tests.store.conftest import Store
from tests.store.test_cli import run

area_root = operations_conftest.area_root

@pytest.fixture
def data_dir(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The service's data folder for the store's CLI options (``--data``, or
    ``$SAFECONDUCT_DATA`` beside ``--db``)."""
    if store.backend == "sqlite":
        return Path(store.cli_args[1])
    data = tmp_path / "pg-data"
    monkeypatch.setenv("SAFECONDUCT_DATA", str(data))
    return data


@pytest.fixture
def sample_folder(area_root: Path, tmp_path: Path) -> Path:
    """A copy of the sample area's folder, as ``safeconduct sample --out`` writes it."""
    return Path(shutil.copytree(area_root / "areas" / "sample", tmp_path / "sample-copy"))


def test_areas_list_on_a_service_without_areas(
    store: Store,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status, out, err = run(["areas", "list", *store.cli_args], capsys, monkeypatch)
    assert (status, err) == (0, "")
    assert out.startswith("no areas in ") and "safeconduct areas add NAME FOLDER" in out


def test_areas_add_and_list(
    store: Store,
    data_dir: Path,
    sample_folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = ["areas", "add", "east-ridge", str(sample_folder), *store.cli_args]
    status, out, err = run(argv, capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    assert out.startswith("area east-ridge added: 1600 x 1600 cells of 5 m, meeting point 48.")
    assert (data_dir / "areas" / "east-ridge" / "dem.tif").is_file()
    status, out, err = run(["areas", "list", *store.cli_args], capsys, monkeypatch)
    assert status == 0
    assert "1 area in" in out
    assert re.search(r"east-ridge +1600x1600 5 m +48\.592522,38\.019463 +2 +19 +4", out), out
    # A name taken: refused, named as the command line names it.
    status, out, err = run(argv, capsys, monkeypatch)
    assert status == 2
    assert err.startswith(f"safeconduct: error: {flag_for('name')}: the server has an area")


def test_areas_add_refuses_a_broken_folder_naming_its_file_and_keeps_nothing(
    store: Store,
    data_dir: Path,
    sample_folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (data_dir / "areas").mkdir(parents=True, exist_ok=True)
    before = snapshot(data_dir / "areas")
    (sample_folder / "meeting.geojson").write_bytes(point_layer(10.0, 10.0))
    argv = ["areas", "add", "broken", str(sample_folder), *store.cli_args]
    status, _, err = run(argv, capsys, monkeypatch)
    assert status == 2
    assert err.startswith(f"safeconduct: error: {sample_folder / 'meeting.geojson'}: the meeting")
    assert "outside the DEM" in err and len(err.strip().splitlines()) == 1
    (sample_folder / "observers.geojson").unlink()
    status, _, err = run(argv, capsys, monkeypatch)
    assert status == 2 and "observers.geojson: an area needs its observers layer" in err
    status, _, err = run(["areas", "add", "x", str(sample_folder / "nowhere"), *store.cli_args],
                         capsys, monkeypatch)  # fmt: skip
    assert status == 1 and "does not exist" in err
    assert snapshot(data_dir / "areas") == before
