"""The use case reaches fonts, PDF, previews and files only through its ports."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from safeconduct.errors import InvalidValueError
from safeconduct.services.note import NotePorts, RenderedNote, make_note, render_note

from .conftest import CODE


class RecordingFiles:
    """A ``NoteFiles`` that keeps what it is asked to write instead of writing it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def check_writable(self, path: str | os.PathLike[str]) -> None:
        self.calls.append(("check", Path(path)))

    def write_files(self, files: Sequence[tuple[str | os.PathLike[str], bytes]]) -> None:
        self.calls.append(("write", [(Path(p), data) for p, data in files]))


class NoFiles:
    """A ``NoteFiles`` that must not be used."""

    def check_writable(self, path: str | os.PathLike[str]) -> None:
        raise AssertionError("render_note touched the files")

    def write_files(self, files: Sequence[tuple[str | os.PathLike[str], bytes]]) -> None:
        raise AssertionError("render_note touched the files")


def test_render_note_stays_in_memory(
    ports: NotePorts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    note = render_note(
        dataclasses.replace(ports, files=NoFiles()),
        langs=["ru", "en"],
        case_code=CODE,
        png=True,
    )
    assert isinstance(note, RenderedNote)
    assert note.pdf.startswith(b"%PDF-")
    assert len(note.pngs) == 2 and all(p.startswith(b"\x89PNG") for p in note.pngs)
    assert (note.kind, note.size, note.langs, note.case_code) == (
        "drop",
        "card",
        ("ru", "en"),
        CODE,
    )
    assert not note.generated_code and len(note.body_sizes) == 2
    assert list(tmp_path.iterdir()) == []


def test_render_note_without_previews_renders_none(ports: NotePorts) -> None:
    class NoPreviews:
        def render_pngs(self, pdf: bytes, dpi: int) -> list[bytes]:
            raise AssertionError("previews were not asked for")

    note = render_note(dataclasses.replace(ports, previews=NoPreviews()), langs="uk")
    assert note.pngs == () and note.generated_code


def test_make_note_checks_first_and_writes_everything_through_its_port(
    ports: NotePorts, tmp_path: Path
) -> None:
    files = RecordingFiles()
    out = tmp_path / "note.pdf"
    summary = make_note(
        dataclasses.replace(ports, files=files), out, langs=["ru"], kind="drop", png=True
    )
    assert files.calls[0] == ("check", out)
    kind, written = files.calls[1]
    assert kind == "write" and len(files.calls) == 2
    assert [p for p, _ in written] == [out, tmp_path / "note-1.png"]  # type: ignore[union-attr]
    assert written[0][1].startswith(b"%PDF-")  # type: ignore[index]
    # The rehearsal reads the preview from where the summary says it is.
    assert summary.path == out and summary.png_paths == (tmp_path / "note-1.png",)
    assert list(tmp_path.iterdir()) == []  # the fake port wrote nothing


def test_nothing_is_written_when_rendering_fails(ports: NotePorts, tmp_path: Path) -> None:
    files = RecordingFiles()
    with pytest.raises(InvalidValueError):
        make_note(dataclasses.replace(ports, files=files), tmp_path / "n.pdf", langs="ru,xx")
    assert [kind for kind, _ in files.calls] == ["check"]
