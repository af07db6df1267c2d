"""Wiring: the one place that chooses the real adapters behind the services' ports.

Entry points ask here for the ports a use case needs and pass them to the service
function. Each builder imports its adapters only when called, so that a command loads
only what it uses (``safeconduct point`` never imports rasterio, reportlab or pymavlink).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from safeconduct.services.audit import AuditPorts
    from safeconduct.services.backup import BackupPorts
    from safeconduct.services.casework import CaseworkPorts
    from safeconduct.services.custody import CustodyPorts
    from safeconduct.services.exports import ExportPorts
    from safeconduct.services.keys import KeysPorts
    from safeconduct.services.leading import LeadPorts, LiveRehearsalPorts
    from safeconduct.services.mission import MissionPorts, UploadPorts
    from safeconduct.services.note import NotePorts
    from safeconduct.services.operation import OperationPorts
    from safeconduct.services.operations import OperationsPorts
    from safeconduct.services.planning import PlanningPorts
    from safeconduct.services.ports import (
        Areas,
        BackupFiles,
        CaseChangeFeed,
        Clock,
        FieldCipher,
        GuidedVehicles,
        LiveBoard,
        LiveRelay,
    )
    from safeconduct.services.retention import RetentionPorts
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
    """BlazePose (mediapipe), OpenCV frames, video and sign test, atomic files, and the
    gimbal's attitude from telemetry logs (pymavlink), for ``signals``.

    Importing these loads neither mediapipe nor OpenCV: they load when first used, and a
    missing ``vision`` extra surfaces as a :class:`~safeconduct.errors.MissingExtraError`
    from ``poses.require()``.
    """
    from safeconduct.adapters.files.atomic import AtomicFiles
    from safeconduct.adapters.mavlink.gimbal_log import TlogGimbalLogs
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
        gimbal=TlogGimbalLogs(),
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


# ----------------------------------------------------------------- live leading


def guided_vehicles() -> GuidedVehicles:
    """Vehicles flown in GUIDED (ArduPilot) or Offboard (PX4) over MAVLink (pymavlink)."""
    from safeconduct.adapters.mavlink.guided import MavlinkGuidedVehicles

    return MavlinkGuidedVehicles()


def lead_ports(
    *,
    clock: Clock | None = None,
    server: str | None = None,
    operation: int | None = None,
    token: str | None = None,
) -> LeadPorts:
    """MAVLink vehicles (pymavlink), route and DEM files, person tracks, the clock (the wall
    clock unless given), and the operation's live board when ``server`` is given."""
    from safeconduct.adapters.clock import WallClock
    from safeconduct.adapters.files.drone_profiles import DroneProfileFiles
    from safeconduct.adapters.formats.person_track import CsvPersonTracks
    from safeconduct.adapters.formats.route_geojson import GeoJsonRouteFiles
    from safeconduct.adapters.gis.geotiff import RasterioRasters
    from safeconduct.adapters.mavlink.guided import MavlinkGuidedVehicles
    from safeconduct.services.leading import LeadPorts

    board = None
    if server is not None and operation is not None:
        board = live_board(server, operation, token or "")
    return LeadPorts(
        vehicles=MavlinkGuidedVehicles(),
        routes=GeoJsonRouteFiles(),
        dems=RasterioRasters(),
        clock=clock or WallClock(),
        tracks=CsvPersonTracks(),
        board=board,
        profiles=DroneProfileFiles(),
    )


def live_rehearsal_ports(
    *, speed: float, server: str | None = None, operation: int | None = None,
    token: str | None = None,
) -> LiveRehearsalPorts:  # fmt: skip
    """:func:`lead_ports` on a clock ``speed`` times faster than real time, and simulated
    copters on 127.0.0.1 running at the same rate."""
    from safeconduct.adapters.clock import ScaledClock
    from safeconduct.adapters.mavlink.simulated_vehicles import SimulatedCopters
    from safeconduct.services.leading import LiveRehearsalPorts

    ports = lead_ports(clock=ScaledClock(speed), server=server, operation=operation, token=token)
    return LiveRehearsalPorts(lead=ports, simulators=SimulatedCopters())


