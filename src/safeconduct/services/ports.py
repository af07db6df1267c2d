"""The small interfaces through which use cases reach the world (ports).

A use case in :mod:`safeconduct.services` computes on values from the domain packages and
reaches files, rasters, pictures, vehicles and cameras only through these protocols.
:mod:`safeconduct.adapters` implements them; :mod:`safeconduct.bootstrap` wires the real
implementations in; a test may pass its own. Each section belongs to one use case family.

Paths are ``str | os.PathLike``; coordinates are WGS84 ``(lon, lat)`` degrees in files
and :class:`~safeconduct.terrain.coords.GeoPoint` values in code; grids are numpy arrays
``[row, col]`` on a :class:`~safeconduct.terrain.dem.Dem`'s grid.
"""

from __future__ import annotations

import bisect
import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import date, datetime

    import numpy as np

    from safeconduct.audit.chain import ChainedEntry, Checkpoint
    from safeconduct.casework.assignment import Assignment
    from safeconduct.casework.case import Case
    from safeconduct.casework.message import CaseMessage
    from safeconduct.casework.operation import Operation
    from safeconduct.casework.retention import CaseFacts
    from safeconduct.casework.roles import Role
    from safeconduct.casework.status import CaseStatus
    from safeconduct.custody.arrival import Arrival
    from safeconduct.custody.effects import Receipt
    from safeconduct.custody.evacuation import EvacuationList
    from safeconduct.custody.nib import NibEvent, NibNotification
    from safeconduct.custody.record import Registration
    from safeconduct.custody.status import CustodyStatus
    from safeconduct.guidance.rehearsal import RehearsalResult, TerrainAlong
    from safeconduct.mission.items import MissionItem
    from safeconduct.mission.lead_route import LeadRoute
    from safeconduct.mission.profiles import DroneProfile
    from safeconduct.mission.sorties import MissionPlan
    from safeconduct.mission.transfer import MissionFile, Progress, VerifyReport
    from safeconduct.note.layout import PageLayout
    from safeconduct.routing.kernels import SearchGrids
    from safeconduct.routing.route import Route
    from safeconduct.signals.gestures import Keypoints
    from safeconduct.terrain.area import Area
    from safeconduct.terrain.dem import Dem
    from safeconduct.terrain.layers import (
        Hazard,
        HazardGrids,
        MeetingPoint,
        Observer,
        ReceptionPoint,
    )

PathLike = str | os.PathLike[str]


# ----------------------------------------------------------------- outputs


class Files(Protocol):
    """Output files, written so that nobody ever sees one half-written."""

    def check_writable(self, path: PathLike) -> Path:
        """Fail before long work if ``path`` could not be written later."""
        ...

    def staging_folder(
        self,
        out_dir: PathLike,
        prefix: str = ".staging-",
        protect: Mapping[str, PathLike | None] | None = None,
    ) -> contextlib.AbstractContextManager[Path]:
        """A hidden folder whose files move into ``out_dir`` together on success, or not at all;
        nothing moves if a file would replace one of the inputs in ``protect`` (field: path)."""
        ...

    def output_set(self, *paths: PathLike) -> contextlib.AbstractContextManager[tuple[Path, ...]]:
        """Staged paths for outputs that arrive together: each is checked (created) before
        the work, and all move into place at the end, or none does."""
        ...

    def check_not_inputs(
        self, outputs: Mapping[str, PathLike | None], inputs: Mapping[str, PathLike | None]
    ) -> None:
        """Refuse an output (field: path) that is the same file or folder as an input."""
        ...

    def write_text(self, path: PathLike, text: str) -> Path:
        """Write UTF-8 ``text`` to ``path`` atomically."""
        ...

    def read_bytes(self, path: PathLike) -> bytes:
        """Read a file the use case itself wrote (a picture to embed, say)."""
        ...


# ----------------------------------------------------------------- terrain and planning


class Rasters(Protocol):
    """Elevation models and grids as raster files (GeoTIFF), and hazards burnt onto a grid."""

    def read_dem(self, path: PathLike) -> Dem:
        """Read a DEM, reprojected to its UTM zone if geographic."""
        ...

    def write_raster(
        self,
        path: PathLike,
        array: np.ndarray,
        dem: Dem,
        *,
        nodata: float,
        description: str,
        tags: Mapping[str, str],
    ) -> None:
        """Write ``array`` on ``dem``'s grid, atomically."""
        ...

    def rasterize_hazards(self, hazards: Sequence[Hazard], dem: Dem) -> HazardGrids:
        """Burn hazard geometries onto ``dem``'s grid."""
        ...


class Layers(Protocol):
    """The area's vector layers (GeoJSON files)."""

    def read_hazards(self, path: PathLike) -> list[Hazard]: ...

    def read_observers(self, path: PathLike) -> list[Observer]: ...

    def read_reception(self, path: PathLike) -> list[ReceptionPoint]: ...

    def read_meeting(self, path: PathLike) -> MeetingPoint: ...

    def write_hazards(self, path: PathLike, hazards: Sequence[Hazard]) -> None:
        """Write hazards (``(lon, lat)``) as the file :meth:`read_hazards` reads, atomically."""
        ...

    def write_observers(self, path: PathLike, observers: Sequence[Observer]) -> None:
        """Write observers as the file :meth:`read_observers` reads, atomically."""
        ...


class RouteFiles(Protocol):
    """The route as a GeoJSON file."""

    def write_route(self, route: Route, path: PathLike) -> None:
        """Write ``route`` atomically."""
        ...


class Maps(Protocol):
    """Pictures of an area and a route."""

    def render_route_map(
        self,
        path: PathLike,
        dem: Dem,
        grids: SearchGrids,
        route: Route | None = None,
        observers: Sequence[Observer] = (),
        *,
        sorties: Sequence[Sequence[tuple[float, float]]] = (),
        handovers: Sequence[tuple[float, float]] = (),
        title: str | None = None,
    ) -> Path:
        """Draw the route (and sorties, ``(lon, lat)``) over the hillshade, barriers and
        exposure as a PNG, atomically."""
        ...


# ----------------------------------------------------------------- rehearsals


class Areas(Protocol):
    """Areas of operations kept as folders of files (``dem.tif`` and GeoJSON layers)."""

    def load_area(self, folder: PathLike) -> Area:
        """Read every layer of the area in ``folder``; name what is missing."""
        ...

    def write_sample_area(self, folder: PathLike) -> Path:
        """Write the bundled sample area into ``folder`` and return it."""
        ...

    def write_sample(self, folder: PathLike, *, area: str, seed: int) -> str:
        """Write the named sample area (``synthetic`` or ``jacksboro``); a line for people."""
        ...


class Figures(Protocol):
    """The rehearsal's charts as PNG bytes."""

    def profile_png(
        self, distance_m: np.ndarray, elevation_m: np.ndarray, terrain: TerrainAlong
    ) -> bytes: ...

    def timeline_png(
        self, result: RehearsalResult, sortie_spans: list[tuple[float, float]]
    ) -> bytes: ...


@dataclass
class ReportContent:
    """What goes into an operation report; the report writer decides how it looks.

    Attributes
    ----------
    images
        PNG bytes by name: ``map``, ``profile``, ``timeline`` and optionally ``note``.
    summary
        ``(label, value, css_class)`` rows; css class ``ok`` or ``bad`` colours a value.
    sortie_header, sortie_rows
        The sorties table.
    events
        ``(time as text, event)`` rows.
    artifacts
        ``(name, relative link, description)`` rows.
    caveats
        Warnings shown at the top (synthetic area, simulation limits, ...).
    """

    title: str
    subtitle: str
    images: dict[str, bytes]
    summary: list[tuple[str, str, str]]
    sortie_header: list[str]
    sortie_rows: list[list[str]]
    events: list[tuple[str, str]]
    artifacts: list[tuple[str, str, str]]
    caveats: list[str] = field(default_factory=list)
    generated: str = ""


class Reports(Protocol):
    """The operation report as a file."""

    def render_report(self, path: PathLike, content: ReportContent) -> Path:
        """Write the report to ``path`` atomically."""
        ...


# ----------------------------------------------------------------- notes


