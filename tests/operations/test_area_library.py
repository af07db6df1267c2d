"""The server's areas of operations: listed from kept summaries, read, and added from
uploaded files that are checked with the plan job's readers and kept whole or not at all.

The areas folder of each test is its own, with the session's sample area linked in, so an
upload never lands in the shared sample folder. "Nothing half-written" is checked by
comparing the areas folder's listing before and after each refused upload.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.adapters.files.area_uploads import LAYER_FILES, FolderAreaLibrary
from safeconduct.errors import BadFileError, InvalidValueError, SafeconductError
from safeconduct.services import area_library
from safeconduct.services.area_library import AreaExistsError, AreaInfo
from safeconduct.services.casework import (
    CONSOLE,
    Actor,
    CaseworkPorts,
    NotFoundError,
    PermissionDeniedError,
    open_case,
)
from safeconduct.services.operations import OperationsPorts, create_operation
from safeconduct.terrain.coords import GeoPoint
from tests.operations.conftest import WINDOW_END, WINDOW_START, RecordingQueue

PLANNER = Actor(name="petro", roles=("planner",))  # type: ignore[arg-type]
OPERATOR = Actor(name="olga", roles=("operator",))  # type: ignore[arg-type]
NOT_READERS = [
    Actor(name=role, roles=(role,))  # type: ignore[arg-type]
    for role in ("crew", "reception", "registrar", "auditor", "admin")
]

# ----------------------------------------------------------------- helpers (the web tests too)


def own_data(base: Path, area_root: Path) -> Path:
    """A data folder whose ``areas/`` is its own, holding a link to the sample area."""
    data = base / "own-data"
    (data / "areas").mkdir(parents=True)
    (data / "areas" / "sample").symlink_to(area_root / "areas" / "sample")
    return data


def snapshot(areas_dir: Path) -> list[str]:
    """Every entry under ``areas_dir`` (not inside the linked sample area), sorted."""
    found = []
    for folder, names, files in os.walk(areas_dir):
        for name in names + files:
            found.append(os.path.relpath(os.path.join(folder, name), areas_dir))
    return sorted(found)


def point_layer(lon: float, lat: float, name: str = "here") -> bytes:
    """A GeoJSON FeatureCollection of one named point (WGS84)."""
    feature = {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def small_tiff(*, crs: str | None = "EPSG:32637") -> bytes:
    """A 256 x 256 tiled float32 GeoTIFF (its header first), with or without a CRS."""
    from rasterio.io import MemoryFile
    from rasterio.transform import from_origin

    with MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=256,
            height=256,
            count=1,
            dtype="float32",
            crs=crs,
            transform=from_origin(400_000, 5_380_000, 5, 5),
            tiled=True,
        ) as dataset:
            dataset.write(np.random.default_rng(1).random((1, 256, 256), dtype="float32"))
        return bytes(memory.read())


def bad_uploads(sample: dict[str, bytes]) -> dict[str, tuple[dict[str, bytes], str, type]]:
    """Case id -> (the files, the field named, the error class) for each malformed upload."""
    far = point_layer(10.0, 10.0)
    empty = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    header_first = small_tiff()
    without = {k: v for k, v in sample.items() if k != "meeting"}
    return {
        "dem-not-a-geotiff": ({**sample, "dem": b"not a GeoTIFF at all"}, "dem", BadFileError),
        "dem-truncated": ({**sample, "dem": sample["dem"][:100_000]}, "dem", BadFileError),
        "dem-truncated-data": (
            {**sample, "dem": header_first[: len(header_first) // 2]},
            "dem",
            BadFileError,
        ),
        "dem-without-crs": ({**sample, "dem": small_tiff(crs=None)}, "dem", BadFileError),
        "dem-empty": ({**sample, "dem": b""}, "dem", BadFileError),
        "hazards-garbage": ({**sample, "hazards": b"{garbage"}, "hazards", BadFileError),
        "observers-not-geojson": ({**sample, "observers": b'{"a": 1}'}, "observers", BadFileError),
        "reception-empty": ({**sample, "reception": empty}, "reception", BadFileError),
        "reception-off-the-dem": ({**sample, "reception": far}, "reception", InvalidValueError),
        "meeting-missing": (without, "meeting", InvalidValueError),
        "meeting-off-the-dem": ({**sample, "meeting": far}, "meeting", InvalidValueError),
        "launch-garbage": ({**sample, "launch": b"\x89PNG"}, "launch", BadFileError),
        "launch-off-the-dem": ({**sample, "launch": far}, "launch", InvalidValueError),
        "unknown-layer": ({**sample, "roads": empty}, "roads", InvalidValueError),
    }


# ----------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def sample_files(area_root: Path) -> dict[str, bytes]:
    """Layer -> the sample area's file, as an upload sends it."""
    folder = area_root / "areas" / "sample"
    return {layer: (folder / name).read_bytes() for layer, name in LAYER_FILES.items()}


