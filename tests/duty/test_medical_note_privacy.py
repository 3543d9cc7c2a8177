"""The medical note and the emergency contact on every page: a walk over the whole route map,
as every role that is not the traveller, finds neither."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import readable
from tests.duty.conftest import page_urls, stay
from tests.duty.test_crisis import send
from travel_app.duty.models import CrisisMessage, Incident
from travel_app.extensions import db

NOTE = "Penicillin allergy; insulin twice a day"
CONTACT = "+32 470 99 88 77"


@pytest.fixture
def scene(world, crisis, as_person):
    trip = stay(world, world.student, "ML", "ML-7", -2, 6)
    trip.emergency_name, trip.emergency_phone = "Aunt Agatha", CONTACT
    trip.medical_note = NOTE
    db.session.commit()
    client = as_person(crisis)
    assert send(client, country="ML").status_code == 302
    assert (
        client.post(
            "/duty/incidents/new", data={"title": "Unrest", "trips": str(trip.id)}
        ).status_code
        == 302
    )
    return {
        "trip_id": trip.id,
        "message_id": db.session.scalar(sa.select(CrisisMessage.id)),
        "incident_id": db.session.scalar(sa.select(Incident.id)),
        "country": "ML",
    }


@pytest.mark.parametrize(
    "who", ["promoter", "safety_officer", "faculty_authority", "executive", "admin", "colleague"]
)
def test_no_page_shows_emergency_or_medical_data_to_anyone_but_the_traveller(
    app, world, scene, as_person, who
):
    client = as_person(getattr(world, who))
    urls = page_urls(app, scene)
    assert f"/trips/{scene['trip_id']}" in urls and "/duty/where" in urls
    for url in urls:
        body = readable(client.get(url))
        assert "Penicillin" not in body, url
        assert CONTACT not in body and "Aunt Agatha" not in body, url


def test_the_crisis_team_sees_it_only_through_the_logged_opening(
    app, world, scene, crisis, as_person
):
    client = as_person(crisis)
    for url in page_urls(app, scene):
        body = readable(client.get(url))
        assert "Penicillin" not in body and CONTACT not in body, url