class NoteFonts(Protocol):
    """The fonts a note is printed in, named as :mod:`safeconduct.note.typefaces` names them."""

    def text_width(self, text: str, font: str, size: float) -> float:
        """Width of one line of ``text`` in ``font`` at ``size`` points, in points."""
        ...

    def missing_glyphs(self, text: str, font: str) -> list[str]:
        """The characters of ``text`` that ``font`` cannot draw (blanks aside), sorted."""
        ...


class NotePdf(Protocol):
    """Laid-out note pages drawn into a print-ready PDF."""

    def render_pdf(self, pages: Sequence[PageLayout], *, title: str = "Safe conduct") -> bytes:
        """The PDF of ``pages``, one PDF page each, as bytes (the same bytes for the same pages)."""
        ...


class NotePreviews(Protocol):
    """Pictures of a PDF's pages, for a screen or a report."""

    def render_pngs(self, pdf: bytes, dpi: int) -> list[bytes]:
        """Each page of ``pdf`` as PNG bytes at ``dpi`` dots per inch."""
        ...


class NoteFiles(Protocol):
    """The note's output files: all of them whole, or none."""

    def check_writable(self, path: PathLike) -> None:
        """Raise :class:`~safeconduct.errors.BadFileError` now if ``path`` could not be written."""
        ...

    def write_files(self, files: Sequence[tuple[PathLike, bytes]]) -> None:
        """Write every ``(path, content)`` atomically; on an error none is left behind."""
        ...


# ----------------------------------------------------------------- signals


class PoseEstimator(Protocol):
    """A single-person pose model following one stream of BGR frames (BlazePose).

    Attributes
    ----------
    model
        Which model runs: ``"full"`` (BlazePose Full, in the mediapipe wheel) or
        ``"heavy"`` (BlazePose Heavy, installed separately).
    """

    model: str

    def estimate(self, frame_bgr: np.ndarray, *, upscale: float = 1.0) -> Keypoints | None:
        """The person's 33 landmarks in pixels of ``frame_bgr`` (x right, y down), or None.

        ``upscale`` (>= 1) enlarges the image before the model sees it, so that a small
        person reaches the size its 224-pixel detector needs; the landmarks come back in
        pixels of ``frame_bgr`` all the same. ``Keypoints.world`` carries BlazePose's
        metric world landmarks when the model gives them.
        """
        ...

    def close(self) -> None:
        """Release the model."""
        ...


class PoseModels(Protocol):
    """Where pose estimators come from."""

    def require(self) -> None:
        """Raise :class:`~safeconduct.errors.MissingExtraError` now if no model can run here."""
        ...

    def available(self) -> tuple[str, ...]:
        """The models whose weights are installed here, best last (``"full"``, ``"heavy"``)."""
        ...

    def estimator(self, *, static: bool, model: str = "full") -> PoseEstimator:
        """A new estimator: ``static`` for unrelated images, else video (tracks between frames).

        ``model`` must be one of :meth:`available`; a model whose weights are absent is
        never requested (mediapipe would try to download it).
        """
        ...


class FrameSources(Protocol):
    """Frames of a recorded video file or a folder of images (taken in name order)."""

    def frame_rate(self, source: PathLike, fps: float | None) -> float:
        """Frames per second to analyse ``source`` at: ``fps`` if given, else its own rate.

        Raises :class:`~safeconduct.errors.BadFileError` if ``source`` does not exist.
        """
        ...

    def read_frames(
        self, source: PathLike, fps: float | None
    ) -> Iterator[tuple[float, np.ndarray]]:
        """``(time_s, bgr_frame)`` pairs in time order; at most ``fps`` per second of video."""
        ...


class FrameImaging(Protocol):
    """Pixel work on one BGR frame (``uint8``, rows x columns x 3): reading and drawing."""

    def bright_patch(
        self, frame: np.ndarray, center: tuple[float, float], radius_px: float
    ) -> bool:
        """Whether a white-ish patch covers part of the disc at ``center`` (x, y pixels)."""
        ...

    def sign_between(
        self,
        frame: np.ndarray,
        left_wrist: tuple[float, float],
        right_wrist: tuple[float, float],
        torso_px: float,
    ) -> bool:
        """Whether a bright, low-saturation rectangle (a sign, a taut white cloth) fills the
        space between two raised hands (wrists as x, y pixels; torso size in pixels)."""
        ...

    def protect(self, frame: np.ndarray, people: Sequence[Keypoints]) -> np.ndarray:
        """Leave no recognisable face in ``frame``, found by the model or not; in place."""
        ...

    def draw_person(self, frame: np.ndarray, keypoints: Keypoints, label: str, alert: bool) -> None:
        """Draw a skeleton, a box and ``label``; red where ``alert``; in place."""
        ...

    def draw_banner(self, frame: np.ndarray, text: str, alert: bool) -> None:
        """Write status lines (one per ``\\n``) across the top; the first red where
        ``alert``; in place."""
        ...


class VideoSink(Protocol):
    """One video file being written, frame after frame."""

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR frame (every frame the same size)."""
        ...

    def close(self) -> None:
        """Finish the file."""
        ...


class VideoWriters(Protocol):
    """Annotated videos."""

    def open(self, path: PathLike, fps: float) -> VideoSink:
        """Start a video at ``path`` playing ``fps`` frames per second."""
        ...


@dataclass(frozen=True)
class GimbalSeries:
    """The camera's elevation over time, read from a telemetry log.

    Attributes
    ----------
    times_s
        Seconds from the log's first gimbal message (or from the start time asked for),
        increasing.
    elevation_deg
        How far below the horizon the camera looked then, degrees (0 level, 90 straight
        down): minus the gimbal's pitch.
    """

    times_s: tuple[float, ...]
    elevation_deg: tuple[float, ...]

    def at(self, t_s: float) -> float:
        """The elevation at ``t_s`` seconds, linearly interpolated; the first or last value
        before the first or after the last message."""
        times, values = self.times_s, self.elevation_deg
        i = bisect.bisect_right(times, t_s)
        if i == 0:
            return values[0]
        if i == len(times):
            return values[-1]
        t0, t1 = times[i - 1], times[i]
        f = (t_s - t0) / (t1 - t0) if t1 > t0 else 1.0
        return values[i - 1] + f * (values[i] - values[i - 1])


class GimbalLogs(Protocol):
    """The gimbal's attitude recorded in a telemetry log (``.tlog``)."""

    def read(self, path: PathLike, *, start_unix_s: float | None = None) -> GimbalSeries:
        """The camera elevation over time in the log at ``path``.

        Time 0 is the log's first gimbal message, or ``start_unix_s`` (seconds since
        1970, UTC) when given: the moment the video started. Raises
        :class:`~safeconduct.errors.BadFileError` (``field="tlog"``) when the file is
        missing, unreadable or holds no gimbal attitude.
        """
        ...


# ----------------------------------------------------------------- missions


class LeadRouteFiles(Protocol):
    """The route to lead, read from the route file ``safeconduct route`` wrote."""

    def read_lead_route(self, path: PathLike) -> LeadRoute:
        """Read ``path``; a missing or malformed file is a one-line ``BadFileError``."""
        ...


class DemFiles(Protocol):
    """Elevation models as raster files."""

    def read_dem(self, path: PathLike) -> Dem:
        """Read a DEM, reprojected to its UTM zone if geographic."""
        ...


class DroneProfiles(Protocol):
    """Drone profiles: the built-in ones by name, or one's own TOML file by path."""

    def load_profile(self, spec: str | os.PathLike[str]) -> DroneProfile:
        """The built-in profile named ``spec``, or the profile file at ``spec``
        (``InvalidValueError`` with field ``drone`` when it is neither)."""
        ...

    def builtin_names(self) -> list[str]:
        """Names of the built-in profiles, sorted."""
        ...


class MissionFolders(Protocol):
    """Where a mission plan's files go: one folder per plan, written all or nothing."""

    def write_mission(
        self, plan: MissionPlan, out_dir: PathLike
    ) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
        """Write the sortie files, the map layer and the schedule into ``out_dir``.

        Returns the files written and the stale sortie files of an earlier plan removed.
        """
        ...


class MissionFiles(Protocol):
    """Mission files a ground station loads (``.waypoints``, ``.plan``), read for upload."""

    def read_mission_file(self, path: PathLike) -> MissionFile:
        """The items of ``path`` exactly as they go to the vehicle."""
        ...


