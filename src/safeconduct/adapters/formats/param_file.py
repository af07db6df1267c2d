"""Vehicle parameter files (``.parm``) that ground stations load.

One ``NAME,VALUE`` line per parameter, comments after ``#``: the form Mission Planner
writes and reads (Config > Full Parameter List > Save / Load from file), which MAVProxy's
``param load`` and pymavlink's ``MAVParmDict.load`` read too (they take a comma or
blanks between name and value and drop what follows ``#``). QGroundControl loads only its
own tab-separated parameter files, which carry the vehicle's system id, so the crew sets
these values by hand there; the mission summary lists them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from safeconduct.adapters.files.atomic import write_text_atomic


def _value(v: float) -> str:
    """A parameter value as ground stations write it: whole numbers without a point."""
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(round(f, 6))


def param_file_text(params: Mapping[str, tuple[float, str]], header: Sequence[str] = ()) -> str:
    """The ``.parm`` text: ``header`` lines as comments, then per parameter ``# why`` and
    ``NAME,VALUE`` (a comment on a line of its own: every reader skips those)."""
    lines = [f"# {h}" for h in header]
    for name, (value, why) in params.items():
        lines += [f"# {name}: {why}", f"{name},{_value(value)}"]
    return "\n".join(lines) + "\n"


def read_param_file(path: str | os.PathLike[str]) -> dict[str, float]:
    """``{NAME: value}`` from a ``.parm`` file, read as pymavlink's ``MAVParmDict`` reads it."""
    out: dict[str, float] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.split("#")[0].strip().replace(",", " ")
        if line:
            name, value = line.split()
            out[name] = float(value)
    return out


def write_param_file(
    path: str | os.PathLike[str],
    params: Mapping[str, tuple[float, str]],
    header: Sequence[str] = (),
) -> Path:
    """Write ``params`` (``{NAME: (value, why)}``) to ``path`` atomically; return the path."""
    return write_text_atomic(path, param_file_text(params, header))


__all__ = ["param_file_text", "read_param_file", "write_param_file"]
