"""What the pages promise to tell, is told: a late request, a lower level, a rise during
travel, a departure without clearance; and a decider is asked when they can act."""

from __future__ import annotations

import dataclasses
from datetime import date

import sqlalchemy as sa

from tests.conftest import outbox_rows
from tests.trips.conftest import bulk_trips, day, decide, leg
from tests.trips.test_followup import dated, travelling
from tests.trips.test_journey import form
from tests.trips.test_rereview import approve_all, raise_level
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.procedures import active_procedure
from travel_app.trips import journey
from travel_app.trips.models import EventKind, Trip, TripPhase, TripState, TripTask
from workflows import engine
from workflows.model import ClearanceGate


def recipients(kind: str) -> list[str]:
    return [row.recipient for row in outbox_rows(kind)]


# --- a late request ------------------------------------------------------------------------------


def test_a_late_request_tells_the_safety_officer_as_the_filing_page_says(world, as_person):
    client = as_person(world.student)
    data = form(
        **{
            "legs-0-arrives_on": day(10).isoformat(),
            "legs-0-leaves_on": day(12).isoformat(),
            "legs-1-arrives_on": day(12).isoformat(),
            "legs-1-leaves_on": day(14).isoformat(),
        }
    )
    page = client.post("/trips/new", data={**data, "action": "check"}).get_data(as_text=True)
    assert "the safety officer is told" in page
    assert client.post("/trips/new", data=data).status_code == 302
    trip = db.session.scalars(sa.select(Trip)).one()
    assert trip.is_late
    assert recipients("late_request") == [world.safety_officer.email]
    [mail] = outbox_rows("late_request")
    assert "Sam Student" in mail.subject and "10 days before departure" in mail.text


def test_a_request_in_time_tells_the_safety_officer_nothing(world, make_trip):
    make_trip(leg("BF", 60, 70))
    assert recipients("late_request") == []


# --- a change of level -----------------------------------------------------------------------


def test_a_lower_level_tells_the_traveller_and_the_trips_deciders_once(world, make_trip):
    trip = approve_all(make_trip(leg("ML", 60, 70)), world)  # level 2: three deciders
    reaction = raise_level("ML", 1, actor=world.admin)
    assert reaction.lowered == [trip.id]
    told = recipients("level_lowered")
    assert sorted(told) == sorted(
        [
            world.student.email,
            world.promoter.email,
            world.faculty_authority.email,
            world.safety_officer.email,
        ]
    )
    [mail] = [r for r in outbox_rows("level_lowered") if r.recipient == world.student.email]
    assert "now at level 1" in mail.text
    raise_level("ML", 1)  # the same advice again: no change, nothing sent
    assert len(recipients("level_lowered")) == 4


def test_a_rise_during_travel_tells_the_traveller_the_supervisor_and_the_safety_officers(
    world, make_trip
):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    db.session.execute(sa.update(Trip).values(departure_on=day(-2)).where(Trip.id == trip.id))
    db.session.commit()
    reaction = raise_level("BF", 3)
    assert reaction.flagged == [trip.id]
    assert sorted(recipients("level_raised_abroad")) == sorted(
        [world.student.email, world.promoter.email, world.safety_officer.email]
    )
    raise_level("BF", 3)
    assert len(recipients("level_raised_abroad")) == 3


# --- a minor change after approval ------------------------------------------------------------


def _change(client, trip, city: str) -> None:
    data = {
        "purpose": "Fieldwork",
        "legs-0-country": "BF",
        "legs-0-city": city,
        "legs-0-arrives_on": day(42).isoformat(),
        "legs-0-leaves_on": day(52).isoformat(),
        "emergency_name": "Mum",
        "emergency_phone": "+32 470 00 00 00",
        "cost_centre": "CC-1",
        "version": trip.version,
        "action": "request",
    }
    response = client.post(f"/trips/{trip.id}/change", data=data, follow_redirects=True)
    assert "your approvers are notified" in response.get_data(as_text=True)


def test_a_minor_change_after_approval_tells_the_approvers_as_the_page_says(
    world, make_trip, as_person
):
    trip = approve_all(make_trip(leg("BF", 40, 50, city="Ouagadougou")), world)
    _change(as_person(world.student), trip, "Bobo-Dioulasso")
    db.session.refresh(trip)
    assert trip.events[-1].kind is EventKind.CHANGE_NOTIFIED
    assert recipients("change_notified") == [world.promoter.email]
    [mail] = outbox_rows("change_notified")
    assert "Sam Student" in mail.subject and "Dates move by 2 days." in mail.text


