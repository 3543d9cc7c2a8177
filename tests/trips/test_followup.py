"""The journey after approval: departure day, the return day's safe-return request and its
escalation, the debrief; each once, and only the traveller or a safety officer confirms."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from tests.conftest import outbox_rows as mails
from tests.trips.conftest import day, leg
from tests.trips.test_rereview import approve_all
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.procedures import active_procedure
from travel_app.trips import journey
from travel_app.trips import operations as ops
from travel_app.trips.models import EventKind, Leg, Trip, TripPhase, TripState


def dated(trip, start, end):
    """Move an approved trip's dates (the sweeps work on today's date)."""
    first, last = day(start), day(end)
    db.session.execute(
        sa.update(Trip).where(Trip.id == trip.id).values(departure_on=first, return_on=last)
    )
    db.session.execute(
        sa.update(Leg).where(Leg.trip_id == trip.id).values(arrives_on=first, leaves_on=last)
    )
    db.session.commit()
    db.session.expire_all()
    return trip


def travelling(world, make_trip, *legs, start=-5, end=0):
    trip = approve_all(make_trip(*(legs or (leg("BF", 40, 50),))), world)
    return dated(trip, start, end)


def test_departure_day_makes_an_approved_trip_travelling_once(world, make_trip, as_person):
    trip = travelling(world, make_trip, start=0, end=10)
    assert trip.phase is TripPhase.PLANNED
    assert journey.start_travel(date.today()).trips == 1
    assert journey.start_travel(date.today()).trips == 0
    db.session.commit()
    db.session.refresh(trip)
    assert trip.phase is TripPhase.TRAVELLING
    assert [e.kind for e in trip.events].count(EventKind.DEPARTED) == 1
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Travelling" in page and "Departure day: travelling" in page


def test_a_trip_still_in_review_does_not_start(world, make_trip):
    trip = dated(make_trip(leg("BF", 40, 50)), 0, 10)
    assert journey.start_travel(date.today()).trips == 0
    db.session.refresh(trip)
    assert trip.phase is TripPhase.PLANNED


def test_return_day_asks_once_and_escalates_to_the_safety_officer_after_24_hours(
    world, make_trip, as_person
):
    procedure = active_procedure()
    trip = travelling(world, make_trip)
    assert journey.ask_safe_return(date.today(), procedure).queued == 1
    assert journey.ask_safe_return(date.today(), procedure).queued == 0
    db.session.commit()
    db.session.refresh(trip)
    assert trip.phase is TripPhase.RETURNED and trip.safe_return_asked_at is not None
    [ask] = mails("safe_return")
    assert ask.recipient == world.student.email and ask.subject.startswith("Are you back safely?")

    # The whole return day (a flight may land the next morning), then 24 hours.
    end_of_return_day = datetime.combine(trip.return_on + timedelta(days=1), time(), UTC)
    for hours in (0, 12, 23):
        later = end_of_return_day + timedelta(hours=hours)
        assert journey.escalate_safe_return(later, procedure).queued == 0
    overdue = end_of_return_day + timedelta(hours=24, minutes=5)
    assert journey.escalate_safe_return(overdue, procedure).queued == 1
    assert journey.escalate_safe_return(overdue + timedelta(hours=1), procedure).queued == 0
    db.session.commit()
    [alert] = mails("safe_return_overdue")
    assert alert.recipient == world.safety_officer.email
    assert alert.subject == f"No safe-return answer: Sam Student, {trip.purpose}"
    db.session.refresh(trip)
    assert trip.needs_attention and trip.attention_reason == journey.NO_ANSWER

    # The traveller answers late: the flag goes, the timeline and the page say so.
    client = as_person(world.student)
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "I am back safely" in page
    response = client.post(
        f"/trips/{trip.id}/safe-return", data={"version": trip.version, "reason": ""}
    )
    assert response.status_code == 302
    db.session.refresh(trip)
    assert trip.safe_return_at is not None and not trip.needs_attention
    assert trip.events[-1].kind is EventKind.SAFE_RETURN
    assert trip.events[-1].actor_id == world.student.id
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Safe return confirmed" in page and "I am back safely" not in page
    # A second confirmation is refused, and nothing more is escalated.
    again = client.post(f"/trips/{trip.id}/safe-return", data={"version": trip.version})
    assert again.status_code == 403
    assert journey.escalate_safe_return(overdue + timedelta(days=1), procedure).queued == 0


def test_an_answer_in_time_means_no_escalation(world, make_trip, as_person):
    procedure = active_procedure()
    trip = travelling(world, make_trip)
    journey.ask_safe_return(date.today(), procedure)
    db.session.commit()
    db.session.refresh(trip)
    response = as_person(world.student).post(
        f"/trips/{trip.id}/safe-return", data={"version": trip.version}
    )
    assert response.status_code == 302
    later = datetime.combine(trip.return_on + timedelta(days=3), time(), UTC)
    assert journey.escalate_safe_return(later, procedure).queued == 0
    assert mails("safe_return_overdue") == []


def test_only_the_traveller_or_a_safety_officer_may_confirm_the_return(world, make_trip, as_person):
    trip = travelling(world, make_trip, start=-3, end=3)
    journey.start_travel(date.today())
    db.session.commit()
    db.session.refresh(trip)
    for person, status in (
        (world.colleague, 404),
        (world.outsider, 404),
        (world.promoter, 403),
        (world.faculty_authority, 403),
        # Three days before the return, a mis-tap must not end the safety net.
        (world.student, 403),
    ):
        client = as_person(person)
        response = client.post(f"/trips/{trip.id}/safe-return", data={"version": trip.version})
        assert response.status_code == status, person.name
    db.session.refresh(trip)
    assert trip.safe_return_at is None
    # The safety officer records it after a phone call (an early return), saying so.
    officer = as_person(world.safety_officer)
    silent = officer.post(f"/trips/{trip.id}/safe-return", data={"version": trip.version})
    assert silent.status_code == 400
    assert "Say how you know the traveller is back safely." in silent.get_data(as_text=True)
    response = officer.post(
        f"/trips/{trip.id}/safe-return",
        data={"version": trip.version, "reason": "Reached by phone, back early"},
    )
    assert response.status_code == 302
    db.session.refresh(trip)
    assert trip.phase is TripPhase.RETURNED and trip.safe_return_at is not None
    assert trip.events[-1].comment == "Reached by phone, back early"
    # The return day then asks nobody.
    assert journey.ask_safe_return(day(3), active_procedure()).queued == 0


def test_a_stale_form_is_refused_without_recording(world, make_trip, as_person):
    trip = travelling(world, make_trip)
    journey.ask_safe_return(date.today(), active_procedure())
    db.session.commit()
    db.session.refresh(trip)
    response = as_person(world.student).post(
        f"/trips/{trip.id}/safe-return", data={"version": trip.version - 1}
    )
    assert response.status_code == 409
    db.session.refresh(trip)
    assert trip.safe_return_at is None


def test_level_0_trips_return_without_a_request(world, make_trip):
    trip = travelling(world, make_trip, leg("FR", 40, 50))
    assert trip.level == 0
    result = journey.ask_safe_return(date.today(), active_procedure())
    db.session.commit()
    db.session.refresh(trip)
    assert (result.trips, result.queued) == (1, 0)
    assert trip.phase is TripPhase.RETURNED and trip.safe_return_asked_at is None


def test_a_debrief_is_asked_the_day_after_return_for_level_2_and_3_only(world, make_trip):
    procedure = active_procedure()
    high = travelling(world, make_trip, leg("ML", 40, 50), start=-10, end=-1)
    low = travelling(world, make_trip, leg("BF", 40, 50), start=-10, end=-1)
    assert (high.level, low.level) == (2, 1)
    journey.ask_safe_return(date.today(), procedure)
    assert journey.debrief_requests(date.today(), procedure).queued == 1
    assert journey.debrief_requests(date.today(), procedure).queued == 0
    db.session.commit()
    [row] = mails("debrief")
    assert row.recipient == world.student.email and row.due_on == high.return_on


def test_the_traveller_may_confirm_from_the_day_before_the_return(world, make_trip, as_person):
    trip = travelling(world, make_trip, start=-3, end=1)
    journey.start_travel(date.today())
    db.session.commit()
    db.session.refresh(trip)
    response = as_person(world.student).post(
        f"/trips/{trip.id}/safe-return", data={"version": trip.version}
    )
    assert response.status_code == 302
    db.session.refresh(trip)
    assert trip.phase is TripPhase.RETURNED and trip.safe_return_at is not None


def test_a_recalled_traveller_is_still_asked_and_may_answer(world, make_trip, as_person):
    procedure = active_procedure()
    trip = travelling(world, make_trip, start=-3, end=0)
    journey.start_travel(day(-3))
    db.session.commit()
    db.session.refresh(trip)
    ops.cancel_trip(trip, world.safety_officer, "Recalled: the region closed", trip.version)
    db.session.commit()
    db.session.refresh(trip)
    assert trip.state is TripState.REVOKED and trip.phase is TripPhase.TRAVELLING
    assert journey.ask_safe_return(date.today(), procedure).queued == 1
    db.session.commit()
    db.session.refresh(trip)
    response = as_person(world.student).post(
        f"/trips/{trip.id}/safe-return", data={"version": trip.version}
    )
    assert response.status_code == 302
    db.session.refresh(trip)
    assert trip.safe_return_at is not None


def test_an_escalation_meanwhile_makes_the_open_form_stale_and_the_answer_clears_it(
    world, make_trip, as_person
):
    procedure = active_procedure()
    trip = travelling(world, make_trip, start=-5, end=-2)
    journey.ask_safe_return(date.today(), procedure)
    db.session.commit()
    db.session.refresh(trip)
    seen = trip.version  # the traveller opens the page
    db.session.execute(
        sa.update(Trip)
        .where(Trip.id == trip.id)
        .values(safe_return_asked_at=utcnow() - timedelta(hours=30))
    )
    db.session.commit()
    assert journey.escalate_safe_return(utcnow(), procedure).queued == 1
    db.session.commit()
    client = as_person(world.student)
    stale = client.post(f"/trips/{trip.id}/safe-return", data={"version": seen})
    assert stale.status_code == 409
    db.session.refresh(trip)
    assert trip.needs_attention
    fresh = client.post(f"/trips/{trip.id}/safe-return", data={"version": trip.version})
    assert fresh.status_code == 302
    db.session.refresh(trip)
    assert not trip.needs_attention and trip.attention_reason == ""


def test_an_escalation_keeps_an_earlier_reason_for_attention(world, make_trip):
    procedure = active_procedure()
    trip = travelling(world, make_trip, start=-5, end=-2)
    db.session.execute(
        sa.update(Trip)
        .where(Trip.id == trip.id)
        .values(needs_attention=True, attention_reason="The level rose during travel")
    )
    db.session.commit()
    journey.ask_safe_return(date.today(), procedure)
    db.session.execute(sa.update(Trip).values(safe_return_asked_at=utcnow() - timedelta(hours=30)))
    assert journey.escalate_safe_return(utcnow(), procedure).queued == 1
    db.session.commit()
    db.session.refresh(trip)
    assert trip.attention_reason == f"The level rose during travel; {journey.NO_ANSWER}"
