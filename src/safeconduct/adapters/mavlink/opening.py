"""Opening a ground-station link with pymavlink, for the upload and the GUIDED adapter alike.

Both speak MAVLink 2 from the first packet as system 255, component 190
(``MAV_COMP_ID_MISSIONPLANNER``), and turn pymavlink's many ways of failing to open (a
missing pyserial, an address in use, a serial device that is not there) into one line.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from pymavlink import mavutil

#: Our MAVLink system id: 255, the one ground stations use.
GCS_SYSTEM_ID = 255
#: Our MAVLink component id: MAV_COMP_ID_MISSIONPLANNER.
GCS_COMPONENT_ID = 190


def open_gcs_link(
    device: str, connection: str, *, dialect: ModuleType, fail: Callable[[str], Exception]
) -> Any:
    """Open ``device`` (a pymavlink device string) with its own MAVLink 2 codec.

    Parameters
    ----------
    device
        What :func:`~safeconduct.adapters.mavlink.connections.parse_connection` returned.
    connection
        The URL as the user gave it, for messages.
    dialect
        The pymavlink dialect module whose ``MAVLink`` class encodes and decodes
        (``common``, or ``ardupilotmega`` for the gimbal and mount messages).
    fail
        Makes the adapter's own error from a one-line message.

    Raises
    ------
    Exception
        ``fail(message)`` when the link cannot be opened, or (TCP) when the vehicle hangs up.
    """
    try:
        conn = mavutil.mavlink_connection(
            device,
            source_system=GCS_SYSTEM_ID,
            source_component=GCS_COMPONENT_ID,
            # tcp: two quick tries, not pymavlink's default of seven a second apart.
            retries=0,
            reconnect_delay=0.2,
        )
    except ImportError as exc:
        raise fail(
            f"cannot open {connection}: serial links need pyserial ({exc.name} is missing); "
            "install it with pip install pyserial"
        ) from exc
    except Exception as exc:  # OSError, ValueError, pyserial's SerialException
        reason = getattr(exc, "strerror", None) or (str(exc).splitlines() or [repr(exc)])[0]
        raise fail(
            f"cannot open {connection}: {reason}; check the address or device and that no "
            "other program holds it"
        ) from exc
    if isinstance(conn, mavutil.mavtcp):
        # pymavlink would print "EOF on TCP socket" and read nothing, over and over, when the
        # vehicle hangs up (it reconnects only with autoreconnect): stop at once instead.
        def hung_up() -> None:
            raise fail(f"the vehicle closed the connection {connection}")

        conn.handle_eof = conn.handle_disconnect = hung_up
    # pymavlink starts in MAVLink 1 and switches the whole process over when it first hears
    # MAVLink 2; instead give this connection its own MAVLink 2 codec (it parses 1 and 2).
    conn.mav = dialect.MAVLink(conn, srcSystem=GCS_SYSTEM_ID, srcComponent=GCS_COMPONENT_ID)
    conn.mav.robust_parsing = True
    conn.WIRE_PROTOCOL_VERSION = "2.0"
    conn.first_byte = False
    return conn