# --- departure day without clearance -------------------------------------------------------------


def _open_items(trip: Trip) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(DossierItem)
        .where(DossierItem.trip_id == trip.id, DossierItem.status == ItemStatus.OPEN)
    )


def test_a_trip_leaving_with_open_dossier_items_is_flagged_and_told_once(
    world, make_trip, as_person
):
    trip = travelling(world, make_trip, start=0, end=10)
    assert _open_items(trip) > 0
    procedure = active_procedure()
    assert journey.start_travel(date.today(), procedure).trips == 1
    journey.start_travel(date.today(), procedure)
    db.session.commit()
    db.session.refresh(trip)
    assert trip.phase is TripPhase.TRAVELLING  # the procedure only warns
    assert trip.needs_attention and "without clearance" in trip.attention_reason
    assert [e.kind for e in trip.events].count(EventKind.UNCLEARED) == 1
    assert sorted(recipients("no_clearance")) == sorted(
        [world.student.email, world.safety_officer.email]
    )
    [officer] = [
        r for r in outbox_rows("no_clearance") if r.recipient == world.safety_officer.email
    ]
    assert officer.subject.startswith("Left without clearance")
    page = as_person(world.safety_officer).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Departure day without clearance" in page


def test_a_cleared_trip_leaves_without_a_flag(world, make_trip):
    trip = travelling(world, make_trip, start=0, end=10)
    db.session.execute(
        sa.update(DossierItem)
        .where(DossierItem.trip_id == trip.id)
        .values(status=ItemStatus.VERIFIED)
    )
    db.session.commit()
    assert journey.start_travel(date.today(), active_procedure()).trips == 1
    db.session.commit()
    db.session.refresh(trip)
    assert not trip.needs_attention
    assert recipients("no_clearance") == []


def test_a_blocking_gate_holds_the_trip_until_the_safety_officer_lets_it_go(
    world, make_trip, as_person
):
    trip = travelling(world, make_trip, start=0, end=10)
    base = active_procedure()
    blocking = dataclasses.replace(
        base, followup=dataclasses.replace(base.followup, clearance_gate=ClearanceGate.BLOCKING)
    )
    assert journey.start_travel(date.today(), blocking).trips == 0
    journey.start_travel(date.today(), blocking)
    db.session.commit()
    db.session.refresh(trip)
    assert trip.phase is TripPhase.PLANNED and trip.needs_attention
    assert [e.kind for e in trip.events].count(EventKind.UNCLEARED) == 1
    assert all(r.subject.startswith("Held on departure day") for r in outbox_rows("no_clearance"))
    assert len(recipients("no_clearance")) == 2

    # The traveller cannot let their own trip go; the safety officer must say why.
    student = as_person(world.student)
    assert "let-go-form" not in student.get(f"/trips/{trip.id}").get_data(as_text=True)
    denied = student.post(f"/trips/{trip.id}/let-go", data={"version": trip.version, "reason": "x"})
    assert denied.status_code == 403
    officer = as_person(world.safety_officer)
    assert "let-go-form" in officer.get(f"/trips/{trip.id}").get_data(as_text=True)
    empty = officer.post(f"/trips/{trip.id}/let-go", data={"version": trip.version, "reason": ""})
    assert empty.status_code == 400
    done = officer.post(
        f"/trips/{trip.id}/let-go",
        data={"version": trip.version, "reason": "Passport seen at the office"},
    )
    assert done.status_code == 302, done.data
    db.session.refresh(trip)
    assert trip.phase is TripPhase.TRAVELLING
    assert not trip.needs_attention
    assert trip.events[-1].kind is EventKind.DEPARTED
    assert trip.events[-1].comment == "Passport seen at the office"


def test_a_held_trip_whose_items_are_settled_leaves_on_the_next_sweep(world, make_trip):
    trip = dated(approve_all(make_trip(leg("BF", 40, 50)), world), 0, 10)
    base = active_procedure()
    blocking = dataclasses.replace(
        base, followup=dataclasses.replace(base.followup, clearance_gate=ClearanceGate.BLOCKING)
    )
    journey.start_travel(date.today(), blocking)
    db.session.execute(
        sa.update(DossierItem)
        .where(DossierItem.trip_id == trip.id)
        .values(status=ItemStatus.VERIFIED)
    )
    db.session.commit()
    assert journey.start_travel(date.today(), blocking).trips == 1


