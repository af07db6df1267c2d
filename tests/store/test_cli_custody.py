"""``safeconduct custody`` end to end, on SQLite and PostgreSQL: a case from arrival to a
receipt, a registration, a capture card, an evacuation list and the NIB export; and bad
input refused in one line, naming the flag or the record's field, with nothing written."""

# ruff: noqa: RUF001 (names as given, in Cyrillic)

from __future__ import annotations

import csv
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.services.casework import CONSOLE, CaseworkPorts, get_case, transition_case
from tests.conftest import TEST_CIPHER
from tests.store.conftest import FAST_PASSWORDS, Store
from tests.store.test_cli import run

NUMBER = re.compile(r"^PW-\d{6}$")
RECEIPT = re.compile(r"^R-\d{6}$")


def record(**changes: Any) -> dict[str, Any]:
    """A full registration record, Cyrillic as given."""
    doc: dict[str, Any] = {
        "surname": "Шевченко",
        "first_names": "Тарас Григорович",
        "rank": "рядовой",
        "date_of_birth": "1994-03-09",
        "service_number": "АБ-123456",
        "fathers_first_name": "Григорий",
        "mothers_maiden_name": "Бойко",
        "place_of_birth": "Моринцы",
        "power": "Российская Федерация",
        "next_of_kin": "Катерина Шевченко, ул. Садовая 1, Курск",
        "captured_on": date.today().isoformat(),
        "health": "slightly_wounded",
        "language": "ru",
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


def _arrived_case(store: Store, capsys: Any, monkeypatch: Any) -> tuple[str, CaseworkPorts]:
    """A case opened at the command line and moved (as the console) to ``arrived``."""
    status, out, err = run(["cases", "new", "--lang", "ru", *store.cli_args], capsys, monkeypatch)
    assert status == 0, err
    code = out.strip()
    ports = CaseworkPorts(
        database=SqlCaseworkDatabase(store.engine(), cipher=TEST_CIPHER), passwords=FAST_PASSWORDS
    )
    for name in ("schedule", "plan", "launch", "arrive"):
        transition_case(ports, code, name, actor=CONSOLE)
    return code, ports


def test_a_case_from_arrival_to_every_document(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    code, ports = _arrived_case(store, capsys, monkeypatch)
    db = store.cli_args

    argv = ["custody", "arrive", "--case", code, "--place", "Reception point North"]
    argv += ["--escort", "Sgt. Koval", "--escort", "Pte. Marchenko", "--health", "sick"]
    argv += ["--at", "2026-11-27T06:40+02:00", "--medical-priority", "--effect", "wristwatch"]
    status, out, err = run([*argv, *db], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    assert str(get_case(ports, code, actor=CONSOLE).status) == "in_custody"

    receipt_pdf = tmp_path / "receipt.pdf"
    argv = ["custody", "receipt", "--case", code, "--item", "Banknotes=1500 RUB"]
    argv += ["--item", "Gold ring=200 USD", "--lang", "ru,en", "--out", str(receipt_pdf)]
    status, out, err = run([*argv, *db], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    assert RECEIPT.match(out.splitlines()[0]), out
    text = _text(receipt_pdf)
    assert "1500" in text and "RUB" in text and "USD" in text

    status, out, err = run(
        [
            "custody",
            "register",
            str(_write(tmp_path / "record.json", record())),
            "--case",
            code,
            *db,
        ],
        capsys,
        monkeypatch,
    )
    assert (status, err) == (0, ""), err
    first = out.strip()
    assert NUMBER.match(first), out
    assert str(get_case(ports, code, actor=CONSOLE).status) == "registered"

    # Anyone taken into custody is registered, with or without a case; declined fields too.
    declined = record(surname="Іваненко", first_names="not given", service_number="not given")
    declined["language"] = "uk"
    status, out, err = run(
        ["custody", "register", str(_write(tmp_path / "other.json", declined)), *db],
        capsys,
        monkeypatch,
    )
    assert (status, err) == (0, ""), err
    second = out.strip()
    assert NUMBER.match(second) and second != first
    assert int(second[3:]) == int(first[3:]) + 1  # no gap

    # A registrar's receipt for a registered prisoner: the name comes from the registration.
    argv = ["custody", "receipt", "--prisoner", first, "--item", "Wristwatch=50 EUR"]
    argv += ["--place", "Camp 3", "--out", str(tmp_path / "receipt-2.pdf")]
    status, out, err = run([*argv, *db], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    assert out.splitlines()[0] == "R-000002"
    assert "Шевченко" in _text(tmp_path / "receipt-2.pdf")

    card = tmp_path / "card.pdf"
    argv = ["custody", "card", "--prisoner", first, "--lang", "ru,en", "--out", str(card)]
    status, out, err = run([*argv, *db], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    text = _text(card)
    assert "Шевченко" in text and "Shevchenko" in text and first in text
    assert code not in text and code.replace("-", "") not in text  # never the case code

    evacuation = tmp_path / "list.pdf"
    argv = ["custody", "evacuation-list", "--prisoner", first, "--prisoner", second]
    argv += ["--from", "Reception point North", "--to", "Camp 3", "--escort", "Lt. Savchuk"]
    argv += ["--date", date.today().isoformat(), "--out", str(evacuation)]
    status, out, err = run([*argv, *db], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    text = _text(evacuation)
    assert first in text and second in text and "Camp 3" in text

    folder = tmp_path / "nib"
    status, out, err = run(
        ["custody", "nib-export", "--out", str(folder), *db], capsys, monkeypatch
    )
    assert (status, err) == (0, ""), err
    suffixes = sorted(p.suffix for p in folder.iterdir())
    assert suffixes == [".csv", ".json", ".pdf"], suffixes
    exported = json.loads(next(folder.glob("*.json")).read_text(encoding="utf-8"))
    records = exported if isinstance(exported, list) else exported.get("notifications", [])
    assert sorted(r["prisoner_number"] for r in records) == [first, second]
    assert {r["event"] for r in records} == {"capture"}
    with next(folder.glob("*.csv")).open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert sorted(r["prisoner_number"] for r in rows) == [first, second]
    everything = json.dumps(exported, ensure_ascii=False)
    assert code not in everything and code.replace("-", "") not in everything


def _one_line(err: str, prefix: str) -> None:
    assert err.startswith(f"safeconduct: error: {prefix}"), err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_bad_input_is_refused_in_one_line_and_nothing_is_written(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    db = store.cli_args
    tomorrow = (date.today() + timedelta(days=2)).isoformat()  # past UTC+14 too
    bad_records = [
        (record(date_of_birth=tomorrow), "date_of_birth: "),
        (record(health="fine"), "health: unknown state of health 'fine'"),
        (record(surname=""), "surname: "),
        (record(nickname="Taras"), "nickname: unknown field"),
        (record(captured_on=None), "captured_on: "),
    ]
    for i, (doc, message) in enumerate(bad_records):
        path = _write(tmp_path / f"bad-{i}.json", doc)
        status, out, err = run(["custody", "register", str(path), *db], capsys, monkeypatch)
        assert status == 2, (doc, err)
        _one_line(err, f"{path}: {message}")
        assert out == ""
    folder = tmp_path / "nib"
    status, _, err = run(["custody", "nib-export", "--out", str(folder), *db], capsys, monkeypatch)
    assert status == 2
    _one_line(err, "there is nothing to notify")
    assert not folder.exists()  # no empty folder left behind
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    status, _, err = run(["custody", "register", str(broken), *db], capsys, monkeypatch)
    assert status == 1
    _one_line(err, "RECORD: ")

    # Nothing was issued for the refused records: the first good one gets the first number.
    good = _write(tmp_path / "good.json", record())
    status, out, err = run(["custody", "register", str(good), *db], capsys, monkeypatch)
    assert (status, err) == (0, ""), err
    number = out.strip()
    assert number == "PW-000001"

    card = tmp_path / "card.pdf"
    cases = [
        (["card", "--prisoner", number, "--lang", "xx", "--out", str(card)], "--lang: "),
        (["card", "--prisoner", "PW-12", "--lang", "en", "--out", str(card)], "--prisoner: "),
        (["card", "--prisoner", "PW-000999", "--lang", "en", "--out", str(card)], "--prisoner: "),
        (
            ["receipt", "--prisoner", number, "--item", "Banknotes=", "--out", str(card)],
            "--item: ",
        ),
        (
            ["receipt", "--prisoner", number, "--item", "Banknotes=-5 RUB", "--out", str(card)],
            "--item: ",
        ),
        (
            [
                *("evacuation-list", "--prisoner", number, "--from", "", "--to", "Camp 3"),
                *("--escort", "Lt. Savchuk", "--out", str(card)),
            ],
            "--from: ",
        ),
    ]
    for args, message in cases:
        status, out, err = run(["custody", *args, *db], capsys, monkeypatch)
        assert status == 2, (args, err)
        _one_line(err, message)
        assert not card.exists(), args  # no document written
