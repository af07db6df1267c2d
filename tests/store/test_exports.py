"""Exports of personal data on SQLite and PostgreSQL: an AES-256 archive that opens with its
password only (and with 7-Zip), a manifest saying who, when, why and until when, one audit
entry per export (and one more for pictures left unblurred, with the reason), pictures
whose faces are gone, refusals for roles without the data and for an unblurred export
without a reason, and kept exports deleted once expired."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from safeconduct.adapters.formats.export_archive import (
    AesZipArchives,
    FolderExports,
    read_archive,
)
from safeconduct.adapters.formats.export_images import BlurredImages
from safeconduct.adapters.pdf.custody_documents import ReportlabCustodyDocuments
from safeconduct.audit.chain import content_digest
from safeconduct.casework.roles import Role
from safeconduct.custody.effects import ReceiptItem
from safeconduct.errors import BadFileError, InvalidValueError, NotFoundError, PermissionDeniedError
from safeconduct.services import custody
from safeconduct.services.casework import CONSOLE, Actor, CaseworkPorts
from safeconduct.services.custody import CustodyPorts
from safeconduct.services.exports import (
    ExportPorts,
    download_export,
    export_case,
    export_prisoner,
    keep_export,
    purge_expired_exports,
)
from tests.conftest import TEST_CIPHER, pid_that_has_ended
from tests.store.conftest import Store
from tests.store.test_custody_store import (  # noqa: F401 (fixtures)
    KYRYLO,
    OLGA,
    RITA,
    ROMAN,
    TODAY,
    arrival,
    case_underway,
    cp,
    registration,
    team,
)
from tests.store.test_keys_audit import _entries

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SECRET = "correct horse battery"
AUDITOR = Actor("aud", (Role.AUDITOR,))


@pytest.fixture
def xp(cp: CustodyPorts, tmp_path: Path) -> ExportPorts:  # noqa: F811
    return ExportPorts(
        database=cp.database,
        documents=ReportlabCustodyDocuments(),
        archives=AesZipArchives(),
        images=BlurredImages(find_people=False),
        kept=FolderExports(tmp_path / "exports"),
        clock=lambda: NOW,
    )


def _case_in_custody(team: CaseworkPorts, cp: CustodyPorts) -> int:  # noqa: F811
    case_id = case_underway(team)
    custody.record_arrival(cp, case_id, arrival(), actor=ROMAN)
    items = [ReceiptItem(description="Wedding ring", amount=Decimal("1"), currency="XXX")]
    custody.issue_receipt(cp, case_id, items, actor=ROMAN, prisoner_name="Остап Коваленко")
    return case_id


def _exports(store: Store) -> list[tuple[str, str, str | None]]:
    return [(e[1], e[2], e[3]) for e in _entries(store) if e[1].startswith("export")]


def _purposes(store: Store) -> list[str | None]:
    from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase

    with SqlCaseworkDatabase(store.engine(), cipher=TEST_CIPHER).unit_of_work(
        read_only=True
    ) as uow:
        return [c.entry.purpose for c in uow.audit.all() if c.entry.action.startswith("export")]


def test_a_case_export_opens_with_its_password_only_and_is_audited(
    store: Store,
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
    xp: ExportPorts,
) -> None:
    case_id = _case_in_custody(team, cp)
    made = export_case(xp, case_id, password=SECRET, purpose="ICRC tracing request", actor=ROMAN)
    files = read_archive(made.archive, SECRET)
    assert set(files) == {"manifest.json", "case.json", "arrival.json", "receipts.json"}
    manifest = json.loads(files["manifest.json"])
    assert manifest == made.manifest
    assert manifest["exported_by"] == "roman" and manifest["roles"] == ["reception"]
    assert manifest["purpose"] == "ICRC tracing request"
    assert manifest["exported_at"] == NOW.isoformat()
    assert manifest["expires_at"] == (NOW + timedelta(days=7)).isoformat()
    assert manifest["record"] == f"case:{case_id}" and manifest["faces_blurred"] is True
    assert json.loads(files["arrival.json"])["place"] == "Reception point B"
    (receipt,) = json.loads(files["receipts.json"])
    assert receipt["prisoner_name"] == "Остап Коваленко"
    assert b"Reception point B" not in made.archive  # encrypted, not merely zipped
    with pytest.raises(BadFileError, match="wrong password") as caught:
        read_archive(made.archive, "not the password")
    assert caught.value.field == "password"
    assert _exports(store) == [("export", f"case:{case_id}", content_digest(manifest))]
    assert _purposes(store) == ["ICRC tracing request"]


@pytest.mark.skipif(shutil.which("7z") is None, reason="7-Zip (7z) is not installed")
def test_7zip_opens_the_archive_with_the_password_only(
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
    xp: ExportPorts,
    tmp_path: Path,
) -> None:
    case_id = _case_in_custody(team, cp)
    made = export_case(xp, case_id, password=SECRET, purpose="tracing", actor=RITA)
    path = AesZipArchives().write(tmp_path / "case.zip", made.archive)
    assert (path.stat().st_mode & 0o777) == 0o600
    listed = subprocess.run(["7z", "l", "-slt", str(path)], capture_output=True, text=True)
    assert "Method = AES-256" in listed.stdout
    good = subprocess.run(["7z", "t", f"-p{SECRET}", str(path)], capture_output=True, text=True)
    assert good.returncode == 0 and "Everything is Ok" in good.stdout
    bad = subprocess.run(["7z", "t", "-pwrong-password", str(path)], capture_output=True)
    assert bad.returncode != 0


def test_a_prisoner_export_holds_his_registration_card_and_events(
    store: Store,
    cp: CustodyPorts,  # noqa: F811
    xp: ExportPorts,
) -> None:
    number = custody.register_prisoner(cp, registration(), actor=RITA, today=TODAY)
    made = export_prisoner(xp, number, password=SECRET, purpose="Protecting power", actor=RITA)
    files = read_archive(made.archive, SECRET)
    assert set(files) == {"manifest.json", "registration.json", "capture-card.pdf", "events.json"}
    assert json.loads(files["registration.json"])["surname"] == "Шевченко"
    assert files["capture-card.pdf"].startswith(b"%PDF")
    assert [e["event"] for e in json.loads(files["events.json"])] == ["capture"]
    assert made.record.startswith("prisoner:") and number not in made.record
    assert [e[:2] for e in _exports(store)] == [("export", made.record)]


def test_roles_without_the_data_are_refused_and_nothing_is_audited(
    store: Store,
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
    xp: ExportPorts,
) -> None:
    case_id = _case_in_custody(team, cp)
    number = custody.register_prisoner(cp, registration(), case=case_id, actor=RITA, today=TODAY)
    for actor in (KYRYLO, AUDITOR, Actor("ivan", (Role.RECEPTION,))):  # ivan: not his case
        with pytest.raises(PermissionDeniedError):
            export_case(xp, case_id, password=SECRET, purpose="curiosity", actor=actor)
    for actor in (ROMAN, OLGA):
        with pytest.raises(PermissionDeniedError):
            export_prisoner(xp, number, password=SECRET, purpose="curiosity", actor=actor)
    assert _exports(store) == []
    # The operator exports the case's conversation (none yet) and its summary, no reception.
    made = export_case(xp, case_id, password=SECRET, purpose="handover", actor=OLGA)
    assert "arrival.json" not in read_archive(made.archive, SECRET)


def test_bad_requests_are_refused(
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
    xp: ExportPorts,
) -> None:
    case_id = _case_in_custody(team, cp)
    for changes, field in (
        ({"password": "short"}, "password"),
        ({"purpose": "  "}, "purpose"),
        ({"expires_days": 0}, "expires_days"),
        ({"expires_days": 91}, "expires_days"),
        ({"blur": False}, "reason"),  # unblurred without a reason
        ({"blur": False, "reason": " "}, "reason"),
    ):
        request: dict[str, Any] = {"password": SECRET, "purpose": "tracing", **changes}
        with pytest.raises(InvalidValueError) as caught:
            export_case(xp, case_id, actor=RITA, **request)
        assert caught.value.field == field
    with pytest.raises(PermissionDeniedError, match="unblurred"):
        export_case(
            xp, case_id, password=SECRET, purpose="x", blur=False, reason="court", actor=ROMAN
        )
    with pytest.raises(NotFoundError):
        export_case(xp, 9999, password=SECRET, purpose="x", actor=RITA)


def test_a_kept_export_is_downloaded_by_its_maker_until_it_expires_then_deleted(
    store: Store,
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
    xp: ExportPorts,
    tmp_path: Path,
) -> None:
    case_id = _case_in_custody(team, cp)
    made = export_case(xp, case_id, password=SECRET, purpose="x", actor=RITA, expires_days=2)
    export_id = keep_export(xp, made)
    folder = tmp_path / "exports"
    assert sorted(p.name for p in folder.iterdir()) == [f"{export_id}.json", f"{export_id}.zip"]
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in folder.iterdir())
    assert SECRET.encode() not in (folder / f"{export_id}.json").read_bytes()
    assert download_export(xp, export_id, actor=RITA) == made.archive
    with pytest.raises(PermissionDeniedError):
        download_export(xp, export_id, actor=ROMAN)
    assert [e[0] for e in _exports(store)] == ["export", "export_download"]
    assert purge_expired_exports(xp, NOW + timedelta(days=1)) == 0
    assert purge_expired_exports(xp, NOW + timedelta(days=2)) == 1
    assert list(folder.iterdir()) == []
    assert purge_expired_exports(xp, NOW + timedelta(days=3)) == 0  # again: nothing
    with pytest.raises(NotFoundError):
        download_export(xp, export_id, actor=RITA)
    # A download after the expiry, before any purge, is refused and deletes it.
    again = keep_export(xp, export_case(xp, case_id, password=SECRET, purpose="x", actor=RITA))
    late = ExportPorts(**{**xp.__dict__, "clock": lambda: NOW + timedelta(days=8)})
    with pytest.raises(NotFoundError, match="expired"):
        download_export(late, again, actor=RITA)
    assert list(folder.iterdir()) == []
    # Keeping a new export deletes those expired by then.
    keep_export(xp, export_case(xp, case_id, password=SECRET, purpose="x", actor=RITA))
    newer = keep_export(late, export_case(late, case_id, password=SECRET, purpose="x", actor=RITA))
    assert {p.stem for p in folder.iterdir()} == {newer}


# ----------------------------------------------------------------- pictures


def _high_frequency(image: np.ndarray) -> float:
    """The energy of a grey image's Laplacian: what a face's detail is made of."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float64)
    return float(np.mean(cv2.Laplacian(grey, cv2.CV_64F) ** 2))


