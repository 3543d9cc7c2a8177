"""The journey after approval: departure day, return day, the safe-return answer, the debrief.

The beat sweeps move an approved trip's phase by its dates (planned → travelling → returned),
ask the traveller on the return day whether they are back safely, tell the safety officer when
nobody answered within the procedure's hours, and ask level 2 and 3 travellers for a debrief.
Each sweep reads a bounded date window by index and writes in sets; the outbox key and the
phase guard make a second or concurrent run change and send nothing more. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.org.models import Person, Role, RoleAssignment
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import queue, queued_keys
from travel_app.trips.models import GO_STATES, EventKind, Trip, TripEvent, TripPhase
from travel_app.trips.notices import trip_calendar
from travel_app.trips.operations import claim
from workflows.model import Procedure, Text

#: How far back a sweep looks for a day it may have missed (the worker was down).
CATCH_UP_DAYS = 7
#: Written on the trip when nobody answered the safe-return request in time.
NO_ANSWER = "No answer to the safe-return request"


class NotYours(Exception):
    def __init__(self, reason: Text) -> None:
        super().__init__(reason.en)
        self.reason = reason


@dataclass
class SweepResult:
    trips: int = 0
    queued: int = 0


def _recipient(person: Person) -> Recipient:
    return Recipient(person.id, person.email, person.name, person.language)


def _events(rows: list[Any], kind: EventKind, now: datetime, **data: Any) -> None:
    db.session.execute(
        sa.insert(TripEvent),
        [
            {
                "trip_id": row.id,
                "kind": kind,
                "at": now,
                "actor_id": None,
                "round": row.round,
                "from_state": row.state.value,
                "to_state": row.state.value,
                "level": row.level,
                "comment": "",
                "conditions": [],
                "data": {"from_phase": row.phase.value, **data},
            }
            for row in rows
        ],
    )


def _move(rows: list[Any], phase: TripPhase, **values: Any) -> list[Any]:
    """Set the phase of ``rows``; return those this run moved.

    The phase guard makes a concurrent sweep's update find nothing, so only one run writes
    the timeline event and queues the e-mail.
    """
    moved: set[int] = set()
    for old in {r.phase for r in rows}:
        moved.update(
            db.session.scalars(
                sa.update(Trip)
                .where(Trip.id.in_([r.id for r in rows if r.phase is old]), Trip.phase == old)
                .values(phase=phase, version=Trip.version + 1, **values)
                .returning(Trip.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
    return [r for r in rows if r.id in moved]


COLUMNS = (Trip.id, Trip.state, Trip.round, Trip.level, Trip.phase)


def start_travel(today: date) -> SweepResult:
    """Departure day: approved trips become travelling."""
    rows = db.session.execute(
        sa.select(*COLUMNS).where(
            Trip.state.in_(GO_STATES),
            Trip.departure_on.between(today - timedelta(days=CATCH_UP_DAYS), today),
            Trip.return_on >= today,
            Trip.phase == TripPhase.PLANNED,
        )
    ).all()
    moved = _move(rows, TripPhase.TRAVELLING) if rows else []
    if moved:
        _events(moved, EventKind.DEPARTED, utcnow(), to_phase=TripPhase.TRAVELLING.value)
    return SweepResult(len(moved))


def ask_safe_return(today: date, procedure: Procedure) -> SweepResult:
    """Return day: the trip is returned, and its traveller asked to confirm they are back."""
    rows = db.session.execute(
        sa.select(*COLUMNS).where(
            Trip.phase.in_((TripPhase.PLANNED, TripPhase.TRAVELLING)),
            Trip.return_on.between(today - timedelta(days=CATCH_UP_DAYS), today),
            Trip.state.in_(GO_STATES),
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


def _officers() -> list[Person]:
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(RoleAssignment.role == Role.SAFETY_OFFICER, Person.is_active_account.is_(True))
            .order_by(Person.id)
        )
    )


def escalate_safe_return(now: datetime, procedure: Procedure) -> SweepResult:
    """Nobody answered in time: the safety officers hear of it, and the trip needs attention."""
    today = now.date()
    overdue = now - timedelta(hours=procedure.followup.safe_return_escalate_hours)
    rows = db.session.execute(
        sa.select(Trip.id, Trip.return_on, Trip.needs_attention).where(
            Trip.phase == TripPhase.RETURNED,
            Trip.return_on.between(today - timedelta(days=CATCH_UP_DAYS), today),
            Trip.safe_return_at.is_(None),
            Trip.safe_return_asked_at <= overdue,
            Trip.state.in_(GO_STATES),
        )
    ).all()
    if not rows:
        return SweepResult()
    calm = [r.id for r in rows if not r.needs_attention]
    if calm:
        db.session.execute(
            sa.update(Trip)
            .where(Trip.id.in_(calm), Trip.needs_attention.is_(False))
            .values(needs_attention=True, attention_reason=NO_ANSWER)
            .execution_options(synchronize_session=False)
        )
    officers = _officers()
    keys = [(o.email, f"trip:{r.id}/return", r.return_on) for r in rows for o in officers]
    done = queued_keys("safe_return_overdue", keys)
    todo = {k[1] for k in keys if k not in done}
    if not todo:
        return SweepResult(len(rows))
    trips = db.session.scalars(
        sa.select(Trip)
        .where(Trip.id.in_([r.id for r in rows if f"trip:{r.id}/return" in todo]))
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
            hours=procedure.followup.safe_return_escalate_hours,
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


def can_confirm_return(trip: Trip, person: Person) -> bool:
    """The traveller says they are back; a safety officer may record it after a call."""
    if trip.state not in GO_STATES or trip.safe_return_at is not None:
        return False
    if trip.phase is TripPhase.PLANNED:
        return False
    return person.id == trip.traveller_id or person.has_any_role(Role.SAFETY_OFFICER)


def confirm_return(trip: Trip, person: Person, note: str, expected_version: int) -> None:
    """Record the safe return (early returns included); clear the no-answer flag."""
    if not can_confirm_return(trip, person):
        raise NotYours(
            Text(
                "Een veilige terugkeer kan hier niet (meer) bevestigd worden.",
                "A safe return cannot be confirmed for this trip.",
            )
        )
    claim(trip, expected_version)
    now = utcnow()
    old = trip.phase
    trip.phase = TripPhase.RETURNED
    trip.safe_return_at = now
    if trip.needs_attention and trip.attention_reason == NO_ANSWER:
        trip.needs_attention = False
        trip.attention_reason = ""
    db.session.add(
        TripEvent(
            trip_id=trip.id,
            kind=EventKind.SAFE_RETURN,
            at=now,
            actor_id=person.id,
            round=trip.round,
            from_state=trip.state.value,
            to_state=trip.state.value,
            level=trip.level,
            comment=note.strip()[:2000],
            conditions=[],
            data={"from_phase": old.value, "to_phase": TripPhase.RETURNED.value},
        )
    )
    audit.record("trip.safe_return", trip, person, by_traveller=person.id == trip.traveller_id)
