"""Incidents and break-glass access to emergency and medical data.

The crisis team opens an incident on one or more trips, logs what happens, links crisis
messages and closes it with a summary. Emergency contact and medical note open only to the
crisis team, only while the traveller travels or an incident on the trip is open, and only
after a stated reason; every opening is in the audit trail, where the safety officer sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from travel_app.core import audit
from travel_app.core.audit import AuditEvent
from travel_app.core.errors import Refused
from travel_app.duty.models import CrisisMessage, Incident, IncidentEntry, incident_trip
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.trips.models import Trip, TripPhase, TripState
from workflows.model import Text

MAX_TITLE = 200
MAX_TEXT = 5000
MIN_REASON = 10
#: The one role that may open emergency and medical data (DOMAIN: roles).
BREAK_GLASS_ROLE = Role.CRISIS_TEAM


class IncidentRefused(Refused):
    """An incident act or break-glass opening refused."""


def _text(value: str, limit: int, field: str) -> str:
    value = value.strip()
    if not value:
        raise IncidentRefused(Text("Nodig.", "Required."), field=field)
    if len(value) > limit:
        raise IncidentRefused(
            Text(f"Hoogstens {limit} tekens.", f"At most {limit} characters."), field=field
        )
    return value


def open_incident(person: Person, title: str, trip_ids: list[int], now: datetime) -> Incident:
    """An incident on existing, filed trips (the caller commits)."""
    title = _text(title, MAX_TITLE, "title")
    wanted = sorted(set(trip_ids))
    if not wanted:
        raise IncidentRefused(
            Text("Noem minstens één reis.", "Name at least one trip."), field="trips"
        )
    trips = list(
        db.session.scalars(
            sa.select(Trip).where(Trip.id.in_(wanted), Trip.state != TripState.DRAFT)
        )
    )
    missing = sorted(set(wanted) - {t.id for t in trips})
    if missing:
        raise IncidentRefused(
            Text(
                "Onbekende reizen: " + ", ".join(map(str, missing)),
                "Unknown trips: " + ", ".join(map(str, missing)),
            ),
            field="trips",
        )
    incident = Incident(title=title, opened_by_id=person.id, opened_at=now, trips=trips)
    db.session.add(incident)
    audit.record("incident.open", incident, person, trips=wanted)
    return incident


def add_entry(
    incident: Incident, person: Person, text: str, message_id: int | None, now: datetime
) -> IncidentEntry:
    if not incident.is_open:
        raise IncidentRefused(Text("Dit incident is gesloten.", "This incident is closed."), 409)
    text = _text(text, MAX_TEXT, "text")
    if message_id is not None and db.session.get(CrisisMessage, message_id) is None:
        raise IncidentRefused(Text("Onbekend bericht.", "Unknown message."), field="message")
    entry = IncidentEntry(
        incident_id=incident.id, author_id=person.id, text=text, message_id=message_id, at=now
    )
    db.session.add(entry)
    audit.record("incident.entry", incident, person, message=message_id)
    return entry


def close_incident(incident: Incident, person: Person, summary: str, now: datetime) -> None:
    if not incident.is_open:
        raise IncidentRefused(Text("Dit incident is al gesloten.", "This incident is closed."), 409)
    incident.summary = _text(summary, MAX_TEXT, "summary")
    incident.closed_at = now
    incident.closed_by_id = person.id
    audit.record("incident.close", incident, person)


def open_incident_on(trip: Trip) -> bool:
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists()
                .where(incident_trip.c.trip_id == trip.id)
                .where(incident_trip.c.incident_id == Incident.id)
                .where(Incident.closed_at.is_(None))
            )
        )
    )


def may_break_glass(trip: Trip, person: Person) -> bool:
    """The crisis team, while the traveller travels or an incident on the trip is open."""
    if not person.has_any_role(BREAK_GLASS_ROLE) or person.id == trip.traveller_id:
        return False
    return trip.phase is TripPhase.TRAVELLING or open_incident_on(trip)


@dataclass(frozen=True)
class Emergency:
    """What an opening shows: read once, never stored elsewhere."""

    name: str
    phone: str
    medical_note: str


def break_glass(trip: Trip, person: Person, reason: str) -> Emergency:
    """Open the emergency contact and medical note, stating why; audited (caller commits)."""
    if not person.has_any_role(BREAK_GLASS_ROLE):
        raise IncidentRefused(
            Text(
                "Alleen de crisiscel kan nood- en medische gegevens openen.",
                "Only the crisis team can open emergency and medical data.",
            ),
            403,
        )
    if not may_break_glass(trip, person):
        raise IncidentRefused(
            Text(
                "Alleen terwijl de reiziger op reis is of een incident over deze reis open staat.",
                "Only while the traveller travels or an incident on this trip is open.",
            ),
            403,
        )
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise IncidentRefused(
            Text(
                f"Zeg waarom (minstens {MIN_REASON} tekens).",
                f"Say why (at least {MIN_REASON} characters).",
            ),
            field="reason",
        )
    audit.record(
        "trip.break_glass", trip, person, reason=reason[:MAX_TEXT], traveller=trip.traveller_id
    )
    return Emergency(trip.emergency_name, trip.emergency_phone, trip.medical_note or "")


def openings(limit: int = 200) -> list[AuditEvent]:
    """The latest break-glass openings, for the safety officer's review."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "trip.break_glass")
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
