"""``safeconduct backup`` and ``safeconduct restore`` as a user runs them: a backup of a
running ``serve`` taking writes, restored and served again with every write acknowledged
before the backup; a round trip through the commands on SQLite and PostgreSQL (the
restored cases listed by ``cases list``); every refusal as one line naming the option at
fault, never a traceback."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from safeconduct.adapters.crypto.keyfile import new_master_key, write_key_file
from tests.cli.conftest import run_process
from tests.reliability.faults.processes import Served
from tests.reliability.faults.writes import (
    Writers,
    add_users,
    check_acknowledged,
    check_records,
    sign_in,
)
from tests.store.conftest import (  # noqa: F401 - fixtures used here
    Store,
    _no_database_from_the_environment,
    engine,
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


def test_backup_of_a_running_service(
    store: Store,  # noqa: F811
    engine: object,  # noqa: F811 - migrated, for the service's users
    target: Target,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``safeconduct backup`` run beside a ``serve`` that a client keeps writing to (cases,
    messages, prisoners' registrations): the service answers every write meanwhile; the
    backup, restored into an empty database and served there, holds every write
    acknowledged before the backup began, intact, nothing half-written (each record with
    its audit entry and the reverse), and its audit chain verifies."""
    add_users(store.url)
    out = tmp_path / "live.scb"
    served = Served(store.cli_args, tmp_path / "logs").start()
    writers = Writers(served.url, sign_in(served.url), threads=1).start()
    try:
        writers.wait_for(4)
        before = writers.acked()
        started = time.monotonic()
        made = run_process("backup", "--out", str(out), *store.cli_args, timeout=120)
        ended = time.monotonic()
        writers.wait_for(len(writers.acked()) + 1)  # and it keeps taking writes
        writers.stop()
    finally:
        writers.stop()
        served.stop()
    assert made.returncode == 0, made.stderr
    assert set(writers.statuses()) == {201}, f"answers while backing up: {writers.statuses()}"
    assert writers.statuses(started, ended).get(201, 0) > 0, "no write answered during the backup"

    back = run_process("restore", str(out), *target.store.cli_args, timeout=120)
    assert back.returncode == 0, back.stderr
    assert "audit chain verified" in back.stdout
    again = Served(target.store.cli_args, tmp_path / "logs-restored").start()
    try:
        check_acknowledged(again.url, writers.tokens, before)
        counts = check_records(target.store.url, again.url, writers.tokens)
    finally:
        again.stop()
    assert counts["cases"] >= len([a for a in before if a.kind == "case"])


def test_relative_folders(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--data d1`` as typed in the folder that holds it (a relative path)."""
    monkeypatch.chdir(tmp_path)
    assert cli("cases", "new", "--lang", "ru", "--data", "d1").code == 0
    made = cli("backup", "--out", "b.scb", "--data", "d1")
    assert made.code == 0, made.err
    back = cli("restore", "b.scb", "--data", "d2")
    assert back.code == 0, back.err
    assert "cases 1" in back.out
