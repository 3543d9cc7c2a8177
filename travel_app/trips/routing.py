"""Between the trip rows and the pure engine: stored routes, rounds of events, open tasks."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import sqlalchemy as sa

import workflows
from travel_app.extensions import db
from travel_app.procedures import active_procedure
from travel_app.trips.facts import Context
from travel_app.trips.models import EventKind, ProcedureText, Trip, TripEvent, TripTask
from workflows import engine
from workflows.engine import Decision, Event, Outcome, Position, Resubmission, Route, State
from workflows.model import Mode, Procedure, Text

_parsed: dict[str, Procedure] = {}


def remember(procedure: Procedure) -> str:
    """Keep the procedure's text so trips routed under it can finish under it; return its digest."""
    digest = procedure.digest
    if db.session.get(ProcedureText, digest) is None:
        db.session.add(
            ProcedureText(
                digest=digest,
                procedure_id=procedure.id,
                version=procedure.version,
                text=procedure.text,
            )
        )
    _parsed[digest] = procedure
    return digest


def procedure_of(trip: Trip) -> Procedure:
    """The procedure the trip was routed under (the active one for drafts)."""
    digest = trip.procedure_digest
    if digest is None:
        return active_procedure()
    if digest not in _parsed:
        active = active_procedure()
        if active.digest == digest:
            _parsed[digest] = active
        else:
            row = db.session.get(ProcedureText, digest)
            if row is None:  # pragma: no cover - a foreign key guarantees the row
                raise LookupError(digest)
            _parsed[digest] = workflows.loads(
                row.text, f"{row.procedure_id} v{row.version}", stored=True
            )
    return _parsed[digest]


def route_to_json(
    route: Route,
    ctx: Context,
    procedure: Procedure,
    travelling: Collection[int] = (),
    suspension: bool = False,
) -> dict[str, Any]:
    """The route as stored on the trip, with who was named for each step at routing time, and
    each source's level for each destination (which one decided) when ``ctx`` built the facts."""
    traveller = route.traveller_id
    assert traveller is not None
    behind = ctx.behind(route)
    return {
        "procedure_id": route.procedure_id,
        "procedure_version": route.procedure_version,
        "level": route.risk.level,
        "base_level": route.risk.base_level,
        "governing": route.risk.governing.place if route.risk.governing else None,
        "reasons": [[t.nl, t.en] for t in route.risk.reasons],
        "destinations": [place.to_json() for place in behind] if behind is not None else None,
        "no_approval": route.no_approval,
        "stages": [
            {
                "id": rs.stage.id,
                "reason": [rs.reason.nl, rs.reason.en],
                "facts": [rs.facts.nl, rs.facts.en],
                "steps": [
                    {
                        "id": step.id,
                        "mode": step.mode.value,
                        "assignees": ctx.assignees(procedure, step, traveller, travelling),
                    }
                    for step in rs.stage.steps
                ],
            }
            for rs in route.stages
        ],
        "lead_time_days": route.lead_time_days,
        "days_before_departure": route.days_before_departure,
        "is_late": route.is_late,
        "suspension": suspension,
        "waits_for": [list(pair) for pair in route.waits_for],
    }


def route_from_json(procedure: Procedure, data: dict[str, Any], traveller_id: int) -> Route:
    stages = {stage.id: stage for stage in procedure.stages}
    return Route(
        procedure_id=data["procedure_id"],
        procedure_version=data["procedure_version"],
        risk=engine.Risk(
            data["level"], data["base_level"], None, tuple(Text(*r) for r in data["reasons"])
        ),
        no_approval=data["no_approval"],
        stages=tuple(
            engine.RoutedStage(stages[s["id"]], _text(s["reason"]), _text(s["facts"]))
            for s in data["stages"]
        ),
        lead_time_days=data["lead_time_days"],
        days_before_departure=data["days_before_departure"],
        is_late=data["is_late"],
        traveller_id=traveller_id,
        waits_for=tuple((rule, stage) for rule, stage in data.get("waits_for", [])),
    )


