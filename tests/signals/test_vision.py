"""The real pose model and video I/O (skipped without the vision extra)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from safeconduct.bootstrap import signals_ports
from safeconduct.services.signals import detect_signals, iter_alerts
from safeconduct.signals import gestures as g
from safeconduct.signals import synthetic as syn
from safeconduct.signals.detector import NO_SIGNAL_TEXT, AlertKind

cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")

from safeconduct.adapters.vision.pose import PoseEstimator  # noqa: E402
from safeconduct.adapters.vision.synthetic_render import render  # noqa: E402
from safeconduct.adapters.vision.video import blur_faces, read_frames  # noqa: E402
from tests.signals.inputs import render_signal_video  # noqa: E402


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    data = pytest.importorskip("skimage.data")
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def test_pose_finds_the_astronaut(astronaut: np.ndarray) -> None:
    # A photo shipped inside scikit-image: a smoke test that the bundled model runs offline.
    with PoseEstimator(static=True) as est:
        kp = est.estimate(astronaut)
    assert kp is not None
    assert all(kp.visible(i) for i in g.FACE)
    x0, y0, x1, y1 = kp.bbox()  # type: ignore[misc]
    assert 0 <= x0 < x1 <= astronaut.shape[1] and 0 <= y0 < y1
    # Only the upper body is in the picture: the hips are not, so arms are not judged.
    assert g.GestureClassifier().update(kp).arms is g.ArmsState.UNKNOWN


def test_pose_finds_nobody_in_a_blank_frame() -> None:
    with PoseEstimator(static=True) as est:
        assert est.estimate(np.full((240, 320, 3), 127, np.uint8)) is None


def test_face_blur_changes_only_the_head(astronaut: np.ndarray) -> None:
    with PoseEstimator(static=True) as est:
        kp = est.estimate(astronaut)
    assert kp is not None
    img = astronaut.copy()
    blur_faces(img, [kp])
    nose = kp.xy[g.NOSE].astype(int)
    patch = (slice(nose[1] - 10, nose[1] + 10), slice(nose[0] - 10, nose[0] + 10))
    assert np.abs(img[patch].astype(int) - astronaut[patch].astype(int)).mean() > 1.0
    assert np.array_equal(img[-20:], astronaut[-20:])  # bottom rows untouched


def test_detect_signals_on_image_folder(astronaut: np.ndarray, tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    small = cv2.resize(astronaut, (256, 256))
    for i in range(4):
        cv2.imwrite(str(frames / f"{i:04d}.png"), small)
    out = tmp_path / "out"
    summary = detect_signals(
        signals_ports(), frames, out_dir=out, fps=2.0, model="full", sweep=False
    )
    assert summary.frames == 4 and summary.duration_s == pytest.approx(1.5)
    assert summary.alerts == [] and summary.status == NO_SIGNAL_TEXT
    assert sorted(p.name for p in out.iterdir()) == [
        "alerts.jsonl",
        "annotated.mp4",
        "summary.json",
    ]
    assert (out / "alerts.jsonl").read_text() == ""
    data = json.loads((out / "summary.json").read_text())
    assert data["status"] == NO_SIGNAL_TEXT and data["frames"] == 4
    # The annotated video reads back with the same frame count.
    assert len(list(read_frames(out / "annotated.mp4"))) == 4


def test_iter_alerts_on_a_stream() -> None:
    frames = ((i / 10, np.zeros((120, 160, 3), np.uint8)) for i in range(5))
    assert list(iter_alerts(signals_ports(), frames, model="full", sweep=False)) == []


@pytest.mark.parametrize("pose", ["DOWN", "UP", "OUT"])
def test_real_model_on_rendered_figure(pose: str) -> None:
    img = render(getattr(syn, pose), syn.Camera(elevation_deg=20, person_px=300))
    with PoseEstimator(static=True) as est:
        kp = est.estimate(img)
    assert kp is not None
    assert g.GestureClassifier().update(kp).arms is getattr(g.ArmsState, pose)


def test_rendered_signal_video_end_to_end(tmp_path: Path) -> None:
    video = tmp_path / "signal.mp4"
    render_signal_video(video)
    out = tmp_path / "out"
    # The camera of tests.signals.inputs looks 20 degrees down: the world rules judge.
    summary = detect_signals(
        signals_ports(), video, out_dir=out, model="full", sweep=False, camera_elevation_deg=20
    )
    kinds = [a.kind for a in summary.alerts]
    assert AlertKind.SURRENDER_SIGNAL in kinds
    assert summary.elevation_source == "given" and summary.world_share > 0.9
    lines = [json.loads(x) for x in (out / "alerts.jsonl").read_text().splitlines()]
    assert any(x["kind"] == "SURRENDER_SIGNAL" and "hors de combat" in x["text"] for x in lines)
    assert all(x["model"] == "BlazePose Full" and x["elevation_source"] == "given" for x in lines)
    data = json.loads((out / "summary.json").read_text())
    assert data["model_name"] == "BlazePose Full" and data["elevation_source"] == "given"
    assert summary.status.startswith("SURRENDER_SIGNAL") or "SURRENDER_SIGNAL" in summary.status
    assert len(list(read_frames(out / "annotated.mp4"))) == summary.frames


def test_command_on_rendered_video(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from safeconduct.entrypoints.cli.signals import signals_command

    app = typer.Typer()
    app.command()(signals_command)
    video = tmp_path / "signal.mp4"
    render_signal_video(video)
    args = [str(video), "--out", str(tmp_path / "o"), "--no-blur", "--model", "full"]
    result = CliRunner().invoke(app, [*args, "--no-sweep", "--camera-elevation", "20"])
    assert result.exit_code == 0, result.output
    assert "SURRENDER_SIGNAL" in result.output and "hors de combat" in result.output
    assert result.output.startswith("pose model: BlazePose Full\n")
    assert "model: BlazePose Full; geometry: world 100% of person-frames" in result.output
    assert "camera elevation: given" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, [str(empty)])
    assert result.exit_code != 0 and "holds no images" in str(result.exception)


def test_steep_view_raises_the_signal_with_the_camera_elevation(tmp_path: Path) -> None:
    """Issue 16's report: the published signal at 40 degrees, the figure 240 px tall, raised
    nothing on the 2-D rules; with the elevation the world rules see it."""
    from tests.signals.inputs import SIGNAL, SIGNAL_S

    camera = syn.Camera(elevation_deg=40, yaw_deg=15, person_px=240, width=640, height=480)
    video = tmp_path / "steep.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (640, 480))
    for i in range(int(SIGNAL_S * 10)):
        writer.write(render(SIGNAL(i / 10), camera))
    writer.release()
    summary = detect_signals(
        signals_ports(), video, model="full", sweep=False, camera_elevation_deg=40
    )
    assert AlertKind.SURRENDER_SIGNAL in [a.kind for a in summary.alerts]
    assert summary.elevation_source == "given" and summary.world_share > 0.9
