"""The National Information Bureau's exports: JSON and CSV, one record per notification.

Both hold the flat record of :func:`safeconduct.custody.nib.notification_record`, which the
JSON Schema ``custody/schemas/nib-notification.schema.json`` (draft 2020-12) documents: the
JSON file is an array of records, the CSV file has the schema's keys as its header, in the
schema's order, and one row per record (an empty cell for null). CSV is UTF-8 with a byte
order mark, so that spreadsheets open Cyrillic names correctly; :func:`read_nib_csv` reads it
back to the same records. Files are written atomically (whole or not at all).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from safeconduct.adapters.files.atomic import write_bytes_atomic
from safeconduct.custody.nib import RECORD_KEYS, NibNotification, notification_record
from safeconduct.errors import BadFileError

__all__ = [
    "RECORD_KEYS",
    "nib_csv",
    "nib_json",
    "nib_schema",
    "read_nib_csv",
    "schema_text",
    "write_nib_csv",
    "write_nib_json",
]

SCHEMA_NAME = "nib-notification.schema.json"


def schema_text() -> str:
    """The JSON Schema of one notification record, as packaged."""
    return (
        resources.files("safeconduct.custody")
        .joinpath("schemas", SCHEMA_NAME)
        .read_text(encoding="utf-8")
    )


def nib_schema() -> dict[str, Any]:
    """The JSON Schema of one notification record, parsed."""
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


def nib_json(notifications: Sequence[NibNotification]) -> str:
    """The notifications as a JSON array of records (UTF-8 text, names as given)."""
    records = [notification_record(n) for n in notifications]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def nib_csv(notifications: Sequence[NibNotification]) -> str:
    """The notifications as CSV text: a header of the record's keys, one row per record."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(RECORD_KEYS)
    for n in notifications:
        record = notification_record(n)
        writer.writerow(["" if record[k] is None else record[k] for k in RECORD_KEYS])
    return buf.getvalue()


def write_nib_json(
    notifications: Sequence[NibNotification], out_path: str | os.PathLike[str]
) -> Path:
    """Write :func:`nib_json` to ``out_path`` (UTF-8) atomically; returns the path."""
    return write_bytes_atomic(out_path, nib_json(notifications).encode("utf-8"))


def write_nib_csv(
    notifications: Sequence[NibNotification], out_path: str | os.PathLike[str]
) -> Path:
    """Write :func:`nib_csv` to ``out_path`` (UTF-8 with BOM) atomically; returns the path."""
    return write_bytes_atomic(out_path, nib_csv(notifications).encode("utf-8-sig"))


def read_nib_csv(path: str | os.PathLike[str]) -> list[dict[str, str | None]]:
    """The records of a CSV export (an empty cell read as None).

    Raises
    ------
    BadFileError
        The header is not the record's keys.
    """
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or tuple(header) != RECORD_KEYS:
            raise BadFileError(
                f"{path} is not a NIB export: its header is not {', '.join(RECORD_KEYS)}"
            )
        return [
            {
                key: (cell if cell != "" else None)
                for key, cell in zip(RECORD_KEYS, row, strict=True)
            }
            for row in reader
        ]
