"""What the service holds about one person, for a data-subject request (GDPR art. 15).

The export is built with one query per table, whatever the number of trips. Three fields stay
out of it on purpose: the medical note and the emergency contact (only the crisis team may
open them, with a stated reason; the export says whether they are held, and the traveller
reads them on their own trip page) and the password hash.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from travel_app.core.audit import AuditEvent, _jsonable
from travel_app.dossier.models import DossierItem
from travel_app.duty.models import CheckinEntry, CrisisAnswerEntry, CrisisRecipient
from travel_app.extensions import db
from travel_app.org.models import DeclaredRoleAssignment, Deputy, Person, RoleAssignment
from travel_app.outbox.models import OutboxMessage
from travel_app.trips.models import Leg, Trip, TripEvent

#: Columns never exported: secrets, and what only the crisis team may open.
WITHHELD = {"password_hash", "medical_note", "emergency_name", "emergency_phone"}


EMAIL_FIELDS = {"id", "recipient", "kind", "subject", "due_on", "language", "status", "sent_at"}


def _row(obj: Any, skip: set[str] = WITHHELD) -> dict[str, Any]:
    return {
        column.key: _jsonable(getattr(obj, column.key))
        for column in sa.inspect(type(obj)).column_attrs
        if column.key not in skip
    }


def person_data(person: Person) -> dict[str, Any]:
    """Everything about ``person``: profile, roles, deputies, trips with their legs, events and
    dossier items and check-ins, crisis answers with their history, e-mails sent to them and
    what they did (the audit trail)."""
    trips = list(
        db.session.scalars(sa.select(Trip).where(Trip.traveller_id == person.id).order_by(Trip.id))
    )
    ids = [t.id for t in trips]

    def by_trip(model: Any) -> dict[int, list[dict[str, Any]]]:
        grouped: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for obj in db.session.scalars(
                sa.select(model).where(model.trip_id.in_(ids)).order_by(model.id)
            ):
                grouped[obj.trip_id].append(_row(obj))
        return grouped

    legs, events, items = by_trip(Leg), by_trip(TripEvent), by_trip(DossierItem)
    answers = by_trip(CheckinEntry)
    exported_trips = []
    for trip in trips:
        row = _row(trip)
        row["emergency_contact_held"] = bool(trip.emergency_name or trip.emergency_phone)
        row["medical_note_held"] = bool(trip.medical_note)
        row.update(legs=legs[trip.id], events=events[trip.id], dossier_items=items[trip.id])
        row["checkins"] = answers[trip.id]
        exported_trips.append(row)

    def rows(query: Any) -> list[dict[str, Any]]:
        return [_row(obj) for obj in db.session.scalars(query)]

    return {
        "person": _row(person, WITHHELD),
        "roles": rows(sa.select(RoleAssignment).where(RoleAssignment.person_id == person.id)),
        # The roles of the procedure file this person holds (a risk committee, a provost).
        "procedure_roles": rows(
            sa.select(DeclaredRoleAssignment).where(DeclaredRoleAssignment.person_id == person.id)
        ),
        "deputies": rows(
            sa.select(Deputy).where(
                sa.or_(Deputy.person_id == person.id, Deputy.deputy_id == person.id)
            )
        ),
        "trips": exported_trips,
        "crisis_answers": rows(
            sa.select(CrisisRecipient).where(CrisisRecipient.person_id == person.id)
        ),
        # Every answer given, not only the latest each recipient row holds.
        "crisis_answer_history": rows(
            sa.select(CrisisAnswerEntry)
            .join(CrisisRecipient, CrisisRecipient.id == CrisisAnswerEntry.recipient_id)
            .where(CrisisRecipient.person_id == person.id)
            .order_by(CrisisAnswerEntry.id)
        ),
        "emails": [
            {k: v for k, v in r.items() if k in EMAIL_FIELDS}
            for r in rows(sa.select(OutboxMessage).where(OutboxMessage.recipient_id == person.id))
        ],
        "audit_trail": rows(
            sa.select(AuditEvent)
            .where(
                sa.or_(
                    AuditEvent.actor_id == person.id,
                    sa.and_(
                        AuditEvent.object_type == "person",
                        AuditEvent.object_id == str(person.id),
                    ),
                    # Who did what with their trips, break-glass openings included.
                    sa.and_(
                        AuditEvent.object_type == "trip",
                        AuditEvent.object_id.in_([str(i) for i in ids]),
                    ),
                )
            )
            .order_by(AuditEvent.id)
        ),
    }
