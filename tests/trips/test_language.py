"""Trip pages follow the user's language: Dutch for a Dutch-speaking traveller."""

from __future__ import annotations

from tests.trips.conftest import decide
from travel_app.extensions import db


def test_a_dutch_speaking_traveller_sees_the_trip_in_dutch(world, make_trip, as_person):
    world.student.language = "nl"
    db.session.commit()
    trip = make_trip()
    client = as_person(world.student)
    assert "Mijn reizen" in client.get("/trips").get_data(as_text=True)
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "In behandeling" in page
    assert "Hoogste niveau 2: Mali" in page  # the engine's reason, in Dutch
    assert "Reis aanvragen" in client.get("/trips/new").get_data(as_text=True)


def test_the_same_trip_reads_in_english_for_an_english_speaking_approver(
    world, make_trip, as_person
):
    world.student.language = "nl"
    db.session.commit()
    trip = make_trip()
    client = as_person(world.promoter)  # language "en"
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "In review" in page and "Highest level 2: Mali" in page
    assert "Approve with conditions" in page  # the decision form


def test_a_conflict_is_explained_in_dutch(world, make_trip, as_person):
    world.promoter.language = "nl"
    db.session.commit()
    trip = make_trip()
    stale = trip.version
    client = as_person(world.promoter)
    assert decide(client, trip, "supervisor").status_code == 302
    response = client.post(
        f"/trips/{trip.id}/decide",
        data={"step_id": "supervisor", "outcome": "approve", "version": stale},
    )
    assert response.status_code == 409
    assert "Deze reis werd intussen gewijzigd; laad de pagina opnieuw." in response.get_data(True)