def _blocking():
    base = active_procedure()
    return dataclasses.replace(
        base, followup=dataclasses.replace(base.followup, clearance_gate=ClearanceGate.BLOCKING)
    )


def test_a_held_trip_settled_after_the_catch_up_week_still_leaves_and_loses_its_flag(
    world, make_trip
):
    trip = dated(approve_all(make_trip(leg("BF", 40, 50)), world), -9, 10)
    db.session.execute(sa.update(Trip).where(Trip.id == trip.id).values(departure_on=day(0)))
    db.session.commit()
    journey.start_travel(date.today(), _blocking())
    db.session.commit()
    # Nine days later (beyond the sweep's catch-up week) the items are settled.
    db.session.execute(sa.update(Trip).where(Trip.id == trip.id).values(departure_on=day(-9)))
    db.session.execute(
        sa.update(DossierItem)
        .where(DossierItem.trip_id == trip.id)
        .values(status=ItemStatus.VERIFIED)
    )
    db.session.commit()
    assert journey.start_travel(date.today(), _blocking()).trips == 1
    db.session.commit()
    db.session.refresh(trip)
    assert trip.phase is TripPhase.TRAVELLING
    assert not trip.needs_attention and trip.attention_reason == ""


def test_a_trip_held_until_its_return_day_is_not_asked_whether_it_is_back(world, make_trip):
    trip = dated(approve_all(make_trip(leg("BF", 40, 50)), world), 0, 10)
    journey.start_travel(date.today(), _blocking())
    db.session.commit()
    dated(trip, -10, 0)
    assert journey.ask_safe_return(date.today(), active_procedure()).trips == 0
    db.session.commit()
    db.session.refresh(trip)
    assert trip.phase is TripPhase.PLANNED and trip.safe_return_asked_at is None
    assert outbox_rows("safe_return") == []


# --- a decider is asked when they can act -----------------------------------------------------


def _level_three_at_the_executive(world, make_trip, as_person) -> Trip:
    trip = make_trip(leg("ML", 60, 70, region="ML-7"))
    for person, step in (
        (world.promoter, "supervisor"),
        (world.faculty_authority, "faculty_authority"),
    ):
        assert decide(as_person(person), trip, step).status_code == 302
    return trip


def _task(trip: Trip, step: str) -> TripTask:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(TripTask).where(
            TripTask.trip_id == trip.id, TripTask.step_id == step, TripTask.closed_at.is_(None)
        )
    ).one()


def test_the_executive_is_not_asked_before_the_safety_officers_advice(world, make_trip, as_person):
    trip = _level_three_at_the_executive(world, make_trip, as_person)
    asked = recipients("task")
    assert world.safety_officer.email in asked
    assert world.executive.email not in asked
    task = _task(trip, "executive")
    assert task.waiting_for == "safety_advice"
    assert task.remind_on is None and task.escalate_on is None

    inbox = as_person(world.executive).get("/inbox").get_data(as_text=True)
    assert "waiting for the advice of Safety officer&#39;s advice" in inbox
    assert "safety_advice" not in inbox
    early = decide(as_person(world.executive), trip, "executive")
    assert "Waiting for the advice of &#39;Safety officer&#39;s advice&#39;" in early.get_data(
        as_text=True
    )
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "waiting for the advice of Safety officer&#39;s advice" in page


def test_the_inbox_names_the_awaited_advice_in_the_deciders_language(world, make_trip, as_person):
    world.executive.language = "nl"
    db.session.commit()
    _level_three_at_the_executive(world, make_trip, as_person)
    inbox = as_person(world.executive).get("/inbox").get_data(as_text=True)
    assert "wacht eerst op: Advies preventieadviseur" in inbox
    assert "safety_advice" not in inbox


