"""Upgrades: a database made and filled by an older release comes up to the newest revision
with its data intact and readable through today's services, on SQLite and PostgreSQL.

There is no older release's code to run, so each test builds the older database itself:
the revisions up to that release (``upgrade(engine, revision)``), then rows written with
SQL in that revision's own table shapes (what that release's store wrote: a case code in
the clear before 0012, a custody arrival sealed under a case key before the case code
was, and so on). Sealed values are made with the key file's cipher and the bindings each
adapter documents (table, column, row id, owner of the data key). Then the database is
upgraded to the newest revision with the key file, as ``serve`` does at start, and read:
the users sign in with their old passwords and old tokens, cases, timelines, operations,
plan jobs, assignments, messages, custody records and intake conversations read back as
written, no row of any table went missing, the audit chain still verifies, and new writes
(a case, a transition, a message) still work and extend the chain.

``tests/store/test_migrations.py`` checks each revision's own change one step at a time
(0005's back-fill, 0012's sealing); this file checks whole upgrade paths, from every
revision that can hold data (the previous release, 0013, first) to the newest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from safeconduct.adapters.store.migrate import current_revision, head_revision, upgrade
from safeconduct.adapters.store.sealing import case_code_index
from safeconduct.adapters.store.unit_of_work import SqlCaseworkDatabase
from safeconduct.audit.chain import GENESIS, AuditEntry, chain
from safeconduct.casework.roles import Role
from safeconduct.custody.record import Registration, registration_to_json
from safeconduct.errors import BadFileError
from safeconduct.note.casecode import format_case_code
from safeconduct.services import audit, custody
from safeconduct.services.audit import AuditPorts
from safeconduct.services.casework import (
    Actor,
    CaseworkPorts,
    actor_for_token,
    case_assignments,
    get_case,
    issue_token,
    list_cases,
    open_case,
    transition_case,
)
from safeconduct.services.custody import CustodyPorts
from safeconduct.services.messages import MessagesPorts, add_message, list_messages
from safeconduct.services.ports import WrappedDataKey
from tests.cli.conftest import Run, cli
from tests.conftest import TEST_CIPHER, TEST_KEY_FILE
from tests.store.conftest import FAST_PASSWORDS, Store
from tests.store.test_custody_store import registration

__all__ = ["cli"]  # the command-line tests' runner, a fixture here too

#: Every revision that can hold data, newest first: 0013 is the previous release (the
#: revision before the head); the older ones are the upgrade paths a field install that
#: skipped releases takes.
ERAS = (
    "0013",
    "0012",
    "0011",
    "0010",
    "0009",
    "0008",
    "0007",
    "0006",
    "0005",
    "0004",
    "0003",
    "0002",
    "0001",
)

PASSWORD = "an old but long password"
TOKEN = "era-token-0123456789abcdef"
OPENED = datetime(2025, 3, 1, 8, 30, 0, 250, tzinfo=UTC)
NOW = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)  # the tests' "now": the token is still valid
PLANNER = Actor("petro", (Role.PLANNER,))
OPERATOR = Actor("anna", (Role.OPERATOR,))
REGISTRAR = Actor("rita", (Role.REGISTRAR,))
USERS = {
    "anna": ("operator",),
    "petro": ("planner",),
    "kyrylo": ("crew",),
    "rita": ("registrar",),
    "olga": ("operator", "reception"),
}
# Case A (planned, with everything) and case B (new): valid codes (check symbol included).
CODES = ("RKDFD7T4", "A529JKAW")
EVENTS = (  # case A's timeline: (minutes after the opening, transition, from, to)
    (30, "schedule", "contacted", "scheduled"),
    (90, "plan", "scheduled", "planned"),
)
MESSAGES = ("Я біля старого млина, нас двоє", "Фото місця")
ATTACHMENT = ("млин.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 not a real jpeg")
SENDER = "@pavlo_kovalenko_1999"
RUN = {"step": "language"}  # where the chat flow stood
ARTIFACTS = ("briefing.pdf", "mission/sortie-1.plan")
ARRIVAL = {"place": "Пункт приёма Ромашка", "effects_kept": ["ремень"]}


@dataclass
class Era:
    """What an older release wrote, and what today's code must read back."""

    revision: str
    backend: str
    case_ids: list[int] = field(default_factory=list)
    operation_id: int | None = None
    job_id: int | None = None
    message_ids: list[int] = field(default_factory=list)
    prisoner_number: str | None = None
    audit_entries: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """The revision as a number (0013 -> 13)."""
        return int(self.revision)

    def at(self, moment: datetime) -> datetime:
        """A time as the store keeps it: UTC without offset on SQLite."""
        return moment.replace(tzinfo=None) if self.backend == "sqlite" else moment