def _picture() -> tuple[bytes, tuple[slice, slice]]:
    """A rendered person whose head carries fine detail (a stand-in for a face), as PNG."""
    import cv2

    from safeconduct.adapters.vision.synthetic_render import render
    from safeconduct.signals import synthetic as syn

    image = render(syn.UP, syn.Camera(elevation_deg=20, person_px=300))
    face = (slice(60, 124), slice(288, 352))
    rng = np.random.default_rng(7)
    image[face] = rng.integers(0, 255, image[face].shape, dtype=np.uint8)
    ok, png = cv2.imencode(".png", image)
    assert ok
    return bytes(png.tobytes()), face


@pytest.mark.parametrize("find_people", [False, True])
def test_a_protected_picture_keeps_no_face_detail(find_people: bool) -> None:
    import cv2

    pytest.importorskip("cv2")
    if find_people:
        pytest.importorskip("mediapipe")
    data, face = _picture()
    images = BlurredImages(find_people=find_people)
    protected = images.protect(data, "image/png")
    images.close()
    before = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    after = cv2.imdecode(np.frombuffer(protected, np.uint8), cv2.IMREAD_COLOR)
    assert after.shape == before.shape and protected != data
    # The face's fine detail is gone (< 2 % of its energy), and what is left does not
    # correlate with it: it cannot be sharpened back.
    assert _high_frequency(after[face]) < 0.02 * _high_frequency(before[face])
    a = before[face].astype(np.float64).ravel()
    b = after[face].astype(np.float64).ravel()
    detail_a, detail_b = a - a.mean(), b - b.mean()
    correlation = float(
        detail_a @ detail_b / (np.linalg.norm(detail_a) * np.linalg.norm(detail_b) + 1e-9)
    )
    assert abs(correlation) < 0.2