def _text(value: str | list[str]) -> Text:
    """A stored text in both languages (routes stored before 2026-12 kept one English text)."""
    if isinstance(value, str):
        return Text(value, value)
    return Text(value[0], value[1])


def step_kind(trip: Trip, step_id: str) -> tuple[str | None, list[int]]:
    """The step's mode and the people named for it in the stored route."""
    for stage in (trip.route or {}).get("stages", []):
        for step in stage["steps"]:
            if step["id"] == step_id:
                return step["mode"], [p for p, _ in step["assignees"] if p is not None]
    return None, []


class EventRow(Protocol):
    """What :func:`to_engine_event` reads of a timeline event (a TripEvent, or its columns)."""

    kind: EventKind
    step_id: str | None
    actor_id: int | None
    outcome: str | None
    comment: str
    conditions: list[str]
    on_behalf_of_id: int | None


def to_engine_event(row: EventRow) -> Event:
    if row.kind is EventKind.RESUBMITTED:
        return Resubmission()
    return Decision(
        step_id=row.step_id or "",
        actor_id=row.actor_id or 0,
        outcome=Outcome(row.outcome),
        comment=row.comment,
        conditions=tuple(row.conditions or ()),
        on_behalf_of=row.on_behalf_of_id,
    )


#: The columns the engine reads of a round's events, not whole events (no advice snapshots to
#: decode). Built once, like the other statements a decision runs: building and keying a
#: statement costs more than running it (about 0.1 ms each).
_ROUND_EVENTS = (
    sa.select(
        TripEvent.kind,
        TripEvent.step_id,
        TripEvent.actor_id,
        TripEvent.outcome,
        TripEvent.comment,
        TripEvent.conditions,
        TripEvent.on_behalf_of_id,
    )
    .where(
        TripEvent.trip_id == sa.bindparam("trip_id"),
        TripEvent.round == sa.bindparam("round"),
        TripEvent.kind.in_((EventKind.DECISION, EventKind.RESUBMITTED)),
    )
    .order_by(TripEvent.id)
)


def round_events(trip: Trip) -> tuple[Event, ...]:
    """The decisions and resubmissions of the trip's current round, oldest first."""
    rows = db.session.execute(_ROUND_EVENTS, {"trip_id": trip.id, "round": trip.round})
    return tuple(to_engine_event(r) for r in rows)


def open_steps(
    procedure: Procedure, route: Route, pos: Position, events: tuple[Event, ...] = ()
) -> list[str]:
    """The steps still waiting for someone: those of the current stage, and the
    recommendations of stages already passed that nobody has given yet (they stay open while
    the trip is in review, see :func:`workflows.engine.open_recommendations`).

    ``events`` are the round's events, which tell the recommendations given so far. A notify
    step never waits: nothing is asked of its people.
    """
    stage = pos.stage(route)
    if stage is None or pos.state is not State.IN_REVIEW:
        return []
    waiting = [step.id for step in engine.open_recommendations(route, pos, events)]
    for step in stage.steps:
        mine = [d for d in pos.current if d.step_id == step.id]
        if step.mode is Mode.NOTIFY:
            continue
        if step.mode is Mode.ADVISE:
            if not any(d.outcome is Outcome.ADVISE for d in mine):
                waiting.append(step.id)
        elif step.mode is Mode.RECOMMEND:
            if not mine:
                waiting.append(step.id)
        elif (
            len({engine.principal(d) for d in mine if d.outcome in engine.APPROVALS})
            < step.who.quorum
        ):
            waiting.append(step.id)
    return waiting


def stages_reached(route: Route, pos: Position) -> int:
    """How many of the route's stages the trip has reached in this round: up to the one under
    review (or that asked for changes, or rejected); every stage once it is approved (the
    stages after the last decision waited for nobody and passed at once)."""
    if pos.state in (State.APPROVED, State.APPROVED_WITH_CONDITIONS):
        return len(route.stages)
    return 0 if pos.stage_index is None else pos.stage_index + 1


