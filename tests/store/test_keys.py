"""Keys end to end, on SQLite and PostgreSQL: ``keys init`` and ``keys rotate``, the store
refused without its key file or with another one (nothing changed), rotation (every record
reads with the new file, the old one opens nothing), and a destroyed data key that leaves
its ciphertexts unreadable even in a copy of the database taken before."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from safeconduct import bootstrap
from safeconduct.adapters.crypto.envelope import AesGcmFieldCipher
from safeconduct.adapters.crypto.keyfile import read_key_file
from safeconduct.adapters.store.keys import SqlDataKeys
from safeconduct.adapters.store.migrate import upgrade
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.errors import BadFileError, PermissionDeniedError
from safeconduct.services.casework import CONSOLE, Actor
from safeconduct.services.keys import CHECK_KEY_OWNER, KeysPorts, rotate, unlock
from tests.store.conftest import Store
from tests.store.test_cli import run

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WHERE = {"table": "prisoners", "column": "registration"}


def _key_file(tmp_path: Path, name: str, capsys: Any, monkeypatch: Any) -> Path:
    path = tmp_path / name
    status, out, err = run(["keys", "init", "--key-file", str(path)], capsys, monkeypatch)
    assert status == 0, err
    assert (path.stat().st_mode & 0o777) == 0o600 and "readable by you only" in out
    return path


def _keys(store: Store) -> KeysPorts:
    engine = store.engine()
    upgrade(engine)
    return KeysPorts(
        data_keys=SqlDataKeys(engine), database=SqlCaseworkDatabase(engine), clock=lambda: NOW
    )


def _rows(store: Store) -> list[tuple[Any, ...]]:
    with store.engine().connect() as connection:
        return [
            tuple(row) for row in connection.execute(sa.text("SELECT * FROM data_keys ORDER BY id"))
        ]


def _cipher(path: Path) -> AesGcmFieldCipher:
    return AesGcmFieldCipher(read_key_file(path))


@pytest.fixture(autouse=True)
def _no_key_file_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFECONDUCT_KEY_FILE", raising=False)


def test_keys_init_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _key_file(tmp_path, "master.key", capsys, monkeypatch)
    before = path.read_bytes()
    status, _, err = run(["keys", "init", "--key-file", str(path)], capsys, monkeypatch)
    assert status != 0 and err.startswith("safeconduct: error: --key-file: ")
    assert "never overwritten" in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before


def test_the_store_is_tied_to_its_key_file_and_refuses_any_other(
    store: Store, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = _keys(store)
    # Even a new database needs its key file (case codes are sealed); nothing is written.
    with pytest.raises(BadFileError, match="keys init") as refused:
        unlock(ports, None, actor=CONSOLE)
    assert refused.value.field == "key_file"
    assert _rows(store) == []
    right = _key_file(tmp_path, "right.key", capsys, monkeypatch)
    unlock(ports, _cipher(right), actor=CONSOLE)
    (check,) = ports.data_keys.live()
    assert check.owner == CHECK_KEY_OWNER and check.master_key_id == _cipher(right).master_key_id
    before = _rows(store)
    with pytest.raises(BadFileError, match="holds encrypted data") as caught:
        unlock(ports, None, actor=CONSOLE)
    assert caught.value.field == "key_file"
    wrong = _key_file(tmp_path, "wrong.key", capsys, monkeypatch)
    with pytest.raises(BadFileError, match="wrapped by"):
        unlock(ports, _cipher(wrong), actor=CONSOLE)
    with pytest.raises(PermissionDeniedError):
        unlock(ports, _cipher(right), actor=Actor(name="rita", roles=()))
    unlock(ports, _cipher(right), actor=CONSOLE)  # again: nothing new
    assert _rows(store) == before


CARD = ["custody", "card", "--prisoner", "PW-000001", "--out", "card.pdf"]


@pytest.mark.parametrize("command", [["serve"], CARD])
def test_commands_refuse_to_start_without_the_key_file_or_with_another(
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    import uvicorn

    monkeypatch.chdir(tmp_path)  # a card, were it ever made, lands here
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    right = _key_file(tmp_path, "right.key", capsys, monkeypatch)
    wrong = _key_file(tmp_path, "wrong.key", capsys, monkeypatch)
    unlock(_keys(store), _cipher(right), actor=CONSOLE)
    before = _rows(store)
    for extra, says in (
        ([], "this database holds encrypted data: give its key file"),
        (["--key-file", str(wrong)], "is not the one|wrapped by"),
        (["--key-file", str(tmp_path / "missing.key")], "there is no key file"),
    ):
        status, _, err = run([*command, *store.cli_args, *extra], capsys, monkeypatch)
        assert status != 0 and err.startswith("safeconduct: error: --key-file: "), err
        assert len(err.strip().splitlines()) == 1
        assert any(part in err for part in says.split("|")), err
    os.chmod(right, 0o640)
    status, _, err = run([*command, *store.cli_args, "--key-file", str(right)], capsys, monkeypatch)
    assert status != 0 and "chmod 600" in err
    assert served == [] and _rows(store) == before
    os.chmod(right, 0o600)
    if command == ["serve"]:
        monkeypatch.setenv("SAFECONDUCT_KEY_FILE", str(right))
        status, _, err = run([*command, *store.cli_args], capsys, monkeypatch)
        assert status == 0, err
        assert len(served) == 1


def test_rotation_then_every_record_reads_and_the_old_file_opens_nothing(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    old_file = _key_file(tmp_path, "old.key", capsys, monkeypatch)
    ports = _keys(store)
    old = _cipher(old_file)
    records: list[tuple[str, bytes, bytes]] = []
    for n in range(1, 6):
        key = old.new_data_key(f"prisoner:{n}")
        ports.data_keys.add(key, at=NOW)
        value = f"Шевченко {n}".encode()
        records.append((key.id, value, old.encrypt(value, row=str(n), key=key, **WHERE)))
    new_file = tmp_path / "new.key"
    argv = ["keys", "rotate", "--key-file", str(old_file), "--new-key-file", str(new_file)]
    status, out, err = run([*argv, *store.cli_args], capsys, monkeypatch)
    assert status == 0, err
    assert "re-wrapped 6 data keys" in out  # five records and the check key
    assert (new_file.stat().st_mode & 0o777) == 0o600
    new = _cipher(new_file)
    for n, (key_id, value, blob) in enumerate(records, start=1):
        key = ports.data_keys.get(key_id)
        assert key is not None and key.master_key_id == new.master_key_id
        assert new.decrypt(blob, row=str(n), key=key, **WHERE) == value
        with pytest.raises(BadFileError):
            _cipher(old_file).decrypt(blob, row=str(n), key=key, **WHERE)
    with pytest.raises(BadFileError, match="wrapped by"):
        unlock(ports, _cipher(old_file), actor=CONSOLE)
    unlock(ports, new, actor=CONSOLE)
    # The blind indexes stay valid: the index key was carried over.
    assert new.blind_index("prisoner_number", "PW-1") == old.blind_index("prisoner_number", "PW-1")
    # Rotating again from the old file is refused: no new file left, nothing changed.
    before = _rows(store)
    again = tmp_path / "again.key"
    argv = ["keys", "rotate", "--key-file", str(old_file), "--new-key-file", str(again)]
    status, _, err = run([*argv, *store.cli_args], capsys, monkeypatch)
    assert status != 0 and err.startswith("safeconduct: error: --key-file: ")
    assert not again.exists() and _rows(store) == before


def test_a_rotation_that_fails_halfway_changes_no_key(store: Store, tmp_path: Path) -> None:
    from safeconduct.adapters.crypto.keyfile import new_master_key

    ports = _keys(store)
    old, new = AesGcmFieldCipher(new_master_key()), AesGcmFieldCipher(new_master_key())
    unlock(ports, old, actor=CONSOLE)
    for n in range(3):
        ports.data_keys.add(old.new_data_key(f"case:{n}"), at=NOW)
    before = _rows(store)
    calls: list[str] = []

    class Failing:
        master_key_id = old.master_key_id

        def rewrap(self, key: Any, target: Any) -> Any:
            calls.append(key.id)
            if len(calls) == 3:
                raise BadFileError("disk gone", field="key_file")
            return old.rewrap(key, target)

        def __getattr__(self, name: str) -> Any:
            return getattr(old, name)

    with pytest.raises(BadFileError, match="disk gone"):
        rotate(ports, Failing(), new, actor=CONSOLE)  # type: ignore[arg-type]
    assert len(calls) == 3 and _rows(store) == before


def test_a_destroyed_data_key_shreds_its_ciphertexts_even_in_an_earlier_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    # SQLite: the copy is the database file itself, taken before the purge.
    data = tmp_path / "data"
    store = Store("sqlite", f"sqlite+pysqlite:///{data / 'safeconduct.db'}", ["--data", str(data)])
    try:
        key_file = _key_file(tmp_path, "master.key", capsys, monkeypatch)
        ports = _keys(store)
        cipher = _cipher(key_file)
        gone, kept = cipher.new_data_key("case:1"), cipher.new_data_key("case:2")
        for key in (gone, kept):
            ports.data_keys.add(key, at=NOW)
        blob = cipher.encrypt(b"contact handle", row="1", key=gone, **WHERE)
        store.close()
        copy = tmp_path / "before-purge.db"
        shutil.copy(data / "safeconduct.db", copy)
        assert ports.data_keys.destroy("case:1", at=NOW) == 1
        assert ports.data_keys.destroy("case:1", at=NOW) == 0  # twice: nothing more
        assert ports.data_keys.get(gone.id) is None and ports.data_keys.get(kept.id) is not None
        # The purge ends with a rotation: the master key the copy's wrapped keys need is
        # destroyed with the old key file.
        new_file = tmp_path / "new.key"
        argv = ["keys", "rotate", "--key-file", str(key_file), "--new-key-file", str(new_file)]
        assert run([*argv, *store.cli_args], capsys, monkeypatch)[0] == 0
        key_file.unlink()
        old_copy = SqlDataKeys(sa.create_engine(f"sqlite+pysqlite:///{copy}"))
        in_copy = old_copy.get(gone.id)
        assert in_copy is not None  # the copy still holds the wrapped key ...
        with pytest.raises(BadFileError):  # ... which the current key file does not open
            _cipher(new_file).decrypt(blob, row="1", key=in_copy, **WHERE)
    finally:
        store.close()


def test_bootstrap_reads_the_key_file_from_the_environment(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bootstrap.field_cipher(None) is None
    path = _key_file(tmp_path, "env.key", capsys, monkeypatch)
    monkeypatch.setenv("SAFECONDUCT_KEY_FILE", str(path))
    cipher = bootstrap.field_cipher(None)
    assert cipher is not None and cipher.master_key_id == read_key_file(path).key_id
