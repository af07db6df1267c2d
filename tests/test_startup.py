"""Commands start at once: the CLI imports only what the command it runs uses.

Each check runs in a fresh interpreter (this process has imported everything already) and
lists the heavy libraries found in ``sys.modules`` afterwards. The edges (PDF, GeoTIFF,
MAVLink, vision) belong to the commands that use them; numba belongs to the commands that
search or compute visibility, not to ``point``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Libraries no command's start-up may load: each costs 0.05-0.5 s and serves one command.
EDGE_LIBRARIES = ("reportlab", "rasterio", "pymavlink", "mediapipe")

_PROBE = """
import json, sys
heavy = {heavy!r}
try:
    {body}
finally:
    loaded = sorted(
        {{m.split(".")[0] for m in list(sys.modules) if m.split(".")[0] in heavy}}
    )
    sys.__stdout__.write("\\nLOADED " + json.dumps(loaded) + "\\n")
"""


def _loaded_after(body: str, heavy: tuple[str, ...]) -> list[str]:
    """The ``heavy`` top-level packages in ``sys.modules`` after ``body`` ran afresh."""
    code = _PROBE.format(heavy=heavy, body=body)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("LOADED ")]
    assert lines, f"the probe printed nothing (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    return json.loads(lines[-1].removeprefix("LOADED "))


def test_importing_the_cli_loads_no_edge_library() -> None:
    loaded = _loaded_after("import safeconduct.entrypoints.cli.app", EDGE_LIBRARIES)
    assert loaded == [], f"importing the CLI loads {', '.join(loaded)}"


@pytest.mark.parametrize("argv", [["--help"], ["point", "48.61,38.02"]])
def test_light_commands_load_no_edge_library_nor_numba(argv: list[str]) -> None:
    body = (
        "from safeconduct.entrypoints.cli.app import main\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, f'exit status {exc.code}'"
    )
    loaded = _loaded_after(body, (*EDGE_LIBRARIES, "numba"))
    assert loaded == [], f"safeconduct {' '.join(argv)} loads {', '.join(loaded)}"
