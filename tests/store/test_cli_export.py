"""``safeconduct export`` on SQLite and PostgreSQL: a case or a prisoner as an AES-256
archive (mode 0600) with the password from a file (or typed twice), its expiry, and the
refusals: no subject or two, a short password, unblurred without a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from safeconduct.adapters.formats.export_archive import read_archive
from safeconduct.services import custody
from safeconduct.services.casework import CaseworkPorts, get_case
from safeconduct.services.custody import CustodyPorts
from tests.store.conftest import Store
from tests.store.test_cli import run
from tests.store.test_custody_store import (  # noqa: F401 (fixtures)
    RITA,
    ROMAN,
    TODAY,
    arrival,
    case_underway,
    cp,
    registration,
    team,
)
from tests.store.test_keys_audit import _entries

SECRET = "a long export password"


def _password_file(tmp_path: Path, text: str = SECRET) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(text + "\n")
    return path


def test_export_a_case_with_a_password_file(
    store: Store,
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = case_underway(team)
    custody.record_arrival(cp, case_id, arrival(), actor=ROMAN)
    code = get_case(team, case_id, actor=RITA).case_code
    out = tmp_path / "case.zip"
    argv = ["export", "--case-code", code, "--out", str(out), "--purpose", "ICRC tracing"]
    argv += ["--password-file", str(_password_file(tmp_path)), "--expires-days", "3"]
    started = datetime.now(UTC)
    status, said, err = run([*argv, *store.cli_args], capsys, monkeypatch)
    assert status == 0, err
    assert said.startswith(f"wrote {out}: 5 files, AES-256; keep it until ")
    assert (out.stat().st_mode & 0o777) == 0o600
    files = read_archive(out.read_bytes(), SECRET)
    manifest = json.loads(files["manifest.json"])
    assert manifest["exported_by"] == "console" and manifest["purpose"] == "ICRC tracing"
    expires = datetime.fromisoformat(manifest["expires_at"])
    assert started + timedelta(days=3) <= expires <= datetime.now(UTC) + timedelta(days=3)
    assert json.loads(files["arrival.json"])["place"] == "Reception point B"
    assert [e[1:3] for e in _entries(store) if e[1] == "export"] == [("export", f"case:{case_id}")]


def test_export_a_prisoner_with_the_password_typed_twice(
    store: Store,
    cp: CustodyPorts,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = custody.register_prisoner(cp, registration(), actor=RITA, today=TODAY)
    out = tmp_path / "pw.zip"
    argv = ["export", "--prisoner", number, "--out", str(out), "--purpose", "Protecting power"]
    status, _, err = run(
        [*argv, *store.cli_args], capsys, monkeypatch, stdin=f"{SECRET}\n{SECRET}\n"
    )
    assert status == 0, err
    files = read_archive(out.read_bytes(), SECRET)
    assert json.loads(files["registration.json"])["prisoner_number"] == number
    assert files["capture-card.pdf"].startswith(b"%PDF")


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ([], "--case-code: give either --case-code or --prisoner"),
        (["--case-code", "X", "--prisoner", "PW-000001"], "give either"),
        (["--prisoner", "PW-000001", "--no-blur"], "--reason: give the reason"),
        (["--prisoner", "PW-000001", "--reason", "court"], "--reason: --reason goes with"),
        (["--prisoner", "PW-000001", "--password-file", "short"], "--password-file: an export"),
        (["--prisoner", "PW-000009"], "--prisoner: there is no such prisoner"),
    ],
)
def test_export_refusals_write_nothing(
    store: Store,
    cp: CustodyPorts,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    says: str,
) -> None:
    custody.register_prisoner(cp, registration(), actor=RITA, today=TODAY)
    out = tmp_path / "x.zip"
    if "short" in extra:
        extra = [*extra[:-1], str(_password_file(tmp_path, "short"))]
    elif "--password-file" not in extra:
        extra = [*extra, "--password-file", str(_password_file(tmp_path))]
    argv = ["export", "--out", str(out), "--purpose", "tracing", *extra, *store.cli_args]
    status, _, err = run(argv, capsys, monkeypatch)
    assert status != 0 and err.startswith("safeconduct: error: "), err
    assert says in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()
    assert not [e for e in _entries(store) if e[1].startswith("export")]
