"""A committee member who voted no longer sees the trip in their inbox while the others vote,
whatever happens on other trips (a resubmission elsewhere once brought it back)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.trips.conftest import decide, leg
from travel_app.extensions import db
from travel_app.org.models import Role
from travel_app.trips import operations as ops
from travel_app.trips.models import TripState


@pytest.fixture
def committee(app, world, make_person, monkeypatch):
    """The risk-committee procedure: from level 2 the safety officers vote, 2 of 3."""
    monkeypatch.setitem(app.config, "PROCEDURE", "committee-quorum")
    return [world.safety_officer] + [
        make_person(name=f"Member {n}", roles=(Role.SAFETY_OFFICER,)) for n in (2, 3)
    ]


def to_the_vote(world, make_trip, as_person, purpose):
    trip = make_trip(leg("ML", 60, 70, city="Mopti"), purpose=purpose)
    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302
    advice = decide(
        as_person(world.faculty_authority),
        trip,
        "faculty_advice",
        "advise",
        comment="Fine by the faculty",
    )
    assert advice.status_code == 302, advice.get_data(as_text=True)
    return trip


def inbox(client):
    return client.get("/inbox").get_data(as_text=True)


def test_a_member_who_voted_does_not_see_the_trip_again_after_a_resubmission_elsewhere(
    world, committee, make_trip, as_person
):
    voted = to_the_vote(world, make_trip, as_person, "Vote in Mopti")
    first, second, _third = committee
    client = as_person(first)
    assert "Vote in Mopti" in inbox(client)
    assert decide(client, voted, "committee_vote").status_code == 302
    db.session.refresh(voted)
    assert voted.state is TripState.IN_REVIEW  # one vote of the two needed
    assert "Vote in Mopti" not in inbox(client)
    assert "Vote in Mopti" in inbox(as_person(second))

    # Another trip is sent back for changes and resubmitted: a later resubmission, elsewhere.
    other = make_trip(leg("ML", 80, 90, city="Gao"), purpose="Other in Gao")
    asked = decide(
        as_person(world.promoter), other, "supervisor", "request_changes", comment="Add the route"
    )
    assert asked.status_code == 302
    db.session.refresh(other)
    ops.resubmit_trip(other, world.student, other.version, date.today())
    db.session.commit()

    assert "Vote in Mopti" not in inbox(as_person(first))
    assert "Vote in Mopti" in inbox(as_person(second))


def test_a_resubmission_of_the_same_trip_asks_the_members_again(
    world, committee, make_trip, as_person
):
    trip = to_the_vote(world, make_trip, as_person, "Vote in Mopti")
    first, second = committee[:2]
    for member in (first, second):  # 2 of 3 against: the quorum can no longer be met
        asked = decide(
            as_person(member), trip, "committee_vote", "request_changes", comment="Which hotel?"
        )
        assert asked.status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.CHANGES_REQUESTED
    ops.resubmit_trip(trip, world.student, trip.version, date.today())
    db.session.commit()
    for member in committee:
        assert "Vote in Mopti" in inbox(as_person(member))
