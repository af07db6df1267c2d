"""Frames in and annotated frames out, with OpenCV: the image side of signal recognition.

Reading: a video file, or a folder of images taken in name order. Writing: an MP4 with
skeletons, states and alerts drawn on, and faces blurred unless asked otherwise (Geneva
Convention III, Art. 13: no images of prisoners exposed to public curiosity).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from safeconduct.adapters.vision.native_logs import quiet_native_logs
from safeconduct.adapters.vision.pose import require_cv2
from safeconduct.adapters.vision.sign import sign_between
from safeconduct.errors import BadFileError
from safeconduct.signals.detector import FRAME_RATE
from safeconduct.signals.gestures import FACE, SKELETON_EDGES, Keypoints

PathLike = str | os.PathLike[str]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
#: Frame rate assumed for a folder of images when none is given, frames per second.
DEFAULT_FOLDER_FPS = 5.0
#: The longest frame side analysed, pixels: 8K (7680 x 4320) and DCI 8K (8192 x 4320) are
#: read; a larger frame is refused (one frame alone takes 100 MB and more).
MAX_FRAME_SIDE_PX = 8192
#: The conversion suggested for a video OpenCV cannot decode.
CONVERT_HINT = "ffmpeg -i {source} -c:v libx264 OUT.mp4"


def frame_size_problem(width: int, height: int) -> str | None:
    """Why a ``width x height`` pixel frame cannot be analysed, or None when it can."""
    if max(width, height) > MAX_FRAME_SIDE_PX:
        side = "-2:3840" if height > width else "3840:-2"  # 4K, the other side even
        return (
            f"its frames are {width} x {height} px, over the {MAX_FRAME_SIDE_PX} px analysed "
            f"on the long side; downscale it first (ffmpeg -i IN -vf scale={side} OUT)"
        )
    return None


def fourcc_text(code: float) -> str:
    """OpenCV's ``CAP_PROP_FOURCC`` as its four characters (``"avc1"``), or its hex value."""
    value = int(code) & 0xFFFFFFFF
    raw = value.to_bytes(4, "little")
    if value and all(32 <= b < 127 for b in raw):
        return raw.decode("ascii")
    return f"0x{value:08x}"


def source_fps(source: Path, fps: float | None) -> float:
    """The analysis frame rate for ``source``: ``fps`` if given, else the file's own.

    Frames per second; a folder of images without ``fps`` is taken at
    :data:`DEFAULT_FOLDER_FPS`, a video that does not say at 25.

    Raises
    ------
    InvalidValueError
        If ``fps`` is out of :data:`~safeconduct.signals.detector.FRAME_RATE`
        (``field="fps"``).
    BadFileError
        If ``source`` does not exist.
    """
    if not source.exists():
        raise BadFileError(f"{source} does not exist; give a video file or a folder of images")
    if fps is not None:
        return FRAME_RATE.check(fps, field="fps")
    if source.is_dir():
        return DEFAULT_FOLDER_FPS
    cv2 = require_cv2()
    with quiet_native_logs():  # FFmpeg writes "moov atom not found" and the like to fd 2
        cap = cv2.VideoCapture(str(source))
    try:
        native = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    finally:
        cap.release()
    return native if native > 0 else 25.0


