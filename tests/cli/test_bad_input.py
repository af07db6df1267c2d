"""Bad input on the command line: one clean line, the right exit status, nothing written.

Each test is named after a defect found by trying the commands as a hostile new user
(issue 18); the siblings of each defect on the other commands are tested beside it.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import Run, run_process

START = "48.59252,38.01946"  # the sample area's meeting point
MARKUP_NAME = "Checkpoint [north gate] :cross_mark: A"


def one_line_error(run: Run, code: int = 2) -> str:
    """The single error line of a refused command (asserting the refusal's shape)."""
    assert run.code == code, run
    assert "Traceback" not in run.err
    assert len(run.error_lines) == 1, run.err
    line = run.error_lines[0]
    assert line.startswith("safeconduct: error: ")
    return line


@pytest.fixture
def area(sample_area: Path, tmp_path: Path) -> Path:
    """A private copy of the sample area (tests here may try to overwrite its files)."""
    return Path(shutil.copytree(sample_area, tmp_path / "area"))


# ---- 1. user text is never read as rich markup or emoji codes ----------------------------


def test_point_with_rich_markup_in_the_argument_is_printed_verbatim(cli) -> None:
    line = one_line_error(cli("point", "[/x]"))
    assert "'[/x]'" in line


def test_point_with_an_opening_markup_tag_is_printed_verbatim(cli) -> None:
    line = one_line_error(cli("point", "[bold]x :cross_mark:"))
    assert "'[bold]x :cross_mark:'" in line


def test_reception_name_with_markup_and_emoji_codes_is_printed_verbatim(
    cli, area: Path, tmp_path: Path
) -> None:
    doc = json.loads((area / "reception.geojson").read_text())
    for feature in doc["features"]:
        feature["properties"]["name"] = MARKUP_NAME
    (area / "reception.geojson").write_text(json.dumps(doc))
    args = ["route", "--dem", str(area / "dem.tif"), "--start", START,
            "--reception", str(area / "reception.geojson"),
            "--out", str(tmp_path / "r.geojson")]  # fmt: skip
    run = cli(*args)
    assert run.code == 0, run.err
    assert f"Route to {MARKUP_NAME} (tobler)" in run.out


def test_mission_release_with_an_emoji_code_is_printed_verbatim(cli, tmp_path: Path) -> None:
    route = tmp_path / "route.geojson"
    route.write_text("{}")
    args = ["mission", "--route", str(route), "--launch", START,
            "--out", str(tmp_path / "m"), "--release", "servo:abc:1500"]  # fmt: skip
    run = cli(*args)
    assert run.code != 0
    assert "servo:abc:1500" in run.err
    assert "🔤" not in run.err


def test_status_line_shows_markup_in_a_path_verbatim() -> None:
    from rich.console import Console

    from safeconduct.entrypoints.cli.display import status_line

    console = Console(file=io.StringIO(), force_terminal=True, markup=False, emoji=False)
    with status_line(console, "demo [/x]") as say:
        say("writing w/d/[/x]/area :cross_mark:")


def test_demo_into_a_folder_named_with_markup_prints_its_path_verbatim(cli, tmp_path: Path) -> None:
    (tmp_path / "w" / "[").mkdir(parents=True)
    out = tmp_path / "w" / "[" / "x]"
    run = cli("demo", "--out", str(out))
    assert run.code == 0, run.err
    assert f"open {out / 'report.html'} in a browser" in run.out
    assert (out / "report.html").is_file() and (out / "area" / "dem.tif").is_file()


# ---- 2. a negative seed -----------------------------------------------------------------


@pytest.mark.parametrize("command", ["sample", "demo", "rehearse"])
def test_negative_seed_is_refused_in_one_line_before_any_folder_is_made(
    cli, command: str, sample_area: Path, tmp_path: Path
) -> None:
    out = tmp_path / "s"
    extra = ["--area", str(sample_area)] if command == "rehearse" else []
    line = one_line_error(cli(command, "--out", str(out), "--seed", "-1", *extra))
    assert line == "safeconduct: error: --seed: give a whole number 0 or more, not -1"
    assert list(tmp_path.iterdir()) == []


# ---- 11. an output never overwrites an input --------------------------------------------


def test_viewshed_output_on_its_own_dem_is_refused(cli, area: Path) -> None:
    dem = area / "dem.tif"
    before = dem.read_bytes()
    line = one_line_error(
        cli(
            "viewshed", "--dem", str(dem), "--observer", START, "--out", str(area / "." / "dem.tif")
        )
    )
    assert line.startswith("safeconduct: error: --out: ")
    assert "--dem" in line
    assert dem.read_bytes() == before


def test_route_output_on_its_reception_layer_is_refused(cli, area: Path) -> None:
    reception = area / "reception.geojson"
    before = reception.read_bytes()
    args = ["route", "--dem", str(area / "dem.tif"), "--start", START,
            "--reception", str(reception), "--out", str(reception)]  # fmt: skip
    line = one_line_error(cli(*args))
    assert "--out" in line and "--reception" in line
    assert reception.read_bytes() == before


@pytest.mark.parametrize(
    ("flag", "layer"), [("--hazards", "hazards.geojson"), ("--observers", "observers.geojson")]
)
def test_route_map_on_an_input_layer_is_refused(cli, area: Path, flag: str, layer: str) -> None:
    before = (area / layer).read_bytes()
    args = ["route", "--dem", str(area / "dem.tif"), "--start", START,
            "--reception", str(area / "reception.geojson"), flag, str(area / layer),
            "--out", str(area / "r.geojson"), "--map", str(area / layer)]  # fmt: skip
    line = one_line_error(cli(*args))
    assert "--map" in line and flag in line
    assert (area / layer).read_bytes() == before
    assert not (area / "r.geojson").exists()


def test_route_map_and_output_on_one_file_are_refused(cli, area: Path) -> None:
    args = ["route", "--dem", str(area / "dem.tif"), "--start", START,
            "--reception", str(area / "reception.geojson"),
            "--out", str(area / "r.geojson"), "--map", str(area / "r.geojson")]  # fmt: skip
    run = cli(*args)
    one_line_error(run, code=1)
    assert not (area / "r.geojson").exists()


def test_exposure_output_on_its_observers_layer_is_refused(cli, area: Path) -> None:
    observers = area / "observers.geojson"
    before = observers.read_bytes()
    args = ["exposure", "--dem", str(area / "dem.tif"), "--observers", str(observers),
            "--out", str(observers)]  # fmt: skip
    line = one_line_error(cli(*args))
    assert "--out" in line and "--observers" in line
    assert observers.read_bytes() == before


def test_rehearse_into_its_own_area_folder_is_refused(cli, area: Path) -> None:
    before = {p.name: p.read_bytes() for p in area.iterdir()}
    line = one_line_error(cli("rehearse", "--area", str(area), "--out", str(area)))
    assert "--out" in line and "--area" in line
    assert {p.name: p.read_bytes() for p in area.iterdir()} == before


# ---- 12. errors stay one line when FFmpeg or mediapipe print first -----------------------


def test_damaged_video_is_one_line_without_ffmpeg_moov_atom_lines(cli, tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    from tests.signals.inputs import render_signal_video

    whole = render_signal_video(tmp_path / "whole.mp4").read_bytes()
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(whole[:2000])  # the header survives, the index (moov) does not
    run = run_process("signals", str(damaged), "--out", str(tmp_path / "out"))
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"safeconduct: error: cannot read video {damaged}: damaged, cut short, not a video, "
        "or in a codec OpenCV lacks; if it plays elsewhere, convert it: "
        f"ffmpeg -i {damaged} -c:v libx264 OUT.mp4"
    ]
    assert not (tmp_path / "out").exists()


def test_ffmpeg_opencv_and_libpng_lines_are_chatter_but_abseil_errors_are_kept() -> None:
    from safeconduct.adapters.vision.native_logs import drop_chatter

    captured = (
        b"[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55f3ec60a400] moov atom not found\n"
        b"[ WARN:0@0.012] global cap.cpp:175 open VIDEOIO(FFMPEG): backend failed\n"
        b"libpng warning: iCCP: known incorrect sRGB profile\n"
        b"W0000 00:00:1795781554.786218  13224 inference_feedback_manager.cc:114] x\n"
        b"E0000 00:00:1795781554.786218  13224 graph.cc:1] a real error\n"
    )
    assert (
        drop_chatter(captured) == b"E0000 00:00:1795781554.786218  13224 graph.cc:1] a real error\n"
    )


# ---- 14. smaller ones -------------------------------------------------------------------


def test_start_at_the_reception_point_says_the_person_is_already_there(
    cli, area: Path, tmp_path: Path
) -> None:
    reception = json.loads((area / "reception.geojson").read_text())["features"][0]
    lon, lat = reception["geometry"]["coordinates"][:2]
    args = ["route", "--dem", str(area / "dem.tif"), "--start", f"{lat},{lon}",
            "--reception", str(area / "reception.geojson"),
            "--out", str(tmp_path / "r.geojson")]  # fmt: skip
    line = one_line_error(cli(*args))
    assert line.startswith("safeconduct: error: --start: the person is already at the reception")
    assert not (tmp_path / "r.geojson").exists()


@pytest.mark.parametrize("form", ["separate", "equals"])
def test_empty_out_is_refused_instead_of_writing_into_the_current_folder(
    cli, area: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    monkeypatch.chdir(tmp_path)
    out = ["--out", ""] if form == "separate" else ["--out="]
    args = ["route", "--dem", str(area / "dem.tif"), "--start", START,
            "--reception", str(area / "reception.geojson"), *out]  # fmt: skip
    line = one_line_error(cli(*args))
    assert line == "safeconduct: error: --out is empty; give a file or folder name"
    assert list(tmp_path.iterdir()) == [area]


@pytest.mark.parametrize(
    "args",
    [
        ["sample", "--out", ""],
        ["rehearse", "--area", "", "--out", "x"],
        ["note", "--lang", "ru", "--out", ""],
        ["signals", ""],
        ["mission", "--route", "", "--launch", START, "--out", "m"],
    ],
    ids=["sample", "rehearse", "note", "signals", "mission"],
)
def test_empty_paths_are_refused_on_every_command(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_line_error(cli(*args))
    assert line.endswith(" is empty; give a file or folder name")
    assert list(tmp_path.iterdir()) == []


def test_nan_route_position_names_the_expected_form(cli, tmp_path: Path) -> None:
    route = tmp_path / "route.geojson"
    route.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"segments": [{}]}, "geometry": {"type": "LineString", '
        '"coordinates": [[38.0, 48.5, 1.0], [NaN, 48.5, 1.0]]}}]}'
    )
    args = ["mission", "--route", str(route), "--launch", START,
            "--out", str(tmp_path / "m")]  # fmt: skip
    line = one_line_error(cli(*args), code=1)
    assert "position 1 is not [lon, lat, elevation] in degrees" in line
    assert not (tmp_path / "m").exists()


def test_custody_document_on_the_key_file_is_refused_before_the_store_is_opened(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "master.key"
    key.write_bytes(b"a key that must survive")
    monkeypatch.setenv("SAFECONDUCT_KEY_FILE", str(key))
    args = ["custody", "card", "--prisoner", "1", "--out", str(key),
            "--data", str(tmp_path / "data")]  # fmt: skip
    line = one_line_error(cli(*args))
    assert "--out" in line and "--key-file" in line
    assert key.read_bytes() == b"a key that must survive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.key"]


def test_export_archive_on_its_password_file_is_refused(cli, tmp_path: Path) -> None:
    secret = tmp_path / "password.txt"
    secret.write_text("correct horse battery staple\n")
    args = ["export", "--out", str(secret), "--purpose", "test", "--case-code", "ABCD-EFGH",
            "--password-file", str(secret), "--data", str(tmp_path / "data")]  # fmt: skip
    line = one_line_error(cli(*args))
    assert "--out" in line and "--password-file" in line
    assert secret.read_text() == "correct horse battery staple\n"


def test_mission_output_on_its_route_file_is_refused(cli, tmp_path: Path) -> None:
    route = tmp_path / "route.geojson"
    route.write_text("{}")
    args = ["mission", "--route", str(route), "--launch", START, "--out", str(route)]
    line = one_line_error(cli(*args))
    assert "--out" in line and "--route" in line
    assert route.read_text() == "{}"


def test_signals_results_may_not_replace_the_source_video(cli, tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    from tests.signals.inputs import render_signal_video

    folder = tmp_path / "clips"
    folder.mkdir()
    video = render_signal_video(folder / "annotated.mp4", fps=5.0)
    before = video.read_bytes()
    line = one_line_error(cli("signals", str(video), "--out", str(folder)))
    assert "--out" in line and "SOURCE" in line
    assert video.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["annotated.mp4"]


WARNING_SCRIPT = """
import sys, warnings
from safeconduct.errors import OutOfRangeError
from safeconduct.services import planning

def noisy(*args, **kwargs):
    warnings.warn("invalid value encountered in divide", RuntimeWarning)
    raise OutOfRangeError("the observer sees nothing")

planning.viewshed = noisy
from safeconduct.entrypoints.cli.app import main
main()
"""


@pytest.mark.parametrize("verbose", [False, True])
def test_library_warnings_stay_out_of_the_one_line_error_unless_verbose(
    sample_area: Path, tmp_path: Path, verbose: bool
) -> None:
    import subprocess
    import sys

    args = ["--verbose"] if verbose else []
    args += ["viewshed", "--dem", str(sample_area / "dem.tif"), "--observer", START,
             "--out", str(tmp_path / "v.tif")]  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-W", "always", "-c", WARNING_SCRIPT, *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 1
    assert ("RuntimeWarning" in run.stderr) is verbose
    if not verbose:
        assert run.stderr.strip().splitlines() == ["safeconduct: error: the observer sees nothing"]
