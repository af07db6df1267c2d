"""The custody use cases: reception, registration, and the paperwork of GC III (GUIDE §4).

Each use case takes a :class:`CustodyPorts` bundle first and the acting user (``actor=``,
an :class:`~safeconduct.services.casework.Actor`) as a required keyword; it checks the
access table (:func:`safeconduct.casework.roles.can`) before it reads or writes, runs in one
unit of work (everything committed together or nothing), and announces a case it moved on
``ports.events`` after the commit, as :mod:`safeconduct.services.casework` does.

Who does what (GUIDE §2):

- the reception team (``reception`` write, on its own cases: those it is assigned to)
  records the arrival (:func:`record_arrival`; the case moves to ``in_custody``) and the
  money and valuables taken from the person of a case (:func:`issue_receipt`);
- the registrar (``identity`` and ``pow_documents`` write) registers prisoners, with or
  without a case (:func:`register_prisoner`; a case moves to ``registered``), records what
  happens to them later (:func:`record_custody_event`), issues receipts for registered
  prisoners, and writes the documents: capture card, receipt, evacuation list, the
  notifications to the National Information Bureau.

A prisoner registered from a case is linked to it only on the case side (the operation
record); nothing a prisoner's documents or exports hold names the case.

Prisoner and receipt numbers come from gap-free series (:mod:`safeconduct.custody.series`):
the number is taken inside the registering transaction, so a refused or rolled-back
registration gives it back, and two registrars at once never get the same one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from safeconduct.casework.status import allowed_transitions as case_transitions
from safeconduct.custody.arrival import Arrival
from safeconduct.custody.catalog import document_languages
from safeconduct.custody.effects import Receipt, ReceiptItem, check_items
from safeconduct.custody.evacuation import EvacuationEntry, EvacuationList
from safeconduct.custody.nib import EVENT_TRANSITIONS, NibEvent, NibNotification
from safeconduct.custody.record import Registration, check_registration
from safeconduct.custody.series import DEFAULT_SERIES, RECEIPT_SERIES, PrisonerSeries
from safeconduct.custody.status import INITIAL_STATUS, CustodyStatus, apply_transition
from safeconduct.errors import InvalidValueError, NotFoundError
from safeconduct.services import audit
from safeconduct.services.casework import (
    Actor,
    CaseInfo,
    announce_case,
    case_info,
    find_case,
    owns_case,
    require_right,
)
from safeconduct.services.ports import (
    CaseChanges,
    CustodyDatabase,
    CustodyDocuments,
    CustodyUnitOfWork,
    OutputFolders,
    StoredArrival,
    StoredCase,
    StoredCustodyEvent,
    StoredPrisoner,
    StoredReceipt,
)

#: The most characters of an event's place, and of its details.
MAX_PLACE = 200
MAX_DETAILS = 1000

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class CustodyPorts:
    """The edges custody reaches.

    Attributes
    ----------
    database
        The casework database (cases and prisoners, revision 0007 on).
    documents
        Writes the capture card, receipt, evacuation list and NIB files.
    series
        The prisoner numbers' series (``PW-000001``, ...).
    events
        Where committed case changes are announced (None: nowhere).
    receipt_series
        The receipt numbers' series (``R-000001``, ...).
    folders
        Makes the NIB export's folder when it is missing (None: it must exist).
    """

    database: CustodyDatabase
    documents: CustodyDocuments
    series: PrisonerSeries = DEFAULT_SERIES
    events: CaseChanges | None = None
    receipt_series: PrisonerSeries = RECEIPT_SERIES
    folders: OutputFolders | None = None


@dataclass(frozen=True)
class CustodyInfo:
    """A case's custody record as the reception team and the registrar see it.

    Attributes
    ----------
    case
        The case, with its new status and timeline.
    arrival
        The arrival recorded, or None.
    prisoners
        The prisoner numbers registered from the case, sorted.
    receipts
        The numbers of the receipts issued for the case's person, oldest first.
    """

    case: CaseInfo
    arrival: Arrival | None = None
    prisoners: tuple[str, ...] = ()
    receipts: tuple[str, ...] = ()


# ----------------------------------------------------------------- helpers


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now


def _latest_today(now: datetime) -> date:
    # The calendar date somewhere on Earth is at most 14 hours ahead of UTC (UTC+14): a
    # date after this one is in the future wherever the registrar stands, and a date that
    # is "today" at the front line is never refused because the server keeps UTC.
    return (now.astimezone(UTC) + timedelta(hours=14)).date()


def _announce(ports: CustodyPorts, info: CaseInfo) -> None:
    announce_case(ports.events, info)


def _custody_info(uow: CustodyUnitOfWork, stored: StoredCase) -> CustodyInfo:
    arrival = uow.arrivals.get_for_case(stored.id)
    return CustodyInfo(
        case=case_info(stored),
        arrival=None if arrival is None else arrival.arrival,
        prisoners=tuple(uow.case_prisoners.prisoners_of(stored.id)),
        receipts=tuple(r.receipt.number for r in uow.receipts.for_case(stored.id)),
    )


def _canonical(series: PrisonerSeries, number: str) -> str:
    """The number as stored (``" pw-42 "`` is refused; ``"pw-000042"`` -> ``"PW-000042"``)."""
    return series.number(series.index_of(number))


def _prisoner(uow: CustodyUnitOfWork, ports: CustodyPorts, number: str) -> StoredPrisoner:
    canonical = _canonical(ports.series, number)
    found = uow.prisoners.get(canonical)
    if found is None:
        raise NotFoundError(f"there is no prisoner {canonical}", field="prisoner_number")
    return found


def _is_prisoner_number(ports: CustodyPorts, ref: str) -> bool:
    try:
        ports.series.index_of(ref)
    except InvalidValueError:
        return False
    return True


def _langs(langs: Iterable[str], own: str) -> tuple[str, ...]:
    """The document's languages: the prisoner's own first, each with a catalogue."""
    if isinstance(langs, str):
        langs = [part for part in langs.split(",") if part.strip()]
    return tuple(document_languages(list(langs), own))


def _text(value: str | None, name: str, most: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValueError(f"{name} must be a text, not {value!r}", field=name)
    text = value.strip()
    if len(text) > most:
        raise InvalidValueError(f"{name} has {len(text)} characters; at most {most}", field=name)
    return text or None


# ----------------------------------------------------------------- reception


def record_arrival(
    ports: CustodyPorts,
    case: int | str,
    arrival: Arrival,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> CustodyInfo:
    """Record the arrival of the person led in; the case moves to ``in_custody``.

    A case still ``underway`` is first moved to ``arrived`` (both steps recorded at
    ``now``); an ``arrived`` one only taken into custody.

    Parameters
    ----------
    case
        The store's id (an int) or the case code (a str, as typed).
    arrival
        Time (aware), place, escorts, how many people, health and effects kept.
    actor
        The case's reception team (``reception`` write on its own cases), or the console.
    now
        When it is recorded (aware); by default the current time.

    Raises
    ------
    PermissionDeniedError
        The actor may not record arrivals, or not on this case.
    NotFoundError
        No such case.
    InvalidValueError
        ``field="transition"``: the case is not ``underway`` or ``arrived`` (the message
        names what is allowed); ``field="case"``: its arrival is recorded already.
    """
    if not isinstance(arrival, Arrival):
        raise InvalidValueError("not an arrival", field="arrival")
    require_right(actor, "write", ("reception",), own=True, what="record arrivals")
    at = _now(now)
    with ports.database.unit_of_work() as uow:
        stored = find_case(uow, case)
        own = owns_case(actor, stored, uow)
        require_right(actor, "write", ("reception",), own=own, what="record this case's arrival")
        moved = stored.case
        if moved.status == "underway":
            moved = moved.apply("arrive", at=at, actor=actor.name)
        moved = moved.apply("take_into_custody", at=at, actor=actor.name)
        uow.arrivals.add(
            StoredArrival(
                case_id=stored.id, arrival=arrival, recorded_at=at, recorded_by=actor.name
            )
        )
        info = _custody_info(uow, uow.cases.save(moved))
        audit.record(
            uow,
            actor,
            "arrival.record",
            f"case:{stored.id}",
            changed={"arrival": arrival, "status": moved.status.value},
            at=at,
        )
    _announce(ports, info.case)
    return info


def custody_of(ports: CustodyPorts, case: int | str, *, actor: Actor) -> CustodyInfo:
    """A case's custody record: its arrival, its prisoners' numbers, its receipts.

    Raises
    ------
    PermissionDeniedError
        The actor may read neither the case's reception data (its reception team, a
        registrar) nor its prisoners' identity (a registrar).
    NotFoundError
        No such case.
    """
    require_right(actor, "read", ("reception", "identity"), own=True, what="see custody records")
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = find_case(uow, case)
        own = owns_case(actor, stored, uow)
        require_right(
            actor, "read", ("reception", "identity"), own=own, what="see this case's custody"
        )
        found = _custody_info(uow, stored)
    audit.record_read(ports.database, actor, "custody.read", f"case:{stored.id}")
    return found


def issue_receipt(
    ports: CustodyPorts,
    case_or_prisoner: int | str,
    items: Iterable[ReceiptItem],
    *,
    actor: Actor,
    place: str | None = None,
    prisoner_name: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Receipt:
    """Record money and valuables taken, item by item, under the next receipt number
    (Art. 18); the numbers run without gaps in their own series (``R-000001``, ...).

    Parameters
    ----------
    case_or_prisoner
        A case (its store id as an int, or its code) before registration, or a prisoner
        number (of the prisoner series).
    items
        What was taken: at least one item, each with its amount and currency.
    actor
        For a case: its reception team (``reception`` write, own cases); for a prisoner:
        a registrar (``pow_documents`` write). The console may do both.
    place
        Where the receipt is issued; by default the case's reception point (its arrival)
        or the prisoner's present address.
    prisoner_name
        The name as the person gives it, for a case (default ``"not given"``); a
        registered prisoner's is taken from the registration.
    today
        The date of issue; by default today's.

    Raises
    ------
    InvalidValueError
        ``field="items"``: no items, or a bad one; ``field="place"``: no place known;
        ``field="prisoner_name"``: too long; ``field="prisoner_number"`` or
        ``"case_code"``: a reference that is neither.
    NotFoundError, PermissionDeniedError
        As usual. Nothing is written.
    """
    found = check_items(items)
    at = _now(now)
    issued_on = today or at.date()
    name = _text(prisoner_name, "prisoner_name", 410)
    place = _text(place, "place", MAX_PLACE)
    by_prisoner = isinstance(case_or_prisoner, str) and _is_prisoner_number(ports, case_or_prisoner)
    if by_prisoner:
        require_right(actor, "write", ("pow_documents",), own=True, what="issue receipts")
    else:
        require_right(actor, "write", ("reception",), own=True, what="issue receipts")
    with ports.database.unit_of_work() as uow:
        case_id: int | None = None
        if by_prisoner:
            assert isinstance(case_or_prisoner, str)
            prisoner = _prisoner(uow, ports, case_or_prisoner)
            subject = f"prisoner:{prisoner.id}"
            reg = prisoner.registration
            name = reg.display_name()
            language, number = reg.language, reg.prisoner_number
            if place is None:
                place = reg.present_address
            linked = uow.case_prisoners.case_of(prisoner.id) if place is None else None
            if linked is not None:
                arrival = uow.arrivals.get_for_case(linked)
                place = None if arrival is None else arrival.arrival.place
        else:
            stored = find_case(uow, case_or_prisoner)
            own = owns_case(actor, stored, uow)
            require_right(
                actor, "write", ("reception",), own=own, what="issue this case's receipts"
            )
            case_id, language, number = stored.id, stored.case.language, None
            subject = f"case:{stored.id}"
            if place is None:
                arrival = uow.arrivals.get_for_case(stored.id)
                place = None if arrival is None else arrival.arrival.place
        if place is None:
            raise InvalidValueError(
                "no place known for the receipt; give the place it is issued at", field="place"
            )
        series = ports.receipt_series
        receipt = Receipt(
            number=series.number(uow.number_series.take_next(series.name)),
            items=found,
            issued_on=issued_on,
            place=place,
            language=language,
            prisoner_name=name or "not given",
            prisoner_number=number,
        )
        uow.receipts.add(
            StoredReceipt(receipt=receipt, issued_at=at, issued_by=actor.name, case_id=case_id)
        )
        audit.record(
            uow, actor, "receipt.issue", subject, purpose=receipt.number, changed=receipt, at=at
        )
    return receipt


def get_receipt(ports: CustodyPorts, number: str, *, actor: Actor) -> Receipt:
    """A receipt by its number, for the reception team of its case or a registrar.

    Raises
    ------
    InvalidValueError
        ``field="receipt_number"``: not of the receipt series.
    NotFoundError, PermissionDeniedError
        As usual.
    """
    require_right(actor, "read", ("reception", "pow_documents"), own=True, what="see receipts")
    canonical = _canonical(ports.receipt_series, number)
    with ports.database.unit_of_work(read_only=True) as uow:
        stored = uow.receipts.get(canonical)
        if stored is None:
            raise NotFoundError(f"there is no receipt {canonical}", field="receipt_number")
        own = False
        if stored.case_id is not None:
            case = uow.cases.get_by_id(stored.case_id)
            own = case is not None and owns_case(actor, case, uow)
        require_right(
            actor, "read", ("reception", "pow_documents"), own=own, what=f"see {canonical}"
        )
    audit.record_read(ports.database, actor, "receipt.read", f"receipt:{canonical}")
    return stored.receipt


# ----------------------------------------------------------------- registration


def register_prisoner(
    ports: CustodyPorts,
    registration: Registration,
    *,
    case: int | str | None = None,
    actor: Actor,
    today: date | None = None,
    now: datetime | None = None,
) -> str:
    """Register a prisoner of war and issue the next prisoner number; return it.

    The capture is recorded as the first notification to the Information Bureau. From a
    case, the case moves to ``registered`` (a case that brought in several people is
    ``registered`` from the first) and is linked to the prisoner on its own side only.

    Parameters
    ----------
    registration
        The record, without a prisoner number (the series issues it).
    case
        The case the person came through (its store id or code), or None.
    actor
        A registrar (``identity`` write), or the console.
    today
        The date of registration; by default the latest calendar date on Earth now (a
        date after it is in the future everywhere).
    now
        When it is recorded (aware); by default the current time.

    Raises
    ------
    InvalidValueError
        Naming the field (:func:`~safeconduct.custody.record.check_registration`: a date
        of birth in the future, a capture before the case's first contact, ...);
        ``field="prisoner_number"``: a number given (out of the series, or one the series
        should issue); ``field="transition"``: the case is not ``in_custody`` or
        ``registered``. Nothing is written, and the number is not used up.
    NotFoundError, PermissionDeniedError
        As usual.
    """
    require_right(actor, "write", ("identity",), own=True, what="register prisoners")
    at = _now(now)
    day = today or _latest_today(at)
    if registration.prisoner_number is not None:
        ports.series.index_of(registration.prisoner_number)  # refuses one out of series
        raise InvalidValueError(
            "the prisoner number is issued at registration; leave it out",
            field="prisoner_number",
        )
    registration = check_registration(registration, today=day)
    status = apply_transition(INITIAL_STATUS, "register")
    info: CaseInfo | None = None
    with ports.database.unit_of_work() as uow:
        stored_case: StoredCase | None = None
        if case is not None:
            stored_case = find_case(uow, case)
            contacted = stored_case.case.created_at.astimezone(UTC).date()
            registration = check_registration(registration, today=day, contacted_on=contacted)
        series = ports.series
        number = series.number(uow.number_series.take_next(series.name))
        registration = replace(registration, prisoner_number=number)
        prisoner = uow.prisoners.add(registration, status=status, at=at, by=actor.name)
        uow.prisoners.add_event(
            prisoner.id,
            StoredCustodyEvent(
                prisoner_number=number,
                event=NibEvent.CAPTURE,
                occurred_on=registration.captured_on,
                from_status=INITIAL_STATUS,
                to_status=status,
                recorded_at=at,
                recorded_by=actor.name,
                place=registration.present_address,
            ),
        )
        if stored_case is not None:
            moved = stored_case.case
            if moved.status != "registered":
                # A case not yet in custody is refused here, naming what is allowed.
                moved = moved.apply("register", at=at, actor=actor.name)
                info = case_info(uow.cases.save(moved))
            uow.case_prisoners.link(stored_case.id, prisoner.id)
        audit.record(
            uow,
            actor,
            "prisoner.register",
            f"prisoner:{prisoner.id}",
            purpose=None if stored_case is None else f"case:{stored_case.id}",
            changed=registration,
            at=at,
        )
    if info is not None:
        _announce(ports, info)
    return number


def get_prisoner(ports: CustodyPorts, number: str, *, actor: Actor) -> Registration:
    """A prisoner's registration (``identity`` read: a registrar).

    Raises
    ------
    InvalidValueError
        ``field="prisoner_number"``: not of the series.
    NotFoundError, PermissionDeniedError
        As usual.
    """
    return _read_prisoner(ports, number, actor=actor).registration


def _read_prisoner(ports: CustodyPorts, number: str, *, actor: Actor) -> StoredPrisoner:
    """A prisoner read for the actor (``identity`` read), recorded in the audit trail."""
    require_right(actor, "read", ("identity",), own=True, what="see prisoners")
    with ports.database.unit_of_work(read_only=True) as uow:
        found = _prisoner(uow, ports, number)
    audit.record_read(ports.database, actor, "prisoner.read", f"prisoner:{found.id}")
    return found


def list_prisoners_with_ids(ports: CustodyPorts, *, actor: Actor) -> list[tuple[int, Registration]]:
    """Every registered prisoner with his public id (what addresses name him by), by
    prisoner number (``identity`` read)."""
    require_right(actor, "read", ("identity",), own=True, what="see prisoners")
    with ports.database.unit_of_work(read_only=True) as uow:
        found = uow.prisoners.list_all()
    audit.record_read(ports.database, actor, "prisoner.list", "prisoners:all")
    return [(p.id, p.registration) for p in found]


def prisoner_id_of(ports: CustodyPorts, number: str, *, actor: Actor) -> int | None:
    """The public id of the prisoner with this number, or None (``identity`` read): what
    web addresses carry instead of the number, which is personal data and would otherwise
    land in access logs and browser histories. One blind-index look-up."""
    require_right(actor, "read", ("identity",), own=True, what="see prisoners")
    with ports.database.unit_of_work(read_only=True) as uow:
        found = uow.prisoners.get(_canonical(ports.series, number))
    return None if found is None else found.id


def prisoner_number_of(ports: CustodyPorts, prisoner_id: int, *, actor: Actor) -> str:
    """The prisoner number of the prisoner whose public id is ``prisoner_id`` (``identity``
    read), for the use cases that take a number.

    Raises
    ------
    NotFoundError
        ``field="prisoner_id"``: no such prisoner.
    PermissionDeniedError
        As usual.
    """
    require_right(actor, "read", ("identity",), own=True, what="see prisoners")
    with ports.database.unit_of_work(read_only=True) as uow:
        found = uow.prisoners.get_by_id(prisoner_id)
    if found is None or found.registration.prisoner_number is None:
        raise NotFoundError(f"there is no prisoner {prisoner_id}", field="prisoner_id")
    return found.registration.prisoner_number


def prisoner_status(ports: CustodyPorts, number: str, *, actor: Actor) -> CustodyStatus:
    """Where a prisoner stands (``identity`` read)."""
    require_right(actor, "read", ("identity",), own=True, what="see prisoners")
    with ports.database.unit_of_work(read_only=True) as uow:
        return _prisoner(uow, ports, number).status


def list_prisoners(ports: CustodyPorts, *, actor: Actor) -> list[Registration]:
    """Every registered prisoner, by prisoner number (``identity`` read)."""
    require_right(actor, "read", ("identity",), own=True, what="see prisoners")
    with ports.database.unit_of_work(read_only=True) as uow:
        found = [p.registration for p in uow.prisoners.list_all()]
    audit.record_read(ports.database, actor, "prisoner.list", "prisoners:all")
    return found


def record_custody_event(
    ports: CustodyPorts,
    number: str,
    event: NibEvent,
    *,
    occurred_on: date,
    place: str | None = None,
    details: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> CustodyStatus:
    """Record a transfer, hospital admission, escape, release or death for the Bureau
    (Art. 122), and move the prisoner's status; return the new status.

    A transfer (to another power), a release or a death also moves the prisoner's case,
    when there is one, to ``transferred``, ``released`` or ``deceased`` once none of the
    people registered from it is still in our custody. An escape or a hospital admission
    leaves the case as it is.

    Raises
    ------
    InvalidValueError
        ``field="event"``: a capture (recorded at registration) or an unknown event;
        ``field="transition"``: not possible from the prisoner's status (a released
        prisoner cannot die in our custody); ``field="occurred_on"``: in the future or
        before the capture; ``field="place"``/``"details"``: too long.
    NotFoundError, PermissionDeniedError
        As usual. Nothing is written.
    """
    require_right(actor, "write", ("identity",), own=True, what="record custody events")
    try:
        event = NibEvent(event)
    except ValueError:
        known = ", ".join(e.value for e in NibEvent if e is not NibEvent.CAPTURE)
        raise InvalidValueError(
            f"unknown event {event!r}; give one of {known}", field="event"
        ) from None
    if event is NibEvent.CAPTURE:
        raise InvalidValueError(
            "the capture is recorded when the prisoner is registered", field="event"
        )
    if not isinstance(occurred_on, date) or isinstance(occurred_on, datetime):
        raise InvalidValueError("occurred_on must be a date (YYYY-MM-DD)", field="occurred_on")
    place = _text(place, "place", MAX_PLACE)
    details = _text(details, "details", MAX_DETAILS)
    at = _now(now)
    info: CaseInfo | None = None
    with ports.database.unit_of_work() as uow:
        prisoner = _prisoner(uow, ports, number)
        if occurred_on > _latest_today(at):
            raise InvalidValueError(
                f"{occurred_on.isoformat()} is in the future", field="occurred_on"
            )
        if occurred_on < prisoner.registration.captured_on:
            raise InvalidValueError(
                f"{occurred_on.isoformat()} is before the capture on "
                f"{prisoner.registration.captured_on.isoformat()}",
                field="occurred_on",
            )
        transition = EVENT_TRANSITIONS[event]
        if transition is not None:
            new = apply_transition(prisoner.status, transition)
        elif prisoner.status is CustodyStatus.REGISTERED:
            new = prisoner.status
        else:
            # Only a prisoner still in our hands goes to our hospital.
            raise InvalidValueError(
                f"cannot record a {event.value.replace('_', ' ')} for a prisoner who is "
                f"{prisoner.status.value}",
                field="transition",
            )
        uow.prisoners.add_event(
            prisoner.id,
            StoredCustodyEvent(
                prisoner_number=prisoner.registration.prisoner_number or number,
                event=event,
                occurred_on=occurred_on,
                from_status=prisoner.status,
                to_status=new,
                recorded_at=at,
                recorded_by=actor.name,
                place=place,
                details=details,
            ),
        )
        if new is not prisoner.status:
            uow.prisoners.set_status(prisoner.id, new, at=at)
        info = _follow_on_case(uow, prisoner, transition, at=at, actor=actor)
        audit.record(
            uow,
            actor,
            "prisoner.event",
            f"prisoner:{prisoner.id}",
            purpose=event.value,
            changed={
                "event": event.value,
                "occurred_on": occurred_on,
                "place": place,
                "details": details,
                "from": prisoner.status.value,
                "to": new.value,
            },
            at=at,
        )
    if info is not None:
        _announce(ports, info)
    return new


def _follow_on_case(
    uow: CustodyUnitOfWork,
    prisoner: StoredPrisoner,
    transition: str | None,
    *,
    at: datetime,
    actor: Actor,
) -> CaseInfo | None:
    """Move the prisoner's case by the same outcome once nobody of it is left in custody."""
    if transition is None or transition == "record_escape":
        return None
    case_id = uow.case_prisoners.case_of(prisoner.id)
    if case_id is None:
        return None
    # The case row is locked until the commit: of two registrars recording the last two
    # prisoners of one case, the second reads the first's committed status here and
    # moves the case (PostgreSQL reads each statement's data as last committed).
    stored = uow.cases.get_by_id(case_id)
    if stored is None or transition not in case_transitions(stored.case.status):
        return None  # e.g. the case is closed already: its record is finished
    statuses = uow.case_prisoners.statuses_of(case_id)
    statuses.pop(prisoner.registration.prisoner_number or "", None)
    if any(s in (CustodyStatus.IN_CUSTODY, CustodyStatus.REGISTERED) for s in statuses.values()):
        return None
    return case_info(uow.cases.save(stored.case.apply(transition, at=at, actor=actor.name)))


