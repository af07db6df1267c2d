"""User mistakes: one line each, naming the field and no flag, and never a file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeconduct.bootstrap import note_ports
from safeconduct.errors import BadFileError, InvalidValueError, SafeconductError
from safeconduct.note import InvalidCaseCodeError
from safeconduct.note.layout import NoteDoesNotFitError
from safeconduct.services.note import make_note

from .conftest import CODE, HOTLINE

LEAFLET = {"kind": "leaflet", "hotline": HOTLINE, "case_code": CODE}


#: The real adapters: the files each mistake must not leave are real files.
PORTS = note_ports()


def _fails(
    tmp_path: Path,
    error: type[SafeconductError],
    match: str,
    field: str | None = None,
    **kwargs,
) -> SafeconductError:
    """Call make_note, expect ``error`` about ``field``, and check nothing was written."""
    out = kwargs.pop("out", tmp_path / "note.pdf")
    kwargs.setdefault("langs", "ru")
    with pytest.raises(error, match=match) as info:
        make_note(PORTS, out, png=True, **kwargs)
    exc = info.value
    assert "\n" not in str(exc)
    assert exc.field == field, (exc.field, str(exc))
    assert not exc.message.startswith("--") and " --" not in exc.message, exc.message
    leftovers = sorted(p.name for p in tmp_path.rglob("*"))
    assert leftovers == [], leftovers
    return exc


def test_unknown_language_lists_the_available_ones(tmp_path: Path) -> None:
    exc = _fails(
        tmp_path, InvalidValueError, "no catalogue for language 'xx'", "langs", langs="ru,xx"
    )
    assert "available: en, ru, uk" in exc.message


def test_invalid_case_code_names_the_character(tmp_path: Path) -> None:
    bad = CODE.replace("K", "0", 1)
    exc = _fails(tmp_path, InvalidCaseCodeError, "character 2", "case_code", case_code=bad)
    assert "'0'" in exc.message


def test_mistyped_case_code_fails_its_check(tmp_path: Path) -> None:
    _fails(tmp_path, InvalidCaseCodeError, "fails its check", "case_code", case_code="K7DM-TW3K")


def test_meeting_time_without_a_zone(tmp_path: Path) -> None:
    exc = _fails(
        tmp_path,
        InvalidValueError,
        "no time zone",
        "meeting_time",
        meeting_time="2025-03-14T06:30",
        **LEAFLET,
    )
    assert "name the time zone" in exc.message and "Europe/Kyiv" in exc.message


@pytest.mark.parametrize(
    ("kwargs", "match", "field"),
    [
        ({"meeting_time": "tomorrow at six"}, "cannot read 'tomorrow at six'", "meeting_time"),
        ({"meeting_time": "2025-03-14T06:30", "tz": "Mars/Olympus"}, "unknown time zone", "tz"),
        (
            {"meeting_time": "2025-03-30T03:30", "tz": "Europe/Kyiv"},
            "does not exist",
            "meeting_time",
        ),
        (
            {"meeting_time": "2025-10-26T03:30", "tz": "Europe/Kyiv"},
            "happens twice",
            "meeting_time",
        ),
        ({"tz": "Europe/Kyiv"}, "give the meeting time too", "tz"),
        ({"meeting_point": "91,3"}, "latitude 91", "meeting_point"),
    ],
)
def test_bad_meeting_details(tmp_path: Path, kwargs: dict, match: str, field: str) -> None:
    _fails(tmp_path, InvalidValueError, match, field, **LEAFLET, **kwargs)


def test_unwritable_output_folder(tmp_path: Path) -> None:
    _fails(tmp_path, BadFileError, "does not exist", out=tmp_path / "missing" / "note.pdf")


def test_output_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(BadFileError, match="cannot write"):
        make_note(PORTS, blocker / "note.pdf", langs="ru", png=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_output_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out.pdf"
    folder.mkdir()
    with pytest.raises(BadFileError, match="is a folder"):
        make_note(PORTS, folder, langs="ru")
    assert list(folder.iterdir()) == []


def test_leaflet_needs_a_hotline(tmp_path: Path) -> None:
    _fails(tmp_path, InvalidValueError, "how to get in touch", "hotline", kind="leaflet")


def test_leaflet_does_not_fit_a_card(tmp_path: Path) -> None:
    exc = _fails(
        tmp_path, NoteDoesNotFitError, "does not fit on card", "size", size="card", **LEAFLET
    )
    assert "a6 or a5" in exc.message


def test_meeting_details_belong_on_the_leaflet(tmp_path: Path) -> None:
    _fails(
        tmp_path,
        InvalidValueError,
        "go on the leaflet",
        "meeting_point",
        meeting_point="48.61,38.02",
    )
    _fails(
        tmp_path,
        InvalidValueError,
        "go on the leaflet",
        "meeting_time",
        meeting_time="2025-03-14T06:30+02:00",
        meeting_point="48.61,38.02",
    )


@pytest.mark.parametrize(
    ("kwargs", "match", "field"),
    [
        ({"kind": "flyer"}, "not a kind", "kind"),
        ({"size": "a4"}, "not a paper size", "size"),
        ({"hotline": "line one\nline two"}, "one line", "hotline"),
        ({"hotline": "x" * 61}, "too long", "hotline"),
        ({"hotline": "\U0001f4de 123"}, "cannot print", "hotline"),
    ],
)
def test_other_bad_arguments(tmp_path: Path, kwargs: dict, match: str, field: str) -> None:
    _fails(tmp_path, InvalidValueError, match, field, **kwargs)


def test_an_earlier_file_is_left_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "note.pdf"
    out.write_bytes(b"old")
    with pytest.raises(InvalidValueError):
        make_note(PORTS, out, langs="ru,xx")
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.pdf"]
