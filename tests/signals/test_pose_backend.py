"""The pose backend: which BlazePose models are available, Heavy never downloaded, its install.

The install tests run a fake ``npm`` (a small Python script) that packs a tarball, so they
need no network; the real-model tests skip without the vision extra.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.adapters.vision import heavy_weights as hw
from safeconduct.adapters.vision import pose
from safeconduct.errors import InvalidValueError, MissingExtraError

GOOD = b"pretend BlazePose Heavy weights"


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text
    return text


@pytest.fixture
def pinned_to_good(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the digest to :data:`GOOD`'s, so a few bytes stand in for the 28 MB model."""
    monkeypatch.setattr(hw, "SHA256", hashlib.sha256(GOOD).hexdigest())


_FAKE_NPM = """\
#!{python}
import io, pathlib, sys, tarfile
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(" ".join(args) + "\\n")
if {fail!r}:
    sys.stderr.write({fail!r})
    sys.exit(1)
dest = pathlib.Path(args[args.index("--pack-destination") + 1])
with tarfile.open(dest / "mediapipe-pose-0.5.1675469404.tgz", "w:gz") as tar:
    info = tarfile.TarInfo("package/pose_landmark_heavy.tflite")
    if {kind!r} == "symlink":
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    else:
        info.size = len({payload!r})
        tar.addfile(info, io.BytesIO({payload!r}))
"""


