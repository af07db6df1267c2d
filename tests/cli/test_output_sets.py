"""A command's outputs are one set: all of them arrive, or none does (issue 18, item 3).

Every output path is checked before the long work, the outputs are written to staged
files, and they move into place together at the end; an error or Ctrl-C in between leaves
nothing new and an earlier output (an area written before) untouched.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from safeconduct import bootstrap
from safeconduct.adapters.files import sample_area as sample_module
from safeconduct.adapters.files.atomic import atomic_folder, atomic_path, create_once, output_set
from safeconduct.errors import BadFileError
from safeconduct.services import operation
from safeconduct.services.planning import plan_route_files
from safeconduct.terrain.coords import GeoPoint
from tests.cli.conftest import Run
from tests.conftest import pid_that_has_ended

START = "48.59252,38.01946"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) by relative path, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_route_with_an_unwritable_map_fails_before_the_route_is_written(
    cli, sample_area: Path, tmp_path: Path
) -> None:
    args = ["route", "--dem", str(sample_area / "dem.tif"), "--start", START,
            "--reception", str(sample_area / "reception.geojson"),
            "--out", str(tmp_path / "r.geojson"), "--map", "/proc/r.png"]  # fmt: skip
    run: Run = cli(*args)
    assert run.code == 1
    assert run.error_lines == [
        "safeconduct: error: cannot write /proc/r.png: No such file or directory"
    ]
    assert list(tmp_path.iterdir()) == []


class _InterruptedMaps:
    """The real maps, but Ctrl-C arrives while the map is drawn."""

    def render_route_map(self, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_while_the_map_is_drawn_leaves_neither_route_nor_map(
    sample_area: Path, tmp_path: Path
) -> None:
    ports = dataclasses.replace(bootstrap.planning_ports(), maps=_InterruptedMaps())
    with pytest.raises(KeyboardInterrupt):
        plan_route_files(
            ports,
            sample_area / "dem.tif",
            GeoPoint(48.59252, 38.01946),
            sample_area / "reception.geojson",
            tmp_path / "r.geojson",
            map_path=tmp_path / "r.png",
        )
    assert list(tmp_path.iterdir()) == []


def test_output_set_moves_every_file_or_none(tmp_path: Path) -> None:
    with output_set(tmp_path / "a.txt", tmp_path / "b.txt") as (a, b):
        a.write_text("a")
        b.write_text("b")
        assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == []
    assert (tmp_path / "a.txt").read_text() == "a" and (tmp_path / "b.txt").read_text() == "b"
    with pytest.raises(RuntimeError), output_set(tmp_path / "a.txt", tmp_path / "c.txt") as (a, _c):
        a.write_text("new")
        raise RuntimeError
    assert (tmp_path / "a.txt").read_text() == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_output_set_refuses_two_outputs_on_one_file(tmp_path: Path) -> None:
    with (
        pytest.raises(BadFileError, match="same file"),
        output_set(tmp_path / "a.txt", tmp_path / "." / "a.txt"),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_interrupted_sample_over_an_existing_area_leaves_the_old_area_intact(
    sample_area: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    area = Path(shutil.copytree(sample_area, tmp_path / "a2"))
    before = snapshot(tmp_path)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # after the new DEM and hazards were written

    monkeypatch.setattr(sample_module, "write_reception", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sample_module.write_area(area, seed=7)
    assert snapshot(tmp_path) == before


def test_a_dem_only_sample_over_a_synthetic_area_leaves_no_stale_layers(
    sample_area: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeconduct.adapters.files import jacksboro

    area = Path(shutil.copytree(sample_area, tmp_path / "a"))

    def tiny_dem(path: Path) -> Path:
        path.write_bytes(b"dem")
        return path

    monkeypatch.setattr(jacksboro, "write_jacksboro_dem", tiny_dem)
    sample_module.write_area(area, area="jacksboro")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "dem.tif"]


def test_interrupted_demo_leaves_no_half_area(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # after the area, the route and the mission were written

    monkeypatch.setattr(operation, "make_note", interrupted)
    with pytest.raises(KeyboardInterrupt):
        operation.run_demo(bootstrap.operation_ports(), tmp_path / "demo")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["viewshed", "exposure"])
def test_an_output_in_an_unwritable_place_is_refused_before_the_computation(
    cli, sample_area: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    from safeconduct.services import planning

    def not_reached(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed although the output cannot be written")

    monkeypatch.setattr(planning, command, not_reached)
    where = (
        ["--observer", START]
        if command == "viewshed"
        else ["--observers", str(sample_area / "observers.geojson")]
    )
    args = [command, "--dem", str(sample_area / "dem.tif"), *where, "--out", "/proc/x.tif"]
    run: Run = cli(*args)
    assert run.code == 1
    assert run.error_lines == [
        "safeconduct: error: cannot write /proc/x.tif: No such file or directory"
    ]


@pytest.mark.parametrize("writer", ["output_set", "atomic_path"])
def test_a_temporary_left_by_a_killed_run_is_removed_by_the_next(
    writer: str, tmp_path: Path
) -> None:
    # A kill -9 cannot clean up: an encrypted export half-written in the exports folder
    # would stay there for good, never reached by the exports' expiry.
    dead = pid_that_has_ended()
    left = [tmp_path / f".r.geojson.{dead}-abc123.staged.geojson",
            tmp_path / f".r.geojson.{dead}-def456.tmp"]  # fmt: skip
    running = tmp_path / f".r.geojson.{os.getpid()}-ghi789.tmp"
    for path in [*left, running]:
        path.write_text("half")
    with STAGERS[writer](tmp_path) as staged:
        (staged[0] if isinstance(staged, tuple) else staged).write_text("whole")
    written = {"output_set": ["r.geojson", "r.png"], "atomic_path": ["r.geojson"]}[writer]
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, *written]


def then_ctrl_c(make: Callable[..., Any]) -> Callable[..., Any]:
    """``make`` (mkstemp, mkdtemp) followed at once by a real SIGINT to this process."""

    def made_then_interrupted(*args: Any, **kwargs: Any) -> Any:
        made = make(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return made

    return made_then_interrupted


STAGERS = {
    "output_set": lambda folder: output_set(folder / "r.geojson", folder / "r.png"),
    "atomic_path": lambda folder: atomic_path(folder / "r.geojson"),
    "atomic_folder": lambda folder: atomic_folder(folder / "out"),
}


@pytest.mark.parametrize("stager", STAGERS)
def test_ctrl_c_while_staging_is_made_leaves_nothing(
    stager: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI once found a staged map left after Ctrl-C: the SIGINT came between the map's
    # staged file being created and its being recorded for removal. Here a real SIGINT
    # arrives right after each staged file or folder is created, the narrowest such moment.
    monkeypatch.setattr(tempfile, "mkstemp", then_ctrl_c(tempfile.mkstemp))
    monkeypatch.setattr(tempfile, "mkdtemp", then_ctrl_c(tempfile.mkdtemp))
    with pytest.raises(KeyboardInterrupt), STAGERS[stager](tmp_path):
        pytest.fail("the outputs' work began although Ctrl-C came while they were staged")
    assert list(tmp_path.iterdir()) == []


def test_a_ctrl_c_held_back_goes_to_the_handler_that_was_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server (uvicorn) has its own SIGINT handler for a graceful stop: a Ctrl-C held back
    # while a file is staged reaches it afterwards rather than raising in the middle of it.
    monkeypatch.setattr(tempfile, "mkstemp", then_ctrl_c(tempfile.mkstemp))
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        with atomic_path(tmp_path / "r.geojson") as staged:
            staged.write_text("whole")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert received == [signal.SIGINT, signal.SIGINT]  # the probe's and the staged file's
    assert [p.name for p in tmp_path.iterdir()] == ["r.geojson"]


def test_create_once_makes_a_key_whole_and_never_over_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "store.key"
    create_once(key, b"secret\n")
    assert key.read_bytes() == b"secret\n" and key.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        create_once(key, b"another\n")
    assert key.read_bytes() == b"secret\n"
    assert [p.name for p in tmp_path.iterdir()] == ["store.key"]  # no temporary left

    # A file system without hard links (FAT: a key kept on a USB stick) refuses link();
    # no FAT can be mounted here, so its answer is given in place of the kernel's.
    def no_links(*_args: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    create_once(tmp_path / "usb.key", b"on a stick\n")
    assert (tmp_path / "usb.key").read_bytes() == b"on a stick\n"
    with pytest.raises(FileExistsError):
        create_once(tmp_path / "usb.key", b"another\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.key", "usb.key"]
