"""A bare pymavlink ground station for the simulator's own tests (no adapter in between)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from safeconduct.adapters.mavlink.simulated_copter import SimulatedCopter

#: type_mask: position + velocity + yaw, acceleration and yaw rate ignored.
POSVEL_MASK = (0b111 << 6) | (1 << 11)
#: type_mask: velocity only.
VEL_MASK = 0b111 | (0b111 << 6) | (1 << 10) | (1 << 11)
#: type_mask: position only.
POS_MASK = (0b111 << 3) | (0b111 << 6) | (1 << 10) | (1 << 11)


class RawGcs:
    """System 255 on the simulator's link; :meth:`pump` keeps the heartbeat going."""

    def __init__(self, sim: SimulatedCopter, *, system: int = 255) -> None:
        self.sim = sim
        self.conn: Any = mavutil.mavlink_connection(
            sim.connection, source_system=system, source_component=190
        )
        self.conn.mav = mavlink2.MAVLink(self.conn, srcSystem=system, srcComponent=190)
        self.conn.mav.robust_parsing = True
        self.mav = self.conn.mav
        self.seen: list[Any] = []
        self._last_beat = 0.0

    def close(self) -> None:
        self.conn.close()

    def beat(self) -> None:
        self.mav.heartbeat_send(
            mavlink2.MAV_TYPE_GCS, mavlink2.MAV_AUTOPILOT_INVALID, 0, 0, mavlink2.MAV_STATE_ACTIVE
        )

    def pump(self, sim_seconds: float, *, heartbeat: bool = True) -> list[Any]:
        """Read for ``sim_seconds`` simulated seconds, beating ~5 times a simulated second."""
        end = self.sim.now() + sim_seconds
        got: list[Any] = []
        while self.sim.now() < end:
            if heartbeat and self.sim.now() - self._last_beat >= 0.2:
                self.beat()
                self._last_beat = self.sim.now()
            msg = self.conn.recv_match(blocking=True, timeout=0.01)
            while msg is not None:
                got.append(msg)
                msg = self.conn.recv_match(blocking=False)
        self.seen.extend(got)
        return got

    def wait_for(
        self, kind: str, sim_timeout: float = 5.0, where: Callable[[Any], bool] = lambda m: True
    ) -> Any:
        """The next message of ``kind`` for which ``where`` holds (heartbeats keep going)."""
        end = self.sim.now() + sim_timeout
        while self.sim.now() < end:
            for msg in self.pump(0.05):
                if msg.get_type() == kind and where(msg):
                    return msg
        raise AssertionError(f"no {kind} within {sim_timeout} simulated seconds")

    def target(
        self,
        lat: float,
        lon: float,
        alt: float,
        vel: tuple[float, float, float] = (0.0, 0.0, 0.0),
        *,
        mask: int = POSVEL_MASK,
        frame: int = mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
        yaw_rad: float = 0.0,
    ) -> None:
        self.mav.set_position_target_global_int_send(
            0,
            1,
            1,
            frame,
            mask,
            round(lat * 1e7),
            round(lon * 1e7),
            alt,
            vel[0],
            vel[1],
            vel[2],
            0,
            0,
            0,
            yaw_rad,
            0,
        )

    def upload_fence(self, polygon: list[tuple[float, float]]) -> int:
        """The fence mission protocol; returns the MISSION_ACK result."""
        fence = mavlink2.MAV_MISSION_TYPE_FENCE
        self.mav.mission_count_send(1, 1, len(polygon), fence)
        while True:
            got = self._next_of(("MISSION_REQUEST_INT", "MISSION_ACK"))
            if got.get_type() == "MISSION_ACK":
                return int(got.type)
            seq = got.seq
            lat, lon = polygon[seq]
            self.mav.mission_item_int_send(
                1,
                1,
                seq,
                mavlink2.MAV_FRAME_GLOBAL,
                mavlink2.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                0,
                1,
                len(polygon),
                0,
                0,
                0,
                round(lat * 1e7),
                round(lon * 1e7),
                0,
                fence,
            )

    def _next_of(self, kinds: tuple[str, ...], sim_timeout: float = 5.0) -> Any:
        end = self.sim.now() + sim_timeout
        while self.sim.now() < end:
            for msg in self.pump(0.05):
                if msg.get_type() in kinds:
                    return msg
        raise AssertionError(f"none of {kinds} within {sim_timeout} simulated seconds")


def square_around(lat: float, lon: float, half_m: float) -> list[tuple[float, float]]:
    """A square fence ``half_m`` metres each side of a point, ``[(lat, lon), ...]``."""
    import math

    dlat = half_m / 111_318.845
    dlon = half_m / (111_318.845 * math.cos(math.radians(lat)))
    return [
        (lat - dlat, lon - dlon),
        (lat + dlat, lon - dlon),
        (lat + dlat, lon + dlon),
        (lat - dlat, lon + dlon),
    ]


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """``(lat, lon)`` moved by metres north and east (flat earth, as ArduPilot's Location)."""
    import math

    return (lat + north_m / 111_318.845, lon + east_m / (111_318.845 * math.cos(math.radians(lat))))
