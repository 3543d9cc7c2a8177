"""The one writer of trip changes: versions, review tasks, timeline events and their audit.

Every verb (file, decide, resubmit, change, withdraw, cancel), the level-rise reaction, the
journey sweeps and retention describe what happened to each trip as a :class:`Change` and hand
the list to :func:`write`. For one trip or a thousand it issues the same few statements: trip
rows updated with their version bumped, tasks closed and opened, the timeline events inserted,
and for each event an audit record on the hash chain (``trip.<kind>``, naming the event), so
the timeline and the chained trail cannot drift apart. Nothing here commits.

Concurrency stays with the callers: a verb first claims the version the user saw
(:func:`travel_app.trips.operations.claim`) and a sweep moves its rows with a guarded UPDATE;
only the trips they won get a :class:`Change`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.trips.models import EventKind, Trip, TripEvent, TripTask
from travel_app.webhooks import events as webhooks
from workflows.engine import Outcome

#: Rows per INSERT statement (the driver's bound-parameter limit may split it further: SQLite
#: takes about 2,300 events in one): a level rise over thousands of trips stays a few statements.
PAGE = 5000
#: ``Change.close`` value: close every open task of the trip.
ALL = "all"
#: The answers only a recommend step gives. A recommendation is given once, by whoever gives
#: it, and may come after its stage passed (the verb's plan, made before the event is stored,
#: cannot see it then): the decision that records it closes its step's tasks itself.
RECOMMENDATIONS = frozenset({Outcome.FAVOURABLE.value, Outcome.UNFAVOURABLE.value})


@dataclass
class Change:
    """What happened to one trip: the timeline event, and the rows that change with it."""

    trip_id: int
    kind: EventKind
    round: int
    from_state: str | None
    to_state: str | None
    level: int | None
    actor_id: int | None = None
    on_behalf_of_id: int | None = None
    step_id: str | None = None
    outcome: str | None = None
    comment: str = ""
    conditions: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    #: The trip's version after this change, for the audit record (None: not known here).
    version: int | None = None
    #: Trip columns to set in the same statement as the version bump (a set-based caller's
    #: rows; a verb changes its loaded ``Trip`` instead and has claimed the version already).
    values: dict[str, Any] = field(default_factory=dict)
    #: Open tasks to close: ``ALL`` of the trip's, or these task ids.
    close: str | Sequence[int] = ()
    #: Task rows to open (``routing.task_rows``).
    open: list[dict[str, Any]] = field(default_factory=list)
    #: Extra facts for the audit record (what the chain should hold beyond the event's link).
    audit: dict[str, Any] = field(default_factory=dict)
    #: Waiting tasks whose advice came in: ``b_id`` and their new dates (``routing.plan_tasks``).
    wake: list[dict[str, Any]] = field(default_factory=list)
    #: A decision's working days since its step opened, and since submission on the trip's
    #: first final decision (the reports' facts).
    step_working_days: int | None = None
    request_working_days: int | None = None


def event_row(change: Change, at: datetime) -> dict[str, Any]:
    """The timeline row of ``change``."""
    return {
        "trip_id": change.trip_id,
        "kind": change.kind,
        "at": at,
        "actor_id": change.actor_id,
        "on_behalf_of_id": change.on_behalf_of_id,
        "round": change.round,
        "step_id": change.step_id,
        "outcome": change.outcome,
        "comment": change.comment,
        "conditions": list(change.conditions),
        "from_state": change.from_state,
        "to_state": change.to_state,
        "level": change.level,
        "data": change.data,
        "step_working_days": change.step_working_days,
        "request_working_days": change.request_working_days,
    }


#: Statements built once: building and keying a statement costs more than running it (about
#: 0.1 ms each), and a decision runs a dozen.
_EVENTS = cast(sa.Table, TripEvent.__table__)
_TASKS = cast(sa.Table, TripTask.__table__)
_INSERT_EVENTS = (
    _EVENTS.insert()
    .returning(_EVENTS.c.trip_id, _EVENTS.c.id)
    .execution_options(insertmanyvalues_page_size=PAGE)
)
_CLOSE_TASKS = (
    _TASKS.update()
    .where(_TASKS.c.id.in_(sa.bindparam("b_ids", expanding=True)))
    .values(closed_at=sa.bindparam("b_now"))
)
_CLOSE_TRIPS = (
    _TASKS.update()
    .where(_TASKS.c.trip_id == sa.bindparam("b_trip"), _TASKS.c.closed_at.is_(None))
    .values(closed_at=sa.bindparam("b_now"))
)
_CLOSE_STEPS = (
    _TASKS.update()
    .where(
        _TASKS.c.trip_id == sa.bindparam("b_trip"),
        _TASKS.c.round == sa.bindparam("b_round"),
        _TASKS.c.step_id == sa.bindparam("b_step"),
        _TASKS.c.closed_at.is_(None),
    )
    .values(closed_at=sa.bindparam("b_now"))
)


def write(changes: Sequence[Change], now: datetime | None = None) -> list[TripEvent]:
    """Write ``changes`` (one per trip) in a fixed number of statements; return their timeline
    events (with ids, not attached to the session) in the same order."""
    if not changes:
        return []
    now = now or utcnow()
    db.session.flush()  # a verb's own changes to the trip go first
    _update_trips(changes, now)
    _close_tasks(changes, now)
    _wake_tasks(changes)
    opened = [row for change in changes for row in change.open]
    if opened:
        db.session.execute(sa.insert(TripTask), opened)
    rows = [event_row(change, now) for change in changes]
    # One event per trip and write, so the ids come back by trip (in no particular order:
    # asking for the parameters' order makes SQLite insert row by row).
    ids: dict[int, int] = dict(db.session.execute(_INSERT_EVENTS, rows).all())
    if len(ids) != len(changes):
        raise ValueError("transitions.write takes one change per trip")
    audit.add_rows(
        [
            audit.row(
                f"trip.{change.kind.value}",
                "trip",
                change.trip_id,
                change.actor_id,
                event=ids[change.trip_id],
                from_state=change.from_state,
                to_state=change.to_state,
                round=change.round,
                version=change.version,
                step=change.step_id,
                outcome=change.outcome,
                on_behalf_of=change.on_behalf_of_id,
                **change.audit,
            )
            for change in changes
        ],
        now,
    )
    webhooks.trip_states(changes, ids, now)  # the outbox rows of trip.state_changed
    return [TripEvent(id=ids[row["trip_id"]], **row) for row in rows]


def _update_trips(changes: Sequence[Change], now: datetime) -> None:
    """One executemany per set of columns: the values given, the version bumped."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        if change.values:
            groups[tuple(sorted(change.values))].append({"b_id": change.trip_id, **change.values})
    table = cast(sa.Table, Trip.__table__)
    for columns, params in groups.items():
        values: dict[str, Any] = {name: sa.bindparam(name) for name in columns}
        if "version" not in values:
            values["version"] = table.c.version + 1
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values(**values, updated_at=now),
            params,
        )


