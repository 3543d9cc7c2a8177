"""Incidents and break-glass: the crisis team alone opens emergency and medical data, only while
the traveller travels or an incident is open, only with a reason, every time logged; the
medical note is encrypted at rest and appears nowhere else."""

from __future__ import annotations

import csv
import io
import logging

import pytest
import sqlalchemy as sa

from tests.duty.conftest import stay
from tests.duty.test_crisis import DRAFT, send
from travel_app.core.audit import AuditEvent
from travel_app.duty.models import Incident
from travel_app.extensions import db
from travel_app.outbox.models import OutboxMessage
from travel_app.trips.models import Trip

NOTE = "Penicillin allergy; insulin twice a day"
REASON = "No answer for two days after the bombing in Gao"


@pytest.fixture
def away(world):
    """The student travels in Mali now, with an emergency contact and a medical note."""
    trip = stay(world, world.student, "ML", "ML-7", -2, 6)
    trip.emergency_name, trip.emergency_phone = "Mum", "+32 470 00 00 00"
    trip.medical_note = NOTE
    db.session.commit()
    return trip


@pytest.fixture
def home(world):
    """The student's trip next month: not under way."""
    trip = stay(world, world.student, "BF", None, 30, 40, level=1)
    trip.emergency_name, trip.emergency_phone = "Dad", "+32 470 11 11 11"
    trip.medical_note = NOTE
    db.session.commit()
    return trip


def test_the_medical_note_is_encrypted_at_rest(world, away):
    raw = db.session.execute(
        sa.text("SELECT medical_note FROM trip WHERE id = :id"), {"id": away.id}
    ).scalar_one()
    assert raw and "Penicillin" not in raw and "insulin" not in raw
    db.session.expire_all()
    assert db.session.get(Trip, away.id).medical_note == NOTE


def open_glass(client, trip, reason=REASON):
    return client.post(f"/trips/{trip.id}/emergency", data={"reason": reason})


def test_the_crisis_team_opens_it_while_the_traveller_travels_with_a_reason_and_it_is_logged(
    world, away, crisis, as_person
):
    client = as_person(crisis)
    ask = client.get(f"/trips/{away.id}/emergency")
    assert ask.status_code == 200 and NOTE not in ask.get_data(as_text=True)
    response = open_glass(client, away)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and NOTE in page and "Mum" in page
    assert response.headers["Cache-Control"] == "no-store"
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "trip.break_glass")
    ).all()
    assert event.actor_id == crisis.id and event.data["reason"] == REASON
    assert NOTE not in str(event.data)
    # The safety officer sees who opened it, when and why; not the data.
    log = as_person(world.safety_officer).get("/duty/break-glass").get_data(as_text=True)
    assert REASON in log and "Cris Crisis" in log and NOTE not in log and "Mum" not in log


@pytest.mark.parametrize("reason", ["", "   ", "because"])
def test_without_a_reason_nothing_opens_and_nothing_is_logged(
    world, away, crisis, as_person, reason
):
    response = open_glass(as_person(crisis), away, reason)
    assert response.status_code == 400 and NOTE not in response.get_data(as_text=True)
    assert not db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "trip.break_glass")
    ).all()


@pytest.mark.parametrize(
    "who", ["safety_officer", "promoter", "faculty_authority", "executive", "admin", "colleague"]
)
def test_no_other_role_may_break_the_glass(world, away, as_person, who):
    client = as_person(getattr(world, who))
    for response in (client.get(f"/trips/{away.id}/emergency"), open_glass(client, away)):
        assert response.status_code == 403
        assert NOTE not in response.get_data(as_text=True)


def test_before_departure_only_an_open_incident_allows_it(world, home, crisis, as_person):
    client = as_person(crisis)
    refused = open_glass(client, home)
    assert refused.status_code == 403 and NOTE not in refused.get_data(as_text=True)
    opened = client.post(
        "/duty/incidents/new", data={"title": "Coup rumours", "trips": f"{home.id}"}
    )
    assert opened.status_code == 302
    incident = db.session.scalars(sa.select(Incident)).one()
    assert open_glass(client, home).status_code == 200
    closed = client.post(
        f"/duty/incidents/{incident.id}/close", data={"summary": "Rumours unfounded."}
    )
    assert closed.status_code == 302
    assert open_glass(client, home).status_code == 403


