"""Check-ins at level 2 and 3: prompted when due, answered by link or in the app; a missed one
goes to the safety officer after the grace period and to the crisis team after the second."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import outbox_rows as mails
from tests.conftest import tampered as tampered_token
from tests.duty.conftest import stay
from travel_app.core.audit import AuditEvent
from travel_app.core.db import utcnow
from travel_app.duty import checkins
from travel_app.duty.models import AnswerVia, CheckinAnswer, CheckinEntry
from travel_app.extensions import db
from travel_app.procedures import active_procedure
from travel_app.trips import journey
from travel_app.trips.models import TripPhase


@pytest.fixture
def leaving(world):
    """Two trips leaving today: level 2 (checks in) and level 1 (does not)."""
    high = stay(world, world.student, "ML", "ML-7", 0, 10, level=2)
    low = stay(world, world.colleague, "BF", None, 0, 10, level=1)
    for trip in (high, low):
        trip.phase = TripPhase.PLANNED
        trip.emergency_name, trip.emergency_phone = "Mum", "+32 470 00 00 00"
    db.session.commit()
    assert journey.start_travel(date.today(), active_procedure()).trips == 2
    db.session.commit()
    db.session.refresh(high)
    db.session.refresh(low)
    return high, low


def test_departure_sets_the_first_check_in_at_the_checking_levels_only(leaving):
    high, low = leaving
    assert low.checkin_due_at is None
    assert abs(high.checkin_due_at - (utcnow() + timedelta(hours=48))) < timedelta(minutes=1)


def link_of(text):
    start = text.index("/checkin/")
    return text[start : text.index("\n", start)].strip()


def test_a_due_check_in_is_prompted_once_and_the_link_records_it(world, leaving, client):
    high, _ = leaving
    procedure = active_procedure()
    due = high.checkin_due_at
    assert checkins.prompt(due - timedelta(minutes=1), procedure).queued == 0
    assert checkins.prompt(due, procedure).queued == 1
    assert checkins.prompt(due + timedelta(hours=1), procedure).queued == 0
    db.session.commit()
    [row] = mails("checkin")
    recipient, text = row.recipient, row.text
    assert recipient == world.student.email and "every 48 hours" in text
    path = link_of(text)
    page = client.get(path)
    assert page.status_code == 200 and "I am well" in page.get_data(as_text=True)
    db.session.refresh(high)
    assert high.last_checkin_at is None  # opening the link records nothing
    assert client.post(path).status_code == 200
    db.session.refresh(high)
    assert high.last_checkin_at is not None
    assert high.checkin_due_at == high.last_checkin_at + timedelta(hours=48)
    assert (
        db.session.scalars(
            sa.select(AuditEvent.data).where(AuditEvent.action == "trip.checkin")
        ).one()["via"]
        == "link"
    )


def test_tampered_and_borrowed_check_in_links_are_refused(world, leaving, client):
    high, low = leaving
    checkins.prompt(high.checkin_due_at, active_procedure())
    db.session.commit()
    path = link_of(mails("checkin")[0].text)
    tampered = tampered_token(path)
    borrowed = path.replace(f"/checkin/{high.id}/", f"/checkin/{low.id}/")
    for bad in (tampered, borrowed):
        assert client.post(bad).status_code == 400
    db.session.refresh(high)
    db.session.refresh(low)
    assert high.last_checkin_at is None and low.last_checkin_at is None


def test_a_missed_check_in_climbs_to_the_officer_then_to_the_crisis_team(world, leaving, crisis):
    high, _ = leaving
    procedure = active_procedure()
    due = high.checkin_due_at
    assert checkins.missed(due + timedelta(hours=11), procedure).queued == 0
    assert checkins.missed(due + timedelta(hours=12), procedure).queued == 1
    db.session.commit()
    [row] = mails("checkin_missed")
    officer, text = row.recipient, row.text
    assert officer == world.safety_officer.email and "+32 470 00 00 00" not in text
    db.session.refresh(high)
    assert high.needs_attention and high.attention_reason == checkins.MISSED
    assert checkins.missed(due + timedelta(hours=20), procedure).queued == 0
    assert checkins.missed(due + timedelta(hours=36), procedure).queued == 1
    assert checkins.missed(due + timedelta(hours=40), procedure).queued == 0
    db.session.commit()
    team = [m for m in mails("checkin_no_news") if m.recipient == crisis.email]
    assert len(team) == 1 and "Mum" in team[0].text and "+32 470 00 00 00" in team[0].text
    opened = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "trip.break_glass")
    ).all()
    assert len(opened) == 1 and opened[0].actor_id is None


def test_the_traveller_checks_in_from_the_trip_page_and_nobody_else_can(world, leaving, as_person):
    high, _ = leaving
    page = as_person(world.student).get(f"/trips/{high.id}").get_data(as_text=True)
    assert "Check in now" in page
    for person in (world.promoter, world.safety_officer, world.colleague):
        assert as_person(person).post(f"/trips/{high.id}/checkin").status_code in (403, 404)
    response = as_person(world.student).post(f"/trips/{high.id}/checkin")
    assert response.status_code == 302
    db.session.refresh(high)
    assert high.last_checkin_at is not None


def _prompted_link(trip):
    checkins.prompt(trip.checkin_due_at, active_procedure())
    db.session.commit()
    return link_of(mails("checkin")[0].text)


def _help_alerts(person):
    return [m for m in mails("checkin_help") if m.recipient == person.email]


def test_a_call_for_help_at_check_in_is_kept_when_well_follows(
    world, leaving, crisis, client, as_person
):
    high, _ = leaving
    path = _prompted_link(high)
    page = client.get(path).get_data(as_text=True)
    assert "I am well" in page and "I need help" in page
    response = client.post(path, data={"answer": "help", "note": "Robbed, passport gone"})
    assert response.status_code == 200
    assert "The crisis team has been alerted" in response.get_data(as_text=True)
    db.session.refresh(high)
    assert high.needs_attention and high.attention_reason == checkins.HELP
    assert client.post(path, data={"answer": "well"}).status_code == 200
    db.session.refresh(high)
    assert not high.needs_attention  # the latest answer is "well"
    # The traveller's page shows what they answered before, the call for help with its note.
    mine = client.get(path).get_data(as_text=True)
    mine = mine[mine.index('id="checkin-history"') :]
    assert mine.index("I am well") < mine.index("I need help") < mine.index("Robbed")
    # So does the trip page, for the crisis team.
    trip_page = as_person(crisis).get(f"/trips/{high.id}").get_data(as_text=True)
    history = trip_page[trip_page.index('id="checkin-history"') :]
    history = history[: history.index("</ul>")]
    assert "I need help" in history and "Robbed, passport gone" in history
    assert "I am well" in history
    entries = db.session.scalars(sa.select(CheckinEntry).order_by(CheckinEntry.id)).all()
    assert [(e.answer, e.note, e.via) for e in entries] == [
        (CheckinAnswer.HELP, "Robbed, passport gone", AnswerVia.LINK),
        (CheckinAnswer.WELL, "", AnswerVia.LINK),
    ]
    audit = db.session.scalars(
        sa.select(AuditEvent.data).where(AuditEvent.action == "trip.checkin")
    ).all()
    assert [(a["answer"], a["previous"]) for a in audit] == [("help", None), ("well", "help")]


def test_repeated_help_at_check_in_alerts_once_and_again_after_well(
    world, leaving, crisis, client, as_person
):
    high, _ = leaving
    path = _prompted_link(high)
    client.post(path, data={"answer": "help", "note": "Robbed"})
    client.post(path, data={"answer": "help", "note": "Still no passport"})
    traveller = as_person(world.student)
    assert traveller.post(f"/trips/{high.id}/checkin", data={"answer": "help"}).status_code == 302
    assert len(_help_alerts(crisis)) == 1 and len(_help_alerts(world.safety_officer)) == 1
    [alert] = _help_alerts(crisis)
    assert "Robbed" in alert.text and alert.subject.startswith(f"NEEDS HELP: {world.student.name}")
    assert traveller.post(f"/trips/{high.id}/checkin", data={"answer": "well"}).status_code == 302
    assert len(_help_alerts(crisis)) == 1
    client.post("/logout")
    client.post(path, data={"answer": "help", "note": "Fever"})
    alerts = _help_alerts(crisis)
    assert len(alerts) == 2 and "Fever" in alerts[1].text
    vias = db.session.scalars(sa.select(CheckinEntry.via).order_by(CheckinEntry.id)).all()
    assert vias == [AnswerVia.LINK, AnswerVia.LINK, AnswerVia.APP, AnswerVia.APP, AnswerVia.LINK]


def test_who_is_where_shows_a_call_for_help_at_the_last_check_in(
    world, leaving, crisis, client, as_person
):
    high, _ = leaving
    path = _prompted_link(high)
    client.post(path, data={"answer": "help", "note": "Robbed"})
    page = as_person(crisis).get("/duty/where?country=ML").get_data(as_text=True)
    row = page[page.index(world.student.email) :]
    row = row[: row.index("</tr>")]
    assert "check-in" in row and "I need help" in row
    as_person(world.student).post(f"/trips/{high.id}/checkin", data={"answer": "well"})
    page = as_person(crisis).get("/duty/where?country=ML").get_data(as_text=True)
    row = page[page.index(world.student.email) :]
    assert "I need help" not in row[: row.index("</tr>")]
