"""MAVLink peers for the upload tests, all on loopback and all stoppable.

* :class:`MavsdkVehicle`: MAVSDK's MissionRawServer in its own process (``mavsdk_vehicle.py``),
  a real, independent implementation of the vehicle side of the mission protocol.
* :class:`FakeVehicle`: a small vehicle written with pymavlink, in a thread, for faults a real
  implementation will not produce on demand: ignored messages, legacy ``MISSION_REQUEST``,
  error ``MISSION_ACK``, ArduPilot's home in item 0, a corrupted read-back.
* :class:`ArduPilotVehicle`: the same vehicle storing each item as ArduPilot's ``AP_Mission``
  does, byte for byte (a 15-byte record: command, 16-bit ``p1``, 12 bytes of content), and
  refusing what ``AP_Mission`` refuses. It is written from ``AP_Mission.cpp`` on its own,
  apart from :mod:`safeconduct.mission.firmware_storage`, so that the two check each other;
  :class:`Px4Vehicle` likewise stores as PX4's ``mavlink_mission.cpp`` does.
* :class:`UdpDropProxy`: a UDP relay that loses chosen messages, to put losses between our
  uploader and the real MAVSDK vehicle.
"""

from __future__ import annotations

import contextlib
import json
import math
import queue
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from pymavlink import mavutil
from pymavlink.dialects.v20 import common as mavlink2

LOOPBACK = "127.0.0.1"
_SCRIPT = Path(__file__).with_name("mavsdk_vehicle.py")


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port on loopback that nothing uses now (UDP by default)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