def test_the_executive_is_asked_when_the_advice_is_in_and_the_deadline_runs_from_then(
    world, make_trip, as_person
):
    trip = _level_three_at_the_executive(world, make_trip, as_person)
    # The task has waited a while: its provisional dates are long past.
    db.session.execute(
        sa.update(TripTask)
        .where(TripTask.trip_id == trip.id, TripTask.step_id == "executive")
        .values(opened_on=day(-20), due_on=day(-6))
    )
    db.session.commit()
    advice = decide(as_person(world.safety_officer), trip, "safety_advice", "advise", comment="Ok")
    assert advice.status_code == 302
    assert world.executive.email in recipients("task")
    task = _task(trip, "executive")
    procedure = active_procedure()
    dates = engine.step_dates(procedure, procedure.step("executive")[1], date.today())
    assert task.waiting_for is None
    assert (task.opened_on, task.due_on) == (date.today(), dates.due_on)
    assert task.remind_on == dates.reminder_on and task.escalate_on == dates.escalate_on
    [mail] = [r for r in outbox_rows("task") if r.recipient == world.executive.email]
    assert str(dates.due_on) in mail.text
    inbox = as_person(world.executive).get("/inbox").get_data(as_text=True)
    assert "waiting for the advice" not in inbox and str(dates.due_on) in inbox
    assert decide(as_person(world.executive), trip, "executive").status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED


EXECUTIVE_STEP = """      - id: executive
        name: {nl: Schriftelijke beslissing uitvoerend bestuur"""
SECOND_ADVICE = """      - id: crisis_advice
        name: {nl: Advies crisisteam, en: Crisis team's advice}
        who: {role: crisis_team}
        mode: advise
        deadline_days: 10
"""


def test_a_decision_waits_for_every_advice_of_its_stage(
    app, monkeypatch, tmp_path, world, make_trip, make_person, as_person
):
    """A university whose executive stage asks two advices: the executive is asked after both."""
    import workflows
    from travel_app.org.models import Role

    shipped = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()
    assert shipped.count(EXECUTIVE_STEP) == 1
    copy = tmp_path / "two-advices.yaml"
    copy.write_text(shipped.replace(EXECUTIVE_STEP, SECOND_ADVICE + EXECUTIVE_STEP))
    monkeypatch.setitem(app.config, "PROCEDURE", str(copy))
    crisis = make_person(name="Cora Crisis", roles=(Role.CRISIS_TEAM,))
    trip = _level_three_at_the_executive(world, make_trip, as_person)
    assert _task(trip, "executive").waiting_for is not None

    first = decide(as_person(world.safety_officer), trip, "safety_advice", "advise", comment="Ok")
    assert first.status_code == 302
    assert _task(trip, "executive").waiting_for == "crisis_advice"  # one advice still missing
    assert world.executive.email not in recipients("task")

    second = decide(as_person(crisis), trip, "crisis_advice", "advise", comment="Ok too")
    assert second.status_code == 302
    assert _task(trip, "executive").waiting_for is None
    assert world.executive.email in recipients("task")


def _departing_without_clearance(world, n: int) -> None:
    """``n`` approved trips leaving today, each with one open dossier item (in bulk)."""
    bulk_trips(world, n)
    ids = db.session.scalars(sa.select(Trip.id).where(Trip.phase == TripPhase.PLANNED)).all()
    db.session.execute(
        sa.update(Trip).where(Trip.id.in_(ids)).values(departure_on=day(0), return_on=day(10))
    )
    db.session.execute(
        sa.insert(DossierItem),
        [
            {
                "trip_id": i,
                "rule_id": "itinerary",
                "name_nl": "Reisweg",
                "name_en": "Itinerary",
                "owner": "traveller",
                "due_days_before": 7,
                "due_on": day(-7),
                "evidence_kind": "text",
                "status": ItemStatus.OPEN,
            }
            for i in ids
        ],
    )
    db.session.commit()


def test_departure_day_runs_the_same_statements_for_5_and_50_uncleared_trips(world, count_queries):
    counts = []
    for n in (5, 50):
        db.session.execute(sa.delete(DossierItem))
        db.session.execute(sa.text("DELETE FROM trip_event"))
        db.session.execute(sa.delete(Trip))
        db.session.commit()
        _departing_without_clearance(world, n)
        active_procedure()  # read once per app context, not counted per run
        with count_queries() as statements:
            assert journey.start_travel(date.today(), active_procedure()).trips == n
        db.session.commit()
        counts.append(len(statements))
        assert len(recipients("no_clearance")) >= 2 * n
    assert counts[0] == counts[1], counts
