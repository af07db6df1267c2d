"""``safeconduct users`` and ``safeconduct cases`` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safeconduct.entrypoints.cli.app import main
from safeconduct.entrypoints.cli.errors import flag_for
from tests.store.conftest import Store

PASSWORD = "correct horse battery staple"
CODE = re.compile(r"^[2-9ADEFJKMNRTW]{4}-[2-9ADEFJKMNRTW]{4}$")


def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str = "",
) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    try:
        main(argv)
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


def test_users_add_and_list(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["users", "add", "Anna", "--role", "planner", "--role", "crew", "--password-stdin"]
    status, out, err = run([*argv, *store.cli_args], capsys, monkeypatch, PASSWORD + "\n")
    assert (status, err) == (0, "")
    assert out.strip() == "added anna (planner, crew)"
    status, out, err = run(["users", "list", *store.cli_args], capsys, monkeypatch)
    assert status == 0
    assert re.search(r"anna\s+planner, crew\s+\d{4}-\d\d-\d\d \d\d:\d\d", out)
    assert PASSWORD not in out + err
    assert "argon2" not in out


def test_the_password_is_never_an_argument(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["users", "add", "anna", "--role", "crew", *store.cli_args]
    status, out, err = run(argv, capsys, monkeypatch, PASSWORD)
    assert status == 2
    assert err.startswith("safeconduct: error: --password-stdin: required:")
    assert len(err.strip().splitlines()) == 1
    status, out, err = run(["users", "list", *store.cli_args], capsys, monkeypatch)
    assert "anna" not in out


def test_users_add_refuses_a_duplicate_a_wrong_role_and_a_weak_password(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add = ["users", "add", "--password-stdin", *store.cli_args]
    assert run([*add, "anna", "--role", "crew"], capsys, monkeypatch, PASSWORD)[0] == 0
    # The flags as the CLI's table names them (NAME and --password-stdin once it lists them).
    name, password_flag = flag_for("name"), flag_for("password")
    cases = [
        (["ANNA", "--role", "crew"], PASSWORD, f"{name}: a user called 'anna' exists already"),
        (["boris", "--role", "pilot"], PASSWORD, "--role: unknown role 'pilot'; give one of"),
        (["boris", "--role", "crew"], "Qz7!kp\n", f"{password_flag}: the password is too short"),
        (["boris", "--role", "crew"], "", f"{password_flag}: no password given"),
    ]
    for args, password, message in cases:
        status, out, err = run([*add, *args], capsys, monkeypatch, password)
        assert status == 2, err
        assert err.startswith(f"safeconduct: error: {message}"), err
        assert len(err.strip().splitlines()) == 1
        assert not password.strip() or password.strip() not in out + err
    status, out, _ = run(["users", "list", *store.cli_args], capsys, monkeypatch)
    assert "boris" not in out and out.count("anna") == 1


def test_cases_new_and_list(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, err = run(["cases", "new", "--lang", "ru", *store.cli_args], capsys, monkeypatch)
    assert (status, err) == (0, "")
    first = out.strip()
    assert CODE.match(first), out
    argv = ["cases", "new", "--lang", "UK", "--channel", "drone", *store.cli_args]
    second = run(argv, capsys, monkeypatch)[1].strip()
    status, out, err = run(["cases", "list", *store.cli_args], capsys, monkeypatch)
    assert status == 0
    rows = [
        line.split()
        for line in out.splitlines()
        if CODE.match(line.split()[0] if line.split() else "")
    ]
    assert [r[:4] for r in rows] == [
        [first, "ru", "hotline", "contacted"],
        [second, "uk", "drone", "contacted"],
    ]


def test_cases_new_refuses_a_bad_language(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = run(["cases", "new", "--lang", "xx1", *store.cli_args], capsys, monkeypatch)
    assert status == 2
    assert err.startswith("safeconduct: error: --lang: language 'xx1' is not an ISO 639-1 code")
    assert "no cases yet" in run(["cases", "list", *store.cli_args], capsys, monkeypatch)[1]


def test_the_database_url_comes_from_the_environment(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = store.url
    monkeypatch.setenv("SAFECONDUCT_DB", url)
    code = run(["cases", "new", "--lang", "ru"], capsys, monkeypatch)[1].strip()
    monkeypatch.delenv("SAFECONDUCT_DB")
    assert code in run(["cases", "list", "--db", url], capsys, monkeypatch)[1]


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            ["--db", "postgresql+psycopg://someone:s3cret@127.0.0.1:1/nowhere"],
            1,
            "--db: cannot use the database postgresql+psycopg://someone:***@127.0.0.1:1/nowhere: ",
        ),
        (["--db", "not a url"], 2, "--db: cannot read this database URL; give e.g. "),
        (["--db", "mysql://u@h/d"], 2, "--db: 'mysql' is not supported; give a "),
        (["--db", "sqlite://"], 2, "--db: an in-memory SQLite database keeps nothing"),
        (["--db", "sqlite:///x.db", "--data", "d"], 2, "--db: give a data folder or a database"),
    ],
)
def test_a_bad_database_gives_one_line_and_no_traceback(
    args: list[str],
    status: int,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    got, out, err = run(["cases", "list", *args], capsys, monkeypatch)
    assert got == status, err
    assert err.startswith(f"safeconduct: error: {message}"), err
    assert len(err.strip().splitlines()) == 1
    assert "s3cret" not in err and "Traceback" not in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []  # nothing created on the way


def test_a_corrupt_sqlite_file_gives_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "safeconduct.db").write_bytes(b"this is not a database, just some text" * 100)
    status, _, err = run(["users", "list", "--data", str(tmp_path)], capsys, monkeypatch)
    assert status == 1
    assert err.startswith("safeconduct: error: --db: cannot use the database sqlite")
    assert "file is not a database" in err and len(err.strip().splitlines()) == 1


def test_the_console_script_reports_an_unreachable_database_without_a_traceback(
    tmp_path: Path,
) -> None:
    script = Path(sys.executable).with_name("safeconduct")
    proc = subprocess.run(
        [str(script), "cases", "list", "--db", "postgresql://postgres@127.0.0.1:1/x"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("safeconduct: error: --db: cannot use the database")
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""


def test_the_default_data_folder_is_made_in_the_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = run(["cases", "new", "--lang", "ru"], capsys, monkeypatch)[1].strip()
    assert CODE.match(code)
    assert (tmp_path / "safeconduct-data" / "safeconduct.db").is_file()
    assert code in run(["cases", "list"], capsys, monkeypatch)[1]


def test_a_case_opened_at_the_command_line_reaches_listening_boards(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the command line announces its changes like the service does, so a
    board open elsewhere shows a case an operator opened with ``safeconduct cases new``."""
    if store.backend != "postgresql":
        pytest.skip("only PostgreSQL shares changes between processes")
    from safeconduct.adapters.events.postgres import PostgresChangeBroker

    listener = PostgresChangeBroker(store.url)
    try:
        assert listener.start()
        cursor = listener.after(None).cursor
        status, out, _ = run(["cases", "new", "--lang", "ru", *store.cli_args], capsys, monkeypatch)
        assert status == 0
        deadline = time.monotonic() + 5
        while not listener.after(cursor).changes and time.monotonic() < deadline:
            time.sleep(0.02)
        [(_, heard)] = listener.after(cursor).changes
        assert (heard.status, heard.case_code) == ("contacted", out.strip().replace("-", ""))
    finally:
        listener.close()


