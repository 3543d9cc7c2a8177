"""The one writer for handing an open review step to someone else.

An escalation with no deputy to act hands the step to whoever the procedure names
(``escalate.reassign_to``); a person who leaves hands theirs to their deputy or the safety
officer. Either way the task row keeps its step and round and gets a new holder, marked
``reassigned_at``: from then on the new holder may decide the step whatever it names, and the
former one no longer may (unless they hold the step's role anyway). Nothing is closed: the step
waits for a decision as before.

For one task or a thousand the same few statements run: a conditional UPDATE per target that
moves only the rows still held as they were read (a second sweep, or one running at the same
time, finds nothing left to move, so nothing is written or told twice), the timeline events and
their audit through :mod:`travel_app.trips.transitions`, and one insert of the notices. Nothing
here commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import Mail, queue
from travel_app.trips import routing, transitions
from travel_app.trips.access import declared_codes
from travel_app.trips.models import EventKind, Trip, TripEvent, TripTask
from travel_app.trips.notices import role_holders

#: The reasons the timeline and the notice put in words; any other short code is recorded
#: as given and shown without a reason.
REASONS = frozenset({"escalation", "deactivated"})
REASON_CODE = re.compile(r"[a-z][a-z_]{0,39}")


@dataclass(frozen=True)
class Move:
    """One open task handed over: its row as the caller read it, and its new holder (a person,
    or every holder of a role when ``to_id`` is None)."""

    task_id: int
    trip_id: int
    round: int
    step_id: str
    from_id: int | None
    from_role: str | None
    to_id: int | None
    to_role: str | None


@dataclass
class Handover:
    """What :func:`hand_over` did: the moves it won, their timeline events, the mails queued."""

    moved: list[Move]
    events: list[TripEvent]
    queued: int = 0


def reassign_task(
    task: TripTask, to: Person, *, reason: str, actor: Person | None, today: date
) -> None:
    """Hand the open ``task`` to ``to`` (its role stays), on the timeline, audited and told.

    A task already closed or already held by ``to`` is left as it is; so is one that someone
    else moved meanwhile. ``to`` must be an active account and not the trip's traveller
    (nobody decides on their own trip): anything else is a caller's mistake (ValueError).
    """
    _check_reason(reason)
    if not to.is_active_account:
        raise ValueError("a task is handed to an active account only")
    if to.id == task.trip.traveller_id:
        raise ValueError("nobody decides on their own trip")
    if task.closed_at is not None or task.assignee_id == to.id:
        return
    move = Move(
        task_id=task.id,
        trip_id=task.trip_id,
        round=task.round,
        step_id=task.step_id,
        from_id=task.assignee_id,
        from_role=task.role,
        to_id=to.id,
        to_role=task.role,
    )
    hand_over([move], reason=reason, actor_id=actor.id if actor else None, today=today)
    db.session.expire(task)


def hand_over(
    moves: Sequence[Move],
    *,
    reason: str,
    actor_id: int | None,
    today: date,
    now: datetime | None = None,
) -> Handover:
    """Move the tasks still held as read; write a timeline event for each, tell the new holders.

    A task whose new holder already holds the same step of the trip is closed instead, so
    nobody finds a step twice in their inbox. A fixed number of statements for any number of
    moves (one UPDATE per distinct target).
    """
    _check_reason(reason)
    if not moves:
        return Handover([], [])
    now = now or utcnow()
    db.session.flush()
    due = _merge_or_move(moves)
    won: set[int] = set()
    table = cast(sa.Table, TripTask.__table__)
    groups: dict[tuple[int | None, str | None, bool], list[Move]] = defaultdict(list)
    for move in moves:
        groups[(move.to_id, move.to_role, move.task_id in due.merged)].append(move)
    for (to_id, to_role, merged), group in groups.items():
        values: dict[str, Any] = {
            "reassigned_at": now,
            # A reminder or escalation day already passed was the former holder's.
            "remind_on": sa.case((table.c.remind_on <= today, None), else_=table.c.remind_on),
            "escalate_on": sa.case((table.c.escalate_on <= today, None), else_=table.c.escalate_on),
        }
        if merged:
            values["closed_at"] = now
        else:
            values.update(assignee_id=to_id, role=to_role)
        # Only rows still open and held as the caller read them: the database decides who wins.
        held_as_read = sa.tuple_(
            table.c.id,
            sa.func.coalesce(table.c.assignee_id, 0),
            sa.func.coalesce(table.c.role, ""),
        ).in_([(m.task_id, m.from_id or 0, m.from_role or "") for m in group])
        won |= set(
            db.session.scalars(
                table.update()
                .where(table.c.closed_at.is_(None), held_as_read)
                .values(**values)
                .returning(table.c.id)
            )
        )
    moved = [m for m in moves if m.task_id in won]
    if not moved:
        return Handover([], [])
    trips = {
        t.id: t
        for t in db.session.scalars(
            sa.select(Trip)
            .where(Trip.id.in_({m.trip_id for m in moved}))
            .options(joinedload(Trip.traveller), joinedload(Trip.legs))
        ).unique()
    }
    names = _names({p for m in moved for p in (m.from_id, m.to_id) if p is not None})
    events = _write_events(moved, trips, names, reason, actor_id, now)
    mails = _notices(moved, events, trips, due.due_on, reason, today)
    return Handover(moved, events, queue(mails))


def _check_reason(reason: str) -> None:
    if not REASON_CODE.fullmatch(reason):
        raise ValueError(f"a reason is a short code such as 'escalation', not {reason!r}")


@dataclass
class _Plan:
    merged: set[int]
    due_on: dict[int, date]


def _merge_or_move(moves: Sequence[Move]) -> _Plan:
    """Which moves would give their new holder a step they already hold (those are closed),
    and each task's due day (one read of the trips' open tasks)."""
    rows = db.session.execute(
        sa.select(
            TripTask.id,
            TripTask.trip_id,
            TripTask.round,
            TripTask.step_id,
            TripTask.assignee_id,
            TripTask.role,
            TripTask.due_on,
        ).where(
            TripTask.trip_id.in_({m.trip_id for m in moves}),
            TripTask.closed_at.is_(None),
        )
    ).all()
    moving = {m.task_id for m in moves}
    held = {
        (r.trip_id, r.round, r.step_id, r.assignee_id, r.role) for r in rows if r.id not in moving
    }
    merged = set()
    for move in moves:
        key = (move.trip_id, move.round, move.step_id, move.to_id, move.to_role)
        if key in held:
            merged.add(move.task_id)
        held.add(key)
    return _Plan(merged, {r.id: r.due_on for r in rows})


def _names(ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}


def _write_events(
    moved: list[Move],
    trips: dict[int, Trip],
    people: dict[int, Person],
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> list[TripEvent]:
    """One timeline event per move (in the order of ``moved``), written in rounds of one per
    trip (the writer's rule): as many rounds as one trip has moves, not one per trip."""
    rounds: list[list[tuple[int, transitions.Change]]] = []
    seen: dict[int, int] = defaultdict(int)
    for index, move in enumerate(moved):
        trip = trips[move.trip_id]
        change = transitions.Change(
            trip_id=trip.id,
            kind=EventKind.REASSIGNED,
            round=move.round,
            from_state=trip.state.value,
            to_state=trip.state.value,
            level=trip.level,
            actor_id=actor_id,
            step_id=move.step_id,
            data={
                "reason": reason,
                "from_id": move.from_id,
                "from_name": people[move.from_id].name if move.from_id else "",
                "from_role": move.from_role,
                "to_id": move.to_id,
                "to_name": people[move.to_id].name if move.to_id else "",
                "to_role": move.to_role,
            },
            audit={
                "reason": reason,
                "task": move.task_id,
                "from_person": move.from_id,
                "from_role": move.from_role,
                "to_person": move.to_id,
                "to_role": move.to_role,
            },
        )
        if seen[trip.id] == len(rounds):
            rounds.append([])
        rounds[seen[trip.id]].append((index, change))
        seen[trip.id] += 1
    events: list[TripEvent | None] = [None] * len(moved)
    for batch in rounds:
        written = transitions.write([change for _, change in batch], now)
        for (index, _), event in zip(batch, written, strict=True):
            events[index] = event
    return [e for e in events if e is not None]


def _notices(
    moved: list[Move],
    events: list[TripEvent],
    trips: dict[int, Trip],
    due_on: dict[int, date],
    reason: str,
    today: date,
) -> list[Mail]:
    """A notice to each new holder (the person, or every active holder of the role), in their
    language; never to the traveller."""
    holders = role_holders({m.to_role for m in moved if m.to_id is None and m.to_role})
    people = _names(
        {p for m in moved for p in (m.from_id, m.to_id) if p is not None}
        | {p for ps in holders.values() for p in ps}
    )
    mails = []
    for move, event in zip(moved, events, strict=True):
        trip = trips[move.trip_id]
        procedure = routing.procedure_of(trip)
        try:
            step = procedure.step(move.step_id)[1]
        except KeyError:
            continue
        to = [move.to_id] if move.to_id is not None else holders.get(move.to_role or "", [])
        former = people.get(move.from_id) if move.from_id is not None else None
        for person_id in to:
            person = people.get(person_id)
            if person is None or not person.is_active_account or person.id == trip.traveller_id:
                continue
            language = person.language
            mails.append(
                compose(
                    "task_reassigned",
                    "holder",
                    Recipient(person.id, person.email, person.name, language),
                    about=f"trip:{trip.id}/event:{event.id}",
                    due_on=today,
                    procedure=procedure,
                    trip=trip,
                    step_name=step.name(language),
                    former=former.name
                    if former is not None
                    else procedure.role_title(move.from_role or "", language),
                    reason=reason,
                    due=due_on.get(move.task_id),
                    as_role=None if move.to_id is not None else move.to_role,
                )
            )
    return mails


@cache
def _round_handed() -> Any:
    """The tasks of a trip's round for steps some of whose tasks were handed on, built once (a
    decision asks; building the statement cost more than running it)."""
    trip_id: Any = sa.bindparam("trip_id")
    round_: Any = sa.bindparam("round")
    return sa.select(
        TripTask.step_id,
        TripTask.assignee_id,
        TripTask.role,
        TripTask.closed_at,
        TripTask.reassigned_at,
    ).where(
        TripTask.trip_id == trip_id,
        TripTask.round == round_,
        TripTask.step_id.in_(
            sa.select(TripTask.step_id).where(
                TripTask.trip_id == trip_id,
                TripTask.round == round_,
                TripTask.reassigned_at.is_not(None),
            )
        ),
    )


def held_steps(trip: Trip, principal: Person) -> tuple[frozenset[str], frozenset[str]]:
    """The steps of the trip's current round handed to ``principal`` (or to a role they hold),
    and those handed away from them: what the engine lets them decide beyond, or no longer
    lets them decide of, what the route names them for (one read)."""
    rows = db.session.execute(_round_handed(), {"trip_id": trip.id, "round": trip.round}).all()
    if not rows:
        return frozenset(), frozenset()
    roles = {a.role.value for a in principal.roles if a.role is not Role.FACULTY_AUTHORITY}
    if any(r.assignee_id is None and r.role not in roles for r in rows if r.role):
        roles |= set(db.session.scalars(declared_codes([principal.id])))
    holds = {
        r.step_id
        for r in rows
        if r.closed_at is None
        and r.reassigned_at is not None
        and (
            r.assignee_id == principal.id
            or (r.assignee_id is None and r.role is not None and r.role in roles)
        )
    }
    mine = {r.step_id for r in rows if r.closed_at is None and r.assignee_id == principal.id}
    handed = {r.step_id for r in rows if r.reassigned_at is not None}
    return frozenset(holds), frozenset(handed - holds - mine)
