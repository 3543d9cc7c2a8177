"""Generate a trip's checklist from the procedure, and complete, verify or reject its items.

The trips feature calls :func:`generate` when a trip is approved (or registered) and
:func:`recompute_due` when its dates change; neither commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.core.errors import Refused
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.procedures import active_procedure
from travel_app.trips.facts import Context, LegFacts, load_context
from travel_app.trips.models import Trip
from workflows import engine
from workflows.calendar import subtract_working_days
from workflows.model import Text

MAX_TEXT = 2000


class ItemRefused(Refused):
    """A checklist item the person may not change now."""


class BadEvidence(Refused):
    """Evidence that does not meet the item's rule (type, size, date)."""


def _condition_id(text: str) -> str:
    return "condition:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def generate(
    trip: Trip, conditions: tuple[str, ...], today: date, ctx: Context | None = None
) -> int:
    """Add the items the procedure asks of this trip (and one per condition); keep existing.

    A trip approved again after a level rise keeps what was done and gains the new items.
    ``ctx`` is the advice and organisation already read for this trip and traveller today.
    """
    procedure = active_procedure()
    legs = [LegFacts(g.country_code, g.region_code, g.arrives_on, g.leaves_on) for g in trip.legs]
    if ctx is None:
        ctx = load_context(today, trip.countries, [trip.traveller_id])
    facts = ctx.facts(procedure, trip.traveller_id, legs, trip.flags or ())
    risk = engine.assess_risk(procedure, facts)
    existing = set(
        db.session.scalars(sa.select(DossierItem.rule_id).where(DossierItem.trip_id == trip.id))
    )
    rows = []
    for item in engine.dossier_items(procedure, facts, risk):
        rule = item.rule
        if rule.id in existing:
            continue
        rows.append(
            {
                "trip_id": trip.id,
                "rule_id": rule.id,
                "name_nl": rule.name.nl,
                "name_en": rule.name.en,
                "owner": rule.owner,
                "due_days_before": rule.due_days_before,
                "due_on": item.due_on,
                "evidence_kind": rule.evidence.value,
                "needs_verification": rule.verified,
                "max_age_years": rule.max_age_years,
                "valid_months_after_return": rule.valid_months_after_return,
                "status": ItemStatus.OPEN,
            }
        )
    assert trip.departure_on is not None
    for condition in conditions:
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
                "due_days_before": procedure.choices.condition_due_days_before,
                "due_on": subtract_working_days(
                    trip.departure_on,
                    procedure.choices.condition_due_days_before,
                    procedure.holidays,
                ),
                "evidence_kind": "text",
                "needs_verification": True,
                "max_age_years": None,
                "valid_months_after_return": None,
                "status": ItemStatus.OPEN,
            }
        )
    if rows:
        db.session.execute(sa.insert(DossierItem), rows)
    return len(rows)


def recompute_due(trip: Trip) -> None:
    """Move every item's due date with the departure (one statement per distinct offset)."""
    if trip.departure_on is None:
        return
    holidays = active_procedure().holidays
    offsets = db.session.scalars(
        sa.select(DossierItem.due_days_before).where(DossierItem.trip_id == trip.id).distinct()
    ).all()
    for days in offsets:
        db.session.execute(
            sa.update(DossierItem)
            .where(DossierItem.trip_id == trip.id, DossierItem.due_days_before == days)
            .values(due_on=subtract_working_days(trip.departure_on, days, holidays))
        )


def items_of(trip: Trip) -> list[DossierItem]:
    return list(
        db.session.scalars(
            sa.select(DossierItem)
            .where(DossierItem.trip_id == trip.id)
            .order_by(DossierItem.due_on, DossierItem.id)
        )
    )


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
