"""When advice changes: suspend and re-route the trips it touches, all at once.

A level rise may touch thousands of trips. Everything here runs in a fixed number of
statements, whatever that number: two reads of the trips and their legs, the routing context,
then one executemany each for the trips, their tasks and their timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.dossier import operations as dossier
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.places.geography import place_name
from travel_app.places.models import Advisory, AdvisorySource
from travel_app.procedures import active_procedure
from travel_app.trips import notices, routing, transitions
from travel_app.trips.facts import LegFacts, load_context
from travel_app.trips.models import GO_STATES, EventKind, Leg, Trip, TripState
from travel_app.trips.operations import state_for
from travel_app.webhooks import events as webhooks
from workflows import engine
from workflows.model import Text

#: A country, or one of its regions.
Place = tuple[str, str | None]

#: Trips a change of advice can still matter to.
WATCHED = (
    *GO_STATES,
    TripState.IN_REVIEW,
    TripState.CHANGES_REQUESTED,
    TripState.SUSPENDED,
)


@dataclass
class Reaction:
    suspended: list[int] = field(default_factory=list)
    rerouted: list[int] = field(default_factory=list)
    flagged: list[int] = field(default_factory=list)
    lowered: list[int] = field(default_factory=list)
    #: Trips whose traveller is making requested changes: routed anew when resubmitted.
    waiting: list[int] = field(default_factory=list)


class _TripRow:
    """The columns re-routing needs, without ORM objects (the update is a bulk one)."""

    def __init__(self, row: Any) -> None:
        self.id = row.id
        self.traveller_id = row.traveller_id
        self.state = row.state
        self.version = row.version
        self.round = row.round
        self.level = row.level
        self.flags = row.flags or []
        self.co_traveller_ids = row.co_traveller_ids or []
        self.departure_on = row.departure_on
        self.needs_attention = row.needs_attention
        self.attention_reason = row.attention_reason
        self.submitted_at = row.submitted_at
        self.route: dict[str, Any] | None = None
        self.legs: list[LegFacts] = []


def react_to_advisory(advisory: Advisory, actor: Person | None, today: date) -> Reaction:
    """Re-examine every open trip to the advisory's place against the advice now recorded."""
    return react_to_advice([advisory], actor, today)


def _reason(advisory: Advisory, sources: dict[str, AdvisorySource], locale: str) -> str:
    """Why a trip was re-examined, in ``locale``: the place, its new level and who said so."""
    place = place_name(advisory.country_code, advisory.region_code, locale)
    known = sources.get(advisory.source_code)
    source = known.title(locale) if known is not None else advisory.source_code
    level = "niveau" if locale == "nl" else "level"
    return f"{place}: {level} {advisory.level} ({source}, {advisory.effective_on})"


def _reasons(advisories: Sequence[Advisory], touched: dict[int, set[Place]]) -> dict[int, Text]:
    """Each re-examined trip's reason in Dutch and English (the sources read in one statement)."""
    codes = {a.source_code for a in advisories}
    sources = {
        s.code: s
        for s in db.session.scalars(sa.select(AdvisorySource).where(AdvisorySource.code.in_(codes)))
    }
    by_place = {
        (a.country_code, a.region_code): {loc: _reason(a, sources, loc) for loc in ("nl", "en")}
        for a in advisories
    }

    def joined(keys: set[Place], locale: str) -> str:
        return "; ".join(sorted(by_place[k][locale] for k in keys))

    return {
        trip_id: Text(joined(keys, "nl"), joined(keys, "en")) for trip_id, keys in touched.items()
    }