def prisoner_events(ports: CustodyPorts, number: str, *, actor: Actor) -> list[StoredCustodyEvent]:
    """One prisoner's events, oldest first (``identity`` read)."""
    require_right(actor, "read", ("identity",), own=True, what="see prisoners")
    with ports.database.unit_of_work(read_only=True) as uow:
        prisoner = _prisoner(uow, ports, number)
        events = uow.prisoners.events(prisoner_number=prisoner.registration.prisoner_number)
    audit.record_read(ports.database, actor, "prisoner.events.read", f"prisoner:{prisoner.id}")
    return events


def nib_notifications(
    ports: CustodyPorts, *, actor: Actor, since: datetime | None = None
) -> list[NibNotification]:
    """The notifications to the National Information Bureau, in the order recorded: each
    event with the prisoner's registration as it stands now.

    Parameters
    ----------
    since
        Only the events recorded after this time (aware); None: all of them.

    Raises
    ------
    PermissionDeniedError
        The actor may not read POW documents (a registrar may).
    InvalidValueError
        ``field="since"``: a naive time.
    """
    require_right(actor, "read", ("pow_documents",), own=True, what="see NIB notifications")
    if since is not None and (not isinstance(since, datetime) or since.utcoffset() is None):
        raise InvalidValueError("since must carry its time zone", field="since")
    with ports.database.unit_of_work(read_only=True) as uow:
        events = uow.prisoners.events(since=since)
        registrations = {
            p.registration.prisoner_number: p.registration for p in uow.prisoners.list_all()
        }
    audit.record_read(ports.database, actor, "nib.read", "prisoners:all")
    return [
        NibNotification(
            event=e.event,
            occurred_on=e.occurred_on,
            registration=registrations[e.prisoner_number],
            place=e.place,
            details=e.details,
        )
        for e in events
    ]


