"""Run every benchmark under bench/ in turn (``make bench``).

Each ``bench_*.py`` measures safeconduct against its named peer in the same run and prints
the peer's figure, ours and the ratio (or the target): the route search (``bench_route``),
the whole ``safeconduct route`` command against GRASS ``r.walk`` (``bench_route_command``),
signal recognition, start-up times (``bench_startup``), the viewshed, and the coordination
service (``bench_service``: API latency under load on PostgreSQL, planning through the
service against ``rehearse``), the service under a mix of users at once, one server
process and worker against two (``bench_load``: chats, plans, live positions and the event
streams on PostgreSQL), and the audit trail (``bench_audit``: ``audit verify`` of
100,000 entries against streaming the same rows unhashed). Extra arguments are passed to
every benchmark (e.g. ``--size 1000 --cases 300 --seconds 5`` for a quick run); each
ignores those that are not its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for script in sorted(here.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        if subprocess.run([sys.executable, str(script), *sys.argv[1:]]).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
