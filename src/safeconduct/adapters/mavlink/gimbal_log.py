"""The camera's elevation over time, from the gimbal's attitude in a telemetry log (``.tlog``).

A ``.tlog`` (what QGroundControl, Mission Planner and ``safeconduct lead`` write) holds every
MAVLink packet with the time it was received. The gimbal reports its attitude as
``GIMBAL_DEVICE_ATTITUDE_STATUS`` (gimbal protocol v2: a quaternion, pitch relative to the
horizon) or ``MOUNT_STATUS`` (ArduPilot's older mount messages: ``pointing_a``, the pitch in
centidegrees), read as :mod:`safeconduct.adapters.mavlink.guided` reads them live. When a log
holds both, the quaternion wins: the two would otherwise interleave and jitter.

Time: the series starts (0 s) at the log's first gimbal message, which is taken as the
video's first frame. A recording that started at another moment passes ``start_unix_s``
(the library only; the command line keeps the simple rule). Elevation is minus the pitch:
a camera pitched 45 degrees down looks 45 degrees below the horizon.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from pymavlink import mavutil

from safeconduct.errors import BadFileError
from safeconduct.services.ports import GimbalSeries, PathLike

#: The messages read, best first.
GIMBAL_MESSAGES = ("GIMBAL_DEVICE_ATTITUDE_STATUS", "MOUNT_STATUS")


def quaternion_pitch_yaw(q: Any) -> tuple[float, float] | None:
    """Pitch (positive up) and yaw of a gimbal's ``(w, x, y, z)`` attitude quaternion,
    degrees (yaw in -180..180, in the quaternion's own frame), or None if unusable (NaN,
    or all zero: "unknown" in ``GIMBAL_DEVICE_ATTITUDE_STATUS``)."""
    w, x, y, z = (float(v) for v in q)
    if not all(math.isfinite(v) for v in (w, x, y, z)) or (w, x, y, z) == (0, 0, 0, 0):
        return None
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x)))))
    yaw = math.degrees(math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)))
    return pitch, yaw


def _pitch(msg: Any) -> float | None:
    if msg.get_type() == "GIMBAL_DEVICE_ATTITUDE_STATUS":
        angles = quaternion_pitch_yaw(msg.q)
        return None if angles is None else angles[0]
    pitch = msg.pointing_a / 100.0
    return pitch if math.isfinite(pitch) else None


def read_gimbal_series(path: PathLike, *, start_unix_s: float | None = None) -> GimbalSeries:
    """The camera elevation over time recorded in the telemetry log at ``path``.

    Parameters
    ----------
    path
        A ``.tlog`` file.
    start_unix_s
        When the video started, seconds since 1970 (UTC); None: at the log's first gimbal
        message.

    Returns
    -------
    GimbalSeries
        Times in seconds from the start, elevations in degrees below the horizon (minus the
        pitch), one per gimbal message of the kind used.

    Raises
    ------
    BadFileError
        ``field="tlog"``: the file is missing or unreadable, or holds no gimbal attitude.
    """
    file = Path(os.fspath(path))
    if not file.is_file():
        raise BadFileError(f"{file} does not exist; give a telemetry log (.tlog)", field="tlog")
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in GIMBAL_MESSAGES}
    try:
        log = mavutil.mavlink_connection(str(file), notimestamps=False, dialect="ardupilotmega")
    except OSError as exc:
        raise BadFileError(
            f"cannot read the telemetry log {file}: {exc.strerror or exc}", field="tlog"
        ) from exc
    try:
        while True:
            msg = log.recv_match(type=list(GIMBAL_MESSAGES))
            if msg is None:
                break
            pitch = _pitch(msg)
            stamp = float(getattr(msg, "_timestamp", math.nan))
            if pitch is not None and math.isfinite(stamp):
                found[msg.get_type()].append((stamp, -pitch))
    except OSError as exc:
        raise BadFileError(
            f"cannot read the telemetry log {file}: {exc.strerror or exc}", field="tlog"
        ) from exc
    finally:
        log.close()
    samples = next((found[name] for name in GIMBAL_MESSAGES if found[name]), [])
    if not samples:
        raise BadFileError(
            f"{file} holds no gimbal attitude ({' or '.join(GIMBAL_MESSAGES)}); give the "
            "telemetry log of the flight that filmed the video, or the camera elevation",
            field="tlog",
        )
    samples.sort()
    t0 = samples[0][0] if start_unix_s is None else float(start_unix_s)
    return GimbalSeries(
        times_s=tuple(t - t0 for t, _ in samples),
        elevation_deg=tuple(e for _, e in samples),
    )


class TlogGimbalLogs:
    """Gimbal attitude from ``.tlog`` files (port ``GimbalLogs``)."""

    def read(self, path: PathLike, *, start_unix_s: float | None = None) -> GimbalSeries:
        """See :func:`read_gimbal_series`."""
        return read_gimbal_series(path, start_unix_s=start_unix_s)