# ----------------------------------------------------------------- casework


def casework_ports(
    data: str | os.PathLike[str] | None = None,
    db: str | None = None,
    key_file: str | os.PathLike[str] | None = None,
) -> CaseworkPorts:
    """The casework database, migrated to the newest revision, and argon2 password hashes.

    Parameters
    ----------
    data
        A data folder: SQLite in WAL mode in ``data/safeconduct.db``.
    db
        A database URL (``postgresql+psycopg://user@host:5432/name``).
    key_file
        The key file the command was given (else ``$SAFECONDUCT_KEY_FILE``): the revision
        that seals rows already there (0012, case codes) seals them with it.

    With neither, the URL in the environment variable ``SAFECONDUCT_DB``, else the folder
    ``./safeconduct-data``. Raises ``InvalidValueError`` (a malformed URL, or both given) or
    ``BadFileError`` (a database that does not answer), with ``field="db"`` or ``"data"``.

    On PostgreSQL the ports announce committed case changes through ``NOTIFY``, so that a
    case opened or moved at the command line appears on every open board; the service
    replaces this feed with its own listening one. On SQLite only the service's own
    process could hear, so nothing is announced.
    """
    from safeconduct.adapters.store.engine import create_store_engine, resolve_database_url
    from safeconduct.adapters.store.migrate import upgrade
    from safeconduct.adapters.store.passwords import Argon2Passwords
    from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
    from safeconduct.services.casework import CaseworkPorts

    engine = create_store_engine(resolve_database_url(data, db))
    try:
        # Revision 0012 seals the case codes already there with the key file's key: the
        # one given (--key-file), not only $SAFECONDUCT_KEY_FILE's.
        upgrade(engine, cipher=lambda: field_cipher(key_file))
    except BaseException:
        engine.dispose()
        raise
    events = case_change_feed(engine.url) if engine.url.get_backend_name() == "postgresql" else None
    return CaseworkPorts(
        database=SqlCaseworkDatabase(engine), passwords=Argon2Passwords(), events=events
    )


# ----------------------------------------------------------------- custody


def custody_ports(casework: CaseworkPorts) -> CustodyPorts:
    """The custody use cases on the casework database: prisoners, receipts and their
    numbers live beside the cases (revision 0007), and the documents are drawn with
    reportlab (:class:`~safeconduct.adapters.pdf.custody_documents.ReportlabCustodyDocuments`).

    Parameters
    ----------
    casework
        The (migrated) casework ports; custody shares their database and their feed of
        case changes, so a case moved by a registration reaches the boards.
    """
    from safeconduct.adapters.jobs.folders import FolderPlans
    from safeconduct.adapters.pdf.custody_documents import ReportlabCustodyDocuments
    from safeconduct.custody.series import DEFAULT_SERIES
    from safeconduct.services.custody import CustodyPorts

    return CustodyPorts(
        database=casework.database,  # type: ignore[arg-type]
        documents=ReportlabCustodyDocuments(),
        series=DEFAULT_SERIES,
        events=casework.events,
        folders=FolderPlans(),
    )


# ----------------------------------------------------------------- keys
# field encryption (issue 13): the key file, and the data keys in the store


def field_cipher(key_file: str | os.PathLike[str] | None) -> FieldCipher | None:
    """The field cipher of the key file given, else of ``$SAFECONDUCT_KEY_FILE``; None when
    neither names one. Raises ``BadFileError`` (``field="key_file"``) for a key file that is
    missing, open to others or malformed."""
    from safeconduct.adapters.crypto.keyfile import resolve_key_file
    from safeconduct.adapters.crypto.reloading import ReloadingFieldCipher

    path = resolve_key_file(key_file)
    # Reloading: a purge's rotation replaces the key file under a running service.
    return None if path is None else ReloadingFieldCipher(path)


