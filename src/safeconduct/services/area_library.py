"""The server's areas of operations: list them, read one, add one (an upload).

An operation names an area the server keeps as a folder ``DATA/areas/<name>/`` (``dem.tif``
and the GeoJSON layers ``hazards``, ``observers``, ``reception``, ``meeting`` and the
optional ``launch``; see :func:`~safeconduct.adapters.files.areas.load_area`). A planner
picks one of them (:func:`list_areas`, :func:`get_area`) or adds one (:func:`add_area`):
the files are written into a hidden staging folder beside the areas, checked with the same
readers a plan job uses, and only then renamed into place in one step, so an area is
either whole and valid or not there at all.

A summary of each area (:class:`AreaInfo`: its bounds, grid, meeting point, reception
points and layer counts) is kept beside it (:meth:`AreaFolders.write_summary`) and read
back as long as the area's files are unchanged, so listing the areas reads no DEM.

Access (GUIDE §2): areas are ``plan`` data. Planners write them (add), operators and
planners read them; crews, reception teams and the rest get nothing here (their own
operations show them their area). The command line acts as the console.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

import numpy as np

from safeconduct.casework.operation import normalise_area_name
from safeconduct.casework.roles import can
from safeconduct.errors import (
    BadFileError,
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
    SafeconductError,
)
from safeconduct.services.casework import Actor
from safeconduct.services.operations import AREAS_FOLDER, OperationsPorts
from safeconduct.services.ports import AreaFolders, ByteSource
from safeconduct.terrain.area import Area
from safeconduct.terrain.coords import GeoPoint
from safeconduct.terrain.layers import NamedPoint

log = logging.getLogger("safeconduct.areas")
T = TypeVar("T")

#: The layers of an upload, in the order they are checked, and which of them are required.
LAYERS = ("dem", "hazards", "observers", "reception", "meeting", "launch")
REQUIRED_LAYERS = ("dem", "hazards", "observers", "reception", "meeting")
#: The largest DEM file accepted, in bytes (a 8000 x 8000 float64 GeoTIFF is 512 MiB).
MAX_DEM_BYTES = 512 * 1024 * 1024
#: The largest GeoJSON layer accepted, in bytes.
MAX_LAYER_BYTES = 20 * 1024 * 1024
#: The most DEM cells accepted (rows x cols): a compressed GeoTIFF may be small on disk and
#: still unpack to more memory than a plan can use. 8000 x 8000 cells: 40 x 40 km at 5 m.
MAX_DEM_CELLS = 64_000_000
#: The version of the summary kept beside an area; another version is summarised again.
SUMMARY_VERSION = 1


class AreaExistsError(InvalidValueError):
    """An area of that name exists already (``field="name"``); areas are never replaced, so
    that an operation planned on one keeps meaning the same terrain. The web answers 409."""


@dataclass(frozen=True)
class AreaInfo:
    """One of the server's areas as a planner chooses it.

    Attributes
    ----------
    name
        The area's name (its folder), as an operation names it.
    bounds
        ``(west, south, east, north)`` of the DEM's grid, WGS84 degrees (the box around
        its edges, which in UTM are not parallels and meridians).
    cell_size_m
        The DEM's cell width (east-west) in metres.
    size
        ``(rows, cols)`` of the DEM's grid.
    meeting_point
        The area's own meeting point (``meeting.geojson``), WGS84; an operation may meet
        elsewhere on the DEM.
    reception
        The names of the area's reception points, in the layer's order.
    hazards, observers
        How many features the hazards and observers layers hold.
    launch_point
        Where the drones take off (``launch.geojson``), or None (from the reception point).
    synthetic
        Whether the DEM is made up (tagged ``SYNTHETIC``), as the sample area is.
    """

    name: str
    bounds: tuple[float, float, float, float]
    cell_size_m: float
    size: tuple[int, int]
    meeting_point: GeoPoint
    reception: tuple[str, ...]
    hazards: int
    observers: int
    launch_point: GeoPoint | None = None
    synthetic: bool = False


# ----------------------------------------------------------------- access


def may_read_areas(actor: Actor) -> bool:
    """Whether ``actor`` may see the server's areas (operators, planners, the console)."""
    return actor.console or can(actor.roles, "read", "plan", own=False)


