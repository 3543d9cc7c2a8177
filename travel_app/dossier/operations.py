"""Generate a trip's checklist from the procedure, and complete, verify or reject its items.

The trips feature calls :func:`generate` when a trip is submitted (the items due with the
request or before a stage of its route) and when it is approved or registered (the rest),
and :func:`recompute_due` when its dates change; neither commits.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import sqlalchemy as sa

from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.core.errors import Refused
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.trips import access, routing
from travel_app.trips.facts import Context, LegFacts, load_context
from travel_app.trips.models import REVIEW_STATES, Trip
from workflows import engine
from workflows.engine import Route
from workflows.model import Duration, Mode, Procedure, Stage, Text

MAX_TEXT = 2000

#: Items not done: a stage's decision waits for the blocking ones among them. Done means done
#: or verified: the deciders judge the document itself, which is on the dossier once its owner
#: completed it; the safety officer's verification is what clears the trip to travel, not what
#: a decision waits for. A rejected item is the owner's to redo, so it is open again.
NOT_DONE = (ItemStatus.OPEN, ItemStatus.REJECTED)


class ItemRefused(Refused):
    """A checklist item the person may not change now."""


class BadEvidence(Refused):
    """Evidence that does not meet the item's rule (type, size, date)."""


def _condition_id(text: str) -> str:
    return "condition:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _route_of(trip: Trip, procedure: Procedure) -> Route | None:
    """The route stored on the trip (None before it is routed)."""
    if trip.route is None:
        return None
    return routing.route_from_json(procedure, trip.route, trip.traveller_id)


def _item_row(trip_id: int, item: engine.DossierItem) -> dict[str, Any]:
    """The new row of one item the engine asks of a trip."""
    rule = item.rule
    return {
        "trip_id": trip_id,
        "rule_id": rule.id,
        "name_nl": rule.name.nl,
        "name_en": rule.name.en,
        "owner": rule.owner,
        "due_days_before": rule.due_days_before,
        "due_on": item.due_on,
        "before_stage": item.stage_id,
        "blocking": rule.blocking and item.stage_id is not None,
        "evidence_kind": rule.evidence.value,
        "needs_verification": rule.verified,
        "max_age_years": rule.max_age_years,
        "valid_months_after_return": rule.valid_months_after_return,
        "status": ItemStatus.OPEN,
    }


def add_stage_bound(asked: Sequence[tuple[int, engine.DossierItem]]) -> int:
    """Add, for many trips at once (a level rise re-routing them), the items due with the
    request or before a stage of their new route that they do not have yet: two statements."""
    wanted = [(trip_id, item) for trip_id, item in asked if item.stage_id is not None]
    if not wanted:
        return 0
    have = {
        (row.trip_id, row.rule_id)
        for row in db.session.execute(
            sa.select(DossierItem.trip_id, DossierItem.rule_id).where(
                DossierItem.trip_id.in_({trip_id for trip_id, _ in wanted})
            )
        )
    }
    rows = [
        _item_row(trip_id, item) for trip_id, item in wanted if (trip_id, item.rule.id) not in have
    ]
    if rows:
        db.session.execute(sa.insert(DossierItem), rows)
    return len(rows)


#: The statements a decision runs here, built once: building and keying a statement costs
#: more than running it (about 0.1 ms each).
_HAVE = sa.select(DossierItem.rule_id, DossierItem.before_stage, DossierItem.blocking).where(
    DossierItem.trip_id == sa.bindparam("trip_id")
)
_ITEMS = (
    sa.select(DossierItem)
    .where(DossierItem.trip_id == sa.bindparam("trip_id"))
    .order_by(DossierItem.due_on, DossierItem.id)
)
_INSERT = cast(sa.Table, DossierItem.__table__).insert()