def _close_tasks(changes: Sequence[Change], now: datetime) -> None:
    """Close whole trips' open tasks in one executemany, single tasks in one UPDATE, and the
    tasks of the recommendations given in one executemany."""
    whole = [{"b_trip": c.trip_id, "b_now": now} for c in changes if c.close == ALL]
    ids = [i for c in changes if c.close != ALL for i in c.close]
    given = [
        {"b_trip": c.trip_id, "b_round": c.round, "b_step": c.step_id, "b_now": now}
        for c in changes
        if c.kind is EventKind.DECISION and c.outcome in RECOMMENDATIONS and c.close != ALL
    ]
    if given:
        db.session.execute(_CLOSE_STEPS, given)
    if whole:
        db.session.execute(_CLOSE_TRIPS, whole)
    if ids:
        db.session.execute(_CLOSE_TASKS, {"b_ids": ids, "b_now": now})


def _wake_tasks(changes: Sequence[Change]) -> None:
    """Move the waiting tasks whose advice came in (open, or waiting for the next advice),
    with their dates, in one executemany."""
    woken = [row for change in changes for row in change.wake]
    if not woken:
        return
    table = cast(sa.Table, TripTask.__table__)
    db.session.execute(
        table.update()
        .where(table.c.id == sa.bindparam("b_id"))
        .values(
            waiting_for=sa.bindparam("waiting_for"),
            opened_on=sa.bindparam("opened_on"),
            due_on=sa.bindparam("due_on"),
            remind_on=sa.bindparam("remind_on"),
            escalate_on=sa.bindparam("escalate_on"),
        ),
        [
            {
                k: row[k]
                for k in ("b_id", "waiting_for", "opened_on", "due_on", "remind_on", "escalate_on")
            }
            for row in woken
        ],
    )
