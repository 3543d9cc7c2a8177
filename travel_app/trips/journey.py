"""The journey after approval: departure day, return day, the safe-return answer, the debrief.

The beat sweeps move an approved trip's phase by its dates (planned → travelling → returned),
ask the traveller on the return day whether they are back safely, tell the safety officer when
nobody answered within the procedure's hours, and ask level 2 and 3 travellers for a debrief.
Each sweep reads a bounded date window by index and writes in sets; the outbox key and the
phase guard make a second or concurrent run change and send nothing more. Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from travel_app.core.db import utcnow
from travel_app.core.errors import Refused
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import queue, queued_keys
from travel_app.trips import notices, transitions
from travel_app.trips.models import GO_STATES, EventKind, Trip, TripPhase
from travel_app.trips.notices import trip_calendar
from travel_app.trips.operations import claim
from workflows.model import ClearanceGate, Procedure, Text

#: How far back a sweep looks for a day it may have missed (the worker was down).
CATCH_UP_DAYS = 7
#: Written on the trip when nobody answered the safe-return request in time.
NO_ANSWER = "No answer to the safe-return request"
#: Written on the trip when departure day finds mission dossier items still open.
UNCLEARED = "Departure day without clearance: mission dossier items still open"


class NotYours(Refused):
    """A safe-return confirmation by someone who may not give it (now)."""


class NoteNeeded(NotYours):
    """A confirmation by someone else than the traveller without saying how they know."""


@dataclass
class SweepResult:
    trips: int = 0
    queued: int = 0


def _recipient(person: Person) -> Recipient:
    return Recipient(person.id, person.email, person.name, person.language)


def _events(rows: list[Any], kind: EventKind, now: datetime, **data: Any) -> None:
    """The timeline event (and its audit record) of each trip a sweep moved; ``_move`` has
    bumped their versions already."""
    transitions.write(
        [
            transitions.Change(
                trip_id=row.id,
                kind=kind,
                round=row.round,
                from_state=row.state.value,
                to_state=row.state.value,
                level=row.level,
                data={"from_phase": row.phase.value, **data},
            )
            for row in rows
        ],
        now,
    )


def _move(rows: Sequence[Any], phase: TripPhase, **values: Any) -> list[Any]:
    """Set the phase of ``rows``; return those this run moved.

    The phase guard makes a concurrent sweep's update find nothing, so only one run writes
    the timeline event and queues the e-mail.
    """
    moved: set[int] = set()
    for old in {r.phase for r in rows}:
        # A trip that has not left moves only while approved (it may be revoked meanwhile);
        # one under way moves whatever its state: a recalled traveller still comes home.
        still = Trip.state.in_(GO_STATES) if old is TripPhase.PLANNED else sa.true()
        # The guard is checked on each trip found by its id, never used to find trips: as a
        # plain condition, SQLite without statistics read every trip of the phase by
        # ix_trip_phase_* (50,000 at 100,000 trips) to update 200.
        guard = sa.case((sa.and_(Trip.phase == old, still), sa.true()), else_=sa.false())
        moved.update(
            db.session.scalars(
                sa.update(Trip)
                .where(Trip.id.in_([r.id for r in rows if r.phase is old]), guard)
                .values(phase=phase, version=Trip.version + 1, **values)
                .returning(Trip.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
    return [r for r in rows if r.id in moved]


COLUMNS = (Trip.id, Trip.state, Trip.round, Trip.level, Trip.phase)


def _unsettled() -> Any:
    """Dossier items that keep a trip from being cleared to travel (see ``is_settled``)."""
    return sa.or_(
        DossierItem.status.in_((ItemStatus.OPEN, ItemStatus.REJECTED)),
        sa.and_(
            DossierItem.needs_verification.is_(True), DossierItem.status != ItemStatus.VERIFIED
        ),
    )


def start_travel(today: date, procedure: Procedure | None = None) -> SweepResult:
    """Departure day: approved trips become travelling; at the procedure's check-in levels the
    first check-in falls one interval later.

    A trip whose mission dossier still has open items is flagged "left without clearance" and
    the safety officers and the traveller are told, once. When the procedure's clearance gate
    is blocking, such a trip stays planned (held) until its items are settled or a safety
    officer lets it go (:func:`let_go`).
    """
    # One range of ix_trip_phase_departure: the trips not yet left whose day has come (the
    # catch-up days and any held trip). Written as ``between(...) OR (held AND departure <=
    # today)``, no index bounded the OR and SQLite read every planned trip still to come back
    # by ix_trip_phase_return: 4x the time at 100,000 trips as at 10,000.
    rows = db.session.execute(
        sa.select(*COLUMNS).where(
            Trip.phase == TripPhase.PLANNED,
            Trip.departure_on <= today,
            sa.or_(
                Trip.departure_on >= today - timedelta(days=CATCH_UP_DAYS),
                # A held trip stays in reach until it leaves or its dates have passed.
                Trip.uncleared_at.is_not(None),
            ),
            Trip.state.in_(GO_STATES),
            Trip.return_on >= today,
        )
    ).all()
    if not rows:
        return SweepResult()
    uncleared = set(
        db.session.scalars(
            sa.select(DossierItem.trip_id)
            .where(DossierItem.trip_id.in_([r.id for r in rows]), _unsettled())
            .distinct()
        )
    )
    gate = procedure.followup.clearance_gate if procedure else ClearanceGate.WARN
    blocking = gate is ClearanceGate.BLOCKING
    held = [r for r in rows if r.id in uncleared] if blocking else []
    going = [r for r in rows if not (blocking and r.id in uncleared)]
    moved = _move(going, TripPhase.TRAVELLING) if going else []
    now = utcnow()
    if moved:
        _events(moved, EventKind.DEPARTED, now, to_phase=TripPhase.TRAVELLING.value)
        f = procedure.followup if procedure else None
        checking = [r.id for r in moved if f and r.level in f.checkin_levels]
        if f and checking:
            db.session.execute(
                sa.update(Trip)
                .where(Trip.id.in_(checking))
                .values(checkin_due_at=now + timedelta(hours=f.checkin_every_hours))
                .execution_options(synchronize_session=False)
            )
    released = [r.id for r in moved if r.id not in uncleared]
    if released:
        # Held before, its items settled since: it left cleared, and the flag goes.
        db.session.execute(
            sa.update(Trip)
            .where(Trip.id.in_(released), Trip.attention_reason == UNCLEARED)
            .values(needs_attention=False, attention_reason="")
            .execution_options(synchronize_session=False)
        )
    queued = _flag_uncleared([r for r in moved if r.id in uncleared], held, now)
    return SweepResult(len(moved), queued)


def _flag_uncleared(left: list[Any], held: list[Any], now: datetime) -> int:
    """Flag the trips that left (or are held) with dossier items open, write their timeline
    event and tell the safety officers and the traveller: once, whatever the number of runs."""
    rows = {r.id: r for r in left + held}
    if not rows:
        return 0
    flagged = set(
        db.session.scalars(
            sa.update(Trip)
            .where(Trip.id.in_(list(rows)), Trip.uncleared_at.is_(None))
            .values(
                uncleared_at=now,
                needs_attention=True,
                attention_reason=sa.case(
                    (Trip.needs_attention.is_(True), Trip.attention_reason + "; " + UNCLEARED),
                    else_=UNCLEARED,
                ),
                version=Trip.version + 1,
            )
            .returning(Trip.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not flagged:
        return 0
    held_ids = {r.id for r in held}
    for group, is_held in ((flagged - held_ids, False), (flagged & held_ids, True)):
        if group:
            _events([rows[i] for i in sorted(group)], EventKind.UNCLEARED, now, held=is_held)
    items: dict[int, list[DossierItem]] = defaultdict(list)
    for item in db.session.scalars(
        sa.select(DossierItem)
        .where(DossierItem.trip_id.in_(flagged), _unsettled())
        .order_by(DossierItem.trip_id, DossierItem.due_on, DossierItem.id)
    ):
        items[item.trip_id].append(item)
    team = notices.officers()
    trips = db.session.scalars(
        sa.select(Trip)
        .where(Trip.id.in_(flagged))
        .options(joinedload(Trip.traveller), joinedload(Trip.legs))
    ).unique()
    mails = []
    for trip in trips:
        context: dict[str, Any] = dict(
            about=f"trip:{trip.id}/clearance",
            due_on=trip.departure_on,
            trip=trip,
            items=items[trip.id],
            held=trip.id in held_ids,
        )
        mails.append(compose("no_clearance", "traveller", _recipient(trip.traveller), **context))
        mails += [
            compose("no_clearance", "officer", _recipient(officer), **context)
            for officer in team
            if officer.id != trip.traveller_id
        ]
    return queue(mails)


def ask_safe_return(today: date, procedure: Procedure) -> SweepResult:
    """Return day: the trip is returned, and its traveller asked to confirm they are back.

    A trip under way is asked whatever its state: a revoked approval (a recall) is exactly
    when the safety office must hear that the traveller got home.
    """
    rows = db.session.execute(
        sa.select(*COLUMNS).where(
            Trip.phase.in_((TripPhase.PLANNED, TripPhase.TRAVELLING)),
            Trip.return_on.between(today - timedelta(days=CATCH_UP_DAYS), today),
            sa.or_(Trip.phase == TripPhase.TRAVELLING, Trip.state.in_(GO_STATES)),
            # A trip held at departure never left: nobody is asked whether they are back.
            ~sa.and_(Trip.phase == TripPhase.PLANNED, Trip.uncleared_at.is_not(None)),
        )
    ).all()
    if not rows:
        return SweepResult()
    now = utcnow()
    minimum = procedure.followup.safe_return_min_level
    asked = [r for r in rows if (r.level or 0) >= minimum]
    quiet = [r for r in rows if (r.level or 0) < minimum]
    asked = _move(asked, TripPhase.RETURNED, safe_return_asked_at=now) if asked else []
    quiet = _move(quiet, TripPhase.RETURNED) if quiet else []
    if asked or quiet:
        _events(asked + quiet, EventKind.RETURNED, now, to_phase=TripPhase.RETURNED.value)
    if not asked:
        return SweepResult(len(quiet))
    trips = db.session.scalars(
        sa.select(Trip)
        .where(Trip.id.in_([r.id for r in asked]))
        .options(joinedload(Trip.traveller), joinedload(Trip.legs))
    ).unique()
    mails = [
        compose(
            "safe_return",
            "traveller",
            _recipient(trip.traveller),
            about=f"trip:{trip.id}/return",
            due_on=trip.return_on,  # type: ignore[arg-type]
            attachments=[trip_calendar(trip)],
            trip=trip,
            hours=procedure.followup.safe_return_escalate_hours,
        )
        for trip in trips
        if trip.safe_return_at is None
    ]
    return SweepResult(len(asked) + len(quiet), queue(mails))


def escalate_safe_return(now: datetime, procedure: Procedure) -> SweepResult:
    """Nobody answered in time: the safety officers hear of it, once, and the trip is flagged.

    The traveller has the whole return day (a long-haul flight lands the next morning) plus
    the procedure's hours, and at least those hours after the request was sent. The update
    checks again that no answer came, so a confirmation at the same moment is never flagged.
    """
    hours = procedure.followup.safe_return_escalate_hours
    due = now - timedelta(hours=hours)
    rows = db.session.execute(
        sa.select(*COLUMNS).where(
            Trip.phase == TripPhase.RETURNED,
            Trip.return_on.between(
                now.date() - timedelta(days=CATCH_UP_DAYS + hours // 24 + 2),
                due.date() - timedelta(days=1),
            ),
            Trip.safe_return_at.is_(None),
            Trip.safe_return_asked_at <= due,
            Trip.safe_return_escalated_at.is_(None),
        )
    ).all()
    if not rows:
        return SweepResult()
    flagged = db.session.scalars(
        sa.update(Trip)
        .where(
            Trip.id.in_([r.id for r in rows]),
            Trip.safe_return_at.is_(None),
            Trip.safe_return_escalated_at.is_(None),
        )
        .values(
            safe_return_escalated_at=now,
            needs_attention=True,
            attention_reason=sa.case(
                (Trip.needs_attention.is_(True), Trip.attention_reason + "; " + NO_ANSWER),
                else_=NO_ANSWER,
            ),
            version=Trip.version + 1,
        )
        .returning(Trip.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not flagged:
        return SweepResult(len(rows))
    overdue = set(flagged)
    _events(
        [r for r in rows if r.id in overdue],
        EventKind.SAFE_RETURN_OVERDUE,
        now,
        hours=hours,
    )
    officers = notices.officers()
    trips = db.session.scalars(
        sa.select(Trip)
        .where(Trip.id.in_(flagged))
        .options(joinedload(Trip.traveller), joinedload(Trip.legs))
    ).unique()
    mails = [
        compose(
            "safe_return_overdue",
            "officer",
            _recipient(officer),
            about=f"trip:{trip.id}/return",
            due_on=trip.return_on,  # type: ignore[arg-type]
            trip=trip,
            hours=hours,
        )
        for trip in trips
        for officer in officers
        if officer.id != trip.traveller_id
    ]
    return SweepResult(len(rows), queue(mails))


def debrief_requests(today: date, procedure: Procedure) -> SweepResult:
    """The day after return, travellers of the procedure's debrief levels are asked for one."""
    levels = procedure.followup.debrief_levels
    if not levels:
        return SweepResult()
    rows = db.session.execute(
        sa.select(Trip.id, Trip.return_on, Person.email)
        .join(Person, Person.id == Trip.traveller_id)
        .where(
            Trip.phase == TripPhase.RETURNED,
            Trip.return_on.between(
                today - timedelta(days=CATCH_UP_DAYS), today - timedelta(days=1)
            ),
            Trip.state.in_(GO_STATES),
            Trip.level.in_(sorted(levels)),
        )
    ).all()
    keys = [(r.email, f"trip:{r.id}/debrief", r.return_on) for r in rows]
    done = queued_keys("debrief", keys)
    todo = [r.id for r, k in zip(rows, keys, strict=True) if k not in done]
    if not todo:
        return SweepResult(len(rows))
    trips = db.session.scalars(
        sa.select(Trip)
        .where(Trip.id.in_(todo))
        .options(joinedload(Trip.traveller), joinedload(Trip.legs))
    ).unique()
    mails = [
        compose(
            "debrief",
            "traveller",
            _recipient(trip.traveller),
            about=f"trip:{trip.id}/debrief",
            due_on=trip.return_on,  # type: ignore[arg-type]
            trip=trip,
        )
        for trip in trips
    ]
    return SweepResult(len(rows), queue(mails))


