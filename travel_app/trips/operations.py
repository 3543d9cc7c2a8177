"""The verbs of a trip: save, submit, decide, resubmit, change, withdraw, cancel.

Each checks who acts, changes the rows, writes the timeline and leaves the commit to the
caller. Every verb on an existing trip first claims the version the user saw, so of two people
acting at once exactly one succeeds and the other gets :class:`TripChanged`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import attributes

from travel_app.core.db import utcnow
from travel_app.core.errors import Refused
from travel_app.dossier import operations as dossier
from travel_app.dossier import reminders as dossier_reminders
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.outbox.queue import Mail, queue
from travel_app.procedures import active_procedure
from travel_app.trips import access, notices, reassign, routing, transitions
from travel_app.trips.access import can_update_own_details
from travel_app.trips.facts import Context, LegFacts, PlaceSources, load_context
from travel_app.trips.models import (
    DECIDED_STATES,
    GO_STATES,
    REVIEW_STATES,
    EventKind,
    Leg,
    Trip,
    TripEvent,
    TripState,
)
from workflows import engine
from workflows.calendar import working_days_between
from workflows.engine import DecisionRefused, Outcome, Position, Route, State
from workflows.model import Procedure, Text


class TripChanged(Exception):
    """Someone else changed the trip since the form was loaded."""


class ActionRefused(Refused):
    """The actor may not do this (now); ``reason`` says why in both languages."""


class Incomplete(Exception):
    """Fields a submission still needs, by form field name."""

    def __init__(self, problems: dict[str, Text]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LegData:
    country_code: str
    region_code: str | None
    city: str
    arrives_on: date
    leaves_on: date
    accommodation: str = ""

    @property
    def facts(self) -> LegFacts:
        return LegFacts(self.country_code, self.region_code, self.arrives_on, self.leaves_on)


@dataclass(frozen=True)
class TripData:
    """What the traveller fills in (validated by the form before it gets here)."""

    purpose: str
    legs: tuple[LegData, ...]
    why_not_remote: str = ""
    why_not_later: str = ""
    impact_if_cancelled: str = ""
    flags: tuple[str, ...] = ()
    co_traveller_ids: tuple[int, ...] = ()
    emergency_name: str = ""
    emergency_phone: str = ""
    cost_centre: str = ""
    mobile_phone: str = ""
    medical_note: str = ""


@dataclass(frozen=True)
class Assessment:
    """What the filing page shows: the route the trip would take today, and why."""

    route: Route
    destinations: tuple[engine.Destination, ...]
    #: The names of the steps nobody could decide.
    unassigned_steps: tuple[Text, ...] = field(default_factory=tuple)
    #: Who would decide each step: names of people, or the role whose holders may.
    deciders: dict[str, list[str]] = field(default_factory=dict)
    #: Each source's level for each destination, and which one decided.
    sources: tuple[PlaceSources, ...] = ()


# --- reading the trip as engine facts --------------------------------------------------------


def data_of(trip: Trip) -> TripData:
    return TripData(
        purpose=trip.purpose,
        legs=tuple(
            LegData(
                leg.country_code,
                leg.region_code,
                leg.city,
                leg.arrives_on,
                leg.leaves_on,
                leg.accommodation,
            )
            for leg in trip.legs
        ),
        why_not_remote=trip.why_not_remote,
        why_not_later=trip.why_not_later,
        impact_if_cancelled=trip.impact_if_cancelled,
        flags=tuple(trip.flags or ()),
        co_traveller_ids=tuple(trip.co_traveller_ids or ()),
        emergency_name=trip.emergency_name,
        emergency_phone=trip.emergency_phone,
        cost_centre=trip.cost_centre,
        mobile_phone=trip.mobile_phone,
        medical_note=trip.medical_note or "",
    )


def summary(data: TripData) -> dict[str, Any]:
    """The values a reviewer compares when a change reopens review (old beside new)."""
    return {
        "legs": [
            f"{leg.country_code}{'/' + leg.region_code if leg.region_code else ''}"
            f" {leg.city} {leg.arrives_on.isoformat()} – {leg.leaves_on.isoformat()}".strip()
            for leg in data.legs
        ],
        "flags": list(data.flags),
        "purpose": data.purpose,
    }


def assess(traveller_id: int, data: TripData, today: date) -> Assessment | None:
    """Route ``data`` as it stands, without saving anything (None without legs)."""
    if not data.legs:
        return None
    procedure = active_procedure()
    ctx = load_context(today, (leg.country_code for leg in data.legs), [traveller_id])
    facts = ctx.facts(procedure, traveller_id, [leg.facts for leg in data.legs], data.flags)
    route = engine.route(procedure, facts)
    steps = [step for rs in route.stages for step in rs.stage.steps]
    assigned = {
        step.id: ctx.assignees(procedure, step, traveller_id, data.co_traveller_ids)
        for step in steps
    }
    ids = {p for pairs in assigned.values() for p, _ in pairs if p is not None}
    names = {
        pid: name
        for pid, name in db.session.execute(
            sa.select(Person.id, Person.name).where(Person.id.in_(ids))
        )
    }
    deciders = {
        step_id: [names.get(p, "?") if p is not None else f"role:{role}" for p, role in pairs]
        for step_id, pairs in assigned.items()
    }
    unassigned = tuple(step.name for step in steps if not assigned[step.id])
    return Assessment(route, facts.destinations, unassigned, deciders, ctx.behind(route) or ())


# --- helpers ---------------------------------------------------------------------------------


def _fresh(trip: Trip, expected_version: int) -> None:
    """Refuse a form built from an older version before judging anything else on it."""
    if trip.version != expected_version:
        raise TripChanged()


@cache
def _claim_statement(columns: tuple[str, ...]) -> sa.Update:
    """The conditional UPDATE of :func:`claim` that also sets ``columns``, built once: on the
    table, so no ORM bulk update is set up, and building and keying a statement costs more
    than running it."""
    table = cast(sa.Table, Trip.__table__)
    return (
        table.update()
        .where(table.c.id == sa.bindparam("b_id"), table.c.version == sa.bindparam("b_version"))
        .values(
            version=table.c.version + 1, **{name: sa.bindparam(f"b_{name}") for name in columns}
        )
    )


def claim(trip: Trip, expected_version: int, **values: Any) -> None:
    """Take the trip at the version the user saw, or raise :class:`TripChanged`.

    The conditional UPDATE also locks the row on PostgreSQL until the commit, so a second
    request waits, then finds the version moved on. ``values`` are trip columns the verb
    already knows, set in the same statement (a decision's new state).
    """
    if trip.version != expected_version:
        raise TripChanged()
    result = db.session.execute(
        _claim_statement(tuple(sorted(values))),
        {"b_id": trip.id, "b_version": expected_version}
        | {f"b_{name}": value for name, value in values.items()},
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise TripChanged()
    attributes.set_committed_value(trip, "version", expected_version + 1)
    for name, value in values.items():
        attributes.set_committed_value(trip, name, value)


def _event(
    trip: Trip,
    kind: EventKind,
    actor: Person | None,
    from_state: TripState | None,
    close: str | Sequence[int] = (),
    tasks: routing.TaskPlan | None = None,
    **fields: Any,
) -> TripEvent:
    """Append to the timeline through the one writer, with the advice for every destination at
    this moment, closing and opening the review tasks that change with it."""
    data = dict(fields.pop("data", None) or {})
    if "advice" not in data and trip.legs:
        data["advice"] = _advice_now(trip)
    (event,) = transitions.write(
        [
            transitions.Change(
                trip_id=trip.id,
                kind=kind,
                round=trip.round,
                from_state=from_state.value if from_state else None,
                to_state=trip.state.value,
                level=trip.level,
                actor_id=actor.id if actor is not None else None,
                version=trip.version,
                close=tasks.close if tasks else close,
                open=tasks.open if tasks else [],
                wake=tasks.wake if tasks else [],
                data=data,
                **fields,
            )
        ]
    )
    return event


def _set_legs(trip: Trip, legs: tuple[LegData, ...]) -> None:
    trip.legs = [
        Leg(
            position=i,
            country_code=leg.country_code,
            region_code=leg.region_code,
            city=leg.city,
            arrives_on=leg.arrives_on,
            leaves_on=leg.leaves_on,
            accommodation=leg.accommodation,
        )
        for i, leg in enumerate(sorted(legs, key=lambda leg: (leg.arrives_on, leg.leaves_on)))
    ]
    trip.departure_on = min(leg.arrives_on for leg in legs)
    trip.return_on = max(leg.leaves_on for leg in legs)


def _apply(trip: Trip, data: TripData) -> None:
    trip.purpose = data.purpose
    trip.why_not_remote = data.why_not_remote
    trip.why_not_later = data.why_not_later
    trip.impact_if_cancelled = data.impact_if_cancelled
    trip.flags = list(data.flags)
    trip.co_traveller_ids = list(data.co_traveller_ids)
    trip.emergency_name = data.emergency_name
    trip.emergency_phone = data.emergency_phone
    trip.cost_centre = data.cost_centre
    trip.mobile_phone = data.mobile_phone
    trip.medical_note = data.medical_note or None
    _set_legs(trip, data.legs)


def state_for(pos: Position, suspension: bool) -> TripState:
    """The trip state for the engine's position.

    In a re-review after a level rise (``suspension``, kept on the stored route through
    requested changes and resubmissions) the trip reads "suspended", and a rejection revokes
    the approval it had.
    """
    if pos.state is State.IN_REVIEW:
        return TripState.SUSPENDED if suspension else TripState.IN_REVIEW
    if pos.state is State.REJECTED and suspension:
        return TripState.REVOKED
    return TripState(pos.state.value)


def is_suspension(trip: Trip) -> bool:
    """Whether the trip's current round re-reviews an approval suspended by a level rise."""
    return bool((trip.route or {}).get("suspension"))


def _unassigned(ctx: Context, procedure: Procedure, route: Route, trip: Trip) -> tuple[Text, ...]:
    """The names of the steps of ``route`` nobody could decide for this traveller."""
    return ctx.unassigned(procedure, route, trip.traveller_id, trip.co_traveller_ids or ())


def _route_now(trip: Trip, procedure: Procedure, ctx: Context) -> Route:
    """The route the trip's current itinerary takes under today's advice."""
    legs = [leg_facts(leg) for leg in trip.legs]
    return engine.route(procedure, ctx.facts(procedure, trip.traveller_id, legs, trip.flags or ()))


def leg_facts(leg: Leg) -> LegFacts:
    return LegFacts(leg.country_code, leg.region_code, leg.arrives_on, leg.leaves_on)


def _route_trip(
    trip: Trip,
    procedure: Procedure,
    ctx: Context,
    actor: Person | None,
    kind: EventKind,
    suspension: bool = False,
    **extra: Any,
) -> TripEvent:
    """Start a new round under a fresh route; open its first tasks; write the event."""
    legs = [leg_facts(leg) for leg in trip.legs]
    route = _route_now(trip, procedure, ctx)
    previous = trip.state
    trip.procedure_digest = routing.remember(procedure)
    trip.round += 1
    trip.level = route.risk.level
    trip.is_late = route.is_late
    trip.route = routing.route_to_json(
        route, ctx, procedure, trip.co_traveller_ids or (), suspension=suspension
    )
    pos = engine.position(procedure, route, ())
    trip.state = state_for(pos, suspension)
    db.session.flush()
    plan = routing.plan_tasks(trip, procedure, route, pos, ctx.today)
    event = _event(
        trip,
        kind,
        actor,
        previous,
        tasks=plan,
        data={
            "advice": ctx.snapshot(legs),
            "procedure": f"{procedure.id} v{procedure.version}",
            "steps": list(route.step_ids),
            **extra,
        },
    )
    notices.tasks_opened(plan.asked, ctx.today)
    notices.late_request(trip)
    return event


def _engine_actor(trip: Trip, person: Person, principal: Person) -> engine.Actor:
    """The engine's view of ``person`` acting as themself or as ``principal``'s deputy."""
    named: dict[str, list[int]] = {}
    for stage in (trip.route or {}).get("stages", []):
        for step in stage["steps"]:
            named[step["id"]] = [p for p, _ in step["assignees"] if p is not None]
    procedure = routing.procedure_of(trip)
    supervises = faculty = False
    heads: set[str] = set()
    # A role held per unit counts where the route names the principal for it (their unit's).
    declared: set[str] = set()
    for step_id, people in named.items():
        if principal.id not in people:
            continue
        _, step = procedure.step(step_id)
        if step.who.kind.value == "supervisor":
            supervises = True
        elif step.who.kind.value == "faculty_authority":
            faculty = True
        elif step.who.kind.value == "unit_head":
            heads.add(str(step.who.name))
        elif step.who.kind.value == "role" and step.who.unit_kind is not None:
            declared.add(str(step.who.name))
    # University-wide roles the procedure declares count wherever they are held (asked only
    # when the procedure declares some).
    wide = {c for c, r in procedure.roles.items() if not r.builtin and r.unit_kind is None}
    if wide:
        declared |= wide & set(db.session.scalars(access.declared_codes([principal.id])))
    # A step handed to the principal (or away from them) by ``trips.reassign``.
    holds, released = reassign.held_steps(trip, principal)
    return engine.Actor(
        person_id=person.id,
        roles=frozenset(
            a.role.value for a in principal.roles if a.role is not Role.FACULTY_AUTHORITY
        )
        | declared,
        is_traveller=person.id == trip.traveller_id or person.id in (trip.co_traveller_ids or ()),
        supervises_traveller=supervises,
        faculty_authority_of_traveller=faculty,
        heads_of_traveller=frozenset(heads),
        on_behalf_of=principal.id if principal.id != person.id else None,
        holds=holds,
        released=released,
    )


def available_actions(trip: Trip, person: Person, principal: Person) -> list[engine.StepActions]:
    """What the engine lets ``person`` (for ``principal``) do on the trip now: a stage's
    decisions wait for the blocking dossier items due before it that are not done."""
    if trip.state not in REVIEW_STATES or trip.route is None:
        return []
    procedure = routing.procedure_of(trip)
    route = routing.route_from_json(procedure, trip.route, trip.traveller_id)
    return engine.allowed_actions(
        procedure,
        route,
        routing.round_events(trip),
        _engine_actor(trip, person, principal),
        dossier.open_rule_ids(trip),
    )


# --- verbs -----------------------------------------------------------------------------------


def save_draft(
    trip: Trip | None, traveller: Person, data: TripData, expected_version: int | None = None
) -> Trip:
    """Create or update a draft; nothing is routed yet."""
    if trip is None:
        trip = Trip(traveller_id=traveller.id, state=TripState.DRAFT, purpose=data.purpose)
        trip.faculty = traveller.unit.faculty if traveller.unit else None
        _apply(trip, data)
        db.session.add(trip)
        db.session.flush()
        _event(trip, EventKind.CREATED, traveller, None)
        return trip
    _require_traveller(trip, traveller)
    if trip.state not in (TripState.DRAFT, TripState.CHANGES_REQUESTED):
        raise ActionRefused(
            Text("Deze reis kan niet meer bewerkt worden.", "This trip can no longer be edited.")
        )
    if trip.state is not TripState.DRAFT or trip.group_id is not None:
        _keep_group(trip, data)
    claim(trip, expected_version if expected_version is not None else trip.version)
    _apply(trip, data)
    _event(trip, EventKind.EDITED, traveller, trip.state)
    return trip


GROUP_FIXED = Text(
    "Medereizigers liggen vast zodra de reis ingediend is: trek de reis in en dien ze opnieuw"
    " in, of laat de medereiziger een eigen reis indienen.",
    "Co-travellers are fixed once the trip is submitted: withdraw it and file it anew, or let"
    " the co-traveller file a trip of their own.",
)


def _keep_group(trip: Trip, data: TripData) -> None:
    """A submitted trip, or one drafted for a co-traveller, keeps its co-travellers: their
    trips were created when the group was filed."""
    if set(data.co_traveller_ids) != set(trip.co_traveller_ids or ()):
        raise Incomplete({"co_travellers": GROUP_FIXED})


#: Why someone without a unit cannot file yet (they can still save a draft).
UNIT_MISSING = Text(
    "Uw eenheid ontbreekt in Safe Passage. De beheerder moet ze instellen voor u een reis kunt"
    " indienen; uw ontwerp blijft bewaard.",
    "Your unit is missing in Safe Passage. The administrator must set it before you can submit"
    " a trip; your draft is kept.",
)


def _require_traveller(trip: Trip, person: Person) -> None:
    if trip.traveller_id != person.id:
        raise ActionRefused(
            Text("Alleen de reiziger kan dit doen.", "Only the traveller can do this.")
        )


def _check_complete(
    trip: Trip, level: int, procedure: Procedure, unassigned: tuple[Text, ...]
) -> None:
    missing = Text("Nodig om in te dienen.", "Needed to submit.")
    problems: dict[str, Text] = {}
    for name in ("emergency_name", "emergency_phone", "cost_centre"):
        if not getattr(trip, name).strip():
            problems[name] = missing
    necessity_from = procedure.choices.necessity_from_level
    if level >= necessity_from:
        for name in ("why_not_remote", "why_not_later", "impact_if_cancelled"):
            if not getattr(trip, name).strip():
                problems[name] = Text(
                    f"Vanaf niveau {necessity_from} is een noodzaakmotivering nodig.",
                    f"From level {necessity_from} on, a motivation of necessity is needed.",
                )
    if unassigned:
        problems["route"] = Text(
            f"Niemand kan deze stap beslissen: {', '.join(t.nl for t in unassigned)}. Vraag de"
            " beheerder uw eenheid en leidinggevende na te kijken.",
            f"Nobody can decide this step: {', '.join(t.en for t in unassigned)}. Ask the"
            " administrator to check your unit and supervisor.",
        )
    if problems:
        raise Incomplete(problems)


#: What is each traveller's own: a co-traveller's trip never takes them from another trip
#: (``shared_part`` blanks exactly these).
PRIVATE_FIELDS = ("emergency_name", "emergency_phone", "mobile_phone", "medical_note")


def shared_part(data: TripData) -> TripData:
    """The plan a group shares (itinerary, purpose, necessity, cost centre), without the
    filer's own emergency contact, phone and medical note."""
    return replace(data, emergency_name="", emergency_phone="", mobile_phone="", medical_note="")


def submit_trip(trip: Trip, actor: Person, expected_version: int, today: date) -> list[Trip]:
    """Route the trip; filing a group also drafts a trip for each co-traveller.

    A co-traveller's trip carries the shared plan but none of the filer's private details: it
    waits, as a draft, for the co-traveller to add their own emergency contact (and phone and
    medical note) and submit it themselves. Submitting that draft routes it alone.
    """
    _require_traveller(trip, actor)
    if trip.state is not TripState.DRAFT:
        raise ActionRefused(
            Text("Deze reis is al ingediend.", "This trip has already been submitted.")
        )
    if actor.unit_id is None:
        # Signed in or provisioned with a unit the service does not know: no supervisor and no
        # faculty to route to until the administrator settles it.
        raise ActionRefused(UNIT_MISSING)
    claim(trip, expected_version)
    if trip.departure_on is None or trip.departure_on < today:
        raise Incomplete(
            {"legs": Text("De reis ligt in het verleden.", "The trip lies in the past.")}
        )
    procedure = active_procedure()
    people = [trip.traveller_id, *trip.co_traveller_ids]
    ctx = load_context(today, trip.countries, people)
    route = _route_now(trip, procedure, ctx)
    _check_complete(trip, route.risk.level, procedure, _unassigned(ctx, procedure, route, trip))
    # A trip drafted for a co-traveller at the group's filing joins its group; only the trip
    # that files a group drafts the others.
    companions: list[Trip] = []
    if trip.group_id is None:
        shared = shared_part(data_of(trip))
        for person_id in trip.co_traveller_ids:
            if person_id not in ctx.people:
                raise Incomplete(
                    {"co_travellers": Text("Onbekende medereiziger.", "Unknown co-traveller.")}
                )
            companion = Trip(traveller_id=person_id, state=TripState.DRAFT, purpose=trip.purpose)
            _apply(companion, shared)
            companion.co_traveller_ids = [p for p in people if p != person_id]
            companion.faculty_id = ctx.faculty_of(person_id)
            db.session.add(companion)
            companions.append(companion)
        db.session.flush()
        if companions:
            for member in (trip, *companions):
                member.group_id = trip.id
    trip.submitted_at = utcnow()
    event = _route_trip(trip, procedure, ctx, actor, EventKind.SUBMITTED, group=trip.group_id)
    notices.to_traveller(trip, event, "submitted", today)
    queue(_open_dossier(trip, (), today, ctx, submitted=True))
    if trip.state in notices.DECIDED:
        # A route of stages that wait for nobody (notices only) is approved at submission.
        notices.after_decision(trip, event, today, conditions=[])
    for companion in companions:
        created = _event(companion, EventKind.CREATED, actor, None, data={"group": trip.id})
        notices.group_draft(companion, trip, created, today)
    return [trip, *companions]


def update_own_details(
    trip: Trip, actor: Person, details: dict[str, str], expected_version: int
) -> list[str]:
    """The traveller gives or corrects their own emergency contact, phone and medical note on
    a submitted trip; returns the names of the fields changed (the timeline keeps no values)."""
    _require_traveller(trip, actor)
    _fresh(trip, expected_version)
    if not can_update_own_details(trip, actor):
        raise ActionRefused(
            Text(
                "Deze gegevens kunnen hier niet meer gewijzigd worden.",
                "These details can no longer be changed here.",
            )
        )
    changed = [f for f in PRIVATE_FIELDS if (getattr(trip, f) or "") != details.get(f, "")]
    if not changed:
        return []
    claim(trip, expected_version)
    for name in changed:
        setattr(trip, name, details.get(name) or (None if name == "medical_note" else ""))
    _event(trip, EventKind.EDITED, actor, trip.state, data={"fields": changed})
    return changed


def decide_step(
    trip: Trip,
    person: Person,
    principal: Person,
    step_id: str,
    outcome: Outcome,
    comment: str,
    conditions: tuple[str, ...],
    expected_version: int,
) -> TripState:
    """Record a decision or advice on an open step; the engine judges whether it is allowed."""
    _fresh(trip, expected_version)
    if trip.state not in REVIEW_STATES or trip.route is None:
        raise ActionRefused(
            Text(
                "Deze reis wacht niet op een beslissing.",
                "This trip is not waiting for a decision.",
            )
        )
    procedure = routing.procedure_of(trip)
    route = routing.route_from_json(procedure, trip.route, trip.traveller_id)
    events = routing.round_events(trip)
    actor = _engine_actor(trip, person, principal)
    try:
        recorded, pos = engine.decide(
            procedure,
            route,
            events,
            actor,
            step_id,
            outcome,
            comment,
            conditions,
            open_items=dossier.open_rule_ids(trip),
        )
    except DecisionRefused as refused:
        raise ActionRefused(refused.reason) from None
    decision = recorded[-1]
    assert isinstance(decision, engine.Decision)
    previous = trip.state
    claim(trip, expected_version, state=state_for(pos, is_suspension(trip)))
    today = date.today()
    plan = routing.plan_tasks(trip, procedure, route, pos, today)
    # One read of the advice for the timeline's snapshot and, on approval, the dossier (which
    # judges the places and the traveller; nobody is named here, so no organisation).
    ctx = load_context(today, trip.countries, (), organisation=False, loaded=[trip.traveller])
    step_days, request_days = _decision_days(trip, procedure, plan.opened.get(step_id))
    event = _event(
        trip,
        EventKind.DECISION,
        person,
        previous,
        tasks=plan,
        on_behalf_of_id=actor.on_behalf_of,
        step_id=step_id,
        outcome=outcome.value,
        comment=decision.comment,
        conditions=list(decision.conditions),
        data={"advice": ctx.snapshot(leg_facts(leg) for leg in trip.legs)},
        step_working_days=step_days,
        request_working_days=request_days,
    )
    # The deciders asked next, the traveller and the dossier's checklist: one insert.
    queue(
        notices.opened_mails(plan.asked, today)
        + notices.decision_mails(trip, event, today, conditions=list(pos.conditions))
        + _open_dossier(trip, pos.conditions, today, ctx)
    )
    return trip.state


#: Whether a decision ended a review of the trip before (built once, as the claim).
_DECIDED_BEFORE = sa.select(
    sa.exists().where(
        TripEvent.trip_id == sa.bindparam("trip_id"),
        TripEvent.kind == EventKind.DECISION,
        TripEvent.to_state.in_(sorted(s.value for s in DECIDED_STATES)),
    )
)


def _decision_days(
    trip: Trip, procedure: Procedure, opened: date | None
) -> tuple[int | None, int | None]:
    """A decision's working days by the trip's procedure: since its step last opened, and,
    when it decides the request for the first time, since the request was submitted."""
    today = date.today()
    step_days = working_days_between(opened, today, procedure.holidays) if opened else None
    if trip.state not in DECIDED_STATES or trip.submitted_at is None:
        return step_days, None
    # Every way back into review after a final decision (a change that reopens it, a level
    # rise) starts a new round, so in the first round no decision can have ended one before.
    if trip.round > 1 and db.session.scalar(_DECIDED_BEFORE, {"trip_id": trip.id}):
        return step_days, None
    submitted = trip.submitted_at.date()
    return step_days, working_days_between(submitted, today, procedure.holidays)


def _open_dossier(
    trip: Trip,
    conditions: tuple[str, ...],
    today: date,
    ctx: Context | None = None,
    *,
    submitted: bool = False,
) -> list[Mail]:
    """An approved or registered trip gets its mission dossier (new items only), and the
    traveller its checklist by e-mail: returned, for the caller to queue with its others.

    A trip just ``submitted`` (or resubmitted) to review gets the items due with the request
    or before a stage of its route at once, on its page: its deciders wait for the blocking
    ones. The checklist e-mail comes with the approval and lists them too while still open.
    """
    if submitted and trip.state in REVIEW_STATES:
        dossier.generate(trip, (), today, ctx, stage_bound_only=True)
    elif trip.state in GO_STATES and dossier.generate(trip, conditions, today, ctx):
        return dossier_reminders.checklist(trip, today)
    return []


def _advice_now(trip: Trip) -> list[dict[str, object]]:
    ctx = load_context(date.today(), trip.countries, [], organisation=False)
    return ctx.snapshot(leg_facts(leg) for leg in trip.legs)


def resubmit_trip(trip: Trip, actor: Person, expected_version: int, today: date) -> TripState:
    """Send the edited trip back to the stage that asked for changes (or re-route if it must)."""
    _require_traveller(trip, actor)
    if trip.state is not TripState.CHANGES_REQUESTED or trip.route is None:
        raise ActionRefused(
            Text("Er zijn geen wijzigingen gevraagd.", "No changes were requested.")
        )
    if trip.departure_on is None or trip.departure_on < today:
        raise Incomplete(
            {"legs": Text("De reis ligt in het verleden.", "The trip lies in the past.")}
        )
    procedure = routing.procedure_of(trip)
    stored = routing.route_from_json(procedure, trip.route, trip.traveller_id)
    ctx = load_context(today, trip.countries, [trip.traveller_id, *trip.co_traveller_ids])
    legs = [leg_facts(leg) for leg in trip.legs]
    active = active_procedure()
    fresh = _route_now(trip, active, ctx)
    _check_complete(trip, fresh.risk.level, active, _unassigned(ctx, active, fresh, trip))
    claim(trip, expected_version)
    suspension = is_suspension(trip)
    if (
        procedure.digest != active.digest
        or fresh.step_ids != stored.step_ids
        or fresh.no_approval != stored.no_approval
        or fresh.risk.level != stored.risk.level
    ):
        _route_trip(
            trip,
            active,
            ctx,
            actor,
            EventKind.REROUTED,
            suspension=suspension,
            reason="resubmitted with a different route",
        )
        queue(_open_dossier(trip, (), today, ctx, submitted=True))
        return trip.state
    _, pos = engine.resubmit(procedure, stored, routing.round_events(trip))
    previous = trip.state
    trip.state = state_for(pos, suspension)
    trip.level = fresh.risk.level
    plan = routing.plan_tasks(trip, procedure, stored, pos, today)
    _event(
        trip,
        EventKind.RESUBMITTED,
        actor,
        previous,
        tasks=plan,
        data={"advice": ctx.snapshot(legs)},
    )
    notices.tasks_opened(plan.asked, today)
    queue(_open_dossier(trip, (), today, ctx, submitted=True))
    return trip.state


def classify(trip: Trip, new: TripData, today: date) -> engine.ChangeClass:
    """How the engine judges changing an approved trip into ``new``."""
    procedure = active_procedure()
    old = data_of(trip)
    countries = [leg.country_code for leg in old.legs + new.legs]
    ctx = load_context(today, countries, [trip.traveller_id])
    before = ctx.facts(procedure, trip.traveller_id, [leg.facts for leg in old.legs], old.flags)
    after = ctx.facts(procedure, trip.traveller_id, [leg.facts for leg in new.legs], new.flags)
    return engine.classify_change(procedure, before, after)


def request_change(
    trip: Trip, actor: Person, new: TripData, expected_version: int, today: date
) -> engine.ChangeClass:
    """Change an approved trip: a material change reopens review, a minor one notifies."""
    _require_traveller(trip, actor)
    _fresh(trip, expected_version)
    if trip.state not in GO_STATES or (
        trip.departure_on is not None and trip.departure_on <= today
    ):
        raise ActionRefused(
            Text(
                "Alleen een goedgekeurde reis die nog niet begonnen is kan gewijzigd worden.",
                "Only an approved trip that has not started can be changed.",
            )
        )
    _keep_group(trip, new)
    change = classify(trip, new, today)
    claim(trip, expected_version)
    old = summary(data_of(trip))
    _apply(trip, new)
    db.session.flush()
    dossier.recompute_due(trip)
    details: dict[str, Any] = {
        "old": old,
        "new": summary(new),
        "reasons": [[r.nl, r.en] for r in change.reasons],
    }
    procedure = active_procedure()
    ctx = load_context(today, trip.countries, [trip.traveller_id, *trip.co_traveller_ids])
    route = _route_now(trip, procedure, ctx)
    if change.kind is engine.ChangeKind.REOPEN:
        _check_complete(trip, route.risk.level, procedure, _unassigned(ctx, procedure, route, trip))
        _route_trip(trip, procedure, ctx, actor, EventKind.CHANGE_REOPENED, **details)
        return change
    # The approval stands; the level shown follows the itinerary as it is now. Lateness stays
    # what it was: it judges when the request was filed, not when it was last touched.
    trip.level = route.risk.level
    kind = (
        EventKind.CHANGE_NOTIFIED if change.kind is engine.ChangeKind.NOTIFY else EventKind.EDITED
    )
    event = _event(
        trip,
        kind,
        actor,
        trip.state,
        data={**details, "advice": ctx.snapshot(leg_facts(leg) for leg in trip.legs)},
    )
    if kind is EventKind.CHANGE_NOTIFIED:
        # The page promises it: "your approvers are notified".
        notices.to_deciders(trip, event, "change_notified", today, reasons=change.reasons)
    return change


def withdraw_trip(
    trip: Trip, actor: Person, reason: str, expected_version: int, today: date
) -> None:
    """The traveller calls the trip off before departure."""
    _require_traveller(trip, actor)
    _fresh(trip, expected_version)
    if trip.state.is_final or (
        trip.departure_on is not None
        and trip.departure_on <= today
        and trip.state is not TripState.DRAFT
    ):
        raise ActionRefused(
            Text(
                "Alleen een lopende reis vóór vertrek kan ingetrokken worden.",
                "Only an open trip can be withdrawn, before departure.",
            )
        )
    claim(trip, expected_version)
    previous = trip.state
    trip.state = TripState.WITHDRAWN
    _event(
        trip, EventKind.WITHDRAWN, actor, previous, close=transitions.ALL, comment=reason.strip()
    )


def cancel_trip(trip: Trip, actor: Person, reason: str, expected_version: int) -> None:
    """A role the procedure names (by default the safety officer or the executive) cancels a
    trip, or revokes its approval, with reason."""
    procedure = active_procedure()
    if not access.holds_cancel_role(actor, procedure):
        titles = access.cancel_role_titles(procedure)
        raise ActionRefused(
            Text(
                f"Alleen {' of '.join(nl for nl, _ in titles)} kan een reis annuleren.",
                f"Only the {' or the '.join(en for _, en in titles)} can cancel a trip.",
            )
        )
    if trip.traveller_id == actor.id:
        raise ActionRefused(
            Text("Niemand beslist over de eigen reis.", "Nobody decides on their own trip.")
        )
    _fresh(trip, expected_version)
    if trip.state.is_final or trip.state is TripState.DRAFT:
        raise ActionRefused(
            Text("Deze reis kan niet geannuleerd worden.", "This trip cannot be cancelled.")
        )
    if not reason.strip():
        raise Incomplete({"reason": Text("Geef een reden.", "Give a reason.")})
    claim(trip, expected_version)
    previous = trip.state
    trip.state = (
        TripState.REVOKED
        if previous in (*GO_STATES, TripState.SUSPENDED) or is_suspension(trip)
        else TripState.CANCELLED
    )
    _event(
        trip, EventKind.CANCELLED, actor, previous, close=transitions.ALL, comment=reason.strip()
    )


def conditions_in_force(trip: Trip) -> tuple[str, ...]:
    """The approval conditions that count for the trip now (a resubmitted stage drops its own)."""
    if trip.route is None or trip.state in (TripState.DRAFT, TripState.REJECTED):
        return ()
    procedure = routing.procedure_of(trip)
    route = routing.route_from_json(procedure, trip.route, trip.traveller_id)
    return engine.position(procedure, route, routing.round_events(trip)).conditions