def write_new_key_file(path: str | os.PathLike[str]) -> str:
    """Write a new key file at ``path`` (mode 0600, never over a file); return its key id."""
    from safeconduct.adapters.crypto.keyfile import new_master_key, write_key_file

    key = new_master_key()
    write_key_file(path, key)
    return key.key_id


def keys_ports(casework: CaseworkPorts) -> KeysPorts:
    """The data keys in the casework database (revision 0009)."""
    from safeconduct.adapters.store.keys import SqlDataKeys
    from safeconduct.services.keys import KeysPorts

    return KeysPorts(
        data_keys=SqlDataKeys(casework.database.engine),  # type: ignore[attr-defined]
        database=casework.database,  # type: ignore[arg-type]
    )


def unlock_store(
    casework: CaseworkPorts, key_file: str | os.PathLike[str] | None
) -> FieldCipher | None:
    """Open the store with its key file (``key_file``, else ``$SAFECONDUCT_KEY_FILE``) and
    return its cipher; refused (``BadFileError``, ``field="key_file"``, nothing changed)
    when the database holds encrypted data and the key file is missing or another one."""
    from safeconduct.errors import BadFileError
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.keys import unlock

    cipher = field_cipher(key_file)
    ports = keys_ports(casework)
    try:
        unlock(ports, cipher, actor=CONSOLE)
    except BadFileError as error:
        # A rotation after a purge stopped between its commit and the key file's move.
        from safeconduct.adapters.crypto.keyfile import resolve_key_file
        from safeconduct.adapters.crypto.reloading import explain_interrupted_rotation

        hint = explain_interrupted_rotation(
            resolve_key_file(key_file), ports.data_keys.master_key_ids()
        )
        if hint is None:
            raise
        raise BadFileError(hint, field="key_file") from error
    casework.database.cipher = cipher  # type: ignore[attr-defined]
    return cipher


# ----------------------------------------------------------------- events
# live case changes for the boards


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


def live_relay(url: object) -> LiveRelay:
    """Where the server processes share the boards' live maps (never stored).

    Parameters
    ----------
    url
        The store's database URL: on PostgreSQL, ``NOTIFY``/``LISTEN`` between processes;
        on SQLite, this process only.
    """
    import sqlalchemy as sa

    from safeconduct.adapters.events.live import InProcessLiveRelay, PostgresLiveRelay

    parsed = sa.make_url(str(url) if not isinstance(url, sa.URL) else url)
    if parsed.get_backend_name() == "postgresql":
        return PostgresLiveRelay(parsed)
    return InProcessLiveRelay()


def live_board(server_url: str, operation_id: int, token: str) -> LiveBoard:
    """The live map of operation ``operation_id`` on the service at ``server_url``, for the
    ``lead`` command (signed in with ``token``)."""
    from safeconduct.adapters.service_client.live_board import HttpLiveBoard

    return HttpLiveBoard(server_url, operation_id, token)


# ----------------------------------------------------------------- operations
# operations and plan jobs (services/operations.py, adapters/jobs/)