def can_confirm_return(trip: Trip, person: Person, today: date) -> bool:
    """The traveller says they are back, from the day before the return; a safety officer
    may record it any time after departure (an early return, reached by phone)."""
    if trip.safe_return_at is not None or trip.phase is TripPhase.PLANNED:
        return False
    if person.id == trip.traveller_id:
        return trip.phase is TripPhase.RETURNED or (
            trip.return_on is not None and today >= trip.return_on - timedelta(days=1)
        )
    return person.has_any_role(Role.SAFETY_OFFICER)


def confirm_return(
    trip: Trip, person: Person, note: str, expected_version: int, today: date
) -> None:
    """Record the safe return (early returns included); clear the no-answer flag.

    Someone other than the traveller says how they know (a call, a message): required.
    """
    if not can_confirm_return(trip, person, today):
        raise NotYours(
            Text(
                "Een veilige terugkeer kan hier niet (meer) bevestigd worden.",
                "A safe return cannot be confirmed for this trip.",
            )
        )
    if person.id != trip.traveller_id and not note.strip():
        raise NoteNeeded(
            Text(
                "Zeg hoe u weet dat de reiziger veilig terug is.",
                "Say how you know the traveller is back safely.",
            )
        )
    claim(trip, expected_version)
    now = utcnow()
    old = trip.phase
    trip.phase = TripPhase.RETURNED
    trip.safe_return_at = now
    # Conditional, after the claim: a flag the escalation set meanwhile is seen and cleared.
    db.session.execute(
        sa.update(Trip)
        .where(Trip.id == trip.id, Trip.attention_reason == NO_ANSWER)
        .values(needs_attention=False, attention_reason="")
        .execution_options(synchronize_session=False)
    )
    db.session.expire(trip, ["needs_attention", "attention_reason"])
    transitions.write(
        [
            transitions.Change(
                trip_id=trip.id,
                kind=EventKind.SAFE_RETURN,
                round=trip.round,
                from_state=trip.state.value,
                to_state=trip.state.value,
                level=trip.level,
                actor_id=person.id,
                comment=note.strip()[:2000],
                version=trip.version,
                data={"from_phase": old.value, "to_phase": TripPhase.RETURNED.value},
                audit={"by_traveller": person.id == trip.traveller_id},
            )
        ],
        now,
    )


