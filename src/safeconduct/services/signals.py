"""Use cases: signals in a recorded video, and alerts from a live stream of frames.

Pipeline per frame: pose (BlazePose, optionally tiled) -> tracker -> gesture classifier
per track -> detector state machines -> alerts. The pose model, the frames, the pixels and
the output files are reached only through :class:`SignalsPorts`
(``safeconduct.bootstrap.signals_ports()`` gives the real ones: mediapipe and OpenCV, the
optional ``vision`` extra). The pipeline also runs on keypoints computed elsewhere, with no
ports at all (:meth:`SignalPipeline.process_people`).

Alert-only: an alert says a person signals surrender and is hors de combat; silence says
only "no signal detected (system limited)".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from safeconduct.services.ports import (
    Files,
    FrameImaging,
    FrameSources,
    PathLike,
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
    GestureClassifier,
    Keypoints,
    PoseState,
)
from safeconduct.signals.tracking import IoUTracker, TiledPose


@dataclass(frozen=True)
class SignalsPorts:
    """What signal recognition needs from the edges.

    Attributes
    ----------
    poses
        The pose model (BlazePose through mediapipe).
    frames
        Frames of a video file or a folder of images.
    imaging
        White-patch test, face protection and drawing on frames.
    videos
        The annotated video's writer.
    files
        The output folder, whose files all appear together or not at all.
    """

    poses: PoseModels
    frames: FrameSources
    imaging: FrameImaging
    videos: VideoWriters
    files: Files


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
    """What the pipeline found in one frame."""

    t_s: float
    people: list[PersonResult]
    alerts: list[Alert]


class SignalPipeline:
    """Stateful per-stream pipeline from frames (or keypoints) to alerts.

    Parameters
    ----------
    ports
        The pose model and the pixel work, needed by :meth:`process` only; None for a
        pipeline fed keypoints through :meth:`process_people`.
    tiles
        1: run the pose model on the whole frame (one person). n > 1: also on n x n
        overlapping tiles (more people, smaller people; n*n+1 times slower).
    static
        Treat frames as unrelated images (True) or as video (False).
    config
        Signal timing.
    """

    def __init__(
        self,
        ports: SignalsPorts | None = None,
        *,
        tiles: int = 1,
        static: bool = False,
        config: DetectorConfig | None = None,
    ) -> None:
        self.ports = ports
        self.tiles = tiles
        self.static = static
        self.detector = SignalDetector(config)
        self.tracker = IoUTracker()
        self._classifiers: dict[int, GestureClassifier] = {}
        self._pose: TiledPose | None = None

    def _ports(self) -> SignalsPorts:
        if self.ports is None:
            raise TypeError(
                "SignalPipeline.process needs ports (safeconduct.bootstrap.signals_ports()); "
                "without them, feed keypoints to process_people"
            )
        return self.ports

    def _people(self, frame: np.ndarray) -> list[Keypoints]:
        if self._pose is None:
            poses, static = self._ports().poses, self.static
            self._pose = TiledPose(lambda: poses.estimator(static=static), grid=self.tiles)
        return self._pose.people(frame)

    def process(self, t_s: float, frame: np.ndarray) -> FrameResult:
        """Find people in a BGR frame at time ``t_s`` (seconds) and update the alerts."""
        imaging = self._ports().imaging
        people = self._people(frame)

        def bright(kp: Keypoints, wrist: int, torso: float | None) -> bool:
            if not kp.visible(wrist) or torso is None:
                return False
            center = (kp.xy[wrist, 0], kp.xy[wrist, 1])
            return imaging.bright_patch(frame, center, 0.35 * torso)

        return self.process_people(t_s, people, bright)

    def process_people(
        self,
        t_s: float,
        people: list[Keypoints],
        bright: Callable[[Keypoints, int, float | None], bool] | None = None,
    ) -> FrameResult:
        """Update with landmarks already found (pure: no image needed).

        Parameters
        ----------
        bright
            ``bright(keypoints, wrist_index, torso_px)``: is a white patch at that wrist.
        """
        kept = [(kp, kp.bbox()) for kp in people]
        kept = [(kp, box) for kp, box in kept if box is not None]
        ids = self.tracker.update([box for _, box in kept])  # type: ignore[misc]
        results: list[PersonResult] = []
        observations: list[Observation] = []
        for tid, (kp, box) in zip(ids, kept, strict=True):
            clf = self._classifiers.setdefault(tid, GestureClassifier())
            state = clf.update(kp)
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
            bbox = tuple(float(v) for v in box)  # type: ignore[union-attr]
            observations.append(
                Observation(
                    t_s, tid, state, bbox, float(np.clip(vis.mean(), 0, 1)),  # type: ignore[arg-type]
                    wrists, flags,  # type: ignore[arg-type]
                )
            )  # fmt: skip
            results.append(PersonResult(tid, kp, state, bbox))  # type: ignore[arg-type]
        live = {t.track_id for t in self.tracker.tracks}
        for tid in [k for k in self._classifiers if k not in live]:
            del self._classifiers[tid]
        alerts = self.detector.update(observations)
        return FrameResult(t_s, results, alerts)

    def close(self) -> None:
        """Release the pose models."""
        if self._pose is not None:
            self._pose.close()


def iter_alerts(
    ports: SignalsPorts,
    frames: Iterable[tuple[float, np.ndarray]],
    tiles: int = 1,
    config: DetectorConfig | None = None,
) -> Iterator[Alert]:
    """Live use: yield alerts as frames arrive.

    Parameters
    ----------
    ports
        The pose model and the pixel work (``safeconduct.bootstrap.signals_ports()``).
    frames
        ``(timestamp_s, bgr_frame)`` pairs in time order, e.g. from a camera. Silence
        means only "no signal detected (system limited)", never anything more.
    tiles
        See :class:`SignalPipeline`.
    """
    pipeline = SignalPipeline(ports, tiles=tiles, config=config)
    try:
        for t, frame in frames:
            yield from pipeline.process(t, frame).alerts
    finally:
        pipeline.close()


@dataclass
class SignalsSummary:
    """What :func:`detect_signals` found and wrote."""

    source: str
    frames: int
    duration_s: float
    fps: float
    people_tracked: int
    frames_with_person: int
    alerts: list[Alert] = field(default_factory=list)
    out_dir: Path | None = None

    @property
    def status(self) -> str:
        """One line: the alerts, or "no signal detected (system limited)"."""
        return status_line(self.alerts)

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
            "people_tracked": self.people_tracked,
            "frames_with_person": self.frames_with_person,
            "alert_counts": counts,
            "status": self.status,
            "action": ACTION_TEXT if self.alerts else NO_SIGNAL_TEXT,
            "limits": "single-person pose model; weak for small, occluded or top-down "
            "figures; absence of an alert means only that no signal was detected",
        }


def _label(person: PersonResult) -> str:
    s = person.state
    kneel = " kneeling" if s.kneeling else ""
    return f"#{person.track_id} arms {s.arms.value}{kneel}"


def detect_signals(
    ports: SignalsPorts,
    source: PathLike,
    *,
    out_dir: PathLike | None = None,
    fps: float | None = None,
    blur: bool = True,
    tiles: int = 1,
    config: DetectorConfig | None = None,
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
        states, alerts; faces blurred unless ``blur`` is False) and ``summary.json``; all
        three appear together or not at all.
    fps
        Folder: frames per second the images were taken at (default 5). Video: analyse at
        most this many frames per second (default: every frame).
    blur
        Blur faces in the annotated video (the default; Geneva Convention III, Art. 13).
    tiles
        See :class:`SignalPipeline`.

    Raises
    ------
    InvalidValueError
        ``fps`` not a number in :data:`~safeconduct.signals.detector.FRAME_RATE`
        (``field="fps"``).
    BadFileError
        Missing source, unreadable video, empty folder, output not writable.
    MissingExtraError
        mediapipe or OpenCV not installed.
    """
    ports.poses.require()
    if fps is not None:
        FRAME_RATE.check(fps, field="fps")
    src = Path(source)
    if out_dir is not None:  # the results may not replace the frames they come from
        ports.files.check_not_inputs({"out_dir": out_dir}, {"source": src})
    rate = ports.frames.frame_rate(src, fps)
    pipeline = SignalPipeline(ports, tiles=tiles, static=False, config=config)
    summary = SignalsSummary(str(src), 0, 0.0, rate, 0, 0)
    seen: set[int] = set()
    imaging = ports.imaging

    def run(writer: VideoSink | None) -> None:
        recent: list[tuple[float, Alert]] = []
        for t, frame in ports.frames.read_frames(src, fps):
            res = pipeline.process(t, frame)
            summary.frames += 1
            summary.duration_s = t
            summary.frames_with_person += bool(res.people)
            seen.update(p.track_id for p in res.people)
            summary.alerts.extend(res.alerts)
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
            imaging.draw_banner(img, status_line(a for _, a in recent), bool(recent))
            writer.write(img)

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
                ports.files.write_text(
                    stage / "alerts.jsonl",
                    "".join(
                        json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in summary.alerts
                    ),
                )
                ports.files.write_text(
                    stage / "summary.json",
                    json.dumps(summary.to_dict(), ensure_ascii=False, indent=2) + "\n",
                )
            summary.out_dir = Path(out_dir)
    finally:
        pipeline.close()
    summary.people_tracked = len(seen)
    return summary