#: Tables whose rows get their id from the database (the others have natural keys).
_WITH_ID = {"users", "cases", "case_events", "operations", "plan_jobs", "prisoners",
            "case_messages", "arrivals"}  # fmt: skip


def _type(column: str) -> sa.types.TypeEngine[Any] | None:
    """The column's type where the driver needs it (times, JSON, bytes); by its name."""
    if column in ("at", "window_start", "window_end") or column.endswith("_at"):
        return sa.DateTime(timezone=True)
    if column in ("artifacts", "events", "escorts", "effects_kept", "registration"):
        return sa.JSON()
    if column.startswith("sealed_") or column == "wrapped_key":
        return sa.LargeBinary()
    return None


def _insert(connection: sa.Connection, table: str, **values: Any) -> Any:
    """Insert one row as the era's store did, ids from the database; its ``id``."""
    columns = [sa.column(name, _type(name)) for name in values]
    if table not in _WITH_ID:
        connection.execute(sa.table(table, *columns).insert().values(**values))
        return None
    clause = sa.table(table, *columns, *([] if "id" in values else [sa.column("id")]))
    return connection.execute(clause.insert().values(**values).returning(clause.c.id)).scalar()


def _key(connection: sa.Connection, era: Era, owner: str) -> WrappedDataKey:
    """A new data key of ``owner``, kept wrapped as revision 0009 on keeps them."""
    key = TEST_CIPHER.new_data_key(owner)
    _insert(connection, "data_keys", id=key.id, owner=key.owner, wrapped_key=key.wrapped,
            master_key_id=key.master_key_id, created_at=era.at(OPENED))  # fmt: skip
    return key


def _owner_key(connection: sa.Connection, era: Era, owner: str) -> WrappedDataKey:
    """The live data key of ``owner``, made when it has none yet (as the store does)."""
    row = connection.execute(
        sa.text("SELECT id, wrapped_key, master_key_id FROM data_keys WHERE owner = :o"),
        {"o": owner},
    ).first()
    if row is None:
        return _key(connection, era, owner)
    return WrappedDataKey(id=row[0], owner=owner, wrapped=bytes(row[1]), master_key_id=row[2])


def _seal_json(value: Any, *, table: str, column: str, row: int, key: WrappedDataKey) -> bytes:
    """``value`` sealed as :class:`~safeconduct.adapters.store.sealing.Sealer` seals it."""
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return TEST_CIPHER.encrypt(plain, table=table, column=column, row=str(row), key=key)


def _registration(number: str) -> Registration:
    return registration(captured_on=date(2025, 3, 1), prisoner_number=number)


def _fill(engine: sa.Engine, era: Era) -> None:
    """Write, with SQL in revision ``era.revision``'s table shapes, what that release kept."""
    with engine.begin() as c:
        _fill_users(c, era)
        if era.n >= 2:
            _fill_cases(c, era)
        if era.n >= 4:
            _fill_operation(c, era)
        if era.n >= 6:
            _insert(c, "case_assignments", case_id=era.case_ids[0], user_name="kyrylo",
                    role="crew", assigned_at=era.at(OPENED), assigned_by="petro")  # fmt: skip
        if era.n >= 8:
            _fill_audit(c, era)
        if era.n >= 9:
            _fill_prisoner(c, era)
        if era.n >= 10:
            _fill_messages(c, era)
        if era.n >= 11:
            # Case A's arrival, sealed under the case's key: before 0012 that key was made
            # by the arrival (0012 then seals the code under a second key of the case).
            key = _owner_key(c, era, f"case:{era.case_ids[0]}")
            arrival_id = _insert(c, "arrivals", case_id=era.case_ids[0], at=era.at(NOW),
                                 escorts=["olga"], people=2, health="slightly_wounded",
                                 medical_priority=False, data_key_id=key.id, sealed_arrival=b"",
                                 recorded_at=era.at(NOW), recorded_by="olga")  # fmt: skip
            sealed = _seal_json(ARRIVAL, table="arrivals", column="arrival", row=arrival_id,
                                key=key)  # fmt: skip
            c.execute(
                sa.text("UPDATE arrivals SET sealed_arrival = :s WHERE id = :i"),
                {"s": sealed, "i": arrival_id},
            )
        if era.n >= 13:
            # Case B came in by chat: its conversation sealed under case B's key.
            case_b = era.case_ids[1]
            key = _owner_key(c, era, f"case:{case_b}")

            def seal(value: Any, column: str) -> bytes:
                return _seal_json(value, table="intake_conversations", column=column,
                                  row=case_b, key=key)  # fmt: skip

            _insert(c, "intake_conversations", case_id=case_b, channel="telegram",
                    sender_index=TEST_CIPHER.blind_index("chat_sender", f"telegram:{SENDER}"),
                    data_key_id=key.id, sealed_sender=seal(SENDER, "sender"),
                    sealed_run=seal(RUN, "run"), status="waiting_operator",
                    created_at=era.at(OPENED))  # fmt: skip
    era.counts = _counts(engine)