def read_frames(source: Path, fps: float | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(time_s, bgr_frame)`` from a video file or a folder of images.

    Parameters
    ----------
    source
        A video file OpenCV can decode, or a folder of images (sorted by name).
    fps
        Folder: the rate the images were taken at (default 5 per second). Video: analyse at
        most this many frames per second, skipping the rest (default: every frame).

    Files in a folder whose names do not end in an image suffix
    (:data:`IMAGE_SUFFIXES`) are ignored.

    Raises
    ------
    BadFileError
        If the source is missing, unreadable (damaged, cut short, not a video), holds no
        frames, is encoded with a codec OpenCV cannot decode (its FourCC named, with the
        ffmpeg line that converts it), has frames over :data:`MAX_FRAME_SIDE_PX` on the
        long side, or a folder holds an unreadable image or images of more than one size
        (named when reached).
    """
    cv2 = require_cv2()
    if not source.exists():
        raise BadFileError(f"{source} does not exist; give a video file or a folder of images")
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise BadFileError(
                f"{source} holds no images ({', '.join(IMAGE_SUFFIXES)}); give a folder of frames"
            )
        rate = source_fps(source, fps)
        first: tuple[Path, tuple[int, ...]] | None = None
        for i, path in enumerate(files):
            with quiet_native_logs():  # libpng and OpenCV warn on fd 2
                img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if img is None:
                raise BadFileError(f"cannot read image {path}; is it a valid picture?")
            problem = frame_size_problem(img.shape[1], img.shape[0])
            if problem is not None:
                raise BadFileError(f"{path}: {problem.replace('its frames are', 'it is')}")
            # One size for all: the tracker compares boxes across frames, and the video
            # writer would drop a frame of another size without a word.
            if first is None:
                first = (path, img.shape)
            elif img.shape != first[1]:
                raise BadFileError(
                    f"{path} is {_size(img.shape)} but {first[0].name} is "
                    f"{_size(first[1])}; give frames of one size (resize them first)"
                )
            yield i / rate, img
        return
    with quiet_native_logs():
        cap = cv2.VideoCapture(str(source))
    try:
        if not cap.isOpened():
            hint = CONVERT_HINT.format(source=source)
            raise BadFileError(
                f"cannot read video {source}: damaged, cut short, not a video, or in a codec "
                f"OpenCV lacks; if it plays elsewhere, convert it: {hint}"
            )
        problem = frame_size_problem(
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        )
        if problem is not None:
            raise BadFileError(f"video {source}: {problem}")
        native = float(cap.get(cv2.CAP_PROP_FPS) or 0.0) or 25.0
        step = 1.0 / fps if fps else 0.0
        next_t = 0.0
        i = 0
        n = 0
        while True:
            with quiet_native_logs():  # a damaged frame makes the decoder complain
                ok, frame = cap.read()
            if not ok:
                break
            t = i / native
            i += 1
            if t + 1e-9 < next_t:
                continue
            next_t = t + step
            n += 1
            yield t, frame
        if n == 0:
            raise BadFileError(_no_frames(cap, source))
    finally:
        cap.release()


def _no_frames(cap: Any, source: Path) -> str:
    """Why an opened video gave no frame: it holds none, or its codec is not decodable."""
    cv2 = require_cv2()
    count = float(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)
    if count <= 0:
        return f"video {source} holds no frames; give a recording with at least one frame"
    codec = fourcc_text(cap.get(cv2.CAP_PROP_FOURCC))
    return (
        f"cannot decode video {source}: its codec ({codec}) is one OpenCV cannot decode "
        f"here; convert it: {CONVERT_HINT.format(source=source)}"
    )


def _size(shape: tuple[int, ...]) -> str:
    return f"{shape[1]} x {shape[0]} px"


def bright_patch(frame: np.ndarray, center: tuple[float, float], radius_px: float) -> bool:
    """Whether a bright, low-saturation (white-ish) patch covers part of a disc.

    Parameters
    ----------
    center
        Disc centre (a wrist), pixels.
    radius_px
        Disc radius, pixels.
    """
    cv2 = require_cv2()
    h, w = frame.shape[:2]
    r = max(2, int(radius_px))
    x, y = int(center[0]), int(center[1])
    x0, x1, y0, y1 = max(0, x - r), min(w, x + r), max(0, y - r), min(h, y + r)
    if x1 <= x0 or y1 <= y0:
        return False
    hsv = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2HSV)
    white = (hsv[..., 2] >= 190) & (hsv[..., 1] <= 50)
    return bool(white.mean() >= 0.2)


#: With blurring on, the whole picture is pixelated into blocks of this fraction of its width.
PIXELATE_FRACTION = 1 / 48


def protect_frame(frame: np.ndarray, people: Sequence[Keypoints]) -> np.ndarray:
    """Make a frame fit to leave the system: no recognisable face, found or not.

    The heads of the people the pose model found are blurred heavily; then the whole
    picture is pixelated (blocks of :data:`PIXELATE_FRACTION` of its width), so that a
    person the model missed is not shown with a recognisable face either. Skeletons and
    alerts are drawn afterwards and stay sharp. In place; returns ``frame``.
    """
    cv2 = require_cv2()
    blur_faces(frame, people)
    h, w = frame.shape[:2]
    block = max(2, round(w * PIXELATE_FRACTION))
    small = cv2.resize(
        frame, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA
    )
    frame[:] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return frame


def blur_faces(frame: np.ndarray, people: Sequence[Keypoints]) -> np.ndarray:
    """Blur each person's head region (from face landmarks 0-10), in place; return frame."""
    cv2 = require_cv2()
    h, w = frame.shape[:2]
    for kp in people:
        pts = kp.xy[list(FACE)]
        ok = np.all(np.isfinite(pts), axis=1)
        if not ok.any():
            continue
        pts = pts[ok]
        cx, cy = pts.mean(axis=0)
        # The face landmarks span eyes to mouth; the head is about twice that, plus hair.
        span = max(float(np.ptp(pts[:, 0])), float(np.ptp(pts[:, 1])), 8.0)
        r = 1.2 * span
        x0, x1 = int(max(0, cx - r)), int(min(w, cx + r))
        y0, y1 = int(max(0, cy - 1.3 * r)), int(min(h, cy + r))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        k = max(3, (int(r) // 2) * 2 + 1)
        frame[y0:y1, x0:x1] = cv2.GaussianBlur(frame[y0:y1, x0:x1], (k, k), 0)
    return frame


def draw_person(
    frame: np.ndarray,
    kp: Keypoints,
    label: str,
    alert: bool,
    min_visibility: float = 0.5,
) -> None:
    """Draw a skeleton, a box and a state label for one person, in place."""
    cv2 = require_cv2()
    color = (0, 0, 255) if alert else (0, 200, 0)
    for a, b in SKELETON_EDGES:
        if kp.visible(a, min_visibility) and kp.visible(b, min_visibility):
            pa = tuple(int(v) for v in kp.xy[a])
            pb = tuple(int(v) for v in kp.xy[b])
            cv2.line(frame, pa, pb, color, 2, cv2.LINE_AA)
    box = kp.bbox(min_visibility)
    if box is not None:
        x0, y0, x1, y1 = (int(v) for v in box)
        cv2.rectangle(frame, (x0, y0), (x1, y1), color, 1)
        cv2.putText(
            frame, label, (x0, max(12, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, color, 1,
            cv2.LINE_AA,
        )  # fmt: skip


def draw_banner(frame: np.ndarray, text: str, alert: bool) -> None:
    """Write status lines across the top of the frame, one band per line, in place.

    The first line is red when ``alert``; the others (how the frame was judged) are grey.
    """
    cv2 = require_cv2()
    for i, line in enumerate(text.split("\n")):
        color = ((0, 0, 255) if alert else (255, 255, 255)) if i == 0 else (200, 200, 200)
        # OpenCV's Hershey fonts are ASCII only.
        line = line.replace("—", "-").encode("ascii", "replace").decode("ascii")
        top = 18 * i
        cv2.rectangle(frame, (0, top), (frame.shape[1], top + 18), (0, 0, 0), -1)
        cv2.putText(
            frame, line[:110], (4, top + 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, color, 1,
            cv2.LINE_AA,
        )  # fmt: skip


class VideoWriter:
    """An MP4 writer that opens on the first frame (so the size comes from the frames)."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path = path
        self.fps = fps
        self._writer = None
        self._size = (0, 0)
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR frame (one of another size than the first is scaled to it)."""
        cv2 = require_cv2()
        if self._writer is None:
            h, w = frame.shape[:2]
            fourcc = cv2.VideoWriter_fourcc(*"mp4v")
            with quiet_native_logs():
                self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                raise BadFileError(f"cannot write video {self.path}")
            self._size = (w, h)
        if (frame.shape[1], frame.shape[0]) != self._size:
            # OpenCV would drop it silently; the video keeps every frame analysed.
            frame = cv2.resize(frame, self._size, interpolation=cv2.INTER_AREA)
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        """Finish the file."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None


# -- the ports of :mod:`safeconduct.services.signals`, with the functions above -------------


class OpenCvFrameSources:
    """Frames from a video file or a folder of images (port ``FrameSources``)."""

    def frame_rate(self, source: PathLike, fps: float | None) -> float:
        """See :func:`source_fps`."""
        return source_fps(Path(source), fps)

    def read_frames(
        self, source: PathLike, fps: float | None
    ) -> Iterator[tuple[float, np.ndarray]]:
        """See :func:`read_frames`."""
        return read_frames(Path(source), fps)


class OpenCvFrameImaging:
    """Pixel work on BGR frames (port ``FrameImaging``)."""

    def bright_patch(
        self, frame: np.ndarray, center: tuple[float, float], radius_px: float
    ) -> bool:
        """See :func:`bright_patch`."""
        return bright_patch(frame, center, radius_px)

    def sign_between(
        self,
        frame: np.ndarray,
        left_wrist: tuple[float, float],
        right_wrist: tuple[float, float],
        torso_px: float,
    ) -> bool:
        """See :func:`safeconduct.adapters.vision.sign.sign_between`."""
        return sign_between(frame, left_wrist, right_wrist, torso_px)

    def protect(self, frame: np.ndarray, people: Sequence[Keypoints]) -> np.ndarray:
        """See :func:`protect_frame`."""
        return protect_frame(frame, people)

    def draw_person(self, frame: np.ndarray, keypoints: Keypoints, label: str, alert: bool) -> None:
        """See :func:`draw_person`."""
        draw_person(frame, keypoints, label, alert)

    def draw_banner(self, frame: np.ndarray, text: str, alert: bool) -> None:
        """See :func:`draw_banner`."""
        draw_banner(frame, text, alert)


class Mp4VideoWriters:
    """MP4 files of annotated frames (port ``VideoWriters``)."""

    def open(self, path: PathLike, fps: float) -> VideoWriter:
        """A :class:`VideoWriter` for ``path`` at ``fps`` frames per second."""
        return VideoWriter(Path(path), fps)