class VehicleLinks(Protocol):
    """Links to vehicles over which a mission is sent and read back."""

    def upload_and_verify(
        self,
        connection: str,
        items: Sequence[MissionItem],
        *,
        timeout_s: float = 5.0,
        retries: int = 3,
        target_system: int = 1,
        progress: Progress | None = None,
    ) -> VerifyReport:
        """Send ``items`` to the vehicle on ``connection``, read them back and compare."""
        ...


# ----------------------------------------------------------------- live leading
# ``safeconduct lead`` flies a vehicle in GUIDED mode at the person's pace. The control loop
# (services/leading.py) owns time and heartbeats; the vehicle adapter only talks MAVLink.


class Clock(Protocol):
    """Time for the control loop: the wall clock, or an accelerated one for ``rehearse --live``."""

    def now(self) -> float:
        """Seconds on a monotonic scale (simulated seconds for an accelerated clock)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


@dataclass(frozen=True)
class VehicleState:
    """What the vehicle last said about itself.

    Attributes
    ----------
    time_s
        :class:`Clock` time at which the newest message of this state arrived, seconds.
    lat, lon
        Position, WGS84 degrees (``GLOBAL_POSITION_INT``).
    alt_rel_m
        Altitude above home, metres.
    alt_amsl_m
        Altitude above mean sea level, metres.
    velocity_ned_ms
        Ground velocity ``(north, east, down)``, m/s.
    heading_deg
        Heading, degrees clockwise from true north.
    mode
        Flight mode name as the autopilot calls it (ArduCopter: ``GUIDED``, ``LOITER``,
        ``RTL``, ``AUTO``, ``LAND``…; PX4: ``OFFBOARD``, ``HOLD``…).
    armed
        Whether the motors are armed.
    battery_pct
        Remaining battery, percent (``SYS_STATUS.battery_remaining``), ``None`` if unknown.
    home
        Home ``(lat, lon, alt_amsl_m)``, degrees and metres, ``None`` until ``HOME_POSITION``.
    gimbal_pitch_deg, gimbal_yaw_deg
        Camera attitude (``GIMBAL_DEVICE_ATTITUDE_STATUS`` or ``MOUNT_STATUS``): pitch degrees,
        negative looking down; yaw degrees clockwise from the vehicle's nose. ``None`` if unknown.
    """

    time_s: float
    lat: float
    lon: float
    alt_rel_m: float
    alt_amsl_m: float
    velocity_ned_ms: tuple[float, float, float]
    heading_deg: float
    mode: str
    armed: bool
    battery_pct: float | None = None
    home: tuple[float, float, float] | None = None
    gimbal_pitch_deg: float | None = None
    gimbal_yaw_deg: float | None = None


@dataclass(frozen=True)
class GuidedTarget:
    """One position-and-velocity target, as ``SET_POSITION_TARGET_GLOBAL_INT`` carries it.

    ``lat``/``lon`` WGS84 degrees; ``alt_rel_m`` metres above home
    (``MAV_FRAME_GLOBAL_RELATIVE_ALT``); ``velocity_ned_ms`` m/s (north, east, down);
    ``yaw_deg`` degrees clockwise from true north.
    """

    lat: float
    lon: float
    alt_rel_m: float
    velocity_ned_ms: tuple[float, float, float]
    yaw_deg: float


class GuidedVehicle(Protocol):
    """One vehicle flown in GUIDED (ArduPilot) or Offboard (PX4) mode over MAVLink.

    The adapter never sends anything on its own: no background thread sends heartbeats or
    targets, so a hung control loop stops both and trips the vehicle's GCS failsafe.
    """

    autopilot: str
    """``"ardupilot"`` or ``"px4"``, from the vehicle's heartbeat."""

    def heartbeat(self) -> None:
        """Send one GCS ``HEARTBEAT`` (the control loop calls this at 1 Hz or more)."""
        ...

    def poll(self) -> VehicleState | None:
        """Read every message waiting (never blocks) and return the newest state, if any."""
        ...

    def read_parameters(self, names: Sequence[str], *, timeout_s: float = 5.0) -> dict[str, float]:
        """Read ``names`` back from the vehicle (``PARAM_REQUEST_READ``); missing ones left out."""
        ...

    def upload_fence(self, polygon_latlon: Sequence[tuple[float, float]]) -> None:
        """Upload one inclusion polygon ``[(lat, lon), ...]`` degrees as the vehicle's fence."""
        ...

    def request_mode(self, mode: str) -> None:
        """Ask for flight mode ``mode`` once (used only when the crew engages)."""
        ...

    def send_target(self, target: GuidedTarget) -> None:
        """Send one ``SET_POSITION_TARGET_GLOBAL_INT`` (position and velocity)."""
        ...

    def last_echo(self) -> tuple[float, GuidedTarget] | None:
        """The newest target the vehicle echoed (``POSITION_TARGET_GLOBAL_INT``) and its time."""
        ...

    def close(self) -> None:
        """Close the link (and its telemetry log)."""
        ...


class GuidedVehicles(Protocol):
    """Opens :class:`GuidedVehicle` links."""

    def open(
        self, connection: str, *, clock: Clock, tlog_path: PathLike | None = None,
        timeout_s: float = 10.0,
    ) -> GuidedVehicle:
        """Connect to the vehicle on ``connection`` (a MAVLink URL) and wait for its heartbeat.

        Raises :class:`~safeconduct.errors.SafeconductError` (field ``connection``) when the
        URL is not a MAVLink URL or no vehicle answers within ``timeout_s`` seconds.
        """
        ...


@dataclass(frozen=True)
class LivePosition:
    """A position shown on the board's live map.

    ``kind`` is ``"drone"`` or ``"person"``; ``lat``/``lon`` WGS84 degrees; ``at`` ISO 8601
    UTC; ``source`` says where it came from (``"vehicle"``, ``"crew_tap"``, ``"track"``,
    ``"detector"``); ``label`` tells drones apart (``"lead"``, ``"relief"``).
    """

    kind: str
    lat: float
    lon: float
    at: str
    source: str
    label: str = ""


class LiveBoard(Protocol):
    """The coordination service's live map for one operation (issue 9's service)."""

    def publish(self, positions: Sequence[LivePosition], *, status: str = "") -> None:
        """Show ``positions`` (and a one-line leading status) on the operation's live map."""
        ...

    def crew_taps(self) -> list[LivePosition]:
        """The crew's taps marking the person since the last call, oldest first."""
        ...

    def engaged(self) -> bool:
        """Whether the crew pressed "Start leading" on the board (and did not stop it)."""
        ...


class PersonTracks(Protocol):
    """Recorded walks of the person (``--person-track``), for rehearsals and tests."""

    def read_person_track(self, path: PathLike) -> list[tuple[float, float, float]]:
        """``(t_s, lat, lon)`` rows: seconds from the start of leading, WGS84 degrees, in
        time order; a missing or malformed file is a one-line ``BadFileError``."""
        ...


class PersonDetections(Protocol):
    """The signal detector's people in the leading vehicle's camera frames."""

    def detections(self, now_s: float) -> list[tuple[float, float, float]]:
        """``(time_s, u, v)`` for each person seen since the last call: the frame's
        :class:`Clock` time, and the pixel (right, down from the top-left corner)."""
        ...


class SimulatedVehicle(Protocol):
    """A running vehicle simulator (``rehearse --live``)."""

    connection: str
    """The MAVLink URL the ground side opens."""

    def stop(self) -> None:
        """Stop the simulator."""
        ...


class SimulatedVehicles(Protocol):
    """Starts vehicle simulators that speak MAVLink on 127.0.0.1."""

    def start(
        self, *, home: tuple[float, float, float], time_scale: float, safe: bool = True,
        battery_drain_pct_per_s: float | None = None, params: dict[str, float] | None = None,
    ) -> SimulatedVehicle:
        """Start a copter hovering in GUIDED over ``home`` ``(lat, lon, alt_amsl_m)``,
        running ``time_scale`` times faster than real time; ``safe`` sets the fence and
        failsafe parameters leading demands, ``params`` more on top."""
        ...


# ----------------------------------------------------------------- casework
# The coordination service's store. A use case opens one unit of work, reads and writes
# through its repositories, and everything it wrote is committed together when it ends
# normally, or nothing when it raises.