def test_an_incident_logs_events_links_messages_and_closes_with_a_summary(
    world, away, crisis, as_person
):
    client = as_person(crisis)
    assert send(client, country="ML").status_code == 302
    response = client.post(
        "/duty/incidents/new", data={"title": "Attack in Gao", "trips": f"{away.id}, {away.id}"}
    )
    assert response.status_code == 302
    incident = db.session.scalars(sa.select(Incident)).one()
    assert [t.id for t in incident.trips] == [away.id]
    message_id = db.session.scalar(sa.text("SELECT id FROM crisis_message"))
    entry = client.post(
        f"/duty/incidents/{incident.id}/entries",
        data={"text": "Embassy confirms curfew", "message": str(message_id)},
    )
    assert entry.status_code == 302
    page = client.get(f"/duty/incidents/{incident.id}").get_data(as_text=True)
    assert "Embassy confirms curfew" in page and DRAFT["subject_en"] in page
    assert (
        client.post(f"/duty/incidents/{incident.id}/close", data={"summary": ""}).status_code == 400
    )
    assert (
        client.post(
            f"/duty/incidents/{incident.id}/close", data={"summary": "All travellers safe."}
        ).status_code
        == 302
    )
    late = client.post(f"/duty/incidents/{incident.id}/entries", data={"text": "Too late"})
    assert late.status_code == 409
    # The safety officer follows it, but does not write.
    officer = as_person(world.safety_officer)
    assert officer.get(f"/duty/incidents/{incident.id}").status_code == 200
    assert officer.post("/duty/incidents/new", data={"title": "x", "trips": "1"}).status_code == 403


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "trips": "1"}, "This field is required."),
        ({"title": "Flood", "trips": "one, two"}, "Give trip numbers such as 12, 15."),
        ({"title": "Flood", "trips": "999999"}, "Unknown trips: 999999"),
    ],
)
def test_a_bad_incident_is_refused_and_nothing_is_written(world, crisis, as_person, data, message):
    response = as_person(crisis).post("/duty/incidents/new", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_the_medical_note_appears_nowhere_for_anyone_else(
    world, away, crisis, as_person, caplog, delivered
):
    caplog.set_level(logging.DEBUG)
    pages = {
        world.promoter: [f"/trips/{away.id}", f"/trips/{away.id}/dossier/print", "/inbox"],
        world.safety_officer: [
            f"/trips/{away.id}",
            f"/trips/{away.id}/dossier/print",
            "/trips/all",
            "/duty/where?country=ML",
            "/duty/break-glass",
        ],
        crisis: [
            f"/trips/{away.id}",
            f"/trips/{away.id}/dossier/print",
            "/duty/where?country=ML",
            f"/trips/{away.id}/emergency",
        ],
        world.admin: ["/admin/", "/trips/all"],
    }
    for person, urls in pages.items():
        client = as_person(person)
        for url in urls:
            body = client.get(url).get_data(as_text=True)
            assert "Penicillin" not in body, (person.name, url)
            assert "Mum" not in body and "+32 470 00 00 00" not in body, (person.name, url)
    export = as_person(world.safety_officer).get("/duty/where.csv?country=ML")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert not any("Penicillin" in cell for row in rows for cell in row)
    send(as_person(crisis), country="ML")
    delivered()
    texts = db.session.scalars(sa.select(OutboxMessage.text)).all()
    htmls = db.session.scalars(sa.select(OutboxMessage.html)).all()
    assert not any("Penicillin" in (t or "") for t in texts + htmls)
    assert "Penicillin" not in caplog.text
    # The traveller sees their own note on the edit form of a draft... and nowhere is it printed.
    own = as_person(world.student).get(f"/trips/{away.id}/dossier/print").get_data(as_text=True)
    assert "Mum" in own and "Penicillin" not in own