def evacuation_list(
    ports: CustodyPorts,
    numbers: Sequence[str],
    *,
    on: date,
    from_place: str,
    to_place: str,
    escort: str,
    actor: Actor,
) -> EvacuationList:
    """The list of evacuees of one transport (Art. 19-20): each prisoner's number, name
    and state of health.

    Raises
    ------
    InvalidValueError
        ``field="prisoner_number"``: out of series, or a prisoner no longer in our custody;
        ``field="entries"``: none, or one twice; the places, date or escort (named).
    NotFoundError, PermissionDeniedError
        As usual.
    """
    require_right(actor, "write", ("pow_documents",), own=True, what="draw up evacuation lists")
    if isinstance(numbers, str):
        numbers = [numbers]
    entries = []
    with ports.database.unit_of_work(read_only=True) as uow:
        for number in numbers:
            prisoner = _prisoner(uow, ports, number)
            if prisoner.status is not CustodyStatus.REGISTERED:
                raise InvalidValueError(
                    f"prisoner {prisoner.registration.prisoner_number} is {prisoner.status.value}, "
                    "not in our custody",
                    field="prisoner_number",
                )
            reg = prisoner.registration
            entries.append(
                EvacuationEntry(
                    prisoner_number=reg.prisoner_number or number,
                    name=reg.display_name(),
                    health=reg.health,
                )
            )
    audit.record_read(ports.database, actor, "evacuation.read", f"prisoners:{len(entries)}")
    return EvacuationList(
        on=on, from_place=from_place, to_place=to_place, escort=escort, entries=tuple(entries)
    )


