"""An overdue step whose holder has no deputy is handed to whoever the procedure names, once;
the new holder is told, finds it in their inbox and may decide it; the former holder may not."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import outbox_rows
from tests.trips.conftest import decide
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.trips import reminders
from travel_app.trips.models import EventKind, Trip, TripEvent, TripState, TripTask
from travel_app.trips.reassign import reassign_task

VLIR_SUPERVISOR_ESCALATION = "        escalate: {after: {working_days: 7}, to: deputy}\n"


def open_task(trip: Trip) -> TripTask:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(TripTask).where(TripTask.trip_id == trip.id, TripTask.closed_at.is_(None))
    ).one()


def escalate(today: date) -> int:
    queued = reminders.escalate_steps(today).queued
    db.session.commit()
    return queued


def reassigned_events(trip: Trip) -> list[TripEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(TripEvent)
            .where(TripEvent.trip_id == trip.id, TripEvent.kind == EventKind.REASSIGNED)
            .order_by(TripEvent.id)
        )
    )


def inbox(client) -> str:
    return client.get("/inbox").get_data(as_text=True)


def test_an_overdue_step_without_a_deputy_goes_to_the_safety_officer_once(
    world, make_trip, as_person
):
    trip = make_trip(purpose="Fieldwork in Mopti")
    escalate_on = open_task(trip).escalate_on
    assert escalate_on is not None
    assert escalate(escalate_on - timedelta(days=1)) == 0
    assert open_task(trip).assignee_id == world.promoter.id

    assert escalate(escalate_on) == 1
    assert escalate(escalate_on) == 0  # the sweep again: nothing moves, nobody is told twice
    assert escalate(escalate_on + timedelta(days=1)) == 0  # nor the next day's

    task = open_task(trip)
    assert (task.assignee_id, task.role) == (None, "safety_officer")
    assert len(reassigned_events(trip)) == 1
    [mail] = outbox_rows("task_reassigned")
    assert mail.recipient == world.safety_officer.email
    assert mail.subject == "Now yours to decide: Supervisor's approval for Sam Student"
    assert "Paula Promoter, who held it, has no deputy to take it" in mail.text
    assert outbox_rows("task_escalation") == []  # no "overdue" mail beside it

    officer = as_person(world.safety_officer)
    assert "Fieldwork in Mopti" in inbox(officer)
    promoter = as_person(world.promoter)
    assert "Fieldwork in Mopti" not in inbox(promoter)


def test_the_former_holder_cannot_decide_and_the_new_one_can(world, make_trip, as_person):
    trip = make_trip(purpose="Fieldwork in Mopti")
    escalate(open_task(trip).escalate_on)

    refused = decide(as_person(world.promoter), trip, "supervisor")
    assert refused.status_code in (403, 404)
    assert open_task(trip).step_id == "supervisor"  # nothing was decided

    officer = as_person(world.safety_officer)
    page = officer.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert 'id="decide-supervisor"' in page  # the decision form is offered
    assert decide(officer, trip, "supervisor").status_code == 302
    db.session.expire_all()
    decision = db.session.scalars(
        sa.select(TripEvent).where(
            TripEvent.trip_id == trip.id, TripEvent.kind == EventKind.DECISION
        )
    ).one()
    assert (decision.step_id, decision.actor_id) == ("supervisor", world.safety_officer.id)
    # Level 2: the review goes on to the faculty, as after any supervisor's approval.
    assert open_task(trip).step_id == "faculty_authority"
    assert db.session.get(Trip, trip.id).state is TripState.IN_REVIEW


def test_the_timeline_says_who_had_the_step_and_who_has_it_now(world, make_trip, as_person):
    trip = make_trip(purpose="Fieldwork in Mopti")
    escalate(open_task(trip).escalate_on)
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    timeline = page.split('id="timeline"')[1]
    assert "Step handed to someone else" in timeline
    assert "From Paula Promoter to safety officer." in timeline
    assert "The step was overdue and Paula Promoter had no deputy to take it." in timeline
    assert "reassigned" not in timeline.replace("event-reassigned", "").replace(
        'class="reassigned"', ""
    )


def test_with_a_deputy_the_step_stays_and_the_deputy_is_told(world, make_trip, as_person):
    trip = make_trip(purpose="Fieldwork in Mopti")
    escalate_on = open_task(trip).escalate_on
    org_ops.add_deputy(
        person=world.promoter,
        deputy=world.head,
        starts_on=date.today(),
        ends_on=escalate_on + timedelta(days=30),
        note="",
        actor=None,
    )
    db.session.commit()
    assert escalate(escalate_on) == 1
    assert escalate(escalate_on) == 0
    assert open_task(trip).assignee_id == world.promoter.id
    assert reassigned_events(trip) == []
    assert outbox_rows("task_reassigned") == []
    [mail] = outbox_rows("task_escalation")
    assert mail.recipient == world.head.email
    # The deputy can act for the promoter, through the real page.
    deputy = as_person(world.head)
    response = decide(deputy, trip, "supervisor", on_behalf_of=world.promoter.id)
    assert response.status_code == 302


def test_the_procedure_names_who_takes_the_step(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    import workflows

    text = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()
    assert text.count(VLIR_SUPERVISOR_ESCALATION) >= 1
    path = tmp_path / "university.yaml"
    path.write_text(
        text.replace(
            VLIR_SUPERVISOR_ESCALATION,
            "        escalate: {after: {working_days: 7}, to: deputy, reassign_to: executive}\n",
            1,
        )
    )
    monkeypatch.setitem(app.config, "PROCEDURE", str(path))
    trip = make_trip(purpose="Fieldwork in Mopti")
    assert escalate(open_task(trip).escalate_on) == 1
    assert open_task(trip).role == "executive"
    [mail] = outbox_rows("task_reassigned")
    assert mail.recipient == world.executive.email
    assert "Fieldwork in Mopti" not in inbox(as_person(world.safety_officer))
    rector = as_person(world.executive)
    assert "Fieldwork in Mopti" in inbox(rector)
    assert decide(rector, trip, "supervisor").status_code == 302


def test_a_procedure_cannot_hand_a_step_to_a_role_held_per_faculty():
    import workflows
    from workflows.loader import ProcedureError

    text = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()
    bad = text.replace(
        VLIR_SUPERVISOR_ESCALATION,
        "        escalate: {after: {working_days: 7}, to: deputy, "
        "reassign_to: faculty_authority}\n",
        1,
    )
    with pytest.raises(ProcedureError) as raised:
        workflows.loads(bad, "bad.yaml")
    [problem] = raised.value.problems
    assert problem.path == "stages[0].steps[0].escalate.reassign_to"
    assert "held per faculty or unit" in problem.message


def test_two_sweeps_at_once_hand_the_step_over_once(app, world, make_trip):
    trips = [make_trip(purpose=f"Trip {n}") for n in range(3)]
    escalate_on = open_task(trips[0]).escalate_on
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                escalate(escalate_on)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    for trip in trips:
        assert len(reassigned_events(trip)) == 1
    assert len(outbox_rows("task_reassigned")) == 3


def test_reassign_task_moves_the_step_on_the_timeline_audited_and_told(world, make_trip, as_person):
    trip = make_trip(purpose="Fieldwork in Mopti")
    world.head.language = "nl"
    db.session.commit()
    task = open_task(trip)
    reassign_task(task, world.head, reason="deactivated", actor=world.admin, today=date.today())
    db.session.commit()

    task = open_task(trip)
    assert (task.assignee_id, task.role, task.step_id) == (world.head.id, None, "supervisor")
    assert task.reassigned_at is not None
    [event] = reassigned_events(trip)
    assert (event.actor_id, event.step_id, event.round) == (world.admin.id, "supervisor", 1)
    assert event.data["from_name"] == "Paula Promoter" and event.data["to_name"] == "Hugo Head"
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "trip.reassigned")
    ).one()
    assert audit.object_id == str(trip.id) and audit.actor_id == world.admin.id
    assert audit.data["event"] == event.id and audit.data["reason"] == "deactivated"
    assert (audit.data["from_person"], audit.data["to_person"]) == (
        world.promoter.id,
        world.head.id,
    )
    [mail] = outbox_rows("task_reassigned")
    assert mail.recipient == world.head.email
    assert "Akkoord leidinggevende" in mail.subject  # the step as the Dutch reader knows it
    assert "Paula Promoter" in mail.text

    # The head may decide now, the promoter not; doing it again moves nothing.
    reassign_task(open_task(trip), world.head, reason="deactivated", actor=None, today=date.today())
    db.session.commit()
    assert len(reassigned_events(trip)) == 1
    assert decide(as_person(world.promoter), trip, "supervisor").status_code in (403, 404)
    assert decide(as_person(world.head), trip, "supervisor").status_code == 302


def test_reassign_task_refuses_the_traveller_and_a_closed_account(world, make_trip):
    trip = make_trip()
    task = open_task(trip)
    with pytest.raises(ValueError, match="own trip"):
        reassign_task(task, world.student, reason="other", actor=None, today=date.today())
    world.head.is_active_account = False
    with pytest.raises(ValueError, match="active account"):
        reassign_task(task, world.head, reason="other", actor=None, today=date.today())
    db.session.rollback()
    assert open_task(trip).assignee_id == world.promoter.id