def can_let_go(trip: Trip, person: Person, today: date) -> bool:
    """A trip held on departure day (open dossier items, a blocking gate): a safety officer
    other than the traveller may let it go while its dates last."""
    return (
        trip.phase is TripPhase.PLANNED
        and trip.uncleared_at is not None
        and trip.state in GO_STATES
        and trip.departure_on is not None
        and trip.return_on is not None
        and trip.departure_on <= today <= trip.return_on
        and person.id != trip.traveller_id
        and person.has_any_role(Role.SAFETY_OFFICER)
    )


def let_go(
    trip: Trip,
    person: Person,
    note: str,
    expected_version: int,
    today: date,
    procedure: Procedure,
) -> None:
    """The safety officer lets a held trip travel despite open dossier items, saying why."""
    if not can_let_go(trip, person, today):
        raise NotYours(
            Text(
                "Deze reis wordt niet tegengehouden, of u mag ze niet laten vertrekken.",
                "This trip is not held, or you may not let it go.",
            )
        )
    if not note.strip():
        raise NoteNeeded(
            Text(
                "Zeg waarom de reis toch mag vertrekken.",
                "Say why the trip may leave all the same.",
            )
        )
    claim(trip, expected_version)
    now = utcnow()
    old = trip.phase
    trip.phase = TripPhase.TRAVELLING
    if trip.level in procedure.followup.checkin_levels:
        trip.checkin_due_at = now + timedelta(hours=procedure.followup.checkin_every_hours)
    if trip.attention_reason == UNCLEARED:
        trip.needs_attention = False
        trip.attention_reason = ""
    transitions.write(
        [
            transitions.Change(
                trip_id=trip.id,
                kind=EventKind.DEPARTED,
                round=trip.round,
                from_state=trip.state.value,
                to_state=trip.state.value,
                level=trip.level,
                actor_id=person.id,
                comment=note.strip()[:2000],
                version=trip.version,
                data={
                    "from_phase": old.value,
                    "to_phase": TripPhase.TRAVELLING.value,
                    "let_go": True,
                },
            )
        ],
        now,
    )