def operations_ports(
    casework: CaseworkPorts, data_dir: str | os.PathLike[str] | None = None
) -> OperationsPorts:
    """The operations use cases on the casework database, with the plan pipeline.

    Parameters
    ----------
    casework
        The (migrated) casework ports; their database holds operations and plan jobs.
    data_dir
        The data folder of areas (``areas/<name>/``) and plans (``operations/<id>/``).
        By default: the SQLite file's folder; on PostgreSQL ``$SAFECONDUCT_DATA``, else
        ``./safeconduct-data`` (workers on other machines need the same folder, shared).

    On SQLite plan jobs go to an in-process worker (:func:`start_plan_workers` starts it);
    on PostgreSQL to procrastinate, whose schema is applied here if missing.
    """
    import os as _os
    from pathlib import Path

    from safeconduct.adapters.files.area_uploads import FolderAreaLibrary
    from safeconduct.adapters.store.engine import DEFAULT_DATA_DIR
    from safeconduct.services.operations import OperationsPorts
    from safeconduct.services.ports import JobQueue

    url = casework.database.engine.url  # type: ignore[attr-defined]
    sqlite = url.get_backend_name() == "sqlite"
    if data_dir is None:
        if sqlite:
            data_dir = Path(str(url.database)).parent
        else:
            data_dir = _os.environ.get("SAFECONDUCT_DATA") or DEFAULT_DATA_DIR
    jobs: JobQueue
    if sqlite:
        from safeconduct.adapters.jobs.in_process import InProcessJobQueue

        jobs = InProcessJobQueue()
    else:
        from safeconduct.adapters.jobs.procrastinate_queue import (
            ProcrastinateJobQueue,
            apply_schema,
        )

        apply_schema(url)
        jobs = ProcrastinateJobQueue(url)
    return OperationsPorts(
        database=casework.database,  # type: ignore[arg-type]
        pipeline=operation_ports(),
        jobs=jobs,
        folders=FolderAreaLibrary(),
        data_dir=Path(data_dir),
        events=casework.events,  # a plan's progress reaches the boards as its case's change
    )


def start_plan_workers(ports: OperationsPorts) -> Callable[[], None]:
    """Start the in-process plan worker when the jobs run in this process (SQLite);
    return the function that stops it (a no-op on PostgreSQL, where ``safeconduct worker``
    runs them, and closes the procrastinate connection pool)."""
    from safeconduct.adapters.jobs.in_process import InProcessJobQueue
    from safeconduct.services.operations import run_next_job

    queue = ports.jobs
    if isinstance(queue, InProcessJobQueue):
        queue.start(lambda: run_next_job(ports))
        return queue.stop
    return getattr(queue, "close", lambda: None)


def run_plan_worker(
    db: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    concurrency: int = 1,
    key_file: str | os.PathLike[str] | None = None,
) -> None:
    """Run a procrastinate worker for plan jobs on the PostgreSQL database ``db`` (or
    ``$SAFECONDUCT_DB``) until interrupted; ``key_file`` (else ``$SAFECONDUCT_KEY_FILE``)
    opens the store (:func:`unlock_store`).

    Raises
    ------
    InvalidValueError
        ``field="db"``: the database is SQLite (its worker runs inside ``safeconduct serve``).
    """
    from safeconduct.adapters.jobs.procrastinate_queue import run_worker
    from safeconduct.adapters.store.engine import resolve_database_url
    from safeconduct.errors import InvalidValueError
    from safeconduct.services.operations import run_plan_job

    url = resolve_database_url(None, db)
    if url.get_backend_name() != "postgresql":
        raise InvalidValueError(
            "plan workers run apart from the service only on PostgreSQL; on SQLite the "
            "in-process worker runs inside `safeconduct serve`; give a postgresql+psycopg:// "
            "database URL",
            field="db",
        )
    casework = casework_ports(db=db, key_file=key_file)
    try:
        unlock_store(casework, key_file)  # before any job runs
        ports = operations_ports(casework, data_dir)
        run_worker(url, lambda job_id: run_plan_job(ports, job_id), concurrency=concurrency)
    finally:
        casework.database.close()


# ----------------------------------------------------------------- audit
# the audit trail's verification and signed checkpoints (services/audit.py)


def audit_ports(data: str | os.PathLike[str] | None = None, db: str | None = None) -> AuditPorts:
    """The audit trail on the casework database the options name (as :func:`casework_ports`),
    with Ed25519-signed checkpoints. The caller closes ``ports.database``."""
    from safeconduct.adapters.store.audit import Ed25519Checkpoints
    from safeconduct.services.audit import AuditPorts

    database = casework_ports(data=data, db=db).database
    return AuditPorts(database=database, checkpoints=Ed25519Checkpoints())  # type: ignore[arg-type]


