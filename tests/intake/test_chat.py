"""``safeconduct intake chat`` and ``intake check`` run as a user runs them."""

# ruff: noqa: RUF001 (the person's replies, in Cyrillic)

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from safeconduct.note.casecode import parse_case_code
from tests.intake.conftest import small_flow


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    code = "from safeconduct.entrypoints.cli.app import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


SCRIPTS = {
    "ru": (
        ["1", "1", "нас трое", "нет", "ночью с 2 до 4", "1"],
        ["Мы не можем обещать вам безопасность", "Ваш код: "],
        "wounded: no",
    ),
    "uk": (
        ["2", "здатися", "нас троє", "так, один поранений", "на світанку", "2"],
        ["Ми не можемо обіцяти вам безпеку", "Ваш код: "],
        "wounded: yes",
    ),
    "en": (
        ["3", "1", "three of us", "no", "tonight 02:00 to 04:00", "3"],
        ["We cannot promise you safety", "Your code: "],
        "wounded: no",
    ),
}


@pytest.mark.parametrize("lang", sorted(SCRIPTS))
def test_the_default_flow_end_to_end(lang: str) -> None:
    lines, texts, wounded = SCRIPTS[lang]
    result = run_cli("intake", "chat", "--lang", "ru", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for text in texts:
        assert text in out
    told = re.search(r"(?:Ваш код|Your code): (\S{4}-\S{4})\.", out)
    assert told is not None
    assert parse_case_code(told.group(1))  # a valid, check-charactered code
    assert f"-- case code: {told.group(1)} (told)" in out
    assert f"-- language: {lang}" in out
    assert "-- group_size: 3" in out
    assert f"-- {wounded}" in out
    assert "-- handed over to an operator" in out
    for word in ("дрон", "drone", "позиц", "position", "екіпаж", "crew"):
        assert word not in out.lower()


def test_a_seed_gives_the_same_code() -> None:
    a = run_cli("intake", "chat", "--seed", "7", stdin="")
    b = run_cli("intake", "chat", "--seed", "7", stdin="")
    assert a.returncode == 0 and a.stdout == b.stdout
    assert "(not told)" in a.stdout and "-- status: waiting" in a.stdout


def test_a_quiet_person_expires_in_the_chat() -> None:
    result = run_cli("intake", "chat", stdin="1\n::wait 1441\nпривет\n")
    assert result.returncode == 0, result.stderr
    assert "-- expired: no reply in time" in result.stdout
    # Writing again starts over with the language question.
    assert result.stdout.count("Выберите язык") == 2


def test_a_bad_wait_is_one_line(tmp_path: Path) -> None:
    result = run_cli("intake", "chat", stdin="::wait soon\n")
    assert result.returncode != 0
    assert "wait" in result.stderr and "Traceback" not in result.stderr


def test_chat_with_a_flow_file(tmp_path: Path) -> None:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small_flow()), encoding="utf-8")
    result = run_cli("intake", "chat", str(path), "--lang", "uk", stdin="нас 5\n")
    assert result.returncode == 0, result.stderr
    assert "bot: Скільки?" in result.stdout and "-- status: completed" in result.stdout
    assert "-- group_size: 5" in result.stdout


def test_check_the_default_flow() -> None:
    from importlib import resources

    path = resources.files("safeconduct.intake").joinpath("flows/default.json")
    result = run_cli("intake", "check", str(path))
    assert result.returncode == 0, result.stdout
    assert re.fullmatch(
        r"ok: \d+ nodes, languages ru, uk, en, expires after \d+ minutes\n", result.stdout
    )


def test_check_names_every_error(tmp_path: Path) -> None:
    data = small_flow()
    data["nodes"][0]["exits"][0]["destination_uuid"] = "n-gone"
    del data["localization"]["uk"]["a-code"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run_cli("intake", "check", str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert (
        f"{path}: node n-ask: nodes[0].exits[0].destination_uuid: exit goes to node n-gone, "
        "which the flow lacks" in lines
    )
    assert f"{path}: node n-end: localization.uk.a-code.text: the text has no uk version" in lines


@pytest.mark.parametrize("content", ["{not json", b"\xff\xfe".decode("latin-1")])
def test_check_a_file_that_is_not_a_flow(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="latin-1")
    result = run_cli("intake", "check", str(path))
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "flow" in result.stderr.lower()


def test_chat_refuses_a_broken_flow(tmp_path: Path) -> None:
    data = small_flow()
    data["nodes"][0]["exits"][0]["destination_uuid"] = "n-gone"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run_cli("intake", "chat", str(path), stdin="1\n")
    assert result.returncode != 0 and "node n-ask" in result.stderr