def _fill_users(c: sa.Connection, era: Era) -> None:
    """0001: users and their roles (argon2 hashes, as every release made them)."""
    for name, held in USERS.items():
        user_id = _insert(c, "users", name=name, password_hash=FAST_PASSWORDS.hash(PASSWORD),
                          created_at=era.at(OPENED))  # fmt: skip
        for role in held:
            _insert(c, "user_roles", user_id=user_id, role=role)
        if era.n >= 3 and name == "anna":  # 0003: a bearer token, kept as its hash
            _insert(c, "api_tokens", token_hash=hashlib.sha256(TOKEN.encode()).hexdigest(),
                    user_id=user_id, created_at=era.at(OPENED),
                    expires_at=era.at(NOW + timedelta(days=1)))  # fmt: skip


def _fill_cases(c: sa.Connection, era: Era) -> None:
    """0002: cases and timelines; 0003: who opened them; 0005: their last change; 0012: the
    code sealed under the case's key and found by its blind index, no longer in the clear."""
    for i, code in enumerate(CODES):
        events = EVENTS if i == 0 else ()
        last = OPENED + timedelta(minutes=events[-1][0]) if events else OPENED
        values: dict[str, Any] = {"language": "uk", "channel": "hotline",
                                  "status": "planned" if events else "contacted",
                                  "created_at": era.at(OPENED)}  # fmt: skip
        if era.n >= 3:
            values["opened_by"] = "anna" if events else "console"
        if era.n >= 5:
            values["last_changed_at"] = era.at(last)
        if era.n >= 12:
            values.update(code_index=case_code_index(TEST_CIPHER, code), sealed_code=b"")
        else:
            values["case_code"] = code
        case_id = _insert(c, "cases", **values)
        era.case_ids.append(case_id)
        if era.n >= 12:
            key = _key(c, era, f"case:{case_id}")
            sealed = _seal_json(code, table="cases", column="case_code", row=case_id, key=key)
            c.execute(
                sa.text("UPDATE cases SET data_key_id = :k, sealed_code = :s WHERE id = :i"),
                {"k": key.id, "s": sealed, "i": case_id},
            )
        for minutes, transition, before, after in events:
            _insert(c, "case_events", case_id=case_id,
                    at=era.at(OPENED + timedelta(minutes=minutes)), actor="petro",
                    transition=transition, from_status=before, to_status=after)  # fmt: skip


def _fill_operation(c: sa.Connection, era: Era) -> None:
    """0004: case A's operation, its plan done (files and timeline as JSON), and its job."""
    at = OPENED + timedelta(minutes=60)
    timeline = [
        {"at": at.isoformat(), "actor": "petro", "kind": "plan_queued", "text": ""},
        {"at": (at + timedelta(minutes=3)).isoformat(), "actor": "worker", "kind": "plan_done",
         "text": "2 files"},
    ]  # fmt: skip
    era.operation_id = _insert(
        c, "operations", case_id=era.case_ids[0], area="sample", meeting_lat=48.5,
        meeting_lon=38.0, window_start=era.at(at + timedelta(hours=12)),
        window_end=era.at(at + timedelta(hours=14)), reception="team-1", plan_status="done",
        artifacts=list(ARTIFACTS), events=timeline, created_at=era.at(at),
        updated_at=era.at(at + timedelta(minutes=3)),
    )  # fmt: skip
    era.job_id = _insert(
        c, "plan_jobs", operation_id=era.operation_id, status="done", stage="note", attempts=1,
        requested_by="petro", created_at=era.at(at), started_at=era.at(at),
        finished_at=era.at(at + timedelta(minutes=3)),
    )  # fmt: skip


