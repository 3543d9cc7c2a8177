"""The timeline is the trip's audit trail: complete, append-only, and shown on the trip page."""

from __future__ import annotations

from datetime import date

import pytest

from tests.trips.conftest import day, decide, trip_data
from travel_app.extensions import db
from travel_app.trips import operations as ops
from travel_app.trips.models import EventKind, Trip, TripEvent, TripState


def test_every_step_is_recorded_with_who_states_level_and_advice(world, make_trip, as_person):
    trip = make_trip()
    decide(as_person(world.promoter), trip, "supervisor", comment="Fine by me")
    submitted, decision = trip.events[1], trip.events[2]
    assert submitted.kind is EventKind.SUBMITTED
    assert submitted.actor_id == world.student.id
    assert (submitted.from_state, submitted.to_state) == ("draft", "in_review")
    assert submitted.level == 2
    assert submitted.data["procedure"] == "vlir-framework v2"
    (advice,) = submitted.data["advice"]
    assert (advice["place"], advice["level"], advice["source"]) == ("ML", 2, "be_fps")
    assert advice["source_name"] == "Belgium: FPS Foreign Affairs"
    assert advice["effective_on"] == day(-100).isoformat() and advice["advisory_id"]
    assert decision.kind is EventKind.DECISION
    assert (decision.step_id, decision.outcome, decision.comment) == (
        "supervisor",
        "approve",
        "Fine by me",
    )
    assert decision.data["advice"][0]["level"] == 2
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    for text in (
        "Submitted",
        "Paula Promoter",
        "Fine by me",
        "Advice then: Mali 2 (Belgium: FPS Foreign Affairs, ",
    ):
        assert text in page


def test_timeline_rows_cannot_be_changed_or_deleted(world, make_trip):
    trip = make_trip()
    event = db.session.get(TripEvent, trip.events[0].id)
    event.comment = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(TripEvent, trip.events[0].id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_extra_form_fields_cannot_set_the_state_or_the_traveller(world, as_person):
    from tests.trips.test_journey import form

    client = as_person(world.student)
    response = client.post(
        "/trips/new",
        data=form(state="approved", traveller_id=world.colleague.id, level="0", round="9"),
    )
    assert response.status_code == 302
    trip = db.session.query(Trip).one()
    assert trip.state is TripState.IN_REVIEW
    assert trip.traveller_id == world.student.id
    assert trip.level == 2 and trip.round == 1


def test_every_event_carries_the_advice_of_its_moment(world, make_trip):
    trip = make_trip(submit=False)
    ops.save_draft(trip, world.student, trip_data(purpose="Fieldwork, edited"), trip.version)
    ops.submit_trip(trip, world.student, trip.version, date.today())
    ops.withdraw_trip(trip, world.student, "Plans changed", trip.version, date.today())
    db.session.commit()
    kinds = [e.kind for e in trip.events]
    assert kinds == [
        EventKind.CREATED,
        EventKind.EDITED,
        EventKind.SUBMITTED,
        EventKind.WITHDRAWN,
    ]
    for event in trip.events:
        assert [a["place"] for a in event.data["advice"]] == ["ML"], event.kind
