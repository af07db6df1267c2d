"""The ``note`` command: arguments reach make_note, a short summary comes back."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from safeconduct.entrypoints.cli.note import note_command
from safeconduct.errors import InvalidValueError

from .conftest import FUTURE_MARCH_14

app = typer.Typer()
app.command("note")(note_command)
app.command("other")(lambda: None)  # two commands, so "note" is a sub-command as in the CLI


def test_note_command_writes_and_summarises(tmp_path: Path) -> None:
    out = tmp_path / "note.pdf"
    result = CliRunner().invoke(
        app, ["note", "--lang", "ru,uk", "--out", str(out), "--case-code", "7kdm tw3k"]
    )
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert f"wrote {out}: drop on card, 2 pages (ru, uk)" in result.output
    assert "case code 7KDM-TW3K (given" in result.output


def test_note_command_leaflet_with_meeting(tmp_path: Path) -> None:
    out = tmp_path / "leaflet.pdf"
    result = CliRunner().invoke(
        app,
        [
            "note",
            "--lang",
            "en",
            "--out",
            str(out),
            "--kind",
            "leaflet",
            "--hotline",
            "+380 66 000 00 00",
            "--meeting-time",
            f"{FUTURE_MARCH_14}T06:30",
            "--tz",
            "Europe/Kyiv",
            "--meeting-point",
            "48.61,38.02",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "leaflet on a6" in result.output and "generated" in result.output
    assert "(time zone: Kyiv, UTC+02:00)" in result.output


def test_note_command_passes_user_errors_up(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["note", "--lang", "xx", "--out", str(tmp_path / "n.pdf")])
    assert isinstance(result.exception, InvalidValueError)
    assert list(tmp_path.iterdir()) == []


def test_note_command_help() -> None:
    result = CliRunner().invoke(app, ["note", "--help"])
    assert result.exit_code == 0
    for option in (
        "--lang",
        "--out",
        "--png",
        "--kind",
        "--size",
        "--case-code",
        "--meeting-time",
        "--meeting-point",
        "--tz",
        "--hotline",
    ):
        assert option in result.output


def _cli_error(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the real command line; return its exit status and its one error line."""
    from safeconduct.entrypoints.cli.app import main

    with pytest.raises(SystemExit) as info:
        main(["note", *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return int(info.value.code or 0), lines[0]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--lang", "xx"], "--lang: no catalogue for language 'xx'"),
        (["--lang", "ru", "--kind", "flyer"], "--kind: 'flyer' is not a kind of note"),
        (["--lang", "ru", "--size", "a4"], "--size: 'a4' is not a paper size"),
        (["--lang", "ru", "--case-code", "7KDM-TW30"], "--case-code: character 9"),
        (["--lang", "ru", "--kind", "leaflet"], "--hotline: a leaflet tells the person"),
        (["--lang", "ru", "--tz", "Europe/Kyiv"], "--tz: names the zone of the meeting time"),
        (
            ["--lang", "ru", "--kind", "leaflet", "--hotline", "1", "--meeting-time", "6:30"],
            "--meeting-time: cannot read '6:30'",
        ),
        (["--lang", "ru", "--meeting-point", "48.61,38.02"], "--meeting-point: the meeting time"),
        (
            ["--lang", "ru", "--kind", "leaflet", "--hotline", "1", "--size", "card"],
            "--size: the leaflet in ru does not fit on card",
        ),
    ],
)
def test_cli_names_the_flag_of_each_mistake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    status, printed = _cli_error(capsys, "--out", str(tmp_path / "n.pdf"), *args)
    assert status == 2
    assert printed.startswith(f"safeconduct: error: {line}"), printed
    assert list(tmp_path.iterdir()) == []


def test_cli_file_error_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, printed = _cli_error(capsys, "--lang", "ru", "--out", str(tmp_path / "no" / "n.pdf"))
    assert status == 1
    assert printed.startswith("safeconduct: error: cannot write") and "does not exist" in printed
