"""``safeconduct purge`` and the scheduled purge of ``serve``, on SQLite and PostgreSQL:
counts per rule, a dry run that changes nothing, the key file rotated in place, a second
run that finds nothing, settings files refused naming the key at fault, and an interrupted
rotation explained at the next start."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeconduct import bootstrap
from safeconduct.adapters.crypto.envelope import AesGcmFieldCipher
from safeconduct.adapters.crypto.keyfile import new_master_key, read_key_file, write_key_file
from safeconduct.adapters.crypto.reloading import pending_key_file
from safeconduct.adapters.store.keys import SqlDataKeys
from safeconduct.services.casework import CaseworkPorts
from tests.store.conftest import Store
from tests.store.test_cli import run
from tests.store.test_retention import Service

LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)  # every period of the defaults is over


@pytest.fixture
def service(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Service:
    key_file = tmp_path / "keys" / "master.key"
    key_file.parent.mkdir()
    write_key_file(key_file, new_master_key())
    monkeypatch.setenv("SAFECONDUCT_KEY_FILE", str(key_file))
    return Service(engine, key_file)


def _cases(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM cases")).scalar_one())


def test_purge_command(
    store: Store, service: Service, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    doomed = service.case(at=LONG_AGO)
    service.say(doomed, "Меня зовут Павел", at=LONG_AGO)
    service.case("schedule", "abort", at=LONG_AGO)
    service.case("schedule", at=LONG_AGO)  # active: kept
    old_id = read_key_file(service.key_file).key_id

    status, out, err = run(["purge", "--dry-run", *store.cli_args], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    assert "would purge     1  contacts that never became an operation (contact)" in out
    assert "would purge     1  operations ended before anyone arrived" in out
    assert _cases(service.engine) == 3 and read_key_file(service.key_file).key_id == old_id

    status, out, err = run(["purge", *store.cli_args], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    assert "purged     1  contacts" in out and "master key rotated to" in out
    assert _cases(service.engine) == 1
    assert read_key_file(service.key_file).key_id != old_id

    status, out, err = run(["purge", *store.cli_args], capsys, monkeypatch)
    assert status == 0 and "purged     0" in out and "rotated" not in out


def test_purge_settings_are_checked(
    store: Store, service: Service, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "retention.toml"
    settings.write_text("[retention]\nended_operation_days = 0\n", encoding="utf-8")
    argv = ["purge", "--settings", str(settings), *store.cli_args]
    status, _, err = run(argv, capsys, monkeypatch)
    assert status != 0 and "retention.ended_operation_days:" in err and "1 to 36500" in err
    status, _, err = run(
        ["purge", "--settings", str(tmp_path / "no.toml"), *store.cli_args], capsys, monkeypatch
    )
    assert status != 0 and err.startswith("safeconduct: error: --settings: ")
    service.case(at=LONG_AGO)
    settings.write_text("[retention]\ncontact_days = 36500\n", encoding="utf-8")
    status, out, _ = run(argv, capsys, monkeypatch)
    assert status == 0 and "purged     0  contacts" in out and _cases(service.engine) == 1


def test_an_interrupted_rotation_is_explained_at_start(
    store: Store, service: Service, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.say(service.case(), "текст")
    old = AesGcmFieldCipher(read_key_file(service.key_file))
    new_key = new_master_key(index_key=read_key_file(service.key_file).index_key)
    write_key_file(pending_key_file(service.key_file), new_key)
    SqlDataKeys(service.engine).rewrap_all(lambda k: old.rewrap(k, AesGcmFieldCipher(new_key)))
    status, _, err = run(["purge", "--dry-run", *store.cli_args], capsys, monkeypatch)
    assert status != 0 and "rotation (after a purge) was interrupted" in err and "mv " in err


def test_serve_purges_on_a_schedule(service: Service) -> None:
    service.case(at=LONG_AGO)
    casework = CaseworkPorts(database=service.database, passwords=service.casework.passwords)
    ports = bootstrap.retention_ports(casework, key_file=service.key_file, settings=None, db="x")
    stop = bootstrap.start_purge_job(ports, every_s=0.05)
    try:
        deadline = time.monotonic() + 20
        while _cases(service.engine) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop()
    assert _cases(service.engine) == 0


def test_cases_message_commands(
    store: Store, service: Service, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = str(service.case())
    photo = tmp_path / "фото.jpg"
    photo.write_bytes(b"\xff\xd8 jpeg")
    add = ["cases", "message", "add", case_id, *store.cli_args]
    status, out, err = run([*add, "--text", "Я здесь", "--direction", "in"], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    first = out.split()[-1]
    status, out, err = run([*add, "--attach", str(photo)], capsys, monkeypatch)
    assert status == 0, err
    status, out, _ = run(
        ["cases", "message", "list", case_id, *store.cli_args], capsys, monkeypatch
    )
    assert "Я здесь" in out and "фото.jpg (image/jpeg)" in out and "person" in out
    delete = ["cases", "message", "delete", case_id, first, *store.cli_args]
    status, out, err = run(delete, capsys, monkeypatch)
    assert (status, err) == (0, "") and "deleted message" in out
    status, out, _ = run(
        ["cases", "message", "list", case_id, *store.cli_args], capsys, monkeypatch
    )
    assert "Я здесь" not in out and "фото.jpg" in out
    status, out, err = run([*add, "--text", "и это", "--attach", str(photo)], capsys, monkeypatch)
    third = out.split()[-1]
    only = ["cases", "message", "delete", case_id, third, "--attachment-only", *store.cli_args]
    status, out, err = run(only, capsys, monkeypatch)
    assert (status, err) == (0, "") and "deleted the attachment" in out
    status, out, _ = run(
        ["cases", "message", "list", case_id, *store.cli_args], capsys, monkeypatch
    )
    assert out.count("фото.jpg") == 1 and "и это" in out
    status, _, err = run(delete, capsys, monkeypatch)
    assert status != 0 and err.startswith("safeconduct: error: MESSAGE_ID: ")
    status, _, err = run([*add, "--direction", "sideways", "--text", "x"], capsys, monkeypatch)
    assert status != 0 and "--direction: " in err


def test_purge_deletes_the_kept_exports_that_expired(
    store: Store, service: Service, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store.backend != "sqlite":
        pytest.skip("kept exports live in the data folder, which --db has none of")
    from safeconduct.adapters.formats.export_archive import FolderExports

    old, new = "0" * 32, "f" * 32  # export ids: 32 hex digits
    kept = FolderExports(Path(store.cli_args[1]) / "exports")
    kept.keep(old, b"PK", {"expires_at": LONG_AGO.isoformat(), "maker": "rita"})
    kept.keep(new, b"PK", {"expires_at": "2999-01-01T00:00:00+00:00", "maker": "rita"})
    status, out, _ = run(["purge", "--dry-run", *store.cli_args], capsys, monkeypatch)
    assert status == 0 and "export" not in out and kept.archive(old) == b"PK"
    status, out, err = run(["purge", *store.cli_args], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    assert "deleted 1 expired export(s)" in out
    assert kept.archive(old) is None and kept.archive(new) == b"PK"
