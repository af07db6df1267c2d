"""Fetch the board's third-party scripts from the npm registry, checked by SHA-256.

htmx (the buttons and partial refreshes) and Leaflet (maps, for the operation pages) are
served from the package's own ``static/vendor/`` so the service works with no internet;
they are not committed. ``make install`` runs this module: ``npm pack NAME@VERSION`` (the
registry as npm is configured), a SHA-256 check of the tarball against the pinned digest,
and only the distributed files copied out. Run it again at any time; it does nothing when
the files are in place.

Usage: ``python -m safeconduct.entrypoints.web.pages.vendor [--check]``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from safeconduct.adapters.files.npm_pack import NpmMissingError, NpmPackError, npm_pack

#: Where the files go.
VENDOR_DIR = Path(__file__).with_name("static") / "vendor"
#: What was installed, to tell whether it is up to date.
MANIFEST = VENDOR_DIR / "manifest.json"


@dataclass(frozen=True)
class Package:
    """One npm package: its pinned version, the tarball's SHA-256, and the files to keep
    (path in the tarball -> path under :data:`VENDOR_DIR`)."""

    name: str
    version: str
    sha256: str
    files: dict[str, str]


PACKAGES: tuple[Package, ...] = (
    Package(
        "htmx.org",
        "2.0.4",
        "a34988d1b9f005a458d593aa8d7486537cb878b8ac3b82703db1268983123ecc",
        {"package/dist/htmx.min.js": "htmx.min.js", "package/LICENSE": "htmx.LICENSE"},
    ),
    Package(
        "leaflet",
        "1.9.4",
        "84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77",
        {
            "package/dist/leaflet.js": "leaflet/leaflet.js",
            "package/dist/leaflet.css": "leaflet/leaflet.css",
            "package/dist/images/layers.png": "leaflet/images/layers.png",
            "package/dist/images/layers-2x.png": "leaflet/images/layers-2x.png",
            "package/dist/images/marker-icon.png": "leaflet/images/marker-icon.png",
            "package/dist/images/marker-icon-2x.png": "leaflet/images/marker-icon-2x.png",
            "package/dist/images/marker-shadow.png": "leaflet/images/marker-shadow.png",
            "package/LICENSE": "leaflet/LICENSE",
        },
    ),
)


class VendorError(RuntimeError):
    """A package could not be fetched, or its tarball did not match its digest."""


def _wanted() -> dict[str, str]:
    return {f"{p.name}@{p.version}": p.sha256 for p in PACKAGES}


def up_to_date(folder: Path = VENDOR_DIR) -> bool:
    """Whether every pinned package's files are in ``folder``, as pinned."""
    manifest = folder / MANIFEST.name
    try:
        installed = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return False
    files = [folder / target for p in PACKAGES for target in p.files.values()]
    return installed == _wanted() and all(f.is_file() for f in files)


def _pack(package: Package, into: Path) -> Path:
    try:
        return npm_pack(f"{package.name}@{package.version}", into, timeout_s=300)
    except NpmMissingError as exc:
        raise VendorError(
            "npm is not installed; install Node.js's npm (apt-get install npm)"
        ) from exc
    except NpmPackError as exc:
        raise VendorError(str(exc)) from exc


def install(folder: Path = VENDOR_DIR) -> list[str]:
    """Fetch, check and unpack every package into ``folder``; the lines to print."""
    if up_to_date(folder):
        return [f"static files up to date in {folder}"]
    said = []
    folder.mkdir(parents=True, exist_ok=True)
    for package in PACKAGES:
        with tempfile.TemporaryDirectory() as temp:
            tarball = _pack(package, Path(temp))
            digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
            if digest != package.sha256:
                raise VendorError(
                    f"{package.name}@{package.version}: SHA-256 {digest} is not the pinned "
                    f"{package.sha256}; refusing to install it"
                )
            with tarfile.open(tarball, "r:gz") as archive:
                for member, target in package.files.items():
                    source = archive.extractfile(member)
                    if source is None:
                        raise VendorError(f"{package.name}: {member} is not in the tarball")
                    path = folder / target
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(source.read())
        said.append(f"{package.name}@{package.version} (sha256 ok) -> {folder}")
    (folder / MANIFEST.name).write_text(json.dumps(_wanted(), indent=1) + "\n")
    return said


def main(argv: list[str] | None = None) -> int:
    """Install the files (or, with ``--check``, only say whether they are in place)."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        ok = up_to_date()
        print("static files up to date" if ok else f"static files missing in {VENDOR_DIR}")
        return 0 if ok else 1
    try:
        for line in install():
            print(line)
    except VendorError as error:
        print(f"vendor: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