@dataclass(frozen=True)
class StoredUser:
    """A user as the store keeps it. Only the store and the services ever see the hash.

    Attributes
    ----------
    name
        Unique user name, lower case.
    roles
        The roles held, sorted; the user gets the union of what each grants.
    password_hash
        The password's argon2 hash (PHC string), never the password.
    created_at
        When the user was added, time-zone aware.
    failed_logins
        Failed sign-ins since the last success.
    locked_until
        Sign-ins are refused until then (time-zone aware), or None.
    """

    name: str
    roles: tuple[Role, ...]
    password_hash: str
    created_at: datetime
    failed_logins: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True)
class StoredCase:
    """A case with the id the store gave it (the web API's ``id``) and who opened it.

    ``opened_by`` is a user name, or ``"console"`` for a case opened at the command line
    (every case opened before the store recorded openers).
    """

    id: int
    case: Case
    opened_by: str = "console"


@dataclass(frozen=True)
class CaseSummary:
    """A case as a list shows it: no timeline (read from one row, not from the events).

    Attributes
    ----------
    id
        The store's id (the web API's ``id``).
    case_code
        Canonical case code, no hyphen; :attr:`printed_code` is the ``XXXX-XXXX`` form.
    language, channel, status
        As in :class:`~safeconduct.casework.case.Case`.
    created_at, last_changed_at
        When the case was opened and last changed (its latest event), time-zone aware, UTC.
    opened_by
        The user who opened it, or ``"console"``.
    """

    id: int
    case_code: str
    language: str
    channel: str
    status: CaseStatus
    created_at: datetime
    last_changed_at: datetime
    opened_by: str = "console"

    @property
    def printed_code(self) -> str:
        """The case code as printed and spoken: ``7KDM-TW3A``."""
        from safeconduct.note.casecode import format_case_code

        return format_case_code(self.case_code)


@dataclass(frozen=True)
class StoredToken:
    """A web API bearer token as the store keeps it: its SHA-256 hash, never the token.

    Attributes
    ----------
    token_hash
        Hex SHA-256 of the token (64 characters).
    user_name
        The user it signs in.
    created_at, expires_at
        When it was issued and until when it is accepted, time-zone aware.
    """

    token_hash: str
    user_name: str
    created_at: datetime
    expires_at: datetime


class UserRepository(Protocol):
    """The users, inside one unit of work."""

    def add(self, user: StoredUser) -> None:
        """Add a new user (``InvalidValueError`` with field ``name`` if the name is taken)."""
        ...

    def get(self, name: str) -> StoredUser | None:
        """The user called ``name`` (lower case), or None."""
        ...

    def list_all(self) -> list[StoredUser]:
        """Every user, by name."""
        ...

    def record_failed_login(self, name: str) -> int:
        """Add one to the user's failed sign-ins, atomically; the new count (0: no such user)."""
        ...

    def lock(self, name: str, until: datetime) -> None:
        """Refuse the user's sign-ins until ``until``."""
        ...

    def record_login(self, name: str) -> None:
        """A successful sign-in: clear the failed count and any lock."""
        ...


class CaseRepository(Protocol):
    """The cases and their timelines, inside one unit of work."""

    def add(self, case: Case, *, opened_by: str = "console") -> StoredCase:
        """Store a new case with its events, opened by user ``opened_by``
        (``InvalidValueError`` with field ``case_code`` if the code is taken)."""
        ...

    def get(self, case_code: str) -> StoredCase | None:
        """The case with the canonical ``case_code`` (no hyphen), or None."""
        ...

    def get_by_id(self, case_id: int) -> StoredCase | None:
        """The case with the store's id ``case_id``, or None."""
        ...

    def save(self, case: Case) -> StoredCase:
        """Store a stored case's new status and the events appended since it was read.

        Refused (``InvalidValueError`` with field ``transition``) when another unit of work
        changed the case's status meanwhile.
        """
        ...

    def list_page(
        self,
        *,
        limit: int,
        after: tuple[datetime, int] | None = None,
        owner: str | None = None,
    ) -> list[CaseSummary]:
        """At most ``limit`` cases, newest change first (``last_changed_at``, then ``id``,
        both descending), without timelines: those after the key ``(last_changed_at, id)``
        of ``after`` in that order; when ``owner`` is given, only the cases that user
        opened or is assigned to."""
        ...


class TokenRepository(Protocol):
    """The web API's bearer tokens (their hashes), inside one unit of work."""

    def add(self, token: StoredToken) -> None:
        """Keep a new token for an existing user."""
        ...

    def get(self, token_hash: str) -> StoredToken | None:
        """The token with this hash, or None (expired ones too: the caller checks)."""
        ...

    def delete(self, token_hash: str) -> None:
        """Forget a token (signing out); no error when there is none."""
        ...

    def delete_expired(self, now: datetime) -> int:
        """Forget every token expired at ``now``; how many."""
        ...


class AssignmentRepository(Protocol):
    """The crews and reception teams assigned to cases (their "own" cases, GUIDE §2)."""

    def add(self, case_id: int, assignment: Assignment) -> bool:
        """Record an assignment; False (nothing written) when it exists already."""
        ...

    def remove(self, case_id: int, user: str, role: Role) -> bool:
        """Remove one assignment; whether there was one."""
        ...

    def for_case(self, case_id: int) -> list[Assignment]:
        """The case's assignments, by role then user."""
        ...

    def is_assigned(self, case_id: int, user: str) -> bool:
        """Whether ``user`` is assigned to the case in any role."""
        ...


class CaseworkUnitOfWork(Protocol):
    """One transaction over the casework repositories."""

    users: UserRepository
    cases: CaseRepository
    tokens: TokenRepository
    assignments: AssignmentRepository
    audit: AuditTrail


class CaseworkDatabase(Protocol):
    """The database behind the coordination service."""

    def unit_of_work(
        self, *, read_only: bool = False
    ) -> contextlib.AbstractContextManager[CaseworkUnitOfWork]:
        """A transaction: committed when the block ends normally, rolled back if it raises.

        Raises ``BadFileError`` with field ``db`` when the database cannot be used.
        """
        ...

    def close(self) -> None:
        """Release the database connections (a command calls it when done)."""
        ...


class PasswordHasher(Protocol):
    """One-way password hashes (argon2); the password itself is never stored."""

    def hash(self, password: str) -> str:
        """A salted hash of ``password`` (a PHC string)."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``."""
        ...


# ----------------------------------------------------------------- custody (prisoners of war)


@dataclass(frozen=True)
class StoredPrisoner:
    """A registered prisoner as the store holds them.

    Attributes
    ----------
    id
        The store's id (never shown).
    registration
        The registration, with its prisoner number.
    status
        Where the prisoner stands.
    registered_at, registered_by
        When (time-zone aware, UTC) and by whom the prisoner was registered.
    """

    id: int
    registration: Registration
    status: CustodyStatus
    registered_at: datetime
    registered_by: str


@dataclass(frozen=True)
class StoredCustodyEvent:
    """One event of a prisoner notified to the Information Bureau, as recorded.

    Attributes
    ----------
    prisoner_number
        Whose event.
    event
        What happened.
    occurred_on
        The date it happened.
    from_status, to_status
        The prisoner's status before and after (equal when the event changes none).
    recorded_at, recorded_by
        When (aware, UTC) and by whom it was recorded.
    place, details
        Where, and a short free text, or None.
    """

    prisoner_number: str
    event: NibEvent
    occurred_on: date
    from_status: CustodyStatus
    to_status: CustodyStatus
    recorded_at: datetime
    recorded_by: str
    place: str | None = None
    details: str | None = None


@dataclass(frozen=True)
class StoredArrival:
    """The arrival of a case's person at the reception point, and who recorded it."""

    case_id: int
    arrival: Arrival
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class StoredReceipt:
    """A receipt, and whom it was issued for: a case's person (``case_id``) before
    registration, or a registered prisoner (``receipt.prisoner_number``)."""

    receipt: Receipt
    issued_at: datetime
    issued_by: str
    case_id: int | None = None


