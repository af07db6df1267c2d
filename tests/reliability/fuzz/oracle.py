"""The fuzzing's leak oracle: which field names of a JSON answer each role may receive.

Written from GUIDE §2 as two explicit tables, on purpose independent of the code under
test (``casework/visibility.py`` and ``casework/roles.py``):

- :data:`GRANTS`: role -> data class -> grant ("R", "W", "R own", "W own"), the GUIDE's
  "who sees what" table;
- :data:`RECORDS`: the records the API answers, each field -> its data class (or a nested
  record), and :data:`ANSWERS`: which record each operation's success answers with.

A field the tables do not name fails the check too: a new field must be classified here
(and in the policy) before a user gets it. "Own" is read from the database as the GUIDE
defines it (the case was opened by the user, or is assigned to them), at the time of the
answer, since the fuzzer itself assigns and unassigns.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

#: GUIDE §2, "Who sees what", row by row (W includes R; "own": cases assigned or opened).
GRANTS: dict[str, dict[str, str]] = {
    "operator": {"conversation": "W own", "case_summary": "W own", "meeting": "W own", "plan": "R"},
    "planner": {"case_summary": "R", "meeting": "W", "plan": "W", "live_positions": "R"},
    "crew": {
        "case_summary": "R own",
        "meeting": "R own",
        "plan": "R own",
        "live_positions": "W own",
    },
    "reception": {
        "case_summary": "R own",
        "meeting": "R own",
        "plan": "R own",
        "live_positions": "R own",
        "reception": "W own",
    },
    "registrar": {"case_summary": "R", "reception": "R", "identity": "W", "pow_documents": "W"},
    "auditor": {"audit": "R"},
    "admin": {"administration": "W"},
}

#: Fields anyone who got the answer may read (a token, the health check, an error).
PUBLIC = "public"
#: An export described to whoever made it (its content is encrypted in the archive).
MAKER = "maker"

_CASE = dict.fromkeys(
    (
        "id",
        "case_code",
        "printed_code",
        "language",
        "channel",
        "status",
        "created_at",
        "last_changed_at",
        "allowed_transitions",
    ),
    "case_summary",
)
_REGISTRATION = (
    "id",
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
    "status",
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
_MESSAGE = dict.fromkeys(
    ("id", "case_id", "at", "author", "direction", "text", "attachment_name", "attachment_type"),
    "conversation",
)
_POSITION = dict.fromkeys(("kind", "lat", "lon", "at", "source", "label"), "live_positions")

#: Record -> field -> data class, or ("record", name) for a nested record (or a list of them).
RECORDS: dict[str, dict[str, Any]] = {
    "health": {"status": PUBLIC},
    "token": {"access_token": PUBLIC, "token_type": PUBLIC, "expires_in": PUBLIC},
    "problem": {"detail": PUBLIC, "field": PUBLIC},
    "case": {**_CASE, "events": ("record", "case_event")},
    "case_event": dict.fromkeys(
        ("at", "actor", "transition", "from_status", "to_status"), "case_summary"
    ),
    "case_page": {"items": ("record", "case_listed"), "next": "case_summary"},
    "case_listed": {k: v for k, v in _CASE.items() if k != "allowed_transitions"},
    "operation": {
        **dict.fromkeys(("id", "case_id", "area", "reception", "plan_status", "artifacts"), "plan"),
        "events": ("record", "operation_event"),
        **dict.fromkeys(("meeting_lat", "meeting_lon", "window_start", "window_end"), "meeting"),
    },
    "operation_event": dict.fromkeys(("at", "actor", "kind", "text"), "plan"),
    "job": dict.fromkeys(
        (
            "id",
            "operation_id",
            "status",
            "stage",
            "attempts",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ),
        "plan",
    ),
    "job_accepted": {"job_id": "plan", "status": "plan"},
    "area": {
        **dict.fromkeys(
            (
                "name",
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
            ),
            "plan",
        ),
        "bounds": ("record", "bounds"),
    },
    "bounds": dict.fromkeys(("west", "south", "east", "north"), "plan"),
    "assignment": dict.fromkeys(("user", "role", "assigned_at", "assigned_by"), "case_summary"),
    "team_member": {"name": "plan", "roles": "plan"},
    "arrival": {
        "case_id": "case_summary",
        "status": "case_summary",
        **dict.fromkeys(
            ("at", "place", "escorts", "people", "health", "medical_priority", "effects_kept"),
            "reception",
        ),
        "receipts": ("record", "receipt"),
    },
    "receipt": {
        **dict.fromkeys(("number", "issued_on", "place", "language", "prisoner_name"), "reception"),
        "items": ("record", "receipt_item"),
        "prisoner_number": "identity",
    },
    "receipt_item": dict.fromkeys(("description", "amount", "currency"), "reception"),
    "prisoner": dict.fromkeys(_REGISTRATION, "identity"),
    "custody_event": {
        "prisoner_id": "identity",
        "prisoner_number": "identity",
        "event": "pow_documents",
        "occurred_on": "pow_documents",
        "status": "pow_documents",
    },
    "nib": dict.fromkeys(_NIB, "pow_documents"),
    "message": _MESSAGE,
    "inbox_entry": dict.fromkeys(
        (
            "case_id",
            "channel",
            "status",
            "language",
            "flagged_reason",
            "operator",
            "last_in_at",
            "mine",
        ),
        "conversation",
    ),
    "conversation": {
        **dict.fromkeys(
            ("case_id", "channel", "status", "flagged_reason", "language", "operator", "summary"),
            "conversation",
        ),
        "messages": ("record", "message"),
        "media": ("record", "media"),
        "case_code": "case_summary",
        "meeting": "meeting",
    },
    "media": dict.fromkeys(("id", "kind", "media_type", "size", "received_at"), "conversation"),
    "outgoing": dict.fromkeys(("outbox_id", "channel", "text"), "conversation"),
    "live": {
        **dict.fromkeys(("operation_id", "status", "engaged", "updated_at"), "live_positions"),
        "positions": ("record", "position"),
        "taps": ("record", "tap"),
    },
    "position": _POSITION,
    "tap": dict.fromkeys(("id", "lat", "lon", "at"), "live_positions"),
    "export": dict.fromkeys(
        ("id", "record", "expires_at", "faces_blurred", "files", "download"), MAKER
    ),
}

#: (method, path) -> the record (or list of records) a 2xx JSON answer holds.
ANSWERS: dict[tuple[str, str], str] = {
    ("GET", "/api/health"): "health",
    ("POST", "/api/auth/token"): "token",
    ("POST", "/api/cases"): "case",
    ("GET", "/api/cases"): "case_page",
    ("GET", "/api/cases/{case_id}"): "case",
    ("POST", "/api/cases/{case_id}/transitions"): "case",
    ("POST", "/api/cases/{case_id}/operation"): "operation",
    ("GET", "/api/cases/{case_id}/operation"): "operation",
    ("GET", "/api/operations/{operation_id}"): "operation",
    ("POST", "/api/operations/{operation_id}/plan"): "job_accepted",
    ("GET", "/api/jobs/{job_id}"): "job",
    ("GET", "/api/areas"): "area",
    ("POST", "/api/areas"): "area",
    ("GET", "/api/areas/{area}"): "area",
    ("GET", "/api/cases/{case_id}/assignments"): "assignment",
    ("POST", "/api/cases/{case_id}/assignments"): "assignment",
    ("DELETE", "/api/cases/{case_id}/assignments/{role}/{user}"): "assignment",
    ("GET", "/api/team"): "team_member",
    ("POST", "/api/cases/{case_id}/arrival"): "arrival",
    ("POST", "/api/custody/receipts"): "receipt",
    ("GET", "/api/custody/prisoners"): "prisoner",
    ("POST", "/api/custody/prisoners"): "prisoner",
    ("GET", "/api/custody/prisoners/{prisoner_id}"): "prisoner",
    ("POST", "/api/custody/prisoners/{prisoner_id}/events"): "custody_event",
    ("GET", "/api/custody/nib/notifications.json"): "nib",
    ("GET", "/api/cases/{case_id}/messages"): "message",
    ("POST", "/api/cases/{case_id}/messages"): "message",
    ("DELETE", "/api/cases/{case_id}/messages/{message_id}/attachment"): "message",
    ("POST", "/api/exports"): "export",
    ("GET", "/api/intake/inbox"): "inbox_entry",
    ("GET", "/api/intake/conversations/{case_id}"): "conversation",
    ("POST", "/api/intake/conversations/{case_id}/takeover"): "inbox_entry",
    ("POST", "/api/intake/conversations/{case_id}/replies"): "outgoing",
    ("POST", "/api/intake/conversations/{case_id}/meeting"): "outgoing",
    ("POST", "/api/intake/conversations/{case_id}/media/{media_id}/keep"): "message",
    ("POST", "/api/intake/conversations/{case_id}/media/{media_id}/discard"): "media",
    ("POST", "/api/operations/{operation_id}/live/positions"): "live",
    ("GET", "/api/operations/{operation_id}/live"): "live",
    ("POST", "/api/operations/{operation_id}/live/taps"): "tap",
    ("POST", "/api/operations/{operation_id}/live/engage"): "live",
    ("POST", "/api/operations/{operation_id}/live/disengage"): "live",
}


def may_read(roles: tuple[str, ...], data_class: str, *, own: bool) -> bool:
    """Whether a user holding ``roles`` may receive a field of ``data_class`` (GUIDE §2)."""
    if data_class in (PUBLIC, MAKER):
        return True
    for role in roles:
        grant = GRANTS[role].get(data_class)
        if grant is not None and (own or not grant.endswith("own")):
            return True
    return False


def leaks(
    record: str, value: Any, roles: tuple[str, ...], *, own: bool, where: str = ""
) -> list[str]:
    """The fields of ``value`` (a ``record``, or a list of them) the roles may not receive,
    or that the tables do not name, as ``path: why`` lines."""
    if isinstance(value, list):
        return [
            line
            for i, item in enumerate(value)
            for line in leaks(record, item, roles, own=own, where=f"{where}[{i}]")
        ]
    if not isinstance(value, dict):
        return []
    found = []
    table = RECORDS[record]
    for name, inner in value.items():
        path = f"{where}.{name}"
        data_class = table.get(name)
        if data_class is None:
            found.append(f"{path}: a field of {record!r} not classified in the oracle")
        elif isinstance(data_class, tuple):
            found.extend(leaks(data_class[1], inner, roles, own=own, where=path))
        elif not may_read(roles, data_class, own=own):
            found.append(f"{path}: {data_class} ({'own' if own else 'not own'} case)")
    return found


def owns(engine: sa.Engine, user: str, case_id: Any) -> bool:
    """Whether ``case_id`` is ``user``'s own case: opened by them, assigned to them, or
    (an operator) its conversation with the bot taken over by them."""
    try:
        case = int(case_id)
    except (TypeError, ValueError):
        return False
    with engine.connect() as connection:
        opened = connection.execute(
            sa.text("SELECT opened_by FROM cases WHERE id = :c"), {"c": case}
        ).scalar()
        if opened is not None and opened == user:
            return True
        assigned = connection.execute(
            sa.text("SELECT 1 FROM case_assignments WHERE case_id = :c AND user_name = :u"),
            {"c": case, "u": user},
        ).first()
        # An operator who took over a person's conversation with the bot works that case.
        taken = connection.execute(
            sa.text("SELECT 1 FROM intake_conversations WHERE case_id = :c AND operator = :u"),
            {"c": case, "u": user},
        ).first()
    return assigned is not None or taken is not None


def case_of(engine: sa.Engine, path: dict[str, Any], body: Any) -> Any:
    """The case a request concerns: its path's case, its operation's or job's, or its
    answer's ``case_id``; None when it concerns no one case."""
    if "case_id" in path:
        return path["case_id"]
    queries = {
        "operation_id": "SELECT case_id FROM operations WHERE id = :i",
        "job_id": "SELECT o.case_id FROM plan_jobs j JOIN operations o "
        "ON o.id = j.operation_id WHERE j.id = :i",
    }
    for name, query in queries.items():
        if name in path:
            try:
                key = int(path[name])
            except (TypeError, ValueError):
                return None
            with engine.connect() as connection:
                return connection.execute(sa.text(query), {"i": key}).scalar()
    if isinstance(body, dict):
        return body.get("case_id")
    return None
