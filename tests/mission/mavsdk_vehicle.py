"""A vehicle for the upload tests: MAVSDK's MissionRawServer, run as its own process.

``python mavsdk_vehicle.py URL`` makes a MAVSDK autopilot (system 1, component 1) on ``URL``
(MAVSDK's form, e.g. ``udpin://127.0.0.1:14540`` or ``tcpin://127.0.0.1:5760``) with the
MissionRawServer plugin, which answers the mission protocol as a vehicle does: it stores an
uploaded mission and sends it back on request.

Standard output, one line each: ``READY`` once listening (or ``FAILED <reason>``), then
``MISSION <json>`` for every mission the server accepted, with its result and items as
``[seq, frame, command, current, autocontinue, p1, p2, p3, p4, x, y, z, mission_type]``.
MAVSDK's own log goes to standard error. The process ends when its standard input closes,
so it cannot outlive the test run that started it.
"""

from __future__ import annotations

import json
import sys


def main(url: str) -> int:
    from mavsdk import ComponentType, Configuration, ConnectionResult, Mavsdk, log_subscribe
    from mavsdk.plugins.mission_raw_server import MissionRawServer

    def log(level: object, message: str, file: str | None, line: int) -> bool:
        print(f"mavsdk {getattr(level, 'name', level)}: {message}", file=sys.stderr, flush=True)
        return True  # keep stdout for our own lines

    log_subscribe(log)
    mavsdk = Mavsdk(Configuration.create_with_component_type(ComponentType.AUTOPILOT))
    try:
        result = mavsdk.add_any_connection(url)
        if result != ConnectionResult.SUCCESS:
            print(f"FAILED {ConnectionResult(result).name}", flush=True)
            return 1
        server = MissionRawServer(mavsdk.server_component())

        def incoming(result: object, plan: object, _user: object) -> None:
            items = [
                [i.seq, i.frame, i.command, i.current, i.autocontinue, i.param1, i.param2,
                 i.param3, i.param4, i.x, i.y, i.z, i.mission_type]
                for i in plan.mission_items  # type: ignore[attr-defined]
            ]
            name = getattr(result, "name", str(result))
            print("MISSION " + json.dumps({"result": name, "items": items}), flush=True)

        server.subscribe_incoming_mission(incoming)
        print("READY", flush=True)
        sys.stdin.read()  # until the test closes our standard input
        return 0
    finally:
        mavsdk.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
