"""``safeconduct intake telegram``: the token file, read and guarded."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from safeconduct.entrypoints.cli.errors import flag_for
from safeconduct.entrypoints.cli.telegram import read_token
from safeconduct.errors import BadFileError
from tests.chat.fake_bot_api import FakeBotApi
from tests.conftest import TEST_KEY_FILE

CODE = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}\b")


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


# ----------------------------------------------------------------- the command, end to end


def _bot_process(api: FakeBotApi, tmp_path: Path, token: str) -> subprocess.Popen[str]:
    token_file = tmp_path / "bot.token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    argv = [
        str(Path(sys.executable).with_name("safeconduct")),
        "intake", "telegram", "--token-file", str(token_file), "--api-url", api.url,
        "--data", str(tmp_path / "data"), "--poll-timeout", "1",
    ]  # fmt: skip
    env = {**os.environ, "SAFECONDUCT_KEY_FILE": str(TEST_KEY_FILE)}
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip


def test_the_bot_runs_until_stopped_and_never_shows_its_token(tmp_path: Path) -> None:
    with FakeBotApi() as api:
        process = _bot_process(api, tmp_path, api.token)
        try:
            user = api.user(801)
            texts: list[str] = []
            for answer in ["привет", "1", "1", "3", "нет", "ночью", "1"]:
                texts.extend(user.chat(answer, timeout_s=60))
            assert any(CODE.search(t) for t in texts)
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "@safeconduct_test_bot" in out
    assert "stopped: 7 messages taken" in out
    assert api.token not in out + err
    assert api.pending_updates() == []


def test_a_token_the_api_refuses_is_named(tmp_path: Path) -> None:
    with FakeBotApi() as api:
        process = _bot_process(api, tmp_path, "42:not-this-bot")
        out, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert err.startswith("safeconduct: error: --token-file: the Bot API refused the bot token")
    assert "not-this-bot" not in out + err
