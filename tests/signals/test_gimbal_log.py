"""The camera elevation over time from a telemetry log's gimbal messages."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from safeconduct.adapters.mavlink.gimbal_log import read_gimbal_series
from safeconduct.errors import BadFileError

T0 = 1_760_000_000.0  # seconds since 1970 of the first record


def _write_tlog(path: Path, records: list[tuple[float, object]]) -> Path:
    """Write ``(seconds after T0, message)`` records as a .tlog (8-byte big-endian
    microseconds, then the packet), as ground stations write them."""
    mav = mavlink2.MAVLink(None, srcSystem=1, srcComponent=154)
    with path.open("wb") as f:
        for t, msg in records:
            buf = msg.pack(mav)  # type: ignore[attr-defined]
            f.write(struct.pack(">Q", int((T0 + t) * 1e6)) + buf)
    return path


def _quaternion_pitch(pitch_deg: float) -> list[float]:
    half = math.radians(pitch_deg) / 2
    return [math.cos(half), 0.0, math.sin(half), 0.0]


def _attitude(pitch_deg: float) -> object:
    nan = float("nan")
    return mavlink2.MAVLink_gimbal_device_attitude_status_message(
        0, 0, 0, 0, _quaternion_pitch(pitch_deg), nan, nan, nan, 0
    )


def _mount(pitch_deg: float) -> object:
    return mavlink2.MAVLink_mount_status_message(1, 1, int(pitch_deg * 100), 0, 0)


def test_quaternion_pitch_becomes_elevation_over_time(tmp_path: Path) -> None:
    heartbeat = mavlink2.MAVLink_heartbeat_message(2, 3, 0, 0, 0, 3)
    log = _write_tlog(
        tmp_path / "f.tlog",
        [(0.0, heartbeat), (1.0, _attitude(-30)), (3.0, _attitude(-60)), (3.5, _mount(-10))],
    )
    series = read_gimbal_series(log)
    assert series.times_s == pytest.approx((0.0, 2.0))  # from the first gimbal message
    assert series.elevation_deg == pytest.approx((30.0, 60.0), abs=1e-3)
    assert series.at(1.0) == pytest.approx(45.0, abs=1e-3)
    assert series.at(-5.0) == pytest.approx(30.0, abs=1e-3)
    assert series.at(99.0) == pytest.approx(60.0, abs=1e-3)
    # A video that started half a second before the first gimbal message.
    later = read_gimbal_series(log, start_unix_s=T0 + 0.5)
    assert later.times_s == pytest.approx((0.5, 2.5))


def test_mount_status_centidegrees(tmp_path: Path) -> None:
    log = _write_tlog(tmp_path / "m.tlog", [(0.0, _mount(-45)), (2.0, _mount(-75.5))])
    series = read_gimbal_series(log)
    assert series.elevation_deg == pytest.approx((45.0, 75.5))


def test_log_without_gimbal_names_the_file(tmp_path: Path) -> None:
    heartbeat = mavlink2.MAVLink_heartbeat_message(2, 3, 0, 0, 0, 3)
    log = _write_tlog(tmp_path / "nogimbal.tlog", [(0.0, heartbeat), (1.0, heartbeat)])
    with pytest.raises(BadFileError) as info:
        read_gimbal_series(log)
    assert info.value.field == "tlog"
    assert str(log) in info.value.message and "holds no gimbal attitude" in info.value.message
    junk = tmp_path / "junk.tlog"
    junk.write_bytes(b"not a telemetry log at all" * 10)
    with pytest.raises(BadFileError, match="holds no gimbal attitude"):
        read_gimbal_series(junk)
    with pytest.raises(BadFileError, match="does not exist"):
        read_gimbal_series(tmp_path / "missing.tlog")
