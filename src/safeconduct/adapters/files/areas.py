"""Areas of operations kept as folders: ``dem.tif`` and the GeoJSON layers beside it."""

from __future__ import annotations

import os
from pathlib import Path

from safeconduct.adapters.formats.layers import (
    read_hazards,
    read_meeting,
    read_observers,
    read_reception,
)
from safeconduct.adapters.gis.geotiff import read_dem
from safeconduct.errors import BadFileError
from safeconduct.terrain.area import Area

PathLike = str | os.PathLike[str]

#: The files an area folder must hold; ``launch.geojson`` (one point) is optional.
AREA_LAYERS = ("dem.tif", "hazards.geojson", "observers.geojson", "reception.geojson",
               "meeting.geojson")  # fmt: skip
LAUNCH_LAYER = "launch.geojson"


def load_area(folder: PathLike) -> Area:
    """Read the area in ``folder``.

    Raises
    ------
    BadFileError
        The folder is missing, lacks a layer (each is named, with how to make an area), or
        a layer is malformed.
    """
    area_dir = Path(folder)
    if not area_dir.is_dir():
        raise BadFileError(f"area folder {area_dir} does not exist", field="area_dir")
    missing = [name for name in AREA_LAYERS if not (area_dir / name).is_file()]
    if missing:
        raise BadFileError(
            f"area folder {area_dir} lacks {', '.join(missing)}; an area needs "
            f"{', '.join(AREA_LAYERS)} (safeconduct sample --out DIR writes one)",
            field="area_dir",
        )
    launch_file = area_dir / LAUNCH_LAYER
    return Area(
        dem=read_dem(area_dir / "dem.tif"),
        hazards=tuple(read_hazards(area_dir / "hazards.geojson")),
        observers=tuple(read_observers(area_dir / "observers.geojson")),
        reception=tuple(read_reception(area_dir / "reception.geojson")),
        meeting=read_meeting(area_dir / "meeting.geojson"),
        # The same shape as the meeting point: one named point.
        launch=read_meeting(launch_file) if launch_file.is_file() else None,
        name=str(area_dir),
    )


class FolderAreas:
    """:class:`~safeconduct.services.ports.Areas` as folders of files."""

    def load_area(self, folder: PathLike) -> Area:
        return load_area(folder)

    def write_sample_area(self, folder: PathLike) -> Path:
        from safeconduct.adapters.files.sample_area import generate_sample_area

        return generate_sample_area(folder).folder

    def write_sample(self, folder: PathLike, *, area: str, seed: int) -> str:
        from safeconduct.adapters.files.sample_area import write_area

        return write_area(folder, area=area, seed=seed)