# ----------------------------------------------------------------- documents


def write_capture_card(
    ports: CustodyPorts, number: str, langs: Iterable[str], out: PathLike, *, actor: Actor
) -> Path:
    """Write the prisoner's capture card (Annex IV B) in the prisoner's language and
    ``langs``; return its path.

    Raises
    ------
    InvalidValueError
        ``field="langs"``: a language without a catalogue (or too many); a field that
        cannot fit (named). Nothing is written.
    NotFoundError, PermissionDeniedError
        As usual (``pow_documents`` write: a registrar).
    """
    require_right(actor, "write", ("pow_documents",), own=True, what="write capture cards")
    prisoner = _read_prisoner(ports, number, actor=actor)
    registration = prisoner.registration
    ports.documents.render_capture_card(registration, _langs(langs, registration.language), out)
    _record_export(ports, actor, "export.capture_card", f"prisoner:{prisoner.id}", registration)
    return Path(out)


def _record_export(
    ports: CustodyPorts, actor: Actor, action: str, record: str, content: object
) -> None:
    """Record a document written (an export of personal data) with the digest of what it
    holds; after the file was written whole."""
    with ports.database.unit_of_work() as uow:
        audit.record(uow, actor, action, record, changed=content)


def write_receipt(
    ports: CustodyPorts, number: str, langs: Iterable[str], out: PathLike, *, actor: Actor
) -> Path:
    """Write a receipt (Art. 18) in the prisoner's language and ``langs``; return its path.

    Raises
    ------
    InvalidValueError
        ``field="receipt_number"``: not of the receipt series; ``field="langs"``.
    NotFoundError, PermissionDeniedError
        As usual (the reception team of its case, or a registrar).
    """
    receipt = get_receipt(ports, number, actor=actor)
    ports.documents.render_receipt(receipt, _langs(langs, receipt.language), out)
    _record_export(ports, actor, "export.receipt", f"receipt:{receipt.number}", receipt)
    return Path(out)


