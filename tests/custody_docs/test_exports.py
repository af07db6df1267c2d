"""The NIB exports: JSON valid against the packaged schema, CSV read back to the same records,
and every document and export of a full record free of the words that never leave the system."""

# Names as given, in Cyrillic.

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from safeconduct.adapters.formats.nib_export import (
    RECORD_KEYS,
    nib_schema,
    read_nib_csv,
    write_nib_csv,
    write_nib_json,
)
from safeconduct.adapters.pdf.custody_documents import ReportlabCustodyDocuments
from safeconduct.custody.effects import Receipt
from safeconduct.custody.evacuation import EvacuationList
from safeconduct.custody.nib import NibEvent, NibNotification, notification_record
from safeconduct.custody.record import Registration
from safeconduct.custody.wording import forbidden_in
from safeconduct.errors import BadFileError

DOCS = ReportlabCustodyDocuments()


def test_the_schema_documents_the_record() -> None:
    schema = nib_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert tuple(schema["properties"]) == RECORD_KEYS
    assert schema["required"] == list(RECORD_KEYS)
    assert schema["additionalProperties"] is False
    for key, prop in schema["properties"].items():
        assert prop["description"], key
    described = json.dumps(schema)
    for article in ("Art. 122", "Art. 17", "Annex IV B"):
        assert article in described


def test_json_validates_against_the_schema(
    tmp_path: Path, notifications: list[NibNotification], declined: Registration
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    everything = [
        *notifications,
        NibNotification(NibEvent.CAPTURE, date(2025, 3, 14), declined),
        *[
            NibNotification(event, date(2025, 4, 1), notifications[0].registration, place="X")
            for event in NibEvent
        ],
    ]
    out = tmp_path / "nib.json"
    DOCS.write_nib_json(everything, out)
    records = json.loads(out.read_text(encoding="utf-8"))
    assert records == [notification_record(n) for n in everything]
    validator = jsonschema.Draft202012Validator(
        nib_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for record in records:
        validator.validate(record)
    bad = {**records[0], "event": "surrendered"}
    assert not validator.is_valid(bad)
    assert not validator.is_valid({**records[0], "how": "anything"})
    assert "Шевченко" in out.read_text(encoding="utf-8")  # names as given, not escaped


def test_csv_reads_back_to_the_same_records(
    tmp_path: Path, notifications: list[NibNotification], declined: Registration
) -> None:
    everything = [*notifications, NibNotification(NibEvent.RELEASE, date(2025, 9, 1), declined)]
    out = tmp_path / "nib.csv"
    DOCS.write_nib_csv(everything, out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheets open it as UTF-8
    assert read_nib_csv(out) == [notification_record(n) for n in everything]


def test_csv_of_another_shape_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(BadFileError):
        read_nib_csv(other)


def test_exports_are_written_whole(tmp_path: Path, notifications: list[NibNotification]) -> None:
    out = tmp_path / "missing" / "nib.json"
    with pytest.raises(BadFileError):
        write_nib_json(notifications, out)
    write_nib_csv(notifications, tmp_path / "nib.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["nib.csv"]


@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_nothing_that_leaves_says_more_than_captured(
    tmp_path: Path,
    lang: str,
    registration: Registration,
    receipt: Receipt,
    evacuation: EvacuationList,
    notifications: list[NibNotification],
) -> None:
    langs = [lang]
    DOCS.render_capture_card(registration, langs, tmp_path / "card.pdf")
    DOCS.render_receipt(receipt, langs, tmp_path / "receipt.pdf")
    DOCS.render_evacuation_list(evacuation, langs, tmp_path / "evacuation.pdf")
    DOCS.render_nib_pdf(notifications, langs, tmp_path / "nib.pdf")
    DOCS.write_nib_json(notifications, tmp_path / "nib.json")
    DOCS.write_nib_csv(notifications, tmp_path / "nib.csv")
    for path in sorted(tmp_path.iterdir()):
        if path.suffix == ".pdf":
            reader = PdfReader(path)
            text = " ".join(page.extract_text() for page in reader.pages)
            text += " " + " ".join(str(v) for v in (reader.metadata or {}).values())
        else:
            text = path.read_text(encoding="utf-8-sig")
        for scan in ("ru", "uk", "en"):
            assert forbidden_in(text, scan) == [], (path.name, scan)
