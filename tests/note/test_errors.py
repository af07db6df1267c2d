"""User mistakes: one line each, a usage or file error, and never a file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeconduct.errors import BadFileError, InvalidValueError, SafeconductError
from safeconduct.note import InvalidCaseCodeError
from safeconduct.note.layout import NoteDoesNotFitError
from safeconduct.services.note import make_note

from .conftest import CODE, HOTLINE

LEAFLET = {"kind": "leaflet", "hotline": HOTLINE, "case_code": CODE}


def _fails(tmp_path: Path, error: type[SafeconductError], match: str, **kwargs) -> str:
    out = kwargs.pop("out", tmp_path / "note.pdf")
    kwargs.setdefault("langs", "ru")
    with pytest.raises(error, match=match) as info:
        make_note(out, png=True, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    leftovers = sorted(p.name for p in tmp_path.rglob("*"))
    assert leftovers == [], leftovers
    return message


def test_unknown_language_lists_the_available_ones(tmp_path: Path) -> None:
    message = _fails(tmp_path, InvalidValueError, "no catalogue for language 'xx'", langs="ru,xx")
    assert "available: en, ru, uk" in message


def test_invalid_case_code_names_the_character(tmp_path: Path) -> None:
    bad = CODE.replace("K", "0", 1)
    message = _fails(tmp_path, InvalidCaseCodeError, "character 2", case_code=bad)
    assert "'0'" in message


def test_mistyped_case_code_fails_its_check(tmp_path: Path) -> None:
    _fails(tmp_path, InvalidCaseCodeError, "fails its check", case_code="K7DM-TW3K")


def test_meeting_time_without_a_zone(tmp_path: Path) -> None:
    message = _fails(
        tmp_path, InvalidValueError, "no time zone", meeting_time="2025-03-14T06:30", **LEAFLET
    )
    assert "--tz" in message


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"meeting_time": "tomorrow at six"}, "cannot read 'tomorrow at six'"),
        ({"meeting_time": "2025-03-14T06:30", "tz": "Mars/Olympus"}, "unknown time zone"),
        ({"meeting_time": "2025-03-30T03:30", "tz": "Europe/Kyiv"}, "does not exist"),
        ({"meeting_time": "2025-10-26T03:30", "tz": "Europe/Kyiv"}, "happens twice"),
        ({"tz": "Europe/Kyiv"}, "give --meeting-time too"),
        ({"meeting_point": "91,3"}, "latitude 91"),
    ],
)
def test_bad_meeting_details(tmp_path: Path, kwargs: dict, match: str) -> None:
    _fails(tmp_path, InvalidValueError, match, **LEAFLET, **kwargs)


def test_unwritable_output_folder(tmp_path: Path) -> None:
    _fails(tmp_path, BadFileError, "does not exist", out=tmp_path / "missing" / "note.pdf")


def test_output_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(BadFileError, match="cannot write"):
        make_note(blocker / "note.pdf", langs="ru", png=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_output_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out.pdf"
    folder.mkdir()
    with pytest.raises(BadFileError, match="is a folder"):
        make_note(folder, langs="ru")
    assert list(folder.iterdir()) == []


def test_leaflet_needs_a_hotline(tmp_path: Path) -> None:
    _fails(tmp_path, InvalidValueError, "--hotline", kind="leaflet")


def test_leaflet_does_not_fit_a_card(tmp_path: Path) -> None:
    message = _fails(tmp_path, NoteDoesNotFitError, "does not fit on card", size="card", **LEAFLET)
    assert "a6 or a5" in message


def test_meeting_details_belong_on_the_leaflet(tmp_path: Path) -> None:
    _fails(tmp_path, InvalidValueError, "go on the leaflet", meeting_point="48.61,38.02")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "flyer"}, "not a kind"),
        ({"size": "a4"}, "not a paper size"),
        ({"hotline": "line one\nline two"}, "one line"),
        ({"hotline": "x" * 61}, "too long"),
        ({"hotline": "\U0001f4de 123"}, "cannot print"),
    ],
)
def test_other_bad_arguments(tmp_path: Path, kwargs: dict, match: str) -> None:
    _fails(tmp_path, InvalidValueError, match, **kwargs)


def test_an_earlier_file_is_left_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "note.pdf"
    out.write_bytes(b"old")
    with pytest.raises(InvalidValueError):
        make_note(out, langs="ru,xx")
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.pdf"]
