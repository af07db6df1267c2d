"""Which fields of a record each role may read: the field-level policy, in one table.

:data:`FIELD_CLASSES` gives every field of every record the service answers (a JSON
response of the web API, a value a board page shows) the data class of
:mod:`safeconduct.casework.roles` it belongs to; whether a user reads a field is then
:func:`~safeconduct.casework.roles.can` of its class, with the user's roles (the union of
what each grants) and whether the case is theirs ("own"). :func:`visible` keeps exactly
those fields of a record. A field the table does not name is refused loudly (a
``ValueError``), so a new field cannot reach a user before it is classified here.

What comes of it (GUIDE §2, issue 13):

- the operator sees the conversation and the case summary (the case code) of their own
  cases, and the plans of any case, but nothing of reception or registration;
- the crew sees its own cases' summary, meeting point and window, and plan (the
  operation's geometry and times), never a name, a contact handle or a receipt;
- the reception team sees what arrival needs: its own cases' summary, meeting, plan and
  reception record (arrival, health, effects, receipts), never a registration;
- the registrar sees case summaries, reception records and the registration (identity and
  the prisoner-of-war documents);
- the auditor reads the audit trail and the administrator users, roles and keys, and
  neither reads personal content unless also given a content role.

Records the user may not read at all are refused before this (403/404, by the use cases);
this table decides the fields of the records they may read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from safeconduct.casework.roles import DATA_CLASSES, Role, can

#: The class of fields anyone may read, signed in or not: the answer of the health check,
#: a token issued to the one who signed in, an error's message.
PUBLIC = "public"
#: The class of fields that describe a record to the user who made it and to nobody else
#: (the use case answers only its maker): an export's id, expiry and file names.
MAKER = "maker"


def _kind(kind: str, data_class: str, fields: Iterable[str]) -> dict[tuple[str, str], str]:
    return {(kind, name): data_class for name in fields}


_CASE = ("id", "case_code", "printed_code", "language", "channel", "status")
_TIMES = ("created_at", "last_changed_at")
_REGISTRATION = (
    "surname",
    "first_names",
    "rank",
    "date_of_birth",
    "service_number",
    "prisoner_number",
    "fathers_first_name",
    "mothers_maiden_name",
    "place_of_birth",
    "power",
    "next_of_kin",
    "captured_on",
    "health",
    "language",
    "present_address",
)
_NIB = (
    "event",
    "occurred_on",
    "prisoner_number",
    "surname",
    "surname_latin",
    "first_names",
    "first_names_latin",
    "rank",
    "service_number",
    "date_of_birth",
    "place_of_birth",
    "power",
    "fathers_first_name",
    "mothers_maiden_name",
    "next_of_kin",
    "captured_on",
    "health",
    "place",
    "details",
)
_AREA = (
    "name",
    "bounds",
    "cell_size_m",
    "rows",
    "cols",
    "meeting_lat",
    "meeting_lon",
    "reception",
    "hazards",
    "observers",
    "launch_lat",
    "launch_lon",
    "synthetic",
)
_JOB = (
    "id",
    "operation_id",
    "status",
    "stage",
    "attempts",
    "error",
    "created_at",
    "started_at",
    "finished_at",
)

#: (record kind, field name) -> data class (a key of :data:`~.roles.DATA_CLASSES`,
#: :data:`PUBLIC` or :data:`MAKER`). Every field of every JSON answer and of every page's
#: record is here.
FIELD_CLASSES: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        # The service itself and signing in.
        **_kind("health", PUBLIC, ("status",)),
        **_kind("token", PUBLIC, ("access_token", "token_type", "expires_in")),
        **_kind("problem", PUBLIC, ("detail", "field")),
        # Cases: the case summary (code, language, status, timeline of team actions).
        **_kind("case", "case_summary", (*_CASE, *_TIMES, "allowed_transitions", "events")),
        **_kind("case_event", "case_summary", ("at", "actor", "transition")),
        **_kind("case_event", "case_summary", ("from_status", "to_status")),
        **_kind("case_page", "case_summary", ("items", "next")),
        **_kind("case_listed", "case_summary", (*_CASE, *_TIMES)),  # a page's item
        **_kind("case_change", "case_summary", ("id", "case_code", "printed_code")),
        **_kind("case_change", "case_summary", ("status", "at")),
        # Who works a case, and whom a planner may assign (team members' user names).
        **_kind("assignment", "case_summary", ("user", "role", "assigned_at", "assigned_by")),
        **_kind("team_member", "plan", ("name", "roles")),
        # Operations: the plan, and the meeting point and window agreed with the person.
        **_kind("operation", "plan", ("id", "case_id", "area", "reception", "plan_status")),
        **_kind("operation", "plan", ("artifacts", "events")),
        **_kind("operation", "meeting", ("meeting_lat", "meeting_lon")),
        **_kind("operation", "meeting", ("window_start", "window_end")),
        **_kind("operation_event", "plan", ("at", "actor", "kind", "text")),
        **_kind("plan_job", "plan", _JOB),
        **_kind("job_accepted", "plan", ("job_id", "status")),
        **_kind("area", "plan", _AREA),
        **_kind("bounds", "plan", ("west", "south", "east", "north")),
        # The live map of a leading (issue 15): positions, status, engaged, the crew's taps.
        **_kind("live_map", "live_positions", ("operation_id", "positions", "status")),
        **_kind("live_map", "live_positions", ("engaged", "taps", "updated_at")),
        **_kind("live_position", "live_positions", ("kind", "lat", "lon", "at", "source")),
        **_kind("live_position", "live_positions", ("label",)),
        **_kind("live_tap", "live_positions", ("id", "lat", "lon", "at")),
        # Reception: the arrival of a case's person and the receipts of what was taken.
        **_kind("arrival", "case_summary", ("case_id", "status")),
        **_kind("arrival", "reception", ("at", "place", "escorts", "people", "health")),
        **_kind("arrival", "reception", ("medical_priority", "effects_kept", "receipts")),
        **_kind("receipt", "reception", ("number", "items", "issued_on", "place")),
        **_kind("receipt", "reception", ("language", "prisoner_name")),
        **_kind("receipt", "identity", ("prisoner_number",)),
        **_kind("receipt_item", "reception", ("description", "amount", "currency")),
        # Registration: identity (Art. 17, Annex IV B) and the prisoner's status.
        **_kind("prisoner", "identity", ("id", *_REGISTRATION, "status")),
        **_kind("custody_event", "identity", ("prisoner_id", "prisoner_number")),
        **_kind("custody_event", "pow_documents", ("event", "occurred_on", "status")),
        **_kind("nib_notification", "pow_documents", _NIB),
        # A case's conversation with the person (its operator's): messages, attachments.
        **_kind("message", "conversation", ("id", "case_id", "at", "author", "direction")),
        **_kind("message", "conversation", ("text", "attachment_name", "attachment_type")),
        # Intake (issue 14): the operator's inbox (no words), a conversation, a reply queued.
        **_kind("intake_entry", "conversation", ("case_id", "channel", "status", "language")),
        **_kind("intake_entry", "conversation", ("flagged_reason", "operator", "last_in_at")),
        **_kind("intake_entry", "conversation", ("mine",)),
        **_kind("intake_conversation", "conversation", ("case_id", "channel", "status")),
        **_kind("intake_conversation", "conversation", ("flagged_reason", "language")),
        **_kind("intake_conversation", "conversation", ("operator", "summary", "messages")),
        **_kind("intake_conversation", "case_summary", ("case_code",)),
        **_kind("intake_conversation", "meeting", ("meeting",)),
        **_kind("intake_conversation", "conversation", ("media",)),
        **_kind("intake_media", "conversation", ("id", "kind", "media_type", "size")),
        **_kind("intake_media", "conversation", ("received_at",)),
        **_kind("intake_outgoing", "conversation", ("outbox_id", "channel", "text")),
        # An export, to whoever made it (its content is what their roles read, encrypted).
        **_kind("export", MAKER, ("id", "record", "expires_at", "faces_blurred", "files")),
        **_kind("export", MAKER, ("download",)),
    }
)

#: (record kind, field) -> the kind of the records a field holds (a list of them, or one).
NESTED: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("case", "events"): "case_event",
        ("case_page", "items"): "case_listed",
        ("operation", "events"): "operation_event",
        ("area", "bounds"): "bounds",
        ("live_map", "positions"): "live_position",
        ("live_map", "taps"): "live_tap",
        ("receipt", "items"): "receipt_item",
        ("intake_conversation", "messages"): "message",
        ("intake_conversation", "media"): "intake_media",
    }
)

#: Every record kind of the table.
KINDS: frozenset[str] = frozenset(kind for kind, _ in FIELD_CLASSES)


def _check_table() -> None:
    for (kind, name), data_class in FIELD_CLASSES.items():
        if data_class not in (PUBLIC, MAKER) and data_class not in DATA_CLASSES:
            raise AssertionError(f"{kind}.{name}: unknown data class {data_class!r}")
    for (kind, name), inner in NESTED.items():
        if (kind, name) not in FIELD_CLASSES or inner not in KINDS:
            raise AssertionError(f"{kind}.{name}: nested kind {inner!r} not in the table")


_check_table()


def field_class(kind: str, name: str) -> str:
    """The data class of field ``name`` of a ``kind`` record.

    Raises
    ------
    ValueError
        The table does not name the field: a mistake in the code (a field added to an
        answer and not classified here), refused so that tests catch it.
    """
    try:
        return FIELD_CLASSES[(kind, name)]
    except KeyError:
        raise ValueError(
            f"field {name!r} of {kind!r} records has no data class in "
            "safeconduct.casework.visibility.FIELD_CLASSES"
        ) from None


def may_read(kind: str, name: str, roles: Iterable[Role], *, own: bool) -> bool:
    """Whether a user holding ``roles`` reads field ``name`` of a ``kind`` record.

    Parameters
    ----------
    own
        Whether the record's case is assigned to the user (or opened by them).
    """
    data_class = field_class(kind, name)
    return data_class in (PUBLIC, MAKER) or can(roles, "read", data_class, own=own)


def readable_fields(kind: str, roles: Iterable[Role], *, own: bool) -> frozenset[str]:
    """The fields of a ``kind`` record a user holding ``roles`` reads."""
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    held = tuple(roles)
    return frozenset(
        name for (k, name) in FIELD_CLASSES if k == kind and may_read(k, name, held, own=own)
    )


def visible(
    kind: str, record: Mapping[str, Any], roles: Iterable[Role], *, own: bool
) -> dict[str, Any]:
    """``record`` (a ``kind`` record as a JSON-like mapping) with only the fields a user
    holding ``roles`` reads; nested records (:data:`NESTED`) are filtered the same way.

    Raises
    ------
    ValueError
        A field of ``record`` is not in :data:`FIELD_CLASSES`.
    """
    held = tuple(roles)
    shown: dict[str, Any] = {}
    for name, value in record.items():
        if not may_read(kind, name, held, own=own):
            continue
        inner = NESTED.get((kind, name))
        if inner is not None and isinstance(value, Mapping):
            value = visible(inner, value, held, own=own)
        elif inner is not None and isinstance(value, list):
            value = [
                visible(inner, item, held, own=own) if isinstance(item, Mapping) else item
                for item in value
            ]
        shown[name] = value
    return shown