class PrisonerRepository(Protocol):
    """Registered prisoners and their events (revision 0007)."""

    def add(
        self, registration: Registration, *, status: CustodyStatus, at: datetime, by: str
    ) -> StoredPrisoner:
        """Store a registration that carries its prisoner number; ``InvalidValueError``
        with ``field="prisoner_number"`` if the number is taken."""
        ...

    def get(self, prisoner_number: str) -> StoredPrisoner | None:
        """The prisoner with this (canonical) number, locked until the transaction ends in
        a unit of work that may write."""
        ...

    def get_by_id(self, prisoner_id: int) -> StoredPrisoner | None:
        """The prisoner stored under ``prisoner_id`` (his public id), or None."""
        ...

    def list_all(self) -> list[StoredPrisoner]:
        """Every prisoner, by prisoner number."""
        ...

    def set_status(self, prisoner_id: int, status: CustodyStatus, *, at: datetime) -> None:
        """Record the prisoner's new status."""
        ...

    def add_event(self, prisoner_id: int, event: StoredCustodyEvent) -> None:
        """Append an event to the prisoner's record."""
        ...

    def events(
        self, *, since: datetime | None = None, prisoner_number: str | None = None
    ) -> list[StoredCustodyEvent]:
        """The events in the order recorded: every prisoner's, or one's; only those
        recorded after ``since`` when given."""
        ...


class NumberSeriesRepository(Protocol):
    """Gap-free counters: each number taken inside a transaction is given back if it rolls
    back, and two transactions at once never take the same one."""

    def take_next(self, name: str) -> int:
        """The next index of series ``name`` (1 for a new series)."""
        ...


class ArrivalRepository(Protocol):
    """Arrivals at the reception point, one per case."""

    def add(self, arrival: StoredArrival) -> None:
        """Record it; ``InvalidValueError`` with ``field="case"`` if the case has one."""
        ...

    def get_for_case(self, case_id: int) -> StoredArrival | None:
        """The case's arrival, or None."""
        ...


class ReceiptRepository(Protocol):
    """Receipts for money and valuables taken (Art. 18)."""

    def add(self, receipt: StoredReceipt) -> None:
        """Store it (its number must be new)."""
        ...

    def get(self, number: str) -> StoredReceipt | None:
        """The receipt with this (canonical) number, or None."""
        ...

    def for_case(self, case_id: int) -> list[StoredReceipt]:
        """The receipts issued for a case's person, oldest first."""
        ...


class CasePrisonerLinks(Protocol):
    """Which prisoners were registered from which case: kept on the case side only."""

    def link(self, case_id: int, prisoner_id: int) -> None:
        """Record that the prisoner was registered from the case."""
        ...

    def prisoners_of(self, case_id: int) -> list[str]:
        """The prisoner numbers registered from the case, sorted."""
        ...

    def case_of(self, prisoner_id: int) -> int | None:
        """The id of the case the prisoner was registered from, or None."""
        ...

    def statuses_of(self, case_id: int) -> dict[str, CustodyStatus]:
        """Prisoner number -> status of each prisoner registered from the case, as last
        committed (read without locking the prisoners)."""
        ...


class OutputFolders(Protocol):
    """Makes the folder an export is written into (the NIB export's ``--out DIR``)."""

    def make_folder(self, folder: PathLike) -> None:
        """Create ``folder`` and its parents if missing."""
        ...


class CustodyUnitOfWork(Protocol):
    """One transaction over cases and the custody repositories."""

    cases: CaseRepository
    assignments: AssignmentRepository
    prisoners: PrisonerRepository
    number_series: NumberSeriesRepository
    arrivals: ArrivalRepository
    receipts: ReceiptRepository
    case_prisoners: CasePrisonerLinks
    audit: AuditTrail


class CustodyDatabase(Protocol):
    """The database of cases and prisoners (the casework database, revision 0007 on)."""

    def unit_of_work(
        self, *, read_only: bool = False
    ) -> contextlib.AbstractContextManager[CustodyUnitOfWork]:
        """A transaction: committed when the block ends normally, rolled back if it raises."""
        ...


# ----------------------------------------------------------------- cases: operations, plan jobs


@dataclass(frozen=True)
class StoredOperation:
    """An operation as the store keeps it: its id, the value, and its case's opener.

    Attributes
    ----------
    id
        The store's id (the web API's operation id).
    operation
        The :class:`~safeconduct.casework.operation.Operation` value.
    case_opened_by
        Who opened the case it belongs to (whose "own" operation it is).
    case_language
        The case's language: the dropped note is written in it.
    """

    id: int
    operation: Operation
    case_opened_by: str
    case_language: str


@dataclass(frozen=True)
class StoredPlanJob:
    """One plan job: ``queued``, ``running``, ``done`` or ``failed``.

    Attributes
    ----------
    id, operation_id
        The job's and its operation's store ids.
    status
        Where it stands.
    stage
        The last stage a worker reported (``route``, ``report``), or None.
    attempts
        How many times a worker started it (more than one after a worker died mid-job).
    error
        The one-line message of a failed job, or None.
    requested_by
        The user name that asked for it.
    created_at, started_at, finished_at
        Time-zone aware (UTC), or None when not yet.
    """

    id: int
    operation_id: int
    status: str
    stage: str | None
    attempts: int
    error: str | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class OperationRepository(Protocol):
    """The operations table, inside one unit of work."""

    def add(self, operation: Operation, *, now: datetime) -> StoredOperation:
        """Store a new operation; InvalidValueError(field="case_id") if the case has one."""
        ...

    def get(self, operation_id: int) -> StoredOperation | None:
        """The operation by id (locked for change in a writing unit of work)."""
        ...

    def save(self, operation_id: int, operation: Operation, *, now: datetime) -> StoredOperation:
        """Write the operation's new plan state, files and timeline."""
        ...

    def get_for_case(self, case_id: int) -> StoredOperation | None:
        """The operation of case ``case_id``, if it has one."""
        ...


class PlanJobRepository(Protocol):
    """The plan_jobs table, inside one unit of work."""

    def add(self, operation_id: int, *, requested_by: str, now: datetime) -> StoredPlanJob:
        """A new ``queued`` job."""
        ...

    def get(self, job_id: int) -> StoredPlanJob | None:
        """The job by id."""
        ...

    def next_runnable(self) -> int | None:
        """The oldest job ``queued`` or left ``running`` by a dead process (SQLite worker)."""
        ...

    def start(self, job_id: int, *, now: datetime) -> StoredPlanJob | None:
        """Mark a queued or running job ``running`` and count an attempt; None if it is
        finished already (done or failed) or unknown."""
        ...

    def set_stage(self, job_id: int, stage: str) -> None:
        """Record the stage a worker reached."""
        ...

    def finish(
        self, job_id: int, *, status: str, error: str | None, now: datetime, attempt: int
    ) -> bool:
        """Mark the job ``done`` or ``failed`` unless it is finished already or ``attempt``
        is no longer its latest; whether it was (a compare-and-set: of two runs of one job
        only the latest attempt counts, and only once)."""
        ...


class OperationsUnitOfWork(Protocol):
    """One transaction over cases, operations and plan jobs."""

    cases: CaseRepository
    operations: OperationRepository
    plan_jobs: PlanJobRepository
    assignments: AssignmentRepository


class OperationsDatabase(Protocol):
    """The coordination service's database, seen by the operations use cases."""

    def unit_of_work(
        self, *, read_only: bool = False
    ) -> contextlib.AbstractContextManager[OperationsUnitOfWork]:
        """A transaction: committed when the block ends normally, rolled back if it raises."""
        ...


class JobQueue(Protocol):
    """Where a plan job goes to be run: an in-process worker (SQLite) or procrastinate."""

    def enqueue(self, job_id: int) -> None:
        """Hand the (committed) plan job ``job_id`` to the workers."""
        ...


class PlanFolders(Protocol):
    """The server's area folders and the files a plan leaves."""

    def area_names(self, areas_dir: PathLike) -> list[str]:
        """The names of the area folders under ``areas_dir`` (those holding a dem.tif)."""
        ...

    def list_files(self, folder: PathLike) -> list[str]:
        """Every plain file under ``folder``, as sorted '/'-separated relative names."""
        ...

    def make_folder(self, folder: PathLike) -> None:
        """Create ``folder`` and its parents if missing."""
        ...

    def remove_hidden_folders(self, folder: PathLike, prefix: str) -> int:
        """Remove the folders in ``folder`` whose names start with ``prefix`` (the staging
        folders a killed writer left); how many were removed."""
        ...


# ----------------------------------------------------------------- events
# case changes for live boards (services/casework.py publishes, web streams)


