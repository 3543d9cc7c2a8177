"""Trip e-mails: queued with the change, delivered over real SMTP, in the recipient's language."""

from __future__ import annotations

from datetime import date, timedelta

import icalendar
import sqlalchemy as sa

from tests.trips.conftest import day, decide, leg
from tests.trips.test_journey import form
from tests.trips.test_rereview import approve_all, raise_level
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.outbox.models import OutboxMessage
from travel_app.trips.models import Trip


def kinds(db):
    return sorted(
        tuple(row)
        for row in db.session.execute(sa.select(OutboxMessage.recipient, OutboxMessage.kind))
    )


def test_submitting_acknowledges_the_traveller_in_dutch_and_tells_the_supervisor(
    world, as_person, delivered
):
    world.student.language = "nl"
    world.promoter.language = "en"
    db.session.commit()
    response = as_person(world.student).post("/trips/new", data=form())
    assert response.status_code == 302
    got = delivered()

    [ack] = got[world.student.email]
    assert ack["Content-Language"] == "nl"
    assert ack["Subject"] == "Reis ingediend: Fieldwork in Mopti"
    text = ack.get_body(("plain",)).get_content()
    assert "Beste Sam Student," in text and "Bamako (Mali)" in text
    assert "/trips/" in text
    html = ack.get_body(("html",)).get_content()
    assert '<html lang="nl">' in html and "Bamako" in html
    [ics_part] = list(ack.iter_attachments())
    assert ics_part.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(ics_part.get_content())
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == day(60)
    assert event.decoded("dtend") == day(72) + timedelta(days=1)

    [task] = got[world.promoter.email]
    assert task["Content-Language"] == "en"
    assert task["Subject"] == "Waiting for you: Supervisor's approval for Sam Student"
    due = db.session.execute(sa.text("SELECT due_on FROM trip_task")).scalar()
    assert f"until {due}" in task.get_body(("plain",)).get_content()
    # Nobody else hears of it yet.
    assert set(got) == {world.student.email, world.promoter.email}


def test_the_traveller_hears_the_decision_once_not_each_step(
    world, make_trip, as_person, delivered
):
    trip = make_trip(leg("BF", 30, 40))  # level 1: the supervisor decides alone
    delivered()
    response = decide(
        as_person(world.promoter),
        trip,
        "supervisor",
        "approve_with_conditions",
        conditions="Register with Travellers Online",
    )
    assert response.status_code == 302
    got = delivered()
    *_, decided, checklist = got[world.student.email]
    assert decided["Subject"] == "Your trip: Approved with conditions"
    # The approval opened the mission dossier: its checklist follows, in its own message.
    assert checklist["Subject"].startswith("Mission dossier: ")
    assert "- Register with Travellers Online" in decided.get_body(("plain",)).get_content()
    again = delivered()  # draining again sends nothing more
    assert {k: len(v) for k, v in again.items()} == {k: len(v) for k, v in got.items()}


def test_changes_requested_reach_the_traveller_with_the_comment(
    world, make_trip, as_person, delivered
):
    trip = make_trip()
    decide(as_person(world.promoter), trip, "supervisor")
    delivered()
    decide(
        as_person(world.faculty_authority),
        trip,
        "faculty_authority",
        "request_changes",
        comment="Add a local <contact>",
    )
    got = delivered()
    mail = got[world.student.email][-1]
    assert mail["Subject"] == "Changes requested: Fieldwork"
    assert "Add a local <contact>" in mail.get_body(("plain",)).get_content()
    assert "Add a local &lt;contact&gt;" in mail.get_body(("html",)).get_content()


def test_a_level_rise_tells_the_traveller_and_the_deciders_again(world, make_trip, delivered):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    before = delivered()
    raise_level("BF", 3)
    got = delivered()
    suspended = got[world.student.email][len(before[world.student.email]) :]
    assert [m["Subject"] for m in suspended] == ["Approval suspended: Fieldwork"]
    assert "Burkina Faso: level 3" in suspended[0].get_body(("plain",)).get_content()
    promoter = got[world.promoter.email][len(before[world.promoter.email]) :]
    assert [m["Subject"] for m in promoter] == [
        "Waiting for you: Supervisor's approval for Sam Student"
    ]
    db.session.refresh(trip)
    assert trip.round == 2


def test_a_deputy_is_mailed_with_the_person_they_stand_in_for(world, make_trip, delivered):
    org_ops.add_deputy(
        person=world.promoter,
        deputy=world.head,
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=3),
        note="",
        actor=None,
    )
    db.session.commit()
    make_trip()
    got = delivered()
    [mail] = got[world.head.email]
    assert "You stand in for Paula Promoter." in mail.get_body(("plain",)).get_content()


def test_a_refused_submission_queues_no_mail(world, as_person):
    response = as_person(world.student).post("/trips/new", data=form(why_not_later=""))
    assert response.status_code == 400
    assert db.session.query(Trip).count() == 0
    assert kinds(db) == []
