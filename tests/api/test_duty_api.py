"""Who is where and crisis messages through the API, for the safety office and the crisis team:
the same selection, the same queries, the same verb and e-mails as their pages."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.trips.conftest import bulk_trips, day, leg
from travel_app.core.audit import AuditEvent
from travel_app.core.db import utcnow
from travel_app.duty import crisis
from travel_app.duty.models import Answer, CrisisMessage, CrisisRecipient
from travel_app.extensions import db
from travel_app.org.models import Role
from travel_app.outbox.models import OutboxMessage

MESSAGE = {
    "instruction": "acknowledge",
    "subject_nl": "Veiligheidssituatie in Mali",
    "subject_en": "Security situation in Mali",
    "body_nl": "Laat ons weten of alles goed gaat.",
    "body_en": "Let us know whether you are safe.",
}


def test_the_safety_office_sees_who_is_where_as_the_page_shows_it(
    world, caller, make_trip, as_person
):
    trip = make_trip(leg("ML", 60, 70, city="Bamako"), mobile_phone="+223 70 00 00 00")
    make_trip(leg("BF", 60, 70), traveller=world.colleague)
    officer = caller(world.safety_officer, scopes=("duty",))
    answer = officer.get(f"/api/v1/duty/where?date={day(62).isoformat()}&country=ml")
    assert answer.status_code == 200, answer.json
    assert answer.json["tally"] == {"there": 1, "arriving": 0, "left": 0}
    [stay] = answer.json["items"]
    assert stay["trip_id"] == trip.id and stay["traveller"] == "Sam Student"
    assert stay["group"] == "there" and stay["city"] == "Bamako" and stay["place"] == "Mali"
    assert stay["phone_while_travelling"] == "+223 70 00 00 00"
    assert "medical_note" not in stay and "emergency_phone" not in str(answer.json)
    page = as_person(world.safety_officer).get(f"/duty/where?on={day(62)}&country=ML")
    assert "+223 70 00 00 00" in page.get_data(as_text=True)
    # Nobody there yet today: the next departure, as on the page.
    empty = officer.get("/api/v1/duty/where?country=ML&days=0").json
    assert empty["items"] == [] and empty["next_departure"]["on"] == day(60).isoformat()


def test_a_bad_selection_is_named_and_others_than_the_duty_roles_are_refused(
    world, caller, make_person
):
    officer = caller(world.safety_officer, scopes=("duty",))
    answer = officer.get("/api/v1/duty/where?country=ZZ")
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "country"
    answer = officer.get("/api/v1/duty/where?region=ML-7")
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "region"
    for person in (world.admin, world.promoter, world.executive):
        other = caller(person, scopes=("duty",))
        assert other.get("/api/v1/duty/where").status_code == 403
        assert other.post("/api/v1/crisis", json={**MESSAGE, "country": "ML"}).status_code == 403
    crisis_team = make_person(roles=(Role.CRISIS_TEAM,))
    assert caller(crisis_team, scopes=("duty",)).get("/api/v1/duty/where").status_code == 200


def test_who_is_where_takes_the_same_statements_for_few_and_many(
    world, caller, make_trip, count_queries
):
    make_trip(leg("BF", 30, 40))
    officer = caller(world.safety_officer, scopes=("duty",))
    url = f"/api/v1/duty/where?date={day(35).isoformat()}"
    officer.get(url)
    with count_queries() as few:
        assert officer.get(url).json["total"] == 1
    bulk_trips(world, 30)
    with count_queries() as many:
        assert officer.get(url).json["total"] == 31
    assert len(many) == len(few)


def test_a_crisis_message_reaches_the_selection_and_its_tally_follows_the_answers(
    world, caller, make_trip
):
    trip = make_trip(leg("ML", 60, 70))
    make_trip(leg("BF", 60, 70), traveller=world.colleague)
    officer = caller(world.safety_officer, scopes=("duty",))
    body = {**MESSAGE, "country": "ML", "date": day(62).isoformat()}
    key = {"Idempotency-Key": "crisis-ml-1"}
    sent = officer.post("/api/v1/crisis", json=body, headers=key)
    assert sent.status_code == 201, sent.json
    message_id = sent.json["id"]
    assert sent.headers["Location"].endswith(f"/api/v1/crisis/{message_id}")
    assert sent.json["tally"] == {"total": 1, "answered": 0, "safe": 0, "help": 0, "none": 1}
    assert sent.json["recipients"][0]["trip_id"] == trip.id
    mails = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.about == f"crisis:{message_id}")
    ).all()
    assert [m.recipient for m in mails] == [world.student.email]
    audited = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "crisis.send"))
    assert audited.actor_id == world.safety_officer.id and audited.data.get("via_token")
    # A retry with the same key sends nothing more.
    again = officer.post("/api/v1/crisis", json=body, headers=key)
    assert again.status_code == 201 and again.json["id"] == message_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrisisMessage)) == 1

    recipient = db.session.scalar(sa.select(CrisisRecipient))
    crisis.record_answer(recipient, Answer.SAFE, "", utcnow())
    crisis.record_answer(recipient, Answer.HELP, "Road blocked", utcnow() + timedelta(minutes=1))
    db.session.commit()
    shown = officer.get(f"/api/v1/crisis/{message_id}")
    assert shown.status_code == 200
    assert shown.json["tally"] == {"total": 1, "answered": 1, "safe": 0, "help": 1, "none": 0}
    [row] = shown.json["recipients"]
    assert row["answer"] == "help" and row["note"] == "Road blocked"
    assert [e["answer"] for e in row["earlier"]] == ["safe"]
    assert officer.get("/api/v1/crisis/999999").status_code == 404
    assert (
        caller(world.admin, scopes=("duty",)).get(f"/api/v1/crisis/{message_id}").status_code == 403
    )


def test_a_message_to_nobody_or_without_its_text_is_refused_and_nothing_is_sent(world, caller):
    officer = caller(world.safety_officer, scopes=("duty",))
    nobody = officer.post("/api/v1/crisis", json={**MESSAGE, "country": "JP"})
    assert nobody.status_code == 409, nobody.json
    bad = officer.post("/api/v1/crisis", json={**MESSAGE, "instruction": "panic"})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "instruction"
    blank = officer.post("/api/v1/crisis", json={**MESSAGE, "subject_en": "   "})
    assert blank.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrisisMessage)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_a_crisis_tally_takes_the_same_statements_for_few_and_many_recipients(
    world, caller, make_trip, make_person, count_queries
):
    trip = make_trip(leg("ML", 60, 70))
    officer = caller(world.safety_officer, scopes=("duty",))
    body = {**MESSAGE, "country": "ML", "date": day(62).isoformat()}
    message_id = officer.post("/api/v1/crisis", json=body).json["id"]
    url = f"/api/v1/crisis/{message_id}"
    officer.get(url)
    with count_queries() as few:
        assert officer.get(url).json["tally"]["total"] == 1
    for _ in range(20):
        person = make_person()
        db.session.add(CrisisRecipient(message_id=message_id, person_id=person.id, trip_id=trip.id))
    db.session.commit()
    for n, recipient in enumerate(db.session.scalars(sa.select(CrisisRecipient)).all()[:10]):
        crisis.record_answer(recipient, Answer.SAFE if n % 2 else Answer.HELP, "", utcnow())
    db.session.commit()
    with count_queries() as many:
        shown = officer.get(url).json
    assert shown["tally"]["total"] == 21 and len(shown["recipients"]) == 21
    assert len(many) == len(few)
