"""Every country list the installation seeds changes what happens to a trip filed over HTTP."""

from __future__ import annotations

import sqlalchemy as sa

from tests.trips.conftest import day, decide
from tests.trips.test_journey import form
from travel_app.extensions import db
from travel_app.places import operations as place_ops
from travel_app.places.models import CountryList
from travel_app.trips.models import Trip, TripState


def put_on_list(code: str, country: str) -> None:
    clist = db.session.scalar(sa.select(CountryList).where(CountryList.code == code))
    place_ops.add_to_list(clist, country, "", actor=None)
    db.session.commit()


def one_leg(country: str, **overrides):
    """The journey form with one leg (to ``country``) instead of two."""
    second = {f"legs-1-{k}": None for k in ("country", "region", "city", "accommodation")}
    second.update({"legs-1-arrives_on": None, "legs-1-leaves_on": None})
    return form(
        **{
            "legs-0-country": country,
            "legs-0-arrives_on": day(70).isoformat(),
            "legs-0-leaves_on": day(80).isoformat(),
            **second,
            **overrides,
        }
    )


def file_trip(client, country: str) -> Trip:
    response = client.post("/trips/new", data=one_leg(country))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(sa.select(Trip).order_by(Trip.id.desc())).first()


def steps(trip: Trip) -> list[str]:
    return [step["id"] for stage in trip.route["stages"] for step in stage["steps"]]


def test_a_level_0_trip_is_only_registered_when_the_country_is_on_no_list(world, as_person):
    trip = file_trip(as_person(world.student), "FR")
    assert trip.level == 0 and trip.state is TripState.REGISTERED


def test_a_forbidden_country_needs_the_executive_with_the_safety_officers_advice(world, as_person):
    put_on_list("forbidden", "FR")
    trip = file_trip(as_person(world.student), "FR")
    assert trip.level == 0
    assert trip.state is TripState.IN_REVIEW  # not registered without approval
    assert steps(trip) == ["safety_advice", "executive"]
    assert trip.purpose in as_person(world.safety_officer).get("/inbox").get_data(as_text=True)


def test_a_forbidden_country_at_level_2_goes_to_the_executive_not_the_safety_decision(
    world, as_person
):
    put_on_list("forbidden", "ML")
    trip = file_trip(as_person(world.student), "ML")
    assert trip.level == 2
    assert steps(trip) == ["supervisor", "faculty_authority", "safety_advice", "executive"]


def test_a_committee_only_country_needs_the_safety_officer_at_level_0(world, as_person):
    put_on_list("committee_only", "FR")
    trip = file_trip(as_person(world.student), "FR")
    assert trip.level == 0 and trip.state is TripState.IN_REVIEW
    assert steps(trip) == ["safety_officer"]
    assert trip.purpose in as_person(world.safety_officer).get("/inbox").get_data(as_text=True)


def test_a_committee_only_country_adds_the_safety_officer_at_level_1(world, as_person):
    put_on_list("committee_only", "BF")
    trip = file_trip(as_person(world.student), "BF")
    assert trip.level == 1
    assert steps(trip) == ["supervisor", "safety_officer"]


def approved_dossier(world, as_person, country: str) -> str:
    """File a trip to ``country``, have every step approve it, and read its dossier."""
    trip = file_trip(as_person(world.student), country)
    deciders = {
        "supervisor": world.promoter,
        "faculty_authority": world.faculty_authority,
        "safety_officer": world.safety_officer,
    }
    for step in steps(trip):
        assert decide(as_person(deciders[step]), trip, step).status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED
    return as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)


def test_a_heat_required_country_asks_a_heat_certificate(world, as_person):
    assert "HEAT certificate" not in approved_dossier(world, as_person, "ML")
    put_on_list("heat_required", "ML")
    assert "HEAT certificate" in approved_dossier(world, as_person, "ML")


def test_an_insurer_excluded_country_asks_a_separate_insurance_confirmation(world, as_person):
    assert "Separate insurance confirmation" not in approved_dossier(world, as_person, "BF")
    put_on_list("insurer_excluded", "BF")
    assert "Separate insurance confirmation" in approved_dossier(world, as_person, "BF")


def test_a_list_no_rule_names_is_marked_on_its_page(world, as_person):
    client = as_person(world.admin)
    response = client.post(
        "/admin/country-lists",
        data={"code": "partner_campus", "name_nl": "Partners", "name_en": "Partners"},
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Not used by the procedure in force." in page
    assert "not used by the procedure in force" in client.get("/admin/country-lists").get_data(
        as_text=True
    )
    for code in ("heat_required", "insurer_excluded", "committee_only", "forbidden"):
        seeded = db.session.scalar(sa.select(CountryList.id).where(CountryList.code == code))
        page = client.get(f"/admin/country-lists/{seeded}").get_data(as_text=True)
        assert "Not used by the procedure in force." not in page, code
