"""The main path over HTTP: file a level-2 trip, three approvals, the traveller sees the result."""

from __future__ import annotations

from tests.trips.conftest import day, decide
from travel_app.extensions import db
from travel_app.trips.models import EventKind, Trip, TripState


def form(**overrides):
    data = {
        "purpose": "Fieldwork in Mopti",
        "legs-0-country": "ML",
        "legs-0-region": "",
        "legs-0-city": "Bamako",
        "legs-0-arrives_on": day(60).isoformat(),
        "legs-0-leaves_on": day(65).isoformat(),
        "legs-0-accommodation": "Hotel Salam",
        "legs-1-country": "BF",
        "legs-1-region": "",
        "legs-1-city": "Ouagadougou",
        "legs-1-arrives_on": day(65).isoformat(),
        "legs-1-leaves_on": day(72).isoformat(),
        "legs-1-accommodation": "Guest house",
        "why_not_remote": "Soil samples must be taken in person.",
        "why_not_later": "The rainy season starts in June.",
        "impact_if_cancelled": "A chapter of the thesis is lost.",
        "emergency_name": "Mum",
        "emergency_phone": "+32 470 12 34 56",
        "cost_centre": "GEO-2026",
        "action": "submit",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_phd_student_files_a_two_leg_trip_and_three_approvers_approve_it(world, as_person):
    client = as_person(world.student)
    page = client.post("/trips/new", data=form(action="check"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="computed-level">2<' in html
    assert "Highest level 2: Mali" in html
    assert db.session.query(Trip).count() == 0  # checking saves nothing

    response = client.post("/trips/new", data=form())
    assert response.status_code == 302, response.get_data(as_text=True)
    trip = db.session.query(Trip).one()
    assert trip.state is TripState.IN_REVIEW
    assert trip.level == 2
    assert trip.route["procedure_id"] == "vlir-framework"
    assert [leg.country_code for leg in trip.legs] == ["ML", "BF"]

    client = as_person(world.promoter)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "Fieldwork in Mopti" in inbox
    assert decide(client, trip, "supervisor").status_code == 302

    client = as_person(world.faculty_authority)
    assert "Fieldwork in Mopti" in client.get("/inbox").get_data(as_text=True)
    assert decide(client, trip, "faculty_authority").status_code == 302

    client = as_person(world.safety_officer)
    response = decide(
        client,
        trip,
        "safety_officer",
        "approve_with_conditions",
        conditions="Register with Travellers Online\nDaily check-in by SMS",
    )
    assert response.status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED_WITH_CONDITIONS

    client = as_person(world.student)
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Approved with conditions" in page
    assert "Daily check-in by SMS" in page
    kinds = [e.kind for e in trip.events]
    assert kinds == [EventKind.CREATED, EventKind.SUBMITTED] + [EventKind.DECISION] * 3
