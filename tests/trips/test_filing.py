"""Filing a trip: drafts, the live assessment, and every kind of bad input refused whole."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.trips.conftest import day
from tests.trips.test_journey import form
from travel_app.extensions import db
from travel_app.trips.forms import years_after
from travel_app.trips.models import Leg, Trip, TripEvent, TripState, TripTask


def counts():
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Trip, Leg, TripEvent, TripTask)
    )


def test_a_draft_can_be_saved_incomplete_and_shows_the_assessment(world, as_person):
    client = as_person(world.student)
    response = client.post(
        "/trips/new",
        data=form(action="save", emergency_name="", cost_centre="", why_not_remote=""),
    )
    assert response.status_code == 302
    trip = db.session.scalars(sa.select(Trip)).one()
    assert trip.state is TripState.DRAFT
    page = client.get(response.location).get_data(as_text=True)
    assert 'id="computed-level">2<' in page
    assert "42 days" in page  # the lead time level 2 asks


def test_a_late_request_is_flagged_but_allowed(world, as_person):
    client = as_person(world.student)
    data = form(
        **{
            "legs-0-arrives_on": day(10).isoformat(),
            "legs-0-leaves_on": day(12).isoformat(),
            "legs-1-arrives_on": day(12).isoformat(),
            "legs-1-leaves_on": day(14).isoformat(),
        }
    )
    page = client.post("/trips/new", data={**data, "action": "check"}).get_data(as_text=True)
    assert 'id="late-warning"' in page
    assert client.post("/trips/new", data=data).status_code == 302
    trip = db.session.scalars(sa.select(Trip)).one()
    assert trip.is_late and trip.state is TripState.IN_REVIEW


def test_a_region_raises_the_level_and_the_page_says_which_destination(world, as_person):
    client = as_person(world.student)
    page = client.post(
        "/trips/new", data=form(action="check", **{"legs-0-region": "ML-7"})
    ).get_data(as_text=True)
    assert 'id="computed-level">3<' in page
    assert "Highest level 3: Mali – Gao" in page
    assert "Executive authority" in page


def test_only_the_chosen_countrys_regions_are_offered(world, as_person):
    client = as_person(world.student)
    page = client.post("/trips/new", data=form(action="check")).get_data(as_text=True)
    assert 'value="ML-7"' in page  # Gao, in Mali
    assert 'value="BF-BAM"' in page  # a region of Burkina Faso, the second leg
    regions = client.get("/places/ML/regions").get_json()
    assert {"ML-7"} <= {r["code"] for r in regions}
    assert not [r for r in regions if not r["code"].startswith("ML-")]


def test_add_a_leg_keeps_what_was_typed(world, as_person):
    client = as_person(world.student)
    page = client.post("/trips/new", data=form(action="add_leg")).get_data(as_text=True)
    assert 'name="legs-2-country"' in page
    assert 'value="Fieldwork in Mopti"' in page
    assert counts() == (0, 0, 0, 0)


BAD = [
    (
        "departure before arrival",
        {"legs-0-leaves_on": day(55).isoformat()},
        "The departure from a place cannot come before the arrival.",
    ),
    (
        "overlapping legs",
        {"legs-1-arrives_on": day(62).isoformat()},
        "Two legs overlap: each stay must end before the next begins.",
    ),
    (
        "a date in the past",
        {"legs-0-arrives_on": day(-3).isoformat()},
        "This date lies in the past.",
    ),
    (
        "a region of another country",
        {"legs-0-region": "BE-VAN"},
        "This region is not in the chosen country.",
    ),
    ("an unknown country", {"legs-0-country": "XX"}, "Unknown country code."),
    ("an empty purpose", {"purpose": "   "}, "This field is required."),
    ("an oversized purpose", {"purpose": "x" * 501}, "Field cannot be longer than 500 characters."),
    (
        "oversized text",
        {"why_not_remote": "x" * 5001},
        "Field cannot be longer than 5000 characters.",
    ),
    (
        "an unknown co-traveller",
        {"co_travellers": "ghost@uni.example"},
        "Nobody with this e-mail address is known: ghost@uni.example",
    ),
    ("an unknown activity flag", {"flags": "skydiving"}, "Unknown activity flag."),
    ("a bad phone number", {"emergency_phone": "call me"}, "Give a phone number with digits"),
    ("a missing arrival date", {"legs-0-arrives_on": ""}, "This field is required."),
    ("a malformed date", {"legs-0-arrives_on": "31/02/2027"}, "Not a valid date value."),
]


@pytest.mark.parametrize(("case", "overrides", "message"), BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("action", ["save", "submit"])
def test_bad_input_is_a_field_error_and_stores_nothing(
    world, as_person, case, overrides, message, action
):
    client = as_person(world.student)
    response = client.post("/trips/new", data=form(action=action, **overrides))
    assert response.status_code == 400, case
    assert message in response.get_data(as_text=True), case
    assert counts() == (0, 0, 0, 0)


def test_more_than_twenty_legs_are_refused(world, as_person):
    data = form(action="save")
    for i in range(21):
        data.update(
            {
                f"legs-{i}-country": "FR",
                f"legs-{i}-arrives_on": day(30 + i).isoformat(),
                f"legs-{i}-leaves_on": day(30 + i).isoformat(),
            }
        )
    response = as_person(world.student).post("/trips/new", data=data)
    assert response.status_code == 400
    assert "A trip has at most 20 legs." in response.get_data(as_text=True)
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("field", ["emergency_name", "emergency_phone", "cost_centre"])
def test_submitting_needs_the_emergency_contact_and_cost_centre(world, as_person, field):
    response = as_person(world.student).post("/trips/new", data=form(**{field: ""}))
    assert response.status_code == 400
    assert "Needed to submit." in response.get_data(as_text=True)
    assert counts() == (0, 0, 0, 0)


def test_from_level_two_the_necessity_must_be_motivated(world, as_person):
    response = as_person(world.student).post("/trips/new", data=form(why_not_later=""))
    assert response.status_code == 400
    assert "From level 2 on, a motivation of necessity is needed." in response.get_data(True)
    assert counts() == (0, 0, 0, 0)


def test_html_and_script_are_shown_as_text(world, as_person, make_trip):
    script = '<script>alert("x")</script><b>bold</b>'
    client = as_person(world.student)
    response = client.post(
        "/trips/new",
        data=form(purpose=script, **{"legs-0-city": script, "legs-0-accommodation": script}),
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert script not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    for url in ("/trips",):
        assert script not in client.get(url).get_data(as_text=True)
    inbox = as_person(world.promoter).get("/inbox").get_data(as_text=True)
    assert script not in inbox and "&lt;b&gt;bold&lt;/b&gt;" in inbox


def test_an_unknown_co_traveller_is_echoed_as_text_not_markup(world, as_person):
    hostile = "<svg/onload=alert(1)>@example.org"
    response = as_person(world.student).post("/trips/new", data=form(co_travellers=hostile))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nobody with this e-mail address is known" in page
    assert "<svg/onload" not in page and "&lt;svg/onload=alert(1)&gt;" in page
    assert counts() == (0, 0, 0, 0)


def test_a_trip_needs_someone_to_decide_each_step(world, as_person, make_person, make_unit):
    loner = make_person(name="No Head", unit=make_unit())  # a unit without a head: no supervisor
    response = as_person(loner).post("/trips/new", data=form())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nobody can decide this step: Supervisor&#39;s approval" in page
    assert counts() == (0, 0, 0, 0)
    # The check before filing names the step as people know it, not by its internal id.
    checked = as_person(loner).post("/trips/new", data={**form(), "action": "check"})
    page = checked.get_data(as_text=True)
    assert "Nobody can decide: Supervisor&#39;s approval" in page
    assert "Nobody can decide: supervisor" not in page


def test_someone_without_a_unit_keeps_the_draft_but_cannot_submit(world, as_person, make_person):
    newcomer = make_person(name="Unit Missing")  # signed in with a unit the service lacks
    client = as_person(newcomer)
    assert "Your unit is missing" in client.get("/").get_data(as_text=True)
    response = client.post("/trips/new", data=form(), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your unit is missing in Safe Passage" in page
    trips, _legs, _events, tasks = counts()
    assert (trips, tasks) == (1, 0)
    trip = db.session.scalars(sa.select(Trip)).one()
    assert trip.state is TripState.DRAFT
    # The administrator gives a unit: the same draft can now be submitted.
    newcomer.unit = world.student.unit
    db.session.commit()
    resubmitted = client.post(f"/trips/{trip.id}/edit", data=form(version=str(trip.version)))
    assert resubmitted.status_code == 302
    db.session.refresh(trip)
    assert trip.state is not TripState.DRAFT


def test_after_a_refused_submission_the_form_still_files_a_new_trip(world, as_person):
    client = as_person(world.student)
    refused = client.post("/trips/new", data=form(cost_centre=""))
    assert refused.status_code == 400
    assert 'action="/trips/new"' in refused.get_data(as_text=True)
    assert client.post("/trips/new", data=form()).status_code == 302
    assert counts()[0] == 1


@pytest.mark.parametrize("value", ["²", "٣", "-1", "1e3", " 1"])
def test_odd_numbers_in_hidden_fields_are_refused_not_crashed(world, as_person, make_trip, value):
    trip = make_trip(submit=False)
    client = as_person(world.student)
    removed = client.post(f"/trips/{trip.id}/edit", data=form(action=f"remove_leg:{value}"))
    assert removed.status_code == 200
    stale = client.post(f"/trips/{trip.id}/edit", data=form(action="save", version=value))
    assert stale.status_code == 409
    db.session.refresh(trip)
    assert trip.purpose == "Fieldwork"


@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_trip_may_end_at_most_three_years_ahead_by_default(world, as_person, action):
    latest = years_after(date.today(), 3)
    client = as_person(world.student)
    too_far = {"legs-1-leaves_on": (latest + timedelta(days=1)).isoformat()}
    response = client.post("/trips/new", data=form(action=action, **too_far))
    assert response.status_code == 400
    assert (
        f"A trip may end at most 3 years ahead: on {latest.isoformat()} at the latest."
        in response.get_data(as_text=True)
    )
    assert counts() == (0, 0, 0, 0)
    response = client.post("/trips/new", data=form(**{"legs-1-leaves_on": latest.isoformat()}))
    assert response.status_code == 302


def test_the_years_a_trip_may_reach_ahead_are_a_setting(world, other_app):
    client = other_app(TRIP_MAX_YEARS_AHEAD=1).test_client()
    assert login(client, world.student.email).status_code == 302
    latest = years_after(date.today(), 1)
    too_far = {"legs-1-leaves_on": (latest + timedelta(days=1)).isoformat()}
    response = client.post("/trips/new", data=form(action="save", **too_far))
    assert response.status_code == 400
    assert "at most 1 year ahead: on" in response.get_data(as_text=True)
    assert counts() == (0, 0, 0, 0)


def test_the_years_ahead_count_from_a_leap_day_to_the_28th_of_february():
    assert years_after(date(2028, 2, 29), 3) == date(2031, 2, 28)
    assert years_after(date(2028, 2, 29), 4) == date(2032, 2, 29)