class MavsdkVehicle:
    """MAVSDK MissionRawServer as a vehicle in a child process.

    Parameters
    ----------
    scheme
        ``"udp"`` (the vehicle listens with ``udpin``; we connect with ``udpout``) or
        ``"tcp"`` (``tcpin`` / ``tcp``).
    log_path
        Where the child's standard error (MAVSDK's log) goes.
    """

    def __init__(self, scheme: str, log_path: Path, *, start_timeout_s: float = 10.0) -> None:
        self.log_path = log_path
        self.missions: queue.Queue[dict[str, Any]] = queue.Queue()
        for _attempt in range(3):  # a port picked free may be taken before the child binds
            kind = socket.SOCK_DGRAM if scheme == "udp" else socket.SOCK_STREAM
            port = free_port(kind)
            vehicle_url = f"{scheme}in://{LOOPBACK}:{port}"
            self.url = f"udpout:{LOOPBACK}:{port}" if scheme == "udp" else f"tcp:{LOOPBACK}:{port}"
            self._lines: queue.Queue[str | None] = queue.Queue()
            self._log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115
            self.proc = subprocess.Popen(
                [sys.executable, str(_SCRIPT), vehicle_url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                text=True,
            )
            threading.Thread(target=self._read, daemon=True).start()
            first = self._next_line(start_timeout_s)
            if first == "READY":
                return
            self.stop()
        raise RuntimeError(f"MAVSDK vehicle did not start: {first!r}; see {log_path}")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("MISSION "):
                self.missions.put(json.loads(line[len("MISSION "):]))
            else:
                self._lines.put(line)
        self._lines.put(None)

    def _next_line(self, timeout_s: float) -> str | None:
        try:
            return self._lines.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def next_mission(self, timeout_s: float = 5.0) -> dict[str, Any]:
        """The next mission the vehicle reported as received."""
        return self.missions.get(timeout=timeout_s)

    def stop(self) -> None:
        """Close the child's standard input (it exits), kill it if it lingers."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self._log.close()


def _mavlink2(conn: Any, system: int, component: int) -> Any:
    conn.mav = mavlink2.MAVLink(conn, srcSystem=system, srcComponent=component)
    conn.mav.robust_parsing = True
    conn.WIRE_PROTOCOL_VERSION = "2.0"
    conn.first_byte = False
    return conn


class FakeVehicle:
    """A pymavlink vehicle that answers the mission protocol, with injectable faults.

    It listens on ``udpin:127.0.0.1:<ephemeral>``; connect to :attr:`url`. It never asks
    again on its own, so a lost message is recovered only by the uploader's resend.

    Parameters
    ----------
    system_id
        Our MAVLink system id.
    autopilot
        ``MAV_AUTOPILOT`` in our heartbeat (3 ArduPilot, 12 PX4).
    ignore_first
        Message types to ignore, each listed occurrence once (``["MISSION_COUNT"]`` drops
        the first MISSION_COUNT).
    legacy_requests
        Ask for items with the deprecated ``MISSION_REQUEST``.
    refuse_count
        Answer ``MISSION_COUNT`` with this error ``MAV_MISSION_RESULT``.
    refuse_item
        ``(seq, result)``: answer that item with this error.
    answer
        False: send heartbeats but ignore every mission message.
    home
        ``(lat, lon, alt)``: report this instead of item 0 on download, like ArduPilot.
    tamper
        Change an item (the MISSION_ITEM_INT fields as a dict) before sending it back.
    """

    def __init__(
        self,
        *,
        system_id: int = 1,
        autopilot: int = mavlink2.MAV_AUTOPILOT_PX4,
        ignore_first: Iterable[str] = (),
        legacy_requests: bool = False,
        refuse_count: int | None = None,
        refuse_item: tuple[int, int] | None = None,
        answer: bool = True,
        home: tuple[float, float, float] | None = None,
        tamper: Callable[[int, dict[str, Any]], None] | None = None,
    ) -> None:
        self.system_id = system_id
        self.autopilot = autopilot
        self.ignore = Counter(ignore_first)
        self.legacy_requests = legacy_requests
        self.refuse_count = refuse_count
        self.refuse_item = refuse_item
        self.answer = answer
        self.home = home
        self.tamper = tamper
        self.received: list[str] = []  # mission message types, in order of arrival
        self.acks: list[int] = []  # MISSION_ACK types the ground station sent us
        self.mission: list[dict[str, Any]] = []
        self._incoming: list[dict[str, Any]] | None = None
        conn = mavutil.mavlink_connection(
            f"udpin:{LOOPBACK}:0", source_system=system_id, source_component=1
        )
        self.conn = _mavlink2(conn, system_id, 1)
        self.url = f"udpout:{LOOPBACK}:{conn.port.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FakeVehicle:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.conn.close()

    # -- the loop

    def _run(self) -> None:
        next_heartbeat = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_heartbeat:  # 10 Hz: keeps the tests quick
                next_heartbeat = now + 0.1
                self.conn.mav.heartbeat_send(
                    mavlink2.MAV_TYPE_QUADROTOR, self.autopilot, 0, 0, 0
                )
            msg = self.conn.recv_msg()
            if msg is None:
                self.conn.select(0.02)
                continue
            kind = msg.get_type()
            if not kind.startswith("MISSION_"):
                continue
            self.received.append(kind)
            if self.ignore[kind] > 0:
                self.ignore[kind] -= 1
                continue
            if self.answer:
                self._handle(kind, msg)

    def _to(self, msg: Any) -> tuple[int, int]:
        return msg.get_srcSystem(), msg.get_srcComponent()

    def _ack(self, msg: Any, result: int) -> None:
        self.conn.mav.mission_ack_send(*self._to(msg), result, msg.mission_type)

    def _request(self, msg: Any, seq: int) -> None:
        send = (
            self.conn.mav.mission_request_send
            if self.legacy_requests
            else self.conn.mav.mission_request_int_send
        )
        send(*self._to(msg), seq, msg.mission_type)

    def _handle(self, kind: str, msg: Any) -> None:
        if kind == "MISSION_COUNT":
            if self.refuse_count is not None:
                self._ack(msg, self.refuse_count)
                return
            self._incoming = []
            if msg.count == 0:
                self.mission, self._incoming = [], None
                self._ack(msg, mavlink2.MAV_MISSION_ACCEPTED)
            else:
                self._expected = msg.count
                self._request(msg, 0)
        elif kind in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            self._item(msg)
        elif kind == "MISSION_REQUEST_LIST":
            self.conn.mav.mission_count_send(*self._to(msg), len(self.mission), msg.mission_type)
        elif kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            if msg.seq < len(self.mission):
                fields = self._load(msg.seq, self.mission[msg.seq])
                if msg.seq == 0 and self.home is not None:
                    lat, lon, alt = self.home
                    fields.update(x=round(lat * 1e7), y=round(lon * 1e7), z=alt, frame=0)
                if self.tamper is not None:
                    self.tamper(msg.seq, fields)
                self.conn.mav.mission_item_int_send(*self._to(msg), **fields)
        elif kind == "MISSION_ACK":
            self.acks.append(msg.type)

    # -- storage: an echo here; ArduPilotVehicle stores as AP_Mission does

    def _store(self, fields: dict[str, Any]) -> dict[str, Any] | int:
        """What the vehicle keeps of an item's fields, or a MAV_MISSION_RESULT refusal."""
        return fields

    def _load(self, seq: int, kept: dict[str, Any]) -> dict[str, Any]:
        """The MISSION_ITEM_INT fields the vehicle sends back for what it kept."""
        return dict(kept)

    def _item(self, msg: Any) -> None:
        incoming = self._incoming
        if incoming is None:
            # A resend of the last item after our ACK was lost: acknowledge again (PX4 does).
            if self.mission and msg.seq == len(self.mission) - 1:
                self._ack(msg, mavlink2.MAV_MISSION_ACCEPTED)
            return
        if msg.seq != len(incoming):
            self._request(msg, len(incoming))  # a duplicate: ask for the one we need
            return
        if self.refuse_item is not None and self.refuse_item[0] == msg.seq:
            self._incoming = None
            self._ack(msg, self.refuse_item[1])
            return
        kept = self._store(
            {
                "seq": msg.seq, "frame": msg.frame, "command": msg.command, "current": 0,
                "autocontinue": msg.autocontinue, "param1": msg.param1, "param2": msg.param2,
                "param3": msg.param3, "param4": msg.param4, "x": msg.x, "y": msg.y, "z": msg.z,
                "mission_type": msg.mission_type,
            }
        )
        if isinstance(kept, int):
            self._incoming = None
            self._ack(msg, kept)
            return
        incoming.append(kept)
        if len(incoming) == self._expected:
            self.mission, self._incoming = incoming, None
            self._ack(msg, mavlink2.MAV_MISSION_ACCEPTED)
        else:
            self._request(msg, len(incoming))


# ----------------------------------------------------------------------------- ArduPilot

F32 = np.float32


def _c_cast(value: float, fmt: str) -> int:
    """A float assigned to a C integer of struct format ``fmt``: truncated toward zero,
    then narrowed in two's complement (what gcc emits for x86 and ARM)."""
    v = float(value)
    whole = math.trunc(v) if math.isfinite(v) and abs(v) < 2**31 else -(2**31)
    size = struct.calcsize("<" + fmt)
    whole &= (1 << (8 * size)) - 1
    if fmt.islower() and whole >= 1 << (8 * size - 1):
        whole -= 1 << (8 * size)
    return whole


#: AP_Mission::stored_in_location.
_AP_LOCATION = {16, 17, 18, 19, 21, 22, 30, 31, 82, 92, 179, 189, 191, 195, 201, 84, 85, 94}
#: The content struct of each other command AP_Mission::mavlink_int_to_mission_cmd knows
#: (AP_Mission.h): struct format and which params fill it, in order.
_AP_CONTENT = {
    20: ("", ()),  # NAV_RETURN_TO_LAUNCH
    93: ("fbbb", (1, 2, 3, 4)),  # Navigation_Delay_Command
    112: ("f", (1,)),  # Conditional_Delay_Command
    115: ("ffbB", (1, 2, 3, 4)),  # Yaw_Command
    178: ("Bff", (1, 2, 3)),  # Change_Speed_Command
    183: ("BH", (1, 2)),  # Set_Servo_Command
    211: ("BB", (1, 2)),  # Gripper_Command
}
#: Commands whose param4 may be NaN (AP_Mission::sanity_check_params).
_AP_NAN_P4 = {16, 21, 22, 84}


class ArduPilotVehicle(FakeVehicle):
    """A :class:`FakeVehicle` that stores its mission as ArduPilot's ``AP_Mission`` does.

    ``mavlink_int_to_mission_cmd`` packs each item into a 15-byte record (command id,
    ``uint16 p1``, 12 bytes: a packed location, or the command's own struct), refusing
    what it refuses (an unknown command, NaN where it is not allowed, a frame it does not
    know); ``mission_cmd_to_mavlink_int`` unpacks it for the read-back. Item 0 comes back
    as the vehicle's home (``home``). Keyword arguments are :class:`FakeVehicle`'s.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("autopilot", mavlink2.MAV_AUTOPILOT_ARDUPILOTMEGA)
        kwargs.setdefault("home", (48.6029, 37.9851, 169.73))
        super().__init__(**kwargs)

    def _store(self, f: dict[str, Any]) -> dict[str, Any] | int:
        cmd = f["command"]
        params = [F32(f[f"param{i}"]) for i in range(1, 5)]
        for i, p in enumerate(params):
            if np.isinf(p) or (np.isnan(p) and not (i == 3 and cmd in _AP_NAN_P4)):
                return mavlink2.MAV_MISSION_INVALID_PARAM1 + i
        p1 = 0
        if cmd in _AP_LOCATION:
            if cmd not in (16, 17, 19, 21, 22, 195):
                return mavlink2.MAV_MISSION_UNSUPPORTED  # not written down for this peer
            flags = 0
            if cmd in (16, 21, 22):
                p1 = _c_cast(params[0], "H")
            elif cmd == 17:
                p1 = _c_cast(abs(params[2]), "H")
                flags |= (params[2] < 0) << 2
            elif cmd == 19:
                p1 = _c_cast(params[0], "H")
                flags |= (params[2] < 0) << 2 | (params[3] > 0) << 5
            if cmd == 21 and not np.isnan(params[3]):
                flags |= (params[3] < 0) << 2
            z = F32(f["z"])
            if np.isnan(z) or abs(z) >= 83000:
                return mavlink2.MAV_MISSION_INVALID_PARAM7
            frame = f["frame"]
            if frame in (3, 6):
                flags |= 1
            elif frame in (10, 11):
                flags |= 1 | 1 << 3
            elif frame not in (0, 2, 5):
                return mavlink2.MAV_MISSION_UNSUPPORTED_FRAME
            alt_cm = _c_cast(F32(z * F32(100.0)), "i")
            content = struct.pack("<B", flags) + struct.pack("<i", alt_cm)[:3]
            content += struct.pack("<ii", f["x"], f["y"])
        elif cmd in _AP_CONTENT:
            fmt, which = _AP_CONTENT[cmd]
            values = [
                float(params[i - 1]) if c == "f" else _c_cast(params[i - 1], c)
                for c, i in zip(fmt, which, strict=True)
            ]
            content = struct.pack("<" + fmt, *values)
        else:
            return mavlink2.MAV_MISSION_UNSUPPORTED
        record = struct.pack("<BH", cmd, p1) + content.ljust(12, b"\0")
        return {"record": record, "seq": f["seq"], "x": f["x"], "mission_type": 0}

    def _load(self, seq: int, kept: dict[str, Any]) -> dict[str, Any]:
        record: bytes = kept["record"]
        cmd, p1 = struct.unpack("<BH", record[:3])
        content = record[3:]
        out: dict[str, Any] = {
            "seq": seq, "frame": 0, "command": cmd, "current": 0, "autocontinue": 1,
            "param1": 0.0, "param2": 0.0, "param3": 0.0, "param4": 0.0,
            "x": 0, "y": 0, "z": 0.0, "mission_type": 0,
        }  # fmt: skip
        if cmd in _AP_LOCATION:
            flags = content[0]
            alt_cm = int.from_bytes(content[1:4], "little", signed=True)
            lat, lng = struct.unpack("<ii", content[4:12])
            out.update(x=lat, y=lng, z=float(F32(alt_cm) * F32(0.01)))
            out["frame"] = (10 if flags & 8 else 3) if flags & 1 else 0
            ccw, xtrack = bool(flags & 4), bool(flags & 32)
            if cmd in (16, 22):
                out["param1"] = float(p1)
            elif cmd == 17:
                out["param3"] = -float(p1) if ccw else float(p1)
            elif cmd == 19:
                out.update(param1=float(p1), param3=-1.0 if ccw else 1.0, param4=float(xtrack))
            elif cmd == 21:
                out.update(param1=float(p1), param4=-1.0 if ccw else 1.0)
        else:
            fmt, which = _AP_CONTENT[cmd]
            values = struct.unpack("<" + fmt, content[: struct.calcsize("<" + fmt)])
            for i, v in zip(which, values, strict=True):
                out[f"param{i}"] = float(v)
        return out


# ----------------------------------------------------------------------------- PX4

#: parse_mavlink_mission_item: commands taken with a position (frames 0, 3, 5, 6) ...
_PX4_POSITION = {16, 17, 19, 21, 22, 31, 195, 84, 85}
#: ... and without one (frame 2).
_PX4_NO_POSITION = {20, 93, 112, 114, 177, 178, 179, 189, 197, 206, 211}


def _px4_wrap_2pi(x: np.float32) -> np.float32:
    """PX4's ``wrap_2pi``: ``x - range * floor((x - low) / range)`` in float32."""
    two_pi = F32(2.0 * np.pi)
    if F32(0) <= x < two_pi or np.isnan(x):
        return x
    return F32(x - two_pi * F32(np.floor(x * (F32(1) / two_pi))))


class Px4Vehicle(FakeVehicle):
    """A :class:`FakeVehicle` that stores its mission as PX4's ``mavlink_mission.cpp`` does.

    ``parse_mavlink_mission_item`` fills a ``mission_item_s`` (latitude and longitude as
    doubles, ``float params[7]`` shared with the named fields, the yaw in radians, flags);
    ``format_mavlink_mission_item`` builds the read-back from it, with the ``*_INT``
    frames. It refuses a command it does not take in the frame given. Written from the PX4
    source on its own, apart from :mod:`safeconduct.mission.firmware_storage`.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("autopilot", mavlink2.MAV_AUTOPILOT_PX4)
        super().__init__(**kwargs)

    def _store(self, f: dict[str, Any]) -> dict[str, Any] | int:
        cmd, frame = f["command"], f["frame"]
        p = [F32(f[f"param{i}"]) for i in range(1, 5)]
        item: dict[str, Any] = {"cmd": cmd, "autocontinue": f["autocontinue"]}
        params = [F32(0)] * 7
        if frame in (0, 3, 5, 6):
            if cmd not in _PX4_POSITION:
                return mavlink2.MAV_MISSION_UNSUPPORTED
            item.update(lat=f["x"] * 1e-7, lon=f["y"] * 1e-7, relative=frame in (3, 6))
            params[6] = F32(f["z"])  # altitude
            yaw = _px4_wrap_2pi(F32(p[3] * F32(np.pi / 180.0)))
            if cmd == 16:
                params[0], params[1], params[3] = p[0], p[1], yaw
            elif cmd == 17:
                params[2], params[3] = p[2], yaw
            elif cmd == 19:
                params[0], params[2] = p[0], p[2]
                item.update(force_heading=bool(p[1] > 0), xtrack=bool(p[3] > 0))
            elif cmd in (21, 22, 84, 85):
                params[3] = yaw
                item["land_precision"] = int(p[1]) & 0xFF if cmd == 21 else 0
            elif cmd == 31:
                params[2] = p[1]
                item.update(force_heading=bool(p[0] > 0), xtrack=bool(p[3] > 0))
            item["frame"] = "global"
        elif frame == 2:
            if cmd not in _PX4_NO_POSITION:
                return mavlink2.MAV_MISSION_UNSUPPORTED
            params = [*p, F32(float(f["x"])), F32(float(f["y"])), F32(f["z"])]
            item["frame"] = "mission"
        else:
            return mavlink2.MAV_MISSION_UNSUPPORTED_FRAME
        item["params"] = params
        return item

    def _load(self, seq: int, kept: dict[str, Any]) -> dict[str, Any]:
        cmd, params = kept["cmd"], kept["params"]
        out: dict[str, Any] = {
            "seq": seq, "command": cmd, "current": 0, "autocontinue": kept["autocontinue"],
            "param1": 0.0, "param2": 0.0, "param3": 0.0, "param4": 0.0, "mission_type": 0,
        }  # fmt: skip
        if kept["frame"] == "mission":
            out.update(
                frame=2, param1=float(params[0]), param2=float(params[1]),
                param3=float(params[2]), param4=float(params[3]),
                x=round(float(params[4])), y=round(float(params[5])), z=float(params[6]),
            )  # fmt: skip
            return out
        out.update(
            frame=6 if kept["relative"] else 5, x=round(kept["lat"] * 1e7),
            y=round(kept["lon"] * 1e7), z=float(params[6]),
        )  # fmt: skip
        degrees = float(F32(params[3] * F32(180.0 / np.pi)))
        if cmd == 16:
            out.update(param1=float(params[0]), param2=float(params[1]), param4=degrees)
        elif cmd == 17:
            out.update(param3=float(params[2]), param4=degrees)
        elif cmd == 19:
            out.update(
                param1=float(params[0]), param2=float(kept["force_heading"]),
                param3=float(params[2]), param4=float(kept["xtrack"]),
            )  # fmt: skip
        elif cmd == 21:
            out.update(param2=float(kept["land_precision"]), param4=degrees)
        elif cmd in (22, 84, 85):
            out["param4"] = degrees
        elif cmd == 31:
            out.update(
                param1=float(kept["force_heading"]), param2=float(params[2]),
                param4=float(kept["xtrack"]),
            )  # fmt: skip
        return out


def _msgid(datagram: bytes) -> int | None:
    """The message id of a datagram holding one MAVLink 1 or 2 packet."""
    if len(datagram) >= 10 and datagram[0] == 0xFD:
        return int.from_bytes(datagram[7:10], "little")
    if len(datagram) >= 6 and datagram[0] == 0xFE:
        return datagram[5]
    return None


class UdpDropProxy:
    """Relay UDP between a ground station and a vehicle, losing chosen messages once.

    The ground station sends to :attr:`url`; the proxy forwards to ``vehicle_port`` and
    relays the answers back.

    Parameters
    ----------
    vehicle_port
        The vehicle's UDP port on loopback.
    drop_to_vehicle, drop_to_gcs
        Message names; the first datagram of each listed name (once per listing) is lost.
    """

    def __init__(
        self,
        vehicle_port: int,
        *,
        drop_to_vehicle: Iterable[str] = (),
        drop_to_gcs: Iterable[str] = (),
    ) -> None:
        ids = {name: getattr(mavlink2, f"MAVLINK_MSG_ID_{name}") for name in
               [*drop_to_vehicle, *drop_to_gcs]}
        self._drop_up = Counter(ids[n] for n in drop_to_vehicle)
        self._drop_down = Counter(ids[n] for n in drop_to_gcs)
        self.dropped: list[int] = []
        self._vehicle = (LOOPBACK, vehicle_port)
        self._front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._front.bind((LOOPBACK, 0))
        self._back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._back.bind((LOOPBACK, 0))
        self.url = f"udpout:{LOOPBACK}:{self._front.getsockname()[1]}"
        self._gcs: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> UdpDropProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._front.close()
        self._back.close()

    def _lose(self, drops: Counter[int], datagram: bytes) -> bool:
        msgid = _msgid(datagram)
        if msgid is not None and drops[msgid] > 0:
            drops[msgid] -= 1
            self.dropped.append(msgid)
            return True
        return False

    def _run(self) -> None:
        import select

        while not self._stop.is_set():
            ready, _, _ = select.select([self._front, self._back], [], [], 0.05)
            for sock in ready:
                with contextlib.suppress(OSError):  # e.g. ICMP refusals from a closed end
                    data, addr = sock.recvfrom(65536)
                    if sock is self._front:
                        self._gcs = addr
                        if not self._lose(self._drop_up, data):
                            self._back.sendto(data, self._vehicle)
                    elif self._gcs is not None and not self._lose(self._drop_down, data):
                        self._front.sendto(data, self._gcs)