def start_audit_checkpoints(
    ports: AuditPorts,
    folder: str | os.PathLike[str],
    signing_key: str | os.PathLike[str],
    *,
    every_s: float,
) -> Callable[[], None]:
    """Write a signed checkpoint of the audit trail into ``folder`` every ``every_s``
    seconds (when the trail grew) on a background thread; return the function that stops it.
    """
    from pathlib import Path

    from safeconduct.adapters.jobs.periodic import PeriodicTask
    from safeconduct.services.audit import write_periodic_checkpoint

    Path(folder).mkdir(parents=True, exist_ok=True)
    task = PeriodicTask(
        lambda: write_periodic_checkpoint(ports, folder, signing_key),
        every_s,
        name="safeconduct-audit-checkpoints",
    )
    return task.start()


# ----------------------------------------------------------------- backup and restore


def backup_files(key_file: str | os.PathLike[str] | None) -> BackupFiles:
    """Backup files encrypted under the key file given, else ``$SAFECONDUCT_KEY_FILE``'s.

    Raises ``BadFileError`` (``field="key_file"``) when neither names one, or it is
    missing, open to others or malformed."""
    from safeconduct.adapters.crypto.backup_file import BackupFileCipher
    from safeconduct.adapters.crypto.keyfile import resolve_key_file
    from safeconduct.errors import BadFileError

    path = resolve_key_file(key_file)
    if path is None:
        raise BadFileError(
            "give the key file (made by `safeconduct keys init`): backups are encrypted "
            "with it, and only it opens them",
            field="key_file",
        )
    return BackupFileCipher.from_key_file(path)


def backup_ports(casework: CaseworkPorts, key_file: str | os.PathLike[str] | None) -> BackupPorts:
    """A backup of the (migrated, unlocked) casework database, under the key file's key."""
    from safeconduct.adapters.store.backup import SqlDatabaseDumps
    from safeconduct.services.backup import BackupPorts

    engine = casework.database.engine  # type: ignore[attr-defined]
    return BackupPorts(
        dumps=SqlDatabaseDumps(engine),
        files=backup_files(key_file),
        audit=casework.database,  # type: ignore[arg-type]
    )


def restore_ports(
    data: str | os.PathLike[str] | None,
    db: str | None,
    key_file: str | os.PathLike[str] | None,
) -> BackupPorts:
    """A restore into the database the options name (as :func:`casework_ports`), left as
    it is (not migrated: it must be empty); the caller closes ``ports.audit``."""
    from safeconduct.adapters.store.backup import SqlDatabaseDumps
    from safeconduct.adapters.store.engine import create_store_engine, resolve_database_url
    from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
    from safeconduct.services.backup import BackupPorts

    files = backup_files(key_file)
    engine = create_store_engine(resolve_database_url(data, db))
    # An older backup migrates after its load; revision 0012 seals with the key file.
    dumps = SqlDatabaseDumps(engine, cipher=lambda: field_cipher(key_file))
    return BackupPorts(dumps=dumps, files=files, audit=SqlCaseworkDatabase(engine))


# ----------------------------------------------------------------- retention
# the purge of cases whose time is up (services/retention.py)