@pytest.fixture
def library(ops_ports: OperationsPorts, tmp_path: Path, area_root: Path) -> OperationsPorts:
    """Operations ports (SQLite, PostgreSQL) whose areas folder is the test's own."""
    data = own_data(tmp_path, area_root)
    return replace(ops_ports, folders=FolderAreaLibrary(), data_dir=data)


class CountingAreas:
    """The pipeline's Areas port, counting how often an area is read."""

    def __init__(self, areas: object) -> None:
        self.areas = areas
        self.loads = 0

    def load_area(self, folder: object):  # type: ignore[no-untyped-def]
        self.loads += 1
        return self.areas.load_area(folder)  # type: ignore[attr-defined]


def counting(ports: OperationsPorts) -> tuple[OperationsPorts, CountingAreas]:
    areas = CountingAreas(ports.pipeline.areas)
    return replace(ports, pipeline=replace(ports.pipeline, areas=areas)), areas


# ----------------------------------------------------------------- listing and reading


def _check_sample(info: AreaInfo, meeting: GeoPoint, name: str = "sample") -> None:
    assert info.name == name
    assert info.size == (1600, 1600) and info.cell_size_m == 5.0
    west, south, east, north = info.bounds
    # 8 x 8 km near 48.6 N: about 0.108 degrees of longitude and 0.072 of latitude.
    assert 0.10 < east - west < 0.12 and 0.07 < north - south < 0.075
    assert west < meeting.lon < east and south < meeting.lat < north
    assert info.meeting_point == meeting
    assert len(info.reception) == 2 and all(info.reception)
    assert info.hazards == 19 and info.observers == 4
    assert info.launch_point is not None and info.synthetic


def test_list_and_get_the_sample_area(library: OperationsPorts, meeting: GeoPoint) -> None:
    [info] = area_library.list_areas(library, actor=PLANNER)
    _check_sample(info, meeting)
    assert area_library.get_area(library, "sample", actor=OPERATOR) == info
    assert area_library.list_areas(library, actor=CONSOLE) == [info]


def test_a_listing_reads_no_dem_while_the_area_is_unchanged(
    library: OperationsPorts, tmp_path: Path, area_root: Path
) -> None:
    # A copy of the sample area, so that touching its files leaves the shared one alone.
    data = tmp_path / "copied"
    (data / "areas" / "copy").mkdir(parents=True)
    for name in LAYER_FILES.values():
        (data / "areas" / "copy" / name).write_bytes(
            (area_root / "areas" / "sample" / name).read_bytes()
        )
    ports, areas = counting(replace(library, data_dir=data))
    first = area_library.list_areas(ports, actor=PLANNER)
    assert areas.loads == 1 and (data / "areas" / "copy" / "area.json").is_file()
    # Another process (a new adapter, no memory) reads the kept summary, not the DEM.
    fresh, areas = counting(replace(ports, folders=FolderAreaLibrary()))
    assert area_library.list_areas(fresh, actor=PLANNER) == first
    assert area_library.get_area(fresh, "copy", actor=PLANNER) == first[0]
    assert areas.loads == 0
    # A layer changed by hand: summarised again.
    meeting = data / "areas" / "copy" / "meeting.geojson"
    lon, lat = json.loads(meeting.read_text())["features"][0]["geometry"]["coordinates"][:2]
    meeting.write_bytes(point_layer(lon + 0.001, lat))
    [again] = area_library.list_areas(fresh, actor=PLANNER)
    assert areas.loads == 1
    assert again.meeting_point == GeoPoint(lat, lon + 0.001)


def test_a_broken_area_is_left_out_of_the_list_and_named_when_asked_for(
    library: OperationsPorts,
) -> None:
    broken = library.data_dir / "areas" / "broken"
    broken.mkdir()
    (broken / "dem.tif").write_bytes(b"not a GeoTIFF")
    assert [a.name for a in area_library.list_areas(library, actor=PLANNER)] == ["sample"]
    with pytest.raises(SafeconductError, match="broken"):
        area_library.get_area(library, "broken", actor=PLANNER)


