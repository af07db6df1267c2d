"""A vehicle flown in GUIDED (ArduPilot) or Offboard (PX4) mode, over MAVLink with pymavlink.

:class:`MavlinkGuidedVehicles` implements :class:`~safeconduct.services.ports.GuidedVehicles`
and opens :class:`MavlinkGuidedVehicle` links (:class:`~safeconduct.services.ports.GuidedVehicle`).

What goes over the wire
-----------------------
We are system 255, component 190 (``MAV_COMP_ID_MISSIONPLANNER``): ArduPilot's GCS failsafe
listens only to heartbeats from ``SYSID_MYGCS``, 255 by default. MAVLink 2 from the first
byte (the fence upload needs its ``mission_type`` extension).

* :meth:`MavlinkGuidedVehicle.heartbeat`: one ``HEARTBEAT`` (``MAV_TYPE_GCS``). Nothing is
  sent by a thread of ours: the control loop's own heartbeats keep the vehicle's GCS failsafe
  quiet, so a hung loop trips it. The blocking calls (:meth:`~MavlinkGuidedVehicle.read_parameters`,
  :meth:`~MavlinkGuidedVehicle.upload_fence`) beat once a second while they wait, on the
  caller's thread.
* :meth:`~MavlinkGuidedVehicle.send_target`: ``SET_POSITION_TARGET_GLOBAL_INT`` in
  ``MAV_FRAME_GLOBAL_RELATIVE_ALT_INT`` with position, velocity and yaw; acceleration and yaw
  rate ignored (``type_mask`` 0x9C0). ArduCopter takes this as
  ``ModeGuided::set_destination_posvel`` (``ArduCopter/GCS_MAVLink_Copter.cpp``).
* Echo (:meth:`~MavlinkGuidedVehicle.last_echo`): ArduCopter reports a position + velocity
  target only as ``POSITION_TARGET_LOCAL_NED`` (metres from the EKF origin, which
  ``GPS_GLOBAL_ORIGIN`` gives; home until it arrives), and a position-only target also as
  ``POSITION_TARGET_GLOBAL_INT``; both are read. ArduCopter moves the echoed position on with
  the target velocity between targets, so compare with a tolerance of speed x age.
* Fence: the mission protocol with ``mission_type`` = ``MAV_MISSION_TYPE_FENCE`` and one
  ``MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION`` (5001) item per vertex, ``param1`` = vertex
  count; read back and compared afterwards.
* Modes: ``COMMAND_LONG`` ``MAV_CMD_DO_SET_MODE`` with the custom mode from pymavlink's
  tables (``mode_mapping_acm`` and friends for ArduPilot by vehicle type, ``mode_mapping_px4``);
  the mode heard is ``mavutil.mode_string_v10`` of the vehicle's heartbeat.

Telemetry log
-------------
With ``tlog_path``, every packet received and every packet sent (pymavlink's send callback) is
written in the ``.tlog`` format ground stations read, as pymavlink's ``setup_logfile`` writes it:
an 8-byte big-endian microsecond UNIX timestamp, then the raw MAVLink packet. The adapter writes
it itself because pymavlink's UDP reader skips ``setup_logfile`` and nothing logs sent packets.
It is written as it goes to ``<tlog_path>.part`` and renamed to ``tlog_path`` on
:meth:`~MavlinkGuidedVehicle.close`: a flight that ends with this program killed still leaves
its whole log, every packet up to the kill (the file is unbuffered), under the ``.part`` name.

PX4
---
Untested: no PX4 SITL runs here. What is implemented follows PX4's documented Offboard rules:
the mode is ``OFFBOARD`` (``mode_mapping_px4``); PX4 accepts ``SET_POSITION_TARGET_GLOBAL_INT``
in ``MAV_FRAME_GLOBAL_RELATIVE_ALT_INT`` in Offboard; it refuses to enter Offboard without a
setpoint stream (> 2 Hz) already flowing and leaves it (``COM_OF_LOSS_T``) when the stream
stops, so the caller must send targets before :meth:`~MavlinkGuidedVehicle.request_mode`. PX4
echoes targets as ``POSITION_TARGET_GLOBAL_INT`` (read here) only when its stream is enabled;
it reports the geofence through ``GF_*`` parameters and uploads it with the same fence
protocol. The parameter names the preflight reads differ (``GF_ACTION``, ``NAV_DLL_ACT``, ...);
``PARAM_VALUE`` of PX4 integer parameters arrives byte-wise and is decoded here as such.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from safeconduct.adapters.mavlink.connections import parse_connection
from safeconduct.adapters.mavlink.gimbal_log import quaternion_pitch_yaw
from safeconduct.adapters.mavlink.opening import GCS_COMPONENT_ID, GCS_SYSTEM_ID, open_gcs_link
from safeconduct.errors import InvalidValueError, SafeconductError
from safeconduct.services.ports import Clock, GuidedTarget, PathLike, VehicleState

#: Our identity: a ground station, system 255 (ArduPilot's default ``SYSID_MYGCS``).

#: ``type_mask`` of our targets: position, velocity and yaw given; acceleration, force and
#: yaw rate ignored.
TARGET_TYPE_MASK = (
    mavlink2.POSITION_TARGET_TYPEMASK_AX_IGNORE
    | mavlink2.POSITION_TARGET_TYPEMASK_AY_IGNORE
    | mavlink2.POSITION_TARGET_TYPEMASK_AZ_IGNORE
    | mavlink2.POSITION_TARGET_TYPEMASK_YAW_RATE_IGNORE
)

_POS_BITS = 0b111
_VEL_BITS = 0b111 << 3
_YAW_BIT = mavlink2.POSITION_TARGET_TYPEMASK_YAW_IGNORE
_METRES_PER_DEGREE = 0.011131884502145034 * 1e7  # ArduPilot's LOCATION_SCALING_FACTOR x 1e7
_AUTOPILOTS = {
    mavlink2.MAV_AUTOPILOT_ARDUPILOTMEGA: "ardupilot",
    mavlink2.MAV_AUTOPILOT_PX4: "px4",
}


class VehicleLinkError(SafeconductError):
    """The vehicle did not answer, stopped answering, or refused what we asked."""


def _mission_result(result: int) -> str:
    entry = mavlink2.enums["MAV_MISSION_RESULT"].get(result)
    return entry.name if entry is not None else f"MAV_MISSION_RESULT {result}"


class MavlinkGuidedVehicles:
    """Opens :class:`MavlinkGuidedVehicle` links (pymavlink)."""

    def open(
        self,
        connection: str,
        *,
        clock: Clock,
        tlog_path: PathLike | None = None,
        timeout_s: float = 10.0,
    ) -> MavlinkGuidedVehicle:
        """Connect to ``connection`` and wait for the vehicle's heartbeat.

        Parameters
        ----------
        connection
            A MAVLink URL (:data:`~safeconduct.adapters.mavlink.connections.ACCEPTED_CONNECTIONS`).
        clock
            The control loop's clock; ``timeout_s`` and every wait are in its seconds.
        tlog_path
            Where to write the telemetry log (see the module docstring), or None.
        timeout_s
            Seconds to wait for the vehicle's heartbeat (we beat once a second meanwhile).

        Raises
        ------
        BadConnectionError
            ``connection`` is not a MAVLink URL (field ``connection``).
        VehicleLinkError
            The link cannot be opened, or no ArduPilot or PX4 vehicle answered in time
            (field ``connection``).
        """
        device = parse_connection(connection)
        conn = _open(device, connection)
        try:
            return MavlinkGuidedVehicle(conn, connection, clock, tlog_path, timeout_s)
        except BaseException:
            conn.close()
            raise


def _open(device: str, connection: str) -> Any:
    """A pymavlink connection with its own MAVLink 2 codec (system 255)."""
    return open_gcs_link(
        device,
        connection,
        dialect=mavlink2,
        fail=lambda message: VehicleLinkError(message, field="connection"),
    )


class MavlinkGuidedVehicle:
    """One vehicle's link; made by :meth:`MavlinkGuidedVehicles.open`.

    Attributes
    ----------
    autopilot
        ``"ardupilot"`` or ``"px4"``, from the vehicle's heartbeat.
    connection
        The URL it was opened with.
    target_system, target_component
        The vehicle's MAVLink ids, from its heartbeat.
    """

    def __init__(
        self,
        conn: Any,
        connection: str,
        clock: Clock,
        tlog_path: PathLike | None,
        timeout_s: float,
    ) -> None:
        self.connection = connection
        self._conn = conn
        self._mav = conn.mav
        self._clock = clock
        self._t0 = clock.now()
        self._closed = False
        self._tlog: Any = None
        self._tlog_final: Path | None = None
        self._tlog_part: Path | None = None
        if tlog_path is not None:
            self._start_tlog(Path(os.fspath(tlog_path)))
        # what the vehicle said
        self._mode = ""
        self._armed = False
        self._mav_type = mavlink2.MAV_TYPE_QUADROTOR
        self._position: dict[str, float] | None = None
        self._battery: float | None = None
        self._home: tuple[float, float, float] | None = None
        self._origin: tuple[float, float, float] | None = None
        self._gimbal: tuple[float | None, float | None] = (None, None)
        self._echo: tuple[float, GuidedTarget] | None = None
        self._state_time = -math.inf
        self.statustexts: list[tuple[float, str]] = []
        self._last_beat = -math.inf
        self.autopilot = ""
        self.target_system = 1
        self.target_component = 1
        self._wait_heartbeat(timeout_s)

    # ------------------------------------------------------------------ the log

    def _start_tlog(self, path: Path) -> None:
        part = path.with_name(path.name + ".part")
        try:
            # Unbuffered: each packet is one write(2), so a program killed mid-flight loses
            # none of what it sent or heard (a buffered file lost its last seconds' targets).
            self._tlog = open(part, "wb", buffering=0)  # noqa: SIM115 - open for the flight
        except OSError as exc:
            raise InvalidValueError(
                f"cannot write the telemetry log {part}: {exc.strerror or exc}; "
                "choose a writable folder",
                field="tlog_path",
            ) from exc
        self._tlog_final, self._tlog_part = path, part
        self._mav.set_send_callback(self._log)

    def _log(self, msg: Any) -> None:
        """Write one packet, sent or received, as a tlog record (what pymavlink's
        ``setup_logfile`` writes: 8-byte big-endian microseconds, then the packet)."""
        if self._tlog is not None and not self._tlog.closed:
            usec = int(time.time() * 1.0e6) & ~3
            self._tlog.write(struct.pack(">Q", usec) + msg.get_msgbuf())

    # ------------------------------------------------------------------ receiving

    def _wait_heartbeat(self, timeout_s: float) -> None:
        deadline = self._clock.now() + timeout_s
        while True:
            self._beat_if_due()
            for msg in self._drain():
                if msg.get_type() != "HEARTBEAT" or msg.type == mavlink2.MAV_TYPE_GCS:
                    continue
                if msg.autopilot == mavlink2.MAV_AUTOPILOT_INVALID:
                    continue  # a gimbal, camera or companion computer, not the autopilot
                if msg.autopilot not in _AUTOPILOTS:
                    raise VehicleLinkError(
                        f"the vehicle on {self.connection} runs MAV_AUTOPILOT {msg.autopilot}, "
                        "neither ArduPilot nor PX4; leading flies only those",
                        field="connection",
                    )
                self.autopilot = _AUTOPILOTS[msg.autopilot]
                self.target_system = msg.get_srcSystem()
                self.target_component = msg.get_srcComponent()
                self._on_heartbeat(msg)
                return
            if self._clock.now() >= deadline:
                raise VehicleLinkError(
                    f"no vehicle answered on {self.connection} within {timeout_s:g} s; check "
                    "the address, that the vehicle is on, and that no other program holds it",
                    field="connection",
                )
            self._conn.select(0.01)

    def _drain(self) -> list[Any]:
        """Every message waiting, each also applied to what we know of the vehicle."""
        got: list[Any] = []
        while True:
            try:
                msg = self._conn.recv_match(blocking=False)
            except OSError:
                break
            if msg is None:
                break
            if msg.get_type() == "BAD_DATA":
                continue
            self._log(msg)
            if self.autopilot and msg.get_srcSystem() != self.target_system:
                continue
            self._apply(msg)
            got.append(msg)
        return got

    def _apply(self, msg: Any) -> None:
        kind = msg.get_type()
        now = self._clock.now()
        if kind == "HEARTBEAT":
            if (
                self.autopilot
                and msg.get_srcComponent() == self.target_component
                and msg.type != mavlink2.MAV_TYPE_GCS
            ):
                self._on_heartbeat(msg)
                self._state_time = now
        elif kind == "GLOBAL_POSITION_INT":
            self._position = {
                "lat": msg.lat / 1e7,
                "lon": msg.lon / 1e7,
                "alt_amsl": msg.alt / 1000.0,
                "alt_rel": msg.relative_alt / 1000.0,
                "vn": msg.vx / 100.0,
                "ve": msg.vy / 100.0,
                "vd": msg.vz / 100.0,
                "hdg": (
                    msg.hdg / 100.0 if msg.hdg != 65535 else (self._position or {}).get("hdg", 0.0)
                ),
            }
            self._state_time = now
        elif kind == "SYS_STATUS":
            self._battery = float(msg.battery_remaining) if msg.battery_remaining >= 0 else None
            self._state_time = now
        elif kind == "HOME_POSITION":
            self._home = (msg.latitude / 1e7, msg.longitude / 1e7, msg.altitude / 1000.0)
        elif kind == "GPS_GLOBAL_ORIGIN":
            self._origin = (msg.latitude / 1e7, msg.longitude / 1e7, msg.altitude / 1000.0)
        elif kind == "MOUNT_STATUS":
            self._gimbal = (msg.pointing_a / 100.0, msg.pointing_c / 100.0)
        elif kind == "GIMBAL_DEVICE_ATTITUDE_STATUS":
            self._gimbal = self._gimbal_from_quaternion(msg)
        elif kind == "POSITION_TARGET_GLOBAL_INT":
            self._echo_global(msg, now)
        elif kind == "POSITION_TARGET_LOCAL_NED":
            self._echo_local(msg, now)
        elif kind == "STATUSTEXT":
            self.statustexts.append((now, str(msg.text)))

    def _on_heartbeat(self, msg: Any) -> None:
        self._mav_type = int(msg.type)
        self._armed = bool(msg.base_mode & mavlink2.MAV_MODE_FLAG_SAFETY_ARMED)
        self._mode = mavutil.mode_string_v10(msg)

    def _gimbal_from_quaternion(self, msg: Any) -> tuple[float | None, float | None]:
        angles = quaternion_pitch_yaw(msg.q)
        if angles is None:
            return self._gimbal
        pitch, yaw = angles
        earth = msg.flags & getattr(mavlink2, "GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME", 0)
        if earth and self._position is not None:
            yaw -= self._position["hdg"]  # the port wants yaw from the vehicle's nose
        return pitch, (yaw + 180.0) % 360.0 - 180.0

    def _home_alt(self) -> float | None:
        if self._home is not None:
            return self._home[2]
        if self._position is not None:
            return self._position["alt_amsl"] - self._position["alt_rel"]
        return None

    def _echo_global(self, msg: Any, now: float) -> None:
        if msg.type_mask & _POS_BITS:
            return
        if msg.coordinate_frame in (
            mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT,
            mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
        ):
            alt_rel = float(msg.alt)
        elif msg.coordinate_frame in (mavlink2.MAV_FRAME_GLOBAL, mavlink2.MAV_FRAME_GLOBAL_INT):
            home_alt = self._home_alt()
            if home_alt is None:
                return
            alt_rel = float(msg.alt) - home_alt
        else:
            return  # terrain frames: no terrain database here
        vel = (0.0, 0.0, 0.0) if msg.type_mask & _VEL_BITS else (msg.vx, msg.vy, msg.vz)
        yaw = math.nan if msg.type_mask & _YAW_BIT else math.degrees(msg.yaw) % 360.0
        target = GuidedTarget(msg.lat_int / 1e7, msg.lon_int / 1e7, alt_rel, vel, yaw)
        self._echo = (now, target)

    def _echo_local(self, msg: Any, now: float) -> None:
        if msg.type_mask & _POS_BITS or msg.coordinate_frame != mavlink2.MAV_FRAME_LOCAL_NED:
            return  # a velocity-only target (ArduCopter's stop) is no echo of ours
        origin = self._origin or self._home
        home_alt = self._home_alt()
        if origin is None or home_alt is None:
            return
        # Location::offset (libraries/AP_Common/Location.cpp)
        lat = origin[0] + msg.x / _METRES_PER_DEGREE
        scale = max(math.cos(math.radians((origin[0] + lat) / 2.0)), 0.01)
        lon = origin[1] + msg.y / (_METRES_PER_DEGREE * scale)
        alt_rel = origin[2] - msg.z - home_alt
        vel = (0.0, 0.0, 0.0) if msg.type_mask & _VEL_BITS else (msg.vx, msg.vy, msg.vz)
        yaw = math.nan if msg.type_mask & _YAW_BIT else math.degrees(msg.yaw) % 360.0
        self._echo = (now, GuidedTarget(lat, lon, alt_rel, vel, yaw))

    # ------------------------------------------------------------------ the port

    def heartbeat(self) -> None:
        """Send one GCS ``HEARTBEAT``."""
        self._mav.heartbeat_send(
            mavlink2.MAV_TYPE_GCS, mavlink2.MAV_AUTOPILOT_INVALID, 0, 0, mavlink2.MAV_STATE_ACTIVE
        )
        self._last_beat = self._clock.now()

    def _beat_if_due(self) -> None:
        if self._clock.now() - self._last_beat >= 1.0:
            self.heartbeat()

    def poll(self) -> VehicleState | None:
        """Read every message waiting (never blocks); the vehicle's state once it has sent
        its heartbeat and a position (``time_s``: clock time of the newest of them)."""
        self._drain()
        return self._state()

    def _state(self) -> VehicleState | None:
        pos = self._position
        if pos is None or not self._mode:
            return None
        return VehicleState(
            time_s=self._state_time,
            lat=pos["lat"],
            lon=pos["lon"],
            alt_rel_m=pos["alt_rel"],
            alt_amsl_m=pos["alt_amsl"],
            velocity_ned_ms=(pos["vn"], pos["ve"], pos["vd"]),
            heading_deg=pos["hdg"],
            mode=self._mode,
            armed=self._armed,
            battery_pct=self._battery,
            home=self._home,
            gimbal_pitch_deg=self._gimbal[0],
            gimbal_yaw_deg=self._gimbal[1],
        )

    def read_parameters(self, names: Sequence[str], *, timeout_s: float = 5.0) -> dict[str, float]:
        """Read ``names`` with ``PARAM_REQUEST_READ``; a name the vehicle does not answer
        within ``timeout_s`` clock seconds (asked again each second) is left out."""
        wanted = {n.upper() for n in names}
        for n in wanted:
            if len(n) > 16:
                raise InvalidValueError(f"{n} is longer than 16 characters", field="names")
        got: dict[str, float] = {}
        deadline = self._clock.now() + timeout_s
        next_ask = -math.inf
        while wanted - got.keys():
            now = self._clock.now()
            if now >= deadline:
                break
            if now >= next_ask:
                for n in sorted(wanted - got.keys()):
                    self._mav.param_request_read_send(
                        self.target_system, self.target_component, n.encode(), -1
                    )
                next_ask = now + 1.0
            self._beat_if_due()
            for msg in self._drain():
                if msg.get_type() == "PARAM_VALUE":
                    name = _text(msg.param_id).upper()
                    if name in wanted:
                        got[name] = self._param_value(msg)
            self._conn.select(0.01)
        return got

    def _param_value(self, msg: Any) -> float:
        value = float(msg.param_value)
        if self.autopilot == "px4" and msg.param_type in (
            mavlink2.MAV_PARAM_TYPE_INT32,
            mavlink2.MAV_PARAM_TYPE_UINT32,
            mavlink2.MAV_PARAM_TYPE_INT16,
            mavlink2.MAV_PARAM_TYPE_INT8,
            mavlink2.MAV_PARAM_TYPE_UINT8,
            mavlink2.MAV_PARAM_TYPE_UINT16,
        ):
            # PX4 sends the integer bytes in the float (PARAM_ENCODE_BYTEWISE capability)
            value = float(struct.unpack("<i", struct.pack("<f", msg.param_value))[0])
        return value

    def upload_fence(self, polygon_latlon: Sequence[tuple[float, float]]) -> None:
        """Upload one inclusion polygon ``[(lat, lon), ...]`` degrees as the vehicle's whole
        fence, then read it back and compare.

        Raises
        ------
        InvalidValueError
            Fewer than 3 vertices, or a vertex not a finite latitude/longitude (field ``fence``).
        VehicleLinkError
            The vehicle stopped answering, refused the fence, or holds another one afterwards.
        """
        vertices = [(float(lat), float(lon)) for lat, lon in polygon_latlon]
        if len(vertices) < 3:
            raise InvalidValueError(
                f"a fence polygon needs at least 3 vertices, not {len(vertices)}", field="fence"
            )
        for lat, lon in vertices:
            if not (
                math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180
            ):
                raise InvalidValueError(
                    f"fence vertex ({lat!r}, {lon!r}) is not a latitude, longitude in degrees",
                    field="fence",
                )
        fence = mavlink2.MAV_MISSION_TYPE_FENCE
        n = len(vertices)
        ints = [(round(lat * 1e7), round(lon * 1e7)) for lat, lon in vertices]

        def send_count() -> None:
            self._mav.mission_count_send(self.target_system, self.target_component, n, fence)

        def send_item(seq: int) -> None:
            self._mav.mission_item_int_send(
                self.target_system, self.target_component, seq, mavlink2.MAV_FRAME_GLOBAL,
                mavlink2.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, 0, 1, float(n), 0, 0, 0,
                ints[seq][0], ints[seq][1], 0.0, fence,
            )  # fmt: skip

        last: Any = send_count
        send_count()
        retries = 0
        deadline = self._clock.now() + 2.0
        while True:
            self._beat_if_due()
            for msg in self._drain():
                kind = msg.get_type()
                if getattr(msg, "mission_type", fence) != fence:
                    continue
                if kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST") and 0 <= msg.seq < n:
                    seq = int(msg.seq)
                    send_item(seq)
                    last = lambda seq=seq: send_item(seq)  # noqa: E731
                    retries, deadline = 0, self._clock.now() + 2.0
                elif kind == "MISSION_ACK":
                    if msg.type != mavlink2.MAV_MISSION_ACCEPTED:
                        raise VehicleLinkError(
                            f"the vehicle refused the fence: {_mission_result(msg.type)}; "
                            "check its fence parameters (FENCE_ENABLE, FENCE_TYPE)"
                        )
                    self._verify_fence(ints)
                    return
            if self._clock.now() >= deadline:
                retries += 1
                if retries > 3:
                    self._mav.mission_ack_send(
                        self.target_system, self.target_component,
                        mavlink2.MAV_MISSION_OPERATION_CANCELLED, fence,
                    )  # fmt: skip
                    raise VehicleLinkError(
                        "the vehicle stopped answering during the fence upload; check the link "
                        "and start again"
                    )
                last()
                deadline = self._clock.now() + 2.0
            self._conn.select(0.01)

    def _verify_fence(self, ints: list[tuple[int, int]]) -> None:
        """Download the fence and compare it with what we sent (to the 1e-7 degree)."""
        fence = mavlink2.MAV_MISSION_TYPE_FENCE
        got: dict[int, tuple[int, int, int]] = {}
        count: int | None = None
        deadline = self._clock.now() + 2.0
        retries = 0
        self._mav.mission_request_list_send(self.target_system, self.target_component, fence)
        while count is None or len(got) < count:
            self._beat_if_due()
            for msg in self._drain():
                if getattr(msg, "mission_type", fence) != fence:
                    continue
                kind = msg.get_type()
                if kind == "MISSION_COUNT" and count is None:
                    count = int(msg.count)
                    if count != len(ints):
                        raise VehicleLinkError(
                            f"the vehicle holds {count} fence points after the upload, not "
                            f"{len(ints)}; upload it again"
                        )
                    if count:
                        self._mav.mission_request_int_send(
                            self.target_system, self.target_component, 0, fence
                        )
                    deadline = self._clock.now() + 2.0
                elif kind == "MISSION_ITEM_INT" and count is not None and msg.seq not in got:
                    got[int(msg.seq)] = (int(msg.command), int(msg.x), int(msg.y))
                    if len(got) < count:
                        self._mav.mission_request_int_send(
                            self.target_system, self.target_component, len(got), fence
                        )
                    deadline = self._clock.now() + 2.0
            if self._clock.now() >= deadline:
                retries += 1
                if retries > 3:
                    raise VehicleLinkError(
                        "the vehicle took the fence but did not send it back; check the link"
                    )
                if count is None:
                    self._mav.mission_request_list_send(
                        self.target_system, self.target_component, fence
                    )
                else:
                    self._mav.mission_request_int_send(
                        self.target_system, self.target_component, len(got), fence
                    )
                deadline = self._clock.now() + 2.0
            self._conn.select(0.01)
        self._mav.mission_ack_send(
            self.target_system, self.target_component, mavlink2.MAV_MISSION_ACCEPTED, fence
        )
        for seq, (lat, lon) in enumerate(ints):
            cmd, x, y = got[seq]
            if cmd != mavlink2.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION or (x, y) != (lat, lon):
                raise VehicleLinkError(
                    f"the vehicle holds another fence point {seq} than was sent; upload it again"
                )

    def request_mode(self, mode: str) -> None:
        """Ask once for ``mode`` (``MAV_CMD_DO_SET_MODE``); the heartbeat tells the outcome.

        Raises
        ------
        InvalidValueError
            ``mode`` is not a mode of this autopilot (field ``mode``).
        """
        name = mode.upper()
        if self.autopilot == "px4":
            entry = mavutil.mode_mapping_px4.get(name)
            if entry is None:
                raise InvalidValueError(
                    f"{mode!r} is not a PX4 mode; use one of {', '.join(mavutil.mode_mapping_px4)}",
                    field="mode",
                )
            base, main, sub = entry
            params = (float(base), float(main), float(sub))
        else:
            mapping = mavutil.mode_mapping_bynumber(self._mav_type) or mavutil.mode_mapping_acm
            numbers = {v: k for k, v in mapping.items()}
            if name not in numbers:
                raise InvalidValueError(
                    f"{mode!r} is not a mode of this vehicle; use one of {', '.join(numbers)}",
                    field="mode",
                )
            params = (
                float(mavlink2.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED),
                float(numbers[name]),
                0.0,
            )
        self._mav.command_long_send(
            self.target_system, self.target_component, mavlink2.MAV_CMD_DO_SET_MODE, 0,
            params[0], params[1], params[2], 0, 0, 0, 0,
        )  # fmt: skip

    def send_target(self, target: GuidedTarget) -> None:
        """Send one ``SET_POSITION_TARGET_GLOBAL_INT`` (position, velocity, yaw).

        Raises
        ------
        InvalidValueError
            A number is not finite, or the position is off the globe (field ``target``):
            nothing is sent.
        """
        numbers = (
            target.lat,
            target.lon,
            target.alt_rel_m,
            *target.velocity_ned_ms,
            target.yaw_deg,
        )
        if not all(math.isfinite(v) for v in numbers):
            raise InvalidValueError(f"not every number is finite in {target}", field="target")
        if abs(target.lat) > 90 or abs(target.lon) > 180:
            raise InvalidValueError(f"{target.lat}, {target.lon} is off the globe", field="target")
        yaw = math.radians((target.yaw_deg + 180.0) % 360.0 - 180.0)
        boot_ms = int((self._clock.now() - self._t0) * 1000) & 0xFFFFFFFF
        vn, ve, vd = target.velocity_ned_ms
        self._mav.set_position_target_global_int_send(
            boot_ms, self.target_system, self.target_component,
            mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, TARGET_TYPE_MASK,
            round(target.lat * 1e7), round(target.lon * 1e7), float(target.alt_rel_m),
            float(vn), float(ve), float(vd), 0.0, 0.0, 0.0, yaw, 0.0,
        )  # fmt: skip

    def last_echo(self) -> tuple[float, GuidedTarget] | None:
        """The newest target the vehicle echoed and the clock time it arrived (``yaw_deg`` is
        NaN when the echo carries none, as ArduCopter's do not)."""
        return self._echo

    def close(self) -> None:
        """Close the link and finish the telemetry log (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._conn.close()
        if self._tlog is not None:
            with contextlib.suppress(OSError):
                self._tlog.close()
            if self._tlog_part is not None and self._tlog_final is not None:
                os.replace(self._tlog_part, self._tlog_final)

    def __enter__(self) -> MavlinkGuidedVehicle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _text(raw: Any) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    return str(raw).split("\x00", 1)[0].strip()


__all__ = [
    "GCS_COMPONENT_ID",
    "GCS_SYSTEM_ID",
    "TARGET_TYPE_MASK",
    "MavlinkGuidedVehicle",
    "MavlinkGuidedVehicles",
    "VehicleLinkError",
]
