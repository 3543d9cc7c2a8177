"""A level rise suspends approved trips for review, set-based, and is audited."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.trips.conftest import bulk_trips, day, leg
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.places import operations as place_ops
from travel_app.procedures import active_procedure
from travel_app.trips import operations as ops
from travel_app.trips.models import EventKind, ProcedureText, Trip, TripEvent, TripState, TripTask
from travel_app.trips.rereview import react_to_advisory


def approve_all(trip, world):
    """Approve a trip through its whole route with the world's deciders."""
    for person in (world.promoter, world.faculty_authority, world.safety_officer, world.executive):
        db.session.refresh(trip)
        if trip.state not in (TripState.IN_REVIEW, TripState.SUSPENDED):
            break
        for option in ops.available_actions(trip, person, person):
            if option.outcomes:
                outcome = option.outcomes[0]
                comment = "ok" if outcome.value == "advise" else ""
                ops.decide_step(
                    trip, person, person, option.step_id, outcome, comment, (), trip.version
                )
                db.session.commit()
    db.session.refresh(trip)
    return trip


def raise_level(country, level, region=None, actor=None):
    advisory = place_ops.set_advisory(
        country_code=country,
        region_code=region,
        level=level,
        source_code="be_fps",
        effective_on=date.today(),
        summary="Changed",
        actor=actor,
    )
    reaction = react_to_advisory(advisory, actor, date.today())
    db.session.commit()
    return reaction


def test_the_suspension_mail_gives_the_reason_in_the_travellers_language(world, make_trip):
    """The e-mail names the place, the level and the source in the reader's words."""
    from travel_app.outbox.models import OutboxMessage

    world.student.language = "nl"
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    raise_level("BF", 3, actor=world.admin)
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.kind == "suspended", OutboxMessage.recipient_id == world.student.id
        )
    ).one()
    assert mail.language == "nl" and str(trip.id) in mail.about
    assert "Burkina Faso: niveau 3" in mail.text and "level 3" not in mail.text


def test_a_level_rise_suspends_an_approved_trip_and_reroutes_it_with_the_reason(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    assert trip.state is TripState.APPROVED and trip.level == 1

    reaction = raise_level("BF", 3, actor=world.admin)

    db.session.refresh(trip)
    assert reaction.suspended == [trip.id]
    assert trip.state is TripState.SUSPENDED
    assert trip.level == 3
    assert trip.round == 2
    assert [s["id"] for s in trip.route["stages"]] == ["supervisor", "faculty", "executive"]
    event = db.session.scalars(
        sa.select(TripEvent).where(TripEvent.kind == EventKind.SUSPENDED)
    ).one()
    assert "Burkina Faso: level 3" in event.comment
    assert event.from_state == "approved" and event.to_state == "suspended"
    assert event.actor_id == world.admin.id
    # The supervisor finds it in their inbox again.
    open_steps = db.session.scalars(
        sa.select(TripTask.step_id).where(TripTask.trip_id == trip.id, TripTask.closed_at.is_(None))
    ).all()
    assert open_steps == ["supervisor"]
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "advisory.reaction")
    ).one()
    assert audit.data["suspended"] == 1