def test_unknown_and_malformed_names(library: OperationsPorts) -> None:
    with pytest.raises(NotFoundError) as unknown:
        area_library.get_area(library, "nowhere", actor=PLANNER)
    assert unknown.value.field == "name"
    for name in ("../x", "..", ".staging-x", "a/b", ""):
        with pytest.raises(InvalidValueError) as bad:
            area_library.get_area(library, name, actor=PLANNER)
        assert bad.value.field == "name", name


def test_staging_and_hidden_folders_are_no_areas(library: OperationsPorts) -> None:
    hidden = library.data_dir / "areas" / ".staging-abc"
    hidden.mkdir()
    (hidden / "dem.tif").write_bytes(b"half written")
    assert [a.name for a in area_library.list_areas(library, actor=PLANNER)] == ["sample"]


@pytest.mark.parametrize("actor", NOT_READERS, ids=lambda a: a.name)
def test_only_operators_and_planners_see_areas(library: OperationsPorts, actor: Actor) -> None:
    with pytest.raises(PermissionDeniedError):
        area_library.list_areas(library, actor=actor)
    with pytest.raises(PermissionDeniedError):
        area_library.get_area(library, "sample", actor=actor)


# ----------------------------------------------------------------- adding


def test_a_planner_adds_an_area_and_an_operation_is_made_on_it(
    library: OperationsPorts,
    casework_ports: CaseworkPorts,
    sample_files: dict[str, bytes],
    meeting: GeoPoint,
) -> None:
    # Streams, as the web hands them over, or bytes: both are taken.
    files = {layer: io.BytesIO(data) for layer, data in sample_files.items()}
    info = area_library.add_area(library, "east-ridge", files, actor=PLANNER)
    _check_sample(info, meeting, name="east-ridge")
    folder = library.data_dir / "areas" / "east-ridge"
    assert sorted(p.name for p in folder.iterdir()) == sorted([*LAYER_FILES.values(), "area.json"])
    assert (folder / "dem.tif").read_bytes() == sample_files["dem"]
    assert oct(folder.stat().st_mode & 0o777) == "0o755"
    listed = area_library.list_areas(library, actor=OPERATOR)
    assert [a.name for a in listed] == ["east-ridge", "sample"] and listed[0] == info
    # The operations use case takes the new area like any other.
    case = open_case(casework_ports, language="ru", actor=CONSOLE)
    operation = create_operation(
        library,
        case.id,
        area="east-ridge",
        meeting_point=info.meeting_point,
        window_start=WINDOW_START,
        window_end=WINDOW_END,
        reception=info.reception[0],
        actor=PLANNER,
    )
    assert operation.area == "east-ridge"


def test_the_launch_layer_is_optional(
    library: OperationsPorts, sample_files: dict[str, bytes]
) -> None:
    files: dict[str, bytes | None] = {**sample_files, "launch": None}
    info = area_library.add_area(library, "no-launch", files, actor=CONSOLE)
    assert info.launch_point is None
    assert not (library.data_dir / "areas" / "no-launch" / "launch.geojson").exists()


@pytest.mark.parametrize(
    "case",
    [
        "dem-not-a-geotiff",
        "dem-truncated",
        "dem-truncated-data",
        "dem-without-crs",
        "dem-empty",
        "hazards-garbage",
        "observers-not-geojson",
        "reception-empty",
        "reception-off-the-dem",
        "meeting-missing",
        "meeting-off-the-dem",
        "launch-garbage",
        "launch-off-the-dem",
        "unknown-layer",
    ],
)
def test_each_malformed_upload_is_refused_naming_its_layer_and_leaves_nothing(
    library: OperationsPorts, sample_files: dict[str, bytes], case: str
) -> None:
    files, field, kind = bad_uploads(sample_files)[case]
    areas = library.data_dir / "areas"
    before = snapshot(areas)
    with pytest.raises(kind) as refused:
        area_library.add_area(library, "refused", files, actor=PLANNER)
    assert refused.value.field == field
    assert type(refused.value) is kind
    # The message is for people: no path of the server's staging folder in it.
    assert ".staging-" not in refused.value.message and str(areas) not in refused.value.message
    assert snapshot(areas) == before


