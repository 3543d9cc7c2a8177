"""Retention: the emergency contact goes some days after return; approval and trail stay."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from tests.trips.conftest import bulk_trips
from tests.trips.test_rereview import approve_all
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.trips.models import EventKind, Trip, TripState
from travel_app.trips.retention import purge_after_return


def returned(trip, days_ago):
    db.session.execute(
        sa.update(Trip)
        .where(Trip.id == trip.id)
        .values(return_on=date.today() - timedelta(days=days_ago))
    )
    db.session.commit()


def test_the_emergency_contact_is_removed_30_days_after_return_once(world, make_trip, as_person):
    old = approve_all(make_trip(purpose="Old trip"), world)
    recent = approve_all(make_trip(purpose="Recent trip"), world)
    returned(old, 31)
    returned(recent, 29)
    events_before = len(old.events)

    assert purge_after_return(date.today(), 30) == [old.id]
    db.session.commit()
    assert purge_after_return(date.today(), 30) == []  # once

    db.session.refresh(old)
    db.session.refresh(recent)
    assert (old.emergency_name, old.emergency_phone) == ("", "")
    assert old.purged_at is not None
    assert old.state is TripState.APPROVED  # the approval record stays
    assert len(old.events) == events_before + 1 and old.events[-1].kind is EventKind.PURGED
    assert recent.emergency_name == "Mum"
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "trip.retention")
    ).one()
    assert audit.data == {"trips": 1, "days": 30}

    page = as_person(world.student).get(f"/trips/{old.id}").get_data(as_text=True)
    assert "+32 470 00 00 00" not in page
    assert "removed on" in page
    assert "Emergency contact and dossier evidence removed after return" in page


def test_retention_runs_the_same_statements_for_10_and_1000_trips(world, count_queries):
    def run(n):
        bulk_trips(world, n)
        db.session.execute(
            sa.update(Trip).values(return_on=date.today() - timedelta(days=40), purged_at=None)
        )
        db.session.commit()
        with count_queries() as statements:
            purged = purge_after_return(date.today(), 30)
            db.session.commit()
        return len(statements), len(purged)

    few, n10 = run(10)
    many, n1010 = run(1000)
    assert (n10, n1010) == (10, 1010)
    print(f"\nretention sweep: {few} statements for 10 trips, {many} for 1,010")
    assert few == many


def test_a_traveller_who_never_confirmed_being_back_keeps_the_emergency_contact(world, make_trip):
    from travel_app.core.db import utcnow

    trip = approve_all(make_trip(purpose="Unanswered"), world)
    db.session.execute(
        sa.update(Trip)
        .where(Trip.id == trip.id)
        .values(
            return_on=date.today() - timedelta(days=40),
            phase="returned",
            safe_return_asked_at=utcnow() - timedelta(days=40),
        )
    )
    db.session.commit()
    assert purge_after_return(date.today(), 30) == []
    db.session.execute(sa.update(Trip).where(Trip.id == trip.id).values(safe_return_at=utcnow()))
    db.session.commit()
    assert purge_after_return(date.today(), 30) == [trip.id]