def test_an_unreadable_picture_is_refused() -> None:
    pytest.importorskip("cv2")
    with pytest.raises(BadFileError) as caught:
        BlurredImages(find_people=False).protect(b"not a picture", "image/jpeg")
    assert caught.value.field == "attachment"


def test_exports_without_pictures_load_no_pose_model(
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
    tmp_path: Path,
) -> None:
    images = BlurredImages()
    xp = ExportPorts(
        database=cp.database,
        documents=ReportlabCustodyDocuments(),
        archives=AesZipArchives(),
        images=images,
        clock=lambda: NOW,
    )
    case_id = _case_in_custody(team, cp)
    export_case(xp, case_id, password=SECRET, purpose="x", actor=RITA)
    assert images._estimator is None


def test_pictures_of_messages_go_out_blurred_unless_overridden_with_a_reason(
    store: Store,
    team: CaseworkPorts,  # noqa: F811
    cp: CustodyPorts,  # noqa: F811
    xp: ExportPorts,
) -> None:
    import cv2

    from safeconduct.services.messages import MessagesPorts, add_message

    case_id = _case_in_custody(team, cp)
    data, face = _picture()
    message = add_message(
        MessagesPorts(database=cp.database),  # type: ignore[arg-type]
        case_id,
        text="Это я, Иван Петренко",
        direction="in",
        attachment_name="Ivan_Petrenko_passport.png",
        attachment_type="image/png",
        attachment=data,
        actor=OLGA,
    )
    made = export_case(xp, case_id, password=SECRET, purpose="family tracing", actor=OLGA)
    files = read_archive(made.archive, SECRET)
    (listed,) = json.loads(files["messages.json"])
    assert listed["text"] == "Это я, Иван Петренко"
    assert listed["attachment_file"] == f"attachments/{message.id}.png"
    assert not any("Petrenko" in name for name in files)  # names are not encrypted in a ZIP
    blurred = cv2.imdecode(np.frombuffer(files[listed["attachment_file"]], np.uint8), 1)
    original = cv2.imdecode(np.frombuffer(data, np.uint8), 1)
    assert _high_frequency(blurred[face]) < 0.02 * _high_frequency(original[face])
    assert made.manifest["pictures"] == 1 and made.manifest["faces_blurred"] is True
    # The registrar's override, for an authority (at the console): the picture as it came.
    court = "Court order 12/2026 of the military tribunal"
    raw = export_case(
        xp, case_id, password=SECRET, purpose="tribunal", blur=False, reason=court, actor=CONSOLE
    )
    assert read_archive(raw.archive, SECRET)[f"attachments/{message.id}.png"] == data
    assert raw.manifest["faces_blurred"] is False and raw.manifest["unblurred_reason"] == court
    actions = [e[0] for e in _exports(store)]
    assert actions == ["export", "export", "export_unblurred"]
    assert _purposes(store)[-2:] == ["tribunal", court]


def test_an_archive_half_written_by_a_killed_process_is_removed_by_the_expiry(
    xp: ExportPorts, tmp_path: Path
) -> None:
    # An export id is never written twice, so only the folder's expiry can find an archive
    # that a kill -9 left half-written under its temporary name.
    folder = tmp_path / "exports"
    folder.mkdir(mode=0o700, exist_ok=True)
    half = folder / f".{'a' * 32}.zip.{pid_that_has_ended()}-abc123.tmp"
    being_written = folder / f".{'b' * 32}.zip.{os.getpid()}-def456.tmp"
    for path in (half, being_written):
        path.write_bytes(b"PK\x03\x04 encrypted, half")
    assert purge_expired_exports(xp, NOW) == 0
    assert [p.name for p in folder.iterdir()] == [being_written.name]
