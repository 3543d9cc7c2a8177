"""Review over HTTP: changes requested and resubmitted, changes after approval, groups, advice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.trips.conftest import day, decide, leg
from tests.trips.test_journey import form
from tests.trips.test_rereview import approve_all
from travel_app.extensions import db
from travel_app.trips import operations as ops
from travel_app.trips.models import EventKind, Trip, TripEvent, TripState
from workflows.engine import Outcome


def test_changes_requested_need_a_comment_then_the_trip_returns_to_the_same_stage(
    world, make_trip, as_person
):
    trip = make_trip()
    client = as_person(world.promoter)
    assert decide(client, trip, "supervisor").status_code == 302
    client = as_person(world.faculty_authority)
    empty = decide(client, trip, "faculty_authority", "request_changes")
    assert empty.status_code == 400
    assert "This decision needs a comment." in empty.get_data(as_text=True)
    asked = decide(
        client, trip, "faculty_authority", "request_changes", comment="Add a local contact"
    )
    assert asked.status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.CHANGES_REQUESTED

    client = as_person(world.student)
    edit = client.get(f"/trips/{trip.id}/edit").get_data(as_text=True)
    assert "Add a local contact" in edit
    response = client.post(
        f"/trips/{trip.id}/edit",
        data=form(
            action="resubmit",
            version=trip.version,
            **{"legs-0-accommodation": "Hotel Salam, local contact: Dr. Traoré"},
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(trip)
    assert trip.state is TripState.IN_REVIEW
    assert trip.round == 1  # the same round: the supervisor's approval still counts
    assert trip.events[-1].kind is EventKind.RESUBMITTED
    inbox = as_person(world.faculty_authority).get("/inbox").get_data(as_text=True)
    assert "Fieldwork in Mopti" in inbox
    assert "Fieldwork in Mopti" not in as_person(world.promoter).get("/inbox").get_data(True)


def test_a_rejection_needs_a_reason_and_ends_the_trip(world, make_trip, as_person):
    trip = make_trip()
    client = as_person(world.promoter)
    assert decide(client, trip, "supervisor", "reject").status_code == 400
    assert decide(client, trip, "supervisor", "reject", comment="Not now").status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.REJECTED
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Rejected" in page and "Not now" in page


def test_approve_with_conditions_needs_a_condition(world, make_trip, as_person):
    trip = make_trip()
    response = decide(as_person(world.promoter), trip, "supervisor", "approve_with_conditions")
    assert response.status_code == 400
    assert "Give at least one condition." in response.get_data(as_text=True)


def test_the_traveller_sees_who_holds_the_trip_and_until_when(world, make_trip, as_person):
    trip = make_trip()
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Where the trip is" in page
    assert "Paula Promoter" in page
    task_due = db.session.execute(
        db.text("SELECT due_on FROM trip_task WHERE trip_id = :t"), {"t": trip.id}
    ).scalar()
    assert str(task_due) in page


def test_level_three_needs_the_safety_officers_advice_before_the_executive(
    world, make_trip, as_person
):
    trip = make_trip(leg("ML", 60, 70, region="ML-7"))
    for person, step in (
        (world.promoter, "supervisor"),
        (world.faculty_authority, "faculty_authority"),
    ):
        assert decide(as_person(person), trip, step).status_code == 302
    early = decide(as_person(world.executive), trip, "executive")
    assert early.status_code == 403
    assert "Waiting for the advice" in early.get_data(as_text=True)
    client = as_person(world.safety_officer)
    assert decide(client, trip, "safety_advice", "advise").status_code == 400
    assert (
        decide(client, trip, "safety_advice", "advise", comment="Go with escort").status_code == 302
    )
    assert decide(as_person(world.executive), trip, "executive").status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Go with escort" in page


def test_a_group_trip_gives_each_traveller_their_own_approval(world, as_person):
    client = as_person(world.student)
    response = client.post("/trips/new", data=form(co_travellers=world.colleague.email))
    assert response.status_code == 302
    trips = db.session.query(Trip).order_by(Trip.id).all()
    assert [t.traveller_id for t in trips] == [world.student.id, world.colleague.id]
    assert {t.group_id for t in trips} == {trips[0].id}
    assert [t.state for t in trips] == [TripState.IN_REVIEW, TripState.DRAFT]
    # The colleague adds their own emergency contact and submits their trip.
    colleague = as_person(world.colleague)
    sent = colleague.post(
        f"/trips/{trips[1].id}/edit",
        data=form(
            version=trips[1].version,
            co_travellers=world.student.email,
            emergency_name="Cas's brother",
            emergency_phone="+32 470 55 55 55",
        ),
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    db.session.refresh(trips[1])
    assert trips[1].state is TripState.IN_REVIEW
    assert db.session.query(Trip).count() == 2  # no third trip: the group exists
    # Both wait for the promoter, as two separate decisions.
    inbox = as_person(world.promoter).get("/inbox").get_data(as_text=True)
    assert "Sam Student" in inbox and "Cas Colleague" in inbox
    decide(as_person(world.promoter), trips[1], "supervisor", "reject", comment="Not Cas")
    db.session.refresh(trips[0])
    db.session.refresh(trips[1])
    assert trips[0].state is TripState.IN_REVIEW
    assert trips[1].state is TripState.REJECTED
    # The colleague finds their own trip and sees the group.
    colleague = as_person(world.colleague)
    assert "Fieldwork in Mopti" in colleague.get("/trips").get_data(as_text=True)
    page = colleague.get(f"/trips/{trips[1].id}").get_data(as_text=True)
    assert "Group trip" in page and "Sam Student" in page


def test_a_material_change_after_approval_reopens_review_with_old_and_new_side_by_side(
    world, make_trip, as_person
):
    trip = approve_all(make_trip(leg("BF", 40, 50, city="Ouagadougou")), world)
    assert trip.state is TripState.APPROVED
    client = as_person(world.student)
    data = {
        "purpose": "Fieldwork",
        "legs-0-country": "BF",
        "legs-0-city": "Ouagadougou",
        "legs-0-arrives_on": day(40).isoformat(),
        "legs-0-leaves_on": day(50).isoformat(),
        "legs-1-country": "ML",
        "legs-1-region": "ML-7",
        "legs-1-city": "Gao",
        "legs-1-arrives_on": day(50).isoformat(),
        "legs-1-leaves_on": day(55).isoformat(),
        "why_not_remote": "a",
        "why_not_later": "b",
        "impact_if_cancelled": "c",
        "emergency_name": "Mum",
        "emergency_phone": "+32 470 00 00 00",
        "cost_centre": "CC-1",
        "version": trip.version,
    }
    check = client.post(f"/trips/{trip.id}/change", data={**data, "action": "check"})
    assert "This change reopens the review." in check.get_data(as_text=True)
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED  # checking changes nothing
    response = client.post(f"/trips/{trip.id}/change", data={**data, "action": "request"})
    assert response.status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.IN_REVIEW
    assert trip.level == 3 and trip.round == 2
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Change after approval: review reopened" in page
    assert "Before" in page and "After" in page
    assert "ML/ML-7 Gao" in page


def test_a_minor_change_only_notifies_the_approvers(world, make_trip, as_person):
    trip = approve_all(make_trip(leg("BF", 40, 50, city="Ouagadougou")), world)
    client = as_person(world.student)
    data = {
        "purpose": "Fieldwork",
        "legs-0-country": "BF",
        "legs-0-city": "Bobo-Dioulasso",
        "legs-0-arrives_on": day(42).isoformat(),
        "legs-0-leaves_on": day(52).isoformat(),
        "emergency_name": "Mum",
        "emergency_phone": "+32 470 00 00 00",
        "cost_centre": "CC-1",
        "version": trip.version,
        "action": "request",
    }
    assert client.post(f"/trips/{trip.id}/change", data=data).status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED
    assert trip.departure_on == day(42)
    assert trip.events[-1].kind is EventKind.CHANGE_NOTIFIED
    updates = as_person(world.promoter).get("/inbox").get_data(as_text=True)
    assert "Change after approval: approvers notified" in updates
    # Only those who decided on the trip get the news, and only for 30 days.
    for other in (world.colleague, world.outsider):
        assert "approvers notified" not in as_person(other).get("/inbox").get_data(as_text=True)
    # (Events are append-only for the application; the test ages one with plain SQL.)
    db.session.execute(
        sa.update(TripEvent)
        .where(TripEvent.id == trip.events[-1].id)
        .values(at=trip.events[-1].at - timedelta(days=31))
    )
    db.session.commit()
    assert "approvers notified" not in as_person(world.promoter).get("/inbox").get_data(True)


def test_a_change_that_touches_nothing_the_procedure_weighs_is_an_edit_not_news(
    world, make_trip, as_person
):
    trip = approve_all(make_trip(leg("BF", 40, 50, city="Ouagadougou")), world)
    client = as_person(world.student)
    data = {
        "purpose": "Fieldwork",
        "legs-0-country": "BF",
        "legs-0-city": "Ouagadougou",
        "legs-0-arrives_on": day(40).isoformat(),
        "legs-0-leaves_on": day(50).isoformat(),
        "legs-0-accommodation": "Hotel Splendid, +226 25 31 72 78",
        "emergency_name": "Mum",
        "emergency_phone": "+32 470 00 00 00",
        "cost_centre": "CC-1",
        "version": trip.version,
        "action": "request",
    }
    assert client.post(f"/trips/{trip.id}/change", data=data).status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED
    assert trip.legs[0].accommodation.startswith("Hotel Splendid")
    assert trip.events[-1].kind is EventKind.EDITED
    updates = as_person(world.promoter).get("/inbox").get_data(as_text=True)
    assert "Change after approval" not in updates


def test_resubmitting_without_the_necessity_motivation_is_refused(world, make_trip, as_person):
    trip = make_trip()
    decide(as_person(world.promoter), trip, "supervisor", "request_changes", comment="Dates")
    db.session.refresh(trip)
    events = len(trip.events)
    client = as_person(world.student)
    response = client.post(
        f"/trips/{trip.id}/edit",
        data=form(action="resubmit", version=trip.version, why_not_later=""),
    )
    assert response.status_code == 400
    assert "From level 2 on, a motivation of necessity is needed." in response.get_data(True)
    db.session.expire_all()
    assert trip.state is TripState.CHANGES_REQUESTED and len(trip.events) == events
    assert trip.why_not_later


def test_a_change_that_reopens_review_needs_the_necessity_motivation(world, make_trip, as_person):
    trip = approve_all(make_trip(leg("BF", 40, 50), why_not_later=""), world)
    assert trip.level == 1 and trip.state is TripState.APPROVED
    client = as_person(world.student)
    response = client.post(
        f"/trips/{trip.id}/change",
        data=form(action="request", version=trip.version, why_not_later=""),
    )  # the new itinerary goes to Mali (level 2): necessity is needed now
    assert response.status_code == 400
    assert "From level 2 on, a motivation of necessity is needed." in response.get_data(True)
    db.session.expire_all()
    assert trip.state is TripState.APPROVED and trip.legs[0].country_code == "BF"


def test_an_administrator_raising_a_level_suspends_trips_and_says_how_many(
    world, make_trip, as_person
):
    trip = approve_all(make_trip(leg("BF", 40, 50)), world)
    client = as_person(world.admin)
    response = client.post(
        "/admin/advisories",
        data={
            "country": "BF",
            "region": "",
            "level": "3",
            "source": "be_fps",
            "effective_on": date.today().isoformat(),
            "summary": "Coup",
        },
        follow_redirects=True,
    )
    assert "1 approved trips suspended for review" in response.get_data(as_text=True)
    db.session.refresh(trip)
    assert trip.state is TripState.SUSPENDED
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "the approval is suspended while the trip is reviewed again" in page
    assert "Burkina Faso: level 3" in page
    assert "Fieldwork" in as_person(world.promoter).get("/inbox").get_data(as_text=True)


def test_conditions_typed_before_choosing_plain_approval_are_not_recorded(
    world, make_trip, as_person
):
    trip = make_trip()
    client = as_person(world.promoter)
    response = decide(client, trip, "supervisor", conditions="Take a satellite phone")
    assert response.status_code == 302
    db.session.refresh(trip)
    decision = trip.events[-1]
    assert decision.kind is EventKind.DECISION and decision.conditions == []
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Take a satellite phone" not in page


def test_a_supervisor_travelling_along_hands_the_step_to_the_next_one_up(world, as_person):
    client = as_person(world.student)
    response = client.post("/trips/new", data=form(co_travellers=world.promoter.email))
    assert response.status_code == 302
    student_trip, promoter_trip = db.session.query(Trip).order_by(Trip.id).all()
    assert promoter_trip.traveller_id == world.promoter.id
    assert set(promoter_trip.co_traveller_ids) == {world.student.id}
    ops.save_draft(
        promoter_trip,
        world.promoter,
        replace(
            ops.data_of(promoter_trip), emergency_name="Pat", emergency_phone="+32 470 66 66 66"
        ),
    )
    ops.submit_trip(promoter_trip, world.promoter, promoter_trip.version, date.today())
    db.session.commit()

    # The promoter travels along, so the head of department decides the student's trip.
    promoter = as_person(world.promoter)
    assert "Sam Student" not in promoter.get("/inbox").get_data(as_text=True)
    assert decide(promoter, student_trip, "supervisor").status_code == 404
    with pytest.raises(ops.ActionRefused, match="Nobody decides on their own trip"):
        ops.decide_step(
            student_trip,
            world.promoter,
            world.promoter,
            "supervisor",
            Outcome.APPROVE,
            "",
            (),
            student_trip.version,
        )
    head = as_person(world.head)
    inbox = head.get("/inbox").get_data(as_text=True)
    assert "Sam Student" in inbox and "Paula Promoter" in inbox
    assert decide(head, student_trip, "supervisor").status_code == 302
    assert decide(head, promoter_trip, "supervisor").status_code == 302


def test_co_travellers_are_fixed_once_the_trip_is_submitted(world, make_trip, as_person):
    trip = make_trip()
    decide(as_person(world.promoter), trip, "supervisor", "request_changes", comment="Dates")
    db.session.refresh(trip)
    assert trip.state is TripState.CHANGES_REQUESTED
    client = as_person(world.student)
    edit = client.get(f"/trips/{trip.id}/edit").get_data(as_text=True)
    assert "Co-travellers are fixed once the trip is submitted." in edit
    events = len(trip.events)
    response = client.post(
        f"/trips/{trip.id}/edit",
        data=form(action="resubmit", version=trip.version, co_travellers=world.colleague.email),
    )
    assert response.status_code == 400
    assert "Co-travellers are fixed once the trip is submitted" in response.get_data(True)
    db.session.expire_all()
    assert db.session.query(Trip).count() == 1
    assert trip.state is TripState.CHANGES_REQUESTED and len(trip.events) == events

    approved = approve_all(make_trip(), world)
    assert approved.state is TripState.APPROVED
    response = client.post(
        f"/trips/{approved.id}/change",
        data=form(action="request", version=approved.version, co_travellers=world.colleague.email),
    )
    assert response.status_code == 400
    assert "Co-travellers are fixed once the trip is submitted" in response.get_data(True)
    db.session.expire_all()
    assert approved.state is TripState.APPROVED and db.session.query(Trip).count() == 2
