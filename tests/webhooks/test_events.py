"""The writers queue their events in their own transaction: a trip's state change, new advice,
a crisis answer; rolled back, nothing is queued; no private detail ever leaves."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from tests.trips.conftest import day, trip_data
from tests.webhooks.conftest import verify
from travel_app.core.db import utcnow
from travel_app.duty import crisis as crisis_ops
from travel_app.duty.models import Answer, CrisisRecipient, Instruction
from travel_app.duty.queries import Where
from travel_app.extensions import db
from travel_app.places import operations as place_ops
from travel_app.trips import operations as trip_ops
from travel_app.trips.models import Trip, TripState
from travel_app.trips.rereview import react_to_advisory
from travel_app.webhooks.models import (
    CRISIS_ANSWERED,
    RISK_LEVEL_CHANGED,
    TRIP_STATE_CHANGED,
    WebhookDelivery,
    WebhookEvent,
)

CANARY = {
    "contact": "CANARY-CONTACT-Mum",
    "phone": "+32 470 CANARY 11",
    "mobile": "+223 CANARY 22",
    "medical": "CANARY-MEDICAL-7f3a",
    "note": "CANARY-HELP-NOTE-5b0c",
}


def events(kind: str) -> list[WebhookEvent]:
    return list(
        db.session.scalars(
            sa.select(WebhookEvent).where(WebhookEvent.kind == kind).order_by(WebhookEvent.id)
        )
    )


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_submitting_a_trip_queues_its_state_change_and_the_receiver_gets_it_signed(
    world, make_trip, receiver, subscribe, sweep
):
    _, secret = subscribe(receiver.url, [TRIP_STATE_CHANGED])
    trip = make_trip()
    db.session.refresh(trip)
    states = [(e.data["old_state"], e.data["new_state"]) for e in events(TRIP_STATE_CHANGED)]
    assert states == [(None, "draft"), ("draft", trip.state.value)]
    assert trip.state is not TripState.DRAFT
    submitted = events(TRIP_STATE_CHANGED)[1]
    assert submitted.data["trip_id"] == trip.id
    assert submitted.data["traveller_id"] == world.student.id
    assert submitted.data["event"] == "submitted"
    assert sweep().delivered == 2
    assert [r.json["data"]["new_state"] for r in receiver.received] == ["draft", trip.state.value]
    assert all(verify(secret, r) for r in receiver.received)


def test_a_state_change_rolled_back_queues_nothing(world, receiver, subscribe, sweep):
    subscribe(receiver.url)
    trip = trip_ops.save_draft(None, world.student, trip_data())
    trip_ops.submit_trip(trip, world.student, trip.version, date.today())
    db.session.flush()
    assert count(WebhookDelivery) == 2  # written in the same transaction ...
    db.session.rollback()
    assert count(WebhookEvent) == 0 and count(WebhookDelivery) == 0  # ... and gone with it
    assert sweep().delivered == 0 and receiver.received == []


def test_a_change_that_keeps_the_state_is_no_state_change(world, make_trip, subscribe):
    subscribe("http://127.0.0.1:9/hooks", [TRIP_STATE_CHANGED])
    trip = make_trip(submit=False)
    before = len(events(TRIP_STATE_CHANGED))
    trip_ops.save_draft(trip, world.student, trip_data(purpose="Fieldwork, longer"), trip.version)
    db.session.commit()
    assert len(events(TRIP_STATE_CHANGED)) == before  # an edit of a draft stays a draft


def test_nobody_subscribed_means_no_rows_at_all(world, make_trip):
    make_trip()
    assert count(WebhookEvent) == 0 and count(WebhookDelivery) == 0


def test_new_advice_queues_a_risk_level_change(world, receiver, subscribe, sweep):
    subscribe(receiver.url, [RISK_LEVEL_CHANGED])
    advisory = place_ops.set_advisory(
        country_code="ML",
        region_code=None,
        level=3,
        source_code="be_fps",
        effective_on=date.today(),
        summary="Leave the country",
        actor=world.admin,
    )
    react_to_advisory(advisory, world.admin, date.today())
    db.session.commit()
    [event] = events(RISK_LEVEL_CHANGED)
    assert event.data == {
        "advisory_id": advisory.id,
        "country": "ML",
        "region": None,
        "level": 3,
        "source": "be_fps",
        "effective_on": date.today().isoformat(),
    }
    assert sweep().delivered == 1
    assert receiver.received[0].json["data"]["level"] == 3


def _crisis_answer(world, crisis, answer: Answer, note: str) -> CrisisRecipient:
    from tests.duty.conftest import stay

    stay(world, world.student, "ML", None, -2, 5, phone=CANARY["mobile"])
    message = crisis_ops.send(
        crisis,
        crisis_ops.Draft(Instruction.ACKNOWLEDGE, "Onrust", "Unrest", "Antwoord", "Answer please"),
        Where(on=date.today(), country="ML"),
        utcnow(),
    )
    db.session.commit()
    recipient = db.session.scalars(
        sa.select(CrisisRecipient).where(CrisisRecipient.message_id == message.id)
    ).one()
    crisis_ops.record_answer(recipient, answer, note, utcnow())
    db.session.commit()
    return recipient


def test_a_crisis_answer_queues_the_answer_without_the_travellers_note(
    world, make_person, receiver, subscribe, sweep
):
    from travel_app.org.models import Role

    subscribe(receiver.url, [CRISIS_ANSWERED])
    crisis = make_person(name="Cris Crisis", roles=(Role.CRISIS_TEAM,))
    recipient = _crisis_answer(world, crisis, Answer.HELP, CANARY["note"])
    [event] = events(CRISIS_ANSWERED)
    assert event.data["answer"] == "help" and event.data["previous_answer"] is None
    assert event.data["traveller_id"] == world.student.id
    assert event.data["trip_id"] == recipient.trip_id
    assert event.data["crisis_message_id"] == recipient.message_id
    assert sweep().delivered == 1
    assert CANARY["note"] not in receiver.received[0].body.decode()


def test_no_payload_carries_an_emergency_contact_a_phone_a_medical_note_or_a_note(
    world, make_person, make_trip, receiver, subscribe, sweep
):
    """Every kind of event, for a traveller whose trip holds every private detail."""
    from travel_app.org.models import Role

    subscribe(receiver.url)
    trip = make_trip(
        emergency_name=CANARY["contact"],
        emergency_phone=CANARY["phone"],
        mobile_phone=CANARY["mobile"],
        medical_note=CANARY["medical"],
    )
    trip_ops.withdraw_trip(trip, world.student, "Plans changed", trip.version, date.today())
    db.session.commit()
    advisory = place_ops.set_advisory(
        country_code="ML",
        region_code=None,
        level=3,
        source_code="be_fps",
        effective_on=day(0),
        summary="Leave",
        actor=world.admin,
    )
    react_to_advisory(advisory, world.admin, date.today())
    db.session.commit()
    crisis = make_person(name="Cris Crisis", roles=(Role.CRISIS_TEAM,))
    _crisis_answer(world, crisis, Answer.HELP, CANARY["note"])
    assert db.session.get(Trip, trip.id).emergency_phone == CANARY["phone"]  # it is there
    sweep()
    kinds = {r.json["type"] for r in receiver.received}
    assert kinds == {TRIP_STATE_CHANGED, RISK_LEVEL_CHANGED, CRISIS_ANSWERED}
    sent = "\n".join(r.body.decode() for r in receiver.received)
    stored = json.dumps([e.data for e in db.session.scalars(sa.select(WebhookEvent))])
    for canary in CANARY.values():
        assert canary not in sent and canary not in stored, canary
    allowed = {
        "trip_id", "traveller_id", "event", "old_state", "new_state", "round", "level",
        "advisory_id", "country", "region", "source", "effective_on",
        "crisis_message_id", "answer", "previous_answer", "answered_at",
    }  # fmt: skip
    assert {k for r in receiver.received for k in r.json["data"]} <= allowed


def test_a_level_rise_over_many_trips_queues_their_state_changes_in_a_few_statements(
    world, subscribe, count_queries
):
    from tests.trips.conftest import bulk_trips

    bulk_trips(world, 300, country="BF", level=1)
    db.session.commit()
    subscribe("http://127.0.0.1:9/a", [TRIP_STATE_CHANGED], name="A")
    subscribe("http://127.0.0.1:9/b", [TRIP_STATE_CHANGED], name="B")
    advisory = place_ops.set_advisory(
        country_code="BF",
        region_code=None,
        level=3,
        source_code="be_fps",
        effective_on=date.today(),
        summary="Worse",
        actor=world.admin,
    )
    with count_queries() as statements:
        reaction = react_to_advisory(advisory, world.admin, date.today())
    db.session.commit()
    assert len(reaction.suspended) == 300
    moved = events(TRIP_STATE_CHANGED)
    assert len(moved) == 300 and {e.data["new_state"] for e in moved} == {"suspended"}
    assert count(WebhookDelivery) == 600  # one per trip and subscription
    webhook_statements = [s for s in statements if "webhook" in s]
    print(f"\nwebhook statements for 300 trips: {len(webhook_statements)}")
    assert len(webhook_statements) <= 6
