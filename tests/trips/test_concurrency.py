"""Two people acting on one trip at once: exactly one succeeds, the other gets a 409."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.trips.conftest import decide
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.trips import operations as ops
from travel_app.trips.models import EventKind, Trip, TripEvent, TripState


def test_a_decision_on_a_stale_page_is_refused_with_409_and_nothing_changes(
    world, make_trip, as_person
):
    trip = make_trip()
    stale_version = trip.version
    # The safety officer cancels while the promoter still looks at the old page.
    ops.cancel_trip(trip, world.safety_officer, "Region closed", trip.version)
    db.session.commit()

    client = as_person(world.promoter)
    response = client.post(
        f"/trips/{trip.id}/decide",
        data={"step_id": "supervisor", "outcome": "approve", "version": stale_version},
    )

    assert response.status_code == 409
    assert "This trip changed while you were looking; reload." in response.get_data(as_text=True)
    db.session.refresh(trip)
    assert trip.state is TripState.CANCELLED
    assert not [e for e in trip.events if e.kind is EventKind.DECISION]


def test_a_second_decision_form_for_the_same_version_is_refused(world, make_trip, as_person):
    trip = make_trip()
    version = trip.version
    client = as_person(world.promoter)
    assert decide(client, trip, "supervisor").status_code == 302
    again = client.post(
        f"/trips/{trip.id}/decide",
        data={"step_id": "supervisor", "outcome": "reject", "comment": "no", "version": version},
    )
    assert again.status_code in (403, 409)
    db.session.refresh(trip)
    assert trip.state is TripState.IN_REVIEW
    assert [e.outcome for e in trip.events if e.kind is EventKind.DECISION] == ["approve"]


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_two_connections_acting_at_once_on_postgresql_one_wins_nothing_lost(app, world, make_trip):
    assert db.engine.dialect.name == "postgresql"
    trip = make_trip()
    trip_id, version = trip.id, trip.version
    promoter_id, officer_id = world.promoter.id, world.safety_officer.id
    loaded = threading.Barrier(2, timeout=20)
    a_claimed = threading.Event()
    results: dict[str, object] = {}

    def approve() -> None:
        with app.app_context():
            trip = db.session.get(Trip, trip_id)
            person = db.session.get(Person, promoter_id)
            loaded.wait()
            try:
                ops.decide_step(
                    trip, person, person, "supervisor", ops.Outcome.APPROVE, "", (), version
                )
                a_claimed.set()
                # Hold the row lock a moment so the other connection must wait for it.
                threading.Event().wait(0.5)
                db.session.commit()
                results["approve"] = "ok"
            except Exception as exc:  # pragma: no cover - reported below
                a_claimed.set()
                db.session.rollback()
                results["approve"] = exc

    def cancel() -> None:
        with app.app_context():
            trip = db.session.get(Trip, trip_id)
            person = db.session.get(Person, officer_id)
            loaded.wait()
            a_claimed.wait(timeout=20)
            try:
                ops.cancel_trip(trip, person, "Region closed", version)
                db.session.commit()
                results["cancel"] = "ok"
            except ops.TripChanged as exc:
                db.session.rollback()
                results["cancel"] = exc

    threads = [threading.Thread(target=approve), threading.Thread(target=cancel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results["approve"] == "ok"
    assert isinstance(results["cancel"], ops.TripChanged)
    db.session.expire_all()
    trip = db.session.get(Trip, trip_id)
    assert trip.state is TripState.IN_REVIEW
    assert trip.version == version + 1
    kinds = [e.kind for e in db.session.query(TripEvent).filter_by(trip_id=trip_id)]
    assert kinds.count(EventKind.DECISION) == 1
    assert EventKind.CANCELLED not in kinds
