"""The dossier's e-mails: the checklist on approval, reminders at the procedure's offsets, the
T-1 dossier and crisis sheet, and warnings for documents that no longer cover the trip.

Each sweep reads its candidates by index in a bounded date window, skips what the outbox holds
already, and renders and queues the rest in one insert: a fixed number of statements however
many trips there are. The outbox's unique key keeps a second or concurrent run from queueing
anything twice. Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from travel_app.core import audit
from travel_app.dossier import operations as ops
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import Mail, queue, queued_keys
from travel_app.outbox.render import later, renders
from travel_app.trips.models import GO_STATES, Trip, TripPhase
from travel_app.trips.notices import is_called_off, trip_calendar
from workflows.model import Procedure

#: Items the traveller (or another owner) still has to act on.
OPEN = (ItemStatus.OPEN, ItemStatus.REJECTED)


@dataclass
class SweepResult:
    candidates: int = 0
    queued: int = 0


def _recipient(person: Person) -> Recipient:
    return Recipient(person.id, person.email, person.name, person.language)


def _trips(ids: set[int]) -> dict[int, Trip]:
    """The trips with traveller and legs, in one statement."""
    return {
        t.id: t
        for t in db.session.scalars(
            sa.select(Trip)
            .where(Trip.id.in_(ids))
            .options(joinedload(Trip.traveller), joinedload(Trip.legs))
        ).unique()
    }


def _open_items(ids: set[int]) -> dict[int, list[DossierItem]]:
    items: dict[int, list[DossierItem]] = defaultdict(list)
    for item in db.session.scalars(
        sa.select(DossierItem)
        .where(DossierItem.trip_id.in_(ids), DossierItem.status.in_(OPEN))
        .order_by(DossierItem.due_on, DossierItem.id)
    ):
        items[item.trip_id].append(item)
    return items


def _mail(
    kind: str,
    trip: Trip,
    due_on: date,
    items: list[DossierItem],
    about: str = "",
    **context: Any,
) -> Mail:
    return compose(
        kind,
        "traveller",
        _recipient(trip.traveller),
        about=about or f"trip:{trip.id}/dossier",
        due_on=due_on,
        attachments=[trip_calendar(trip, items)],
        trip=trip,
        items=items,
        **context,
    )


def _fresh(kind: str, wanted: dict[int, tuple[str, date]]) -> dict[int, date]:
    """Of ``{trip: (traveller e-mail, due day)}``, those not queued yet: ``{trip: due day}``."""
    keys = [(email, f"trip:{tid}/dossier", due) for tid, (email, due) in wanted.items()]
    done = queued_keys(kind, keys)
    return {
        tid: due
        for tid, (email, due) in wanted.items()
        if (email, f"trip:{tid}/dossier", due) not in done
    }


def checklist(trip: Trip, today: date) -> list[Mail]:
    """The checklist e-mail when a trip's dossier is generated or grows, for the caller to
    queue with the other mails of its change.

    Queued as data: the worker writes it with the items open when it goes (rendering it here
    was a third of a decision; ``outbox.render``).
    """
    traveller = trip.traveller
    return [
        later(
            "dossier_checklist",
            recipient=traveller.email,
            recipient_id=traveller.id,
            language=traveller.language,
            about=f"trip:{trip.id}/dossier/round:{trip.round}",
            due_on=today,
            data={"trip": trip.id, "day": today.isoformat()},
        )
    ]


@renders("dossier_checklist")
def _checklist_now(data: dict[str, Any]) -> Mail | None:
    """The checklist as it stands: the trip's open items and its calendar; nothing when the
    trip was called off or no item is open any more."""
    trip = db.session.get(Trip, data["trip"])
    if trip is None or trip.state not in GO_STATES or is_called_off(trip):
        return None
    items = ops.items_of(trip)
    open_items = [i for i in items if i.status in OPEN]
    if not open_items:
        return None
    day = date.fromisoformat(data["day"])
    return _mail("dossier_checklist", trip, day, open_items, total=len(items))


def reminder_day(departure: date, today: date, offsets: tuple[int, ...]) -> date | None:
    """The day of the latest reminder offset that has come (T-d), or None if none has.

    A sweep that missed days sends the latest reminder once, not every one it missed.
    """
    left = (departure - today).days
    passed = [d for d in offsets if d >= left]
    return departure - timedelta(days=min(passed)) if passed and left > 1 else None


def dossier_reminders(today: date, procedure: Procedure) -> SweepResult:
    """Remind travellers of open items at T-42, T-28, ... (the procedure's offsets)."""
    offsets = procedure.followup.dossier_reminder_days
    if not offsets:
        return SweepResult()
    # Since when the dossier exists: its items due before departure come with the approval
    # (with the checklist e-mail); those due with the request or before a stage were made at
    # submission, and would make every offset passed while in review look missed. They are
    # reminded of with the others, by their due date.
    since = sa.func.coalesce(
        sa.func.min(sa.case((DossierItem.before_stage.is_(None), DossierItem.created_at))),
        sa.func.min(DossierItem.created_at),
    )
    rows = db.session.execute(
        sa.select(Trip.id, Trip.departure_on, Person.email, since.label("since"))
        .join(DossierItem, DossierItem.trip_id == Trip.id)
        .join(Person, Person.id == Trip.traveller_id)
        .where(
            Trip.state.in_(GO_STATES),
            Trip.departure_on > today + timedelta(days=1),
            Trip.departure_on <= today + timedelta(days=max(offsets)),
            Trip.phase == TripPhase.PLANNED,
            DossierItem.status.in_(OPEN),
        )
        .group_by(Trip.id, Trip.departure_on, Person.email)
    ).all()
    wanted: dict[int, tuple[str, date]] = {}
    for row in rows:
        day = reminder_day(row.departure_on, today, offsets)
        # A reminder due before the dossier existed, or on its first day, is the checklist
        # e-mail's job.
        if day is not None and day > row.since.date():
            wanted[row.id] = (row.email, day)
    due = _fresh("dossier_reminder", wanted)
    if not due:
        return SweepResult(len(rows))
    trips, items = _trips(set(due)), _open_items(set(due))
    mails = [
        _mail(
            "dossier_reminder",
            trips[tid],
            day,
            items[tid],
            days_left=(trips[tid].departure_on - today).days,  # type: ignore[operator]
        )
        for tid, day in due.items()
        if items.get(tid)
    ]
    return SweepResult(len(rows), queue(mails))


def departure_briefs(today: date) -> SweepResult:
    """The day before departure (or on the day, if the sweep missed it): the dossier and
    crisis sheet in the mailbox, readable without network."""
    rows = db.session.execute(
        sa.select(Trip.id, Trip.departure_on, Person.email)
        .join(Person, Person.id == Trip.traveller_id)
        .where(
            Trip.state.in_(GO_STATES),
            Trip.departure_on.between(today, today + timedelta(days=1)),
            Trip.phase.in_((TripPhase.PLANNED, TripPhase.TRAVELLING)),
        )
    ).all()
    wanted = {r.id: (r.email, r.departure_on - timedelta(days=1)) for r in rows}
    due = _fresh("departure_brief", wanted)
    if not due:
        return SweepResult(len(rows))
    trips, items = _trips(set(due)), _open_items(set(due))
    mails = [
        _mail("departure_brief", trips[tid], day, items.get(tid, [])) for tid, day in due.items()
    ]
    return SweepResult(len(rows), queue(mails))


class _System:
    """The audit trail's object for one expiry sweep."""

    def __init__(self, today: date) -> None:
        self.id = today.isoformat()


def expiry_warnings(today: date, procedure: Procedure) -> SweepResult:
    """Reopen documents and certificates that no longer cover the trip, and warn the traveller.

    A passport checked against the old return date may not be valid six months after a later
    one; a certificate may grow too old. The item goes back to the traveller with the reason.
    """
    horizon = today + timedelta(days=procedure.followup.expiry_warning_days)
    # The window's trips first (by ix_trip_state_departure), then their items by trip id.
    # Joined plainly, or with the window folded back in (hence MATERIALIZED), PostgreSQL
    # scanned every trip (at 100,000 trips) or every item (at 10,000): this read took twice
    # as long at ten times the trips.
    leaving = (
        sa.select(Trip.id)
        .where(Trip.state.in_(GO_STATES), Trip.departure_on > today, Trip.departure_on <= horizon)
        .cte("leaving")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    items = db.session.scalars(
        sa.select(DossierItem)
        .where(
            DossierItem.trip_id.in_(sa.select(leaving.c.id)),
            DossierItem.status.in_((ItemStatus.DONE, ItemStatus.VERIFIED)),
            DossierItem.evidence_date.is_not(None),
            sa.or_(
                DossierItem.valid_months_after_return.is_not(None),
                DossierItem.max_age_years.is_not(None),
            ),
        )
        .options(joinedload(DossierItem.trip).joinedload(Trip.traveller))
        # The sweep judges what is stored now, not what this session loaded earlier.
        .execution_options(populate_existing=True)
    ).all()
    failing: dict[int, list[tuple[DossierItem, str]]] = defaultdict(list)
    for item in items:
        try:
            assert item.evidence_date is not None  # the query's filter
            ops.check_date(item, item.trip, item.evidence_date, today)
        except ops.BadEvidence as exc:
            failing[item.trip_id].append((item, exc.reason(item.trip.traveller.language)))
    if not failing:
        return SweepResult(len(items))
    trips = _trips(set(failing))
    mails = []
    for tid, bad in failing.items():
        for item, reason in bad:
            item.status = ItemStatus.REJECTED
            item.rejected_reason = reason
            item.verified_at = item.verified_by_id = None
        mails.append(
            _mail(
                "expiry_warning",
                trips[tid],
                today,
                [i for i, _ in bad],
                # Another item failing later the same day is another warning.
                about=f"trip:{tid}/expiry:" + ",".join(str(i.id) for i, _ in bad),
                reasons={i.id: r for i, r in bad},
            )
        )
    audit.record(
        "dossier.expired",
        _System(today),
        None,
        items=sorted(i.id for bad in failing.values() for i, _ in bad),
    )
    return SweepResult(len(items), queue(mails))