class RoutedTrip(Protocol):
    """What :func:`notice_rows` reads of a trip (a Trip, or re-routing's bare row)."""

    id: int
    round: int
    route: dict[str, Any] | None
    submitted_at: datetime | None


def notice_rows(trip: RoutedTrip, route: Route, pos: Position, today: date) -> list[dict[str, Any]]:
    """The people the notify steps of the stages reached name: one row each, for
    :func:`travel_app.trips.notices.step_notices` ("for your information").

    Every stage reached so far counts, not only those reached now: the outbox key (trip, round,
    step, and the day the trip was submitted) lets exactly one notice through per round and
    step, whichever change first finds the stage reached.
    """
    reached = stages_reached(route, pos)
    stored = (trip.route or {}).get("stages", [])[:reached]
    on = trip.submitted_at.date() if trip.submitted_at is not None else today
    return [
        {
            "notice": True,
            "trip_id": trip.id,
            "round": trip.round,
            "step_id": step["id"],
            "assignee_id": assignee,
            "role": role,
            "on": on,
        }
        for stage in stored
        for step in stage["steps"]
        if step["mode"] == Mode.NOTIFY.value
        for assignee, role in step["assignees"]
    ]


def task_rows(
    trip_id: int,
    round_: int,
    route: dict[str, Any] | None,
    procedure: Procedure,
    steps: list[str],
    opened_on: date,
    awaiting: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Rows for the inbox: one per named person, or one per role, for each waiting step.

    ``awaiting`` is every step of the stage still waiting (default ``steps``): a decision waits
    while any advice among them is missing, opened now or earlier.

    A decision whose stage still waits for an advice among ``steps`` gets a row that waits
    (no reminder, no escalation, no mail) until :func:`sync_tasks` opens it.
    """
    rows = []
    for stage in (route or {}).get("stages", []):
        for step in stage["steps"]:
            if step["id"] not in steps:
                continue
            _, definition = procedure.step(step["id"])
            dates = engine.step_dates(procedure, definition, opened_on)
            waits = advice_awaited(
                procedure, step["id"], awaiting if awaiting is not None else steps
            )
            # Nobody named (no supervisor any more): the procedure's fallback role (the safety
            # officer in the framework) takes it, sees why and has the organisation corrected.
            fallback = [(None, procedure.choices.fallback_role)]
            for assignee, role in step["assignees"] or fallback:
                rows.append(
                    {
                        "trip_id": trip_id,
                        "round": round_,
                        "step_id": step["id"],
                        "assignee_id": assignee,
                        "role": role,
                        "opened_on": opened_on,
                        "due_on": dates.due_on,
                        "remind_on": None if waits else dates.reminder_on,
                        "escalate_on": None if waits else dates.escalate_on,
                        "waiting_for": waits,
                    }
                )
    return rows


def advice_awaited(procedure: Procedure, step_id: str, open_: Collection[str]) -> str | None:
    """The advice step (among the ``open_`` steps) the decision ``step_id`` must wait for.

    Decide and support steps wait for the stage's advice; recommendations hold nobody up, and
    nobody waits for them either.
    """
    stage, step = procedure.step(step_id)
    if not step.mode.decides:
        return None
    return next((s.id for s in stage.advise_steps if s.id in open_), None)


@dataclass
class TaskPlan:
    """What a trip's review tasks need now, for :mod:`travel_app.trips.transitions` to write."""

    #: Open tasks that are done (another round, or their step no longer waits).
    close: list[int] = field(default_factory=list)
    #: Rows of the steps now waiting.
    open: list[dict[str, Any]] = field(default_factory=list)
    #: Waiting tasks whose advice came in: ``b_id``, the advice still awaited (None: all are
    #: in, and the dates count from today).
    wake: list[dict[str, Any]] = field(default_factory=list)
    #: The people the notify steps of the stages reached name (:func:`notice_rows`): told,
    #: never given a task.
    told: list[dict[str, Any]] = field(default_factory=list)
    #: The day each step of the round open before this change last opened (a decision's
    #: working days count from it).
    opened: dict[str, date] = field(default_factory=dict)

    @property
    def asked(self) -> list[dict[str, Any]]:
        """The rows whose people are asked now (opened, or woken by the advice), and those told
        for their information (``notice`` rows): :func:`travel_app.trips.notices.tasks_opened`
        mails each kind its own message."""
        woken = [{k: v for k, v in row.items() if k != "b_id"} for row in self.wake]
        return self.open + woken + self.told


def _passed_recommendations(route: Route, pos: Position) -> bool:
    """Whether a stage already passed has a recommend step (which may still be open)."""
    return pos.state is State.IN_REVIEW and any(
        step.mode is Mode.RECOMMEND
        for routed in route.stages[: pos.stage_index or 0]
        for step in routed.stage.steps
    )


_OPEN_TASKS = sa.select(
    TripTask.id,
    TripTask.round,
    TripTask.step_id,
    TripTask.assignee_id,
    TripTask.role,
    TripTask.waiting_for,
    TripTask.opened_on,
    TripTask.due_on,
    TripTask.remind_on,
    TripTask.escalate_on,
).where(TripTask.trip_id == sa.bindparam("trip_id"), TripTask.closed_at.is_(None))


def plan_tasks(
    trip: Trip,
    procedure: Procedure,
    route: Route,
    pos: Position,
    today: date,
    events: tuple[Event, ...] | None = None,
) -> TaskPlan:
    """Close the tasks that are done, open those of the steps now waiting, and wake those whose
    advice came in (the decider is asked then, and the deadline runs from that day).

    ``events`` are the round's events with the one being recorded; by default those stored
    (read only when a stage already passed has a recommendation that may still be open). A
    recommendation given with the change itself closes its tasks as the change is written
    (:mod:`travel_app.trips.transitions`).
    """
    if events is None:
        events = round_events(trip) if _passed_recommendations(route, pos) else ()
    waiting = set(open_steps(procedure, route, pos, events))
    existing = db.session.execute(_OPEN_TASKS, {"trip_id": trip.id}).all()
    have = set()
    plan = TaskPlan()
    for task in existing:
        if task.round == trip.round:
            plan.opened[task.step_id] = max(
                task.opened_on, plan.opened.get(task.step_id, task.opened_on)
            )
        if task.round != trip.round or task.step_id not in waiting:
            plan.close.append(task.id)
            continue
        have.add(task.step_id)
        if task.waiting_for is None:
            continue
        awaited = advice_awaited(procedure, task.step_id, waiting)
        if awaited == task.waiting_for:
            continue
        row = {
            "b_id": task.id,
            "trip_id": trip.id,
            "round": task.round,
            "step_id": task.step_id,
            "assignee_id": task.assignee_id,
            "role": task.role,
            "opened_on": task.opened_on,
            "due_on": task.due_on,
            "remind_on": task.remind_on,
            "escalate_on": task.escalate_on,
            "waiting_for": awaited,
        }
        if awaited is None:
            # Every advice is in: the decider is asked now, and the deadline runs from today.
            _, definition = procedure.step(task.step_id)
            dates = engine.step_dates(procedure, definition, today)
            row.update(
                opened_on=today,
                due_on=dates.due_on,
                remind_on=dates.reminder_on,
                escalate_on=dates.escalate_on,
            )
        plan.wake.append(row)
    plan.open = task_rows(
        trip.id, trip.round, trip.route, procedure, sorted(waiting - have), today, waiting
    )
    plan.told = notice_rows(trip, route, pos, today)
    return plan