def generate(
    trip: Trip,
    conditions: tuple[str, ...],
    today: date,
    ctx: Context | None = None,
    route: Route | None = None,
    *,
    stage_bound_only: bool = False,
) -> int:
    """Add the items the procedure asks of this trip (and one per condition); keep existing.

    A trip approved again after a level rise keeps what was done and gains the new items.
    ``ctx`` is the advice and organisation already read for this trip and traveller today;
    ``route`` the trip's route (read from the trip when not given), which binds an item due
    with the request or before one of its stages to that stage. ``stage_bound_only`` (at
    submission) adds only those items: the rest comes with the approval. An existing item the
    route now binds to another stage (or to none) follows it, with the engine's due date.
    """
    procedure = routing.procedure_of(trip)
    legs = [LegFacts(g.country_code, g.region_code, g.arrives_on, g.leaves_on) for g in trip.legs]
    if ctx is None:
        ctx = load_context(today, trip.countries, [trip.traveller_id])
    if route is None:
        route = _route_of(trip, procedure)
    facts = ctx.facts(procedure, trip.traveller_id, legs, trip.flags or ())
    risk = engine.assess_risk(procedure, facts)
    existing = {row.rule_id: row for row in db.session.execute(_HAVE, {"trip_id": trip.id})}
    rows = []
    moved: dict[tuple[str | None, bool, date], list[str]] = defaultdict(list)
    asked = engine.dossier_items(procedure, facts, risk, route)
    # An item bound to a stage whose rule no longer applies (the trip changed) is bound to
    # none: nothing waits for it any more.
    still = {item.rule.id for item in asked}
    unbound = [
        rule_id
        for rule_id, have in existing.items()
        if rule_id not in still and (have.before_stage is not None or have.blocking)
    ]
    if unbound:
        db.session.execute(
            sa.update(DossierItem)
            .where(DossierItem.trip_id == trip.id, DossierItem.rule_id.in_(unbound))
            .values(before_stage=None, blocking=False)
            .execution_options(synchronize_session=False)
        )
    for item in asked:
        rule = item.rule
        blocking = rule.blocking and item.stage_id is not None
        if rule.id in existing:
            have = existing[rule.id]
            if (have.before_stage, have.blocking) != (item.stage_id, blocking):
                moved[(item.stage_id, blocking, item.due_on)].append(rule.id)
            continue
        if stage_bound_only and item.stage_id is None:
            continue
        rows.append(_item_row(trip.id, item))
    for (stage_id, blocking, due_on), rule_ids in moved.items():
        db.session.execute(
            sa.update(DossierItem)
            .where(DossierItem.trip_id == trip.id, DossierItem.rule_id.in_(rule_ids))
            .values(before_stage=stage_id, blocking=blocking, due_on=due_on)
            .execution_options(synchronize_session=False)
        )
    assert trip.departure_on is not None
    condition_due = procedure.choices.condition_due
    for condition in () if stage_bound_only else conditions:
        rule_id = _condition_id(condition)
        if rule_id in existing:
            continue
        rows.append(
            {
                "trip_id": trip.id,
                "rule_id": rule_id,
                "name_nl": f"Voorwaarde: {condition}"[:500],
                "name_en": f"Condition: {condition}"[:500],
                "owner": "traveller",
                "due_days_before": condition_due.amount,
                "due_on": condition_due.before(trip.departure_on, procedure.holidays),
                "before_stage": None,
                "blocking": False,
                "evidence_kind": "text",
                "needs_verification": True,
                "max_age_years": None,
                "valid_months_after_return": None,
                "status": ItemStatus.OPEN,
            }
        )
    if rows:
        # Every row has the same columns, so one INSERT takes them all.
        db.session.execute(_INSERT, rows)
    return len(rows)


def _lead(procedure: Procedure, rule_id: str, due_days_before: int) -> Duration | None:
    """How long before departure an item is due, in its rule's own unit; None for an item due
    with the request (its date is the request's, whatever the departure)."""
    if rule_id.startswith("condition:"):
        return procedure.choices.condition_due
    rule = next((r for r in procedure.dossier if r.id == rule_id), None)
    if rule is None:
        # A rule the trip's procedure no longer has: the stored amount, as working days.
        return Duration(due_days_before)
    return None if rule.with_request else rule.due_before


def recompute_due(trip: Trip) -> None:
    """Move the due dates with the departure, each by its rule's unit (working days, days or
    weeks), in one statement per distinct new date. An item bound to a stage of the route, or
    due with the request, keeps its date: it is due before a decision, not before departure.
    """
    if trip.departure_on is None:
        return
    procedure = routing.procedure_of(trip)
    rows = db.session.execute(
        sa.select(DossierItem.id, DossierItem.rule_id, DossierItem.due_days_before).where(
            DossierItem.trip_id == trip.id, DossierItem.before_stage.is_(None)
        )
    ).all()
    by_day: dict[date, list[int]] = defaultdict(list)
    for row in rows:
        lead = _lead(procedure, row.rule_id, row.due_days_before)
        if lead is not None:
            by_day[lead.before(trip.departure_on, procedure.holidays)].append(row.id)
    for day, ids in sorted(by_day.items()):
        db.session.execute(
            sa.update(DossierItem)
            .where(DossierItem.id.in_(ids))
            .values(due_on=day)
            .execution_options(synchronize_session=False)
        )