def may_add_areas(actor: Actor) -> bool:
    """Whether ``actor`` may add an area (planners, the console)."""
    return actor.console or can(actor.roles, "write", "plan", own=False)


def _describe(actor: Actor) -> str:
    return f"{actor.name} ({', '.join(actor.roles) or 'no role'})"


def require_add(actor: Actor) -> None:
    """Refuse an actor who may not add areas, before an upload is read.

    Raises
    ------
    PermissionDeniedError
    """
    if not may_add_areas(actor):
        raise PermissionDeniedError(f"{_describe(actor)} may not add areas of operations")


def _require_read(actor: Actor) -> None:
    if not may_read_areas(actor):
        raise PermissionDeniedError(f"{_describe(actor)} may not see the areas of operations")


# ----------------------------------------------------------------- summaries


def summarise(name: str, area: Area) -> AreaInfo:
    """The :class:`AreaInfo` of a loaded area called ``name``."""
    dem = area.dem
    rows, cols = dem.shape
    left, bottom, right, top = dem.bounds
    # The grid's edges, 64 points each: a UTM box is not a lon/lat box.
    steps = np.linspace(0.0, 1.0, 65)
    xs = np.concatenate([left + steps * (right - left), np.full(65, right),
                         right - steps * (right - left), np.full(65, left)])  # fmt: skip
    ys = np.concatenate([np.full(65, bottom), bottom + steps * (top - bottom),
                         np.full(65, top), top - steps * (top - bottom)])  # fmt: skip
    lons, lats = dem.xy_to_lonlat(xs, ys)
    bounds = (float(np.min(lons)), float(np.min(lats)), float(np.max(lons)), float(np.max(lats)))
    launch = area.launch
    return AreaInfo(
        name=name,
        bounds=bounds,
        cell_size_m=float(dem.cell_size[0]),
        size=(int(rows), int(cols)),
        meeting_point=GeoPoint(area.meeting.lat, area.meeting.lon),
        reception=tuple(r.name for r in area.reception),
        hazards=len(area.hazards),
        observers=len(area.observers),
        launch_point=None if launch is None else GeoPoint(launch.lat, launch.lon),
        synthetic=area.synthetic,
    )


def _point_json(point: GeoPoint | None) -> list[float] | None:
    return None if point is None else [point.lat, point.lon]


def _to_summary(info: AreaInfo) -> dict[str, object]:
    """What is kept beside the area (JSON values; points as ``[lat, lon]``)."""
    return {
        "version": SUMMARY_VERSION,
        "bounds": list(info.bounds),
        "cell_size_m": info.cell_size_m,
        "size": list(info.size),
        "meeting_point": _point_json(info.meeting_point),
        "reception": list(info.reception),
        "hazards": info.hazards,
        "observers": info.observers,
        "launch_point": _point_json(info.launch_point),
        "synthetic": info.synthetic,
    }