def write_evacuation_list(
    ports: CustodyPorts,
    listed: EvacuationList,
    langs: Iterable[str],
    out: PathLike,
    *,
    actor: Actor,
) -> Path:
    """Write an evacuation list (:func:`evacuation_list`) as a PDF; return its path.

    Raises
    ------
    InvalidValueError
        ``field="langs"``: none, or one without a catalogue.
    PermissionDeniedError
        The actor may not write POW documents.
    """
    require_right(actor, "write", ("pow_documents",), own=True, what="write evacuation lists")
    asked = [langs] if isinstance(langs, str) else list(langs)
    if not asked:
        raise InvalidValueError("give at least one language", field="langs")
    ports.documents.render_evacuation_list(listed, _langs(asked, asked[0]), out)
    _record_export(
        ports, actor, "export.evacuation_list", f"prisoners:{len(listed.entries)}", listed
    )
    return Path(out)


def export_nib(
    ports: CustodyPorts,
    out_dir: PathLike,
    *,
    actor: Actor,
    since: datetime | None = None,
    langs: Iterable[str] = ("en",),
) -> list[Path]:
    """Write the notifications to the National Information Bureau into ``out_dir``:
    ``nib-notifications.json``, ``.csv`` (one documented schema) and ``.pdf``; return the
    paths written. The folder is made if missing, once everything has been checked.

    Raises
    ------
    InvalidValueError
        ``field="langs"`` (of the PDF); ``field="since"``; ``field="notifications"``:
        nothing to notify (no file is written).
    PermissionDeniedError
        The actor may not write POW documents.
    """
    require_right(actor, "write", ("pow_documents",), own=True, what="export NIB notifications")
    asked = [langs] if isinstance(langs, str) else list(langs)
    languages = _langs(asked, asked[0] if asked else "en")
    notifications = nib_notifications(ports, actor=actor, since=since)
    if not notifications:  # checked before any file: an empty export is no export
        raise InvalidValueError(
            "there is nothing to notify: no capture or later event has been recorded"
            + ("" if since is None else f" since {since.isoformat()}"),
            field="since" if since is not None else "notifications",
        )
    folder = Path(out_dir)
    if ports.folders is not None:
        ports.folders.make_folder(folder)
    paths = [folder / f"nib-notifications.{suffix}" for suffix in ("json", "csv", "pdf")]
    ports.documents.write_nib_json(notifications, paths[0])
    ports.documents.write_nib_csv(notifications, paths[1])
    ports.documents.render_nib_pdf(notifications, languages, paths[2])
    _record_export(ports, actor, "export.nib", "prisoners:all", notifications)
    return paths
