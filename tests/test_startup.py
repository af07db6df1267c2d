"""Commands start at once: the CLI imports only what the command it runs uses.

Each check runs in a fresh interpreter (this process has imported everything already) and
lists what is in memory afterwards: the heavy libraries in ``sys.modules`` (the edges, PDF,
GeoTIFF, MAVLink and vision, belong to the commands that use them; numba to the commands
that search or compute visibility, not to ``point``), or the compiled numba kernels
(importing compiles and loads none; a search loads only its own specialisation).
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


# ---- numba: importing compiles and loads nothing; a run loads only its own kernels -------

_KERNEL_PROBE = """
import json, sys
{body}
from numba.core.registry import CPUDispatcher
loaded = sorted(
    f"{{name.rsplit('.', 1)[1]}}.{{attr}}"
    for name in ("safeconduct.routing.kernels", "safeconduct.terrain.visibility")
    if name in sys.modules
    for attr, obj in vars(sys.modules[name]).items()
    if isinstance(obj, CPUDispatcher) and obj.overloads
)
print("KERNELS " + json.dumps(loaded))
"""


def _kernels_loaded_after(body: str) -> list[str]:
    """Compiled kernels (``module.function``) in memory after ``body`` ran afresh."""
    proc = subprocess.run(
        [sys.executable, "-c", _KERNEL_PROBE.format(body=body)],
        capture_output=True,
        text=True,
        timeout=600,  # a cold numba cache compiles the search (about 10 s)
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("KERNELS ")]
    assert lines, f"the probe printed nothing (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    return json.loads(lines[-1].removeprefix("KERNELS "))


def test_importing_the_kernels_compiles_and_loads_none() -> None:
    body = (
        "import safeconduct.routing.route, safeconduct.routing.simplify\n"
        "import safeconduct.terrain.visibility"
    )
    assert _kernels_loaded_after(body) == []


def test_a_route_search_loads_only_the_kernels_it_runs() -> None:
    # Hazards without woodland: a barrier and a speed grid of ones, which the search
    # leaves out, so the plain r.walk search runs.
    body = """
import numpy as np
from safeconduct.routing.kernels import SearchGrids, least_cost_path
from safeconduct.routing.models import RWalkModel
z = np.add.outer(np.arange(40.0), np.arange(30.0))
barrier = np.zeros(z.shape, bool)
barrier[20, 5:] = True
grids = SearchGrids(z, (5.0, 5.0), barrier=barrier, speed_factor=np.ones(z.shape, np.float32))
least_cost_path(grids, (0, 0), [(39, 29)], RWalkModel())
"""
    loaded = _kernels_loaded_after(body)
    assert "kernels._search_rwalk_plain" in loaded
    searches = [k for k in loaded if k.startswith("kernels._search")]
    assert searches == ["kernels._search_rwalk_plain"], loaded
    assert not [k for k in loaded if k.startswith("visibility.")], loaded
    helpers = {"_fill_record", "_trace", "_finite_min_max", "_all_equal", "_passable_min"}
    assert {k.split(".")[1] for k in loaded} <= helpers | {"_search_rwalk_plain"}, loaded


def test_leaving_out_uniform_layers_changes_no_route() -> None:
    import numpy as np

    from safeconduct.routing.kernels import SearchGrids, least_cost_path, step_costs_along
    from safeconduct.routing.models import RWalkModel, ToblerModel
    from safeconduct.routing.simplify import simplify_path

    rng = np.random.default_rng(4)
    z = 100.0 + rng.normal(0.0, 1.5, (60, 50)).cumsum(axis=0)
    barrier = rng.random(z.shape) < 0.05
    barrier[0, 0] = barrier[-1, -1] = False
    with_layers = SearchGrids(
        z, (5.0, 4.0), barrier=barrier,
        speed_factor=np.ones(z.shape, np.float32), exposure=np.zeros(z.shape, np.float32),
    )  # fmt: skip
    without = SearchGrids(z, (5.0, 4.0), barrier=barrier)
    for model in (RWalkModel(), ToblerModel(pace_factor=0.7)):
        for knight in (False, True):
            a = least_cost_path(with_layers, (0, 0), [(59, 49)], model, risk_weight=5.0,
                                knight=knight)  # fmt: skip
            b = least_cost_path(without, (0, 0), [(59, 49)], model, knight=knight)
            assert a.cost == b.cost and a.expanded == b.expanded
            np.testing.assert_array_equal(a.cells, b.cells)
            np.testing.assert_array_equal(
                simplify_path(a.cells, with_layers, model, risk_weight=5.0),
                simplify_path(b.cells, without, model),
            )
            for x, y in zip(
                step_costs_along(with_layers, a.cells, model, risk_weight=5.0),
                step_costs_along(without, b.cells, model),
                strict=True,
            ):
                np.testing.assert_array_equal(x, y)