def _from_summary(name: str, kept: Mapping[str, object]) -> AreaInfo | None:
    """The :class:`AreaInfo` of a kept summary; None if it is of another version or shape."""
    if kept.get("version") != SUMMARY_VERSION:
        return None
    try:
        west, south, east, north = (float(v) for v in cast(list, kept["bounds"]))
        rows, cols = (int(v) for v in cast(list, kept["size"]))
        lat, lon = (float(v) for v in cast(list, kept["meeting_point"]))
        launch = cast(list | None, kept.get("launch_point"))
        return AreaInfo(
            name=name,
            bounds=(west, south, east, north),
            cell_size_m=float(cast(float, kept["cell_size_m"])),
            size=(rows, cols),
            meeting_point=GeoPoint(lat, lon),
            reception=tuple(str(r) for r in cast(list, kept["reception"])),
            hazards=int(cast(int, kept["hazards"])),
            observers=int(cast(int, kept["observers"])),
            launch_point=None if launch is None else GeoPoint(float(launch[0]), float(launch[1])),
            synthetic=bool(kept.get("synthetic", False)),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _info(ports: OperationsPorts, name: str) -> AreaInfo:
    """The summary of area ``name`` (a known, valid name): kept, or made and kept."""
    area_dir = ports.area_dir(name)
    folders = ports.folders
    kept = folders.read_summary(area_dir)
    info = None if kept is None else _from_summary(name, kept)
    if info is not None:
        return info
    info = summarise(name, ports.pipeline.areas.load_area(area_dir))
    folders.write_summary(area_dir, _to_summary(info))
    return info


def _area_names(ports: OperationsPorts) -> list[str]:
    """The names of the server's areas; folders whose names no operation could give (a
    staging folder, ``.hidden``) are not areas."""
    names = []
    for name in ports.folders.area_names(ports.data_dir / AREAS_FOLDER):
        try:
            names.append(normalise_area_name(name))
        except InvalidValueError:
            continue
    return sorted(set(names))


# ----------------------------------------------------------------- use cases


def list_areas(ports: OperationsPorts, *, actor: Actor) -> list[AreaInfo]:
    """The server's areas, by name, for whoever may read plans.

    An area whose files cannot be read is left out of the list (and logged), so one
    broken folder does not hide the others; :func:`get_area` names its fault.

    Raises
    ------
    PermissionDeniedError
        The actor may not read plans (a crew, reception, a registrar...).
    """
    _require_read(actor)
    found = []
    for name in _area_names(ports):
        try:
            found.append(_info(ports, name))
        except SafeconductError as error:
            log.warning("area %s left out of the list: %s", name, error)
    return found


def get_area(ports: OperationsPorts, name: str, *, actor: Actor) -> AreaInfo:
    """The area called ``name``, for whoever may read plans.

    Raises
    ------
    PermissionDeniedError
    InvalidValueError
        ``field="name"``: not an area name (letters, digits, ``_``, ``.``, ``-``).
    NotFoundError
        ``field="name"``: the server has no such area.
    BadFileError
        The area's files cannot be read (the message says which).
    """
    _require_read(actor)
    checked = _checked_name(name)
    if checked not in _area_names(ports):
        raise NotFoundError(f"the server has no area {checked!r}", field="name")
    return _info(ports, checked)


def _checked_name(name: str) -> str:
    try:
        return normalise_area_name(name)
    except InvalidValueError as error:
        raise InvalidValueError(
            f"{name!r} is not an area name: 1-64 letters, digits, '_', '.' or '-', starting "
            "with a letter or a digit",
            field="name",
        ) from error


def _limit(layer: str) -> int:
    return MAX_DEM_BYTES if layer == "dem" else MAX_LAYER_BYTES


def _check_layers(files: Mapping[str, bytes | ByteSource]) -> None:
    unknown = sorted(set(files) - set(LAYERS))
    if unknown:
        raise InvalidValueError(
            f"an area has no layer {unknown[0]!r}; its layers are: {', '.join(LAYERS)}",
            field=unknown[0],
        )
    for layer in REQUIRED_LAYERS:
        if files.get(layer) is None:
            what = "a GeoTIFF" if layer == "dem" else "a GeoJSON file"
            raise InvalidValueError(
                f"an area needs its {layer} layer ({what}); the layers are "
                f"{', '.join(REQUIRED_LAYERS)} and, optionally, launch",
                field=layer,
            )


def _scrubbed(error: BaseException, staging: Path) -> str:
    """The error's message without the staging folder's path (which means nothing to the
    one who uploaded, and is the server's business)."""
    text = error.message if isinstance(error, SafeconductError) else str(error)
    return text.replace(f"{staging}/", "").replace(str(staging), "the upload")


def _read_layer(layer: str, staging: Path, read: Callable[[], T]) -> T:
    """``read()``, with any failure as a :class:`BadFileError` naming ``layer``."""
    try:
        return read()
    except SafeconductError as error:
        raise BadFileError(_scrubbed(error, staging), field=layer) from error
    except Exception as error:  # a reader's library choking on a malformed upload
        log.info("upload: %s layer refused (%s: %s)", layer, type(error).__name__, error)
        raise BadFileError(
            f"the {layer} layer cannot be read ({type(error).__name__}): "
            + _scrubbed(error, staging).splitlines()[0][:200],
            field=layer,
        ) from error


def _on_grid(area: Area, point: NamedPoint, layer: str, what: str) -> None:
    try:
        area.dem.cell_of_lonlat(point.lon, point.lat, what=what)
    except SafeconductError as error:
        raise InvalidValueError(error.message, field=layer) from error


def _check_area(
    ports: OperationsPorts, folders: AreaFolders, staging: Path, paths: Mapping[str, Path]
) -> Area:
    """Read every uploaded layer as a plan job would, each failure naming its layer; the
    area read as a whole by the Areas port (what plan jobs call)."""
    layers = ports.pipeline.planning.layers
    _read_layer("hazards", staging, lambda: layers.read_hazards(paths["hazards"]))
    _read_layer("observers", staging, lambda: layers.read_observers(paths["observers"]))
    reception = _read_layer("reception", staging, lambda: layers.read_reception(paths["reception"]))
    if not reception:
        raise BadFileError(
            "the reception layer holds no point; add at least one", field="reception"
        )
    _read_layer("meeting", staging, lambda: layers.read_meeting(paths["meeting"]))
    if "launch" in paths:
        _read_layer("launch", staging, lambda: layers.read_meeting(paths["launch"]))
    rows, cols = _read_layer("dem", staging, lambda: folders.dem_shape(paths["dem"]))
    if rows * cols > MAX_DEM_CELLS:
        raise BadFileError(
            f"the DEM has {rows} x {cols} cells, more than the {MAX_DEM_CELLS:,} a plan can "
            "use; crop it to the area of operations or resample it to a coarser cell",
            field="dem",
        )
    # Every vector layer was read above: what is left to fail here is the DEM.
    area = _read_layer("dem", staging, lambda: ports.pipeline.areas.load_area(staging))
    _on_grid(area, area.meeting, "meeting", "the meeting point")
    for point in area.reception:
        _on_grid(area, point, "reception", f"reception point {point.name!r}")
    if area.launch is not None:
        _on_grid(area, area.launch, "launch", "the launch point")
    return area


def add_area(
    ports: OperationsPorts,
    name: str,
    files: Mapping[str, bytes | ByteSource | None],
    *,
    actor: Actor,
) -> AreaInfo:
    """Add an area called ``name`` from uploaded files (a planner, or the console).

    Parameters
    ----------
    name
        The new area's name: 1-64 letters, digits, ``_``, ``.`` or ``-``, starting with a
        letter or digit; not one the server has.
    files
        Layer name -> the file's bytes or a readable binary stream: ``dem`` (a GeoTIFF of
        ground heights in metres, projected in metres or geographic), ``hazards``,
        ``observers``, ``reception``, ``meeting`` (GeoJSON, WGS84 ``lon, lat``) and,
        optionally, ``launch`` (GeoJSON, one point). A None value counts as absent.

    Returns
    -------
    AreaInfo
        The new area's summary.

    Raises
    ------
    PermissionDeniedError
        The actor may not write plans.
    InvalidValueError
        ``field="name"``: not an area name; ``field=<layer>``: a required layer is missing,
        an unknown layer was given, or a point (``meeting``, ``reception``, ``launch``) lies
        off the DEM or on a nodata cell.
    AreaExistsError
        ``field="name"``: the server has an area of that name.
    BadFileError
        ``field=<layer>``: the file is empty, too large, or not what its readers take (a DEM
        that is no GeoTIFF or has no usable CRS, a GeoJSON layer that is malformed).

    On any error nothing is left in the areas folder.
    """
    require_add(actor)
    checked = _checked_name(name)
    present = {layer: source for layer, source in files.items() if source is not None}
    _check_layers(present)
    folders = ports.folders
    area_dir = ports.area_dir(checked)
    areas_dir = ports.data_dir / AREAS_FOLDER
    if checked in ports.folders.area_names(areas_dir):
        raise _exists(checked)
    with folders.staging_area(areas_dir) as staging:
        paths = {
            layer: folders.write_layer(staging, layer, present[layer], limit_bytes=_limit(layer))
            for layer in LAYERS
            if layer in present
        }
        info = summarise(checked, _check_area(ports, folders, staging, paths))
        folders.write_summary(staging, _to_summary(info))
        if not folders.publish_area(staging, area_dir):
            raise _exists(checked)
    log.info("area %s added by %s", checked, actor.name)
    return info


def _exists(name: str) -> AreaExistsError:
    return AreaExistsError(
        f"the server has an area called {name!r} already; areas are never replaced "
        "(operations planned on it keep their terrain): choose another name",
        field="name",
    )
