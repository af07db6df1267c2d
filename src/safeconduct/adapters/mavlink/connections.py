"""MAVLink connection URLs: the forms accepted, checked before pymavlink sees them.

Kept apart from :mod:`safeconduct.adapters.mavlink.upload` so that ``--help`` and the
command's argument checks load no pymavlink.
"""

from __future__ import annotations

import re

from safeconduct.errors import InvalidValueError

#: The connection forms we accept, in one line for error messages and ``--help``.
ACCEPTED_CONNECTIONS = (
    "udpin:HOST:PORT (listen), udpout:HOST:PORT (send to), tcp:HOST:PORT (connect), "
    "tcpin:HOST:PORT (accept), or a serial device DEVICE[,BAUD] such as /dev/ttyUSB0,57600"
)

_NETWORK = re.compile(r"^(udpin|udpout|udp|tcpin|tcp)(?::|://)([^\s:/]+):(\d{1,5})$")
_SERIAL = re.compile(r"^(/dev/[^\s,]+|COM\d+)(?:,(\d{3,7}))?$")


class BadConnectionError(InvalidValueError):
    """A connection URL is not one of :data:`ACCEPTED_CONNECTIONS`."""


def parse_connection(connection: str) -> str:
    """Check a connection URL and return it in the form pymavlink opens.

    Parameters
    ----------
    connection
        ``udpin:HOST:PORT``, ``udpout:HOST:PORT``, ``udp:HOST:PORT`` (same as ``udpin``),
        ``tcp:HOST:PORT``, ``tcpin:HOST:PORT`` (MAVSDK's ``scheme://`` spelling is accepted
        too), or a serial device ``/dev/...`` or ``COMn`` with an optional ``,BAUD``.

    Returns
    -------
    str
        The pymavlink device string.

    Raises
    ------
    BadConnectionError
        If the URL is none of these. pymavlink would otherwise treat any string holding a
        colon as a UDP address and execute an existing file whose path contains ``/bin/``.
    """
    text = connection.strip()
    net = _NETWORK.match(text)
    if net:
        scheme, host, port = net.groups()
        if not 1 <= int(port) <= 65535:
            raise BadConnectionError(
                f"{connection!r}: port {port} is outside 1-65535", field="connection"
            )
        return f"{scheme}:{host}:{int(port)}"
    if _SERIAL.match(text):
        return text
    raise BadConnectionError(
        f"{connection!r} not understood; use {ACCEPTED_CONNECTIONS}", field="connection"
    )


__all__ = ["ACCEPTED_CONNECTIONS", "BadConnectionError", "parse_connection"]