def open_rule_ids(trip: Trip) -> frozenset[str]:
    """The items the trip's route waits for that are not done (see :data:`NOT_DONE`); one the
    trip lacks counts as not done. What the engine weighs before a stage's decisions."""
    waits = {rule_id for rule_id, _ in (trip.route or {}).get("waits_for", [])}
    if not waits:
        return frozenset()
    done = db.session.scalars(
        sa.select(DossierItem.rule_id).where(
            DossierItem.trip_id == trip.id,
            DossierItem.rule_id.in_(waits),
            DossierItem.status.not_in(NOT_DONE),
        )
    )
    return frozenset(waits - set(done))


@dataclass(frozen=True)
class StageDue:
    """The items due before the stage under review, and which of them hold its decision."""

    stage: Stage
    items: list[DossierItem]
    #: Rule ids of the items not done that the stage's decisions wait for.
    holding: frozenset[str]


def due_before_current_stage(trip: Trip, items: list[DossierItem]) -> StageDue | None:
    """Of ``items``, those due before the stage the trip is waiting on (None if none)."""
    if trip.state not in REVIEW_STATES or trip.route is None or not items:
        return None
    procedure = routing.procedure_of(trip)
    route = routing.route_from_json(procedure, trip.route, trip.traveller_id)
    stage = engine.position(procedure, route, routing.round_events(trip)).stage(route)
    if stage is None:
        return None
    # The route's own list as well as the stored stage: a trip re-routed after its items were
    # made (a change, a level rise) shows what the engine makes the stage wait for.
    bound = {rule_id for rule_id, stage_id in route.waits_for if stage_id == stage.id}
    due = [i for i in items if i.before_stage == stage.id or i.rule_id in bound]
    if not due:
        return None
    waits_for = {rule.id for rule in engine.blocking_items(procedure, route, stage)}
    holding = frozenset(i.rule_id for i in due if i.rule_id in waits_for and i.status in NOT_DONE)
    return StageDue(stage, due, holding)


def acts_on(trip: Trip, stage: Stage, principals: list[Person]) -> bool:
    """Whether one of ``principals`` (a person and those they stand in for) is named for a
    step of ``stage`` in the trip's stored route, in person or by a role they hold, as the
    inbox names them: its deciders and advisers, whether or not they may answer yet (a
    decision may wait for an advice, or for the dossier). Nobody acts on their own trip."""
    steps = {step.id for step in stage.steps if step.mode is not Mode.NOTIFY}
    others = [p for p in principals if p.id != trip.traveller_id]
    ids = {p.id for p in others}
    roles = {a.role.value for p in others for a in p.roles}
    if others:  # and the procedure's own roles they hold university-wide
        roles |= set(db.session.scalars(access.declared_codes([p.id for p in others])))
    return any(
        person_id in ids or (person_id is None and role in roles)
        for stored in (trip.route or {}).get("stages", [])
        if stored["id"] == stage.id
        for step in stored["steps"]
        if step["id"] in steps
        for person_id, role in step["assignees"]
        or [(None, routing.procedure_of(trip).choices.fallback_role)]
    )


def can_see_evidence(trip: Trip, person: Person, principals: list[Person]) -> bool:
    """Who may read an item's evidence and open its file: whoever may see the trip (the rule
    of the dossier on the trip page and of its download)."""
    return access.can_view(trip, person, principals)


def items_of(trip: Trip) -> list[DossierItem]:
    return list(db.session.scalars(_ITEMS, {"trip_id": trip.id}))


def can_complete(item: DossierItem, trip: Trip, person: Person) -> bool:
    if item.status is ItemStatus.VERIFIED:
        return False
    if item.owner == "traveller":
        return person.id == trip.traveller_id
    return person.has_any_role(Role(item.owner)) if item.owner in Role._value2member_map_ else False


def can_verify(item: DossierItem, trip: Trip, person: Person) -> bool:
    return (
        person.has_any_role(Role.SAFETY_OFFICER)
        and person.id != trip.traveller_id
        and item.status in (ItemStatus.DONE, ItemStatus.VERIFIED, ItemStatus.REJECTED)
    )


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def check_evidence(
    item: DossierItem,
    trip: Trip,
    text: str,
    day: date | None,
    today: date,
    upload: Upload | None = None,
) -> None:
    """Refuse evidence that does not fit the item (empty, too long, expired, in the future)."""
    if item.asks_file and upload is None:
        raise BadEvidence(
            Text("Voor dit punt is een bestand nodig.", "This item needs a file as evidence.")
        )
    if len(text) > MAX_TEXT:
        raise BadEvidence(Text(f"Hoogstens {MAX_TEXT} tekens.", f"At most {MAX_TEXT} characters."))
    if item.evidence_kind == "text" and not text.strip():
        raise BadEvidence(Text("Beschrijf wat gedaan is.", "Describe what was done."))
    if item.asks_date:
        if day is None:
            raise BadEvidence(_missing_date(item))
        check_date(item, trip, day, today)


