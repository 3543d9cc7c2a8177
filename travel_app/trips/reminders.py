"""Beat sweeps for review steps: remind the decider, then escalate, each exactly once.

Each sweep is one read of the open tasks whose day has come (by index), the routing context
and one insert into the outbox. The outbox key (recipient, kind, step, day) makes a second run,
or two runs at once, queue nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from travel_app.extensions import db
from travel_app.outbox.queue import queue
from travel_app.trips import notices
from travel_app.trips.models import REVIEW_STATES, Trip, TripTask

COLUMNS = (
    TripTask.trip_id,
    TripTask.round,
    TripTask.step_id,
    TripTask.assignee_id,
    TripTask.role,
    TripTask.due_on,
    TripTask.remind_on,
    TripTask.escalate_on,
)


@dataclass
class SweepResult:
    tasks: int = 0
    queued: int = 0


def _due(day_column: Any, today: date) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(*COLUMNS)
        .join(Trip, Trip.id == TripTask.trip_id)
        .where(
            TripTask.closed_at.is_(None),
            day_column <= today,
            TripTask.round == Trip.round,
            Trip.state.in_(REVIEW_STATES),
        )
        .order_by(TripTask.id)
    )
    return [dict(row._mapping) for row in rows]


def remind_deciders(today: date) -> SweepResult:
    """Remind whoever holds a step past its reminder day (the caller commits)."""
    rows = _due(TripTask.remind_on, today)
    return SweepResult(
        len(rows), queue(notices.task_mails(rows, today, "task_reminder", "remind_on"))
    )


def escalate_steps(today: date) -> SweepResult:
    """Tell the step's escalation target (deputy or role) that a decision is overdue."""
    rows = _due(TripTask.escalate_on, today)
    mails = notices.task_mails(rows, today, "task_escalation", "escalate_on")
    return SweepResult(len(rows), queue(mails))
