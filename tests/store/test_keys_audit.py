"""Every key operation is audited in the transaction that makes it, on SQLite and
PostgreSQL: ``key_init`` (a database tied to a key file, by ``keys init --data/--db`` or
its first start), ``key_unlock`` (each start with it), ``key_rotate``; a refused or failed
operation leaves no entry, and no entry names anything but the master key's id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from safeconduct.adapters.crypto.envelope import AesGcmFieldCipher
from safeconduct.adapters.crypto.keyfile import new_master_key, read_key_file
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.audit.chain import content_digest
from safeconduct.errors import BadFileError
from safeconduct.services.casework import CONSOLE
from safeconduct.services.keys import rotate, unlock
from tests.store.conftest import Store
from tests.store.test_cli import run
from tests.store.test_keys import NOW, _keys


@pytest.fixture(autouse=True)
def _no_key_file_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFECONDUCT_KEY_FILE", raising=False)


def _entries(store: Store) -> list[tuple[str, str, str, str | None]]:
    """(user, action, record, digest) of every audit entry, in order."""
    database = SqlCaseworkDatabase(store.engine())
    with database.unit_of_work(read_only=True) as uow:
        return [
            (c.entry.user, c.entry.action, c.entry.record, c.entry.digest) for c in uow.audit.all()
        ]


def _keys_rows(store: Store) -> int:
    with store.engine().connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM data_keys")).scalar_one())


def test_unlock_records_init_once_then_each_unlock_and_nothing_when_refused(
    store: Store,
) -> None:
    ports = _keys(store)
    with pytest.raises(BadFileError):  # no key file: refused, and nothing recorded
        unlock(ports, None, actor=CONSOLE)
    assert _entries(store) == []
    right = AesGcmFieldCipher(new_master_key())
    record = f"key:{right.master_key_id}"
    unlock(ports, right, actor=CONSOLE)
    unlock(ports, right, actor=CONSOLE)
    assert [e[1:3] for e in _entries(store)] == [("key_init", record), ("key_unlock", record)]
    assert {e[0] for e in _entries(store)} == {CONSOLE.name}
    for refused in (None, AesGcmFieldCipher(new_master_key())):
        with pytest.raises(BadFileError):
            unlock(ports, refused, actor=CONSOLE)
    assert len(_entries(store)) == 2 and _keys_rows(store) == 1


def test_rotation_is_recorded_with_its_change_and_a_failed_one_is_not(store: Store) -> None:
    ports = _keys(store)
    old, new = AesGcmFieldCipher(new_master_key()), AesGcmFieldCipher(new_master_key())
    unlock(ports, old, actor=CONSOLE)
    for n in range(2):
        ports.data_keys.add(old.new_data_key(f"case:{n}"), at=NOW)

    class Failing:
        master_key_id = old.master_key_id

        def rewrap(self, key: Any, target: Any) -> Any:
            raise BadFileError("disk gone", field="key_file")

        def __getattr__(self, name: str) -> Any:
            return getattr(old, name)

    with pytest.raises(BadFileError, match="disk gone"):
        rotate(ports, Failing(), new, actor=CONSOLE)  # type: ignore[arg-type]
    assert [e[1] for e in _entries(store)] == ["key_init"]
    assert rotate(ports, old, new, actor=CONSOLE) == 3
    *_, last = _entries(store)
    change = {"from": old.master_key_id, "to": new.master_key_id, "keys": 3}
    assert last == (CONSOLE.name, "key_rotate", f"key:{new.master_key_id}", content_digest(change))
    with pytest.raises(BadFileError):  # the old key file no longer opens the store
        rotate(ports, old, AesGcmFieldCipher(new_master_key()), actor=CONSOLE)
    assert len(_entries(store)) == 2


def test_keys_init_with_the_database_ties_it_and_records_key_init(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    path = tmp_path / "master.key"
    status, out, err = run(
        ["keys", "init", "--key-file", str(path), *store.cli_args], capsys, monkeypatch
    )
    assert status == 0, err
    assert "the database is tied to it" in out
    key_id = read_key_file(path).key_id
    assert [e[1:3] for e in _entries(store)] == [("key_init", f"key:{key_id}")]
    # A second key file for the same database is refused, and not left behind.
    other = tmp_path / "other.key"
    status, _, err = run(
        ["keys", "init", "--key-file", str(other), *store.cli_args], capsys, monkeypatch
    )
    assert status != 0 and err.startswith("safeconduct: error: --key-file: "), err
    assert not other.exists() and len(_entries(store)) == 1


def test_a_start_with_the_key_file_records_key_unlock_and_rotate_records_key_rotate(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **_: None)
    path = tmp_path / "master.key"
    argv = ["keys", "init", "--key-file", str(path), *store.cli_args]
    assert run(argv, capsys, monkeypatch)[0] == 0
    status, _, err = run(["serve", *store.cli_args, "--key-file", str(path)], capsys, monkeypatch)
    assert status == 0, err
    new = tmp_path / "new.key"
    argv = ["keys", "rotate", "--key-file", str(path), "--new-key-file", str(new)]
    assert run([*argv, *store.cli_args], capsys, monkeypatch)[0] == 0
    old_id, new_id = read_key_file(path).key_id, read_key_file(new).key_id
    assert [e[1:3] for e in _entries(store)] == [
        ("key_init", f"key:{old_id}"),
        ("key_unlock", f"key:{old_id}"),
        ("key_rotate", f"key:{new_id}"),
    ]