def test_a_suspended_trip_is_approved_again_after_the_new_review(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    raise_level("BF", 2)
    trip = approve_all(trip, world)
    assert trip.state is TripState.APPROVED
    assert trip.level == 2


def test_a_suspended_trip_rejected_on_review_has_its_approval_revoked(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    raise_level("BF", 2)
    db.session.refresh(trip)
    ops.decide_step(
        trip,
        world.promoter,
        world.promoter,
        "supervisor",
        ops.Outcome.REJECT,
        "Too dangerous now",
        (),
        trip.version,
    )
    db.session.commit()
    assert trip.state is TripState.REVOKED


def test_a_trip_under_way_is_flagged_not_suspended(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    # The trip has started: move its dates into the present.
    db.session.execute(sa.update(Trip).values(departure_on=day(-2)).where(Trip.id == trip.id))
    db.session.commit()

    reaction = raise_level("BF", 3)

    db.session.refresh(trip)
    assert reaction.flagged == [trip.id]
    assert trip.state is TripState.APPROVED
    assert trip.needs_attention
    assert "Burkina Faso: level 3" in trip.attention_reason


def test_a_lower_level_only_notifies_and_the_trip_shows_the_new_level(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    reaction = raise_level("BF", 0)
    db.session.refresh(trip)
    assert reaction.lowered == [trip.id]
    assert trip.state is TripState.APPROVED and trip.level == 0
    assert trip.events[-1].kind is EventKind.LEVEL_LOWERED
    # Back to the level it was approved for: a rise from 0, so reviewed again (conservative).
    raise_level("BF", 1)
    db.session.refresh(trip)
    assert trip.state is TripState.SUSPENDED and trip.level == 1


def test_a_trip_under_way_shows_the_level_it_was_flagged_for(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    db.session.execute(sa.update(Trip).values(departure_on=day(-2)).where(Trip.id == trip.id))
    db.session.commit()
    raise_level("BF", 3)
    raise_level("BF", 3)  # the same advice again flags nothing twice
    db.session.refresh(trip)
    assert trip.level == 3
    assert [e.kind for e in trip.events].count(EventKind.FLAGGED) == 1


def test_a_rise_while_changes_are_requested_keeps_the_request(world, make_trip, as_person):
    trip = make_trip(leg("BF", 30, 40))
    ops.decide_step(
        trip,
        world.promoter,
        world.promoter,
        "supervisor",
        ops.Outcome.REQUEST_CHANGES,
        "Add the hotel phone",
        (),
        trip.version,
    )
    db.session.commit()
    reaction = raise_level("BF", 3)
    db.session.refresh(trip)
    assert reaction.waiting == [trip.id]
    assert trip.state is TripState.CHANGES_REQUESTED and trip.level == 3 and trip.round == 1
    assert trip.events[-1].kind is EventKind.LEVEL_RAISED
    page = as_person(world.student).get(f"/trips/{trip.id}/edit").get_data(as_text=True)
    assert "Add the hotel phone" in page
    # Resubmitting routes the trip anew under level 3.
    ops.resubmit_trip(trip, world.student, trip.version, date.today())
    db.session.commit()
    assert trip.state is TripState.IN_REVIEW and trip.round == 2 and trip.route["level"] == 3
    assert trip.events[-1].kind is EventKind.REROUTED


def test_a_suspended_trip_stays_suspended_through_requested_changes_and_can_be_revoked(
    world, make_trip
):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    raise_level("BF", 2)
    db.session.refresh(trip)
    ops.decide_step(
        trip,
        world.promoter,
        world.promoter,
        "supervisor",
        ops.Outcome.REQUEST_CHANGES,
        "Explain the escort",
        (),
        trip.version,
    )
    db.session.commit()
    assert trip.state is TripState.CHANGES_REQUESTED
    ops.resubmit_trip(trip, world.student, trip.version, date.today())
    db.session.commit()
    assert trip.state is TripState.SUSPENDED
    ops.decide_step(
        trip,
        world.promoter,
        world.promoter,
        "supervisor",
        ops.Outcome.REJECT,
        "Still too dangerous",
        (),
        trip.version,
    )
    db.session.commit()
    assert trip.state is TripState.REVOKED


def test_a_rerouted_step_nobody_can_take_goes_to_the_safety_officer(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    # The faculty authority leaves; the level then rises, routing a faculty step again.
    db.session.execute(sa.text("DELETE FROM role_assignment WHERE role = 'faculty_authority'"))
    db.session.commit()
    raise_level("BF", 2)
    db.session.refresh(trip)
    assert trip.state is TripState.SUSPENDED
    assert trip.needs_attention
    assert "nobody is named for: Faculty authority's decision" in trip.attention_reason
    approve_all(trip, world)  # the supervisor decides; the faculty step waits
    task = db.session.scalars(
        sa.select(TripTask).where(TripTask.trip_id == trip.id, TripTask.closed_at.is_(None))
    ).one()
    assert (task.step_id, task.assignee_id, task.role) == (
        "faculty_authority",
        None,
        "safety_officer",
    )


def test_a_regional_rise_leaves_trips_elsewhere_in_the_country_alone(world, make_trip):
    bamako = approve_all(make_trip(leg("ML", 60, 70, region="ML-BKO")), world)
    mopti = approve_all(make_trip(leg("ML", 60, 70, region="ML-5")), world)
    raise_level("ML", 3, region="ML-5")
    db.session.refresh(bamako)
    db.session.refresh(mopti)
    assert bamako.state is TripState.APPROVED
    assert mopti.state is TripState.SUSPENDED


def test_trips_in_review_are_routed_again(world, make_trip):
    trip = make_trip(leg("BF", 30, 40))
    assert trip.state is TripState.IN_REVIEW
    reaction = raise_level("BF", 2)
    db.session.refresh(trip)
    assert reaction.rerouted == [trip.id]
    assert trip.state is TripState.IN_REVIEW
    assert trip.round == 2 and trip.level == 2


def _count_rise(world, count_queries):
    advisory = place_ops.set_advisory(
        country_code="BF",
        region_code=None,
        level=2,
        source_code="be_fps",
        effective_on=date.today(),
        summary="Up",
        actor=None,
    )
    db.session.flush()
    active_procedure()  # read once per app context, not counted per run
    with count_queries() as statements:
        reaction = react_to_advisory(advisory, None, date.today())
    db.session.commit()
    return len(statements), reaction


def test_the_level_rise_runs_the_same_statements_for_10_and_1000_trips(world, count_queries, app):
    bulk_trips(world, 10)
    few, reaction = _count_rise(world, count_queries)
    assert len(reaction.suspended) == 10

    db.session.execute(sa.delete(TripTask))
    db.session.execute(sa.text("DELETE FROM trip_event"))
    db.session.execute(sa.delete(Trip))
    db.session.execute(sa.delete(ProcedureText))  # so both runs record the procedure's text
    db.session.commit()
    bulk_trips(world, 1000)
    many, reaction = _count_rise(world, count_queries)

    assert len(reaction.suspended) == 1000
    assert few == many, (few, many)
    print(f"\nlevel rise: {few} statements for 10 trips, {many} for 1,000 trips")
    states = db.session.scalars(sa.select(Trip.state).distinct()).all()
    assert states == [TripState.SUSPENDED]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TripTask)) == 1000
    suspended_events = db.session.scalar(
        sa.select(sa.func.count()).where(TripEvent.kind == EventKind.SUSPENDED)
    )
    assert suspended_events == 1000
