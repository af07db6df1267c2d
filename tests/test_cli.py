"""The command line: help everywhere, version, one-line errors, exit statuses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from safeconduct import __version__
from safeconduct.entrypoints.cli.app import app, main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point exactly as a user would."""
    code = "from safeconduct.entrypoints.cli.app import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def command_names() -> list[str]:
    import typer.main

    return sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"safeconduct {__version__}"


@pytest.mark.parametrize("name", command_names())
def test_every_sub_command_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    assert "Usage:" in capsys.readouterr().out


def test_bad_point_is_one_line_usage_error() -> None:
    result = run_cli("point", "91,3")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("safeconduct: error: POINT: latitude 91")
    assert "Traceback" not in result.stderr


def test_verbose_shows_the_details() -> None:
    result = run_cli("--verbose", "point", "foo")
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_point_prints_both_forms(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["point", "37U DQ 12345 67890"])
    assert info.value.code == 0
    shown = capsys.readouterr().out
    assert "MGRS     37U DQ 12345 67890" in shown
    assert "LAT,LON  49.35742" in shown


def test_negative_latitude_is_not_taken_for_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["point", "--", "-33.9,18.4"])
    assert info.value.code == 0
    assert "-33.900000,18.400000" in capsys.readouterr().out


def test_unknown_command_is_usage_error() -> None:
    result = run_cli("fly-somewhere")
    assert result.returncode == 2


def test_demo_rehearses_the_sample_operation(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    with pytest.raises(SystemExit) as info:
        main(["demo", "--out", str(tmp_path)])
    assert info.value.code == 0
    shown = capsys.readouterr().out
    assert "reached the reception point" in shown and "report.html" in shown
    for name in ("area/dem.tif", "area/hazards.geojson", "report.html", "route.geojson"):
        assert (tmp_path / name).is_file(), name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["route"]["length_m"] > 1000
    from PIL import Image

    with Image.open(tmp_path / "map.png") as picture:
        assert picture.format == "PNG" and min(picture.size) > 500
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 1000  # a real picture, not a blank
