"""Exports of personal data: password-encrypted archives that expire and are logged.

An export gathers what the actor's roles may read of one case or one prisoner into an
AES-256 encrypted ZIP (the password is given at export time and kept nowhere), with a
``manifest.json`` saying who exported it, when, why, and until when it may be kept:

- a **case** (``case_summary``, ``reception`` and ``conversation`` as the roles read them,
  own cases counted): ``case.json`` (code, language, status, timeline), ``arrival.json``
  and ``receipts.json``, ``messages.json`` and the messages' attachments. The registrations
  of the people it brought in are not part of it: the link between a case and a prisoner
  never leaves the system;
- a **prisoner** (``identity`` read: a registrar): ``registration.json``, the capture card
  (``capture-card.pdf``) and the Information Bureau events (``events.json``).

Pictures (attachments of an ``image/*`` type) have their faces blurred and are pixelated
(the signals package's blurring) unless a registrar overrides it for an authority, which
needs a reason and is audited (``export_unblurred``). Every export is audited (``export``,
with its purpose, and the digest of its manifest) in the transaction that read the data.
The archive's file names are neutral (a ZIP does not encrypt names).

Exports made for download (the web) are kept in an exports folder until they expire;
:func:`purge_expired_exports` deletes those due (the scheduled purge and the CLI call it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from safeconduct.casework.roles import Role, can
from safeconduct.custody.record import registration_to_json
from safeconduct.custody.series import DEFAULT_SERIES, PrisonerSeries
from safeconduct.errors import (
    BadFileError,
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
)
from safeconduct.services import audit
from safeconduct.services.casework import Actor, find_case, owns_case
from safeconduct.services.custody import _canonical, _langs
from safeconduct.services.ports import CustodyDatabase, CustodyDocuments, CustodyUnitOfWork

#: The format name in every manifest.
FORMAT = "safeconduct-export/1"
#: Days an export may be kept, by default and at most.
DEFAULT_EXPIRES_DAYS = 7
MAX_EXPIRES_DAYS = 90
#: The shortest password an export is encrypted with, in characters.
MIN_PASSWORD = 12
#: Longest purpose and reason, in characters.
MAX_PURPOSE = 500


class ExportArchives(Protocol):
    """Encrypted archives."""

    def build(self, files: Sequence[tuple[str, bytes]], password: str) -> bytes:
        """An AES-256 encrypted ZIP of ``files`` (name, bytes) with ``password``."""
        ...


class ImageProtection(Protocol):
    """Pictures made fit to leave the system."""

    def extension(self, media_type: str) -> str:
        """The file extension of a protected picture of ``media_type`` (``".jpg"``)."""
        ...

    def protect(self, data: bytes, media_type: str) -> bytes:
        """``data`` with faces blurred and the whole picture pixelated; ``BadFileError``
        (``field="attachment"``) for one that cannot be read."""
        ...


class KeptExports(Protocol):
    """Exports kept for download until they expire."""

    def keep(self, export_id: str, archive: bytes, meta: dict[str, Any]) -> None:
        """Keep ``archive`` and its ``meta`` (no personal content)."""
        ...

    def meta(self, export_id: str) -> dict[str, Any] | None:
        """The meta of a kept export, or None."""
        ...

    def archive(self, export_id: str) -> bytes | None:
        """The archive of a kept export, or None."""
        ...

    def expiries(self) -> list[tuple[str, datetime | None]]:
        """Every kept export's id and expiry (None: unreadable, deleted by a purge)."""
        ...

    def delete(self, export_id: str) -> None:
        """Delete a kept export."""
        ...


@dataclass(frozen=True)
class ExportPorts:
    """The edges exports reach.

    Attributes
    ----------
    database
        The casework database (cases, custody, messages when revision 0010 is there).
    documents
        Renders the capture card.
    archives
        Builds the encrypted archive.
    images
        Protects pictures (faces blurred); None: an export holding a picture is refused
        unless unblurred.
    kept
        The exports folder of the web's downloads; None: nothing is kept.
    series
        The prisoner numbers' series.
    clock
        The current time (aware, UTC).
    """

    database: CustodyDatabase
    documents: CustodyDocuments
    archives: ExportArchives
    images: ImageProtection | None = None
    kept: KeptExports | None = None
    series: PrisonerSeries = DEFAULT_SERIES
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Export:
    """One export made.

    Attributes
    ----------
    id
        Its id (32 hex digits): the download's, and the manifest's.
    record
        What was exported: ``case:<id>`` or ``prisoner:<id>``.
    archive
        The encrypted ZIP's bytes.
    manifest
        The manifest inside it (who, when, purpose, expiry, files and their SHA-256).
    """

    id: str
    record: str
    archive: bytes
    manifest: dict[str, Any]

    @property
    def expires_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["expires_at"])