@dataclass(frozen=True)
class CaseChange:
    """One committed change of a case, as every open board learns of it.

    Only what tells a board which row to refresh: no personal data, no conversation, no
    user name. Whoever receives it reads the case itself through the use cases, which
    check the access table.

    Attributes
    ----------
    case_id
        The store's id of the case.
    case_code
        Canonical case code, no hyphen.
    status
        The status after the change (a :class:`~safeconduct.casework.status.CaseStatus`
        value).
    at
        When the change happened, time-zone aware (UTC).
    """

    case_id: int
    case_code: str
    status: str
    at: datetime


class CaseChanges(Protocol):
    """Where the use cases announce committed changes (best effort: a change is never
    undone because announcing it failed)."""

    def publish(self, change: CaseChange) -> None:
        """Announce ``change`` to every process serving boards on the same database."""
        ...


@dataclass(frozen=True)
class ChangeBatch:
    """What a subscriber gets from :meth:`CaseChangeFeed.after`.

    Attributes
    ----------
    changes
        ``(event id, change)`` pairs after the cursor asked for, oldest first.
    cursor
        The id to ask after next time (the newest id seen).
    reset
        The cursor was unknown (too old, from another process or before a restart, or
        changes may have been missed): the subscriber must reload what it shows.
    """

    changes: tuple[tuple[str, CaseChange], ...]
    cursor: str
    reset: bool = False


class ChangeWaker(Protocol):
    """Called (from any thread) when new changes arrive; must return at once."""

    def __call__(self) -> None: ...


class CaseChangeFeed(CaseChanges, Protocol):
    """Numbered case changes kept in a bounded ring, for Server-Sent Events streams."""

    def after(self, cursor: str | None) -> ChangeBatch:
        """The changes after ``cursor`` (None: none, only the current cursor)."""
        ...

    def add_waker(self, wake: ChangeWaker) -> None:
        """Call ``wake`` whenever changes arrive, until :meth:`remove_waker`."""
        ...

    def remove_waker(self, wake: ChangeWaker) -> None:
        """Stop calling ``wake``."""
        ...

    def close(self) -> None:
        """Stop listening and free connections."""
        ...


# ----------------------------------------------------------------- live map
# The board's live map of a leading (services/live.py): latest positions, the crew's taps
# and the engaged flag, held in each server process's memory (never in the database) and
# shared between processes by a relay (adapters/events/live.py).


@dataclass(frozen=True)
class LiveUpdate:
    """One change of an operation's live map, as every server process applies it.

    Attributes
    ----------
    id
        Random id of the update: a process that applied it already (its own) skips it.
    operation_id
        The store's id of the operation.
    kind
        ``"positions"`` (the leader's positions and status), ``"tap"`` (a crew tap marking
        the person: ``positions`` holds that one tap, ``id`` names it) or ``"engaged"``.
    at
        When it was made, ISO 8601 UTC.
    positions
        Positions (WGS84 degrees) it carries.
    status
        The leader's one-line status (``"positions"`` only).
    engaged, engaged_at
        The engaged flag as its maker knew it, and when that was last set (ISO 8601 UTC,
        ``""`` never): the newest setting wins in every process.
    """

    id: str
    operation_id: int
    kind: str
    at: str
    positions: tuple[LivePosition, ...] = ()
    status: str = ""
    engaged: bool = False
    engaged_at: str = ""


class LiveRelay(Protocol):
    """Carries live-map updates to every server process on the same database (best effort:
    a lost update is repaired by the next one, a second later)."""

    def publish(self, update: LiveUpdate) -> None:
        """Send ``update`` to every subscribed process (this one included)."""
        ...

    def subscribe(self, receive: Callable[[LiveUpdate], None]) -> None:
        """Call ``receive`` (from any thread) with every update published from now on."""
        ...

    def close(self) -> None:
        """Stop listening and free connections."""
        ...


class LiveUnitOfWork(OperationsUnitOfWork, Protocol):
    """One transaction over operations, their cases' assignments and the audit trail."""

    audit: AuditTrail


class LiveDatabase(Protocol):
    """The database the live-map use cases read operations from and audit into."""

    def unit_of_work(
        self, *, read_only: bool = False
    ) -> contextlib.AbstractContextManager[LiveUnitOfWork]:
        """A transaction: committed when the block ends normally, rolled back if it raises."""
        ...


# ----------------------------------------------------------------- areas of operations
# The server's area folders as a library (services/area_library.py): summaries kept beside
# each area so that listing them reads no DEM, and new areas written whole or not at all.


class ByteSource(Protocol):
    """A readable binary stream: an uploaded file, or a file opened ``"rb"``."""

    def read(self, size: int = -1, /) -> bytes: ...


class AreaFolders(PlanFolders, Protocol):
    """The server's area folders (``DATA/areas/<name>/``): :class:`PlanFolders`, plus a
    summary kept beside each area and new areas staged in a hidden folder that becomes the
    area at once.

    The uploaded layers are ``dem`` (``dem.tif``), ``hazards``, ``observers``,
    ``reception``, ``meeting`` and the optional ``launch`` (``<layer>.geojson``).
    """

    def read_summary(self, area_dir: PathLike) -> Mapping[str, object] | None:
        """The summary :meth:`write_summary` kept for ``area_dir``, or None when there is
        none or a file of the area changed since it was written."""
        ...

    def write_summary(self, area_dir: PathLike, summary: Mapping[str, object]) -> None:
        """Keep ``summary`` (JSON values) for the area's files as they are now; best effort:
        an area in a read-only folder is summarised again by the next process."""
        ...

    def staging_area(self, areas_dir: PathLike) -> contextlib.AbstractContextManager[Path]:
        """A new hidden folder in ``areas_dir`` (created if missing) that is removed, with
        whatever it holds, when the block ends, unless :meth:`publish_area` moved it."""
        ...

    def write_layer(
        self, staging: PathLike, layer: str, source: bytes | ByteSource, *, limit_bytes: int
    ) -> Path:
        """Write one uploaded layer into ``staging`` under its file name, in chunks.

        Raises ``BadFileError`` with ``field=layer`` when it is empty or larger than
        ``limit_bytes``, ``InvalidValueError`` when ``layer`` is not a layer's name.
        """
        ...

    def dem_shape(self, path: PathLike) -> tuple[int, int]:
        """``(rows, cols)`` of the raster at ``path`` from its header alone (a DEM is
        checked for size before it is read); ``BadFileError`` if it is no raster."""
        ...

    def publish_area(self, staging: PathLike, area_dir: PathLike) -> bool:
        """Rename ``staging`` to ``area_dir`` in one step; False, moving nothing, when
        ``area_dir`` exists already (another upload won the name)."""
        ...


# ----------------------------------------------------------------- custody documents
# The prisoner-of-war paperwork (services/custody.py): PDFs in the prisoner's language and
# others, and the National Information Bureau's exports. Every file is written whole or not
# at all; a text that cannot fit raises before anything is written.


class CustodyDocuments(Protocol):
    """The custody documents and exports, each written atomically to ``out_path``.

    ``langs`` are catalogue codes (``"ru"``, ``"uk"``, ``"en"``); the prisoner's own language
    is always printed (first) where it has a catalogue, and a document is at least bilingual.
    Names are printed as given with their ICAO Doc 9303 Latin transliteration alongside.
    What is printed says only that the person was captured (``custody/wording.py``).
    Bad input raises ``InvalidValueError`` naming its field (``"langs"``, or the field that
    does not fit) and writes nothing; an unwritable path raises ``BadFileError``.
    """

    def render_capture_card(
        self, registration: Registration, langs: Sequence[str], out_path: PathLike
    ) -> None:
        """The Annex IV B capture card, 150 x 105 mm, in two or three languages."""
        ...

    def render_receipt(self, receipt: Receipt, langs: Sequence[str], out_path: PathLike) -> None:
        """The Art. 18 receipt for money and valuables taken, with two signature lines."""
        ...

    def render_evacuation_list(
        self, lst: EvacuationList, langs: Sequence[str], out_path: PathLike
    ) -> None:
        """The Art. 19-20 list of the prisoners evacuated by one transport (A4)."""
        ...

    def render_nib_pdf(
        self, notifications: Sequence[NibNotification], langs: Sequence[str], out_path: PathLike
    ) -> None:
        """The Art. 122 notifications, printable (A4), one block per notification."""
        ...

    def write_nib_json(self, notifications: Sequence[NibNotification], out_path: PathLike) -> None:
        """The notifications as a JSON array of records (``nib-notification.schema.json``)."""
        ...

    def write_nib_csv(self, notifications: Sequence[NibNotification], out_path: PathLike) -> None:
        """The notifications as CSV (UTF-8 with BOM), one row per record, the schema's keys."""
        ...


