"""``safeconduct intake telegram``: the token file, read and guarded."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeconduct.entrypoints.cli.errors import flag_for
from safeconduct.entrypoints.cli.telegram import read_token
from safeconduct.errors import BadFileError


def test_the_token_is_the_file_s_first_line(tmp_path: Path) -> None:
    token_file = tmp_path / "bot.token"
    token_file.write_text("  123:abc-DEF \n# a note\n")
    token_file.chmod(0o600)
    assert read_token(token_file) == "123:abc-DEF"


@pytest.mark.parametrize("content", ["", "\n\n", "123 456"])
def test_an_empty_or_broken_token_file_is_refused(tmp_path: Path, content: str) -> None:
    token_file = tmp_path / "bot.token"
    token_file.write_text(content)
    with pytest.raises(BadFileError) as raised:
        read_token(token_file)
    assert raised.value.field == "token_file"
    assert flag_for("token_file") == "--token-file"


def test_a_missing_token_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BadFileError) as raised:
        read_token(tmp_path / "absent")
    assert raised.value.field == "token_file"
    assert "absent" in raised.value.message


def test_a_token_file_others_can_read_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "bot.token"
    token_file.write_text("123:abc\n")
    token_file.chmod(0o644)
    assert read_token(token_file) == "123:abc"
    assert "chmod 600" in capsys.readouterr().err