# ----------------------------------------------------------------- checks


def _text(value: str | None, name: str, *, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidValueError(f"give the {what}", field=name)
    if len(text) > MAX_PURPOSE:
        raise InvalidValueError(f"the {what} is longer than {MAX_PURPOSE} characters", field=name)
    # It goes into the audit trail as text: a control character (a NUL made PostgreSQL fail,
    # a 500; the API fuzzing found it) has no place in one line said to people.
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise InvalidValueError(
            f"the {what} holds a control character; write it as plain text", field=name
        )
    return text


def _check_request(
    actor: Actor,
    *,
    password: str,
    purpose: str | None,
    expires_days: int,
    blur: bool,
    reason: str | None,
) -> tuple[str, str | None]:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidValueError(
            f"an export's password has at least {MIN_PASSWORD} characters", field="password"
        )
    why = _text(purpose, "purpose", what="purpose of the export")
    if isinstance(expires_days, bool) or not isinstance(expires_days, int):
        raise InvalidValueError("expires_days must be a whole number of days", field="expires_days")
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise InvalidValueError(
            f"an export expires after 1 to {MAX_EXPIRES_DAYS} days", field="expires_days"
        )
    if blur:
        return why, None
    if not (actor.console or Role.REGISTRAR in actor.roles):
        raise PermissionDeniedError(
            f"{actor.name} may not export pictures unblurred: only a registrar, for an authority"
        )
    return why, _text(reason, "reason", what="reason to export pictures unblurred")


def _reads(actor: Actor, data_class: str, *, own: bool) -> bool:
    return actor.console or can(actor.roles, "read", data_class, own=own)


# ----------------------------------------------------------------- content


@dataclass
class _Content:
    files: list[tuple[str, bytes]] = field(default_factory=list)
    omitted: list[dict[str, str]] = field(default_factory=list)
    pictures: int = 0

    def json(self, name: str, value: Any) -> None:
        text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        self.files.append((name, text.encode("utf-8")))


def _case_parts(
    ports: ExportPorts, uow: CustodyUnitOfWork, ref: int | str, actor: Actor, blur: bool
) -> tuple[str, _Content]:
    stored = find_case(uow, ref)
    own = owns_case(actor, stored, uow)
    summary, reception, conversation = (
        _reads(actor, d, own=own) for d in ("case_summary", "reception", "conversation")
    )
    if not (reception or conversation):
        raise PermissionDeniedError(
            f"{actor.name} ({', '.join(actor.roles) or 'no role'}) may not export this case's "
            "personal data"
        )
    content = _Content()
    case = stored.case
    if summary:
        content.json(
            "case.json",
            {
                "case_code": case.case_code,
                "language": case.language,
                "channel": case.channel,
                "status": case.status.value,
                "created_at": case.created_at.isoformat(),
                "timeline": [
                    {"at": e.at.isoformat(), "transition": e.transition, "by": e.actor}
                    for e in case.events
                ],
            },
        )
    if reception:
        arrival = uow.arrivals.get_for_case(stored.id)
        if arrival is not None:
            a = arrival.arrival
            content.json(
                "arrival.json",
                {
                    "at": a.at.isoformat(),
                    "place": a.place,
                    "escorts": list(a.escorts),
                    "people": a.people,
                    "health": str(a.health),
                    "medical_priority": a.medical_priority,
                    "effects_kept": list(a.effects_kept),
                    "recorded_by": arrival.recorded_by,
                },
            )
        receipts = uow.receipts.for_case(stored.id)
        content.json(
            "receipts.json",
            [
                {
                    "number": r.receipt.number,
                    "issued_on": r.receipt.issued_on.isoformat(),
                    "place": r.receipt.place,
                    "prisoner_name": r.receipt.prisoner_name,
                    "items": [
                        {
                            "description": i.description,
                            "amount": str(i.amount),
                            "currency": i.currency,
                        }
                        for i in r.receipt.items
                    ],
                    "issued_by": r.issued_by,
                }
                for r in receipts
            ],
        )
    messages = getattr(uow, "messages", None)  # revision 0010 (case messages)
    if conversation and messages is not None:
        listed = []
        for message in messages.list_for_case(stored.id):
            entry: dict[str, Any] = {
                "id": message.id,
                "at": message.at.isoformat(),
                "author": message.author,
                "direction": message.direction,
                "text": message.text,
                "attachment_name": message.attachment_name,
                "attachment_type": message.attachment_type,
                "attachment_file": None,
            }
            if message.attachment is not None:
                entry["attachment_file"] = _attachment(ports, content, message, blur)
            listed.append(entry)
        content.json("messages.json", listed)
    return f"case:{stored.id}", content


def _attachment(ports: ExportPorts, content: _Content, message: Any, blur: bool) -> str | None:
    """Add one message's attachment (a picture protected unless ``blur`` is off); its name
    in the archive, or None when it was left out."""
    media_type = (message.attachment_type or "application/octet-stream").lower()
    data: bytes = message.attachment
    extension = ".bin"
    if media_type.startswith("image/"):
        content.pictures += 1
        if blur:
            if ports.images is None:
                raise InvalidValueError(
                    "pictures cannot be blurred here (the vision extra is missing)",
                    field="attachment",
                )
            try:
                data = ports.images.protect(data, media_type)
            except BadFileError as error:
                content.omitted.append({"message": str(message.id), "why": str(error)})
                return None
            extension = ports.images.extension(media_type)
        else:
            # The type is the sender's words: only letters and digits reach the file's name
            # (a "/" or ".." would make an entry that unpacks outside its folder).
            subtype = media_type.split("/", 1)[1].split(";")[0]
            kept = "".join(c for c in subtype if c.isascii() and c.isalnum())[:8]
            extension = "." + (kept or "bin")
    name = f"attachments/{message.id}{extension}"
    content.files.append((name, data))
    return name


def _prisoner_parts(
    ports: ExportPorts, uow: CustodyUnitOfWork, number: str, actor: Actor, langs: Sequence[str]
) -> tuple[str, _Content]:
    if not (_reads(actor, "identity", own=True) and _reads(actor, "pow_documents", own=True)):
        raise PermissionDeniedError(
            f"{actor.name} ({', '.join(actor.roles) or 'no role'}) may not export prisoners"
        )
    prisoner = uow.prisoners.get(_canonical(ports.series, number))
    if prisoner is None:
        raise NotFoundError("there is no such prisoner", field="prisoner_number")
    registration = prisoner.registration
    content = _Content()
    content.json("registration.json", registration_to_json(registration))
    with tempfile.TemporaryDirectory(prefix="safeconduct-export-") as folder:
        card = Path(folder) / "capture-card.pdf"
        ports.documents.render_capture_card(
            registration, _langs(langs, registration.language), card
        )
        content.files.append(("capture-card.pdf", card.read_bytes()))
    events = uow.prisoners.events(prisoner_number=registration.prisoner_number)
    content.json(
        "events.json",
        [
            {
                "event": str(e.event),
                "occurred_on": e.occurred_on.isoformat(),
                "place": e.place,
                "details": e.details,
                "from_status": str(e.from_status),
                "to_status": str(e.to_status),
                "recorded_by": e.recorded_by,
            }
            for e in events
        ],
    )
    return f"prisoner:{prisoner.id}", content


# ----------------------------------------------------------------- use cases


def export_case(
    ports: ExportPorts,
    case: int | str,
    *,
    password: str,
    purpose: str,
    actor: Actor,
    expires_days: int = DEFAULT_EXPIRES_DAYS,
    blur: bool = True,
    reason: str | None = None,
) -> Export:
    """Export what the actor's roles read of a case (its store id, or its code).

    Parameters
    ----------
    password
        The archive's password (at least :data:`MIN_PASSWORD` characters), kept nowhere.
    purpose
        Why it is exported: in the manifest and the audit trail.
    expires_days
        How long the recipient may keep it (1 to :data:`MAX_EXPIRES_DAYS`).
    blur
        Blur faces in pictures (the default); off only for a registrar, with ``reason``.

    Raises
    ------
    InvalidValueError
        ``field="password"``, ``"purpose"``, ``"expires_days"``, ``"reason"``.
    PermissionDeniedError
        The actor reads none of the case's personal data, or may not export unblurred.
    NotFoundError
        No such case. Nothing is audited, nothing exported.
    """
    why, unblurred = _check_request(
        actor, password=password, purpose=purpose, expires_days=expires_days, blur=blur,
        reason=reason,
    )  # fmt: skip
    return _export(
        ports,
        lambda uow: _case_parts(ports, uow, case, actor, blur),
        password=password,
        purpose=why,
        reason=unblurred,
        actor=actor,
        expires_days=expires_days,
    )


def export_prisoner(
    ports: ExportPorts,
    number: str,
    *,
    password: str,
    purpose: str,
    actor: Actor,
    expires_days: int = DEFAULT_EXPIRES_DAYS,
    blur: bool = True,
    reason: str | None = None,
    langs: Sequence[str] = ("en",),
) -> Export:
    """Export a prisoner's registration, capture card (in his language and ``langs``) and
    Information Bureau events: ``identity`` and ``pow_documents`` read (a registrar).

    Parameters and errors as :func:`export_case` (``NotFoundError`` with
    ``field="prisoner_number"``).
    """
    why, unblurred = _check_request(
        actor, password=password, purpose=purpose, expires_days=expires_days, blur=blur,
        reason=reason,
    )  # fmt: skip
    return _export(
        ports,
        lambda uow: _prisoner_parts(ports, uow, number, actor, langs),
        password=password,
        purpose=why,
        reason=unblurred,
        actor=actor,
        expires_days=expires_days,
    )


def _export(
    ports: ExportPorts,
    gather: Callable[[CustodyUnitOfWork], tuple[str, _Content]],
    *,
    password: str,
    purpose: str,
    reason: str | None,
    actor: Actor,
    expires_days: int,
) -> Export:
    at = ports.clock()
    export_id = secrets.token_hex(16)
    with ports.database.unit_of_work() as uow:
        record, content = gather(uow)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "id": export_id,
            "record": record,
            "exported_by": actor.name,
            "roles": sorted(str(getattr(r, "value", r)) for r in actor.roles) or ["console"],
            "exported_at": at.isoformat(),
            "purpose": purpose,
            "expires_at": (at + timedelta(days=expires_days)).isoformat(),
            "faces_blurred": reason is None,
            "unblurred_reason": reason,
            "pictures": content.pictures,
            "omitted": content.omitted,
            "files": [
                {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                for name, data in content.files
            ],
        }
        audit.record(uow, actor, "export", record, purpose=purpose, changed=manifest, at=at)
        if reason is not None:
            audit.record(uow, actor, "export_unblurred", record, purpose=reason, at=at)
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
        files = [("manifest.json", text.encode("utf-8")), *content.files]
        archive = ports.archives.build(files, password)
    return Export(id=export_id, record=record, archive=archive, manifest=manifest)


# ----------------------------------------------------------------- kept for download


def keep_export(ports: ExportPorts, export: Export) -> str:
    """Keep ``export`` in the exports folder for download until it expires; its id. The
    exports expired by now are deleted first (besides the scheduled purge)."""
    if ports.kept is None:
        raise RuntimeError("these export ports keep no exports")
    purge_expired_exports(ports)
    meta = {
        "id": export.id,
        "record": export.record,
        "exported_by": export.manifest["exported_by"],
        "exported_at": export.manifest["exported_at"],
        "expires_at": export.manifest["expires_at"],
    }
    ports.kept.keep(export.id, export.archive, meta)
    return export.id


def download_export(ports: ExportPorts, export_id: str, *, actor: Actor) -> bytes:
    """A kept export's archive, for whoever made it, before it expires; audited
    (``export_download``).

    Raises
    ------
    NotFoundError
        ``field="export"``: no such export, or it expired (it is then deleted).
    PermissionDeniedError
        Someone else made it.
    """
    kept = ports.kept
    meta = None if kept is None else kept.meta(export_id)
    if kept is None or meta is None:
        raise NotFoundError("there is no such export", field="export")
    if datetime.fromisoformat(meta["expires_at"]) <= ports.clock():
        kept.delete(export_id)
        raise NotFoundError("this export has expired and was deleted", field="export")
    if meta["exported_by"] != actor.name:
        raise PermissionDeniedError(f"{actor.name} may not download another user's export")
    archive = kept.archive(export_id)
    if archive is None:
        raise NotFoundError("there is no such export", field="export")
    with ports.database.unit_of_work() as uow:
        audit.record(uow, actor, "export_download", meta["record"], purpose=export_id)
    return archive


def purge_expired_exports(ports: ExportPorts, now: datetime | None = None) -> int:
    """Delete the kept exports expired at ``now`` (default: the clock), and those whose
    expiry cannot be read; how many were deleted. Safe to run again at any time."""
    if ports.kept is None:
        return 0
    moment = ports.clock() if now is None else now
    deleted = 0
    for export_id, expires_at in ports.kept.expiries():
        if expires_at is None or expires_at <= moment:
            with contextlib.suppress(NotFoundError):
                ports.kept.delete(export_id)
            deleted += 1
    return deleted
