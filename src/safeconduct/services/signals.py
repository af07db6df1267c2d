"""Use cases: signals in a recorded video, and alerts from a live stream of frames.

Pipeline per frame: people (:class:`~safeconduct.signals.tracking.PersonFinder`: a tile
sweep for small people, then a tracked, enlarged crop per person) -> tracker -> gesture
classifier per track, judged in the world when the camera's elevation is known -> detector
state machines -> alerts. The pose model, the frames, the pixels, the telemetry log and the
output files are reached only through :class:`SignalsPorts`
(``safeconduct.bootstrap.signals_ports()`` gives the real ones: mediapipe and OpenCV, the
optional ``vision`` extra, and pymavlink). The pipeline also runs on keypoints computed
elsewhere, with no ports at all (:meth:`SignalPipeline.process_people`).

Which pose model runs
    ``model="auto"`` runs BlazePose Heavy where its weights are installed (``make
    vision-models``), else BlazePose Full with an info note; ``"heavy"`` where Heavy is
    absent runs Full with a warning note; nothing is ever downloaded.

Where the camera looks (per frame, first that answers)
    1. the ``view`` given: a function of the frame time, e.g. the gimbal's elevation read
       from a telemetry log (:func:`gimbal_view`) or a constant (:func:`fixed_view`);
    2. :class:`~safeconduct.signals.view.SceneElevation`, once the standing people seen
       give an estimate;
    3. none: the gesture rules fall back to the 2-D skeleton in the image.

   Each person is then judged along the ray to them: the camera's elevation plus the angle
   of their box centre's row below the image's centre, for a pinhole camera with
   :data:`DEFAULT_HFOV_DEG` horizontal field of view (vertical from the frame's aspect).

Alert-only: an alert says a person signals surrender and is hors de combat; silence says
only "no signal detected (system limited)".
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from safeconduct.errors import BadFileError, InvalidValueError
from safeconduct.guidance.ground_ray import CameraIntrinsics
from safeconduct.services.ports import (
    Files,
    FrameImaging,
    FrameSources,
    GimbalLogs,
    GimbalSeries,
    PathLike,
    PoseEstimator,
    PoseModels,
    VideoSink,
    VideoWriters,
)
from safeconduct.signals.detector import (
    ACTION_TEXT,
    FRAME_RATE,
    NO_SIGNAL_TEXT,
    Alert,
    DetectorConfig,
    Observation,
    SignalDetector,
    status_line,
)
from safeconduct.signals.gestures import (
    L_ELBOW,
    L_HIP,
    L_SHOULDER,
    L_WRIST,
    R_ELBOW,
    R_HIP,
    R_SHOULDER,
    R_WRIST,
    ArmsState,
    GestureClassifier,
    Keypoints,
    PoseState,
)
from safeconduct.signals.tracking import IoUTracker, PersonFinder, SweepSettings, sweep_tiles
from safeconduct.signals.view import (
    CAMERA_ELEVATION,
    CameraView,
    SceneElevation,
    ray_elevation_deg,
    up_in_camera,
)

#: The ``model`` values: ``"auto"`` picks Heavy where installed, else Full.
MODEL_CHOICES = ("auto", "full", "heavy")
#: What each model is called in every output.
MODEL_NAMES = {"full": "BlazePose Full", "heavy": "BlazePose Heavy"}
#: The camera's horizontal field of view assumed for the rays to people, degrees: the
#: project's default camera (:class:`~safeconduct.guidance.ground_ray.CameraIntrinsics`).
DEFAULT_HFOV_DEG = CameraIntrinsics.hfov_deg
#: Frames wider or taller than this (pixels) get an info note on how they are swept.
LARGE_FRAME_PX = 1920
#: The longest frame side analysed, pixels (as the video adapter's limit).
MAX_FRAME_SIDE_PX = 8192


@dataclass(frozen=True)
class Note:
    """One line for the operator about how the analysis runs.

    Attributes
    ----------
    level
        ``"info"`` or ``"warning"`` (something asked for could not be done as asked).
    text
        The line, without its level.
    """

    level: str
    text: str

    def __str__(self) -> str:
        return f"{self.level}: {self.text}"


#: A camera looking down at least this far (degrees, median over the video) makes "auto"
#: choose BlazePose Full even where Heavy is installed. Measured on the rendered figure
#: (bench/signals_eval_rendered.py, helper measurements of issue 16): from 45 degrees
#: Full read arms better than Heavy (arms up 99 % of frames against 78 % at 45 degrees,
#: 76 % against 41 % at 60; the signal 7/10 against 4/10 at 45 degrees), at 30 degrees
#: they tied, and Full runs about 2.5 times as fast.
FULL_FROM_ELEVATION_DEG = 40.0


def choose_model(
    requested: str, available: Iterable[str], elevation_deg: float | None = None
) -> tuple[str, list[Note]]:
    """The model to run for ``requested`` given the ``available`` ones, and what to say.

    Parameters
    ----------
    requested
        ``"auto"``, ``"full"`` or ``"heavy"``.
    available
        The installed models (:meth:`~safeconduct.services.ports.PoseModels.available`).
    elevation_deg
        How far the camera looks down, degrees, when known before the first frame (given,
        or the gimbal's median): from :data:`FULL_FROM_ELEVATION_DEG` on, ``"auto"`` runs
        BlazePose Full, which reads arms from above better than Heavy.

    Returns
    -------
    tuple
        ``("full" | "heavy", notes)``: an info note when ``"auto"`` settles for Full, a
        warning when ``"heavy"`` is absent (Full runs instead; nothing is downloaded).

    Raises
    ------
    InvalidValueError
        ``requested`` is not one of :data:`MODEL_CHOICES` (``field="model"``).
    """
    if requested not in MODEL_CHOICES:
        raise InvalidValueError(
            f"{requested!r} is not a pose model; give one of {', '.join(MODEL_CHOICES)}",
            field="model",
        )
    have = tuple(available)
    steep = elevation_deg is not None and elevation_deg >= FULL_FROM_ELEVATION_DEG
    if requested == "auto" and "heavy" in have and steep:
        return "full", [
            Note("info", f"the camera looks {elevation_deg:.0f} degrees down: running BlazePose "
                 "Full, which reads arms from above better than Heavy (--model heavy to "
                 "override)")
        ]  # fmt: skip
    if requested == "full" or (requested == "auto" and "heavy" not in have):
        notes = []
        if requested == "auto":
            notes.append(
                Note("info", "BlazePose Heavy is not installed: running BlazePose Full "
                     "(make vision-models installs Heavy)")
            )  # fmt: skip
        return "full", notes
    if "heavy" in have:
        return "heavy", []
    return "full", [
        Note("warning", "BlazePose Heavy is not installed: running BlazePose Full instead "
             "(make vision-models installs Heavy; nothing is downloaded)")
    ]  # fmt: skip


#: Where the camera looks at a frame time: ``view(t_s)`` -> :class:`CameraView`.
ViewSource = Callable[[float], CameraView]


def fixed_view(elevation_deg: float) -> ViewSource:
    """A camera held at one elevation, degrees below the horizon (source ``"given"``).

    Raises
    ------
    InvalidValueError
        Not a number within 0-90 degrees (``field="camera_elevation_deg"``).
    """
    value = CAMERA_ELEVATION.check(elevation_deg, field="camera_elevation_deg")
    view = CameraView(value, "given")
    return lambda t_s: view


def gimbal_view(series: GimbalSeries) -> ViewSource:
    """The gimbal's elevation at each frame time, interpolated (source ``"gimbal"``).

    A gimbal pitched above the horizon is taken as level, one past straight down as
    straight down: the rules' range is 0-90 degrees.
    """

    def view(t_s: float) -> CameraView:
        return CameraView(float(np.clip(series.at(t_s), 0.0, 90.0)), "gimbal")

    return view


@dataclass(frozen=True)
class SignalsPorts:
    """What signal recognition needs from the edges.

    Attributes
    ----------
    poses
        The pose models (BlazePose Full and, where installed, Heavy, through mediapipe).
    frames
        Frames of a video file or a folder of images.
    imaging
        White-patch and sign tests, face protection and drawing on frames.
    videos
        The annotated video's writer.
    files
        The output folder, whose files all appear together or not at all.
    gimbal
        The gimbal's elevation over time from a telemetry log; None where none is read.
    """

    poses: PoseModels
    frames: FrameSources
    imaging: FrameImaging
    videos: VideoWriters
    files: Files
    gimbal: GimbalLogs | None = None


_QUALITY_IDX = [L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST, L_HIP, R_HIP]


@dataclass(frozen=True)
class PersonResult:
    """One person in one frame: id, landmarks, judged state."""

    track_id: int
    keypoints: Keypoints
    state: PoseState
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class FrameResult:
    """What the pipeline found in one frame, and the camera view it judged it with."""

    t_s: float
    people: list[PersonResult]
    alerts: list[Alert]
    view: CameraView = field(default_factory=lambda: CameraView(None, "unknown"))


def frame_problem(frame: object) -> str | None:
    """Why ``frame`` cannot be analysed (not a BGR image, or too large), or None."""
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3:
        shape = getattr(frame, "shape", None)
        return f"a frame must be a colour image (rows x columns x 3), not {shape or type(frame)}"
    h, w = frame.shape[:2]
    if h < 1 or w < 1:
        return "a frame is empty"
    if max(h, w) > MAX_FRAME_SIDE_PX:
        return (
            f"a frame is {w} x {h} px, over the {MAX_FRAME_SIDE_PX} px analysed on the long "
            "side; downscale it first"
        )
    return None


def sweep_note(width: int, height: int, sweep: SweepSettings | None) -> Note | None:
    """An info note on how a frame larger than :data:`LARGE_FRAME_PX` is analysed, or None."""
    if max(width, height) <= LARGE_FRAME_PX:
        return None
    if sweep is None:
        return Note(
            "info",
            f"frames are {width} x {height} px: the pose model sees each whole frame at about "
            "256 px, so only people filling much of the frame are found (sweep on, or crop)",
        )
    tiles = sweep_tiles(width, height, sweep)
    tw = max(round(x1 - x0) for x0, _, x1, _ in tiles)
    th = max(round(y1 - y0) for _, y0, _, y1 in tiles)
    # BlazePose's detector shrinks each tile to 224 px by its longer side and finds a person
    # about a quarter of that side tall (measured on rendered figures, issue 16).
    smallest = round(max(tw, th) / 4)
    return Note(
        "info",
        f"frames are {width} x {height} px, analysed at full resolution: each sweep runs "
        f"{len(tiles)} tiles of about {tw} x {th} px, so people under about {smallest} px "
        f"tall ({100 * smallest / height:.0f}% of the frame) may be missed; a copy downscaled "
        "to 1920 px runs faster and finds about the same people",
    )


class SignalPipeline:
    """Stateful per-stream pipeline from frames (or keypoints) to alerts.

    Parameters
    ----------
    ports
        The pose model and the pixel work, needed by :meth:`process` only; None for a
        pipeline fed keypoints through :meth:`process_people`.
    sweep
        True: look for people, small ones included, with a tile sweep every half second
        and follow each on an enlarged crop (:class:`~safeconduct.signals.tracking.PersonFinder`).
        False: the whole frame only, one person (faster). Or the sweep's own settings.
    static
        Treat frames as unrelated images (True) or as video (False).
    config
        Signal timing.
    model
        ``"auto"``, ``"full"`` or ``"heavy"`` (see :func:`choose_model`); the model that
        runs is :attr:`model`, what was said about the choice :attr:`notes`.
    view
        Where the camera looks at each frame time (:func:`gimbal_view`,
        :func:`fixed_view`, or a live function of your own); None: estimated from the
        scene once possible, else the 2-D rules.
    hfov_deg
        The camera's horizontal field of view, degrees, for the rays to people.
    elevation_deg
        How far the camera looks down, degrees, if known before the first frame: a steep
        view makes ``"auto"`` run BlazePose Full (see :func:`choose_model`).

    Raises
    ------
    InvalidValueError
        ``model`` names no model (``field="model"``).
    """

    def __init__(
        self,
        ports: SignalsPorts | None = None,
        *,
        sweep: bool | SweepSettings = True,
        static: bool = False,
        config: DetectorConfig | None = None,
        model: str = "auto",
        view: ViewSource | None = None,
        hfov_deg: float = DEFAULT_HFOV_DEG,
        elevation_deg: float | None = None,
    ) -> None:
        self.ports = ports
        self.static = static
        self.sweep: SweepSettings | None = (
            sweep if isinstance(sweep, SweepSettings) else SweepSettings() if sweep else None
        )
        self.view = view
        self.hfov_deg = hfov_deg
        available = ports.poses.available() if ports is not None else ("full",)
        self.model, notes = choose_model(model, available, elevation_deg)
        self.notes = [Note("info", f"pose model: {MODEL_NAMES[self.model]}"), *notes]
        self.detector = SignalDetector(config)
        self.tracker = IoUTracker()
        self.scene = SceneElevation()
        self._classifiers: dict[int, GestureClassifier] = {}
        self._finder: PersonFinder | None = None
        self._size: tuple[int, int] | None = None

    @property
    def model_name(self) -> str:
        """The pose model that runs, as people call it (``"BlazePose Full"``)."""
        return MODEL_NAMES[self.model]

    def _ports(self) -> SignalsPorts:
        if self.ports is None:
            raise TypeError(
                "SignalPipeline.process needs ports (safeconduct.bootstrap.signals_ports()); "
                "without them, feed keypoints to process_people"
            )
        return self.ports

    def _people(self, t_s: float, frame: np.ndarray) -> list[Keypoints]:
        if self._finder is None:
            poses, static, model = self._ports().poses, self.static, self.model

            def make(want_static: bool) -> PoseEstimator:
                return poses.estimator(static=static or want_static, model=model)

            def make_sweep(_static: bool) -> PoseEstimator:
                # The sweep only has to find people; BlazePose Full finds them as well as
                # Heavy does, at a third of the cost, and whoever it finds is then followed
                # with the chosen model.
                return poses.estimator(static=True, model="full")

            self._finder = PersonFinder(make, sweep=self.sweep, make_sweep_estimator=make_sweep)
        return self._finder.people(t_s, frame)

    def process(self, t_s: float, frame: np.ndarray, view: CameraView | None = None) -> FrameResult:
        """Find people in a BGR frame at time ``t_s`` (seconds) and update the alerts.

        ``view``: the camera's elevation for this frame, overriding the pipeline's source
        (live use, where each frame comes with the gimbal's attitude).

        Raises
        ------
        InvalidValueError
            ``frame`` is not a colour image, or is over 8192 px on its long side
            (``field="frame"``).
        """
        problem = frame_problem(frame)
        if problem is not None:
            raise InvalidValueError(problem, field="frame")
        if self._size is None:
            self._size = (frame.shape[1], frame.shape[0])
            note = sweep_note(*self._size, self.sweep)
            if note is not None:
                self.notes.append(note)
        imaging = self._ports().imaging
        people = self._people(t_s, frame)

        def bright(kp: Keypoints, wrist: int, torso: float | None) -> bool:
            if not kp.visible(wrist) or torso is None:
                return False
            center = (kp.xy[wrist, 0], kp.xy[wrist, 1])
            return imaging.bright_patch(frame, center, 0.35 * torso)

        def sign(kp: Keypoints, torso: float | None) -> bool:
            if torso is None or not _hands_raised(kp, torso):
                return False
            left = (float(kp.xy[L_WRIST, 0]), float(kp.xy[L_WRIST, 1]))
            right = (float(kp.xy[R_WRIST, 0]), float(kp.xy[R_WRIST, 1]))
            return imaging.sign_between(frame, left, right, torso)

        return self.process_people(
            t_s, people, bright, sign=sign, view=view, image_size=(frame.shape[1], frame.shape[0])
        )

    def camera_view(self, t_s: float, people: Iterable[Keypoints]) -> CameraView:
        """Where the camera looks at ``t_s``: the pipeline's source, else the scene's estimate.

        Every person with world landmarks is taken as evidence for the scene's estimate
        while no other source answers.
        """
        if self.view is not None:
            given = self.view(t_s)
            if given.elevation_deg is not None:
                return given
        for kp in people:
            self.scene.update(kp)
        estimate = self.scene.estimate()
        if estimate is not None:
            return CameraView(estimate, "scene")
        return CameraView(None, "unknown")

    def _up(
        self, view: CameraView, box: tuple[float, ...], image_size: tuple[int, int] | None
    ) -> np.ndarray | None:
        """World-up in the camera axes along the ray to the person in ``box``."""
        if view.elevation_deg is None:
            return None
        elevation = view.elevation_deg
        # The scene's estimate comes from people's own torsos: it is already the elevation
        # of the rays to them, not the optical axis'.
        if image_size is not None and view.source != "scene":
            w, h = image_size
            vfov = 2 * math.degrees(math.atan(math.tan(math.radians(self.hfov_deg) / 2) * h / w))
            elevation = ray_elevation_deg(elevation, (box[1] + box[3]) / 2, h, vfov)
        return up_in_camera(elevation)

    def process_people(
        self,
        t_s: float,
        people: list[Keypoints],
        bright: Callable[[Keypoints, int, float | None], bool] | None = None,
        *,
        sign: Callable[[Keypoints, float | None], bool] | None = None,
        view: CameraView | None = None,
        image_size: tuple[int, int] | None = None,
    ) -> FrameResult:
        """Update with landmarks already found (pure: no image needed).

        Parameters
        ----------
        bright
            ``bright(keypoints, wrist_index, torso_px)``: is a white patch at that wrist.
        sign
            ``sign(keypoints, torso_px)``: is a sign held up between the two hands.
        view
            The camera's elevation for this frame; None: the pipeline's own source.
        image_size
            ``(width, height)`` of the frame, pixels, for the ray to each person; None:
            every person is judged at the camera's elevation.
        """
        kept = [(kp, kp.bbox()) for kp in people]
        kept = [(kp, box) for kp, box in kept if box is not None]
        if view is None:
            view = self.camera_view(t_s, [kp for kp, _ in kept])
        ids = self.tracker.update([box for _, box in kept])  # type: ignore[misc]
        results: list[PersonResult] = []
        observations: list[Observation] = []
        for tid, (kp, box) in zip(ids, kept, strict=True):
            clf = self._classifiers.setdefault(tid, GestureClassifier())
            state = clf.update(kp, self._up(view, box, image_size))  # type: ignore[arg-type]
            vis = kp.visibility[_QUALITY_IDX]
            wrists = tuple(
                (float(kp.xy[w, 0]), float(kp.xy[w, 1])) if kp.visible(w) else None
                for w in (L_WRIST, R_WRIST)
            )
            flags = (
                tuple(bright(kp, w, state.torso_px) for w in (L_WRIST, R_WRIST))
                if bright is not None
                else (False, False)
            )
            held = bool(sign(kp, state.torso_px)) if sign is not None else False
            bbox = tuple(float(v) for v in box)  # type: ignore[union-attr]
            observations.append(
                Observation(
                    t_s, tid, state, bbox, float(np.clip(vis.mean(), 0, 1)),  # type: ignore[arg-type]
                    wrists, flags, held,  # type: ignore[arg-type]
                )
            )  # fmt: skip
            results.append(PersonResult(tid, kp, state, bbox))  # type: ignore[arg-type]
        live = {t.track_id for t in self.tracker.tracks}
        for tid in [k for k in self._classifiers if k not in live]:
            del self._classifiers[tid]
        alerts = self.detector.update(observations)
        return FrameResult(t_s, results, alerts, view)

    def close(self) -> None:
        """Release the pose models."""
        if self._finder is not None:
            self._finder.close()
            self._finder = None


def _hands_raised(kp: Keypoints, torso_px: float) -> bool:
    """Both wrists visible and clearly above their shoulders in the image (a sign held up):
    by a fifth of the torso, so that arms held out level do not count."""
    need = (L_WRIST, R_WRIST, L_SHOULDER, R_SHOULDER)
    if not all(kp.visible(i) for i in need):
        return False
    margin = 0.2 * torso_px
    return bool(
        kp.xy[L_SHOULDER, 1] - kp.xy[L_WRIST, 1] > margin
        and kp.xy[R_SHOULDER, 1] - kp.xy[R_WRIST, 1] > margin
    )


#: One frame of a live stream: ``(t_s, frame)``, or ``(t_s, frame, view)`` where ``view`` is
#: the camera's elevation at that frame (a :class:`CameraView`, degrees below the horizon,
#: or None for the pipeline's own source).
LiveFrame = tuple[float, np.ndarray] | tuple[float, np.ndarray, CameraView | float | None]


def _live_view(item: tuple[object, ...]) -> CameraView | None:
    if len(item) < 3 or item[2] is None:
        return None
    given = item[2]
    if isinstance(given, CameraView):
        return given
    value = CAMERA_ELEVATION.check(given, field="camera_elevation_deg")
    return CameraView(value, "given")


def iter_alerts(
    ports: SignalsPorts,
    frames: Iterable[LiveFrame],
    *,
    sweep: bool = True,
    config: DetectorConfig | None = None,
    model: str = "auto",
    view: ViewSource | None = None,
) -> Iterator[Alert]:
    """Live use: yield alerts as frames arrive.

    Parameters
    ----------
    ports
        The pose model and the pixel work (``safeconduct.bootstrap.signals_ports()``).
    frames
        In time order, from a camera: ``(timestamp_s, bgr_frame)``, or
        ``(timestamp_s, bgr_frame, elevation)`` where ``elevation`` is the camera's
        elevation at that frame (degrees below the horizon, a :class:`CameraView`, or None).
        Silence means only "no signal detected (system limited)", never anything more.
    sweep, config, model
        See :class:`SignalPipeline`.
    view
        Where the camera looks at each timestamp, for frames that do not say (e.g. a
        function reading the gimbal's latest attitude from the live link); None: the
        scene's estimate, else the 2-D rules.

    Raises
    ------
    InvalidValueError
        An elevation outside 0-90 degrees (``field="camera_elevation_deg"``), a frame
        that is not an image or is over 8192 px (``field="frame"``), an unknown model.
    """
    pipeline = SignalPipeline(ports, sweep=sweep, config=config, model=model, view=view)
    try:
        for item in frames:
            t, frame = item[0], item[1]
            yield from pipeline.process(t, frame, _live_view(item)).alerts
    finally:
        pipeline.close()


@dataclass
class SignalsSummary:
    """What :func:`detect_signals` found and wrote, and how.

    Attributes
    ----------
    model
        The pose model that ran (``"full"`` or ``"heavy"``).
    geometry
        Person-frames judged by each geometry: ``"world"`` (world landmarks against
        world-up) and ``"image"`` (the 2-D skeleton).
    elevation_sources
        Frames by where the camera's elevation came from (``"gimbal"``, ``"given"``,
        ``"scene"``, ``"unknown"``).
    notes
        Info and warning lines about the run (the model chosen, large frames).
    """

    source: str
    frames: int
    duration_s: float
    fps: float
    people_tracked: int
    frames_with_person: int
    alerts: list[Alert] = field(default_factory=list)
    out_dir: Path | None = None
    model: str = "full"
    sweep: bool = True
    geometry: Counter[str] = field(default_factory=Counter)
    elevation_sources: Counter[str] = field(default_factory=Counter)
    notes: list[Note] = field(default_factory=list)

    @property
    def status(self) -> str:
        """One line: the alerts, or "no signal detected (system limited)"."""
        return status_line(self.alerts)

    @property
    def model_name(self) -> str:
        """``"BlazePose Full"`` or ``"BlazePose Heavy"``."""
        return MODEL_NAMES[self.model]

    @property
    def world_share(self) -> float:
        """Share (0-1) of the judged person-frames judged in the world frame."""
        total = sum(self.geometry.values())
        return self.geometry["world"] / total if total else 0.0

    @property
    def elevation_source(self) -> str:
        """Where the elevation came from: one source, or each with its share of frames."""
        total = sum(self.elevation_sources.values())
        if not total:
            return "unknown"
        if len(self.elevation_sources) == 1:
            return next(iter(self.elevation_sources))
        return ", ".join(
            f"{name} {100 * n / total:.0f}%" for name, n in self.elevation_sources.most_common()
        )

    def describe(self) -> str:
        """One line: the model, the geometry and the elevation's source."""
        if sum(self.geometry.values()):
            share = self.world_share
            geometry = f"world {100 * share:.0f}% of person-frames, image {100 * (1 - share):.0f}%"
        else:
            geometry = "no person judged"
        return (
            f"model: {self.model_name}; geometry: {geometry}; camera elevation: "
            f"{self.elevation_source}"
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        counts: dict[str, int] = {}
        for a in self.alerts:
            counts[a.kind.value] = counts.get(a.kind.value, 0) + 1
        return {
            "source": self.source,
            "frames": self.frames,
            "duration_s": round(self.duration_s, 3),
            "fps": self.fps,
            "model": self.model,
            "model_name": self.model_name,
            "sweep": self.sweep,
            "geometry": {
                "world_person_frames": self.geometry["world"],
                "image_person_frames": self.geometry["image"],
                "world_share": round(self.world_share, 3),
            },
            "elevation_source": self.elevation_source,
            "elevation_frames": dict(self.elevation_sources),
            "people_tracked": self.people_tracked,
            "frames_with_person": self.frames_with_person,
            "alert_counts": counts,
            "status": self.status,
            "action": ACTION_TEXT if self.alerts else NO_SIGNAL_TEXT,
            "notes": [str(n) for n in self.notes],
            "limits": (
                "BlazePose finds one person per image: a tile sweep every half second and a "
                "crop per person find more and smaller ones (measured on synthetic figures: "
                "see the README's working range); arms are judged in the world when the "
                "camera's elevation is known, reliable to about 60 degrees below the horizon, "
                "else on the 2-D skeleton; weak for occluded, lying or side-on people; "
                "absence of an alert means only that no signal was detected"
            ),
        }


def _label(person: PersonResult) -> str:
    s = person.state
    kneel = " kneeling" if s.kneeling else ""
    return f"#{person.track_id} arms {s.arms.value}{kneel}"


def _view_text(view: CameraView) -> str:
    if view.elevation_deg is None:
        return "elevation unknown: 2-D rules"
    return f"elevation {view.elevation_deg:.0f} deg ({view.source})"


def detect_signals(
    ports: SignalsPorts,
    source: PathLike,
    *,
    out_dir: PathLike | None = None,
    fps: float | None = None,
    blur: bool = True,
    model: str = "auto",
    camera_elevation_deg: float | None = None,
    tlog: PathLike | None = None,
    sweep: bool = True,
    config: DetectorConfig | None = None,
    notify: Callable[[Note], None] | None = None,
) -> SignalsSummary:
    """Recognise surrender signals in a video file or a folder of images.

    Parameters
    ----------
    ports
        The edges (``safeconduct.bootstrap.signals_ports()``).
    source
        Video file, or folder of images in name order.
    out_dir
        If given, write ``alerts.jsonl`` (one alert per line), ``annotated.mp4`` (skeletons,
        states, alerts, and a banner naming the model, the geometry and the elevation;
        faces blurred unless ``blur`` is False) and ``summary.json``; all three appear
        together or not at all.
    fps
        Folder: frames per second the images were taken at (default 5). Video: analyse at
        most this many frames per second (default: every frame).
    blur
        Blur faces in the annotated video (the default; Geneva Convention III, Art. 13).
    model
        ``"auto"``, ``"full"`` or ``"heavy"`` (see :func:`choose_model`).
    camera_elevation_deg
        How far below the horizon the camera looked, degrees (0-90), for the whole video;
        used where ``tlog`` gives none.
    tlog
        A telemetry log of the flight: the gimbal's pitch over time, read with time 0 at
        its first gimbal message taken as the video's first frame.
    sweep
        Look for small and several people (a tile sweep and a crop per person); False:
        the whole frame only (one large person, faster).
    notify
        Called with each :class:`Note` as soon as it is known (the model chosen first),
        so that a long run says how it runs before it ends.

    Raises
    ------
    InvalidValueError
        ``fps`` not a number in :data:`~safeconduct.signals.detector.FRAME_RATE`
        (``field="fps"``); ``camera_elevation_deg`` not within 0-90 degrees
        (``field="camera_elevation_deg"``); an unknown ``model`` (``field="model"``).
    BadFileError
        Missing source, unreadable video or image, an undecodable codec, empty folder or
        video, frames over 8192 px, output not writable, a telemetry log with no gimbal
        attitude (``field="tlog"``).
    MissingExtraError
        mediapipe or OpenCV not installed.
    """
    ports.poses.require()
    if fps is not None:
        FRAME_RATE.check(fps, field="fps")
    choose_model(model, ())  # a misspelt model is refused before any work
    given = fixed_view(camera_elevation_deg) if camera_elevation_deg is not None else None
    src = Path(source)
    if out_dir is not None:  # the results may not replace the frames they come from
        ports.files.check_not_inputs({"out_dir": out_dir}, {"source": src})
    rate = ports.frames.frame_rate(src, fps)
    view = given
    series: GimbalSeries | None = None
    if tlog is not None:
        if ports.gimbal is None:
            raise BadFileError("no telemetry log reader is wired in", field="tlog")
        series = ports.gimbal.read(tlog)
        view = _first_of(gimbal_view(series), given)
    known = camera_elevation_deg
    if series is not None and series.elevation_deg:
        known = float(np.median(np.clip(series.elevation_deg, 0.0, 90.0)))
    pipeline = SignalPipeline(
        ports, sweep=sweep, static=False, config=config, model=model, view=view,
        elevation_deg=known,
    )  # fmt: skip
    summary = SignalsSummary(str(src), 0, 0.0, rate, 0, 0, model=pipeline.model, sweep=sweep)
    told = 0

    def tell() -> None:
        nonlocal told
        for note in pipeline.notes[told:]:
            summary.notes.append(note)
            if notify is not None:
                notify(note)
        told = len(pipeline.notes)

    tell()
    seen: set[int] = set()
    imaging = ports.imaging
    records: list[str] = []  # alerts.jsonl's lines

    def run(writer: VideoSink | None) -> None:
        recent: list[tuple[float, Alert]] = []
        for t, frame in ports.frames.read_frames(src, fps):
            problem = frame_problem(frame)
            if problem is not None:
                raise BadFileError(f"{src} at {t:.2f} s: {problem}")
            res = pipeline.process(t, frame)
            tell()
            summary.frames += 1
            summary.duration_s = t
            summary.frames_with_person += bool(res.people)
            summary.elevation_sources[res.view.source] += 1
            summary.geometry.update(
                p.state.geometry for p in res.people if p.state.arms is not ArmsState.UNKNOWN
            )
            seen.update(p.track_id for p in res.people)
            summary.alerts.extend(res.alerts)
            states = {p.track_id: p.state for p in res.people}
            for a in res.alerts:
                state = states.get(a.track_id)
                records.append(
                    json.dumps(
                        {
                            **a.to_dict(),
                            "model": pipeline.model_name,
                            "geometry": state.geometry if state is not None else None,
                            "camera_elevation_deg": res.view.elevation_deg,
                            "elevation_source": res.view.source,
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
            if writer is None:
                continue
            recent = [(ts, a) for ts, a in recent if t - ts < 3.0]
            recent += [(t, a) for a in res.alerts]
            img = frame.copy()
            if blur:
                imaging.protect(img, [p.keypoints for p in res.people])
            alerted = {a.track_id for _, a in recent}
            for p in res.people:
                imaging.draw_person(img, p.keypoints, _label(p), p.track_id in alerted)
            geometry = sorted({p.state.geometry for p in res.people}) or ["no person"]
            banner = (
                f"{status_line(a for _, a in recent)}\n{pipeline.model_name} | "
                f"{'/'.join(geometry)} geometry | {_view_text(res.view)}"
            )
            imaging.draw_banner(img, banner, bool(recent))
            writer.write(img)
        if series is not None and summary.duration_s > series.times_s[-1] + 1.0:
            pipeline.notes.append(
                Note(
                    "warning",
                    f"the telemetry log's gimbal attitude ends {series.times_s[-1]:.1f} s into "
                    f"the {summary.duration_s:.1f} s video; its last elevation was used after",
                )
            )
            tell()

    try:
        if out_dir is None:
            run(None)
        else:
            with ports.files.staging_folder(out_dir, protect={"source": src}) as stage:
                writer = ports.videos.open(stage / "annotated.mp4", rate)
                try:
                    run(writer)
                finally:
                    writer.close()
                summary.people_tracked = len(seen)
                ports.files.write_text(stage / "alerts.jsonl", "".join(records))
                ports.files.write_text(
                    stage / "summary.json",
                    json.dumps(summary.to_dict(), ensure_ascii=False, indent=2) + "\n",
                )
            summary.out_dir = Path(out_dir)
    finally:
        pipeline.close()
    summary.people_tracked = len(seen)
    return summary


def _first_of(first: ViewSource, then: ViewSource | None) -> ViewSource:
    """``first``'s view, or ``then``'s where ``first`` knows no elevation."""
    if then is None:
        return first

    def view(t_s: float) -> CameraView:
        got = first(t_s)
        return got if got.elevation_deg is not None else then(t_s)

    return view
