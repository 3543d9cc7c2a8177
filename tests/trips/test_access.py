"""Each trip action, allowed for the right person and refused for the others."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.trips.conftest import decide
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import Role
from travel_app.trips.models import EventKind, TripState


def test_anonymous_visitors_are_sent_to_the_login_page(client, world, make_trip):
    trip = make_trip()
    for url in ("/trips", "/inbox", "/trips/all", "/trips/new", f"/trips/{trip.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url
    assert client.post(f"/trips/{trip.id}/decide").status_code == 302


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 200),
        ("promoter", 200),
        ("faculty_authority", 200),
        ("safety_officer", 200),
        ("executive", 200),
        ("admin", 200),
        ("colleague", 404),
        ("outsider", 404),
        ("head", 404),
    ],
)
def test_the_trip_page_is_for_the_traveller_the_deciders_and_oversight(
    world, make_trip, as_person, who, status
):
    trip = make_trip(purpose="Secret fieldwork")
    response = as_person(getattr(world, who)).get(f"/trips/{trip.id}")
    assert response.status_code == status
    if status == 404:
        assert "Secret fieldwork" not in response.get_data(as_text=True)


def test_approvers_do_not_see_the_emergency_contact(world, make_trip, as_person):
    trip = make_trip(emergency_name="Marie Mother", emergency_phone="+32 470 99 88 77")
    assert "Marie Mother" in as_person(world.student).get(f"/trips/{trip.id}").get_data(True)
    assert "Marie Mother" not in as_person(world.promoter).get(f"/trips/{trip.id}").get_data(True)


def test_only_the_supervisor_decides_the_supervisor_step(world, make_trip, as_person):
    trip = make_trip()
    for person in (world.safety_officer, world.faculty_authority, world.executive):
        response = decide(as_person(person), trip, "supervisor")
        assert response.status_code == 403, person.name
        assert "This step is for: supervisor" in response.get_data(as_text=True)
    assert decide(as_person(world.colleague), trip, "supervisor").status_code == 404
    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302


def test_nobody_decides_on_their_own_trip(world, make_trip, as_person):
    # The safety officer files a trip of their own and cannot take its safety step.
    officer = world.safety_officer
    officer.unit = world.department
    db.session.commit()
    trip = make_trip(traveller=officer)
    response = as_person(officer).post(
        f"/trips/{trip.id}/decide",
        data={"step_id": "supervisor", "outcome": "approve", "version": trip.version},
    )
    assert response.status_code == 403
    assert "Nobody decides on their own trip." in response.get_data(as_text=True)


def test_one_person_never_fills_two_steps_of_a_trip(world, make_trip, as_person):
    # The promoter is also the faculty's authority.
    org_ops.grant_role(world.promoter, Role.FACULTY_AUTHORITY, world.faculty, actor=None)
    db.session.commit()
    trip = make_trip()
    client = as_person(world.promoter)
    assert decide(client, trip, "supervisor").status_code == 302
    response = decide(client, trip, "faculty_authority")
    assert response.status_code == 403
    page = response.get_data(True)
    assert "You already filled step &#39;Supervisor&#39;s approval&#39; of this trip." in page
    # Fay, the other faculty authority, can.
    assert decide(as_person(world.faculty_authority), trip, "faculty_authority").status_code == 302


def test_a_step_that_is_no_longer_open_is_refused(world, make_trip, as_person):
    trip = make_trip()
    client = as_person(world.promoter)
    assert decide(client, trip, "supervisor").status_code == 302
    again = decide(client, trip, "supervisor")
    assert again.status_code == 403
    assert "Step &#39;Supervisor&#39;s approval&#39; is not open now." in again.get_data(
        as_text=True
    )


def test_a_deputy_decides_on_behalf_of_the_absent_supervisor(world, make_trip, as_person):
    org_ops.add_deputy(
        person=world.promoter,
        deputy=world.head,
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=5),
        note="Holiday",
        actor=None,
    )
    db.session.commit()
    trip = make_trip(purpose="Mopti survey")
    client = as_person(world.head)
    assert "Mopti survey" in client.get("/inbox").get_data(as_text=True)
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "on behalf of Paula Promoter" in page
    response = decide(client, trip, "supervisor", on_behalf_of=world.promoter.id)
    assert response.status_code == 302
    event = next(e for e in trip.events if e.kind is EventKind.DECISION)
    assert event.actor_id == world.head.id and event.on_behalf_of_id == world.promoter.id
    timeline = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Hugo Head" in timeline and "on behalf of Paula Promoter" in timeline


def test_standing_in_for_someone_does_not_open_their_own_trips(world, make_trip, as_person):
    org_ops.add_deputy(
        person=world.student,
        deputy=world.colleague,
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=5),
        note="Leave",
        actor=None,
    )
    db.session.commit()
    trip = make_trip(purpose="Private itinerary")
    client = as_person(world.colleague)
    assert client.get(f"/trips/{trip.id}").status_code == 404
    assert "Private itinerary" not in client.get("/inbox").get_data(as_text=True)


def test_a_deputyship_that_ended_gives_no_power(world, make_trip, as_person):
    org_ops.add_deputy(
        person=world.promoter,
        deputy=world.head,
        starts_on=date.today() - timedelta(days=10),
        ends_on=date.today() - timedelta(days=1),
        note="",
        actor=None,
    )
    db.session.commit()
    trip = make_trip()
    client = as_person(world.head)
    assert "Fieldwork" not in client.get("/inbox").get_data(as_text=True)
    response = decide(client, trip, "supervisor", on_behalf_of=world.promoter.id)
    assert response.status_code == 404


def test_only_the_traveller_withdraws(world, make_trip, as_person):
    trip = make_trip()
    for person in (world.promoter, world.safety_officer):
        response = as_person(person).post(
            f"/trips/{trip.id}/withdraw", data={"version": trip.version}
        )
        assert response.status_code == 403
    response = as_person(world.student).post(
        f"/trips/{trip.id}/withdraw", data={"version": trip.version, "reason": "Project ended"}
    )
    assert response.status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.WITHDRAWN
    assert "Fieldwork" not in as_person(world.promoter).get("/inbox").get_data(as_text=True)


def test_only_the_safety_officer_or_executive_cancels_and_with_a_reason(
    world, make_trip, as_person
):
    trip = make_trip()
    for person in (world.promoter, world.student, world.admin):
        response = as_person(person).post(
            f"/trips/{trip.id}/cancel", data={"version": trip.version, "reason": "x"}
        )
        assert response.status_code == 403, person.name
    client = as_person(world.executive)
    no_reason = client.post(f"/trips/{trip.id}/cancel", data={"version": trip.version})
    assert no_reason.status_code == 400
    assert "Give a reason." in no_reason.get_data(as_text=True)
    db.session.refresh(trip)
    assert trip.state is TripState.IN_REVIEW
    ok = client.post(
        f"/trips/{trip.id}/cancel", data={"version": trip.version, "reason": "Border closed"}
    )
    assert ok.status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.CANCELLED
    assert trip.events[-1].comment == "Border closed"


def test_the_list_of_all_trips_is_for_oversight_roles(world, make_trip, as_person):
    make_trip(purpose="Listed trip")
    for person in (world.safety_officer, world.admin, world.executive):
        page = as_person(person).get("/trips/all")
        assert page.status_code == 200 and "Listed trip" in page.get_data(as_text=True)
    for person in (world.student, world.promoter, world.faculty_authority):
        assert as_person(person).get("/trips/all").status_code == 403


def test_nobody_edits_or_submits_someone_elses_trip(world, make_trip, as_person):
    draft = make_trip(submit=False, purpose="Draft of Sam")
    for person in (world.colleague, world.promoter):
        client = as_person(person)
        assert client.get(f"/trips/{draft.id}/edit").status_code == 404
        response = client.post(
            f"/trips/{draft.id}/edit", data={"action": "submit", "purpose": "Mine now"}
        )
        assert response.status_code == 404
    client = as_person(world.safety_officer)  # sees every submitted trip; a draft is private
    assert client.get(f"/trips/{draft.id}/edit").status_code == 404
    assert client.get(f"/trips/{draft.id}").status_code == 404
    db.session.refresh(draft)
    assert draft.state is TripState.DRAFT and draft.purpose == "Draft of Sam"


def test_only_the_traveller_changes_an_approved_trip(world, make_trip, as_person):
    from tests.trips.test_rereview import approve_all

    trip = approve_all(make_trip(), world)
    assert as_person(world.student).get(f"/trips/{trip.id}/change").status_code == 200
    assert as_person(world.promoter).get(f"/trips/{trip.id}/change").status_code == 403
    assert as_person(world.colleague).get(f"/trips/{trip.id}/change").status_code == 404


def test_the_all_trips_pager_carries_only_the_filter(world, as_person):
    from tests.trips.conftest import bulk_trips

    bulk_trips(world, 60)
    db.session.commit()
    client = as_person(world.safety_officer)
    response = client.get(
        "/trips/all?state=approved&endpoint=x&_external=1&_anchor=evil&_scheme=javascript"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    pager = page[page.index('<p class="pager">') :]
    pager = pager[: pager.index("</p>")]
    assert 'href="/trips/all?page=2&amp;state=approved"' in pager
    assert "evil" not in pager and "javascript" not in pager and "endpoint=" not in pager