def _missing_date(item: DossierItem) -> Text:
    if item.valid_months_after_return is not None:
        return Text("Geef de vervaldatum van het document.", "Give the document's expiry date.")
    if item.max_age_years is not None:
        return Text(
            "Geef de datum van uitgifte van het document.", "Give the document's date of issue."
        )
    return Text("Geef een datum.", "Give a date.")


def check_date(item: DossierItem, trip: Trip, day: date, today: date) -> None:
    """Refuse a date the item's validity or age rule does not accept for the trip's dates.

    The expiry sweep asks the same of stored dates when the return date has moved.
    """
    back = trip.return_on or today
    if item.valid_months_after_return:
        needed = _add_months(back, item.valid_months_after_return)
        if day < needed:
            raise BadEvidence(
                Text(
                    f"Het document moet geldig zijn tot minstens {needed.isoformat()}.",
                    f"The document must be valid until at least {needed.isoformat()}.",
                )
            )
    elif day > today:
        raise BadEvidence(Text("Deze datum ligt in de toekomst.", "This date is in the future."))
    if item.max_age_years:
        oldest = _add_months(back, -12 * item.max_age_years)
        if day < oldest:
            raise BadEvidence(
                Text(
                    f"Op de terugkeerdatum is dit ouder dan {item.max_age_years} jaar: het moet "
                    f"uitgegeven zijn op of na {oldest.isoformat()}.",
                    f"On the return date this is older than {item.max_age_years} years: it must "
                    f"be issued on or after {oldest.isoformat()}.",
                )
            )


@dataclass(frozen=True)
class Upload:
    """A stored evidence file (see :mod:`travel_app.dossier.uploads`)."""

    name: str
    mime: str
    size: int


def complete(
    item: DossierItem,
    trip: Trip,
    person: Person,
    text: str,
    day: date | None,
    today: date,
    upload: Upload | None = None,
) -> None:
    if not can_complete(item, trip, person):
        raise ItemRefused(
            Text("Dit punt is niet aan u toegewezen.", "This item is not yours to complete.")
        )
    check_evidence(item, trip, text, day, today, upload)
    item.evidence_text = text.strip()
    item.evidence_date = day if item.asks_date else None
    if upload is not None:
        item.file_name, item.file_type, item.file_size = upload.name, upload.mime, upload.size
    item.status = ItemStatus.DONE
    item.rejected_reason = ""
    item.done_at = utcnow()
    item.done_by_id = person.id
    item.verified_at = None
    item.verified_by_id = None
    audit.record("dossier.complete", item, person, trip=trip.id, rule=item.rule_id)


def verify(item: DossierItem, trip: Trip, person: Person) -> None:
    if not can_verify(item, trip, person) or item.status is not ItemStatus.DONE:
        raise ItemRefused(
            Text(
                "Alleen de preventieadviseur keurt een afgewerkt punt goed.",
                "Only the safety officer verifies a completed item.",
            )
        )
    item.status = ItemStatus.VERIFIED
    item.verified_at = utcnow()
    item.verified_by_id = person.id
    audit.record("dossier.verify", item, person, trip=trip.id, rule=item.rule_id)


def reject(item: DossierItem, trip: Trip, person: Person, reason: str) -> None:
    if not can_verify(item, trip, person):
        raise ItemRefused(
            Text(
                "Alleen de preventieadviseur kan een punt afwijzen.",
                "Only the safety officer can reject an item.",
            )
        )
    if not reason.strip():
        raise BadEvidence(Text("Geef een reden.", "Give a reason."))
    item.status = ItemStatus.REJECTED
    item.rejected_reason = reason.strip()[:MAX_TEXT]
    item.verified_at = None
    item.verified_by_id = None
    audit.record("dossier.reject", item, person, trip=trip.id, rule=item.rule_id)


def progress(items: list[DossierItem]) -> tuple[int, int]:
    """(settled, total): "7 of 11"."""
    return sum(1 for i in items if i.is_settled), len(items)


def cleared_to_travel(trip: Trip, items: list[DossierItem]) -> bool:
    """Approved (or registered) and every item done, and verified where required."""
    return trip.state.is_cleared_for_travel and all(i.is_settled for i in items)