def _fake_npm(
    folder: Path, payload: bytes = GOOD, *, fail: str = "", kind: str = "file"
) -> tuple[str, Path]:
    """A fake ``npm`` executable packing ``payload`` as the weights; (its path, its call log)."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls.log"
    script = folder / "npm"
    script.write_text(
        _FAKE_NPM.format(python=sys.executable, log=str(log), fail=fail, kind=kind, payload=payload)
    )
    script.chmod(0o755)
    return str(script), log


def _calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


# ----------------------------------------------------------------- which models


def test_available_reads_the_weights_folder(tmp_path: Path, pinned_to_good: None) -> None:
    models = pose.MediapipePoseModels(weights_dir=tmp_path)
    assert models.available() == ("full",)
    (tmp_path / hw.FILE_NAME).write_bytes(GOOD[:-1])  # truncated: not the model
    assert models.available() == ("full",)
    (tmp_path / hw.FILE_NAME).write_bytes(GOOD)
    assert models.available() == ("full", "heavy")


def test_absent_heavy_is_refused_before_mediapipe_is_asked(tmp_path: Path) -> None:
    models = pose.MediapipePoseModels(weights_dir=tmp_path)
    with pytest.raises(MissingExtraError) as info:
        models.estimator(static=True, model="heavy")
    assert "make vision-models" in _one_line(info.value)
    assert info.value.field == "model"
    with pytest.raises(InvalidValueError):
        models.estimator(static=True, model="lite")


def test_mediapipes_folder_is_found_without_importing_it() -> None:
    if importlib.util.find_spec("mediapipe") is None:
        pytest.skip("mediapipe is not installed")
    folder = hw.mediapipe_weights_dir()
    assert folder is not None and (folder / "pose_landmark_full.tflite").is_file()


# ----------------------------------------------------------------- install


def test_install_refuses_a_file_with_the_wrong_digest(tmp_path: Path) -> None:
    npm, log = _fake_npm(tmp_path / "bin", b"tampered weights")
    target = tmp_path / "weights"
    target.mkdir()
    with pytest.raises(hw.HeavyWeightsError) as info:
        hw.install(target, npm=npm)
    assert "SHA-256" in _one_line(info.value) and "refusing" in str(info.value)
    assert list(target.iterdir()) == []  # no partial file left
    assert len(_calls(log)) == 1 and hw.NPM_VERSION in _calls(log)[0]


def test_install_places_the_checked_file_then_does_nothing(
    tmp_path: Path, pinned_to_good: None
) -> None:
    npm, log = _fake_npm(tmp_path / "bin")
    target = tmp_path / "weights"
    target.mkdir()
    said = hw.install(target, npm=npm)
    assert "installed" in said and "sha256 ok" in said
    assert [p.name for p in target.iterdir()] == [hw.FILE_NAME]
    assert (target / hw.FILE_NAME).read_bytes() == GOOD
    assert f"pack {hw.NPM_PACKAGE}@{hw.NPM_VERSION}" in _calls(log)[0]
    said = hw.install(target, npm=npm)
    assert "already installed" in said
    assert len(_calls(log)) == 1  # npm not run again
    assert pose.MediapipePoseModels(weights_dir=target).available() == ("full", "heavy")


def test_install_replaces_a_damaged_file(tmp_path: Path, pinned_to_good: None) -> None:
    npm, _ = _fake_npm(tmp_path / "bin")
    (tmp_path / hw.FILE_NAME).write_bytes(b"half a download")
    hw.install(tmp_path, npm=npm)
    assert (tmp_path / hw.FILE_NAME).read_bytes() == GOOD


def test_install_refuses_a_link_in_the_tarball(tmp_path: Path, pinned_to_good: None) -> None:
    npm, _ = _fake_npm(tmp_path / "bin", kind="symlink")
    target = tmp_path / "weights"
    target.mkdir()
    with pytest.raises(hw.HeavyWeightsError) as info:
        hw.install(target, npm=npm)
    assert "not the model file" in _one_line(info.value)
    assert list(target.iterdir()) == []


def test_install_without_npm_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on it
    with pytest.raises(hw.HeavyWeightsError) as info:
        hw.install(tmp_path)
    assert "npm is not installed" in _one_line(info.value)
    assert isinstance(info.value, MissingExtraError)


def test_install_with_the_registry_unreachable_says_so(tmp_path: Path) -> None:
    failure = "npm error code ENOTFOUND\nnpm error getaddrinfo ENOTFOUND registry.npmjs.org\n"
    npm, _ = _fake_npm(tmp_path / "bin", fail=failure)
    target = tmp_path / "weights"
    target.mkdir()
    with pytest.raises(hw.HeavyWeightsError) as info:
        hw.install(target, npm=npm)
    assert "registry could not be reached" in _one_line(info.value)
    assert list(target.iterdir()) == []


def test_module_entry_prints_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(hw, "mediapipe_weights_dir", lambda: tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert hw.main([]) == 1
    out = capsys.readouterr()
    assert out.out == "" and len(out.err.splitlines()) == 1 and "npm" in out.err
    assert hw.main(["--check"]) == 1


class _MarkerModel:
    """Stands in for mediapipe's Pose: every landmark at the bright marker's centre, in
    normalised image coordinates, as mediapipe reports them."""

    def process(self, rgb: np.ndarray) -> object:
        from types import SimpleNamespace

        ys, xs = np.nonzero(rgb[:, :, 0] > 127)
        h, w = rgb.shape[:2]
        lm = SimpleNamespace(
            x=(xs.mean() + 0.5) / w, y=(ys.mean() + 0.5) / h, z=0.0, visibility=1.0
        )
        world = SimpleNamespace(landmark=[lm] * 33)
        return SimpleNamespace(pose_landmarks=SimpleNamespace(landmark=[lm] * 33),
                               pose_world_landmarks=world)  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(
    width=st.integers(32, 200),
    height=st.integers(32, 200),
    fx=st.floats(0.2, 0.8),
    fy=st.floats(0.2, 0.8),
    upscale=st.floats(1.0, 4.0),
)
def test_landmarks_come_back_in_the_given_frames_pixels(
    width: int, height: int, fx: float, fy: float, upscale: float
) -> None:
    cv2 = pytest.importorskip("cv2")
    est = pose.PoseEstimator.__new__(pose.PoseEstimator)  # no mediapipe: a stand-in model
    est._cv2, est._pose, est._start_up, est.model = cv2, _MarkerModel(), None, "full"
    frame = np.zeros((height, width, 3), np.uint8)
    x, y = int(fx * width), int(fy * height)
    frame[y - 2 : y + 3, x - 2 : x + 3] = 255  # a 5 x 5 marker centred on pixel (x, y)
    found = est.estimate(frame, upscale=upscale)
    assert found is not None and found.world is not None
    # Pixel centres: the marker's centre is at (x + 0.5, y + 0.5) in continuous pixels.
    assert np.allclose(found.xy[0], (x + 0.5, y + 0.5), atol=0.75)


# ----------------------------------------------------------------- the real models


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any download attempt fails loudly (mediapipe downloads with urllib)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="module")
def figure() -> tuple[np.ndarray, float]:
    """A rendered figure, arms down, from a level camera; (BGR image, its height in px)."""
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    from safeconduct.adapters.vision.synthetic_render import render
    from safeconduct.signals import synthetic as syn

    camera = syn.Camera(elevation_deg=0, yaw_deg=15, person_px=240, width=320, height=320)
    return render(syn.DOWN, camera), camera.person_px


def test_heavy_is_refused_where_mediapipe_would_download_it(
    monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    monkeypatch.setattr(hw, "SHA256", "0" * 64)  # whatever is installed is not it
    assert pose.MediapipePoseModels().available() == ("full",)
    with pytest.raises(MissingExtraError, match="make vision-models"):
        pose.PoseEstimator(static=True, model="heavy")


@pytest.mark.parametrize("model", ["full", "heavy"])
def test_model_finds_the_figure_upright_at_any_upscale(
    model: str, figure: tuple[np.ndarray, float], no_network: None
) -> None:
    image, person_px = figure
    models = pose.MediapipePoseModels()
    if model not in models.available():
        if os.environ.get("CI"):  # CI installs it (make test runs make vision-models)
            pytest.fail("BlazePose Heavy is not installed in CI: make vision-models failed")
        pytest.skip("BlazePose Heavy not installed (make vision-models)")
    with models.estimator(static=True, model=model) as est:
        assert est.model == model
        plain = est.estimate(image)
        enlarged = est.estimate(image, upscale=2.0)
        with pytest.raises(InvalidValueError):
            est.estimate(image, upscale=0.5)
    assert plain is not None and enlarged is not None
    assert plain.world is not None and plain.world.shape == (33, 3)
    # A level camera: the hips-to-shoulders axis points up the image (-y), in metres.
    w = plain.world
    torso = w[[11, 12]].mean(axis=0) - w[[23, 24]].mean(axis=0)
    assert 0.3 < np.linalg.norm(torso) < 0.8
    assert torso @ np.array([0.0, -1.0, 0.0]) / np.linalg.norm(torso) > np.cos(np.radians(30))
    # Landmarks come back in the given frame's pixels whatever the enlargement.
    box = plain.bbox()
    assert box is not None and 0.7 * person_px < box[3] - box[1] < 1.2 * person_px
    moved = np.linalg.norm(plain.xy - enlarged.xy, axis=1)
    assert np.median(moved) < 0.03 * person_px
