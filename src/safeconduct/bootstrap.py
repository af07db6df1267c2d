"""Wiring: the one place that chooses the real adapters behind the services' ports.

Entry points ask here for the ports a use case needs and pass them to the service
function. Each builder imports its adapters only when called, so that a command loads
only what it uses (``safeconduct point`` never imports rasterio, reportlab or pymavlink).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os

    from safeconduct.services.casework import CaseworkPorts
    from safeconduct.services.mission import MissionPorts, UploadPorts
    from safeconduct.services.note import NotePorts
    from safeconduct.services.operation import OperationPorts
    from safeconduct.services.planning import PlanningPorts
    from safeconduct.services.ports import Areas
    from safeconduct.services.signals import SignalsPorts


# ----------------------------------------------------------------- terrain and planning


def planning_ports() -> PlanningPorts:
    """Rasters (rasterio), layers and routes (GeoJSON files), maps (matplotlib), outputs."""
    from safeconduct.adapters.files.atomic import AtomicFiles
    from safeconduct.adapters.formats.layers import GeoJsonLayers
    from safeconduct.adapters.formats.route_geojson import GeoJsonRouteFiles
    from safeconduct.adapters.gis.geotiff import RasterioRasters
    from safeconduct.adapters.report.pictures import MatplotlibMaps
    from safeconduct.services.planning import PlanningPorts

    return PlanningPorts(
        rasters=RasterioRasters(),
        layers=GeoJsonLayers(),
        routes=GeoJsonRouteFiles(),
        maps=MatplotlibMaps(),
        files=AtomicFiles(),
    )


def areas() -> Areas:
    """Areas of operations as folders of files (GeoTIFF and GeoJSON)."""
    from safeconduct.adapters.files.areas import FolderAreas

    return FolderAreas()


def operation_ports() -> OperationPorts:
    """Everything an operation reaches: area folders, planning, missions, notes, pictures."""
    from safeconduct.adapters.report.html import HtmlReports
    from safeconduct.adapters.report.pictures import MatplotlibFigures
    from safeconduct.services.operation import OperationPorts

    return OperationPorts(
        areas=areas(),
        planning=planning_ports(),
        mission=mission_ports(),
        note=note_ports(),
        figures=MatplotlibFigures(),
        reports=HtmlReports(),
    )


# ----------------------------------------------------------------- notes


def note_ports() -> NotePorts:
    """Fonts, PDF (reportlab), previews (PDFium) and atomic files for the note."""
    from safeconduct.adapters.pdf.fonts import ReportlabFonts
    from safeconduct.adapters.pdf.output import AtomicNoteFiles
    from safeconduct.adapters.pdf.previews import PdfiumPreviews
    from safeconduct.adapters.pdf.render import ReportlabPdf
    from safeconduct.services.note import NotePorts

    return NotePorts(
        fonts=ReportlabFonts(),
        pdf=ReportlabPdf(),
        previews=PdfiumPreviews(),
        files=AtomicNoteFiles(),
    )


# ----------------------------------------------------------------- signals


def signals_ports() -> SignalsPorts:
    """BlazePose (mediapipe), OpenCV frames and video, and atomic files, for ``signals``.

    Importing these loads neither mediapipe nor OpenCV: they load when first used, and a
    missing ``vision`` extra surfaces as a :class:`~safeconduct.errors.MissingExtraError`
    from ``poses.require()``.
    """
    from safeconduct.adapters.files.atomic import AtomicFiles
    from safeconduct.adapters.vision.pose import MediapipePoseModels
    from safeconduct.adapters.vision.video import (
        Mp4VideoWriters,
        OpenCvFrameImaging,
        OpenCvFrameSources,
    )
    from safeconduct.services.signals import SignalsPorts

    return SignalsPorts(
        poses=MediapipePoseModels(),
        frames=OpenCvFrameSources(),
        imaging=OpenCvFrameImaging(),
        videos=Mp4VideoWriters(),
        files=AtomicFiles(),
    )


# ----------------------------------------------------------------- missions


def mission_ports() -> MissionPorts:
    """Route GeoJSON, DEM GeoTIFF (rasterio), drone profiles, and the mission folder writer."""
    from safeconduct.adapters.files.drone_profiles import DroneProfileFiles
    from safeconduct.adapters.formats.mission_folder import MissionFolderWriter
    from safeconduct.adapters.formats.route_geojson import GeoJsonRouteFiles
    from safeconduct.adapters.gis.geotiff import RasterioRasters
    from safeconduct.services.mission import MissionPorts

    return MissionPorts(
        routes=GeoJsonRouteFiles(),
        dems=RasterioRasters(),
        profiles=DroneProfileFiles(),
        folders=MissionFolderWriter(),
    )


def upload_ports() -> UploadPorts:
    """Mission files (``.waypoints``, ``.plan``) and MAVLink links (pymavlink)."""
    from safeconduct.adapters.formats.mission_files import MissionFileReader
    from safeconduct.adapters.mavlink.upload import MavlinkVehicleLinks
    from safeconduct.services.mission import UploadPorts

    return UploadPorts(mission_files=MissionFileReader(), vehicles=MavlinkVehicleLinks())


# ----------------------------------------------------------------- casework

def casework_ports(
    data: str | os.PathLike[str] | None = None, db: str | None = None
) -> CaseworkPorts:
    """The casework database, migrated to the newest revision, and argon2 password hashes.

    Parameters
    ----------
    data
        A data folder: SQLite in WAL mode in ``data/safeconduct.db``.
    db
        A database URL (``postgresql+psycopg://user@host:5432/name``).

    With neither, the URL in the environment variable ``SAFECONDUCT_DB``, else the folder
    ``./safeconduct-data``. Raises ``InvalidValueError`` (a malformed URL, or both given) or
    ``BadFileError`` (a database that does not answer), with ``field="db"`` or ``"data"``.
    """
    from safeconduct.adapters.store.engine import create_store_engine, resolve_database_url
    from safeconduct.adapters.store.migrate import upgrade
    from safeconduct.adapters.store.passwords import Argon2Passwords
    from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
    from safeconduct.services.casework import CaseworkPorts

    engine = create_store_engine(resolve_database_url(data, db))
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return CaseworkPorts(database=SqlCaseworkDatabase(engine), passwords=Argon2Passwords())


# ---- events: live case changes for the boards

if TYPE_CHECKING:
    from safeconduct.services.ports import CaseChangeFeed


def case_change_feed(url: object) -> CaseChangeFeed:
    """Where casework announces committed case changes, and boards hear them.

    Parameters
    ----------
    url
        The store's database URL (a SQLAlchemy ``URL`` or its text): on PostgreSQL, a
        broker that shares changes between processes through ``LISTEN``/``NOTIFY``; on
        SQLite, one that serves this process only.
    """
    import sqlalchemy as sa

    from safeconduct.adapters.events.memory import InProcessChangeBroker
    from safeconduct.adapters.events.postgres import PostgresChangeBroker

    parsed = sa.make_url(str(url) if not isinstance(url, sa.URL) else url)
    if parsed.get_backend_name() == "postgresql":
        return PostgresChangeBroker(parsed)
    return InProcessChangeBroker()