def test_cases_assign_and_unassign(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["users", "add", "kyrylo", "--role", "crew", "--password-stdin", *store.cli_args]
    assert run(argv, capsys, monkeypatch, PASSWORD + "\n")[0] == 0
    code = run(["cases", "new", "--lang", "ru", *store.cli_args], capsys, monkeypatch)[1].strip()
    assign = ["cases", "assign", "kyrylo", "--case-code", code, "--role", "crew", *store.cli_args]
    status, out, err = run(assign, capsys, monkeypatch)
    assert (status, err, out.strip()) == (0, "", "kyrylo (crew), assigned by console")
    status, _, err = run(assign, capsys, monkeypatch)
    assert status == 2 and err.startswith("safeconduct: error: USER: kyrylo is assigned")
    wrong = [*assign[:5], "--role", "planner", *store.cli_args]
    status, _, err = run(wrong, capsys, monkeypatch)
    assert status == 2 and err.startswith("safeconduct: error: --role: a case is not assigned")
    bad_code = ["cases", "assign", "kyrylo", "--case-code", "XX", "--role", "crew"]
    status, _, err = run([*bad_code, *store.cli_args], capsys, monkeypatch)
    assert status == 2 and err.startswith("safeconduct: error: --case-code:")
    unassign = ["cases", "unassign", "kyrylo", "--case-code", code, "--role", "crew"]
    status, out, _ = run([*unassign, *store.cli_args], capsys, monkeypatch)
    assert (status, out.strip()) == (0, "nobody is assigned")


def test_cases_need_the_key_file_even_in_a_new_database(
    store: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Case codes are sealed (revision 0012): without a key file the case is refused in one
    # line that says how to make one, and nothing is written.
    monkeypatch.delenv("SAFECONDUCT_KEY_FILE")
    status, out, err = run(["cases", "new", "--lang", "ru", *store.cli_args], capsys, monkeypatch)
    assert status == 1 and out == ""
    assert err.startswith("safeconduct: error: --key-file: ") and "keys init" in err
    assert len(err.strip().splitlines()) == 1
    key = tmp_path / "case.key"
    assert run(["keys", "init", "--key-file", str(key)], capsys, monkeypatch)[0] == 0
    new = ["cases", "new", "--lang", "ru", "--key-file", str(key), *store.cli_args]
    status, out, _ = run(new, capsys, monkeypatch)
    assert status == 0 and re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}\n", out)
    listed = ["cases", "list", "--key-file", str(key), *store.cli_args]
    status, listing, _ = run(listed, capsys, monkeypatch)
    assert status == 0 and out.strip() in listing