def _fill_audit(c: sa.Connection, era: Era) -> None:
    """0008: a few chained audit entries (the chain's form has not changed since)."""
    done = (("anna", "login", "user:anna"), ("petro", "case.read", f"case:{era.case_ids[0]}"),
            ("rita", "login", "user:rita"))  # fmt: skip
    entries = [
        AuditEntry(seq=i + 1, at=OPENED + timedelta(seconds=i), user=user, roles=USERS[user],
                   action=action, record=record)
        for i, (user, action, record) in enumerate(done)
    ]  # fmt: skip
    for stored in chain(entries, GENESIS):
        e = stored.entry
        _insert(c, "audit_entries", seq=e.seq, at=era.at(e.at), user_name=e.user,
                roles=",".join(e.roles), action=e.action, record=e.record, purpose=e.purpose,
                digest=e.digest, prev_hash=stored.prev_hash, hash=stored.hash)  # fmt: skip
    era.audit_entries = len(entries)


def _fill_prisoner(c: sa.Connection, era: Era) -> None:
    """0009: a registered prisoner, the number as its blind index and the registration
    sealed under the prisoner's own key; linked to case A, the number series counted on."""
    number = era.prisoner_number = "PW-000001"
    index = TEST_CIPHER.blind_index("prisoner_number", number)
    key = _key(c, era, f"prisoner:{index[:32]}")
    prisoner_id = _insert(c, "prisoners", number_index=index, data_key_id=key.id,
                          sealed_registration=b"", status="registered", language="ru",
                          registered_at=era.at(NOW), registered_by="rita",
                          updated_at=era.at(NOW))  # fmt: skip
    sealed = _seal_json(registration_to_json(_registration(number)), table="prisoners",
                        column="registration", row=prisoner_id, key=key)  # fmt: skip
    c.execute(
        sa.text("UPDATE prisoners SET sealed_registration = :s WHERE id = :i"),
        {"s": sealed, "i": prisoner_id},
    )
    _insert(c, "case_prisoners", case_id=era.case_ids[0], prisoner_id=prisoner_id)
    _insert(c, "number_series", name="prisoner_number:PW-", next_value=2)


def _fill_messages(c: sa.Connection, era: Era) -> None:
    """0010: case A's messages, each sealed under its own key (owner ``message:<id>``)."""
    for i, text in enumerate(MESSAGES):
        # The id names the key, so it is taken first, as the store does.
        message_id = c.execute(
            sa.text("SELECT coalesce(max(id), 0) + 1 FROM case_messages")
        ).scalar_one()
        key = _key(c, era, f"message:{message_id}")

        def seal(value: bytes, column: str, mid: int = message_id, k: Any = key) -> bytes:
            return TEST_CIPHER.encrypt(value, table="case_messages", column=column,
                                       row=str(mid), key=k)  # fmt: skip

        name, kind, data = ATTACHMENT if i == 1 else (None, None, None)
        _insert(c, "case_messages", id=message_id, case_id=era.case_ids[0],
                at=era.at(OPENED + timedelta(minutes=i)), author="anna", direction="in",
                data_key_id=key.id, sealed_text=seal(text.encode(), "text"),
                attachment_type=kind,
                sealed_attachment_name=None if name is None else seal(name.encode(),
                                                                      "attachment_name"),
                sealed_attachment=None if data is None else seal(data, "attachment"),
        )  # fmt: skip
        era.message_ids.append(message_id)
    if era.backend == "postgresql":  # ids given: the sequence goes past them, as nextval did
        c.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('case_messages', 'id'), "
                "(SELECT max(id) FROM case_messages))"
            )
        )


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        return {
            name: connection.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in sorted(names)
        }