def retention_ports(
    casework: CaseworkPorts,
    *,
    key_file: str | os.PathLike[str] | None,
    settings: str | os.PathLike[str] | None,
    data: str | os.PathLike[str] | None = None,
    db: str | None = None,
) -> RetentionPorts:
    """The purge's ports on an unlocked casework database.

    The retention settings: the file ``settings``, else ``retention.toml`` in the data
    folder when the database is one (as :func:`casework_ports` chooses it from ``data`` and
    ``db``), else the defaults. The rotation of the key file ``key_file`` (else
    ``$SAFECONDUCT_KEY_FILE``; none without one). Raises ``BadFileError`` or
    ``InvalidValueError`` for a settings file that is missing (when named) or wrong.
    """
    import os
    from pathlib import Path

    from safeconduct.adapters.crypto.keyfile import resolve_key_file
    from safeconduct.adapters.crypto.reloading import KeyFileRotation
    from safeconduct.adapters.files.operation_files import OperationFolders
    from safeconduct.adapters.files.retention_settings import (
        SETTINGS_NAME,
        read_retention_settings,
    )
    from safeconduct.adapters.store.engine import DB_ENV, DEFAULT_DATA_DIR
    from safeconduct.adapters.store.keys import SqlDataKeys
    from safeconduct.services.retention import RetentionPorts

    if data is None and db is None and not os.environ.get(DB_ENV):
        data = DEFAULT_DATA_DIR
    if settings is not None:
        found = read_retention_settings(settings)
    elif data is not None:
        found = read_retention_settings(Path(data) / SETTINGS_NAME, required=False)
    else:
        found = read_retention_settings(None)
    path = resolve_key_file(key_file)
    engine = casework.database.engine  # type: ignore[attr-defined]
    rotation = None if path is None else KeyFileRotation(path, SqlDataKeys(engine))
    # The plan files' folder, as operations_ports finds it.
    if engine.url.get_backend_name() == "sqlite":
        files_dir = Path(str(engine.url.database)).parent
    else:
        files_dir = Path(os.environ.get("SAFECONDUCT_DATA") or DEFAULT_DATA_DIR)
    return RetentionPorts(
        database=casework.database,  # type: ignore[arg-type]
        settings=found,
        rotation=rotation,
        operation_files=OperationFolders(files_dir),
    )


def start_purge_job(
    ports: RetentionPorts, *, every_s: float, exports: ExportPorts | None = None
) -> Callable[[], None]:
    """Run the purge every ``every_s`` seconds on a background thread (as the console),
    and delete the kept ``exports`` that expired; return the function that stops it."""
    import logging

    from safeconduct.adapters.jobs.periodic import PeriodicTask
    from safeconduct.services.casework import CONSOLE
    from safeconduct.services.exports import purge_expired_exports
    from safeconduct.services.retention import purge

    log = logging.getLogger("safeconduct.retention")

    def run() -> None:
        report = purge(ports, actor=CONSOLE)
        expired = 0 if exports is None else purge_expired_exports(exports)
        log.info(
            "purge: %d case(s) purged %s, %d due for hand-over, master key %s, "
            "%d expired export(s) deleted",
            report.total_purged,
            report.purged,
            report.handover_due,
            "rotated" if report.rotated_to else "unchanged",
            expired,
        )

    return PeriodicTask(run, every_s, name="safeconduct-purge").start()


# ----------------------------------------------------------------- exports
# encrypted exports of personal data (services/exports.py)


def export_ports(
    casework: CaseworkPorts, data_dir: str | os.PathLike[str] | None = None
) -> ExportPorts:
    """Exports on an unlocked casework database: AES-256 ZIP archives, pictures blurred
    with the signals package's blurring, capture cards, and the exports kept for download
    in ``<data dir>/exports`` (the data dir as :func:`operations_ports` chooses it)."""
    import os as _os
    from pathlib import Path

    from safeconduct.adapters.formats.export_archive import AesZipArchives, FolderExports
    from safeconduct.adapters.formats.export_images import BlurredImages
    from safeconduct.adapters.pdf.custody_documents import ReportlabCustodyDocuments
    from safeconduct.adapters.store.engine import DEFAULT_DATA_DIR
    from safeconduct.services.exports import ExportPorts

    url = casework.database.engine.url  # type: ignore[attr-defined]
    if data_dir is None:
        if url.get_backend_name() == "sqlite":
            data_dir = Path(str(url.database)).parent
        else:
            data_dir = _os.environ.get("SAFECONDUCT_DATA") or DEFAULT_DATA_DIR
    return ExportPorts(
        database=casework.database,  # type: ignore[arg-type]
        documents=ReportlabCustodyDocuments(),
        archives=AesZipArchives(),
        images=BlurredImages(),
        kept=FolderExports(Path(data_dir) / "exports"),
    )
