"""``npm pack`` of one pinned package into a folder: the project's one way to fetch from npm.

The board's scripts (``entrypoints/web/pages/vendor.py``) and BlazePose Heavy's weights
(``adapters/vision/heavy_weights.py``) both come from the npm registry as npm is configured;
each checks the SHA-256 of what it takes out. This runs npm and turns its failures into one
line each.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

#: npm's error codes when the registry cannot be reached.
_UNREACHABLE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET")


class NpmPackError(RuntimeError):
    """``npm pack`` could not give the tarball; the message is one line."""


class NpmMissingError(NpmPackError):
    """No ``npm`` executable (the caller says what it needed npm for)."""


def npm_pack(spec: str, into: Path, *, npm: str | None = None, timeout_s: float = 600.0) -> Path:
    """``npm pack SPEC`` into the empty folder ``into``; the tarball's path.

    Parameters
    ----------
    spec
        ``NAME@VERSION``, pinned.
    into
        Folder the tarball is written to (and npm runs in).
    npm
        The npm executable; default the one on ``PATH``.
    timeout_s
        Seconds npm may take, the download included.

    Raises
    ------
    NpmMissingError
        No npm.
    NpmPackError
        npm timed out, could not run, could not reach the registry, failed, or left other
        than one tarball.
    """
    exe = npm or shutil.which("npm")
    if exe is None:
        raise NpmMissingError("npm is not installed")
    try:
        done = subprocess.run(
            [exe, "pack", spec, "--pack-destination", str(into), "--ignore-scripts", "--silent"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=into,
        )
    except subprocess.TimeoutExpired as exc:
        raise NpmPackError(
            f"npm pack {spec} took over {timeout_s:g} s: is the npm registry reachable?"
        ) from exc
    except OSError as exc:
        raise NpmPackError(f"npm could not be run ({exc.strerror or exc})") from exc
    if done.returncode != 0:
        said = " ".join((done.stderr or "").split())
        lines = [ln.strip() for ln in (done.stderr or "").splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        if any(code in said for code in _UNREACHABLE):
            raise NpmPackError(f"the npm registry could not be reached ({reason})")
        raise NpmPackError(f"npm pack {spec} failed: {reason}")
    tarballs = sorted(into.glob("*.tgz"))
    if len(tarballs) != 1:
        raise NpmPackError(f"npm pack {spec} left {len(tarballs)} tarballs, not one")
    return tarballs[0]