@pytest.mark.parametrize("revision", ERAS)
def test_an_older_release_s_database_upgrades_with_its_data_intact(
    store: Store, revision: str
) -> None:
    engine = store.engine()
    upgrade(engine, revision)
    assert current_revision(engine) == revision
    era = Era(revision, store.backend)
    _fill(engine, era)

    upgrade(engine, cipher=lambda: TEST_CIPHER)  # as serve does at start, with the key file
    assert current_revision(engine) == head_revision()

    # No row of any table went missing; 0012 gave each case a key of its own.
    after = _counts(engine)
    new_keys = len(era.case_ids) if 2 <= era.n < 12 else 0
    for table, count in era.counts.items():
        expected = count + (new_keys if table == "data_keys" else 0)
        assert after[table] == expected, f"{table}: {count} rows before the upgrade, {after[table]}"

    database = SqlCaseworkDatabase(engine, cipher=TEST_CIPHER)
    ports = CaseworkPorts(database=database, passwords=FAST_PASSWORDS)

    # The users sign in with the passwords (hashes) of their release, roles kept.
    for name, held in USERS.items():
        issued = issue_token(ports, name, PASSWORD, now=NOW)
        assert sorted(map(str, issued.user.roles)) == sorted(held), name
        assert issued.user.created_at == OPENED
    if era.n >= 3:  # a token issued by the older release still signs its user in
        assert actor_for_token(ports, TOKEN, now=NOW).name == "anna"

    if era.n >= 2:
        _check_cases(ports, era)
    if era.n >= 4:
        _check_operation(database, era)
    if era.n >= 6:
        found = case_assignments(ports, CODES[0], actor=PLANNER)
        assert [(a.user, str(a.role)) for a in found] == [("kyrylo", "crew")]
    if era.n >= 9:
        cp = CustodyPorts(database=database, documents=None)  # type: ignore[arg-type]
        registration = custody.get_prisoner(cp, era.prisoner_number or "", actor=REGISTRAR)
        assert registration == _registration("PW-000001")
        with database.unit_of_work(read_only=True) as uow:
            assert uow.case_prisoners.prisoners_of(era.case_ids[0]) == ["PW-000001"]
    if era.n >= 10:
        mp = MessagesPorts(database=database)
        read = list_messages(mp, CODES[0], actor=OPERATOR, attachments=True)
        assert [m.text for m in read] == list(MESSAGES)
        assert (read[1].attachment_name, read[1].attachment_type, read[1].attachment) == ATTACHMENT
    if era.n >= 11:
        with database.unit_of_work(read_only=True) as uow:
            arrival = uow.arrivals.get_for_case(era.case_ids[0])
        assert arrival is not None
        assert arrival.arrival.place == ARRIVAL["place"]
        assert list(arrival.arrival.effects_kept) == ARRIVAL["effects_kept"]
    if era.n >= 13:
        with database.unit_of_work(read_only=True) as uow:
            conversation = uow.intake.get(era.case_ids[1])
            assert uow.intake.find_open("telegram", SENDER) == conversation
        assert conversation is not None
        assert (conversation.sender, conversation.run) == (SENDER, RUN)

    # The chain the older release wrote verifies, and today's writes extend it.
    audit_ports = AuditPorts(database=database)
    checked = audit.verify(audit_ports)
    assert checked.ok, checked
    if era.n >= 2:
        opened = open_case(ports, language="ru", actor=OPERATOR, now=NOW)
        assert opened.id not in era.case_ids
        transition_case(ports, opened.id, "schedule", actor=OPERATOR, now=NOW)
        if era.n >= 10:
            added = add_message(
                MessagesPorts(database=database), opened.id, text="нове", actor=OPERATOR, now=NOW
            )
            assert added.id not in era.message_ids
        again = audit.verify(audit_ports)
        assert again.ok, again
        with database.unit_of_work(read_only=True) as uow:
            assert uow.audit.count() > era.audit_entries


def _check_cases(ports: CaseworkPorts, era: Era) -> None:
    """Both cases read as written: codes (sealed by 0012 when older), timelines, owners."""
    case_a = get_case(ports, CODES[0], actor=PLANNER)
    case_b = get_case(ports, "a529-jkaw", actor=PLANNER)  # as typed
    assert (case_a.id, case_b.id) == tuple(era.case_ids)
    assert (case_a.case_code, str(case_a.status)) == (CODES[0], "planned")
    assert (case_b.case_code, str(case_b.status)) == (CODES[1], "contacted")
    assert [(e.transition, str(e.from_status), str(e.to_status)) for e in case_a.events] == [
        (t, before, after) for _, t, before, after in EVENTS
    ]
    assert [e.at for e in case_a.events] == [OPENED + timedelta(minutes=m) for m, *_ in EVENTS]
    assert case_a.created_at == OPENED
    # 0005 back-filled the last change from the timeline where the release had none.
    assert case_a.last_changed_at == OPENED + timedelta(minutes=EVENTS[-1][0])
    assert case_b.last_changed_at == OPENED
    # Before 0003 every case was opened at the console.
    assert (case_a.opened_by, case_b.opened_by) == (
        ("anna", "console") if era.n >= 3 else ("console", "console")
    )
    page = list_cases(ports, actor=PLANNER)
    assert [c.case_code for c in page.items] == [CODES[0], CODES[1]]  # newest change first