# ----------------------------------------------------------------- field encryption
# envelope encryption of personal fields (issue 13): adapters/crypto implements it


@dataclass(frozen=True)
class WrappedDataKey:
    """A data key as the database keeps it: wrapped (encrypted) by a master key.

    Attributes
    ----------
    id
        The data key's id (32 hex digits); every ciphertext made with it carries it.
    owner
        Whose data it encrypts, e.g. ``"prisoner:12"`` or ``"case:3"``: the unit that is
        purged together by destroying this key.
    wrapped
        The key encrypted by the master key ``master_key_id``, bound to ``id`` and
        ``owner``.
    master_key_id
        The id of the master key (the key file) that wrapped it.
    """

    id: str
    owner: str
    wrapped: bytes
    master_key_id: str


class FieldCipher(Protocol):
    """Encrypts personal fields under data keys wrapped by a master key held outside the
    database, and computes keyed blind indexes for the exact look-ups the work needs.

    A ciphertext carries the id of its data key and is bound, as associated data, to its
    table, column and row: moved to another row or column it no longer decrypts.
    """

    @property
    def master_key_id(self) -> str:
        """The id of the master key this cipher holds."""
        ...

    def new_data_key(self, owner: str) -> WrappedDataKey:
        """A fresh 256-bit data key for ``owner``, wrapped by the master key."""
        ...

    def encrypt(
        self, value: bytes, *, table: str, column: str, row: str, key: WrappedDataKey
    ) -> bytes:
        """``value`` encrypted under ``key``, bound to ``table``/``column``/``row``."""
        ...

    def decrypt(
        self, blob: bytes, *, table: str, column: str, row: str, key: WrappedDataKey
    ) -> bytes:
        """The value of ``blob``; raises ``BadFileError`` (``field="key_file"``) when the
        master key does not unwrap ``key``, or the ciphertext was altered or moved."""
        ...

    def rewrap(self, key: WrappedDataKey, new: FieldCipher) -> WrappedDataKey:
        """``key`` unwrapped with this master key and wrapped again with ``new``'s."""
        ...

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed digest of ``value`` for exact look-ups (64 hex digits): equal values
        of one ``kind`` give equal digests; without the key file nothing can be guessed."""
        ...


# ----------------------------------------------------------------- audit trail
# The tamper-evident audit trail (services/audit.py): hash-chained entries in an
# append-only table, appended inside the unit of work whose change they record, and
# checkpoints signed with Ed25519 kept elsewhere.


class AuditTrail(Protocol):
    """The audit entries, inside one (writing) unit of work."""

    def head(self) -> tuple[int, str]:
        """The last entry's sequence number and hash; ``(0, GENESIS)`` when empty."""
        ...

    def append(
        self,
        *,
        at: datetime,
        user: str,
        roles: tuple[str, ...],
        action: str,
        record: str,
        purpose: str | None = None,
        digest: str | None = None,
    ) -> ChainedEntry:
        """Number and chain one entry after the last one and insert it (appends are
        serialised: no two transactions chain onto the same entry)."""
        ...

    def iter_from(self, seq: int = 1) -> Iterator[ChainedEntry]:
        """The entries from sequence number ``seq`` on, in order, streamed."""
        ...

    def all(self) -> Iterator[ChainedEntry]:
        """Every entry, in order, streamed."""
        ...


class AuditUnitOfWork(Protocol):
    """One transaction over the audit trail."""

    audit: AuditTrail


class AuditDatabase(Protocol):
    """The database that holds the audit trail (the casework database, revision 0008 on)."""

    def unit_of_work(
        self, *, read_only: bool = False
    ) -> contextlib.AbstractContextManager[AuditUnitOfWork]:
        """A transaction: committed when the block ends normally, rolled back if it raises."""
        ...


class AuditCheckpoints(Protocol):
    """Signed checkpoints (sequence number, head hash, time) as files kept elsewhere."""

    def write(self, checkpoint: Checkpoint, out_file: PathLike, key_file: PathLike) -> bool:
        """Sign ``checkpoint`` with the key in ``key_file`` (created, owner-only, when
        missing) and write it atomically; whether the key was created."""
        ...

    def public_key(self, key_file: PathLike) -> str:
        """The public key of the signing key in ``key_file`` (base64)."""
        ...

    def read_folder(self, folder: PathLike, *, public_key: str | None = None) -> list[Checkpoint]:
        """Every checkpoint in ``folder`` whose signature holds, by sequence number
        (``BadFileError`` with field ``checkpoints`` for a forged or unreadable one)."""
        ...


class DataKeys(Protocol):
    """The wrapped data keys in the database (revision 0009); each call its own transaction."""

    def live(self) -> list[WrappedDataKey]:
        """Every data key not destroyed, oldest first."""
        ...

    def get(self, key_id: str) -> WrappedDataKey | None:
        """The data key ``key_id``; None when there is none or it was destroyed."""
        ...

    def add(self, key: WrappedDataKey, *, at: datetime) -> None:
        """Keep a new data key."""
        ...

    def rewrap_all(
        self,
        rewrap: Callable[[WrappedDataKey], WrappedDataKey],
        *,
        only_master: str | None = None,
    ) -> int:
        """Replace every live key by ``rewrap(key)`` in one transaction (all or none);
        return how many there were. ``only_master``: only the keys that master key id
        wraps (a sweep after a rotation)."""
        ...

    def destroy(self, owners: str | Iterable[str], *, at: datetime) -> int:
        """Destroy the live keys of ``owners`` (one name or several; their wrapped bytes
        are cleared) in one transaction; return how many."""
        ...

    def master_key_ids(self) -> set[str]:
        """The master key ids that wrap live data keys."""
        ...

    def destroyed_under(self, master_key_id: str) -> int:
        """How many destroyed keys ``master_key_id`` wrapped when they were destroyed."""
        ...


# ----------------------------------------------------------------- case messages, retention
# issue 13: a case's conversation sealed message by message (services/messages.py), and
# the purge of cases whose time is up (services/retention.py)


class MessageRepository(Protocol):
    """A case's messages, inside one unit of work; each sealed under its own data key."""

    def add(self, message: CaseMessage) -> CaseMessage:
        """Store a new message (its ``id`` None); the stored one, with its id."""
        ...

    def list_for_case(self, case_id: int, *, attachments: bool = True) -> list[CaseMessage]:
        """The case's messages in order (decrypted); without the attachments' bytes when
        ``attachments`` is False."""
        ...

    def get(self, message_id: int) -> CaseMessage | None:
        """One message (decrypted), or None."""
        ...

    def case_of(self, message_id: int) -> int | None:
        """The case a message belongs to, or None (nothing decrypted)."""
        ...

    def delete(self, message_id: int, *, at: datetime) -> bool:
        """Destroy the message's data key and delete it; whether there was one."""
        ...

    def delete_attachment(self, message_id: int, *, at: datetime) -> bool:
        """Delete the message's attachment alone (the text sealed again under a new key,
        the old one destroyed); whether it had one."""
        ...


class MessagesUnitOfWork(CaseworkUnitOfWork, Protocol):
    """One transaction over the cases and their messages."""

    messages: MessageRepository


class MessagesDatabase(Protocol):
    """The casework database with its messages (revision 0010 on)."""

    def unit_of_work(
        self, *, read_only: bool = False
    ) -> contextlib.AbstractContextManager[MessagesUnitOfWork]:
        """A transaction: committed when the block ends normally, rolled back if it raises."""
        ...


class RetentionRepository(Protocol):
    """What the retention rules read of cases, and the purge of one case."""

    def all_facts(self) -> list[CaseFacts]:
        """The retention facts of every case."""
        ...

    def facts_of(self, case_id: int) -> CaseFacts | None:
        """One case's facts, the case locked until the transaction ends; None if gone."""
        ...

    def operation_ids(self, case_id: int) -> list[int]:
        """The ids of the case's operations."""
        ...

    def purge_case(self, case_id: int, *, at: datetime) -> dict[str, int]:
        """Destroy the case's data keys and delete its rows; how many of each went."""
        ...


