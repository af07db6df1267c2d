"""The ``safeconduct custody`` commands: reception, prisoner-of-war registration and the
documents the Third Geneva Convention requires.

Thin wrappers over :mod:`safeconduct.services.custody`, acting as the local console, so the
steps the board offers also work without it and can be scripted:

- ``arrive``: the reception team's record of the arrival (the case moves to ``in_custody``);
- ``register RECORD.json``: a prisoner registered from a JSON record (Art. 17, Annex IV B
  and Art. 122 fields), from a case or without one; prints the prisoner number issued;
- ``receipt``: money and valuables taken, itemised, and the receipt (Art. 18) as a PDF;
- ``card``: the capture card (Annex IV B) as a PDF;
- ``evacuation-list``: the list of evacuees of one transport (Art. 19-20) as a PDF;
- ``nib-export``: the notifications to the National Information Bureau (Art. 122) as
  JSON, CSV and PDF.

The database is the coordination service's (``--data DIR`` or ``--db URL``, as for
``safeconduct cases``). The services, the store and the renderers load only when a command
runs.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from safeconduct.entrypoints.cli.cases import DataOption, DbOption, open_database
from safeconduct.entrypoints.cli.keys import KeyFileOption
from safeconduct.errors import BadFileError, InvalidValueError, SafeconductError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from safeconduct.custody.effects import ReceiptItem
    from safeconduct.services.custody import CustodyPorts

custody_app = typer.Typer(
    name="custody",
    help="Prisoners of war: the arrival at reception, registration, and the documents the "
    "Third Geneva Convention requires (receipt, capture card, evacuation list, National "
    "Information Bureau notifications).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)

#: The languages a document may be printed in (the prisoner's own is always added).
_LANGS_HELP = "Languages of the document, comma-separated (ru, uk, en); the prisoner's own is "
_LANGS_HELP += "always included."

LangOption = Annotated[str, typer.Option("--lang", help=_LANGS_HELP)]
OutPdfOption = Annotated[Path, typer.Option("--out", help="The PDF to write.")]


#: Fields of the use cases' refusals named as these commands' options name them (the
#: case is ``--case`` here, and a case that cannot move is the case given); None: no
#: option concerned (an export with nothing to export yet).
_OWN_FIELDS: dict[str, str | None] = {
    "case_code": "case",
    "id": "case",
    "transition": "case",
    "notifications": None,
}


@contextlib.contextmanager
def custody_ports(
    data: Path | None, db: str | None, key_file: Path | None = None
) -> Iterator[CustodyPorts]:
    """The custody ports on the database the options name, opened with the key file
    (refused when the database holds encrypted data and it is missing or another one);
    closed afterwards."""
    from safeconduct import bootstrap

    casework = open_database(data, db, key_file)
    try:
        bootstrap.unlock_store(casework, key_file)
        yield bootstrap.custody_ports(casework)
    except SafeconductError as error:
        if error.field in _OWN_FIELDS:
            error.field = _OWN_FIELDS[error.field]
        raise
    finally:
        casework.database.close()


def parse_langs(text: str) -> tuple[str, ...]:
    """``"ru, en"`` -> ``("ru", "en")``; the use case checks each has a catalogue."""
    langs = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    if not langs:
        raise InvalidValueError("give one or more languages, e.g. ru,en", field="langs")
    return langs


def parse_item(text: str) -> ReceiptItem:
    """One receipt item as typed: ``"DESCRIPTION=AMOUNT CUR"``, e.g. ``"Banknotes=1500 RUB"``.

    Every item is money or a valuable with its value, so the amount and an ISO 4217
    currency are always given (the description may itself hold ``=``: the last one splits).

    Raises
    ------
    InvalidValueError
        ``field="items"``: no ``=``, no description, no amount, an amount that is not a
        number, or no currency.
    """
    from safeconduct.custody.effects import ReceiptItem, parse_amount

    description, sep, value = text.rpartition("=")
    description = description.strip()
    if not sep or not description:
        raise InvalidValueError(
            f"{text!r}: give an item as DESCRIPTION=AMOUNT CUR, e.g. 'Banknotes=1500 RUB'",
            field="items",
        )
    amount, _, currency = value.strip().partition(" ")
    if amount and not currency.strip():
        raise InvalidValueError(
            f"{text!r}: give the currency after the amount, e.g. '1500 RUB'", field="items"
        )
    return ReceiptItem(
        description=description,
        amount=parse_amount(amount, what=description),
        currency=currency.strip(),
    )


def parse_date(text: str, field: str) -> date:
    """An ISO date (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError(f"{text!r} is not a date; give YYYY-MM-DD", field=field) from None


def parse_time(text: str, field: str) -> datetime:
    """An ISO time with its zone; a time without one is taken as UTC (and said so in --help)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError(
            f"{text!r} is not a time; give e.g. 2026-11-27T14:05+02:00", field=field
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def read_record(path: Path) -> dict[str, Any]:
    """The JSON object of a registration record file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadFileError(f"{path} does not exist", field="record") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadFileError(f"{path} cannot be read: {error}", field="record") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadFileError(f"{path} is not valid JSON: {error}", field="record") from None
    if not isinstance(doc, dict):
        raise BadFileError(f"{path} must hold one JSON object", field="record")
    return doc


@custody_app.command("arrive")
def arrive_command(
    case_code: Annotated[str, typer.Option("--case", help="The case code (XXXX-XXXX).")],
    place: Annotated[str, typer.Option("--place", help="Where the person was received.")],
    escort: Annotated[
        list[str], typer.Option("--escort", help="An escort's name; repeat for each.")
    ],
    health: Annotated[
        str,
        typer.Option(
            "--health",
            help="State of health (Annex IV B): good, not_wounded, recovered, convalescent, "
            "sick, slightly_wounded, seriously_wounded.",
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="When the person arrived, ISO time with its zone (2026-11-27T14:05+02:00; "
            "without a zone: UTC). Default: now.",
        ),
    ] = None,
    people: Annotated[int, typer.Option("--people", help="How many people arrived.")] = 1,
    medical_priority: Annotated[
        bool, typer.Option("--medical-priority", help="Needs medical care first.")
    ] = False,
    effect: Annotated[
        list[str] | None,
        typer.Option("--effect", help="A personal effect the prisoner keeps; repeat for each."),
    ] = None,
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Record the arrival of a person led in (a reception team's step); the case moves to
    in_custody."""
    from safeconduct.custody.arrival import Arrival
    from safeconduct.custody.health import parse_health
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.custody import record_arrival

    arrival = Arrival(
        at=datetime.now(UTC) if at is None else parse_time(at, "at"),
        place=place,
        escorts=tuple(escort),
        people=people,
        health=parse_health(health),
        medical_priority=medical_priority,
        effects_kept=tuple(effect or ()),
    )
    with custody_ports(data, db, key_file) as ports:
        record_arrival(ports, case_code, arrival, actor=CONSOLE)
    _out.print(f"arrival recorded; the case is in custody ({arrival.people} received)")


@custody_app.command("register")
def register_command(
    record: Annotated[
        Path,
        typer.Argument(
            help="A JSON object with the snake_case fields: surname, first_names, rank, "
            'date_of_birth, service_number (each may be "not given"), fathers_first_name, '
            "mothers_maiden_name, place_of_birth, power, next_of_kin, captured_on, health, "
            "language, present_address. Dates YYYY-MM-DD."
        ),
    ],
    case_code: Annotated[
        str | None,
        typer.Option(
            "--case",
            help="The case the person came in by (XXXX-XXXX); the link stays in the "
            "protected operation record.",
        ),
    ] = None,
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Register a prisoner of war from a JSON record and print the prisoner number issued."""
    from safeconduct.custody.record import registration_from_json
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.custody import register_prisoner

    doc = read_record(record)
    try:
        registration = registration_from_json(doc)
        with custody_ports(data, db, key_file) as ports:
            number = register_prisoner(ports, registration, case=case_code, actor=CONSOLE)
    except SafeconductError as error:
        if error.field not in doc and error.field not in _RECORD_FIELDS:
            raise
        # A field of the file: named as the file names it, not as a flag.
        raise type(error)(
            f"{record}: {error.field}: {error.message}", detail=error.detail
        ) from error
    _out.print(number)


#: The registration record's keys (a refusal naming one points into the file).
_RECORD_FIELDS = frozenset(
    {
        "surname",
        "first_names",
        "rank",
        "date_of_birth",
        "service_number",
        "fathers_first_name",
        "mothers_maiden_name",
        "place_of_birth",
        "power",
        "next_of_kin",
        "captured_on",
        "health",
        "language",
        "present_address",
        "prisoner_number",
    }
)


@custody_app.command("card")
def card_command(
    prisoner: Annotated[str, typer.Option("--prisoner", help="The prisoner number.")],
    out: OutPdfOption,
    lang: LangOption = "en",
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Write a prisoner's capture card (Annex IV B, 150 x 105 mm) in two or three
    languages, ready for the prisoner to complete and sign."""
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.custody import write_capture_card

    langs = parse_langs(lang)
    with custody_ports(data, db, key_file) as ports:
        write_capture_card(ports, prisoner, langs, out, actor=CONSOLE)
    _out.print(f"wrote {out}")


@custody_app.command("receipt")
def receipt_command(
    item: Annotated[
        list[str],
        typer.Option(
            "--item",
            help="Money or a valuable taken, as DESCRIPTION=AMOUNT CUR (ISO 4217), e.g. "
            "--item 'Banknotes=1500 RUB' --item 'Gold ring=200 USD'; repeat for each.",
        ),
    ],
    out: OutPdfOption,
    prisoner: Annotated[
        str | None,
        typer.Option("--prisoner", help="The prisoner number (a registered prisoner)."),
    ] = None,
    case_code: Annotated[
        str | None,
        typer.Option("--case", help="Or the case code, before registration (XXXX-XXXX)."),
    ] = None,
    place: Annotated[
        str | None,
        typer.Option(
            "--place",
            help="Where the receipt is issued (default: the case's reception point, or the "
            "prisoner's present address).",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="With --case: the person's name as given (default: not given); a "
            "registered prisoner's comes from the registration.",
        ),
    ] = None,
    lang: LangOption = "en",
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Record money and valuables taken from a prisoner (Art. 18), item by item, and write
    the numbered receipt with two signature lines; prints the receipt number. Give
    --prisoner NUMBER (a registrar's receipt) or --case CODE (the reception team's, before
    registration)."""
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.custody import issue_receipt, write_receipt

    if (prisoner is None) == (case_code is None):
        raise InvalidValueError(
            "give either a prisoner number or a case code, not both or neither", field="prisoner"
        )
    items = [parse_item(text) for text in item]
    langs = parse_langs(lang)
    with custody_ports(data, db, key_file) as ports:
        receipt = issue_receipt(
            ports, prisoner or case_code, items, place=place, prisoner_name=name, actor=CONSOLE
        )
        write_receipt(ports, receipt.number, langs, out, actor=CONSOLE)
    _out.print(receipt.number)
    _out.print(f"wrote {out}")


@custody_app.command("evacuation-list")
def evacuation_list_command(
    prisoner: Annotated[
        list[str], typer.Option("--prisoner", help="A prisoner number; repeat for each.")
    ],
    from_place: Annotated[str, typer.Option("--from", help="Where the transport leaves from.")],
    to_place: Annotated[str, typer.Option("--to", help="Where it goes.")],
    escort: Annotated[str, typer.Option("--escort", help="Who leads the escort.")],
    out: OutPdfOption,
    on: Annotated[
        str | None, typer.Option("--date", help="Date of the transport, YYYY-MM-DD (today).")
    ] = None,
    lang: LangOption = "en",
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Write the list of evacuees of one transport (Art. 19-20): prisoner numbers, names,
    health category, from and to, date and escort."""
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.custody import evacuation_list, write_evacuation_list

    day = date.today() if on is None else parse_date(on, "on")
    langs = parse_langs(lang)
    with custody_ports(data, db, key_file) as ports:
        listed = evacuation_list(
            ports,
            prisoner,
            on=day,
            from_place=from_place,
            to_place=to_place,
            escort=escort,
            actor=CONSOLE,
        )
        write_evacuation_list(ports, listed, langs, out, actor=CONSOLE)
    count = len(listed.entries)
    _out.print(f"wrote {out} ({count} prisoner{'' if count == 1 else 's'})")


@custody_app.command("nib-export")
def nib_export_command(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the files into.")],
    lang: Annotated[
        str, typer.Option("--lang", help="Languages of the PDF, comma-separated (ru, uk, en).")
    ] = "en",
    data: DataOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Write the notifications to the National Information Bureau (Art. 122: capture,
    transfer, hospital admission, escape, release, death) as nib-notifications.json and
    .csv (one documented schema) and a printable .pdf."""
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.custody import export_nib

    langs = parse_langs(lang)
    with custody_ports(data, db, key_file) as ports, _new_folder(out) as folder:
        names = [p.name for p in export_nib(ports, folder, langs=langs, actor=CONSOLE)]
    for name in names:
        _out.print(f"wrote {out / name}")


@contextlib.contextmanager
def _new_folder(out: Path) -> Iterator[Path]:
    """Where to write files meant for ``out``: a staging folder whose files all arrive in
    ``out`` (made if missing) or none do, so a refused export leaves nothing behind."""
    from safeconduct.adapters.files.atomic import atomic_folder

    if not out.is_dir() and not out.parent.is_dir():
        raise BadFileError(f"folder {out.parent} does not exist; create it first", field="out_dir")
    with atomic_folder(out, prefix=f".{out.name}.") as staging:
        yield staging