def _check_operation(database: SqlCaseworkDatabase, era: Era) -> None:
    assert era.operation_id is not None and era.job_id is not None
    with database.unit_of_work(read_only=True) as uow:
        stored = uow.operations.get_for_case(era.case_ids[0])
        job = uow.plan_jobs.get(era.job_id)
    assert stored is not None and stored.id == era.operation_id
    operation = stored.operation
    assert str(operation.plan_status) == "done"
    assert (operation.area, operation.reception) == ("sample", "team-1")
    assert operation.artifacts == ARTIFACTS
    assert [e.kind for e in operation.events] == ["plan_queued", "plan_done"]
    assert operation.window_end - operation.window_start == timedelta(hours=2)
    assert job is not None and (job.status, job.requested_by) == ("done", "petro")


#: The rows a revision cannot convert: what 0009 (registrations in the clear, 0007-0008)
#: and 0011 (an arrival's place and effects in the clear, 0009-0010) would have to seal.
_UNCONVERTIBLE = {
    "0008": ("prisoners", {"prisoner_number": "PW-000001", "registration": {}, "language": "ru",
                           "status": "registered", "registered_by": "rita"}),
    "0010": ("arrivals", {"place": "Ромашка", "effects_kept": [], "escorts": [], "people": 1,
                          "health": "good", "medical_priority": False, "recorded_by": "olga"}),
}  # fmt: skip


@pytest.mark.parametrize("revision", sorted(_UNCONVERTIBLE))
def test_an_upgrade_that_cannot_convert_old_rows_refuses_and_changes_nothing(
    store: Store, revision: str
) -> None:
    """A revision that would have to encrypt rows it cannot is refused with a message,
    and the whole upgrade is undone: the database stays at its revision with every row,
    the cases (which a table copy on SQLite could cascade away) included."""
    engine = store.engine()
    upgrade(engine, revision)
    era = Era(revision, store.backend)
    _fill(engine, era)
    table, row = _UNCONVERTIBLE[revision]
    with engine.begin() as connection:
        times = ("registered_at", "updated_at") if table == "prisoners" else ("at", "recorded_at")
        links = {"case_id": era.case_ids[0]} if table == "arrivals" else {}
        _insert(connection, table, **row, **links, **{t: era.at(NOW) for t in times})
    before = _counts(engine)
    with pytest.raises(BadFileError) as refused:
        upgrade(engine, cipher=lambda: TEST_CIPHER)
    assert refused.value.field == "db" and "this database holds" in str(refused.value)
    assert current_revision(engine) == revision
    assert _counts(engine) == before


def test_the_previous_release_is_the_revision_before_the_head() -> None:
    """ERAS starts at the previous release: when a revision is added, this fails until
    the era's data (a new table, a changed shape) is written by :func:`_fill`."""
    head = int(head_revision())
    assert ERAS[0] == f"{head - 1:04d}"
    assert sorted(ERAS, reverse=True) == list(ERAS) and len(ERAS) == head - 1


def test_a_command_given_the_key_file_upgrades_an_older_database_with_it(
    store: Store, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database of revision 0011 holding cases, opened by a command with ``--key-file``
    and no ``$SAFECONDUCT_KEY_FILE``: revision 0012 seals its case codes with that key
    file (it was refused, asking for the variable, though the key file was given)."""
    engine = store.engine()
    upgrade(engine, "0011")
    _fill(engine, Era("0011", store.backend))
    monkeypatch.delenv("SAFECONDUCT_KEY_FILE", raising=False)
    done = cli("cases", "list", *store.cli_args, "--key-file", str(TEST_KEY_FILE))
    assert done.code == 0, done.err
    assert all(format_case_code(code) in done.out for code in CODES), done.out
    assert current_revision(engine) == head_revision()
