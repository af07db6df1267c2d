"""Issue 18, items 4, 5, 8 and 9 on the ``note`` command: each bad input is one line, exit
status 2 (a usage error) or 1 (a value out of range), and no file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from safeconduct.entrypoints.cli.app import main
from safeconduct.errors import OutOfRangeError
from safeconduct.note.typefaces import right_to_left_scripts
from safeconduct.services.note import render_note

from .conftest import FUTURE_MARCH_14, HOTLINE

LEAFLET = ["--lang", "ru", "--kind", "leaflet", "--hotline", HOTLINE, "--meeting-point", "48.6,38"]


def _refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run ``note`` through the real entry point; its exit status and its one error line."""
    out = tmp_path / "note.pdf"
    with pytest.raises(SystemExit) as info:
        main(["note", "--out", str(out), *args])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert list(tmp_path.iterdir()) == [], "nothing may be written"
    return int(info.value.code or 0), lines[0]


@pytest.mark.parametrize(
    "when", [["0001-01-01T00:00", "--tz", "Europe/Kyiv"], ["9999-12-31T23:59-05:00"]]
)
def test_leaflet_meeting_time_at_the_calendars_edge_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, when: list[str]
) -> None:
    code, line = _refused(capsys, tmp_path, *LEAFLET, "--meeting-time", *when)
    assert code == 2
    assert line.startswith("safeconduct: error: --meeting-time: ")
    assert "out of the calendar's range; check the year" in line


def test_leaflet_meeting_time_in_year_9999_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, line = _refused(capsys, tmp_path, *LEAFLET, "--meeting-time", "9999-12-31T23:59+00:00")
    assert code == 1
    assert line.startswith("safeconduct: error: --meeting-time: 9999-12-31T23:59+00:00 is more")


@pytest.mark.parametrize(
    "zone",
    [
        "Europe",  # a folder of zones: IsADirectoryError
        "A" * 1000,  # too long for a file name: OSError
        "Europe/",
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/Kyiv\x00",  # ValueError: embedded null byte
        " ",
    ],
    ids=["folder", "1000-chars", "trailing-slash", "dotdot", "absolute", "nul", "blank"],
)
def test_time_zone_that_is_no_zone_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, zone: str
) -> None:
    code, line = _refused(
        capsys, tmp_path, *LEAFLET, "--meeting-time", f"{FUTURE_MARCH_14}T06:30", "--tz", zone
    )
    assert code == 2
    assert line.startswith("safeconduct: error: --tz: unknown time zone ")
    assert len(line) < 200, "a long zone name is shortened in the message"


def test_leaflet_with_a_past_meeting_time_is_refused_as_the_mission_refuses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, line = _refused(
        capsys, tmp_path, *LEAFLET, "--meeting-time", "2020-03-01T05:30", "--tz", "Europe/Kyiv"
    )
    assert code == 1
    assert line.startswith(
        "safeconduct: error: --meeting-time: 2020-03-01T05:30+02:00 is already past (now "
    )
    assert line.endswith("); agree a new time")


def test_leaflet_meeting_time_just_past_is_refused_by_the_given_clock() -> None:
    from safeconduct.bootstrap import note_ports

    now = dt.datetime(2025, 3, 14, 4, 31, tzinfo=dt.UTC)  # 06:31 in Kyiv
    with pytest.raises(OutOfRangeError, match="is already past") as info:
        render_note(note_ports(), langs="ru", kind="leaflet", hotline=HOTLINE,
                    meeting_time="2025-03-14T06:30", tz="Europe/Kyiv", now=now)  # fmt: skip
    assert info.value.field == "meeting_time"


@pytest.mark.parametrize(
    ("hotline", "script"),
    [
        ("الخط الساخن ٠٠٠ ١٢٣", "Arabic"),  # noqa: RUF001 - the very text of the issue
        ("קו חם 123", "Hebrew"),
        ("+380 ١٢٣", "Arabic"),  # Arabic-Indic digits alone (bidi class AN)
        ("ܫܠܡܐ", "Syriac"),
    ],
)
def test_right_to_left_hotline_is_refused_naming_its_script(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, hotline: str, script: str
) -> None:
    code, line = _refused(capsys, tmp_path, "--lang", "ru", "--kind", "leaflet",
                          "--hotline", hotline)  # fmt: skip
    assert code == 2
    assert line.startswith(f"safeconduct: error: --hotline: the note cannot print {script} script")


@pytest.mark.parametrize(
    "text", ["+380 66 000 00 00", "@safe_exit", "Горячая линия 15-00", "Ελλάδα", "tel. ½"]
)
def test_left_to_right_text_has_no_right_to_left_script(text: str) -> None:
    assert right_to_left_scripts(text) == []


@pytest.mark.parametrize(("text", "script"), [("أحمد", "Arabic"), ("דוד", "Hebrew")])
def test_custody_documents_refuse_right_to_left_text_naming_the_script(
    text: str, script: str
) -> None:
    # The same defect on the prisoner's documents: drawn left to right, it would print reversed.
    from safeconduct.adapters.pdf.custody_documents import check_printable
    from safeconduct.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match=f"is in {script} script") as info:
        check_printable(text, "surname")
    assert info.value.field == "surname"
    check_printable("Иванов Ivanov", "surname")  # left-to-right text passes
