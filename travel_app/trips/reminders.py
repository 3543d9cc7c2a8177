"""Beat sweeps for review steps: remind the decider, then escalate, each exactly once.

Each sweep is one read of the open tasks whose day has come (by index), the routing context
and one insert into the outbox. The outbox key (recipient, kind, step, day) makes a second run,
or two runs at once, queue nothing new.

An escalation the assignee's deputy can act on tells the deputy. Any other hands the step to
the role the procedure names (``escalate.reassign_to``, else the role ``to`` names, else the
fallback role) through :mod:`travel_app.trips.reassign`, whose conditional UPDATE lets one
sweep move it, once; an escalation that names nobody able to take the step only tells.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from travel_app.extensions import db
from travel_app.org.models import Deputy, Person
from travel_app.outbox.queue import queue
from travel_app.procedures import active_procedure
from travel_app.trips import notices, reassign, routing
from travel_app.trips.models import REVIEW_STATES, Trip, TripTask

COLUMNS = (
    TripTask.id,
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
    """Tell the assignee's deputy that a decision is overdue, or hand the step to whoever the
    procedure names and tell them (the caller commits)."""
    rows = _due(TripTask.escalate_on, today)
    tell, moves = _split(rows, today)
    queued = queue(notices.task_mails(tell, today, "task_escalation", "escalate_on"))
    moved = reassign.hand_over(moves, reason="escalation", actor_id=None, today=today)
    return SweepResult(len(rows), queued + moved.queued)


def _split(
    rows: list[dict[str, Any]], today: date
) -> tuple[list[dict[str, Any]], list[reassign.Move]]:
    """The overdue rows whose escalation only tells (a deputy can act, or nobody can take the
    step), and the moves of the others to the role that takes them. A read each of the trips,
    the deputies and the roles' holders, for any number of rows."""
    if not rows:
        return [], []
    trips = {
        t.id: t
        for t in db.session.scalars(
            sa.select(Trip).where(Trip.id.in_({r["trip_id"] for r in rows}))
        )
    }
    named = {r["assignee_id"] for r in rows if r["assignee_id"] is not None}
    deputies: dict[int, set[int]] = defaultdict(set)
    if named:
        for person_id, deputy_id in db.session.execute(
            sa.select(Deputy.person_id, Deputy.deputy_id)
            .join(Person, Person.id == Deputy.deputy_id)
            .where(
                Deputy.person_id.in_(named),
                Deputy.starts_on <= today,
                Deputy.ends_on >= today,
                Person.is_active_account.is_(True),
            )
        ):
            deputies[person_id].add(deputy_id)
    plans = []
    for row in rows:
        trip = trips[row["trip_id"]]
        procedure = routing.procedure_of(trip)
        try:
            escalation = procedure.step(row["step_id"])[1].escalation
        except KeyError:
            escalation = active_procedure().step(row["step_id"])[1].escalation
        fallback = procedure.choices.fallback_role
        taker = escalation.taker(fallback) if escalation is not None else None
        # Whoever the procedure names, else the fallback role if nobody holds that role.
        takers: list[str] = [] if taker is None else list(dict.fromkeys((taker, fallback)))
        can_act = deputies.get(row["assignee_id"], set()) - {trip.traveller_id}
        role_step = row["assignee_id"] is None
        if (
            escalation is not None
            and escalation.to == "deputy"
            and (can_act or (role_step and escalation.reassign_to is None))
        ):
            # A deputy acts; or the step is a role's, whose other holders can: tell only.
            takers = []
        plans.append((row, trip, takers))
    holders = notices.role_holders({t for _, _, takers in plans for t in takers})
    active = set(
        db.session.scalars(
            sa.select(Person.id).where(
                Person.id.in_({p for ps in holders.values() for p in ps}),
                Person.is_active_account.is_(True),
            )
        )
    )
    tell: list[dict[str, Any]] = []
    moves: list[reassign.Move] = []
    for row, trip, takers in plans:
        # The first role someone other than the traveller holds takes the step.
        role = next(
            (t for t in takers if (set(holders.get(t, [])) & active) - {trip.traveller_id}),
            None,
        )
        if role is None or (row["assignee_id"] is None and row["role"] == role):
            tell.append(row)
            continue
        moves.append(
            reassign.Move(
                task_id=row["id"],
                trip_id=row["trip_id"],
                round=row["round"],
                step_id=row["step_id"],
                from_id=row["assignee_id"],
                from_role=row["role"],
                to_id=None,
                to_role=role,
            )
        )
    return tell, moves