def react_to_advice(advisories: Sequence[Advisory], actor: Person | None, today: date) -> Reaction:
    """Re-examine every open trip to any of the advisories' places, all at once.

    One typed advisory and a feed's whole run take the same path, in the same fixed number of
    statements: each trip's reason names the changed places it goes to.
    """
    db.session.flush()
    if not advisories:
        return Reaction()
    webhooks.risk_levels(advisories)  # the outbox rows of risk_level.changed
    whole = sorted({a.country_code for a in advisories if a.region_code is None})
    parts = sorted({(a.country_code, a.region_code) for a in advisories if a.region_code})
    matches = []
    if whole:
        matches.append(Leg.country_code.in_(whole))
    if parts:
        matches.append(sa.tuple_(Leg.country_code, Leg.region_code).in_(parts))
    touches = sa.select(Leg.trip_id).where(sa.or_(*matches))
    scope = sa.and_(
        Trip.state.in_(WATCHED),
        Trip.return_on >= today,
        Trip.id.in_(touches),
    )
    trips = {
        row.id: _TripRow(row)
        for row in db.session.execute(
            sa.select(
                Trip.id,
                Trip.traveller_id,
                Trip.state,
                Trip.version,
                Trip.round,
                Trip.level,
                Trip.flags,
                Trip.co_traveller_ids,
                Trip.departure_on,
                Trip.needs_attention,
                Trip.attention_reason,
                Trip.submitted_at,
            )
            .where(scope)
            .order_by(Trip.id)
            .with_for_update()
        )
    }
    reaction = Reaction()
    if not trips:
        return reaction
    for leg in db.session.execute(
        sa.select(Leg.trip_id, Leg.country_code, Leg.region_code, Leg.arrives_on, Leg.leaves_on)
        .where(Leg.trip_id.in_(sa.select(Trip.id).where(scope)))
        .order_by(Leg.trip_id, Leg.position)
    ):
        trips[leg.trip_id].legs.append(
            LegFacts(leg.country_code, leg.region_code, leg.arrives_on, leg.leaves_on)
        )
    countries = {leg.country_code for t in trips.values() for leg in t.legs}
    ctx = load_context(today, countries, {t.traveller_id for t in trips.values()})
    procedure = active_procedure()
    digest = routing.remember(procedure)
    now = utcnow()
    places = {(a.country_code, a.region_code) for a in advisories}
    touched = {
        trip.id: {
            key
            for leg in trip.legs
            for key in ((leg.country_code, None), (leg.country_code, leg.region_code))
            if key in places
        }
        for trip in trips.values()
    }
    reasons = _reasons(advisories, touched)

    changes: list[transitions.Change] = []
    #: The people the notify steps of the new routes name, told once the changes are written.
    informed: list[dict[str, Any]] = []
    #: The dossier items due with the request or before a stage of the new routes.
    stage_bound: list[tuple[int, engine.DossierItem]] = []
    for trip in trips.values():
        facts = ctx.facts(procedure, trip.traveller_id, trip.legs, trip.flags)
        route = engine.route(procedure, facts)
        new_level = route.risk.level
        old_level = trip.level or 0
        if new_level == old_level:
            continue
        reason = reasons[trip.id].en  # the timeline's record; the e-mails say it in each language
        base: dict[str, Any] = {
            "trip_id": trip.id,
            "actor_id": actor.id if actor else None,
            "from_state": trip.state.value,
            "level": new_level,
            "comment": reason,
            "version": trip.version + 1,
        }
        data = {"advice": ctx.snapshot(trip.legs), "previous_level": old_level}
        # The trip keeps its state and round; only its level (and perhaps a flag) changes.
        noted_kind = None
        attention = (trip.needs_attention, trip.attention_reason)
        if new_level < old_level:
            reaction.lowered.append(trip.id)
            noted_kind = EventKind.LEVEL_LOWERED
        elif trip.state is TripState.CHANGES_REQUESTED:
            reaction.waiting.append(trip.id)
            noted_kind = EventKind.LEVEL_RAISED
        elif trip.departure_on <= today and trip.state in GO_STATES:
            reaction.flagged.append(trip.id)
            noted_kind = EventKind.FLAGGED
            attention = (True, reason)
        if noted_kind is not None:
            changes.append(
                transitions.Change(
                    **base,
                    kind=noted_kind,
                    round=trip.round,
                    to_state=trip.state.value,
                    data=data,
                    values={
                        "version": trip.version + 1,
                        "level": new_level,
                        "needs_attention": attention[0],
                        "attention_reason": attention[1],
                    },
                )
            )
            continue
        suspension = trip.state in GO_STATES or trip.state is TripState.SUSPENDED
        pos = engine.position(procedure, route, ())
        new_state = state_for(pos, suspension)
        trip.round += 1
        trip.route = routing.route_to_json(
            route, ctx, procedure, trip.co_traveller_ids, suspension=suspension
        )
        (reaction.suspended if suspension else reaction.rerouted).append(trip.id)
        unassigned = [
            name.en
            for name in ctx.unassigned(procedure, route, trip.traveller_id, trip.co_traveller_ids)
        ]
        waiting = routing.open_steps(procedure, route, pos)
        informed.extend(routing.notice_rows(trip, route, pos, today))
        stage_bound += [
            (trip.id, item)
            for item in engine.dossier_items(procedure, facts, route.risk, route)
            if item.stage_id is not None
        ]
        changes.append(
            transitions.Change(
                **base,
                kind=EventKind.SUSPENDED if suspension else EventKind.REROUTED,
                round=trip.round,
                to_state=new_state.value,
                data={
                    **data,
                    "steps": list(route.step_ids),
                    "procedure": f"{procedure.id} v{procedure.version}",
                },
                values={
                    "version": trip.version + 1,
                    "state": new_state,
                    "round": trip.round,
                    "level": new_level,
                    "route": trip.route,
                    "is_late": route.is_late,
                    "procedure_digest": digest,
                    "needs_attention": bool(unassigned),
                    "attention_reason": (
                        f"{reason}; nobody is named for: {', '.join(unassigned)}"
                        if unassigned
                        else ""
                    ),
                },
                close=transitions.ALL,
                open=routing.task_rows(trip.id, trip.round, trip.route, procedure, waiting, today),
            )
        )

    transitions.write(changes, now)
    dossier.add_stage_bound(stage_bound)
    tasks = [row for change in changes for row in change.open]
    notices.tasks_opened(tasks + informed, today)
    notices.suspended(reaction.suspended, reasons, today)
    told = {c.trip_id: (c.values["version"], c.values["level"]) for c in changes if c.values}
    notices.level_changed(
        {t: told[t] for t in reaction.lowered},
        {t: told[t] for t in reaction.flagged},
        reasons,
        today,
    )
    _audit(advisories, actor, reaction, touched)
    return reaction


def _audit(
    advisories: Sequence[Advisory],
    actor: Person | None,
    reaction: Reaction,
    touched: dict[int, set[tuple[str, str | None]]],
) -> None:
    """One audit record per advisory: how many trips its change moved (one statement)."""
    moved = {
        "suspended": reaction.suspended,
        "rerouted": reaction.rerouted,
        "flagged": reaction.flagged,
        "lowered": reaction.lowered,
        "waiting": reaction.waiting,
    }
    audit.add_rows(
        [
            audit.row(
                "advisory.reaction",
                "advisory",
                advisory.id,
                actor.id if actor else None,
                place="/".join(filter(None, key)),
                level=advisory.level,
                **{name: sum(1 for t in ids if key in touched[t]) for name, ids in moved.items()},
            )
            for advisory in advisories
            if (key := (advisory.country_code, advisory.region_code))
        ]
    )
