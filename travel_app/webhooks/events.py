"""What each event says: the ``data`` of every webhook, built from ids and public facts only.

The writers call these, one call each: the trip transitions (``trip.state_changed``), the
reaction to new advice (``risk_level.changed``) and a crisis answer (``crisis.answered``). Never
an emergency contact, a phone number, a medical note, evidence or a free-text note: a receiver
that needs more asks the API, which checks who is asking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from travel_app.extensions import db
from travel_app.trips.models import Trip
from travel_app.webhooks import operations
from travel_app.webhooks.models import CRISIS_ANSWERED, RISK_LEVEL_CHANGED, TRIP_STATE_CHANGED

if TYPE_CHECKING:
    from travel_app.duty.models import CrisisAnswerEntry, CrisisRecipient
    from travel_app.places.models import Advisory
    from travel_app.trips.transitions import Change


def trip_states(changes: Sequence[Change], event_ids: Mapping[int, int], now: datetime) -> int:
    """Queue ``trip.state_changed`` for each change that moved a trip to another state."""
    moved = [c for c in changes if c.to_state is not None and c.to_state != c.from_state]
    if not moved:
        return 0
    subscribers = operations.listeners(TRIP_STATE_CHANGED)
    if not subscribers:
        return 0
    travellers = dict(
        db.session.execute(
            sa.select(Trip.id, Trip.traveller_id).where(Trip.id.in_([c.trip_id for c in moved]))
        ).all()
    )
    facts = [
        (
            f"trip_event:{event_ids[c.trip_id]}",
            {
                "trip_id": c.trip_id,
                "traveller_id": travellers.get(c.trip_id),
                "event": c.kind.value,
                "old_state": c.from_state,
                "new_state": c.to_state,
                "round": c.round,
                "level": c.level,
            },
        )
        for c in moved
    ]
    return operations.emit_many(TRIP_STATE_CHANGED, facts, now, subscribers)


def risk_levels(advisories: Sequence[Advisory]) -> int:
    """Queue ``risk_level.changed`` for each new advice trips react to."""
    return operations.emit_many(
        RISK_LEVEL_CHANGED,
        [
            (
                f"advisory:{a.id}",
                {
                    "advisory_id": a.id,
                    "country": a.country_code,
                    "region": a.region_code,
                    "level": a.level,
                    "source": a.source_code,
                    "effective_on": a.effective_on.isoformat(),
                },
            )
            for a in advisories
        ],
    )


def crisis_answer(
    recipient: CrisisRecipient, entry: CrisisAnswerEntry, previous: Any, now: datetime
) -> int:
    """Queue ``crisis.answered`` for one traveller's answer (never the note they wrote)."""
    return operations.emit(
        CRISIS_ANSWERED,
        {
            "crisis_message_id": recipient.message_id,
            "traveller_id": recipient.person_id,
            "trip_id": recipient.trip_id,
            "answer": entry.answer.value,
            "previous_answer": previous.value if previous is not None else None,
            "answered_at": entry.at.isoformat(),
        },
        f"crisis_answer:{entry.id}",
        now,
    )
