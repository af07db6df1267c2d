"""Atomic output: the final name appears only with complete content."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeconduct.adapters.files.atomic import atomic_path, check_writable, write_text_atomic
from safeconduct.errors import BadFileError


def test_success_renames_into_place(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    write_text_atomic(target, "hello")
    assert target.read_text() == "hello"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failure_leaves_previous_content_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(BadFileError, match="does not exist"):
        write_text_atomic(tmp_path / "nope" / "out.txt", "x")


def test_check_writable_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(BadFileError, match="is a folder"):
        check_writable(tmp_path)