def test_a_name_taken_is_refused_and_the_first_area_is_kept(
    library: OperationsPorts, sample_files: dict[str, bytes]
) -> None:
    first = area_library.add_area(library, "twice", sample_files, actor=PLANNER)
    before = snapshot(library.data_dir / "areas")
    for name in ("twice", "sample"):
        with pytest.raises(AreaExistsError) as taken:
            area_library.add_area(library, name, sample_files, actor=PLANNER)
        assert taken.value.field == "name"
        assert isinstance(taken.value, InvalidValueError)
    assert snapshot(library.data_dir / "areas") == before
    assert area_library.get_area(library, "twice", actor=PLANNER) == first


def test_an_upload_that_loses_the_race_for_a_name_keeps_nothing(
    library: OperationsPorts, sample_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = library.folders
    assert isinstance(folders, FolderAreaLibrary)
    publish = folders.publish_area

    def another_upload_first(staging: Path, area_dir: Path) -> bool:
        area_dir.mkdir()
        (area_dir / "dem.tif").write_bytes(b"the other upload's")
        return publish(staging, area_dir)

    monkeypatch.setattr(folders, "publish_area", another_upload_first)
    with pytest.raises(AreaExistsError):
        area_library.add_area(library, "raced", sample_files, actor=PLANNER)
    assert snapshot(library.data_dir / "areas") == ["raced", "raced/dem.tif", "sample"]


@pytest.mark.parametrize("name", ["../x", "..", "a/b", ".hidden", "", " ", "x" * 65, "é"])
def test_a_malformed_name_is_refused_before_anything_is_written(
    library: OperationsPorts, sample_files: dict[str, bytes], name: str
) -> None:
    before = snapshot(library.data_dir / "areas")
    with pytest.raises(InvalidValueError) as refused:
        area_library.add_area(library, name, sample_files, actor=PLANNER)
    assert refused.value.field == "name"
    assert snapshot(library.data_dir / "areas") == before
    assert not (library.data_dir / "x").exists()


def test_files_over_the_size_limits_are_refused(
    library: OperationsPorts, sample_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(library.data_dir / "areas")
    monkeypatch.setattr(area_library, "MAX_LAYER_BYTES", 10_000)  # the hazards are 40 kB
    with pytest.raises(BadFileError, match="larger than") as refused:
        area_library.add_area(library, "big", sample_files, actor=PLANNER)
    assert refused.value.field == "hazards"
    monkeypatch.setattr(area_library, "MAX_DEM_BYTES", 1_000_000)
    with pytest.raises(BadFileError, match="larger than") as refused:
        area_library.add_area(library, "big", sample_files, actor=PLANNER)
    assert refused.value.field == "dem"
    monkeypatch.undo()
    monkeypatch.setattr(area_library, "MAX_DEM_CELLS", 1600 * 1600 - 1)
    with pytest.raises(BadFileError, match="1600 x 1600 cells") as refused:
        area_library.add_area(library, "big", sample_files, actor=PLANNER)
    assert refused.value.field == "dem"
    assert snapshot(library.data_dir / "areas") == before


@pytest.mark.parametrize("actor", [OPERATOR, *NOT_READERS], ids=lambda a: a.name)
def test_only_planners_add_areas(
    library: OperationsPorts, sample_files: dict[str, bytes], actor: Actor
) -> None:
    before = snapshot(library.data_dir / "areas")
    with pytest.raises(PermissionDeniedError):
        area_library.add_area(library, "mine", sample_files, actor=actor)
    assert snapshot(library.data_dir / "areas") == before


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    layer=st.sampled_from(["hazards", "observers", "reception", "meeting", "launch"]),
    garbage=st.binary(min_size=1, max_size=300) | st.text(max_size=300).map(str.encode),
)
def test_any_garbage_layer_is_refused_naming_it_and_leaves_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    area_root: Path,
    pipeline: object,
    sample_files: dict[str, bytes],
    layer: str,
    garbage: bytes,
) -> None:
    data = own_data(tmp_path_factory.mktemp("garbage"), area_root)
    ports = OperationsPorts(
        database=None,  # type: ignore[arg-type]
        pipeline=pipeline,  # type: ignore[arg-type]
        jobs=RecordingQueue(),
        folders=FolderAreaLibrary(),
        data_dir=data,
    )
    before = snapshot(data / "areas")
    files = {**sample_files, layer: garbage}
    try:
        area_library.add_area(ports, "garbage", files, actor=PLANNER)
    except (BadFileError, InvalidValueError) as error:
        assert error.field == layer
    else:  # pragma: no cover - a layer of garbage that parses is a reader's bug
        pytest.fail(f"{layer} accepted {garbage!r}")
    assert snapshot(data / "areas") == before
