"""The ``safeconduct areas`` commands: list the service's areas of operations, add one.

Thin wrappers over :mod:`safeconduct.services.area_library`, acting as the console. The
areas live in the service's data folder (``DATA/areas/<name>/``): with ``--data DIR`` that
folder is ``DIR``, with ``--db URL`` it is ``$SAFECONDUCT_DATA`` (else
``./safeconduct-data``), as for ``safeconduct serve``. ``areas add`` copies an area folder
such as ``safeconduct sample --out DIR`` writes, through the same checks as an upload.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from safeconduct.entrypoints.cli.cases import DataOption, DbOption, open_database, plain_table

if TYPE_CHECKING:
    from collections.abc import Iterator

    from safeconduct.services.area_library import AreaInfo
    from safeconduct.services.operations import OperationsPorts

areas_app = typer.Typer(
    name="areas",
    help="Areas of operations the coordination service plans on: list them, add one.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)


@contextlib.contextmanager
def _area_ports(data: Path | None, db: str | None) -> Iterator[OperationsPorts]:
    """The operations ports on the database the options name; closed afterwards."""
    from safeconduct import bootstrap

    casework = open_database(data, db)
    try:
        yield bootstrap.operations_ports(casework)
    finally:
        casework.database.close()


def _describe(info: AreaInfo) -> tuple[str, ...]:
    rows, cols = info.size
    return (
        info.name,
        f"{cols}x{rows} {info.cell_size_m:g} m",
        str(info.meeting_point),
        str(len(info.reception)),
        str(info.hazards),
        str(info.observers),
    )


@areas_app.command("list")
def list_command(data: DataOption = None, db: DbOption = None) -> None:
    """List the service's areas: grid and cell size, meeting point (LAT,LON), how many
    reception points, hazards and observers."""
    from safeconduct.services.area_library import list_areas
    from safeconduct.services.casework import CONSOLE

    with _area_ports(data, db) as ports:
        areas = list_areas(ports, actor=CONSOLE)
        where = ports.data_dir / "areas"
    if not areas:
        _out.print(f"no areas in {where}; add one with: safeconduct areas add NAME FOLDER")
        return
    table = plain_table(
        f"{len(areas)} area{'s' if len(areas) != 1 else ''} in {where}",
        ("area", "grid, cell", "meeting (LAT,LON)", "reception", "hazards", "observers"),
    )
    for info in areas:
        table.add_row(*_describe(info))
    _out.print(table)


@areas_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The new area's name (letters, digits, _ . -).")],
    folder: Annotated[
        Path,
        typer.Argument(
            help="An area folder: dem.tif, hazards.geojson, observers.geojson, "
            "reception.geojson, meeting.geojson and, optionally, launch.geojson."
        ),
    ],
    data: DataOption = None,
    db: DbOption = None,
) -> None:
    """Add an area to the service from a folder, checked as an upload is; nothing is kept
    if a file is refused."""
    from safeconduct.adapters.files.area_uploads import LAYER_FILES
    from safeconduct.errors import BadFileError, SafeconductError
    from safeconduct.services.area_library import add_area
    from safeconduct.services.casework import CONSOLE

    if not folder.is_dir():
        raise BadFileError(f"area folder {folder} does not exist", field="area_dir")
    with contextlib.ExitStack() as files, _area_ports(data, db) as ports:
        sources = {
            layer: files.enter_context((folder / file_name).open("rb"))
            for layer, file_name in LAYER_FILES.items()
            if (folder / file_name).is_file()
        }
        try:
            info = add_area(ports, name, sources, actor=CONSOLE)
        except SafeconductError as error:
            file_name = LAYER_FILES.get(error.field or "")
            if file_name is None:
                raise
            # A layer's error names the file in the folder given, not a flag.
            raise type(error)(
                f"{folder / file_name}: {error.message}", detail=error.detail
            ) from error
    rows, cols = info.size
    _out.print(
        f"area {info.name} added: {cols} x {rows} cells of {info.cell_size_m:g} m, meeting "
        f"point {info.meeting_point}, {len(info.reception)} reception point"
        f"{'s' if len(info.reception) != 1 else ''}"
    )
