"""The server's area folders as a library: summaries beside each area, and uploads staged
in a hidden folder that becomes the area in one rename.

:class:`FolderAreaLibrary` is :class:`~safeconduct.services.ports.AreaFolders` on the local
file system: the data folder's ``areas/`` as :class:`~safeconduct.adapters.jobs.folders.FolderPlans`
sees it, plus what :mod:`safeconduct.services.area_library` needs to list areas without
reading their DEMs and to add one whole or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from safeconduct.adapters.files.areas import AREA_LAYERS, LAUNCH_LAYER
from safeconduct.adapters.files.atomic import write_refused, write_text_atomic
from safeconduct.adapters.jobs.folders import FolderPlans
from safeconduct.errors import DISK_FULL_ERRNOS, BadFileError, InvalidValueError
from safeconduct.services.ports import ByteSource

PathLike = str | os.PathLike[str]

#: Layer -> its file in an area folder (``dem`` -> ``dem.tif``), as
#: :func:`~safeconduct.adapters.files.areas.load_area` reads them.
LAYER_FILES: Mapping[str, str] = {
    name.partition(".")[0]: name for name in (*AREA_LAYERS, LAUNCH_LAYER)
}
#: The summary kept beside an area's files.
SUMMARY_FILE = "area.json"
#: The prefix of a staging folder: hidden, and no area name (names start with a letter or
#: a digit), so neither a listing nor an operation ever takes one for an area.
STAGING_PREFIX = ".staging-"
_CHUNK = 1024 * 1024


def _stamp(area_dir: Path) -> str | None:
    """A fingerprint of the area's files (names, sizes, modification times), or None when
    the folder is gone: a summary is good while the stamp it was kept with is."""
    try:
        entries = sorted(
            (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
            for entry in os.scandir(area_dir)
            if entry.is_file() and entry.name != SUMMARY_FILE and not entry.name.startswith(".")
        )
    except OSError:
        return None
    return hashlib.sha256(repr(entries).encode()).hexdigest()


class FolderAreaLibrary(FolderPlans):
    """:class:`~safeconduct.services.ports.AreaFolders` on the local file system.

    Summaries are kept in ``area.json`` beside the area's files (with a stamp of those
    files) and in memory, so that a read-only folder is summarised once per process.
    """

    def __init__(self) -> None:
        self._memory: dict[tuple[str, str], dict[str, object]] = {}
        self._lock = threading.Lock()

    # -- summaries

    def read_summary(self, area_dir: PathLike) -> Mapping[str, object] | None:
        folder = Path(area_dir)
        stamp = _stamp(folder)
        if stamp is None:
            return None
        with self._lock:
            remembered = self._memory.get((str(folder), stamp))
        if remembered is not None:
            return remembered
        try:
            kept = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(kept, dict) or kept.get("stamp") != stamp:
            return None
        summary = kept.get("summary")
        if not isinstance(summary, dict):
            return None
        with self._lock:
            self._memory[(str(folder), stamp)] = summary
        return summary

    def write_summary(self, area_dir: PathLike, summary: Mapping[str, object]) -> None:
        folder = Path(area_dir)
        stamp = _stamp(folder)
        if stamp is None:
            return
        with self._lock:
            self._memory[(str(folder), stamp)] = dict(summary)
        text = json.dumps({"stamp": stamp, "summary": dict(summary)}, indent=1)
        # Best effort: a folder this process may not write is summarised from memory.
        with contextlib.suppress(OSError, BadFileError):
            write_text_atomic(folder / SUMMARY_FILE, text + "\n")

    # -- uploads

    @contextlib.contextmanager
    def staging_area(self, areas_dir: PathLike) -> Iterator[Path]:
        parent = Path(areas_dir)
        try:
            parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
        except OSError as error:
            if error.errno in DISK_FULL_ERRNOS:
                raise write_refused("the areas folder", error) from error
            raise BadFileError(
                f"the server cannot write its areas folder ({error.strerror})", field="name"
            ) from error
        try:
            yield staging
        finally:
            # Moved into place by publish_area, or left behind by a failure: never kept.
            shutil.rmtree(staging, ignore_errors=True)

    def write_layer(
        self, staging: PathLike, layer: str, source: bytes | ByteSource, *, limit_bytes: int
    ) -> Path:
        file_name = LAYER_FILES.get(layer)
        if file_name is None:
            raise InvalidValueError(f"an area has no layer {layer!r}", field=layer)
        path = Path(staging) / file_name
        written = 0
        try:
            with path.open("wb") as out:
                for chunk in _chunks(source):
                    written += len(chunk)
                    if written > limit_bytes:
                        raise BadFileError(
                            f"the {layer} file is larger than {_size(limit_bytes)}; "
                            "crop or simplify it",
                            field=layer,
                        )
                    out.write(chunk)
        except OSError as error:  # a full disk above all: 503, not a 500 (the staging goes)
            raise write_refused(f"the {layer} file", error, field=layer) from error
        if written == 0:
            raise BadFileError(f"the {layer} file is empty", field=layer)
        return path

    def dem_shape(self, path: PathLike) -> tuple[int, int]:
        import rasterio
        from rasterio.errors import RasterioError

        try:
            # GeoTIFF alone: GDAL would also open a VRT (XML naming other files: any file
            # the server reads, or a URL) or a format that unpacks an archive. Only the
            # header is read here: a GeoTIFF declaring huge dimensions (a "bomb") is
            # refused by them before any pixel is unpacked.
            with rasterio.open(path, driver="GTiff") as src:
                if src.driver != "GTiff":
                    raise BadFileError(
                        f"the DEM is a {src.driver} file, not a GeoTIFF; convert it "
                        "(gdal_translate -of GTiff)"
                    )
                return int(src.height), int(src.width)
        except RasterioError as error:
            first_line = (str(error).splitlines() or [type(error).__name__])[0]
            raise BadFileError(
                "the DEM is not a raster GDAL reads (a GeoTIFF of ground heights expected): "
                + first_line[:200]
            ) from error

    def publish_area(self, staging: PathLike, area_dir: PathLike) -> bool:
        source, target = Path(staging), Path(area_dir)
        os.chmod(source, 0o755)  # mkdtemp makes 0700: others on the server read areas too
        try:
            # rename(2) replaces only an empty folder: a whole area that got there first stays.
            if target.exists() and any(target.iterdir()):
                return False
            os.rename(source, target)
        except OSError as error:
            if target.exists():
                return False  # an upload of the same name won between the check and now
            raise BadFileError(
                f"the server cannot move the new area into place ({error.strerror})",
                field="name",
            ) from error
        return True


def _chunks(source: bytes | ByteSource) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        for start in range(0, len(data), _CHUNK):
            yield data[start : start + _CHUNK]
        return
    while True:
        chunk = source.read(_CHUNK)
        if not chunk:
            return
        yield bytes(chunk)


def _size(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):g} MiB"
