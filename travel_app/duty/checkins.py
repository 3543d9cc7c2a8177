"""Check-ins during travel at the levels the procedure names: prompt, then the missed-check-in
ladder (the safety officer after a grace period, the crisis team after a second one).

A travelling trip at a check-in level carries ``checkin_due_at``; each check-in moves it one
interval on. The sweeps compare it with the clock (an index on phase and due time), so they read
only the trips whose moment has come; the outbox key (trip and due moment) sends each prompt and
each alert once.

The link works until it expires, and the traveller may answer "I am well" or "I need help" (with
a note) as often as they like: every answer is kept (``CheckinEntry``), and one that turns to
"I need help" alerts the crisis team and the safety officers once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from travel_app.core import audit
from travel_app.core.errors import Refused
from travel_app.duty.models import AnswerVia, CheckinAnswer, CheckinEntry
from travel_app.extensions import db
from travel_app.org.models import Person, Role, RoleAssignment
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import queue, queued_keys
from travel_app.trips.models import Trip, TripPhase
from workflows.model import Procedure, Text

SALT = "checkin"
MISSED = "Missed check-in"
HELP = "Asked for help at check-in"
MAX_NOTE = 5000


class CheckinRefused(Refused):
    """A check-in that cannot be recorded (no travel, a stale link)."""


@dataclass
class SweepResult:
    trips: int = 0
    queued: int = 0


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def link_path(trip: Trip) -> str:
    return f"/checkin/{trip.id}/{_serializer().dumps({'t': trip.id})}"


def check_link(trip_id: int, signed: str, max_age_hours: int) -> Trip:
    """The trip a check-in link is for: refused when tampered, expired or for another trip."""
    try:
        data = _serializer().loads(signed, max_age=max_age_hours * 3600)
    except SignatureExpired:
        raise CheckinRefused(
            Text("Deze link is verlopen.", "This link has expired."), 410
        ) from None
    except BadSignature:
        raise CheckinRefused(Text("Deze link is ongeldig.", "This link is not valid.")) from None
    if not isinstance(data, dict) or data.get("t") != trip_id:
        raise CheckinRefused(Text("Deze link is ongeldig.", "This link is not valid."))
    trip = db.session.get(Trip, trip_id)
    if trip is None or trip.phase is not TripPhase.TRAVELLING:
        raise CheckinRefused(
            Text("Deze reis vraagt geen check-in meer.", "This trip no longer asks for check-ins."),
            410,
        )
    return trip


def _people(*roles: Role) -> list[Person]:
    return list(
        db.session.scalars(
            sa.select(Person)
            .where(
                Person.id.in_(
                    sa.select(RoleAssignment.person_id).where(RoleAssignment.role.in_(roles))
                ),
                Person.is_active_account.is_(True),
            )
            .order_by(Person.id)
        )
    )


def _due(now: datetime, late: timedelta) -> list[Trip]:
    return list(
        db.session.scalars(
            sa.select(Trip)
            .where(Trip.phase == TripPhase.TRAVELLING, Trip.checkin_due_at <= now - late)
            .options(joinedload(Trip.traveller), joinedload(Trip.legs))
            .order_by(Trip.id)
        ).unique()
    )


def _r(p: Person) -> Recipient:
    return Recipient(p.id, p.email, p.name, p.language)


def prompt(now: datetime, procedure: Procedure) -> SweepResult:
    """Ask travellers whose check-in is due, with a one-button link (once per due moment)."""
    trips = _due(now, timedelta())
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    mails = [
        compose(
            "checkin",
            "traveller",
            _r(t.traveller),
            about=f"trip:{t.id}/checkin:{t.checkin_due_at.isoformat()}",  # type: ignore[union-attr]
            due_on=t.checkin_due_at.date(),  # type: ignore[union-attr]
            trip=t,
            url=public + link_path(t),
            every=procedure.followup.checkin_every_hours,
        )
        for t in trips
    ]
    return SweepResult(len(trips), queue(mails))


def missed(now: datetime, procedure: Procedure) -> SweepResult:
    """After the grace period the safety officers hear of it and the trip is flagged; after
    the second period the crisis team, with the emergency contact (a logged opening)."""
    f = procedure.followup
    grace, crisis = timedelta(hours=f.checkin_grace_hours), timedelta(hours=f.checkin_crisis_hours)
    late = _due(now, grace)
    if not late:
        return SweepResult()
    officers = _people(Role.SAFETY_OFFICER)
    team = _people(Role.CRISIS_TEAM)
    officer_mails, team_mails = [], []
    shown: dict[str, Trip] = {}
    for t in late:
        due = t.checkin_due_at
        assert due is not None
        key = f"trip:{t.id}/checkin:{due.isoformat()}"
        context: dict[str, Any] = {"about": key, "due_on": due.date(), "trip": t, "due": due}
        officer_mails += [
            compose("checkin_missed", "officer", _r(o), **context)
            for o in officers
            if o.id != t.traveller_id
        ]
        if due <= now - grace - crisis:
            shown[key] = t
            team_mails += [
                compose("checkin_no_news", "team", _r(c), **context)
                for c in team
                if c.id != t.traveller_id
            ]
    # The team's alert carries the emergency contact: each first sending is a logged opening.
    fresh = {m.about for m in team_mails} - {
        k[1]
        for k in queued_keys(
            "checkin_no_news", [(m.recipient, m.about, m.due_on) for m in team_mails]
        )
    }
    new = queue(officer_mails) + queue(team_mails)
    for key in sorted(fresh):
        t = shown[key]
        audit.record(
            "trip.break_glass",
            t,
            None,
            reason=f"{MISSED}, due {key.rsplit(':', 1)[-1]}: alert to the crisis team",
            traveller=t.traveller_id,
        )
    flag = [t.id for t in late if not t.needs_attention]
    if flag:
        db.session.execute(
            sa.update(Trip)
            .where(Trip.id.in_(flag), Trip.needs_attention.is_(False))
            .values(needs_attention=True, attention_reason=MISSED)
            .execution_options(synchronize_session=False)
        )
    return SweepResult(len(late), new)


def check_in(
    trip: Trip,
    person: Person | None,
    note: str,
    now: datetime,
    every_hours: int,
    answer: CheckinAnswer = CheckinAnswer.WELL,
) -> CheckinEntry:
    """Record a check-in (from the link, or in the app) in the trip's history and move the next
    one on; "I need help" flags the trip and alerts the crisis team and the safety officers once
    per change to help (a repeated call does not alert again; a call after "I am well" does)."""
    if trip.phase is not TripPhase.TRAVELLING:
        raise CheckinRefused(
            Text("Deze reis vraagt geen check-in.", "This trip does not ask for check-ins."), 409
        )
    # The latest answer, read under a lock on the trip: two help posts at once must not both
    # see "no help yet" and alert twice (PostgreSQL waits here; SQLite has one writer at a time).
    db.session.execute(sa.select(Trip.id).where(Trip.id == trip.id).with_for_update())
    previous = db.session.scalar(
        sa.select(CheckinEntry.answer)
        .where(CheckinEntry.trip_id == trip.id)
        .order_by(CheckinEntry.id.desc())
        .limit(1)
    )
    kept = note.strip()[:MAX_NOTE] if answer is CheckinAnswer.HELP else ""
    via = AnswerVia.APP if person else AnswerVia.LINK
    entry = CheckinEntry(trip_id=trip.id, at=now, answer=answer, note=kept, via=via)
    db.session.add(entry)
    trip.last_checkin_at = now
    trip.checkin_due_at = now + timedelta(hours=every_hours)
    if answer is CheckinAnswer.HELP:
        reason = trip.attention_reason if trip.needs_attention else ""
        if reason in ("", MISSED):
            trip.attention_reason = HELP
        elif HELP not in reason:
            trip.attention_reason = f"{reason}; {HELP}"
        trip.needs_attention = True
    elif trip.needs_attention and trip.attention_reason in (MISSED, HELP):
        trip.needs_attention = False
        trip.attention_reason = ""
    audit.record(
        "trip.checkin",
        trip,
        person or trip.traveller,
        via=via.value,
        answer=answer.value,
        previous=previous.value if previous else None,
        note=kept,
        entry=entry.id,
    )
    if answer is CheckinAnswer.HELP and previous is not CheckinAnswer.HELP:
        _alert(trip, entry)
    return entry


def _alert(trip: Trip, entry: CheckinEntry) -> None:
    """Tell the crisis team and the safety officers that a traveller asked for help."""
    queue(
        [
            compose(
                "checkin_help",
                "team",
                _r(p),
                # One alert per answer that turned to help: the answer's row names it.
                about=f"trip:{trip.id}/checkin-help:{entry.id}",
                due_on=entry.at.date(),
                trip=trip,
                entry=entry,
            )
            for p in _people(Role.CRISIS_TEAM, Role.SAFETY_OFFICER)
            if p.id != trip.traveller_id
        ]
    )


def history(trip_id: int) -> list[CheckinEntry]:
    """Every check-in of a trip, newest first."""
    return list(
        db.session.scalars(
            sa.select(CheckinEntry)
            .where(CheckinEntry.trip_id == trip_id)
            .order_by(CheckinEntry.id.desc())
        )
    )
