"""The key file and the envelope cipher: refusals, binding to a row, rotation, shredding."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.adapters.crypto.envelope import AesGcmFieldCipher, key_id_of
from safeconduct.adapters.crypto.keyfile import (
    KEY_FILE_VARIABLE,
    new_master_key,
    read_key_file,
    resolve_key_file,
    write_key_file,
)
from safeconduct.errors import BadFileError
from safeconduct.services.ports import WrappedDataKey

WHERE = {"table": "prisoners", "column": "registration", "row": "7"}


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "master.key"
    write_key_file(path, new_master_key())
    return path


def cipher_of(path: Path) -> AesGcmFieldCipher:
    return AesGcmFieldCipher(read_key_file(path))


def test_a_new_key_file_is_its_owners_alone_and_never_overwritten(key_file: Path) -> None:
    assert (key_file.stat().st_mode & 0o777) == 0o600
    document = json.loads(key_file.read_text())
    assert document["format"] == "safeconduct-key/1" and len(document["key_id"]) == 32
    before = key_file.read_bytes()
    with pytest.raises(BadFileError) as caught:
        write_key_file(key_file, new_master_key())
    assert caught.value.field == "key_file" and "never overwritten" in caught.value.message
    assert key_file.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_a_key_file_others_can_read_is_refused(key_file: Path, mode: int) -> None:
    os.chmod(key_file, mode)
    with pytest.raises(BadFileError) as caught:
        read_key_file(key_file)
    assert caught.value.field == "key_file" and "chmod 600" in caught.value.message


def test_a_missing_or_malformed_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadFileError, match="there is no key file"):
        read_key_file(tmp_path / "nowhere.key")
    for text in ("", "{}", "not json", '{"format": "safeconduct-key/1", "key_id": "x"}'):
        bad = tmp_path / "bad.key"
        bad.write_text(text)
        os.chmod(bad, 0o600)
        with pytest.raises(BadFileError, match="is not a safeconduct key file") as caught:
            read_key_file(bad)
        assert caught.value.field == "key_file"
        bad.unlink()


def test_the_key_file_comes_from_the_option_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_VARIABLE, raising=False)
    assert resolve_key_file(None) is None
    monkeypatch.setenv(KEY_FILE_VARIABLE, str(tmp_path / "env.key"))
    assert resolve_key_file(None) == tmp_path / "env.key"
    assert resolve_key_file(tmp_path / "given.key") == tmp_path / "given.key"


@settings(max_examples=50, deadline=None)
@given(value=st.binary(max_size=2000), row=st.integers(min_value=1, max_value=10**9))
def test_a_value_reads_back_only_in_its_own_row_and_column(value: bytes, row: int) -> None:
    cipher = AesGcmFieldCipher(new_master_key())
    key = cipher.new_data_key(f"prisoner:{row}")
    where = {"table": "prisoners", "column": "registration", "row": str(row)}
    blob = cipher.encrypt(value, key=key, **where)
    assert key_id_of(blob) == key.id
    assert cipher.decrypt(blob, key=key, **where) == value
    for moved in ({"row": str(row + 1)}, {"column": "notes"}, {"table": "cases"}):
        with pytest.raises(BadFileError) as caught:
            cipher.decrypt(blob, key=key, **{**where, **moved})
        assert caught.value.field == "ciphertext"


def test_a_ciphertext_holds_no_plain_text_and_differs_each_time(key_file: Path) -> None:
    cipher = cipher_of(key_file)
    key = cipher.new_data_key("case:3")
    secret = "Шевченко Богдан АБ-123456".encode()
    first = cipher.encrypt(secret, key=key, **WHERE)
    second = cipher.encrypt(secret, key=key, **WHERE)
    assert first != second
    assert secret not in first and b"123456" not in first and secret not in key.wrapped


def test_another_data_key_or_an_altered_byte_opens_nothing(key_file: Path) -> None:
    cipher = cipher_of(key_file)
    key, other = cipher.new_data_key("case:3"), cipher.new_data_key("case:4")
    blob = cipher.encrypt(b"next of kin", key=key, **WHERE)
    with pytest.raises(BadFileError, match="another data key"):
        cipher.decrypt(blob, key=other, **WHERE)
    altered = bytearray(blob)
    altered[-1] ^= 1
    with pytest.raises(BadFileError, match="does not decrypt"):
        cipher.decrypt(bytes(altered), key=key, **WHERE)
    # A data key moved to another owner does not unwrap.
    moved = WrappedDataKey(id=key.id, owner="case:4", wrapped=key.wrapped,
                           master_key_id=key.master_key_id)  # fmt: skip
    with pytest.raises(BadFileError) as caught:
        AesGcmFieldCipher(read_key_file(key_file)).decrypt(blob, key=moved, **WHERE)
    assert caught.value.field == "key_file"


def test_a_wrong_key_file_opens_nothing(key_file: Path, tmp_path: Path) -> None:
    cipher = cipher_of(key_file)
    key = cipher.new_data_key("case:3")
    blob = cipher.encrypt(b"handle @someone", key=key, **WHERE)
    stranger = AesGcmFieldCipher(new_master_key())
    with pytest.raises(BadFileError, match="is wrapped by master key") as caught:
        stranger.decrypt(blob, key=key, **WHERE)
    assert caught.value.field == "key_file"
    # A forged file carrying the right key id but another secret fails the tag.
    forged = new_master_key()
    forged = type(forged)(key_id=cipher.master_key_id, master_key=forged.master_key,
                          index_key=forged.index_key)  # fmt: skip
    with pytest.raises(BadFileError, match="does not open data key"):
        AesGcmFieldCipher(forged).decrypt(blob, key=key, **WHERE)


def test_rotation_rewraps_so_the_new_file_reads_and_the_old_one_opens_nothing(
    key_file: Path, tmp_path: Path
) -> None:
    old = cipher_of(key_file)
    keys = [old.new_data_key(f"prisoner:{n}") for n in range(5)]
    blobs = [old.encrypt(f"record {n}".encode(), key=k, **WHERE) for n, k in enumerate(keys)]
    new_file = tmp_path / "new.key"
    write_key_file(new_file, new_master_key(index_key=read_key_file(key_file).index_key))
    new = cipher_of(new_file)
    rewrapped = [old.rewrap(k, new) for k in keys]
    fresh_old = cipher_of(key_file)  # no data key cached in memory
    for n, (key, blob) in enumerate(zip(rewrapped, blobs, strict=True)):
        assert key.master_key_id == new.master_key_id and key.id == keys[n].id
        assert cipher_of(new_file).decrypt(blob, key=key, **WHERE) == f"record {n}".encode()
        with pytest.raises(BadFileError):
            fresh_old.decrypt(blob, key=key, **WHERE)
    assert new.blind_index("prisoner_number", "PW-1") == old.blind_index("prisoner_number", "PW-1")


def test_a_destroyed_data_key_leaves_its_ciphertexts_unreadable(key_file: Path) -> None:
    cipher = cipher_of(key_file)
    key = cipher.new_data_key("prisoner:9")
    blob = cipher.encrypt(b"registration", key=key, **WHERE)
    # Destroying the key = losing its wrapped bytes; any other key of the same id fails.
    stand_in = cipher.new_data_key("prisoner:9")
    guessed = WrappedDataKey(id=key.id, owner=key.owner, wrapped=stand_in.wrapped,
                             master_key_id=key.master_key_id)  # fmt: skip
    with pytest.raises(BadFileError):
        cipher_of(key_file).decrypt(blob, key=guessed, **WHERE)


def test_blind_indexes_are_keyed_and_separate_per_kind(key_file: Path) -> None:
    cipher = cipher_of(key_file)
    digest = cipher.blind_index("prisoner_number", "PW-000001")
    assert len(digest) == 64 and "PW" not in digest
    assert digest == cipher_of(key_file).blind_index("prisoner_number", "PW-000001")
    assert digest != cipher.blind_index("service_number", "PW-000001")
    assert digest != AesGcmFieldCipher(new_master_key()).blind_index("prisoner_number", "PW-000001")
