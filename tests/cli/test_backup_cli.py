"""``safeconduct backup`` and ``safeconduct restore`` as a user runs them: a round trip
through the commands on SQLite and PostgreSQL (the restored cases listed by ``cases
list``), and every refusal as one line naming the option at fault, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safeconduct.adapters.crypto.keyfile import new_master_key, write_key_file
from tests.store.conftest import (  # noqa: F401 - fixtures used here
    Store,
    _no_database_from_the_environment,
    store,
)
from tests.store.test_backup import Target, target  # noqa: F401 - fixture used here

CODE = re.compile(r"^\s*([0-9A-Z]{4}-[0-9A-Z]{4})\s", re.MULTILINE)


def _one_line(err: str, starts: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"safeconduct: error: {starts}"), err
    assert "Traceback" not in err


def test_backup_then_restore(cli, store: Store, target: Target, tmp_path: Path) -> None:  # noqa: F811
    opened = cli("cases", "new", "--lang", "ru", *store.cli_args)
    assert opened.code == 0, opened.err
    out = tmp_path / "service.scb"

    made = cli("backup", "--out", str(out), *store.cli_args)
    assert made.code == 0, made.err
    assert made.out.startswith(f"wrote {out} (") and "cases 1" in made.out

    back = cli("restore", str(out), *target.store.cli_args)
    assert back.code == 0, back.err
    assert "restored " in back.out and "audit chain verified" in back.out
    assert "each table's rows equal to the backup's" in back.out

    listed = cli("cases", "list", *target.store.cli_args)
    assert listed.code == 0, listed.err
    assert CODE.findall(listed.out) == [opened.out.strip()]

    again = cli("restore", str(out), *target.store.cli_args)
    assert again.code == 1
    _one_line(again.err, f"{target.store.cli_args[0]}: ")
    assert "is not empty" in again.err and "nothing was restored" in again.err


def test_refusals_are_one_line(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = ["--data", str(tmp_path / "data")]
    assert cli("cases", "new", "--lang", "uk", *data).code == 0
    out = tmp_path / "b.scb"
    assert cli("backup", "--out", str(out), *data).code == 0
    empty = ["--data", str(tmp_path / "empty")]

    missing = cli("restore", str(tmp_path / "nothing.scb"), *empty)
    assert missing.code == 1
    _one_line(missing.err, "FILE: there is no backup file")

    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    not_backup = cli("restore", str(text), *empty)
    _one_line(not_backup.err, "FILE: ")
    assert "is not a safeconduct backup" in not_backup.err

    other_key = tmp_path / "other.key"
    write_key_file(other_key, new_master_key())
    wrong = cli("restore", str(out), *empty, "--key-file", str(other_key))
    assert wrong.code == 1
    _one_line(wrong.err, "--key-file: ")
    assert "was made with the key file of master key" in wrong.err

    no_folder = cli("backup", "--out", str(tmp_path / "no" / "b.scb"), *data)
    assert no_folder.code == 1
    _one_line(no_folder.err, "--out: ")

    monkeypatch.delenv("SAFECONDUCT_KEY_FILE")
    no_key = cli("restore", str(out), *empty)
    assert no_key.code == 1
    _one_line(no_key.err, "--key-file: give the key file")
    assert not (tmp_path / "empty" / "safeconduct.db").exists(), "nothing was written"