class RetentionUnitOfWork(Protocol):
    """One transaction over the retention facts and the audit trail."""

    retention: RetentionRepository
    audit: AuditTrail


class RetentionDatabase(Protocol):
    """The casework database, as the purge sees it."""

    def unit_of_work(
        self, *, read_only: bool = False
    ) -> contextlib.AbstractContextManager[RetentionUnitOfWork]:
        """A transaction: committed when the block ends normally, rolled back if it raises."""
        ...


class OperationFiles(Protocol):
    """The files an operation's plan left in the data folder (route, sorties, note)."""

    def remove(self, operation_id: int) -> bool:
        """Delete the operation's folder; whether there was one."""
        ...


class MasterKeyRotation(Protocol):
    """Replaces the key file's master key and re-wraps every live data key under the new
    one, so that the data keys in copies of the database taken before open no more."""

    def owed(self) -> bool:
        """Whether a data key was destroyed under the current master key (a purge, a
        deleted message): copies taken before still open it until the next rotation."""
        ...

    def rotate(self) -> tuple[str, str, int]:
        """Rotate; the old and new master key ids and the number of keys re-wrapped."""
        ...


# ----------------------------------------------------------------- chat channels (intake)


@dataclass(frozen=True)
class ChatMessage:
    """A person's message as a chat channel delivers it, before the intake reads it.

    The same fields as the intake's incoming message; ``kind`` is one of text, command,
    sticker, photo, document, location, voice, video, other. ``sender`` is the channel's
    handle of the conversation (a Telegram chat id); ``message_id`` is unique within the
    channel. A location's coordinates are never carried: its ``text`` is empty. ``media`` is
    None unless the channel downloaded the file; ``media_size`` is the file's size in bytes
    as the channel told it (None: unknown); ``received_at`` is UTC.
    """

    channel: str
    sender: str
    message_id: str
    text: str
    kind: str
    media: bytes | None
    media_type: str | None
    received_at: datetime
    media_size: int | None = None


@dataclass(frozen=True)
class ChatInput:
    """One update of a chat channel: its position (to acknowledge once handled) and the
    person's message, or None for an update the intake has no use for (a group's message,
    a button press, a service note), acknowledged all the same."""

    position: int
    message: ChatMessage | None


class ChatChannel(Protocol):
    """A messenger the intake talks through (Telegram; later Signal, an SMS gateway, a web
    form). The channel keeps what it delivered until acknowledged: an update handed out by
    :meth:`receive` and never acknowledged comes back on a later call, so that no message is
    lost when the intake fails before it committed one."""

    name: str

    def receive(self, timeout_s: float) -> Sequence[ChatInput]:
        """The next updates in order, waiting up to ``timeout_s`` seconds for one (long
        poll); empty when none came or the service was unavailable (the channel then waited
        as long as the service asked, or backed off)."""
        ...

    def acknowledge(self, position: int) -> None:
        """Mark every update up to ``position`` handled: the service may forget them."""
        ...

    def send(self, recipient: str, text: str, quick_replies: Sequence[str] = ()) -> str:
        """Send ``text`` (with reply buttons) to ``recipient``; "sent", "retry" (the service
        is unavailable now: try again later) or "refused" (never deliverable: the person
        blocked the bot, the chat is gone)."""
        ...

    def close(self) -> None:
        """Acknowledge to the service what was handled and release the connection."""
        ...


# ----------------------------------------------------------------- intake (revision 0013)


@dataclass(frozen=True)
class IntakeConversation:
    """An intake conversation as stored (revision 0013); ``run`` and ``meeting`` are
    JSON values, sealed in the store."""

    case_id: int
    channel: str
    sender: str
    run: dict[str, object]
    status: str
    created_at: datetime
    meeting: dict[str, object] | None = None
    flagged_reason: str | None = None
    operator: str | None = None
    last_in_at: datetime | None = None
    last_out_at: datetime | None = None


@dataclass(frozen=True)
class OutboxItem:
    """A message in the intake outbox (revision 0013), opened."""

    id: int
    case_id: int
    channel: str
    kind: str
    recipient: str
    text: str
    quick_replies: tuple[str, ...]
    created_at: datetime
    attempts: int


@dataclass(frozen=True)
class PendingMedia:
    """A file a person sent, held sealed until an operator keeps or discards it (revision
    0014); ``data`` None in a list read without the bytes. ``size`` in bytes."""

    id: int
    case_id: int
    kind: str
    media_type: str
    size: int
    received_at: datetime
    data: bytes | None = None


# ----------------------------------------------------------------- backup and restore


@dataclass(frozen=True)
class TableDigest:
    """What a table held at one moment: its row count and a SHA-256 over its rows in key
    order (canonical text of each value), so that a restored copy is checked row by row."""

    name: str
    rows: int
    digest: str


@dataclass(frozen=True)
class BackupHeader:
    """A backup file's plain header (authenticated with the content, not secret).

    Attributes
    ----------
    backend
        ``"sqlite"`` or ``"postgresql"``: a backup restores into the same kind of database.
    revision
        The store's schema revision (Alembic) when it was taken; None for an empty one.
    created_at
        When the snapshot was taken (UTC, aware).
    key_id
        The master key id of the key file it is encrypted with (never the key).
    schema
        PostgreSQL: the schema the store lived in (``public`` unless the URL said otherwise).
    made_by
        The safeconduct version that wrote it.
    """

    backend: str
    revision: str | None
    created_at: datetime
    key_id: str
    schema: str | None = None
    made_by: str = ""


class DatabaseSnapshot(Protocol):
    """One consistent moment of the database, open until its context ends."""

    #: Every table of the store at that moment (row counts and digests), by name.
    tables: tuple[TableDigest, ...]

    def chunks(self) -> Iterator[bytes]:
        """The dump of that moment in pieces (bounded in size: never the whole in memory)."""
        ...


class DatabaseDumps(Protocol):
    """The store as a whole: snapshot it, load a dump into an empty one, check it."""

    #: ``"sqlite"`` or ``"postgresql"``.
    backend: str

    def describe(self) -> str:
        """The database as shown to people (a path, or a URL without its password)."""
        ...

    def schema(self) -> str | None:
        """PostgreSQL: the schema the store lives in; None on SQLite."""
        ...

    def revisions(self) -> tuple[str, ...]:
        """The schema revisions this release knows, oldest first (the last is the newest)."""
        ...

    def revision(self) -> str | None:
        """The revision the database is at; None when it is empty."""
        ...

    def snapshot(self) -> contextlib.AbstractContextManager[DatabaseSnapshot]:
        """A consistent snapshot taken while others keep writing.

        Raises :class:`~safeconduct.errors.MissingExtraError` when the dump tool is missing
        or older than the server (one line saying what to install).
        """
        ...

    def contents(self) -> list[str]:
        """The tables (and other objects) in the database: empty when it holds nothing."""
        ...

    def load(self, chunks: Iterable[bytes]) -> None:
        """Load a dump into the (empty) database: all of it, or (when ``chunks`` raises or
        the dump fails) nothing."""
        ...

    def tables(self) -> tuple[TableDigest, ...]:
        """Every table's row count and digest now (as a snapshot's ``tables``)."""
        ...

    def upgrade(self) -> None:
        """Migrate the database to the newest revision."""
        ...


class BackupFiles(Protocol):
    """Encrypted, authenticated backup files under one key file's key."""

    #: The master key id of the key file the files are written and read with.
    key_id: str

    def write(
        self,
        path: PathLike,
        header: BackupHeader,
        tables: Sequence[TableDigest],
        chunks: Iterable[bytes],
    ) -> int:
        """Write a backup file atomically (whole or not at all); return its size in bytes."""
        ...

    def read_header(self, path: PathLike) -> BackupHeader:
        """The plain header (not yet authenticated); refuses a file that is no backup, or
        of a newer format."""
        ...

    def verify(self, path: PathLike) -> tuple[TableDigest, ...]:
        """Authenticate the whole file (refused as damaged, truncated or under another
        key); return the tables it says it holds."""
        ...

    def read(self, path: PathLike) -> Iterator[bytes]:
        """The dump's pieces, each authenticated before it is given; raises at the first
        damaged piece or a missing end, so a loader fed by it never completes."""
        ...
