"""The board's third-party scripts are installed only when their tarball's SHA-256 matches
the pinned one."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from safeconduct.entrypoints.web.pages import vendor


def _tarball(folder: Path, files: dict[str, bytes]) -> Path:
    path = folder / "package.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_tarball_that_does_not_match_its_digest_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_pack(package: vendor.Package, into: Path) -> Path:
        return _tarball(into, {member: b"tampered" for member in package.files})

    monkeypatch.setattr(vendor, "_pack", fake_pack)
    target = tmp_path / "vendor"
    with pytest.raises(vendor.VendorError, match=r"SHA-256 \w+ is not the pinned"):
        vendor.install(target)
    assert not any(p.is_file() for p in target.rglob("*"))
    assert not vendor.up_to_date(target)


def test_matching_tarballs_are_unpacked_and_then_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packed: list[str] = []

    def fake_pack(package: vendor.Package, into: Path) -> Path:
        packed.append(package.name)
        return _tarball(into, {member: member.encode() for member in package.files})

    def digest_of_fake(package: vendor.Package) -> vendor.Package:
        scratch = tmp_path / f"scratch-{package.name}"
        scratch.mkdir()
        data = fake_pack(package, scratch).read_bytes()
        return vendor.Package(
            package.name, package.version, hashlib.sha256(data).hexdigest(), package.files
        )

    pinned = tuple(digest_of_fake(p) for p in vendor.PACKAGES)
    packed.clear()
    monkeypatch.setattr(vendor, "PACKAGES", pinned)
    monkeypatch.setattr(vendor, "_pack", fake_pack)
    target = tmp_path / "vendor"
    vendor.install(target)
    assert (target / "htmx.min.js").read_bytes() == b"package/dist/htmx.min.js"
    assert (target / "leaflet" / "images" / "marker-icon.png").is_file()
    assert vendor.up_to_date(target) and packed == ["htmx.org", "leaflet"]
    assert vendor.install(target) == [f"static files up to date in {target}"]
    assert packed == ["htmx.org", "leaflet"]
